// SPDX-License-Identifier: BSD-3-Clause
// Reading the declarative schema file (docs/schema.md): JSON in, a Schema built through the public
// API out, from a file, text or what a store recorded (Schema::fromStore()). The way back,
// Schema::toJson(), is schemafilewriter.cpp. The reader's parts: schemafilereader_p.h.

#include "schema.h"

#include "schemafile_p.h"
#include "schemafilereader_p.h"
#include "store_p.h"
#include "sync/rawjson_p.h"

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

} // namespace

namespace detail {

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

bool SchemaFileReader::fail(const QString &where, const QString &message)
{
    error = where.isEmpty() ? message : where + u": "_s + message;
    return false;
}

bool SchemaFileReader::wrongType(const QString &where, const QString &expected, const QJsonValue &got)
{
    return fail(where, u"expected "_s + expected + u", got "_s + describe(got));
}

bool SchemaFileReader::checkKeys(const QJsonObject &object, Keys allowed, const QString &where)
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

bool SchemaFileReader::optionalBool(const QJsonObject &object, QLatin1StringView key, const QString &where,
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

bool SchemaFileReader::optionalReason(const QJsonObject &object, QLatin1StringView key, const QString &where,
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

bool SchemaFileReader::requiredName(const QJsonObject &object, const QString &where, QString *out)
{
    const QJsonValue value = object.value("name"_L1);
    if (value.isUndefined())
        return fail(where, u"missing \"name\""_s);
    if (!value.isString() || value.toString().isEmpty())
        return wrongType(member(where, "name"_L1), u"a non-empty string"_s, value);
    *out = value.toString();
    return true;
}

bool SchemaFileReader::nameList(const QJsonValue &value, const QString &where, QStringList *out)
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

std::optional<Schema> SchemaFileReader::schema(const QJsonObject &root)
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

} // namespace detail

namespace {

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

    detail::SchemaFileReader reader;
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
        return failedToLoad(u"cannot read schema file "_s + detail::quoted(path) + u": "_s + file.errorString(),
                            errorString);
    const QByteArray json = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return failedToLoad(u"cannot read schema file "_s + detail::quoted(path) + u": "_s + file.errorString(),
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
