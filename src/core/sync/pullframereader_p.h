// SPDX-License-Identifier: BSD-3-Clause
// Internal: reads a page of pulled events (a `Chunk` frame of a pull) in its usual spelling in one
// pass, without a QJsonDocument.
//
// Why: a pulled page is the frame a client reads most, and the general path parses it with
// QJsonDocument, finds each value's text again, and decodes the page from the parsed values: a
// quarter of a racing client's instructions (callgrind, 10 clients). This reader validates the
// frame as it goes and gives the decoded pages directly. It reads only the spelling our server and
// sync-cf 0.4.0 write (see docs/protocol.md): keys in their order, no whitespace outside `args`,
// strings without escapes outside `args`. Everything else, valid or not, it declines, and the
// general path (parseServerFrame() and decodePullResponse()) decides, with its own messages.
// Exported for tests and fuzzing (private API, not installed).
#ifndef LIVESTORE_PULLFRAMEREADER_P_H
#define LIVESTORE_PULLFRAMEREADER_P_H

#include "livestore_export.h"
#include "wireprotocol.h"

#include <QtCore/qbytearrayview.h>

#include <optional>

namespace LiveStore {
class EventLineParser;
}

namespace LiveStore::Wire {

// A `Chunk` whose values are pull responses, as parseServerFrame() and decodePullResponse() give
// them (the request id normalized as readRequestId() does).
struct LIVESTORE_EXPORT PullChunkFrame
{
    QString requestId;
    QList<PullResponse> pages;
};

// The pages in `json`, or nullopt when `json` is not a chunk of pull responses in the usual
// spelling (then the general path must read it; nullopt says nothing about whether it is valid).
LIVESTORE_EXPORT std::optional<PullChunkFrame> readPullChunkFrame(QByteArrayView json);

// A pulled event's args as Event::toRecord() makes them (an object's members; nothing for any
// other value), read with the import's strict reader where it can (`parser` shares their keys
// from event to event), else with Qt. What the client uses for the pages read above.
LIVESTORE_EXPORT QVariantMap pulledArgs(const Event &event, EventLineParser &parser);

} // namespace LiveStore::Wire

#endif // LIVESTORE_PULLFRAMEREADER_P_H
