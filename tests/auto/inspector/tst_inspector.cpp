// SPDX-License-Identifier: BSD-3-Clause
// The inspector's C++ types: every model under QAbstractItemModelTester; filters, sorting, the
// SQL playground's refusals, the schema, live query introspection, export/import, time travel
// against a replay, and end to end on a store another process writes while the inspector has it
// open read-only.
#include "todoschema.h"

#include <inspectedstore.h>
#include <inspectoreventlog.h>
#include <livequeriesmodel.h>
#include <resulttablemodel.h>
#include <schemamodel.h>
#include <sqlplayground.h>
#include <statetablemodel.h>
#include <timetravel.h>

#include <store.h>

#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace Qt::StringLiterals;
using namespace LiveStore;
using LiveStoreTest::todoMvcSchema;

namespace {

const QStringList texts{u"Buy milk"_s, u"Write report"_s, u"Call mum"_s, u"Book flights"_s, u"Fix bike"_s};

// Creates (or appends to) the store in `dir` with `count` events: todos t1.., every fourth one
// completed, every seventh deleted; clients "alice" (even ids) and "bob" (odd).
void writeStore(const QString &dir, int count, int first = 1)
{
    StoreOptions options;
    options.storeId = u"todos"_s;
    options.schema = todoMvcSchema();
    options.directory = dir;
    int written = 0;
    for (int i = first; written < count; ++i) {
        options.clientId = i % 2 ? u"bob"_s : u"alice"_s;
        Store store;
        QVERIFY2(store.open(options), qPrintable(store.errorString()));
        const QString id = u"t%1"_s.arg(i);
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, texts.at(i % texts.size())}}));
        ++written;
        if (written < count && i % 4 == 0) {
            QVERIFY(store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, id}}));
            ++written;
        }
        if (written < count && i % 7 == 0) {
            QVERIFY(store.commit(u"v1.TodoDeleted"_s, {{u"id"_s, id}, {u"deletedAt"_s, u"2026-01-02T03:04:05.000Z"_s}}));
            ++written;
        }
    }
}

// The digest of a replay of the first `n` events of `source` into an in-memory store.
QByteArray replayDigest(Store &source, int n)
{
    EventFilter filter;
    filter.limit = n;
    const QList<EventRecord> events = n > 0 ? source.events(filter) : QList<EventRecord>();
    StoreOptions options;
    options.storeId = u"replay"_s;
    options.schema = todoMvcSchema();
    options.inMemory = true;
    Store replay;
    if (!replay.open(options) || (n > 0 && !replay.importEvents(events)))
        return {};
    return replay.stateDigest();
}

std::unique_ptr<InspectedStore> inspect(const QString &dir, bool writable = false)
{
    auto inspected = std::make_unique<InspectedStore>();
    inspected->classBegin();
    inspected->setDirectory(dir);
    inspected->setWritable(writable);
    inspected->componentComplete();
    return inspected;
}

} // namespace

class tst_Inspector : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(u"todos"_s);
        writeStore(m_store, 30);
    }

    void opensReadOnlyWithTheRecordedSchema()
    {
        auto inspected = inspect(m_store);
        QCOMPARE(inspected->status(), InspectedStore::Ready);
        QVERIFY(inspected->isReadOnly());
        QCOMPARE(inspected->storeId(), u"todos"_s);
        QCOMPARE(inspected->head(), u"e30"_s);
        QCOMPARE(inspected->tables(), QStringList({u"todos"_s, u"uiState"_s}));
        QCOMPARE(inspected->pendingCount(), 30); // never synced: all pending
        QVERIFY(!inspected->store()->commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"t1"_s}}));
    }

    void errorsForMissingStores()
    {
        auto none = inspect(m_dir.filePath(u"nothing"_s));
        QCOMPARE(none->status(), InspectedStore::Error);
        QVERIFY2(none->errorString().contains(u"no store.db"_s), qPrintable(none->errorString()));
    }

    void eventLogFilters()
    {
        auto inspected = inspect(m_store);
        InspectorEventLog log;
        QAbstractItemModelTester tester(&log);
        log.setSource(inspected.get());
        QCOMPARE(log.count(), 30);
        const QModelIndex first = log.index(0);
        QCOMPARE(first.data(EventLogModel::SeqNumRole).toString(), u"e1"_s);
        QCOMPARE(first.data(InspectorEventLog::PendingRole).toBool(), true);
        QVERIFY(first.data(InspectorEventLog::PrettyArgsRole).toString().contains(u"\n"_s));
        QVERIFY(log.nameChoices().contains(u"v1.TodoCompleted"_s));

        log.setName(u"v1.TodoCompleted"_s);
        QVERIFY(log.count() > 0);
        for (int row = 0; row < log.count(); ++row)
            QCOMPARE(log.index(row).data(EventLogModel::NameRole).toString(), u"v1.TodoCompleted"_s);
        log.setName({});
        log.setText(u"report"_s);
        QVERIFY(log.count() > 0);
        for (int row = 0; row < log.count(); ++row)
            QVERIFY(log.index(row).data(EventLogModel::ArgsRole).toString().contains(u"report"_s));
        log.setText({});
        log.setFromSeq(5);
        log.setToSeq(9);
        QCOMPARE(log.count(), 5);
        QCOMPARE(log.index(0).data(EventLogModel::SeqNumRole).toString(), u"e5"_s);
        QCOMPARE(log.index(4).data(EventLogModel::SeqNumRole).toString(), u"e9"_s);
        log.setFromSeq(0);
        log.setToSeq(0);
        log.setClientId(u"alice"_s);
        QVERIFY(log.count() > 0 && log.count() < 30);
        for (int row = 0; row < log.count(); ++row)
            QCOMPARE(log.index(row).data(EventLogModel::ClientIdRole).toString(), u"alice"_s);
    }

    void stateTableSortAndFilter()
    {
        auto inspected = inspect(m_store);
        StateTableModel table;
        QAbstractItemModelTester tester(&table);
        table.setSource(inspected.get());
        table.setTableName(u"todos"_s);
        const int all = int(inspected->store()->query(u"SELECT count(*) FROM todos"_s).scalar().toInt());
        QCOMPARE(table.totalCount(), all);
        QCOMPARE(table.rowCount(), all); // fewer than a window
        QCOMPARE(table.tableColumns(), QStringList({u"id"_s, u"text"_s, u"completed"_s, u"deletedAt"_s}));
        QCOMPARE(table.headerData(1, Qt::Horizontal).toString(), u"text"_s);

        table.sortBy(1); // text, ascending
        QCOMPARE(table.sortColumn(), u"text"_s);
        QCOMPARE(table.headerData(1, Qt::Horizontal).toString(), u"text ▲"_s);
        QCOMPARE(table.index(0, 1).data().toString(), u"Book flights"_s);
        table.sortBy(1); // again: descending
        QVERIFY(table.isDescending());
        QCOMPARE(table.index(0, 1).data().toString(), u"Write report"_s);

        table.setFilterColumn(u"text"_s);
        table.setFilterText(u"mum"_s); // a bound value: LIKE '%' || ? || '%'
        const int mums = int(inspected->store()->query(u"SELECT count(*) FROM todos WHERE text LIKE '%mum%'"_s).scalar().toInt());
        QVERIFY(mums > 0);
        QCOMPARE(table.totalCount(), mums);
        QCOMPARE(table.rowCount(), mums);
        table.setFilterText(u"'; DROP TABLE todos; --"_s); // text, not SQL
        QCOMPARE(table.totalCount(), 0);
        QCOMPARE(table.errorString(), QString());
        // NULL shown as such.
        table.setFilterText({});
        table.setSortColumn(u"id"_s);
        QCOMPARE(table.index(0, 3).data().toString(), u"NULL"_s);
    }

    void sqlPlayground()
    {
        auto inspected = inspect(m_store);
        SqlPlayground playground;
        QAbstractItemModelTester tester(playground.model());
        playground.setSource(inspected.get());
        playground.setSql(u"SELECT id, text FROM todos WHERE completed = 1 ORDER BY id"_s);
        playground.run();
        QCOMPARE(playground.errorString(), QString());
        QVERIFY(playground.rowCount() > 0);
        QCOMPARE(playground.model()->rowCount(), playground.rowCount());
        QCOMPARE(playground.columns(), QStringList({u"id"_s, u"text"_s}));
        QCOMPARE(playground.runCount(), 1);
        QCOMPARE(playground.tablesText(), u"todos"_s);
        QVERIFY(playground.elapsedMs() > 0);
        QVERIFY2(playground.planText().contains(u"todos"_s), qPrintable(playground.planText()));

        // Only reads run, whatever the text.
        for (const QString &sql : {u"DELETE FROM todos"_s, u"UPDATE todos SET text = 'x'"_s,
                                   u"SELECT 1; DELETE FROM todos"_s, u"BEGIN"_s, u"PRAGMA user_version = 3"_s,
                                   u"ATTACH DATABASE ':memory:' AS other"_s}) {
            playground.setSql(sql);
            playground.run();
            QVERIFY2(!playground.errorString().isEmpty(), qPrintable(sql));
            QCOMPARE(playground.rowCount(), 0);
        }
        playground.setSql(u"SELEC * FROM todos"_s);
        playground.run();
        QVERIFY2(playground.errorString().contains(u"syntax error"_s), qPrintable(playground.errorString()));
        QCOMPARE(inspected->store()->query(u"SELECT count(*) FROM todos"_s).scalar().toInt() > 0, true);
    }

    void playgroundReRunsOnCommits()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"todos"_s);
        writeStore(path, 3);
        auto inspected = inspect(path, true);
        QCOMPARE(inspected->status(), InspectedStore::Ready);
        SqlPlayground playground;
        playground.setSource(inspected.get());
        playground.setSql(u"SELECT count(*) AS n FROM todos"_s);
        playground.run();
        QCOMPARE(playground.model()->index(0, 0).data(Qt::EditRole).toInt(), 3);
        QVERIFY(inspected->store()->commit(u"v1.TodoCreated"_s, {{u"id"_s, u"x"_s}, {u"text"_s, u"new"_s}}));
        QCOMPARE(playground.runCount(), 2);
        QCOMPARE(playground.model()->index(0, 0).data(Qt::EditRole).toInt(), 4);
        // A commit to a table it does not read leaves it alone.
        QVERIFY(inspected->store()->setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        QCOMPARE(playground.runCount(), 2);
    }

    void schema()
    {
        auto inspected = inspect(m_store);
        SchemaModel model;
        QAbstractItemModelTester tester(&model);
        model.setSource(inspected.get());
        QCOMPARE(model.tableCount(), 2);
        QCOMPARE(model.documentCount(), 1);
        QCOMPARE(model.stateHash(), QString::number(todoMvcSchema().stateHash()));
        bool sawEvent = false, sawArg = false;
        for (int row = 0; row < model.count(); ++row) {
            const QVariantMap r = model.get(row);
            if (r.value(u"kind"_s) == u"event"_s && r.value(u"name"_s) == u"v1.TodoDeleted"_s) {
                sawEvent = true;
                QCOMPARE(r.value(u"hash"_s).toString(),
                         QString::number(todoMvcSchema().event(u"v1.TodoDeleted")->hash()));
                const QVariantMap arg = model.get(row + 2);
                QCOMPARE(arg.value(u"name"_s).toString(), u"deletedAt"_s);
                QVERIFY(arg.value(u"type"_s).toString().contains(u"date-time"_s));
                sawArg = true;
            }
        }
        QVERIFY(sawEvent && sawArg);
    }

    void liveQueries()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"todos"_s);
        writeStore(path, 3);
        auto inspected = inspect(path, true);
        LiveQueriesModel model;
        QAbstractItemModelTester tester(&model);
        model.setSource(inspected.get());
        QCOMPARE(model.count(), 0);
        StateTableModel table;
        table.setSource(inspected.get());
        table.setTableName(u"todos"_s);
        model.refresh();
        QCOMPARE(model.count(), 2); // the count, then the rows' window
        QVERIFY(model.get(0).value(u"sql"_s).toString().contains(u"COUNT(*)"_s));
        QVariantMap rows = model.get(1);
        QCOMPARE(rows.value(u"tables"_s).toString(), u"todos"_s);
        QVERIFY(rows.value(u"sql"_s).toString().contains(u"FROM \"todos\""_s));
        QCOMPARE(rows.value(u"rowCount"_s).toInt(), 3);
        const int updates = rows.value(u"updateCount"_s).toInt();
        QVERIFY(inspected->store()->commit(u"v1.TodoCreated"_s, {{u"id"_s, u"y"_s}, {u"text"_s, u"new"_s}}));
        QTRY_COMPARE(model.get(1).value(u"rowCount"_s).toInt(), 4); // refreshed after the change
        QCOMPARE(model.get(1).value(u"updateCount"_s).toInt(), updates + 1);
        QVERIFY(model.get(1).value(u"medianMs"_s).toDouble() > 0);
        table.setTableName(u"uiState"_s); // the old queries go, new ones come
        model.refresh();
        QCOMPARE(model.count(), 2);
        QCOMPARE(model.get(0).value(u"tables"_s).toString(), u"uiState"_s);
    }

    void exportImport()
    {
        auto inspected = inspect(m_store);
        const QString file = m_dir.filePath(u"export.jsonl"_s);
        QVERIFY2(inspected->exportEventlog(QUrl::fromLocalFile(file)), qPrintable(inspected->transferMessage()));
        QVERIFY(inspected->isTransferring()); // in slices, on later turns of the event loop
        QTRY_VERIFY(!inspected->isTransferring());
        QCOMPARE(inspected->transferredCount(), 30);
        QCOMPARE(inspected->transferMessage(), u"Exported 30 events to %1."_s.arg(file));
        QVERIFY(!inspected->transferFailed());
        QVERIFY(inspected->errorString().isEmpty()); // about the store, not the export
        {
            QFile lines(file);
            QVERIFY(lines.open(QIODevice::ReadOnly));
            QCOMPARE(lines.readAll().count('\n'), 30);
        }
        // Into an empty store: refused read-only, done with --write.
        const QString target = m_dir.filePath(u"imported"_s);
        {
            StoreOptions options;
            options.storeId = u"imported"_s;
            options.schema = todoMvcSchema();
            options.directory = target;
            Store empty;
            QVERIFY(empty.open(options));
        }
        auto readOnly = inspect(target);
        QVERIFY(!readOnly->canImport());
        QVERIFY(readOnly->importRefusal().contains(u"--write"_s));
        QVERIFY(!readOnly->importEventlog(QUrl::fromLocalFile(file)));
        QVERIFY(readOnly->transferFailed());
        QVERIFY(readOnly->transferMessage().contains(u"read-only"_s));
        readOnly.reset();
        auto writable = inspect(target, true);
        QVERIFY(writable->canImport());
        QVERIFY2(writable->importEventlog(QUrl::fromLocalFile(file)), qPrintable(writable->transferMessage()));
        // A store on disk: on a worker thread, this one turning meanwhile.
        QVERIFY(writable->isTransferring());
        QCOMPARE(writable->transferMessage(), u"Importing…"_s);
        QVERIFY(!writable->importEventlog(QUrl::fromLocalFile(file)));
        QTRY_VERIFY(!writable->isTransferring());
        QVERIFY(!writable->transferFailed());
        QCOMPARE(writable->transferMessage(), u"Imported 30 events from %1."_s.arg(file));
        QCOMPARE(writable->transferredCount(), 30);
        QCOMPARE(writable->head(), u"e30"_s);
        QCOMPARE(writable->store()->stateDigest(), inspected->store()->stateDigest());
    }

    void timeTravelMatchesAReplay()
    {
        auto inspected = inspect(m_store);
        TimeTravel travel;
        QAbstractItemModelTester tableTester(travel.tableModel());
        QAbstractItemModelTester changesTester(travel.changesModel());
        travel.setSource(inspected.get());
        QSignalSpy replayed(&travel, &TimeTravel::replayed);
        travel.setActive(true);
        QVERIFY(replayed.wait(10'000));
        QCOMPARE(travel.eventCount(), 30);
        for (int n : {1, 8, 17, 30, 0}) {
            replayed.clear();
            travel.setPosition(n);
            QVERIFY(replayed.wait(10'000));
            QCOMPARE(travel.errorString(), QString());
            QCOMPARE(travel.shownPosition(), n);
            QCOMPARE(travel.digest(), QString::fromLatin1(replayDigest(*inspected->store(), n).toHex()));
            if (n == 0) {
                QCOMPARE(travel.changesModel()->count(), 0);
                continue;
            }
            // The rows event n changed, as its kind says.
            const EventRecord e = inspected->store()->events({{}, SequenceNumber{n - 1, 0, 0}, 1}).value(0);
            QCOMPARE(travel.eventSeqNum(), e.seqNum.toString());
            QCOMPARE(travel.changesModel()->count(), 1);
            const QString change = travel.changesModel()->value(0, 1).toString();
            QCOMPARE(change, e.name == u"v1.TodoCreated"_s ? u"insert"_s : u"update"_s);
            QCOMPARE(travel.changesModel()->value(0, 2).toString(), e.args.value(u"id"_s).toString());
        }
        // The state table as of the position.
        replayed.clear();
        travel.setPosition(8);
        QVERIFY(replayed.wait(10'000));
        travel.setCurrentTable(u"todos"_s);
        QCOMPARE(travel.tableModel()->count(), 7); // t1..t7 (t4 created and completed: 2 events)
    }

    void timeTravelCancelsStalePositions()
    {
        auto inspected = inspect(m_store);
        TimeTravel travel;
        travel.setSource(inspected.get());
        QSignalSpy replayed(&travel, &TimeTravel::replayed);
        travel.setActive(true);
        QVERIFY(replayed.wait(10'000));
        replayed.clear();
        for (int n = 1; n <= 20; ++n)
            travel.setPosition(n); // a dragged slider
        QVERIFY(replayed.wait(10'000));
        QTest::qWait(300);
        QCOMPARE(replayed.size(), 1); // only where it rested
        QCOMPARE(travel.shownPosition(), 20);
    }

    // End to end: another process commits while the inspector's models have the store open
    // read-only; they follow its commits (the Store watches PRAGMA data_version).
    void anotherProcessWrites()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"todos"_s);
        writeStore(path, 5);
        auto inspected = inspect(path);
        QCOMPARE(inspected->status(), InspectedStore::Ready);
        InspectorEventLog log;
        QAbstractItemModelTester logTester(&log);
        log.setSource(inspected.get());
        StateTableModel table;
        QAbstractItemModelTester tableTester(&table);
        table.setSource(inspected.get());
        table.setTableName(u"todos"_s);
        QCOMPARE(log.count(), 5);
        QCOMPARE(table.totalCount(), 4); // t4 was created and completed

        QProcess writer;
        writer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        writer.start(QStringLiteral(LIVESTORE_INSPECTOR_WRITER), {path, u"12"_s, u"20"_s});
        QVERIFY(writer.waitForStarted());
        QVERIFY(writer.waitForReadyRead(10'000));
        QVERIFY(writer.waitForFinished(20'000));
        QCOMPARE(writer.exitCode(), 0);
        // 12 todos, every third completed in the same commit: 16 more events.
        QTRY_COMPARE_WITH_TIMEOUT(log.count(), 21, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(table.totalCount(), 16, 5000);
        QCOMPARE(table.rowCount(), 16);
        QCOMPARE(inspected->head(), u"e21"_s);
        QCOMPARE(log.index(20).data(EventLogModel::ClientIdRole).toString(), u"writer"_s);
        // A filter on the writer's events.
        log.setClientId(u"writer"_s);
        QCOMPARE(log.count(), 16);
        // And time travel to the end of what it wrote equals a replay.
        TimeTravel travel;
        travel.setSource(inspected.get());
        QSignalSpy replayed(&travel, &TimeTravel::replayed);
        travel.setPosition(21);
        travel.setActive(true);
        QVERIFY(replayed.wait(10'000));
        QCOMPARE(travel.eventCount(), 21);
        QCOMPARE(travel.digest(), QString::fromLatin1(replayDigest(*inspected->store(), 21).toHex()));
        QCOMPARE(travel.digest(), QString::fromLatin1(inspected->store()->stateDigest().toHex()));
    }

private:
    QTemporaryDir m_dir;
    QString m_store;
};

QTEST_MAIN(tst_Inspector)
#include "tst_inspector.moc"
