// SPDX-License-Identifier: BSD-3-Clause
// Internal: what the wire codec's files share for reading and writing JSON: error reporting,
// field readers that say where a bad value sits, and the request id rules.
#ifndef LIVESTORE_WIREJSON_P_H
#define LIVESTORE_WIREJSON_P_H

#include "../jsonwriter_p.h"
#include "../sqlutil_p.h"
#include "wireprotocol.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>

#include <optional>

namespace LiveStore::Wire::detail {

// Request ids are unbounded BigInts in Effect RPC; real ones are small counters. This bounds what
// we accept to something sane.
constexpr qsizetype MaxRequestIdLength = 40;

// The longest `"remaining":N` a page can carry, for sizing pages before the count is known.
constexpr qsizetype MaxRemainingDigits = 20;

inline bool setError(QString *errorString, const QString &message)
{
    if (errorString)
        *errorString = message;
    return false;
}

inline void appendString(QByteArray &out, QStringView text)
{
    json::appendString(out, text);
}

// Keys are ASCII identifiers: no escaping needed.
inline void appendKey(QByteArray &out, const char *key, bool first = false)
{
    if (!first)
        out += ',';
    out += '"';
    out += key;
    out += "\":";
}

inline void appendJsonValue(QByteArray &out, const QJsonValue &value)
{
    out += sql::jsonBytes(value);
}

inline QByteArray toBytes(QByteArrayView view)
{
    return view.toByteArray();
}

// encodePushRequestPayload() with the batch's events already written by encodeEvent(), in the
// batch's order (request.batch itself is not read): a client that sized each event to fill a
// frame need not encode it again.
QByteArray encodePushRequestPayload(const PushRequest &request, const QList<QByteArray> &encodedEvents);

std::optional<QJsonObject> parseObject(QByteArrayView json, QString *errorString, const QString &what);
// Integers arrive as JSON numbers; only whole numbers that fit qint64 count.
bool readInteger(const QJsonValue &value, qint64 *out);
// A value as it appears in an error message (cut at 60 characters).
QString describeJson(const QJsonValue &value);
QString quoted(QLatin1StringView key);
QString normalizedRequestId(QStringView id);
// Reads a request id field ("id" or "requestId"): a string of a decimal integer.
bool readRequestId(const QJsonObject &o, QLatin1StringView key, const QString &frame, QString *out,
                   QString *errorString);

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

inline QString operator+(const Where &where, const QString &rest)
{
    return where.text() + rest;
}

bool readString(const QJsonObject &o, QLatin1StringView key, QString *out, QString *errorString,
                const Where &path = {});
bool readIntegerField(const QJsonObject &o, QLatin1StringView key, qint64 *out,
                      QString *errorString, const Where &path = {});

} // namespace LiveStore::Wire::detail

#endif // LIVESTORE_WIREJSON_P_H
