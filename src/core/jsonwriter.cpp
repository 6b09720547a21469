// SPDX-License-Identifier: BSD-3-Clause
#include "jsonwriter_p.h"

#include "sqlutil_p.h"

#include <QtCore/qjsonvalue.h>
#include <QtCore/qlocale.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace LiveStore::json {

static constexpr char hex[] = "0123456789abcdef";

namespace {

// At most the bytes encode() writes for `text`.
template<bool Json>
qsizetype encodedSize(QStringView text)
{
    qsizetype size = 0;
    const char16_t *s = text.utf16();
    const char16_t *const end = s + text.size();
    while (s < end) {
        const char16_t u = *s++;
        if (u < 0x80) {
            size += !Json || (u >= 0x20 && u != '"' && u != '\\') ? 1 : 6; // escapes: at most 6
        } else if (u < 0x800) {
            size += 2;
        } else if (QChar::isHighSurrogate(u) && s < end && QChar::isLowSurrogate(*s)) {
            ++s;
            size += 4;
        } else {
            size += Json && QChar::isSurrogate(u) ? 6 : 3;
        }
    }
    return size;
}

// Writes UTF-16 as UTF-8 straight into `out` (one pass, no intermediate QByteArray): room for the
// worst case is made first, the unused rest cut off at the end. With `Json`, a JSON string: in
// quotes, the characters JSON needs escaped escaped as JSON.stringify escapes them, and a lone
// surrogate written as its escape ("a\ud800b"), as JSON.stringify writes it, so that our args
// bytes are the ones a LiveStore client writes. Without, a lone surrogate becomes U+FFFD, as
// JavaScript engines and SQLite's wasm build encode it (QString::toUtf8() would write '?').
template<bool Json>
void encode(QByteArray &out, QStringView text)
{
    const qsizetype n = text.size();
    const qsizetype old = out.size();
    // Per UTF-16 unit at most 3 bytes (a pair: 4 for 2), or 6 for an escape ("\u001f"). Long
    // text is measured first rather than given six times its room. JSON gets its quotes here too.
    out.resize(old + (n <= 4096 ? n * (Json ? 6 : 3) : encodedSize<Json>(text)) + (Json ? 2 : 0));
    char *d = out.data() + old;
    if constexpr (Json)
        *d++ = '"';
    const char16_t *s = text.utf16();
    const char16_t *const end = s + n;
    const auto escape = [&d](char16_t u) {
        *d++ = '\\';
        *d++ = 'u';
        *d++ = hex[(u >> 12) & 0xf];
        *d++ = hex[(u >> 8) & 0xf];
        *d++ = hex[(u >> 4) & 0xf];
        *d++ = hex[u & 0xf];
    };
    while (s < end) {
        const char16_t u = *s++;
        if (u < 0x80) {
            if constexpr (Json) {
                if (u < 0x20 || u == '"' || u == '\\') {
                    switch (u) {
                    case '"': *d++ = '\\'; *d++ = '"'; break;
                    case '\\': *d++ = '\\'; *d++ = '\\'; break;
                    case '\b': *d++ = '\\'; *d++ = 'b'; break;
                    case '\f': *d++ = '\\'; *d++ = 'f'; break;
                    case '\n': *d++ = '\\'; *d++ = 'n'; break;
                    case '\r': *d++ = '\\'; *d++ = 'r'; break;
                    case '\t': *d++ = '\\'; *d++ = 't'; break;
                    default: escape(u); break;
                    }
                    continue;
                }
            }
            *d++ = char(u);
        } else if (u < 0x800) {
            *d++ = char(0xc0 | (u >> 6));
            *d++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isHighSurrogate(u) && s < end && QChar::isLowSurrogate(*s)) {
            const char32_t c = QChar::surrogateToUcs4(u, *s++);
            *d++ = char(0xf0 | (c >> 18));
            *d++ = char(0x80 | ((c >> 12) & 0x3f));
            *d++ = char(0x80 | ((c >> 6) & 0x3f));
            *d++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isSurrogate(u)) {
            if constexpr (Json) {
                escape(u);
            } else {
                *d++ = char(0xef); // U+FFFD
                *d++ = char(0xbf);
                *d++ = char(0xbd);
            }
        } else {
            *d++ = char(0xe0 | (u >> 12));
            *d++ = char(0x80 | ((u >> 6) & 0x3f));
            *d++ = char(0x80 | (u & 0x3f));
        }
    }
    if constexpr (Json)
        *d++ = '"';
    out.truncate(d - out.constData());
}

} // namespace

void appendString(QByteArray &out, QStringView text)
{
    encode<true>(out, text);
}

void appendUtf8(QByteArray &out, QStringView text)
{
    encode<false>(out, text);
}

static void appendNumber(QByteArray &out, double d)
{
    if (!std::isfinite(d)) {
        out += "null"; // as JSON.stringify does
        return;
    }
    if (d == 0) {
        out += '0';
        return;
    }
    // Shortest round-trip digits, laid out as ECMAScript's Number::toString does.
    const QByteArray e = QByteArray::number(std::abs(d), 'e', QLocale::FloatingPointShortest);
    const qsizetype ePos = e.indexOf('e');
    QByteArray digits = e.left(ePos);
    digits.replace(".", "");
    const int k = int(digits.size());
    const int n = e.mid(ePos + 1).toInt() + 1;
    if (d < 0)
        out += '-';
    if (k <= n && n <= 21) {
        out += digits;
        out += QByteArray(n - k, '0');
    } else if (0 < n && n <= 21) {
        out += digits.left(n);
        out += '.';
        out += digits.mid(n);
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out += QByteArray(-n, '0');
        out += digits;
    } else {
        out += digits.left(1);
        if (k > 1) {
            out += '.';
            out += digits.mid(1);
        }
        out += 'e';
        out += n - 1 >= 0 ? '+' : '-';
        out += QByteArray::number(std::abs(n - 1));
    }
}

void appendValue(QByteArray &out, const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        out += "null";
        return;
    case QMetaType::Bool:
        out += value.toBool() ? "true" : "false";
        return;
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong: {
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, value.toLongLong()).ptr;
        out.append(digits, end - digits);
        return;
    }
    case QMetaType::Double:
    case QMetaType::Float:
        appendNumber(out, value.toDouble());
        return;
    case QMetaType::QString:
        appendString(out, *static_cast<const QString *>(value.constData()));
        return;
    case QMetaType::QVariantMap: {
        const QVariantMap map = value.toMap();
        out += '{';
        bool first = true;
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            if (!first)
                out += ',';
            first = false;
            appendString(out, it.key());
            out += ':';
            appendValue(out, it.value());
        }
        out += '}';
        return;
    }
    case QMetaType::QVariantList: {
        const QVariantList list = value.toList();
        out += '[';
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (i)
                out += ',';
            appendValue(out, list.at(i));
        }
        out += ']';
        return;
    }
    default:
        out += sql::jsonBytes(QJsonValue::fromVariant(value));
        return;
    }
}

QByteArray write(const QVariant &value)
{
    QByteArray out;
    appendValue(out, value);
    return out;
}

QByteArray writeObject(const QVariantMap &object)
{
    QByteArray out;
    out.reserve(64);
    appendValue(out, object);
    return out;
}

} // namespace LiveStore::json
