// SPDX-License-Identifier: BSD-3-Clause
// End to end: the TodoMVC example's own QML, on a store on disk, used with keys and clicks.
#include "quickdriver.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qtemporarydir.h>
#include <QtGui/qimage.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using namespace LiveStoreTest;

class tst_TodoMvc : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;

    void start()
    {
        m_engine = std::make_unique<QQmlApplicationEngine>();
        m_engine->addImportPath(QStringLiteral(LIVESTORE_BUILD_QML_DIR));
        m_engine->setInitialProperties({{u"storeDirectory"_s, m_dir.path()},
                                        {u"inMemory"_s, false},
                                        {u"schemaUrl"_s, QUrl::fromLocalFile(QStringLiteral(TODOMVC_SCHEMA))}});
        m_engine->load(QUrl::fromLocalFile(QStringLiteral(TODOMVC_QML_DIR "/Main.qml")));
        QVERIFY(!m_engine->rootObjects().isEmpty());
        m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
        QVERIFY(m_window);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        // A store on disk opens on a worker thread: the window is up before the store is Ready.
        QObject *store = m_window->findChild<QObject *>(u"store"_s);
        QVERIFY(store);
        QTRY_COMPARE_WITH_TIMEOUT(store->property("status").toInt(), 2 /* Store.Ready */, 10'000);
    }

    QQuickItem *item(const QString &name, QQuickItem *within = nullptr)
    {
        return findItem(within ? within : m_window->contentItem(), name);
    }
    QQuickItem *row(int index)
    {
        // Delegates of removed rows are deleted later; let that happen so they are not found.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        // Grabbing the window runs the pending polish and layout: rows are where they will be
        // drawn before we click them (under load the next frame can be late).
        m_window->grabWindow();
        return item(u"todo-%1"_s.arg(index));
    }
    void click(QQuickItem *i)
    {
        QVERIFY(i);
        QTest::mouseClick(m_window, Qt::LeftButton, {}, center(i));
    }
    QVariantList query(const QString &sql)
    {
        QObject *store = m_engine->rootObjects().constFirst()->findChild<QObject *>(u"store"_s);
        QVariantList rows;
        QMetaObject::invokeMethod(store, "query", Q_RETURN_ARG(QVariantList, rows),
                                  Q_ARG(QString, sql), Q_ARG(QVariant, QVariant()));
        return rows;
    }
    void type(const QString &text) { typeText(m_window, text); }
    QString itemsLeft()
    {
        QQuickItem *label = item(u"itemsLeft"_s);
        return label ? label->property("text").toString() : u"<no itemsLeft label>"_s;
    }
    int listCount()
    {
        QQuickItem *list = item(u"todoList"_s);
        return list ? list->property("count").toInt() : -1;
    }
    void addTodo(const QString &text)
    {
        click(item(u"newTodo"_s));
        type(text);
        QTest::keyClick(m_window, Qt::Key_Return);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        start();
    }

    void addWithEnter()
    {
        addTodo(u"Buy milk"_s);
        addTodo(u"Write tests"_s);
        addTodo(u"Ship it"_s);
        QTRY_COMPARE(listCount(), 3);
        QCOMPARE(query(u"SELECT text FROM todos ORDER BY rowid"_s).size(), 3);
        QCOMPARE(query(u"SELECT text FROM todos ORDER BY rowid"_s).at(1).toMap().value(u"text"_s).toString(), u"Write tests"_s);
        QCOMPARE(itemsLeft(), u"3 items left"_s);
        // The input is emptied after adding (through the UI-state document).
        QCOMPARE(item(u"newTodo"_s)->property("text").toString(), QString());
        // Blank input adds nothing.
        addTodo(u"   "_s);
        QCOMPARE(query(u"SELECT id FROM todos"_s).size(), 3);
    }

    void toggle()
    {
        click(item(u"toggle"_s, row(1)));
        QTRY_COMPARE(itemsLeft(), u"2 items left"_s);
        QCOMPARE(query(u"SELECT completed FROM todos WHERE text = 'Write tests'"_s).at(0).toMap().value(u"completed"_s).toBool(), true);
        click(item(u"toggle"_s, row(1)));
        QTRY_COMPARE(itemsLeft(), u"3 items left"_s);
    }

    void editWithDoubleClickEnterAndEscape()
    {
        QQuickItem *label = item(u"label"_s, row(0));
        QVERIFY(label);
        QTest::mouseDClick(m_window, Qt::LeftButton, {}, center(label));
        QQuickItem *editor = nullptr;
        QTRY_VERIFY((editor = item(u"editor"_s, row(0))));
        // While editing, the row says that LiveStore's TodoMVC will not see the edit.
        QQuickItem *hint = item(u"editHint"_s, row(0));
        QVERIFY(hint);
        QTRY_VERIFY(hint->isVisible());
        QVERIFY(hint->property("text").toString().contains(u"LiveStore"_s));
        const QImage editing = m_window->grabWindow(); // also lays the row out
        if (const QString dir = qEnvironmentVariable("LIVESTORE_SCREENSHOT_DIR"); !dir.isEmpty())
            editing.save(dir + u"/todomvc-editing.png"_s);
        QVERIFY2(hint->y() >= editor->y() + editor->height() - 1, // below the text, not over it
                 qPrintable(u"hint at %1, editor %2..%3"_s.arg(hint->y()).arg(editor->y()).arg(editor->y() + editor->height())));
        QTest::keyClick(m_window, Qt::Key_A, Qt::ControlModifier);
        type(u"Buy oat milk"_s);
        QTest::keyClick(m_window, Qt::Key_Return);
        QTRY_VERIFY(!editor->isVisible());
        QVERIFY(!hint->isVisible());
        QCOMPARE(query(u"SELECT text FROM todos ORDER BY rowid LIMIT 1"_s).at(0).toMap().value(u"text"_s).toString(), u"Buy oat milk"_s);

        // Escape leaves the todo as it was.
        label = item(u"label"_s, row(2));
        QTest::mouseDClick(m_window, Qt::LeftButton, {}, center(label));
        QTRY_VERIFY((editor = item(u"editor"_s, row(2))));
        type(u" and more"_s);
        QTest::keyClick(m_window, Qt::Key_Escape);
        QTRY_VERIFY(!editor->isVisible());
        QCOMPARE(query(u"SELECT text FROM todos ORDER BY rowid"_s).at(2).toMap().value(u"text"_s).toString(), u"Ship it"_s);
    }

    void filters()
    {
        click(item(u"toggle"_s, row(0)));
        QTRY_COMPARE(itemsLeft(), u"2 items left"_s);
        click(item(u"filter-active"_s));
        QTRY_COMPARE(listCount(), 2);
        click(item(u"filter-completed"_s));
        QTRY_COMPARE(listCount(), 1);
        // Kept in the client document.
        QCOMPARE(query(u"SELECT value FROM uiState"_s).at(0).toMap().value(u"value"_s).toMap().value(u"filter"_s).toString(), u"completed"_s);
        click(item(u"filter-all"_s));
        QTRY_COMPARE(listCount(), 3);
    }

    void toggleAll()
    {
        click(item(u"toggleAll"_s));
        QTRY_COMPARE(itemsLeft(), u"0 items left"_s);
        click(item(u"toggleAll"_s));
        QTRY_COMPARE(itemsLeft(), u"3 items left"_s);
    }

    void deleteAndClearCompleted()
    {
        // The delete button shows on hover; clicking it works either way.
        click(item(u"remove"_s, row(0)));
        QTRY_COMPARE(listCount(), 2);
        QCOMPARE(itemsLeft(), u"2 items left"_s);
        click(item(u"toggle"_s, row(0)));
        QTRY_COMPARE(itemsLeft(), u"1 item left"_s);
        click(item(u"clearCompleted"_s));
        QTRY_COMPARE(listCount(), 1);
        QCOMPARE(query(u"SELECT count(*) AS n FROM todos WHERE deletedAt IS NULL"_s).at(0).toMap().value(u"n"_s).toInt(), 1);
        // Soft-deleted: the events and rows are still there.
        QCOMPARE(query(u"SELECT count(*) AS n FROM todos"_s).at(0).toMap().value(u"n"_s).toInt(), 3);
    }

    void rendersRealContent()
    {
        addTodo(u"Read the docs"_s);
        click(item(u"toggle"_s, row(0)));
        QTRY_COMPARE(listCount(), 2);
        const QImage image = m_window->grabWindow();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(QStringLiteral(SCREENSHOT_DIR "/todomvc.png")));
        if (const QString dir = qEnvironmentVariable("LIVESTORE_SCREENSHOT_DIR"); !dir.isEmpty())
            image.save(dir + u"/todomvc.png"_s);
        // The title is drawn in TodoMVC red, the todos in dark grey on white rows.
        int red = 0, dark = 0, white = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                const QColor c = image.pixelColor(x, y);
                if (c.red() > 150 && c.green() < 110 && c.blue() < 110)
                    ++red;
                else if (c.red() < 120 && c.green() < 120 && c.blue() < 120)
                    ++dark;
                else if (c == Qt::white)
                    ++white;
            }
        }
        QVERIFY2(red > 500, qPrintable(u"title pixels: %1"_s.arg(red)));
        QVERIFY2(dark > 200, qPrintable(u"text pixels: %1"_s.arg(dark)));
        QVERIFY2(white > 10000, qPrintable(u"row pixels: %1"_s.arg(white)));
    }

    void persistsAcrossRestarts()
    {
        click(item(u"filter-active"_s));
        QTRY_COMPARE(listCount(), 1);
        m_engine.reset();
        start();
        // Same todos, same filter, from the store on disk.
        QTRY_COMPARE(listCount(), 1);
        QCOMPARE(itemsLeft(), u"1 item left"_s);
        click(item(u"filter-all"_s));
        QTRY_COMPARE(listCount(), 2);
    }

    // F12 opens the devtools inspector on the app's store in a window of its own; F12 again
    // hides it, and again shows it.
    void inspectorOnF12()
    {
        addTodo(u"Inspect me"_s);
        QObject *loader = m_window->findChild<QObject *>(u"inspector"_s);
        QVERIFY(loader);
        QVERIFY(!loader->property("item").value<QObject *>());
        QTest::keyClick(m_window, Qt::Key_F12);
        QTRY_VERIFY(loader->property("item").value<QObject *>());
        auto *inspector = qobject_cast<QQuickWindow *>(loader->property("item").value<QObject *>());
        QVERIFY(inspector);
        QVERIFY(QTest::qWaitForWindowExposed(inspector));
        // Its eventlog lists the app's events (the todos added above, and more).
        const auto eventlogRows = [inspector] {
            for (QAbstractItemModel *model : inspector->findChildren<QAbstractItemModel *>()) {
                if (model->roleNames().values().contains("seqNum"))
                    return model->rowCount();
            }
            return -1;
        };
        QTRY_VERIFY(eventlogRows() > 0);
        const int before = eventlogRows();
        m_window->requestActivate();
        addTodo(u"Seen by the inspector"_s); // typing commits to the uiState document too
        QTRY_VERIFY(eventlogRows() > before);
        QTest::keyClick(m_window, Qt::Key_F12);
        QTRY_VERIFY(!inspector->isVisible());
        QTest::keyClick(m_window, Qt::Key_F12);
        QTRY_VERIFY(inspector->isVisible());
        QTRY_VERIFY(eventlogRows() > before);
    }
};

QTEST_MAIN(tst_TodoMvc)
#include "tst_todomvc.moc"
