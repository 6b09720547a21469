// SPDX-License-Identifier: BSD-3-Clause
// Materializers: how SQL materializers bind each argument type, statement order, C++ writes of
// every kind, what MaterializerContext sees, the tables a commit reports to live queries,
// failures and their messages, the determinism check, and re-running materializers on rebuilds.
#include <materializercontext.h>
#include <store.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qrandom.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <functional>
#include <memory>
#include <stdexcept>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// What the ctx.Peek materializers saw, one map per call.
QList<QVariantMap> &peeks()
{
    static QList<QVariantMap> list;
    return list;
}

// The QVariant type of each argument a types.Record materializer got, one map per call.
QList<QVariantMap> &argTypes()
{
    static QList<QVariantMap> list;
    return list;
}

Writes peek(const EventRecord &event, MaterializerContext &ctx)
{
    const QueryResult count = ctx.query(Query::from(u"notes"_s).count());
    const QueryResult write = ctx.query(u"DELETE FROM notes"_s);
    const EventRecord &e = ctx.event();
    peeks().append({{u"notes"_s, count.scalar()},
                    {u"seqNum"_s, e.seqNum.toString()},
                    {u"parent"_s, e.parentSeqNum.toString()},
                    {u"name"_s, e.name},
                    {u"id"_s, e.arg(u"id"_s)},
                    {u"clientId"_s, e.clientId},
                    {u"sessionId"_s, e.sessionId},
                    {u"sameEvent"_s, &e == &event},
                    {u"writeError"_s, write.errorString()}});
    // Its own insert: not visible to its own reads above, visible to the next event.
    return {Query::insert(u"notes"_s, {{u"id"_s, event.arg(u"id"_s)},
                                       {u"body"_s, u"peek"_s},
                                       {u"n"_s, count.scalar()}})};
}

EventDef argsProbe(const QString &name)
{
    return EventDef::synced(name)
            .arg(ArgDef{u"s"_s, ArgType::String}.optional().nullable())
            .arg(ArgDef{u"i"_s, ArgType::Integer}.optional().nullable())
            .arg(ArgDef{u"r"_s, ArgType::Real}.optional().nullable())
            .arg(ArgDef{u"b"_s, ArgType::Boolean}.optional().nullable())
            .arg(ArgDef{u"d"_s, ArgType::DateTime}.optional().nullable())
            .arg(ArgDef{u"j"_s, ArgType::Json}.optional().nullable());
}

struct SchemaOptions
{
    std::shared_ptr<int> cppCalls;  // counts notes.AddCpp materializer calls
    bool widerLog = false;          // one more column in `log`: a table change
};

Schema materializerSchema(const SchemaOptions &options = {})
{
    Schema schema;
    schema.addTable(TableDef{u"binds"_s}
                            .column(ColumnDef::text(u"arg"_s).primaryKey())
                            .column(ColumnDef::text(u"type"_s))
                            .column(ColumnDef::text(u"quoted"_s)));
    schema.addTable(TableDef{u"notes"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::text(u"body"_s))
                            .column(ColumnDef::integer(u"n"_s).nullable()));
    TableDef log = TableDef{u"log"_s}
                           .column(ColumnDef::text(u"id"_s).primaryKey())
                           .column(ColumnDef::text(u"text"_s).nullable());
    if (options.widerLog)
        log.column(ColumnDef::integer(u"level"_s).withDefault(0));
    schema.addTable(log);
    schema.addTable(TableDef{u"counters"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::integer(u"value"_s)));
    schema.addTable(TableDef{u"facts"_s}
                            .column(ColumnDef::text(u"key"_s).primaryKey())
                            .column(ColumnDef::text(u"value"_s).nullable())
                            .column(ColumnDef::text(u"type"_s)));
    schema.addClientDocument({u"prefs"_s, u"default"_s, QJsonObject{{u"theme"_s, u"light"_s}}});

    // Binding: one row per argument with SQLite's typeof() and quote() of the bound value.
    QStringList bindStatements;
    for (const char *arg : {"s", "i", "r", "b", "d", "j"}) {
        bindStatements.append(u"INSERT OR REPLACE INTO binds (arg, type, quoted) VALUES ('%1', typeof($%1), quote($%1))"_s
                                      .arg(QLatin1StringView(arg)));
    }
    bindStatements.append(u"INSERT OR REPLACE INTO binds (arg, type, quoted) "
                           "VALUES ('json_valid(j)', typeof(json_valid($j)), quote(json_valid($j)))"_s);
    schema.addEvent(argsProbe(u"bind.Probe"_s).materializeSql(bindStatements));
    schema.addEvent(EventDef::synced(u"json.Facts"_s)
                            .arg(u"meta"_s, ArgType::Json)
                            .materializeSql({
                                    u"INSERT INTO facts (key, value, type) VALUES ('type', json_type($meta), 'text')"_s,
                                    u"INSERT INTO facts (key, value, type) "
                                     "VALUES ('color', json_extract($meta, '$.color'), typeof(json_extract($meta, '$.color')))"_s,
                                    u"INSERT INTO facts (key, value, type) "
                                     "VALUES ('n', json_extract($meta, '$.nested.n'), typeof(json_extract($meta, '$.nested.n')))"_s,
                                    u"INSERT INTO facts (key, value, type) "
                                     "VALUES ('tags', json_array_length($meta, '$.tags'), 'integer')"_s,
                                    u"INSERT INTO facts (key, value, type) "
                                     "SELECT 'tag' || key, value, type FROM json_each($meta, '$.tags')"_s}));
    schema.addEvent(argsProbe(u"types.Record"_s).materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
        QVariantMap types;
        for (auto it = e.args.cbegin(); it != e.args.cend(); ++it)
            types.insert(it.key(), QString::fromLatin1(it.value().metaType().name()));
        argTypes().append(types);
        return {};
    }));

    // Statement order: (start * 2) + 1, then a copy that sees the result.
    schema.addEvent(EventDef::synced(u"counter.Sequence"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"start"_s, ArgType::Integer)
                            .materializeSql({u"INSERT INTO counters (id, value) VALUES ($id, $start)"_s,
                                             u"UPDATE counters SET value = value * 2 WHERE id = $id"_s,
                                             u"UPDATE counters SET value = value + 1 WHERE id = $id"_s,
                                             u"INSERT INTO log (id, text) SELECT $id || '-copy', CAST(value AS TEXT) "
                                              "FROM counters WHERE id = $id"_s}));
    schema.addEvent(EventDef::synced(u"log.Add"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"text"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO log (id, text) VALUES ($id, $text)"_s}));
    schema.addEvent(EventDef::synced(u"notes.AddSql"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"body"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO notes (id, body) VALUES ($id, $body)"_s}));
    const std::shared_ptr<int> calls = options.cppCalls;
    schema.addEvent(EventDef::synced(u"notes.AddCpp"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"body"_s, ArgType::String)
                            .materialize([calls](const EventRecord &e, MaterializerContext &ctx) -> Writes {
                                if (calls)
                                    ++*calls;
                                // Numbered after the notes already there: depends on the state.
                                const qint64 count = ctx.query(Query::from(u"notes"_s).count()).scalar().toLongLong();
                                return {Query::insert(u"notes"_s, {{u"id"_s, e.arg(u"id"_s)},
                                                                   {u"body"_s, e.arg(u"body"_s)},
                                                                   {u"n"_s, count + 1}})};
                            }));

    // One C++ materializer, every kind of write.
    schema.addEvent(EventDef::synced(u"notes.Shuffle"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"body"_s, ArgType::String)
                            .arg(u"n"_s, ArgType::Integer)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                const QString id = e.arg(u"id"_s).toString();
                                const QString body = e.arg(u"body"_s).toString();
                                return {
                                    Query::insert(u"notes"_s, {{u"id"_s, id}, {u"body"_s, body}, {u"n"_s, e.arg(u"n"_s)}}),
                                    Query::update(u"counters"_s, {{u"value"_s, e.arg(u"n"_s)}}).where(u"id"_s, u"c"_s),
                                    Query::remove(u"log"_s).where(u"id"_s, u"old"_s),
                                    Query::sql(u"INSERT INTO log (id, text) VALUES (?, ?)"_s,
                                               QVariantList{QString(id + u"-positional"_s), body}),
                                    Query::sql(u"INSERT INTO log (id, text) VALUES (?2, ?1)"_s,
                                               QVariantList{body, QString(id + u"-numbered"_s)}),
                                    Query::sql(u"UPDATE notes SET body = body || $suffix, n = :n + @delta WHERE id = $id"_s,
                                               QVariantMap{{u"suffix"_s, u"!"_s}, {u"n"_s, e.arg(u"n"_s)},
                                                           {u"delta"_s, 100}, {u"id"_s, id}}),
                                };
                            }));

    // MaterializerContext.
    schema.addEvent(EventDef::synced(u"ctx.Peek"_s).arg(u"id"_s, ArgType::String).materialize(peek));
    schema.addEvent(EventDef::clientOnly(u"ctx.PeekLocal"_s).arg(u"id"_s, ArgType::String).materialize(peek));

    // Two tables from one event.
    schema.addEvent(EventDef::synced(u"pair.Sql"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO notes (id, body) VALUES ($id, 'pair')"_s,
                                             u"INSERT INTO log (id, text) VALUES ($id, 'pair')"_s}));
    schema.addEvent(EventDef::synced(u"pair.Cpp"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                return {Query::insert(u"notes"_s, {{u"id"_s, e.arg(u"id"_s)}, {u"body"_s, u"pair"_s}}),
                                        Query::insert(u"log"_s, {{u"id"_s, e.arg(u"id"_s)}, {u"text"_s, u"pair"_s}})};
                            }));

    // Failures.
    auto cpp = [&schema](const char *name, std::function<Writes()> writes) {
        schema.addEvent(EventDef::synced(QString::fromLatin1(name))
                                .materialize([writes](const EventRecord &, MaterializerContext &) { return writes(); }));
    };
    cpp("fail.Throws", []() -> Writes { throw std::runtime_error("kaboom"); });
    cpp("fail.ThrowsInt", []() -> Writes { throw 42; });
    cpp("fail.UnknownTable", [] { return Writes{Query::sql(u"INSERT INTO nowhere VALUES (1)"_s)}; });
    cpp("fail.Syntax", [] { return Writes{Query::sql(u"INSRT INTO notes VALUES (1)"_s)}; });
    cpp("fail.Duplicate", [] { return Writes{Query::insert(u"notes"_s, {{u"id"_s, u"n1"_s}, {u"body"_s, u"dup"_s}})}; });
    cpp("fail.NotNull", [] { return Writes{Query::sql(u"INSERT INTO notes (id, body) VALUES ('x', NULL)"_s)}; });
    cpp("fail.StrictType", [] { return Writes{Query::sql(u"INSERT INTO notes (id, body, n) VALUES ('y', 'b', 'abc')"_s)}; });
    cpp("fail.MissingBind", [] {
        return Writes{Query::sql(u"INSERT INTO notes (id, body) VALUES (?, ?)"_s, QVariantList{u"z"_s})};
    });
    cpp("fail.SecondWrite", [] {
        return Writes{Query::insert(u"log"_s, {{u"id"_s, u"fresh"_s}, {u"text"_s, u"x"_s}}),
                      Query::insert(u"notes"_s, {{u"id"_s, u"n1"_s}, {u"body"_s, u"dup"_s}})};
    });
    cpp("fail.Attach", [] { return Writes{Query::sql(u"ATTACH DATABASE ':memory:' AS other"_s)}; });
    // Only the schema's tables are state: the eventlog, the store's metadata, SQLite's own
    // tables, pragmas and the database schema are not a materializer's to change.
    cpp("fail.Eventlog", [] { return Writes{Query::sql(u"DELETE FROM __livestore_eventlog"_s)}; });
    cpp("fail.Meta", [] { return Writes{Query::sql(u"UPDATE __livestore_meta SET value = 'x'"_s)}; });
    cpp("fail.Pragma", [] { return Writes{Query::sql(u"PRAGMA user_version = 7"_s)}; });
    cpp("fail.Drop", [] { return Writes{Query::sql(u"DROP TABLE log"_s)}; });
    cpp("fail.Create", [] { return Writes{Query::sql(u"CREATE TABLE sneaky (x)"_s)}; });
    schema.addEvent(EventDef::synced(u"fail.SqlSecond"_s)
                            .materializeSql({u"INSERT INTO log (id, text) VALUES ('fresh', 'x')"_s,
                                             u"INSERT INTO notes (id, body) VALUES ('n1', 'dup')"_s}));
    schema.addEvent(EventDef::synced(u"fail.SqlJson"_s)
                            .arg(u"text"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO log (id, text) VALUES ('j', json_extract($text, '$.a'))"_s}));
    schema.addEvent(EventDef::clientOnly(u"fail.LocalThrows"_s)
                            .materialize([](const EventRecord &, MaterializerContext &) -> Writes {
                                throw std::runtime_error("local");
                            }));

    // Determinism.
    schema.addEvent(EventDef::synced(u"det.Bump"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &ctx) -> Writes {
                                const QString id = e.arg(u"id"_s).toString();
                                const QueryResult r = ctx.query(Query::from(u"counters"_s).select({u"value"_s}).where(u"id"_s, id));
                                if (r.isEmpty())
                                    return {Query::insert(u"counters"_s, {{u"id"_s, id}, {u"value"_s, 1}})};
                                return {Query::update(u"counters"_s, {{u"value"_s, r.scalar().toLongLong() + 1}}).where(u"id"_s, id)};
                            }));
    schema.addEvent(EventDef::synced(u"det.RandomSql"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO log (id, text) VALUES ($id, CAST(random() AS TEXT))"_s}));
    schema.addEvent(EventDef::synced(u"det.RandomCpp"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                return {Query::insert(u"log"_s, {{u"id"_s, e.arg(u"id"_s)},
                                                                 {u"text"_s, QString::number(QRandomGenerator::global()->generate64())}})};
                            }));
    schema.addEvent(EventDef::synced(u"det.RandomInRawSql"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                // The same write every time; its effect differs.
                                return {Query::sql(u"INSERT INTO log (id, text) VALUES (?, hex(randomblob(4)))"_s,
                                                   QVariantList{e.arg(u"id"_s)})};
                            }));

    // Deprecation.
    schema.addEvent(EventDef::synced(u"old.Noted"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(ArgDef{u"legacy"_s, ArgType::String}.optional().deprecate(u"not read any more"_s))
                            .deprecate(u"use notes.AddSql"_s)
                            .materializeSql({u"INSERT INTO notes (id, body) VALUES ($id, 'old')"_s}));
    return schema;
}

std::unique_ptr<Store> openStore(const SchemaOptions &schemaOptions = {}, bool checkDeterminism = false,
                                 const QString &directory = {})
{
    auto store = std::make_unique<Store>();
    StoreOptions o;
    o.storeId = u"materializer"_s;
    o.schema = materializerSchema(schemaOptions);
    o.inMemory = directory.isEmpty();
    o.directory = directory;
    o.checkDeterminism = checkDeterminism;
    if (!store->open(o)) {
        qWarning("cannot open the store: %s", qPrintable(store->errorString()));
        return nullptr;
    }
    return store;
}

// Every row of every table of the materializer schema (and the client document), for comparisons.
QVariantMap allRows(Store &store)
{
    QVariantMap tables;
    for (const QString &t : {u"binds"_s, u"notes"_s, u"log"_s, u"counters"_s, u"facts"_s, u"prefs"_s}) {
        const QString columns = t == u"log"_s ? u"id, text"_s : u"*"_s;
        const QueryResult r = store.query(u"SELECT %1 FROM %2 ORDER BY 1"_s.arg(columns, t));
        tables.insert(t, r.isValid() ? QVariant(r.toMaps()) : QVariant(r.errorString()));
    }
    return tables;
}

QVariantList row(Store &store, const QString &sql)
{
    const QueryResult r = store.query(sql);
    if (!r.isValid())
        return {r.errorString()};
    return r.isEmpty() ? QVariantList{} : r.rows().at(0);
}

qint64 count(Store &store, const QString &table)
{
    const QueryResult r = store.query(Query::from(table).count());
    return r.isValid() ? r.scalar().toLongLong() : -1;
}

QDateTime utc(int y, int mo, int d, int h, int mi, int s = 0, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::UTC);
}

} // namespace

class tst_Materializer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // -----------------------------------------------------------------------------------------
    // SQL materializers: binding
    // -----------------------------------------------------------------------------------------

    void sqlBindTypes_data()
    {
        QTest::addColumn<QVariantMap>("args");
        QTest::addColumn<QString>("arg");
        QTest::addColumn<QString>("type");   // typeof($arg)
        QTest::addColumn<QString>("quoted"); // quote($arg)
        const QVariant null = QVariant::fromValue(nullptr);
        QTest::newRow("string") << QVariantMap{{u"s"_s, u"hello"_s}} << u"s"_s << u"text"_s << u"'hello'"_s;
        QTest::newRow("empty string") << QVariantMap{{u"s"_s, u""_s}} << u"s"_s << u"text"_s << u"''"_s;
        QTest::newRow("string with quote and UTF-8") << QVariantMap{{u"s"_s, u"it's \u00e9"_s}} << u"s"_s
                                                     << u"text"_s << u"'it''s \u00e9'"_s;
        QTest::newRow("numeric string stays text") << QVariantMap{{u"s"_s, u"42"_s}} << u"s"_s << u"text"_s << u"'42'"_s;
        QTest::newRow("integer") << QVariantMap{{u"i"_s, 42}} << u"i"_s << u"integer"_s << u"42"_s;
        QTest::newRow("negative integer") << QVariantMap{{u"i"_s, qint64(-9007199254740991)}} << u"i"_s << u"integer"_s
                                          << u"-9007199254740991"_s;
        QTest::newRow("integer given as whole double") << QVariantMap{{u"i"_s, 7.0}} << u"i"_s << u"integer"_s << u"7"_s;
        QTest::newRow("real") << QVariantMap{{u"r"_s, 2.5}} << u"r"_s << u"real"_s << u"2.5"_s;
        QTest::newRow("whole real") << QVariantMap{{u"r"_s, 2.0}} << u"r"_s << u"real"_s << u"2.0"_s;
        QTest::newRow("real given as integer") << QVariantMap{{u"r"_s, 3}} << u"r"_s << u"real"_s << u"3.0"_s;
        QTest::newRow("true") << QVariantMap{{u"b"_s, true}} << u"b"_s << u"integer"_s << u"1"_s;
        QTest::newRow("false") << QVariantMap{{u"b"_s, false}} << u"b"_s << u"integer"_s << u"0"_s;
        QTest::newRow("date-time") << QVariantMap{{u"d"_s, utc(2024, 5, 1, 12, 0)}} << u"d"_s << u"text"_s
                                   << u"'2024-05-01T12:00:00.000Z'"_s;
        QTest::newRow("date-time with offset")
                << QVariantMap{{u"d"_s, QDateTime(QDate(2024, 5, 1), QTime(8, 15, 30, 250), Qt::OffsetFromUTC, -3600)}}
                << u"d"_s << u"text"_s << u"'2024-05-01T09:15:30.250Z'"_s;
        QTest::newRow("date-time text") << QVariantMap{{u"d"_s, u"2024-05-01T12:00:00+02:00"_s}} << u"d"_s << u"text"_s
                                        << u"'2024-05-01T10:00:00.000Z'"_s;
        QTest::newRow("json object") << QVariantMap{{u"j"_s, QVariantMap{{u"k"_s, QVariantList{1, u"a"_s}}, {u"b"_s, true}}}}
                                     << u"j"_s << u"text"_s << u"'{\"b\":true,\"k\":[1,\"a\"]}'"_s;
        QTest::newRow("json object is valid JSON") << QVariantMap{{u"j"_s, QVariantMap{{u"k"_s, 1}}}}
                                                   << u"json_valid(j)"_s << u"integer"_s << u"1"_s;
        QTest::newRow("json list") << QVariantMap{{u"j"_s, QVariantList{1, 2.5, u"it's"_s}}} << u"j"_s << u"text"_s
                                   << u"'[1,2.5,\"it''s\"]'"_s;
        // A JSON argument binds as JSON text whatever the value (schema.md: "json: TEXT, compact JSON").
        QTest::newRow("json string") << QVariantMap{{u"j"_s, u"hi"_s}} << u"j"_s << u"text"_s << u"'\"hi\"'"_s;
        QTest::newRow("json string is valid JSON") << QVariantMap{{u"j"_s, u"hi"_s}} << u"json_valid(j)"_s
                                                   << u"integer"_s << u"1"_s;
        QTest::newRow("json number") << QVariantMap{{u"j"_s, 5}} << u"j"_s << u"text"_s << u"'5'"_s;
        QTest::newRow("json boolean") << QVariantMap{{u"j"_s, true}} << u"j"_s << u"text"_s << u"'true'"_s;
        // Absent and null: NULL.
        for (const char *arg : {"s", "i", "r", "b", "d", "j"}) {
            const QString name = QString::fromLatin1(arg);
            QTest::addRow("absent %s", arg) << QVariantMap{} << name << u"null"_s << u"NULL"_s;
            QTest::addRow("null %s", arg) << QVariantMap{{name, null}} << name << u"null"_s << u"NULL"_s;
        }
    }
    void sqlBindTypes()
    {
        QFETCH(QVariantMap, args);
        QFETCH(QString, arg);
        QFETCH(QString, type);
        QFETCH(QString, quoted);
        const QString probe = u"SELECT type, quoted FROM binds WHERE arg = '%1'"_s.arg(arg);
        auto store = openStore();
        QVERIFY(store);
        QVERIFY2(store->commit(u"bind.Probe"_s, args), qPrintable(store->errorString()));
        QCOMPARE(row(*store, probe), (QVariantList{type, quoted}));
        // A replay of the eventlog (the same event read back from its stored JSON) binds the same.
        QVERIFY2(store->rematerialize(), qPrintable(store->errorString()));
        QCOMPARE(row(*store, probe), (QVariantList{type, quoted}));
        QVERIFY2(store->verify(), qPrintable(store->errorString()));
    }

    // C++ materializers get the same argument types when the eventlog is replayed.
    void cppArgTypesStableOnReplay_data()
    {
        QTest::addColumn<QVariantMap>("args");
        QTest::newRow("string, integer, boolean, date-time")
                << QVariantMap{{u"s"_s, u"x"_s}, {u"i"_s, 3}, {u"b"_s, true}, {u"d"_s, utc(2024, 1, 1, 0, 0)}};
        QTest::newRow("fractional real") << QVariantMap{{u"r"_s, 0.5}};
        QTest::newRow("whole real") << QVariantMap{{u"r"_s, 2.0}};
        QTest::newRow("json object and null") << QVariantMap{{u"j"_s, QVariantMap{{u"k"_s, u"v"_s}}},
                                                             {u"s"_s, QVariant::fromValue(nullptr)}};
    }
    void cppArgTypesStableOnReplay()
    {
        QFETCH(QVariantMap, args);
        auto store = openStore();
        QVERIFY(store);
        argTypes().clear();
        QVERIFY2(store->commit(u"types.Record"_s, args), qPrintable(store->errorString()));
        QVERIFY2(store->rematerialize(), qPrintable(store->errorString()));
        QCOMPARE(argTypes().size(), 2);
        QCOMPARE(argTypes().at(1), argTypes().at(0));
    }

    void jsonArgumentWorksWithJsonFunctions()
    {
        auto store = openStore();
        QVERIFY(store);
        const QVariantMap meta{{u"color"_s, u"teal"_s},
                               {u"nested"_s, QVariantMap{{u"n"_s, 7}}},
                               {u"tags"_s, QVariantList{u"a"_s, 2, true}}};
        QVERIFY2(store->commit(u"json.Facts"_s, {{u"meta"_s, meta}}), qPrintable(store->errorString()));
        const QueryResult facts = store->query(u"SELECT key, value, type FROM facts ORDER BY key"_s);
        QVERIFY2(facts.isValid(), qPrintable(facts.errorString()));
        QCOMPARE(facts.rows(), (QList<QVariantList>{{u"color"_s, u"teal"_s, u"text"_s},
                                                    {u"n"_s, u"7"_s, u"integer"_s},
                                                    {u"tag0"_s, u"a"_s, u"text"_s},
                                                    {u"tag1"_s, u"2"_s, u"integer"_s},
                                                    {u"tag2"_s, u"1"_s, u"true"_s},
                                                    {u"tags"_s, u"3"_s, u"integer"_s},
                                                    {u"type"_s, u"object"_s, u"text"_s}}));
        const QVariantMap before = allRows(*store);
        QVERIFY(store->rematerialize());
        QCOMPARE(allRows(*store), before);
    }

    void sqlStatementsRunInOrder()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY2(store->commit(u"counter.Sequence"_s, {{u"id"_s, u"a"_s}, {u"start"_s, 5}}), qPrintable(store->errorString()));
        // (5 * 2) + 1, not (5 + 1) * 2; the last statement sees what the earlier ones wrote.
        QCOMPARE(row(*store, u"SELECT value FROM counters WHERE id = 'a'"_s), QVariantList{qint64(11)});
        QCOMPARE(row(*store, u"SELECT text FROM log WHERE id = 'a-copy'"_s), QVariantList{u"11"_s});
        // In one commit, each event's statements run before the next event's.
        QVERIFY(store->commit(QList<Event>{{u"counter.Sequence"_s, {{u"id"_s, u"b"_s}, {u"start"_s, 0}}},
                                           {u"counter.Sequence"_s, {{u"id"_s, u"c"_s}, {u"start"_s, -3}}}}));
        QCOMPARE(store->query(u"SELECT id, value FROM counters ORDER BY id"_s).rows(),
                 (QList<QVariantList>{{u"a"_s, qint64(11)}, {u"b"_s, qint64(1)}, {u"c"_s, qint64(-5)}}));
        QCOMPARE(store->query(u"SELECT id, text FROM log ORDER BY id"_s).rows(),
                 (QList<QVariantList>{{u"a-copy"_s, u"11"_s}, {u"b-copy"_s, u"1"_s}, {u"c-copy"_s, u"-5"_s}}));
    }

    // -----------------------------------------------------------------------------------------
    // C++ materializers
    // -----------------------------------------------------------------------------------------

    void cppEveryKindOfWrite()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->commit(QList<Event>{{u"counter.Sequence"_s, {{u"id"_s, u"c"_s}, {u"start"_s, 0}}},
                                           {u"log.Add"_s, {{u"id"_s, u"old"_s}, {u"text"_s, u"gone soon"_s}}}}));
        QCOMPARE(store->query(u"SELECT id FROM log ORDER BY id"_s).rows(),
                 (QList<QVariantList>{{u"c-copy"_s}, {u"old"_s}}));
        QVERIFY2(store->commit(u"notes.Shuffle"_s, {{u"id"_s, u"k"_s}, {u"body"_s, u"text"_s}, {u"n"_s, 4}}),
                 qPrintable(store->errorString()));
        // Inserted, then updated by the named-parameter statement: "text" + "!", 4 + 100.
        QCOMPARE(store->query(u"SELECT id, body, n FROM notes"_s).rows(),
                 (QList<QVariantList>{{u"k"_s, u"text!"_s, qint64(104)}}));
        // Updated in another table.
        QCOMPARE(row(*store, u"SELECT value FROM counters WHERE id = 'c'"_s), QVariantList{qint64(4)});
        // Deleted, and inserted by positional and numbered parameters.
        QCOMPARE(store->query(u"SELECT id, text FROM log ORDER BY id"_s).rows(),
                 (QList<QVariantList>{{u"c-copy"_s, u"1"_s}, {u"k-numbered"_s, u"text"_s}, {u"k-positional"_s, u"text"_s}}));
        const QVariantMap before = allRows(*store);
        QVERIFY2(store->verify(), qPrintable(store->errorString()));
        QVERIFY(store->rematerialize());
        QCOMPARE(allRows(*store), before);
    }

    void contextSeesEarlierEventsOnly()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->commit(u"notes.AddSql"_s, {{u"id"_s, u"n1"_s}, {u"body"_s, u"first"_s}})); // e1
        peeks().clear();
        // One commit: an SQL materializer's insert, two peeks, a client-only peek, another insert.
        QVERIFY2(store->commit(QList<Event>{{u"notes.AddSql"_s, {{u"id"_s, u"n2"_s}, {u"body"_s, u"x"_s}}}, // e2
                                            {u"ctx.Peek"_s, {{u"id"_s, u"p1"_s}}},                          // e3
                                            {u"ctx.Peek"_s, {{u"id"_s, u"p2"_s}}},                          // e4
                                            {u"ctx.PeekLocal"_s, {{u"id"_s, u"p3"_s}}},                     // e4.1
                                            {u"notes.AddSql"_s, {{u"id"_s, u"n3"_s}, {u"body"_s, u"y"_s}}}}),
                 qPrintable(store->errorString()));
        QCOMPARE(peeks().size(), 3);
        auto expected = [&](qint64 notes, const QString &seqNum, const QString &parent, const QString &name,
                            const QString &id) {
            return QVariantMap{{u"notes"_s, notes}, {u"seqNum"_s, seqNum}, {u"parent"_s, parent},
                               {u"name"_s, name}, {u"id"_s, id}, {u"clientId"_s, store->clientId()},
                               {u"sessionId"_s, store->sessionId()}, {u"sameEvent"_s, true},
                               {u"writeError"_s, u"queries only read; change the state by committing events"_s}};
        };
        // p1 sees e1 and e2's insert; p2 also sees p1's insert; p3 also p2's.
        QCOMPARE(peeks().at(0), expected(2, u"e3"_s, u"e2"_s, u"ctx.Peek"_s, u"p1"_s));
        QCOMPARE(peeks().at(1), expected(3, u"e4"_s, u"e3"_s, u"ctx.Peek"_s, u"p2"_s));
        QCOMPARE(peeks().at(2), expected(4, u"e4.1"_s, u"e4"_s, u"ctx.PeekLocal"_s, u"p3"_s));
        // A materializer's reads do not see the writes it returns: each peek stored the count it
        // read, which excludes its own row.
        QCOMPARE(store->query(u"SELECT id, n FROM notes ORDER BY id"_s).rows(),
                 (QList<QVariantList>{{u"n1"_s, QVariant()}, {u"n2"_s, QVariant()}, {u"n3"_s, QVariant()},
                                      {u"p1"_s, qint64(2)}, {u"p2"_s, qint64(3)}, {u"p3"_s, qint64(4)}}));
        // The peek tried to write through its context and was refused: no row was deleted.
        QCOMPARE(count(*store, u"notes"_s), 6);
        // The numbers match the eventlog's.
        EventFilter filter;
        filter.names = {u"ctx.Peek"_s, u"ctx.PeekLocal"_s};
        QStringList numbers;
        for (const EventRecord &e : store->events(filter))
            numbers.append(e.seqNum.toString());
        QCOMPARE(numbers, (QStringList{u"e3"_s, u"e4"_s, u"e4.1"_s}));

        // A replay gives the materializers the same view.
        const QList<QVariantMap> firstRun = peeks();
        peeks().clear();
        QVERIFY2(store->rematerialize(), qPrintable(store->errorString()));
        QCOMPARE(peeks(), firstRun);
    }

    // -----------------------------------------------------------------------------------------
    // Live queries
    // -----------------------------------------------------------------------------------------

    void twoTablesNotifyOnce_data()
    {
        QTest::addColumn<QString>("event");
        QTest::addColumn<int>("events");
        QTest::newRow("SQL materializer, one event") << u"pair.Sql"_s << 1;
        QTest::newRow("SQL materializer, three events") << u"pair.Sql"_s << 3;
        QTest::newRow("C++ materializer, one event") << u"pair.Cpp"_s << 1;
        QTest::newRow("C++ materializer, three events") << u"pair.Cpp"_s << 3;
    }
    void twoTablesNotifyOnce()
    {
        QFETCH(QString, event);
        QFETCH(int, events);
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->commit(u"counter.Sequence"_s, {{u"id"_s, u"c"_s}, {u"start"_s, 1}}));
        int notesCalls = 0, logCalls = 0, joinCalls = 0, countersCalls = 0;
        QVariant joined;
        LiveQuery notes = store->liveQuery(Query::from(u"notes"_s).count());
        LiveQuery log = store->liveQuery(Query::from(u"log"_s).count());
        LiveQuery join = store->liveQuery(Query::sql(u"SELECT count(*) FROM notes JOIN log ON log.id = notes.id"_s));
        LiveQuery counters = store->liveQuery(Query::from(u"counters"_s));
        Subscription s1 = notes.subscribe([&](const QueryResult &) { ++notesCalls; });
        Subscription s2 = log.subscribe([&](const QueryResult &) { ++logCalls; });
        Subscription s3 = join.subscribe([&](const QueryResult &r) { ++joinCalls; joined = r.scalar(); });
        Subscription s4 = counters.subscribe([&](const QueryResult &) { ++countersCalls; });
        const int joinRuns = join.runCount();
        const int countersRuns = counters.runCount();
        QList<Event> batch;
        for (int i = 0; i < events; ++i)
            batch.append({event, {{u"id"_s, u"p%1"_s.arg(i)}}});
        QVERIFY2(store->commit(batch), qPrintable(store->errorString()));
        QCOMPARE(notesCalls, 2);
        QCOMPARE(logCalls, 2);
        QCOMPARE(joinCalls, 2);
        QCOMPARE(join.runCount(), joinRuns + 1);
        QCOMPARE(joined, QVariant(qint64(events)));
        // Not written: neither re-run nor notified.
        QCOMPARE(countersCalls, 1);
        QCOMPARE(counters.runCount(), countersRuns);
    }

    // A materializer writing one table refreshes the live queries joining it, however the join
    // is written.
    void writtenTableRefreshesJoins_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::newRow("JOIN ON") << u"SELECT count(*) FROM notes JOIN log ON log.id = notes.id"_s;
        QTest::newRow("comma join") << u"SELECT count(*) FROM notes, log WHERE log.id = notes.id"_s;
        QTest::newRow("IN subquery") << u"SELECT count(*) FROM notes WHERE id IN (SELECT id FROM log)"_s;
        QTest::newRow("JOIN USING") << u"SELECT count(*) FROM notes JOIN log USING (id)"_s;
        QTest::newRow("LEFT JOIN USING") << u"SELECT count(log.text) FROM notes LEFT JOIN log USING (id)"_s;
        QTest::newRow("JOIN USING, one side's columns") << u"SELECT count(notes.body) FROM notes JOIN log USING (id)"_s;
        QTest::newRow("NATURAL JOIN") << u"SELECT count(body) FROM notes NATURAL JOIN log"_s;
    }
    void writtenTableRefreshesJoins()
    {
        QFETCH(QString, sql);
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->commit(u"notes.AddSql"_s, {{u"id"_s, u"n1"_s}, {u"body"_s, u"b"_s}}));
        LiveQuery join = store->liveQuery(Query::sql(sql));
        QList<QVariant> seen;
        Subscription sub = join.subscribe([&](const QueryResult &r) { seen.append(r.isValid() ? r.scalar() : QVariant(r.errorString())); });
        QCOMPARE(seen, QList<QVariant>{qint64(0)});
        QStringList tables = join.tables();
        tables.sort();
        QCOMPARE(tables, (QStringList{u"log"_s, u"notes"_s}));
        // Only `log` is written.
        QVERIFY(store->commit(u"log.Add"_s, {{u"id"_s, u"n1"_s}, {u"text"_s, u"t"_s}}));
        QCOMPARE(store->query(sql).scalar(), QVariant(qint64(1)));
        QCOMPARE(seen, (QList<QVariant>{qint64(0), qint64(1)}));
    }

    // -----------------------------------------------------------------------------------------
    // Failures
    // -----------------------------------------------------------------------------------------

    void failureRejectsCommit_data()
    {
        QTest::addColumn<QString>("event");
        QTest::addColumn<QVariantMap>("args");
        QTest::addColumn<QString>("error");
        // Committed as the second event of a batch on top of e1: numbered e3 (client-only: e2.1).
        QTest::newRow("throws std::exception") << u"fail.Throws"_s << QVariantMap{}
                                               << u"materializer of event \"fail.Throws\" (e3) threw: kaboom"_s;
        QTest::newRow("throws something else") << u"fail.ThrowsInt"_s << QVariantMap{}
                                               << u"materializer of event \"fail.ThrowsInt\" (e3) threw an exception"_s;
        QTest::newRow("client-only throws") << u"fail.LocalThrows"_s << QVariantMap{}
                                            << u"materializer of event \"fail.LocalThrows\" (e2.1) threw: local"_s;
        QTest::newRow("unknown table") << u"fail.UnknownTable"_s << QVariantMap{}
                                       << u"materializer of event \"fail.UnknownTable\" (e3): no such table: nowhere"_s;
        QTest::newRow("syntax error") << u"fail.Syntax"_s << QVariantMap{}
                                      << u"materializer of event \"fail.Syntax\" (e3): near \"INSRT\": syntax error"_s;
        QTest::newRow("unique constraint") << u"fail.Duplicate"_s << QVariantMap{}
                                           << u"materializer of event \"fail.Duplicate\" (e3) failed: UNIQUE constraint failed: notes.id"_s;
        QTest::newRow("not null constraint") << u"fail.NotNull"_s << QVariantMap{}
                                             << u"materializer of event \"fail.NotNull\" (e3) failed: NOT NULL constraint failed: notes.body"_s;
        QTest::newRow("strict column type") << u"fail.StrictType"_s << QVariantMap{}
                                            << u"materializer of event \"fail.StrictType\" (e3) failed: cannot store TEXT value in INTEGER column notes.n"_s;
        QTest::newRow("missing bind value") << u"fail.MissingBind"_s << QVariantMap{}
                                            << u"materializer of event \"fail.MissingBind\" (e3) failed: missing bind value 2 (the statement has 2 parameters, 1 values given)"_s;
        QTest::newRow("second write fails") << u"fail.SecondWrite"_s << QVariantMap{}
                                            << u"materializer of event \"fail.SecondWrite\" (e3) failed: UNIQUE constraint failed: notes.id"_s;
        QTest::newRow("attach") << u"fail.Attach"_s << QVariantMap{}
                                << u"materializer of event \"fail.Attach\" (e3): materializers cannot control transactions or attach databases"_s;
        const QString outside = u": materializers may change only the schema's tables, and "_s;
        QTest::newRow("writes the eventlog") << u"fail.Eventlog"_s << QVariantMap{}
                << u"materializer of event \"fail.Eventlog\" (e3)"_s + outside
                           + u"it writes \"__livestore_eventlog\", which is not a table of the schema"_s;
        QTest::newRow("writes the metadata") << u"fail.Meta"_s << QVariantMap{}
                << u"materializer of event \"fail.Meta\" (e3)"_s + outside
                           + u"it writes \"__livestore_meta\", which is not a table of the schema"_s;
        QTest::newRow("pragma") << u"fail.Pragma"_s << QVariantMap{}
                << u"materializer of event \"fail.Pragma\" (e3)"_s + outside + u"it runs PRAGMA user_version"_s;
        QTest::newRow("drop table") << u"fail.Drop"_s << QVariantMap{}
                << u"materializer of event \"fail.Drop\" (e3)"_s + outside
                           + u"it changes the database schema (CREATE, DROP, ALTER...)"_s;
        QTest::newRow("create table") << u"fail.Create"_s << QVariantMap{}
                << u"materializer of event \"fail.Create\" (e3)"_s + outside
                           + u"it changes the database schema (CREATE, DROP, ALTER...)"_s;
        QTest::newRow("SQL statement 2 fails") << u"fail.SqlSecond"_s << QVariantMap{}
                                               << u"materializer of event \"fail.SqlSecond\" (e3), statement 2 failed: UNIQUE constraint failed: notes.id"_s;
        QTest::newRow("SQL function error") << u"fail.SqlJson"_s << QVariantMap{{u"text"_s, u"not json"_s}}
                                            << u"materializer of event \"fail.SqlJson\" (e3), statement 1 failed: malformed JSON"_s;
    }
    void failureRejectsCommit()
    {
        QFETCH(QString, event);
        QFETCH(QVariantMap, args);
        QFETCH(QString, error);
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->commit(u"notes.AddSql"_s, {{u"id"_s, u"n1"_s}, {u"body"_s, u"first"_s}}));
        const QByteArray digest = store->stateDigest();
        const QVariantMap before = allRows(*store);
        QSignalSpy committed(store.get(), &Store::committed);
        int notified = 0;
        Subscription sub = store->subscribe(Query::from(u"notes"_s), [&](const QueryResult &) { ++notified; },
                                            {.skipInitialRun = true});

        QVERIFY(!store->commit(QList<Event>{{u"notes.AddSql"_s, {{u"id"_s, u"n2"_s}, {u"body"_s, u"second"_s}}},
                                            {event, args}}));
        QCOMPARE(store->errorString(), error);
        // Nothing was written: not the event, not the one before it in the batch, not the
        // writes the failing materializer made before it failed.
        QCOMPARE(store->eventCount(), 1);
        QCOMPARE(store->head(), (SequenceNumber{1, 0, 0}));
        QCOMPARE(store->stateDigest(), digest);
        QCOMPARE(allRows(*store), before);
        QCOMPARE(committed.size(), 0);
        QCOMPARE(notified, 0);
        // And the store goes on, without a gap.
        QVERIFY(store->commit(u"notes.AddSql"_s, {{u"id"_s, u"n2"_s}, {u"body"_s, u"second"_s}}));
        QCOMPARE(store->head(), (SequenceNumber{2, 0, 0}));
        QCOMPARE(notified, 1);
        QVERIFY(store->verify());
    }

    // SQL materializers are checked when the store opens: one that would write outside the
    // state is refused before any event runs it, and nothing happens to the file or elsewhere.
    void sqlMaterializerConfinedToState_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("reason");
        QTest::newRow("empties the eventlog") << u"DELETE FROM __livestore_eventlog"_s
                << u"it writes \"__livestore_eventlog\", which is not a table of the schema"_s;
        QTest::newRow("rewrites the sync head") << u"UPDATE __livestore_sync_status SET head = 0"_s
                << u"it writes \"__livestore_sync_status\", which is not a table of the schema"_s;
        QTest::newRow("attaches a file") << u"ATTACH DATABASE '$FILE' AS evil"_s
                << u"it attaches or detaches a database"_s;
        QTest::newRow("writable schema") << u"PRAGMA writable_schema = ON"_s << u"it runs PRAGMA writable_schema"_s;
        QTest::newRow("loads an extension") << u"SELECT load_extension('/nonexistent')"_s
                << u"it loads an SQLite extension"_s;
        QTest::newRow("creates a trigger")
                << u"CREATE TRIGGER t AFTER INSERT ON notes BEGIN DELETE FROM notes; END"_s
                << u"it changes the database schema (CREATE, DROP, ALTER...)"_s;
    }
    void sqlMaterializerConfinedToState()
    {
        QFETCH(QString, sql);
        QFETCH(QString, reason);
        QTemporaryDir dir;
        const QString attached = dir.filePath(u"created-by-attach.db"_s);
        sql.replace(u"$FILE"_s, attached);
        Schema schema;
        schema.addTable(TableDef{u"notes"_s}.column(ColumnDef::text(u"id"_s).primaryKey()));
        schema.addEvent(EventDef::synced(u"v1.Evil"_s).materializeSql({sql}));
        Store store;
        StoreOptions o;
        o.storeId = u"confined"_s;
        o.schema = schema;
        o.directory = dir.filePath(u"store"_s);
        QVERIFY(!store.open(o));
        QCOMPARE(store.errorString(), u"event \"v1.Evil\", materializer statement 1: materializers may change "
                                       "only the schema's tables, and "_s + reason);
        QVERIFY(!QFileInfo::exists(attached));
    }

    void migrationHookConfinedToState()
    {
        QTemporaryDir dir;
        StoreOptions o;
        o.storeId = u"hooked"_s;
        o.directory = dir.path();
        o.schema.addTable(TableDef{u"notes"_s}.column(ColumnDef::text(u"id"_s).primaryKey()));
        o.schema.addEvent(EventDef::synced(u"v1.Note"_s).arg(u"id"_s, ArgType::String)
                                  .materializeSql({u"INSERT INTO notes (id) VALUES ($id)"_s}));
        QString hookError;
        o.migrations.post = [&](MigrationContext &ctx) {
            const bool ok = ctx.exec(Query::sql(u"DELETE FROM __livestore_eventlog"_s));
            hookError = ctx.errorString();
            return ok;
        };
        Store store;
        QVERIFY(!store.open(o));
        QCOMPARE(hookError, u"migration hooks may change only the schema's tables: it writes "
                             "\"__livestore_eventlog\", which is not a table of the schema"_s);
    }

    // -----------------------------------------------------------------------------------------
    // Determinism
    // -----------------------------------------------------------------------------------------

    void determinismCheck_data()
    {
        QTest::addColumn<QList<Event>>("events");
        QTest::addColumn<QString>("error"); // empty: passes
        const QString differentWrites = u"two runs emitted different writes"_s;
        const QString differentState = u"two runs changed the state differently"_s;
        QTest::newRow("SQL, several statements") << QList<Event>{{u"counter.Sequence"_s, {{u"id"_s, u"a"_s}, {u"start"_s, 2}}}}
                                                 << QString();
        QTest::newRow("SQL, JSON functions")
                << QList<Event>{{u"json.Facts"_s, {{u"meta"_s, QVariantMap{{u"color"_s, u"red"_s}, {u"tags"_s, QVariantList{1, 2}}}}}}}
                << QString();
        QTest::newRow("C++ reading the state") << QList<Event>{{u"det.Bump"_s, {{u"id"_s, u"c"_s}}},
                                                               {u"det.Bump"_s, {{u"id"_s, u"c"_s}}}}
                                               << QString();
        QTest::newRow("C++, every kind of write") << QList<Event>{{u"notes.Shuffle"_s, {{u"id"_s, u"k"_s}, {u"body"_s, u"b"_s}, {u"n"_s, 1}}}}
                                                  << QString();
        QTest::newRow("client document") << QList<Event>{{u"prefsSet"_s, {{u"value"_s, QVariantMap{{u"theme"_s, u"dark"_s}}}}}}
                                         << QString();
        QTest::newRow("SQL random()") << QList<Event>{{u"det.RandomSql"_s, {{u"id"_s, u"r"_s}}}}
                                      << u"materializer of event \"det.RandomSql\" (e2) is not deterministic: "_s + differentState;
        QTest::newRow("C++ random value") << QList<Event>{{u"det.RandomCpp"_s, {{u"id"_s, u"r"_s}}}}
                                          << u"materializer of event \"det.RandomCpp\" (e2) is not deterministic: "_s + differentWrites;
        QTest::newRow("C++ write calling randomblob()") << QList<Event>{{u"det.RandomInRawSql"_s, {{u"id"_s, u"r"_s}}}}
                                                        << u"materializer of event \"det.RandomInRawSql\" (e2) is not deterministic: "_s + differentState;
        QTest::newRow("deterministic then random in one commit")
                << QList<Event>{{u"det.Bump"_s, {{u"id"_s, u"c"_s}}}, {u"det.RandomSql"_s, {{u"id"_s, u"r"_s}}}}
                << u"materializer of event \"det.RandomSql\" (e3) is not deterministic: "_s + differentState;
    }
    void determinismCheck()
    {
        QFETCH(QList<Event>, events);
        QFETCH(QString, error);
        auto store = openStore({}, true);
        QVERIFY(store);
        QVERIFY(store->commit(u"log.Add"_s, {{u"id"_s, u"seed"_s}, {u"text"_s, u"s"_s}}));
        const QByteArray digest = store->stateDigest();
        const bool ok = store->commit(events);
        if (error.isEmpty()) {
            QVERIFY2(ok, qPrintable(store->errorString()));
            QCOMPARE(store->eventCount(), 1 + events.size());
            // The replays of verify() and rematerialize() are checked too, and pass.
            QVERIFY2(store->verify(), qPrintable(store->errorString()));
            const QVariantMap rows = allRows(*store);
            QVERIFY2(store->rematerialize(), qPrintable(store->errorString()));
            QCOMPARE(allRows(*store), rows);
        } else {
            QVERIFY(!ok);
            QCOMPARE(store->errorString(), error);
            QCOMPARE(store->eventCount(), 1);
            QCOMPARE(store->stateDigest(), digest);
        }
        // Without the check the same commit goes through.
        auto unchecked = openStore();
        QVERIFY(unchecked);
        QVERIFY(unchecked->commit(u"log.Add"_s, {{u"id"_s, u"seed"_s}, {u"text"_s, u"s"_s}}));
        QVERIFY2(unchecked->commit(events), qPrintable(unchecked->errorString()));
    }

    void determinismCheckedOnImportAndReplay()
    {
        // Committed without the check, a random() materializer leaves a state no replay gives.
        QTemporaryDir dir;
        QList<EventRecord> history;
        {
            auto store = openStore({}, false, dir.path());
            QVERIFY(store);
            QVERIFY(store->commit(u"det.Bump"_s, {{u"id"_s, u"c"_s}}));
            QVERIFY(store->commit(u"det.RandomSql"_s, {{u"id"_s, u"r"_s}}));
            QVERIFY(!store->verify());
            QVERIFY2(store->errorString().startsWith(u"the stored state differs from a replay of the eventlog: table \"log\": "
                                                      "stored 1 rows, replay gives 1; first difference at row 1: "_s),
                     qPrintable(store->errorString()));
            history = store->events();
        }
        const QString error = u"materializer of event \"det.RandomSql\" (e2) is not deterministic: "
                               "two runs changed the state differently"_s;
        {
            // Imported with the check: refused, nothing imported.
            auto store = openStore({}, true);
            QVERIFY(store);
            QVERIFY(!store->importEvents(history));
            QCOMPARE(store->errorString(), error);
            QCOMPARE(store->eventCount(), 0);
            QCOMPARE(count(*store, u"counters"_s), 0);
        }
        // Reopened with the check: rematerialize() and verify() refuse, the state stays.
        auto store = openStore({}, true, dir.path());
        QVERIFY(store);
        const QByteArray digest = store->stateDigest();
        QVERIFY(!store->rematerialize());
        QCOMPARE(store->errorString(), u"rematerializing the eventlog failed: "_s + error);
        QCOMPARE(store->stateDigest(), digest);
        QVERIFY(!store->verify());
        QCOMPARE(store->errorString(), u"rematerializing the eventlog failed: "_s + error);
    }

    // -----------------------------------------------------------------------------------------
    // Rebuilds
    // -----------------------------------------------------------------------------------------

    // StoreOptions::checkDeterminism applies to rebuilds too: deterministic materializers pass.
    void rebuildWithDeterminismCheck()
    {
        QTemporaryDir dir;
        QVariantMap before;
        {
            auto store = openStore({}, true, dir.path());
            QVERIFY(store);
            QVERIFY(store->commit(QList<Event>{{u"notes.AddSql"_s, {{u"id"_s, u"a"_s}, {u"body"_s, u"x"_s}}},
                                               {u"det.Bump"_s, {{u"id"_s, u"c"_s}}},
                                               {u"counter.Sequence"_s, {{u"id"_s, u"s"_s}, {u"start"_s, 1}}}}));
            before = allRows(*store);
            QVERIFY2(store->rematerialize(), qPrintable(store->errorString()));
            QCOMPARE(allRows(*store), before);
        }
        // A table change rebuilds at open, with the check.
        auto store = openStore({nullptr, true}, true, dir.path());
        QVERIFY2(store, "the rebuild at open failed (see the warning above)");
        QCOMPARE(allRows(*store), before);
    }


    void rebuildReRunsMaterializers()
    {
        QTemporaryDir dir;
        auto calls = std::make_shared<int>(0);
        QVariantMap before;
        int cppEvents = 0;
        {
            auto store = openStore({calls}, false, dir.path());
            QVERIFY(store);
            for (int i = 0; i < 5; ++i) {
                QVERIFY(store->commit(u"notes.AddCpp"_s, {{u"id"_s, u"cpp%1"_s.arg(i)}, {u"body"_s, u"c"_s}}));
                ++cppEvents;
            }
            QVERIFY(store->commit(QList<Event>{
                    {u"notes.AddSql"_s, {{u"id"_s, u"sql1"_s}, {u"body"_s, u"s"_s}}},
                    {u"notes.AddCpp"_s, {{u"id"_s, u"cpp5"_s}, {u"body"_s, u"after sql"_s}}},
                    {u"counter.Sequence"_s, {{u"id"_s, u"k"_s}, {u"start"_s, 4}}},
                    {u"bind.Probe"_s, {{u"s"_s, u"x"_s}, {u"i"_s, 1}, {u"d"_s, utc(2024, 1, 1, 0, 0)}}},
                    {u"prefsSet"_s, {{u"value"_s, QVariantMap{{u"theme"_s, u"dark"_s}}}}},
                    {u"notes.Shuffle"_s, {{u"id"_s, u"sh"_s}, {u"body"_s, u"b"_s}, {u"n"_s, 2}}},
                    {u"notes.AddCpp"_s, {{u"id"_s, u"cpp6"_s}, {u"body"_s, u"c"_s}}}}));
            cppEvents += 2;
            QCOMPARE(*calls, cppEvents);
            before = allRows(*store);
            // The C++ materializer numbered its notes by the state it read.
            QCOMPARE(store->query(u"SELECT n FROM notes WHERE id = 'cpp6'"_s).scalar(), QVariant(qint64(9)));
        }
        // Reopened with a changed table: the state is rebuilt by running every materializer again.
        *calls = 0;
        auto store = openStore({calls, true}, false, dir.path());
        QVERIFY(store);
        QCOMPARE(store->migrationReport().size(), 1);
        QCOMPARE(store->migrationReport().at(0).tableName, u"log"_s);
        QCOMPARE(*calls, cppEvents);
        QCOMPARE(allRows(*store), before);
        QCOMPARE(row(*store, u"SELECT DISTINCT level FROM log"_s), QVariantList{qint64(0)});
        // rematerialize() and verify() run them once more per event.
        QVERIFY2(store->rematerialize(), qPrintable(store->errorString()));
        QCOMPARE(*calls, 2 * cppEvents);
        QCOMPARE(allRows(*store), before);
        QVERIFY2(store->verify(), qPrintable(store->errorString()));
        QCOMPARE(*calls, 3 * cppEvents);
        // Reopened unchanged: no rebuild, no call.
        store.reset();
        *calls = 0;
        store = openStore({calls, true}, false, dir.path());
        QVERIFY(store);
        QCOMPARE(*calls, 0);
        QCOMPARE(allRows(*store), before);
    }

    // -----------------------------------------------------------------------------------------
    // Deprecation on import and replay (commits: tst_evolution)
    // -----------------------------------------------------------------------------------------

    void deprecationWarnsOnceOnImportAndReplay()
    {
        QList<EventRecord> history;
        auto record = [&](qint64 n, const QVariantMap &args) {
            EventRecord r;
            r.seqNum = {n, 0, 0};
            r.parentSeqNum = {n - 1, 0, 0};
            r.name = u"old.Noted"_s;
            r.args = args;
            r.clientId = u"old-client"_s;
            r.sessionId = u"old-session"_s;
            history.append(r);
        };
        record(1, {{u"id"_s, u"a"_s}});                            // no deprecated argument
        record(2, {{u"id"_s, u"b"_s}});
        record(3, {{u"id"_s, u"c"_s}, {u"legacy"_s, u"l"_s}});     // with it
        record(4, {{u"id"_s, u"d"_s}, {u"legacy"_s, u"l"_s}});
        auto store = openStore();
        QVERIFY(store);
        QTest::ignoreMessage(QtWarningMsg, "event \"old.Noted\" is deprecated: use notes.AddSql");
        QTest::ignoreMessage(QtWarningMsg, "argument \"legacy\" of event \"old.Noted\" is deprecated: not read any more");
        QVERIFY2(store->importEvents(history), qPrintable(store->errorString()));
        QCOMPARE(count(*store, u"notes"_s), 4);
        // Once per process: replays and later commits stay quiet.
        QTest::failOnWarning(QRegularExpression(u"deprecated"_s));
        QVERIFY(store->rematerialize());
        QVERIFY(store->verify());
        QVERIFY(store->commit(u"old.Noted"_s, {{u"id"_s, u"e"_s}, {u"legacy"_s, u"l"_s}}));
        QCOMPARE(count(*store, u"notes"_s), 5);
    }
};

QTEST_GUILESS_MAIN(tst_Materializer)
#include "tst_materializer.moc"
