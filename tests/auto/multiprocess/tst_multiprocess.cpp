// SPDX-License-Identifier: BSD-3-Clause
// Several processes on one store (architecture.md, "Several processes on one store"): this test
// and children of its own (storechild) open the same store directory, commit, are killed with
// SIGKILL at random, and sync through one leader at a time.
#include "storereport.h"
#include "todoschema.h"

#include <livequerymodel.h>
#include <sqlitesyncstorage.h>
#include <store.h>
#include <sync/syncclient.h>
#include <syncserver.h>

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qprocess.h>
#include <QtCore/qrandom.h>
#include <QtCore/qset.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <csignal>
#include <memory>
#include <vector>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

constexpr int Timeout = 20'000;

StoreOptions sharedStore(const QString &directory)
{
    StoreOptions options;
    options.storeId = u"shared"_s; // as storechild opens it
    options.schema = LiveStoreTest::todoSchema();
    options.directory = directory;
    return options;
}

// A storechild process and the lines it printed.
class Child
{
public:
    explicit Child(const QStringList &args)
    {
        m_process.setProgram(QString::fromLocal8Bit(LIVESTORE_STORE_CHILD));
        m_process.setArguments(args);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start();
    }
    ~Child()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    QProcess &process() { return m_process; }

    // Reads what arrived; returns the lines since the last call.
    QStringList readLines()
    {
        m_buffer += m_process.readAllStandardOutput();
        QStringList lines;
        qsizetype end;
        while ((end = m_buffer.indexOf('\n')) >= 0) {
            lines.append(QString::fromUtf8(m_buffer.left(end)));
            m_buffer.remove(0, end + 1);
        }
        m_lines += lines;
        return lines;
    }
    const QStringList &lines() const { return m_lines; }

    // Waits until a line starting with `prefix` arrives after the first `from` lines; returns it.
    QString waitFor(const QString &prefix, qsizetype from = 0, int timeout = Timeout)
    {
        QElapsedTimer timer;
        timer.start();
        for (;;) {
            readLines();
            for (qsizetype i = from; i < m_lines.size(); ++i) {
                if (m_lines.at(i).startsWith(prefix))
                    return m_lines.at(i);
            }
            if (timer.elapsed() > timeout || m_process.state() == QProcess::NotRunning) {
                readLines();
                qWarning("no \"%s\" from storechild; it printed: %s; stderr: %s", qPrintable(prefix),
                         qPrintable(m_lines.join(u" | "_s)), m_process.readAllStandardError().constData());
                return {};
            }
            // The test's own event loop runs meanwhile: its store follows the child's commits.
            QTest::qWait(5);
        }
    }
    void send(const QString &command) { m_process.write(command.toUtf8() + '\n'); }

    // The report lines (head, history, state, verify) after the next "report".
    QStringList report()
    {
        readLines();
        const qsizetype at = m_lines.size();
        send(u"report"_s);
        if (waitFor(u"end"_s, at).isEmpty())
            return {};
        return reportFrom(at);
    }
    QStringList reportFrom(qsizetype at) const
    {
        QStringList out;
        for (qsizetype i = at; i < m_lines.size() && m_lines.at(i) != u"end"_s; ++i) {
            if (m_lines.at(i).startsWith(u"head "_s) || m_lines.at(i).startsWith(u"history "_s)
                || m_lines.at(i).startsWith(u"state "_s) || m_lines.at(i).startsWith(u"verify"_s))
                out.append(m_lines.at(i));
        }
        return out;
    }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QStringList m_lines;
};

} // namespace

class tst_MultiProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Three processes: this one's live model follows the children's commits with row-level
    // signals, theirs follow this one's and each other's, and all number events in one chain.
    void liveQueriesFollowOtherProcesses()
    {
        QTemporaryDir dir;
        Store store;
        QVERIFY2(store.open(sharedStore(dir.path())), qPrintable(store.errorString()));
        QVERIFY(!store.isShared());
        LiveQueryModel model(&store, Query::sql(u"SELECT id, text FROM todos ORDER BY id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&store, &Store::eventlogChanged);

        Child a({dir.path(), u"serve"_s});
        Child b({dir.path(), u"serve"_s});
        const QString openA = a.waitFor(u"open "_s), openB = b.waitFor(u"open "_s);
        QVERIFY2(openA.contains(u"shared 1"_s), qPrintable(openA));
        QVERIFY2(openB.contains(u"shared 1"_s), qPrintable(openB));
        // Sessions of their own.
        QVERIFY(!openA.endsWith(store.sessionId()) && !openB.endsWith(store.sessionId()));
        QVERIFY(openA.section(u' ', -1) != openB.section(u' ', -1));

        a.send(u"create a1"_s);
        QVERIFY(!a.waitFor(u"committed a1"_s).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, Timeout);
        QVERIFY(!b.waitFor(u"rows 1"_s).isEmpty());

        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"p1"_s}, {u"text"_s, u"from the test"_s}}));
        QVERIFY(!a.waitFor(u"rows 2"_s).isEmpty());
        QVERIFY(!b.waitFor(u"rows 2"_s).isEmpty());

        b.send(u"create b1"_s);
        QVERIFY(!b.waitFor(u"committed b1"_s).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, Timeout);
        QVERIFY(!a.waitFor(u"rows 3"_s).isEmpty());
        QCOMPARE(model.data(model.index(0, 0), model.roleNames().key("id")).toString(), u"a1"_s);
        QCOMPARE(model.data(model.index(1, 0), model.roleNames().key("id")).toString(), u"b1"_s);
        QCOMPARE(model.data(model.index(2, 0), model.roleNames().key("id")).toString(), u"p1"_s);
        QCOMPARE(resets.size(), 0); // row by row, as after a local commit
        QCOMPARE(inserted.size(), 3); // a1 and b1 from the children, p1 from here
        QVERIFY(changed.size() >= 2);
        QVERIFY(!changed.constLast().constFirst().toBool()); // appended, nothing rewritten

        // One chain, three sessions, the same state everywhere.
        const QList<EventRecord> log = store.events();
        QCOMPARE(log.size(), 3);
        for (qsizetype i = 0; i < log.size(); ++i)
            QCOMPARE(log.at(i).seqNum.global, i + 1);
        QCOMPARE(QSet<QString>({log.at(0).sessionId, log.at(1).sessionId, log.at(2).sessionId}).size(), 3);
        const QStringList ours = LiveStoreTest::storeReport(store);
        QCOMPARE(a.report(), ours);
        QCOMPARE(b.report(), ours);
    }

    // Three writers commit at random while they are killed (SIGKILL) and restarted: every commit
    // that returned survives, the chain has no gap, and every process reads the same eventlog and
    // state, which is the replay of that eventlog.
    void killedWritersLoseNothing()
    {
        QTemporaryDir dir;
        {
            Store first; // creates the store: the children all join or open it
            QVERIFY2(first.open(sharedStore(dir.path())), qPrintable(first.errorString()));
        }
        std::vector<std::unique_ptr<Child>> writers;
        std::vector<std::unique_ptr<Child>> finished;
        quint32 seed = QRandomGenerator::global()->generate() % 100'000;
        qInfo("seed %u", seed);
        QRandomGenerator rng(seed);
        const auto startWriter = [&](int slot) {
            writers[slot] = std::make_unique<Child>(
                    QStringList{dir.path(), u"loop"_s, u"w%1"_s.arg(slot), QString::number(seed++)});
        };
        writers.resize(3);
        for (int slot = 0; slot < 3; ++slot)
            startWriter(slot);
        int kills = 0;
        QElapsedTimer running;
        running.start();
        while (running.elapsed() < 4000) {
            QTest::qWait(rng.bounded(100, 400));
            const int slot = rng.bounded(3);
            writers[slot]->readLines();
            ::kill(pid_t(writers[slot]->process().processId()), SIGKILL);
            writers[slot]->process().waitForFinished(5000);
            ++kills;
            finished.push_back(std::move(writers[slot]));
            startWriter(slot);
        }
        for (auto &w : writers) {
            ::kill(pid_t(w->process().processId()), SIGKILL);
            w->process().waitForFinished(5000);
            finished.push_back(std::move(w));
        }
        QSet<QString> acked;
        for (auto &w : finished) {
            w->readLines();
            QVERIFY2(!w->process().readAllStandardError().contains("failed"), "a writer's commit failed");
            for (const QString &line : w->lines()) {
                if (line.startsWith(u"ack "_s))
                    acked.insert(line.mid(4));
            }
        }
        qInfo("%d kills, %lld acknowledged todos", kills, qint64(acked.size()));
        QVERIFY(acked.size() > 100);

        Store store;
        QVERIFY2(store.open(sharedStore(dir.path())), qPrintable(store.errorString()));
        QVERIFY(!store.isShared()); // everyone is gone, killed or not
        QVERIFY2(store.verify(), qPrintable(store.errorString())); // chain, state == replay
        QSet<QString> stored;
        for (const QVariantList &row : store.query(u"SELECT id FROM todos"_s).rows())
            stored.insert(row.value(0).toString());
        const QSet<QString> lost = acked - stored;
        QVERIFY2(lost.isEmpty(), qPrintable(u"lost: "_s + QStringList(lost.values()).join(u", "_s)));
        const QList<EventRecord> log = store.events();
        for (qsizetype i = 0; i < log.size(); ++i)
            QCOMPARE(log.at(i).seqNum.global, i + 1);

        // Every process reads the same eventlog and state.
        const QStringList ours = LiveStoreTest::storeReport(store);
        std::vector<std::unique_ptr<Child>> readers;
        for (int i = 0; i < 3; ++i)
            readers.push_back(std::make_unique<Child>(QStringList{dir.path(), u"report"_s}));
        for (auto &r : readers) {
            QVERIFY(r->process().waitForFinished(Timeout));
            r->readLines();
            QCOMPARE(r->reportFrom(0), ours);
        }
    }

    // The tables cannot change under the feet of a process that has the store open: a schema of
    // other tables is refused while another process has it, and rebuilds once it is alone.
    void otherTablesWaitForTheOthers()
    {
        QTemporaryDir dir;
        Child holder({dir.path(), u"serve"_s});
        QVERIFY(!holder.waitFor(u"open "_s).isEmpty());
        holder.send(u"create h1"_s);
        QVERIFY(!holder.waitFor(u"committed h1"_s).isEmpty());

        StoreOptions wider = sharedStore(dir.path());
        wider.schema = LiveStoreTest::widerTodoSchema();
        Store store;
        QVERIFY(!store.open(wider));
        QVERIFY2(store.errorString().contains(u"is open in another process with a schema of other tables"_s),
                 qPrintable(store.errorString()));
        QVERIFY2(store.open(sharedStore(dir.path())), qPrintable(store.errorString()));
        QVERIFY(store.isShared());
        QCOMPARE(store.eventCount(), 1);
        store.close();

        holder.send(u"quit"_s);
        QVERIFY(holder.process().waitForFinished(Timeout));
        QVERIFY2(store.open(wider), qPrintable(store.errorString())); // alone: rebuilt
        QVERIFY(!store.isShared());
        QCOMPARE(store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 1);
    }

    // One leader syncs for all: a writer on standby has its events pushed by the leader; when the
    // leader is killed, it takes over, and what it commits next reaches the server too.
    void leaderHandOver()
    {
        QTemporaryDir serverDir, dir;
        SqliteSyncStorage storage;
        QVERIFY2(storage.open(serverDir.path()), qPrintable(storage.errorString()));
        SyncServer server(&storage);
        SyncServerOptions serverOptions;
        serverOptions.port = 0; // any free port
        server.setOptions(serverOptions);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        const QString url = u"ws://127.0.0.1:%1"_s.arg(server.serverPort());

        Child leader({dir.path(), u"serve"_s, url});
        QVERIFY(!leader.waitFor(u"leader 1"_s).isEmpty());
        Child standby({dir.path(), u"serve"_s, url});
        QVERIFY(!standby.waitFor(u"status %1"_s.arg(int(SyncClient::Standby))).isEmpty());

        // A third process, without sync: its events go out through the leader too.
        Store tool;
        QVERIFY2(tool.open(sharedStore(dir.path())), qPrintable(tool.errorString()));
        QVERIFY(tool.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"t1"_s}, {u"text"_s, u"from the tool"_s}}));
        standby.send(u"create s1"_s);
        QVERIFY(!standby.waitFor(u"committed s1"_s).isEmpty());
        // The leader pushes it (and t1), and the standby process sees the confirmation.
        const qsizetype committedS1 = standby.lines().indexOf(u"committed s1"_s);
        QVERIFY(!standby.waitFor(u"pending 0"_s, committedS1).isEmpty());
        leader.send(u"create l1"_s);
        QVERIFY(!leader.waitFor(u"committed l1"_s).isEmpty());

        // A client of the server's own sees all three.
        const auto serverIds = [&] {
            StoreOptions o = sharedStore({});
            o.directory.clear();
            o.inMemory = true;
            o.recordChangesets = true;
            auto observer = std::make_unique<Store>();
            observer->open(o);
            return observer;
        };
        std::unique_ptr<Store> observer = serverIds();
        SyncClient watching(observer.get());
        watching.setUrl(QUrl(url));
        watching.start();
        const auto todos = [&] {
            QStringList ids;
            for (const QVariantList &row : observer->query(u"SELECT id FROM todos ORDER BY id"_s).rows())
                ids.append(row.value(0).toString());
            return ids;
        };
        QTRY_COMPARE_WITH_TIMEOUT(todos(), QStringList({u"l1"_s, u"s1"_s, u"t1"_s}), Timeout);

        // The livestore tool with --sync-url beside them: it stands by, the leader pushes its
        // commit, and the tool returns once that is confirmed.
        QProcess cli;
        cli.start(QString::fromLocal8Bit(LIVESTORE_CLI_PATH),
                  {u"--store"_s, dir.path(), u"--store-id"_s, u"shared"_s, u"--sync-url"_s, url,
                   u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"c1","text":"from the tool"})"_s});
        // (The server runs in this process: its event loop must go on meanwhile.)
        QTRY_COMPARE_WITH_TIMEOUT(cli.state(), QProcess::NotRunning, Timeout);
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        QTRY_COMPARE_WITH_TIMEOUT(todos(), QStringList({u"c1"_s, u"l1"_s, u"s1"_s, u"t1"_s}), Timeout);

        const qsizetype before = standby.lines().size();
        QElapsedTimer handOver;
        handOver.start();
        ::kill(pid_t(leader.process().processId()), SIGKILL);
        QVERIFY(leader.process().waitForFinished(Timeout));
        QVERIFY(!standby.waitFor(u"leader 1"_s, before).isEmpty());
        qInfo("the standby process took the lead %lld ms after the leader was killed", handOver.elapsed());
        QVERIFY(!standby.waitFor(u"status %1"_s.arg(int(SyncClient::Connected)), before).isEmpty());
        standby.send(u"create s2"_s);
        QVERIFY(!standby.waitFor(u"committed s2"_s).isEmpty());
        QVERIFY(tool.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"t2"_s}, {u"text"_s, u"from the tool"_s}}));
        QTRY_COMPARE_WITH_TIMEOUT(todos(), QStringList({u"c1"_s, u"l1"_s, u"s1"_s, u"s2"_s, u"t1"_s, u"t2"_s}), Timeout);
        // Every event confirmed: nothing pending in the store the processes share.
        QVERIFY(!standby.waitFor(u"pending 0"_s, before).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(tool.events().size(), 6, Timeout);
        QCOMPARE(standby.report(), LiveStoreTest::storeReport(tool));
    }
};

QTEST_GUILESS_MAIN(tst_MultiProcess)

#include "tst_multiprocess.moc"
