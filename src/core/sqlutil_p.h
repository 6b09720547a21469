// SPDX-License-Identifier: BSD-3-Clause
// Internal: small pure helpers shared by the query builder, the schema and the store.
#ifndef LIVESTORE_SQLUTIL_P_H
#define LIVESTORE_SQLUTIL_P_H

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

namespace LiveStore::sql {

inline QString quoteIdentifier(const QString &name)
{
    QString escaped = name;
    escaped.replace(QLatin1Char('"'), QLatin1StringView("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

inline QString quoteLiteral(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\''), QLatin1StringView("''"));
    return QLatin1Char('\'') + escaped + QLatin1Char('\'');
}

// JavaScript's Date.prototype.toISOString(): UTC with milliseconds, "2024-05-01T12:00:00.000Z".
inline QString isoDateTime(const QDateTime &dt)
{
    return dt.toUTC().toString(Qt::ISODateWithMs);
}

// Parses any ISO-8601 date-time (with offset or Z); an invalid QDateTime when it is not one.
inline QDateTime parseIsoDateTime(const QString &text)
{
    QDateTime dt = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!dt.isValid())
        dt = QDateTime::fromString(text, Qt::ISODate);
    return dt;
}

inline QByteArray jsonBytes(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Object:
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    case QJsonValue::Array:
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    default: {
        // QJsonDocument only serializes containers: wrap the scalar and strip the brackets.
        QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        return wrapped.mid(1, wrapped.size() - 2);
    }
    }
}

inline QString jsonText(const QVariant &value)
{
    return QString::fromUtf8(jsonBytes(QJsonValue::fromVariant(value)));
}

// LiveStore's table hash: Java's String.hashCode over UTF-16 code units, as a signed 32-bit int.
inline qint32 javaStringHash(const QString &text)
{
    quint32 h = 0;
    for (QChar c : text)
        h = h * 31u + c.unicode();
    return qint32(h);
}

} // namespace LiveStore::sql

#endif // LIVESTORE_SQLUTIL_P_H
