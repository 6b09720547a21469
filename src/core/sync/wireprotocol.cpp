// SPDX-License-Identifier: BSD-3-Clause
// The sync payloads of the wire codec: events, sync errors, pull and push requests and
// responses, page splitting. The Effect RPC frames around them are in wireframes.cpp.
#include "wireprotocol.h"

#include "../jsonwriter_p.h"
#include "rawjson_p.h"
#include "schema.h"
#include "wirejson_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

using namespace Qt::StringLiterals;

namespace LiveStore::Wire {

using namespace detail;

namespace {

std::optional<Event> decodeEventObject(const QJsonObject &o, QByteArrayView raw,
                                       const Where &path, QString *errorString)
{
    Event e;
    if (!readString(o, "name"_L1, &e.name, errorString, path))
        return std::nullopt;
    if (e.name.isEmpty()) {
        setError(errorString, path + u".name must not be empty"_s);
        return std::nullopt;
    }
    if (!readIntegerField(o, "seqNum"_L1, &e.seqNum, errorString, path)
        || !readIntegerField(o, "parentSeqNum"_L1, &e.parentSeqNum, errorString, path))
        return std::nullopt;
    if (e.seqNum < 0 || e.parentSeqNum < 0) {
        setError(errorString, path + u": sequence numbers must not be negative"_s);
        return std::nullopt;
    }
    if (!readString(o, "clientId"_L1, &e.clientId, errorString, path)
        || !readString(o, "sessionId"_L1, &e.sessionId, errorString, path))
        return std::nullopt;
    if (o.contains("args"_L1)) {
        const auto args = RawJson::member(raw, "args"_L1);
        if (!args) {
            setError(errorString, path + u".args could not be read"_s);
            return std::nullopt;
        }
        e.argsJson = toBytes(*args);
    }
    return e;
}

std::optional<PageInfo> decodePageInfo(const QJsonValue &value, QString *errorString)
{
    const QJsonObject o = value.toObject();
    const QString tag = o.value("_tag"_L1).toString();
    if (tag == "NoMore"_L1)
        return PageInfo::noMore();
    if (tag == "MoreUnknown"_L1)
        return PageInfo::moreUnknown();
    if (tag == "MoreKnown"_L1) {
        qint64 remaining = 0;
        if (!readIntegerField(o, "remaining"_L1, &remaining, errorString, Where(u"pageInfo")))
            return std::nullopt;
        return PageInfo::moreKnown(remaining);
    }
    setError(errorString, u"pageInfo is not MoreKnown, MoreUnknown or NoMore: "_s
                                  + describeJson(value));
    return std::nullopt;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Event

QJsonValue Event::args() const
{
    if (argsJson.isNull())
        return QJsonValue::Undefined;
    const QByteArray wrapped = '[' + argsJson + ']';
    const QJsonArray array = QJsonDocument::fromJson(wrapped).array();
    return array.isEmpty() ? QJsonValue(QJsonValue::Undefined) : array.at(0);
}

Event Event::fromRecord(const EventRecord &record)
{
    Event e;
    e.name = record.name;
    if (!record.argsJson.isEmpty())
        e.argsJson = record.argsJson;
    else if (!record.args.isEmpty())
        e.argsJson = json::writeObject(record.args);
    e.seqNum = record.seqNum.global;
    e.parentSeqNum = record.parentSeqNum.global;
    e.clientId = record.clientId;
    e.sessionId = record.sessionId;
    return e;
}

EventRecord Event::toRecord() const
{
    return toRecord(args());
}

EventRecord Event::toRecord(const QJsonValue &parsedArgs) const
{
    EventRecord r;
    r.name = name;
    r.seqNum = {seqNum, 0, 0};
    r.parentSeqNum = {parentSeqNum, 0, 0};
    r.clientId = clientId;
    r.sessionId = sessionId;
    r.argsJson = argsJson;
    if (parsedArgs.isObject())
        r.args = parsedArgs.toObject().toVariantMap();
    return r;
}

QByteArray encodeEvent(const Event &event)
{
    QByteArray out;
    out.reserve(96 + event.argsJson.size() + event.name.size());
    out += '{';
    appendKey(out, "name", true);
    appendString(out, event.name);
    if (!event.argsJson.isNull()) {
        appendKey(out, "args");
        out += event.argsJson;
    }
    appendKey(out, "seqNum");
    out += QByteArray::number(event.seqNum);
    appendKey(out, "parentSeqNum");
    out += QByteArray::number(event.parentSeqNum);
    appendKey(out, "clientId");
    appendString(out, event.clientId);
    appendKey(out, "sessionId");
    appendString(out, event.sessionId);
    out += '}';
    return out;
}

std::optional<Event> decodeEvent(QByteArrayView raw, QString *errorString)
{
    const auto o = parseObject(raw, errorString, u"event"_s);
    if (!o)
        return std::nullopt;
    return decodeEventObject(*o, raw, Where(u"event"), errorString);
}

// ---------------------------------------------------------------------------------------------
// Errors

QByteArray encodeSyncError(const SyncError &error)
{
    QByteArray out;
    out += '{';
    if (const auto *e = std::get_if<ServerAheadError>(&error)) {
        appendKey(out, "minimumExpectedNum", true);
        out += QByteArray::number(e->minimumExpectedNum);
        appendKey(out, "providedNum");
        out += QByteArray::number(e->providedNum);
        appendKey(out, "_tag");
        out += "\"ServerAheadError\"";
    } else if (const auto *e = std::get_if<BackendIdMismatchError>(&error)) {
        appendKey(out, "expected", true);
        appendString(out, e->expected);
        appendKey(out, "received");
        appendString(out, e->received);
        appendKey(out, "_tag");
        out += "\"BackendIdMismatchError\"";
    } else if (const auto *e = std::get_if<UnknownError>(&error)) {
        appendKey(out, "cause", true);
        out += '{';
        appendKey(out, "name", true);
        appendString(out, e->name);
        appendKey(out, "message");
        appendString(out, e->message);
        out += '}';
        if (!e->note.isEmpty()) {
            appendKey(out, "note");
            appendString(out, e->note);
        }
        appendKey(out, "_tag");
        out += "\"UnknownError\"";
    }
    out += '}';
    return out;
}

std::optional<SyncError> decodeSyncError(const QJsonValue &value, QString *errorString)
{
    if (!value.isObject()) {
        setError(errorString, u"error is not an object: "_s + describeJson(value));
        return std::nullopt;
    }
    const QJsonObject o = value.toObject();
    const QString tag = o.value("_tag"_L1).toString();
    if (tag == "ServerAheadError"_L1) {
        ServerAheadError e;
        if (!readIntegerField(o, "minimumExpectedNum"_L1, &e.minimumExpectedNum, errorString)
            || !readIntegerField(o, "providedNum"_L1, &e.providedNum, errorString))
            return std::nullopt;
        return e;
    }
    if (tag == "BackendIdMismatchError"_L1) {
        BackendIdMismatchError e;
        if (!readString(o, "expected"_L1, &e.expected, errorString)
            || !readString(o, "received"_L1, &e.received, errorString))
            return std::nullopt;
        return e;
    }
    if (tag == "UnknownError"_L1) {
        UnknownError e;
        const QJsonValue cause = o.value("cause"_L1);
        if (cause.isObject()) {
            const QJsonObject c = cause.toObject();
            if (c.value("name"_L1).isString())
                e.name = c.value("name"_L1).toString();
            e.message = c.value("message"_L1).isString() ? c.value("message"_L1).toString()
                                                          : describeJson(cause);
        } else if (cause.isString()) {
            e.message = cause.toString();
        } else if (!cause.isUndefined()) {
            e.message = describeJson(cause);
        }
        e.note = o.value("note"_L1).toString();
        return e;
    }
    setError(errorString, u"unknown error _tag \"%1\""_s.arg(tag));
    return std::nullopt;
}

QString describeSyncError(const SyncError &error)
{
    if (const auto *e = std::get_if<ServerAheadError>(&error))
        return u"ServerAheadError (head %1, batch parent %2)"_s.arg(e->minimumExpectedNum)
                .arg(e->providedNum);
    if (const auto *e = std::get_if<BackendIdMismatchError>(&error))
        return u"BackendIdMismatchError (expected %1, received %2)"_s.arg(e->expected, e->received);
    const auto &e = std::get<UnknownError>(error);
    QString s = u"UnknownError (%1: %2)"_s.arg(e.name, e.message);
    if (!e.note.isEmpty())
        s += u" note: "_s + e.note;
    return s;
}

// ---------------------------------------------------------------------------------------------
// Payloads

QByteArray encodeNone()
{
    return R"({"_tag":"None"})";
}

QByteArray encodeSome(QByteArrayView valueJson)
{
    QByteArray out = R"({"_tag":"Some","value":)";
    out += valueJson;
    out += '}';
    return out;
}

bool decodeOption(const QJsonValue &option, std::optional<QJsonValue> *value, QString *errorString)
{
    const QJsonObject o = option.toObject();
    const QString tag = o.value("_tag"_L1).toString();
    if (option.isObject() && tag == "None"_L1) {
        *value = std::nullopt;
        return true;
    }
    if (option.isObject() && tag == "Some"_L1 && o.contains("value"_L1)) {
        *value = o.value("value"_L1);
        return true;
    }
    return setError(errorString, u"expected an Option ({\"_tag\":\"None\"} or "
                                 u"{\"_tag\":\"Some\",\"value\":…}), got "_s
                                         + describeJson(option));
}

QByteArray encodeSyncMetadata(const SyncMetadata &metadata)
{
    QByteArray out = R"({"_tag":"SyncMessage.SyncMetadata","createdAt":)";
    appendString(out, metadata.createdAt);
    out += '}';
    return out;
}

QByteArray encodePageInfo(const PageInfo &pageInfo)
{
    switch (pageInfo.kind) {
    case PageInfo::Kind::NoMore:
        return R"({"_tag":"NoMore"})";
    case PageInfo::Kind::MoreUnknown:
        return R"({"_tag":"MoreUnknown"})";
    case PageInfo::Kind::MoreKnown:
        return R"({"_tag":"MoreKnown","remaining":)" + QByteArray::number(pageInfo.remaining) + '}';
    }
    return {};
}

QByteArray encodePulledEvent(const PulledEvent &event)
{
    QByteArray out = R"({"eventEncoded":)";
    out += encodeEvent(event.event);
    out += R"(,"metadata":)";
    out += event.metadata ? encodeSome(encodeSyncMetadata(*event.metadata)) : encodeNone();
    out += '}';
    return out;
}

QByteArray encodePullResponse(const QList<QByteArray> &encodedItems, qsizetype from,
                              qsizetype count, const PageInfo &pageInfo, const QString &backendId)
{
    qsizetype size = 96 + backendId.size();
    for (qsizetype i = from; i < from + count; ++i)
        size += encodedItems.at(i).size() + 1;
    QByteArray out;
    out.reserve(size);
    out += R"({"batch":[)";
    for (qsizetype i = from; i < from + count; ++i) {
        if (i > from)
            out += ',';
        out += encodedItems.at(i);
    }
    out += R"(],"pageInfo":)";
    out += encodePageInfo(pageInfo);
    out += R"(,"backendId":)";
    appendString(out, backendId);
    out += '}';
    return out;
}

QByteArray encodePullResponse(const PullResponse &response)
{
    QList<QByteArray> items;
    items.reserve(response.batch.size());
    for (const PulledEvent &e : response.batch)
        items.append(encodePulledEvent(e));
    return encodePullResponse(items, 0, items.size(), response.pageInfo, response.backendId);
}

std::optional<PullResponse> decodePullResponse(QByteArrayView raw, QString *errorString)
{
    const auto o = parseObject(raw, errorString, u"PullResponse"_s);
    if (!o)
        return std::nullopt;
    return decodePullResponse(raw, *o, errorString);
}

std::optional<PullResponse> decodePullResponse(QByteArrayView raw, const QJsonObject &parsed,
                                               QString *errorString)
{
    const QJsonObject *o = &parsed;
    PullResponse response;
    if (!readString(*o, "backendId"_L1, &response.backendId, errorString, Where(u"PullResponse")))
        return std::nullopt;
    auto pageInfo = decodePageInfo(o->value("pageInfo"_L1), errorString);
    if (!pageInfo)
        return std::nullopt;
    response.pageInfo = *pageInfo;
    const QJsonArray batch = o->value("batch"_L1).toArray();
    const auto batchRaw = RawJson::member(raw, "batch"_L1);
    const auto itemsRaw = batchRaw ? RawJson::elements(*batchRaw) : std::nullopt;
    if (!o->value("batch"_L1).isArray() || !itemsRaw || itemsRaw->size() != batch.size()) {
        setError(errorString, u"PullResponse.batch must be an array"_s);
        return std::nullopt;
    }
    for (qsizetype i = 0; i < batch.size(); ++i) {
        const Where path(u"PullResponse.batch", i);
        const QJsonObject item = batch.at(i).toObject();
        const auto eventRaw = RawJson::member(itemsRaw->at(i), "eventEncoded"_L1);
        if (!item.value("eventEncoded"_L1).isObject() || !eventRaw) {
            setError(errorString, path + u".eventEncoded must be an object"_s);
            return std::nullopt;
        }
        PulledEvent pulled;
        auto event = decodeEventObject(item.value("eventEncoded"_L1).toObject(), *eventRaw,
                                       Where(u"PullResponse.batch", i, u".eventEncoded"), errorString);
        if (!event)
            return std::nullopt;
        pulled.event = std::move(*event);
        std::optional<QJsonValue> metadata;
        QString optionError;
        if (!decodeOption(item.value("metadata"_L1), &metadata, &optionError)) {
            setError(errorString, path + u".metadata: "_s + optionError);
            return std::nullopt;
        }
        // Other providers put their own cursors here; only sync-cf's SyncMetadata is modelled.
        if (metadata && metadata->toObject().value("createdAt"_L1).isString())
            pulled.metadata = SyncMetadata{metadata->toObject().value("createdAt"_L1).toString()};
        response.batch.append(std::move(pulled));
    }
    return response;
}

QByteArray encodePullRequestPayload(const PullRequest &request)
{
    QByteArray out = R"({"storeId":)";
    appendString(out, request.storeId);
    if (!request.payload.isUndefined()) {
        appendKey(out, "payload");
        appendJsonValue(out, request.payload);
    }
    appendKey(out, "live");
    out += request.live ? "true" : "false";
    appendKey(out, "cursor");
    if (request.cursor) {
        QByteArray cursor = R"({"backendId":)";
        appendString(cursor, request.cursor->backendId);
        appendKey(cursor, "eventSequenceNumber");
        cursor += QByteArray::number(request.cursor->eventSequenceNumber);
        cursor += '}';
        out += encodeSome(cursor);
    } else {
        out += encodeNone();
    }
    out += '}';
    return out;
}

namespace {

// The push payload around its events, which `appendEvents(out)` writes in order, comma-separated.
template<typename AppendEvents>
QByteArray pushRequestPayload(const PushRequest &request, AppendEvents &&appendEvents)
{
    QByteArray out = R"({"storeId":)";
    appendString(out, request.storeId);
    if (!request.payload.isUndefined()) {
        appendKey(out, "payload");
        appendJsonValue(out, request.payload);
    }
    appendKey(out, "batch");
    out += '[';
    appendEvents(out);
    out += ']';
    appendKey(out, "backendId");
    if (request.backendId) {
        QByteArray id;
        appendString(id, *request.backendId);
        out += encodeSome(id);
    } else {
        out += encodeNone();
    }
    out += '}';
    return out;
}

} // namespace

QByteArray encodePushRequestPayload(const PushRequest &request)
{
    return pushRequestPayload(request, [&request](QByteArray &out) {
        for (qsizetype i = 0; i < request.batch.size(); ++i) {
            if (i)
                out += ',';
            out += encodeEvent(request.batch.at(i));
        }
    });
}

QByteArray detail::encodePushRequestPayload(const PushRequest &request, const QList<QByteArray> &encodedEvents)
{
    return pushRequestPayload(request, [&encodedEvents](QByteArray &out) {
        for (qsizetype i = 0; i < encodedEvents.size(); ++i) {
            if (i)
                out += ',';
            out += encodedEvents.at(i);
        }
    });
}

std::optional<PullRequest> decodePullRequest(const Request &request, QString *errorString)
{
    auto fail = [&](const QString &message) -> std::optional<PullRequest> {
        setError(errorString, u"invalid %1 payload: %2"_s.arg(request.tag, message));
        return std::nullopt;
    };
    if (!request.payload.isObject())
        return fail(u"expected an object, got "_s + describeJson(request.payload));
    const QJsonObject p = request.payload.toObject();
    PullRequest pull;
    QString error;
    if (!readString(p, "storeId"_L1, &pull.storeId, &error))
        return fail(error);
    pull.payload = p.value("payload"_L1);
    const QJsonValue live = p.value("live"_L1);
    if (!live.isUndefined() && !live.isBool())
        return fail(u"\"live\" must be a boolean, got "_s + describeJson(live));
    pull.live = live.toBool(false);
    if (!p.contains("cursor"_L1))
        return fail(u"\"cursor\" is missing"_s);
    std::optional<QJsonValue> cursor;
    if (!decodeOption(p.value("cursor"_L1), &cursor, &error))
        return fail(u"\"cursor\": "_s + error);
    if (cursor) {
        const QJsonObject c = cursor->toObject();
        PullCursor pc;
        if (!cursor->isObject())
            return fail(u"\"cursor\" value must be an object"_s);
        if (!readString(c, "backendId"_L1, &pc.backendId, &error, Where(u"cursor"))
            || !readIntegerField(c, "eventSequenceNumber"_L1, &pc.eventSequenceNumber, &error,
                                 Where(u"cursor")))
            return fail(error);
        if (pc.eventSequenceNumber < 0)
            return fail(u"cursor.eventSequenceNumber must not be negative"_s);
        pull.cursor = pc;
    }
    return pull;
}

std::optional<PushRequest> decodePushRequest(const Request &request, QString *errorString)
{
    auto fail = [&](const QString &message) -> std::optional<PushRequest> {
        setError(errorString, u"invalid %1 payload: %2"_s.arg(request.tag, message));
        return std::nullopt;
    };
    if (!request.payload.isObject())
        return fail(u"expected an object, got "_s + describeJson(request.payload));
    const QJsonObject p = request.payload.toObject();
    PushRequest push;
    QString error;
    if (!readString(p, "storeId"_L1, &push.storeId, &error))
        return fail(error);
    push.payload = p.value("payload"_L1);
    const QJsonValue batch = p.value("batch"_L1);
    if (batch.isUndefined())
        return fail(u"\"batch\" is missing"_s);
    if (!batch.isArray())
        return fail(u"\"batch\" must be an array, got "_s + describeJson(batch));
    const QJsonArray events = batch.toArray();
    const auto batchRaw = RawJson::member(request.payloadJson, "batch"_L1);
    const auto itemsRaw = batchRaw ? RawJson::elements(*batchRaw) : std::nullopt;
    if (!itemsRaw || itemsRaw->size() != events.size())
        return fail(u"\"batch\" could not be read"_s);
    push.batch.reserve(events.size());
    for (qsizetype i = 0; i < events.size(); ++i) {
        const Where path(u"batch", i);
        if (!events.at(i).isObject())
            return fail(path + u" must be an event object, got "_s + describeJson(events.at(i)));
        auto event = decodeEventObject(events.at(i).toObject(), itemsRaw->at(i), path, &error);
        if (!event)
            return fail(error);
        push.batch.append(std::move(*event));
    }
    if (!p.contains("backendId"_L1))
        return fail(u"\"backendId\" is missing"_s);
    std::optional<QJsonValue> backendId;
    if (!decodeOption(p.value("backendId"_L1), &backendId, &error))
        return fail(u"\"backendId\": "_s + error);
    if (backendId) {
        if (!backendId->isString())
            return fail(u"\"backendId\" value must be a string"_s);
        push.backendId = backendId->toString();
    }
    return push;
}

QByteArray encodePushAck()
{
    return "{}";
}

// ---------------------------------------------------------------------------------------------
// Paging

QList<qsizetype> splitPages(const QList<QByteArray> &encodedItems, qsizetype backendIdSize,
                            int maxEvents, qsizetype maxBytes)
{
    // Everything around the items, with the longest pageInfo a page can get.
    const qsizetype overhead = qsizetype(sizeof(R"({"batch":[],"pageInfo":{"_tag":"MoreKnown","remaining":},"backendId":""})") - 1)
            + MaxRemainingDigits + backendIdSize;
    QList<qsizetype> pages;
    qsizetype count = 0;
    qsizetype size = overhead;
    for (const QByteArray &item : encodedItems) {
        const qsizetype added = item.size() + (count > 0 ? 1 : 0);
        if (count > 0 && (count >= maxEvents || size + added > maxBytes)) {
            pages.append(count);
            count = 0;
            size = overhead;
        }
        size += item.size() + (count > 0 ? 1 : 0);
        ++count;
    }
    if (count > 0)
        pages.append(count);
    return pages;
}

QList<QByteArray> encodePullResponsePages(const QList<PulledEvent> &events,
                                          const QString &backendId,
                                          std::optional<qint64> remainingAfter, int maxEvents,
                                          qsizetype maxBytes)
{
    QList<QByteArray> items;
    items.reserve(events.size());
    for (const PulledEvent &e : events)
        items.append(encodePulledEvent(e));
    QByteArray idJson;
    appendString(idJson, backendId);
    const QList<qsizetype> pages = splitPages(items, idJson.size() - 2, maxEvents, maxBytes);
    auto pageInfoFor = [&](qint64 remaining) {
        return remainingAfter && remaining > 0 ? PageInfo::moreKnown(remaining) : PageInfo::noMore();
    };
    QList<QByteArray> out;
    if (pages.isEmpty()) {
        out.append(encodePullResponse(items, 0, 0, pageInfoFor(remainingAfter.value_or(0)),
                                      backendId));
        return out;
    }
    qsizetype from = 0;
    for (qsizetype count : pages) {
        const qint64 remaining = (items.size() - from - count) + remainingAfter.value_or(0);
        out.append(encodePullResponse(items, from, count, pageInfoFor(remaining), backendId));
        from += count;
    }
    return out;
}

QString isoTimestamp()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

} // namespace LiveStore::Wire
