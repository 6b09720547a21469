// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_WIREPROTOCOL_H
#define LIVESTORE_WIREPROTOCOL_H

// The sync wire protocol of LiveStore 0.4.0 (`@livestore/sync-cf`): Effect-RPC frames carried as
// JSON text over a WebSocket (or POSTed over HTTP), and the sync payloads inside them. Shared by the
// sync server and the sync client. docs/protocol.md describes the protocol in full.
//
// Encoding goes through our own writer rather than QJsonDocument for two reasons: the key order of
// the frames matches what the real server sends (clients compare echoed events key by key after a
// JSON round trip, and the black-box checker compares whole event objects as text), and an event's
// `args` is kept as the exact JSON text that arrived, so the server echoes events byte for byte.
// Decoding validates with QJsonDocument and then reads `args` spans straight from the frame text.

#include "livestore_export.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace LiveStore {

struct EventRecord;

namespace Wire {

// What one PullResponse (and one push) may hold: at most this many events and this many bytes of
// JSON. The real server splits pages this way; its frames must stay under workerd's ~1 MiB limit.
inline constexpr int MaxEventsPerMessage = 100;
inline constexpr qsizetype MaxMessageBytes = 900'000;

// RPC names.
inline constexpr QStringView WsPullTag = u"SyncWsRpc.Pull";
inline constexpr QStringView WsPushTag = u"SyncWsRpc.Push";
inline constexpr QStringView HttpPullTag = u"SyncHttpRpc.Pull";
inline constexpr QStringView HttpPushTag = u"SyncHttpRpc.Push";
inline constexpr QStringView HttpPingTag = u"SyncHttpRpc.Ping";

// ---------------------------------------------------------------------------------------------
// Sync payloads

// A synced event in its global form (`LiveStoreEvent.Global.Encoded`). Only the global part of a
// sequence number travels; the first event is seqNum 1 with parentSeqNum 0.
struct LIVESTORE_EXPORT Event
{
    QString name;
    QByteArray argsJson; // the JSON text of `args` exactly as received; null: no `args` key
    qint64 seqNum = 0;
    qint64 parentSeqNum = 0;
    QString clientId;
    QString sessionId;

    bool hasArgs() const { return !argsJson.isNull(); }
    QJsonValue args() const; // Undefined without args

    // Conversions to and from the local eventlog record (global numbers only).
    static Event fromRecord(const EventRecord &record);
    EventRecord toRecord() const;
    // The same with `args` already parsed (the frame it came in was), not parsed again.
    EventRecord toRecord(const QJsonValue &parsedArgs) const;

    friend bool operator==(const Event &, const Event &) = default;
};

// `SyncMessage.SyncMetadata`: informational, the time the server accepted the push.
struct LIVESTORE_EXPORT SyncMetadata
{
    QString createdAt; // ISO 8601, UTC, milliseconds ("2026-11-25T15:15:44.888Z")
    friend bool operator==(const SyncMetadata &, const SyncMetadata &) = default;
};

struct LIVESTORE_EXPORT PulledEvent
{
    Event event;
    std::optional<SyncMetadata> metadata;
    friend bool operator==(const PulledEvent &, const PulledEvent &) = default;
};

struct LIVESTORE_EXPORT PageInfo
{
    enum class Kind { MoreUnknown, MoreKnown, NoMore };
    Kind kind = Kind::NoMore;
    qint64 remaining = 0; // MoreKnown: events after this page

    static PageInfo noMore() { return {}; }
    static PageInfo moreKnown(qint64 remaining) { return {Kind::MoreKnown, remaining}; }
    static PageInfo moreUnknown() { return {Kind::MoreUnknown, 0}; }
    friend bool operator==(const PageInfo &, const PageInfo &) = default;
};

struct LIVESTORE_EXPORT PullResponse
{
    QList<PulledEvent> batch;
    PageInfo pageInfo;
    QString backendId;
};

struct LIVESTORE_EXPORT PullCursor
{
    QString backendId;
    qint64 eventSequenceNumber = 0; // the pull returns events strictly after this one
};

struct LIVESTORE_EXPORT PullRequest
{
    QString storeId;
    QJsonValue payload = QJsonValue::Undefined; // the client's syncPayload; Undefined if absent
    bool live = false;                          // always false over HTTP
    std::optional<PullCursor> cursor;           // None: from the beginning
};

struct LIVESTORE_EXPORT PushRequest
{
    QString storeId;
    QJsonValue payload = QJsonValue::Undefined;
    QList<Event> batch;
    std::optional<QString> backendId; // None until the client has seen one
};

// ---------------------------------------------------------------------------------------------
// Typed errors, as `Schema.TaggedError`s put them on the wire

struct LIVESTORE_EXPORT ServerAheadError
{
    qint64 minimumExpectedNum = 0; // the server's head
    qint64 providedNum = 0;        // the batch's first parentSeqNum
    friend bool operator==(const ServerAheadError &, const ServerAheadError &) = default;
};

struct LIVESTORE_EXPORT BackendIdMismatchError
{
    QString expected; // the server's backend id
    QString received; // the client's
    friend bool operator==(const BackendIdMismatchError &, const BackendIdMismatchError &) = default;
};

// `UnknownError{cause: {name, message}, note?}`: everything else. Clients retry pushes failing
// with it (with backoff).
struct LIVESTORE_EXPORT UnknownError
{
    QString name = QStringLiteral("Error");
    QString message;
    QString note; // optional; omitted when empty
    friend bool operator==(const UnknownError &, const UnknownError &) = default;
};

using SyncError = std::variant<ServerAheadError, BackendIdMismatchError, UnknownError>;

LIVESTORE_EXPORT QByteArray encodeSyncError(const SyncError &error);
LIVESTORE_EXPORT std::optional<SyncError> decodeSyncError(const QJsonValue &error,
                                                          QString *errorString = nullptr);
// One line for logs and error strings.
LIVESTORE_EXPORT QString describeSyncError(const SyncError &error);

// ---------------------------------------------------------------------------------------------
// Effect RPC envelope

// Why an RPC failed (Effect's `Cause`). Only what this protocol uses is modelled in detail;
// Sequential/Parallel keep their two children.
struct LIVESTORE_EXPORT Cause
{
    enum class Kind { Empty, Fail, Die, Interrupt, Sequential, Parallel };
    Kind kind = Kind::Empty;
    QByteArray errorJson;      // Fail: the encoded typed error
    QJsonValue defect;         // Die: usually a human-readable string
    qint64 fiberId = -499;     // Interrupt: -499 is what the real server reports for a client interrupt
    std::vector<Cause> children; // Sequential/Parallel: left, right

    static Cause fail(const SyncError &error);
    static Cause die(const QString &message);
    static Cause interrupt(qint64 fiberId = -499);

    // The first typed error in the cause, if any (depth first, left to right).
    std::optional<SyncError> failure() const;
    bool isInterrupted() const;
    QString toString() const;
};

struct LIVESTORE_EXPORT Request
{
    QString id;  // a decimal integer, normalised (no leading zeros)
    QString tag; // "SyncWsRpc.Pull", ...
    QJsonValue payload = QJsonValue::Undefined;
    QByteArray payloadJson; // the payload's raw text in the frame (to read event args verbatim)
    QList<std::pair<QString, QString>> headers;
    QString traceId;
    QString spanId;
    std::optional<bool> sampled;
};

// A frame from client to server.
struct LIVESTORE_EXPORT ClientFrame
{
    enum class Type { Request, Ack, Interrupt, Ping, Eof };
    Type type = Type::Ping;
    Request request;   // Type::Request
    QString requestId; // Ack, Interrupt
};

struct LIVESTORE_EXPORT Exit
{
    bool success = true;
    QByteArray valueJson; // Success: the value's JSON, null when the frame carried none
    Cause cause;          // Failure
};

// A frame from server to client.
struct LIVESTORE_EXPORT ServerFrame
{
    enum class Type { Chunk, Exit, Defect, Pong };
    Type type = Type::Pong;
    QString requestId;            // Chunk, Exit
    QList<QByteArray> valuesJson; // Chunk: each stream item's JSON text
    QJsonArray values;            // Chunk: the same items as parsed with the frame
    Wire::Exit exit;              // Exit
    QJsonValue defect;            // Defect
};

// Parsing fails with a message naming what is wrong: not JSON, not an object, a missing or unknown
// `_tag`, a request id that is not a decimal integer, a missing field.
LIVESTORE_EXPORT std::optional<ClientFrame> parseClientFrame(QByteArrayView json,
                                                             QString *errorString);
LIVESTORE_EXPORT std::optional<ServerFrame> parseServerFrame(QByteArrayView json,
                                                             QString *errorString);

// Request ids are decimal integers carried as strings (the real server parses them as BigInt).
LIVESTORE_EXPORT bool isValidRequestId(QStringView id);

// Client → server frames.
LIVESTORE_EXPORT QByteArray encodeRequest(const Request &request);
LIVESTORE_EXPORT QByteArray encodeAck(QStringView requestId);
LIVESTORE_EXPORT QByteArray encodeInterrupt(QStringView requestId);
LIVESTORE_EXPORT QByteArray encodePing();

// Server → client frames.
LIVESTORE_EXPORT QByteArray encodePong();
LIVESTORE_EXPORT QByteArray encodeChunk(QStringView requestId, const QList<QByteArray> &valuesJson);
// Success with a value (`valueJson`), or without one (stream end) when `valueJson` is null.
LIVESTORE_EXPORT QByteArray encodeExitSuccess(QStringView requestId,
                                              const QByteArray &valueJson = QByteArray());
LIVESTORE_EXPORT QByteArray encodeExitFailure(QStringView requestId, const Cause &cause);
LIVESTORE_EXPORT QByteArray encodeDefect(const QString &message);
LIVESTORE_EXPORT QByteArray encodeCause(const Cause &cause);
LIVESTORE_EXPORT std::optional<Cause> decodeCause(const QJsonValue &cause, QString *errorString);

// ---------------------------------------------------------------------------------------------
// Payload codecs

// Effect Schema's Option: {"_tag":"None"} or {"_tag":"Some","value":…}.
LIVESTORE_EXPORT QByteArray encodeNone();
LIVESTORE_EXPORT QByteArray encodeSome(QByteArrayView valueJson);
// Returns false (with a message) when `option` is not a valid Option; otherwise sets `*value` to
// the Some value, or to nullopt for None.
LIVESTORE_EXPORT bool decodeOption(const QJsonValue &option, std::optional<QJsonValue> *value,
                                   QString *errorString);

LIVESTORE_EXPORT QByteArray encodeEvent(const Event &event);
// `raw` is the event object's JSON text (its `args` is kept verbatim from it).
LIVESTORE_EXPORT std::optional<Event> decodeEvent(QByteArrayView raw, QString *errorString);

LIVESTORE_EXPORT QByteArray encodeSyncMetadata(const SyncMetadata &metadata);
LIVESTORE_EXPORT QByteArray encodePageInfo(const PageInfo &pageInfo);
LIVESTORE_EXPORT QByteArray encodePulledEvent(const PulledEvent &event);
LIVESTORE_EXPORT QByteArray encodePullResponse(const PullResponse &response);
// A PullResponse from items already encoded with encodePulledEvent().
LIVESTORE_EXPORT QByteArray encodePullResponse(const QList<QByteArray> &encodedItems,
                                               qsizetype from, qsizetype count,
                                               const PageInfo &pageInfo, const QString &backendId);
LIVESTORE_EXPORT std::optional<PullResponse> decodePullResponse(QByteArrayView raw,
                                                                QString *errorString);
// The same for a page whose JSON was parsed already (ServerFrame::values): `parsed` is `raw` as
// parsed, and is not parsed again.
LIVESTORE_EXPORT std::optional<PullResponse> decodePullResponse(QByteArrayView raw,
                                                                const QJsonObject &parsed,
                                                                QString *errorString);

// The RPC payloads; decoding reads the request's payload (and its raw text for event args).
LIVESTORE_EXPORT QByteArray encodePullRequestPayload(const PullRequest &request);
LIVESTORE_EXPORT QByteArray encodePushRequestPayload(const PushRequest &request);
LIVESTORE_EXPORT std::optional<PullRequest> decodePullRequest(const Request &request,
                                                              QString *errorString);
LIVESTORE_EXPORT std::optional<PushRequest> decodePushRequest(const Request &request,
                                                              QString *errorString);
// PushAck is the empty object.
LIVESTORE_EXPORT QByteArray encodePushAck();

// ---------------------------------------------------------------------------------------------
// Paging

// Splits encoded PullResponse items into pages of at most `maxEvents` items whose PullResponse JSON
// (including `backendId` and the longest possible pageInfo) stays within `maxBytes`. Returns the
// number of items of each page, in order. An item too large for any page gets a page of its own.
// No items give no pages.
LIVESTORE_EXPORT QList<qsizetype> splitPages(const QList<QByteArray> &encodedItems,
                                             qsizetype backendIdSize,
                                             int maxEvents = MaxEventsPerMessage,
                                             qsizetype maxBytes = MaxMessageBytes);

// Splits `events` into encoded PullResponses. With `remainingAfter` (events still to come after
// these) pages count down as a catch-up does: MoreKnown{remaining} while anything remains, NoMore
// on the page that ends it. Without it every page says NoMore, as live broadcasts do. No events
// give one empty page.
LIVESTORE_EXPORT QList<QByteArray> encodePullResponsePages(const QList<PulledEvent> &events,
                                                           const QString &backendId,
                                                           std::optional<qint64> remainingAfter,
                                                           int maxEvents = MaxEventsPerMessage,
                                                           qsizetype maxBytes = MaxMessageBytes);

// The current time as SyncMetadata wants it: ISO 8601 UTC with milliseconds and a 'Z'.
LIVESTORE_EXPORT QString isoTimestamp();

} // namespace Wire
} // namespace LiveStore

#endif // LIVESTORE_WIREPROTOCOL_H
