// SPDX-License-Identifier: BSD-3-Clause
#include "pullframereader_p.h"

#include "importlines_p.h"
#include "onepassjson_p.h"

#include <QtCore/qjsonobject.h>

namespace LiveStore::Wire {

namespace {

using OnePass::Reader;
using OnePass::readEvent;

// {"_tag":"None"} or {"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":…}}
bool readMetadata(Reader &r, std::optional<SyncMetadata> *metadata)
{
    if (r.literal(R"({"_tag":"None"})"))
        return true;
    SyncMetadata m;
    if (!r.literal(R"({"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":)")
        || !r.string(&m.createdAt) || !r.literal("}}"))
        return false;
    *metadata = std::move(m);
    return true;
}

bool readPageInfo(Reader &r, PageInfo *pageInfo)
{
    if (r.literal(R"({"_tag":"NoMore"})")) {
        *pageInfo = PageInfo::noMore();
        return true;
    }
    if (r.literal(R"({"_tag":"MoreUnknown"})")) {
        *pageInfo = PageInfo::moreUnknown();
        return true;
    }
    qint64 remaining = 0;
    if (!r.literal(R"({"_tag":"MoreKnown","remaining":)") || !r.integer(&remaining) || !r.literal("}"))
        return false;
    *pageInfo = PageInfo::moreKnown(remaining);
    return true;
}

// {"batch":[{"eventEncoded":…,"metadata":…},…],"pageInfo":…,"backendId":…}
bool readPage(Reader &r, PullResponse *page)
{
    if (!r.literal(R"({"batch":[)"))
        return false;
    if (!r.literal("]")) {
        do {
            PulledEvent pulled;
            if (!r.literal(R"({"eventEncoded":)") || !readEvent(r, &pulled.event)
                || !r.literal(R"(,"metadata":)") || !readMetadata(r, &pulled.metadata) || !r.literal("}"))
                return false;
            page->batch.append(std::move(pulled));
        } while (r.literal(","));
        if (!r.literal("]"))
            return false;
    }
    return r.literal(R"(,"pageInfo":)") && readPageInfo(r, &page->pageInfo)
            && r.literal(R"(,"backendId":)") && r.string(&page->backendId) && r.literal("}");
}

} // namespace

std::optional<PullChunkFrame> readPullChunkFrame(QByteArrayView json)
{
    Reader r(json);
    PullChunkFrame frame;
    if (!r.literal(R"({"_tag":"Chunk","requestId":)") || !r.requestId(&frame.requestId)
        || !r.literal(R"(,"values":[)"))
        return std::nullopt;
    do {
        PullResponse page;
        if (!readPage(r, &page))
            return std::nullopt;
        frame.pages.append(std::move(page));
    } while (r.literal(","));
    if (!r.literal("]}") || !r.atEnd())
        return std::nullopt;
    return frame;
}

QVariantMap pulledArgs(const Event &event, EventLineParser &parser)
{
    if (!event.hasArgs())
        return {};
    if (std::optional<QVariantMap> args = parser.parseArgs(event.argsJson))
        return std::move(*args);
    const QJsonValue args = event.args();
    return args.isObject() ? args.toObject().toVariantMap() : QVariantMap();
}

} // namespace LiveStore::Wire
