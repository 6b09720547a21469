// SPDX-License-Identifier: BSD-3-Clause
// A test client: an in-memory todo store with a SyncClient whose reconnects are quick, and the
// checks the sync tests make on a group of them.
#ifndef LIVESTORE_TESTS_SYNCEDCLIENT_H
#define LIVESTORE_TESTS_SYNCEDCLIENT_H

#include "todoschema.h"

#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qstringlist.h>
#include <QtCore/qurl.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace LiveStoreTest {

// A store's global events in order, one line each: what every client must agree on.
inline QStringList globalHistory(const Store &store)
{
    using namespace Qt::StringLiterals;
    QStringList out;
    for (const EventRecord &e : store.events({.includeClientOnly = false}))
        out.append(u"%1 %2 %3 %4"_s.arg(e.seqNum.global).arg(e.name, e.clientId, QString::fromUtf8(e.argsJson)));
    return out;
}

struct SyncedClient
{
    SyncedClient(const QString &storeId, const QString &clientId, const QUrl &url = {},
                 const Schema &schema = todoSchema())
    {
        using namespace Qt::StringLiterals;
        StoreOptions o;
        o.storeId = storeId;
        o.schema = schema;
        o.inMemory = true;
        o.recordChangesets = true;
        o.clientId = clientId;
        o.sessionId = u"session-"_s + clientId;
        ok = store.open(o);
        sync = std::make_unique<SyncClient>(&store);
        // Servers in tests restart in well under a second: do not wait LiveStore's 1 s and more.
        sync->setInitialReconnectDelay(50);
        sync->setMaxReconnectDelay(400);
        if (!url.isEmpty())
            sync->setUrl(url);
    }
    bool create(const QString &id, const QString &text)
    {
        using namespace Qt::StringLiterals;
        return store.commit(u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, text}});
    }
    bool complete(const QString &id)
    {
        using namespace Qt::StringLiterals;
        return store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, id}});
    }
    QStringList history() const { return globalHistory(store); }

    Store store;
    std::unique_ptr<SyncClient> sync;
    bool ok = false;
};

// `count` v1.TodoCreated events ("bulk-0", "bulk-1", …), to commit as one backlog.
inline QList<Event> bulkTodos(int count)
{
    using namespace Qt::StringLiterals;
    QList<Event> events;
    events.reserve(count);
    for (int i = 0; i < count; ++i)
        events.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, u"bulk-%1"_s.arg(i)}, {u"text"_s, u"t"_s}}});
    return events;
}

using SyncedClients = std::vector<std::unique_ptr<SyncedClient>>;

// Everyone confirmed everything and sits on the same head. (Any container of pointers to
// SyncedClient or a subclass.)
template<typename Clients>
bool converged(const Clients &clients, qint64 head)
{
    return std::all_of(clients.begin(), clients.end(), [&](const auto &c) {
        return c->sync->pendingCount() == 0 && c->sync->upstreamHead() == head;
    });
}

// Every client has the same global history and the same state, and each state is a replay of
// its eventlog. A QtTest check: the caller stops when QTest::currentTestFailed().
template<typename Clients>
void checkIdentical(Clients &clients)
{
    const QStringList history = clients.front()->history();
    const QByteArray digest = clients.front()->store.stateDigest();
    for (auto &c : clients) {
        QCOMPARE(c->history(), history);
        QCOMPARE(c->store.stateDigest(), digest);
        QVERIFY2(c->store.verify(), qPrintable(c->store.errorString()));
    }
}

// Each client's sync state on one line, for failure messages.
template<typename Clients>
QString describe(const Clients &clients)
{
    using namespace Qt::StringLiterals;
    QStringList out;
    for (const auto &c : clients)
        out.append(u"%1: head %2 pending %3 status %4 error '%5'"_s.arg(c->store.clientId())
                           .arg(c->sync->upstreamHead())
                           .arg(c->sync->pendingCount())
                           .arg(int(c->sync->status()))
                           .arg(c->sync->lastError()));
    return out.join(u"; "_s);
}

} // namespace LiveStoreTest

#endif // LIVESTORE_TESTS_SYNCEDCLIENT_H
