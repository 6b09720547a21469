// SPDX-License-Identifier: BSD-3-Clause
// Schemas: the C++ builder and the DDL it produces, table hashes, Schema::validate(), argument
// encoding, event records, sequence numbers, client documents and the JSON schema-file loader.
#include "todoschema.h"

#include <materializercontext.h>
#include <schema.h>
#include <sequencenumber.h>
#include <store.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qpoint.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qurl.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(LiveStore::ColumnDef)
Q_DECLARE_METATYPE(LiveStore::TableDef)
Q_DECLARE_METATYPE(LiveStore::EventDef)
Q_DECLARE_METATYPE(LiveStore::Schema)
Q_DECLARE_METATYPE(LiveStore::SequenceNumber)
Q_DECLARE_METATYPE(LiveStore::ColumnType)
Q_DECLARE_METATYPE(LiveStore::ArgType)

namespace LiveStore {
// Readable QCOMPARE failures for sequence numbers (found by argument-dependent lookup).
char *toString(const SequenceNumber &n)
{
    return QTest::toString(n.toString());
}
} // namespace LiveStore

namespace {

const QVariant Null = QVariant::fromValue(nullptr);

// Java's String.hashCode over UTF-16 code units: what TableDef::hash() is documented to be.
qint32 javaHash(const QString &text)
{
    quint32 h = 0;
    for (QChar c : text)
        h = h * 31u + c.unicode();
    return qint32(h);
}

QString compactJson(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

EventDef oneArg(const ArgDef &arg)
{
    return EventDef::synced(u"v1.E"_s).arg(arg).materializeSql({});
}

QDateTime utc(int y, int mo, int d, int h, int mi, int s = 0, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::UTC);
}

// The table every DDL/hash test starts from.
TableDef baseTable()
{
    return TableDef{u"items"_s}
            .column(ColumnDef::text(u"id"_s).primaryKey())
            .column(ColumnDef::text(u"title"_s).withDefault(u""_s))
            .column(ColumnDef::integer(u"count"_s).withDefault(0))
            .column(ColumnDef::boolean(u"done"_s).withDefault(false))
            .column(ColumnDef::json(u"meta"_s).nullable())
            .index(u"items_title"_s, {u"title"_s});
}

// A store whose materializers insert whatever the event says; used to check that the DDL does
// what it claims (defaults, NOT NULL, STRICT, keys, indexes, AUTOINCREMENT).
Schema constraintSchema()
{
    Schema s;
    s.addTable(TableDef{u"defaults"_s}
                       .column(ColumnDef::text(u"id"_s).primaryKey())
                       .column(ColumnDef::text(u"s"_s).withDefault(u"it's"_s))
                       .column(ColumnDef::integer(u"n"_s).withDefault(42))
                       .column(ColumnDef::boolean(u"yes"_s).withDefault(true))
                       .column(ColumnDef::boolean(u"no"_s).withDefault(false))
                       .column(ColumnDef::real(u"r"_s).withDefault(0.5))
                       .column(ColumnDef::json(u"j"_s).withDefault(
                               QVariantMap{{u"tags"_s, QVariantList{u"x"_s}}}))
                       .column(ColumnDef::dateTime(u"d"_s).withDefault(
                               QDateTime(QDate(2024, 5, 1), QTime(14, 0), Qt::OffsetFromUTC, 7200)))
                       .column(ColumnDef::text(u"e"_s).withDefaultSql(u"'a' || 'b'"_s))
                       .column(ColumnDef::text(u"nul"_s).nullable().withDefault(QVariant()))
                       .column(ColumnDef::integer(u"u"_s).nullable())
                       .index(u"defaults_n"_s, {u"n"_s})
                       .index(u"defaults_u"_s, {u"u"_s}, true));
    s.addTable(TableDef{u"pairs"_s}
                       .column(ColumnDef::text(u"a"_s).primaryKey())
                       .column(ColumnDef::integer(u"b"_s).primaryKey()));
    s.addTable(TableDef{u"log"_s}
                       .column(ColumnDef::integer(u"seq"_s).primaryKey().autoIncrement())
                       .column(ColumnDef::text(u"msg"_s)));
    s.addEvent(EventDef::synced(u"v1.Insert"_s)
                       .arg(u"table"_s, ArgType::String)
                       .arg(u"row"_s, ArgType::Json)
                       .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                           return {Query::insert(e.arg(u"table"_s).toString(), e.arg(u"row"_s).toMap())};
                       }));
    s.addEvent(EventDef::synced(u"v1.Sql"_s)
                       .arg(u"statement"_s, ArgType::String)
                       .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                           return {Query::sql(e.arg(u"statement"_s).toString())};
                       }));
    return s;
}

Event insertEvent(const QString &table, const QVariantMap &row)
{
    return {u"v1.Insert"_s, {{u"table"_s, table}, {u"row"_s, row}}};
}

// Client documents: one merging partial sets, one replacing the whole value.
Schema documentSchema()
{
    Schema s;
    ClientDocumentDef prefs;
    prefs.name = u"prefs"_s;
    prefs.defaultValue = {{u"theme"_s, u"light"_s}, {u"size"_s, 12}};
    s.addClientDocument(prefs);
    ClientDocumentDef layout;
    layout.name = u"layout"_s;
    layout.defaultId = u"main"_s;
    layout.defaultValue = {{u"cols"_s, 2}, {u"rows"_s, 3}};
    layout.partialSet = false;
    s.addClientDocument(layout);
    return s;
}

// The full-featured schema file and the schema the C++ builder makes of the same declarations.
const QByteArray FullSchemaFile = R"json({
  "version": 1,
  "unknownEventHandling": "fail",
  "tables": [
    {
      "name": "items",
      "columns": [
        { "name": "id", "type": "text", "primaryKey": true },
        { "name": "title", "type": "text", "default": "it\u0027s" },
        { "name": "count", "type": "integer", "default": 3 },
        { "name": "price", "type": "real", "default": 1.25 },
        { "name": "done", "type": "boolean", "default": true },
        { "name": "meta", "type": "json", "default": { "tags": ["a"] } },
        { "name": "due", "type": "datetime", "default": "2024-05-01T14:00:00+02:00" },
        { "name": "note", "type": "text", "nullable": true, "default": null },
        { "name": "data", "type": "blob", "nullable": true },
        { "name": "stamp", "type": "text", "default": { "sql": "'x' || 'y'" } }
      ],
      "indexes": [
        { "name": "items_title", "columns": ["title"] },
        { "name": "items_count_due", "columns": ["count", "due"], "unique": true }
      ]
    },
    {
      "name": "pairs",
      "columns": [ { "name": "a", "type": "text" }, { "name": "b", "type": "integer" } ],
      "primaryKey": ["a", "b"]
    },
    {
      "name": "log",
      "columns": [
        { "name": "seq", "type": "integer", "primaryKey": true, "autoIncrement": true },
        { "name": "msg", "type": "text" }
      ]
    }
  ],
  "clientDocuments": [
    { "name": "prefs", "default": { "id": "me", "value": { "theme": "light" } }, "partialSet": false }
  ],
  "events": [
    {
      "name": "v1.ItemAdded",
      "args": { "id": "string", "title": "string?", "count": "integer", "price": "number",
                "done": "boolean", "due": "datetime", "meta": "json" },
      "materializer": "INSERT INTO items (id, count) VALUES ($id, $count)"
    },
    {
      "name": "v1.Logged",
      "clientOnly": true,
      "deprecated": "old",
      "args": { "msg": { "type": "string", "optional": true, "nullable": false, "deprecated": "unused" } },
      "materializer": ["INSERT INTO log (msg) VALUES (coalesce($msg, ''))", "DELETE FROM log WHERE seq < 0"]
    },
    { "name": "v1.Noop", "materializer": [] }
  ]
})json"_ba;

Schema fullSchemaBuilt()
{
    Schema s;
    s.setUnknownEventPolicy(UnknownEventPolicy::Fail);
    s.addTable(TableDef{u"items"_s}
                       .column(ColumnDef::text(u"id"_s).primaryKey())
                       .column(ColumnDef::text(u"title"_s).withDefault(u"it's"_s))
                       .column(ColumnDef::integer(u"count"_s).withDefault(3))
                       .column(ColumnDef::real(u"price"_s).withDefault(1.25))
                       .column(ColumnDef::boolean(u"done"_s).withDefault(true))
                       .column(ColumnDef::json(u"meta"_s).withDefault(
                               QVariantMap{{u"tags"_s, QVariantList{u"a"_s}}}))
                       .column(ColumnDef::dateTime(u"due"_s).withDefault(utc(2024, 5, 1, 12, 0)))
                       .column(ColumnDef::text(u"note"_s).nullable().withDefault(QVariant()))
                       .column(ColumnDef::blob(u"data"_s).nullable())
                       .column(ColumnDef::text(u"stamp"_s).withDefaultSql(u"'x' || 'y'"_s))
                       .index(u"items_title"_s, {u"title"_s})
                       .index(u"items_count_due"_s, {u"count"_s, u"due"_s}, true));
    s.addTable(TableDef{u"pairs"_s}
                       .column(ColumnDef::text(u"a"_s).primaryKey())
                       .column(ColumnDef::integer(u"b"_s).primaryKey()));
    s.addTable(TableDef{u"log"_s}
                       .column(ColumnDef::integer(u"seq"_s).primaryKey().autoIncrement())
                       .column(ColumnDef::text(u"msg"_s)));
    s.addClientDocument({u"prefs"_s, u"me"_s, QJsonObject{{u"theme"_s, u"light"_s}}, false});
    s.addEvent(EventDef::synced(u"v1.ItemAdded"_s)
                       .arg(u"id"_s, ArgType::String)
                       .arg(ArgDef{u"title"_s, ArgType::String}.optional().nullable())
                       .arg(u"count"_s, ArgType::Integer)
                       .arg(u"price"_s, ArgType::Real)
                       .arg(u"done"_s, ArgType::Boolean)
                       .arg(u"due"_s, ArgType::DateTime)
                       .arg(u"meta"_s, ArgType::Json)
                       .materializeSql({u"INSERT INTO items (id, count) VALUES ($id, $count)"_s}));
    s.addEvent(EventDef::clientOnly(u"v1.Logged"_s)
                       .deprecate(u"old"_s)
                       .arg(ArgDef{u"msg"_s, ArgType::String}.optional().deprecate(u"unused"_s))
                       .materializeSql({u"INSERT INTO log (msg) VALUES (coalesce($msg, ''))"_s,
                                        u"DELETE FROM log WHERE seq < 0"_s}));
    s.addEvent(EventDef::synced(u"v1.Noop"_s).materializeSql({}));
    return s;
}

// Compares two schemas declaration by declaration (materializer functions aside). With
// `extraEventsAllowed`, `actual` may define events that `expected` lacks.
void compareSchemas(const Schema &actual, const Schema &expected, bool extraEventsAllowed = false)
{
    QCOMPARE(actual.unknownEventPolicy(), expected.unknownEventPolicy());
    const QList<TableDef> at = actual.tables();
    const QList<TableDef> et = expected.tables();
    QCOMPARE(at.size(), et.size());
    for (qsizetype i = 0; i < at.size(); ++i) {
        QCOMPARE(at.at(i).name, et.at(i).name);
        QCOMPARE(at.at(i).ddl(), et.at(i).ddl());
        QCOMPARE(at.at(i).hash(), et.at(i).hash());
    }
    QCOMPARE(actual.stateHash(), expected.stateHash());

    const QList<EventDef> ae = actual.events();
    const QList<EventDef> ee = expected.events();
    if (extraEventsAllowed)
        QVERIFY(ae.size() >= ee.size());
    else
        QCOMPARE(ae.size(), ee.size());
    for (const EventDef &e : ee) {
        const EventDef *a = actual.event(e.name);
        QVERIFY2(a, qPrintable(e.name));
        QCOMPARE(a->isClientOnly, e.isClientOnly);
        QCOMPARE(a->isDerived, e.isDerived);
        QCOMPARE(a->deprecated, e.deprecated);
        QCOMPARE(a->hasMaterializer(), e.hasMaterializer());
        QCOMPARE(a->hasSqlMaterializer, e.hasSqlMaterializer);
        QCOMPARE(a->sqlStatements, e.sqlStatements);
        QCOMPARE(a->args.size(), e.args.size());
        for (const ArgDef &arg : e.args) {
            const ArgDef *b = a->findArg(arg.name);
            QVERIFY2(b, qPrintable(QString(e.name + u'.' + arg.name)));
            QCOMPARE(b->type, arg.type);
            QCOMPARE(b->isOptional, arg.isOptional);
            QCOMPARE(b->isNullable, arg.isNullable);
            QCOMPARE(b->deprecated, arg.deprecated);
        }
        QCOMPARE(a->hash(), e.hash());
    }

    const QList<ClientDocumentDef> ad = actual.clientDocuments();
    const QList<ClientDocumentDef> ed = expected.clientDocuments();
    QCOMPARE(ad.size(), ed.size());
    for (qsizetype i = 0; i < ad.size(); ++i) {
        QCOMPARE(ad.at(i).name, ed.at(i).name);
        QCOMPARE(ad.at(i).defaultId, ed.at(i).defaultId);
        QCOMPARE(ad.at(i).defaultValue, ed.at(i).defaultValue);
        QCOMPARE(ad.at(i).partialSet, ed.at(i).partialSet);
        QCOMPARE(bool(ad.at(i).valueSchema), bool(ed.at(i).valueSchema));
        if (ad.at(i).valueSchema)
            QCOMPARE(ad.at(i).valueSchema->typeJson(), ed.at(i).valueSchema->typeJson());
    }
}

// Every column type, argument type and client-document option, for the round trip through a
// schema file (Schema::toJson() and back).
Schema everyFeatureSchema()
{
    Schema s;
    s.setUnknownEventPolicy(UnknownEventPolicy::Ignore);
    s.setFailedEventPolicy(FailedEventPolicy::Fail);
    s.addTable(TableDef{u"every"_s}
                       .column(ColumnDef::text(u"id"_s).primaryKey())
                       .column(ColumnDef::text(u"text"_s).withDefault(u"it's \"q\" \u00e4 \U0001F600"_s))
                       .column(ColumnDef::integer(u"int"_s).withDefault(-9007199254740991LL))
                       .column(ColumnDef::real(u"real"_s).withDefault(0.1))
                       .column(ColumnDef::real(u"whole"_s).withDefault(2))
                       .column(ColumnDef::blob(u"blob"_s).nullable().withDefault(QVariant()))
                       .column(ColumnDef::blob(u"blobSql"_s).withDefaultSql(u"X''"_s))
                       .column(ColumnDef::boolean(u"yes"_s).withDefault(true))
                       .column(ColumnDef::boolean(u"no"_s).withDefault(false))
                       .column(ColumnDef::json(u"jsonObject"_s).withDefault(QVariantMap{{u"b"_s, 1}, {u"a"_s, QVariantList{u"x"_s, 1.5, true, QVariant::fromValue(nullptr)}}}))
                       .column(ColumnDef::json(u"jsonString"_s).withDefault(u"text"_s))
                       .column(ColumnDef::json(u"jsonNumber"_s).withDefault(1))
                       .column(ColumnDef::json(u"shaped"_s).nullable().withSchema(ArgDef::structOf({}, {
                               ArgDef{u"zeta"_s, ArgType::String}, ArgDef{u"alpha"_s, ArgType::Real}.optional(),
                               ArgDef::arrayOf(u"tags"_s, ArgDef{{}, ArgType::String})})))
                       .column(ColumnDef::dateTime(u"at"_s).withDefault(QDateTime(QDate(2024, 5, 1), QTime(14, 0), Qt::OffsetFromUTC, 7200)))
                       .column(ColumnDef::dateTime(u"created"_s).withDefaultSql(u"CURRENT_TIMESTAMP"_s))
                       .column(ColumnDef::dateTimeInteger(u"ms"_s).withDefault(QDateTime(QDate(1969, 12, 31), QTime(23, 0), Qt::UTC)))
                       .column(ColumnDef::dateTimeInteger(u"msInt"_s).nullable().withDefault(1714564800000LL))
                       .column(ColumnDef::integer(u"maybe"_s).nullable())
                       .index(u"every_int"_s, {u"int"_s})
                       .index(u"every_yes_at"_s, {u"yes"_s, u"at"_s}, true));
    s.addTable(TableDef{u"pairs"_s}
                       .column(ColumnDef::text(u"a"_s).primaryKey())
                       .column(ColumnDef::integer(u"b"_s).primaryKey())
                       .column(ColumnDef::text(u"c"_s).nullable()));
    s.addTable(TableDef{u"log"_s}
                       .column(ColumnDef::integer(u"seq"_s).primaryKey().autoIncrement())
                       .column(ColumnDef::text(u"msg"_s)));
    ClientDocumentDef plain;
    plain.name = u"plain"_s;
    s.addClientDocument(plain);
    ClientDocumentDef shaped{u"shapedDoc"_s, ClientDocumentDef::sessionIdDefault(),
                             QJsonObject{{u"filter"_s, u"all"_s}, {u"size"_s, 12}, {u"nested"_s, QJsonObject{{u"z"_s, 1}, {u"a"_s, QJsonArray{1, 2}}}}}, false};
    shaped.valueSchema = ArgDef::structOf({}, {ArgDef::literal(u"filter"_s, {u"all"_s, u"done"_s}),
                                                ArgDef{u"size"_s, ArgType::Integer},
                                                ArgDef{u"nested"_s, ArgType::Json}.optional()});
    s.addClientDocument(shaped);
    ClientDocumentDef record{u"scores"_s, u"main"_s, QJsonObject{{u"a"_s, 1.5}}};
    record.valueSchema = ArgDef::recordOf({}, ArgDef{{}, ArgType::Real});
    s.addClientDocument(record);
    s.addEvent(EventDef::synced(u"v1.Every"_s)
                       .arg(u"s"_s, ArgType::String)
                       .arg(u"i"_s, ArgType::Integer)
                       .arg(u"r"_s, ArgType::Real)
                       .arg(u"b"_s, ArgType::Boolean)
                       .arg(u"d"_s, ArgType::DateTime)
                       .arg(u"j"_s, ArgType::Json)
                       .arg(ArgDef{u"optional"_s, ArgType::String}.optional())
                       .arg(ArgDef{u"nullable"_s, ArgType::Integer}.nullable())
                       .arg(ArgDef{u"both"_s, ArgType::DateTime}.optional().nullable())
                       .arg(ArgDef{u"old"_s, ArgType::Real}.optional().nullable().deprecate(u"use r"_s))
                       .arg(ArgDef::literal(u"lit"_s, {u"a"_s, 1, 2.5, true, QVariant::fromValue(nullptr)}))
                       .arg(ArgDef::literal(u"litOptional"_s, {u"x"_s}).optional())
                       .arg(ArgDef::structOf(u"point"_s, {ArgDef{u"y"_s, ArgType::Real}, ArgDef{u"x"_s, ArgType::Real}.optional(),
                                                          ArgDef::structOf(u"inner"_s, {ArgDef{u"z"_s, ArgType::Boolean}}).nullable()}))
                       .arg(ArgDef::arrayOf(u"tags"_s, ArgDef{{}, ArgType::String}))
                       .arg(ArgDef::arrayOf(u"matrix"_s, ArgDef::arrayOf({}, ArgDef{{}, ArgType::Real}.nullable())).optional())
                       .arg(ArgDef::recordOf(u"scores"_s, ArgDef::structOf({}, {ArgDef{u"v"_s, ArgType::Integer}})))
                       .arg(ArgDef::recordOf(u"flags"_s, ArgDef{{}, ArgType::Boolean}).deprecate(u"unused"_s).optional())
                       .materializeSql({u"INSERT INTO pairs (a, b) VALUES ($s, $i)"_s,
                                        u"INSERT INTO log (msg) VALUES ($s)"_s}));
    s.addEvent(EventDef::clientOnly(u"v1.Local"_s)
                       .deprecate(u"kept for old events"_s)
                       .arg(u"msg"_s, ArgType::String)
                       .materializeSql({u"INSERT INTO log (msg) VALUES ($msg)"_s}));
    s.addEvent(EventDef::synced(u"v1.Code"_s)
                       .arg(u"id"_s, ArgType::String)
                       .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                           return {Query::insert(u"log"_s, {{u"msg"_s, e.arg(u"id"_s)}})};
                       }));
    s.addEvent(EventDef::synced(u"v1.Nothing"_s).materializeSql({}));
    return s;
}

QString sourceFile(const QString &relative)
{
    const QString root = qEnvironmentVariable("LIVESTORE_SOURCE_DIR");
    if (!root.isEmpty())
        return QDir(root).filePath(relative);
    // Run by hand without CTest's environment: three levels up from this file.
    return QFINDTESTDATA(QString(u"../../../"_s + relative));
}

} // namespace

class tst_Schema : public QObject
{
    Q_OBJECT

private:
    static bool openInMemory(Store &store, const Schema &schema)
    {
        StoreOptions o;
        o.storeId = u"schema-test"_s;
        o.schema = schema;
        o.inMemory = true;
        return store.open(o);
    }

private Q_SLOTS:
    // ---------------------------------------------------------------------------------------------
    // The C++ builder
    // ---------------------------------------------------------------------------------------------

    void columnTypes_data()
    {
        QTest::addColumn<ColumnDef>("column");
        QTest::addColumn<ColumnType>("type");
        QTest::addColumn<QString>("typeName");
        QTest::addColumn<QString>("ddl");
        const auto row = [](const char *tag, const ColumnDef &c, ColumnType t, const QString &name,
                            const QString &storage) {
            QTest::newRow(tag) << c << t << name
                               << QString(u"CREATE TABLE IF NOT EXISTS \"t\" (\"c\" "_s + storage + u" NOT NULL) STRICT"_s);
        };
        row("text", ColumnDef::text(u"c"_s), ColumnType::Text, u"text"_s, u"TEXT"_s);
        row("integer", ColumnDef::integer(u"c"_s), ColumnType::Integer, u"integer"_s, u"INTEGER"_s);
        row("real", ColumnDef::real(u"c"_s), ColumnType::Real, u"real"_s, u"REAL"_s);
        row("blob", ColumnDef::blob(u"c"_s), ColumnType::Blob, u"blob"_s, u"BLOB"_s);
        row("boolean", ColumnDef::boolean(u"c"_s), ColumnType::Boolean, u"boolean"_s, u"INTEGER"_s);
        row("json", ColumnDef::json(u"c"_s), ColumnType::Json, u"json"_s, u"TEXT"_s);
        row("datetime", ColumnDef::dateTime(u"c"_s), ColumnType::DateTime, u"datetime"_s, u"TEXT"_s);
    }
    void columnTypes()
    {
        QFETCH(ColumnDef, column);
        QFETCH(ColumnType, type);
        QFETCH(QString, typeName);
        QFETCH(QString, ddl);
        QCOMPARE(column.name, u"c"_s);
        QCOMPARE(column.type, type);
        QVERIFY(!column.isNullable);
        QVERIFY(!column.isPrimaryKey);
        QVERIFY(!column.isAutoIncrement);
        QVERIFY(!column.hasDefault());
        QCOMPARE(columnTypeName(type), typeName);
        QCOMPARE(columnTypeFromName(typeName), std::optional<ColumnType>(type));
        QCOMPARE(columnTypeFromName(typeName.toUpper()), std::nullopt);
        QCOMPARE(TableDef{u"t"_s}.column(column).ddl(), QStringList{ddl});
    }

    void argTypeNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("known");
        QTest::addColumn<ArgType>("type");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("string") << u"string"_s << true << ArgType::String << u"string"_s;
        QTest::newRow("integer") << u"integer"_s << true << ArgType::Integer << u"integer"_s;
        QTest::newRow("real") << u"real"_s << true << ArgType::Real << u"real"_s;
        QTest::newRow("number is real") << u"number"_s << true << ArgType::Real << u"real"_s;
        QTest::newRow("boolean") << u"boolean"_s << true << ArgType::Boolean << u"boolean"_s;
        QTest::newRow("datetime") << u"datetime"_s << true << ArgType::DateTime << u"datetime"_s;
        QTest::newRow("json") << u"json"_s << true << ArgType::Json << u"json"_s;
        QTest::newRow("int") << u"int"_s << false << ArgType::String << QString();
        QTest::newRow("String") << u"String"_s << false << ArgType::String << QString();
        QTest::newRow("string?") << u"string?"_s << false << ArgType::String << QString();
    }
    void argTypeNames()
    {
        QFETCH(QString, name);
        QFETCH(bool, known);
        QFETCH(ArgType, type);
        QFETCH(QString, canonical);
        const std::optional<ArgType> parsed = argTypeFromName(name);
        QCOMPARE(parsed.has_value(), known);
        if (known) {
            QCOMPARE(*parsed, type);
            QCOMPARE(argTypeName(*parsed), canonical);
        }
    }

    void builderChains()
    {
        ColumnDef c = ColumnDef::integer(u"n"_s);
        ColumnDef &same = c.nullable().primaryKey().autoIncrement().withDefault(7);
        QCOMPARE(&same, &c);
        QCOMPARE(c.name, u"n"_s);
        QCOMPARE(c.type, ColumnType::Integer);
        QVERIFY(c.isNullable);
        QVERIFY(c.isPrimaryKey);
        QVERIFY(c.isAutoIncrement);
        QVERIFY(c.hasDefault());
        QCOMPARE(c.defaultKind, ColumnDef::DefaultKind::Value);
        QCOMPARE(c.defaultValue, QVariant(7));
        c.withDefaultSql(u"1 + 1"_s).nullable(false).autoIncrement(false).primaryKey(false);
        QCOMPARE(c.defaultKind, ColumnDef::DefaultKind::Sql);
        QCOMPARE(c.defaultSql, u"1 + 1"_s);
        QVERIFY(!c.isNullable);
        QVERIFY(!c.isAutoIncrement);
        QVERIFY(!c.isPrimaryKey);
        // A null QVariant default is still a default (DEFAULT NULL).
        QVERIFY(ColumnDef::text(u"x"_s).withDefault(QVariant()).hasDefault());

        TableDef t{u"t"_s};
        TableDef &chained = t.column(ColumnDef::text(u"a"_s).primaryKey())
                                    .column(ColumnDef::integer(u"b"_s).primaryKey())
                                    .column(ColumnDef::real(u"c"_s))
                                    .index(u"t_c"_s, {u"c"_s})
                                    .index(u"t_bc"_s, {u"b"_s, u"c"_s}, true);
        QCOMPARE(&chained, &t);
        QCOMPARE(t.columns.size(), 3);
        QCOMPARE(t.columns.at(2).name, u"c"_s);
        QCOMPARE(t.primaryKey(), (QStringList{u"a"_s, u"b"_s}));
        QCOMPARE(t.indexes.size(), 2);
        QCOMPARE(t.indexes.at(0).name, u"t_c"_s);
        QCOMPARE(t.indexes.at(0).columns, QStringList{u"c"_s});
        QVERIFY(!t.indexes.at(0).isUnique);
        QCOMPARE(t.indexes.at(1).columns, (QStringList{u"b"_s, u"c"_s}));
        QVERIFY(t.indexes.at(1).isUnique);
        QVERIFY(t.findColumn(u"b"));
        QCOMPARE(t.findColumn(u"b")->type, ColumnType::Integer);
        QCOMPARE(t.findColumn(u"B"), nullptr);
        QCOMPARE(t.findColumn(u"zz"), nullptr);

        EventDef e = EventDef::synced(u"v1.X"_s);
        EventDef &echained = e.arg(u"a"_s, ArgType::String)
                                     .arg(ArgDef{u"b"_s, ArgType::DateTime}.optional().nullable().deprecate(u"why"_s))
                                     .deprecate(u"gone"_s)
                                     .materializeSql({});
        QCOMPARE(&echained, &e);
        QVERIFY(!e.isClientOnly);
        QVERIFY(!e.isDerived);
        QCOMPARE(e.deprecated, u"gone"_s);
        QCOMPARE(e.args.size(), 2);
        QVERIFY(e.findArg(u"b"));
        QVERIFY(e.findArg(u"b")->isOptional);
        QVERIFY(e.findArg(u"b")->isNullable);
        QCOMPARE(e.findArg(u"b")->deprecated, u"why"_s);
        QVERIFY(!e.findArg(u"a")->isOptional);
        QCOMPARE(e.findArg(u"c"), nullptr);
        // An empty SQL list is a materializer (a no-op); a default EventDef has none.
        QVERIFY(e.hasMaterializer());
        QVERIFY(e.sqlStatements.isEmpty());
        QVERIFY(!EventDef::synced(u"v1.Y"_s).hasMaterializer());
        QVERIFY(EventDef::clientOnly(u"v1.Z"_s).isClientOnly);
        QVERIFY(EventDef::synced(u"v1.Z"_s).materialize([](const EventRecord &, MaterializerContext &) {
                    return Writes{};
                }).hasMaterializer());
    }

    void ddl_data()
    {
        QTest::addColumn<TableDef>("table");
        QTest::addColumn<QStringList>("ddl");

        QTest::newRow("strict table, single primary key inline, not null")
                << TableDef{u"todos"_s}
                           .column(ColumnDef::text(u"id"_s).primaryKey())
                           .column(ColumnDef::text(u"text"_s).withDefault(u""_s))
                           .column(ColumnDef::boolean(u"completed"_s).withDefault(false))
                           .column(ColumnDef::integer(u"deletedAt"_s).nullable())
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "todos" ("id" TEXT PRIMARY KEY NOT NULL, "text" TEXT NOT NULL DEFAULT '', "completed" INTEGER NOT NULL DEFAULT 0, "deletedAt" INTEGER) STRICT)"_s};
        QTest::newRow("quoted identifiers")
                << TableDef{u"odd \"name\""_s}
                           .column(ColumnDef::text(u"a \"b\""_s))
                           .column(ColumnDef::integer(u"select"_s))
                           .index(u"ix \"1\""_s, {u"a \"b\""_s})
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "odd ""name""" ("a ""b""" TEXT NOT NULL, "select" INTEGER NOT NULL) STRICT)"_s,
                               uR"(CREATE INDEX IF NOT EXISTS "ix ""1""" ON "odd ""name""" ("a ""b"""))"_s};
        QTest::newRow("string defaults")
                << TableDef{u"t"_s}
                           .column(ColumnDef::text(u"a"_s).withDefault(u"it's"_s))
                           .column(ColumnDef::text(u"b"_s).withDefault(u"x"_s))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" TEXT NOT NULL DEFAULT 'it''s', "b" TEXT NOT NULL DEFAULT 'x') STRICT)"_s};
        QTest::newRow("integer defaults")
                << TableDef{u"t"_s}
                           .column(ColumnDef::integer(u"a"_s).withDefault(42))
                           .column(ColumnDef::integer(u"b"_s).withDefault(qint64(-9007199254740991)))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" INTEGER NOT NULL DEFAULT 42, "b" INTEGER NOT NULL DEFAULT -9007199254740991) STRICT)"_s};
        QTest::newRow("boolean defaults are 0/1")
                << TableDef{u"t"_s}
                           .column(ColumnDef::boolean(u"a"_s).withDefault(true))
                           .column(ColumnDef::boolean(u"b"_s).withDefault(false))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" INTEGER NOT NULL DEFAULT 1, "b" INTEGER NOT NULL DEFAULT 0) STRICT)"_s};
        QTest::newRow("real default")
                << TableDef{u"t"_s}.column(ColumnDef::real(u"a"_s).withDefault(0.5))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" REAL NOT NULL DEFAULT 0.5) STRICT)"_s};
        QTest::newRow("null default")
                << TableDef{u"t"_s}
                           .column(ColumnDef::text(u"a"_s).nullable().withDefault(QVariant()))
                           .column(ColumnDef::integer(u"b"_s).nullable().withDefault(Null))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" TEXT DEFAULT NULL, "b" INTEGER DEFAULT NULL) STRICT)"_s};
        QTest::newRow("sql expression default in parentheses")
                << TableDef{u"t"_s}.column(ColumnDef::text(u"a"_s).withDefaultSql(u"CURRENT_TIMESTAMP"_s))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" TEXT NOT NULL DEFAULT (CURRENT_TIMESTAMP)) STRICT)"_s};
        QTest::newRow("json defaults are JSON text")
                << TableDef{u"t"_s}
                           .column(ColumnDef::json(u"a"_s).withDefault(QVariantMap{{u"tags"_s, QVariantList{}}}))
                           .column(ColumnDef::json(u"b"_s).withDefault(u"x"_s))
                           .column(ColumnDef::json(u"c"_s).withDefault(QVariantList{1, u"two"_s}))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" TEXT NOT NULL DEFAULT '{"tags":[]}', "b" TEXT NOT NULL DEFAULT '"x"', "c" TEXT NOT NULL DEFAULT '[1,"two"]') STRICT)"_s};
        QTest::newRow("datetime default in UTC")
                << TableDef{u"t"_s}.column(ColumnDef::dateTime(u"a"_s).withDefault(
                           QDateTime(QDate(2024, 5, 1), QTime(14, 0), Qt::OffsetFromUTC, 7200)))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" TEXT NOT NULL DEFAULT '2024-05-01T12:00:00.000Z') STRICT)"_s};
        QTest::newRow("composite primary key clause")
                << TableDef{u"pairs"_s}
                           .column(ColumnDef::text(u"folder"_s).primaryKey())
                           .column(ColumnDef::text(u"title"_s))
                           .column(ColumnDef::integer(u"id"_s).primaryKey())
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "pairs" ("folder" TEXT NOT NULL, "title" TEXT NOT NULL, "id" INTEGER NOT NULL, PRIMARY KEY ("folder", "id")) STRICT)"_s};
        QTest::newRow("autoIncrement")
                << TableDef{u"log"_s}
                           .column(ColumnDef::integer(u"seq"_s).primaryKey().autoIncrement())
                           .column(ColumnDef::text(u"msg"_s))
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "log" ("seq" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "msg" TEXT NOT NULL) STRICT)"_s};
        QTest::newRow("named index and unique index")
                << TableDef{u"t"_s}
                           .column(ColumnDef::text(u"a"_s))
                           .column(ColumnDef::integer(u"b"_s))
                           .index(u"t_a"_s, {u"a"_s})
                           .index(u"t_ab"_s, {u"a"_s, u"b"_s}, true)
                << QStringList{uR"(CREATE TABLE IF NOT EXISTS "t" ("a" TEXT NOT NULL, "b" INTEGER NOT NULL) STRICT)"_s,
                               uR"(CREATE INDEX IF NOT EXISTS "t_a" ON "t" ("a"))"_s,
                               uR"(CREATE UNIQUE INDEX IF NOT EXISTS "t_ab" ON "t" ("a", "b"))"_s};
    }
    void ddl()
    {
        QFETCH(TableDef, table);
        QFETCH(QStringList, ddl);
        QCOMPARE(table.ddl(), ddl);
        // Pure: the same again.
        QCOMPARE(table.ddl(), ddl);
    }

    void ddlWorksInStore()
    {
        Store store;
        QVERIFY2(openInMemory(store, constraintSchema()), qPrintable(store.errorString()));
        QVERIFY2(store.commit(insertEvent(u"defaults"_s, {{u"id"_s, u"a"_s}})), qPrintable(store.errorString()));
        const QueryResult r = store.query(Query::from(u"defaults"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowCount(), 1);
        QCOMPARE(r.value(0, u"id"), QVariant(u"a"_s));
        QCOMPARE(r.value(0, u"s"), QVariant(u"it's"_s));
        QCOMPARE(r.value(0, u"n").typeId(), QMetaType::LongLong);
        QCOMPARE(r.value(0, u"n").toLongLong(), 42);
        QCOMPARE(r.value(0, u"yes"), QVariant(true));
        QCOMPARE(r.value(0, u"no"), QVariant(false));
        QCOMPARE(r.value(0, u"r"), QVariant(0.5));
        QCOMPARE(r.value(0, u"j").toMap(), (QVariantMap{{u"tags"_s, QVariantList{u"x"_s}}}));
        QCOMPARE(r.value(0, u"d").toDateTime(), utc(2024, 5, 1, 12, 0));
        QCOMPARE(r.value(0, u"e"), QVariant(u"ab"_s));
        QVERIFY(r.value(0, u"nul").isNull());
        QVERIFY(r.value(0, u"u").isNull());
        // The stored text of the defaults, not the decoded values.
        const QueryResult raw = store.query(u"SELECT CAST(j AS TEXT) AS j, CAST(d AS TEXT) AS d, yes + 0 AS yes FROM defaults"_s);
        QVERIFY2(raw.isValid(), qPrintable(raw.errorString()));
        QCOMPARE(raw.value(0, u"j"), QVariant(uR"({"tags":["x"]})"_s));
        QCOMPARE(raw.value(0, u"d"), QVariant(u"2024-05-01T12:00:00.000Z"_s));
        QCOMPARE(raw.value(0, u"yes").toLongLong(), 1);

        // The tables are STRICT and the indexes exist, the second one unique.
        const QueryResult strict = store.query(u"SELECT strict FROM pragma_table_list WHERE name = 'defaults'"_s);
        QVERIFY2(strict.isValid(), qPrintable(strict.errorString()));
        QCOMPARE(strict.scalar().toLongLong(), 1);
        const QueryResult indexes = store.query(
                u"SELECT name, \"unique\" FROM pragma_index_list('defaults') WHERE origin = 'c' ORDER BY name"_s);
        QVERIFY2(indexes.isValid(), qPrintable(indexes.errorString()));
        QCOMPARE(indexes.rowCount(), 2);
        QCOMPARE(indexes.value(0, 0), QVariant(u"defaults_n"_s));
        QCOMPARE(indexes.value(0, 1).toLongLong(), 0);
        QCOMPARE(indexes.value(1, 0), QVariant(u"defaults_u"_s));
        QCOMPARE(indexes.value(1, 1).toLongLong(), 1);
    }

    void ddlConstraints_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QVariantList>("rows");
        QTest::addColumn<QString>("error"); // a part of the commit's error; empty: it succeeds
        QTest::addColumn<int>("rowCount");

        QTest::newRow("defaults fill the rest") << u"defaults"_s
                << QVariantList{QVariantMap{{u"id"_s, u"a"_s}}, QVariantMap{{u"id"_s, u"b"_s}}} << QString() << 2;
        QTest::newRow("not null column")
                << u"defaults"_s << QVariantList{QVariantMap{{u"id"_s, u"a"_s}, {u"s"_s, Null}}}
                << u"NOT NULL constraint failed: defaults.s"_s << 0;
        QTest::newRow("text primary key is not null")
                << u"defaults"_s << QVariantList{QVariantMap{{u"s"_s, u"x"_s}}}
                << u"NOT NULL constraint failed: defaults.id"_s << 0;
        QTest::newRow("strict column types")
                << u"defaults"_s << QVariantList{QVariantMap{{u"id"_s, u"a"_s}, {u"n"_s, u"many"_s}}}
                << u"cannot store TEXT value in INTEGER column defaults.n"_s << 0;
        QTest::newRow("single primary key")
                << u"defaults"_s << QVariantList{QVariantMap{{u"id"_s, u"a"_s}}, QVariantMap{{u"id"_s, u"a"_s}}}
                << u"UNIQUE constraint failed: defaults.id"_s << 0;
        QTest::newRow("unique index")
                << u"defaults"_s
                << QVariantList{QVariantMap{{u"id"_s, u"a"_s}, {u"u"_s, 1}}, QVariantMap{{u"id"_s, u"b"_s}, {u"u"_s, 1}}}
                << u"UNIQUE constraint failed: defaults.u"_s << 0;
        QTest::newRow("plain index allows duplicates")
                << u"defaults"_s
                << QVariantList{QVariantMap{{u"id"_s, u"a"_s}, {u"n"_s, 1}}, QVariantMap{{u"id"_s, u"b"_s}, {u"n"_s, 1}}}
                << QString() << 2;
        QTest::newRow("composite key, distinct pairs")
                << u"pairs"_s
                << QVariantList{QVariantMap{{u"a"_s, u"x"_s}, {u"b"_s, 1}}, QVariantMap{{u"a"_s, u"x"_s}, {u"b"_s, 2}},
                                QVariantMap{{u"a"_s, u"y"_s}, {u"b"_s, 1}}}
                << QString() << 3;
        QTest::newRow("composite key, same pair")
                << u"pairs"_s
                << QVariantList{QVariantMap{{u"a"_s, u"x"_s}, {u"b"_s, 1}}, QVariantMap{{u"a"_s, u"x"_s}, {u"b"_s, 1}}}
                << u"UNIQUE constraint failed: pairs.a, pairs.b"_s << 0;
    }
    void ddlConstraints()
    {
        QFETCH(QString, table);
        QFETCH(QVariantList, rows);
        QFETCH(QString, error);
        QFETCH(int, rowCount);
        Store store;
        QVERIFY2(openInMemory(store, constraintSchema()), qPrintable(store.errorString()));
        QList<Event> events;
        for (const QVariant &row : std::as_const(rows))
            events.append(insertEvent(table, row.toMap()));
        const bool ok = store.commit(events);
        if (error.isEmpty()) {
            QVERIFY2(ok, qPrintable(store.errorString()));
        } else {
            QVERIFY(!ok);
            QVERIFY2(store.errorString().contains(error), qPrintable(store.errorString()));
        }
        QCOMPARE(store.query(Query::from(table).count()).scalar().toLongLong(), rowCount);
    }

    void autoIncrementNeverReuses()
    {
        Store store;
        QVERIFY2(openInMemory(store, constraintSchema()), qPrintable(store.errorString()));
        QVERIFY2(store.commit(QList<Event>{insertEvent(u"log"_s, {{u"msg"_s, u"a"_s}}),
                               insertEvent(u"log"_s, {{u"msg"_s, u"b"_s}}),
                               {u"v1.Sql"_s, {{u"statement"_s, u"DELETE FROM log WHERE seq = 2"_s}}},
                               insertEvent(u"log"_s, {{u"msg"_s, u"c"_s}})}),
                 qPrintable(store.errorString()));
        const QueryResult r = store.query(Query::from(u"log"_s).orderBy(u"seq"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowCount(), 2);
        QCOMPARE(r.value(0, u"seq").toLongLong(), 1);
        QCOMPARE(r.value(0, u"msg"), QVariant(u"a"_s));
        // Without AUTOINCREMENT SQLite would hand out 2 again.
        QCOMPARE(r.value(1, u"seq").toLongLong(), 3);
        QCOMPARE(r.value(1, u"msg"), QVariant(u"c"_s));
    }

    // ---------------------------------------------------------------------------------------------
    // Hashes
    // ---------------------------------------------------------------------------------------------

    void hashIsStable()
    {
        const TableDef t = baseTable();
        const qint32 h = t.hash();
        QCOMPARE(t.hash(), h);
        const TableDef copy = t;
        QCOMPARE(copy.hash(), h);
        QCOMPARE(baseTable().hash(), h);
        // The documented definition: Java's String.hashCode of the table's compact JSON form.
        QCOMPARE(h, javaHash(compactJson(t.toJson())));
        QVERIFY(h != 0);

        Schema s;
        s.addTable(t).addTable(TableDef{u"other"_s}.column(ColumnDef::integer(u"x"_s)));
        const qint32 sh = s.stateHash();
        QCOMPARE(s.stateHash(), sh);
        const Schema copied = s;
        QCOMPARE(copied.stateHash(), sh);
        Schema assigned;
        assigned = s;
        QCOMPARE(assigned.stateHash(), sh);
        Schema moved = std::move(assigned);
        QCOMPARE(moved.stateHash(), sh);
        // Copy-on-write: changing the copy leaves the original alone.
        Schema changed = s;
        changed.addTable(TableDef{u"third"_s}.column(ColumnDef::text(u"y"_s)));
        QCOMPARE(s.stateHash(), sh);
        QCOMPARE(s.tables().size(), 2);
        QVERIFY(changed.stateHash() != sh);
        QCOMPARE(todoSchema().stateHash(), todoSchema().stateHash());
        // C++ or SQL materializers: the same tables.
        QCOMPARE(todoSchema(true).stateHash(), todoSchema(false).stateHash());
    }

    void hashIgnoresTableOrder()
    {
        const TableDef a = baseTable();
        const TableDef b = TableDef{u"archive"_s}.column(ColumnDef::text(u"id"_s).primaryKey());
        const TableDef c = TableDef{u"zeta"_s}.column(ColumnDef::real(u"v"_s));
        ClientDocumentDef doc{u"ui"_s, u"default"_s, QJsonObject{{u"x"_s, 1}}};
        Schema one;
        one.addTable(a).addTable(b).addTable(c).addClientDocument(doc);
        Schema two;
        two.addClientDocument(doc).addTable(c).addTable(a).addTable(b);
        QCOMPARE(one.stateHash(), two.stateHash());
        // ... but every table counts.
        Schema fewer;
        fewer.addTable(a).addTable(b).addClientDocument(doc);
        QVERIFY(fewer.stateHash() != one.stateHash());
        Schema noDoc;
        noDoc.addTable(a).addTable(b).addTable(c);
        QVERIFY(noDoc.stateHash() != one.stateHash());
    }

    // The hashes are computed as their JSON text goes by, for names and values that JSON writes as
    // they are; the others take the QJsonDocument path. Either way: the documented definition.
    void hashesMatchTheirDocuments_data()
    {
        QTest::addColumn<TableDef>("table");
        QTest::addColumn<EventDef>("event");
        const auto column = [](const ColumnDef &c) {
            return TableDef{u"t"_s}.column(ColumnDef::text(u"id"_s).primaryKey()).column(c);
        };
        const auto event = [](const QList<ArgDef> &args) {
            EventDef e = EventDef::synced(u"v1.E"_s);
            for (const ArgDef &a : args)
                e.arg(a);
            return e;
        };
        const EventDef simple = event({{u"b"_s, ArgType::Integer}, {u"a"_s, ArgType::String}});
        QTest::newRow("plain") << baseTable() << simple;
        QTest::newRow("no columns, no args") << TableDef{u"empty"_s} << EventDef::synced(u"v1.E"_s);
        QTest::newRow("all printable ASCII")
                << column(ColumnDef::text(u" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"_s))
                << event({{u" !#$%&'()*+,-./:;<=>?@[]^_`{|}~"_s, ArgType::Real}});
        QTest::newRow("quote") << column(ColumnDef::text(u"a\"b"_s)) << event({{u"a\"b"_s, ArgType::String}});
        QTest::newRow("backslash") << column(ColumnDef::text(u"a\\b"_s)) << event({{u"a\\b"_s, ArgType::String}});
        QTest::newRow("control") << column(ColumnDef::text(u"a\tb\u0001"_s)) << event({{u"a\nb"_s, ArgType::String}});
        QTest::newRow("DEL") << column(ColumnDef::text(u"a\u007fb"_s)) << event({{u"a\u007f"_s, ArgType::String}});
        QTest::newRow("non-ASCII") << column(ColumnDef::text(u"größe"_s)) << event({{u"größe"_s, ArgType::String}});
        QTest::newRow("astral") << column(ColumnDef::text(u"a\U0001F600"_s)) << event({{u"\U0001F600"_s, ArgType::String}});
        QTest::newRow("flags") << column(ColumnDef::integer(u"n"_s).nullable().autoIncrement())
                               << event({ArgDef{u"x"_s, ArgType::Boolean}.optional(),
                                         ArgDef{u"y"_s, ArgType::DateTime}.nullable(),
                                         ArgDef{u"z"_s, ArgType::Json}});
        QTest::newRow("duplicate arg names")
                << baseTable() << event({{u"a"_s, ArgType::String}, {u"a"_s, ArgType::Integer}});
        QTest::newRow("literal") << baseTable()
                                 << event({ArgDef::literal(u"k"_s, {u"x"_s, 2})});
        QTest::newRow("array") << baseTable()
                               << event({ArgDef::arrayOf(u"k"_s, ArgDef{{}, ArgType::String})});
        QTest::newRow("default sql") << column(ColumnDef::dateTime(u"d"_s).withDefaultSql(u"CURRENT_TIMESTAMP"_s)) << simple;
        QTest::newRow("default sql, quoted") << column(ColumnDef::text(u"d"_s).withDefaultSql(u"'a\"b'"_s)) << simple;
        QTest::newRow("default null") << column(ColumnDef::text(u"d"_s).nullable().withDefault(QVariant())) << simple;
        QTest::newRow("default text") << column(ColumnDef::text(u"d"_s).withDefault(u"Untitled"_s)) << simple;
        QTest::newRow("default empty text") << column(ColumnDef::text(u"d"_s).withDefault(QString())) << simple;
        QTest::newRow("default text, newline") << column(ColumnDef::text(u"d"_s).withDefault(u"a\nb"_s)) << simple;
        QTest::newRow("default integer") << column(ColumnDef::integer(u"d"_s).withDefault(-42)) << simple;
        QTest::newRow("default big integer")
                << column(ColumnDef::integer(u"d"_s).withDefault(Q_INT64_C(9007199254740993))) << simple;
        QTest::newRow("default boolean") << column(ColumnDef::boolean(u"d"_s).withDefault(true)) << simple;
        QTest::newRow("default real") << column(ColumnDef::real(u"d"_s).withDefault(0.1)) << simple;
        QTest::newRow("default integral real") << column(ColumnDef::real(u"d"_s).withDefault(2.0)) << simple;
        QTest::newRow("default json object")
                << column(ColumnDef::json(u"d"_s).withDefault(QVariantMap{{u"b"_s, 1}, {u"a"_s, u"x"_s}})) << simple;
        QTest::newRow("default json true") << column(ColumnDef::json(u"d"_s).withDefault(true)) << simple;
        QTest::newRow("default datetime integer")
                << column(ColumnDef::dateTimeInteger(u"d"_s).withDefault(QDateTime(QDate(1969, 12, 31), QTime(23, 0), Qt::UTC)))
                << simple;
        QTest::newRow("default datetime")
                << column(ColumnDef::dateTime(u"d"_s).withDefault(QDateTime(QDate(2024, 5, 1), QTime(12, 0), Qt::UTC)))
                << simple;
        QTest::newRow("indexes") << [] {
            TableDef t = baseTable();
            t.index(u"byText"_s, {u"text"_s, u"completed"_s});
            t.index(u"u\"q"_s, {u"id"_s}, true);
            return t;
        }() << simple;
    }
    void hashesMatchTheirDocuments()
    {
        QFETCH(TableDef, table);
        QFETCH(EventDef, event);
        QCOMPARE(table.hash(), javaHash(compactJson(table.toJson())));
        QCOMPARE(event.hash(), javaHash(compactJson(event.argsSchemaJson())));
        Schema schema;
        schema.addTable(TableDef{u"b"_s}.column(ColumnDef::text(u"x"_s))).addTable(table).addTable(baseTable());
        QList<TableDef> sorted = schema.tables();
        std::sort(sorted.begin(), sorted.end(),
                  [](const TableDef &a, const TableDef &b) { return a.name < b.name; });
        QJsonArray tables;
        for (const TableDef &t : sorted)
            tables.append(t.toJson());
        QCOMPARE(schema.stateHash(),
                 javaHash(QString::fromUtf8(QJsonDocument(tables).toJson(QJsonDocument::Compact))));
    }

    void hashChanges_data()
    {
        QTest::addColumn<TableDef>("base");
        QTest::addColumn<TableDef>("changed");
        const TableDef base = baseTable();
        const auto newRow = [&base](const char *tag) -> QTestData & { return QTest::newRow(tag) << base; };
        const auto withColumn = [&base](qsizetype i, const ColumnDef &c) {
            TableDef t = base;
            t.columns[i] = c;
            return t;
        };
        newRow("table renamed") << [&] { TableDef t = base; t.name = u"things"_s; return t; }();
        newRow("column renamed") << withColumn(1, ColumnDef::text(u"name"_s).withDefault(u""_s));
        newRow("column type") << withColumn(2, ColumnDef::real(u"count"_s).withDefault(0));
        newRow("column nullable") << withColumn(2, ColumnDef::integer(u"count"_s).nullable().withDefault(0));
        newRow("column not nullable") << withColumn(4, ColumnDef::json(u"meta"_s));
        newRow("default value") << withColumn(2, ColumnDef::integer(u"count"_s).withDefault(1));
        newRow("default removed") << withColumn(2, ColumnDef::integer(u"count"_s));
        newRow("default as SQL") << withColumn(2, ColumnDef::integer(u"count"_s).withDefaultSql(u"0"_s));
        newRow("boolean default") << withColumn(3, ColumnDef::boolean(u"done"_s).withDefault(true));
        newRow("default null added") << withColumn(4, ColumnDef::json(u"meta"_s).nullable().withDefault(QVariant()));
        newRow("primary key") << withColumn(1, ColumnDef::text(u"title"_s).primaryKey().withDefault(u""_s));
        newRow("column added") << TableDef{base}.column(ColumnDef::integer(u"priority"_s).withDefault(3));
        newRow("column order") << [&] {
            TableDef t = base;
            t.columns.swapItemsAt(1, 2);
            return t;
        }();
        newRow("index added") << TableDef{base}.index(u"items_count"_s, {u"count"_s});
        newRow("index removed") << [&] { TableDef t = base; t.indexes.clear(); return t; }();
        newRow("index renamed") << [&] { TableDef t = base; t.indexes[0].name = u"by_title"_s; return t; }();
        newRow("index unique") << [&] { TableDef t = base; t.indexes[0].isUnique = true; return t; }();
        newRow("index columns") << [&] { TableDef t = base; t.indexes[0].columns.append(u"count"_s); return t; }();
        // A json column's default is stored as JSON text: true and 1 are different defaults
        // ('true' and '1' in the DDL), so they must hash differently too.
        QTest::newRow("json default true -> 1") << withColumn(4, ColumnDef::json(u"meta"_s).withDefault(true))
                                                << withColumn(4, ColumnDef::json(u"meta"_s).withDefault(1));
    }
    void hashChanges()
    {
        QFETCH(TableDef, base);
        QFETCH(TableDef, changed);
        // Every row is a real change of the definition ...
        QVERIFY(changed.ddl() != base.ddl() || compactJson(changed.toJson()) != compactJson(base.toJson()));
        // ... so the table hash and the state hash change.
        QVERIFY2(changed.hash() != base.hash(),
                 qPrintable(QString(changed.ddl().join(u"; "_s) + u" hashes like "_s + base.ddl().join(u"; "_s))));
        Schema a;
        a.addTable(base).addTable(TableDef{u"other"_s}.column(ColumnDef::text(u"x"_s)));
        Schema b;
        b.addTable(changed).addTable(TableDef{u"other"_s}.column(ColumnDef::text(u"x"_s)));
        QVERIFY(a.stateHash() != b.stateHash());
    }

    void hashIgnoresEvents_data()
    {
        QTest::addColumn<Schema>("schema");
        const auto tables = [] {
            Schema s;
            s.addTable(baseTable());
            return s;
        };
        const auto created = [] {
            return EventDef::synced(u"v1.Created"_s).arg(u"id"_s, ArgType::String);
        };
        QTest::newRow("no events") << tables();
        QTest::newRow("sql materializer") << [&] {
            Schema s = tables();
            s.addEvent(created().materializeSql({u"INSERT INTO items (id) VALUES ($id)"_s}));
            return s;
        }();
        QTest::newRow("other sql materializer") << [&] {
            Schema s = tables();
            s.addEvent(created().materializeSql({u"INSERT OR IGNORE INTO items (id, count) VALUES ($id, 1)"_s}));
            return s;
        }();
        QTest::newRow("c++ materializer") << [&] {
            Schema s = tables();
            s.addEvent(created().materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                return {Query::insert(u"items"_s, {{u"id"_s, e.arg(u"id"_s)}})};
            }));
            return s;
        }();
        QTest::newRow("more events, other args") << [&] {
            Schema s = tables();
            s.addEvent(created().arg(ArgDef{u"title"_s, ArgType::String}.optional()).materializeSql({}));
            s.addEvent(EventDef::clientOnly(u"v1.Other"_s).deprecate(u"x"_s).materializeSql({}));
            return s;
        }();
        QTest::newRow("unknown event policy") << [&] {
            Schema s = tables();
            s.setUnknownEventPolicy(UnknownEventPolicy::Fail);
            return s;
        }();
    }
    void hashIgnoresEvents()
    {
        QFETCH(Schema, schema);
        Schema plain;
        plain.addTable(baseTable());
        QCOMPARE(schema.stateHash(), plain.stateHash());
    }

    void eventHash()
    {
        const EventDef base = EventDef::synced(u"v1.E"_s)
                                      .arg(u"id"_s, ArgType::String)
                                      .arg(u"n"_s, ArgType::Integer)
                                      .materializeSql({u"SELECT 1"_s});
        QCOMPARE(base.hash(), base.hash());
        QCOMPARE(base.hash(), javaHash(compactJson(base.argsSchemaJson())));
        QCOMPARE(base.argsSchemaJson(),
                 (QJsonObject{{u"id"_s, QJsonObject{{u"type"_s, u"string"_s}, {u"optional"_s, false}, {u"nullable"_s, false}}},
                              {u"n"_s, QJsonObject{{u"type"_s, u"integer"_s}, {u"optional"_s, false}, {u"nullable"_s, false}}}}));
        // The argument schema counts, in any order; the materializer and the name do not.
        const EventDef reordered = EventDef::synced(u"v1.E"_s)
                                           .arg(u"n"_s, ArgType::Integer)
                                           .arg(u"id"_s, ArgType::String)
                                           .materializeSql({u"SELECT 2"_s});
        QCOMPARE(reordered.hash(), base.hash());
        QCOMPARE(EventDef{base}.materializeSql({}).hash(), base.hash());
        QVERIFY(EventDef{base}.arg(u"x"_s, ArgType::Json).hash() != base.hash());
        EventDef optional = base;
        optional.args[1].isOptional = true;
        QVERIFY(optional.hash() != base.hash());
        EventDef nullable = base;
        nullable.args[1].isNullable = true;
        QVERIFY(nullable.hash() != base.hash());
        EventDef retyped = base;
        retyped.args[1].type = ArgType::Real;
        QVERIFY(retyped.hash() != base.hash());
    }

    // ---------------------------------------------------------------------------------------------
    // Schema::validate()
    // ---------------------------------------------------------------------------------------------

    void validate_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("problems");
        const TableDef t = TableDef{u"t"_s}.column(ColumnDef::text(u"id"_s).primaryKey());
        const auto table = [](const TableDef &def) {
            Schema s;
            s.addTable(def);
            return s;
        };
        const auto event = [](const EventDef &def) {
            Schema s;
            s.addEvent(def);
            return s;
        };

        QTest::newRow("todo schema") << todoSchema() << QString();
        QTest::newRow("todo schema, c++") << todoSchema(true) << QString();
        QTest::newRow("empty") << Schema() << QString();
        QTest::newRow("duplicate table") << [&] {
            Schema s = table(t);
            s.addTable(TableDef{u"t"_s}.column(ColumnDef::integer(u"x"_s)));
            return s;
        }() << u"duplicate table \"t\""_s;
        QTest::newRow("duplicate event") << [&] {
            Schema s = event(EventDef::synced(u"v1.E"_s).materializeSql({}));
            s.addEvent(EventDef::clientOnly(u"v1.E"_s).materializeSql({}));
            return s;
        }() << u"duplicate event \"v1.E\""_s;
        QTest::newRow("duplicate column")
                << table(TableDef{t}.column(ColumnDef::integer(u"id"_s)))
                << u"table \"t\": duplicate column \"id\""_s;
        // SQLite ignores case in names: "T" would be the same table, "ID" the same column.
        QTest::newRow("tables differing in case") << [&] {
            Schema s = table(t);
            s.addTable(TableDef{u"T"_s}.column(ColumnDef::integer(u"x"_s)));
            return s;
        }() << u"table \"T\": the same table as \"t\" for SQLite, which ignores case in names"_s;
        QTest::newRow("columns differing in case")
                << table(TableDef{t}.column(ColumnDef::integer(u"ID"_s)))
                << u"table \"t\": duplicate column \"ID\""_s;
        // ... in ASCII letters only: "Ärger" and "ärger" are two tables for SQLite.
        QTest::newRow("tables differing in case beyond ASCII") << [&] {
            Schema s = table(TableDef{u"\u00C4rger"_s}.column(ColumnDef::text(u"id"_s)));
            s.addTable(TableDef{u"\u00E4rger"_s}.column(ColumnDef::text(u"id"_s)));
            return s;
        }() << QString();
        QTest::newRow("columns differing in case beyond ASCII")
                << table(TableDef{t}.column(ColumnDef::text(u"\u00C4"_s)).column(ColumnDef::text(u"\u00E4"_s)))
                << QString();
        QTest::newRow("duplicate argument")
                << event(EventDef::synced(u"v1.E"_s).arg(u"a"_s, ArgType::String).arg(u"a"_s, ArgType::Integer).materializeSql({}))
                << u"event \"v1.E\": duplicate argument \"a\""_s;
        QTest::newRow("reserved __livestore")
                << table(TableDef{u"__livestore_eventlog"_s}.column(ColumnDef::text(u"x"_s)))
                << u"table \"__livestore_eventlog\": the name is reserved"_s;
        QTest::newRow("reserved __livestore prefix")
                << table(TableDef{u"__livestorefoo"_s}.column(ColumnDef::text(u"x"_s)))
                << u"table \"__livestorefoo\": the name is reserved"_s;
        QTest::newRow("reserved sqlite_")
                << table(TableDef{u"sqlite_stat1"_s}.column(ColumnDef::text(u"x"_s)))
                << u"table \"sqlite_stat1\": the name is reserved"_s;
        QTest::newRow("reserved SQLITE_ (any case)")
                << table(TableDef{u"SQLite_x"_s}.column(ColumnDef::text(u"x"_s)))
                << u"table \"SQLite_x\": the name is reserved"_s;
        // SQLite table names are case-insensitive: this is the eventlog table.
        QTest::newRow("reserved __LIVESTORE (any case)")
                << table(TableDef{u"__LiveStore_eventlog"_s}.column(ColumnDef::text(u"x"_s)))
                << u"table \"__LiveStore_eventlog\": the name is reserved"_s;
        QTest::newRow("not reserved: livestore_")
                << table(TableDef{u"livestore_x"_s}.column(ColumnDef::text(u"x"_s))) << QString();
        QTest::newRow("event without materializer")
                << event(EventDef::synced(u"v1.E"_s).arg(u"a"_s, ArgType::String))
                << u"event \"v1.E\": no materializer"_s;
        QTest::newRow("empty sql materializer is one")
                << event(EventDef::synced(u"v1.E"_s).materializeSql({})) << QString();
        QTest::newRow("nullable primary key")
                << table(TableDef{u"t"_s}.column(ColumnDef::text(u"id"_s).primaryKey().nullable()))
                << u"table \"t\": primary key column \"id\" cannot be nullable"_s;
        QTest::newRow("autoIncrement on text")
                << table(TableDef{u"t"_s}.column(ColumnDef::text(u"id"_s).primaryKey().autoIncrement()))
                << u"table \"t\": autoIncrement needs a single integer primary key column (\"id\")"_s;
        QTest::newRow("autoIncrement not a key")
                << table(TableDef{t}.column(ColumnDef::integer(u"n"_s).autoIncrement()))
                << u"table \"t\": autoIncrement needs a single integer primary key column (\"n\")"_s;
        QTest::newRow("autoIncrement in composite key")
                << table(TableDef{t}.column(ColumnDef::integer(u"n"_s).primaryKey().autoIncrement()))
                << u"table \"t\": autoIncrement needs a single integer primary key column (\"n\")"_s;
        QTest::newRow("autoIncrement fine")
                << table(TableDef{u"t"_s}.column(ColumnDef::integer(u"n"_s).primaryKey().autoIncrement()))
                << QString();
        QTest::newRow("index on unknown column")
                << table(TableDef{t}.index(u"t_x"_s, {u"id"_s, u"x"_s}))
                << u"table \"t\": index \"t_x\" names unknown column \"x\""_s;
        QTest::newRow("empty index")
                << table(TableDef{t}.index(u"t_none"_s, {}))
                << u"table \"t\": index \"t_none\" has no columns"_s;
        QTest::newRow("index without name")
                << table(TableDef{t}.index(QString(), {u"id"_s}))
                << u"table \"t\": an index has no name"_s;
        QTest::newRow("index name used twice") << [&] {
            Schema s = table(TableDef{t}.index(u"ix"_s, {u"id"_s}));
            s.addTable(TableDef{u"u"_s}.column(ColumnDef::text(u"a"_s)).index(u"ix"_s, {u"a"_s}));
            return s;
        }() << u"table \"u\": duplicate index name \"ix\""_s;
        QTest::newRow("index names differing in case") << [&] {
            Schema s = table(TableDef{t}.index(u"ix"_s, {u"id"_s}));
            s.addTable(TableDef{u"u"_s}.column(ColumnDef::text(u"a"_s)).index(u"IX"_s, {u"a"_s}));
            return s;
        }() << u"table \"u\": duplicate index name \"IX\""_s;
        QTest::newRow("index naming its column in another case")
                << table(TableDef{t}.index(u"t_id"_s, {u"ID"_s})) << QString();
        QTest::newRow("index with a table's name") << [&] {
            Schema s = table(TableDef{t}.index(u"U"_s, {u"id"_s}));
            s.addTable(TableDef{u"u"_s}.column(ColumnDef::text(u"a"_s)));
            return s;
        }() << u"table \"t\": index \"U\" has the name of the table \"u\" (SQLite keeps tables and "
               u"indexes in one namespace)"_s;
        QTest::newRow("index with its own table's name")
                << table(TableDef{t}.index(u"t"_s, {u"id"_s}))
                << u"table \"t\": index \"t\" has the name of the table \"t\" (SQLite keeps tables and "
                   u"indexes in one namespace)"_s;
        QTest::newRow("reserved index name")
                << table(TableDef{t}.index(u"SQLite_t"_s, {u"id"_s}))
                << u"table \"t\": index \"SQLite_t\": the name is reserved"_s;
        QTest::newRow("index named after a table beyond ASCII case") << [&] {
            Schema s = table(TableDef{t}.index(u"Ärger"_s, {u"id"_s}));
            s.addTable(TableDef{u"ärger"_s}.column(ColumnDef::text(u"a"_s)));
            return s;
        }() << QString();
        QTest::newRow("null default, not nullable")
                << table(TableDef{t}.column(ColumnDef::text(u"a"_s).withDefault(QVariant())))
                << u"table \"t\": column \"a\" defaults to null but is not nullable"_s;
        QTest::newRow("empty sql default")
                << table(TableDef{t}.column(ColumnDef::text(u"a"_s).withDefaultSql(u"  "_s)))
                << u"table \"t\": column \"a\" has an empty SQL default"_s;
        QTest::newRow("no columns") << table(TableDef{u"t"_s}) << u"table \"t\": no columns"_s;
        QTest::newRow("table without name")
                << table(TableDef{QString()}.column(ColumnDef::text(u"a"_s)))
                << u"a table has no name"_s;
        QTest::newRow("column without name")
                << table(TableDef{t}.column(ColumnDef::text(QString())))
                << u"table \"t\": a column has no name"_s;
        QTest::newRow("argument without name")
                << event(EventDef::synced(u"v1.E"_s).arg(QString(), ArgType::String).materializeSql({}))
                << u"event \"v1.E\": an argument has no name"_s;
        QTest::newRow("client document table clash") << [&] {
            Schema s = table(TableDef{u"ui"_s}.column(ColumnDef::text(u"id"_s)));
            s.addClientDocument({u"ui"_s});
            return s;
        }() << u"duplicate table \"ui\""_s;
        QTest::newRow("client document event clash") << [&] {
            Schema s;
            s.addClientDocument({u"ui"_s});
            s.addEvent(EventDef::synced(u"uiSet"_s).materializeSql({}));
            return s;
        }() << u"duplicate event \"uiSet\""_s;
        QTest::newRow("several problems, joined") << [&] {
            Schema s = table(TableDef{u"t"_s}
                                     .column(ColumnDef::text(u"id"_s).primaryKey().nullable())
                                     .index(u"t_x"_s, {u"x"_s}));
            s.addTable(TableDef{u"t"_s});
            s.addEvent(EventDef::synced(u"v1.E"_s));
            return s;
        }() << u"duplicate table \"t\"; table \"t\": primary key column \"id\" cannot be nullable; "
               u"table \"t\": index \"t_x\" names unknown column \"x\"; event \"v1.E\": no materializer"_s;
    }
    void validate()
    {
        QFETCH(Schema, schema);
        QFETCH(QString, problems);
        QCOMPARE(schema.validate(), problems);
        Store store;
        if (problems.isEmpty()) {
            // SQLite agrees: the tables are made.
            QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
            return;
        }
        // A store refuses the schema with the same description.
        QVERIFY(!openInMemory(store, schema));
        QCOMPARE(store.errorString(), QString(u"invalid schema: "_s + problems));
        QVERIFY(!store.isOpen());
    }

    // ---------------------------------------------------------------------------------------------
    // Argument encoding
    // ---------------------------------------------------------------------------------------------

    void encodeArgs_data()
    {
        QTest::addColumn<EventDef>("def");
        QTest::addColumn<QVariantMap>("args");
        QTest::addColumn<QVariantMap>("encoded"); // on success
        QTest::addColumn<int>("encodedType");     // of "x" when present
        QTest::addColumn<QString>("error");       // empty: succeeds

        const auto ok = [](const char *tag, ArgType type, const QVariant &in, const QVariant &out) {
            QTest::newRow(tag) << oneArg({u"x"_s, type}) << QVariantMap{{u"x"_s, in}}
                               << QVariantMap{{u"x"_s, out}} << out.typeId() << QString();
        };
        const auto bad = [](const char *tag, const ArgDef &arg, const QVariantMap &in, const QString &error) {
            QTest::newRow(tag) << oneArg(arg) << in << QVariantMap() << 0 << QString(u"event \"v1.E\": "_s + error);
        };
        const auto badX = [&bad](const char *tag, ArgType type, const QVariant &in, const QString &error) {
            bad(tag, {u"x"_s, type}, {{u"x"_s, in}}, error);
        };
        const qint64 maxSafe = 9007199254740991LL;

        // string
        ok("string", ArgType::String, u"hi"_s, u"hi"_s);
        ok("string, empty", ArgType::String, u""_s, u""_s);
        badX("string from integer", ArgType::String, 5, u"argument \"x\" must be a string, got an integer"_s);
        badX("string from bool", ArgType::String, true, u"argument \"x\" must be a string, got a boolean"_s);
        badX("string from list", ArgType::String, QVariantList{u"a"_s}, u"argument \"x\" must be a string, got a list"_s);
        // integer
        ok("integer from int", ArgType::Integer, 5, qint64(5));
        ok("integer from uint", ArgType::Integer, 7u, qint64(7));
        ok("integer from qint64 max safe", ArgType::Integer, maxSafe, maxSafe);
        ok("integer from qint64 min safe", ArgType::Integer, -maxSafe, -maxSafe);
        ok("integer from integral double", ArgType::Integer, 3.0, qint64(3));
        ok("integer from negative integral double", ArgType::Integer, -12.0, qint64(-12));
        badX("integer from 1.5", ArgType::Integer, 1.5, u"argument \"x\" must be an integer, got a number"_s);
        badX("integer from 2^53 (qint64)", ArgType::Integer, maxSafe + 1,
             u"argument \"x\" is outside the exactly representable integer range (±2^53)"_s);
        badX("integer from -2^53 (qint64)", ArgType::Integer, -maxSafe - 1,
             u"argument \"x\" is outside the exactly representable integer range (±2^53)"_s);
        badX("integer from 2^53 (double)", ArgType::Integer, 9007199254740992.0,
             u"argument \"x\" must be an integer, got a number"_s);
        // quint64 max is far above 2^53; read as qint64 it would wrap to -1.
        badX("integer from quint64 max", ArgType::Integer,
             QVariant::fromValue(std::numeric_limits<quint64>::max()),
             u"argument \"x\" is outside the exactly representable integer range (±2^53)"_s);
        badX("integer from infinity", ArgType::Integer, std::numeric_limits<double>::infinity(),
             u"argument \"x\" must be an integer, got a number"_s);
        badX("integer from string", ArgType::Integer, u"5"_s, u"argument \"x\" must be an integer, got a string"_s);
        badX("integer from bool", ArgType::Integer, true, u"argument \"x\" must be an integer, got a boolean"_s);
        // real
        ok("real", ArgType::Real, 1.5, 1.5);
        ok("real from int", ArgType::Real, 2, 2.0);
        ok("real from qint64", ArgType::Real, qint64(-3), -3.0);
        badX("real NaN", ArgType::Real, std::nan(""), u"argument \"x\" must be a finite number"_s);
        badX("real infinity", ArgType::Real, -std::numeric_limits<double>::infinity(),
             u"argument \"x\" must be a finite number"_s);
        badX("real from string", ArgType::Real, u"1.5"_s, u"argument \"x\" must be a number, got a string"_s);
        badX("real from bool", ArgType::Real, false, u"argument \"x\" must be a number, got a boolean"_s);
        // boolean
        ok("boolean true", ArgType::Boolean, true, true);
        ok("boolean false", ArgType::Boolean, false, false);
        badX("boolean from int", ArgType::Boolean, 1, u"argument \"x\" must be a boolean, got an integer"_s);
        badX("boolean from string", ArgType::Boolean, u"true"_s, u"argument \"x\" must be a boolean, got a string"_s);
        // datetime
        ok("datetime from QDateTime with offset", ArgType::DateTime,
           QDateTime(QDate(2024, 5, 1), QTime(14, 0), Qt::OffsetFromUTC, 7200), u"2024-05-01T12:00:00.000Z"_s);
        ok("datetime from QDateTime UTC with ms", ArgType::DateTime, utc(2024, 5, 1, 12, 0, 30, 123),
           u"2024-05-01T12:00:30.123Z"_s);
        ok("datetime from ISO text with offset", ArgType::DateTime, u"2024-05-01T14:00:00+02:00"_s,
           u"2024-05-01T12:00:00.000Z"_s);
        ok("datetime from ISO text, negative offset", ArgType::DateTime, u"2024-04-30T23:30:00-01:00"_s,
           u"2024-05-01T00:30:00.000Z"_s);
        ok("datetime from ISO text Z with ms", ArgType::DateTime, u"2024-05-01T12:00:00.250Z"_s,
           u"2024-05-01T12:00:00.250Z"_s);
        badX("datetime from invalid text", ArgType::DateTime, u"yesterday"_s,
             u"argument \"x\" is not a valid date-time: \"yesterday\""_s);
        badX("datetime from month 13", ArgType::DateTime, u"2024-13-01T00:00:00Z"_s,
             u"argument \"x\" is not a valid date-time: \"2024-13-01T00:00:00Z\""_s);
        badX("datetime from invalid QDateTime", ArgType::DateTime, QDateTime(),
             u"argument \"x\" is not a valid date-time: \"\""_s);
        badX("datetime from integer", ArgType::DateTime, 1714564800,
             u"argument \"x\" must be a date-time (QDateTime or ISO-8601 text), got an integer"_s);
        // json
        ok("json object", ArgType::Json,
           QVariantMap{{u"a"_s, 1}, {u"b"_s, QVariantList{true, u"s"_s}}},
           QVariantMap{{u"a"_s, qint64(1)}, {u"b"_s, QVariantList{true, u"s"_s}}});
        ok("json QJsonObject", ArgType::Json, QJsonObject{{u"k"_s, u"v"_s}}, QVariantMap{{u"k"_s, u"v"_s}});
        ok("json list", ArgType::Json, QVariantList{1, u"two"_s, Null}, QVariantList{qint64(1), u"two"_s, Null});
        ok("json string", ArgType::Json, u"s"_s, u"s"_s);
        ok("json integer", ArgType::Json, 5, qint64(5));
        ok("json double", ArgType::Json, 2.5, 2.5);
        ok("json bool", ArgType::Json, true, true);
        badX("json null, not nullable", ArgType::Json, Null, u"argument \"x\" must not be null"_s);
        // A QPoint has no JSON form; it must not turn into null (x is not nullable).
        badX("json from QPoint", ArgType::Json, QVariant::fromValue(QPoint(1, 2)),
             u"argument \"x\" cannot be represented as JSON (a value of type QPoint)"_s);
        // optional / nullable
        QTest::newRow("optional, absent") << oneArg(ArgDef{u"x"_s, ArgType::String}.optional())
                                          << QVariantMap() << QVariantMap() << 0 << QString();
        QTest::newRow("optional, invalid QVariant is absent")
                << oneArg(ArgDef{u"x"_s, ArgType::Integer}.optional()) << QVariantMap{{u"x"_s, QVariant()}}
                << QVariantMap() << 0 << QString();
        QTest::newRow("optional, present") << oneArg(ArgDef{u"x"_s, ArgType::Integer}.optional())
                                           << QVariantMap{{u"x"_s, 4}} << QVariantMap{{u"x"_s, qint64(4)}}
                                           << int(QMetaType::LongLong) << QString();
        QTest::newRow("nullable, null") << oneArg(ArgDef{u"x"_s, ArgType::String}.nullable())
                                        << QVariantMap{{u"x"_s, Null}} << QVariantMap{{u"x"_s, Null}}
                                        << int(QMetaType::Nullptr) << QString();
        QTest::newRow("optional nullable datetime, null")
                << oneArg(ArgDef{u"x"_s, ArgType::DateTime}.optional().nullable())
                << QVariantMap{{u"x"_s, Null}} << QVariantMap{{u"x"_s, Null}} << int(QMetaType::Nullptr) << QString();
        QTest::newRow("nullable json, null") << oneArg(ArgDef{u"x"_s, ArgType::Json}.nullable())
                                             << QVariantMap{{u"x"_s, Null}} << QVariantMap{{u"x"_s, Null}}
                                             << int(QMetaType::Nullptr) << QString();
        bad("required, absent", {u"x"_s, ArgType::String}, {}, u"missing argument \"x\" (string)"_s);
        bad("required datetime, absent", {u"x"_s, ArgType::DateTime}, {}, u"missing argument \"x\" (datetime)"_s);
        bad("nullable but not optional, absent", ArgDef{u"x"_s, ArgType::Integer}.nullable(), {},
            u"missing argument \"x\" (integer)"_s);
        bad("not nullable, null", {u"x"_s, ArgType::String}, {{u"x"_s, Null}}, u"argument \"x\" must not be null"_s);
        bad("optional but not nullable, null", ArgDef{u"x"_s, ArgType::Integer}.optional(), {{u"x"_s, Null}},
            u"argument \"x\" must not be null"_s);
        // unknown arguments
        bad("unknown argument", {u"x"_s, ArgType::String}, {{u"x"_s, u"a"_s}, {u"y"_s, 1}},
            u"unknown argument \"y\" (arguments: x)"_s);
        QTest::newRow("unknown argument, event without arguments")
                << EventDef::synced(u"v1.E"_s).materializeSql({}) << QVariantMap{{u"y"_s, 1}} << QVariantMap() << 0
                << u"event \"v1.E\": unknown argument \"y\" (arguments: none)"_s;
        QTest::newRow("unknown argument, several known")
                << EventDef::synced(u"v1.E"_s).arg(u"b"_s, ArgType::String).arg(u"a"_s, ArgType::String).materializeSql({})
                << QVariantMap{{u"a"_s, u"1"_s}, {u"b"_s, u"2"_s}, {u"c"_s, u"3"_s}} << QVariantMap() << 0
                << u"event \"v1.E\": unknown argument \"c\" (arguments: b, a)"_s;
    }
    void encodeArgs()
    {
        QFETCH(EventDef, def);
        QFETCH(QVariantMap, args);
        QFETCH(QVariantMap, encoded);
        QFETCH(int, encodedType);
        QFETCH(QString, error);
        QString message = u"untouched"_s;
        const std::optional<QVariantMap> result = def.encodeArgs(args, &message);
        // Without an error string it answers the same.
        QCOMPARE(def.encodeArgs(args, nullptr).has_value(), result.has_value());
        if (!error.isEmpty()) {
            if (result)
                QFAIL(qPrintable(QString(u"accepted as "_s + compactJson(QJsonObject::fromVariantMap(*result)))));
            QCOMPARE(message, error);
            return;
        }
        QVERIFY2(result, qPrintable(message));
        QCOMPARE(result->keys(), encoded.keys());
        QCOMPARE(*result, encoded);
        if (result->contains(u"x"_s))
            QCOMPARE(result->value(u"x"_s).typeId(), encodedType);
        // What encodeArgs produces is valid encoded form.
        QString validateError;
        QVERIFY2(def.validateEncodedArgs(*result, &validateError), qPrintable(validateError));
    }

    void validateEncodedArgs_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        const auto row = [](const char *tag, const QByteArray &json, const QString &error) {
            QTest::newRow(tag) << json << (error.isEmpty() ? error : QString(u"event \"v1.V\": "_s + error));
        };
        row("all valid", R"({"s":"x","i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{"a":[1]},"n":null})"_ba, {});
        row("optional given", R"({"s":"x","i":5,"r":1,"b":false,"d":"2024-05-01T14:00:00+02:00","j":[],"n":3,"o":"y"})"_ba, {});
        row("integer written as 5.0", R"({"s":"","i":5.0,"r":1.5,"b":true,"d":"2024-05-01T12:00:00Z","j":"text","n":null})"_ba, {});
        row("json null scalar inside", R"({"s":"","i":-1,"r":0,"b":true,"d":"2024-05-01T12:00:00Z","j":[null],"n":null})"_ba, {});
        row("required missing", R"({"i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"missing argument \"s\" (string)"_s);
        row("nullable but not optional missing", R"({"s":"x","i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{}})"_ba,
            u"missing argument \"n\" (integer)"_s);
        row("null, not nullable", R"({"s":null,"i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"argument \"s\" must not be null"_s);
        row("json null, not nullable", R"({"s":"x","i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":null,"n":null})"_ba,
            u"argument \"j\" must not be null"_s);
        row("string as number", R"({"s":1,"i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"argument \"s\" is not a valid string"_s);
        row("integer fractional", R"({"s":"x","i":1.5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"argument \"i\" is not a valid integer"_s);
        row("integer as string", R"({"s":"x","i":"5","r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"argument \"i\" is not a valid integer"_s);
        row("real as string", R"({"s":"x","i":5,"r":"1.5","b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"argument \"r\" is not a valid real"_s);
        row("boolean as 1", R"({"s":"x","i":5,"r":1.5,"b":1,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null})"_ba,
            u"argument \"b\" is not a valid boolean"_s);
        row("datetime not ISO", R"({"s":"x","i":5,"r":1.5,"b":true,"d":"soon","j":{},"n":null})"_ba,
            u"argument \"d\" is not a valid datetime"_s);
        row("datetime as number", R"({"s":"x","i":5,"r":1.5,"b":true,"d":1714564800,"j":{},"n":null})"_ba,
            u"argument \"d\" is not a valid datetime"_s);
        row("nullable integer as string", R"({"s":"x","i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":"3"})"_ba,
            u"argument \"n\" is not a valid integer"_s);
        row("optional, wrong type", R"({"s":"x","i":5,"r":1.5,"b":true,"d":"2024-05-01T12:00:00.000Z","j":{},"n":null,"o":false})"_ba,
            u"argument \"o\" is not a valid string"_s);
    }
    void validateEncodedArgs()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        const EventDef def = EventDef::synced(u"v1.V"_s)
                                     .arg(u"s"_s, ArgType::String)
                                     .arg(u"i"_s, ArgType::Integer)
                                     .arg(u"r"_s, ArgType::Real)
                                     .arg(u"b"_s, ArgType::Boolean)
                                     .arg(u"d"_s, ArgType::DateTime)
                                     .arg(u"j"_s, ArgType::Json)
                                     .arg(ArgDef{u"n"_s, ArgType::Integer}.nullable())
                                     .arg(ArgDef{u"o"_s, ArgType::String}.optional())
                                     .materializeSql({});
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        const QVariantMap args = doc.object().toVariantMap();
        QString message = u"untouched"_s;
        const bool ok = def.validateEncodedArgs(args, &message);
        QCOMPARE(def.validateEncodedArgs(args, nullptr), ok);
        if (error.isEmpty()) {
            QVERIFY2(ok, qPrintable(message));
            QCOMPARE(message, u"untouched"_s);
        } else {
            QVERIFY(!ok);
            QCOMPARE(message, error);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // EventRecord JSON
    // ---------------------------------------------------------------------------------------------

    void eventRecordRoundTrip()
    {
        EventRecord r;
        r.seqNum = {5, 1, 1};
        r.parentSeqNum = {5, 0, 1};
        r.name = u"v1.TodoCreated"_s;
        r.args = {{u"id"_s, u"a"_s},
                  {u"n"_s, qint64(3)},
                  {u"ok"_s, true},
                  {u"j"_s, QVariantMap{{u"tags"_s, QVariantList{u"x"_s, 1.5}}}},
                  {u"nothing"_s, Null}};
        r.clientId = u"client-1"_s;
        r.sessionId = u"session-1"_s;
        const QJsonObject json = r.toJson();
        QCOMPARE(json.value(u"seqNum"_s).toObject(),
                 (QJsonObject{{u"global"_s, 5}, {u"client"_s, 1}, {u"rebaseGeneration"_s, 1}}));
        QCOMPARE(json.value(u"parentSeqNum"_s).toObject(),
                 (QJsonObject{{u"global"_s, 5}, {u"client"_s, 0}, {u"rebaseGeneration"_s, 1}}));
        QCOMPARE(json.value(u"name"_s).toString(), u"v1.TodoCreated"_s);
        QCOMPARE(json.value(u"clientId"_s).toString(), u"client-1"_s);
        QCOMPARE(json.value(u"sessionId"_s).toString(), u"session-1"_s);
        QCOMPARE(json.value(u"args"_s).toObject(),
                 (QJsonObject{{u"id"_s, u"a"_s}, {u"n"_s, 3}, {u"ok"_s, true},
                              {u"j"_s, QJsonObject{{u"tags"_s, QJsonArray{u"x"_s, 1.5}}}},
                              {u"nothing"_s, QJsonValue::Null}}));

        // Through text, as an export would carry it.
        const QByteArray text = QJsonDocument(json).toJson(QJsonDocument::Compact);
        QString error;
        const std::optional<EventRecord> back = EventRecord::fromJson(QJsonDocument::fromJson(text).object(), &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(back->seqNum, r.seqNum);
        QCOMPARE(back->parentSeqNum, r.parentSeqNum);
        QCOMPARE(back->name, r.name);
        QCOMPARE(back->clientId, r.clientId);
        QCOMPARE(back->sessionId, r.sessionId);
        QCOMPARE(back->args.keys(), r.args.keys());
        QCOMPARE(back->args, r.args);
        QCOMPARE(back->args.value(u"nothing"_s).typeId(), int(QMetaType::Nullptr));
        QCOMPARE(back->toJson(), json);
    }

    void eventRecordSeqNumForms_data()
    {
        QTest::addColumn<QJsonValue>("seqNum");
        QTest::addColumn<SequenceNumber>("expected");
        QTest::newRow("object") << QJsonValue(QJsonObject{{u"global"_s, 5}, {u"client"_s, 1}, {u"rebaseGeneration"_s, 1}})
                                << SequenceNumber{5, 1, 1};
        QTest::newRow("object, global only") << QJsonValue(QJsonObject{{u"global"_s, 7}}) << SequenceNumber{7, 0, 0};
        QTest::newRow("string e5.1r1") << QJsonValue(u"e5.1r1"_s) << SequenceNumber{5, 1, 1};
        QTest::newRow("string e3") << QJsonValue(u"e3"_s) << SequenceNumber{3, 0, 0};
        QTest::newRow("string e0.2") << QJsonValue(u"e0.2"_s) << SequenceNumber{0, 2, 0};
        QTest::newRow("plain integer") << QJsonValue(5) << SequenceNumber{5, 0, 0};
        QTest::newRow("plain integer 0") << QJsonValue(0) << SequenceNumber{0, 0, 0};
    }
    void eventRecordSeqNumForms()
    {
        QFETCH(QJsonValue, seqNum);
        QFETCH(SequenceNumber, expected);
        const QJsonObject o{{u"seqNum"_s, seqNum}, {u"parentSeqNum"_s, u"e2"_s},
                            {u"name"_s, u"v1.X"_s}, {u"args"_s, QJsonObject{{u"a"_s, 1}}}};
        QString error;
        const std::optional<EventRecord> r = EventRecord::fromJson(o, &error);
        QVERIFY2(r, qPrintable(error));
        QCOMPARE(r->seqNum, expected);
        QCOMPARE(r->parentSeqNum, (SequenceNumber{2, 0, 0}));
        QCOMPARE(r->name, u"v1.X"_s);
        QCOMPARE(r->args, (QVariantMap{{u"a"_s, qint64(1)}}));
        QVERIFY(r->clientId.isEmpty());
    }

    void eventRecordFromJsonErrors_data()
    {
        QTest::addColumn<QJsonObject>("object");
        QTest::addColumn<QString>("error");
        const QJsonObject good{{u"seqNum"_s, u"e1"_s}, {u"parentSeqNum"_s, u"e0"_s}, {u"name"_s, u"v1.X"_s},
                               {u"args"_s, QJsonObject()}};
        const auto with = [&good](const QString &key, const QJsonValue &value) {
            QJsonObject o = good;
            if (value.isUndefined())
                o.remove(key);
            else
                o.insert(key, value);
            return o;
        };
        const QString badSeq = u"\"seqNum\" is missing or not a sequence number"_s;
        QTest::newRow("missing seqNum") << with(u"seqNum"_s, QJsonValue::Undefined) << badSeq;
        QTest::newRow("seqNum bad string") << with(u"seqNum"_s, u"x5"_s) << badSeq;
        QTest::newRow("seqNum empty string") << with(u"seqNum"_s, u""_s) << badSeq;
        QTest::newRow("seqNum object without global") << with(u"seqNum"_s, QJsonObject{{u"client"_s, 1}}) << badSeq;
        QTest::newRow("seqNum global as string") << with(u"seqNum"_s, QJsonObject{{u"global"_s, u"1"_s}}) << badSeq;
        QTest::newRow("seqNum bool") << with(u"seqNum"_s, true) << badSeq;
        QTest::newRow("seqNum null") << with(u"seqNum"_s, QJsonValue::Null) << badSeq;
        QTest::newRow("missing parentSeqNum") << with(u"parentSeqNum"_s, QJsonValue::Undefined)
                                              << u"\"parentSeqNum\" is missing or not a sequence number"_s;
        QTest::newRow("missing name") << with(u"name"_s, QJsonValue::Undefined) << u"\"name\" is missing or not a string"_s;
        QTest::newRow("name not a string") << with(u"name"_s, 5) << u"\"name\" is missing or not a string"_s;
        QTest::newRow("name empty") << with(u"name"_s, u""_s) << u"\"name\" is missing or not a string"_s;
        QTest::newRow("args an array") << with(u"args"_s, QJsonArray{1}) << u"\"args\" of event \"v1.X\" is not an object"_s;
        QTest::newRow("args a string") << with(u"args"_s, u"{}"_s) << u"\"args\" of event \"v1.X\" is not an object"_s;
        QTest::newRow("args a number") << with(u"args"_s, 1) << u"\"args\" of event \"v1.X\" is not an object"_s;
    }
    void eventRecordFromJsonErrors()
    {
        QFETCH(QJsonObject, object);
        QFETCH(QString, error);
        QString message;
        QVERIFY(!EventRecord::fromJson(object, &message));
        QCOMPARE(message, error);
        QVERIFY(!EventRecord::fromJson(object, nullptr));
    }

    void eventRecordArgsOptional()
    {
        // No args, or null args: an event without arguments.
        for (const QJsonValue &args : {QJsonValue(QJsonValue::Undefined), QJsonValue(QJsonValue::Null)}) {
            QJsonObject o{{u"seqNum"_s, 1}, {u"parentSeqNum"_s, 0}, {u"name"_s, u"v1.X"_s}};
            if (!args.isUndefined())
                o.insert(u"args"_s, args);
            QString error;
            const std::optional<EventRecord> r = EventRecord::fromJson(o, &error);
            QVERIFY2(r, qPrintable(error));
            QVERIFY(r->args.isEmpty());
            QCOMPARE(r->seqNum, (SequenceNumber{1, 0, 0}));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // SequenceNumber
    // ---------------------------------------------------------------------------------------------

    void sequenceNumberStrings_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<SequenceNumber>("number");
        QTest::newRow("e0") << u"e0"_s << SequenceNumber{0, 0, 0};
        QTest::newRow("e5") << u"e5"_s << SequenceNumber{5, 0, 0};
        QTest::newRow("e5.2") << u"e5.2"_s << SequenceNumber{5, 2, 0};
        QTest::newRow("e3r1") << u"e3r1"_s << SequenceNumber{3, 0, 1};
        QTest::newRow("e5.2r1") << u"e5.2r1"_s << SequenceNumber{5, 2, 1};
        QTest::newRow("e0.1") << u"e0.1"_s << SequenceNumber{0, 1, 0};
        QTest::newRow("large") << u"e9007199254740991.12r345"_s << SequenceNumber{9007199254740991, 12, 345};
    }
    void sequenceNumberStrings()
    {
        QFETCH(QString, text);
        QFETCH(SequenceNumber, number);
        QCOMPARE(number.toString(), text);
        const std::optional<SequenceNumber> parsed = SequenceNumber::fromString(text);
        QVERIFY(parsed);
        QCOMPARE(*parsed, number);
        QCOMPARE(parsed->toString(), text);
    }

    void sequenceNumberInvalid_data()
    {
        QTest::addColumn<QString>("text");
        for (const char *text : {"", "5", "e", "ex", "e5.", "e5r", "e5.2.3", "e-1", "E5", " e5", "e5 ",
                                 "e5x", "e5r1.2", "e5.r1", "e+5", "ee5", "e99999999999999999999"}) {
            QTest::newRow(*text ? text : "empty") << QString::fromLatin1(text);
        }
    }
    void sequenceNumberInvalid()
    {
        QFETCH(QString, text);
        QCOMPARE(SequenceNumber::fromString(text), std::nullopt);
    }

    void sequenceNumberNext_data()
    {
        QTest::addColumn<SequenceNumber>("from");
        QTest::addColumn<bool>("clientOnly");
        QTest::addColumn<SequenceNumber>("next");
        QTest::addColumn<SequenceNumber>("parent");
        QTest::newRow("root, synced") << SequenceNumber::root() << false << SequenceNumber{1, 0, 0} << SequenceNumber{0, 0, 0};
        QTest::newRow("root, client-only") << SequenceNumber::root() << true << SequenceNumber{0, 1, 0} << SequenceNumber{0, 0, 0};
        QTest::newRow("e5, synced") << SequenceNumber{5, 0, 0} << false << SequenceNumber{6, 0, 0} << SequenceNumber{5, 0, 0};
        QTest::newRow("e5.2r1, synced") << SequenceNumber{5, 2, 1} << false << SequenceNumber{6, 0, 1} << SequenceNumber{5, 0, 1};
        QTest::newRow("e5.2r1, client-only") << SequenceNumber{5, 2, 1} << true << SequenceNumber{5, 3, 1} << SequenceNumber{5, 2, 1};
        QTest::newRow("e7r2, client-only") << SequenceNumber{7, 0, 2} << true << SequenceNumber{7, 1, 2} << SequenceNumber{7, 0, 2};
    }
    void sequenceNumberNext()
    {
        QFETCH(SequenceNumber, from);
        QFETCH(bool, clientOnly);
        QFETCH(SequenceNumber, next);
        QFETCH(SequenceNumber, parent);
        QCOMPARE(from.next(clientOnly), next);
        QCOMPARE(from.parentForNext(clientOnly), parent);
        QVERIFY(from.next(clientOnly) > from);
        QVERIFY(parent <= from);
    }

    void sequenceNumberOrdering()
    {
        const QList<SequenceNumber> ordered{{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {1, 0, 3}, {1, 1, 0},
                                            {1, 1, 1}, {1, 9, 0}, {2, 0, 0}, {10, 0, 0}};
        for (qsizetype i = 0; i < ordered.size(); ++i) {
            for (qsizetype j = 0; j < ordered.size(); ++j) {
                QCOMPARE(ordered.at(i) < ordered.at(j), i < j);
                QCOMPARE(ordered.at(i) == ordered.at(j), i == j);
                QCOMPARE(ordered.at(i) > ordered.at(j), i > j);
            }
        }
        QList<SequenceNumber> shuffled{ordered.at(5), ordered.at(8), ordered.at(0), ordered.at(3), ordered.at(7),
                                       ordered.at(1), ordered.at(6), ordered.at(2), ordered.at(4)};
        std::sort(shuffled.begin(), shuffled.end());
        QCOMPARE(shuffled, ordered);
        QCOMPARE(SequenceNumber::root(), (SequenceNumber{0, 0, 0}));
        QVERIFY((SequenceNumber{3, 0, 0}) != (SequenceNumber{3, 0, 1}));
    }

    // ---------------------------------------------------------------------------------------------
    // Client documents
    // ---------------------------------------------------------------------------------------------

    void clientDocumentDefinitions()
    {
        ClientDocumentDef doc;
        doc.name = u"uiState"_s;
        doc.defaultValue = {{u"filter"_s, u"all"_s}};
        QCOMPARE(doc.defaultId, u"default"_s);
        QVERIFY(doc.partialSet);
        QCOMPARE(doc.setEventName(), u"uiStateSet"_s);

        const TableDef t = doc.tableDef();
        QCOMPARE(t.name, u"uiState"_s);
        QCOMPARE(t.columns.size(), 2);
        QCOMPARE(t.columns.at(0).name, u"id"_s);
        QCOMPARE(t.columns.at(0).type, ColumnType::Text);
        QVERIFY(t.columns.at(0).isPrimaryKey);
        QVERIFY(!t.columns.at(0).isNullable);
        QCOMPARE(t.columns.at(1).name, u"value"_s);
        QCOMPARE(t.columns.at(1).type, ColumnType::Json);
        QVERIFY(!t.columns.at(1).isPrimaryKey);
        QVERIFY(!t.columns.at(1).hasDefault());
        QVERIFY(t.indexes.isEmpty());
        QCOMPARE(t.ddl(), QStringList{uR"(CREATE TABLE IF NOT EXISTS "uiState" ("id" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL) STRICT)"_s});

        const EventDef e = doc.setEventDef();
        QCOMPARE(e.name, u"uiStateSet"_s);
        QVERIFY(e.isClientOnly);
        QVERIFY(e.isDerived);
        QVERIFY(e.hasMaterializer());
        QVERIFY(!e.hasSqlMaterializer);
        QCOMPARE(e.args.size(), 2);
        const ArgDef *id = e.findArg(u"id");
        QVERIFY(id);
        QCOMPARE(id->type, ArgType::String);
        QVERIFY(id->isOptional);
        QVERIFY(!id->isNullable);
        const ArgDef *value = e.findArg(u"value");
        QVERIFY(value);
        QCOMPARE(value->type, ArgType::Json);
        QVERIFY(!value->isOptional);
        QVERIFY(!value->isNullable);

        Schema s;
        s.addClientDocument(doc);
        QVERIFY(s.clientDocument(u"uiState"));
        QCOMPARE(s.clientDocument(u"uiState")->defaultValue, doc.defaultValue);
        QCOMPARE(s.clientDocument(u"nope"), nullptr);
        QVERIFY(s.table(u"uiState"));
        QCOMPARE(s.table(u"uiState")->ddl(), t.ddl());
        QVERIFY(s.event(u"uiStateSet"));
        QVERIFY(s.event(u"uiStateSet")->isDerived);
        QCOMPARE(s.validate(), QString());
        Schema tableOnly;
        tableOnly.addTable(t);
        QCOMPARE(s.stateHash(), tableOnly.stateHash());
    }

    void clientDocumentDefaults()
    {
        Store store;
        QVERIFY2(openInMemory(store, documentSchema()), qPrintable(store.errorString()));
        QCOMPARE(store.clientDocument(u"prefs"_s), (QJsonObject{{u"theme"_s, u"light"_s}, {u"size"_s, 12}}));
        QCOMPARE(store.clientDocument(u"layout"_s), (QJsonObject{{u"cols"_s, 2}, {u"rows"_s, 3}}));
        QCOMPARE(store.clientDocument(u"layout"_s, u"other"_s), (QJsonObject{{u"cols"_s, 2}, {u"rows"_s, 3}}));
        QCOMPARE(store.eventCount(), 0);
        QCOMPARE(store.query(Query::from(u"prefs"_s).count()).scalar().toLongLong(), 0);
    }

    void clientDocumentPartialSet()
    {
        Store store;
        QVERIFY2(openInMemory(store, documentSchema()), qPrintable(store.errorString()));
        QVERIFY2(store.setClientDocument(u"prefs"_s, {{u"theme"_s, u"dark"_s}}), qPrintable(store.errorString()));
        QVERIFY2(store.setClientDocument(u"prefs"_s, {{u"size"_s, 14}}), qPrintable(store.errorString()));
        // Two sets of different fields keep both.
        QCOMPARE(store.clientDocument(u"prefs"_s), (QJsonObject{{u"theme"_s, u"dark"_s}, {u"size"_s, 14}}));
        // A second set of the same field overwrites it; fields the default lacks are kept too.
        QVERIFY(store.setClientDocument(u"prefs"_s, {{u"theme"_s, u"blue"_s}, {u"extra"_s, QJsonArray{1, 2}}}));
        QVERIFY(store.setClientDocument(u"prefs"_s, {{u"theme"_s, u"green"_s}}));
        const QJsonObject expected{{u"theme"_s, u"green"_s}, {u"size"_s, 14}, {u"extra"_s, QJsonArray{1, 2}}};
        QCOMPARE(store.clientDocument(u"prefs"_s), expected);
        // What is stored: the merged document, defaults included.
        const QueryResult r = store.query(Query::from(u"prefs"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowCount(), 1);
        QCOMPARE(r.value(0, u"id"), QVariant(u"default"_s));
        QCOMPARE(QJsonObject::fromVariantMap(r.value(0, u"value").toMap()), expected);
        // An empty partial set changes nothing but is an event.
        QVERIFY(store.setClientDocument(u"prefs"_s, {}));
        QCOMPARE(store.clientDocument(u"prefs"_s), expected);
        // Client-only events: e0.1 ... e0.5.
        QCOMPARE(store.head(), (SequenceNumber{0, 5, 0}));
        const QList<EventRecord> events = store.events();
        QCOMPARE(events.size(), 5);
        QCOMPARE(events.at(0).name, u"prefsSet"_s);
        QCOMPARE(events.at(0).args, (QVariantMap{{u"id"_s, u"default"_s}, {u"value"_s, QVariantMap{{u"theme"_s, u"dark"_s}}}}));
        // Replaying the eventlog gives the same documents.
        QVERIFY2(store.verify(), qPrintable(store.errorString()));
    }

    void clientDocumentPartialSetKeys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("plain") << u"plain"_s;
        QTest::newRow("dot") << u"a.b"_s;
        QTest::newRow("single quote") << u"it's"_s;
        QTest::newRow("brackets") << u"a[0]"_s;
        QTest::newRow("dollar") << u"$"_s;
        QTest::newRow("space") << u"two words"_s;
        QTest::newRow("non-ASCII") << u"größe"_s;
        QTest::newRow("double quote") << u"say \"hi\""_s;
    }
    void clientDocumentPartialSetKeys()
    {
        QFETCH(QString, key);
        Store store;
        QVERIFY2(openInMemory(store, documentSchema()), qPrintable(store.errorString()));
        // The first set inserts, the others update the stored document field by field.
        QVERIFY2(store.setClientDocument(u"prefs"_s, {{key, 1}}), qPrintable(store.errorString()));
        QVERIFY2(store.setClientDocument(u"prefs"_s, {{key, 2}, {u"theme"_s, u"dark"_s}}), qPrintable(store.errorString()));
        QVERIFY2(store.setClientDocument(u"prefs"_s, {{key, 3}}), qPrintable(store.errorString()));
        QCOMPARE(store.clientDocument(u"prefs"_s),
                 (QJsonObject{{u"theme"_s, u"dark"_s}, {u"size"_s, 12}, {key, 3}}));
    }

    void clientDocumentReplace()
    {
        Store store;
        QVERIFY2(openInMemory(store, documentSchema()), qPrintable(store.errorString()));
        QVERIFY2(store.setClientDocument(u"layout"_s, {{u"cols"_s, 4}}), qPrintable(store.errorString()));
        const auto stored = [&store] {
            const QueryResult r = store.query(Query::from(u"layout"_s).select({u"value"_s}).where(u"id"_s, u"main"_s));
            return QJsonObject::fromVariantMap(r.scalar().toMap());
        };
        // partialSet=false: the value replaces the stored document (defaults are not written) ...
        QCOMPARE(stored(), (QJsonObject{{u"cols"_s, 4}}));
        // ... and reading merges it over the defaults.
        QCOMPARE(store.clientDocument(u"layout"_s), (QJsonObject{{u"cols"_s, 4}, {u"rows"_s, 3}}));
        QVERIFY(store.setClientDocument(u"layout"_s, {{u"rows"_s, 9}}));
        QCOMPARE(stored(), (QJsonObject{{u"rows"_s, 9}}));
        // cols is back to its default: the second set replaced the whole value.
        QCOMPARE(store.clientDocument(u"layout"_s), (QJsonObject{{u"cols"_s, 2}, {u"rows"_s, 9}}));
        QVERIFY(store.setClientDocument(u"layout"_s, {{u"cols"_s, 1}, {u"rows"_s, 1}, {u"x"_s, true}}));
        QCOMPARE(store.clientDocument(u"layout"_s), (QJsonObject{{u"cols"_s, 1}, {u"rows"_s, 1}, {u"x"_s, true}}));
        QVERIFY2(store.verify(), qPrintable(store.errorString()));
    }

    void clientDocumentIds()
    {
        Store store;
        QVERIFY2(openInMemory(store, documentSchema()), qPrintable(store.errorString()));
        QVERIFY(store.setClientDocument(u"prefs"_s, {{u"theme"_s, u"dark"_s}}, u"window-2"_s));
        QCOMPARE(store.clientDocument(u"prefs"_s, u"window-2"_s).value(u"theme"_s).toString(), u"dark"_s);
        QCOMPARE(store.clientDocument(u"prefs"_s).value(u"theme"_s).toString(), u"light"_s);
        // The Set event without an id writes the default id.
        QVERIFY2(store.commit(u"prefsSet"_s, {{u"value"_s, QVariantMap{{u"size"_s, 20}}}}), qPrintable(store.errorString()));
        QCOMPARE(store.clientDocument(u"prefs"_s), (QJsonObject{{u"theme"_s, u"light"_s}, {u"size"_s, 20}}));
        QCOMPARE(store.clientDocument(u"prefs"_s, u"window-2"_s), (QJsonObject{{u"theme"_s, u"dark"_s}, {u"size"_s, 12}}));
        QCOMPARE(store.query(Query::from(u"prefs"_s).count()).scalar().toLongLong(), 2);
        // The Set event checks its arguments like any other.
        QVERIFY(!store.commit(u"prefsSet"_s, {{u"id"_s, 5}, {u"value"_s, QVariantMap()}}));
        QCOMPARE(store.errorString(), u"event \"prefsSet\": argument \"id\" must be a string, got an integer"_s);
    }

    void clientDocumentUnknown()
    {
        Store store;
        QVERIFY2(openInMemory(store, documentSchema()), qPrintable(store.errorString()));
        QVERIFY(!store.setClientDocument(u"nope"_s, {{u"a"_s, 1}}));
        QCOMPARE(store.errorString(), u"unknown client document \"nope\""_s);
        QCOMPARE(store.eventCount(), 0);
        QVERIFY(store.setClientDocument(u"prefs"_s, {{u"size"_s, 1}}));
        QCOMPARE(store.clientDocument(u"nope"_s), QJsonObject());
        QCOMPARE(store.errorString(), u"unknown client document \"nope\""_s);
    }

    // ---------------------------------------------------------------------------------------------
    // The schema file
    // ---------------------------------------------------------------------------------------------

    void fileMatchesBuilder()
    {
        QString error = u"untouched"_s;
        const Schema loaded = Schema::fromJson(FullSchemaFile, &error);
        QVERIFY2(loaded.isValid(), qPrintable(error));
        QVERIFY(error.isEmpty());
        QCOMPARE(loaded.validate(), QString());
        compareSchemas(loaded, fullSchemaBuilt());
        if (QTest::currentTestFailed())
            return;
        // Not vacuous: the exact statements.
        QCOMPARE(loaded.table(u"items")->ddl(),
                 (QStringList{uR"(CREATE TABLE IF NOT EXISTS "items" ("id" TEXT PRIMARY KEY NOT NULL, "title" TEXT NOT NULL DEFAULT 'it''s', "count" INTEGER NOT NULL DEFAULT 3, "price" REAL NOT NULL DEFAULT 1.25, "done" INTEGER NOT NULL DEFAULT 1, "meta" TEXT NOT NULL DEFAULT '{"tags":["a"]}', "due" TEXT NOT NULL DEFAULT '2024-05-01T12:00:00.000Z', "note" TEXT DEFAULT NULL, "data" BLOB, "stamp" TEXT NOT NULL DEFAULT ('x' || 'y')) STRICT)"_s,
                              uR"(CREATE INDEX IF NOT EXISTS "items_title" ON "items" ("title"))"_s,
                              uR"(CREATE UNIQUE INDEX IF NOT EXISTS "items_count_due" ON "items" ("count", "due"))"_s}));
        QCOMPARE(loaded.table(u"pairs")->ddl(),
                 QStringList{uR"(CREATE TABLE IF NOT EXISTS "pairs" ("a" TEXT NOT NULL, "b" INTEGER NOT NULL, PRIMARY KEY ("a", "b")) STRICT)"_s});
        QCOMPARE(loaded.table(u"log")->ddl(),
                 QStringList{uR"(CREATE TABLE IF NOT EXISTS "log" ("seq" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "msg" TEXT NOT NULL) STRICT)"_s});
        QCOMPARE(loaded.table(u"prefs")->ddl(), ClientDocumentDef{u"prefs"_s}.tableDef().ddl());
        QCOMPARE(loaded.event(u"v1.ItemAdded")->findArg(u"title")->isOptional, true);
        QCOMPARE(loaded.event(u"v1.ItemAdded")->findArg(u"price")->type, ArgType::Real);
        QVERIFY(loaded.event(u"prefsSet")->isDerived);

        // And it works: the defaults come back.
        Store store;
        QVERIFY2(openInMemory(store, loaded), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.ItemAdded"_s, {{u"id"_s, u"a"_s}, {u"count"_s, 9}, {u"price"_s, 2}, {u"done"_s, false},
                                                 {u"due"_s, utc(2024, 1, 1, 0, 0)}, {u"meta"_s, QVariantMap()}}),
                 qPrintable(store.errorString()));
        const QueryResult r = store.query(Query::from(u"items"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowMap(0), (QVariantMap{{u"id"_s, u"a"_s}, {u"title"_s, u"it's"_s}, {u"count"_s, qint64(9)},
                                           {u"price"_s, 1.25}, {u"done"_s, true},
                                           {u"meta"_s, QVariantMap{{u"tags"_s, QVariantList{u"a"_s}}}},
                                           {u"due"_s, utc(2024, 5, 1, 12, 0)}, {u"note"_s, QVariant()},
                                           {u"data"_s, QVariant()}, {u"stamp"_s, u"xy"_s}}));
        // Deprecations warn (once per process) with their reasons.
        QTest::ignoreMessage(QtWarningMsg, "event \"v1.Logged\" is deprecated: old");
        QVERIFY(store.commit(u"v1.Logged"_s, {}));
        QTest::ignoreMessage(QtWarningMsg, "argument \"msg\" of event \"v1.Logged\" is deprecated: unused");
        QVERIFY(store.commit(u"v1.Logged"_s, {{u"msg"_s, u"hi"_s}}));
        const QueryResult log = store.query(Query::from(u"log"_s).orderBy(u"seq"_s));
        QCOMPARE(log.rowCount(), 2);
        QCOMPARE(log.value(0, u"msg"), QVariant(u""_s));
        QCOMPARE(log.value(1, u"seq").toLongLong(), 2);
        QCOMPARE(log.value(1, u"msg"), QVariant(u"hi"_s));
        QCOMPARE(store.head(), (SequenceNumber{1, 2, 0}));
        QVERIFY(store.commit(u"v1.Noop"_s, {}));
        QCOMPARE(store.clientDocument(u"prefs"_s), (QJsonObject{{u"theme"_s, u"light"_s}}));
    }

    void todosFileMatchesTodoSchema()
    {
        const QString path = sourceFile(u"examples/schemas/todos.json"_s);
        QVERIFY2(QFile::exists(path), qPrintable(QString(u"not found: "_s + path)));
        QString error;
        const Schema loaded = Schema::fromFile(path, &error);
        QVERIFY2(loaded.isValid(), qPrintable(error));
        QCOMPARE(loaded.stateHash(), todoMvcSchema().stateHash());
        QCOMPARE(loaded.stateHash(), todoMvcSchema(true).stateHash());
        // The example may grow events of its own; those of the test schema must be there as is.
        compareSchemas(loaded, todoMvcSchema(), true);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(loaded.unknownEventPolicy(), UnknownEventPolicy::Warn);
        QCOMPARE(loaded.table(u"todos")->ddl(), todoMvcSchema().table(u"todos")->ddl());

        // The same eventlog gives the same state with either schema.
        const QList<Event> events{{u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"milk"_s}}},
                                  {u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"eggs"_s}}},
                                  {u"v1.TodoCompleted"_s, {{u"id"_s, u"a"_s}}},
                                  {u"v1.TodoClearedCompleted"_s, {{u"deletedAt"_s, u"+010000-01-01T00:00:00.000Z"_s}}}};
        Store fromFile;
        QVERIFY2(openInMemory(fromFile, loaded), qPrintable(fromFile.errorString()));
        QVERIFY2(fromFile.commit(events), qPrintable(fromFile.errorString()));
        QVERIFY(fromFile.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        Store fromCpp;
        QVERIFY2(openInMemory(fromCpp, todoMvcSchema(true)), qPrintable(fromCpp.errorString()));
        QVERIFY2(fromCpp.commit(events), qPrintable(fromCpp.errorString()));
        QVERIFY(fromCpp.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        const QueryResult a = fromFile.query(Query::from(u"todos"_s).orderBy(u"id"_s));
        QCOMPARE(a.rowCount(), 2);
        QCOMPARE(a.value(0, u"deletedAt").toDateTime().toMSecsSinceEpoch(), 253402300800000);
        QVERIFY(a.value(1, u"deletedAt").isNull());
        QCOMPARE(a, fromCpp.query(Query::from(u"todos"_s).orderBy(u"id"_s)));
        QCOMPARE(fromFile.clientDocument(u"uiState"_s), fromCpp.clientDocument(u"uiState"_s));
    }

    // Literal (unions of literals), struct, array and record arguments, checked on commit with the
    // path of the value at fault; the order of keys kept as LiveStore writes it.
    void compositeArguments()
    {
        const QByteArray file = R"x({
          "tables": [{"name": "t", "columns": [{"name": "id", "type": "text", "primaryKey": true},
                                               {"name": "v", "type": "json", "nullable": true}]}],
          "events": [{"name": "v1.Set", "args": {
              "id": "string",
              "kind": ["a", "b"],
              "s": {"type": "struct", "fields": {"zeta": "string", "alpha": "real", "when": {"type": "datetime", "optional": true}}},
              "tags": {"type": "array", "element": "integer", "optional": true},
              "scores": {"type": "record", "value": "real", "optional": true}},
            "materializer": "INSERT INTO t (id, v) VALUES ($id, json_array(json($s), json($scores)))"}]})x"_ba;
        QString error;
        const Schema schema = Schema::fromJson(file, &error);
        QVERIFY2(schema.isValid(), qPrintable(error));
        const EventDef *def = schema.event(u"v1.Set");
        QVERIFY(def);
        QCOMPARE(def->args.size(), 5);
        QCOMPARE(def->args.at(0).name, u"id"_s); // the file's order, not QJsonObject's
        QCOMPARE(def->args.at(1).type, ArgType::Literal);
        QCOMPARE(def->args.at(2).fields.at(0).name, u"zeta"_s);

        const QVariantMap good{{u"id"_s, u"x"_s}, {u"kind"_s, u"a"_s},
                               {u"s"_s, QVariantMap{{u"zeta"_s, u"z"_s}, {u"alpha"_s, 0.1},
                                                    {u"when"_s, u"-000001-01-01T00:00:00.000Z"_s}}},
                               {u"tags"_s, QVariantList{1, 2}},
                               {u"scores"_s, QVariantMap{{u"b"_s, 2}, {u"10"_s, 10}, {u"2"_s, 2}}}};
        const auto encoded = def->encodeArgs(good, &error);
        QVERIFY2(encoded, qPrintable(error));
        // Declared order for arguments and struct fields; JavaScript's order for a record.
        QCOMPARE(def->argsJson(*encoded, R"({"scores":{"b":2,"10":10,"2":2}})"),
                 R"({"id":"x","kind":"a","s":{"zeta":"z","alpha":0.1,"when":"-000001-01-01T00:00:00.000Z"},"tags":[1,2],"scores":{"2":2,"10":10,"b":2}})"_ba);

        auto refused = [&](const QString &arg, const QVariant &value) {
            QVariantMap args = good;
            args.insert(arg, value);
            QString why;
            return def->encodeArgs(args, &why) ? QString() : why;
        };
        QCOMPARE(refused(u"kind"_s, u"c"_s), u"event \"v1.Set\": argument \"kind\" must be one of \"a\", \"b\", got \"c\""_s);
        QCOMPARE(refused(u"s"_s, QVariantMap{{u"zeta"_s, u"z"_s}}),
                 u"event \"v1.Set\": argument \"s.alpha\" is missing (a number)"_s);
        QCOMPARE(refused(u"s"_s, QVariantMap{{u"zeta"_s, u"z"_s}, {u"alpha"_s, 1}, {u"beta"_s, 1}}),
                 u"event \"v1.Set\": argument \"s\" has no field \"beta\" (fields: zeta, alpha, when)"_s);
        QCOMPARE(refused(u"tags"_s, QVariantList{1, 2.5}),
                 u"event \"v1.Set\": argument \"tags[1]\" must be an integer, got a number"_s);
        QCOMPARE(refused(u"scores"_s, QVariantMap{{u"a"_s, u"x"_s}}),
                 u"event \"v1.Set\": argument \"scores.a\" must be a number, got a string"_s);
        QCOMPARE(refused(u"s"_s, u"text"_s),
                 u"event \"v1.Set\": argument \"s\" must be a struct {zeta, alpha, when?}, got a string"_s);
        // What comes from sync is checked as strictly.
        QVERIFY(!def->validateEncodedArgs(QVariantMap{{u"id"_s, u"x"_s}, {u"kind"_s, u"c"_s},
                                                      {u"s"_s, QVariantMap{{u"zeta"_s, u"z"_s}, {u"alpha"_s, 1}}}}, &error));

        // The state keeps the key order of the event as stored.
        Store store;
        QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
        QVERIFY2(store.commit(Event{u"v1.Set"_s, good, R"({"scores":{"b":2,"10":10,"2":2}})"}), qPrintable(store.errorString()));
        QCOMPARE(store.query(u"SELECT v FROM t"_s).scalar().toList().size(), 2);
        QCOMPARE(store.query(u"SELECT v || '' FROM t"_s).scalar().toString(),
                 uR"([{"zeta":"z","alpha":0.1,"when":"-000001-01-01T00:00:00.000Z"},{"2":2,"10":10,"b":2}])"_s);
    }

    // JavaScript's whole Date range, written back as Date.prototype.toISOString() does.
    void extendedYears_data()
    {
        QTest::addColumn<QString>("iso");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("year 0") << u"0000-01-01T00:00:00.000Z"_s << Q_INT64_C(-62167219200000);
        QTest::newRow("year -1") << u"-000001-01-01T00:00:00.000Z"_s << Q_INT64_C(-62198755200000);
        QTest::newRow("year 10000") << u"+010000-01-01T00:00:00.000Z"_s << Q_INT64_C(253402300800000);
        QTest::newRow("max") << u"+275760-09-13T00:00:00.000Z"_s << Q_INT64_C(8640000000000000);
        QTest::newRow("min") << u"-271821-04-20T00:00:00.000Z"_s << Q_INT64_C(-8640000000000000);
        QTest::newRow("epoch") << u"1970-01-01T00:00:00.000Z"_s << Q_INT64_C(0);
        QTest::newRow("before epoch") << u"1969-12-31T23:59:59.999Z"_s << Q_INT64_C(-1);
    }
    void extendedYears()
    {
        QFETCH(QString, iso);
        QFETCH(qint64, ms);
        const EventDef def = EventDef::synced(u"v1.E"_s).arg(u"v"_s, ArgType::DateTime);
        QString error;
        const auto encoded = def.encodeArgs({{u"v"_s, iso}}, &error);
        QVERIFY2(encoded, qPrintable(error));
        QCOMPARE(encoded->value(u"v"_s).toString(), iso);
        QVERIFY(def.validateEncodedArgs(*encoded, &error));
        const auto fromDate = def.encodeArgs({{u"v"_s, QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)}}, &error);
        QVERIFY2(fromDate, qPrintable(error));
        QCOMPARE(fromDate->value(u"v"_s).toString(), iso);
        // One millisecond beyond the range, and JavaScript's invalid "-000000", are refused.
        QVERIFY(!def.encodeArgs({{u"v"_s, u"+275760-09-13T00:00:00.001Z"_s}}, &error));
        QVERIFY(!def.encodeArgs({{u"v"_s, u"-000000-01-01T00:00:00.000Z"_s}}, &error));

        // Into a datetimeInteger column: epoch milliseconds, read back as the same date.
        Schema schema;
        schema.addTable(TableDef{u"t"_s}.column(ColumnDef::dateTimeInteger(u"d"_s)));
        schema.addEvent(EventDef::synced(u"v1.Sql"_s).arg(u"v"_s, ArgType::DateTime)
                                .materializeSql({u"INSERT INTO t (d) VALUES (epoch_ms($v))"_s}));
        schema.addEvent(EventDef::synced(u"v1.Cpp"_s).arg(u"v"_s, ArgType::DateTime)
                                .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::insert(u"t"_s, {{u"d"_s, e.arg(u"v"_s)}})};
                                }));
        Store store;
        QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.Sql"_s, {{u"v"_s, iso}}), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.Cpp"_s, {{u"v"_s, iso}}), qPrintable(store.errorString()));
        const QueryResult raw = store.query(u"SELECT d + 0 AS ms FROM t"_s);
        QCOMPARE(raw.value(0, u"ms").toLongLong(), ms);
        QCOMPARE(raw.value(1, u"ms").toLongLong(), ms);
        QCOMPARE(store.query(Query::from(u"t"_s)).value(0, u"d").toDateTime().toMSecsSinceEpoch(), ms);
    }

    // A C++ materializer that writes a struct or record argument into a json column: arg() is a
    // QVariantMap (sorted keys), argJson() the event's own text (LiveStore's order).
    void cppMaterializerJsonOrder()
    {
        Schema schema;
        schema.addTable(TableDef{u"t"_s}
                                .column(ColumnDef::text(u"id"_s).primaryKey())
                                .column(ColumnDef::json(u"sorted"_s))
                                .column(ColumnDef::json(u"kept"_s)));
        schema.addEvent(EventDef::synced(u"v1.Set"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(ArgDef::structOf(u"s"_s, {ArgDef{u"zeta"_s, ArgType::String}, ArgDef{u"alpha"_s, ArgType::Real}}))
                                .arg(ArgDef::recordOf(u"r"_s, ArgDef{{}, ArgType::Real}))
                                .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::insert(u"t"_s, {{u"id"_s, e.arg(u"id"_s)},
                                                                   {u"sorted"_s, QVariantList{e.arg(u"s"_s), e.arg(u"r"_s)}},
                                                                   {u"kept"_s, QString(u'[' + QString::fromUtf8(e.argJson(u"s"_s)) + u','
                                                                                       + QString::fromUtf8(e.argJson(u"r"_s)) + u']')}})};
                                }));
        Store store;
        QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
        const QByteArray given = R"({"r":{"b":2,"10":10,"2":2},"s":{"alpha":0.1,"zeta":"z"},"id":"a"})";
        QVERIFY2(store.commit(Event{u"v1.Set"_s, QJsonDocument::fromJson(given).object().toVariantMap(), given}),
                 qPrintable(store.errorString()));
        const QueryResult row = store.query(u"SELECT sorted || '' AS sorted, kept || '' AS kept FROM t"_s);
        QCOMPARE(row.value(0, u"kept"_s).toString(), uR"([{"zeta":"z","alpha":0.1},{"2":2,"10":10,"b":2}])"_s);
        QCOMPARE(row.value(0, u"sorted"_s).toString(), uR"([{"alpha":0.1,"zeta":"z"},{"10":10,"2":2,"b":2}])"_s);
        EventRecord r;
        r.args = {{u"n"_s, 1.5}};
        QCOMPARE(r.argJson(u"n"_s), QByteArray("1.5")); // without stored text: written from args
        QCOMPARE(r.argJson(u"missing"_s), QByteArray());
    }

    // A json column with a declared shape (LiveStore's State.SQLite.json({schema})): the query
    // builder checks what it writes there and writes a struct's fields in declared order.
    void jsonColumnSchema()
    {
        const QByteArray file = R"json({"tables": [{"name": "t", "columns": [
            {"name": "id", "type": "text", "primaryKey": true},
            {"name": "meta", "type": "json", "nullable": true,
             "schema": {"type": "struct", "fields": {"zeta": "string", "alpha": "real", "tags": {"type": "array", "element": "string", "optional": true}}}}]}]})json";
        QString error;
        Schema schema = Schema::fromJson(file, &error);
        QVERIFY2(schema.isValid(), qPrintable(error));
        const ColumnDef *meta = schema.table(u"t")->findColumn(u"meta"_s);
        QVERIFY(meta && meta->jsonSchema);
        QCOMPARE(meta->jsonSchema->fields.at(0).name, u"zeta"_s); // the file's order
        schema.addEvent(EventDef::synced(u"v1.Set"_s)
                                 .arg(u"id"_s, ArgType::String)
                                 .arg(u"meta"_s, ArgType::Json)
                                 .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                     return {Query::insert(u"t"_s, {{u"id"_s, e.arg(u"id"_s)}, {u"meta"_s, e.arg(u"meta"_s)}})};
                                 }));
        Store store;
        QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.Set"_s, QVariantMap{{u"id"_s, u"a"_s},
                                                       {u"meta"_s, QVariantMap{{u"alpha"_s, 0.1}, {u"zeta"_s, u"z"_s}}}}),
                 qPrintable(store.errorString()));
        QCOMPARE(store.query(u"SELECT meta || '' AS m FROM t"_s).scalar().toString(), uR"({"zeta":"z","alpha":0.1})"_s);
        QVERIFY(!store.commit(u"v1.Set"_s, QVariantMap{{u"id"_s, u"b"_s}, {u"meta"_s, QVariantMap{{u"zeta"_s, 1}}}}));
        QVERIFY2(store.errorString().contains(uR"(column "t.meta" does not take this value: "meta.zeta" must be a string, got an integer)"_s),
                 qPrintable(store.errorString()));
        QVERIFY(!store.commit(u"v1.Set"_s, QVariantMap{{u"id"_s, u"c"_s}, {u"meta"_s, QVariantMap{{u"zeta"_s, u"z"_s}}}}));
        QVERIFY2(store.errorString().contains(uR"("meta.alpha" is missing)"_s), qPrintable(store.errorString()));
        QCOMPARE(store.query(u"SELECT count(*) FROM t"_s).scalar().toInt(), 1);

        // The C++ builder says the same; a shape belongs on json columns only.
        const ColumnDef built = ColumnDef::json(u"meta"_s).withSchema(ArgDef::recordOf({}, ArgDef{{}, ArgType::Real}));
        QCOMPARE(built.jsonSchema->type, ArgType::Record);
        QVERIFY(!Schema::fromJson(R"json({"tables": [{"name": "t", "columns": [{"name": "id", "type": "text", "schema": "string"}]}]})json", &error).isValid());
        QVERIFY2(error.contains(u"tables[0].columns[0].schema: only a json column takes a schema"_s), qPrintable(error));
    }

    // A client document with a declared value shape (LiveStore's clientDocument `schema`): a set
    // is checked against it, field by field with partialSet; the default must fit it in full.
    void clientDocumentValueSchema()
    {
        const QByteArray file = R"json({"clientDocuments": [{"name": "uiState",
            "schema": {"type": "struct", "fields": {"newTodoText": "string", "filter": ["all", "active", "completed"]}},
            "default": {"id": "$sessionId", "value": {"newTodoText": "", "filter": "all"}}}]})json";
        QString error;
        const Schema schema = Schema::fromJson(file, &error);
        QVERIFY2(schema.isValid(), qPrintable(error));
        const ClientDocumentDef *doc = schema.clientDocument(u"uiState");
        QVERIFY(doc && doc->valueSchema);
        QCOMPARE(doc->valueSchema->type, ArgType::Struct);
        QCOMPARE(doc->valueSchema->fields.size(), 2u);
        QCOMPARE(doc->valueSchema->fields.at(0).name, u"newTodoText"_s); // the file's order

        Store store;
        QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
        QVERIFY2(store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}), qPrintable(store.errorString()));
        QCOMPARE(store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"active"_s);
        QVERIFY(!store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"done"_s}}));
        QCOMPARE(store.errorString(),
                 u"event \"uiStateSet\": argument \"value.filter\" must be one of \"all\", \"active\", \"completed\", got \"done\""_s);
        QVERIFY(!store.setClientDocument(u"uiState"_s, {{u"newTodoText"_s, 3}}));
        QVERIFY2(store.errorString().contains(u"argument \"value.newTodoText\" must be a string"_s), qPrintable(store.errorString()));
        QVERIFY(!store.setClientDocument(u"uiState"_s, {{u"colour"_s, u"red"_s}}));
        QVERIFY2(store.errorString().contains(u"has no field \"colour\""_s), qPrintable(store.errorString()));
        QCOMPARE(store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"active"_s);

        // Without partialSet the whole value must be there.
        ClientDocumentDef whole = *doc;
        whole.name = u"whole"_s;
        whole.partialSet = false;
        Schema wholeSchema;
        wholeSchema.addClientDocument(whole);
        Store wholeStore;
        QVERIFY2(openInMemory(wholeStore, wholeSchema), qPrintable(wholeStore.errorString()));
        QVERIFY(!wholeStore.setClientDocument(u"whole"_s, {{u"filter"_s, u"active"_s}}));
        QVERIFY2(wholeStore.errorString().contains(u"argument \"value.newTodoText\" is missing"_s), qPrintable(wholeStore.errorString()));
        QVERIFY(wholeStore.setClientDocument(u"whole"_s, {{u"filter"_s, u"active"_s}, {u"newTodoText"_s, u"x"_s}}));

        // A default that does not fit, and a shape that is not an object, are schema errors.
        QVERIFY(!Schema::fromJson(R"json({"clientDocuments": [{"name": "d", "schema": {"type": "struct", "fields": {"f": ["a", "b"]}},
                                          "default": {"value": {"f": "c"}}}]})json", &error).isValid());
        QVERIFY2(error.contains(u"client document \"d\": the default value does not fit the value schema"_s)
                         && error.contains(u"got \"c\""_s), qPrintable(error));
        QVERIFY(!Schema::fromJson(R"json({"clientDocuments": [{"name": "d", "schema": "string"}]})json", &error).isValid());
        QVERIFY2(error.contains(u"the value schema must be a struct, a record or json"_s), qPrintable(error));
        QVERIFY(!Schema::fromJson(R"json({"clientDocuments": [{"name": "d", "schema": {"type": "strct"}}]})json", &error).isValid());
        QVERIFY2(error.contains(u"clientDocuments[0] (\"d\").schema"_s), qPrintable(error));

        // LiveStore's TodoMVC schema as our example declares it.
        if (qEnvironmentVariableIsEmpty("LIVESTORE_SOURCE_DIR"))
            return; // run outside ctest
        const Schema todos =
                Schema::fromFile(qEnvironmentVariable("LIVESTORE_SOURCE_DIR") + u"/examples/schemas/todos.json"_s, &error);
        QVERIFY2(todos.isValid(), qPrintable(error));
        QVERIFY(todos.clientDocument(u"uiState") && todos.clientDocument(u"uiState")->valueSchema);
    }

    // A lone surrogate is written as JSON.stringify writes it, an escape, in the args; SQLite gets
    // UTF-8 with U+FFFD in its place, as in a JavaScript client's SQLite, not '?'. Text bound to
    // SQLite ends at its first U+0000, as wa-sqlite binds it (tst_argtypesinterop checks both
    // against a real LiveStore client).
    void loneSurrogate()
    {
        const EventDef def = EventDef::synced(u"v1.E"_s).arg(u"v"_s, ArgType::String);
        QString error;
        const QString text = u"a"_s + QChar(0xd800) + u"b"_s + QChar(0xdc00) + u"\U0001F600"_s;
        const auto encoded = def.encodeArgs({{u"v"_s, text}}, &error);
        QVERIFY(encoded);
        QCOMPARE(def.argsJson(*encoded), QByteArray("{\"v\":\"a\\ud800b\\udc00\xf0\x9f\x98\x80\"}"));

        Schema schema;
        schema.addTable(TableDef{u"t"_s}.column(ColumnDef::text(u"id"_s).primaryKey()).column(ColumnDef::text(u"v"_s)));
        schema.addEvent(EventDef::synced(u"v1.Set"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"v"_s, ArgType::String)
                                .materializeSql({u"INSERT INTO t (id, v) VALUES ($id, $v)"_s}));
        Store store;
        QVERIFY2(openInMemory(store, schema), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.Set"_s, QVariantMap{{u"id"_s, u"1"_s}, {u"v"_s, text}}), qPrintable(store.errorString()));
        QVERIFY(store.commit(u"v1.Set"_s, QVariantMap{{u"id"_s, u"2"_s}, {u"v"_s, QString(u"a"_s + QChar(0) + u"b"_s)}}));
        const QueryResult rows = store.query(u"SELECT id, hex(v) AS h FROM t ORDER BY id"_s);
        QCOMPARE(rows.value(0, u"h"_s).toString(), u"61EFBFBD62EFBFBDF09F9880"_s);
        QCOMPARE(rows.value(1, u"h"_s).toString(), u"61"_s);
    }

    // Arguments written into the args JSON and bound to SQLite straight from UTF-16, in one pass:
    // the bytes JSON.stringify writes (escapes of quotes, backslashes and control characters, the
    // rest as UTF-8), the text SQLite gets, and the same state again from a replay of the log.
    void textArgumentsWrittenAndBound()
    {
        const auto reference = [](const QString &text) -> QByteArray {
            QByteArray out = "\"";
            for (const char c : text.toUtf8()) {
                switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20)
                        out += "\\u00" + QByteArray::number(c, 16).rightJustified(2, '0');
                    else
                        out += c;
                }
            }
            return out + '"';
        };
        QStringList texts = {u""_s, u"plain"_s, u"quote \" and \\ backslash"_s,
                             u"tab\tnew\nline\rcr\u0001\u001f\u007f"_s, u"caf\u00e9 \u20ac \U0001F600"_s};
        texts.append(QString(5000, u'x') + u"\u00e9\n"_s);          // longer than the one-pass room
        texts.append(QString(3000, QChar(0x20ac)) + u"\""_s);        // three UTF-8 bytes each
        texts.append(QString(4096, u'\n'));                          // six bytes each in JSON
        Schema schema;
        schema.addTable(TableDef{u"t"_s}.column(ColumnDef::text(u"id"_s).primaryKey())
                                .column(ColumnDef::text(u"a"_s)).column(ColumnDef::text(u"b"_s)));
        schema.addEvent(EventDef::synced(u"v1.Set"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"a"_s, ArgType::String)
                                .arg(u"b"_s, ArgType::String)
                                .materializeSql({u"INSERT INTO t (id, a, b) VALUES ($id, $a, $b)"_s}));
        QTemporaryDir dir;
        StoreOptions options;
        options.storeId = u"texts"_s;
        options.schema = schema;
        options.directory = dir.path();
        Store store;
        QVERIFY2(store.open(options), qPrintable(store.errorString()));
        QList<Event> events;
        for (qsizetype i = 0; i < texts.size(); ++i) {
            const QString other = texts.at(texts.size() - 1 - i);
            events.append({u"v1.Set"_s, {{u"id"_s, QString::number(i)}, {u"a"_s, texts.at(i)}, {u"b"_s, other}}});
        }
        QList<EventRecord> records;
        connect(&store, &Store::committed, this, [&records](const QList<EventRecord> &r) { records = r; });
        QVERIFY2(store.commit(events), qPrintable(store.errorString()));
        QCOMPARE(records.size(), texts.size());
        const auto checkState = [&] {
            for (qsizetype i = 0; i < texts.size(); ++i) {
                const QueryResult row = store.query(u"SELECT hex(a) AS a, hex(b) AS b FROM t WHERE id = ?"_s,
                                                    {QString::number(i)});
                QCOMPARE(row.value(0, u"a"_s).toString(), QString::fromLatin1(texts.at(i).toUtf8().toHex().toUpper()));
                QCOMPARE(row.value(0, u"b"_s).toString(),
                         QString::fromLatin1(texts.at(texts.size() - 1 - i).toUtf8().toHex().toUpper()));
            }
        };
        for (qsizetype i = 0; i < texts.size(); ++i) {
            const QByteArray expected = "{\"id\":\"" + QByteArray::number(i) + "\",\"a\":" + reference(texts.at(i))
                    + ",\"b\":" + reference(texts.at(texts.size() - 1 - i)) + '}';
            QCOMPARE(records.at(i).argsJson, expected);
            QCOMPARE(store.events().at(i).argsJson, expected);
        }
        checkState();
        QVERIFY2(store.rematerialize(), qPrintable(store.errorString()));
        checkState();
    }

    void fileForms_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("check");
        QTest::newRow("empty object") << R"({})"_ba << u"empty"_s;
        QTest::newRow("empty sections") << R"({"version": 1, "tables": [], "clientDocuments": [], "events": []})"_ba << u"empty"_s;
        QTest::newRow("version 1.0") << R"({"version": 1.0})"_ba << u"empty"_s;
        QTest::newRow("warn") << R"({"unknownEventHandling": "warn"})"_ba << u"warn"_s;
        QTest::newRow("ignore") << R"({"unknownEventHandling": "ignore"})"_ba << u"ignore"_s;
        QTest::newRow("fail") << R"({"unknownEventHandling": "fail"})"_ba << u"fail"_s;
        QTest::newRow("arg forms")
                << R"({"events": [{"name": "e", "args": {"a": "string?", "b": "number", "c": {"type": "json", "nullable": true}, "d": {"type": "integer", "optional": true}}, "materializer": []}]})"_ba
                << u"args"_s;
        QTest::newRow("client document defaults")
                << R"({"clientDocuments": [{"name": "d"}]})"_ba << u"document"_s;
    }
    void fileForms()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, check);
        QString error;
        const Schema s = Schema::fromJson(json, &error);
        QVERIFY2(s.isValid(), qPrintable(error));
        if (check == u"empty") {
            QVERIFY(s.tables().isEmpty());
            QVERIFY(s.events().isEmpty());
            QCOMPARE(s.unknownEventPolicy(), UnknownEventPolicy::Warn);
            QCOMPARE(s.stateHash(), Schema().stateHash());
        } else if (check == u"warn") {
            QCOMPARE(s.unknownEventPolicy(), UnknownEventPolicy::Warn);
        } else if (check == u"ignore") {
            QCOMPARE(s.unknownEventPolicy(), UnknownEventPolicy::Ignore);
        } else if (check == u"fail") {
            QCOMPARE(s.unknownEventPolicy(), UnknownEventPolicy::Fail);
        } else if (check == u"args") {
            const EventDef *e = s.event(u"e");
            QVERIFY(e);
            QVERIFY(!e->isClientOnly);
            QVERIFY(e->hasSqlMaterializer);
            QVERIFY(e->sqlStatements.isEmpty());
            QCOMPARE(e->args.size(), 4);
            QCOMPARE(e->findArg(u"a")->type, ArgType::String);
            QVERIFY(e->findArg(u"a")->isOptional);
            QVERIFY(e->findArg(u"a")->isNullable);
            QCOMPARE(e->findArg(u"b")->type, ArgType::Real);
            QVERIFY(!e->findArg(u"b")->isOptional);
            QVERIFY(!e->findArg(u"b")->isNullable);
            QCOMPARE(e->findArg(u"c")->type, ArgType::Json);
            QVERIFY(!e->findArg(u"c")->isOptional);
            QVERIFY(e->findArg(u"c")->isNullable);
            QCOMPARE(e->findArg(u"d")->type, ArgType::Integer);
            QVERIFY(e->findArg(u"d")->isOptional);
            QVERIFY(!e->findArg(u"d")->isNullable);
        } else if (check == u"document") {
            const ClientDocumentDef *d = s.clientDocument(u"d");
            QVERIFY(d);
            QCOMPARE(d->defaultId, u"default"_s);
            QCOMPARE(d->defaultValue, QJsonObject());
            QVERIFY(d->partialSet);
            QVERIFY(s.table(u"d"));
            QVERIFY(s.event(u"dSet"));
        } else {
            QFAIL("unknown check");
        }
    }

    void fileErrors_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        // Wraps one column declaration in a table "t".
        const auto column = [](const QByteArray &c) -> QByteArray {
            return R"({"tables": [{"name": "t", "columns": [)"_ba + c + "]}]}";
        };
        // Wraps one event declaration.
        const auto event = [](const QByteArray &e) -> QByteArray { return R"({"events": [)"_ba + e + "]}"; };
        const QString columnTypes = u"expected text, integer, real, blob, boolean, json, datetime, datetimeInteger"_s;
        const QString argTypes = u"expected string, integer, real (or number), boolean, datetime, json, literal, struct, array, record"_s;

        // JSON syntax and shape
        QTest::newRow("syntax: missing comma") << "{\n  \"version\": 1\n  \"tables\": []\n}"_ba
                                              << u"invalid JSON at line 3, column 4 (offset 20): unterminated object"_s;
        QTest::newRow("syntax: trailing comma") << "{\"version\": 1,}"_ba
                                               << u"invalid JSON at line 1, column 16 (offset 15): object is missing after a comma"_s;
        QTest::newRow("syntax: empty") << QByteArray()
                                      << u"invalid JSON at line 1, column 1 (offset 0): illegal value"_s;
        QTest::newRow("top level array") << "[]"_ba << u"expected a JSON object at the top level, got an array"_s;
        // Unknown keys, with a suggestion when one is close
        QTest::newRow("unknown top-level key") << R"({"tabels": []})"_ba
                << u"unknown top-level key \"tabels\" (did you mean \"tables\"? allowed: version, unknownEventHandling, failedEventHandling, tables, clientDocuments, events)"_s;
        QTest::newRow("unknown column key, wrong case") << column(R"({"name": "a", "type": "text", "primarykey": true})")
                << u"tables[0].columns[0]: unknown key \"primarykey\" (did you mean \"primaryKey\"? allowed: name, type, primaryKey, nullable, autoIncrement, default, schema)"_s;
        QTest::newRow("unknown column key, nothing close") << column(R"({"name": "a", "type": "text", "colour": "red"})")
                << u"tables[0].columns[0]: unknown key \"colour\" (allowed: name, type, primaryKey, nullable, autoIncrement, default, schema)"_s;
        QTest::newRow("unknown table key") << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "index": []}]})"_ba
                << u"tables[0]: unknown key \"index\" (did you mean \"indexes\"? allowed: name, columns, primaryKey, indexes)"_s;
        QTest::newRow("unknown event key") << event(R"({"name": "e", "materialiser": []})")
                << u"events[0]: unknown key \"materialiser\" (did you mean \"materializer\"? allowed: name, clientOnly, deprecated, args, materializer)"_s;
        QTest::newRow("unknown arg key") << event(R"({"name": "e", "args": {"x": {"type": "string", "optinal": true}}, "materializer": []})")
                << u"events[0] (\"e\").args.x: unknown key \"optinal\" (did you mean \"optional\"? allowed: type, optional, nullable, deprecated, values, fields, element, value)"_s;
        QTest::newRow("unknown client document key") << R"({"clientDocuments": [{"name": "d", "partial": true}]})"_ba
                << u"clientDocuments[0]: unknown key \"partial\" (allowed: name, schema, default, partialSet)"_s;
        // Wrong value types
        QTest::newRow("nullable a string") << column(R"({"name": "a", "type": "text", "nullable": "yes"})")
                << u"tables[0].columns[0].nullable: expected true or false, got a string"_s;
        QTest::newRow("tables an object") << R"({"tables": {}})"_ba << u"tables: expected an array, got an object"_s;
        QTest::newRow("table entry a string") << R"({"tables": ["t"]})"_ba << u"tables[0]: expected an object, got a string"_s;
        QTest::newRow("table name a number") << R"({"tables": [{"name": 5, "columns": []}]})"_ba
                << u"tables[0].name: expected a non-empty string, got a number"_s;
        QTest::newRow("table name empty") << R"({"tables": [{"name": "", "columns": []}]})"_ba
                << u"tables[0].name: expected a non-empty string, got an empty string"_s;
        QTest::newRow("table without name") << R"({"tables": [{"columns": []}]})"_ba << u"tables[0]: missing \"name\""_s;
        QTest::newRow("table without columns") << R"({"tables": [{"name": "t"}]})"_ba << u"tables[0]: missing \"columns\""_s;
        QTest::newRow("table with no columns") << R"({"tables": [{"name": "t", "columns": []}]})"_ba
                << u"tables[0].columns: a table needs at least one column"_s;
        QTest::newRow("column type a number") << column(R"({"name": "a", "type": 1})")
                << u"tables[0].columns[0].type: expected a string (one of text, integer, real, blob, boolean, json, datetime, datetimeInteger), got a number"_s;
        QTest::newRow("column without type") << column(R"({"name": "a"})")
                << u"tables[0].columns[0]: missing \"type\" (one of text, integer, real, blob, boolean, json, datetime, datetimeInteger)"_s;
        QTest::newRow("clientOnly a string") << event(R"({"name": "e", "clientOnly": "yes", "materializer": []})")
                << u"events[0] (\"e\").clientOnly: expected true or false, got a string"_s;
        QTest::newRow("args an array") << event(R"({"name": "e", "args": [], "materializer": []})")
                << u"events[0] (\"e\").args: expected an object mapping argument names to types, got an array"_s;
        QTest::newRow("arg a number") << event(R"({"name": "e", "args": {"x": 5}, "materializer": []})")
                << u"events[0] (\"e\").args.x: expected a type name (e.g. \"string\" or \"datetime?\") or an object with \"type\", got a number"_s;
        QTest::newRow("arg without type") << event(R"({"name": "e", "args": {"x": {"optional": true}}, "materializer": []})")
                << u"events[0] (\"e\").args.x: missing \"type\" (one of string, integer, real (or number), boolean, datetime, json, literal, struct, array, record)"_s;
        QTest::newRow("materializer a number") << event(R"({"name": "e", "materializer": 1})")
                << u"events[0] (\"e\").materializer: expected an SQL statement string or an array of them, got a number"_s;
        QTest::newRow("materializer entry a number") << event(R"({"name": "e", "materializer": ["SELECT 1", 2]})")
                << u"events[0] (\"e\").materializer[1]: expected a non-empty SQL statement string, got a number"_s;
        QTest::newRow("materializer empty string") << event(R"({"name": "e", "materializer": "  "})")
                << u"events[0] (\"e\").materializer: empty SQL statement (use [] for an event that writes nothing)"_s;
        QTest::newRow("deprecated empty") << event(R"({"name": "e", "deprecated": "", "materializer": []})")
                << u"events[0] (\"e\").deprecated: expected a non-empty string (the reason), got an empty string"_s;
        QTest::newRow("unknownEventHandling unknown") << R"({"unknownEventHandling": "explode"})"_ba
                << u"unknownEventHandling: unknown value \"explode\" (expected warn, ignore or fail)"_s;
        QTest::newRow("unknownEventHandling a bool") << R"({"unknownEventHandling": true})"_ba
                << u"unknownEventHandling: expected \"warn\", \"ignore\" or \"fail\", got a boolean"_s;
        QTest::newRow("failedEventHandling unknown") << R"({"failedEventHandling": "ignore"})"_ba
                << u"failedEventHandling: unknown value \"ignore\" (expected skip or fail)"_s;
        QTest::newRow("failedEventHandling a number") << R"({"failedEventHandling": 1})"_ba
                << u"failedEventHandling: expected \"skip\" or \"fail\", got a number"_s;
        QTest::newRow("client document default an array") << R"({"clientDocuments": [{"name": "d", "default": []}]})"_ba
                << u"clientDocuments[0] (\"d\").default: expected an object with \"id\" and \"value\", got an array"_s;
        QTest::newRow("client document value a string") << R"({"clientDocuments": [{"name": "d", "default": {"value": "x"}}]})"_ba
                << u"clientDocuments[0] (\"d\").default.value: expected an object, got a string"_s;
        QTest::newRow("client document id empty") << R"({"clientDocuments": [{"name": "d", "default": {"id": ""}}]})"_ba
                << u"clientDocuments[0] (\"d\").default.id: expected a non-empty string, got an empty string"_s;
        // Unknown types
        QTest::newRow("unknown column type, close") << column(R"({"name": "a", "type": "txt"})")
                << QString(u"tables[0].columns[0]: unknown column type \"txt\" (did you mean \"text\"? "_s + columnTypes + u")"_s);
        QTest::newRow("unknown column type, far") << column(R"({"name": "a", "type": "varchar"})")
                << QString(u"tables[0].columns[0]: unknown column type \"varchar\" ("_s + columnTypes + u")"_s);
        QTest::newRow("unknown arg type, close") << event(R"({"name": "e", "args": {"id": "strng"}, "materializer": []})")
                << QString(u"events[0] (\"e\").args.id: unknown argument type \"strng\" (did you mean \"string\"? "_s + argTypes
                                   + u", optionally followed by \"?\")"_s);
        QTest::newRow("unknown arg type, shorthand ?") << event(R"({"name": "e", "args": {"id": "int?"}, "materializer": []})")
                << QString(u"events[0] (\"e\").args.id: unknown argument type \"int\" ("_s + argTypes + u", optionally followed by \"?\")"_s);
        QTest::newRow("unknown arg type, object form") << event(R"({"name": "e", "args": {"id": {"type": "int"}}, "materializer": []})")
                << QString(u"events[0] (\"e\").args.id.type: unknown argument type \"int\" ("_s + argTypes + u")"_s);
        QTest::newRow("? in object form") << event(R"({"name": "e", "args": {"id": {"type": "string?"}}, "materializer": []})")
                << u"events[0] (\"e\").args.id.type: the \"?\" shorthand is for the string form; in the object form use \"optional\": true and \"nullable\": true"_s;
        // Missing materializer
        QTest::newRow("missing materializer") << event(R"({"name": "v1.X", "args": {"id": "string"}})")
                << u"events[0] (\"v1.X\"): missing \"materializer\" (SQL statements; [] for an event that writes nothing)"_s;
        // Versions
        QTest::newRow("version too new") << R"({"version": 2})"_ba
                << u"schema file format version 2 is newer than this build supports (1)"_s;
        QTest::newRow("version fractional") << R"({"version": 1.5})"_ba
                << u"version: expected a positive integer, got a number"_s;
        QTest::newRow("version a string") << R"({"version": "1"})"_ba
                << u"version: expected a positive integer, got a string"_s;
        QTest::newRow("version zero") << R"({"version": 0})"_ba << u"version: expected a positive integer, got 0"_s;
        // Duplicate names
        QTest::newRow("duplicate table")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}]}, {"name": "t", "columns": [{"name": "b", "type": "text"}]}]})"_ba
                << u"tables[1]: duplicate table name \"t\" (also tables[0])"_s;
        QTest::newRow("duplicate column") << column(R"({"name": "a", "type": "text"}, {"name": "b", "type": "text"}, {"name": "a", "type": "integer"})")
                << u"tables[0].columns[2]: duplicate column name \"a\" (also columns[0])"_s;
        QTest::newRow("duplicate event") << event(R"({"name": "e", "materializer": []}, {"name": "e", "materializer": []})")
                << u"events[1] (\"e\"): duplicate event name (also events[0])"_s;
        QTest::newRow("duplicate index")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "indexes": [{"name": "ix", "columns": ["a"]}, {"name": "ix", "columns": ["a"], "unique": true}]}]})"_ba
                << u"tables[0].indexes[1]: duplicate index name \"ix\" (also indexes[0])"_s;
        QTest::newRow("duplicate client document") << R"({"clientDocuments": [{"name": "d"}, {"name": "d"}]})"_ba
                << u"clientDocuments[1]: duplicate client document name \"d\" (also clientDocuments[0])"_s;
        QTest::newRow("client document named like a table")
                << R"({"tables": [{"name": "d", "columns": [{"name": "a", "type": "text"}]}], "clientDocuments": [{"name": "d"}]})"_ba
                << u"duplicate table \"d\""_s;
        QTest::newRow("event named like a client document's")
                << R"({"clientDocuments": [{"name": "d"}], "events": [{"name": "dSet", "materializer": []}]})"_ba
                << u"duplicate event \"dSet\""_s;
        QTest::newRow("reserved table name")
                << R"({"tables": [{"name": "__livestore_meta", "columns": [{"name": "a", "type": "text"}]}]})"_ba
                << u"table \"__livestore_meta\": the name is reserved"_s;
        // Defaults that do not fit the column
        const auto badDefault = [&](const char *tag, const char *type, const QByteArray &value, const QString &error) {
            QTest::newRow(tag) << column(R"({"name": "a", "type": ")"_ba + type + R"(", "default": )" + value + "}")
                               << QString(u"tables[0].columns[0].default: "_s + error);
        };
        badDefault("integer default 1.5", "integer", "1.5", u"expected an integer for an integer column, got a number"_s);
        badDefault("integer default a string", "integer", R"("1")", u"expected an integer for an integer column, got a string"_s);
        badDefault("integer default 1e20", "integer", "1e20", u"expected an integer for an integer column, got a number"_s);
        badDefault("text default a number", "text", "5", u"expected a string for a text column, got a number"_s);
        badDefault("real default a string", "real", R"("1")", u"expected a number for a real column, got a string"_s);
        badDefault("boolean default a string", "boolean", R"("yes")", u"expected true or false for a boolean column, got a string"_s);
        badDefault("boolean default 0", "boolean", "0", u"expected true or false for a boolean column, got a number"_s);
        badDefault("datetime default a number", "datetime", "0",
                   u"expected an ISO-8601 date-time string for a datetime column, got a number"_s);
        badDefault("datetime default not ISO", "datetime", R"("tomorrow")",
                   u"\"tomorrow\" is not an ISO-8601 date-time (e.g. 2024-05-01T12:00:00.000Z)"_s);
        badDefault("datetime default without offset", "datetime", R"("2024-05-01T12:00:00")",
                   u"\"2024-05-01T12:00:00\" has no UTC offset; add \"Z\" or e.g. \"+02:00\""_s);
        badDefault("blob default a string", "blob", R"("x")",
                   u"a blob column's default must be null or {\"sql\": \"<SQL expression>\"}, e.g. {\"sql\": \"X''\"}"_s);
        badDefault("null default, not nullable", "text", "null",
                   u"null, but the column is not nullable (add \"nullable\": true or leave \"default\" out)"_s);
        badDefault("object default on a text column", "text", R"({"value": 1})",
                   u"an object default must be {\"sql\": \"<SQL expression>\"} (only json columns take other objects as values)"_s);
        QTest::newRow("sql default empty") << column(R"({"name": "a", "type": "text", "default": {"sql": " "}})")
                << u"tables[0].columns[0].default.sql: expected a non-empty SQL expression string, got a string"_s;
        QTest::newRow("sql default a number") << column(R"({"name": "a", "type": "text", "default": {"sql": 1}})")
                << u"tables[0].columns[0].default.sql: expected a non-empty SQL expression string, got a number"_s;
        // Keys and indexes
        QTest::newRow("primary key declared twice")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text", "primaryKey": true}, {"name": "b", "type": "text"}], "primaryKey": ["a", "b"]}]})"_ba
                << u"tables[0].primaryKey: columns[0] (\"a\") also says \"primaryKey\": true; declare the key either on the columns or in the table's \"primaryKey\", not both"_s;
        QTest::newRow("primary key names unknown column")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "primaryKey": ["a", "x"]}]})"_ba
                << u"tables[0].primaryKey[1]: no column \"x\" in table \"t\""_s;
        QTest::newRow("nullable primary key") << column(R"({"name": "a", "type": "text", "primaryKey": true, "nullable": true})")
                << u"tables[0].columns[0]: a primary key column cannot be nullable"_s;
        QTest::newRow("autoIncrement on text") << column(R"({"name": "a", "type": "text", "primaryKey": true, "autoIncrement": true})")
                << u"tables[0].columns[0]: \"autoIncrement\" needs an integer column that is the table's only primary key column"_s;
        QTest::newRow("index names unknown column")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "indexes": [{"name": "ix", "columns": ["a", "x"]}]}]})"_ba
                << u"tables[0].indexes[0].columns[1]: no column \"x\" in table \"t\""_s;
        QTest::newRow("index without columns")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "indexes": [{"name": "ix", "columns": []}]}]})"_ba
                << u"tables[0].indexes[0].columns: expected at least one column name"_s;
        QTest::newRow("index column twice")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "indexes": [{"name": "ix", "columns": ["a", "a"]}]}]})"_ba
                << u"tables[0].indexes[0].columns[1]: column \"a\" is listed twice"_s;
        QTest::newRow("index name used by two tables")
                << R"({"tables": [{"name": "t", "columns": [{"name": "a", "type": "text"}], "indexes": [{"name": "ix", "columns": ["a"]}]},
                                  {"name": "u", "columns": [{"name": "a", "type": "text"}], "indexes": [{"name": "ix", "columns": ["a"]}]}]})"_ba
                << u"table \"u\": duplicate index name \"ix\""_s;
    }
    void fileErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        QString message = u"untouched"_s;
        QVERIFY(!Schema::fromJson(json, &message).isValid());
        QCOMPARE(message, error);
        QVERIFY(!Schema::fromJson(json, nullptr).isValid());
    }

    void fileSyntaxErrorPosition()
    {
        // The position counts characters, not bytes, and lines from 1.
        const QByteArray json = "{\n  \"tables\": [],\n  \"events\": [ \"\xc3\xa4\xc3\xb6\" ,, ]\n}";
        QString error;
        QVERIFY(!Schema::fromJson(json, &error).isValid());
        // Qt reports the offset just after the offending second comma.
        const qsizetype offset = json.indexOf(",,") + 2;
        QCOMPARE(offset, 41);
        // Line 3 up to there is "  \"events\": [ \"äö\" ,," (23 bytes, 21 characters): column 22.
        QCOMPARE(error, u"invalid JSON at line 3, column 22 (offset 41): illegal value"_s);
    }

    void fromFileErrors_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("error");
        const QString missing = QDir(QDir::tempPath()).filePath(u"livestore-tst-schema-no-such-file.json"_s);
        QFile probe(missing);
        QVERIFY(!probe.open(QIODevice::ReadOnly));
        QTest::newRow("missing file") << missing
                                      << QString(u"cannot read schema file \""_s + missing + u"\": "_s + probe.errorString());
        QTest::newRow("empty path") << QString() << u"no schema file path given"_s;
        QFile resource(u":/schemas/nope.json"_s);
        QVERIFY(!resource.open(QIODevice::ReadOnly));
        QTest::newRow("missing resource") << u":/schemas/nope.json"_s
                                          << QString(u"cannot read schema file \":/schemas/nope.json\": "_s + resource.errorString());
        QTest::newRow("missing qrc URL") << u"qrc:/schemas/nope.json"_s
                                         << QString(u"cannot read schema file \"qrc:/schemas/nope.json\": "_s + resource.errorString());
        QTest::newRow("bad column type resource") << u":/schemas/bad-column-type.json"_s
                << u":/schemas/bad-column-type.json: tables[0].columns[1]: unknown column type \"txt\" (did you mean \"text\"? expected text, integer, real, blob, boolean, json, datetime, datetimeInteger)"_s;
        QTest::newRow("bad column type qrc URL") << u"qrc:/schemas/bad-column-type.json"_s
                << u"qrc:/schemas/bad-column-type.json: tables[0].columns[1]: unknown column type \"txt\" (did you mean \"text\"? expected text, integer, real, blob, boolean, json, datetime, datetimeInteger)"_s;
        QTest::newRow("bad syntax resource") << u":/schemas/bad-syntax.json"_s
                << u":/schemas/bad-syntax.json: invalid JSON at line 3, column 72 (offset 87): object is missing after a comma"_s;
        QTest::newRow("bad syntax qrc URL") << u"qrc:/schemas/bad-syntax.json"_s
                << u"qrc:/schemas/bad-syntax.json: invalid JSON at line 3, column 72 (offset 87): object is missing after a comma"_s;
    }
    void fromFileErrors()
    {
        QFETCH(QString, path);
        QFETCH(QString, error);
        QString message = u"untouched"_s;
        const Schema schema = Schema::fromFile(path, &message);
        QVERIFY(!schema.isValid());
        QCOMPARE(message, error);
        QCOMPARE(schema.errorString(), error);
        QCOMPARE(schema.validate(), error);
        QVERIFY(schema.tables().isEmpty());
        // What a user holds after a failed load cannot open a store, and says why: the issue's
        // README snippet dereferenced an empty std::optional here and crashed.
        Store store;
        StoreOptions options;
        options.storeId = u"s"_s;
        options.schema = schema;
        options.inMemory = true;
        QVERIFY(!store.open(options));
        QCOMPARE(store.errorString(), u"invalid schema: "_s + error);
        // A copy keeps the error; a schema built in C++ is valid.
        const Schema copy = schema;
        QCOMPARE(copy.errorString(), error);
        QVERIFY(Schema().isValid());
        QVERIFY(Schema().errorString().isEmpty());
    }

    void fromFileLoads_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("resource path") << u":/schemas/notes.json"_s;
        QTest::newRow("qrc URL") << u"qrc:/schemas/notes.json"_s;
        QTest::newRow("qrc URL, three slashes") << u"qrc:///schemas/notes.json"_s;
        QTest::newRow("local file") << u"local"_s;
        QTest::newRow("file URL") << u"file"_s;
    }
    void fromFileLoads()
    {
        QFETCH(QString, path);
        QTemporaryDir dir;
        if (path == u"local" || path == u"file") {
            // A copy on disk, under a name with a space (URL-encoded in the file: URL).
            const QString local = dir.filePath(u"my notes.json"_s);
            QVERIFY(QFile::copy(u":/schemas/notes.json"_s, local));
            path = path == u"local" ? local : QUrl::fromLocalFile(local).toString(QUrl::FullyEncoded);
        }
        QString error = u"untouched"_s;
        const Schema s = Schema::fromFile(path, &error);
        QVERIFY2(s.isValid(), qPrintable(error));
        QVERIFY(error.isEmpty());
        QCOMPARE(s.unknownEventPolicy(), UnknownEventPolicy::Ignore);
        QStringList tables;
        for (const TableDef &t : s.tables())
            tables.append(t.name);
        QCOMPARE(tables, (QStringList{u"notes"_s, u"log"_s, u"editor"_s}));
        QStringList events;
        for (const EventDef &e : s.events())
            events.append(e.name);
        QCOMPARE(events, (QStringList{u"editorSet"_s, u"v1.NoteAdded"_s, u"v1.NotePinned"_s, u"v1.Nothing"_s}));
        QCOMPARE(s.table(u"notes")->ddl(),
                 (QStringList{uR"(CREATE TABLE IF NOT EXISTS "notes" ("folder" TEXT NOT NULL, "id" INTEGER NOT NULL, "title" TEXT NOT NULL DEFAULT 'Untitled', "pinned" INTEGER NOT NULL DEFAULT 0, "score" REAL NOT NULL DEFAULT 0.5, "meta" TEXT NOT NULL DEFAULT '{"tags":[]}', "createdAt" TEXT NOT NULL DEFAULT '2024-05-01T12:00:00.000Z', "archivedAt" TEXT DEFAULT NULL, "attachment" BLOB, PRIMARY KEY ("folder", "id")) STRICT)"_s,
                              uR"(CREATE INDEX IF NOT EXISTS "notes_title" ON "notes" ("title"))"_s,
                              uR"(CREATE UNIQUE INDEX IF NOT EXISTS "notes_folder_title" ON "notes" ("folder", "title"))"_s}));
        QCOMPARE(s.table(u"log")->ddl(),
                 QStringList{uR"(CREATE TABLE IF NOT EXISTS "log" ("seq" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "message" TEXT NOT NULL, "at" TEXT NOT NULL DEFAULT ('never')) STRICT)"_s});
        const EventDef *pinned = s.event(u"v1.NotePinned");
        QVERIFY(pinned);
        QVERIFY(pinned->isClientOnly);
        QCOMPARE(pinned->findArg(u"at")->deprecated, u"no longer used"_s);
        QVERIFY(pinned->findArg(u"at")->isOptional);
        QCOMPARE(s.event(u"v1.Nothing")->deprecated, u"kept for old events"_s);
        const ClientDocumentDef *editor = s.clientDocument(u"editor");
        QVERIFY(editor);
        QCOMPARE(editor->defaultId, u"main"_s);
        QCOMPARE(editor->defaultValue, (QJsonObject{{u"fontSize"_s, 12}}));
        QVERIFY(!editor->partialSet);
        // Every way of naming the file loads the same schema.
        QString error2;
        const Schema reference = Schema::fromFile(u":/schemas/notes.json"_s, &error2);
        QVERIFY2(reference.isValid(), qPrintable(error2));
        QCOMPARE(s.stateHash(), reference.stateHash());
    }

    void notesSchemaInStore()
    {
        QString error;
        const Schema s = Schema::fromFile(u"qrc:/schemas/notes.json"_s, &error);
        QVERIFY2(s.isValid(), qPrintable(error));
        Store store;
        QVERIFY2(openInMemory(store, s), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.NoteAdded"_s, {{u"folder"_s, u"f"_s}, {u"id"_s, 1}, {u"score"_s, 2}}),
                 qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.NoteAdded"_s, {{u"folder"_s, u"f"_s}, {u"id"_s, 2}, {u"title"_s, u"Two"_s}, {u"score"_s, 0.25}}),
                 qPrintable(store.errorString()));
        const QueryResult notes = store.query(Query::from(u"notes"_s).orderBy(u"id"_s));
        QVERIFY2(notes.isValid(), qPrintable(notes.errorString()));
        QCOMPARE(notes.rowCount(), 2);
        QCOMPARE(notes.rowMap(0), (QVariantMap{{u"folder"_s, u"f"_s}, {u"id"_s, qint64(1)}, {u"title"_s, u"Untitled"_s},
                                               {u"pinned"_s, false}, {u"score"_s, 2.0},
                                               {u"meta"_s, QVariantMap{{u"tags"_s, QVariantList()}}},
                                               {u"createdAt"_s, utc(2024, 5, 1, 12, 0)}, {u"archivedAt"_s, QVariant()},
                                               {u"attachment"_s, QVariant()}}));
        QCOMPARE(notes.value(1, u"title"), QVariant(u"Two"_s));
        QCOMPARE(notes.value(1, u"score"), QVariant(0.25));
        const QueryResult log = store.query(Query::from(u"log"_s).orderBy(u"seq"_s));
        QCOMPARE(log.rowCount(), 2);
        QCOMPARE(log.rowMap(0), (QVariantMap{{u"seq"_s, qint64(1)}, {u"message"_s, u"added f/1"_s}, {u"at"_s, u"never"_s}}));
        QCOMPARE(log.value(1, u"seq").toLongLong(), 2);
        // The composite key: the same (folder, id) again is refused, atomically.
        QVERIFY(!store.commit(u"v1.NoteAdded"_s, {{u"folder"_s, u"f"_s}, {u"id"_s, 1}, {u"title"_s, u"Other"_s}, {u"score"_s, 1}}));
        QVERIFY2(store.errorString().contains(u"UNIQUE constraint failed: notes.folder, notes.id"_s), qPrintable(store.errorString()));
        QCOMPARE(store.query(Query::from(u"log"_s).count()).scalar().toLongLong(), 2);
        // The unique index on (folder, title): another "Untitled" note in folder f is refused.
        QVERIFY(!store.commit(u"v1.NoteAdded"_s, {{u"folder"_s, u"f"_s}, {u"id"_s, 3}, {u"score"_s, 1}}));
        QVERIFY2(store.errorString().contains(u"UNIQUE constraint failed: notes.folder, notes.title"_s), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.NoteAdded"_s, {{u"folder"_s, u"g"_s}, {u"id"_s, 1}, {u"score"_s, 1}}),
                 qPrintable(store.errorString()));
        // The client-only event and the no-op event.
        QVERIFY2(store.commit(u"v1.NotePinned"_s, {{u"folder"_s, u"f"_s}, {u"id"_s, 2}}), qPrintable(store.errorString()));
        QCOMPARE(store.query(Query::from(u"notes"_s).where(u"pinned"_s, true).select({u"id"_s})).scalar().toLongLong(), 2);
        QCOMPARE(store.head(), (SequenceNumber{3, 1, 0}));
        QTest::ignoreMessage(QtWarningMsg, "event \"v1.Nothing\" is deprecated: kept for old events");
        QVERIFY(store.commit(u"v1.Nothing"_s, {}));
        QCOMPARE(store.head(), (SequenceNumber{4, 0, 0}));
        // The editor document replaces its value (partialSet false) under the id "main".
        QVERIFY(store.setClientDocument(u"editor"_s, {{u"theme"_s, u"dark"_s}}));
        QCOMPARE(store.clientDocument(u"editor"_s), (QJsonObject{{u"fontSize"_s, 12}, {u"theme"_s, u"dark"_s}}));
        QCOMPARE(store.query(Query::from(u"editor"_s).select({u"id"_s})).scalar(), QVariant(u"main"_s));
        QVERIFY2(store.verify(), qPrintable(store.errorString()));
    }

    // ---------------------------------------------------------------------------------------------
    // Schema::toJson(): the schema file written back (what a store records of its schema)
    // ---------------------------------------------------------------------------------------------

    void toJsonRoundTrip_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::newRow("every feature") << everyFeatureSchema();
        QTest::newRow("full schema file, built") << fullSchemaBuilt();
        QTest::newRow("todos, SQL") << todoSchema(false);
        QTest::newRow("todos, C++") << todoSchema(true);
        QTest::newRow("TodoMVC, SQL") << todoMvcSchema(false);
        QTest::newRow("TodoMVC, C++") << todoMvcSchema(true);
        QTest::newRow("client documents") << documentSchema();
        QTest::newRow("constraints") << constraintSchema();
        QTest::newRow("empty") << Schema();
        Schema callbacks = todoSchema();
        callbacks.setUnknownEventCallback([](const UnknownEvent &) {});
        callbacks.setFailedEventCallback([](const FailedEvent &) {});
        QTest::newRow("callback policies") << callbacks;
    }
    void toJsonRoundTrip()
    {
        QFETCH(Schema, schema);
        QVERIFY2(schema.validate().isEmpty(), qPrintable(schema.validate()));
        for (const auto format : {QJsonDocument::Indented, QJsonDocument::Compact}) {
            const QByteArray json = schema.toJson(format);
            QString error;
            const Schema loaded = Schema::fromJson(json, &error);
            QVERIFY2(loaded.isValid(), qPrintable(error + u"\n"_s + QString::fromUtf8(json)));
            // The callbacks are code: a file says what happens without them.
            Schema expected = schema;
            if (expected.unknownEventPolicy() == UnknownEventPolicy::Callback)
                expected.setUnknownEventPolicy(UnknownEventPolicy::Warn);
            compareSchemas(loaded, expected);
            QCOMPARE(loaded.failedEventPolicy(), schema.failedEventPolicy() == FailedEventPolicy::Fail
                                                         ? FailedEventPolicy::Fail : FailedEventPolicy::Skip);
            // What compareSchemas() does not look at: the argument order, json column shapes,
            // literal values, the C++ materializers (now named, not held).
            for (const EventDef &e : schema.events()) {
                const EventDef *l = loaded.event(e.name);
                QStringList expectedArgs, loadedArgs;
                for (const ArgDef &a : e.args)
                    expectedArgs.append(a.name);
                for (const ArgDef &a : l->args)
                    loadedArgs.append(a.name);
                QCOMPARE(loadedArgs, expectedArgs);
                for (qsizetype i = 0; i < e.args.size(); ++i)
                    QCOMPARE(l->args.at(i).typeJson(), e.args.at(i).typeJson());
                QCOMPARE(l->cppMaterializerMissing, bool(e.materializer) && !e.isDerived);
                QCOMPARE(bool(l->materializer), e.isDerived); // a client document's Set event comes with it
            }
            for (const TableDef &t : schema.tables()) {
                for (const ColumnDef &c : t.columns) {
                    const ColumnDef *l = loaded.table(t.name)->findColumn(c.name);
                    QCOMPARE(bool(l->jsonSchema), bool(c.jsonSchema));
                    if (c.jsonSchema)
                        QCOMPARE(l->jsonSchema->typeJson(), c.jsonSchema->typeJson());
                }
            }
            // Written again, the same text: a store opened with its recorded schema writes nothing.
            QCOMPARE(loaded.toJson(format), json);
        }
        // The two forms say the same.
        QCOMPARE(Schema::fromJson(schema.toJson(QJsonDocument::Compact)).toJson(), schema.toJson());
        QVERIFY(schema.toJson().endsWith("}\n"));
        QVERIFY(!schema.toJson(QJsonDocument::Compact).contains('\n'));
    }

    // Every schema file of the repository, loaded, written and loaded again.
    void toJsonFiles_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("full schema file") << FullSchemaFile;
        QFile notes(u":/schemas/notes.json"_s);
        QVERIFY(notes.open(QIODevice::ReadOnly));
        QTest::newRow("notes.json") << notes.readAll();
        for (const char *file : {"examples/schemas/todos.json", "tests/shared/argtypes.json", "tests/shared/harness-todos.json"}) {
            QFile f(sourceFile(QString::fromLatin1(file)));
            QVERIFY2(f.open(QIODevice::ReadOnly), file);
            QTest::newRow(file) << f.readAll();
        }
    }
    void toJsonFiles()
    {
        QFETCH(QByteArray, json);
        QString error;
        const Schema file = Schema::fromJson(json, &error);
        QVERIFY2(file.isValid(), qPrintable(error));
        const Schema written = Schema::fromJson(file.toJson(), &error);
        QVERIFY2(written.isValid(), qPrintable(error));
        compareSchemas(written, file);
        QCOMPARE(written.toJson(), file.toJson());
    }

    // The indented form, as `livestore schema export` prints it: short forms where they say it
    // all, a list of objects one per line, a value on one line when it fits in 100 columns.
    void toJsonText()
    {
        Schema s;
        s.setFailedEventPolicy(FailedEventPolicy::Fail);
        s.addTable(TableDef{u"todos"_s}
                           .column(ColumnDef::text(u"id"_s).primaryKey())
                           .column(ColumnDef::boolean(u"completed"_s).withDefault(false))
                           .column(ColumnDef::dateTime(u"due"_s).nullable().withDefault(QVariant()))
                           .index(u"todos_due"_s, {u"due"_s, u"id"_s}, true));
        ClientDocumentDef ui{u"ui"_s, ClientDocumentDef::sessionIdDefault(), QJsonObject{{u"filter"_s, u"all"_s}}};
        ui.valueSchema = ArgDef::structOf({}, {ArgDef::literal(u"filter"_s, {u"all"_s, u"done"_s})});
        s.addClientDocument(ui);
        s.addEvent(EventDef::synced(u"v1.TodoCreated"_s)
                           .arg(u"id"_s, ArgType::String)
                           .arg(ArgDef{u"due"_s, ArgType::DateTime}.optional().nullable())
                           .arg(ArgDef{u"note"_s, ArgType::String}.optional())
                           .arg(ArgDef::arrayOf(u"tags"_s, ArgDef{{}, ArgType::String}))
                           .materializeSql({u"INSERT INTO todos (id, due) VALUES ($id, $due)"_s}));
        s.addEvent(EventDef::clientOnly(u"v1.Cleared"_s)
                           .deprecate(u"use v2"_s)
                           .materialize([](const EventRecord &, MaterializerContext &) { return Writes{}; }));
        s.addEvent(EventDef::synced(u"v1.Noop"_s).materializeSql({}));
        const QByteArray expected = R"json({
  "version": 1,
  "unknownEventHandling": "warn",
  "failedEventHandling": "fail",
  "tables": [
    {
      "name": "todos",
      "columns": [
        { "name": "id", "type": "text", "primaryKey": true },
        { "name": "completed", "type": "boolean", "default": false },
        { "name": "due", "type": "datetime", "nullable": true, "default": null }
      ],
      "indexes": [
        { "name": "todos_due", "columns": ["due", "id"], "unique": true }
      ]
    }
  ],
  "clientDocuments": [
    {
      "name": "ui",
      "schema": { "type": "struct", "fields": { "filter": ["all", "done"] } },
      "default": { "id": "$sessionId", "value": { "filter": "all" } }
    }
  ],
  "events": [
    {
      "name": "v1.TodoCreated",
      "args": {
        "id": "string",
        "due": "datetime?",
        "note": { "type": "string", "optional": true },
        "tags": { "type": "array", "element": "string" }
      },
      "materializer": "INSERT INTO todos (id, due) VALUES ($id, $due)"
    },
    {
      "name": "v1.Cleared",
      "clientOnly": true,
      "deprecated": "use v2",
      "materializer": { "cpp": true }
    },
    { "name": "v1.Noop", "materializer": [] }
  ]
}
)json";
        QCOMPARE(QString::fromUtf8(s.toJson()), QString::fromUtf8(expected));
        QCOMPARE(s.toJson(QJsonDocument::Compact), Schema::fromJson(expected).toJson(QJsonDocument::Compact));
        QVERIFY(s.toJson(QJsonDocument::Compact).startsWith(R"({"version":1,"unknownEventHandling":"warn","failedEventHandling":"fail","tables":[{"name":"todos","columns":[{"name":"id","type":"text","primaryKey":true},)"));
    }

    // "materializer": {"cpp": true}: an event whose materializer is C++ code, named but not held.
    void cppMaterializerMarker()
    {
        QString error;
        Schema s = Schema::fromJson(R"json({"tables": [{"name": "t", "columns": [{"name": "id", "type": "text", "primaryKey": true}]}],
            "events": [{"name": "v1.Added", "args": {"id": "string"}, "materializer": {"cpp": true}}]})json", &error);
        QVERIFY2(s.isValid(), qPrintable(error));
        const EventDef *added = s.event(u"v1.Added");
        QVERIFY(added->cppMaterializerMissing);
        QVERIFY(added->hasMaterializer());
        QVERIFY(!added->hasSqlMaterializer);
        QVERIFY(!added->materializer);
        QVERIFY(s.validate().isEmpty());
        // Written back as it came.
        QVERIFY(s.toJson(QJsonDocument::Compact).contains(R"("materializer":{"cpp":true})"));

        // A store opened with it reads, and refuses to commit the event, naming it.
        Store store;
        QVERIFY2(openInMemory(store, s), qPrintable(store.errorString()));
        QVERIFY(!store.commit(u"v1.Added"_s, {{u"id"_s, u"a"_s}}));
        QVERIFY2(store.errorString().startsWith(u"cannot materialize event \"v1.Added\" (e1): its materializer is C++ code"_s),
                 qPrintable(store.errorString()));
        QCOMPARE(store.eventCount(), 0);
        QCOMPARE(store.query(u"SELECT count(*) FROM t"_s).scalar().toInt(), 0);

        // Supplying the materializer clears the mark.
        EventDef supplied = *added;
        supplied.materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
            return {Query::insert(u"t"_s, {{u"id"_s, e.arg(u"id"_s)}})};
        });
        QVERIFY(!supplied.cppMaterializerMissing);
        EventDef sql = *added;
        sql.materializeSql({});
        QVERIFY(!sql.cppMaterializerMissing);
        Schema complete;
        complete.addTable(*s.table(u"t"));
        complete.addEvent(supplied);
        Store full;
        QVERIFY2(openInMemory(full, complete), qPrintable(full.errorString()));
        QVERIFY2(full.commit(u"v1.Added"_s, {{u"id"_s, u"a"_s}}), qPrintable(full.errorString()));

        // Only true means it.
        QVERIFY(!Schema::fromJson(R"json({"events": [{"name": "e", "materializer": {"cpp": false}}]})json", &error).isValid());
        QCOMPARE(error, u"events[0] (\"e\").materializer.cpp: expected true (the materializer is C++ code), got a boolean"_s);
        QVERIFY(!Schema::fromJson(R"json({"events": [{"name": "e", "materializer": {"sql": "SELECT 1"}}]})json", &error).isValid());
        QCOMPARE(error, u"events[0] (\"e\").materializer: unknown key \"sql\" (allowed: cpp)"_s);
    }

    // Defaults a file cannot hold in the column's type are written as the SQL literal the DDL
    // has: the recorded schema loads and gives the column the same default.
    void toJsonDefaultsAsSql()
    {
        Schema s;
        s.addTable(TableDef{u"t"_s}
                           .column(ColumnDef::text(u"id"_s).primaryKey())
                           .column(ColumnDef::blob(u"b"_s).withDefault(QByteArray("\x01\xff", 2)))
                           .column(ColumnDef::text(u"n"_s).withDefault(5))
                           .column(ColumnDef::json(u"j"_s).withDefault(QVariantMap{{u"sql"_s, u"x"_s}})));
        s.addEvent(EventDef::synced(u"v1.Add"_s).arg(u"id"_s, ArgType::String)
                           .materializeSql({u"INSERT INTO t (id) VALUES ($id)"_s}));
        QString error;
        const Schema loaded = Schema::fromJson(s.toJson(), &error);
        QVERIFY2(loaded.isValid(), qPrintable(error + u"\n"_s + QString::fromUtf8(s.toJson())));
        QCOMPARE(loaded.table(u"t")->findColumn(u"b")->defaultSql, u"X'01ff'"_s);
        QCOMPARE(loaded.table(u"t")->findColumn(u"n")->defaultSql, u"5"_s); // DEFAULT 5, as the DDL had it
        // The defaults work in a store. (Not checked on the builder's own schema: its DDL gives a
        // blob's bytes as a TEXT literal, which a STRICT BLOB column refuses.)
        Store store;
        QVERIFY2(openInMemory(store, loaded), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.Add"_s, {{u"id"_s, u"a"_s}}), qPrintable(store.errorString()));
        const QueryResult row = store.query(u"SELECT hex(b) AS b, n, j || '' AS j FROM t"_s);
        QCOMPARE(row.value(0, u"b"_s).toString(), u"01FF"_s);
        QCOMPARE(row.value(0, u"n"_s).toString(), u"5"_s);
        QCOMPARE(row.value(0, u"j"_s).toString(), uR"({"sql":"x"})"_s);
    }
};

QTEST_GUILESS_MAIN(tst_Schema)
#include "tst_schema.moc"
