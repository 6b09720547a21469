// SPDX-License-Identifier: BSD-3-Clause
#include "pushframereader_p.h"

#include <QtCore/qstring.h>

#include <cstring>

namespace LiveStore::Wire {

namespace {

// Arguments nest a few levels in practice. Deeper ones go to the general parse (whose limit is
// far higher); the bound only keeps this reader's recursion short.
constexpr int MaxArgsDepth = 64;

// Numbers in `args` are kept as text, but QJsonDocument refuses one whose value overflows or
// underflows a double. Within these bounds (at most 100 digits and an exponent of at most 200, so
// between about 1e-300 and 1e300) none does; anything beyond them is left to the general parse.
constexpr int MaxMantissaDigits = 100;
constexpr int MaxExponent = 200;

// A cursor over the frame. Every read either consumes what it read or fails; a failure means
// "not the usual spelling" and ends the whole read (the caller declines), so nothing backtracks.
class Reader
{
public:
    explicit Reader(QByteArrayView text) : s(text) { }

    bool atEnd() const { return i == s.size(); }
    qsizetype pos() const { return i; }
    QByteArrayView from(qsizetype start) const { return s.sliced(start, i - start); }

    bool literal(QByteArrayView text)
    {
        if (s.size() - i < text.size() || std::memcmp(s.data() + i, text.data(), text.size()) != 0)
            return false;
        i += text.size();
        return true;
    }

    // A string without escapes; `text` is what is between the quotes (valid UTF-8).
    bool plainString(QByteArrayView *text)
    {
        if (!literal("\""))
            return false;
        const qsizetype start = i;
        if (!stringBody(false))
            return false;
        *text = s.sliced(start, i - 1 - start);
        return true;
    }

    bool string(QString *out)
    {
        QByteArrayView text;
        if (!plainString(&text))
            return false;
        *out = QString::fromUtf8(text);
        return true;
    }

    // A non-negative integer as JSON writes it, small enough for qint64 whatever its digits.
    // Other numbers are doubles to QJsonDocument (or negative, which a push refuses anyway).
    bool integer(qint64 *out)
    {
        const qsizetype start = i;
        if (i < s.size() && s[i] == '0') {
            ++i;
        } else {
            while (i < s.size() && isDigit(s[i]))
                ++i;
        }
        const qsizetype digits = i - start;
        if (digits == 0 || digits > 18)
            return false;
        if (i < s.size() && (isDigit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
            return false;
        qint64 value = 0;
        for (qsizetype k = start; k < i; ++k)
            value = value * 10 + (s[k] - '0');
        *out = value;
        return true;
    }

    // Any JSON value, with whitespace allowed inside arrays and objects (not around the value:
    // the general path would trim it).
    bool value(int depth)
    {
        if (i >= s.size())
            return false;
        switch (s[i]) {
        case '"':
            ++i;
            return stringBody(true);
        case '{':
        case '[':
            return container(depth);
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

private:
    static bool isDigit(char c) { return c >= '0' && c <= '9'; }

    static bool isHexDigit(char c)
    {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    void skipSpace()
    {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            ++i;
    }

    bool expect(char c)
    {
        if (i >= s.size() || s[i] != c)
            return false;
        ++i;
        return true;
    }

    // `i` is past the opening quote; on success it is past the closing one. Raw control
    // characters, escapes other than JSON's own and malformed UTF-8 fail.
    bool stringBody(bool allowEscapes)
    {
        while (i < s.size()) {
            const auto c = uchar(s[i]);
            if (c == '"') {
                ++i;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (!allowEscapes || s.size() - i < 2)
                    return false;
                const char e = s[i + 1];
                if (e == 'u') {
                    if (s.size() - i < 6)
                        return false;
                    for (qsizetype k = i + 2; k < i + 6; ++k) {
                        if (!isHexDigit(s[k]))
                            return false;
                    }
                    i += 6;
                } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n'
                           || e == 'r' || e == 't') {
                    i += 2;
                } else {
                    return false;
                }
                continue;
            }
            if (c < 0x80) {
                ++i;
                continue;
            }
            if (!utf8Sequence())
                return false;
        }
        return false;
    }

    // One multi-byte UTF-8 sequence at `i`, well formed as the Unicode standard defines it (no
    // overlong forms, no surrogates, nothing above U+10FFFF).
    bool utf8Sequence()
    {
        const auto c0 = uchar(s[i]);
        qsizetype length = 0;
        uchar low = 0x80;
        uchar high = 0xBF;
        if (c0 >= 0xC2 && c0 <= 0xDF) {
            length = 2;
        } else if (c0 == 0xE0) {
            length = 3;
            low = 0xA0;
        } else if ((c0 >= 0xE1 && c0 <= 0xEC) || c0 == 0xEE || c0 == 0xEF) {
            length = 3;
        } else if (c0 == 0xED) {
            length = 3;
            high = 0x9F;
        } else if (c0 == 0xF0) {
            length = 4;
            low = 0x90;
        } else if (c0 >= 0xF1 && c0 <= 0xF3) {
            length = 4;
        } else if (c0 == 0xF4) {
            length = 4;
            high = 0x8F;
        } else {
            return false;
        }
        if (s.size() - i < length)
            return false;
        const auto c1 = uchar(s[i + 1]);
        if (c1 < low || c1 > high)
            return false;
        for (qsizetype k = 2; k < length; ++k) {
            if ((uchar(s[i + k]) & 0xC0) != 0x80)
                return false;
        }
        i += length;
        return true;
    }

    bool number()
    {
        if (i < s.size() && s[i] == '-')
            ++i;
        qsizetype mantissaDigits = 0;
        if (i < s.size() && s[i] == '0') {
            ++i;
            mantissaDigits = 1;
        } else {
            const qsizetype start = i;
            while (i < s.size() && isDigit(s[i]))
                ++i;
            mantissaDigits = i - start;
            if (mantissaDigits == 0)
                return false;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            const qsizetype start = i;
            while (i < s.size() && isDigit(s[i]))
                ++i;
            if (i == start)
                return false;
            mantissaDigits += i - start;
        }
        if (mantissaDigits > MaxMantissaDigits)
            return false;
        if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
            ++i;
            if (i < s.size() && (s[i] == '+' || s[i] == '-'))
                ++i;
            const qsizetype start = i;
            int exponent = 0;
            while (i < s.size() && isDigit(s[i])) {
                exponent = exponent * 10 + (s[i] - '0');
                if (exponent > MaxExponent)
                    return false;
                ++i;
            }
            if (i == start)
                return false;
        }
        return true;
    }

    bool container(int depth)
    {
        if (depth >= MaxArgsDepth)
            return false;
        const bool object = s[i] == '{';
        const char close = object ? '}' : ']';
        ++i;
        skipSpace();
        if (expect(close))
            return true;
        for (;;) {
            if (object) {
                if (!expect('"') || !stringBody(true))
                    return false;
                skipSpace();
                if (!expect(':'))
                    return false;
                skipSpace();
            }
            if (!value(depth + 1))
                return false;
            skipSpace();
            if (expect(close))
                return true;
            if (!expect(','))
                return false;
            skipSpace();
        }
    }

    QByteArrayView s;
    qsizetype i = 0;
};

// {"name":…,"args":…,"seqNum":…,"parentSeqNum":…,"clientId":…,"sessionId":…}, `args` optional:
// what encodeEvent() writes and LiveStore's clients send.
bool readEvent(Reader &r, Event *event)
{
    if (!r.literal(R"({"name":)") || !r.string(&event->name) || event->name.isEmpty())
        return false;
    if (r.literal(R"(,"args":)")) {
        const qsizetype start = r.pos();
        if (!r.value(0))
            return false;
        event->argsJson = r.from(start).toByteArray();
    }
    return r.literal(R"(,"seqNum":)") && r.integer(&event->seqNum)
            && r.literal(R"(,"parentSeqNum":)") && r.integer(&event->parentSeqNum)
            && r.literal(R"(,"clientId":)") && r.string(&event->clientId)
            && r.literal(R"(,"sessionId":)") && r.string(&event->sessionId) && r.literal("}");
}

// {"storeId":…,"batch":[…],"backendId":{"_tag":"None"} or {"_tag":"Some","value":…}}; a sync
// `payload` (rare, and any JSON) is left to the general path.
bool readPushPayload(Reader &r, PushRequest *push)
{
    if (!r.literal(R"({"storeId":)") || !r.string(&push->storeId) || !r.literal(R"(,"batch":[)"))
        return false;
    if (!r.literal("]")) {
        do {
            Event event;
            if (!readEvent(r, &event))
                return false;
            push->batch.append(std::move(event));
        } while (r.literal(","));
        if (!r.literal("]"))
            return false;
    }
    if (!r.literal(R"(,"backendId":)"))
        return false;
    if (r.literal(R"({"_tag":"Some","value":)")) {
        QString backendId;
        if (!r.string(&backendId) || !r.literal("}"))
            return false;
        push->backendId = std::move(backendId);
    } else if (!r.literal(R"({"_tag":"None"})")) {
        return false;
    }
    return r.literal("}");
}

// [["name","value"],…]
bool readHeaders(Reader &r, QList<std::pair<QString, QString>> *headers)
{
    if (!r.literal("["))
        return false;
    if (r.literal("]"))
        return true;
    do {
        std::pair<QString, QString> header;
        if (!r.literal("[") || !r.string(&header.first) || !r.literal(",")
            || !r.string(&header.second) || !r.literal("]"))
            return false;
        headers->append(std::move(header));
    } while (r.literal(","));
    return r.literal("]");
}

} // namespace

std::optional<PushFrame> readPushFrame(QByteArrayView json)
{
    Reader r(json);
    PushFrame frame;
    Request &request = frame.request;
    QByteArrayView id;
    if (!r.literal(R"({"_tag":"Request","id":)") || !r.plainString(&id))
        return std::nullopt;
    // Bytes outside ASCII are not digits either: Latin-1 is enough to see that.
    const QString idText = QString::fromLatin1(id);
    if (!isValidRequestId(idText) || !r.literal(R"(,"tag":"SyncWsRpc.Push")"))
        return std::nullopt;
    qsizetype zeros = 0;
    while (zeros + 1 < idText.size() && idText[zeros] == u'0')
        ++zeros;
    request.id = idText.mid(zeros);
    request.tag = WsPushTag.toString();

    // The request's own members come in either order clients use (ours: payload first; LiveStore's
    // pull puts traceId before it), each at most once.
    bool payload = false;
    bool traceId = false;
    bool spanId = false;
    bool sampled = false;
    bool headers = false;
    while (r.literal(",")) {
        if (!payload && r.literal(R"("payload":)")) {
            payload = true;
            const qsizetype start = r.pos();
            if (!readPushPayload(r, &frame.push))
                return std::nullopt;
            request.payloadJson = r.from(start).toByteArray();
        } else if (!traceId && r.literal(R"("traceId":)")) {
            traceId = true;
            if (!r.string(&request.traceId))
                return std::nullopt;
        } else if (!spanId && r.literal(R"("spanId":)")) {
            spanId = true;
            if (!r.string(&request.spanId))
                return std::nullopt;
        } else if (!sampled && r.literal(R"("sampled":)")) {
            sampled = true;
            if (r.literal("true"))
                request.sampled = true;
            else if (r.literal("false"))
                request.sampled = false;
            else
                return std::nullopt;
        } else if (!headers && r.literal(R"("headers":)")) {
            headers = true;
            if (!readHeaders(r, &request.headers))
                return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    if (!payload || !r.literal("}") || !r.atEnd())
        return std::nullopt;
    return frame;
}

} // namespace LiveStore::Wire
