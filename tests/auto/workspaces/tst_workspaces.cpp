// SPDX-License-Identifier: BSD-3-Clause
// End to end: the Workspaces example's own QML, with its stores on disk, used with keys and
// clicks: creating, switching, leaving and joining workspaces, and the store registry opening and
// closing the workspace stores.
#include <QtCore/qdir.h>
#include "quickdriver.h"

#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using namespace LiveStoreTest;

class tst_Workspaces : public QObject
{
    Q_OBJECT

private:
    // Short, so that the test sees unused workspace stores close.
    static constexpr int UnusedCacheTime = 300;

    QTemporaryDir m_dir;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
    QString m_alphaId;
    QString m_betaId;

    void start()
    {
        m_engine = std::make_unique<QQmlApplicationEngine>();
        m_engine->addImportPath(QStringLiteral(LIVESTORE_BUILD_QML_DIR));
        m_engine->setInitialProperties({{u"dataDirectory"_s, m_dir.path()},
                                        {u"userName"_s, u"me"_s},
                                        {u"unusedCacheTime"_s, UnusedCacheTime}});
        m_engine->load(QUrl::fromLocalFile(QStringLiteral(WORKSPACES_QML_DIR "/Main.qml")));
        QVERIFY(!m_engine->rootObjects().isEmpty());
        m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
        QVERIFY(m_window);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        // Stores on disk open on a worker thread: the window is up before the user store.
        QObject *userStore = m_window->findChild<QObject *>(u"userStore"_s);
        QVERIFY(userStore);
        QTRY_COMPARE_WITH_TIMEOUT(userStore->property("status").toInt(), 2 /* Store.Ready */, 10'000);
    }

    QQuickItem *item(const QString &name, QQuickItem *within = nullptr)
    {
        // Delegates of removed rows are deleted later; let that happen so they are not found.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        return findItem(within ? within : m_window->contentItem(), name);
    }
    QQuickItem *workspaceRow(int index) { return item(u"workspace-%1"_s.arg(index)); }
    QQuickItem *todoRow(int index) { return item(u"todo-%1"_s.arg(index)); }
    // The list is in joining order: find a workspace by the name it shows.
    QQuickItem *workspaceRow(const QString &name)
    {
        for (int i = 0; QQuickItem *row = workspaceRow(i); ++i) {
            if (text(u"name"_s, row) == name)
                return row;
        }
        return nullptr;
    }
    QObject *object(const QString &name)
    {
        return m_engine->rootObjects().constFirst()->findChild<QObject *>(name);
    }

    void click(QQuickItem *i)
    {
        QVERIFY(i);
        QTest::mouseClick(m_window, Qt::LeftButton, {}, center(i));
    }
    void type(const QString &text) { typeText(m_window, text); }
    // Types into one of the window's text-and-button fields ("create", "join", "newTodo").
    void enter(const QString &field, const QString &text, bool useButton = false)
    {
        QQuickItem *action = item(field);
        QVERIFY(action);
        click(item(u"field"_s, action));
        QTest::keyClick(m_window, Qt::Key_A, Qt::ControlModifier); // replace what is there
        type(text);
        if (useButton)
            click(item(u"button"_s, action));
        else
            QTest::keyClick(m_window, Qt::Key_Return);
    }
    QString fieldText(const QString &field)
    {
        QQuickItem *action = item(field);
        return action ? action->property("text").toString() : u"<no field %1>"_s.arg(field);
    }

    QVariantList query(const QString &store, const QString &sql)
    {
        QVariantList rows;
        QMetaObject::invokeMethod(object(store), "query", Q_RETURN_ARG(QVariantList, rows),
                                  Q_ARG(QString, sql), Q_ARG(QVariant, QVariant()));
        return rows;
    }
    QVariant scalar(const QString &store, const QString &sql)
    {
        const QVariantList rows = query(store, sql);
        return rows.isEmpty() ? QVariant() : rows.constFirst().toMap().constBegin().value();
    }
    QString workspaceIdNamed(const QString &name)
    {
        return scalar(u"userStore"_s, u"SELECT id FROM workspaces WHERE name = '%1'"_s.arg(name)).toString();
    }
    QString selected() { return object(u"ui"_s)->property("value").toMap().value(u"selectedWorkspace"_s).toString(); }
    int openStores() { return object(u"registry"_s)->property("count").toInt(); }
    QStringList openStoreIds()
    {
        QStringList ids = object(u"registry"_s)->property("storeIds").toStringList();
        ids.sort();
        return ids;
    }
    int count(const QString &list)
    {
        QQuickItem *view = item(list);
        return view ? view->property("count").toInt() : -1;
    }
    QString text(const QString &name, QQuickItem *within = nullptr)
    {
        QQuickItem *i = item(name, within);
        return i ? i->property("text").toString() : u"<no %1>"_s.arg(name);
    }
    QString todoText(int index)
    {
        QQuickItem *row = todoRow(index);
        return row ? text(u"label"_s, row) : u"<no todo-%1>"_s.arg(index);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        start();
    }

    void startsEmpty()
    {
        QCOMPARE(count(u"workspaceList"_s), 0);
        QCOMPARE(selected(), QString());
        // Only the user store is open: no workspace is shown.
        QCOMPARE(openStoreIds(), QStringList{u"user-me"_s});
        QVERIFY(!item(u"todoList"_s));
    }

    void createTwoWorkspaces()
    {
        enter(u"create"_s, u"Alpha"_s);
        QTRY_COMPARE(count(u"workspaceList"_s), 1);
        m_alphaId = workspaceIdNamed(u"Alpha"_s);
        QVERIFY(!m_alphaId.isEmpty());
        QCOMPARE(selected(), m_alphaId);
        QCOMPARE(text(u"workspaceName"_s), u"Alpha"_s);
        QCOMPARE(text(u"workspaceId"_s), m_alphaId);
        QCOMPARE(fieldText(u"create"_s), QString()); // emptied after creating
        // The new workspace's own store knows its name.
        QCOMPARE(scalar(u"workspaceStore"_s, u"SELECT name FROM workspace"_s).toString(), u"Alpha"_s);
        QCOMPARE(openStoreIds(), (QStringList{u"user-me"_s, u"workspace-"_s + m_alphaId}));

        enter(u"create"_s, u"Beta"_s, true);
        QTRY_COMPARE(count(u"workspaceList"_s), 2);
        m_betaId = workspaceIdNamed(u"Beta"_s);
        QVERIFY(!m_betaId.isEmpty());
        QVERIFY(m_betaId != m_alphaId);
        QCOMPARE(selected(), m_betaId);
        QCOMPARE(text(u"workspaceName"_s), u"Beta"_s);
        // The highlighted row is Beta's (the second).
        QCOMPARE(workspaceRow(1)->property("selected").toBool(), true);
        QCOMPARE(workspaceRow(0)->property("selected").toBool(), false);
    }

    void addTodosInEach()
    {
        QCOMPARE(selected(), m_betaId);
        enter(u"newTodo"_s, u"Beta one"_s);
        QTRY_COMPARE(count(u"todoList"_s), 1);
        QCOMPARE(fieldText(u"newTodo"_s), QString());

        click(workspaceRow(0));
        QTRY_COMPARE(selected(), m_alphaId);
        QTRY_COMPARE(text(u"workspaceName"_s), u"Alpha"_s);
        QTRY_COMPARE(count(u"todoList"_s), 0);
        enter(u"newTodo"_s, u"Alpha one"_s);
        enter(u"newTodo"_s, u"Alpha two"_s, true);
        QTRY_COMPARE(count(u"todoList"_s), 2);
        QTRY_COMPARE(todoText(0), u"Alpha one"_s);
        QTRY_COMPARE(todoText(1), u"Alpha two"_s);
        QCOMPARE(text(u"todoCount"_s), u"2 of 2 open"_s);
    }

    void eachWorkspaceShowsItsOwnTodos()
    {
        click(workspaceRow(1));
        QTRY_COMPARE(selected(), m_betaId);
        QTRY_COMPARE(count(u"todoList"_s), 1);
        QTRY_COMPARE(todoText(0), u"Beta one"_s);
        QCOMPARE(scalar(u"workspaceStore"_s, u"SELECT count(*) FROM todos"_s).toInt(), 1);

        click(workspaceRow(0));
        QTRY_COMPARE(selected(), m_alphaId);
        QTRY_COMPARE(count(u"todoList"_s), 2);
        QTRY_COMPARE(todoText(0), u"Alpha one"_s);
        QCOMPARE(scalar(u"workspaceStore"_s, u"SELECT count(*) FROM todos"_s).toInt(), 2);
        // The user store holds no todos: they are in the workspace stores.
        QCOMPARE(query(u"userStore"_s, u"SELECT name FROM sqlite_master WHERE name = 'todos'"_s).size(), 0);
    }

    void toggleAndRemove()
    {
        QCOMPARE(selected(), m_alphaId);
        click(item(u"toggle"_s, todoRow(0)));
        QTRY_COMPARE(text(u"todoCount"_s), u"1 of 2 open"_s);
        QCOMPARE(scalar(u"workspaceStore"_s, u"SELECT completed FROM todos WHERE text = 'Alpha one'"_s).toBool(), true);
        click(item(u"remove"_s, todoRow(1)));
        QTRY_COMPARE(count(u"todoList"_s), 1);
        QCOMPARE(text(u"todoCount"_s), u"0 of 1 open"_s);
    }

    void registryClosesUnusedStores()
    {
        const QString alpha = u"workspace-"_s + m_alphaId;
        const QString beta = u"workspace-"_s + m_betaId;
        // Beta was last shown more than unusedCacheTime ago: only the user store and Alpha's.
        QTRY_COMPARE(openStoreIds(), (QStringList{u"user-me"_s, alpha}));
        QVERIFY(text(u"status"_s).startsWith(u"2 stores open: "_s));

        // Switching opens Beta's store and keeps Alpha's open for a while...
        click(workspaceRow(1));
        QCOMPARE(selected(), m_betaId);
        QCOMPARE(openStores(), 3);
        QVERIFY(openStoreIds().contains(alpha));
        QVERIFY(openStoreIds().contains(beta));
        QVERIFY(text(u"status"_s).startsWith(u"3 stores open: "_s));
        // ...then closes it.
        QTRY_COMPARE(openStoreIds(), (QStringList{u"user-me"_s, beta}));
        QTRY_VERIFY(text(u"status"_s).startsWith(u"2 stores open: "_s));

        // Back to Beta within the cache time: its store, still open, is taken again (no fourth one),
        // and it is Alpha's that closes after the cache time.
        click(workspaceRow(0));
        QCOMPARE(openStores(), 3);
        click(workspaceRow(1));
        QCOMPARE(openStores(), 3);
        QTest::qWait(UnusedCacheTime * 2);
        QCOMPARE(openStoreIds(), (QStringList{u"user-me"_s, beta}));
        QCOMPARE(count(u"todoList"_s), 1);
        QTRY_COMPARE(todoText(0), u"Beta one"_s);

        click(workspaceRow(0));
        QTRY_COMPARE(openStoreIds(), (QStringList{u"user-me"_s, alpha}));
    }

    void leaveAndJoinBack()
    {
        QCOMPARE(selected(), m_alphaId);
        click(item(u"leave"_s, workspaceRow(0)));
        QTRY_COMPARE(count(u"workspaceList"_s), 1);
        QCOMPARE(workspaceIdNamed(u"Alpha"_s), QString());
        // The selection moves to the workspace that is left.
        QCOMPARE(selected(), m_betaId);
        QTRY_COMPARE(count(u"todoList"_s), 1);
        QTRY_COMPARE(todoText(0), u"Beta one"_s);
        // Alpha's store is no longer used: it closes, but stays on disk.
        QTRY_VERIFY(!openStoreIds().contains(u"workspace-"_s + m_alphaId));
        QVERIFY(QDir(m_dir.filePath(u"workspace-"_s + m_alphaId)).exists());

        enter(u"join"_s, m_alphaId);
        QTRY_COMPARE(count(u"workspaceList"_s), 2);
        QCOMPARE(fieldText(u"join"_s), QString());
        QCOMPARE(selected(), m_alphaId);
        // Rejoined, it is listed last; its name and todos come back from its own store.
        QTRY_COMPARE(text(u"name"_s, workspaceRow(1)), u"Alpha"_s);
        QCOMPARE(workspaceRow(1)->property("selected").toBool(), true);
        QCOMPARE(workspaceIdNamed(u"Alpha"_s), m_alphaId);
        QTRY_COMPARE(text(u"workspaceName"_s), u"Alpha"_s);
        QTRY_COMPARE(count(u"todoList"_s), 1);
        QTRY_COMPARE(todoText(0), u"Alpha one"_s);
        QCOMPARE(item(u"toggle"_s, todoRow(0))->property("checked").toBool(), true);
        QCOMPARE(scalar(u"userStore"_s, u"SELECT count(*) FROM workspaces"_s).toInt(), 2);

        // Joining a listed workspace only selects it.
        enter(u"join"_s, m_betaId, true);
        QTRY_COMPARE(selected(), m_betaId);
        QCOMPARE(count(u"workspaceList"_s), 2);
    }

    void joinUnknownOrInvalidId()
    {
        // Not a possible id: refused, with the reason in the hint; the text stays for correcting.
        enter(u"join"_s, u"no.such"_s);
        QTRY_VERIFY(text(u"joinHint"_s).contains(u"letters, digits"_s));
        QCOMPARE(fieldText(u"join"_s), u"no.such"_s);
        QCOMPARE(count(u"workspaceList"_s), 2);

        // An id nobody used on this machine: an empty workspace of that id, named by its id.
        enter(u"join"_s, u"team-x"_s);
        QTRY_COMPARE(count(u"workspaceList"_s), 3);
        QCOMPARE(selected(), u"team-x"_s);
        QVERIFY(text(u"joinHint"_s).contains(u"No sync yet"_s));
        QTRY_COMPARE(text(u"workspaceName"_s), u"team-x"_s);
        QCOMPARE(count(u"todoList"_s), 0);
    }

    void storesOnDisk()
    {
        const QStringList ids{u"user-me"_s, u"workspace-"_s + m_alphaId, u"workspace-"_s + m_betaId,
                              u"workspace-team-x"_s};
        for (const QString &id : ids) {
            QVERIFY2(QDir(m_dir.filePath(id)).exists(), qPrintable(id));
            QVERIFY2(QFile::exists(m_dir.filePath(id + u"/store.db"_s)), qPrintable(id));
        }
    }

    void persistsAcrossRestarts()
    {
        m_engine.reset();
        start();
        QTRY_COMPARE(count(u"workspaceList"_s), 3);
        QCOMPARE(selected(), u"team-x"_s);
        QTRY_COMPARE(text(u"workspaceName"_s), u"team-x"_s);
        click(workspaceRow(u"Alpha"_s));
        QTRY_COMPARE(selected(), m_alphaId);
        QTRY_COMPARE(count(u"todoList"_s), 1);
        QTRY_COMPARE(todoText(0), u"Alpha one"_s);
    }
};

QTEST_MAIN(tst_Workspaces)
#include "tst_workspaces.moc"
