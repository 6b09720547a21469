// SPDX-License-Identifier: BSD-3-Clause
// EventStream: a store's events in order from a cursor, in bounded batches, then live; what a
// rebase takes back; confirmed-only streams. Rebases both without a network (SyncEngine and a
// server log in the test) and through the sync server in-process with real SyncClients.
#include "syncedclient.h"
#include "todoschema.h"

#include <eventstream.h>
#include <sqlitesyncstorage.h>
#include <store.h>
#include <sync/syncclient.h>
#include <syncengine_p.h>
#include <syncserver.h>

#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int Timeout = 20'000;

std::unique_ptr<Store> openTodos(const QString &clientId = u"client-a"_s, bool changesets = false)
{
    auto store = std::make_unique<Store>();
    StoreOptions o;
    o.storeId = u"stream"_s;
    o.schema = todoSchema();
    o.inMemory = true;
    o.clientId = clientId;
    o.sessionId = u"session-"_s + clientId;
    o.recordChangesets = changesets;
    if (!store->open(o))
        return nullptr;
    return store;
}

QList<Event> todos(int from, int count)
{
    QList<Event> events;
    for (int i = from; i < from + count; ++i)
        events.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, u"t%1"_s.arg(i)}, {u"text"_s, u"todo %1"_s.arg(i)}}});
    return events;
}

// What a consumer of a stream keeps, following its contract: batches appended, and on rebased()
// everything after the cursor it names dropped.
struct Consumer
{
    explicit Consumer(EventStream *stream) : stream(stream)
    {
        QObject::connect(stream, &EventStream::eventsReceived, stream, [this](const QList<EventRecord> &batch) {
            batches.append(int(batch.size()));
            maxHeld = qMax(maxHeld, this->stream->heldEvents());
            for (const EventRecord &e : batch)
                events.append(e);
        });
        QObject::connect(stream, &EventStream::rebased, stream, [this](SequenceNumber cursor) {
            rebases.append(cursor);
            events.removeIf([&](const EventRecord &e) {
                return std::pair(e.seqNum.global, e.seqNum.client) > std::pair(cursor.global, cursor.client);
            });
        });
    }
    QStringList seqNums() const
    {
        QStringList out;
        for (const EventRecord &e : events)
            out.append(e.seqNum.toString());
        return out;
    }
    QStringList ids() const
    {
        QStringList out;
        for (const EventRecord &e : events)
            out.append(e.arg(u"id"_s).toString());
        return out;
    }
    EventStream *stream;
    QList<EventRecord> events;
    QList<int> batches;
    QList<SequenceNumber> rebases;
    qsizetype maxHeld = 0;
};

QStringList seqNumsOf(const QList<EventRecord> &events)
{
    QStringList out;
    for (const EventRecord &e : events)
        out.append(e.seqNum.toString());
    return out;
}

// Events from another client, numbered as a server would have them after `after`.
QList<EventRecord> foreignEvents(qint64 after, const QStringList &ids)
{
    QList<EventRecord> out;
    for (const QString &id : ids) {
        EventRecord e;
        e.seqNum = {after + 1, 0, 0};
        e.parentSeqNum = {after, 0, 0};
        e.name = u"v1.TodoCreated"_s;
        e.args = {{u"id"_s, id}, {u"text"_s, id}};
        e.argsJson = "{\"id\":\"" + id.toUtf8() + "\",\"text\":\"" + id.toUtf8() + "\"}";
        e.clientId = u"client-z"_s;
        e.sessionId = u"session-z"_s;
        out.append(e);
        ++after;
    }
    return out;
}

// A store's own pending events as the server echoes them back once it accepted them.
QList<EventRecord> echoOf(const QList<EventRecord> &pending)
{
    QList<EventRecord> out;
    for (EventRecord e : pending) {
        e.seqNum.rebaseGeneration = 0;
        e.parentSeqNum.rebaseGeneration = 0;
        out.append(e);
    }
    return out;
}

struct ServerFixture
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    std::unique_ptr<SyncServer> server;
    bool start()
    {
        if (!storage.open(dir.path()))
            return false;
        server = std::make_unique<SyncServer>(&storage);
        SyncServerOptions options;
        options.port = 0; // any free one
        server->setOptions(options);
        return server->listen();
    }
    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1"_s.arg(server->serverPort())); }
};

} // namespace

class tst_EventStream : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void historyInOrderThenLive();
    void filters();
    void cursorResume();
    void cursorText();
    void boundedBatches();
    void pullOnDemand();
    void commitFromTheConsumer();
    void confirmedOnlyWithoutSync();
    void rebaseTakesBackPendingEvents();
    void rebaseThroughSyncServer();
    void storeGoesAway();
    void startErrors();
};

void tst_EventStream::historyInOrderThenLive()
{
    auto store = openTodos();
    QVERIFY(store);
    QVERIFY(store->commit(todos(0, 10)));
    EventStream stream(store.get());
    Consumer consumer(&stream);
    QVERIFY(stream.start());
    QVERIFY(stream.isActive());
    QCOMPARE(consumer.events.size(), 0); // delivered from the event loop, never from start()
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);
    QCOMPARE(consumer.seqNums(), seqNumsOf(store->events()));
    QCOMPARE(stream.cursor(), store->head());

    // Live: new commits come in order, several commits of one turn together or apart.
    QVERIFY(store->commit(todos(10, 3)));
    QVERIFY(store->commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"t1"_s}}));
    QTRY_COMPARE_WITH_TIMEOUT(consumer.events.size(), 14, Timeout);
    QCOMPARE(consumer.seqNums(), seqNumsOf(store->events()));
    QCOMPARE(consumer.events.constLast().name, u"v1.TodoCompleted"_s);
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);

    // Stopped, it delivers nothing; started again it goes on from its cursor.
    stream.stop();
    QVERIFY(store->commit(todos(13, 2)));
    QCoreApplication::processEvents();
    QCOMPARE(consumer.events.size(), 14);
    QVERIFY(stream.start());
    QTRY_COMPARE_WITH_TIMEOUT(consumer.events.size(), 16, Timeout);
    QCOMPARE(consumer.seqNums(), seqNumsOf(store->events()));
}

void tst_EventStream::filters()
{
    // A history of two clients and three sessions, as an import brings it.
    auto store = openTodos();
    QVERIFY(store);
    QList<EventRecord> history;
    const QString clients[] = {u"alice"_s, u"bob"_s, u"alice"_s};
    for (int i = 0; i < 30; ++i) {
        EventRecord e;
        e.seqNum = {i + 1, 0, 0};
        e.parentSeqNum = {i, 0, 0};
        const bool created = i % 3 != 2;
        e.name = created ? u"v1.TodoCreated"_s : u"v1.TodoCompleted"_s;
        e.args = created ? QVariantMap{{u"id"_s, u"t%1"_s.arg(i)}, {u"text"_s, u"x"_s}}
                         : QVariantMap{{u"id"_s, u"t%1"_s.arg(i - 1)}};
        e.clientId = clients[i % 3];
        e.sessionId = u"%1-%2"_s.arg(e.clientId).arg(i < 15 ? 1 : 2);
        history.append(e);
    }
    QVERIFY2(store->importEvents(history), qPrintable(store->errorString()));

    auto run = [&](auto configure) {
        EventStream stream(store.get());
        stream.setBatchSize(4);
        configure(stream);
        Consumer consumer(&stream);
        if (!stream.start())
            return QStringList{u"start failed"_s};
        if (!QTest::qWaitFor([&] { return stream.isCaughtUp(); }, Timeout))
            return QStringList{u"not caught up"_s};
        // The cursor is past everything read, matching or not (names are left out by the read
        // itself: it stops at the last event of those names).
        if (stream.names().isEmpty() && stream.cursor() != store->head())
            return QStringList{u"cursor at "_s + stream.cursor().toString()};
        for (int b : std::as_const(consumer.batches)) {
            if (b < 1 || b > 4)
                return QStringList{u"batch of %1"_s.arg(b)};
        }
        return consumer.seqNums();
    };
    auto expected = [&](auto keep) {
        QStringList out;
        for (const EventRecord &e : std::as_const(history)) {
            if (keep(e))
                out.append(e.seqNum.toString());
        }
        return out;
    };

    QCOMPARE(run([](EventStream &s) { s.setNames({u"v1.TodoCompleted"_s}); }),
             expected([](const EventRecord &e) { return e.name == u"v1.TodoCompleted"_s; }));
    QCOMPARE(run([](EventStream &s) { s.setClientId(u"bob"_s); }),
             expected([](const EventRecord &e) { return e.clientId == u"bob"_s; }));
    QCOMPARE(run([](EventStream &s) { s.setSessionId(u"alice-2"_s); }),
             expected([](const EventRecord &e) { return e.sessionId == u"alice-2"_s; }));
    QCOMPARE(run([](EventStream &s) {
                 s.setClientId(u"alice"_s);
                 s.setNames({u"v1.TodoCreated"_s});
             }),
             expected([](const EventRecord &e) {
                 return e.clientId == u"alice"_s && e.name == u"v1.TodoCreated"_s;
             }));
    QCOMPARE(run([](EventStream &s) { s.setClientId(u"nobody"_s); }), QStringList());
}

void tst_EventStream::cursorResume()
{
    // An ETL job: handles some batches, saves the cursor, stops; a later run resumes from it and
    // every event is handled exactly once.
    auto store = openTodos();
    QVERIFY(store);
    QVERIFY(store->commit(todos(0, 50)));
    QStringList handled;
    SequenceNumber saved;
    {
        EventStream stream(store.get());
        stream.setBatchSize(7);
        int batches = 0;
        connect(&stream, &EventStream::eventsReceived, &stream, [&](const QList<EventRecord> &events) {
            for (const EventRecord &e : events)
                handled.append(e.seqNum.toString());
            saved = stream.cursor();
            if (++batches == 3)
                stream.stop();
        });
        QVERIFY(stream.start());
        QTRY_VERIFY_WITH_TIMEOUT(!stream.isActive(), Timeout);
        QCOMPARE(handled.size(), 21);
        QCOMPARE(saved.toString(), u"e21"_s);
    }
    QVERIFY(store->commit(todos(50, 5)));
    EventStream resumed(store.get());
    resumed.setCursor(saved);
    Consumer consumer(&resumed);
    QVERIFY(resumed.start());
    QTRY_VERIFY_WITH_TIMEOUT(resumed.isCaughtUp(), Timeout);
    handled += consumer.seqNums();
    QCOMPARE(handled, seqNumsOf(store->events()));
}

void tst_EventStream::cursorText()
{
    auto store = openTodos();
    QVERIFY(store);
    QVERIFY(store->commit(todos(0, 5)));
    EventStream stream(store.get());
    QCOMPARE(stream.cursorText(), u"e0"_s);
    QSignalSpy cursorChanged(&stream, &EventStream::cursorChanged);
    stream.setCursorText(u"e3"_s);
    QCOMPARE(stream.cursor(), (SequenceNumber{3, 0, 0}));
    QCOMPARE(cursorChanged.size(), 1);
    QSignalSpy errors(&stream, &EventStream::errorOccurred);
    stream.setCursorText(u"three"_s);
    QCOMPARE(errors.size(), 1);
    QVERIFY(stream.errorString().contains(u"three"_s));
    QCOMPARE(stream.cursorText(), u"e3"_s); // kept
    Consumer consumer(&stream);
    QVERIFY(stream.start());
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);
    QCOMPARE(consumer.seqNums(), (QStringList{u"e4"_s, u"e5"_s}));
    QCOMPARE(stream.cursorText(), u"e5"_s);
    stream.setCursorText(QString()); // empty: from the start
    QCOMPARE(stream.cursor(), SequenceNumber::root());
}

void tst_EventStream::boundedBatches()
{
    // A long history arrives in batches of at most batchSize, each one page that the stream
    // holds only while it is being delivered.
    auto store = openTodos();
    QVERIFY(store);
    constexpr int Total = 20'000;
    constexpr int Batch = 300;
    QVERIFY(store->commit(todos(0, Total)));
    EventStream stream(store.get());
    stream.setBatchSize(Batch);
    Consumer consumer(&stream);
    qsizetype heldBetween = 0;
    int turnsWithTwoBatches = 0;
    int batchesThisTurn = 0;
    // A zero timer runs once per turn of the event loop: no turn may see more than one batch.
    QTimer turn;
    turn.setInterval(0);
    connect(&turn, &QTimer::timeout, &turn, [&] {
        heldBetween = qMax(heldBetween, stream.heldEvents());
        batchesThisTurn = 0;
    });
    connect(&stream, &EventStream::eventsReceived, &stream, [&] {
        if (++batchesThisTurn > 1)
            ++turnsWithTwoBatches;
    });
    turn.start();
    QVERIFY(stream.start());
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), 60'000);
    turn.stop();
    QCOMPARE(consumer.events.size(), Total);
    QCOMPARE(consumer.batches.size(), Total / Batch + (Total % Batch ? 1 : 0));
    QVERIFY(*std::max_element(consumer.batches.cbegin(), consumer.batches.cend()) <= Batch);
    QVERIFY(consumer.maxHeld <= Batch); // while delivering: the page, no more
    QCOMPARE(heldBetween, 0);           // between batches: nothing
    QCOMPARE(stream.heldEvents(), 0);
    QCOMPARE(turnsWithTwoBatches, 0);
    QCOMPARE(consumer.seqNums().constLast(), store->head().toString());
}

void tst_EventStream::pullOnDemand()
{
    // Without autoFetch nothing is read until asked for: a batch per fetchMore(), then live events
    // wait for the next request.
    auto store = openTodos();
    QVERIFY(store);
    QVERIFY(store->commit(todos(0, 25)));
    EventStream stream(store.get());
    stream.setAutoFetch(false);
    stream.setBatchSize(10);
    Consumer consumer(&stream);
    QVERIFY(stream.start());
    for (int i = 0; i < 5; ++i)
        QCoreApplication::processEvents();
    QCOMPARE(consumer.batches.size(), 0);
    QCOMPARE(stream.cursor(), SequenceNumber::root());

    stream.fetchMore();
    QTRY_COMPARE_WITH_TIMEOUT(consumer.batches.size(), 1, Timeout);
    for (int i = 0; i < 5; ++i)
        QCoreApplication::processEvents();
    QCOMPARE(consumer.batches, QList<int>{10});
    QCOMPARE(stream.cursor().toString(), u"e10"_s);

    stream.fetchMore();
    stream.fetchMore(); // requests add up
    QTRY_COMPARE_WITH_TIMEOUT(consumer.batches.size(), 3, Timeout);
    QCOMPARE(consumer.batches, (QList<int>{10, 10, 5}));
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);

    // Caught up, with no request open: a commit waits.
    QVERIFY(store->commit(todos(25, 2)));
    QVERIFY(!stream.isCaughtUp());
    for (int i = 0; i < 5; ++i)
        QCoreApplication::processEvents();
    QCOMPARE(consumer.batches.size(), 3);
    // A request made while caught up is answered by the next commit.
    stream.fetchMore();
    QTRY_COMPARE_WITH_TIMEOUT(consumer.batches.size(), 4, Timeout);
    QCOMPARE(consumer.batches.constLast(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);
    stream.fetchMore();
    QVERIFY(store->commit(todos(27, 1)));
    QTRY_COMPARE_WITH_TIMEOUT(consumer.batches.size(), 5, Timeout);
    QCOMPARE(consumer.seqNums(), seqNumsOf(store->events()));
}

void tst_EventStream::commitFromTheConsumer()
{
    // A consumer that commits while it handles a batch (an audit trail of its own, say): the
    // stream delivers those events too, in order, and never twice.
    auto store = openTodos();
    QVERIFY(store);
    QVERIFY(store->commit(todos(0, 3)));
    EventStream stream(store.get());
    stream.setNames({u"v1.TodoCreated"_s});
    Consumer consumer(&stream);
    int completions = 0;
    connect(&stream, &EventStream::eventsReceived, &stream, [&](const QList<EventRecord> &events) {
        for (const EventRecord &e : events) {
            if (completions < 5)
                QVERIFY(store->commit(todos(100 + completions++, 1)));
        }
    });
    QVERIFY(stream.start());
    QTRY_COMPARE_WITH_TIMEOUT(consumer.events.size(), 8, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);
    QCOMPARE(consumer.events.size(), 8);
    QCOMPARE(consumer.seqNums(), seqNumsOf(store->events()));
}

void tst_EventStream::confirmedOnlyWithoutSync()
{
    // A store that never synced has no confirmed events.
    auto store = openTodos();
    QVERIFY(store);
    QVERIFY(store->commit(todos(0, 5)));
    EventStream stream(store.get());
    stream.setConfirmedOnly(true);
    Consumer consumer(&stream);
    QVERIFY(stream.start());
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);
    QVERIFY(store->commit(todos(5, 1)));
    QTRY_VERIFY_WITH_TIMEOUT(stream.isCaughtUp(), Timeout);
    QCOMPARE(consumer.events.size(), 0);
    QCOMPARE(stream.cursor(), SequenceNumber::root());
}

void tst_EventStream::rebaseTakesBackPendingEvents()
{
    // Without a network: the store's sync engine merges what a server log (here, in the test)
    // returns. A stream with pending events sees its pending events taken back and delivered again
    // after the others'; a confirmed-only stream sees each event once, in its final place.
    auto store = openTodos(u"client-a"_s, true);
    QVERIFY(store);
    SyncEngine engine(store.get());
    EventStream all(store.get());
    EventStream confirmed(store.get());
    confirmed.setConfirmedOnly(true);
    Consumer allSeen(&all);
    Consumer confirmedSeen(&confirmed);
    QVERIFY(all.start());
    QVERIFY(confirmed.start());

    QVERIFY(store->commit(todos(0, 2))); // pending: e1, e2
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.ids(), (QStringList{u"t0"_s, u"t1"_s}), Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(confirmed.isCaughtUp(), Timeout);
    QCOMPARE(confirmedSeen.events.size(), 0);

    // Another client got e1 and e2 first: ours become e3 and e4 of the next rebase generation.
    QSignalSpy rebased(&all, &EventStream::rebased);
    QCOMPARE(engine.applyUpstream(foreignEvents(0, {u"z0"_s, u"z1"_s})).kind, SyncEngine::Result::Rebased);
    QCOMPARE(rebased.size(), 1); // at once, with the store's signal
    QCOMPARE(rebased.at(0).at(0).value<SequenceNumber>(), SequenceNumber::root());
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.ids(), (QStringList{u"z0"_s, u"z1"_s, u"t0"_s, u"t1"_s}), Timeout);
    QCOMPARE(allSeen.seqNums(), seqNumsOf(store->events()));
    QCOMPARE(allSeen.seqNums(), (QStringList{u"e1"_s, u"e2"_s, u"e3r1"_s, u"e4r1"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(confirmedSeen.ids(), (QStringList{u"z0"_s, u"z1"_s}), Timeout);

    // The server takes ours: a pull of their echo only confirms them (the log does not change).
    // Another client's event after them changes it; the confirmed-only stream then delivers all
    // three in order.
    QCOMPARE(engine.applyUpstream(echoOf(engine.pendingEvents(true))).kind, SyncEngine::Result::Advanced);
    QVERIFY(store->commit(todos(2, 1))); // pending again: e5r1
    QTRY_VERIFY_WITH_TIMEOUT(all.isCaughtUp() && allSeen.events.size() == 5, Timeout);
    // After e5 (ours, pending) the server has z2 at e5: ours is rebased to e6.
    QCOMPARE(engine.applyUpstream(foreignEvents(4, {u"z2"_s})).kind, SyncEngine::Result::Rebased);
    QCOMPARE(rebased.size(), 2);
    // Taken back no further than the last confirmed position: e4.
    QCOMPARE(rebased.at(1).at(0).value<SequenceNumber>().toString(), u"e4"_s);
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.ids(),
                              (QStringList{u"z0"_s, u"z1"_s, u"t0"_s, u"t1"_s, u"z2"_s, u"t2"_s}), Timeout);
    QCOMPARE(allSeen.seqNums(), seqNumsOf(store->events()));
    QTRY_COMPARE_WITH_TIMEOUT(confirmedSeen.ids(), (QStringList{u"z0"_s, u"z1"_s, u"t0"_s, u"t1"_s, u"z2"_s}),
                              Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(confirmed.isCaughtUp(), Timeout);
    QCOMPARE(confirmedSeen.rebases.size(), 0); // never takes anything back
}

void tst_EventStream::rebaseThroughSyncServer()
{
    // Two clients through the sync server in-process. A commits offline while B's event reaches
    // the server first: A's stream of everything sees A's event, takes it back and sees both in
    // the server's order; A's confirmed-only stream (told by A's SyncClient) sees each once, A's
    // included as soon as the server confirms it.
    ServerFixture server;
    QVERIFY(server.start());
    SyncedClient a(u"stream-sync"_s, u"client-a"_s, server.url());
    SyncedClient b(u"stream-sync"_s, u"client-b"_s, server.url());
    QVERIFY(a.ok && b.ok);
    EventStream all(&a.store);
    EventStream confirmed(&a.store);
    confirmed.setConfirmedOnly(true);
    confirmed.setSyncClient(a.sync.get());
    Consumer allSeen(&all);
    Consumer confirmedSeen(&confirmed);
    QVERIFY(all.start());
    QVERIFY(confirmed.start());

    QVERIFY(a.create(u"from-a"_s, u"a"_s));
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.ids(), QStringList{u"from-a"_s}, Timeout);
    QVERIFY(b.create(u"from-b"_s, u"b"_s));
    b.sync->start();
    QTRY_VERIFY2_WITH_TIMEOUT(b.sync->pendingCount() == 0 && b.sync->upstreamHead() == 1, qPrintable(describe(std::vector{&b})),
                              Timeout);
    a.sync->start();
    QTRY_VERIFY2_WITH_TIMEOUT(a.sync->pendingCount() == 0 && a.sync->upstreamHead() == 2,
                              qPrintable(describe(std::vector{&a})), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.ids(), (QStringList{u"from-b"_s, u"from-a"_s}), Timeout);
    QCOMPARE(allSeen.seqNums(), seqNumsOf(a.store.events()));
    QCOMPARE(allSeen.rebases.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(confirmedSeen.ids(), (QStringList{u"from-b"_s, u"from-a"_s}), Timeout);
    QCOMPARE(confirmedSeen.rebases.size(), 0);

    // Live: B's next event reaches A's streams through the server.
    QVERIFY(b.create(u"again-b"_s, u"b"_s));
    QTRY_COMPARE_WITH_TIMEOUT(confirmedSeen.ids(), (QStringList{u"from-b"_s, u"from-a"_s, u"again-b"_s}), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.ids(), confirmedSeen.ids(), Timeout);
    // A's own next one: at once in the stream of everything, once confirmed in the other.
    QVERIFY(a.create(u"again-a"_s, u"a"_s));
    QTRY_COMPARE_WITH_TIMEOUT(allSeen.events.size(), 4, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(confirmedSeen.events.size(), 4, Timeout);
    QCOMPARE(confirmedSeen.ids(), allSeen.ids());
    QCOMPARE(confirmedSeen.seqNums(), seqNumsOf(a.store.events()));
}

void tst_EventStream::storeGoesAway()
{
    auto store = openTodos();
    QVERIFY(store);
    EventStream stream(store.get());
    QVERIFY(stream.start());
    QSignalSpy errors(&stream, &EventStream::errorOccurred);
    store.reset();
    QCOMPARE(errors.size(), 1);
    QVERIFY(!stream.isActive());
    QCOMPARE(stream.store(), nullptr);
}

void tst_EventStream::startErrors()
{
    EventStream stream;
    QVERIFY(!stream.start());
    QVERIFY(stream.errorString().contains(u"no store"_s));
    Store closed;
    stream.setStore(&closed);
    QVERIFY(!stream.start());
    QVERIFY(stream.errorString().contains(u"not open"_s));
    QVERIFY(!stream.isActive());
}

QTEST_GUILESS_MAIN(tst_EventStream)
#include "tst_eventstream.moc"
