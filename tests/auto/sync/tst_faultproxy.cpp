// SPDX-License-Identifier: BSD-3-Clause
// Five clients sync through a TCP proxy that delays, stalls and cuts their connections at random
// (fixed seeds), while they commit. Once the network calms down, all of them must converge on one
// eventlog and one state, each a replay of its eventlog, with every event the server acknowledged.
#include "syncedclient.h"

#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <limits>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

// One direction of a proxied connection: bytes leave in the order they came, after a random
// delay, not at all while stalled.
struct Pipe
{
    QPointer<QTcpSocket> to;
    QByteArray pending;
    qint64 stalledUntil = 0; // ms on the proxy's clock
    bool flushScheduled = false;
};

class FaultProxy : public QObject
{
public:
    FaultProxy(quint16 target, quint32 seed) : m_target(target), m_random(seed)
    {
        m_clock.start();
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] { accept(); });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    // Calm: no more delays, stalls or cuts (what is stalled now is let through).
    void setFaulty(bool faulty) { m_faulty = faulty; }
    int cuts() const { return m_cuts; }
    int stalls() const { return m_stalls; }

private:
    void accept()
    {
        while (QTcpSocket *client = m_server.nextPendingConnection()) {
            auto *upstream = new QTcpSocket(this);
            auto toServer = std::make_shared<Pipe>();
            auto toClient = std::make_shared<Pipe>();
            toServer->to = upstream;
            toClient->to = client;
            const auto cut = [this, client, upstream] {
                client->abort();
                upstream->abort();
                client->deleteLater();
                upstream->deleteLater();
            };
            QObject::connect(client, &QTcpSocket::readyRead, this, [this, client, toServer, cut] {
                relay(client, toServer, cut);
            });
            QObject::connect(upstream, &QTcpSocket::readyRead, this, [this, upstream, toClient, cut] {
                relay(upstream, toClient, cut);
            });
            QObject::connect(client, &QTcpSocket::disconnected, this, cut);
            QObject::connect(upstream, &QTcpSocket::disconnected, this, cut);
            upstream->connectToHost(QHostAddress::LocalHost, m_target);
        }
    }

    void relay(QTcpSocket *from, const std::shared_ptr<Pipe> &pipe, const std::function<void()> &cut)
    {
        pipe->pending += from->readAll();
        if (m_faulty) {
            const quint32 dice = m_random.bounded(1000);
            if (dice < 8) { // cut, mid-frame as often as not
                ++m_cuts;
                cut();
                return;
            }
            if (dice < 30) {
                ++m_stalls;
                pipe->stalledUntil = m_clock.elapsed() + m_random.bounded(200, 1500);
            }
        }
        schedule(pipe, m_faulty ? int(m_random.bounded(40)) : 0);
    }

    void schedule(const std::shared_ptr<Pipe> &pipe, int delay)
    {
        if (pipe->flushScheduled)
            return;
        pipe->flushScheduled = true;
        QTimer::singleShot(delay, this, [this, pipe] {
            pipe->flushScheduled = false;
            if (!pipe->to || pipe->pending.isEmpty())
                return;
            const qint64 now = m_clock.elapsed();
            if (m_faulty && now < pipe->stalledUntil) {
                schedule(pipe, int(pipe->stalledUntil - now));
                return;
            }
            if (pipe->to->state() != QAbstractSocket::ConnectedState) {
                schedule(pipe, 5); // the upstream connection is still being made
                return;
            }
            pipe->to->write(std::exchange(pipe->pending, {}));
        });
    }

    QTcpServer m_server;
    quint16 m_target;
    QRandomGenerator m_random;
    QElapsedTimer m_clock;
    bool m_faulty = true;
    int m_cuts = 0;
    int m_stalls = 0;
};

} // namespace

class tst_FaultProxy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void convergeThroughAFaultyNetwork_data()
    {
        QTest::addColumn<quint32>("seed");
        QTest::newRow("seed 1") << 1u;
        QTest::newRow("seed 2") << 2u;
    }
    void convergeThroughAFaultyNetwork()
    {
        QFETCH(quint32, seed);
        QTemporaryDir dir;
        SqliteSyncStorage storage;
        QVERIFY2(storage.open(dir.path()), qPrintable(storage.errorString()));
        SyncServer server(&storage);
        SyncServerOptions options;
        options.port = 0;
        server.setOptions(options);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));

        FaultProxy proxy(server.serverPort(), seed);
        QVERIFY(proxy.listen());
        const QUrl url(u"ws://127.0.0.1:%1"_s.arg(proxy.port()));

        const QString storeId = u"faulty"_s;
        std::vector<std::unique_ptr<SyncedClient>> clients;
        for (int i = 0; i < 5; ++i) {
            auto c = std::make_unique<SyncedClient>(storeId, u"client-%1"_s.arg(i), url);
            QVERIFY(c->ok);
            // A stalled connection is noticed after one ping interval.
            c->sync->setPingInterval(600);
            c->sync->start();
            clients.push_back(std::move(c));
        }

        // Commits at random moments for a while, through delays, stalls and cuts.
        QRandomGenerator random(seed * 7919u);
        int committed = 0;
        QElapsedTimer faulty;
        faulty.start();
        while (faulty.elapsed() < 6000) {
            SyncedClient &c = *clients[random.bounded(int(clients.size()))];
            const QString id = u"%1-%2"_s.arg(c.store.clientId()).arg(committed);
            QVERIFY2(c.create(id, u"todo %1"_s.arg(committed)), qPrintable(c.store.errorString()));
            if (random.bounded(3) == 0)
                QVERIFY(c.complete(id));
            ++committed;
            QTest::qWait(int(random.bounded(5, 40)));
        }
        qInfo("faults: %d cuts, %d stalls while %d todos were committed", proxy.cuts(), proxy.stalls(), committed);
        QVERIFY(proxy.cuts() > 0);
        QVERIFY(proxy.stalls() > 0);

        // The network calms down: everyone catches up on one history.
        proxy.setFaulty(false);
        QTRY_VERIFY2_WITH_TIMEOUT(
                [&] {
                    const qint64 head = clients.front()->sync->upstreamHead();
                    return head > 0 && converged(clients, head)
                            && storage.count(storeId, 0, std::numeric_limits<qint64>::max()).value_or(-1) == head;
                }(),
                qPrintable(describe(clients)), 60000);
        checkIdentical(clients);
        if (QTest::currentTestFailed())
            return;
        // Nothing was lost or doubled: every todo committed anywhere is there, once.
        QCOMPARE(clients.front()->store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), committed);
        for (auto &c : clients)
            c->sync->stop();
    }
};

QTEST_GUILESS_MAIN(tst_FaultProxy)
#include "tst_faultproxy.moc"
