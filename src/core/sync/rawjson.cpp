// SPDX-License-Identifier: BSD-3-Clause
#include "rawjson_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <algorithm>

namespace LiveStore::Wire::RawJson {

namespace {

// Deeper than QJsonDocument accepts, so valid input never hits it; it only bounds the recursion.
constexpr int MaxDepth = 2048;

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

qsizetype skipSpace(QByteArrayView s, qsizetype i)
{
    while (i < s.size() && isSpace(s[i]))
        ++i;
    return i;
}

// `i` is at the opening quote; returns the index past the closing one, or -1.
qsizetype skipString(QByteArrayView s, qsizetype i)
{
    if (i >= s.size() || s[i] != '"')
        return -1;
    ++i;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '\\')
            i += 2;
        else if (c == '"')
            return i + 1;
        else
            ++i;
    }
    return -1;
}

// `i` is at the first character of a value; returns the index past it, or -1.
qsizetype skipValue(QByteArrayView s, qsizetype i, int depth)
{
    if (i >= s.size() || depth > MaxDepth)
        return -1;
    const char c = s[i];
    if (c == '"')
        return skipString(s, i);
    if (c == '{' || c == '[') {
        const char close = c == '{' ? '}' : ']';
        i = skipSpace(s, i + 1);
        if (i < s.size() && s[i] == close)
            return i + 1;
        while (i < s.size()) {
            if (c == '{') {
                i = skipString(s, i);
                if (i < 0)
                    return -1;
                i = skipSpace(s, i);
                if (i >= s.size() || s[i] != ':')
                    return -1;
                i = skipSpace(s, i + 1);
            }
            i = skipValue(s, i, depth + 1);
            if (i < 0)
                return -1;
            i = skipSpace(s, i);
            if (i >= s.size())
                return -1;
            if (s[i] == close)
                return i + 1;
            if (s[i] != ',')
                return -1;
            i = skipSpace(s, i + 1);
        }
        return -1;
    }
    // A number or a literal: up to the next structural character or space.
    const qsizetype start = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !isSpace(s[i]))
        ++i;
    return i > start ? i : -1;
}

// Compares a raw JSON string (with its quotes) with `key`, decoding escapes only when present.
bool keyEquals(QByteArrayView rawKey, QLatin1StringView key)
{
    const QByteArrayView inner = rawKey.sliced(1, rawKey.size() - 2);
    if (!inner.contains('\\'))
        return inner == QByteArrayView(key.data(), key.size());
    const QByteArray wrapped = '[' + rawKey.toByteArray() + ']';
    const QJsonArray decoded = QJsonDocument::fromJson(wrapped).array();
    return !decoded.isEmpty() && decoded.at(0).toString() == key;
}

} // namespace

QByteArrayView trimmed(QByteArrayView text)
{
    qsizetype b = 0;
    qsizetype e = text.size();
    while (b < e && isSpace(text[b]))
        ++b;
    while (e > b && isSpace(text[e - 1]))
        --e;
    return text.sliced(b, e - b);
}

std::optional<QByteArrayView> member(QByteArrayView object, QLatin1StringView key)
{
    object = trimmed(object);
    if (object.isEmpty() || object[0] != '{')
        return std::nullopt;
    std::optional<QByteArrayView> found;
    qsizetype i = skipSpace(object, 1);
    if (i < object.size() && object[i] == '}')
        return std::nullopt;
    while (i < object.size()) {
        const qsizetype keyStart = i;
        const qsizetype keyEnd = skipString(object, i);
        if (keyEnd < 0)
            return std::nullopt;
        i = skipSpace(object, keyEnd);
        if (i >= object.size() || object[i] != ':')
            return std::nullopt;
        const qsizetype valueStart = skipSpace(object, i + 1);
        const qsizetype valueEnd = skipValue(object, valueStart, 0);
        if (valueEnd < 0)
            return std::nullopt;
        if (keyEquals(object.sliced(keyStart, keyEnd - keyStart), key))
            found = object.sliced(valueStart, valueEnd - valueStart);
        i = skipSpace(object, valueEnd);
        if (i >= object.size())
            return std::nullopt;
        if (object[i] == '}')
            return found;
        if (object[i] != ',')
            return std::nullopt;
        i = skipSpace(object, i + 1);
    }
    return std::nullopt;
}

std::optional<QList<std::pair<QString, QByteArrayView>>> members(QByteArrayView object)
{
    object = trimmed(object);
    if (object.isEmpty() || object[0] != '{')
        return std::nullopt;
    QList<std::pair<QString, QByteArrayView>> out;
    qsizetype i = skipSpace(object, 1);
    if (i < object.size() && object[i] == '}')
        return out;
    while (i < object.size()) {
        const qsizetype keyStart = i;
        const qsizetype keyEnd = skipString(object, i);
        if (keyEnd < 0)
            return std::nullopt;
        const QByteArrayView rawKey = object.sliced(keyStart, keyEnd - keyStart);
        const QByteArrayView inner = rawKey.sliced(1, rawKey.size() - 2);
        const QString key = inner.contains('\\')
                ? QJsonDocument::fromJson('[' + rawKey.toByteArray() + ']').array().at(0).toString()
                : QString::fromUtf8(inner);
        i = skipSpace(object, keyEnd);
        if (i >= object.size() || object[i] != ':')
            return std::nullopt;
        const qsizetype valueStart = skipSpace(object, i + 1);
        const qsizetype valueEnd = skipValue(object, valueStart, 0);
        if (valueEnd < 0)
            return std::nullopt;
        const QByteArrayView value = object.sliced(valueStart, valueEnd - valueStart);
        const auto seen = std::find_if(out.begin(), out.end(), [&](const auto &m) { return m.first == key; });
        if (seen != out.end())
            seen->second = value;
        else
            out.append({key, value});
        i = skipSpace(object, valueEnd);
        if (i >= object.size())
            return std::nullopt;
        if (object[i] == '}')
            return out;
        if (object[i] != ',')
            return std::nullopt;
        i = skipSpace(object, i + 1);
    }
    return std::nullopt;
}

std::optional<QList<QByteArrayView>> elements(QByteArrayView array)
{
    array = trimmed(array);
    if (array.isEmpty() || array[0] != '[')
        return std::nullopt;
    QList<QByteArrayView> out;
    qsizetype i = skipSpace(array, 1);
    if (i < array.size() && array[i] == ']')
        return out;
    while (i < array.size()) {
        const qsizetype end = skipValue(array, i, 0);
        if (end < 0)
            return std::nullopt;
        out.append(array.sliced(i, end - i));
        i = skipSpace(array, end);
        if (i >= array.size())
            return std::nullopt;
        if (array[i] == ']')
            return out;
        if (array[i] != ',')
            return std::nullopt;
        i = skipSpace(array, i + 1);
    }
    return std::nullopt;
}

} // namespace LiveStore::Wire::RawJson
