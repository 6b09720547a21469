// SPDX-License-Identifier: BSD-3-Clause
// Reading the declarative schema file (docs/schema.md): JSON in, a Schema built through the public
// API out, from a file, text or what a store recorded (Schema::fromStore()). The way back,
// Schema::toJson(), is schemafilewriter.cpp.

#include "schema.h"

#include "schemafile_p.h"
#include "sqlutil_p.h"
#include "store_p.h"
#include "sync/rawjson_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qurl.h>

#include <sqlite3.h>

#include <algorithm>
#include <initializer_list>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

using Keys = std::initializer_list<QLatin1StringView>;

constexpr auto ColumnTypeList = "text, integer, real, blob, boolean, json, datetime, datetimeInteger"_L1;
constexpr auto ArgTypeList = "string, integer, real (or number), boolean, datetime, json, literal, struct, array, record"_L1;

QString quoted(QStringView text)
{
    return u"\""_s + text + u"\""_s;
}

QString member(const QString &where, QLatin1StringView key)
{
    return where.isEmpty() ? QString(key) : where + u"."_s + key;
}

QString element(const QString &where, qsizetype index)
{
    return where + u"["_s + QString::number(index) + u"]"_s;
}

QString describe(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return u"null"_s;
    case QJsonValue::Bool:
        return u"a boolean"_s;
    case QJsonValue::Double:
        return u"a number"_s;
    case QJsonValue::String:
        return value.toString().isEmpty() ? u"an empty string"_s : u"a string"_s;
    case QJsonValue::Array:
        return u"an array"_s;
    case QJsonValue::Object:
        return u"an object"_s;
    case QJsonValue::Undefined:
        break;
    }
    return u"nothing"_s;
}

// QJsonValue keeps integers exactly (qint64) but reports every number as Double; toInteger()
// returns its fallback for anything that is not integral, so two different fallbacks tell them
// apart without a lossy round trip through double.
std::optional<qint64> integral(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    const qint64 a = value.toInteger(0);
    const qint64 b = value.toInteger(1);
    if (a != b)
        return std::nullopt;
    return a;
}

int editDistance(QStringView a, QStringView b)
{
    QList<int> previous(b.size() + 1);
    QList<int> current(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        previous[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        current[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int cost = a[i - 1].toLower() == b[j - 1].toLower() ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

// Typos are the usual reason for an unknown key or type name, so point at the likely intent.
QString suggestion(QStringView given, const QStringList &candidates)
{
    const int threshold = given.size() <= 4 ? 1 : 2;
    int best = threshold + 1;
    QString bestCandidate;
    for (const QString &candidate : candidates) {
        const int distance = editDistance(given, candidate);
        if (distance < best) {
            best = distance;
            bestCandidate = candidate;
        }
    }
    return bestCandidate.isEmpty() ? QString() : u"did you mean "_s + quoted(bestCandidate) + u"? "_s;
}

// Reads one schema file. Parsing stops at the first problem; every message starts with the JSON
// path of the offending value so that a long file points straight at it.
class Reader
{
public:
    QString error;
    // The file's text: QJsonObject sorts keys, and the order of arguments and struct fields is
    // what LiveStore writes an event's keys in.
    QByteArrayView raw;

    std::optional<Schema> schema(const QJsonObject &root);

private:
    bool fail(const QString &where, const QString &message)
    {
        error = where.isEmpty() ? message : where + u": "_s + message;
        return false;
    }
    bool wrongType(const QString &where, const QString &expected, const QJsonValue &got)
    {
        return fail(where, u"expected "_s + expected + u", got "_s + describe(got));
    }

    bool checkKeys(const QJsonObject &object, Keys allowed, const QString &where);
    bool optionalBool(const QJsonObject &object, QLatin1StringView key, const QString &where,
                      bool *out);
    bool optionalReason(const QJsonObject &object, QLatin1StringView key, const QString &where,
                        QString *out);
    bool requiredName(const QJsonObject &object, const QString &where, QString *out);
    bool nameList(const QJsonValue &value, const QString &where, QStringList *out);

    bool table(const QJsonObject &object, const QString &where, QByteArrayView rawTable, TableDef *out);
    bool column(const QJsonObject &object, const QString &where, QByteArrayView rawColumn, ColumnDef *out);
    bool columnDefault(const QJsonValue &value, const QString &where, ColumnDef *column);
    bool index(const QJsonObject &object, const QString &where, const TableDef &table,
               IndexDef *out);
    bool clientDocument(const QJsonObject &object, const QString &where, QByteArrayView rawDocument,
                        ClientDocumentDef *out);
    bool event(const QJsonObject &object, const QString &where, QByteArrayView rawEvent, EventDef *out);
    bool arg(const QString &name, const QJsonValue &value, const QString &where, QByteArrayView rawValue,
             ArgDef *out, int depth = 0);
    // The keys of an object in the order the file writes them (sorted, without the file's text).
    static QStringList keyOrder(const QJsonObject &object, QByteArrayView rawObject);
    bool materializer(const QJsonValue &value, const QString &where, EventDef *event);
};

bool Reader::checkKeys(const QJsonObject &object, Keys allowed, const QString &where)
{
    QStringList allowedNames;
    for (QLatin1StringView key : allowed)
        allowedNames.append(QString(key));
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (allowedNames.contains(it.key()))
            continue;
        return fail(where, (where.isEmpty() ? u"unknown top-level key "_s : u"unknown key "_s)
                                   + quoted(it.key()) + u" ("_s + suggestion(it.key(), allowedNames)
                                   + u"allowed: "_s + allowedNames.join(u", "_s) + u")"_s);
    }
    return true;
}

bool Reader::optionalBool(const QJsonObject &object, QLatin1StringView key, const QString &where,
                          bool *out)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return true;
    if (!value.isBool())
        return wrongType(member(where, key), u"true or false"_s, value);
    *out = value.toBool();
    return true;
}

bool Reader::optionalReason(const QJsonObject &object, QLatin1StringView key, const QString &where,
                            QString *out)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return true;
    // An empty reason would silently mean "not deprecated", which is never what was meant.
    if (!value.isString() || value.toString().trimmed().isEmpty())
        return wrongType(member(where, key), u"a non-empty string (the reason)"_s, value);
    *out = value.toString();
    return true;
}

bool Reader::requiredName(const QJsonObject &object, const QString &where, QString *out)
{
    const QJsonValue value = object.value("name"_L1);
    if (value.isUndefined())
        return fail(where, u"missing \"name\""_s);
    if (!value.isString() || value.toString().isEmpty())
        return wrongType(member(where, "name"_L1), u"a non-empty string"_s, value);
    *out = value.toString();
    return true;
}

bool Reader::nameList(const QJsonValue &value, const QString &where, QStringList *out)
{
    if (!value.isArray())
        return wrongType(where, u"an array of column names"_s, value);
    const QJsonArray array = value.toArray();
    if (array.isEmpty())
        return fail(where, u"expected at least one column name"_s);
    QStringList names;
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue name = array.at(i);
        if (!name.isString() || name.toString().isEmpty())
            return wrongType(element(where, i), u"a non-empty string"_s, name);
        if (names.contains(name.toString()))
            return fail(element(where, i), u"column "_s + quoted(name.toString()) + u" is listed twice"_s);
        names.append(name.toString());
    }
    *out = names;
    return true;
}

std::optional<Schema> Reader::schema(const QJsonObject &root)
{
    if (!checkKeys(root,
                   {"version"_L1, "unknownEventHandling"_L1, "failedEventHandling"_L1, "tables"_L1, "clientDocuments"_L1,
                    "events"_L1},
                   {}))
        return std::nullopt;

    if (const QJsonValue version = root.value("version"_L1); !version.isUndefined()) {
        const std::optional<qint64> number = integral(version);
        if (!number) {
            wrongType(u"version"_s, u"a positive integer"_s, version);
            return std::nullopt;
        }
        if (*number < 1) {
            fail(u"version"_s, u"expected a positive integer, got "_s + QString::number(*number));
            return std::nullopt;
        }
        if (*number > SupportedFormatVersion) {
            fail({}, u"schema file format version %1 is newer than this build supports (%2)"_s.arg(
                             QString::number(*number), QString::number(SupportedFormatVersion)));
            return std::nullopt;
        }
    }

    // A top-level policy: one of a few words, each naming a value of the policy's enum.
    const auto policyKey = [this, &root](QLatin1StringView key, auto fallback,
                                         std::initializer_list<std::pair<QLatin1StringView, decltype(fallback)>> words)
            -> std::optional<decltype(fallback)> {
        const QJsonValue handling = root.value(key);
        if (handling.isUndefined())
            return fallback;
        // "a, b or c", the words quoted or not.
        const auto list = [&words](bool quote) {
            QStringList names;
            for (const auto &word : words)
                names.append(quote ? u'"' + QString(word.first) + u'"' : QString(word.first));
            const QString last = names.takeLast();
            return names.isEmpty() ? last : names.join(u", "_s) + u" or "_s + last;
        };
        const QString where = QString(key);
        if (!handling.isString()) {
            wrongType(where, list(true), handling);
            return std::nullopt;
        }
        for (const auto &word : words) {
            if (handling.toString() == word.first)
                return word.second;
        }
        fail(where, u"unknown value "_s + quoted(handling.toString()) + u" (expected "_s + list(false) + u')');
        return std::nullopt;
    };
    const auto policy = policyKey("unknownEventHandling"_L1, UnknownEventPolicy::Warn,
                                  {{"warn"_L1, UnknownEventPolicy::Warn},
                                   {"ignore"_L1, UnknownEventPolicy::Ignore},
                                   {"fail"_L1, UnknownEventPolicy::Fail}});
    if (!policy)
        return std::nullopt;
    const auto failedPolicy = policyKey("failedEventHandling"_L1, FailedEventPolicy::Skip,
                                        {{"skip"_L1, FailedEventPolicy::Skip},
                                         {"fail"_L1, FailedEventPolicy::Fail}});
    if (!failedPolicy)
        return std::nullopt;

    // Each section: an optional array of objects. Duplicate names are also caught by validate(),
    // but only here can the message say which entries clash.
    const auto section = [this, &root](QLatin1StringView key, auto &&readEntry) {
        const QJsonValue value = root.value(key);
        if (value.isUndefined())
            return true;
        const QString where = QString(key);
        if (!value.isArray())
            return wrongType(where, u"an array"_s, value);
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QJsonValue entry = array.at(i);
            if (!entry.isObject())
                return wrongType(element(where, i), u"an object"_s, entry);
            if (!readEntry(entry.toObject(), element(where, i), i))
                return false;
        }
        return true;
    };

    QList<TableDef> tables;
    const auto rawTables = raw.isEmpty() ? std::nullopt : Wire::RawJson::member(raw, "tables"_L1);
    const auto rawTableList = rawTables ? Wire::RawJson::elements(*rawTables) : std::nullopt;
    const bool tablesOk = section("tables"_L1, [&](const QJsonObject &object, const QString &where,
                                                   qsizetype i) {
        TableDef table;
        const QByteArrayView rawTable = rawTableList && i < rawTableList->size() ? rawTableList->at(i) : QByteArrayView();
        if (!this->table(object, where, rawTable, &table))
            return false;
        for (qsizetype j = 0; j < tables.size(); ++j) {
            if (tables.at(j).name == table.name)
                return fail(where, u"duplicate table name "_s + quoted(table.name)
                                    + u" (also tables["_s + QString::number(j) + u"])"_s);
        }
        tables.append(table);
        return true;
    });
    if (!tablesOk)
        return std::nullopt;

    QList<ClientDocumentDef> documents;
    const auto rawDocuments = raw.isEmpty() ? std::nullopt : Wire::RawJson::member(raw, "clientDocuments"_L1);
    const auto rawDocumentList = rawDocuments ? Wire::RawJson::elements(*rawDocuments) : std::nullopt;
    const bool documentsOk = section("clientDocuments"_L1, [&](const QJsonObject &object,
                                                               const QString &where, qsizetype i) {
        ClientDocumentDef document;
        const QByteArrayView rawDocument =
                rawDocumentList && i < rawDocumentList->size() ? rawDocumentList->at(i) : QByteArrayView();
        if (!clientDocument(object, where, rawDocument, &document))
            return false;
        for (qsizetype j = 0; j < documents.size(); ++j) {
            if (documents.at(j).name == document.name)
                return fail(where, u"duplicate client document name "_s + quoted(document.name)
                                    + u" (also clientDocuments["_s + QString::number(j) + u"])"_s);
        }
        documents.append(document);
        return true;
    });
    if (!documentsOk)
        return std::nullopt;

    QList<EventDef> events;
    const auto rawEvents = raw.isEmpty() ? std::nullopt : Wire::RawJson::member(raw, "events"_L1);
    const auto rawEventList = rawEvents ? Wire::RawJson::elements(*rawEvents) : std::nullopt;
    const bool eventsOk = section("events"_L1, [&](const QJsonObject &object, const QString &where,
                                                   qsizetype i) {
        EventDef event;
        const QByteArrayView rawEvent = rawEventList && i < rawEventList->size() ? rawEventList->at(i) : QByteArrayView();
        if (!this->event(object, where, rawEvent, &event))
            return false;
        for (qsizetype j = 0; j < events.size(); ++j) {
            if (events.at(j).name == event.name)
                return fail(where + u" ("_s + quoted(event.name) + u")"_s,
                            u"duplicate event name (also events["_s + QString::number(j) + u"])"_s);
        }
        events.append(event);
        return true;
    });
    if (!eventsOk)
        return std::nullopt;

    Schema schema;
    schema.setUnknownEventPolicy(*policy);
    schema.setFailedEventPolicy(*failedPolicy);
    for (const TableDef &table : std::as_const(tables))
        schema.addTable(table);
    for (const ClientDocumentDef &document : std::as_const(documents))
        schema.addClientDocument(document);
    for (const EventDef &event : std::as_const(events))
        schema.addEvent(event);

    if (const QString problem = schema.validate(); !problem.isEmpty()) {
        fail({}, problem);
        return std::nullopt;
    }
    return schema;
}

bool Reader::table(const QJsonObject &object, const QString &where, QByteArrayView rawTable, TableDef *out)
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

bool Reader::column(const QJsonObject &object, const QString &where, QByteArrayView rawColumn, ColumnDef *out)
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

bool Reader::columnDefault(const QJsonValue &value, const QString &where, ColumnDef *column)
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

bool Reader::index(const QJsonObject &object, const QString &where, const TableDef &table,
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

bool Reader::clientDocument(const QJsonObject &object, const QString &where, QByteArrayView rawDocument,
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

QStringList Reader::keyOrder(const QJsonObject &object, QByteArrayView rawObject)
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

bool Reader::event(const QJsonObject &object, const QString &where, QByteArrayView rawEvent, EventDef *out)
{
    if (!checkKeys(object,
                   {"name"_L1, "clientOnly"_L1, "deprecated"_L1, "args"_L1, "materializer"_L1},
                   where))
        return false;
    QString name;
    if (!requiredName(object, where, &name))
        return false;
    const QString named = where + u" ("_s + quoted(name) + u")"_s;

    bool clientOnly = false;
    if (!optionalBool(object, "clientOnly"_L1, named, &clientOnly))
        return false;
    EventDef event = clientOnly ? EventDef::clientOnly(name) : EventDef::synced(name);
    if (!optionalReason(object, "deprecated"_L1, named, &event.deprecated))
        return false;

    if (const QJsonValue args = object.value("args"_L1); !args.isUndefined()) {
        const QString argsWhere = member(named, "args"_L1);
        if (!args.isObject())
            return wrongType(argsWhere, u"an object mapping argument names to types"_s, args);
        const QJsonObject argObject = args.toObject();
        const auto rawArgs = rawEvent.isEmpty() ? std::nullopt : Wire::RawJson::member(rawEvent, "args"_L1);
        const auto rawMembers = rawArgs ? Wire::RawJson::members(*rawArgs) : std::nullopt;
        for (const QString &key : keyOrder(argObject, rawArgs.value_or(QByteArrayView()))) {
            const QString argWhere = argsWhere + u"."_s + key;
            if (key.isEmpty())
                return fail(argsWhere, u"an argument name must not be empty"_s);
            QByteArrayView rawValue;
            for (const auto &[k, v] : rawMembers.value_or(QList<std::pair<QString, QByteArrayView>>())) {
                if (k == key)
                    rawValue = v;
            }
            ArgDef arg;
            if (!this->arg(key, argObject.value(key), argWhere, rawValue, &arg))
                return false;
            event.arg(arg);
        }
    }

    const QJsonValue materializer = object.value("materializer"_L1);
    if (materializer.isUndefined())
        return fail(named, u"missing \"materializer\" (SQL statements; [] for an event that writes "
                           u"nothing)"_s);
    if (!this->materializer(materializer, member(named, "materializer"_L1), &event))
        return false;

    *out = event;
    return true;
}

bool Reader::arg(const QString &name, const QJsonValue &value, const QString &where, QByteArrayView rawValue,
                 ArgDef *out, int depth)
{
    if (depth > 32)
        return fail(where, u"argument types nest more than 32 levels"_s);
    ArgDef arg;
    arg.name = name;
    QString typeName;
    QString typeWhere = where;
    bool shorthand = false;
    QJsonObject object;

    if (value.isArray()) {
        // ["all", "active", "completed"]: a union of literals, as Schema.Literal('all', ...)
        arg.type = ArgType::Literal;
        const QJsonArray values = value.toArray();
        if (values.isEmpty())
            return fail(where, u"a literal type needs at least one value"_s);
        for (qsizetype i = 0; i < values.size(); ++i) {
            if (values.at(i).isArray() || values.at(i).isObject())
                return wrongType(element(where, i), u"a string, number, boolean or null literal"_s, values.at(i));
            arg.literals.append(values.at(i).toVariant());
        }
        *out = arg;
        return true;
    }
    if (value.isString()) {
        typeName = value.toString();
        shorthand = true;
    } else if (value.isObject()) {
        object = value.toObject();
        if (!checkKeys(object, {"type"_L1, "optional"_L1, "nullable"_L1, "deprecated"_L1, "values"_L1,
                                "fields"_L1, "element"_L1, "value"_L1},
                       where))
            return false;
        const QJsonValue type = object.value("type"_L1);
        typeWhere = member(where, "type"_L1);
        if (type.isUndefined())
            return fail(where, u"missing \"type\" (one of "_s + ArgTypeList + u")"_s);
        if (!type.isString())
            return wrongType(typeWhere, u"a string"_s, type);
        typeName = type.toString();
        if (typeName.endsWith(u'?'))
            return fail(typeWhere, u"the \"?\" shorthand is for the string form; in the object form "
                                   u"use \"optional\": true and \"nullable\": true"_s);
        if (!optionalBool(object, "optional"_L1, where, &arg.isOptional)
            || !optionalBool(object, "nullable"_L1, where, &arg.isNullable)
            || !optionalReason(object, "deprecated"_L1, where, &arg.deprecated))
            return false;
    } else {
        return wrongType(where, u"a type name (e.g. \"string\" or \"datetime?\") or an object "
                                u"with \"type\""_s,
                         value);
    }

    if (shorthand && typeName.endsWith(u'?')) {
        typeName.chop(1);
        arg.isOptional = true;
        arg.isNullable = true;
    }

    std::optional<ArgType> type;
    if (typeName == "number"_L1)
        type = ArgType::Real; // JavaScript schemas say number
    else
        type = argTypeFromName(typeName);
    if (!type) {
        const QStringList names{u"string"_s, u"integer"_s, u"real"_s, u"number"_s, u"boolean"_s,
                                u"datetime"_s, u"json"_s, u"literal"_s, u"struct"_s, u"array"_s, u"record"_s};
        return fail(typeWhere, u"unknown argument type "_s + quoted(typeName) + u" ("_s
                                + suggestion(typeName, names) + u"expected "_s + ArgTypeList
                                + (shorthand ? u", optionally followed by \"?\")"_s : u")"_s));
    }
    arg.type = *type;
    // Only the composite types take their parts, and they need them.
    const bool composite = arg.type == ArgType::Literal || arg.type == ArgType::Struct
            || arg.type == ArgType::Array || arg.type == ArgType::Record;
    if (composite && shorthand)
        return fail(typeWhere, quoted(typeName) + u" needs the object form, e.g. "_s
                                + (arg.type == ArgType::Literal  ? u"{\"type\": \"literal\", \"values\": [\"a\", \"b\"]} or just [\"a\", \"b\"]"_s
                                   : arg.type == ArgType::Struct ? u"{\"type\": \"struct\", \"fields\": {\"x\": \"real\"}}"_s
                                   : arg.type == ArgType::Array  ? u"{\"type\": \"array\", \"element\": \"string\"}"_s
                                                                 : u"{\"type\": \"record\", \"value\": \"real\"}"_s));
    const QLatin1StringView part = arg.type == ArgType::Literal ? "values"_L1
            : arg.type == ArgType::Struct                       ? "fields"_L1
            : arg.type == ArgType::Array                        ? "element"_L1
                                                                : "value"_L1;
    for (QLatin1StringView key : {"values"_L1, "fields"_L1, "element"_L1, "value"_L1}) {
        if (object.contains(key) && (!composite || key != part))
            return fail(member(where, key), u"not a key of a "_s + typeName + u" argument"_s);
    }
    if (composite && !object.contains(part))
        return fail(where, u"a "_s + typeName + u" argument needs \""_s + QString(part) + u"\""_s);
    const QJsonValue partValue = object.value(part);
    const QString partWhere = member(where, part);
    const auto rawPart = rawValue.isEmpty() ? std::nullopt : Wire::RawJson::member(rawValue, part);
    switch (arg.type) {
    case ArgType::Literal: {
        if (!partValue.isArray() || partValue.toArray().isEmpty())
            return wrongType(partWhere, u"a non-empty array of literal values"_s, partValue);
        ArgDef literal;
        if (!this->arg(name, partValue, partWhere, {}, &literal, depth + 1))
            return false;
        arg.literals = literal.literals;
        break;
    }
    case ArgType::Struct: {
        if (!partValue.isObject())
            return wrongType(partWhere, u"an object mapping field names to types"_s, partValue);
        const QJsonObject fields = partValue.toObject();
        const auto rawFields = rawPart ? Wire::RawJson::members(*rawPart) : std::nullopt;
        for (const QString &key : keyOrder(fields, rawPart.value_or(QByteArrayView()))) {
            QByteArrayView rawField;
            for (const auto &[k, v] : rawFields.value_or(QList<std::pair<QString, QByteArrayView>>())) {
                if (k == key)
                    rawField = v;
            }
            ArgDef field;
            if (!this->arg(key, fields.value(key), partWhere + u'.' + key, rawField, &field, depth + 1))
                return false;
            arg.fields.push_back(field);
        }
        break;
    }
    case ArgType::Array:
    case ArgType::Record: {
        ArgDef element;
        if (!this->arg(QString(), partValue, partWhere, rawPart.value_or(QByteArrayView()), &element, depth + 1))
            return false;
        arg.element.push_back(element);
        break;
    }
    default:
        break;
    }
    *out = arg;
    return true;
}

bool Reader::materializer(const QJsonValue &value, const QString &where, EventDef *event)
{
    QStringList statements;
    if (value.isString()) {
        if (value.toString().trimmed().isEmpty())
            return fail(where, u"empty SQL statement (use [] for an event that writes nothing)"_s);
        statements.append(value.toString());
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QJsonValue statement = array.at(i);
            if (!statement.isString() || statement.toString().trimmed().isEmpty())
                return wrongType(element(where, i), u"a non-empty SQL statement string"_s, statement);
            statements.append(statement.toString());
        }
    } else if (value.isObject()) {
        // {"cpp": true}: the event's materializer is C++ code, which a file cannot hold (a schema
        // written by Schema::toJson(), a store's recorded schema).
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, {"cpp"_L1}, where))
            return false;
        const QJsonValue cpp = object.value("cpp"_L1);
        if (cpp != QJsonValue(true))
            return wrongType(member(where, "cpp"_L1), u"true (the materializer is C++ code)"_s, cpp);
        event->cppMaterializerMissing = true;
        return true;
    } else {
        return wrongType(where, u"an SQL statement string or an array of them"_s, value);
    }
    event->materializeSql(statements);
    return true;
}

// 1-based line and column (in characters) of a byte offset, because editors count that way.
QString position(const QByteArray &json, qsizetype offset)
{
    const QString before = QString::fromUtf8(json.left(std::clamp<qsizetype>(offset, 0, json.size())));
    const qsizetype line = before.count(u'\n') + 1;
    const qsizetype column = before.size() - (before.lastIndexOf(u'\n') + 1) + 1;
    return u"line %1, column %2 (offset %3)"_s.arg(QString::number(line), QString::number(column),
                                                 QString::number(offset));
}

void setError(QString *errorString, const QString &message)
{
    if (errorString)
        *errorString = message;
}

} // namespace

Schema Schema::fromJson(const QByteArray &json, QString *errorString)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return failedToLoad(u"invalid JSON at "_s + position(json, parseError.offset) + u": "_s
                                    + parseError.errorString(),
                            errorString);
    }
    if (!document.isObject()) {
        return failedToLoad(u"expected a JSON object at the top level, got "_s
                                    + (document.isArray() ? u"an array"_s : u"nothing"_s),
                            errorString);
    }

    Reader reader;
    reader.raw = json;
    std::optional<Schema> schema = reader.schema(document.object());
    if (!schema)
        return failedToLoad(reader.error, errorString);
    setError(errorString, QString());
    return *std::move(schema);
}

Schema Schema::fromFile(const QString &path, QString *errorString)
{
    if (path.isEmpty())
        return failedToLoad(u"no schema file path given"_s, errorString);

    // QML hands out resource files as qrc: URLs and local files as file: URLs; QFile wants
    // ":/..." and plain paths.
    QString localPath = path;
    if (path.startsWith("qrc:"_L1, Qt::CaseInsensitive)) {
        QString resourcePath = QUrl(path).path(QUrl::FullyDecoded);
        if (!resourcePath.startsWith(u'/'))
            resourcePath.prepend(u'/');
        localPath = u":"_s + resourcePath;
    } else if (path.startsWith("file:"_L1, Qt::CaseInsensitive)) {
        localPath = QUrl(path).toLocalFile();
    }

    QFile file(localPath);
    if (!file.open(QIODevice::ReadOnly))
        return failedToLoad(u"cannot read schema file "_s + quoted(path) + u": "_s + file.errorString(),
                            errorString);
    const QByteArray json = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return failedToLoad(u"cannot read schema file "_s + quoted(path) + u": "_s + file.errorString(),
                            errorString);

    Schema schema = fromJson(json);
    if (!schema.isValid())
        return failedToLoad(path + u": "_s + schema.errorString(), errorString);
    setError(errorString, QString());
    return schema;
}

Schema Schema::fromStore(const QString &directory, QString *errorString)
{
    if (directory.isEmpty())
        return failedToLoad(u"no store directory given"_s, errorString);
    const QString path = QDir(directory).filePath(u"store.db"_s);
    if (!QFileInfo(path).isFile())
        return failedToLoad(u"there is no store in %1 (no store.db)"_s.arg(directory), errorString);

    // Read-only and without the store's lock: the app that writes the store may have it open.
    sqlite3 *db = nullptr;
    const auto closeDb = qScopeGuard([&db] { sqlite3_close(db); });
    const auto sqliteError = [&db] { return db ? QString::fromUtf8(sqlite3_errmsg(db)) : u"out of memory"_s; };
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
        return failedToLoad(u"cannot read %1: %2"_s.arg(path, sqliteError()), errorString);
    sqlite3_busy_timeout(db, 5000);

    // One value of a one-row statement; nullopt when there is no row, an error when it fails.
    QString queryError;
    const auto single = [&](const char *statement) -> std::optional<QByteArray> {
        sqlite3_stmt *stmt = nullptr;
        const auto finalize = qScopeGuard([&stmt] { sqlite3_finalize(stmt); });
        if (sqlite3_prepare_v2(db, statement, -1, &stmt, nullptr) != SQLITE_OK) {
            queryError = sqliteError();
            return std::nullopt;
        }
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            return QByteArray(reinterpret_cast<const char *>(sqlite3_column_blob(stmt, 0)), sqlite3_column_bytes(stmt, 0));
        if (rc != SQLITE_DONE)
            queryError = sqliteError();
        return std::nullopt;
    };
    const std::optional<QByteArray> applicationId = single("PRAGMA application_id");
    if (!queryError.isEmpty())
        return failedToLoad(u"%1 is not a LiveStore store: %2"_s.arg(path, queryError), errorString);
    if (applicationId.value_or(QByteArray()).toLongLong() != ApplicationId)
        return failedToLoad(u"%1 is not a LiveStore store"_s.arg(path), errorString);
    const std::optional<QByteArray> recorded = single("SELECT value FROM __livestore_meta WHERE key = 'schema'");
    if (!queryError.isEmpty())
        return failedToLoad(u"cannot read the schema recorded in %1: %2"_s.arg(path, queryError), errorString);
    if (!recorded)
        return failedToLoad(u"the store in %1 records no schema: it was last opened for writing by a "
                            "version that did not record it. Open it for writing once with its schema, "
                            "which records it"_s.arg(directory),
                            errorString);

    Schema schema = fromJson(*recorded);
    if (!schema.isValid())
        return failedToLoad(u"the schema recorded in %1 cannot be loaded: %2"_s.arg(path, schema.errorString()),
                            errorString);
    setError(errorString, QString());
    return schema;
}

} // namespace LiveStore
