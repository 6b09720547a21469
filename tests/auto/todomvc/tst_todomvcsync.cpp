// SPDX-License-Identifier: BSD-3-Clause
// Two TodoMVC windows (the example's own QML) syncing through a sync server run in-process: what
// one user types shows up in the other window, and changes made while the server is down arrive
// once it is back.
#include "quickdriver.h"

#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using namespace LiveStoreTest;

namespace {

constexpr int Timeout = 20'000;

// One app window on a store directory of its own.
class TodoWindow
{
public:
    bool open(const QString &directory, const QUrl &syncUrl)
    {
        engine = std::make_unique<QQmlApplicationEngine>();
        engine->addImportPath(QStringLiteral(LIVESTORE_BUILD_QML_DIR));
        engine->setInitialProperties({{u"storeDirectory"_s, directory},
                                      {u"inMemory"_s, false},
                                      {u"schemaUrl"_s, QUrl::fromLocalFile(QStringLiteral(TODOMVC_SCHEMA))},
                                      {u"syncUrl"_s, syncUrl},
                                      {u"syncPayload"_s, QVariantMap{{u"authToken"_s, u"t"_s}}}});
        engine->load(QUrl::fromLocalFile(QStringLiteral(TODOMVC_QML_DIR "/Main.qml")));
        if (engine->rootObjects().isEmpty())
            return false;
        window = qobject_cast<QQuickWindow *>(engine->rootObjects().constFirst());
        return window && QTest::qWaitForWindowExposed(window);
    }
    QQuickItem *item(const QString &name, QQuickItem *within = nullptr)
    {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        window->grabWindow(); // lay out pending rows before they are looked for or clicked
        return findItem(within ? within : window->contentItem(), name);
    }
    void click(QQuickItem *i)
    {
        QVERIFY(i);
        QTest::mouseClick(window, Qt::LeftButton, {}, center(i));
    }
    void addTodo(const QString &text)
    {
        // Two windows: keys go to the active one.
        window->requestActivate();
        QVERIFY(QTest::qWaitForWindowActive(window));
        click(item(u"newTodo"_s));
        typeText(window, text);
        QTest::keyClick(window, Qt::Key_Return);
    }
    int listCount()
    {
        QQuickItem *list = item(u"todoList"_s);
        return list ? list->property("count").toInt() : -1;
    }
    QString text(const QString &name)
    {
        QQuickItem *i = item(name);
        return i ? i->property("text").toString() : u"<no %1>"_s.arg(name);
    }
    QString todoText(int row)
    {
        QQuickItem *r = item(u"todo-%1"_s.arg(row));
        QQuickItem *label = r ? findItem(r, u"label"_s) : nullptr;
        return label ? label->property("text").toString() : QString();
    }

    std::unique_ptr<QQmlApplicationEngine> engine;
    QQuickWindow *window = nullptr;
};

} // namespace

class tst_TodoMvcSync : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<LiveStore::SqliteSyncStorage> m_storage;
    std::unique_ptr<LiveStore::SyncServer> m_server;
    quint16 m_port = 0;

    bool startServer()
    {
        m_storage = std::make_unique<LiveStore::SqliteSyncStorage>();
        if (!m_storage->open(m_dir.filePath(u"server"_s)))
            return false;
        m_server = std::make_unique<LiveStore::SyncServer>(m_storage.get());
        LiveStore::SyncServerOptions options;
        options.port = m_port; // 0 the first time; the same port after a restart
        options.authToken = u"t"_s;
        m_server->setOptions(options);
        if (!m_server->listen())
            return false;
        m_port = m_server->serverPort();
        return true;
    }
    void stopServer()
    {
        QSignalSpy closed(m_server.get(), &LiveStore::SyncServer::closed);
        m_server->close(1001);
        closed.wait(5000);
        m_server.reset();
        m_storage.reset();
    }
    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1"_s.arg(m_port)); }

private Q_SLOTS:
    void twoWindowsShareTheList()
    {
        QVERIFY(startServer());
        TodoWindow a, b;
        QVERIFY(a.open(m_dir.filePath(u"a"_s), url()));
        QVERIFY(b.open(m_dir.filePath(u"b"_s), url()));
        QTRY_COMPARE_WITH_TIMEOUT(a.text(u"syncStatus"_s), u"synced"_s, Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(b.text(u"syncStatus"_s), u"synced"_s, Timeout);

        // Typed in A, shown in B.
        a.addTodo(u"Buy milk"_s);
        QTRY_COMPARE(a.listCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(b.listCount(), 1, Timeout);
        QCOMPARE(b.todoText(0), u"Buy milk"_s);
        QTRY_COMPARE_WITH_TIMEOUT(b.text(u"itemsLeft"_s), u"1 item left"_s, Timeout);

        // Toggled in B, counted in A.
        b.click(b.item(u"toggle"_s, b.item(u"todo-0"_s)));
        QTRY_COMPARE_WITH_TIMEOUT(a.text(u"itemsLeft"_s), u"0 items left"_s, Timeout);

        // The filter is a client document: B's choice stays in B.
        b.click(b.item(u"filter-active"_s));
        QTRY_COMPARE(b.listCount(), 0);
        QCOMPARE(a.listCount(), 1);
        b.click(b.item(u"filter-all"_s));

        // The server goes away: both keep working and say so; what A adds meanwhile reaches B
        // once the server is back.
        stopServer();
        QTRY_COMPARE_WITH_TIMEOUT(a.text(u"syncStatus"_s), u"offline: changes are kept and sync later"_s, Timeout);
        a.addTodo(u"Written offline"_s);
        QTRY_COMPARE(a.listCount(), 2);
        QCOMPARE(b.listCount(), 1);
        QVERIFY(startServer()); // same data, same port: the clients reconnect (backoff from 1 s)
        QTRY_COMPARE_WITH_TIMEOUT(b.listCount(), 2, Timeout);
        QCOMPARE(b.todoText(1), u"Written offline"_s);
        QTRY_COMPARE_WITH_TIMEOUT(a.text(u"syncStatus"_s), u"synced"_s, Timeout);
        stopServer();
    }
};

QTEST_MAIN(tst_TodoMvcSync)
#include "tst_todomvcsync.moc"
