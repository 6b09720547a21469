// SPDX-License-Identifier: BSD-3-Clause
// The sync server killed with SIGKILL at random moments while clients push to several stores,
// and restarted on the same data directory each time (SQLite storage). After every kill, what
// is on disk must hold every event whose push was acknowledged, exactly once, in order, without
// gaps (seqNums 1..N, each parent the one before), with the args the client sent; events of a
// push that was in flight may be there or not, but only whole and as sent. At the end the
// restarted server serves exactly that history.

#include "serverprocess.h"
#include "wstestclient.h"

#include <sqlitesyncstorage.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <limits>
#include <memory>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

constexpr int Stores = 4;
constexpr int Kills = 24;

// The args of an event: which store, which seqNum, and in which run of the server it was sent,
// so that a resent seqNum (its first push died with the server) carries other args.
QByteArray argsOf(int store, qint64 seq, int run)
{
    return R"({"store":)" + QByteArray::number(store) + R"(,"seq":)" + QByteArray::number(seq)
            + R"(,"run":)" + QByteArray::number(run) + R"(,"pad":")" + QByteArray(64, 'p') + "\"}";
}

struct Pusher
{
    int index = 0;
    QString storeId;
    std::unique_ptr<WsTestClient> client;
    // seqNum → args of every event known to be stored: acknowledged, or found on disk.
    QMap<qint64, QByteArray> stored;
    qint64 head = 0;
    int nextRequest = 1;
    // The push waiting for its answer: its request id and its events.
    QString inFlightId;
    QMap<qint64, QByteArray> inFlight;
    int acknowledged = 0; // pushes acknowledged, over all runs
};

} // namespace

class tst_SyncServerCrash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedServerLosesNoAcknowledgedEvent();

private:
    void sendNext(Pusher &p, int run, QRandomGenerator &rng);
    bool pump(std::vector<Pusher> &pushers, int run, QRandomGenerator &rng);
    void verifyOnDisk(const QString &dir, std::vector<Pusher> &pushers, bool *inFlightKept);
};

void tst_SyncServerCrash::sendNext(Pusher &p, int run, QRandomGenerator &rng)
{
    const int count = rng.bounded(1, 11);
    QByteArray batch = "[";
    p.inFlight.clear();
    for (int i = 0; i < count; ++i) {
        const qint64 seq = p.head + 1 + i;
        const QByteArray args = argsOf(p.index, seq, run);
        p.inFlight.insert(seq, args);
        if (i)
            batch += ',';
        batch += R"({"name":"v1.Crash","args":)" + args + R"(,"seqNum":)" + QByteArray::number(seq)
                + R"(,"parentSeqNum":)" + QByteArray::number(seq - 1)
                + R"(,"clientId":"c","sessionId":"s"})";
    }
    p.inFlightId = QString::number(p.nextRequest++);
    p.client->request(p.inFlightId, u"SyncWsRpc.Push"_s,
                      R"({"storeId":")" + p.storeId.toUtf8() + R"(","batch":)" + batch
                              + R"(],"backendId":{"_tag":"None"}})");
}

// Takes the answers that arrived and sends the next pushes; false when a push failed.
bool tst_SyncServerCrash::pump(std::vector<Pusher> &pushers, int run, QRandomGenerator &rng)
{
    for (Pusher &p : pushers) {
        while (!p.inFlightId.isEmpty()) {
            const auto exit = p.client->exitOf(p.inFlightId, 0);
            if (!exit)
                break;
            const QJsonObject e = exit->value(u"exit").toObject();
            if (e.value(u"_tag").toString() != u"Success") {
                qWarning().noquote() << "push failed:" << p.storeId
                                     << QJsonDocument(*exit).toJson(QJsonDocument::Compact);
                return false;
            }
            // Acknowledged: from now on these must survive every kill.
            for (auto it = p.inFlight.cbegin(); it != p.inFlight.cend(); ++it)
                p.stored.insert(it.key(), it.value());
            p.head = p.inFlight.lastKey();
            p.inFlight.clear();
            p.inFlightId.clear();
            ++p.acknowledged;
            sendNext(p, run, rng);
        }
    }
    return true;
}

void tst_SyncServerCrash::verifyOnDisk(const QString &dir, std::vector<Pusher> &pushers,
                                       bool *inFlightKept)
{
    SqliteSyncStorage storage;
    QVERIFY2(storage.open(dir), qPrintable(storage.errorString()));
    for (Pusher &p : pushers) {
        const auto info = storage.findStore(p.storeId);
        QVERIFY2(info, qPrintable(storage.errorString()));
        QList<SyncStorage::StoredEvent> events;
        for (qint64 after = 0;;) {
            const auto page = storage.read(p.storeId, after, std::numeric_limits<qint64>::max(), 1000);
            QVERIFY2(page, qPrintable(storage.errorString()));
            if (page->isEmpty())
                break;
            events += *page;
            after = page->constLast().event.seqNum;
        }
        const qint64 acknowledgedHead = p.stored.isEmpty() ? 0 : p.stored.lastKey();
        QVERIFY2(events.size() >= acknowledgedHead,
                 qPrintable(u"%1: %2 events on disk, %3 acknowledged"_s.arg(p.storeId).arg(events.size()).arg(acknowledgedHead)));
        QCOMPARE(info->head, qint64(events.size()));
        for (qsizetype i = 0; i < events.size(); ++i) {
            const Wire::Event &e = events.at(i).event;
            QCOMPARE(e.seqNum, qint64(i + 1));
            QCOMPARE(e.parentSeqNum, qint64(i));
            if (e.seqNum <= acknowledgedHead) {
                QCOMPARE(e.argsJson, p.stored.value(e.seqNum));
            } else {
                // Beyond what was acknowledged: only the push that was in flight, as sent.
                QVERIFY2(p.inFlight.contains(e.seqNum),
                         qPrintable(u"%1: unexpected event %2"_s.arg(p.storeId).arg(e.seqNum)));
                QCOMPARE(e.argsJson, p.inFlight.value(e.seqNum));
                p.stored.insert(e.seqNum, e.argsJson);
                *inFlightKept = true;
            }
        }
        // A batch is stored whole or not at all.
        if (events.size() > acknowledgedHead)
            QCOMPARE(qint64(events.size()), p.inFlight.lastKey());
        p.head = events.size();
        p.inFlight.clear();
        p.inFlightId.clear();
    }
}

void tst_SyncServerCrash::killedServerLosesNoAcknowledgedEvent()
{
    const quint32 seed = qEnvironmentVariableIsSet("LIVESTORE_CRASH_SEED")
            ? quint32(qEnvironmentVariableIntValue("LIVESTORE_CRASH_SEED"))
            : QRandomGenerator::global()->generate();
    qInfo("seed %u (LIVESTORE_CRASH_SEED repeats a run)", seed);
    QRandomGenerator rng(seed);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    std::vector<Pusher> pushers(Stores);
    for (int i = 0; i < Stores; ++i) {
        pushers[i].index = i;
        pushers[i].storeId = u"crash-%1"_s.arg(i);
    }
    int killsInFlight = 0;
    int inFlightKeptCount = 0;
    for (int run = 0; run < Kills; ++run) {
        ServerProcess server;
        QVERIFY2(server.start({u"--data"_s, dir.path(), u"--quiet"_s}), qPrintable(server.allStderr()));
        const QUrl base(u"ws://127.0.0.1:%1/"_s.arg(server.port));
        for (Pusher &p : pushers) {
            p.client = std::make_unique<WsTestClient>();
            QUrl url = base;
            url.setQuery(u"storeId=%1&transport=ws"_s.arg(p.storeId));
            QVERIFY2(p.client->open(url), qPrintable(server.allStderr()));
            sendNext(p, run, rng);
        }
        // Pushes go on until a random moment, then the server dies in the middle of whatever
        // it is doing.
        QElapsedTimer timer;
        timer.start();
        const int killAfterMs = rng.bounded(20, 300);
        // Each client has a push in flight all the time; a few milliseconds between turns keep the
        // history (checked in full after every kill) from growing needlessly long.
        while (timer.elapsed() < killAfterMs) {
            QTest::qWait(3);
            QVERIFY(pump(pushers, run, rng));
        }
        server.kill();
        QVERIFY(pump(pushers, run, rng)); // answers that made it out before the kill count
        bool anyInFlight = false;
        for (Pusher &p : pushers) {
            anyInFlight = anyInFlight || !p.inFlight.isEmpty();
            p.client.reset();
        }
        killsInFlight += anyInFlight ? 1 : 0;
        bool inFlightKept = false;
        verifyOnDisk(dir.path(), pushers, &inFlightKept);
        if (QTest::currentTestFailed())
            return;
        inFlightKeptCount += inFlightKept ? 1 : 0;
    }
    int acknowledged = 0;
    for (const Pusher &p : pushers)
        acknowledged += p.acknowledged;
    qInfo("%d kills, %d with pushes in flight (%d of them stored before the kill), %d pushes "
          "acknowledged", Kills, killsInFlight, inFlightKeptCount, acknowledged);
    // The kills hit pushes: otherwise this test would prove little.
    QVERIFY2(killsInFlight >= Kills / 2, qPrintable(QString::number(killsInFlight)));
    QVERIFY(acknowledged >= Kills * Stores);

    // The restarted server serves that history, once and in order.
    ServerProcess server;
    QVERIFY2(server.start({u"--data"_s, dir.path(), u"--quiet"_s}), qPrintable(server.allStderr()));
    for (Pusher &p : pushers) {
        WsTestClient c;
        QVERIFY(c.open(QUrl(u"ws://127.0.0.1:%1/?storeId=%2&transport=ws"_s.arg(server.port).arg(p.storeId))));
        c.request(u"1"_s, u"SyncWsRpc.Pull"_s,
                  R"({"storeId":")" + p.storeId.toUtf8() + R"(","live":false,"cursor":{"_tag":"None"}})");
        QVERIFY(c.exitOf(u"1"_s, 10000));
        qint64 next = 1;
        for (const QByteArray &raw : std::as_const(c.raw)) {
            const QJsonObject frame = QJsonDocument::fromJson(raw).object();
            if (frame.value(u"_tag").toString() != u"Chunk")
                continue;
            for (const QJsonValue &page : frame.value(u"values").toArray()) {
                for (const QJsonValue &item : page.toObject().value(u"batch").toArray()) {
                    const QJsonObject e = item.toObject().value(u"eventEncoded").toObject();
                    QCOMPARE(e.value(u"seqNum").toInteger(), next);
                    QCOMPARE(e.value(u"parentSeqNum").toInteger(), next - 1);
                    QCOMPARE(e.value(u"args").toObject(),
                             QJsonDocument::fromJson(p.stored.value(next)).object());
                    ++next;
                }
            }
        }
        QCOMPARE(next - 1, p.head);
    }
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(tst_SyncServerCrash)
#include "tst_syncservercrash.moc"
