// SPDX-License-Identifier: BSD-3-Clause
// Internal: the cursor the one-pass frame readers share (pushframereader_p.h, pullframereader_p.h),
// and the spelling of an event both a push and a pulled page carry.
//
// A one-pass reader takes a frame only in the spelling the usual peers write, validating it as it
// goes, and declines everything else, valid or not: the general path (QJsonDocument and the
// decoders in wireprotocol.h) then decides, with its own messages. Every read either consumes what
// it read or fails, and a failure ends the whole read, so nothing backtracks.
#ifndef LIVESTORE_ONEPASSJSON_P_H
#define LIVESTORE_ONEPASSJSON_P_H

#include "wirejson_p.h"
#include "wireprotocol.h"

#include <QtCore/qbytearrayview.h>
#include <QtCore/qstring.h>

#include <cstring>

namespace LiveStore::Wire::OnePass {

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

    // A request id: a string of decimal digits (isValidRequestId()), normalized as the general
    // path's readRequestId() normalizes it.
    bool requestId(QString *out)
    {
        QByteArrayView id;
        if (!plainString(&id))
            return false;
        // Bytes outside ASCII are not digits either: Latin-1 is enough to see that.
        const QString text = QString::fromLatin1(id);
        if (!isValidRequestId(text))
            return false;
        *out = detail::normalizedRequestId(text);
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
// what encodeEvent() writes, LiveStore's clients send and sync-cf's server sends back.
inline bool readEvent(Reader &r, Event *event)
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

} // namespace LiveStore::Wire::OnePass

#endif // LIVESTORE_ONEPASSJSON_P_H
