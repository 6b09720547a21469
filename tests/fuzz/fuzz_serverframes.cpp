// SPDX-License-Identifier: BSD-3-Clause
// What a sync client reads from a server: a frame, and inside a Chunk the pull responses with
// their events, down to each event's arguments as the store would take them. The client reads a
// page in its usual spelling with a one-pass reader (Wire::readPullChunkFrame) instead: whenever
// that reader takes a frame, the general path must take it too and give the same pages, or the
// target aborts.
#include "fuzztarget.h"

#include <schema.h>
#include <sync/pullframereader_p.h>
#include <sync/wireprotocol.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

#include <cstdio>
#include <cstdlib>

using namespace LiveStore;

namespace {

[[noreturn]] void mismatch(const char *what)
{
    std::fprintf(stderr, "readPullChunkFrame and the general path disagree: %s\n", what);
    std::abort();
}

void compareWithGeneralPath(const Wire::PullChunkFrame &fast, const std::optional<Wire::ServerFrame> &frame)
{
    if (!frame || frame->type != Wire::ServerFrame::Type::Chunk)
        mismatch("the general parse refuses the frame, or it is not a chunk");
    if (frame->requestId != fast.requestId || frame->valuesJson.size() != fast.pages.size())
        mismatch("the request id or the number of pages");
    for (qsizetype p = 0; p < fast.pages.size(); ++p) {
        QString error;
        const auto page = Wire::decodePullResponse(frame->valuesJson.at(p), frame->values.at(p).toObject(), &error);
        if (!page)
            mismatch("the general decode refuses a page");
        const Wire::PullResponse &f = fast.pages.at(p);
        if (f.backendId != page->backendId || !(f.pageInfo == page->pageInfo) || f.batch != page->batch)
            mismatch("a page");
        for (qsizetype i = 0; i < f.batch.size(); ++i) {
            if (f.batch.at(i).event.hasArgs() != page->batch.at(i).event.hasArgs())
                mismatch("an event's args");
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const auto frame = Wire::parseServerFrame(input, &error);
    if (const auto fast = Wire::readPullChunkFrame(input))
        compareWithGeneralPath(*fast, frame);
    if (!frame)
        return 0;
    for (const QByteArray &value : frame->valuesJson) {
        const auto response = Wire::decodePullResponse(value, &error);
        if (!response)
            continue;
        for (const Wire::PulledEvent &e : response->batch) {
            const EventRecord record = e.event.toRecord();
            (void)record.toJson();
        }
    }
    // A push's refusal: the typed error the client acts on (ServerAhead, BackendIdMismatch...).
    if (frame->type == Wire::ServerFrame::Type::Exit && !frame->exit.success
        && frame->exit.cause.kind == Wire::Cause::Kind::Fail) {
        const QJsonValue encoded = QJsonDocument::fromJson("[" + frame->exit.cause.errorJson + "]").array().at(0);
        if (const auto syncError = Wire::decodeSyncError(encoded, &error))
            (void)Wire::describeSyncError(*syncError);
    }
    return 0;
}
