// SPDX-License-Identifier: BSD-3-Clause
// The Effect RPC layer of the wire codec: frames (Request, Ack, Chunk, Exit, Ping, Pong,
// Interrupt, Defect) and the Cause an Exit carries. The sync payloads inside them are in
// wireprotocol.cpp.
#include "wireprotocol.h"

#include "rawjson_p.h"
#include "wirejson_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

using namespace Qt::StringLiterals;

namespace LiveStore::Wire {

using namespace detail;

namespace {

QByteArray encodeFiberId(qint64 id)
{
    return R"({"_tag":"Runtime","id":)" + QByteArray::number(id) + R"(,"startTimeMillis":0})";
}

} // namespace

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

} // namespace LiveStore::Wire
