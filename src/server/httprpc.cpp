// SPDX-License-Identifier: BSD-3-Clause
#include "httprpc_p.h"

#include "pullpager_p.h"
#include "serverlogging_p.h"
#include "storehubregistry_p.h"

#include <sync/rawjson_p.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

struct Batch
{
    QList<QByteArray> frames;
    qint64 bytes = 2;    // the brackets
    bool hasPage = false; // a pull page is in the response

    void add(const QByteArray &frame)
    {
        bytes += frame.size() + 1;
        frames.append(frame);
    }
    QByteArray json() const
    {
        QByteArray out = "[";
        for (qsizetype i = 0; i < frames.size(); ++i) {
            if (i)
                out += ',';
            out += frames.at(i);
        }
        out += ']';
        return out;
    }
};

QByteArray storageFailure(const QString &requestId, const QString &error)
{
    return Wire::encodeExitFailure(
            requestId, Wire::Cause::fail(Wire::UnknownError{u"StorageError"_s, error, {}}));
}

void runRequest(const Wire::Request &request, const RequestInfo &info, StoreHubRegistry *registry,
                const HttpRpcLimits &limits, Batch *out)
{
    if (request.tag == Wire::HttpPingTag) {
        out->add(Wire::encodeExitSuccess(request.id, R"({"_tag":"SyncMessage.Pong"})"));
        return;
    }
    const bool isPull = request.tag == Wire::HttpPullTag;
    const bool isPush = request.tag == Wire::HttpPushTag;
    if (!isPull && !isPush) {
        out->add(Wire::encodeDefect(u"Unknown request tag: "_s + request.tag.left(200)));
        return;
    }
    QString error;
    std::optional<Wire::PullRequest> pull;
    std::optional<Wire::PushRequest> push;
    if (isPull)
        pull = Wire::decodePullRequest(request, &error);
    else
        push = Wire::decodePushRequest(request, &error);
    if (!pull && !push) {
        out->add(Wire::encodeExitFailure(request.id, Wire::Cause::die(error)));
        return;
    }
    const QString storeId = pull ? pull->storeId : push->storeId;
    if (storeId != info.storeId) {
        out->add(Wire::encodeExitFailure(
                request.id, Wire::Cause::die(u"the request is for store \"%1\" but the URL names "
                                             u"store \"%2\""_s.arg(storeId.left(200), info.storeId))));
        return;
    }
    const QSharedPointer<StoreHub> hub = registry->hub(storeId, &error);
    if (!hub) {
        out->add(storageFailure(request.id, error));
        return;
    }
    if (push) {
        if (const auto refused = hub->push(*push, info))
            out->add(Wire::encodeExitFailure(request.id, Wire::Cause::fail(*refused)));
        else
            out->add(Wire::encodeExitSuccess(request.id, Wire::encodePushAck()));
        return;
    }
    if (const auto refused = hub->admitPull(*pull, info)) {
        out->add(Wire::encodeExitFailure(request.id, Wire::Cause::fail(*refused)));
        return;
    }
    PullPager pager(hub->storage(), storeId, hub->backendId(),
                    pull->cursor ? pull->cursor->eventSequenceNumber : 0, hub->head());
    if (!pager.start(&error)) {
        out->add(storageFailure(request.id, error));
        return;
    }
    // The response is built in memory, and a pull from the start of a big store is the whole
    // store: so it stops at the response limit (after its first page at least, so that every
    // pull makes progress), and the client's next poll continues from the last event it got.
    bool sentPage = false;
    while (!pager.atEnd()) {
        const auto page = pager.next(&error);
        if (!page) {
            out->add(storageFailure(request.id, error));
            return;
        }
        const QByteArray chunk = Wire::encodeChunk(request.id, {page->json});
        if (out->hasPage && limits.maxResponseBytes > 0
            && out->bytes + chunk.size() > limits.maxResponseBytes) {
            if (!sentPage) {
                // A pull must send a page before it ends; this one, behind other pulls of the
                // same request, has no room left for one.
                out->add(Wire::encodeExitFailure(
                        request.id,
                        Wire::Cause::fail(Wire::UnknownError{
                                u"ResponseTooLarge"_s,
                                u"the response reached its limit of %1 bytes before this pull; "
                                u"send it in a request of its own"_s.arg(limits.maxResponseBytes),
                                {}})));
                return;
            }
            break;
        }
        out->add(chunk);
        out->hasPage = true;
        sentPage = true;
    }
    out->add(Wire::encodeExitSuccess(request.id));
}

} // namespace

HttpRpcResponse handleHttpRpc(QByteArrayView body, const RequestInfo &info,
                              StoreHubRegistry *registry, const HttpRpcLimits &limits)
{
    // One frame, or an array of them.
    QList<QByteArrayView> frames;
    const QByteArrayView trimmed = Wire::RawJson::trimmed(body);
    if (trimmed.startsWith('[')) {
        const auto elements = Wire::RawJson::elements(trimmed);
        if (!elements)
            return {400, "[" + Wire::encodeDefect(u"the request body is not valid JSON"_s) + "]"};
        frames = *elements;
        // Every frame may be a pull with a response of its own: their number is what a small
        // body could multiply.
        if (limits.maxFrames > 0 && frames.size() > limits.maxFrames) {
            qCInfo(lcWire).noquote() << "HTTP RPC request refused:" << u"store="_s + logId(info.storeId)
                                     << u"frames="_s + QString::number(frames.size());
            return {400, "[" + Wire::encodeDefect(u"a request may carry at most %1 frames, this one has %2"_s.arg(
                                     QString::number(limits.maxFrames), QString::number(frames.size())))
                            + "]"};
        }
    } else {
        frames.append(trimmed);
    }
    // Every frame is read before any runs: a request refused for a bad frame has done nothing
    // (a push that ran before it would be stored, its answer lost with the 400).
    QList<Wire::ClientFrame> parsed;
    parsed.reserve(frames.size());
    for (QByteArrayView frameJson : frames) {
        QString error;
        auto frame = Wire::parseClientFrame(frameJson, &error);
        if (!frame) {
            qCInfo(lcWire).noquote() << "bad HTTP RPC frame:" << u"store="_s + logId(info.storeId)
                                     << u"error="_s + logRedacted(error);
            return {400, "[" + Wire::encodeDefect(error) + "]"};
        }
        parsed.append(std::move(*frame));
    }
    Batch out;
    for (const Wire::ClientFrame &frame : std::as_const(parsed)) {
        if (frame.type == Wire::ClientFrame::Type::Request)
            runRequest(frame.request, info, registry, limits, &out);
        else if (frame.type == Wire::ClientFrame::Type::Ping)
            out.add(Wire::encodePong());
        // Ack, Interrupt and Eof mean nothing without a stream to apply them to.
    }
    return {200, out.json()};
}

} // namespace LiveStore
