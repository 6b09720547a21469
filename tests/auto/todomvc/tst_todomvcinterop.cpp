// SPDX-License-Identifier: BSD-3-Clause
// Our TodoMVC app (its own QML, driven by keys and clicks) and a real LiveStore 0.4.0 client with
// LiveStore's TodoMVC schema (tests/interop/schemas/todomvc.mjs, on Node) share one store through
// our sync server. Each creates, completes, uncompletes, deletes and clears completed todos; then
// both `todos` tables are identical (id, text, completed, deletedAt in epoch ms), and so are those
// of a fresh client of either kind that joins afterwards.
//
// Without node or npm this skips, saying so; with them, a harness that cannot be installed fails
// in CI (CI=true) and skips loudly elsewhere (interopharness.h).
#include "interopharness.h"
#include "quickdriver.h"

#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qdiriterator.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace LiveStoreTest;

namespace {

constexpr int Timeout = 60'000;

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
                                      {u"syncUrl"_s, syncUrl}});
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
    bool click(QQuickItem *i)
    {
        if (!i)
            return false;
        QTest::mouseClick(window, Qt::LeftButton, {}, center(i));
        return true;
    }
    void addTodo(const QString &text)
    {
        click(item(u"newTodo"_s));
        typeText(window, text);
        QTest::keyClick(window, Qt::Key_Return);
    }
    // The list row that shows `text`, or null.
    QQuickItem *row(const QString &text)
    {
        QQuickItem *list = item(u"todoList"_s);
        const int count = list ? list->property("count").toInt() : 0;
        for (int i = 0; i < count; ++i) {
            QQuickItem *r = item(u"todo-%1"_s.arg(i));
            QQuickItem *label = r ? findItem(r, u"label"_s) : nullptr;
            if (label && label->property("text").toString() == text)
                return r;
        }
        return nullptr;
    }
    bool clickIn(const QString &text, const QString &control)
    {
        QQuickItem *r = row(text);
        return r && click(findItem(r, control));
    }
    QString text(const QString &name)
    {
        QQuickItem *i = item(name);
        return i ? i->property("text").toString() : u"<no %1>"_s.arg(name);
    }
    // The whole todos table, deleted rows included, as the Node client prints it.
    QJsonArray todos()
    {
        QObject *store = engine->rootObjects().constFirst()->findChild<QObject *>(u"store"_s);
        QVariantList rows;
        QMetaObject::invokeMethod(store, "query", Q_RETURN_ARG(QVariantList, rows),
                                  Q_ARG(QString, u"SELECT id, text, completed, deletedAt + 0 AS ms FROM todos ORDER BY id"_s),
                                  Q_ARG(QVariant, QVariant()));
        QJsonArray out;
        for (const QVariant &r : std::as_const(rows)) {
            const QVariantMap m = r.toMap();
            out.append(QJsonArray{m.value(u"id"_s).toString(), m.value(u"text"_s).toString(),
                                  m.value(u"completed"_s).toBool(),
                                  m.value(u"ms"_s).isNull() ? QJsonValue() : QJsonValue(m.value(u"ms"_s).toLongLong())});
        }
        return out;
    }

    std::unique_ptr<QQmlApplicationEngine> engine;
    QQuickWindow *window = nullptr;
};

// The synced events of an eventlog as (seqNum, name, argsJson bytes): ours (table
// __livestore_eventlog in the store's file) or a LiveStore Node client's (table eventlog in its
// eventlog file). Empty if the file cannot be read.
QList<QByteArray> syncedEvents(const QString &file, bool ours)
{
    QList<QByteArray> out;
    sqlite3 *db = nullptr;
    sqlite3_stmt *st = nullptr;
    const QByteArray sql = "SELECT seqNumGlobal, name, argsJson FROM "
            + QByteArray(ours ? "__livestore_eventlog" : "eventlog") + " WHERE seqNumClient = 0 ORDER BY seqNumGlobal";
    if (sqlite3_open_v2(QFile::encodeName(file).constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            out.append(QByteArray::number(sqlite3_column_int64(st, 0)) + ' '
                       + reinterpret_cast<const char *>(sqlite3_column_text(st, 1)) + ' '
                       + QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(st, 2)), sqlite3_column_bytes(st, 2)));
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

QString findFile(const QString &directory, const QString &pattern)
{
    QDirIterator it(directory, {pattern}, QDir::Files, QDirIterator::Subdirectories);
    return it.hasNext() ? it.next() : QString();
}

// The "TODOS [...]" line of a Node client's output.
QJsonArray nodeTodos(const QString &output)
{
    for (const QString &line : output.split(u'\n')) {
        if (line.startsWith(u"TODOS "_s))
            return QJsonDocument::fromJson(line.mid(6).toUtf8()).array();
    }
    return {};
}

} // namespace

class tst_TodoMvcInterop : public QObject
{
    Q_OBJECT

private:
    Interop::Harness m_harness;
    QTemporaryDir m_dir;
    std::unique_ptr<LiveStore::SqliteSyncStorage> m_storage;
    std::unique_ptr<LiveStore::SyncServer> m_server;

    // Runs a Node client while this process's event loop keeps serving it (the server is in here).
    Interop::Run runNode(const QStringList &args, bool act)
    {
        QProcess p;
        m_harness.start(p, u"client.mjs"_s, args, nodeEnv(act));
        Interop::Run r;
        QElapsedTimer timer;
        timer.start();
        while (p.state() != QProcess::NotRunning && timer.elapsed() < 120000)
            QTest::qWait(50);
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished(5000);
        } else {
            r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        }
        r.output = QString::fromUtf8(p.readAll());
        return r;
    }
    QString url() const { return u"ws://127.0.0.1:%1"_s.arg(m_server->serverPort()); }
    QProcessEnvironment nodeEnv(bool act) const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"SCHEMA"_s, u"todomvc"_s);
        env.insert(u"SYNC_URL"_s, url());
        env.insert(u"STORE_ID"_s, u"todomvc"_s); // the app's storeId
        env.insert(u"DATA_DIR"_s, m_dir.filePath(u"node"_s));
        env.insert(u"TIMEOUT_MS"_s, u"60000"_s);
        if (act) {
            env.insert(u"TODOMVC_ACT"_s, u"1"_s);
            env.insert(u"TODOMVC_COMPLETE_TEXT"_s, u"Qt one"_s);
        }
        return env;
    }

private Q_SLOTS:
    void sharedWithLiveStoresTodoMvc()
    {
        LIVESTORE_REQUIRE_INTEROP(m_harness);
        m_storage = std::make_unique<LiveStore::SqliteSyncStorage>();
        QVERIFY(m_storage->open(m_dir.filePath(u"server"_s)));
        m_server = std::make_unique<LiveStore::SyncServer>(m_storage.get());
        LiveStore::SyncServerOptions options;
        options.port = 0; // any free port: 8787 may be another server's
        options.host = QHostAddress(QHostAddress::LocalHost);
        m_server->setOptions(options);
        QVERIFY(m_server->listen());

        // Ours: three todos; complete and uncomplete one, complete another, delete the third.
        TodoWindow qt;
        QVERIFY(qt.open(m_dir.filePath(u"qt"_s), QUrl(url())));
        QTRY_COMPARE_WITH_TIMEOUT(qt.text(u"syncStatus"_s), u"synced"_s, Timeout);
        for (const QString &t : {u"Qt one"_s, u"Qt two"_s, u"Qt three"_s})
            qt.addTodo(t);
        QTRY_VERIFY(qt.row(u"Qt three"_s));
        QVERIFY(qt.clickIn(u"Qt one"_s, u"toggle"_s));
        QTRY_COMPARE(qt.text(u"itemsLeft"_s), u"2 items left"_s);
        QVERIFY(qt.clickIn(u"Qt one"_s, u"toggle"_s));
        QTRY_COMPARE(qt.text(u"itemsLeft"_s), u"3 items left"_s);
        QVERIFY(qt.clickIn(u"Qt two"_s, u"toggle"_s));
        QTRY_COMPARE(qt.text(u"itemsLeft"_s), u"2 items left"_s);
        QVERIFY(qt.clickIn(u"Qt three"_s, u"remove"_s));
        QTRY_VERIFY(!qt.row(u"Qt three"_s));

        // LiveStore's: three todos of its own (N-0..N-2), sees ours (6 rows, one deleted), then
        // completes N-0 and N-1, uncompletes N-1, deletes N-2, completes "Qt one" and clears the
        // completed ones (N-0, "Qt one" and our completed "Qt two").
        const Interop::Run node = runNode({u"N"_s, u"3"_s, u"6"_s}, true);
        QVERIFY2(node.exitCode == 0 && node.output.contains(u"[N] acted"_s), qPrintable(node.output.right(3000)));

        // What LiveStore did shows in our window: only "Qt one"... gone; N-1 is left.
        QTRY_VERIFY_WITH_TIMEOUT(!qt.row(u"Qt one"_s) && !qt.row(u"Qt two"_s) && qt.row(u"N todo 1"_s), Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(qt.text(u"itemsLeft"_s), u"1 item left"_s, Timeout);

        // Ours again, on LiveStore's todo: complete, uncomplete, complete, clear completed.
        QVERIFY(qt.clickIn(u"N todo 1"_s, u"toggle"_s));
        QTRY_COMPARE(qt.text(u"itemsLeft"_s), u"0 items left"_s);
        QVERIFY(qt.clickIn(u"N todo 1"_s, u"toggle"_s));
        QTRY_COMPARE(qt.text(u"itemsLeft"_s), u"1 item left"_s);
        QVERIFY(qt.clickIn(u"N todo 1"_s, u"toggle"_s));
        QTRY_COMPARE(qt.text(u"itemsLeft"_s), u"0 items left"_s);
        QVERIFY(qt.click(qt.item(u"clearCompleted"_s)));
        QTRY_VERIFY(!qt.row(u"N todo 1"_s));
        const QJsonArray ours = qt.todos();
        QCOMPARE(ours.size(), 6);
        for (const QJsonValue &todo : ours) // every todo ended deleted, at a time in ms
            QVERIFY2(todo.toArray().at(3).toDouble() > 1.6e12, QJsonDocument(ours).toJson().constData());

        // N again, from its own data: sees our changes and has the same table.
        QTRY_COMPARE_WITH_TIMEOUT(qt.text(u"syncStatus"_s), u"synced"_s, Timeout);
        QJsonArray again;
        for (int attempt = 0; attempt < 5 && again != ours; ++attempt) {
            const Interop::Run n = runNode({u"N"_s, u"0"_s, u"6"_s}, false);
            QVERIFY2(n.exitCode == 0, qPrintable(n.output.right(3000)));
            again = nodeTodos(n.output);
        }
        QCOMPARE(QJsonDocument(again).toJson(), QJsonDocument(ours).toJson());

        // A fresh LiveStore client and a fresh TodoMVC window join later and see the same.
        const Interop::Run fresh = runNode({u"F"_s, u"0"_s, u"6"_s}, false);
        QVERIFY2(fresh.exitCode == 0, qPrintable(fresh.output.right(3000)));
        QCOMPARE(QJsonDocument(nodeTodos(fresh.output)).toJson(), QJsonDocument(ours).toJson());
        TodoWindow late;
        QVERIFY(late.open(m_dir.filePath(u"late"_s), QUrl(url())));
        QTRY_COMPARE_WITH_TIMEOUT(late.todos().size(), 6, Timeout);
        QCOMPARE(QJsonDocument(late.todos()).toJson(), QJsonDocument(ours).toJson());

        // And one eventlog: the events our window wrote have the bytes LiveStore's client holds
        // ({"id":…,"deletedAt":"…Z"}, in its declared order), and the other way round.
        const QString lateFile = findFile(m_dir.filePath(u"late"_s), u"store.db"_s);
        const QString freshFile = findFile(m_dir.filePath(u"node/F"_s), u"eventlog*.db"_s);
        QVERIFY2(!lateFile.isEmpty() && !freshFile.isEmpty(), qPrintable(lateFile + u" / "_s + freshFile));
        const QList<QByteArray> ourLog = syncedEvents(lateFile, true);
        const QList<QByteArray> theirLog = syncedEvents(freshFile, false);
        QVERIFY(ourLog.size() >= 15);
        QVERIFY2(ourLog == theirLog, qPrintable(QString::fromUtf8(ourLog.join('\n') + "\n--- LiveStore's:\n" + theirLog.join('\n'))));
        QVERIFY(std::any_of(ourLog.cbegin(), ourLog.cend(), [](const QByteArray &e) {
            return e.contains(" v1.TodoDeleted {\"id\":\"") && e.contains("\",\"deletedAt\":\"");
        }));
        qInfo() << "our TodoMVC and LiveStore 0.4.0's TodoMVC schema share one store: 6 todos, identical tables";
    }
};

QTEST_MAIN(tst_TodoMvcInterop)
#include "tst_todomvcinterop.moc"
