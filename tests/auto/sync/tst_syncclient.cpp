// SPDX-License-Identifier: BSD-3-Clause
// SyncClient against the in-process sync server on 127.0.0.1: stores committing concurrently
// converge on one history and one state; offline commits go out after a server restart; a reset
// backend makes clients wipe and re-pull (or stop); client-only events stay local; args echo
// byte for byte; a long catch-up leaves the event loop turns between its pages, and the client
// or the store going away in the middle of it loses nothing.


#include "syncedclient.h"

#include <livequerymodel.h>
#include <sqlitesyncstorage.h>
#include <store.h>
#include <sync/syncclient.h>
#include <sync/wireprotocol.h>
#include <syncengine_p.h>
#include <syncserver.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qpointer.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qset.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtWebSockets/qwebsocket.h>
#include <QtWebSockets/qwebsocketserver.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int Timeout = 20'000;
const QString StoreId = u"todos-sync"_s;

struct ServerFixture
{
    QTemporaryDir tempDir;
    std::unique_ptr<SqliteSyncStorage> storage;
    std::unique_ptr<SyncServer> server;
    quint16 port = 0;

    bool start(const QString &dataDir = {}, quint16 atPort = 0, const SyncHooks &hooks = {})
    {
        storage = std::make_unique<SqliteSyncStorage>();
        if (!storage->open(dataDir.isEmpty() ? tempDir.path() : dataDir)) {
            qWarning() << storage->errorString();
            return false;
        }
        server = std::make_unique<SyncServer>(storage.get());
        SyncServerOptions options;
        options.port = atPort;
        server->setOptions(options);
        server->setHooks(hooks);
        if (!server->listen()) {
            qWarning() << server->errorString();
            return false;
        }
        port = server->serverPort();
        return true;
    }

    void stop()
    {
        if (!server)
            return;
        QSignalSpy closed(server.get(), &SyncServer::closed);
        server->close(1000);
        closed.wait(5000);
        server.reset();
        storage.reset();
    }

    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1"_s.arg(port)); }
    qint64 serverEventCount() const
    {
        return storage ? storage->count(StoreId, 0, std::numeric_limits<qint64>::max()).value_or(-1) : -1;
    }
};

// A WebSocket server that plays a sync server badly, as a test scripts it: it answers Ping with
// Pong and a pull with one empty NoMore page (backend "b"), and hands every other request, with
// the connection's index, to `onRequest` (which may answer it, or not).
struct ScriptedServer
{
    explicit ScriptedServer(QObject *context,
                            std::function<void(QWebSocket *, int, const QJsonObject &)> onRequest = {},
                            std::function<bool(QWebSocket *, const QJsonObject &)> onPull = {})
    {
        listening = ws.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&ws, &QWebSocketServer::newConnection, context, [this, context, onRequest, onPull] {
            QWebSocket *s = ws.nextPendingConnection();
            s->setParent(&ws); // the caller owns it: gone with the server
            const int index = connections++;
            requestsOnConnection.append(0);
            QObject::connect(s, &QWebSocket::textMessageReceived, context,
                             [this, s, index, onRequest, onPull](const QString &text) {
                const QJsonObject f = QJsonDocument::fromJson(text.toUtf8()).object();
                const QString tag = f.value(u"_tag").toString();
                if (tag == u"Ping") {
                    s->sendTextMessage(u"{\"_tag\":\"Pong\"}"_s);
                } else if (tag == u"Request" && f.value(u"tag").toString() == u"SyncWsRpc.Pull") {
                    if (onPull && onPull(s, f))
                        return;
                    s->sendTextMessage(u"{\"_tag\":\"Chunk\",\"requestId\":\"%1\",\"values\":[{\"batch\":[],"
                                        "\"pageInfo\":{\"_tag\":\"NoMore\"},\"backendId\":\"b\"}]}"_s
                                               .arg(f.value(u"id").toString()));
                } else if (tag == u"Request") {
                    ++requestsOnConnection[index];
                    if (onRequest)
                        onRequest(s, index, f);
                }
            });
        });
    }
    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1"_s.arg(ws.serverPort())); }

    QWebSocketServer ws{u"scripted"_s, QWebSocketServer::NonSecureMode};
    bool listening = false;
    int connections = 0;
    QList<int> requestsOnConnection; // requests other than pulls, per connection
};

// The store id every client of these tests shares.
struct Client : SyncedClient
{
    explicit Client(const QString &clientId, const Schema &schema = todoSchema())
        : SyncedClient(StoreId, clientId, {}, schema)
    {
    }
};

using Clients = std::vector<std::unique_ptr<Client>>;

Clients makeClients(int n, const QUrl &url)
{
    Clients out;
    for (int i = 0; i < n; ++i) {
        auto c = std::make_unique<Client>(u"client-%1"_s.arg(QChar(u'A' + i)));
        c->sync->setUrl(url);
        out.push_back(std::move(c));
    }
    return out;
}

// A stand-in sync server that answers a pull with every event after its cursor at once, before
// the client could acknowledge anything: a Chunk frame per page of 100 events, or all pages in
// one Chunk. Our server sends the next catch-up page only when the last is acknowledged, so its
// pages come a turn of the event loop apart; a client can still get many in one turn (a server
// that puts several pages in a chunk, a socket read after a stall, live updates of many
// writers). This one makes that certain.
struct BurstServer
{
    explicit BurstServer(int events, bool oneFrame = false) : oneFrame(oneFrame)
    {
        for (int i = 1; i <= events; ++i) {
            Wire::PulledEvent e;
            e.event.name = u"v1.TodoCreated"_s;
            e.event.argsJson = u"{\"id\":\"t%1\",\"text\":\"todo %2\"}"_s.arg(i, 5, 10, QChar(u'0')).arg(i).toUtf8();
            e.event.seqNum = i;
            e.event.parentSeqNum = i - 1;
            e.event.clientId = u"burst"_s;
            e.event.sessionId = u"burst-session"_s;
            items.append(Wire::encodePulledEvent(e));
        }
    }
    ~BurstServer() { qDeleteAll(sockets); }

    bool start()
    {
        if (!ws.listen(QHostAddress::LocalHost, 0))
            return false;
        QObject::connect(&ws, &QWebSocketServer::newConnection, &ws, [this] {
            QWebSocket *s = ws.nextPendingConnection();
            sockets.append(s);
            QObject::connect(s, &QWebSocket::textMessageReceived, &ws,
                             [this, s](const QString &text) { onText(s, text); });
        });
        return true;
    }

    void onText(QWebSocket *s, const QString &text)
    {
        QString error;
        const std::optional<Wire::ClientFrame> frame = Wire::parseClientFrame(text.toUtf8(), &error);
        if (!frame)
            return;
        if (frame->type == Wire::ClientFrame::Type::Ping)
            s->sendTextMessage(QString::fromUtf8(Wire::encodePong()));
        if (frame->type != Wire::ClientFrame::Type::Request || frame->request.tag != Wire::WsPullTag)
            return;
        const std::optional<Wire::PullRequest> pull = Wire::decodePullRequest(frame->request, &error);
        if (!pull)
            return;
        const qint64 after = pull->cursor ? pull->cursor->eventSequenceNumber : 0;
        cursors.append(after);
        const qint64 total = items.size();
        QList<QByteArray> pages;
        for (qint64 from = after; from < total || pages.isEmpty(); from += Wire::MaxEventsPerMessage) {
            const qint64 count = std::min<qint64>(Wire::MaxEventsPerMessage, total - from);
            const qint64 remaining = total - from - count;
            pages.append(Wire::encodePullResponse(items, from, count,
                                                  remaining > 0 ? Wire::PageInfo::moreKnown(remaining)
                                                                : Wire::PageInfo::noMore(),
                                                  backendId));
        }
        if (oneFrame) {
            s->sendTextMessage(QString::fromUtf8(Wire::encodeChunk(frame->request.id, pages)));
        } else {
            for (const QByteArray &page : std::as_const(pages))
                s->sendTextMessage(QString::fromUtf8(Wire::encodeChunk(frame->request.id, {page})));
        }
    }

    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1"_s.arg(ws.serverPort())); }

    QWebSocketServer ws{u"burst"_s, QWebSocketServer::NonSecureMode};
    QList<QWebSocket *> sockets;
    QList<QByteArray> items;
    QList<qint64> cursors; // where each pull started
    bool oneFrame = false;
    const QString backendId = u"burst-backend"_s;
};

// What a view of a store shows between two turns of the event loop during a catch-up.
struct CatchUpState
{
    int modelRows = 0;
    int todos = 0;
    qint64 upstreamHead = 0;
};

// A todo store on disk, syncing with a 1 ms apply budget (so that even a fast machine yields
// between pages).
StoreOptions diskStoreOptions(const QString &directory)
{
    StoreOptions o;
    o.storeId = StoreId;
    o.schema = todoSchema();
    o.directory = directory;
    o.recordChangesets = true;
    o.clientId = u"reader"_s;
    o.sessionId = u"reader-session"_s;
    return o;
}

int todoCount(Store &store)
{
    return store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt();
}

} // namespace

class tst_SyncClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void converges_data()
    {
        QTest::addColumn<int>("clientCount");
        QTest::newRow("2 clients") << 2;
        QTest::newRow("5 clients") << 5;
    }

    void converges()
    {
        QFETCH(int, clientCount);
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(clientCount, server.url());
        for (int i = 0; i < clientCount; ++i) {
            Client &c = *clients[i];
            QVERIFY(c.ok);
            // Before any sync: everyone has e1.. of their own; all but one will be rebased.
            for (int k = 0; k < 3; ++k)
                QVERIFY(c.create(u"%1-%2"_s.arg(i).arg(k), u"todo %1 of %2"_s.arg(k).arg(i)));
            QCOMPARE(c.sync->pendingCount(), 3);
        }
        QList<std::shared_ptr<QSignalSpy>> syncedSpies;
        for (auto &c : clients) {
            syncedSpies.append(std::make_shared<QSignalSpy>(c->sync.get(), &SyncClient::synced));
            c->sync->start();
        }
        // More while connected, concurrently with the first pushes and rebases.
        for (int i = 0; i < clientCount; ++i) {
            QVERIFY(clients[i]->complete(u"%1-0"_s.arg(i)));
            QVERIFY(clients[i]->create(u"%1-live"_s.arg(i), u"live"_s));
        }
        const qint64 total = 5 * clientCount;
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, total), Timeout);
        checkIdentical(clients);
        QCOMPARE(server.serverEventCount(), total);
        for (auto &c : clients)
            QCOMPARE(c->sync->status(), SyncClient::Connected);
        for (const auto &spy : std::as_const(syncedSpies))
            QVERIFY(!spy->isEmpty());
        QCOMPARE(clients.front()->store.query(u"SELECT COUNT(*) FROM todos"_s).scalar().toInt(),
                 4 * clientCount);
    }

    // pushCount, pushedEventCount and pulledEventCount: what went over the wire, since the client
    // was created. A pushes 250 events written offline (three pushes at most 100 each), B five;
    // every event reaches both through the pull (A's own as echoes). stop() and start() keep them.
    void trafficCounters()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        Client &a = *clients[0];
        Client &b = *clients[1];
        for (int i = 0; i < 250; ++i)
            QVERIFY(a.create(u"a%1"_s.arg(i), u"offline"_s));
        for (int i = 0; i < 5; ++i)
            QVERIFY(b.create(u"b%1"_s.arg(i), u"offline"_s));
        for (auto &c : clients) {
            QCOMPARE(c->sync->pushCount(), 0);
            QCOMPARE(c->sync->pushedEventCount(), 0);
            QCOMPARE(c->sync->pulledEventCount(), 0);
        }
        QSignalSpy pushedA(a.sync.get(), &SyncClient::eventsPushed);
        QSignalSpy pulledA(a.sync.get(), &SyncClient::eventsPulled);
        QSignalSpy pulledCountA(a.sync.get(), &SyncClient::pulledEventCountChanged);

        // A alone first: its pushes are never refused, so they are exactly ceil(250 / 100).
        a.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(a.sync->pendingCount() == 0 && a.sync->upstreamHead() == 250, Timeout);
        QCOMPARE(a.sync->pushCount(), 3);
        QCOMPARE(a.sync->pushedEventCount(), 250);
        QCOMPARE(a.sync->pulledEventCount(), 250); // the echoes of its own
        QCOMPARE(pushedA.size(), 3);
        int signalled = 0;
        for (const QList<QVariant> &args : std::as_const(pushedA))
            signalled += args.at(0).toInt();
        QCOMPARE(signalled, 250);
        QCOMPARE(pulledCountA.size(), pulledA.size());

        // B: its first push may be refused (the server is ahead) and go again after the rebase;
        // only the accepted one counts.
        b.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 255), Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(a.sync->pulledEventCount(), 255, Timeout);
        QCOMPARE(b.sync->pulledEventCount(), 255);
        QCOMPARE(b.sync->pushedEventCount(), 5);
        QCOMPARE(b.sync->pushCount(), 1);
        QCOMPARE(a.sync->pushedEventCount() + b.sync->pushedEventCount(), server.serverEventCount());

        // Stopping and starting again keeps the counts; new traffic adds to them.
        a.sync->stop();
        QCOMPARE(a.sync->pushCount(), 3);
        QCOMPARE(a.sync->pulledEventCount(), 255);
        QVERIFY(a.create(u"later"_s, u"after a restart"_s));
        a.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 256), Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(b.sync->pulledEventCount(), 256, Timeout);
        QCOMPARE(a.sync->pushCount(), 4);
        QCOMPARE(a.sync->pushedEventCount(), 251);
        QTRY_COMPARE_WITH_TIMEOUT(a.sync->pulledEventCount(), 256, Timeout);
    }

    void offlineThenReconnect()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        QVERIFY(clients[0]->create(u"a"_s, u"first"_s));
        for (auto &c : clients)
            c->sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 1), Timeout);

        const quint16 port = server.port;
        const QString dir = server.tempDir.path();
        server.stop();
        for (auto &c : clients)
            QTRY_VERIFY_WITH_TIMEOUT(c->sync->status() != SyncClient::Connected, Timeout);
        // Offline commits accumulate.
        QVERIFY(clients[0]->create(u"b"_s, u"offline A"_s));
        QVERIFY(clients[1]->create(u"c"_s, u"offline B"_s));
        QVERIFY(clients[1]->complete(u"a"_s));
        QCOMPARE(clients[0]->sync->pendingCount(), 1);
        QCOMPARE(clients[1]->sync->pendingCount(), 2);

        // The same data on the same port: the clients come back by themselves.
        QVERIFY(server.start(dir, port));
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 4), Timeout);
        checkIdentical(clients);
        QCOMPARE(server.serverEventCount(), 4);
    }

    // A client started while its store imports (Store::importFileAsync()) does not give up on
    // the refused writes: the pulled pages wait for the import, then the imported events are
    // rebased on top of them and pushed. (Its schema materializes TodoCreated in C++ rather than
    // SQL: the same rows, so the state matches the other client's.)
    void syncWaitsForAnImport()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients others = makeClients(1, server.url());
        for (int i = 0; i < 5; ++i)
            QVERIFY(others[0]->create(u"o%1"_s.arg(i), u"other %1"_s.arg(i)));
        others[0]->sync->start();
        QTRY_COMPARE_WITH_TIMEOUT(server.serverEventCount(), 5, Timeout);

        constexpr int Imported = 2'000;
        QTemporaryDir dir;
        QByteArray lines;
        for (int i = 1; i <= Imported; ++i) {
            lines += "{\"args\":{\"id\":\"i" + QByteArray::number(i) + "\",\"text\":\"imported\"},"
                     "\"clientId\":\"reader\",\"name\":\"v1.TodoCreated\",\"parentSeqNum\":"
                    + QByteArray::number(i - 1) + ",\"seqNum\":" + QByteArray::number(i)
                    + ",\"sessionId\":\"reader-session\"}\n";
        }
        const QString file = dir.filePath(u"export.jsonl"_s);
        {
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            QCOMPARE(out.write(lines), lines.size());
        }
        // The import's worker waits at its 1,000th event until the live pull has brought the
        // others' next event: the page certainly arrives while the store refuses writes.
        static std::atomic<bool> gateOpen;
        gateOpen = false;
        const Schema base = todoSchema();
        Schema gated;
        gated.addTable(*base.table(u"todos"));
        for (const ClientDocumentDef &document : base.clientDocuments())
            gated.addClientDocument(document);
        for (const EventDef &e : base.events()) {
            if (e.isDerived)
                continue;
            if (e.name != u"v1.TodoCreated"_s) {
                gated.addEvent(e);
                continue;
            }
            gated.addEvent(EventDef::synced(e.name)
                                   .arg(u"id"_s, ArgType::String)
                                   .arg(u"text"_s, ArgType::String)
                                   .materialize([](const EventRecord &r, MaterializerContext &) -> Writes {
                                       if (r.arg(u"id"_s) == u"i1000"_s) {
                                           for (int waited = 0; !gateOpen && waited < Timeout; ++waited)
                                               QThread::msleep(1);
                                       }
                                       return {Query::insert(u"todos"_s, {{u"id"_s, r.arg(u"id"_s)},
                                                                          {u"text"_s, r.arg(u"text"_s)}})};
                                   }));
        }
        StoreOptions options = diskStoreOptions(dir.filePath(u"store"_s));
        options.schema = gated;
        Store store;
        QVERIFY2(store.open(options), qPrintable(store.errorString()));
        SyncClient sync(&store);
        sync.setUrl(server.url());
        // Once connected it stays so: no error, not even for a moment, and no reconnect.
        bool connectedOnce = false;
        QStringList leftConnected;
        connect(&sync, &SyncClient::statusChanged, this, [&] {
            if (sync.status() == SyncClient::Connected)
                connectedOnce = true;
            else if (connectedOnce || sync.status() == SyncClient::Error)
                leftConnected.append(u"status %1: %2"_s.arg(int(sync.status())).arg(sync.lastError()));
        });
        QSignalSpy finished(&store, &Store::importFinished);
        QVERIFY2(store.importFileAsync(file), qPrintable(store.errorString()));
        sync.start(); // while the import runs: the store refuses writes
        QVERIFY(store.isImporting());
        QVERIFY2(sync.status() != SyncClient::Error, qPrintable(sync.lastError()));
        QTRY_COMPARE_WITH_TIMEOUT(sync.status(), SyncClient::Connected, Timeout);
        QVERIFY(others[0]->create(u"o5"_s, u"while importing"_s));
        QTRY_COMPARE_WITH_TIMEOUT(server.serverEventCount(), 6, Timeout);
        QTest::qWait(200); // the server's live page reaches the importing store
        QVERIFY(store.isImporting());
        QVERIFY2(sync.status() != SyncClient::Error, qPrintable(sync.lastError()));
        gateOpen = true;
        QVERIFY(finished.wait(Timeout));
        QCOMPARE(finished.at(0).at(0).toBool(), true);
        QTRY_COMPARE_WITH_TIMEOUT(server.serverEventCount(), 6 + Imported, Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(sync.pendingCount() == 0 && sync.upstreamHead() == 6 + Imported, Timeout);
        QVERIFY2(sync.status() != SyncClient::Error, qPrintable(sync.lastError()));
        QCOMPARE(todoCount(store), 6 + Imported);
        QTRY_COMPARE_WITH_TIMEOUT(todoCount(others[0]->store), 6 + Imported, Timeout);
        QCOMPARE(store.stateDigest(), others[0]->store.stateDigest());
        QVERIFY2(store.verify(), qPrintable(store.errorString()));
        QCOMPARE(leftConnected, QStringList());
    }

    void backendReset()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        Client &resetting = *clients[0];
        Client &stopping = *clients[1];
        stopping.sync->setBackendIdMismatchPolicy(SyncClient::Shutdown);
        QCOMPARE(resetting.sync->backendIdMismatchPolicy(), SyncClient::Reset);
        QVERIFY(resetting.create(u"a"_s, u"old backend"_s));
        QVERIFY(stopping.create(u"b"_s, u"old backend"_s));
        for (auto &c : clients)
            c->sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 2), Timeout);

        // A new, empty backend on the same port: its backend id differs.
        const quint16 port = server.port;
        server.stop();
        QTemporaryDir freshDir;
        QVERIFY(server.start(freshDir.path(), port));
        QTRY_VERIFY_WITH_TIMEOUT(stopping.sync->status() == SyncClient::Error, Timeout);
        const QString newId = server.storage->store(StoreId)->backendId;
        QVERIFY2(stopping.sync->lastError().contains(newId), qPrintable(stopping.sync->lastError()));
        QVERIFY(stopping.sync->isActive());
        QCOMPARE(stopping.store.eventCount(), 2); // Shutdown keeps the local data

        // Reset: the local data is gone, the client syncs with the new backend from scratch.
        QTRY_VERIFY_WITH_TIMEOUT(resetting.store.eventCount() == 0
                                         && resetting.sync->status() == SyncClient::Connected,
                                 Timeout);
        QCOMPARE(resetting.store.query(u"SELECT COUNT(*) FROM todos"_s).scalar().toInt(), 0);
        QVERIFY(resetting.create(u"n"_s, u"new backend"_s));
        QTRY_VERIFY_WITH_TIMEOUT(resetting.sync->pendingCount() == 0 && resetting.sync->upstreamHead() == 1,
                                 Timeout);
        QCOMPARE(server.serverEventCount(), 1);
        QVERIFY(resetting.store.verify());

        // Shutdown stays down until restarted, then follows its own (Shutdown) policy again.
        QTest::qWait(300);
        QCOMPARE(stopping.sync->status(), SyncClient::Error);
        QCOMPARE(server.serverEventCount(), 1);
        server.stop(); // before freshDir, which holds its lock file, goes away
    }

    void largeBacklogInBatches()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        // More than one push (≤100 events each) and more than one pull page.
        QVERIFY(clients[0]->store.commit(bulkTodos(250)));
        QVERIFY(clients[1]->create(u"other"_s, u"from B"_s));
        for (auto &c : clients)
            c->sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 251), Timeout);
        checkIdentical(clients);
        QCOMPARE(server.serverEventCount(), 251);
    }

    // The server's push hook as a game rule: one move per player per turn. A second move in a
    // turn is refused with a reason the client sees; the move stays pending (LiveStore clients
    // retry refused pushes), and the other players go on.
    void pushHookEnforcesOneMovePerTurn()
    {
        Schema game;
        game.addTable(TableDef{u"moves"_s}
                              .column(ColumnDef::text(u"player"_s).primaryKey())
                              .column(ColumnDef::integer(u"turn"_s).primaryKey())
                              .column(ColumnDef::text(u"move"_s)));
        game.addEvent(EventDef::synced(u"v1.MoveMade"_s)
                              .arg(u"player"_s, ArgType::String)
                              .arg(u"turn"_s, ArgType::Integer)
                              .arg(u"move"_s, ArgType::String)
                              .materializeSql({u"INSERT OR REPLACE INTO moves VALUES ($player, $turn, $move)"_s}));

        QSet<QString> taken; // "player/turn" of every accepted move
        auto key = [](const Wire::Event &e) -> QString {
            const QJsonObject args = e.args().toObject();
            return args.value(u"player"_s).toString() + u'/' + QString::number(args.value(u"turn"_s).toInteger());
        };
        SyncHooks hooks;
        hooks.onPush = [&](const Wire::PushRequest &push, const RequestInfo &) -> std::optional<QString> {
            QSet<QString> inBatch;
            for (const Wire::Event &e : push.batch) {
                if (e.name != u"v1.MoveMade")
                    continue;
                const QString k = key(e);
                if (taken.contains(k) || inBatch.contains(k))
                    return u"one move per turn: %1 has already moved in turn %2"_s.arg(
                            k.section(u'/', 0, 0), k.section(u'/', 1));
                inBatch.insert(k);
            }
            return std::nullopt;
        };
        hooks.onPushAccepted = [&](const QString &, const QList<Wire::Event> &batch) {
            for (const Wire::Event &e : batch)
                taken.insert(key(e));
        };
        ServerFixture server;
        QVERIFY(server.start({}, 0, hooks));

        struct Player
        {
            Store store;
            std::unique_ptr<SyncClient> sync;
        };
        auto join = [&](const QString &name) {
            auto p = std::make_unique<Player>();
            StoreOptions o;
            o.storeId = u"game"_s;
            o.schema = game;
            o.inMemory = true;
            o.recordChangesets = true;
            o.clientId = name;
            if (!p->store.open(o))
                return std::unique_ptr<Player>();
            p->sync = std::make_unique<SyncClient>(&p->store);
            p->sync->setUrl(server.url());
            p->sync->setInitialReconnectDelay(50);
            p->sync->setMaxReconnectDelay(200);
            p->sync->start();
            return p;
        };
        auto move = [](Player &p, const QString &player, int turn, const QString &what) {
            return p.store.commit(u"v1.MoveMade"_s, {{u"player"_s, player}, {u"turn"_s, turn}, {u"move"_s, what}});
        };
        std::unique_ptr<Player> alice = join(u"alice"_s), bob = join(u"bob"_s);
        QVERIFY(alice && bob);
        QVERIFY(move(*alice, u"alice"_s, 1, u"e4"_s));
        QVERIFY(alice->sync->waitForSynced(Timeout));

        // A second move in turn 1: refused, with the rule's words.
        QVERIFY(move(*alice, u"alice"_s, 1, u"d4"_s));
        QTRY_VERIFY_WITH_TIMEOUT(alice->sync->lastError().contains(u"alice has already moved in turn 1"_s), Timeout);
        QVERIFY2(alice->sync->lastError().contains(u"PushRejected"_s), qPrintable(alice->sync->lastError()));
        QCOMPARE(alice->sync->pendingCount(), 1);
        QCOMPARE(alice->sync->status(), SyncClient::Connected);

        // Bob's turn-1 move goes through; the server kept only Alice's first.
        QVERIFY(move(*bob, u"bob"_s, 1, u"e5"_s));
        QVERIFY(bob->sync->waitForSynced(Timeout));
        QCOMPARE(bob->store.query(u"SELECT player || ':' || move FROM moves ORDER BY player"_s).rows().size(), 2);
        QCOMPARE(bob->store.query(u"SELECT move FROM moves WHERE player = 'alice'"_s).scalar().toString(), u"e4"_s);
        QCOMPARE(server.storage->count(u"game"_s, 0, 100).value_or(-1), 2);
        QCOMPARE(alice->sync->pendingCount(), 1);
        alice->sync->stop();
    }

    // Catch-up on a new connection: progress from the server's counts, caughtUp at the end,
    // eventsPulled in order, waitForSynced() for tools; caughtUp ends with the connection.
    void catchUpProgressAndWaitForSynced()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        QVERIFY(clients[0]->store.commit(bulkTodos(250)));
        clients[0]->sync->start();
        QVERIFY(clients[0]->sync->waitForSynced(Timeout));
        QCOMPARE(clients[0]->sync->pendingCount(), 0);
        QVERIFY(clients[0]->sync->isCaughtUp());

        SyncClient &reader = *clients[1]->sync;
        QCOMPARE(reader.isCaughtUp(), false);
        QList<qreal> progress;
        connect(&reader, &SyncClient::catchUpProgressChanged, this,
                [&] { progress.append(reader.catchUpProgress()); });
        QList<qint64> pulled;
        connect(&reader, &SyncClient::eventsPulled, this, [&](const QList<EventRecord> &events) {
            for (const EventRecord &e : events)
                pulled.append(e.seqNum.global);
        });
        QSignalSpy caughtUp(&reader, &SyncClient::caughtUpChanged);
        reader.start();
        QVERIFY(reader.waitForSynced(Timeout));
        QVERIFY(reader.isCaughtUp());
        QCOMPARE(reader.catchUpProgress(), 1.0);
        QCOMPARE(caughtUp.size(), 1);
        // Pages of 100: 0.4, 0.8, then 1.
        QCOMPARE(progress, (QList<qreal>{0.4, 0.8, 1.0}));
        QList<qint64> expected;
        for (qint64 i = 1; i <= 250; ++i)
            expected.append(i);
        QCOMPARE(pulled, expected);

        // A live event arrives through eventsPulled too; the echo of one's own as well.
        pulled.clear();
        QVERIFY(clients[0]->create(u"live"_s, u"live"_s));
        QTRY_COMPARE_WITH_TIMEOUT(pulled, QList<qint64>{251}, Timeout);

        server.stop();
        QTRY_COMPARE_WITH_TIMEOUT(reader.isCaughtUp(), false, Timeout);
        QCOMPARE(reader.catchUpProgress(), 0.0);
        QVERIFY(!reader.waitForSynced(200));
    }

    // A model on a synced store follows pulls and rebases with fine-grained signals, and ends as a
    // fresh query of the final state.
    void modelFollowsRebases()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        Client &a = *clients[0];
        Client &b = *clients[1];
        LiveQueryModel model(&b.store, Query::from(u"todos"_s).orderBy(u"id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        // B's offline edits touch rows A's history also touches: the rebase rolls them back,
        // applies A's, and re-applies B's.
        QVERIFY(a.create(u"t1"_s, u"from A"_s));
        QVERIFY(a.create(u"t2"_s, u"from A"_s));
        a.sync->start();
        QVERIFY(a.sync->waitForSynced(Timeout));
        QVERIFY(b.create(u"t3"_s, u"from B"_s));
        QVERIFY(b.create(u"t0"_s, u"from B"_s));
        QCOMPARE(model.rowCount(), 2);
        QVERIFY(a.complete(u"t2"_s));
        QVERIFY(a.sync->waitForSynced(Timeout));
        b.sync->start();
        QVERIFY(b.sync->waitForSynced(Timeout));
        QVERIFY(b.complete(u"t1"_s));
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 6), Timeout);
        checkIdentical(clients);
        QCOMPARE(resets.size(), 0);
        const QueryResult fresh = b.store.query(Query::from(u"todos"_s).orderBy(u"id"_s));
        QCOMPARE(model.rowCount(), fresh.rowCount());
        for (int r = 0; r < model.rowCount(); ++r) {
            for (int c = 0; c < model.columnCount(); ++c)
                QCOMPARE(model.data(model.index(r, c)), fresh.value(r, c));
        }
        QCOMPARE(model.rowCount(), 4);
    }

    void clientOnlyEventsStayLocal()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        Client &a = *clients[0];
        Client &b = *clients[1];
        QVERIFY(a.store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        QVERIFY(a.create(u"1"_s, u"synced"_s));
        QVERIFY(a.store.setClientDocument(u"uiState"_s, {{u"newTodoText"_s, u"draft"_s}}));
        QCOMPARE(a.sync->pendingCount(), 1);
        for (auto &c : clients)
            c->sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 1), Timeout);
        QCOMPARE(server.serverEventCount(), 1);
        QCOMPARE(a.history(), b.history());
        QCOMPARE(b.store.eventCount(), 1);
        QCOMPARE(a.store.eventCount(), 3);
        QCOMPARE(b.store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"all"_s);
        QCOMPARE(a.store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"active"_s);
        QCOMPARE(a.store.clientDocument(u"uiState"_s).value(u"newTodoText"_s).toString(), u"draft"_s);
        QVERIFY(a.store.verify());
    }

    // A peer pushed the same v1.TodoCreated twice (real LiveStore 0.4.0 clients were seen doing
    // it): every other client's materializer fails on the second one (UNIQUE todos.id). It must
    // not stop their sync, nor their local commits, and all of them must end in one state.
    void poisonedEventIsSkipped()
    {
        ServerFixture server;
        QVERIFY(server.start());
        // The buggy peer: its own TodoCreated ignores a duplicate id, so it commits both.
        Schema lenient;
        lenient.addTable(*todoSchema().table(u"todos"_s));
        lenient.addEvent(EventDef::synced(u"v1.TodoCreated"_s)
                                 .arg(u"id"_s, ArgType::String)
                                 .arg(u"text"_s, ArgType::String)
                                 .materializeSql({u"INSERT OR IGNORE INTO todos (id, text) VALUES ($id, $text)"_s}));
        Client peer(u"peer"_s, lenient);
        QVERIFY(peer.ok);
        QVERIFY(peer.create(u"dup"_s, u"first"_s));
        QVERIFY(peer.create(u"dup"_s, u"second"_s));
        peer.sync->setUrl(server.url());
        peer.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(peer.sync->pendingCount() == 0 && peer.sync->upstreamHead() == 2, Timeout);

        Client reader(u"reader"_s);
        QVERIFY(reader.ok);
        QSignalSpy skipped(reader.sync.get(), &SyncClient::eventSkipped);
        reader.sync->setUrl(server.url());
        reader.sync->start();
        // Local commits go on while the bad event arrives, and after it.
        for (int i = 0; i < 20; ++i) {
            QVERIFY2(reader.create(u"r%1"_s.arg(i), u"mine"_s), qPrintable(reader.store.errorString()));
            QTest::qWait(5);
        }
        QTRY_VERIFY_WITH_TIMEOUT(reader.sync->pendingCount() == 0 && reader.sync->upstreamHead() == 22,
                                 Timeout);
        QCOMPARE(skipped.count(), 1);
        QCOMPARE(reader.sync->skippedEventCount(), 1);
        const auto event = skipped.at(0).at(0).value<EventRecord>();
        QCOMPARE(event.seqNum, (SequenceNumber{2, 0, 0}));
        QVERIFY2(reader.sync->lastSkippedEvent().startsWith(u"e2 (v1.TodoCreated): "_s), qPrintable(reader.sync->lastSkippedEvent()));
        QVERIFY2(skipped.at(0).at(1).toString().contains(u"UNIQUE constraint failed: todos.id"_s),
                 qPrintable(skipped.at(0).at(1).toString()));
        QCOMPARE(reader.sync->status(), SyncClient::Connected);
        // The event is in the log without effect: the first text stays, and a replay agrees.
        QCOMPARE(reader.store.eventCount(), 22);
        QCOMPARE(reader.store.query(u"SELECT text FROM todos WHERE id = 'dup'"_s).scalar().toString(), u"first"_s);
        QVERIFY2(reader.store.verify(), qPrintable(reader.store.errorString()));

        // A client that joins later ends in the very same state.
        Client late(u"late"_s);
        late.sync->setUrl(server.url());
        late.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(late.sync->upstreamHead() == 22, Timeout);
        QCOMPARE(late.history(), reader.history());
        QCOMPARE(late.store.stateDigest(), reader.store.stateDigest());

        // Under the fail policy, sync stops at that event and says why; local commits still work.
        Schema strict = todoSchema();
        strict.setFailedEventPolicy(FailedEventPolicy::Fail);
        Client stuck(u"stuck"_s, strict);
        stuck.sync->setUrl(server.url());
        stuck.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(stuck.sync->lastError().contains(u"failed event policy: fail"_s), Timeout);
        QVERIFY2(stuck.sync->lastError().contains(u"e2 (v1.TodoCreated)"_s), qPrintable(stuck.sync->lastError()));
        for (int i = 0; i < 3; ++i)
            QVERIFY2(stuck.create(u"s%1"_s.arg(i), u"offline"_s), qPrintable(stuck.store.errorString()));
        QVERIFY(stuck.sync->upstreamHead() < 2); // the page with e2 was not taken
        QCOMPARE(stuck.sync->skippedEventCount(), 0);
    }

    void argsEchoUnchanged()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Clients clients = makeClients(2, server.url());
        const QString text = u"é ü ß 日本 😀 \"quoted\" back\\slash\nline\ttab \u0001 </script> \u2028"_s;
        QVERIFY(clients[0]->create(u"x"_s, text));
        QVERIFY(clients[1]->create(u"y"_s, u"plain"_s));
        for (auto &c : clients)
            c->sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(converged(clients, 2), Timeout);
        checkIdentical(clients);
        QCOMPARE(clients[1]->store.query(u"SELECT text FROM todos WHERE id = 'x'"_s).scalar().toString(), text);
        const auto stored = server.storage->read(StoreId, 0, 10, 10);
        QVERIFY(stored);
        bool found = false;
        for (const auto &e : *stored) {
            if (e.event.clientId == u"client-A"_s) {
                found = true;
                QCOMPARE(e.event.argsJson, clients[0]->store.events({.includeClientOnly = false})
                                                   .value(e.event.seqNum - 1).argsJson);
            }
        }
        QVERIFY(found);
    }

    void payloadAndPushRetry()
    {
        // The payload arrives intact in the URL (double-encoded there) and in every RPC; a push
        // failing with UnknownError is retried with backoff until it goes through.
        const QJsonObject payload{{u"authToken"_s, u"a b&c=d/é+%"_s}, {u"n"_s, 1}};
        QList<QJsonValue> urlPayloads;
        QList<QJsonValue> rpcPayloads;
        int rejections = 2;
        SyncHooks hooks;
        hooks.validatePayload = [&](const QJsonValue &p, const RequestInfo &) -> std::optional<QString> {
            urlPayloads.append(p);
            return std::nullopt;
        };
        hooks.onPull = [&](const Wire::PullRequest &pull, const RequestInfo &) -> std::optional<QString> {
            rpcPayloads.append(pull.payload);
            return std::nullopt;
        };
        hooks.onPush = [&](const Wire::PushRequest &push, const RequestInfo &) -> std::optional<QString> {
            rpcPayloads.append(push.payload);
            if (rejections > 0) {
                --rejections;
                return u"not yet"_s;
            }
            return std::nullopt;
        };
        ServerFixture server;
        QVERIFY(server.start({}, 0, hooks));
        Client c(u"R"_s);
        QVERIFY(c.ok);
        c.sync->setUrl(server.url());
        c.sync->setPayload(payload);
        QVERIFY(c.create(u"1"_s, u"one"_s));
        c.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(c.sync->pendingCount() == 0 && c.sync->upstreamHead() == 1, Timeout);
        QCOMPARE(rejections, 0);
        QVERIFY(c.sync->lastError().contains(u"not yet"_s));
        QCOMPARE(urlPayloads.size(), 1);
        QCOMPARE(urlPayloads.constFirst(), QJsonValue(payload));
        QCOMPARE(rpcPayloads.size(), 4); // a pull, two rejected pushes, the accepted one
        for (const QJsonValue &p : std::as_const(rpcPayloads))
            QCOMPARE(p, QJsonValue(payload));
    }

    // A server that answers pings but never replies to a push: after a ping interval without
    // the reply, the client opens a new connection and pushes again there.
    void unansweredPushReconnects()
    {
        ScriptedServer fake(this); // pushes get no reply, ever
        QVERIFY(fake.listening);
        const int &connections = fake.connections;
        const QList<int> &pushesOnConnection = fake.requestsOnConnection;
        Client c(u"U"_s);
        QVERIFY(c.ok);
        c.sync->setUrl(fake.url());
        c.sync->setPingInterval(200);
        c.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(c.sync->isCaughtUp(), Timeout);
        QVERIFY(c.create(u"1"_s, u"one"_s));
        QTRY_VERIFY_WITH_TIMEOUT(connections >= 2 && pushesOnConnection.at(1) == 1, Timeout);
        QCOMPARE(pushesOnConnection.at(0), 1);
        QCOMPARE(c.sync->pendingCount(), 1);
        c.sync->stop();
    }

    // A refusal naming a head the server never reaches (here 10^15; LiveStore's mock backend
    // names head + 1) held every later push back for good, on every connection, without an
    // error. The stall watchdog reconnects, says why, and the next connection pushes again.
    void refusalWithAWrongHeadDoesNotHoldPushesBack()
    {
        ScriptedServer fake(this, [](QWebSocket *s, int, const QJsonObject &f) {
            s->sendTextMessage(u"{\"_tag\":\"Exit\",\"requestId\":\"%1\",\"exit\":{\"_tag\":\"Failure\","
                                "\"cause\":{\"_tag\":\"Fail\",\"error\":{\"_tag\":\"ServerAheadError\","
                                "\"minimumExpectedNum\":1000000000000000,\"providedNum\":0}}}}"_s.arg(
                                       f.value(u"id").toString()));
        });
        QVERIFY(fake.listening);
        const QList<int> &pushesOnConnection = fake.requestsOnConnection;
        Client c(u"W"_s);
        QVERIFY(c.ok);
        QStringList errors; // the stall's error is cleared once the next connection caught up
        connect(c.sync.get(), &SyncClient::lastErrorChanged, this, [&] { errors.append(c.sync->lastError()); });
        c.sync->setUrl(fake.url());
        c.sync->setPingInterval(200);
        c.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(c.sync->isCaughtUp(), Timeout);
        QVERIFY(c.create(u"1"_s, u"one"_s));
        QTRY_VERIFY_WITH_TIMEOUT(pushesOnConnection.size() >= 2 && pushesOnConnection.at(1) >= 1, Timeout);
        QCOMPARE(pushesOnConnection.at(0), 1);
        QVERIFY2(errors.filter(u"did not send e1000000000000000"_s).size() >= 1, qPrintable(errors.join(u" | "_s)));
        QCOMPARE(c.sync->pendingCount(), 1);
        c.sync->stop();
    }

    // A server that reports a backend id mismatch to a store that never synced: nothing of
    // another backend to forget, and the store's unpushed events stay (they were wiped, and
    // the client reconnected at once, in a loop).
    void mismatchBeforeAnySyncWipesNothing()
    {
        ScriptedServer fake(this, {}, [](QWebSocket *s, const QJsonObject &f) {
            s->sendTextMessage(u"{\"_tag\":\"Exit\",\"requestId\":\"%1\",\"exit\":{\"_tag\":\"Failure\","
                                "\"cause\":{\"_tag\":\"Fail\",\"error\":{\"_tag\":\"BackendIdMismatchError\","
                                "\"expected\":\"other\",\"received\":\"\"}}}}"_s.arg(f.value(u"id").toString()));
            return true;
        });
        QVERIFY(fake.listening);
        const int &connections = fake.connections;
        Client c(u"M"_s);
        QVERIFY(c.ok);
        QVERIFY(c.create(u"1"_s, u"one"_s));
        QVERIFY(c.create(u"2"_s, u"two"_s));
        c.sync->setUrl(fake.url());
        c.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(c.sync->lastError().contains(u"has not synced with any backend yet"_s), Timeout);
        QTest::qWait(1500);
        QCOMPARE(c.store.eventCount(), 2);
        QCOMPARE(c.sync->pendingCount(), 2);
        // With backoff (the test client's starts at 50 ms and doubles), not in a loop.
        QVERIFY2(connections <= 10, qPrintable(QString::number(connections)));
        c.sync->stop();
    }

    // A frame the client cannot read (here: args nested deeper than Qt's JSON parser goes, as a
    // server without a nesting limit would relay) must not stall syncing without a word: it is
    // a sync error, and the client starts over on a new connection. A frame of a kind it does
    // not know (a newer server's) is ignored.
    void unreadableFrameIsAnError()
    {
        QWebSocketServer fake(u"fake"_s, QWebSocketServer::NonSecureMode);
        QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
        int connections = 0;
        const QByteArray deep = QByteArray("[").repeated(1100) + QByteArray("]").repeated(1100);
        connect(&fake, &QWebSocketServer::newConnection, this, [&] {
            QWebSocket *s = fake.nextPendingConnection();
            s->setParent(&fake); // the caller owns it: gone with the fake server
            ++connections;
            connect(s, &QWebSocket::textMessageReceived, this, [&, s](const QString &text) {
                const QJsonObject f = QJsonDocument::fromJson(text.toUtf8()).object();
                if (f.value(u"_tag").toString() != u"Request")
                    return;
                s->sendTextMessage(u"{\"_tag\":\"FutureThing\",\"x\":1}"_s);
                s->sendTextMessage(u"{\"_tag\":\"Chunk\",\"requestId\":\"%1\",\"values\":[{\"batch\":[{"
                                    "\"eventEncoded\":{\"name\":\"v1.TodoCreated\",\"args\":{\"id\":%2},"
                                    "\"seqNum\":1,\"parentSeqNum\":0,\"clientId\":\"x\",\"sessionId\":\"y\"}}],"
                                    "\"pageInfo\":{\"_tag\":\"NoMore\"},\"backendId\":\"b\"}]}"_s
                                           .arg(f.value(u"id").toString(), QString::fromLatin1(deep)));
            });
        });
        Client c(u"F"_s);
        QVERIFY(c.ok);
        c.sync->setUrl(QUrl(u"ws://127.0.0.1:%1"_s.arg(fake.serverPort())));
        c.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(c.sync->lastError().startsWith(u"the server sent a frame this client cannot read: "_s),
                                 Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(connections >= 2, Timeout);
        QVERIFY(!c.sync->isCaughtUp());
        QCOMPARE(c.sync->upstreamHead(), 0);
        QVERIFY(c.create(u"1"_s, u"still works"_s));
        c.sync->stop();
    }

    void framesOnTheWire()
    {
        // A fake server that records what the client sends, answers one page, then goes silent.
        QWebSocketServer fake(u"fake"_s, QWebSocketServer::NonSecureMode);
        QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
        QList<QWebSocket *> sockets;
        QList<QUrl> requestUrls;
        QList<QJsonObject> frames;
        connect(&fake, &QWebSocketServer::newConnection, this, [&] {
            QWebSocket *s = fake.nextPendingConnection();
            s->setParent(&fake); // the caller owns it: gone with the fake server
            sockets.append(s);
            requestUrls.append(s->requestUrl());
            connect(s, &QWebSocket::textMessageReceived, this, [&](const QString &text) {
                frames.append(QJsonDocument::fromJson(text.toUtf8()).object());
            });
        });
        auto framesOf = [&](const QString &tag) {
            QList<QJsonObject> out;
            for (const QJsonObject &f : std::as_const(frames)) {
                if (f.value(u"_tag").toString() == tag)
                    out.append(f);
            }
            return out;
        };

        Client c(u"W"_s);
        QVERIFY(c.ok);
        QVERIFY(c.create(u"1"_s, u"one"_s));
        c.sync->setUrl(QUrl(u"ws://127.0.0.1:%1"_s.arg(fake.serverPort())));
        c.sync->setPayload(QJsonObject{{u"authToken"_s, u"a b&c=d/é"_s}});
        c.sync->setPingInterval(300);
        c.sync->start();
        QTRY_COMPARE_WITH_TIMEOUT(framesOf(u"Request"_s).size(), 1, Timeout);
        QCOMPARE(requestUrls.constFirst().query(QUrl::FullyEncoded),
                 u"storeId=todos-sync&payload=%257B%2522authToken%2522%253A%2522a%2520b%2526c%253Dd"
                  "%252F%25C3%25A9%2522%257D&transport=ws"_s);
        QCOMPARE(frames.constFirst().value(u"_tag").toString(), u"Ping"_s);
        const QJsonObject pull = framesOf(u"Request"_s).constFirst();
        QCOMPARE(pull.value(u"id").toString(), u"0"_s);
        QCOMPARE(pull.value(u"tag").toString(), u"SyncWsRpc.Pull"_s);
        QCOMPARE(pull.value(u"headers").toArray(), QJsonArray());
        const QJsonObject pullPayload = pull.value(u"payload").toObject();
        QCOMPARE(pullPayload.value(u"live"), QJsonValue(true));
        QCOMPARE(pullPayload.value(u"cursor").toObject().value(u"_tag").toString(), u"None"_s);
        QCOMPARE(pullPayload.value(u"payload").toObject().value(u"authToken").toString(), u"a b&c=d/é"_s);

        // No push before the first page; chunks of unknown ids are ignored (not acked).
        QTest::qWait(100);
        QCOMPARE(framesOf(u"Request"_s).size(), 1);
        sockets.constFirst()->sendTextMessage(
                uR"({"_tag":"Chunk","requestId":"99","values":[{"batch":[],"pageInfo":{"_tag":"NoMore"},"backendId":"other"}]})"_s);
        sockets.constFirst()->sendTextMessage(
                uR"({"_tag":"Chunk","requestId":"0","values":[{"batch":[],"pageInfo":{"_tag":"NoMore"},"backendId":"fake-backend"}]})"_s);
        QTRY_COMPARE_WITH_TIMEOUT(framesOf(u"Request"_s).size(), 2, Timeout);
        const QList<QJsonObject> acks = framesOf(u"Ack"_s);
        QCOMPARE(acks.size(), 1);
        QCOMPARE(acks.constFirst().value(u"requestId").toString(), u"0"_s);
        const QJsonObject push = framesOf(u"Request"_s).at(1);
        QCOMPARE(push.value(u"id").toString(), u"1"_s);
        QCOMPARE(push.value(u"tag").toString(), u"SyncWsRpc.Push"_s);
        const QJsonObject pushPayload = push.value(u"payload").toObject();
        QCOMPARE(pushPayload.value(u"backendId").toObject(),
                 (QJsonObject{{u"_tag"_s, u"Some"_s}, {u"value"_s, u"fake-backend"_s}}));
        const QJsonArray batch = pushPayload.value(u"batch").toArray();
        QCOMPARE(batch.size(), 1);
        QCOMPARE(batch.at(0).toObject().value(u"seqNum").toInteger(), 1);
        QCOMPARE(batch.at(0).toObject().value(u"parentSeqNum").toInteger(), 0);
        QCOMPARE(batch.at(0).toObject().value(u"clientId").toString(), u"W"_s);

        // Silence (no Pong): the watchdog drops the connection; the client comes back and
        // resumes counting request ids.
        QTRY_VERIFY_WITH_TIMEOUT(sockets.size() >= 2, Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(framesOf(u"Request"_s).size(), 3, Timeout);
        QCOMPARE(framesOf(u"Request"_s).at(2).value(u"id").toString(), u"2"_s);
        QCOMPARE(c.sync->pendingCount(), 1);
        c.sync->stop();
        fake.close();
        qDeleteAll(sockets); // they would outlive what their slots capture
    }

    // A catch-up of many pages that all arrive at once is applied a few pages per turn of the
    // event loop: timers fire between them (a GUI paints), and what they see is always whole
    // pages, the model and the store agreeing. Without a budget, a frame of 30 pages is applied
    // in the turn it arrives. (A frame per page: the socket may hand them over in one read or
    // in several, so only the one-frame rows tell the two apart.)
    void catchUpYieldsBetweenPages_data()
    {
        QTest::addColumn<bool>("oneFrame");
        QTest::addColumn<int>("budget");
        QTest::addColumn<int>("minTurns");
        // The app's reaction to each batch takes 2 ms (below): with a 1 ms budget every batch
        // gets a turn of its own, with 8 ms about three do, on any machine.
        QTest::newRow("a frame per page") << false << 1 << 20;
        QTest::newRow("all pages in one frame") << true << 1 << 20;
        QTest::newRow("default budget") << true << 8 << 3;
        QTest::newRow("no budget") << true << 0 << 0;
    }

    void catchUpYieldsBetweenPages()
    {
        QFETCH(bool, oneFrame);
        QFETCH(int, budget);
        QFETCH(int, minTurns);
        constexpr int Events = 3000;
        BurstServer server(Events, oneFrame);
        QVERIFY(server.start());
        Client reader(u"R"_s);
        QVERIFY(reader.ok);
        // (No QAbstractItemModelTester: it checks the whole model on each of 3,000 inserted rows.
        // tst_syncengine liveQueriesFollowMergesAndRebases runs models under it through merges.)
        LiveQueryModel model(&reader.store, Query::from(u"todos"_s).orderBy(u"id"_s));
        reader.sync->setUrl(server.url());
        reader.sync->setApplyBudget(budget);
        QCOMPARE(reader.sync->applyBudget(), budget);
        QList<qint64> pulled;
        connect(reader.sync.get(), &SyncClient::eventsPulled, this, [&](const QList<EventRecord> &events) {
            for (const EventRecord &e : events)
                pulled.append(e.seqNum.global);
            QThread::msleep(2); // what an app may do with them: part of the time a batch takes
        });
        QList<qreal> progress;
        connect(reader.sync.get(), &SyncClient::catchUpProgressChanged, this,
                [&] { progress.append(reader.sync->catchUpProgress()); });

        // Between turns: what a view would paint.
        QList<CatchUpState> between;
        QTimer turns;
        turns.setInterval(0);
        connect(&turns, &QTimer::timeout, this, [&] {
            // The store first: a read of it completes a merge in flight, and the model and the
            // client follow before it returns.
            const int todos = todoCount(reader.store);
            const qint64 head = reader.sync->upstreamHead();
            if (head > 0 && head < Events)
                between.append({model.rowCount(), todos, head});
        });
        turns.start();
        reader.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(reader.sync->isCaughtUp(), Timeout);
        turns.stop();

        for (const CatchUpState &s : std::as_const(between)) {
            QCOMPARE(s.modelRows, s.todos);
            QCOMPARE(s.todos, s.upstreamHead);
            QCOMPARE(s.upstreamHead % 100, 0); // whole pages only
        }
        QSet<qint64> heads;
        for (const CatchUpState &s : std::as_const(between))
            heads.insert(s.upstreamHead);
        if (minTurns > 0)
            QVERIFY2(heads.size() >= minTurns, qPrintable(u"%1 states between turns"_s.arg(heads.size())));
        else
            QCOMPARE(heads.size(), 0);

        // The end: exactly the server's history, in order, and a model of all of it.
        QCOMPARE(reader.sync->upstreamHead(), Events);
        QCOMPARE(reader.sync->pendingCount(), 0);
        QCOMPARE(reader.sync->catchUpProgress(), 1.0);
        QVERIFY(std::is_sorted(progress.cbegin(), progress.cend()));
        QCOMPARE(pulled.size(), Events);
        for (int i = 0; i < Events; ++i)
            QCOMPARE(pulled.at(i), i + 1);
        QCOMPARE(todoCount(reader.store), Events);
        QCOMPARE(model.rowCount(), Events);
        QCOMPARE(model.data(model.index(Events - 1, 0)).toString(), u"t%1"_s.arg(Events, 5, 10, QChar(u'0')));
        QCOMPARE(server.cursors, QList<qint64>{0});
        QVERIFY2(reader.store.verify(), qPrintable(reader.store.errorString()));
    }

    // With local events pending, each page of others' events rolls all of them back and applies
    // them again on top. With many pending, pages are applied together, about as many events as
    // are pending in one step, with one rebase: both when they arrive together and when a server
    // sends one per Ack (the client gathers them while the catch-up goes on). With few, a page
    // goes alone, as its rebase is short.
    void pendingEventsRebaseOncePerBurst_data()
    {
        QTest::addColumn<bool>("burst");
        QTest::addColumn<int>("pending");
        QTest::addColumn<int>("minRebases");
        QTest::addColumn<int>("maxRebases");
        // 30 pages, 16 a step: 2 rebases (a page at a time: 30). Against our server the client's
        // first push may be refused once more and rebase again.
        QTest::newRow("30 pages in one frame, 1,600 pending") << true << 1600 << 2 << 2;
        QTest::newRow("our server, a page per Ack, 1,600 pending") << false << 1600 << 2 << 4;
        QTest::newRow("30 pages in one frame, 50 pending") << true << 50 << 30 << 30;
    }

    void pendingEventsRebaseOncePerBurst()
    {
        QFETCH(bool, burst);
        QFETCH(int, pending);
        QFETCH(int, minRebases);
        QFETCH(int, maxRebases);
        constexpr int Events = 3000;
        BurstServer burstServer(Events, true);
        ServerFixture ourServer;
        QUrl url;
        if (burst) {
            QVERIFY(burstServer.start());
            url = burstServer.url();
        } else {
            QVERIFY(ourServer.start());
            url = ourServer.url();
            Client writer(u"W"_s);
            QVERIFY(writer.store.commit(bulkTodos(Events)));
            writer.sync->setUrl(url);
            writer.sync->start();
            QVERIFY(writer.sync->waitForSynced(Timeout));
            writer.sync->stop();
        }
        Client reader(u"R"_s);
        QVERIFY(reader.ok);
        QList<Event> offline;
        for (int i = 0; i < pending; ++i)
            offline.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, u"offline-%1"_s.arg(i)}, {u"text"_s, u"o"_s}}});
        QVERIFY(reader.store.commit(offline));
        int rebases = 0;
        connect(&reader.store, &Store::eventlogChanged, this, [&](bool rebased) { rebases += rebased ? 1 : 0; });
        reader.sync->setUrl(url);
        reader.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(reader.sync->isCaughtUp(), Timeout);
        QVERIFY(reader.sync->upstreamHead() >= Events);
        QCOMPARE(todoCount(reader.store), Events + pending);
        QVERIFY2(rebases >= minRebases && rebases <= maxRebases, qPrintable(QString::number(rebases)));
        if (burst) {
            // This server takes no pushes: ours stay pending, on top of the server's.
            QCOMPARE(reader.sync->pendingCount(), pending);
            const QList<EventRecord> ours = SyncEngine(&reader.store).pendingEvents(true);
            QCOMPARE(ours.size(), pending);
            QCOMPARE(ours.constFirst().seqNum.global, Events + 1);
            QCOMPARE(ours.constFirst().args.value(u"id"_s).toString(), u"offline-0"_s);
        } else {
            QVERIFY(reader.sync->waitForSynced(Timeout));
            QCOMPARE(reader.sync->upstreamHead(), Events + pending);
            QCOMPARE(todoCount(reader.store), Events + pending);
            QCOMPARE(ourServer.serverEventCount(), Events + pending);
        }
        QVERIFY2(reader.store.verify(), qPrintable(reader.store.errorString()));
        reader.sync->stop();
        ourServer.stop();
    }

    // The client deleted (from a slot while it applies, or between two turns), the store closed
    // or deleted, while pages wait to be applied: nothing crashes, the store holds whole pages
    // up to its upstream head, and the next pull starts there and brings the rest.
    // With local events pending, every step is a rebase that takes several turns (a merge in
    // slices, its transaction open between them): the same, mid-merge.
    void goneMidCatchUp_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<int>("pending");
        for (const int pending : {0, 300}) {
            const char *suffix = pending ? ", mid-rebase" : "";
            QTest::addRow("client deleted in a slot%s", suffix) << u"client-in-slot"_s << pending;
            QTest::addRow("client deleted between turns%s", suffix) << u"client"_s << pending;
            QTest::addRow("store closed%s", suffix) << u"close"_s << pending;
            QTest::addRow("store deleted%s", suffix) << u"store"_s << pending;
        }
    }

    void goneMidCatchUp()
    {
        QFETCH(QString, what);
        QFETCH(int, pending);
        constexpr int Events = 3000;
        BurstServer server(Events);
        QVERIFY(server.start());
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto store = std::make_unique<Store>();
        QVERIFY2(store->open(diskStoreOptions(dir.path())), qPrintable(store->errorString()));
        if (pending > 0) {
            QList<Event> offline;
            for (int i = 0; i < pending; ++i)
                offline.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, u"offline-%1"_s.arg(i)}, {u"text"_s, u"o"_s}}});
            QVERIFY(store->commit(offline));
        }
        auto sync = std::make_unique<SyncClient>(store.get());
        sync->setUrl(server.url());
        sync->setApplyBudget(1);
        QPointer<SyncClient> client(sync.get());

        bool done = false;
        if (what == u"client-in-slot") {
            connect(sync.get(), &SyncClient::eventsPulled, this, [&] {
                if (!done && sync->upstreamHead() >= 200) {
                    done = true;
                    sync.reset(); // mid-drain: more pages are queued behind this one
                }
            });
        }
        QTimer turns;
        turns.setInterval(0);
        connect(&turns, &QTimer::timeout, this, [&] {
            if (done || !sync || sync->upstreamHead() < 200)
                return;
            done = true;
            if (what == u"client")
                sync.reset();
            else if (what == u"close")
                store->close();
            else if (what == u"store")
                store.reset();
        });
        turns.start();
        sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(done, Timeout);
        turns.stop();
        QTest::qWait(50); // the queued pages' turns come and go
        if (client) {
            // The store went: the client stops with a reason instead of touching it.
            QTRY_COMPARE_WITH_TIMEOUT(client->status(), SyncClient::Error, Timeout);
            QCOMPARE(client->lastError(), u"the store is not open"_s);
            sync.reset();
        }
        QVERIFY(!client);

        // What the store kept: whole pages, consistent with its upstream head.
        if (!store)
            store = std::make_unique<Store>();
        if (!store->isOpen())
            QVERIFY2(store->open(diskStoreOptions(dir.path())), qPrintable(store->errorString()));
        const qint64 head = SyncEngine(store.get()).upstreamHead();
        QVERIFY2(head >= 200 && head < Events && head % 100 == 0, qPrintable(QString::number(head)));
        QCOMPARE(todoCount(*store), head + pending);
        QCOMPARE(store->eventCount(), head + pending);
        QCOMPARE(SyncEngine(store.get()).pendingEvents(true).size(), pending);

        // A new client on it pulls from there and ends where the server is (which takes no
        // pushes: ours stay pending, on top).
        SyncClient again(store.get());
        again.setUrl(server.url());
        again.start();
        if (pending == 0)
            QVERIFY(again.waitForSynced(Timeout));
        else
            QTRY_VERIFY_WITH_TIMEOUT(again.isCaughtUp(), Timeout);
        QCOMPARE(server.cursors.size(), 2);
        QCOMPARE(server.cursors.at(1), head);
        QCOMPARE(again.upstreamHead(), Events);
        QCOMPARE(again.pendingCount(), pending);
        QCOMPARE(todoCount(*store), Events + pending);
        QCOMPARE(store->eventCount(), Events + pending);
        QVERIFY2(store->verify(), qPrintable(store->errorString()));
        again.stop();
    }

    void propertiesAndUrl()
    {
        ServerFixture server;
        QVERIFY(server.start());
        Client c(u"P"_s);
        QVERIFY(c.ok);
        QSignalSpy status(c.sync.get(), &SyncClient::statusChanged);
        QSignalSpy active(c.sync.get(), &SyncClient::activeChanged);
        QCOMPARE(c.sync->status(), SyncClient::Disconnected);
        c.sync->setUrl(server.url());
        c.sync->setPayload(QJsonObject{{u"authToken"_s, u"a b&c=d/é"_s}});
        c.sync->start();
        QCOMPARE(active.size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(c.sync->status(), SyncClient::Connected, Timeout);
        QVERIFY(c.create(u"1"_s, u"one"_s));
        QTRY_COMPARE_WITH_TIMEOUT(c.sync->upstreamHead(), 1, Timeout);
        c.sync->stop();
        QCOMPARE(c.sync->status(), SyncClient::Disconnected);
        QVERIFY(!c.sync->isActive());
        QVERIFY(c.create(u"2"_s, u"two"_s));
        QCOMPARE(c.sync->pendingCount(), 1);
        c.sync->start();
        QTRY_COMPARE_WITH_TIMEOUT(c.sync->pendingCount(), 0, Timeout);
        QCOMPARE(server.serverEventCount(), 2);

        // A store without changesets cannot sync: rebasing would be impossible.
        Store plain;
        StoreOptions o;
        o.storeId = StoreId;
        o.schema = todoSchema();
        o.inMemory = true;
        QVERIFY(plain.open(o));
        SyncClient refused(&plain);
        refused.setUrl(server.url());
        refused.start();
        QCOMPARE(refused.status(), SyncClient::Error);
        QVERIFY(refused.lastError().contains(u"recordChangesets"_s));
    }
};

QTEST_GUILESS_MAIN(tst_SyncClient)
#include "tst_syncclient.moc"
