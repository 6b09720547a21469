// SPDX-License-Identifier: BSD-3-Clause
// Internal: the schema file's reader (docs/schema.md; Schema::fromJson(), fromFile(),
// fromStore()), in three files:
//   schemafile.cpp        the entry points, the file's top level, what every part uses;
//   schemafiletables.cpp  tables, their columns, defaults and indexes, and client documents;
//   schemafileevents.cpp  events, their argument types and their materializers.
#ifndef LIVESTORE_SCHEMAFILEREADER_P_H
#define LIVESTORE_SCHEMAFILEREADER_P_H

#include "schema.h"

#include <QtCore/qbytearrayview.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>

#include <initializer_list>
#include <optional>

namespace LiveStore::detail {

using Keys = std::initializer_list<QLatin1StringView>;

inline constexpr QLatin1StringView ColumnTypeList(
        "text, integer, real, blob, boolean, json, datetime, datetimeInteger");
inline constexpr QLatin1StringView ArgTypeList(
        "string, integer, real (or number), boolean, datetime, json, literal, struct, array, record");

// Pieces of messages: "name" in quotes, a path's member and element, what a JSON value is.
QString quoted(QStringView text);
QString member(const QString &where, QLatin1StringView key);
QString element(const QString &where, qsizetype index);
QString describe(const QJsonValue &value);
// The value as an integer, if it is a number without a fraction.
std::optional<qint64> integral(const QJsonValue &value);
// "did you mean ...? " for a near miss among the candidates, or nothing.
QString suggestion(QStringView given, const QStringList &candidates);

// Reads one schema file. Parsing stops at the first problem; every message starts with the JSON
// path of the offending value so that a long file points straight at it.
class SchemaFileReader
{
public:
    QString error;
    // The file's text: QJsonObject sorts keys, and the order of arguments and struct fields is
    // what LiveStore writes an event's keys in.
    QByteArrayView raw;

    std::optional<Schema> schema(const QJsonObject &root);

private:
    // Both record the problem and return false.
    bool fail(const QString &where, const QString &message);
    bool wrongType(const QString &where, const QString &expected, const QJsonValue &got);

    // schemafile.cpp
    bool checkKeys(const QJsonObject &object, Keys allowed, const QString &where);
    bool optionalBool(const QJsonObject &object, QLatin1StringView key, const QString &where,
                      bool *out);
    bool optionalReason(const QJsonObject &object, QLatin1StringView key, const QString &where,
                        QString *out);
    bool requiredName(const QJsonObject &object, const QString &where, QString *out);
    bool nameList(const QJsonValue &value, const QString &where, QStringList *out);

    // schemafiletables.cpp
    bool table(const QJsonObject &object, const QString &where, QByteArrayView rawTable, TableDef *out);
    bool column(const QJsonObject &object, const QString &where, QByteArrayView rawColumn, ColumnDef *out);
    bool columnDefault(const QJsonValue &value, const QString &where, ColumnDef *column);
    bool index(const QJsonObject &object, const QString &where, const TableDef &table,
               IndexDef *out);
    bool clientDocument(const QJsonObject &object, const QString &where, QByteArrayView rawDocument,
                        ClientDocumentDef *out);
    // The keys of an object in the order the file writes them (sorted, without the file's text).
    static QStringList keyOrder(const QJsonObject &object, QByteArrayView rawObject);

    // schemafileevents.cpp
    bool event(const QJsonObject &object, const QString &where, QByteArrayView rawEvent, EventDef *out);
    bool arg(const QString &name, const QJsonValue &value, const QString &where, QByteArrayView rawValue,
             ArgDef *out, int depth = 0);
    bool materializer(const QJsonValue &value, const QString &where, EventDef *event);
};

} // namespace LiveStore::detail

#endif // LIVESTORE_SCHEMAFILEREADER_P_H
