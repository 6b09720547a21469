// SPDX-License-Identifier: BSD-3-Clause
#include "jsonwriter_p.h"

#include "sqlutil_p.h"

#include <QtCore/qjsonvalue.h>
#include <QtCore/qlocale.h>

#include <algorithm>
#include <cmath>

namespace LiveStore::json {

static constexpr char hex[] = "0123456789abcdef";

static bool isLoneSurrogate(QStringView text, qsizetype i)
{
    const QChar c = text.at(i);
    if (c.isHighSurrogate())
        return i + 1 >= text.size() || !text.at(i + 1).isLowSurrogate();
    if (c.isLowSurrogate())
        return i == 0 || !text.at(i - 1).isHighSurrogate();
    return false;
}

static void appendEscapedUtf8(QByteArray &out, QStringView text);

void appendString(QByteArray &out, QStringView text)
{
    out += '"';
    // JSON.stringify writes a lone surrogate as an escape ("a\ud800b"), so a LiveStore client's
    // eventlog and the sync server keep it; only SQLite, given the string as UTF-8, turns it into
    // U+FFFD. Write it the same way, so that our args bytes are the ones a LiveStore client writes.
    qsizetype start = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (!text.at(i).isSurrogate() || !isLoneSurrogate(text, i))
            continue;
        appendEscapedUtf8(out, text.sliced(start, i - start));
        const ushort u = text.at(i).unicode();
        out += "\\u";
        out += hex[(u >> 12) & 0xf];
        out += hex[(u >> 8) & 0xf];
        out += hex[(u >> 4) & 0xf];
        out += hex[u & 0xf];
        start = i + 1;
    }
    appendEscapedUtf8(out, text.sliced(start));
    out += '"';
}

// The characters of a string without its quotes; `text` has no lone surrogates.
static void appendEscapedUtf8(QByteArray &out, QStringView text)
{
    const QByteArray utf8 = text.toUtf8();
    // Most text needs no escaping: append it whole.
    const bool plain = std::none_of(utf8.cbegin(), utf8.cend(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
    });
    if (plain) {
        out += utf8;
        return;
    }
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
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
    case QMetaType::ULongLong:
        out += QByteArray::number(value.toLongLong());
        return;
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
