// SPDX-License-Identifier: BSD-3-Clause
// The Qt Widgets TodoMVC window, driven with keys and clicks against an in-memory store.
#include "todowindow.h"

#include <livequerymodel.h>
#include <sqlitesyncstorage.h>
#include <store.h>
#include <sync/syncclient.h>
#include <syncserver.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>
#include <QtWidgets/qcombobox.h>
#include <QtWidgets/qlabel.h>
#include <QtWidgets/qlineedit.h>
#include <QtWidgets/qpushbutton.h>
#include <QtWidgets/qstatusbar.h>
#include <QtWidgets/qtableview.h>

#include <memory>

using namespace LiveStore;
using namespace Qt::StringLiterals;

class tst_TodoMvcWidgets : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Store> store;
    std::unique_ptr<TodoWindow> window; // destroyed before the store
    QLineEdit *newTodo = nullptr;
    QPushButton *add = nullptr;
    QTableView *view = nullptr;
    QPushButton *toggle = nullptr;
    QPushButton *remove = nullptr;
    QPushButton *clearCompleted = nullptr;
    QComboBox *filter = nullptr;
    QLabel *itemsLeft = nullptr;

    template<typename T>
    T *child(const QString &name)
    {
        T *widget = window->findChild<T *>(name);
        if (!widget)
            qFatal("no widget %s", qUtf8Printable(name));
        return widget;
    }

    int column(const QString &name) const
    {
        for (int c = 0; c < view->model()->columnCount(); ++c) {
            if (view->model()->headerData(c, Qt::Horizontal).toString() == name)
                return c;
        }
        return -1;
    }

    QVariant value(int row, const QString &name) const
    {
        return view->model()->index(row, column(name)).data();
    }

    // The texts in the table, top to bottom.
    QStringList texts() const
    {
        QStringList list;
        for (int r = 0; r < view->model()->rowCount(); ++r)
            list.append(value(r, u"text"_s).toString());
        return list;
    }

    void typeTodo(const QString &text)
    {
        QTest::keyClicks(newTodo, text);
        QTest::keyClick(newTodo, Qt::Key_Return);
    }

    void clickRow(int row)
    {
        const QRect cell = view->visualRect(view->model()->index(row, column(u"text"_s)));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());
    }

    int selectedRow() const
    {
        const QModelIndexList selected = view->selectionModel()->selectedRows();
        return selected.isEmpty() ? -1 : selected.constFirst().row();
    }

    QString selectedText() const
    {
        const int row = selectedRow();
        return row < 0 ? QString() : value(row, u"text"_s).toString();
    }

    EventRecord lastEvent() const
    {
        const QList<EventRecord> events = store->events();
        return events.isEmpty() ? EventRecord() : events.constLast();
    }

private Q_SLOTS:
    void init()
    {
        const Schema schema = Schema::fromFile(u":/todos.json"_s);
        QVERIFY2(schema.isValid(), qPrintable(schema.errorString()));
        store = std::make_unique<Store>();
        StoreOptions options;
        options.storeId = u"todomvc-widgets"_s;
        options.schema = schema;
        options.inMemory = true;
        options.recordChangesets = true; // syncsWithAnotherWindow syncs it
        QVERIFY2(store->open(options), qPrintable(store->errorString()));

        window = std::make_unique<TodoWindow>(store.get());
        newTodo = child<QLineEdit>(u"newTodo"_s);
        add = child<QPushButton>(u"add"_s);
        view = child<QTableView>(u"todos"_s);
        toggle = child<QPushButton>(u"toggle"_s);
        remove = child<QPushButton>(u"delete"_s);
        clearCompleted = child<QPushButton>(u"clearCompleted"_s);
        filter = child<QComboBox>(u"filter"_s);
        itemsLeft = child<QLabel>(u"itemsLeft"_s);
        // Checks every signal the model emits from here on against the model's contents.
        new QAbstractItemModelTester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest,
                                     window.get());
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    }

    void cleanup()
    {
        window.reset();
        store.reset();
    }

    void startsEmpty()
    {
        QCOMPARE(view->model()->rowCount(), 0);
        QCOMPARE(itemsLeft->text(), u"0 items left"_s);
        QVERIFY(!add->isEnabled());
        QVERIFY(!toggle->isEnabled());
        QVERIFY(!remove->isEnabled());
        QVERIFY(!clearCompleted->isEnabled());
        // The key column is there for the model's diff, not for the user.
        QVERIFY(column(u"id"_s) >= 0);
        QVERIFY(view->isColumnHidden(column(u"id"_s)));
        QVERIFY(!view->isColumnHidden(column(u"text"_s)));
        QVERIFY(!view->isColumnHidden(column(u"completed"_s)));
        QCOMPARE(column(u"deletedAt"_s), -1);
    }

    void addWithEnter()
    {
        typeTodo(u"Buy milk"_s);
        QCOMPARE(texts(), QStringList{u"Buy milk"_s});
        QCOMPARE(value(0, u"completed"_s), QVariant(false));
        QCOMPARE(itemsLeft->text(), u"1 item left"_s);
        QVERIFY(newTodo->text().isEmpty());

        const EventRecord event = lastEvent();
        QCOMPARE(event.name, u"v1.TodoCreated"_s);
        QCOMPARE(event.arg(u"text"_s).toString(), u"Buy milk"_s);
        QCOMPARE(event.arg(u"id"_s), value(0, u"id"_s));
        QVERIFY(!event.arg(u"id"_s).toString().isEmpty());
    }

    void addWithButton()
    {
        QTest::keyClicks(newTodo, u"Walk the dog"_s);
        QVERIFY(add->isEnabled());
        QTest::mouseClick(add, Qt::LeftButton);
        typeTodo(u"Water plants"_s);
        QCOMPARE(texts(), (QStringList{u"Walk the dog"_s, u"Water plants"_s})); // creation order
        QCOMPARE(itemsLeft->text(), u"2 items left"_s);
        QVERIFY(!add->isEnabled());
    }

    void blankTextIsIgnored()
    {
        typeTodo(u"   "_s);
        QCOMPARE(store->eventCount(), 0);
        QCOMPARE(view->model()->rowCount(), 0);
    }

    void toggleCompleted()
    {
        typeTodo(u"a"_s);
        typeTodo(u"b"_s);
        clickRow(1);
        QCOMPARE(selectedText(), u"b"_s);
        QVERIFY(toggle->isEnabled());

        QTest::mouseClick(toggle, Qt::LeftButton);
        QCOMPARE(lastEvent().name, u"v1.TodoCompleted"_s);
        QCOMPARE(value(1, u"completed"_s), QVariant(true));
        QCOMPARE(itemsLeft->text(), u"1 item left"_s);
        QVERIFY(clearCompleted->isEnabled());

        QTest::mouseClick(toggle, Qt::LeftButton);
        QCOMPARE(lastEvent().name, u"v1.TodoUncompleted"_s);
        QCOMPARE(value(1, u"completed"_s), QVariant(false));
        QCOMPARE(itemsLeft->text(), u"2 items left"_s);
        QVERIFY(!clearCompleted->isEnabled());
    }

    void selectionSurvivesUpdates()
    {
        typeTodo(u"a"_s);
        typeTodo(u"b"_s);
        typeTodo(u"c"_s);
        clickRow(1);
        QSignalSpy resets(view->model(), &QAbstractItemModel::modelReset);

        typeTodo(u"d"_s);                      // a row inserted below
        QTest::mouseClick(toggle, Qt::LeftButton); // the selected row changed
        const QString a = value(0, u"id"_s).toString();
        QVERIFY(store->commit(u"v1.TodoDeleted"_s, {{u"id"_s, a}, {u"deletedAt"_s, QDateTime::fromMSecsSinceEpoch(1, Qt::UTC)}})); // a row removed above

        QCOMPARE(texts(), (QStringList{u"b"_s, u"c"_s, u"d"_s}));
        QCOMPARE(selectedText(), u"b"_s);
        QCOMPARE(value(0, u"completed"_s), QVariant(true));
        QCOMPARE(resets.size(), 0);
    }

    void deleteSelected()
    {
        typeTodo(u"a"_s);
        typeTodo(u"b"_s);
        clickRow(0);
        const QString id = value(0, u"id"_s).toString();
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        QTest::mouseClick(remove, Qt::LeftButton);

        QCOMPARE(texts(), QStringList{u"b"_s});
        QCOMPARE(itemsLeft->text(), u"1 item left"_s);
        const EventRecord event = lastEvent();
        QCOMPARE(event.name, u"v1.TodoDeleted"_s);
        QCOMPARE(event.arg(u"id"_s).toString(), id);
        // A date (LiveStore's Schema.Date: ISO text in the event, epoch ms in the todos table).
        QVERIFY(QDateTime::fromString(event.arg(u"deletedAt"_s).toString(), Qt::ISODateWithMs).toMSecsSinceEpoch() >= before);
        // Soft-deleted: still in the state, just not shown.
        QCOMPARE(store->query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 2);

        // A single-selection view moves the selection to the next row when the selected one is
        // removed (rowsRemoved, not a reset), so Delete can be clicked again.
        QCOMPARE(selectedText(), u"b"_s);
        QVERIFY(remove->isEnabled());
        QTest::mouseClick(remove, Qt::LeftButton);
        QCOMPARE(view->model()->rowCount(), 0);
        QCOMPARE(selectedRow(), -1);
        QVERIFY(!remove->isEnabled());
        QVERIFY(!toggle->isEnabled());
        QCOMPARE(itemsLeft->text(), u"0 items left"_s);
    }

    void clearCompletedTodos()
    {
        typeTodo(u"a"_s);
        typeTodo(u"b"_s);
        typeTodo(u"c"_s);
        clickRow(0);
        QTest::mouseClick(toggle, Qt::LeftButton);
        clickRow(2);
        QTest::mouseClick(toggle, Qt::LeftButton);
        QCOMPARE(itemsLeft->text(), u"1 item left"_s);

        QTest::mouseClick(clearCompleted, Qt::LeftButton);
        QCOMPARE(lastEvent().name, u"v1.TodoClearedCompleted"_s);
        QCOMPARE(texts(), QStringList{u"b"_s});
        QCOMPARE(itemsLeft->text(), u"1 item left"_s);
        QVERIFY(!clearCompleted->isEnabled());
    }

    void filterTodos()
    {
        typeTodo(u"a"_s);
        typeTodo(u"b"_s);
        typeTodo(u"c"_s);
        clickRow(1);
        QTest::mouseClick(toggle, Qt::LeftButton);
        clickRow(0);
        QSignalSpy resets(view->model(), &QAbstractItemModel::modelReset);

        filter->setCurrentIndex(TodoWindow::Active);
        QCOMPARE(texts(), (QStringList{u"a"_s, u"c"_s}));
        QCOMPARE(selectedText(), u"a"_s); // still in the list, so still selected

        // Completing a todo takes it out of the Active list.
        QTest::mouseClick(toggle, Qt::LeftButton);
        QCOMPARE(texts(), QStringList{u"c"_s});
        QCOMPARE(selectedText(), u"c"_s); // the view selects the next row
        QCOMPARE(itemsLeft->text(), u"1 item left"_s); // counts ignore the filter

        filter->setCurrentIndex(TodoWindow::Completed);
        QCOMPARE(texts(), (QStringList{u"a"_s, u"b"_s}));
        filter->setCurrentIndex(TodoWindow::All);
        QCOMPARE(texts(), (QStringList{u"a"_s, u"b"_s, u"c"_s}));
        QCOMPARE(resets.size(), 0);
    }

    void rejectedCommitIsShown()
    {
        store->close(); // any commit fails now
        typeTodo(u"Lost?"_s);
        const QString message = window->statusBar()->currentMessage();
        QVERIFY2(message.contains(store->errorString()), qPrintable(message));
        QVERIFY(!store->errorString().isEmpty());
        QCOMPARE(newTodo->text(), u"Lost?"_s); // kept, to try again
    }

    // Two windows on two stores, synced through a server in-process, as two users with
    // `todomvc-widgets --sync-url` would be: a todo typed in one shows up in the other's table,
    // a toggle there counts here, and the status bar says where syncing stands.
    void syncsWithAnotherWindow()
    {
        QTemporaryDir dir;
        SqliteSyncStorage storage;
        QVERIFY(storage.open(dir.path()));
        SyncServer server(&storage);
        SyncServerOptions serverOptions;
        serverOptions.port = 0;
        server.setOptions(serverOptions);
        QVERIFY(server.listen());

        SyncClient sync(store.get());
        sync.setUrl(server.url());
        window->showSyncStatus(&sync);
        auto *status = child<QLabel>(u"syncStatus"_s);
        QVERIFY(status);
        sync.start();
        QTRY_COMPARE(status->text(), u"synced"_s);

        Store otherStore;
        StoreOptions options;
        options.storeId = u"todomvc-widgets"_s;
        options.schema = store->schema();
        options.inMemory = true;
        options.recordChangesets = true;
        QVERIFY(otherStore.open(options));
        SyncClient otherSync(&otherStore);
        otherSync.setUrl(server.url());
        {
            TodoWindow other(&otherStore);
            other.showSyncStatus(&otherSync);
            QAbstractItemModelTester tester(other.findChild<QTableView *>(u"todos"_s)->model(),
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
            otherSync.start();
            auto *otherView = other.findChild<QTableView *>(u"todos"_s);
            auto *otherLeft = other.findChild<QLabel *>(u"itemsLeft"_s);

            typeTodo(u"Shared milk"_s);
            QTRY_COMPARE(otherView->model()->rowCount(), 1);
            QCOMPARE(otherLeft->text(), u"1 item left"_s);
            QTRY_COMPARE(status->text(), u"synced"_s);

            // Toggled over there, counted here.
            QVERIFY(otherStore.commit(u"v1.TodoCompleted"_s, {{u"id"_s, value(0, u"id"_s)}}));
            QTRY_COMPARE(itemsLeft->text(), u"0 items left"_s);
            QCOMPARE(value(0, u"completed"_s), QVariant(true));
            QTRY_COMPARE(other.findChild<QLabel *>(u"syncStatus"_s)->text(), u"synced"_s);

            // The server goes: both keep working and say so.
            server.close(1001);
            QTRY_COMPARE(status->text(), u"offline: changes are kept and sync later"_s);
            typeTodo(u"Offline bread"_s);
            QCOMPARE(texts(), (QStringList{u"Shared milk"_s, u"Offline bread"_s}));
            otherSync.stop();
        }
        sync.stop();
    }
};

QTEST_MAIN(tst_TodoMvcWidgets)
#include "tst_todomvcwidgets.moc"
