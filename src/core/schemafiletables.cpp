// SPDX-License-Identifier: BSD-3-Clause
// The schema file's tables (schemafilereader_p.h): columns, their types and defaults, indexes and
// the primary key; and client documents.
#include "schemafilereader_p.h"

#include "sqlutil_p.h"
#include "sync/rawjson_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore::detail {

bool SchemaFileReader::table(const QJsonObject &object, const QString &where, QByteArrayView rawTable, TableDef *out)
{
    if (!checkKeys(object, {"name"_L1, "columns"_L1, "primaryKey"_L1, "indexes"_L1}, where))
        return false;
    TableDef table;
    if (!requiredName(object, where, &table.name))
        return false;

    const QString columnsWhere = member(where, "columns"_L1);
    const QJsonValue columns = object.value("columns"_L1);
    if (columns.isUndefined())
        return fail(where, u"missing \"columns\""_s);
    if (!columns.isArray())
        return wrongType(columnsWhere, u"an array"_s, columns);
    const QJsonArray columnArray = columns.toArray();
    if (columnArray.isEmpty())
        return fail(columnsWhere, u"a table needs at least one column"_s);
    const auto rawColumns = rawTable.isEmpty() ? std::nullopt : Wire::RawJson::member(rawTable, "columns"_L1);
    const auto rawColumnList = rawColumns ? Wire::RawJson::elements(*rawColumns) : std::nullopt;
    for (qsizetype i = 0; i < columnArray.size(); ++i) {
        const QJsonValue entry = columnArray.at(i);
        const QString columnWhere = element(columnsWhere, i);
        if (!entry.isObject())
            return wrongType(columnWhere, u"an object"_s, entry);
        ColumnDef column;
        const QByteArrayView rawColumn =
                rawColumnList && i < rawColumnList->size() ? rawColumnList->at(i) : QByteArrayView();
        if (!this->column(entry.toObject(), columnWhere, rawColumn, &column))
            return false;
        for (qsizetype j = 0; j < table.columns.size(); ++j) {
            if (table.columns.at(j).name == column.name)
                return fail(columnWhere, u"duplicate column name "_s + quoted(column.name)
                                    + u" (also columns["_s + QString::number(j) + u"])"_s);
        }
        table.columns.append(column);
    }

    if (const QJsonValue key = object.value("primaryKey"_L1); !key.isUndefined()) {
        const QString keyWhere = member(where, "primaryKey"_L1);
        QStringList keyColumns;
        if (!nameList(key, keyWhere, &keyColumns))
            return false;
        // One place only: two sources of truth for the key invite them to disagree.
        for (qsizetype i = 0; i < table.columns.size(); ++i) {
            if (table.columns.at(i).isPrimaryKey)
                return fail(keyWhere, u"columns["_s + QString::number(i) + u"] ("_s
                                    + quoted(table.columns.at(i).name)
                                    + u") also says \"primaryKey\": true; declare the key either "
                                      u"on the columns or in the table's \"primaryKey\", not both"_s);
        }
        for (qsizetype i = 0; i < keyColumns.size(); ++i) {
            const auto found = std::find_if(table.columns.begin(), table.columns.end(),
                                            [&](const ColumnDef &c) { return c.name == keyColumns.at(i); });
            if (found == table.columns.end())
                return fail(element(keyWhere, i), u"no column "_s + quoted(keyColumns.at(i))
                                    + u" in table "_s + quoted(table.name));
            found->isPrimaryKey = true;
        }
    }

    // validate() checks these too, but cannot say where in the file the column is. SQLite only
    // auto-increments a lone INTEGER PRIMARY KEY.
    const QStringList keyColumns = [&] {
        QStringList names;
        for (const ColumnDef &c : std::as_const(table.columns)) {
            if (c.isPrimaryKey)
                names.append(c.name);
        }
        return names;
    }();
    for (qsizetype i = 0; i < table.columns.size(); ++i) {
        const ColumnDef &c = table.columns.at(i);
        if (c.isPrimaryKey && c.isNullable)
            return fail(element(columnsWhere, i), u"a primary key column cannot be nullable"_s);
        if (c.isAutoIncrement
            && (c.type != ColumnType::Integer || keyColumns != QStringList{c.name})) {
            return fail(element(columnsWhere, i),
                        u"\"autoIncrement\" needs an integer column that is the table's only "
                        u"primary key column"_s);
        }
    }

    if (const QJsonValue indexes = object.value("indexes"_L1); !indexes.isUndefined()) {
        const QString indexesWhere = member(where, "indexes"_L1);
        if (!indexes.isArray())
            return wrongType(indexesWhere, u"an array"_s, indexes);
        const QJsonArray indexArray = indexes.toArray();
        for (qsizetype i = 0; i < indexArray.size(); ++i) {
            const QJsonValue entry = indexArray.at(i);
            const QString indexWhere = element(indexesWhere, i);
            if (!entry.isObject())
                return wrongType(indexWhere, u"an object"_s, entry);
            IndexDef index;
            if (!this->index(entry.toObject(), indexWhere, table, &index))
                return false;
            for (qsizetype j = 0; j < table.indexes.size(); ++j) {
                if (table.indexes.at(j).name == index.name)
                    return fail(indexWhere, u"duplicate index name "_s + quoted(index.name)
                                        + u" (also indexes["_s + QString::number(j) + u"])"_s);
            }
            table.indexes.append(index);
        }
    }

    *out = table;
    return true;
}

bool SchemaFileReader::column(const QJsonObject &object, const QString &where, QByteArrayView rawColumn, ColumnDef *out)
{
    if (!checkKeys(object,
                   {"name"_L1, "type"_L1, "primaryKey"_L1, "nullable"_L1, "autoIncrement"_L1,
                    "default"_L1, "schema"_L1},
                   where))
        return false;
    ColumnDef column;
    if (!requiredName(object, where, &column.name))
        return false;

    const QJsonValue type = object.value("type"_L1);
    if (type.isUndefined())
        return fail(where, u"missing \"type\" (one of "_s + ColumnTypeList + u")"_s);
    if (!type.isString())
        return wrongType(member(where, "type"_L1), u"a string (one of "_s + ColumnTypeList + u")"_s,
                         type);
    const std::optional<ColumnType> columnType = columnTypeFromName(type.toString());
    if (!columnType) {
        const QStringList names = QString(ColumnTypeList).split(u", "_s);
        return fail(where, u"unknown column type "_s + quoted(type.toString()) + u" ("_s
                            + suggestion(type.toString(), names) + u"expected "_s + ColumnTypeList
                            + u")"_s);
    }
    column.type = *columnType;

    if (!optionalBool(object, "primaryKey"_L1, where, &column.isPrimaryKey)
        || !optionalBool(object, "nullable"_L1, where, &column.isNullable)
        || !optionalBool(object, "autoIncrement"_L1, where, &column.isAutoIncrement))
        return false;

    // A json column's shape: an argument type, as in an event's args.
    if (const QJsonValue shape = object.value("schema"_L1); !shape.isUndefined()) {
        if (column.type != ColumnType::Json)
            return fail(member(where, "schema"_L1), u"only a json column takes a schema (its values' shape); this one is "_s
                                                             + quoted(type.toString()));
        const auto rawShape = rawColumn.isEmpty() ? std::nullopt : Wire::RawJson::member(rawColumn, "schema"_L1);
        ArgDef value;
        if (!arg(column.name, shape, member(where, "schema"_L1), rawShape.value_or(QByteArrayView()), &value))
            return false;
        column.withSchema(value);
    }

    // After "nullable": whether `null` is an acceptable default depends on it.
    if (const QJsonValue value = object.value("default"_L1); !value.isUndefined()) {
        if (!columnDefault(value, member(where, "default"_L1), &column))
            return false;
    }

    *out = column;
    return true;
}

bool SchemaFileReader::columnDefault(const QJsonValue &value, const QString &where, ColumnDef *column)
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        if (object.size() == 1 && object.contains("sql"_L1)) {
            const QJsonValue sql = object.value("sql"_L1);
            if (!sql.isString() || sql.toString().trimmed().isEmpty())
                return wrongType(member(where, "sql"_L1), u"a non-empty SQL expression string"_s, sql);
            column->withDefaultSql(sql.toString());
            return true;
        }
        if (column->type != ColumnType::Json)
            return fail(where, u"an object default must be {\"sql\": \"<SQL expression>\"} (only "
                               u"json columns take other objects as values)"_s);
        column->withDefault(value.toVariant());
        return true;
    }

    if (value.isNull()) {
        if (!column->isNullable)
            return fail(where, u"null, but the column is not nullable (add \"nullable\": true or "
                               u"leave \"default\" out)"_s);
        column->withDefault(QVariant());
        return true;
    }

    // Checked against the column type here because a mismatch would otherwise only surface as a
    // STRICT-table error on the first insert that relies on the default.
    switch (column->type) {
    case ColumnType::Json:
        column->withDefault(value.toVariant());
        return true;
    case ColumnType::Text:
        if (!value.isString())
            return wrongType(where, u"a string for a text column"_s, value);
        column->withDefault(value.toString());
        return true;
    case ColumnType::Integer:
        if (const std::optional<qint64> number = integral(value)) {
            column->withDefault(*number);
            return true;
        }
        return wrongType(where, u"an integer for an integer column"_s, value);
    case ColumnType::Real:
        if (!value.isDouble())
            return wrongType(where, u"a number for a real column"_s, value);
        column->withDefault(value.toDouble());
        return true;
    case ColumnType::Boolean:
        if (!value.isBool())
            return wrongType(where, u"true or false for a boolean column"_s, value);
        column->withDefault(value.toBool());
        return true;
    case ColumnType::DateTimeInteger:
        if (const std::optional<qint64> number = integral(value)) { // epoch milliseconds
            column->withDefault(*number);
            return true;
        }
        Q_FALLTHROUGH();
    case ColumnType::DateTime: {
        if (!value.isString())
            return wrongType(where, u"an ISO-8601 date-time string for a datetime column"_s, value);
        const QDateTime dateTime = sql::parseIsoDateTime(value.toString());
        if (!dateTime.isValid())
            return fail(where, quoted(value.toString())
                                + u" is not an ISO-8601 date-time (e.g. 2024-05-01T12:00:00.000Z)"_s);
        // A local time would make the default depend on the machine's time zone.
        if (dateTime.timeSpec() == Qt::LocalTime)
            return fail(where, quoted(value.toString())
                                + u" has no UTC offset; add \"Z\" or e.g. \"+02:00\""_s);
        column->withDefault(column->type == ColumnType::DateTime ? QVariant(sql::isoDateTime(dateTime))
                                                                 : QVariant(dateTime.toMSecsSinceEpoch()));
        return true;
    }
    case ColumnType::Blob:
        return fail(where, u"a blob column's default must be null or {\"sql\": \"<SQL expression>\"}, "
                           u"e.g. {\"sql\": \"X''\"}"_s);
    }
    Q_UNREACHABLE();
    return false;
}

bool SchemaFileReader::index(const QJsonObject &object, const QString &where, const TableDef &table,
                   IndexDef *out)
{
    if (!checkKeys(object, {"name"_L1, "columns"_L1, "unique"_L1}, where))
        return false;
    IndexDef index;
    if (!requiredName(object, where, &index.name))
        return false;
    const QJsonValue columns = object.value("columns"_L1);
    if (columns.isUndefined())
        return fail(where, u"missing \"columns\""_s);
    const QString columnsWhere = member(where, "columns"_L1);
    if (!nameList(columns, columnsWhere, &index.columns))
        return false;
    for (qsizetype i = 0; i < index.columns.size(); ++i) {
        if (!table.findColumn(index.columns.at(i)))
            return fail(element(columnsWhere, i), u"no column "_s + quoted(index.columns.at(i))
                                + u" in table "_s + quoted(table.name));
    }
    if (!optionalBool(object, "unique"_L1, where, &index.isUnique))
        return false;
    *out = index;
    return true;
}

bool SchemaFileReader::clientDocument(const QJsonObject &object, const QString &where, QByteArrayView rawDocument,
                            ClientDocumentDef *out)
{
    if (!checkKeys(object, {"name"_L1, "schema"_L1, "default"_L1, "partialSet"_L1}, where))
        return false;
    ClientDocumentDef document;
    if (!requiredName(object, where, &document.name))
        return false;
    const QString named = where + u" ("_s + quoted(document.name) + u")"_s;

    if (const QJsonValue value = object.value("default"_L1); !value.isUndefined()) {
        const QString defaultWhere = member(named, "default"_L1);
        if (!value.isObject())
            return wrongType(defaultWhere, u"an object with \"id\" and \"value\""_s, value);
        const QJsonObject defaults = value.toObject();
        if (!checkKeys(defaults, {"id"_L1, "value"_L1}, defaultWhere))
            return false;
        if (const QJsonValue id = defaults.value("id"_L1); !id.isUndefined()) {
            if (!id.isString() || id.toString().isEmpty())
                return wrongType(member(defaultWhere, "id"_L1), u"a non-empty string"_s, id);
            document.defaultId = id.toString();
        }
        if (const QJsonValue initial = defaults.value("value"_L1); !initial.isUndefined()) {
            if (!initial.isObject())
                return wrongType(member(defaultWhere, "value"_L1), u"an object"_s, initial);
            document.defaultValue = initial.toObject();
        }
    }

    if (!optionalBool(object, "partialSet"_L1, named, &document.partialSet))
        return false;
    // The value's shape: an argument type, as in an event's args (a struct, usually).
    if (const QJsonValue shape = object.value("schema"_L1); !shape.isUndefined()) {
        const auto rawShape = rawDocument.isEmpty() ? std::nullopt : Wire::RawJson::member(rawDocument, "schema"_L1);
        ArgDef value;
        if (!arg(u"value"_s, shape, member(named, "schema"_L1), rawShape.value_or(QByteArrayView()), &value))
            return false;
        document.valueSchema = value;
    }
    *out = document;
    return true;
}

QStringList SchemaFileReader::keyOrder(const QJsonObject &object, QByteArrayView rawObject)
{
    QStringList keys;
    if (const auto members = rawObject.isEmpty() ? std::nullopt : Wire::RawJson::members(rawObject)) {
        for (const auto &[key, value] : *members)
            keys.append(key);
    }
    if (keys.size() != object.size()) // not the same object (cannot happen for a parsed file)
        keys = object.keys();
    return keys;
}

} // namespace LiveStore::detail
