// SPDX-License-Identifier: BSD-3-Clause
// Store::importFileAsync(): an export imported on a worker thread while the store's thread keeps
// running. What the store's thread sees meanwhile (the old state, writes refused, progress), what
// it sees after (the same events and state as importJsonLines(), live queries and a model updated
// in one step, committed() in pages), and the ways it stops (a bad line, damage, cancelImport(),
// close(), destroying the store) leaving the store as it was.
#include "todoschema.h"

#include <livequerymodel.h>
#include <store.h>

#include <QtCore/qbuffer.h>
#include <QtCore/qfile.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

// An export of `count` TodoCreated events, as `livestore export` writes it; line `bad` (if any)
// replaced by `badLine`.
QByteArray todoLines(int count, int bad = 0, const QByteArray &badLine = {})
{
    QByteArray out;
    for (int i = 1; i <= count; ++i) {
        if (i == bad) {
            out += badLine + '\n';
            continue;
        }
        const QByteArray n = QByteArray::number(i);
        out += "{\"args\":{\"id\":\"t" + n + "\",\"text\":\"todo " + n
                + "\"},\"clientId\":\"c1\",\"name\":\"v1.TodoCreated\",\"parentSeqNum\":"
                + QByteArray::number(i - 1) + ",\"seqNum\":" + n + ",\"sessionId\":\"s1\"}\n";
    }
    return out;
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        return {};
    return path;
}

StoreOptions fileOptions(const QString &directory)
{
    StoreOptions o;
    o.storeId = u"asyncimport"_s;
    o.schema = todoSchema();
    o.directory = directory;
    return o;
}

QStringList numbers(const QList<EventRecord> &events)
{
    QStringList out;
    for (const EventRecord &e : events)
        out.append(e.seqNum.toString());
    return out;
}

} // namespace

class tst_AsyncImport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The whole path: progress while the worker runs, the old state readable and writes refused
    // meanwhile, then the events, state, live queries and model of a synchronous import.
    void importsBesideTheStoresThread()
    {
        constexpr int Count = 30'000;
        QTemporaryDir files, asyncDir, syncDir;
        const QByteArray lines = todoLines(Count);
        const QString path = writeFile(files, u"todos.jsonl"_s, lines);
        QVERIFY(!path.isEmpty());

        Store store;
        StoreOptions options = fileOptions(asyncDir.path());
        // Looking for other connections' commits at every turn: the worker's commit must still
        // be taken in as the import's, not announced as another process's.
        options.watchInterval = 1;
        QVERIFY(store.open(options));
        const LiveQuery count = store.liveQuery(Query::sql(u"SELECT count(*) AS n FROM todos"_s));
        LiveQueryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setStore(&store);
        model.setQuery(Query::sql(u"SELECT id, text FROM todos ORDER BY id"_s));
        QCOMPARE(model.rowCount(), 0);
        QSignalSpy progress(&store, &Store::importProgress);
        QSignalSpy finished(&store, &Store::importFinished);
        QSignalSpy logChanged(&store, &Store::eventlogChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QStringList delivered;
        int pages = 0;
        // eventsCommitted(): once, after the last committed() page, before importFinished().
        QStringList order;
        connect(&store, &Store::eventsCommitted, this, [&](qint64 n) {
            order.append(u"eventsCommitted %1 after %2 pages"_s.arg(n).arg(pages));
        });
        connect(&store, &Store::importFinished, this, [&] { order.append(u"importFinished"_s); });
        QString commitInSlot;
        connect(&store, &Store::committed, this, [&](const QList<EventRecord> &events) {
            ++pages;
            delivered += numbers(events);
            // Until importFinished(), writes are still refused: pages stay in eventlog order.
            if (pages == 2 && !store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"t1"_s}}))
                commitInSlot = store.errorString();
        });
        // The store's thread keeps turning while the worker imports: before the commit is taken
        // in (the first committed() page), not only between the pages after it.
        int ticksWhileImporting = 0;
        QTimer ticker;
        ticker.setInterval(1);
        connect(&ticker, &QTimer::timeout, this, [&] {
            if (store.isImporting() && pages == 0 && finished.isEmpty())
                ++ticksWhileImporting;
        });
        ticker.start();

        ImportOptions importOptions;
        importOptions.progressInterval = 5'000;
        QVERIFY2(store.importFileAsync(path, importOptions), qPrintable(store.errorString()));
        QVERIFY(store.isImporting());
        // Meanwhile: the state as it was, and writes refused with the reason.
        QCOMPARE(store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 0);
        QVERIFY(!store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"x"_s}, {u"text"_s, u"y"_s}}));
        QCOMPARE(store.errorString(), u"an import is running (importFileAsync()): writes wait for importFinished()"_s);
        QVERIFY(!store.importFileAsync(path));
        QVERIFY(store.errorString().startsWith(u"an import is running"_s));
        QVERIFY(store.refresh()); // waits for the import: its commit is not another process's

        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.at(0).at(0).toBool(), true);
        QVERIFY(!store.isImporting());
        QVERIFY2(ticksWhileImporting > 1, qPrintable(QString::number(ticksWhileImporting)));

        // Progress: monotone, every 5,000 events and at the end, the bytes of a file.
        QVERIFY(progress.size() >= Count / 5'000);
        qint64 lastEvents = 0;
        for (const QList<QVariant> &args : std::as_const(progress)) {
            const auto status = args.at(0).value<ImportStatus>();
            QVERIFY(status.events >= lastEvents);
            QCOMPARE(status.bytesTotal, lines.size());
            lastEvents = status.events;
        }
        QCOMPARE(lastEvents, Count);
        QCOMPARE(store.importStatus().events, Count);
        QCOMPARE(store.importStatus().bytesRead, lines.size());

        // committed(): every event once, in order, in pages of 1,000.
        QCOMPARE(pages, Count / 1'000);
        QCOMPARE(order, (QStringList{u"eventsCommitted %1 after %2 pages"_s.arg(Count).arg(Count / 1'000),
                                     u"importFinished"_s}));
        QCOMPARE(delivered.size(), Count);
        QCOMPARE(delivered.constFirst(), u"e1"_s);
        QCOMPARE(delivered.constLast(), u"e30000"_s);
        QCOMPARE(commitInSlot, u"an import is running (importFileAsync()): writes wait for importFinished()"_s);
        // The live query and the model in one step: one insert of every row.
        QCOMPARE(count.result().value(0, u"n"_s).toInt(), Count);
        QCOMPARE(model.rowCount(), Count);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(logChanged.size(), 0); // an import announces itself through committed()
        QCOMPARE(store.eventCount(), Count);
        QCOMPARE(store.head().toString(), u"e30000"_s);

        // The same store as a synchronous import makes.
        Store reference;
        QVERIFY(reference.open(fileOptions(syncDir.path())));
        QFile in(path);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QVERIFY2(reference.importJsonLines(&in), qPrintable(reference.errorString()));
        QCOMPARE(store.stateDigest(), reference.stateDigest());
        QCOMPARE(numbers(store.events()), numbers(reference.events()));
        QVERIFY2(store.verify(), qPrintable(store.errorString()));

        // Writes work again, and reach the model.
        QVERIFY2(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"zz"_s}, {u"text"_s, u"after"_s}}),
                 qPrintable(store.errorString()));
        QCOMPARE(model.rowCount(), Count + 1);
        QCOMPARE(store.head().toString(), u"e30001"_s);
    }

    // What cannot start is refused at once, with the reason, and nothing starts.
    void refusedAtOnce()
    {
        QTemporaryDir files, dir;
        const QString path = writeFile(files, u"todos.jsonl"_s, todoLines(10));
        Store store;
        QVERIFY(!store.importFileAsync(path));
        QCOMPARE(store.errorString(), u"the store is not open"_s);

        StoreOptions memory = fileOptions({});
        memory.inMemory = true;
        QVERIFY(store.open(memory));
        QVERIFY(!store.importFileAsync(path));
        QVERIFY2(store.errorString().startsWith(u"an in-memory store has no file"_s), qPrintable(store.errorString()));
        store.close();

        QVERIFY(store.open(fileOptions(dir.path())));
        QVERIFY(!store.importFileAsync(files.filePath(u"missing.jsonl"_s)));
        QCOMPARE(store.errorString(), u"cannot read %1: no such file"_s.arg(files.filePath(u"missing.jsonl"_s)));
        QVERIFY(!store.importFileAsync(files.path()));
        QCOMPARE(store.errorString(), u"cannot read %1: not a file"_s.arg(files.path()));
        ImportOptions withCallback;
        withCallback.onProgress = [](const ImportStatus &) { return true; };
        QVERIFY(!store.importFileAsync(path, withCallback));
        QVERIFY(store.errorString().contains(u"importProgress()"_s));
        QVERIFY(!store.isImporting());
        QCOMPARE(store.eventCount(), 0);
    }

    // A failure on the worker (a bad line, a store that holds events) ends in
    // importFinished(false) with the reason and where; the store is as it was.
    void failureLeavesTheStoreAsItWas()
    {
        QTemporaryDir files, dir;
        const QString bad = writeFile(files, u"events.jsonl"_s, todoLines(20'000, 15'001, "[1, 2]"));
        Store store;
        QVERIFY(store.open(fileOptions(dir.path())));
        const QByteArray digest = store.stateDigest();
        QSignalSpy committed(&store, &Store::committed);
        QSignalSpy finished(&store, &Store::importFinished);
        QVERIFY(store.importFileAsync(bad));
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QCOMPARE(store.errorString(), u"events.jsonl:15001: not a JSON object (each line holds one event)"_s);
        QCOMPARE(store.importStatus().line, 15'001);
        QCOMPARE(store.importStatus().events, 15'000);
        QVERIFY(store.importStatus().inputError);
        QCOMPARE(store.eventCount(), 0);
        QCOMPARE(store.stateDigest(), digest);
        QCOMPARE(committed.size(), 0);
        QVERIFY(!store.isImporting());

        // Into a store that holds events: refused by the worker's transaction.
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"b"_s}}));
        const QString good = writeFile(files, u"good.jsonl"_s, todoLines(100));
        QVERIFY(store.importFileAsync(good));
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.at(1).at(0).toBool(), false);
        QCOMPARE(store.errorString(), u"import needs an empty eventlog; this store holds 1 events"_s);
        QCOMPARE(store.eventCount(), 1);

        // An input without events changes nothing and succeeds.
        QTemporaryDir emptyDir;
        Store empty;
        QVERIFY(empty.open(fileOptions(emptyDir.path())));
        QSignalSpy emptyFinished(&empty, &Store::importFinished);
        QVERIFY(empty.importFileAsync(writeFile(files, u"blank.jsonl"_s, "\n\n")));
        QVERIFY(emptyFinished.wait(120'000));
        QCOMPARE(emptyFinished.at(0).at(0).toBool(), true);
        QCOMPARE(empty.eventCount(), 0);
    }

    // Damage the worker's connection finds is the store's too: its writes are refused after.
    void damageFoundByTheWorker()
    {
        QTemporaryDir files, dir;
        const QString path = writeFile(files, u"todos.jsonl"_s, todoLines(100));
        {
            Store store;
            QVERIFY(store.open(fileOptions(dir.path()))); // creates the tables
        } // closed: the WAL is checkpointed into store.db
        // The todos table's root page made unreadable (not a b-tree page any more). Opening
        // does not read it; the import's first insert does.
        const QString file = dir.filePath(u"store.db"_s);
        qint64 rootPage = 0, pageSize = 0;
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open_v2(QFile::encodeName(file).constData(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
            sqlite3_stmt *stmt = nullptr;
            QCOMPARE(sqlite3_prepare_v2(db, "SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
                                            "FROM sqlite_schema WHERE name = 'todos'", -1, &stmt, nullptr), SQLITE_OK);
            QCOMPARE(sqlite3_step(stmt), SQLITE_ROW);
            rootPage = sqlite3_column_int64(stmt, 0);
            pageSize = sqlite3_column_int64(stmt, 1);
            sqlite3_finalize(stmt);
            sqlite3_close(db);
        }
        QVERIFY(rootPage > 1 && pageSize > 0);
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.seek((rootPage - 1) * pageSize));
            QCOMPARE(f.write(QByteArray(16, '\xff')), 16);
        }
        Store store;
        QVERIFY2(store.open(fileOptions(dir.path())), qPrintable(store.errorString()));
        QSignalSpy finished(&store, &Store::importFinished);
        QVERIFY(store.importFileAsync(path));
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QVERIFY2(store.errorString().startsWith(file + u" is damaged"_s), qPrintable(store.errorString()));
        // Also a write that would not touch the damaged table: the client document's.
        QVERIFY(!store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"completed"_s}}));
        QVERIFY2(store.errorString().contains(u"is damaged"_s), qPrintable(store.errorString()));
        QCOMPARE(store.eventCount(), 0);
    }

    // cancelImport(), close() and destroying the store stop the worker: it rolls back.
    void stopping_data()
    {
        QTest::addColumn<QString>("how");
        QTest::newRow("cancelImport") << u"cancel"_s;
        QTest::newRow("close") << u"close"_s;
        QTest::newRow("destroy") << u"destroy"_s;
        QTest::newRow("open again") << u"reopen"_s;
    }
    void stopping()
    {
        QFETCH(QString, how);
        QTemporaryDir files, dir;
        // Long enough that the first progress report comes well before the commit.
        const QString path = writeFile(files, u"todos.jsonl"_s, todoLines(200'000));
        auto store = std::make_unique<Store>();
        QVERIFY(store->open(fileOptions(dir.path())));
        QSignalSpy finished(store.get(), &Store::importFinished);
        QSignalSpy progress(store.get(), &Store::importProgress);
        ImportOptions options;
        options.progressInterval = 1'000;
        QVERIFY(store->importFileAsync(path, options));
        QVERIFY(progress.wait(120'000));
        QVERIFY(store->isImporting());
        if (how == u"cancel") {
            store->cancelImport();
            QCOMPARE(store->errorString(), u"the import was cancelled"_s);
            QVERIFY(store->isOpen());
            QCOMPARE(store->eventCount(), 0);
            QVERIFY(store->commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"b"_s}}));
        } else if (how == u"close") {
            store->close();
            QVERIFY(!store->isOpen());
        } else if (how == u"reopen") {
            QVERIFY2(store->open(fileOptions(dir.path())), qPrintable(store->errorString()));
            QCOMPARE(store->eventCount(), 0);
        } else {
            store.reset();
        }
        QVERIFY(!store || !store->isImporting());
        if (store) {
            QCOMPARE(finished.size(), 1);
            QCOMPARE(finished.at(0).at(0).toBool(), false);
            // The worker's last call, still queued, changes nothing.
            const int reports = int(progress.size());
            QTest::qWait(50);
            QCOMPARE(finished.size(), 1);
            QCOMPARE(progress.size(), reports);
        }
        store.reset();
        // Nothing of the import stays in the files.
        Store reopened;
        QVERIFY(reopened.open(fileOptions(dir.path())));
        QCOMPARE(reopened.eventCount(), how == u"cancel" ? 1 : 0);
        QVERIFY2(reopened.verify(), qPrintable(reopened.errorString()));
    }
};

QTEST_GUILESS_MAIN(tst_AsyncImport)
#include "tst_asyncimport.moc"
