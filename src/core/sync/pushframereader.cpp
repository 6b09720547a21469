// SPDX-License-Identifier: BSD-3-Clause
#include "pushframereader_p.h"

#include "onepassjson_p.h"

#include <QtCore/qstring.h>

namespace LiveStore::Wire {

namespace {

using OnePass::Reader;
using OnePass::readEvent;

// {"storeId":…,"batch":[…],"backendId":{"_tag":"None"} or {"_tag":"Some","value":…}}; a sync
// `payload` (rare, and any JSON) is left to the general path.
bool readPushPayload(Reader &r, PushRequest *push)
{
    if (!r.literal(R"({"storeId":)") || !r.string(&push->storeId) || !r.literal(R"(,"batch":[)"))
        return false;
    if (!r.literal("]")) {
        do {
            Event event;
            if (!readEvent(r, &event))
                return false;
            push->batch.append(std::move(event));
        } while (r.literal(","));
        if (!r.literal("]"))
            return false;
    }
    if (!r.literal(R"(,"backendId":)"))
        return false;
    if (r.literal(R"({"_tag":"Some","value":)")) {
        QString backendId;
        if (!r.string(&backendId) || !r.literal("}"))
            return false;
        push->backendId = std::move(backendId);
    } else if (!r.literal(R"({"_tag":"None"})")) {
        return false;
    }
    return r.literal("}");
}

// [["name","value"],…]
bool readHeaders(Reader &r, QList<std::pair<QString, QString>> *headers)
{
    if (!r.literal("["))
        return false;
    if (r.literal("]"))
        return true;
    do {
        std::pair<QString, QString> header;
        if (!r.literal("[") || !r.string(&header.first) || !r.literal(",")
            || !r.string(&header.second) || !r.literal("]"))
            return false;
        headers->append(std::move(header));
    } while (r.literal(","));
    return r.literal("]");
}

} // namespace

std::optional<PushFrame> readPushFrame(QByteArrayView json)
{
    Reader r(json);
    PushFrame frame;
    Request &request = frame.request;
    if (!r.literal(R"({"_tag":"Request","id":)") || !r.requestId(&request.id)
        || !r.literal(R"(,"tag":"SyncWsRpc.Push")"))
        return std::nullopt;
    request.tag = WsPushTag.toString();

    // The request's own members come in either order clients use (ours: payload first; LiveStore's
    // pull puts traceId before it), each at most once.
    bool payload = false;
    bool traceId = false;
    bool spanId = false;
    bool sampled = false;
    bool headers = false;
    while (r.literal(",")) {
        if (!payload && r.literal(R"("payload":)")) {
            payload = true;
            const qsizetype start = r.pos();
            if (!readPushPayload(r, &frame.push))
                return std::nullopt;
            request.payloadJson = r.from(start).toByteArray();
        } else if (!traceId && r.literal(R"("traceId":)")) {
            traceId = true;
            if (!r.string(&request.traceId))
                return std::nullopt;
        } else if (!spanId && r.literal(R"("spanId":)")) {
            spanId = true;
            if (!r.string(&request.spanId))
                return std::nullopt;
        } else if (!sampled && r.literal(R"("sampled":)")) {
            sampled = true;
            if (r.literal("true"))
                request.sampled = true;
            else if (r.literal("false"))
                request.sampled = false;
            else
                return std::nullopt;
        } else if (!headers && r.literal(R"("headers":)")) {
            headers = true;
            if (!readHeaders(r, &request.headers))
                return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    if (!payload || !r.literal("}") || !r.atEnd())
        return std::nullopt;
    return frame;
}

} // namespace LiveStore::Wire
