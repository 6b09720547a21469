// SPDX-License-Identifier: BSD-3-Clause
// The client side of sync without a network: stores pushing to and pulling from an in-memory
// total order that behaves like a sync server (a push must extend its head).
#include "syncedclient.h"
#include "todoschema.h"

#include <livequerymodel.h>
#include <store.h>
#include <syncengine_p.h>

#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qtest.h>

#include <memory>
#include <vector>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

Schema syncSchema()
{
    Schema s = todoSchema();
    s.addEvent(EventDef::synced(u"v1.TodoEdited"_s)
                       .arg(u"id"_s, ArgType::String)
                       .arg(u"text"_s, ArgType::String)
                       .materializeSql({u"UPDATE todos SET text = $text WHERE id = $id"_s}));
    // Not idempotent, and the order counts: applied twice, or out of order, it shows.
    s.addEvent(EventDef::synced(u"v1.TodoAppended"_s)
                       .arg(u"id"_s, ArgType::String)
                       .arg(u"text"_s, ArgType::String)
                       .materializeSql({u"UPDATE todos SET text = text || $text WHERE id = $id"_s}));
    // Handles are unique: moving one deletes a row and inserts another with the same handle, so
    // undoing the move in the wrong order fails the UNIQUE index.
    s.addTable(TableDef{u"handles"_s}
                       .column(ColumnDef::text(u"id"_s).primaryKey())
                       .column(ColumnDef::text(u"handle"_s))
                       .column(ColumnDef::text(u"note"_s).nullable())
                       .index(u"handles_handle"_s, {u"handle"_s}, true));
    s.addEvent(EventDef::synced(u"v1.HandleTaken"_s)
                       .arg(u"id"_s, ArgType::String)
                       .arg(u"handle"_s, ArgType::String)
                       .materializeSql({u"INSERT INTO handles (id, handle) VALUES ($id, $handle)"_s}));
    s.addEvent(EventDef::synced(u"v1.HandleMoved"_s)
                       .arg(u"from"_s, ArgType::String)
                       .arg(u"to"_s, ArgType::String)
                       .arg(u"handle"_s, ArgType::String)
                       .materializeSql({u"DELETE FROM handles WHERE id = $from"_s,
                                        u"INSERT INTO handles (id, handle, note) VALUES ($to, $handle, 'from ' || $from)"_s}));
    s.addEvent(EventDef::synced(u"v1.HandleNoted"_s)
                       .arg(u"id"_s, ArgType::String)
                       .arg(u"note"_s, ArgType::String)
                       .materializeSql({u"UPDATE handles SET note = nullif($note, '') WHERE id = $id"_s}));
    return s;
}

// The server: one total order; accepts a push only if it extends the head.
struct FakeServer
{
    QList<EventRecord> log;
    qint64 head() const { return log.isEmpty() ? 0 : log.constLast().seqNum.global; }
    bool push(const QList<EventRecord> &batch)
    {
        if (batch.isEmpty() || batch.constFirst().parentSeqNum.global != head())
            return false; // ServerAheadError
        for (const EventRecord &e : batch) {
            EventRecord wire = e;
            wire.seqNum = {e.seqNum.global, 0, 0};
            wire.parentSeqNum = {e.parentSeqNum.global, 0, 0};
            log.append(wire);
        }
        return true;
    }
    QList<EventRecord> pullAfter(qint64 cursor) const
    {
        QList<EventRecord> out;
        for (const EventRecord &e : log) {
            if (e.seqNum.global > cursor)
                out.append(e);
        }
        return out;
    }
};

struct Client
{
    explicit Client(const QString &clientId)
    {
        StoreOptions o;
        o.storeId = u"shared"_s;
        o.schema = syncSchema();
        o.inMemory = true;
        o.recordChangesets = true;
        o.clientId = clientId;
        o.sessionId = u"s-"_s + clientId;
        ok = store.open(o);
        engine = std::make_unique<SyncEngine>(&store);
    }
    bool create(const QString &id, const QString &text)
    {
        return store.commit(u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, text}});
    }
    bool edit(const QString &id, const QString &text)
    {
        return store.commit(u"v1.TodoEdited"_s, {{u"id"_s, id}, {u"text"_s, text}});
    }
    bool complete(const QString &id) { return store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, id}}); }
    bool append(const QString &id, const QString &text)
    {
        return store.commit(u"v1.TodoAppended"_s, {{u"id"_s, id}, {u"text"_s, text}});
    }
    int recordedChangesets()
    {
        return store.query(u"SELECT count(*) FROM __livestore_session_changeset"_s).scalar().toInt();
    }
    bool push(FakeServer &server) { return server.push(engine->pendingEvents(true)); }
    SyncEngine::Result pull(const FakeServer &server)
    {
        return engine->applyUpstream(server.pullAfter(engine->upstreamHead()));
    }
    QStringList texts()
    {
        QStringList out;
        const QueryResult r = store.query(u"SELECT id || ':' || text FROM todos ORDER BY id"_s);
        for (const QVariantList &row : r.rows())
            out.append(row.at(0).toString());
        return out;
    }
    QStringList handles()
    {
        QStringList out;
        const QueryResult r = store.query(
                u"SELECT id || ':' || handle || ':' || coalesce(note, '-') FROM handles ORDER BY id"_s);
        for (const QVariantList &row : r.rows())
            out.append(row.at(0).toString());
        return out;
    }
    QStringList history() const { return globalHistory(store); }
    Store store;
    std::unique_ptr<SyncEngine> engine;
    bool ok = false;
};

} // namespace

class tst_SyncEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void confirmsOwnEvents()
    {
        FakeServer server;
        Client a(u"A"_s);
        QVERIFY(a.ok);
        QVERIFY(a.create(u"1"_s, u"one"_s));
        QVERIFY(a.create(u"2"_s, u"two"_s));
        QCOMPARE(a.engine->pendingEvents(true).size(), 2);
        QVERIFY(a.push(server));
        const QByteArray before = a.store.stateDigest();
        const SyncEngine::Result r = a.pull(server);
        QCOMPARE(r.kind, SyncEngine::Result::Advanced);
        QCOMPARE(r.confirmed, 2);
        QCOMPARE(r.applied, 0);
        QCOMPARE(a.engine->upstreamHead(), 2);
        QVERIFY(a.engine->pendingEvents(false).isEmpty());
        QCOMPARE(a.store.stateDigest(), before);
        QVERIFY(a.store.verify());
    }

    // Pulled arguments that are not an object: sync-cf sends "args":null for an event pushed
    // without arguments, and a peer's may be of another kind. They are applied (or skipped, as
    // not fitting the schema) and stay readable: the log, verify(), a rebuild and a rebase by
    // replay failed on them before.
    void pulledArgumentsThatAreNoObject()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"1"_s, u"one"_s));
        QVERIFY(a.push(server));
        for (const QByteArray &args : {QByteArray("null"), QByteArray("\"text\""), QByteArray("[1]"), QByteArray("5")}) {
            EventRecord e;
            e.name = u"v1.TodoCompleted"_s;
            e.argsJson = args;
            e.parentSeqNum = {server.head(), 0, 0};
            e.seqNum = {server.head() + 1, 0, 0};
            e.clientId = u"peer"_s;
            e.sessionId = u"peer"_s;
            server.log.append(e);
        }
        QVERIFY(b.create(u"2"_s, u"two"_s)); // pending: the pull rebases it by replay
        const SyncEngine::Result r = b.pull(server);
        QVERIFY2(r.kind == SyncEngine::Result::Rebased, qPrintable(b.engine->errorString()));
        bool ok = false;
        const QList<EventRecord> log = b.store.events({}, &ok);
        QVERIFY2(ok, qPrintable(b.store.errorString()));
        QCOMPARE(log.size(), 6);
        QCOMPARE(log.at(1).argsJson, QByteArray("null"));
        QVERIFY(log.at(1).args.isEmpty());
        QVERIFY2(b.store.verify(), qPrintable(b.store.errorString()));
        QVERIFY2(b.store.rematerialize(), qPrintable(b.store.errorString()));
        QCOMPARE(b.texts(), (QStringList{u"1:one"_s, u"2:two"_s}));
    }

    void appliesOthersEvents()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"1"_s, u"one"_s));
        QVERIFY(a.push(server));
        int calls = 0;
        Subscription sub = b.store.subscribe(Query::from(u"todos"_s), [&](const QueryResult &) { ++calls; });
        const SyncEngine::Result r = b.pull(server);
        QCOMPARE(r.kind, SyncEngine::Result::Advanced);
        QCOMPARE(r.applied, 1);
        QCOMPARE(b.texts(), QStringList{u"1:one"_s});
        QCOMPARE(calls, 2); // initial + one refresh for the merge
        QCOMPARE(b.store.events().first().clientId, u"A"_s);
        QCOMPARE(b.store.head(), (SequenceNumber{1, 0, 0}));
        QVERIFY(b.store.verify());
    }

    void rebasesOnServerAhead()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"a"_s, u"from A"_s));
        QVERIFY(b.create(u"b"_s, u"from B"_s));
        QVERIFY(a.push(server));
        QVERIFY(!b.push(server)); // ServerAheadError: e1 is taken
        const SyncEngine::Result r = b.pull(server);
        QCOMPARE(r.kind, SyncEngine::Result::Rebased);
        QCOMPARE(r.applied, 1);
        QCOMPARE(r.rebased, 1);
        // B's event now follows A's, one rebase generation up.
        const QList<EventRecord> pending = b.engine->pendingEvents(true);
        QCOMPARE(pending.size(), 1);
        QCOMPARE(pending.first().seqNum, (SequenceNumber{2, 0, 1}));
        QCOMPARE(pending.first().parentSeqNum.global, 1);
        QVERIFY(b.store.verify());
        QVERIFY(b.push(server));
        QCOMPARE(b.pull(server).confirmed, 1);
        QCOMPARE(a.pull(server).applied, 1);
        QCOMPARE(a.texts(), b.texts());
        QCOMPARE(a.history(), b.history());
        QCOMPARE(a.store.stateDigest(), b.store.stateDigest());
        QVERIFY(a.store.verify());
    }

    // A rebase re-applies its pending events as one run with one changeset. When the server then
    // confirms only the run's first events and orders someone else's after them, the rollback
    // starts inside the run: it undoes the run and applies the confirmed part again, so that the
    // result is the server's order, each event applied once.
    void rollbackInsideARebasedRun()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"a"_s, u"A"_s));
        QVERIFY(b.create(u"x"_s, u"<"_s));
        QVERIFY(b.append(u"x"_s, u"b1"_s));
        QVERIFY(b.append(u"x"_s, u"b2"_s));
        QVERIFY(a.push(server));
        QVERIFY(!b.push(server));
        const SyncEngine::Result first = b.pull(server);
        QCOMPARE(first.kind, SyncEngine::Result::Rebased);
        QCOMPARE(first.rebased, 3);
        QCOMPARE(b.recordedChangesets(), 3); // the run: its three events, one changeset
        QCOMPARE(b.texts(), (QStringList{u"a:A"_s, u"x:<b1b2"_s}));

        // Only B's first event reaches the server, then A appends to x.
        const QList<EventRecord> pending = b.engine->pendingEvents(true);
        QCOMPARE(pending.size(), 3);
        QVERIFY(server.push(pending.mid(0, 1)));
        QCOMPARE(a.pull(server).applied, 1);
        QVERIFY(a.append(u"x"_s, u"a"_s));
        QVERIFY(a.push(server));

        const SyncEngine::Result second = b.pull(server);
        QCOMPARE(second.kind, SyncEngine::Result::Rebased);
        QCOMPARE(second.confirmed, 1);
        QCOMPARE(second.applied, 1);
        QCOMPARE(second.rebased, 2);
        QCOMPARE(b.texts(), (QStringList{u"a:A"_s, u"x:<ab1b2"_s}));
        QVERIFY2(b.store.verify(), qPrintable(b.store.errorString()));

        QVERIFY(b.push(server));
        QCOMPARE(b.pull(server).confirmed, 2);
        a.pull(server);
        Client c(u"C"_s);
        c.pull(server);
        for (Client *client : {&a, &b}) {
            QCOMPARE(client->texts(), c.texts());
            QCOMPARE(client->history(), c.history());
            QCOMPARE(client->store.stateDigest(), c.store.stateDigest());
        }
        QCOMPARE(c.texts(), (QStringList{u"a:A"_s, u"x:<ab1b2"_s}));
        QCOMPARE(b.recordedChangesets(), 0); // everything confirmed
    }

    // A commit of several events keeps one changeset for them too; the server confirms the first
    // and orders another client's event after it: the rollback starts inside the commit's run.
    void rollbackInsideACommittedRun()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(b.store.commit(QList<Event>{{u"v1.TodoCreated"_s, {{u"id"_s, u"x"_s}, {u"text"_s, u"<"_s}}},
                                            {u"v1.TodoAppended"_s, {{u"id"_s, u"x"_s}, {u"text"_s, u"b1"_s}}},
                                            {u"v1.TodoAppended"_s, {{u"id"_s, u"x"_s}, {u"text"_s, u"b2"_s}}}}));
        QCOMPARE(b.recordedChangesets(), 3);
        QVERIFY(server.push(b.engine->pendingEvents(true).mid(0, 1)));
        QCOMPARE(a.pull(server).applied, 1);
        QVERIFY(a.append(u"x"_s, u"a"_s));
        QVERIFY(a.push(server));
        const SyncEngine::Result r = b.pull(server);
        QCOMPARE(r.kind, SyncEngine::Result::Rebased);
        QCOMPARE(r.confirmed, 1);
        QCOMPARE(r.rebased, 2);
        QCOMPARE(b.texts(), QStringList{u"x:<ab1b2"_s});
        QVERIFY2(b.store.verify(), qPrintable(b.store.errorString()));
        QVERIFY(b.push(server));
        b.pull(server);
        a.pull(server);
        QCOMPARE(a.texts(), b.texts());
        QCOMPARE(a.store.stateDigest(), b.store.stateDigest());
        QCOMPARE(a.history(), b.history());
    }

    void rebaseOfTheSameRowsEndsInServerOrder()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"x"_s, u"start"_s));
        QVERIFY(a.push(server));
        QCOMPARE(a.pull(server).confirmed, 1); // confirmed only when it comes back
        QVERIFY(b.pull(server).applied == 1);
        // Both edit the same todo; A reaches the server first, so B's edit wins (it comes last).
        QVERIFY(a.edit(u"x"_s, u"A1"_s));
        QVERIFY(b.edit(u"x"_s, u"B1"_s));
        QVERIFY(b.edit(u"x"_s, u"B2"_s));
        QVERIFY(a.push(server));
        QVERIFY(!b.push(server));
        QCOMPARE(b.pull(server).kind, SyncEngine::Result::Rebased);
        QCOMPARE(b.texts(), QStringList{u"x:B2"_s});
        QVERIFY(b.push(server));
        a.pull(server);
        b.pull(server);
        QCOMPARE(a.texts(), QStringList{u"x:B2"_s});
        QCOMPARE(a.history(), b.history());
        QVERIFY(a.store.verify());
        QVERIFY(b.store.verify());
    }

    // A rebase undoes inserts, deletes and updates (NULLs included) of the pending events. Undoing
    // a move in changeset order can hit the UNIQUE index (the moved-to row still holds the
    // handle when the moved-from row comes back): then SQLite's changeset_apply() takes over,
    // which retries such changes after the others. Which of the two moves meets that order
    // depends on SQLite's hashing of the keys; both must end the same on both clients.
    void rebaseUndoesEveryKindOfChange_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::newRow("a to b") << u"a"_s << u"b"_s;
        QTest::newRow("b to a") << u"b"_s << u"a"_s;
    }

    void rebaseUndoesEveryKindOfChange()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        auto commit = [](Client &c, const QString &name, const QVariantMap &args) {
            return c.store.commit(name, args);
        };
        QVERIFY(commit(a, u"v1.HandleTaken"_s, {{u"id"_s, from}, {u"handle"_s, u"x"_s}}));
        QVERIFY(commit(a, u"v1.HandleTaken"_s, {{u"id"_s, u"c"_s}, {u"handle"_s, u"y"_s}}));
        QVERIFY(commit(a, u"v1.HandleNoted"_s, {{u"id"_s, u"c"_s}, {u"note"_s, u"first"_s}}));
        QVERIFY(a.push(server));
        a.pull(server);
        QCOMPARE(b.pull(server).applied, 3);

        QVERIFY(commit(b, u"v1.HandleMoved"_s, {{u"from"_s, from}, {u"to"_s, to}, {u"handle"_s, u"x"_s}}));
        QVERIFY(commit(b, u"v1.HandleNoted"_s, {{u"id"_s, u"c"_s}, {u"note"_s, QString()}})); // to NULL
        QVERIFY(commit(b, u"v1.HandleTaken"_s, {{u"id"_s, u"d"_s}, {u"handle"_s, u"z"_s}}));
        QVERIFY(commit(b, u"v1.HandleNoted"_s, {{u"id"_s, u"d"_s}, {u"note"_s, u"B"_s}}));
        QVERIFY(commit(a, u"v1.HandleNoted"_s, {{u"id"_s, u"c"_s}, {u"note"_s, u"A"_s}}));
        QVERIFY(commit(a, u"v1.HandleTaken"_s, {{u"id"_s, u"e"_s}, {u"handle"_s, u"w"_s}}));
        QVERIFY(a.push(server));
        QVERIFY(!b.push(server));
        const SyncEngine::Result rebased = b.pull(server);
        QCOMPARE(rebased.kind, SyncEngine::Result::Rebased);
        QCOMPARE(rebased.applied, 2);
        QCOMPARE(rebased.rebased, 4);
        QStringList expected{u"c:y:-"_s, u"d:z:B"_s, u"e:w:-"_s, to + u":x:from "_s + from};
        expected.sort();
        QCOMPARE(b.handles(), expected);
        QVERIFY(b.store.verify());
        QVERIFY(b.push(server));
        a.pull(server);
        b.pull(server);
        QCOMPARE(a.handles(), expected);
        QCOMPARE(a.history(), b.history());
        QVERIFY(a.store.verify());
        QVERIFY(b.store.verify());
    }

    // Events committed while the store kept no changesets (opened by something that did not
    // sync) are rebased by rewriting the eventlog and replaying it; mixed with events that do
    // have changesets, and touching the same row as the server's events.
    void rebaseWithoutChangesetsReplays()
    {
        QTemporaryDir dir;
        FakeServer server;
        Client a(u"A"_s);
        QVERIFY(a.create(u"x"_s, u"start"_s));
        QVERIFY(a.push(server));
        QCOMPARE(a.pull(server).confirmed, 1);

        StoreOptions o;
        o.storeId = u"shared"_s;
        o.schema = syncSchema();
        o.directory = dir.path();
        o.clientId = u"B"_s;
        o.sessionId = u"s-B"_s;
        {
            Store plain;
            o.recordChangesets = true;
            QVERIFY(plain.open(o));
            SyncEngine engine(&plain);
            QCOMPARE(engine.applyUpstream(server.pullAfter(0)).applied, 1);
        }
        {
            Store plain; // no changesets recorded for these
            o.recordChangesets = false;
            QVERIFY(plain.open(o));
            QVERIFY(plain.commit(u"v1.TodoEdited"_s, {{u"id"_s, u"x"_s}, {u"text"_s, u"B1"_s}}));
            QVERIFY(plain.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"y"_s}, {u"text"_s, u"B"_s}}));
        }
        Store b;
        o.recordChangesets = true;
        QVERIFY(b.open(o));
        QVERIFY(b.commit(u"v1.TodoEdited"_s, {{u"id"_s, u"y"_s}, {u"text"_s, u"B2"_s}})); // recorded
        SyncEngine engine(&b);
        // Meanwhile A edits x and adds z.
        QVERIFY(a.edit(u"x"_s, u"A1"_s));
        QVERIFY(a.create(u"z"_s, u"from A"_s));
        QVERIFY(a.push(server));

        const SyncEngine::Result r = engine.applyUpstream(server.pullAfter(engine.upstreamHead()));
        QCOMPARE(r.kind, SyncEngine::Result::Rebased);
        QCOMPARE(r.applied, 2);
        QCOMPARE(r.rebased, 3);
        // B's edit of x now comes after A's: B1 wins.
        const QueryResult rows = b.query(u"SELECT id || ':' || text FROM todos ORDER BY id"_s);
        QStringList texts;
        for (const QVariantList &row : rows.rows())
            texts.append(row.at(0).toString());
        QCOMPARE(texts, (QStringList{u"x:B1"_s, u"y:B2"_s, u"z:from A"_s}));
        QVERIFY2(b.verify(), qPrintable(b.errorString()));
        const QList<EventRecord> pending = engine.pendingEvents(true);
        QCOMPARE(pending.size(), 3);
        QCOMPARE(pending.first().seqNum, (SequenceNumber{4, 0, 1}));

        // Pushed and confirmed, everyone agrees.
        QVERIFY(server.push(pending));
        QCOMPARE(engine.applyUpstream(server.pullAfter(engine.upstreamHead())).confirmed, 3);
        a.pull(server);
        QCOMPARE(a.texts(), texts);
        QCOMPARE(a.store.stateDigest(), b.stateDigest());
    }

    void clientOnlyEventsStayLocal()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"a"_s, u"A"_s));
        QVERIFY(b.create(u"b"_s, u"B"_s));
        QVERIFY(b.store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        QVERIFY(b.create(u"c"_s, u"C"_s));
        QCOMPARE(b.engine->pendingEvents(true).size(), 2);  // never pushed
        QCOMPARE(b.engine->pendingEvents(false).size(), 3);
        QVERIFY(a.push(server));
        QCOMPARE(b.pull(server).rebased, 3);
        QCOMPARE(b.store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"active"_s);
        const QList<EventRecord> pending = b.engine->pendingEvents(false);
        QCOMPARE(pending.at(0).seqNum, (SequenceNumber{2, 0, 1}));
        QCOMPARE(pending.at(1).seqNum, (SequenceNumber{2, 1, 1})); // the document's event, e2.1
        QCOMPARE(pending.at(2).seqNum, (SequenceNumber{3, 0, 1}));
        QVERIFY(b.push(server));
        b.pull(server);
        a.pull(server);
        QCOMPARE(a.texts(), b.texts());
        QCOMPARE(a.history(), b.history());
        QCOMPARE(a.store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"all"_s);
        QVERIFY(a.store.verify());
        QVERIFY(b.store.verify());
    }

    void redeliveriesAreDroppedAndGapsRefused()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        QVERIFY(a.create(u"1"_s, u"one"_s));
        QVERIFY(a.create(u"2"_s, u"two"_s));
        QVERIFY(a.push(server));
        QCOMPARE(a.pull(server).confirmed, 2);
        QCOMPARE(b.pull(server).applied, 2);
        // The same events again (a server re-delivering on a new live pull): dropped, not fatal.
        const SyncEngine::Result again = b.engine->applyUpstream(server.log);
        QCOMPARE(again.kind, SyncEngine::Result::Ignored);
        QCOMPARE(again.dropped, 2);
        // A gap is refused and changes nothing.
        QVERIFY(a.create(u"3"_s, u"three"_s));
        QVERIFY(a.create(u"4"_s, u"four"_s));
        QVERIFY(a.push(server));
        const QByteArray before = b.store.stateDigest();
        const SyncEngine::Result gap = b.engine->applyUpstream({server.log.constLast()});
        QCOMPARE(gap.kind, SyncEngine::Result::Failed);
        QCOMPARE(b.engine->errorString(), u"pulled events skip from e2 to e4"_s);
        QCOMPARE(b.store.stateDigest(), before);
        QCOMPARE(b.engine->upstreamHead(), 2);
    }

    // With `sliced`, every merge runs a step at a time (SyncEngine::applyUpstream() with a
    // budget of 1 ns), and between the steps the client may do nothing, read its store (which
    // completes the merge) or commit (which completes it, then lands on top).
    void manyClientsConverge_data()
    {
        QTest::addColumn<int>("clients");
        QTest::addColumn<int>("events");
        QTest::addColumn<bool>("sliced");
        QTest::newRow("2 clients, 40 events") << 2 << 40 << false;
        QTest::newRow("5 clients, 200 events") << 5 << 200 << false;
        QTest::newRow("10 clients, 400 events") << 10 << 400 << false;
        QTest::newRow("5 clients, 200 events, merges in slices") << 5 << 200 << true;
        QTest::newRow("10 clients, 400 events, merges in slices") << 10 << 400 << true;
    }
    void manyClientsConverge()
    {
        QFETCH(int, clients);
        QFETCH(int, events);
        QFETCH(bool, sliced);
        FakeServer server;
        std::vector<std::unique_ptr<Client>> cs;
        for (int i = 0; i < clients; ++i)
            cs.push_back(std::make_unique<Client>(u"C%1"_s.arg(i)));
        QRandomGenerator rng(clients * 1000 + events);
        int rebases = 0;
        int suspended = 0;       // slices that ended with the merge still open
        int completedByRead = 0; // merges a read of the store completed
        int completedByCommit = 0;
        int step = 0;
        bool quiet = false; // the end: no more commits
        auto pull = [&](Client &c) {
            if (!sliced)
                return c.pull(server);
            SyncEngine::Result r = c.engine->applyUpstream(server.pullAfter(c.engine->upstreamHead()), 1);
            while (r.kind == SyncEngine::Result::InProgress) {
                ++suspended;
                if (!c.engine->isMerging()) {
                    qWarning("InProgress, but no merge in flight");
                    return SyncEngine::Result{SyncEngine::Result::Failed};
                }
                switch (rng.bounded(8)) {
                case 0:
                    c.texts(); // a read: the merge completes first
                    ++completedByRead;
                    break;
                case 1:
                    if (quiet)
                        break;
                    if (!c.create(u"m%1-%2"_s.arg(completedByCommit).arg(c.store.clientId()), u"m%1"_s.arg(step))) {
                        qWarning("commit: %s", qPrintable(c.store.errorString()));
                        return SyncEngine::Result{SyncEngine::Result::Failed};
                    }
                    ++completedByCommit;
                    break;
                default:
                    break;
                }
                r = c.engine->continueUpstream(1);
            }
            if (c.engine->isMerging()) {
                qWarning("done, but a merge still in flight");
                return SyncEngine::Result{SyncEngine::Result::Failed};
            }
            return r;
        };
        auto sync = [&](Client &c) {
            c.push(server); // may be refused: someone else extended the head first
            const SyncEngine::Result r = pull(c);
            rebases += r.kind == SyncEngine::Result::Rebased ? 1 : 0;
            if (r.kind == SyncEngine::Result::Failed)
                qWarning("%s: %s", qPrintable(c.store.clientId()), qPrintable(c.engine->errorString()));
            return r.kind != SyncEngine::Result::Failed;
        };
        for (step = 0; step < events; ++step) {
            Client &c = *cs.at(rng.bounded(clients));
            switch (rng.bounded(4)) {
            case 0:
            case 1:
                QVERIFY(c.create(u"%1-%2"_s.arg(step).arg(c.store.clientId()), u"t%1"_s.arg(step)));
                break;
            case 2: {
                const QueryResult r = c.store.query(u"SELECT id FROM todos ORDER BY random() LIMIT 1"_s);
                if (!r.isEmpty())
                    QVERIFY(c.edit(r.scalar().toString(), u"e%1"_s.arg(step)));
                break;
            }
            default:
                QVERIFY(sync(c)); // now and then: push, then pull (confirm or rebase)
                break;
            }
        }
        // Until quiet: everyone pushes and pulls.
        quiet = true;
        for (int round = 0; round < clients * 4; ++round) {
            for (auto &c : cs)
                QVERIFY(sync(*c));
        }
        for (auto &c : cs) {
            QVERIFY(c->engine->pendingEvents(true).isEmpty());
            QCOMPARE(c->history(), cs.front()->history());
            QCOMPARE(c->store.stateDigest(), cs.front()->store.stateDigest());
            QVERIFY2(c->store.verify(), qPrintable(c->store.errorString()));
        }
        QCOMPARE(cs.front()->engine->upstreamHead(), server.head());
        QVERIFY2(rebases > 0, "the history should have made some client rebase");
        if (sliced) {
            QVERIFY(suspended > 0);
            QVERIFY(completedByRead > 0);
            QVERIFY(completedByCommit > 0);
        }
        qInfo("%d clients, %lld events on the server, %d rebases, %d slices suspended", clients,
              server.head(), rebases, suspended);
    }

    // A merge in slices: until its last slice commits, the store and its live queries show the
    // state before it (no model signal at all), and then the models move in one step to what a
    // merge in one go gives.
    void slicedMergeShowsOnlyWhenItCommits()
    {
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s), whole(u"W"_s);
        for (int i = 0; i < 40; ++i)
            QVERIFY(a.create(u"a%1"_s.arg(i, 2, 10, QChar(u'0')), u"A%1"_s.arg(i)));
        QVERIFY(a.push(server));
        for (Client *c : {&b, &whole}) {
            for (int i = 0; i < 30; ++i)
                QVERIFY(c->create(u"b%1"_s.arg(i, 2, 10, QChar(u'0')), u"B%1"_s.arg(i)));
            QVERIFY(c->edit(u"b00"_s, u"edited"_s));
        }
        LiveQueryModel model(&b.store, Query::sql(u"SELECT * FROM todos ORDER BY id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 30);
        int signals = 0;
        const auto count = [&] { ++signals; };
        connect(&model, &QAbstractItemModel::rowsInserted, this, count);
        connect(&model, &QAbstractItemModel::rowsRemoved, this, count);
        connect(&model, &QAbstractItemModel::rowsMoved, this, count);
        connect(&model, &QAbstractItemModel::dataChanged, this, count);
        connect(&model, &QAbstractItemModel::modelReset, this, count);
        int eventlogChanges = 0;
        connect(&b.store, &Store::eventlogChanged, this, [&] { ++eventlogChanges; });

        SyncEngine::Result r = b.engine->applyUpstream(server.log, 1);
        int slices = 1;
        while (r.kind == SyncEngine::Result::InProgress) {
            QVERIFY(b.engine->isMerging());
            QCOMPARE(signals, 0);
            QCOMPARE(eventlogChanges, 0);
            QCOMPARE(model.rowCount(), 30);
            if (slices == 1) // one merge at a time
                QCOMPARE(b.engine->applyUpstream(server.log).kind, SyncEngine::Result::Failed);
            r = b.engine->continueUpstream(1);
            ++slices;
        }
        QCOMPARE(r.kind, SyncEngine::Result::Rebased);
        QVERIFY2(slices > 70, qPrintable(QString::number(slices))); // 31 undone, 40 applied, 31 re-applied
        QVERIFY(!b.engine->isMerging());
        QCOMPARE(r.applied, 40);
        QCOMPARE(r.rebased, 31);
        QCOMPARE(eventlogChanges, 1);
        QVERIFY(signals > 0);
        QCOMPARE(model.rowCount(), 70);

        const SyncEngine::Result inOneGo = whole.pull(server);
        QCOMPARE(inOneGo.kind, SyncEngine::Result::Rebased);
        QCOMPARE(b.texts(), whole.texts());
        QCOMPARE(b.store.stateDigest(), whole.store.stateDigest());
        QCOMPARE(b.engine->pendingEvents(false).size(), 31);
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(model.data(model.index(row, 0)).toString(),
                     whole.store.query(u"SELECT id FROM todos ORDER BY id"_s).value(row, 0).toString());
        QVERIFY2(b.store.verify(), qPrintable(b.store.errorString()));
    }

    // Anything that uses the store while a merge is in flight completes it first: a query sees
    // the merged state, and the live queries have heard of it before the query returns; a commit
    // lands on top of it. The engine's caller then gets the merge's result.
    void useOfTheStoreCompletesTheMergeInFlight_data()
    {
        QTest::addColumn<QString>("use");
        QTest::newRow("query") << u"query"_s;
        QTest::newRow("commit") << u"commit"_s;
        QTest::newRow("eventlog read") << u"events"_s;
    }

    void useOfTheStoreCompletesTheMergeInFlight()
    {
        QFETCH(QString, use);
        FakeServer server;
        Client a(u"A"_s), b(u"B"_s);
        for (int i = 0; i < 20; ++i)
            QVERIFY(a.create(u"a%1"_s.arg(i, 2, 10, QChar(u'0')), u"A"_s));
        QVERIFY(a.push(server));
        for (int i = 0; i < 20; ++i)
            QVERIFY(b.create(u"b%1"_s.arg(i, 2, 10, QChar(u'0')), u"B"_s));
        LiveQueryModel model(&b.store, Query::sql(u"SELECT * FROM todos ORDER BY id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // A live query's last result is not a use of the store: it shows the state before.
        const LiveQuery count = b.store.liveQuery(Query::sql(u"SELECT count(*) FROM todos"_s));
        QCOMPARE(count.result().scalar().toInt(), 20);
        int completed = 0;
        b.engine->setMergeCompletedHandler([&] { ++completed; });

        const SyncEngine::Result first = b.engine->applyUpstream(server.log, 1);
        QCOMPARE(first.kind, SyncEngine::Result::InProgress);
        QCOMPARE(model.rowCount(), 20);
        QCOMPARE(count.result().scalar().toInt(), 20);
        QCOMPARE(completed, 0);
        if (use == u"query") {
            QCOMPARE(b.store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 40);
        } else if (use == u"commit") {
            QVERIFY(b.create(u"c"_s, u"after"_s));
            QCOMPARE(b.store.head().global, 41); // on top of the server's 20 and our 20 rebased
        } else {
            QCOMPARE(b.store.events().size(), 40);
        }
        QCOMPARE(completed, 1);
        QCOMPARE(count.result().scalar().toInt(), use == u"commit" ? 41 : 40);
        QCOMPARE(model.rowCount(), use == u"commit" ? 41 : 40);
        QVERIFY(b.engine->isMerging()); // its result not yet taken
        const SyncEngine::Result r = b.engine->continueUpstream(1);
        QCOMPARE(r.kind, SyncEngine::Result::Rebased);
        QCOMPARE(r.applied, 20);
        QCOMPARE(r.rebased, 20);
        QVERIFY(!b.engine->isMerging());
        QCOMPARE(b.engine->continueUpstream(1).kind, SyncEngine::Result::Failed); // none in flight
        QCOMPARE(b.engine->upstreamHead(), 20);
        QCOMPARE(b.engine->pendingEvents(true).size(), use == u"commit" ? 21 : 20);
        QVERIFY2(b.store.verify(), qPrintable(b.store.errorString()));
    }

    // Closing the store (or the engine going away) in the middle of a merge rolls it back whole:
    // the pulled events are not there, ours are pending as before, and the next pull merges.
    void mergeInFlightRollsBackWhenTheStoreCloses_data()
    {
        QTest::addColumn<bool>("closeStore"); // else: the engine is deleted
        QTest::newRow("store closed") << true;
        QTest::newRow("engine deleted") << false;
    }

    void mergeInFlightRollsBackWhenTheStoreCloses()
    {
        QFETCH(bool, closeStore);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        StoreOptions o;
        o.storeId = u"shared"_s;
        o.schema = syncSchema();
        o.directory = dir.path();
        o.recordChangesets = true;
        o.clientId = u"B"_s;
        FakeServer server;
        Client a(u"A"_s);
        for (int i = 0; i < 20; ++i)
            QVERIFY(a.create(u"a%1"_s.arg(i), u"A"_s));
        QVERIFY(a.push(server));
        QByteArray before;
        {
            Store store;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            for (int i = 0; i < 20; ++i)
                QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"b%1"_s.arg(i)}, {u"text"_s, u"B"_s}}));
            before = store.stateDigest();
            auto engine = std::make_unique<SyncEngine>(&store);
            QCOMPARE(engine->applyUpstream(server.log, 1).kind, SyncEngine::Result::InProgress);
            QCOMPARE(engine->continueUpstream(1).kind, SyncEngine::Result::InProgress);
            if (closeStore) {
                store.close();
                QVERIFY(engine->isMerging());
                const SyncEngine::Result r = engine->continueUpstream(1);
                QCOMPARE(r.kind, SyncEngine::Result::Failed);
                QCOMPARE(engine->errorString(), u"the merge of pulled events was rolled back: the store was closed"_s);
            } else {
                engine.reset();
                QCOMPARE(store.stateDigest(), before);
                QCOMPARE(store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 20);
            }
        }
        Store store;
        QVERIFY2(store.open(o), qPrintable(store.errorString()));
        QCOMPARE(store.stateDigest(), before);
        SyncEngine engine(&store);
        QCOMPARE(engine.upstreamHead(), 0);
        QCOMPARE(engine.pendingEvents(true).size(), 20);
        const SyncEngine::Result r = engine.applyUpstream(server.log);
        QCOMPARE(r.kind, SyncEngine::Result::Rebased);
        QCOMPARE(store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 40);
        QVERIFY2(store.verify(), qPrintable(store.errorString()));
    }

    // Live queries of the shapes that follow rows (one table, ORDER BY, WHERE, LIMIT, count)
    // are kept up to date from the rows a merge changed, as after a commit: through pulled
    // events, confirmations and rebases (undone with the store's statements or, for the moves
    // of unique handles, with SQLite's changeset_apply), every model equals a fresh run of its
    // query after every step, and its signals make sense to QAbstractItemModelTester.
    void liveQueriesFollowMergesAndRebases()
    {
        FakeServer server;
        constexpr int Clients = 3;
        const QStringList queries = {
            u"SELECT * FROM todos ORDER BY id"_s,
            u"SELECT id, text FROM todos WHERE completed = 0 ORDER BY text LIMIT 5"_s,
            u"SELECT * FROM todos ORDER BY text DESC, id LIMIT 3"_s,
            u"SELECT count(*) FROM todos WHERE text > 'm'"_s,
            u"SELECT * FROM handles ORDER BY handle"_s,
            u"SELECT id, note FROM handles WHERE note IS NOT NULL ORDER BY id LIMIT 2"_s,
        };
        struct Watched
        {
            std::unique_ptr<Client> client;
            std::vector<std::unique_ptr<LiveQueryModel>> models;
            std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
        };
        std::vector<Watched> cs;
        for (int i = 0; i < Clients; ++i) {
            Watched w;
            w.client = std::make_unique<Client>(u"C%1"_s.arg(i));
            QVERIFY(w.client->ok);
            for (const QString &sql : queries) {
                w.models.push_back(std::make_unique<LiveQueryModel>(&w.client->store, Query::sql(sql)));
                w.testers.push_back(std::make_unique<QAbstractItemModelTester>(
                        w.models.back().get(), QAbstractItemModelTester::FailureReportingMode::QtTest));
            }
            cs.push_back(std::move(w));
        }
        auto check = [&](Watched &w, const QString &when) {
            for (qsizetype q = 0; q < queries.size(); ++q) {
                const QueryResult fresh = w.client->store.query(queries.at(q));
                const LiveQueryModel &model = *w.models.at(size_t(q));
                const QString where = u"%1, %2: %3"_s.arg(w.client->store.clientId(), when, queries.at(q));
                QVERIFY2(model.rowCount() == fresh.rowCount(), qPrintable(where));
                for (int r = 0; r < fresh.rowCount(); ++r) {
                    for (int c = 0; c < fresh.columnCount(); ++c)
                        QVERIFY2(model.data(model.index(r, c)) == fresh.value(r, c), qPrintable(where));
                }
            }
        };
        QRandomGenerator rng(4242);
        int rebases = 0;
        const QStringList handles = {u"x"_s, u"y"_s, u"z"_s, u"w"_s};
        for (int step = 0; step < 300; ++step) {
            Watched &w = cs.at(size_t(rng.bounded(Clients)));
            Client &c = *w.client;
            auto someRow = [&](const QString &sql) {
                return c.store.query(sql).scalar().toString();
            };
            switch (rng.bounded(8)) {
            case 0:
            case 1:
                QVERIFY(c.create(u"%1-%2"_s.arg(step, 3, 10, QChar(u'0')).arg(c.store.clientId()),
                                 QChar(u'a' + rng.bounded(26)) + u" %1"_s.arg(step)));
                break;
            case 2:
                if (const QString id = someRow(u"SELECT id FROM todos ORDER BY random() LIMIT 1"_s); !id.isEmpty())
                    QVERIFY(c.edit(id, QChar(u'a' + rng.bounded(26)) + u" edit %1"_s.arg(step)));
                break;
            case 3:
                if (const QString id = someRow(u"SELECT id FROM todos ORDER BY random() LIMIT 1"_s); !id.isEmpty())
                    QVERIFY(c.complete(id));
                break;
            case 4: {
                // Take a free handle, or move a taken one to a new row (delete + insert).
                const QString handle = handles.at(rng.bounded(handles.size()));
                const QString owner = someRow(u"SELECT id FROM handles WHERE handle = '%1'"_s.arg(handle));
                const QString id = u"h%1"_s.arg(step);
                QVERIFY(owner.isEmpty()
                                ? c.store.commit(u"v1.HandleTaken"_s, {{u"id"_s, id}, {u"handle"_s, handle}})
                                : c.store.commit(u"v1.HandleMoved"_s,
                                                 {{u"from"_s, owner}, {u"to"_s, id}, {u"handle"_s, handle}}));
                break;
            }
            case 5:
                if (const QString id = someRow(u"SELECT id FROM handles ORDER BY random() LIMIT 1"_s); !id.isEmpty())
                    QVERIFY(c.store.commit(u"v1.HandleNoted"_s,
                                           {{u"id"_s, id}, {u"note"_s, rng.bounded(3) == 0 ? QString() : u"n%1"_s.arg(step)}}));
                break;
            default: {
                c.push(server);
                const SyncEngine::Result r = c.pull(server);
                QVERIFY2(r.kind != SyncEngine::Result::Failed, qPrintable(c.engine->errorString()));
                rebases += r.kind == SyncEngine::Result::Rebased ? 1 : 0;
                break;
            }
            }
            check(w, u"step %1"_s.arg(step));
            if (QTest::currentTestFailed())
                return;
        }
        for (int round = 0; round < Clients * 3; ++round) {
            for (Watched &w : cs) {
                w.client->push(server);
                QVERIFY(w.client->pull(server).kind != SyncEngine::Result::Failed);
                check(w, u"round %1"_s.arg(round));
                if (QTest::currentTestFailed())
                    return;
            }
        }
        for (Watched &w : cs) {
            QCOMPARE(w.client->history(), cs.front().client->history());
            QVERIFY2(w.client->store.verify(), qPrintable(w.client->store.errorString()));
            // Every merge and rebase was followed row by row: the list of all todos never re-ran.
            const LiveQuery all = w.client->store.liveQuery(Query::sql(queries.constFirst()));
            QVERIFY(all.isIncremental());
            QCOMPARE(all.runCount(), 1);
        }
        QVERIFY2(rebases > 5, qPrintable(QString::number(rebases)));
        qInfo("%lld events on the server, %d rebases", server.head(), rebases);
    }

    void resetForgetsSyncedData()
    {
        FakeServer server;
        Client a(u"A"_s);
        QVERIFY(a.create(u"1"_s, u"one"_s));
        QVERIFY(a.push(server));
        a.pull(server);
        QVERIFY(a.engine->setBackendId(u"backend-1"_s));
        QCOMPARE(a.engine->backendId(), u"backend-1"_s);
        QVERIFY(a.engine->resetLocalData());
        QCOMPARE(a.store.eventCount(), 0);
        QCOMPARE(a.engine->upstreamHead(), 0);
        QVERIFY(a.engine->backendId().isEmpty());
        QVERIFY(a.texts().isEmpty());
        QCOMPARE(a.pull(server).applied, 1);
        QCOMPARE(a.texts(), QStringList{u"1:one"_s});
    }
};

QTEST_GUILESS_MAIN(tst_SyncEngine)
#include "tst_syncengine.moc"
