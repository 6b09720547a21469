// SPDX-License-Identifier: BSD-3-Clause
// WAL checkpoints on a thread of their own (walcheckpointer_p.h): commits past the threshold
// hand the checkpoint to the worker, which copies the log into the database file; a worker far
// behind, or without a connection, makes the committing connection checkpoint itself; stopping it
// mid-work is safe, and the last connection still removes the log when it closes. A store on disk
// checkpoints that way.
#include "todoschema.h"

#include <store.h>
#include <walcheckpointer_p.h>

#include <QtCore/qfile.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

#include <cstring>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

struct Connection
{
    explicit Connection(const QString &path)
    {
        ok = sqlite3_open_v2(path.toUtf8().constData(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK
                && exec("PRAGMA journal_mode = WAL") && exec("PRAGMA synchronous = NORMAL")
                && exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload BLOB)");
    }
    ~Connection() { sqlite3_close_v2(db); }
    bool exec(const char *sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
    // One transaction writing about `pages` pages of 4 KB.
    bool write(int pages)
    {
        if (!exec("BEGIN"))
            return false;
        sqlite3_stmt *s = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO t (payload) VALUES (randomblob(3900))", -1, &s, nullptr);
        bool ok = s != nullptr;
        for (int i = 0; ok && i < pages; ++i) {
            ok = sqlite3_step(s) == SQLITE_DONE;
            sqlite3_reset(s);
        }
        sqlite3_finalize(s);
        return exec(ok ? "COMMIT" : "ROLLBACK") && ok;
    }
    sqlite3 *db = nullptr;
    bool ok = false;
};

// The frames in the log now (mxFrame), and how many of them a checkpoint has copied into the
// database file (nBackfill), as the WAL-index in the -shm file has them: the first header's
// mxFrame at byte 16, the checkpoint information's nBackfill at byte 96, in native byte order
// (SQLite's file format, section 4.5). Read without taking part: a checkpoint of our own would
// copy the frames itself. (The log's file keeps the size it once had: SQLite writes it again
// from the start once everything in it was copied.)
struct WalState
{
    quint32 frames = 0;
    quint32 copied = 0;
    bool ok = false;
};

WalState walState(const QString &path)
{
    WalState state;
    QFile shm(path + u"-shm"_s);
    if (!shm.open(QIODevice::ReadOnly))
        return state;
    const QByteArray header = shm.read(100);
    if (header.size() < 100)
        return state;
    std::memcpy(&state.frames, header.constData() + 16, 4);
    std::memcpy(&state.copied, header.constData() + 96, 4);
    state.ok = true;
    return state;
}

} // namespace

class tst_WalCheckpointer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void commitsPastTheThresholdCheckpointOnTheWorker()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"db.sqlite"_s);
        Connection c(path);
        QVERIFY(c.ok);
        auto checkpointer = WalCheckpointer::start(c.db, path, 100);
        QVERIFY(checkpointer);
        // Below the threshold: nothing to do.
        QVERIFY(c.write(20));
        QTest::qWait(50);
        QCOMPARE(checkpointer->backgroundCheckpoints(), 0);
        // Past it, in steps: the worker runs checkpoints, the committing connection none.
        for (int i = 0; i < 10; ++i)
            QVERIFY(c.write(60));
        QTRY_VERIFY(checkpointer->backgroundCheckpoints() > 0);
        QCOMPARE(checkpointer->inlineCheckpoints(), 0);
        // With nothing written since, the worker has copied every frame of the log.
        QTRY_VERIFY(walState(path).ok && walState(path).copied == walState(path).frames);
        QVERIFY(walState(path).frames > 0);
        // The log starts over once copied: it stays near the threshold instead of holding every
        // write (1,800 pages by now without checkpoints).
        for (int i = 0; i < 20; ++i) {
            // The worker's turn: below the threshold, or all of the log copied. (A fixed wait
            // was too short on a loaded machine.)
            QTRY_VERIFY(walState(path).ok
                        && (walState(path).frames <= 100 || walState(path).copied == walState(path).frames));
            QVERIFY(c.write(60));
        }
        const WalState after = walState(path);
        QVERIFY(after.ok);
        QVERIFY2(after.frames < 400, qPrintable(QString::number(after.frames)));
        checkpointer.reset();
        // Without the checkpointer the connection checkpoints itself again (SQLite's default).
        int autoPages = 0;
        sqlite3_stmt *s = nullptr;
        sqlite3_prepare_v2(c.db, "PRAGMA wal_autocheckpoint", -1, &s, nullptr);
        if (sqlite3_step(s) == SQLITE_ROW)
            autoPages = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        QCOMPARE(autoPages, WalCheckpointer::DefaultThresholdPages);
    }

    void farBehindTheCommitterCheckpointsItself()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"db.sqlite"_s);
        Connection c(path);
        QVERIFY(c.ok);
        auto checkpointer = WalCheckpointer::start(c.db, path, 10);
        QVERIFY(checkpointer);
        // One transaction of 300 pages, thirty times the threshold: still the worker's.
        QVERIFY(c.write(300));
        QTRY_COMPARE(checkpointer->backgroundCheckpoints(), 1);
        QCOMPARE(checkpointer->inlineCheckpoints(), 0);
        QTRY_VERIFY(walState(path).ok && walState(path).copied == walState(path).frames);
        // A worker that does not take up requests: the log grows past ten times the threshold
        // with a request waiting, and the committing connection copies it itself.
        checkpointer->setPaused(true);
        QVERIFY(c.write(40));  // the log starts over: 40 frames, below 100
        QVERIFY(c.write(40));  // 80
        QCOMPARE(checkpointer->inlineCheckpoints(), 0);
        QVERIFY(c.write(40));  // 120, with the first write's request still waiting
        QCOMPARE(checkpointer->inlineCheckpoints(), 1);
        QCOMPARE(walState(path).copied, walState(path).frames);
        checkpointer->setPaused(false);
        QTRY_COMPARE(checkpointer->backgroundCheckpoints(), 2);
    }

    // The worker's connection cannot be opened (here: a path where there is no database): the
    // committing connection checkpoints, as without a checkpointer.
    void withoutAConnectionTheCommitterCheckpoints()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"db.sqlite"_s);
        Connection c(path);
        QVERIFY(c.ok);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"cannot open a second connection to .* for checkpoints"_s));
        auto checkpointer = WalCheckpointer::start(c.db, dir.filePath(u"missing/db.sqlite"_s), 10);
        QVERIFY(checkpointer);
        QVERIFY(c.write(20)); // the first request starts the worker, which fails to open
        // Writes until a commit notices the failed worker and checkpoints itself. Not inside
        // QTRY_VERIFY, which evaluates its expression again after it held: each evaluation wrote,
        // and a write after the checkpoint starts the log over with frames not yet copied.
        QElapsedTimer waited;
        waited.start();
        while (checkpointer->inlineCheckpoints() == 0 && waited.elapsed() < 10000) {
            QVERIFY(c.write(5));
            QTest::qWait(10);
        }
        QVERIFY(checkpointer->inlineCheckpoints() > 0);
        QCOMPARE(checkpointer->backgroundCheckpoints(), 0);
        // The last write was the commit that checkpointed: it copied the whole log.
        QCOMPARE(walState(path).copied, walState(path).frames);
    }

    void stoppingMidWorkIsSafe()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"db.sqlite"_s);
        {
            Connection c(path);
            QVERIFY(c.ok);
            for (int round = 0; round < 20; ++round) {
                auto checkpointer = WalCheckpointer::start(c.db, path, 50);
                QVERIFY(checkpointer);
                QVERIFY(c.write(80)); // asks for a checkpoint, and goes away while it may run
            }
            QVERIFY(QFile::exists(path + u"-wal"_s));
        }
        // The last connection closed: the log was copied and removed, as without a checkpointer.
        QVERIFY(!QFile::exists(path + u"-wal"_s));
        Connection again(path);
        sqlite3_stmt *s = nullptr;
        sqlite3_prepare_v2(again.db, "SELECT count(*) FROM t", -1, &s, nullptr);
        QCOMPARE(sqlite3_step(s), SQLITE_ROW);
        QCOMPARE(sqlite3_column_int(s, 0), 20 * 80);
        sqlite3_finalize(s);
    }

    // A store on disk: its log stays bounded under many commits, and closing removes it.
    void storeCheckpointsInTheBackground()
    {
        QTemporaryDir dir;
        StoreOptions o;
        o.storeId = u"wal"_s;
        o.schema = LiveStoreTest::todoSchema();
        o.directory = dir.path();
        const QString path = dir.filePath(u"store.db"_s);
        {
            Store store;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            constexpr int Batches = 100;
            for (int batch = 0; batch < Batches; ++batch) {
                QList<Event> events;
                for (int i = 0; i < 500; ++i) {
                    const QString id = u"%1-%2"_s.arg(batch).arg(i);
                    events.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString(200, u'x')}}});
                }
                QVERIFY2(store.commit(events), qPrintable(store.errorString()));
                QTest::qWait(10);
            }
            // 50,000 todos of 200 characters and their eventlog rows, tens of thousands of pages
            // written: without checkpoints the log would hold them all.
            const WalState wal = walState(path);
            QVERIFY(wal.ok);
            QVERIFY2(wal.frames < 5'000, qPrintable(QString::number(wal.frames)));
            QCOMPARE(store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), Batches * 500);
        }
        QVERIFY(!QFile::exists(path + u"-wal"_s));
        Store reopened;
        QVERIFY2(reopened.open(o), qPrintable(reopened.errorString()));
        QCOMPARE(reopened.eventCount(), 50'000);
        QVERIFY2(reopened.verify(), qPrintable(reopened.errorString()));
    }
};

QTEST_GUILESS_MAIN(tst_WalCheckpointer)
#include "tst_walcheckpointer.moc"
