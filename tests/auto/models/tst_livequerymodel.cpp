// SPDX-License-Identifier: BSD-3-Clause
#include "todoschema.h"

#include <livequerymodel.h>
#include <store.h>

#include <QtCore/qrandom.h>
#include <QtCore/qregularexpression.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

namespace {

Schema schemaWithEdits()
{
    Schema s = todoSchema();
    s.addEvent(EventDef::synced(u"v1.TodoEdited"_s)
                       .arg(u"id"_s, ArgType::String)
                       .arg(u"text"_s, ArgType::String)
                       .materializeSql({u"UPDATE todos SET text = $text WHERE id = $id"_s}));
    return s;
}

// Every signal a model can emit, recorded in order.
struct ModelRecorder
{
    explicit ModelRecorder(QAbstractItemModel *model)
        : inserted(model, &QAbstractItemModel::rowsInserted),
          removed(model, &QAbstractItemModel::rowsRemoved),
          moved(model, &QAbstractItemModel::rowsMoved),
          changed(model, &QAbstractItemModel::dataChanged),
          reset(model, &QAbstractItemModel::modelReset),
          layout(model, &QAbstractItemModel::layoutChanged)
    {
    }
    int total() const
    {
        return int(inserted.size() + removed.size() + moved.size() + changed.size() + reset.size() + layout.size());
    }
    void clear()
    {
        for (QSignalSpy *s : {&inserted, &removed, &moved, &changed, &reset, &layout})
            s->clear();
    }
    QSignalSpy inserted, removed, moved, changed, reset, layout;
};

} // namespace

class tst_LiveQueryModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Store> store;

    bool create(const QString &id, const QString &text)
    {
        return store->commit(u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, text}});
    }
    // A fresh query's rows as the model hands them out (SQL NULL as a null pointer, for QML).
    static QVariantList expected(const QueryResult &result)
    {
        QVariantList rows = result.toMaps();
        for (QVariant &row : rows) {
            QVariantMap map = row.toMap();
            for (auto it = map.begin(); it != map.end(); ++it) {
                if (!it->isValid())
                    *it = QVariant::fromValue(nullptr);
            }
            row = map;
        }
        return rows;
    }
    // The model's rows as maps, to compare with a fresh query.
    static QVariantList contents(const LiveQueryModel &model)
    {
        QVariantList rows;
        for (int r = 0; r < model.rowCount(); ++r)
            rows.append(model.get(r));
        return rows;
    }

private Q_SLOTS:
    void init()
    {
        store = std::make_unique<Store>();
        StoreOptions o;
        o.storeId = u"models"_s;
        o.schema = schemaWithEdits();
        o.inMemory = true;
        QVERIFY(store->open(o));
        QVERIFY(create(u"a"_s, u"apple"_s));
        QVERIFY(create(u"b"_s, u"banana"_s));
        QVERIFY(create(u"c"_s, u"cherry"_s));
    }
    void cleanup() { store.reset(); }

    void rolesAndContent()
    {
        LiveQueryModel model(store.get(), Query::from(u"todos"_s).orderBy(u"id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.count(), 3);
        QCOMPARE(model.columns(), (QStringList{u"id"_s, u"text"_s, u"completed"_s, u"deletedAt"_s}));
        const QHash<int, QByteArray> roles = model.roleNames();
        QCOMPARE(roles.value(model.roleForColumn(u"text"_s)), QByteArray("text"));
        QCOMPARE(model.data(model.index(1, 0), model.roleForColumn(u"text"_s)), QVariant(u"banana"_s));
        QCOMPARE(model.data(model.index(1, 2), Qt::DisplayRole).toBool(), false); // table view cell
        QCOMPARE(model.columnCount(), 4);
        QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), u"text"_s);
        QCOMPARE(model.get(2).value(u"id"_s).toString(), u"c"_s);
        QCOMPARE(model.indexOf(u"b"_s), 1);
        QCOMPARE(model.indexOf(u"zz"_s), -1);
        QVERIFY(model.get(99).isEmpty());
        // NULL reaches QML as null, not undefined.
        QCOMPARE(model.get(0).value(u"deletedAt"_s).typeId(), QMetaType::Nullptr);
        QSignalSpy headers(&model, &QAbstractItemModel::headerDataChanged);
        QVERIFY(model.setHeaderData(1, Qt::Horizontal, u"Todo"_s));
        QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), u"Todo"_s);
        QCOMPARE(headers.size(), 1);
        // Insertion order through the builder: rowid is allowed though not a schema column.
        model.setQuery(Query::from(u"todos"_s).orderBy(u"rowid"_s, Query::Desc));
        QVERIFY2(model.errorString().isEmpty(), qPrintable(model.errorString()));
        QCOMPARE(model.get(0).value(u"id"_s).toString(), u"c"_s);
        QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), u"Todo"_s);
    }

    // A store deleted under its model: the rows go, with rowsRemoved, and storeChanged() says so.
    void storeDeletedUnderTheModel()
    {
        LiveQueryModel model(store.get(), Query::from(u"todos"_s).orderBy(u"id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.count(), 3);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy storeChanged(&model, &LiveQueryModel::storeChanged);
        store.reset();
        QCOMPARE(model.store(), nullptr);
        QCOMPARE(model.count(), 0);
        QCOMPARE(model.status(), LiveQueryModel::Null);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(storeChanged.size(), 1);
    }

    void toggleIsOneDataChangedWithOnlyChangedRoles()
    {
        LiveQueryModel model(store.get(), Query::from(u"todos"_s).orderBy(u"id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelRecorder rec(&model);
        QVERIFY(store->commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"b"_s}}));
        QCOMPARE(rec.total(), 1);
        QCOMPARE(rec.changed.size(), 1);
        const QList<QVariant> args = rec.changed.first();
        QCOMPARE(args.at(0).toModelIndex().row(), 1);
        QCOMPARE(args.at(1).toModelIndex().row(), 1);
        const QList<int> roles = args.at(2).value<QList<int>>();
        QVERIFY(roles.contains(model.roleForColumn(u"completed"_s)));
        QVERIFY(!roles.contains(model.roleForColumn(u"text"_s)));
        QVERIFY(!roles.contains(model.roleForColumn(u"id"_s)));
        QCOMPARE(model.get(1).value(u"completed"_s).toBool(), true);
    }

    void addIsOneInsert()
    {
        LiveQueryModel model(store.get(), Query::from(u"todos"_s).orderBy(u"id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelRecorder rec(&model);
        QSignalSpy count(&model, &LiveQueryModel::countChanged);
        QVERIFY(create(u"bb"_s, u"blueberry"_s));
        QCOMPARE(rec.total(), 1);
        QCOMPARE(rec.inserted.size(), 1);
        QCOMPARE(rec.inserted.first().at(1).toInt(), 2);
        QCOMPARE(rec.inserted.first().at(2).toInt(), 2);
        QCOMPARE(count.size(), 1);
        QCOMPARE(model.get(2).value(u"text"_s).toString(), u"blueberry"_s);
    }

    // One commit looks atomic to every observer: whoever is told of it, in whatever order they
    // subscribed, finds every model of the store already showing all of it.
    void oneCommitIsOneConsistentUpdate()
    {
        // Subscribed before the models exist, so that the graph knows it first.
        int seenAtDocument = -1;
        int seenAtComputedFirst = -1, seenAtComputedSecond = -1;
        LiveQueryModel *firstModel = nullptr;
        const Subscription doc = store->subscribe(
                Query::from(u"uiState"_s),
                [&](const QueryResult &) { seenAtDocument = firstModel ? firstModel->indexOf(u"d"_s) : -2; },
                {.skipInitialRun = true});
        LiveQueryModel first(store.get(), Query::from(u"todos"_s).orderBy(u"id"_s));
        LiveQueryModel second(store.get(), Query::from(u"todos"_s).where(u"completed"_s, false).orderBy(u"text"_s));
        firstModel = &first;
        QAbstractItemModelTester tester1(&first, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester tester2(&second, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // A model's own count notification comes after every model took its rows.
        QObject::connect(&first, &LiveQueryModel::countChanged, &first,
                         [&] { seenAtComputedFirst = second.indexOf(u"d"_s); });
        QObject::connect(&second, &LiveQueryModel::countChanged, &second,
                         [&] { seenAtComputedSecond = first.indexOf(u"d"_s); });

        QVERIFY(store->commit(QList<Event>{{u"v1.TodoCreated"_s, {{u"id"_s, u"d"_s}, {u"text"_s, u"date"_s}}},
                                           {u"uiStateSet"_s, {{u"value"_s, QVariantMap{{u"newTodoText"_s, u"d"_s}}}}}}));
        QCOMPARE(seenAtDocument, 3);
        QCOMPARE(seenAtComputedFirst, 3);
        QCOMPARE(seenAtComputedSecond, 3);
    }

    void statusAndFirstRow()
    {
        LiveQueryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.status(), LiveQueryModel::Null);
        QVERIFY(model.first().isEmpty());
        QSignalSpy status(&model, &LiveQueryModel::statusChanged);
        model.setStore(store.get());
        model.setQuery(Query::from(u"todos"_s).orderBy(u"text"_s, Query::Desc));
        QCOMPARE(model.status(), LiveQueryModel::Ready);
        QCOMPARE(model.first().value(u"text"_s).toString(), u"cherry"_s);
        QVERIFY(create(u"d"_s, u"date"_s));
        QCOMPARE(model.first().value(u"text"_s).toString(), u"date"_s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"live query failed"_s));
        model.setQuery(Query::sql(u"SELECT nope FROM todos"_s));
        QCOMPARE(model.status(), LiveQueryModel::Error);
        QVERIFY(!model.errorString().isEmpty());
        model.setQuery(Query::from(u"todos"_s).where(u"id"_s, u"zz"_s));
        QCOMPARE(model.status(), LiveQueryModel::Ready);
        QVERIFY(model.first().isEmpty());
        QCOMPARE(status.size(), 3); // Ready, Error, Ready
    }

    void filteredOutIsOneRemove()
    {
        LiveQueryModel model;
        model.setStore(store.get());
        model.setTable(u"todos"_s);
        model.setFilter({{u"deletedAt"_s, QVariant()}});
        model.setOrderBy(u"id"_s);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.count(), 3);
        ModelRecorder rec(&model);
        QVERIFY(store->commit(u"v1.TodoDeleted"_s, {{u"id"_s, u"a"_s}, {u"deletedAt"_s, 5}}));
        QCOMPARE(rec.total(), 1);
        QCOMPARE(rec.removed.size(), 1);
        QCOMPARE(rec.removed.first().at(1).toInt(), 0);
        QCOMPARE(model.count(), 2);
    }

    void reorderIsAMoveNotAReset()
    {
        LiveQueryModel model(store.get(), Query::from(u"todos"_s).orderBy(u"text"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelRecorder rec(&model);
        // "apple" becomes "zucchini": row 0 moves to the end and its text changes.
        QVERIFY(store->commit(u"v1.TodoEdited"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"zucchini"_s}}));
        QCOMPARE(rec.reset.size(), 0);
        QCOMPARE(rec.layout.size(), 0);
        QCOMPARE(rec.inserted.size() + rec.removed.size(), 0);
        QCOMPARE(rec.moved.size(), 1);
        QCOMPARE(rec.changed.size(), 1);
        QCOMPARE(model.get(2).value(u"text"_s).toString(), u"zucchini"_s);
        QCOMPARE(contents(model), expected(store->query(Query::from(u"todos"_s).orderBy(u"text"_s))));
    }

    void bindsChangeIsFineGrained()
    {
        LiveQueryModel model;
        model.setStore(store.get());
        model.setSql(u"SELECT id, text FROM todos WHERE text >= ? ORDER BY text"_s);
        model.setBinds(QVariantList{u"b"_s});
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.count(), 2);
        ModelRecorder rec(&model);
        model.setBinds(QVariantList{u"a"_s});
        QCOMPARE(rec.reset.size(), 0);
        QCOMPARE(rec.inserted.size(), 1);
        QCOMPARE(model.count(), 3);
        model.setBinds(QVariantMap()); // a wrong kind of binds: an error, the rows stay
        QVERIFY(!model.errorString().isEmpty());
        QCOMPARE(model.count(), 3);
    }

    void newColumnsReset()
    {
        LiveQueryModel model(store.get(), Query::sql(u"SELECT id FROM todos ORDER BY id"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy columns(&model, &LiveQueryModel::columnsChanged);
        model.setQuery(Query::sql(u"SELECT id, text FROM todos ORDER BY id"_s));
        QCOMPARE(reset.size(), 1);
        QCOMPARE(columns.size(), 1);
        QCOMPARE(model.roleNames().value(model.roleForColumn(u"text"_s)), QByteArray("text"));
    }

    void badQueryReportsAndKeepsRows()
    {
        LiveQueryModel model(store.get(), Query::from(u"todos"_s));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy errors(&model, &LiveQueryModel::errorOccurred);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"live query failed: .*no such column"_s));
        model.setQuery(Query::sql(u"SELECT nope FROM todos"_s));
        QCOMPARE(errors.size(), 1);
        QVERIFY(model.errorString().contains(u"no such column: nope"_s));
        QCOMPARE(model.count(), 3);
        model.setQuery(Query::from(u"todos"_s));
        QVERIFY(model.errorString().isEmpty());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"orderBy: cannot read"_s));
        model.setQuery(Query());
        model.setTable(u"todos"_s);
        model.setOrderBy(u"text sideways"_s);
        QCOMPARE(model.errorString(), u"orderBy: cannot read \"text sideways\" (expected \"column\", \"column asc\" or \"column desc\")"_s);
    }

    void modelMatchesFreshQueryAfterRandomCommits_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::newRow("by id") << u"SELECT * FROM todos ORDER BY id"_s;
        QTest::newRow("by text") << u"SELECT * FROM todos ORDER BY text, id"_s;
        QTest::newRow("active") << u"SELECT id, text FROM todos WHERE completed = 0 AND deletedAt IS NULL ORDER BY text DESC, id"_s;
        QTest::newRow("limited") << u"SELECT * FROM todos ORDER BY text, id LIMIT 5"_s;
        QTest::newRow("no key") << u"SELECT text, completed FROM todos ORDER BY text"_s;
    }
    void modelMatchesFreshQueryAfterRandomCommits()
    {
        QFETCH(QString, sql);
        LiveQueryModel model(store.get(), Query::sql(sql));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelRecorder rec(&model);
        QRandomGenerator rng(7);
        for (int step = 0; step < 400; ++step) {
            QList<Event> batch;
            for (int i = rng.bounded(1, 4); i > 0; --i) {
                const QString id = QString::number(rng.bounded(25));
                switch (rng.bounded(5)) {
                case 0: batch.append({u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString(QChar(u'a' + rng.bounded(26)))}}}); break;
                case 1: batch.append({u"v1.TodoCompleted"_s, {{u"id"_s, id}}}); break;
                case 2: batch.append({u"v1.TodoUncompleted"_s, {{u"id"_s, id}}}); break;
                case 3: batch.append({u"v1.TodoEdited"_s, {{u"id"_s, id}, {u"text"_s, QString(QChar(u'a' + rng.bounded(26)))}}}); break;
                default: batch.append({u"v1.TodoDeleted"_s, {{u"id"_s, id}, {u"deletedAt"_s, step}}}); break;
                }
            }
            store->commit(batch); // duplicates fail as a whole; that is part of the test
            QCOMPARE(contents(model), expected(store->query(Query::sql(sql))));
        }
        QCOMPARE(rec.reset.size(), 0);
        QCOMPARE(rec.layout.size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_LiveQueryModel)
#include "tst_livequerymodel.moc"
