// SPDX-License-Identifier: BSD-3-Clause
// Internal: reads a WebSocket push frame in its usual spelling in one pass, without a QJsonDocument.
//
// Why: a push is the frame a sync server reads most after Acks, and the general path parses it
// three times (the frame with QJsonDocument, then the payload's raw text, then each event's) and
// builds QJsonValues it then throws away. This reader validates the frame as it goes and gives
// the decoded push directly. It reads only the spelling clients write (the keys of the payload and
// of each event in the order encodePushRequestPayload() and encodeEvent() use, and LiveStore's
// clients too; no whitespace outside `args`; strings without escapes) and declines everything
// else, valid or not, so the general path (parseClientFrame() and decodePushRequest()) still
// decides every error and every unusual frame, with its own messages.
// Exported for the sync server (private API, not installed).
#ifndef LIVESTORE_PUSHFRAMEREADER_P_H
#define LIVESTORE_PUSHFRAMEREADER_P_H

#include "livestore_export.h"
#include "wireprotocol.h"

#include <QtCore/qbytearrayview.h>

#include <optional>

namespace LiveStore::Wire {

// A `SyncWsRpc.Push` request as parseClientFrame() and decodePushRequest() give it. The request's
// `payload` is left Undefined (the point is not to build it); its `payloadJson` is set.
struct LIVESTORE_EXPORT PushFrame
{
    Request request;
    PushRequest push;
};

// The push in `json`, or nullopt when `json` is not a push frame in the usual spelling (then the
// general path must read it; nullopt says nothing about whether the frame is valid).
LIVESTORE_EXPORT std::optional<PushFrame> readPushFrame(QByteArrayView json);

} // namespace LiveStore::Wire

#endif // LIVESTORE_PUSHFRAMEREADER_P_H
