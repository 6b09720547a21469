// SPDX-License-Identifier: BSD-3-Clause
// Schema evolution: state rebuilds, migration hooks, removed and unknown events, determinism.
#include "todoschema.h"

#include <store.h>

#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

class tst_Evolution : public QObject
{
    Q_OBJECT

private:
    static StoreOptions options(const QString &dir, const Schema &schema)
    {
        StoreOptions o;
        o.storeId = u"evolve"_s;
        o.schema = schema;
        o.directory = dir;
        return o;
    }
    static void seed(Store &store, int n)
    {
        QList<Event> events;
        for (int i = 0; i < n; ++i) {
            events.append({u"v1.TodoCreated"_s, {{u"id"_s, u"t%1"_s.arg(i)}, {u"text"_s, u"todo %1"_s.arg(i)}}});
            if (i % 2)
                events.append({u"v1.TodoCompleted"_s, {{u"id"_s, u"t%1"_s.arg(i)}}});
        }
        QVERIFY2(store.commit(events), qPrintable(store.errorString()));
    }
private Q_SLOTS:
    void tableChangeRebuildsFromEventlog()
    {
        QTemporaryDir dir;
        QByteArray before;
        {
            Store store;
            QVERIFY(store.open(options(dir.path(), todoSchema())));
            seed(store, 500);
        }
        Store store;
        QList<BootStatus> stages;
        StoreOptions o = options(dir.path(), widerTodoSchema());
        o.onBootStatus = [&](const BootStatus &s) { stages.append(s); };
        QVERIFY2(store.open(o), qPrintable(store.errorString()));
        // Loading, migrating (tables), rematerializing with counts, done.
        QCOMPARE(stages.first().stage, BootStatus::Loading);
        QCOMPARE(stages.last().stage, BootStatus::Done);
        bool sawFinalCount = false;
        for (const BootStatus &s : stages) {
            if (s.stage == BootStatus::Rematerializing && s.done == 750 && s.total == 750)
                sawFinalCount = true;
        }
        QVERIFY(sawFinalCount);
        QCOMPARE(store.query(Query::from(u"todos"_s).count()).scalar().toInt(), 500);
        QCOMPARE(store.query(Query::from(u"todos"_s).where(u"completed"_s, true).count()).scalar().toInt(), 250);
        QCOMPARE(store.query(u"SELECT DISTINCT priority FROM todos"_s).scalar().toInt(), 3);
        // The report names the changed table (and only it).
        const QList<TableMigration> report = store.migrationReport();
        QCOMPARE(report.size(), 1);
        QCOMPARE(report.first().tableName, u"todos"_s);
        QVERIFY(!report.first().isNew);
        QVERIFY(store.verify());
    }

    void unchangedSchemaDoesNotRebuild()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path(), todoSchema())));
            seed(store, 10);
        }
        Store store;
        bool rebuilt = false;
        StoreOptions o = options(dir.path(), todoSchema(true)); // other materializers, same tables
        o.onBootStatus = [&](const BootStatus &s) { rebuilt |= s.stage == BootStatus::Rematerializing; };
        QVERIFY(store.open(o));
        QVERIFY(!rebuilt);
        QVERIFY(store.migrationReport().isEmpty());
    }

    void migrationHooksRun()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path(), todoSchema())));
            seed(store, 4);
        }
        Store store;
        QStringList order;
        StoreOptions o = options(dir.path(), widerTodoSchema());
        o.migrations.init = [&](MigrationContext &) { order.append(u"init"_s); return true; };
        o.migrations.pre = [&](MigrationContext &ctx) {
            order.append(u"pre"_s);
            // The tables exist and are empty before the replay.
            return ctx.query(Query::from(u"todos"_s).count()).scalar().toInt() == 0;
        };
        qsizetype reportSize = -1;
        o.migrations.post = [&](MigrationContext &ctx) {
            order.append(u"post"_s);
            reportSize = ctx.report().size();
            return ctx.exec(Query::sql(u"UPDATE todos SET priority = 1 WHERE id = 't0'"_s));
        };
        QVERIFY2(store.open(o), qPrintable(store.errorString()));
        QCOMPARE(order, (QStringList{u"init"_s, u"pre"_s, u"post"_s}));
        QCOMPARE(reportSize, 1);
        QCOMPARE(store.query(u"SELECT priority FROM todos WHERE id = 't0'"_s).scalar().toInt(), 1);
    }

    void failingHookLeavesStoreUntouched()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path(), todoSchema())));
            seed(store, 4);
        }
        {
            Store store;
            StoreOptions o = options(dir.path(), widerTodoSchema());
            o.migrations.post = [](MigrationContext &ctx) {
                ctx.setError(u"refusing on purpose"_s);
                return false;
            };
            QVERIFY(!store.open(o));
            QCOMPARE(store.errorString(), u"the post migration hook failed: refusing on purpose"_s);
        }
        // The old state is intact and still opens with the old schema.
        Store store;
        bool rebuilt = false;
        StoreOptions o = options(dir.path(), todoSchema());
        o.onBootStatus = [&](const BootStatus &s) { rebuilt |= s.stage == BootStatus::Rematerializing; };
        QVERIFY(store.open(o));
        QVERIFY(!rebuilt);
        QCOMPARE(store.query(Query::from(u"todos"_s).count()).scalar().toInt(), 4);
        QCOMPARE(store.eventCount(), 6);
    }

    void removedEventDefinitionIsDetected()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path(), todoSchema())));
            seed(store, 4); // has v1.TodoCompleted events
        }
        Schema without;
        const Schema base = todoSchema();
        without.addTable(*base.table(u"todos"));
        for (const ClientDocumentDef &doc : base.clientDocuments())
            without.addClientDocument(doc);
        for (const EventDef &e : base.events()) {
            if (!e.isDerived && e.name != u"v1.TodoCompleted"_s)
                without.addEvent(e);
        }
        Store store;
        QVERIFY(!store.open(options(dir.path(), without)));
        QCOMPARE(store.errorString(),
                 u"event definitions were removed from the schema while the eventlog still holds their "
                  "events: \"v1.TodoCompleted\" (2 events). Keep the definitions (mark them deprecated instead)"_s);
    }

    void unknownEventPolicies_data()
    {
        QTest::addColumn<int>("policy");
        QTest::addColumn<bool>("importSucceeds");
        QTest::newRow("warn") << int(UnknownEventPolicy::Warn) << true;
        QTest::newRow("ignore") << int(UnknownEventPolicy::Ignore) << true;
        QTest::newRow("fail") << int(UnknownEventPolicy::Fail) << false;
        QTest::newRow("callback") << int(UnknownEventPolicy::Callback) << true;
    }
    void unknownEventPolicies()
    {
        QFETCH(int, policy);
        QFETCH(bool, importSucceeds);
        // Events from a newer app version: v2.TodoRenamed is unknown here.
        QList<EventRecord> events;
        auto record = [&](qint64 n, const QString &name, const QJsonObject &args) {
            EventRecord r;
            r.seqNum = {n, 0, 0};
            r.parentSeqNum = {n - 1, 0, 0};
            r.name = name;
            r.args = args.toVariantMap();
            r.clientId = u"newer"_s;
            r.sessionId = u"s"_s;
            events.append(r);
        };
        record(1, u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}});
        record(2, u"v2.TodoRenamed"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"y"_s}});
        record(3, u"v1.TodoCompleted"_s, {{u"id"_s, u"a"_s}});

        Schema schema = todoSchema();
        QList<QString> seen;
        if (policy == int(UnknownEventPolicy::Callback))
            schema.setUnknownEventCallback([&](const UnknownEvent &u) { seen.append(u.event.name + u'/' + u.reason); });
        else
            schema.setUnknownEventPolicy(UnknownEventPolicy(policy));
        QTemporaryDir dir;
        Store store;
        QVERIFY(store.open(options(dir.path(), schema)));
        if (policy == int(UnknownEventPolicy::Warn))
            QTest::ignoreMessage(QtWarningMsg, "event \"v2.TodoRenamed\" (e2) is not defined in the schema; it stays in the eventlog and is not materialized");
        QCOMPARE(store.importEvents(events), importSucceeds);
        if (!importSucceeds) {
            QCOMPARE(store.errorString(), u"event \"v2.TodoRenamed\" (e2) is not defined in the schema (unknown event policy: fail)"_s);
            QCOMPARE(store.eventCount(), 0);
            QCOMPARE(store.query(Query::from(u"todos"_s).count()).scalar().toInt(), 0);
            return;
        }
        // Kept in the log, not materialized; the events around it are.
        QCOMPARE(store.eventCount(), 3);
        QCOMPARE(store.events().at(1).name, u"v2.TodoRenamed"_s);
        QCOMPARE(store.events().at(1).schemaHash, -1);
        QCOMPARE(store.query(u"SELECT text, completed FROM todos"_s).rowMap(0),
                 (QVariantMap{{u"text"_s, u"x"_s}, {u"completed"_s, true}}));
        if (policy == int(UnknownEventPolicy::Callback))
            QCOMPARE(seen, QList<QString>{u"v2.TodoRenamed/event-definition-missing"_s});
        QCOMPARE(store.head(), (SequenceNumber{3, 0, 0}));
        QVERIFY(store.commit(u"v1.TodoUncompleted"_s, {{u"id"_s, u"a"_s}}));
        QCOMPARE(store.head(), (SequenceNumber{4, 0, 0}));
        QVERIFY(store.verify());
    }

    void nondeterministicMaterializerIsReported()
    {
        Schema schema = todoSchema();
        schema.addEvent(EventDef::synced(u"v1.TodoStamped"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materializeSql({u"UPDATE todos SET text = hex(randomblob(8)) WHERE id = $id"_s}));
        int counter = 0;
        schema.addEvent(EventDef::synced(u"v1.TodoCounted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materialize([&counter](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::update(u"todos"_s, {{u"text"_s, QString::number(++counter)}})
                                                    .where(u"id"_s, e.arg(u"id"_s))};
                                }));
        Store store;
        StoreOptions o;
        o.storeId = u"det"_s;
        o.schema = schema;
        o.inMemory = true;
        o.checkDeterminism = true;
        QVERIFY(store.open(o));
        QVERIFY2(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}), qPrintable(store.errorString()));
        QVERIFY(!store.commit(u"v1.TodoStamped"_s, {{u"id"_s, u"a"_s}}));
        QCOMPARE(store.errorString(), u"materializer of event \"v1.TodoStamped\" (e2) is not deterministic: two runs changed the state differently"_s);
        QVERIFY(!store.commit(u"v1.TodoCounted"_s, {{u"id"_s, u"a"_s}}));
        QCOMPARE(store.errorString(), u"materializer of event \"v1.TodoCounted\" (e2) is not deterministic: two runs emitted different writes"_s);
        QCOMPARE(store.eventCount(), 1);
        QCOMPARE(store.query(u"SELECT text FROM todos"_s).scalar().toString(), u"x"_s);
        QVERIFY(store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"a"_s}}));
    }

    void failingMaterializerRejectsCommit()
    {
        Schema schema = todoSchema();
        schema.addEvent(EventDef::synced(u"v1.Broken"_s).materialize([](const EventRecord &, MaterializerContext &) -> Writes {
            throw std::runtime_error("boom");
        }));
        schema.addEvent(EventDef::synced(u"v1.BadSql"_s).materialize([](const EventRecord &, MaterializerContext &) -> Writes {
            return {Query::sql(u"UPDATE nowhere SET x = 1"_s)};
        }));
        Store store;
        StoreOptions o;
        o.storeId = u"broken"_s;
        o.schema = schema;
        o.inMemory = true;
        QVERIFY(store.open(o));
        QVERIFY(!store.commit(QList<Event>{{u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}},
                                           {u"v1.Broken"_s, {}}}));
        QCOMPARE(store.errorString(), u"materializer of event \"v1.Broken\" (e2) threw: boom"_s);
        QVERIFY(!store.commit(u"v1.BadSql"_s, {}));
        QCOMPARE(store.errorString(), u"materializer of event \"v1.BadSql\" (e1): no such table: nowhere"_s);
        QCOMPARE(store.eventCount(), 0);
        QCOMPARE(store.query(Query::from(u"todos"_s).count()).scalar().toInt(), 0);
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
    }

    void sqlMaterializerCheckedAtOpen()
    {
        Schema schema = todoSchema();
        schema.addEvent(EventDef::synced(u"v1.Typo"_s).arg(u"id"_s, ArgType::String)
                                .materializeSql({u"UPDATE todos SET completed = 1 WHERE id = $idd"_s}));
        Store store;
        StoreOptions o;
        o.storeId = u"typo"_s;
        o.schema = schema;
        o.inMemory = true;
        QVERIFY(!store.open(o));
        QCOMPARE(store.errorString(), u"event \"v1.Typo\", materializer statement 1: parameter $idd is not an argument of the event (arguments: id)"_s);
    }

    // Reopening with the schema the store recorded skips compiling its SQL materializers again;
    // a schema whose materializer changed is checked again, before anything is written.
    void sqlMaterializerCheckedAtReopenWhenChanged()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto withMaterializer = [](const QString &sql) {
            Schema schema = todoSchema();
            schema.addEvent(EventDef::synced(u"v1.Mark"_s).arg(u"id"_s, ArgType::String).materializeSql({sql}));
            return schema;
        };
        StoreOptions o;
        o.storeId = u"marks"_s;
        o.directory = dir.path();
        o.schema = withMaterializer(u"UPDATE todos SET completed = 1 WHERE id = $id"_s);
        {
            Store store;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        }
        {
            Store store;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QVERIFY(store.commit(u"v1.Mark"_s, {{u"id"_s, u"a"_s}}));
            QCOMPARE(store.query(u"SELECT completed FROM todos WHERE id = 'a'"_s).scalar().toInt(), 1);
        }
        o.schema = withMaterializer(u"UPDATE todos SET completed = 1 WHERE id = $idd"_s);
        {
            Store store;
            QVERIFY(!store.open(o));
            QCOMPARE(store.errorString(), u"event \"v1.Mark\", materializer statement 1: parameter $idd is not an argument of the event (arguments: id)"_s);
        }
        o.schema = withMaterializer(u"UPDATE todos SET completed = 0 WHERE id = $id"_s);
        Store store;
        QVERIFY2(store.open(o), qPrintable(store.errorString()));
        QCOMPARE(store.eventCount(), 2);
        QVERIFY(store.commit(u"v1.Mark"_s, {{u"id"_s, u"a"_s}}));
        QCOMPARE(store.query(u"SELECT completed FROM todos WHERE id = 'a'"_s).scalar().toInt(), 0);
    }

    void deprecationWarnsOnce()
    {
        Schema schema = todoSchema();
        schema.addEvent(EventDef::synced(u"v0.TodoAdded"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(ArgDef{u"note"_s, ArgType::String}.optional().deprecate(u"unused"_s))
                                .deprecate(u"use v1.TodoCreated"_s)
                                .materializeSql({u"INSERT INTO todos (id) VALUES ($id)"_s}));
        Store store;
        StoreOptions o;
        o.storeId = u"old"_s;
        o.schema = schema;
        o.inMemory = true;
        QVERIFY(store.open(o));
        QTest::ignoreMessage(QtWarningMsg, "event \"v0.TodoAdded\" is deprecated: use v1.TodoCreated");
        QVERIFY(store.commit(u"v0.TodoAdded"_s, {{u"id"_s, u"a"_s}}));
        QTest::ignoreMessage(QtWarningMsg, "argument \"note\" of event \"v0.TodoAdded\" is deprecated: unused");
        QVERIFY(store.commit(u"v0.TodoAdded"_s, {{u"id"_s, u"b"_s}, {u"note"_s, u"n"_s}}));
        QTest::failOnWarning(QRegularExpression(u"deprecated"_s));
        QVERIFY(store.commit(u"v0.TodoAdded"_s, {{u"id"_s, u"c"_s}, {u"note"_s, u"n"_s}}));
    }
};

QTEST_GUILESS_MAIN(tst_Evolution)
#include "tst_evolution.moc"
