// SPDX-License-Identifier: BSD-3-Clause
// Random sequences of commits, bad commits, schema changes and reopenings. After every step:
// state == replay(eventlog), and every live query equals the same query run afresh.
#include "todoschema.h"

#include <store.h>

#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

// Three schemas over the same events: the base, one more column, one more index. Switching
// between them rebuilds the state from the eventlog.
Schema schemaVariant(int variant)
{
    if (variant == 1)
        return widerTodoSchema();
    Schema s = todoSchema();
    if (variant == 2) {
        Schema indexed;
        indexed.addTable(TableDef{*s.table(u"todos")}.index(u"todos_by_text"_s, {u"text"_s}));
        for (const ClientDocumentDef &doc : s.clientDocuments())
            indexed.addClientDocument(doc);
        for (const EventDef &e : s.events()) {
            if (!e.isDerived)
                indexed.addEvent(e);
        }
        return indexed;
    }
    return s;
}

const QList<Query> &watchedQueries()
{
    static const QList<Query> queries{
        Query::from(u"todos"_s).select({u"id"_s, u"text"_s, u"completed"_s, u"deletedAt"_s}).orderBy(u"id"_s),
        Query::from(u"todos"_s).where(u"completed"_s, false).whereNull(u"deletedAt"_s).count(),
        Query::from(u"todos"_s).where(u"text"_s, Query::Gt, u"m"_s).orderBy(u"text"_s).orderBy(u"id"_s).limit(7),
        Query::sql(u"SELECT value FROM uiState WHERE id = 'default'"_s),
    };
    return queries;
}

} // namespace

class tst_Randomized : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void randomHistories_data()
    {
        QTest::addColumn<quint32>("seed");
        for (quint32 seed : {1u, 2u, 3u, 4u})
            QTest::addRow("seed %u", seed) << seed;
    }

    void randomHistories()
    {
        QFETCH(quint32, seed);
        QRandomGenerator rng(seed);
        QTemporaryDir dir;
        int variant = 0;
        auto store = std::make_unique<Store>();
        auto openStore = [&] {
            StoreOptions o;
            o.storeId = u"random"_s;
            o.schema = schemaVariant(variant);
            o.directory = dir.path();
            return store->open(o);
        };
        QVERIFY(openStore());

        QList<LiveQuery> live;
        QList<QueryResult> seen;
        std::vector<Subscription> subscriptions;
        auto watch = [&] {
            subscriptions.clear();
            live.clear();
            seen.clear();
            for (qsizetype i = 0; i < watchedQueries().size(); ++i) {
                live.append(store->liveQuery(watchedQueries().at(i)));
                seen.append(QueryResult());
                subscriptions.push_back(live.last().subscribe([&seen, i](const QueryResult &r) { seen[i] = r; }));
            }
        };
        watch();

        auto randomEvent = [&]() -> Event {
            const QString id = QString::number(rng.bounded(30));
            switch (rng.bounded(6)) {
            case 0:
            case 1:
                return {u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString(QChar(u'a' + rng.bounded(26)))}}};
            case 2: return {u"v1.TodoCompleted"_s, {{u"id"_s, id}}};
            case 3: return {u"v1.TodoUncompleted"_s, {{u"id"_s, id}}};
            case 4: return {u"v1.TodoDeleted"_s, {{u"id"_s, id}, {u"deletedAt"_s, rng.bounded(1000)}}};
            default:
                return {u"uiStateSet"_s, {{u"value"_s, QVariantMap{{u"filter"_s, rng.bounded(2) ? u"all"_s : u"active"_s}}}}};
            }
        };

        int commits = 0, rejected = 0, reopenings = 0;
        for (int step = 0; step < 150; ++step) {
            const int action = rng.bounded(20);
            if (action < 14) {
                // A commit of 1-4 events: duplicates make some of them fail, atomically.
                QList<Event> batch;
                for (int i = rng.bounded(1, 5); i > 0; --i)
                    batch.append(randomEvent());
                const qint64 before = store->eventCount();
                if (store->commit(batch)) {
                    ++commits;
                    QCOMPARE(store->eventCount(), before + batch.size());
                } else {
                    ++rejected;
                    QCOMPARE(store->eventCount(), before);
                }
            } else if (action < 17) {
                // Bad input: unknown event or wrongly typed args; nothing changes.
                const QByteArray digest = store->stateDigest();
                const qint64 before = store->eventCount();
                QVERIFY(!store->commit(rng.bounded(2) ? Event{u"v9.Nope"_s, {}}
                                                      : Event{u"v1.TodoCreated"_s, {{u"id"_s, 1}, {u"text"_s, u"x"_s}}}));
                QCOMPARE(store->eventCount(), before);
                QCOMPARE(store->stateDigest(), digest);
            } else {
                // Reopen, sometimes with other table definitions (a rebuild).
                ++reopenings;
                live.clear();
                subscriptions.clear();
                store->close();
                if (action == 19)
                    variant = int(rng.bounded(3));
                QVERIFY2(openStore(), qPrintable(store->errorString()));
                watch();
            }
            QVERIFY2(store->verify(), qPrintable(u"step %1: "_s.arg(step) + store->errorString()));
            for (qsizetype i = 0; i < watchedQueries().size(); ++i)
                QCOMPARE(seen.at(i), store->query(watchedQueries().at(i)));
        }
        qInfo("seed %u: %d commits, %d rejected, %d reopenings, %lld events", seed, commits, rejected,
              reopenings, store->eventCount());
        QVERIFY(commits > 0 && rejected > 0 && reopenings > 0);
    }
};

QTEST_GUILESS_MAIN(tst_Randomized)
#include "tst_randomized.moc"
