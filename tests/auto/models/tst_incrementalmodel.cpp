// SPDX-License-Identifier: BSD-3-Clause
// Live queries that follow rows (LiveQuery::isIncremental) against the oracle: after every commit
// of a random history, each model's rows equal a fresh run of its query, for generated queries of
// every shape the plan handles and for shapes that fall back to re-running.
#include "itemstable.h"

#include <livequerymodel.h>
#include <store.h>

#include <QtCore/qrandom.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

Schema itemSchema()
{
    Schema s;
    s.addTable(LiveStoreTest::itemsTable());
    auto event = [&](const QString &name, QList<std::pair<QString, ArgType>> args, const QString &sql) {
        EventDef def = EventDef::synced(name);
        for (const auto &[arg, type] : args)
            def = def.arg(arg, type);
        s.addEvent(def.materializeSql({sql}));
    };
    using A = ArgType;
    event(u"created"_s, {{u"id"_s, A::String}, {u"title"_s, A::String}, {u"rank"_s, A::Integer},
                         {u"score"_s, A::Real}, {u"grp"_s, A::String}},
          u"INSERT INTO items (id, title, rank, score, grp) VALUES ($id, $title, $rank, $score, $grp)"_s);
    // REPLACE: SQLite deletes the old row and inserts a new one under the same key.
    event(u"replaced"_s, {{u"id"_s, A::String}, {u"title"_s, A::String}, {u"rank"_s, A::Integer}},
          u"INSERT OR REPLACE INTO items (id, title, rank) VALUES ($id, $title, $rank)"_s);
    event(u"retitled"_s, {{u"id"_s, A::String}, {u"title"_s, A::String}},
          u"UPDATE items SET title = $title WHERE id = $id"_s);
    event(u"reranked"_s, {{u"id"_s, A::String}, {u"rank"_s, A::Integer}},
          u"UPDATE items SET rank = $rank WHERE id = $id"_s);
    event(u"rankCleared"_s, {{u"id"_s, A::String}}, u"UPDATE items SET rank = NULL WHERE id = $id"_s);
    event(u"scored"_s, {{u"id"_s, A::String}, {u"score"_s, A::Real}},
          u"UPDATE items SET score = $score WHERE id = $id"_s);
    event(u"toggled"_s, {{u"id"_s, A::String}}, u"UPDATE items SET done = 1 - done WHERE id = $id"_s);
    event(u"moved"_s, {{u"id"_s, A::String}, {u"grp"_s, A::String}},
          u"UPDATE items SET grp = $grp WHERE id = $id"_s);
    event(u"deleted"_s, {{u"id"_s, A::String}}, u"DELETE FROM items WHERE id = $id"_s);
    // Many rows at once, and all of them (SQLite's truncate optimization must not hide them).
    event(u"groupBumped"_s, {{u"grp"_s, A::String}}, u"UPDATE items SET rank = rank + 1 WHERE grp = $grp"_s);
    event(u"cleared"_s, {}, u"DELETE FROM items"_s);
    return s;
}

struct GeneratedQuery
{
    Query query;
    QString oracleSql;         // the same query with its tie order spelled out
    QVariantList binds;
    bool expectIncremental = false;
    int batchSize = 0; // a windowed model (LiveQueryModel::batchSize)
};

} // namespace

class tst_IncrementalModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shapes_data();
    void shapes();
    void oracle_data();
    void oracle();
    void oneRowEditIsOneSignal();
    void namesDifferingInCaseBeyondAscii();
    void tablesDifferingInCaseBeyondAscii();
    void namesInAnotherCase();
    void nestedCommitFallsBack();
    void bulkChangesRerun();

private:
    static GeneratedQuery generate(QRandomGenerator &random);
    static QList<QVariantList> modelRows(const LiveQueryModel &model);
};

QList<QVariantList> tst_IncrementalModel::modelRows(const LiveQueryModel &model)
{
    QList<QVariantList> rows;
    for (int r = 0; r < model.rowCount(); ++r) {
        QVariantList row;
        for (int c = 0; c < model.columnCount(); ++c)
            row.append(model.data(model.index(r, c), Qt::DisplayRole));
        rows.append(row);
    }
    return rows;
}

GeneratedQuery tst_IncrementalModel::generate(QRandomGenerator &random)
{
    static const QStringList conditions = {
        u""_s, u"done = 0"_s, u"rank > ?"_s, u"title LIKE 'b%'"_s, u"rank IS NULL"_s,
        u"score >= 0.5 AND done = 1"_s, u"grp = ? OR rank < 3"_s, u"(rank BETWEEN 2 AND 6) AND NOT done"_s};
    static const QStringList orderColumns = {u"title"_s, u"rank"_s, u"score"_s, u"done"_s, u"grp"_s, u"id"_s};
    GeneratedQuery g;
    const int kind = random.bounded(10);
    const QString condition = conditions.at(random.bounded(conditions.size()));
    QVariantList binds;
    if (condition.contains(u"rank > ?"_s))
        binds.append(random.bounded(8));
    if (condition.contains(u"grp = ?"_s))
        binds.append(random.bounded(2) ? u"a"_s : u"b"_s);
    const QString where = condition.isEmpty() ? QString() : u" WHERE "_s + condition;

    if (kind == 0) {
        g.query = Query::sql(u"SELECT count(*) FROM items"_s + where, binds);
        g.oracleSql = u"SELECT count(*) FROM items"_s + where;
        g.expectIncremental = true;
    } else if (kind == 1) {
        // Fallbacks: no order, an aggregate per group, OFFSET, an ORDER BY expression.
        static const QStringList fallbacks = {
            u"SELECT * FROM items%1"_s, u"SELECT grp, count(*) AS n FROM items%1 GROUP BY grp ORDER BY grp"_s,
            u"SELECT * FROM items%1 ORDER BY id LIMIT 5 OFFSET 2"_s, u"SELECT * FROM items%1 ORDER BY length(title), id"_s};
        g.oracleSql = fallbacks.at(random.bounded(fallbacks.size())).arg(where);
        g.query = Query::sql(g.oracleSql, binds);
        g.expectIncremental = false;
    } else {
        QStringList order;
        QStringList terms;
        const int count = 1 + random.bounded(2);
        for (int i = 0; i < count; ++i) {
            const QString column = orderColumns.at(random.bounded(orderColumns.size()));
            if (order.contains(column))
                continue;
            order.append(column);
            terms.append(column + (random.bounded(2) ? u" DESC"_s : u""_s));
        }
        QStringList oracleTerms = terms;
        if (!order.contains(u"id"_s))
            oracleTerms.append(u"id"_s);
        const bool limited = random.bounded(3) == 0;
        const int limit = 1 + random.bounded(8);
        const QString columns = random.bounded(3) == 0 ? u"id, title, rank, score, done, grp"_s : u"*"_s;
        const QString tail = limited ? u" LIMIT %1"_s.arg(limit) : QString();
        g.oracleSql = u"SELECT "_s + columns + u" FROM items"_s + where + u" ORDER BY "_s + oracleTerms.join(u", "_s) + tail;
        if (kind == 2) {
            // The builder: filter by equality, order, limit.
            Query q = Query::from(u"items"_s);
            QString builderWhere;
            if (random.bounded(2)) {
                q = q.where(u"done"_s, false);
                builderWhere = u" WHERE done = 0"_s;
            }
            for (const QString &term : terms) {
                const QStringList words = term.split(u' ');
                q = q.orderBy(words.first(), words.size() > 1 ? Query::Desc : Query::Asc);
            }
            if (limited)
                q = q.limit(limit);
            g.query = q;
            g.oracleSql = u"SELECT * FROM items"_s + builderWhere + u" ORDER BY "_s + oracleTerms.join(u", "_s) + tail;
            binds.clear();
        } else {
            // SQLite ignores the case of names: so must the plan (the oracle spells them plainly).
            const auto spelled = [&random](const QString &name) -> QString {
                switch (random.bounded(4)) {
                case 0:
                    return name.toUpper();
                case 1:
                    return name.left(1).toUpper() + name.mid(1);
                default:
                    return name;
                }
            };
            QStringList spelledTerms;
            for (const QString &term : std::as_const(terms)) {
                const QStringList words = term.split(u' ');
                spelledTerms.append(spelled(words.first()) + (words.size() > 1 ? u" DESC"_s : QString()));
            }
            g.query = Query::sql(u"SELECT "_s + columns + u" FROM "_s + spelled(u"items"_s) + where + u" ORDER BY "_s
                                         + spelledTerms.join(u", "_s) + tail, binds);
        }
        g.expectIncremental = true;
        if (!limited && random.bounded(2))
            g.batchSize = 2 + random.bounded(6);
    }
    g.binds = binds;
    return g;
}

void tst_IncrementalModel::shapes_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<bool>("incremental");
    QTest::newRow("ordered") << u"SELECT * FROM items ORDER BY title"_s << true;
    QTest::newRow("columns") << u"select id, title from items where title > 'a' order by title desc limit 10"_s << true;
    QTest::newRow("quoted") << u"SELECT \"id\", [title] FROM `items` WHERE \"title\" = 'x;y' ORDER BY \"id\";"_s << true;
    QTest::newRow("count") << u"SELECT count(*) FROM items WHERE done = 0"_s << true;
    QTest::newRow("count alias") << u"SELECT COUNT(*) AS n FROM items"_s << true;
    QTest::newRow("comment") << u"SELECT * FROM items -- the list\nORDER BY id /* by key */"_s << true;
    QTest::newRow("no order") << u"SELECT * FROM items"_s << false;
    QTest::newRow("key not selected") << u"SELECT title FROM items ORDER BY title"_s << false;
    QTest::newRow("order column not selected") << u"SELECT id FROM items ORDER BY title"_s << false;
    QTest::newRow("order expression") << u"SELECT * FROM items ORDER BY lower(title)"_s << false;
    QTest::newRow("collate") << u"SELECT * FROM items ORDER BY title COLLATE NOCASE"_s << false;
    QTest::newRow("offset") << u"SELECT * FROM items ORDER BY id LIMIT 3 OFFSET 1"_s << false;
    QTest::newRow("subquery") << u"SELECT * FROM items WHERE id IN (SELECT id FROM items) ORDER BY id"_s << false;
    QTest::newRow("join") << u"SELECT * FROM items, items AS b ORDER BY id"_s << false;
    QTest::newRow("group") << u"SELECT grp, count(*) FROM items GROUP BY grp"_s << false;
    QTest::newRow("distinct") << u"SELECT DISTINCT * FROM items ORDER BY id"_s << false;
    QTest::newRow("expression column") << u"SELECT id, rank + 1 FROM items ORDER BY id"_s << false;
    QTest::newRow("view") << u"SELECT * FROM sqlite_schema ORDER BY name"_s << false;
}

void tst_IncrementalModel::shapes()
{
    QFETCH(QString, sql);
    QFETCH(bool, incremental);
    Store store;
    QVERIFY2(store.open({.storeId = u"shapes"_s, .schema = itemSchema(), .inMemory = true}), qPrintable(store.errorString()));
    const LiveQuery live = store.liveQuery(Query::sql(sql));
    QVERIFY2(live.result().isValid(), qPrintable(live.result().errorString()));
    QCOMPARE(live.isIncremental(), incremental);
}

void tst_IncrementalModel::oracle_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u})
        QTest::newRow(qPrintable(u"seed %1"_s.arg(seed))) << seed;
}

void tst_IncrementalModel::oracle()
{
    QFETCH(quint32, seed);
    QRandomGenerator random(seed);
    Store store;
    QVERIFY2(store.open({.storeId = u"oracle"_s, .schema = itemSchema(), .inMemory = true}), qPrintable(store.errorString()));

    constexpr int Models = 12;
    constexpr int Commits = 300;
    std::vector<std::unique_ptr<LiveQueryModel>> models;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
    QList<GeneratedQuery> queries;
    for (int i = 0; i < Models; ++i) {
        queries.append(generate(random));
        models.push_back(std::make_unique<LiveQueryModel>());
        models.back()->setBatchSize(queries.last().batchSize);
        models.back()->setQuery(queries.last().query);
        models.back()->setStore(&store);
        testers.push_back(std::make_unique<QAbstractItemModelTester>(
                models.back().get(), QAbstractItemModelTester::FailureReportingMode::QtTest));
        QVERIFY2(models.back()->status() == LiveQueryModel::Ready, qPrintable(models.back()->errorString()));
    }
    for (int i = 0; i < Models; ++i) {
        const LiveQuery live = store.liveQuery(queries.at(i).query);
        QVERIFY2(live.isIncremental() == queries.at(i).expectIncremental, qPrintable(queries.at(i).oracleSql));
    }
    int windowed = 0;
    for (const GeneratedQuery &g : std::as_const(queries))
        windowed += g.batchSize > 0 ? 1 : 0;

    QStringList ids;
    int nextId = 0;
    auto anyId = [&] { return ids.isEmpty() ? u"none"_s : ids.at(random.bounded(ids.size())); };
    auto title = [&] {
        // Few distinct titles and ranks: many ties, which the primary key must order.
        static const QStringList titles = {u"apple"_s, u"banana"_s, u"bread"_s, u"cherry"_s, u"Zebra"_s, u"ångström"_s, u"𝄞 clef"_s, u"\uE000 private"_s};
        return titles.at(random.bounded(titles.size()));
    };
    int incrementalBefore = 0;
    for (int i = 0; i < Models; ++i)
        incrementalBefore += queries.at(i).expectIncremental ? 1 : 0;

    for (int step = 0; step < Commits; ++step) {
        QList<Event> batch;
        const int events = random.bounded(10) == 0 ? 2 + random.bounded(4) : 1;
        for (int e = 0; e < events; ++e) {
            const int what = ids.size() < 5 ? 0 : random.bounded(100);
            QVariantMap args;
            QString name;
            if (what < 25) {
                name = u"created"_s;
                const QString id = u"i%1"_s.arg(nextId++, 4, 10, QLatin1Char('0'));
                ids.append(id);
                args = {{u"id"_s, id}, {u"title"_s, title()}, {u"rank"_s, random.bounded(10)},
                        {u"score"_s, random.bounded(4) / 4.0}, {u"grp"_s, random.bounded(2) ? u"a"_s : u"b"_s}};
            } else if (what < 35) {
                name = u"replaced"_s;
                args = {{u"id"_s, anyId()}, {u"title"_s, title()}, {u"rank"_s, random.bounded(10)}};
            } else if (what < 48) {
                name = u"retitled"_s;
                args = {{u"id"_s, anyId()}, {u"title"_s, title()}};
            } else if (what < 60) {
                name = u"reranked"_s;
                args = {{u"id"_s, anyId()}, {u"rank"_s, random.bounded(10)}};
            } else if (what < 64) {
                name = u"rankCleared"_s;
                args = {{u"id"_s, anyId()}};
            } else if (what < 70) {
                name = u"scored"_s;
                args = {{u"id"_s, anyId()}, {u"score"_s, random.bounded(4) / 4.0}};
            } else if (what < 80) {
                name = u"toggled"_s;
                args = {{u"id"_s, anyId()}};
            } else if (what < 85) {
                name = u"moved"_s;
                args = {{u"id"_s, anyId()}, {u"grp"_s, random.bounded(2) ? u"a"_s : u"b"_s}};
            } else if (what < 94) {
                name = u"deleted"_s;
                const QString id = anyId();
                ids.removeAll(id);
                args = {{u"id"_s, id}};
            } else if (what < 98) {
                name = u"groupBumped"_s;
                args = {{u"grp"_s, random.bounded(2) ? u"a"_s : u"b"_s}};
            } else {
                name = u"cleared"_s;
                ids.clear();
            }
            batch.append(Event{name, args});
        }
        QVERIFY2(store.commit(batch), qPrintable(store.errorString()));

        for (int i = 0; i < Models; ++i) {
            const QueryResult fresh = store.query(queries.at(i).oracleSql, queries.at(i).binds);
            QVERIFY2(fresh.isValid(), qPrintable(fresh.errorString()));
            const QList<QVariantList> shown = modelRows(*models.at(i));
            QList<QVariantList> expected = fresh.rows();
            if (const int batch = queries.at(i).batchSize; batch > 0) {
                // A window: the first rows of the result, at least a batch of them, and more
                // to fetch when it does not hold them all.
                QVERIFY2(shown.size() >= std::min<qsizetype>(batch, expected.size()),
                         qPrintable(u"step %1, query %2: %3 rows held"_s.arg(step).arg(i).arg(shown.size())));
                if (shown.size() < expected.size())
                    QVERIFY2(models.at(i)->canFetchMore(), qPrintable(u"step %1, query %2"_s.arg(step).arg(i)));
                expected = expected.mid(0, shown.size());
                if (random.bounded(4) == 0 && models.at(i)->canFetchMore())
                    models.at(i)->fetchMore();
            }
            if (shown != expected) {
                QString message = u"step %1, query %2: %3\nmodel: %4 rows, fresh: %5 rows"_s
                                          .arg(step).arg(i).arg(queries.at(i).oracleSql)
                                          .arg(shown.size()).arg(fresh.rowCount());
                for (qsizetype r = 0; r < std::max(shown.size(), expected.size()); ++r) {
                    message += u"\n  %1 | %2"_s.arg(QVariant(shown.value(r)).toStringList().join(u","_s),
                                                   QVariant(expected.value(r)).toStringList().join(u","_s));
                }
                QFAIL(qPrintable(message));
            }
        }
    }
    // The incremental ones did follow rows: they never re-ran (LIMIT windows that lost rows
    // read the next ones instead).
    for (int i = 0; i < Models; ++i) {
        if (!queries.at(i).expectIncremental || queries.at(i).batchSize > 0)
            continue;
        const LiveQuery live = store.liveQuery(queries.at(i).query);
        QVERIFY2(live.runCount() == 1, qPrintable(u"%1 ran %2 times"_s.arg(queries.at(i).oracleSql).arg(live.runCount())));
    }
    qInfo("%d of %d models windowed", windowed, Models);
}

void tst_IncrementalModel::oneRowEditIsOneSignal()
{
    Store store;
    QVERIFY(store.open({.storeId = u"signals"_s, .schema = itemSchema(), .inMemory = true}));
    QList<Event> seed;
    for (int i = 0; i < 1000; ++i) {
        seed.append(Event{u"created"_s, {{u"id"_s, u"i%1"_s.arg(i, 4, 10, QLatin1Char('0'))}, {u"title"_s, u"t%1"_s.arg(i)},
                                           {u"rank"_s, i}, {u"score"_s, 0.0}, {u"grp"_s, u"a"_s}}});
    }
    QVERIFY(store.commit(seed));
    LiveQueryModel model(&store, Query::sql(u"SELECT * FROM items ORDER BY rank"_s));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 1000);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    QVERIFY(store.commit(u"retitled"_s, {{u"id"_s, u"i0500"_s}, {u"title"_s, u"edited"_s}}));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 500);
    QCOMPARE(model.data(model.index(500, 1)).toString(), u"edited"_s);

    QVERIFY(store.commit(u"reranked"_s, {{u"id"_s, u"i0500"_s}, {u"rank"_s, 2000}}));
    QCOMPARE(moved.size(), 1);
    QCOMPARE(model.data(model.index(999, 0)).toString(), u"i0500"_s);

    QVERIFY(store.commit(u"created"_s, {{u"id"_s, u"new"_s}, {u"title"_s, u"n"_s}, {u"rank"_s, -1},
                                          {u"score"_s, 0.0}, {u"grp"_s, u"a"_s}}));
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"new"_s);
    QVERIFY(store.commit(u"deleted"_s, {{u"id"_s, u"i0001"_s}}));
    QCOMPARE(removed.size(), 1);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(model.rowCount(), 1000);
    QCOMPARE(store.liveQuery(Query::sql(u"SELECT * FROM items ORDER BY rank"_s)).runCount(), 1);
}

void tst_IncrementalModel::namesDifferingInCaseBeyondAscii()
{
    // SQLite ignores the case of ASCII letters only: "\u00C4" and "\u00E4" are two columns. A plan
    // that took one for the other would keep the rows in the other column's order.
    const QString upper = u"\u00C4"_s;
    const QString lower = u"\u00E4"_s;
    Schema schema;
    schema.addTable(TableDef{u"t"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::integer(upper))
                            .column(ColumnDef::integer(lower)));
    schema.addEvent(EventDef::synced(u"set"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"upper"_s, ArgType::Integer)
                            .arg(u"lower"_s, ArgType::Integer)
                            .materializeSql({u"INSERT OR REPLACE INTO t (id, \"%1\", \"%2\") VALUES ($id, $upper, $lower)"_s
                                                     .arg(upper, lower)}));
    Store store;
    QVERIFY(store.open({.storeId = u"names"_s, .schema = schema, .inMemory = true}));
    const QString sql = u"SELECT id, \"%1\" FROM t ORDER BY \"%1\""_s.arg(lower);
    LiveQueryModel model(&store, Query::sql(sql));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(store.liveQuery(Query::sql(sql)).isIncremental());
    // Each row's two columns sort in opposite orders.
    QRandomGenerator random(7);
    for (int i = 0; i < 200; ++i) {
        const int n = random.bounded(100);
        QVERIFY(store.commit(u"set"_s, {{u"id"_s, u"r%1"_s.arg(random.bounded(30))}, {u"upper"_s, n}, {u"lower"_s, -n}}));
        const QueryResult fresh = store.query(sql + u", id"_s);
        QVERIFY2(fresh.isValid(), qPrintable(fresh.errorString()));
        QCOMPARE(modelRows(model), fresh.rows());
    }
}

void tst_IncrementalModel::tablesDifferingInCaseBeyondAscii()
{
    // Two tables for SQLite: a commit to one must not reach a model of the other.
    const QString upper = u"\u00C4"_s;
    const QString lower = u"\u00E4"_s;
    Schema schema;
    for (const QString &table : {upper, lower}) {
        schema.addTable(TableDef{table}.column(ColumnDef::text(u"id"_s).primaryKey()).column(ColumnDef::integer(u"n"_s)));
        schema.addEvent(EventDef::synced(u"set "_s + table)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"n"_s, ArgType::Integer)
                                .materializeSql({u"INSERT OR REPLACE INTO \"%1\" (id, n) VALUES ($id, $n)"_s.arg(table)}));
    }
    Store store;
    QVERIFY(store.open({.storeId = u"tables"_s, .schema = schema, .inMemory = true}));
    // A model of each, so that both tables' changes are recorded.
    const QString lowerSql = u"SELECT * FROM \"%1\" ORDER BY n"_s.arg(lower);
    const QString upperSql = u"SELECT * FROM \"%1\" ORDER BY n"_s.arg(upper);
    LiveQueryModel lowerModel(&store, Query::sql(lowerSql));
    LiveQueryModel upperModel(&store, Query::sql(upperSql));
    QAbstractItemModelTester lowerTester(&lowerModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester upperTester(&upperModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(store.liveQuery(Query::sql(lowerSql)).isIncremental());
    QVERIFY(store.liveQuery(Query::sql(upperSql)).isIncremental());
    QRandomGenerator random(11);
    for (int i = 0; i < 200; ++i) {
        const QString table = random.bounded(2) ? upper : lower;
        QVERIFY(store.commit(u"set "_s + table, {{u"id"_s, u"r%1"_s.arg(random.bounded(20))}, {u"n"_s, random.bounded(50)}}));
        for (const auto &[model, sql] : {std::pair{&lowerModel, lowerSql}, std::pair{&upperModel, upperSql}}) {
            const QueryResult fresh = store.query(sql + u", id"_s);
            QVERIFY2(fresh.isValid(), qPrintable(fresh.errorString()));
            QCOMPARE(modelRows(*model), fresh.rows());
        }
    }
}

void tst_IncrementalModel::namesInAnotherCase()
{
    // SQLite takes ITEMS for items and DONE for done. The plan must too, and find the columns'
    // types: a boolean key is compared as SQLite stores it (0 and 1).
    Store store;
    QVERIFY(store.open({.storeId = u"case"_s, .schema = itemSchema(), .inMemory = true}));
    const QString sql = u"SELECT ID, Title, DONE FROM ITEMS ORDER BY DONE DESC, Title"_s;
    LiveQueryModel model(&store, Query::sql(sql));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(store.liveQuery(Query::sql(sql)).isIncremental());
    QRandomGenerator random(5);
    for (int i = 0; i < 300; ++i) {
        const QString id = u"i%1"_s.arg(random.bounded(25));
        switch (random.bounded(4)) {
        case 0:
            QVERIFY(store.commit(u"replaced"_s, {{u"id"_s, id}, {u"title"_s, u"t%1"_s.arg(random.bounded(10))},
                                                  {u"rank"_s, 0}}));
            break;
        case 1:
            QVERIFY(store.commit(u"toggled"_s, {{u"id"_s, id}}));
            break;
        case 2:
            QVERIFY(store.commit(u"retitled"_s, {{u"id"_s, id}, {u"title"_s, u"t%1"_s.arg(random.bounded(10))}}));
            break;
        default:
            QVERIFY(store.commit(u"deleted"_s, {{u"id"_s, id}}));
            break;
        }
        const QueryResult fresh = store.query(sql + u", id"_s);
        QVERIFY2(fresh.isValid(), qPrintable(fresh.errorString()));
        QCOMPARE(modelRows(model), fresh.rows());
    }

    // A date-time column (ISO text, read back as QDateTime) is no key: the query re-runs, however
    // its name is spelled.
    Schema schema;
    schema.addTable(TableDef{u"log"_s}.column(ColumnDef::text(u"id"_s).primaryKey()).column(ColumnDef::dateTime(u"at"_s)));
    schema.addEvent(EventDef::synced(u"logged"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"at"_s, ArgType::DateTime)
                            .materializeSql({u"INSERT INTO log (id, at) VALUES ($id, $at)"_s}));
    Store logStore;
    QVERIFY(logStore.open({.storeId = u"log"_s, .schema = schema, .inMemory = true}));
    QVERIFY(!logStore.liveQuery(Query::sql(u"SELECT * FROM log ORDER BY at"_s)).isIncremental());
    QVERIFY(!logStore.liveQuery(Query::sql(u"SELECT * FROM LOG ORDER BY AT"_s)).isIncremental());
}

void tst_IncrementalModel::nestedCommitFallsBack()
{
    // A subscriber committing while the first commit's notifications run: the second commit's
    // rows reach the model through a re-run, and the model still ends equal to the query.
    Store store;
    QVERIFY(store.open({.storeId = u"nested"_s, .schema = itemSchema(), .inMemory = true}));
    LiveQueryModel model(&store, Query::sql(u"SELECT * FROM items ORDER BY title"_s));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    bool once = false;
    const Subscription follow = store.subscribe(Query::sql(u"SELECT count(*) FROM items"_s), [&](const QueryResult &r) {
        if (r.scalar().toInt() == 1 && !once) {
            once = true;
            store.commit(u"created"_s, {{u"id"_s, u"b"_s}, {u"title"_s, u"a first"_s}, {u"rank"_s, 1},
                                        {u"score"_s, 0.0}, {u"grp"_s, u"a"_s}});
        }
    }, {.skipInitialRun = true});
    QVERIFY(store.commit(u"created"_s, {{u"id"_s, u"a"_s}, {u"title"_s, u"z last"_s}, {u"rank"_s, 1},
                                          {u"score"_s, 0.0}, {u"grp"_s, u"a"_s}}));
    QVERIFY(once);
    QCOMPARE(modelRows(model), store.query(u"SELECT * FROM items ORDER BY title, id"_s).rows());
}

void tst_IncrementalModel::bulkChangesRerun()
{
    // Past IncrementalPlan::MaxFollowedRows changed rows a commit re-runs the query instead.
    Store store;
    QVERIFY(store.open({.storeId = u"bulk"_s, .schema = itemSchema(), .inMemory = true}));
    const Query query = Query::sql(u"SELECT * FROM items ORDER BY title"_s);
    LiveQueryModel model(&store, query);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto batch = [](int first, int count) {
        QList<Event> events;
        for (int i = first; i < first + count; ++i) {
            events.append(Event{u"created"_s, {{u"id"_s, u"i%1"_s.arg(i)}, {u"title"_s, u"t%1"_s.arg(i % 97)},
                                                {u"rank"_s, i}, {u"score"_s, 0.0}, {u"grp"_s, u"a"_s}}});
        }
        return events;
    };
    QVERIFY(store.commit(batch(0, 500)));
    QCOMPARE(store.liveQuery(query).runCount(), 1);
    QVERIFY(store.commit(batch(500, 1500)));
    QCOMPARE(store.liveQuery(query).runCount(), 2);
    QCOMPARE(modelRows(model), store.query(u"SELECT * FROM items ORDER BY title, id"_s).rows());
    QVERIFY(store.commit(batch(2000, 1)));
    QCOMPARE(store.liveQuery(query).runCount(), 2);
    QCOMPARE(modelRows(model), store.query(u"SELECT * FROM items ORDER BY title, id"_s).rows());
}

QTEST_GUILESS_MAIN(tst_IncrementalModel)
#include "tst_incrementalmodel.moc"
