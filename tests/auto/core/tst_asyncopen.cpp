// SPDX-License-Identifier: BSD-3-Clause
// Store::openAsync(): the open (and a state rebuild) runs on a worker thread while the caller's
// event loop keeps running; status and progress arrive on the caller's thread in order; the store
// refuses use until it is open; cancelling mid-rebuild leaves the files as they were.
#include <livequerymodel.h>
#include <store.h>

#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

constexpr int Events = 40'000;

// `extraColumn` changes the table, so a store made without it rebuilds its state on open.
Schema notesSchema(bool extraColumn)
{
    TableDef notes{u"notes"_s};
    notes.column(ColumnDef::text(u"id"_s).primaryKey()).column(ColumnDef::text(u"body"_s));
    if (extraColumn)
        notes.column(ColumnDef::integer(u"stars"_s).withDefault(0));
    Schema schema;
    schema.addTable(notes);
    schema.addEvent(EventDef::synced(u"v1.NoteAdded"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"body"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO notes (id, body) VALUES ($id, $body)"_s}));
    return schema;
}

StoreOptions optionsFor(const QString &dir, bool extraColumn)
{
    StoreOptions options;
    options.storeId = u"notes"_s;
    options.directory = dir;
    options.schema = notesSchema(extraColumn);
    return options;
}

} // namespace

class tst_AsyncOpen : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_template; // a store of Events notes, made once and copied for each test
    QByteArray m_digest; // its state

    QString freshCopy()
    {
        static int n = 0;
        const QString dir = m_dir.filePath(u"copy-%1"_s.arg(++n));
        QDir().mkpath(dir);
        for (const QString &name : QDir(m_template).entryList(QDir::Files)) {
            if (name != u"store.lock"_s && !QFile::copy(QDir(m_template).filePath(name), QDir(dir).filePath(name)))
                return {};
        }
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_template = m_dir.filePath(u"template"_s);
        Store store;
        QVERIFY2(store.open(optionsFor(m_template, false)), qPrintable(store.errorString()));
        QList<Event> batch;
        for (int i = 0; i < Events; ++i) {
            batch.append(Event{u"v1.NoteAdded"_s, {{u"id"_s, u"n%1"_s.arg(i)}, {u"body"_s, u"note %1"_s.arg(i)}}});
            if (batch.size() == 1000) {
                QVERIFY2(store.commit(batch), qPrintable(store.errorString()));
                batch.clear();
            }
        }
        // The state as a rebuild with the extra column must give it.
        Store rebuilt;
        StoreOptions memory = optionsFor(QString(), true);
        memory.inMemory = true;
        QVERIFY(rebuilt.open(memory));
        QVERIFY(rebuilt.importEvents(store.events()));
        m_digest = rebuilt.stateDigest();
    }

    void invalidOptionsFailAtOnce()
    {
        Store store;
        QSignalSpy finished(&store, &Store::openFinished);
        StoreOptions options = optionsFor(QString(), false);
        QVERIFY(!store.openAsync(options));
        QVERIFY2(store.errorString().contains(u"no store directory"_s), qPrintable(store.errorString()));
        options.storeId = u"not valid"_s;
        QVERIFY(!store.openAsync(options));
        QVERIFY2(store.errorString().contains(u"invalid store id"_s), qPrintable(store.errorString()));
        options = optionsFor(m_dir.filePath(u"x"_s), false);
        options.schema = Schema::fromFile(u"/nonexistent/schema.json"_s);
        QVERIFY(!store.openAsync(options));
        QVERIFY2(store.errorString().contains(u"/nonexistent/schema.json"_s), qPrintable(store.errorString()));
        QVERIFY(!store.isOpening());
        QCOMPARE(finished.size(), 0);
    }

    void rebuildsOffTheCallingThread()
    {
        const QString dir = freshCopy();
        QVERIFY(!dir.isEmpty());
        Store store;
        QList<BootStatus> statuses;
        QList<Qt::HANDLE> statusThreads;
        connect(&store, &Store::bootStatusChanged, this, [&](const BootStatus &s) {
            statuses.append(s);
            statusThreads.append(QThread::currentThreadId());
        });
        StoreOptions options = optionsFor(dir, true);
        int callbacks = 0;
        options.onBootStatus = [&](const BootStatus &) {
            QCOMPARE(QThread::currentThread(), qApp->thread());
            ++callbacks;
        };
        QSignalSpy finished(&store, &Store::openFinished);
        // The caller's event loop keeps turning while the store rebuilds.
        int ticks = 0;
        QTimer timer;
        timer.setInterval(1);
        connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
        timer.start();

        QVERIFY2(store.openAsync(options), qPrintable(store.errorString()));
        QVERIFY(store.isOpening());
        QVERIFY(!store.isOpen());
        QCOMPARE(store.storeId(), u"notes"_s);
        // Not usable until it is open, and it says why.
        const QueryResult early = store.query(u"SELECT count(*) FROM notes"_s);
        QVERIFY(!early.isValid());
        QCOMPARE(early.errorString(), u"the store is still opening (openAsync)"_s);
        QVERIFY(!store.commit(u"v1.NoteAdded"_s, {{u"id"_s, u"x"_s}, {u"body"_s, u"y"_s}}));
        QCOMPARE(store.errorString(), u"the store is still opening (openAsync)"_s);

        QVERIFY(finished.wait(60'000));
        QCOMPARE(finished.constFirst().constFirst().toBool(), true);
        QVERIFY(!store.isOpening());
        QVERIFY(store.isOpen());
        QVERIFY2(ticks > 0, "the calling thread's timer never ran during the open");
        QCOMPARE(store.query(u"SELECT count(*) FROM notes"_s).scalar().toInt(), Events);
        QCOMPARE(store.stateDigest(), m_digest);
        QVERIFY(store.commit(u"v1.NoteAdded"_s, {{u"id"_s, u"x"_s}, {u"body"_s, u"y"_s}}));

        // Statuses on this thread, in stage order, progress never going back, ending in Done.
        QVERIFY(statuses.size() >= 4);
        QCOMPARE(callbacks, statuses.size());
        for (Qt::HANDLE t : std::as_const(statusThreads))
            QCOMPARE(t, QThread::currentThreadId());
        QCOMPARE(statuses.constFirst().stage, BootStatus::Loading);
        QCOMPARE(statuses.constLast().stage, BootStatus::Done);
        bool sawReplay = false;
        for (qsizetype i = 1; i < statuses.size(); ++i) {
            const BootStatus &a = statuses.at(i - 1);
            const BootStatus &b = statuses.at(i);
            QVERIFY(b.stage >= a.stage);
            if (b.stage == a.stage)
                QVERIFY(b.done >= a.done);
            if (b.stage == BootStatus::Rematerializing && b.done > 0 && b.done < b.total)
                sawReplay = true;
        }
        QVERIFY2(sawReplay, "no progress inside the replay was reported");
        QCOMPARE(store.bootStatus().stage, BootStatus::Done);
    }

    void cancelMidRebuildKeepsTheFiles()
    {
        const QString dir = freshCopy();
        QVERIFY(!dir.isEmpty());
        Store store;
        QSignalSpy finished(&store, &Store::openFinished);
        bool closed = false;
        connect(&store, &Store::bootStatusChanged, this, [&](const BootStatus &s) {
            if (!closed && s.stage == BootStatus::Rematerializing && s.done > 0) {
                closed = true;
                store.close(); // as a window closing mid-rebuild
            }
        });
        QVERIFY(store.openAsync(optionsFor(dir, true)));
        QTRY_VERIFY_WITH_TIMEOUT(closed, 60'000);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.constFirst().constFirst().toBool(), false);
        QCOMPARE(store.errorString(), u"opening was cancelled"_s);
        QVERIFY(!store.isOpen());
        QVERIFY(!store.isOpening());
        QTest::qWait(20); // a status or an end the worker posted before it stopped is ignored
        QCOMPARE(finished.size(), 1);

        // The rebuild rolled back: the old schema opens without a rebuild, the new one rebuilds
        // to the full state, and the file checks out.
        Store old;
        QVERIFY2(old.open(optionsFor(dir, false)), qPrintable(old.errorString()));
        QVERIFY(old.migrationReport().isEmpty());
        QCOMPARE(old.query(u"SELECT count(*) FROM notes"_s).scalar().toInt(), Events);
        old.close();
        Store again;
        QVERIFY2(again.open(optionsFor(dir, true)), qPrintable(again.errorString()));
        QCOMPARE(again.stateDigest(), m_digest);
        QVERIFY2(again.verify(), qPrintable(again.errorString()));
    }

    void destroyedWhileOpening()
    {
        const QString dir = freshCopy();
        QVERIFY(!dir.isEmpty());
        {
            Store store;
            QVERIFY(store.openAsync(optionsFor(dir, true)));
            QTest::qWait(5);
        } // waits for the worker to stop; nothing is delivered to the dead store
        QTest::qWait(20);
        Store again;
        QVERIFY2(again.open(optionsFor(dir, true)), qPrintable(again.errorString()));
        QCOMPARE(again.stateDigest(), m_digest);
    }

    void openCancelsAnAsyncOpen()
    {
        const QString dir = freshCopy();
        QVERIFY(!dir.isEmpty());
        Store store;
        QSignalSpy finished(&store, &Store::openFinished);
        QVERIFY(store.openAsync(optionsFor(dir, true)));
        QVERIFY2(store.open(optionsFor(dir, true)), qPrintable(store.errorString()));
        // The synchronous open took over: the async caller hears how it ended.
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.constFirst().constFirst().toBool(), true);
        QVERIFY(store.isOpen());
        QCOMPARE(store.stateDigest(), m_digest);
        QTest::qWait(20);
        QCOMPARE(finished.size(), 1);
        QVERIFY(store.isOpen());
    }

    void failureIsReported()
    {
        // The directory is a file: the worker fails, the error comes back.
        const QString file = m_dir.filePath(u"a-file"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        Store store;
        QSignalSpy finished(&store, &Store::openFinished);
        QVERIFY(store.openAsync(optionsFor(file, false)));
        QVERIFY(finished.wait(10'000));
        QCOMPARE(finished.constFirst().constFirst().toBool(), false);
        QVERIFY2(store.errorString().contains(u"is not a directory"_s), qPrintable(store.errorString()));
        QVERIFY(!store.isOpen());
    }

    void modelFollowsTheOpen()
    {
        // A model given a store that is still opening shows its rows once the store is open.
        const QString dir = freshCopy();
        QVERIFY(!dir.isEmpty());
        Store store;
        QVERIFY(store.openAsync(optionsFor(dir, true)));
        LiveQueryModel model(&store, Query::from(u"notes"_s).where(u"id"_s, u"n7"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.status(), LiveQueryModel::Null);
        QCOMPARE(model.rowCount(), 0);
        QSignalSpy finished(&store, &Store::openFinished);
        QVERIFY(finished.wait(60'000));
        QCOMPARE(model.status(), LiveQueryModel::Ready);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.get(0).value(u"body"_s).toString(), u"note 7"_s);
    }

    void inMemory()
    {
        Store store;
        StoreOptions options = optionsFor(QString(), true);
        options.inMemory = true;
        QSignalSpy finished(&store, &Store::openFinished);
        QVERIFY(store.openAsync(options));
        QVERIFY(finished.wait(10'000));
        QVERIFY(store.isOpen());
        QVERIFY(store.commit(u"v1.NoteAdded"_s, {{u"id"_s, u"a"_s}, {u"body"_s, u"b"_s}}));
        QCOMPARE(store.query(u"SELECT count(*) FROM notes"_s).scalar().toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_AsyncOpen)
#include "tst_asyncopen.moc"
