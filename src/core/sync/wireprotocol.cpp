// SPDX-License-Identifier: BSD-3-Clause
#include "wireprotocol.h"

#include "../jsonwriter_p.h"
#include "../sqlutil_p.h"
#include "rawjson_p.h"
#include "schema.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

#include <limits>

using namespace Qt::StringLiterals;

namespace LiveStore::Wire {

namespace {

// Request ids are unbounded BigInts in Effect RPC; real ones are small counters. This bounds what
// we accept to something sane.
constexpr qsizetype MaxRequestIdLength = 40;

// The longest `"remaining":N` a page can carry, for sizing pages before the count is known.
constexpr qsizetype MaxRemainingDigits = 20;

bool setError(QString *errorString, const QString &message)
{
    if (errorString)
        *errorString = message;
    return false;
}

void appendString(QByteArray &out, QStringView text)
{
    json::appendString(out, text);
}

// Keys are ASCII identifiers: no escaping needed.
void appendKey(QByteArray &out, const char *key, bool first = false)
{
    if (!first)
        out += ',';
    out += '"';
    out += key;
    out += "\":";
}

void appendJsonValue(QByteArray &out, const QJsonValue &value)
{
    out += sql::jsonBytes(value);
}

QByteArray toBytes(QByteArrayView view)
{
    return view.toByteArray();
}

std::optional<QJsonObject> parseObject(QByteArrayView json, QString *errorString,
                                       const QString &what)
{
    QJsonParseError pe;
    const QJsonDocument doc =
            QJsonDocument::fromJson(QByteArray::fromRawData(json.data(), json.size()), &pe);
    if (pe.error != QJsonParseError::NoError) {
        setError(errorString, u"%1 is not valid JSON (at offset %2: %3)"_s.arg(
                                      what, QString::number(pe.offset), pe.errorString()));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        setError(errorString, u"%1 is not a JSON object"_s.arg(what));
        return std::nullopt;
    }
    return doc.object();
}

// Integers arrive as JSON numbers; only whole numbers that fit qint64 count.
bool readInteger(const QJsonValue &value, qint64 *out)
{
    if (!value.isDouble())
        return false;
    constexpr qint64 Invalid = std::numeric_limits<qint64>::min();
    const qint64 i = value.toInteger(Invalid);
    if (i == Invalid)
        return false;
    *out = i;
    return true;
}

QString describeJson(const QJsonValue &value)
{
    if (value.isUndefined())
        return u"nothing"_s;
    QString text = QString::fromUtf8(sql::jsonBytes(value));
    if (text.size() > 60)
        text = text.left(57) + u"..."_s;
    return text;
}

QString quoted(QLatin1StringView key)
{
    return u'"' + QString(key) + u'"';
}

QString normalizedRequestId(QStringView id)
{
    qsizetype i = 0;
    while (i + 1 < id.size() && id[i] == u'0')
        ++i;
    return id.mid(i).toString();
}

// Reads a request id field ("id" or "requestId"): a string of a decimal integer.
bool readRequestId(const QJsonObject &o, QLatin1StringView key, const QString &frame, QString *out,
                   QString *errorString)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return setError(errorString, u"%1 frame has no \"%2\""_s.arg(frame, key));
    if (!v.isString())
        return setError(errorString,
                        u"%1.%2 must be a string of a decimal integer, got %3"_s.arg(
                                frame, key, describeJson(v)));
    const QString id = v.toString();
    if (!isValidRequestId(id))
        return setError(errorString, u"%1.%2 \"%3\" is not a decimal integer"_s.arg(
                                             frame, key, id.left(MaxRequestIdLength + 10)));
    *out = normalizedRequestId(id);
    return true;
}

// Where a value sits in a payload, for error messages: "base", "base[index]suffix". Spelled out
// only when there is an error to report (a decoded event used to build its path on every field).
struct Where
{
    Where() = default;
    Where(QStringView base) : base(base) { }
    Where(QStringView base, qsizetype index, QStringView suffix = {})
        : base(base), index(index), suffix(suffix) { }
    bool isEmpty() const { return base.isEmpty(); }
    QString text() const
    {
        QString s = base.toString();
        if (index >= 0)
            s += u'[' + QString::number(index) + u']';
        return s + suffix;
    }
    QStringView base;
    qsizetype index = -1;
    QStringView suffix;
};

QString operator+(const Where &where, const QString &rest)
{
    return where.text() + rest;
}

bool readString(const QJsonObject &o, QLatin1StringView key, QString *out, QString *errorString,
                const Where &path = {})
{
    const QJsonValue v = o.value(key);
    if (v.isString()) {
        *out = v.toString();
        return true;
    }
    const QString where = path.isEmpty() ? quoted(key) : QString(path.text() + u'.' + key);
    if (v.isUndefined())
        return setError(errorString, where + u" is missing"_s);
    if (!v.isString())
        return setError(errorString, u"%1 must be a string, got %2"_s.arg(where, describeJson(v)));
    *out = v.toString();
    return true;
}

bool readIntegerField(const QJsonObject &o, QLatin1StringView key, qint64 *out,
                      QString *errorString, const Where &path = {})
{
    const QJsonValue v = o.value(key);
    if (readInteger(v, out))
        return true;
    const QString where = path.isEmpty() ? quoted(key) : QString(path.text() + u'.' + key);
    if (v.isUndefined())
        return setError(errorString, where + u" is missing"_s);
    if (!readInteger(v, out))
        return setError(errorString,
                        u"%1 must be an integer, got %2"_s.arg(where, describeJson(v)));
    return true;
}

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

QByteArray encodeFiberId(qint64 id)
{
    return R"({"_tag":"Runtime","id":)" + QByteArray::number(id) + R"(,"startTimeMillis":0})";
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
// Cause

Cause Cause::fail(const SyncError &error)
{
    Cause c;
    c.kind = Kind::Fail;
    c.errorJson = encodeSyncError(error);
    return c;
}

Cause Cause::die(const QString &message)
{
    Cause c;
    c.kind = Kind::Die;
    c.defect = message;
    return c;
}

Cause Cause::interrupt(qint64 fiberId)
{
    Cause c;
    c.kind = Kind::Interrupt;
    c.fiberId = fiberId;
    return c;
}

std::optional<SyncError> Cause::failure() const
{
    if (kind == Kind::Fail)
        return decodeSyncError(QJsonDocument::fromJson(errorJson).object());
    for (const Cause &child : children) {
        if (auto f = child.failure())
            return f;
    }
    return std::nullopt;
}

bool Cause::isInterrupted() const
{
    if (kind == Kind::Interrupt)
        return true;
    for (const Cause &child : children) {
        if (child.isInterrupted())
            return true;
    }
    return false;
}

QString Cause::toString() const
{
    switch (kind) {
    case Kind::Empty:
        return u"Empty"_s;
    case Kind::Fail:
        if (const auto f = failure())
            return describeSyncError(*f);
        return u"Fail "_s + QString::fromUtf8(errorJson);
    case Kind::Die:
        return u"Die "_s + (defect.isString() ? defect.toString() : describeJson(defect));
    case Kind::Interrupt:
        return u"Interrupt"_s;
    case Kind::Sequential:
    case Kind::Parallel: {
        QStringList parts;
        for (const Cause &child : children) {
            if (child.kind != Kind::Empty)
                parts.append(child.toString());
        }
        return parts.isEmpty() ? u"Empty"_s : parts.join(u"; "_s);
    }
    }
    return {};
}

QByteArray encodeCause(const Cause &cause)
{
    QByteArray out;
    switch (cause.kind) {
    case Cause::Kind::Empty:
        return R"({"_tag":"Empty"})";
    case Cause::Kind::Fail:
        out = R"({"_tag":"Fail","error":)";
        out += cause.errorJson.isEmpty() ? QByteArray("null") : cause.errorJson;
        out += '}';
        return out;
    case Cause::Kind::Die:
        out = R"({"_tag":"Die","defect":)";
        appendJsonValue(out, cause.defect.isUndefined() ? QJsonValue() : cause.defect);
        out += '}';
        return out;
    case Cause::Kind::Interrupt:
        return R"({"_tag":"Interrupt","fiberId":)" + encodeFiberId(cause.fiberId) + '}';
    case Cause::Kind::Sequential:
    case Cause::Kind::Parallel: {
        out = cause.kind == Cause::Kind::Sequential ? R"({"_tag":"Sequential","left":)"
                                                    : R"({"_tag":"Parallel","left":)";
        const Cause empty;
        out += encodeCause(cause.children.size() > 0 ? cause.children[0] : empty);
        out += R"(,"right":)";
        out += encodeCause(cause.children.size() > 1 ? cause.children[1] : empty);
        out += '}';
        return out;
    }
    }
    return out;
}

std::optional<Cause> decodeCause(const QJsonValue &value, QString *errorString)
{
    // Effect nests causes only a few levels deep; the bound keeps hostile input from recursing far.
    struct Decoder
    {
        QString *errorString;
        std::optional<Cause> decode(const QJsonValue &value, int depth)
        {
            if (depth > 64) {
                setError(errorString, u"cause is nested too deeply"_s);
                return std::nullopt;
            }
            const QJsonObject o = value.toObject();
            const QString tag = o.value("_tag"_L1).toString();
            Cause c;
            if (tag == "Empty"_L1) {
                c.kind = Cause::Kind::Empty;
            } else if (tag == "Fail"_L1) {
                c.kind = Cause::Kind::Fail;
                c.errorJson = sql::jsonBytes(o.value("error"_L1));
            } else if (tag == "Die"_L1) {
                c.kind = Cause::Kind::Die;
                c.defect = o.value("defect"_L1);
            } else if (tag == "Interrupt"_L1) {
                c.kind = Cause::Kind::Interrupt;
                const QJsonObject fiber = o.value("fiberId"_L1).toObject();
                qint64 id = -1;
                readInteger(fiber.value("id"_L1), &id);
                c.fiberId = id;
            } else if (tag == "Sequential"_L1 || tag == "Parallel"_L1) {
                c.kind = tag == "Sequential"_L1 ? Cause::Kind::Sequential : Cause::Kind::Parallel;
                for (const auto key : {"left"_L1, "right"_L1}) {
                    auto child = decode(o.value(key), depth + 1);
                    if (!child)
                        return std::nullopt;
                    c.children.push_back(std::move(*child));
                }
            } else {
                setError(errorString, u"unknown cause: "_s + describeJson(value));
                return std::nullopt;
            }
            return c;
        }
    };
    return Decoder{errorString}.decode(value, 0);
}

// ---------------------------------------------------------------------------------------------
// Frames

bool isValidRequestId(QStringView id)
{
    if (id.isEmpty() || id.size() > MaxRequestIdLength)
        return false;
    for (QChar c : id) {
        if (c < u'0' || c > u'9')
            return false;
    }
    return true;
}

namespace {

// The frames a client sends most, in the exact spelling encodeAck() and encodePing() (and the
// real clients) write them: a server gets an Ack for every live chunk it sends, one per client
// and stored event. Read without building a QJsonDocument; any other spelling (whitespace, key
// order, escapes, an id that is not a plain decimal) is left to the general parse, which gives
// the same frame.
std::optional<ClientFrame> parseCanonicalClientFrame(QByteArrayView json)
{
    constexpr QByteArrayView ackPrefix = R"({"_tag":"Ack","requestId":")";
    constexpr QByteArrayView ackSuffix = R"("})";
    if (json.startsWith(ackPrefix) && json.endsWith(ackSuffix)) {
        const QByteArrayView digits = json.sliced(ackPrefix.size(),
                                                  json.size() - ackPrefix.size() - ackSuffix.size());
        if (digits.isEmpty() || digits.size() > MaxRequestIdLength)
            return std::nullopt;
        for (char c : digits) {
            if (c < '0' || c > '9')
                return std::nullopt;
        }
        ClientFrame frame;
        frame.type = ClientFrame::Type::Ack;
        frame.requestId = normalizedRequestId(QString::fromLatin1(digits));
        return frame;
    }
    if (json == QByteArrayView(R"({"_tag":"Ping"})")) {
        ClientFrame frame;
        frame.type = ClientFrame::Type::Ping;
        return frame;
    }
    return std::nullopt;
}

} // namespace

std::optional<ClientFrame> parseClientFrame(QByteArrayView json, QString *errorString)
{
    if (auto canonical = parseCanonicalClientFrame(json))
        return canonical;
    const auto o = parseObject(json, errorString, u"frame"_s);
    if (!o)
        return std::nullopt;
    const QJsonValue tagValue = o->value("_tag"_L1);
    if (!tagValue.isString()) {
        setError(errorString, tagValue.isUndefined()
                                      ? u"frame has no \"_tag\""_s
                                      : u"frame \"_tag\" must be a string, got "_s
                                                + describeJson(tagValue));
        return std::nullopt;
    }
    const QString tag = tagValue.toString();
    ClientFrame frame;
    if (tag == "Request"_L1) {
        frame.type = ClientFrame::Type::Request;
        Request &r = frame.request;
        if (!readRequestId(*o, "id"_L1, tag, &r.id, errorString))
            return std::nullopt;
        const QJsonValue rpcTag = o->value("tag"_L1);
        if (!rpcTag.isString() || rpcTag.toString().isEmpty()) {
            setError(errorString, u"Request.tag must be a non-empty string, got "_s
                                          + describeJson(rpcTag));
            return std::nullopt;
        }
        r.tag = rpcTag.toString();
        r.payload = o->value("payload"_L1);
        if (!r.payload.isUndefined()) {
            const auto raw = RawJson::member(json, "payload"_L1);
            if (!raw) {
                setError(errorString, u"Request.payload could not be read"_s);
                return std::nullopt;
            }
            r.payloadJson = toBytes(*raw);
        }
        const QJsonValue headers = o->value("headers"_L1);
        if (!headers.isUndefined()) {
            if (!headers.isArray()) {
                setError(errorString, u"Request.headers must be an array of [name, value] pairs"_s);
                return std::nullopt;
            }
            for (const QJsonValue &h : headers.toArray()) {
                const QJsonArray pair = h.toArray();
                if (!h.isArray() || pair.size() != 2 || !pair.at(0).isString()
                    || !pair.at(1).isString()) {
                    setError(errorString,
                             u"Request.headers must be an array of [name, value] string pairs"_s);
                    return std::nullopt;
                }
                r.headers.append({pair.at(0).toString(), pair.at(1).toString()});
            }
        }
        r.traceId = o->value("traceId"_L1).toString();
        r.spanId = o->value("spanId"_L1).toString();
        if (o->value("sampled"_L1).isBool())
            r.sampled = o->value("sampled"_L1).toBool();
        return frame;
    }
    if (tag == "Ack"_L1 || tag == "Interrupt"_L1) {
        frame.type = tag == "Ack"_L1 ? ClientFrame::Type::Ack : ClientFrame::Type::Interrupt;
        if (!readRequestId(*o, "requestId"_L1, tag, &frame.requestId, errorString))
            return std::nullopt;
        return frame;
    }
    if (tag == "Ping"_L1) {
        frame.type = ClientFrame::Type::Ping;
        return frame;
    }
    if (tag == "Eof"_L1) {
        frame.type = ClientFrame::Type::Eof;
        return frame;
    }
    setError(errorString, u"unknown frame _tag \"%1\" (expected Request, Ack, Interrupt, Ping or Eof)"_s
                                  .arg(tag.left(100)));
    return std::nullopt;
}

std::optional<ServerFrame> parseServerFrame(QByteArrayView json, QString *errorString)
{
    const auto o = parseObject(json, errorString, u"frame"_s);
    if (!o)
        return std::nullopt;
    const QString tag = o->value("_tag"_L1).toString();
    ServerFrame frame;
    if (tag == "Pong"_L1) {
        frame.type = ServerFrame::Type::Pong;
        return frame;
    }
    if (tag == "Defect"_L1) {
        frame.type = ServerFrame::Type::Defect;
        frame.defect = o->value("defect"_L1);
        return frame;
    }
    if (tag == "Chunk"_L1) {
        frame.type = ServerFrame::Type::Chunk;
        if (!readRequestId(*o, "requestId"_L1, tag, &frame.requestId, errorString))
            return std::nullopt;
        const auto values = RawJson::member(json, "values"_L1);
        const auto items = values ? RawJson::elements(*values) : std::nullopt;
        if (!items) {
            setError(errorString, u"Chunk.values must be an array"_s);
            return std::nullopt;
        }
        frame.values = o->value("values"_L1).toArray();
        if (frame.values.size() != items->size()) {
            setError(errorString, u"Chunk.values could not be read"_s);
            return std::nullopt;
        }
        for (QByteArrayView item : *items)
            frame.valuesJson.append(toBytes(item));
        return frame;
    }
    if (tag == "Exit"_L1) {
        frame.type = ServerFrame::Type::Exit;
        if (!readRequestId(*o, "requestId"_L1, tag, &frame.requestId, errorString))
            return std::nullopt;
        const QJsonObject exit = o->value("exit"_L1).toObject();
        const QString exitTag = exit.value("_tag"_L1).toString();
        if (exitTag == "Success"_L1) {
            frame.exit.success = true;
            if (exit.contains("value"_L1)) {
                const auto exitRaw = RawJson::member(json, "exit"_L1);
                const auto value = exitRaw ? RawJson::member(*exitRaw, "value"_L1) : std::nullopt;
                if (value)
                    frame.exit.valueJson = toBytes(*value);
            }
            return frame;
        }
        if (exitTag == "Failure"_L1) {
            frame.exit.success = false;
            auto cause = decodeCause(exit.value("cause"_L1), errorString);
            if (!cause)
                return std::nullopt;
            frame.exit.cause = std::move(*cause);
            return frame;
        }
        setError(errorString, u"Exit.exit must be a Success or a Failure"_s);
        return std::nullopt;
    }
    setError(errorString, u"unknown frame _tag \"%1\" (expected Chunk, Exit, Defect or Pong)"_s
                                  .arg(tag.left(100)));
    return std::nullopt;
}

QByteArray encodeRequest(const Request &request)
{
    QByteArray out = R"({"_tag":"Request","id":)";
    appendString(out, request.id);
    appendKey(out, "tag");
    appendString(out, request.tag);
    appendKey(out, "payload");
    if (!request.payloadJson.isNull())
        out += request.payloadJson;
    else
        appendJsonValue(out, request.payload.isUndefined() ? QJsonValue() : request.payload);
    if (!request.traceId.isEmpty()) {
        appendKey(out, "traceId");
        appendString(out, request.traceId);
    }
    if (!request.spanId.isEmpty()) {
        appendKey(out, "spanId");
        appendString(out, request.spanId);
    }
    if (request.sampled) {
        appendKey(out, "sampled");
        out += *request.sampled ? "true" : "false";
    }
    appendKey(out, "headers");
    out += '[';
    for (qsizetype i = 0; i < request.headers.size(); ++i) {
        if (i)
            out += ',';
        out += '[';
        appendString(out, request.headers.at(i).first);
        out += ',';
        appendString(out, request.headers.at(i).second);
        out += ']';
    }
    out += "]}";
    return out;
}

QByteArray encodeAck(QStringView requestId)
{
    QByteArray out = R"({"_tag":"Ack","requestId":)";
    appendString(out, requestId);
    out += '}';
    return out;
}

QByteArray encodeInterrupt(QStringView requestId)
{
    QByteArray out = R"({"_tag":"Interrupt","requestId":)";
    appendString(out, requestId);
    out += '}';
    return out;
}

QByteArray encodePing()
{
    // The exact bytes the real server's auto-responder matches.
    return R"({"_tag":"Ping"})";
}

QByteArray encodePong()
{
    return R"({"_tag":"Pong"})";
}

QByteArray encodeChunk(QStringView requestId, const QList<QByteArray> &valuesJson)
{
    qsizetype size = 48;
    for (const QByteArray &v : valuesJson)
        size += v.size() + 1;
    QByteArray out;
    out.reserve(size);
    out += R"({"_tag":"Chunk","requestId":)";
    appendString(out, requestId);
    out += R"(,"values":[)";
    for (qsizetype i = 0; i < valuesJson.size(); ++i) {
        if (i)
            out += ',';
        out += valuesJson.at(i);
    }
    out += "]}";
    return out;
}

QByteArray encodeExitSuccess(QStringView requestId, const QByteArray &valueJson)
{
    QByteArray out = R"({"_tag":"Exit","requestId":)";
    appendString(out, requestId);
    if (valueJson.isNull()) {
        out += R"(,"exit":{"_tag":"Success"}})";
    } else {
        out += R"(,"exit":{"_tag":"Success","value":)";
        out += valueJson;
        out += "}}";
    }
    return out;
}

QByteArray encodeExitFailure(QStringView requestId, const Cause &cause)
{
    QByteArray out = R"({"_tag":"Exit","requestId":)";
    appendString(out, requestId);
    out += R"(,"exit":{"_tag":"Failure","cause":)";
    out += encodeCause(cause);
    out += "}}";
    return out;
}

QByteArray encodeDefect(const QString &message)
{
    QByteArray out = R"({"_tag":"Defect","defect":)";
    appendString(out, message);
    out += '}';
    return out;
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

QByteArray encodePushRequestPayload(const PushRequest &request)
{
    QByteArray out = R"({"storeId":)";
    appendString(out, request.storeId);
    if (!request.payload.isUndefined()) {
        appendKey(out, "payload");
        appendJsonValue(out, request.payload);
    }
    appendKey(out, "batch");
    out += '[';
    for (qsizetype i = 0; i < request.batch.size(); ++i) {
        if (i)
            out += ',';
        out += encodeEvent(request.batch.at(i));
    }
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
