// SPDX-License-Identifier: BSD-3-Clause
// What a sync server reads from a client: a frame, and a pull or push request inside it, with
// the pushed events' arguments. The server reads a push in its usual spelling with a one-pass
// reader (Wire::readPushFrame) instead: whenever that reader takes a frame, the general path must
// take it too and give the same push, or the target aborts.
#include "fuzztarget.h"

#include <sync/pushframereader_p.h>
#include <sync/wireprotocol.h>

#include <QtCore/qbytearrayview.h>

#include <cstdio>
#include <cstdlib>

using namespace LiveStore;

namespace {

[[noreturn]] void mismatch(const char *what)
{
    std::fprintf(stderr, "readPushFrame and the general path disagree: %s\n", what);
    std::abort();
}

void compareWithGeneralPath(const Wire::PushFrame &fast, const std::optional<Wire::ClientFrame> &frame)
{
    if (!frame || frame->type != Wire::ClientFrame::Type::Request)
        mismatch("the general parse refuses the frame, or it is not a request");
    const Wire::Request &g = frame->request;
    const Wire::Request &f = fast.request;
    if (g.tag != Wire::WsPushTag || f.tag != g.tag || f.id != g.id)
        mismatch("id or tag");
    if (f.headers != g.headers || f.traceId != g.traceId || f.spanId != g.spanId
        || f.sampled != g.sampled || f.payloadJson != g.payloadJson)
        mismatch("the request's members");
    QString error;
    const auto push = Wire::decodePushRequest(g, &error);
    if (!push)
        mismatch("the general decode refuses the push");
    if (fast.push.storeId != push->storeId || fast.push.backendId != push->backendId
        || !push->payload.isUndefined() || fast.push.batch != push->batch)
        mismatch("the push");
    for (qsizetype i = 0; i < push->batch.size(); ++i) {
        if (fast.push.batch.at(i).hasArgs() != push->batch.at(i).hasArgs())
            mismatch("an event's args");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const auto frame = Wire::parseClientFrame(input, &error);
    if (const auto fast = Wire::readPushFrame(input))
        compareWithGeneralPath(*fast, frame);
    if (!frame || frame->type != Wire::ClientFrame::Type::Request)
        return 0;
    if (const auto pull = Wire::decodePullRequest(frame->request, &error))
        (void)pull->storeId;
    if (const auto push = Wire::decodePushRequest(frame->request, &error)) {
        for (const Wire::Event &e : push->batch)
            (void)Wire::encodeEvent(e);
    }
    return 0;
}
