// SPDX-License-Identifier: BSD-3-Clause
// EventLogModel: pages of the eventlog as views ask for them, filters, new events at the end.
#include <eventlogmodel.h>
#include <store.h>
#include <syncengine_p.h>

#include <QtCore/qrandom.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

class tst_EventLogModel : public QObject
{
    Q_OBJECT

    static Schema notesSchema()
    {
        Schema schema;
        schema.addTable(TableDef{u"notes"_s}
                                .column(ColumnDef::text(u"id"_s).primaryKey())
                                .column(ColumnDef::text(u"body"_s)));
        schema.addEvent(EventDef::synced(u"v1.NoteAdded"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"body"_s, ArgType::String)
                                .materializeSql({u"INSERT INTO notes (id, body) VALUES ($id, $body)"_s}));
        schema.addEvent(EventDef::synced(u"v1.NoteRemoved"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materializeSql({u"DELETE FROM notes WHERE id = $id"_s}));
        return schema;
    }

    std::unique_ptr<Store> openStore(int notes)
    {
        auto store = std::make_unique<Store>();
        StoreOptions options;
        options.storeId = u"log"_s;
        options.schema = notesSchema();
        options.inMemory = true;
        if (!store->open(options))
            return nullptr;
        QList<Event> events;
        for (int i = 0; i < notes; ++i) {
            events.append(Event{u"v1.NoteAdded"_s, {{u"id"_s, u"n%1"_s.arg(i)},
                                                    {u"body"_s, i % 100 == 42 ? u"needle %1"_s.arg(i) : u"hay"_s}}});
            if (i % 10 == 9)
                events.append(Event{u"v1.NoteRemoved"_s, {{u"id"_s, u"n%1"_s.arg(i)}}});
        }
        if (!events.isEmpty() && !store->commit(events))
            return nullptr;
        return store;
    }

private Q_SLOTS:
    // A store deleted under its model: the rows go, with rowsRemoved.
    void storeDeletedUnderTheModel()
    {
        auto store = openStore(10);
        QVERIFY(store);
        EventLogModel model(store.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 11);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        store.reset();
        QCOMPARE(model.store(), nullptr);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(removed.size(), 1);
        QVERIFY(!model.canFetchMore({}));
    }

    void pagesAsViewsAsk()
    {
        auto store = openStore(10'000); // 11,000 events
        QVERIFY(store);
        EventLogModel model(store.get());
        model.setPageSize(500);
        QCOMPARE(model.rowCount(), 200); // the first page, at the default size
        QVERIFY(model.hasMore());
        QVERIFY(model.canFetchMore({}));
        model.fetchMore({});
        QCOMPARE(model.rowCount(), 700);
        // The tester fetches a page of its own, as views do.
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), 11'000);
        QVERIFY(!model.hasMore());
        // In log order, with every role.
        QCOMPARE(model.data(model.index(0), EventLogModel::SeqNumRole).toString(), u"e1"_s);
        QCOMPARE(model.data(model.index(10'999), EventLogModel::SeqNumRole).toString(), u"e11000"_s);
        const QVariantMap first = model.get(0);
        QCOMPARE(first.value(u"name"_s).toString(), u"v1.NoteAdded"_s);
        QCOMPARE(first.value(u"args"_s).toString(), u"{\"id\":\"n0\",\"body\":\"hay\"}"_s);
        QCOMPARE(first.value(u"argsObject"_s).toMap().value(u"id"_s).toString(), u"n0"_s);
        QCOMPARE(first.value(u"parentSeqNum"_s).toString(), u"e0"_s);
        QCOMPARE(first.value(u"clientId"_s).toString(), store->clientId());
        QCOMPARE(first.value(u"clientOnly"_s).toBool(), false);
    }

    // However far a view scrolls, the model holds at most cacheLimit events (plus the page in
    // use); rows of dropped pages read again as they were, filtered or not, in any order.
    void boundedMemory_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("whole log") << QString();
        QTest::newRow("filtered by text") << u"needle"_s;
    }
    void boundedMemory()
    {
        QFETCH(QString, text);
        auto store = openStore(20'000); // 22,000 events
        QVERIFY(store);
        EventLogModel model(store.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(100);
        model.setCacheLimit(1'000);
        model.setText(text);
        QList<EventRecord> expected;
        for (const EventRecord &e : store->events()) {
            if (text.isEmpty() || QString::fromUtf8(e.argsJson).contains(text))
                expected.append(e);
        }
        while (model.canFetchMore({})) {
            model.fetchMore({});
            QVERIFY2(model.cachedEventCount() <= 1'000 + 100, qPrintable(QString::number(model.cachedEventCount())));
        }
        QCOMPARE(model.rowCount(), expected.size());
        QVERIFY(model.cachedEventCount() < expected.size() || expected.size() <= 1'000);
        const auto check = [&](int row) {
            return model.data(model.index(row), EventLogModel::SeqNumRole).toString() == expected.at(row).seqNum.toString()
                    && model.data(model.index(row), EventLogModel::ArgsRole).toString()
                    == QString::fromUtf8(expected.at(row).argsJson);
        };
        // Back to the top, down again, then anywhere.
        for (int row = 0; row < model.rowCount(); row += 7)
            QVERIFY2(check(row), qPrintable(QString::number(row)));
        QRandomGenerator rng(7);
        for (int i = 0; i < 2'000; ++i) {
            const int row = int(rng.bounded(model.rowCount()));
            QVERIFY2(check(row), qPrintable(QString::number(row)));
            QVERIFY(model.cachedEventCount() <= 1'000 + 100);
        }
        // What is appended still comes at the end, and reads right.
        QVERIFY(store->commit(u"v1.NoteAdded"_s, {{u"id"_s, u"last"_s}, {u"body"_s, u"needle at the end"_s}}));
        QCOMPARE(model.rowCount(), expected.size() + 1);
        QCOMPARE(model.get(model.rowCount() - 1).value(u"args"_s).toString(),
                 uR"({"id":"last","body":"needle at the end"})"_s);
        QVERIFY(check(0));
    }

    void newEventsAtTheEnd()
    {
        auto store = openStore(10);
        QVERIFY(store);
        EventLogModel model(store.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 11);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QVERIFY(store->commit(u"v1.NoteAdded"_s, {{u"id"_s, u"x"_s}, {u"body"_s, u"y"_s}}));
        QCOMPARE(model.rowCount(), 12);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(inserted.constFirst().at(1).toInt(), 11);
        QCOMPARE(model.get(11).value(u"seqNum"_s).toString(), u"e12"_s);

        // A view not at the end yet: the new events come with its next pages.
        auto big = openStore(1000);
        model.setStore(big.get());
        QCOMPARE(model.rowCount(), 200);
        QVERIFY(big->commit(u"v1.NoteAdded"_s, {{u"id"_s, u"x"_s}, {u"body"_s, u"y"_s}}));
        QCOMPARE(model.rowCount(), 200);
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), 1101);
        QCOMPARE(model.get(1100).value(u"args"_s).toString(), u"{\"id\":\"x\",\"body\":\"y\"}"_s);
    }

    void filters()
    {
        auto store = openStore(1000);
        QVERIFY(store);
        EventLogModel model(store.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setNames({u"v1.NoteRemoved"_s});
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), 100);
        for (int i = 0; i < model.rowCount(); ++i)
            QCOMPARE(model.get(i).value(u"name"_s).toString(), u"v1.NoteRemoved"_s);

        model.setNames({});
        model.setText(u"NEEDLE"_s); // in the arguments, case-insensitive
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), 10);
        QVERIFY(model.get(0).value(u"args"_s).toString().contains(u"needle 42"_s));

        model.setText({});
        model.setClientId(u"someone-else"_s);
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), 0);
        model.setClientId(store->clientId());
        QCOMPARE(model.rowCount(), 200);
    }

    void scanLimitKeepsStepsShort()
    {
        // A rare match far into the log: each fetch reads at most scanLimit events.
        auto store = openStore(5000); // 5,500 events; needles at 42, 142, ...
        QVERIFY(store);
        EventLogModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setScanLimit(300);
        model.setText(u"needle 4942"_s);
        model.setStore(store.get());
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(model.hasMore());
        int fetches = 0;
        while (model.canFetchMore({})) {
            model.fetchMore({});
            ++fetches;
        }
        QCOMPARE(model.rowCount(), 1);
        QVERIFY2(fetches >= 5500 / 300 - 1, qPrintable(QString::number(fetches)));
    }

    void storeOpeningLater()
    {
        Store store;
        EventLogModel model(&store);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.canFetchMore({}));
        StoreOptions options;
        options.storeId = u"later"_s;
        options.schema = notesSchema();
        options.inMemory = true;
        QSignalSpy finished(&store, &Store::openFinished);
        QVERIFY(store.openAsync(options));
        QVERIFY(finished.wait(10'000));
        QVERIFY(store.commit(u"v1.NoteAdded"_s, {{u"id"_s, u"a"_s}, {u"body"_s, u"b"_s}}));
        QCOMPARE(model.rowCount(), 1);
    }
    void confirmedRole()
    {
        // Pending until the sync server confirms them; a pull that only confirms changes no row of
        // the log, so the model hears of it through updateConfirmed() (a SyncClient's signal).
        auto store = std::make_unique<Store>();
        StoreOptions options;
        options.storeId = u"log"_s;
        options.schema = notesSchema();
        options.inMemory = true;
        options.recordChangesets = true;
        QVERIFY(store->open(options));
        QList<Event> events;
        for (int i = 0; i < 5; ++i)
            events.append(Event{u"v1.NoteAdded"_s, {{u"id"_s, u"n%1"_s.arg(i)}, {u"body"_s, u"b"_s}}});
        QVERIFY(store->commit(events));
        EventLogModel model(store.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.roleNames().value(EventLogModel::ConfirmedRole), "confirmed");
        QCOMPARE(model.rowCount(), 5);
        for (int row = 0; row < 5; ++row)
            QCOMPARE(model.index(row).data(EventLogModel::ConfirmedRole).toBool(), false);

        SyncEngine engine(store.get());
        QList<EventRecord> echo = engine.pendingEvents(true).mid(0, 3);
        QCOMPARE(engine.applyUpstream(echo).kind, SyncEngine::Result::Advanced);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.updateConfirmed();
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 0);
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), 2);
        QCOMPARE(changed.at(0).at(2).value<QList<int>>(), QList<int>{EventLogModel::ConfirmedRole});
        for (int row = 0; row < 5; ++row)
            QCOMPARE(model.index(row).data(EventLogModel::ConfirmedRole).toBool(), row < 3);
        QCOMPARE(model.get(0).value(u"confirmed"_s).toBool(), true);
        model.updateConfirmed(); // nothing new: no signal
        QCOMPARE(changed.size(), 1);

        // Another client's event after them: the rest of ours is rebased on top of it, the model
        // reads them again, the new event confirmed and ours pending.
        EventRecord other;
        other.seqNum = {4, 0, 0};
        other.parentSeqNum = {3, 0, 0};
        other.name = u"v1.NoteRemoved"_s;
        other.args = {{u"id"_s, u"n0"_s}};
        other.argsJson = "{\"id\":\"n0\"}";
        other.clientId = u"other"_s;
        other.sessionId = u"other-session"_s;
        QCOMPARE(engine.applyUpstream({other}).kind, SyncEngine::Result::Rebased);
        QCOMPARE(model.rowCount(), 6);
        QCOMPARE(model.index(3).data(EventLogModel::NameRole).toString(), u"v1.NoteRemoved"_s);
        for (int row = 0; row < 6; ++row)
            QCOMPARE(model.index(row).data(EventLogModel::ConfirmedRole).toBool(), row < 4);
    }
};

QTEST_GUILESS_MAIN(tst_EventLogModel)
#include "tst_eventlogmodel.moc"
