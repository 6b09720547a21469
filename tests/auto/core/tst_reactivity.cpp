// SPDX-License-Identifier: BSD-3-Clause
#include "todoschema.h"

#include <store.h>

#include <QtCore/qrandom.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

class tst_Reactivity : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Store> store;

    bool create(const QString &id, const QString &text = u"t"_s)
    {
        return store->commit(u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, text}});
    }
    bool complete(const QString &id) { return store->commit(u"v1.TodoCompleted"_s, {{u"id"_s, id}}); }
    // A query that re-runs after commits (an expression, so not followed row by row; see
    // tst_incrementalmodel for those).
    static Query activeCount()
    {
        return Query::sql(u"SELECT count(*) + 0 AS n FROM todos WHERE completed = 0"_s);
    }

private Q_SLOTS:
    void init()
    {
        store = std::make_unique<Store>();
        StoreOptions o;
        o.storeId = u"reactive"_s;
        o.schema = todoSchema();
        o.inMemory = true;
        QVERIFY2(store->open(o), qPrintable(store->errorString()));
    }
    void cleanup() { store.reset(); }

    void subscribeRunsImmediatelyAndOnChange()
    {
        QList<qint64> seen;
        Subscription sub = store->subscribe(activeCount(), [&](const QueryResult &r) {
            seen.append(r.scalar().toLongLong());
        });
        QCOMPARE(seen, (QList<qint64>{0}));
        QVERIFY(create(u"a"_s));
        QCOMPARE(seen, (QList<qint64>{0, 1}));
        QVERIFY(create(u"b"_s));
        QCOMPARE(seen, (QList<qint64>{0, 1, 2}));
        QVERIFY(complete(u"a"_s));
        QCOMPARE(seen, (QList<qint64>{0, 1, 2, 1}));
        sub.unsubscribe();
        QVERIFY(!sub.isActive());
        QVERIFY(create(u"c"_s));
        QCOMPARE(seen.size(), 4);
    }

    // A re-run hands out the rows whose bytes did not change as they were (shared), instead of
    // decoding them again. A live query keeps its rows from its first run on; a one-shot query
    // keeps nothing after its first run, and from its second on (it is being repeated).
    void unchangedRowsAreSharedBetweenRuns()
    {
        QVERIFY(create(u"a"_s, u"first"_s));
        QVERIFY(create(u"b"_s, u"second"_s));
        const auto text = [](const QueryResult &r, qsizetype row) {
            return r.value(row, u"text"_s).toString();
        };
        // An expression column: re-run after commits, not followed row by row.
        const QString sql = u"SELECT id, text, completed, length(text) + 0 AS n FROM todos ORDER BY id"_s;

        LiveQuery live = store->liveQuery(Query::sql(sql));
        QVERIFY(!live.isIncremental());
        const QueryResult before = live.result();
        QCOMPARE(before.rowCount(), 2);
        QVERIFY(complete(u"b"_s)); // the query re-runs: row a is as it was, row b is not
        const QueryResult after = live.result();
        QCOMPARE(live.runCount(), 2);
        QCOMPARE(after.value(1, u"completed"_s), QVariant(true));
        QCOMPARE(text(after, 0), u"first"_s);
        QVERIFY(text(after, 0).isSharedWith(text(before, 0)));
        QVERIFY(!text(after, 1).isSharedWith(text(before, 1)));

        // The same SQL with other whitespace: a statement of its own.
        const QString once = u"SELECT id, text, completed, length(text) + 0 AS n  FROM todos ORDER BY id"_s;
        const QueryResult first = store->query(once);
        const QueryResult second = store->query(once);
        const QueryResult third = store->query(once);
        QCOMPARE(text(second, 0), text(first, 0));
        QVERIFY(!text(second, 0).isSharedWith(text(first, 0)));
        QVERIFY(text(third, 0).isSharedWith(text(second, 0)));
        QVERIFY(text(third, 1).isSharedWith(text(second, 1)));
    }

    void skipInitialRun()
    {
        int calls = 0;
        Subscription sub = store->subscribe(activeCount(), [&](const QueryResult &) { ++calls; },
                                            {.skipInitialRun = true});
        QCOMPARE(calls, 0);
        QVERIFY(create(u"a"_s));
        QCOMPARE(calls, 1);
    }

    void onlyQueriesReadingWrittenTablesRerun()
    {
        LiveQuery todos = store->liveQuery(Query::from(u"todos"_s));
        int calls = 0;
        Subscription sub = todos.subscribe([&](const QueryResult &) { ++calls; });
        QCOMPARE(todos.tables(), QStringList{u"todos"_s});
        const int runs = todos.runCount();
        // A client document write touches uiState only.
        QVERIFY(store->setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        QCOMPARE(todos.runCount(), runs);
        QCOMPARE(calls, 1);
    }

    void equalResultsDoNotNotify()
    {
        QVERIFY(create(u"a"_s));
        QVERIFY(complete(u"a"_s));
        LiveQuery count = store->liveQuery(activeCount());
        int calls = 0;
        Subscription sub = count.subscribe([&](const QueryResult &) { ++calls; });
        const int runs = count.runCount();
        // Completing an already completed todo writes the table but leaves the count alone:
        // the query re-runs and the subscriber is not called.
        QVERIFY(complete(u"a"_s));
        QCOMPARE(count.runCount(), runs + 1);
        QCOMPARE(calls, 1);
    }

    void equalRowsDoNotNotify()
    {
        // The same for a query that follows rows instead of re-running: the row changed, but
        // not in a way the count sees.
        QVERIFY(create(u"a"_s));
        QVERIFY(complete(u"a"_s));
        LiveQuery count = store->liveQuery(Query::from(u"todos"_s).where(u"completed"_s, false).count());
        int calls = 0;
        Subscription sub = count.subscribe([&](const QueryResult &) { ++calls; });
        QVERIFY(count.isIncremental());
        QVERIFY(complete(u"a"_s));
        QVERIFY(store->commit(u"v1.TodoUncompleted"_s, {{u"id"_s, u"a"_s}}));
        QCOMPARE(count.result().scalar().toInt(), 1);
        QCOMPARE(count.runCount(), 1);
        QCOMPARE(calls, 2);
    }

    void oneNotificationPerCommit()
    {
        int calls = 0;
        Subscription sub = store->subscribe(Query::from(u"todos"_s), [&](const QueryResult &) { ++calls; });
        QList<Event> batch;
        for (int i = 0; i < 50; ++i)
            batch.append({u"v1.TodoCreated"_s, {{u"id"_s, QString::number(i)}, {u"text"_s, u"x"_s}}});
        QVERIFY(store->commit(batch));
        QCOMPARE(calls, 2);
        QCOMPARE(store->query(Query::from(u"todos"_s).count()).scalar().toInt(), 50);
    }

    void failedCommitDoesNotNotify()
    {
        QVERIFY(create(u"a"_s));
        int calls = 0;
        Subscription sub = store->subscribe(Query::from(u"todos"_s), [&](const QueryResult &) { ++calls; });
        QVERIFY(!create(u"a"_s)); // duplicate key
        QCOMPARE(calls, 1);
    }

    void identicalQueriesShareOneInstance()
    {
        LiveQuery a = store->liveQuery(activeCount());
        LiveQuery b = store->liveQuery(activeCount());
        Subscription sa = a.subscribe([](const QueryResult &) { });
        Subscription sb = b.subscribe([](const QueryResult &) { });
        QVERIFY(create(u"a"_s));
        QCOMPARE(a.runCount(), b.runCount());
        QCOMPARE(a.runCount(), 2);
    }

    void unobservedQueriesAreLazy()
    {
        LiveQuery todos = store->liveQuery(Query::from(u"todos"_s));
        QCOMPARE(todos.result().rowCount(), 0);
        const int runs = todos.runCount();
        QVERIFY(create(u"a"_s));
        QVERIFY(create(u"b"_s));
        QCOMPARE(todos.runCount(), runs); // nobody watches: nothing ran
        QCOMPARE(todos.result().rowCount(), 2);
        QCOMPARE(todos.runCount(), runs + 1);
    }

    void computedOverQueries()
    {
        LiveQuery all = store->liveQuery(Query::from(u"todos"_s).count());
        LiveQuery active = store->liveQuery(activeCount());
        Computed done = store->computed([=](Getter &get) {
            return QVariant(get(all).scalar().toLongLong() - get(active).scalar().toLongLong());
        });
        QList<qint64> seen;
        Subscription sub = done.subscribe([&](const QVariant &v) { seen.append(v.toLongLong()); });
        QVERIFY(create(u"a"_s));    // all 1, active 1: done stays 0, no call
        QVERIFY(create(u"b"_s));
        QVERIFY(complete(u"a"_s));  // done 1
        QVERIFY(complete(u"b"_s));  // done 2
        QCOMPARE(seen, (QList<qint64>{0, 1, 2}));
        // The two queries both changed in one commit; the computed ran once for it.
        const int runs = done.runCount();
        QVERIFY(store->commit(QList<Event>{{u"v1.TodoCreated"_s, {{u"id"_s, u"c"_s}, {u"text"_s, u"x"_s}}},
                                           {u"v1.TodoCompleted"_s, {{u"id"_s, u"c"_s}}}}));
        QCOMPARE(done.runCount(), runs + 1);
        QCOMPARE(seen.last(), 3);
    }

    void reactiveValueDrivesQuery()
    {
        QVERIFY(create(u"a"_s, u"apple"_s));
        QVERIFY(create(u"b"_s, u"banana"_s));
        QVERIFY(complete(u"b"_s));
        ReactiveValue filter = store->reactiveValue(u"active"_s);
        LiveQuery visible = store->liveQuery([=](Getter &get) {
            const QString f = get(filter).toString();
            Query q = Query::from(u"todos"_s).orderBy(u"id"_s);
            if (f == u"active"_s)
                return q.where(u"completed"_s, false);
            if (f == u"completed"_s)
                return q.where(u"completed"_s, true);
            return q;
        });
        QStringList ids;
        Subscription sub = visible.subscribe([&](const QueryResult &r) {
            QStringList now;
            for (qsizetype i = 0; i < r.rowCount(); ++i)
                now.append(r.value(i, u"id").toString());
            ids = now;
        });
        QCOMPARE(ids, QStringList{u"a"_s});
        filter.set(u"completed"_s);
        QCOMPARE(ids, QStringList{u"b"_s});
        filter.set(u"all"_s);
        QCOMPARE(ids, (QStringList{u"a"_s, u"b"_s}));
        QVERIFY(complete(u"a"_s)); // still "all": same ids but completed changed → notified
        QCOMPARE(visible.result().value(0, u"completed").toBool(), true);
    }

    void subscriberMayCommit()
    {
        // A subscriber that reacts to a new todo by completing it: the nested commit refreshes
        // again, and the final state is what every live query shows.
        LiveQuery active = store->liveQuery(activeCount());
        Subscription s1 = store->subscribe(Query::from(u"todos"_s).where(u"completed"_s, false),
                                           [&](const QueryResult &r) {
                                               for (qsizetype i = 0; i < r.rowCount(); ++i)
                                                   complete(r.value(i, u"id").toString());
                                           });
        QList<qint64> counts;
        Subscription s2 = active.subscribe([&](const QueryResult &r) { counts.append(r.scalar().toLongLong()); });
        QVERIFY(create(u"a"_s));
        QCOMPARE(active.result().scalar().toLongLong(), 0);
        QCOMPARE(counts.last(), 0);
    }

    void nestedCommitDeliversEachValueOnce()
    {
        // s1 reacts to the first todo by adding a second one; s2, notified after s1 in the same
        // round, must see each count once, not the final one twice.
        Subscription s1 = store->subscribe(Query::from(u"todos"_s).count(), [&](const QueryResult &r) {
            if (r.scalar().toInt() == 1)
                create(u"second"_s);
        });
        QList<int> seen;
        Subscription s2 = store->subscribe(Query::from(u"todos"_s).count(), [&](const QueryResult &r) {
            seen.append(r.scalar().toInt());
        });
        QVERIFY(create(u"first"_s));
        QCOMPARE(seen, (QList<int>{0, 2}));
    }

    void committedSlotsSeeCurrentLiveQueries()
    {
        LiveQuery count = store->liveQuery(Query::from(u"todos"_s).count());
        Subscription sub = count.subscribe([](const QueryResult &) { });
        int seenInSlot = -1;
        connect(store.get(), &Store::committed, this, [&] { seenInSlot = count.result().scalar().toInt(); });
        QVERIFY(create(u"a"_s));
        QCOMPARE(seenInSlot, 1);
    }

    void eventlogIsLive()
    {
        QList<qint64> counts;
        Subscription sub = store->subscribe(Query::sql(u"SELECT count(*) FROM __livestore_eventlog"_s),
                                            [&](const QueryResult &r) { counts.append(r.scalar().toLongLong()); });
        QVERIFY(create(u"a"_s));
        QVERIFY(store->setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        QCOMPARE(counts, (QList<qint64>{0, 1, 2}));
    }

    void handlesOutliveTheStore()
    {
        QVERIFY(create(u"a"_s));
        LiveQuery todos = store->liveQuery(Query::from(u"todos"_s));
        Subscription sub = todos.subscribe([](const QueryResult &) { });
        store.reset();
        QCOMPARE(todos.result().rowCount(), 1);
        sub.unsubscribe();
    }

    void liveQueriesMatchFreshQueries()
    {
        // Oracle: after random commits every live query equals the same query run afresh.
        QList<Query> queries{
            Query::from(u"todos"_s).orderBy(u"id"_s),
            activeCount(),
            Query::from(u"todos"_s).where(u"completed"_s, true).orderBy(u"text"_s, Query::Desc).limit(5),
            Query::sql(u"SELECT completed, count(*) AS n FROM todos GROUP BY completed ORDER BY completed"_s),
        };
        QList<LiveQuery> live;
        QList<QueryResult> last;
        std::vector<Subscription> subs;
        for (qsizetype i = 0; i < queries.size(); ++i) {
            live.append(store->liveQuery(queries.at(i)));
            last.append(QueryResult());
            subs.push_back(live.last().subscribe([&last, i](const QueryResult &r) { last[i] = r; }));
        }
        QRandomGenerator rng(42);
        for (int step = 0; step < 300; ++step) {
            const QString id = QString::number(rng.bounded(40));
            switch (rng.bounded(3)) {
            case 0: create(id, QString::number(rng.bounded(1000))); break; // may fail: duplicate
            case 1: complete(id); break;
            case 2: store->commit(u"v1.TodoUncompleted"_s, {{u"id"_s, id}}); break;
            }
            for (qsizetype i = 0; i < queries.size(); ++i)
                QCOMPARE(last.at(i), store->query(queries.at(i)));
        }
    }
};

QTEST_GUILESS_MAIN(tst_Reactivity)
#include "tst_reactivity.moc"
