// SPDX-License-Identifier: BSD-3-Clause
// What a sync client reads from a server: a frame, and inside a Chunk the pull responses with
// their events, down to each event's arguments as the store would take them.
#include "fuzztarget.h"

#include <schema.h>
#include <sync/wireprotocol.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

using namespace LiveStore;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const auto frame = Wire::parseServerFrame(input, &error);
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
