// SPDX-License-Identifier: BSD-3-Clause
// Several sync server nodes, and nodes that go away: two livestore-sync-server processes on one
// PostgreSQL database (a private cluster, pgcluster.h) with SyncClients split across them
// converge, and an event pushed through one reaches a client of the other (latency printed);
// killing and restarting a server process (SQLite and PostgreSQL) or the database while clients
// are connected loses nothing. In-process, with raw WebSocket clients: live pulls on one server
// get every event pushed through another exactly once, in order, also when catch-ups race the
// pushes and when the server missed notifications while its database connection was down.

#include "countingsyncstorage.h"
#include "pgcluster.h"
#include "serverprocess.h"
#include "syncedclient.h"
#include "wstestclient.h"

#include <postgressyncstorage.h>
#include <store.h>
#include <sync/syncclient.h>
#include <syncserver.h>

#include <QtCore/qeventloop.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int Timeout = 30'000;
const QString StoreId = u"todos-nodes"_s;

using Client = SyncedClient;
using Clients = SyncedClients;

QUrl wsUrl(quint16 port)
{
    return QUrl(u"ws://127.0.0.1:%1"_s.arg(port));
}

// Raw frames for the in-process tests (as tst_syncserver writes them).
QByteArray eventsJson(qint64 first, int count)
{
    QByteArray out = "[";
    for (int i = 0; i < count; ++i) {
        const QByteArray seq = QByteArray::number(first + i);
        if (i)
            out += ',';
        out += R"({"name":"v1.TodoCreated","args":{"id":"id-)" + seq + R"(","text":"event )" + seq
                + R"("},"seqNum":)" + seq + R"(,"parentSeqNum":)" + QByteArray::number(first + i - 1)
                + R"(,"clientId":"raw","sessionId":"raw"})";
    }
    return out + ']';
}

QByteArray pushPayload(const QByteArray &batch, const QString &backendId = {})
{
    const QByteArray id = backendId.isEmpty()
            ? QByteArray(R"({"_tag":"None"})")
            : R"({"_tag":"Some","value":")" + backendId.toUtf8() + R"("})";
    return R"({"storeId":")" + StoreId.toUtf8() + R"(","batch":)" + batch + R"(,"backendId":)" + id + "}";
}

QByteArray pullPayload(qint64 cursor = -1, const QString &backendId = {})
{
    QByteArray c = R"({"_tag":"None"})";
    if (cursor >= 0)
        c = R"({"_tag":"Some","value":{"backendId":")" + backendId.toUtf8()
                + R"(","eventSequenceNumber":)" + QByteArray::number(cursor) + "}}";
    return R"({"storeId":")" + StoreId.toUtf8() + R"(","live":true,"cursor":)" + c + '}';
}

// The seqNums a client received on pull `id`, in order.
QList<qint64> pulled(const WsTestClient &c, const QString &id = u"7"_s)
{
    QList<qint64> out;
    for (const QJsonObject &frame : c.all) {
        if (frame.value(u"_tag").toString() != u"Chunk" || frame.value(u"requestId").toString() != id)
            continue;
        for (const QJsonValue &v : frame.value(u"values").toArray()) {
            for (const QJsonValue &e : v.toObject().value(u"batch").toArray())
                out.append(e.toObject().value(u"eventEncoded").toObject().value(u"seqNum").toInteger());
        }
    }
    return out;
}

bool isRange(const QList<qint64> &seqs, qint64 from, qint64 to)
{
    if (seqs.size() != to - from + 1)
        return false;
    for (qsizetype i = 0; i < seqs.size(); ++i) {
        if (seqs.at(i) != from + i)
            return false;
    }
    return true;
}

// An in-process server on its own PostgreSQL connection; with `counted`, through a
// CountingSyncStorage (calls counted, notifications held back on request).
struct Node
{
    PostgresSyncStorage storage;
    std::unique_ptr<CountingSyncStorage> counting;
    std::unique_ptr<SyncServer> server;

    bool start(const QString &url, bool counted = false)
    {
        if (!storage.open(url)) {
            qWarning() << storage.errorString();
            return false;
        }
        if (counted)
            counting = std::make_unique<CountingSyncStorage>(&storage);
        server = std::make_unique<SyncServer>(counting ? static_cast<SyncStorage *>(counting.get())
                                                       : &storage);
        SyncServerOptions options;
        options.port = 0;
        server->setOptions(options);
        if (!server->listen()) {
            qWarning() << server->errorString();
            return false;
        }
        return true;
    }
    QUrl url() const
    {
        return QUrl(u"ws://127.0.0.1:%1/?storeId=%2&transport=ws"_s.arg(server->serverPort()).arg(StoreId));
    }
};

} // namespace

class tst_SyncNodes : public QObject
{
    Q_OBJECT

private:
    bool needPostgres()
    {
        if (!m_cluster->available()) {
            m_skip = u"PostgreSQL tests skipped: "_s + m_cluster->errorString();
            return false;
        }
        return true;
    }

    QString freshDatabase()
    {
        return m_cluster->createDatabase(u"n%1"_s.arg(++m_databases));
    }

    qint64 storedEvents(const QString &url)
    {
        PostgresSyncStorage s;
        if (!s.open(url))
            return -1;
        return s.count(StoreId, 0, std::numeric_limits<qint64>::max()).value_or(-1);
    }

    // Everyone commits `perClient` todos (and completes every third), a few at a time, while
    // syncing; returns the number of synced events committed.
    int commitConcurrently(Clients &clients, int perClient, const QString &tag)
    {
        int committed = 0;
        for (int k = 0; k < perClient; ++k) {
            for (size_t i = 0; i < clients.size(); ++i) {
                const QString id = u"%1-%2-%3"_s.arg(tag).arg(i).arg(k);
                if (clients[i]->create(id, u"todo %1 of client %2"_s.arg(k).arg(i)))
                    ++committed;
                if (k % 3 == 2 && clients[i]->complete(id))
                    ++committed;
            }
            QTest::qWait(3); // let pushes, echoes and rebases interleave with the commits
        }
        return committed;
    }

    // Median and worst time from a commit on `from` to the event arriving at `to`.
    void measureLatency(Client &from, Client &to, const char *label)
    {
        QList<double> samples;
        for (int i = 0; i < 15; ++i) {
            const qint64 target = to.sync->upstreamHead() + 1;
            QEventLoop loop;
            QElapsedTimer timer;
            double arrivedMs = -1;
            const auto connection = connect(to.sync.get(), &SyncClient::upstreamHeadChanged, &loop, [&] {
                if (to.sync->upstreamHead() >= target && arrivedMs < 0) {
                    arrivedMs = timer.nsecsElapsed() / 1e6;
                    loop.quit();
                }
            });
            QTimer::singleShot(Timeout, &loop, &QEventLoop::quit);
            timer.start();
            QVERIFY(from.create(u"latency-%1-%2"_s.arg(QLatin1StringView(label)).arg(i), u"ping"_s));
            loop.exec();
            disconnect(connection);
            QVERIFY2(arrivedMs >= 0, qPrintable(u"event %1 did not arrive"_s.arg(target)));
            samples.append(arrivedMs);
            QTRY_COMPARE_WITH_TIMEOUT(from.sync->pendingCount(), 0, Timeout);
        }
        std::sort(samples.begin(), samples.end());
        qInfo("%s: commit to arrival median %.2f ms, worst %.2f ms (%d samples)", label,
              samples.at(samples.size() / 2), samples.constLast(), int(samples.size()));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_cluster = std::make_unique<PgCluster>();
        if (m_cluster->available())
            QVERIFY2(m_cluster->isRunning(), qPrintable(m_cluster->errorString()));
    }

    void init()
    {
        if (m_cluster->available() && !m_cluster->isRunning())
            QVERIFY2(m_cluster->start(), qPrintable(m_cluster->errorString()));
    }

    void cleanupTestCase() { m_cluster.reset(); }

    void twoServersOneDatabase()
    {
        if (!needPostgres())
            QSKIP(qPrintable(m_skip));
        const QString url = freshDatabase();
        QVERIFY2(!url.isEmpty(), qPrintable(m_cluster->errorString()));
        // Started together on an empty database: both create the tables. One is told by option,
        // the other by environment variable.
        ServerProcess a, b;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"LIVESTORE_DATABASE_URL"_s, url);
        b.process.setProcessEnvironment(env);
        QVERIFY(a.launch({u"--postgres"_s, url}));
        QVERIFY(b.launch({}));
        QVERIFY2(a.waitListening(), qPrintable(a.allStderr()));
        QVERIFY2(b.waitListening(), qPrintable(b.allStderr()));
        QVERIFY2(a.allStderr().contains(u"storage=PostgreSQL 127.0.0.1:"_s), qPrintable(a.allStderr()));
        QVERIFY2(b.allStderr().contains(u"storage=PostgreSQL 127.0.0.1:"_s), qPrintable(b.allStderr()));

        Clients clients;
        for (int i = 0; i < 4; ++i) {
            clients.push_back(std::make_unique<Client>(StoreId, u"client-%1%2"_s.arg(i < 2 ? u'A' : u'B').arg(i % 2),
                                                       wsUrl(i < 2 ? a.port : b.port)));
            QVERIFY(clients.back()->ok);
            clients.back()->sync->start();
        }
        QElapsedTimer timer;
        timer.start();
        const int committed = commitConcurrently(clients, 30, u"c"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, committed), qPrintable(describe(clients)), Timeout);
        qInfo("%d events from 4 clients on 2 servers converged after %lld ms", committed,
              timer.elapsed());
        checkIdentical(clients);
        QCOMPARE(storedEvents(url), committed);
        QCOMPARE(clients.front()->store.query(u"SELECT COUNT(*) FROM todos"_s).scalar().toInt(), 4 * 30);

        // Across servers, both ways.
        measureLatency(*clients[2], *clients[0], "server B to a client of server A");
        measureLatency(*clients[0], *clients[3], "server A to a client of server B");
        const qint64 head = committed + 30;
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, head), qPrintable(describe(clients)), Timeout);
        checkIdentical(clients);
        QCOMPARE(a.stop(), 0);
        QCOMPARE(b.stop(), 0);
    }

    void serverRestart_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("SQLite") << false;
        QTest::newRow("PostgreSQL") << true;
    }

    void serverRestart()
    {
        // A server process dies (SIGKILL) under connected clients that keep committing; it comes
        // back on the same port and data. Clients reconnect, nothing is lost, all converge. With
        // PostgreSQL a second server keeps serving its clients meanwhile.
        QFETCH(bool, postgres);
        if (postgres && !needPostgres())
            QSKIP(qPrintable(m_skip));
        QTemporaryDir dataDir;
        const QString url = postgres ? freshDatabase() : QString();
        QVERIFY(!postgres || !url.isEmpty());
        const QStringList storageArgs = postgres ? QStringList{u"--postgres"_s, url}
                                                 : QStringList{u"--data"_s, dataDir.path()};
        ServerProcess dying, steady;
        QVERIFY2(dying.start(storageArgs), qPrintable(dying.allStderr()));
        if (postgres)
            QVERIFY2(steady.start(storageArgs), qPrintable(steady.allStderr()));
        const quint16 port = dying.port;

        Clients clients;
        for (int i = 0; i < 4; ++i) {
            const bool onDying = !postgres || i < 2;
            clients.push_back(std::make_unique<Client>(StoreId, u"client-%1"_s.arg(i), wsUrl(onDying ? dying.port : steady.port)));
            QVERIFY(clients.back()->ok);
            clients.back()->sync->start();
        }
        int committed = commitConcurrently(clients, 10, u"before"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, committed), qPrintable(describe(clients)), Timeout);

        // Killed in the middle of traffic.
        committed += commitConcurrently(clients, 3, u"racing"_s);
        dying.kill();
        QTRY_VERIFY_WITH_TIMEOUT(clients[0]->sync->status() != SyncClient::Connected, Timeout);
        committed += commitConcurrently(clients, 5, u"while-down"_s);
        if (postgres) {
            // The other server's clients still sync with each other.
            QTRY_VERIFY_WITH_TIMEOUT(clients[2]->sync->pendingCount() == 0
                                             && clients[3]->sync->pendingCount() == 0,
                                     Timeout);
        }
        QVERIFY2(dying.start(storageArgs + QStringList{u"--port"_s, QString::number(port)}),
                 qPrintable(dying.allStderr()));
        QCOMPARE(dying.port, port);
        committed += commitConcurrently(clients, 5, u"after"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, committed), qPrintable(describe(clients)), Timeout);
        checkIdentical(clients);
        QCOMPARE(clients.front()->store.query(u"SELECT COUNT(*) FROM todos"_s).scalar().toInt(), 4 * 23);
        QCOMPARE(dying.stop(), 0);
        QCOMPARE(steady.stop(), 0);
        if (postgres) {
            QCOMPARE(storedEvents(url), committed);
        } else {
            ServerProcess check; // the data directory is free again: count through a fresh server
            QVERIFY(check.start({u"--data"_s, dataDir.path()}));
            Client late(StoreId, u"late"_s, wsUrl(check.port));
            late.sync->start();
            QVERIFY(late.sync->waitForSynced(Timeout));
            QCOMPARE(late.sync->upstreamHead(), committed);
            QCOMPARE(late.history(), clients.front()->history());
        }
    }

    void databaseRestart()
    {
        // The database goes down under two servers and their clients, and comes back: no server
        // restart, clients' pushes fail meanwhile and are retried, and the fan-out between the
        // servers works again.
        if (!needPostgres())
            QSKIP(qPrintable(m_skip));
        const QString url = freshDatabase();
        QVERIFY(!url.isEmpty());
        ServerProcess a, b;
        QVERIFY2(a.start({u"--postgres"_s, url}), qPrintable(a.allStderr()));
        QVERIFY2(b.start({u"--postgres"_s, url}), qPrintable(b.allStderr()));
        Clients clients;
        for (int i = 0; i < 4; ++i) {
            clients.push_back(std::make_unique<Client>(StoreId, u"client-%1"_s.arg(i), wsUrl(i < 2 ? a.port : b.port)));
            clients.back()->sync->start();
        }
        int committed = commitConcurrently(clients, 5, u"before"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, committed), qPrintable(describe(clients)), Timeout);

        QVERIFY(m_cluster->stop());
        committed += commitConcurrently(clients, 3, u"db-down"_s);
        QTest::qWait(500); // pushes fail with StorageError and are retried
        for (const auto &c : clients)
            QVERIFY(c->sync->pendingCount() > 0);
        QVERIFY2(m_cluster->start(), qPrintable(m_cluster->errorString()));
        committed += commitConcurrently(clients, 3, u"db-back"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, committed), qPrintable(describe(clients)), Timeout);
        checkIdentical(clients);
        QCOMPARE(storedEvents(url), committed);
        QVERIFY2(a.allStderr().contains(u"database connection restored"_s), qPrintable(a.allStderr()));
        measureLatency(*clients[0], *clients[2], "after the database restart, A to B");
        QCOMPARE(a.stop(), 0);
        QCOMPARE(b.stop(), 0);
    }

    // The store's data is wiped from the database while a server serves it (a restored or
    // replaced database): after the server's reconnect the store has a new backend id; the live
    // pulls end with BackendIdMismatchError, the clients reset (their default policy) and sync on
    // the new backend.
    void databaseReplaced()
    {
        if (!needPostgres())
            QSKIP(qPrintable(m_skip));
        const QString url = freshDatabase();
        QVERIFY(!url.isEmpty());
        ServerProcess server;
        QVERIFY2(server.start({u"--postgres"_s, url}), qPrintable(server.allStderr()));
        Clients clients;
        for (int i = 0; i < 2; ++i) {
            clients.push_back(std::make_unique<Client>(StoreId, u"client-%1"_s.arg(i), wsUrl(server.port)));
            clients.back()->sync->start();
        }
        const int before = commitConcurrently(clients, 4, u"old"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, before), qPrintable(describe(clients)), Timeout);

        bool ok = false;
        m_cluster->psql(u"DELETE FROM events; DELETE FROM stores;"_s, url.section(u'/', -1), &ok);
        QVERIFY(ok);
        QVERIFY(m_cluster->stop());
        QVERIFY2(m_cluster->start(), qPrintable(m_cluster->errorString()));

        // The clients learn it from their pulls, forget the old backend's data, and start over.
        QTRY_VERIFY2_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(), [](const auto &c) {
                                      return c->sync->lastError().contains(u"backend id mismatch"_s)
                                              || c->store.eventCount() == 0;
                                  }),
                                  qPrintable(describe(clients)), Timeout);
        QTRY_VERIFY2_WITH_TIMEOUT(server.allStderr().contains(u"store data replaced in the database"_s),
                                  qPrintable(server.allStderr()), Timeout);
        const int after = commitConcurrently(clients, 3, u"new"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(converged(clients, after), qPrintable(describe(clients)), Timeout);
        checkIdentical(clients);
        QCOMPARE(storedEvents(url), after);
        QCOMPARE(clients.front()->store.query(u"SELECT count(*) FROM todos WHERE id LIKE 'old%'"_s).scalar().toInt(), 0);
        QCOMPARE(server.stop(), 0);
    }

    void staleHeadNeverRefusesTheHead()
    {
        // Node A refuses pushes below the head it knows without asking the database. Here its
        // knowledge is made stale on purpose (B's notifications held back): pushes behind are
        // still refused from memory, and a push on the database's real head, ahead of what A
        // knows, goes through. Live pulls on A get every event once, in order, throughout.
        if (!needPostgres())
            QSKIP(qPrintable(m_skip));
        const QString url = freshDatabase();
        QVERIFY(!url.isEmpty());
        Node a, b;
        QVERIFY(a.start(url, true));
        QVERIFY(b.start(url));
        CountingSyncStorage &storage = *a.counting;
        WsTestClient watcher, pusherA, pusherB;
        for (WsTestClient *c : {&watcher, &pusherA})
            QVERIFY(c->open(a.url()));
        QVERIFY(pusherB.open(b.url()));
        watcher.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload());
        QVERIFY(watcher.chunkOf(u"7"_s));
        auto exitTag = [](const std::optional<QJsonObject> &exit) {
            return exit ? exit->value(u"exit").toObject().value(u"_tag").toString() : u"none"_s;
        };
        auto aheadError = [](const std::optional<QJsonObject> &exit) {
            return exit->value(u"exit").toObject().value(u"cause").toObject().value(u"error").toObject();
        };
        pusherA.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(1, 3)));
        QCOMPARE(exitTag(pusherA.exitOf(u"1"_s)), u"Success"_s);
        QTRY_VERIFY_WITH_TIMEOUT(isRange(pulled(watcher), 1, 3), Timeout);

        // B appends e4..e6; A does not hear of it and still believes the head is e3.
        storage.holdNotifications = true;
        pusherB.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(4, 3)));
        QCOMPARE(exitTag(pusherB.exitOf(u"1"_s)), u"Success"_s);
        QTRY_VERIFY_WITH_TIMEOUT(!storage.held.isEmpty(), Timeout);
        QVERIFY(isRange(pulled(watcher), 1, 3));

        // Behind even the stale head: refused without a storage call.
        CountingSyncStorage::Calls before = storage.calls;
        pusherA.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(2, 1)));
        const auto behind = pusherA.exitOf(u"2"_s);
        QCOMPARE(aheadError(behind).value(u"_tag").toString(), u"ServerAheadError"_s);
        QCOMPARE(aheadError(behind).value(u"providedNum").toInt(), 1);
        QCOMPARE(storage.calls.total(), before.total());

        // On the stale head: the database refuses it with the real head, and A's live pulls
        // catch up to that head at once (the refused client waits for exactly that).
        pusherA.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(4, 1)));
        const auto stale = pusherA.exitOf(u"3"_s);
        QCOMPARE(aheadError(stale).value(u"minimumExpectedNum").toInt(), 6);
        QCOMPARE(storage.calls.append, before.append + 1);
        QTRY_VERIFY_WITH_TIMEOUT(isRange(pulled(watcher), 1, 6), Timeout);

        // B appends e7..e8, unheard of again; a push through A on the real head e8, ahead of
        // the e6 A knows, is stored, and the watcher gets e7..e9 once each.
        pusherB.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(7, 2)));
        QCOMPARE(exitTag(pusherB.exitOf(u"2"_s)), u"Success"_s);
        before = storage.calls;
        pusherA.request(u"4"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(9, 1)));
        QCOMPARE(exitTag(pusherA.exitOf(u"4"_s)), u"Success"_s);
        QCOMPARE(storage.calls.append, before.append + 1);
        QTRY_VERIFY_WITH_TIMEOUT(isRange(pulled(watcher), 1, 9), Timeout);

        // The late notifications change nothing; the next push on e9 goes through.
        storage.releaseNotifications();
        pusherA.request(u"5"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(10, 1)));
        QCOMPARE(exitTag(pusherA.exitOf(u"5"_s)), u"Success"_s);
        QTRY_VERIFY_WITH_TIMEOUT(isRange(pulled(watcher), 1, 10), Timeout);
        QCOMPARE(storedEvents(url), 10);
    }

    void fanOutExactlyOnce()
    {
        // In-process: pushes through node B race three live pulls on node A (one from scratch
        // with slow Acks, one from a middle cursor, one that joins late). Every pull sees every
        // event once, in order: A learns of B's pushes only through notifications.
        if (!needPostgres())
            QSKIP(qPrintable(m_skip));
        const QString url = freshDatabase();
        QVERIFY(!url.isEmpty());
        Node a, b;
        QVERIFY(a.start(url));
        QVERIFY(b.start(url));
        WsTestClient pusher;
        QVERIFY(pusher.open(b.url()));
        pusher.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(1, 100)));
        pusher.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(101, 100)));
        pusher.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(201, 50)));
        QVERIFY(pusher.exitOf(u"3"_s));

        WsTestClient slow, middle, late;
        slow.ackDelayMs = 3;
        for (WsTestClient *c : {&slow, &middle, &late})
            QVERIFY(c->open(a.url()));
        slow.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload());
        QVERIFY(slow.chunkOf(u"7"_s, 5000));
        const QString backendId = slow.all.constFirst().value(u"values").toArray().at(0).toObject()
                                          .value(u"backendId").toString();
        QCOMPARE(backendId, b.storage.store(StoreId)->backendId);
        middle.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload(120, backendId));
        constexpr int Batches = 30;
        constexpr int PerBatch = 10;
        for (int i = 0; i < Batches; ++i) {
            pusher.request(QString::number(100 + i), u"SyncWsRpc.Push"_s,
                           pushPayload(eventsJson(251 + i * PerBatch, PerBatch)));
            if (i == Batches / 2)
                late.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload());
            if (i >= Batches / 2)
                QTest::qWait(2);
        }
        qint64 head = 250 + Batches * PerBatch;
        for (const auto &[client, from] : {std::pair{&slow, qint64(1)}, std::pair{&middle, qint64(121)},
                                           std::pair{&late, qint64(1)}}) {
            QTRY_COMPARE_WITH_TIMEOUT(pulled(*client).size(), head - from + 1, Timeout);
            QVERIFY(isRange(pulled(*client), from, head));
        }
        for (int i = 0; i < Batches; ++i) {
            const auto exit = pusher.exitOf(QString::number(100 + i));
            QVERIFY(exit);
            QCOMPARE(exit->value(u"exit").toObject().value(u"_tag").toString(), u"Success"_s);
        }

        // Notifications missed: A's connection is cut (B's stays), another writer appends, and
        // only then does A's event loop run again. A reconnects and re-reads the head.
        QSignalSpy resync(&a.storage, &SyncStorage::storesMayHaveAdvanced);
        QSignalSpy resyncB(&b.storage, &SyncStorage::storesMayHaveAdvanced);
        bool ok = false;
        const QString terminated = cutServerConnections(url, &ok);
        QVERIFY2(ok, qPrintable(m_cluster->errorString()));
        QCOMPARE(terminated, u"2"_s); // A's and B's
        PostgresSyncStorage writer;
        QVERIFY(writer.open(url));
        QList<Wire::Event> batch;
        for (int i = 1; i <= 5; ++i) {
            Wire::Event e;
            e.name = u"v1.TodoCreated"_s;
            e.argsJson = R"({"id":"missed","text":"x"})";
            e.seqNum = head + i;
            e.parentSeqNum = head + i - 1;
            e.clientId = u"writer"_s;
            e.sessionId = u"writer"_s;
            batch.append(e);
        }
        QCOMPARE(writer.append(StoreId, batch, Wire::isoTimestamp()).status,
                 SyncStorage::AppendResult::Status::Appended);
        head += 5;
        QTRY_VERIFY_WITH_TIMEOUT(!resync.isEmpty(), Timeout);
        for (WsTestClient *c : {&slow, &middle, &late})
            QTRY_COMPARE_WITH_TIMEOUT(pulled(*c).constLast(), head, Timeout);
        QVERIFY(isRange(pulled(slow), 1, head));
        QVERIFY(isRange(pulled(middle), 121, head));
        QVERIFY(isRange(pulled(late), 1, head));
        // And the fan-out goes on over the new connections. B lost its connection too: push once
        // it has noticed and reconnected (a push that meets the dead connection first fails with
        // a StorageError, which a client retries; this test does not).
        QTRY_VERIFY_WITH_TIMEOUT(!resyncB.isEmpty(), Timeout);
        pusher.request(u"200"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(head + 1, 3)));
        head += 3;
        for (WsTestClient *c : {&slow, &middle, &late})
            QTRY_COMPARE_WITH_TIMEOUT(pulled(*c).constLast(), head, Timeout);
        QVERIFY(isRange(pulled(slow), 1, head));
        QVERIFY(isRange(pulled(late), 1, head));
    }

    void replacedStoreOnAnOpenSocket()
    {
        // In-process: the store's data is replaced in the database (a new backend id) and the
        // server reconnects. A WebSocket that was open before does not go on with the old hub:
        // a pull with the old backend id is refused, a push with the new one is taken.
        if (!needPostgres())
            QSKIP(qPrintable(m_skip));
        const QString url = freshDatabase();
        QVERIFY(!url.isEmpty());
        Node a;
        QVERIFY(a.start(url));
        WsTestClient c;
        QVERIFY(c.open(a.url()));
        c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(1, 3)));
        QVERIFY(c.exitOf(u"1"_s));
        const QString oldId = a.storage.store(StoreId)->backendId;
        const QString newId = u"replacedreplacedrepla"_s;
        bool ok = false;
        m_cluster->psql(u"DELETE FROM events; UPDATE stores SET backendId = '%1', head = 0"_s.arg(newId),
                        url.section(u'/', -1), &ok);
        QVERIFY(ok);
        QSignalSpy resync(&a.storage, &SyncStorage::storesMayHaveAdvanced);
        cutServerConnections(url, &ok);
        QVERIFY(ok);
        QTRY_VERIFY_WITH_TIMEOUT(!resync.isEmpty(), Timeout);
        c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(3, oldId));
        const auto refused = c.exitOf(u"2"_s);
        QVERIFY(refused);
        const QJsonObject error = refused->value(u"exit").toObject().value(u"cause").toObject()
                                          .value(u"error").toObject();
        QCOMPARE(error.value(u"_tag").toString(), u"BackendIdMismatchError"_s);
        QCOMPARE(error.value(u"expected").toString(), newId);
        c.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(eventsJson(1, 1), newId));
        const auto taken = c.exitOf(u"3"_s);
        QVERIFY(taken);
        QCOMPARE(taken->value(u"exit").toObject().value(u"_tag").toString(), u"Success"_s);
    }

private:
    // Ends every sync server's connection to the database of `url`, as a database restart
    // would; the number ended, as psql prints it.
    QString cutServerConnections(const QString &url, bool *ok)
    {
        return m_cluster->psql(u"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> "
                               u"pg_backend_pid() AND application_name = 'livestore-sync-server' AND datname = '%1'"_s
                                       .arg(url.section(u'/', -1)),
                               u"postgres"_s, ok);
    }

    std::unique_ptr<PgCluster> m_cluster;
    QString m_skip;
    int m_databases = 0;
};

QTEST_GUILESS_MAIN(tst_SyncNodes)
#include "tst_syncnodes.moc"
