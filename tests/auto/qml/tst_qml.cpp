// SPDX-License-Identifier: BSD-3-Clause
// Runs the tst_*.qml files of this folder (QtQuickTest), with `import LiveStore` from the build.
// A sync server runs in-process for the whole run; QML reads its address as `syncServerUrl`, and
// `unreachableSyncUrl` is a port where nothing listens. `otherProcess` plays another process of a
// store: it holds the store's sync.lock, as the process that syncs it would. `modelTester` puts
// a model made in QML under QAbstractItemModelTester.
#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qdir.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qtemporarydir.h>
#include <QtNetwork/qtcpserver.h>
#include <QtQml/qqmlcontext.h>
#include <QtQml/qqmlengine.h>
#include <QtQuickTest/quicktest.h>
#include <QtTest/qabstractitemmodeltester.h>

using namespace Qt::StringLiterals;

// Another process's sync leadership of a store directory: QLockFile holds sync.lock as that
// process's flock() would.
class OtherProcess : public QObject
{
    Q_OBJECT
public:
    Q_INVOKABLE bool holdSyncLock(const QString &storeDirectory)
    {
        QDir().mkpath(storeDirectory);
        m_lock = std::make_unique<QLockFile>(QDir(storeDirectory).filePath(u"sync.lock"_s));
        return m_lock->tryLock(0);
    }
    Q_INVOKABLE void releaseSyncLock() { m_lock.reset(); }

private:
    std::unique_ptr<QLockFile> m_lock;
};

// As in every C++ model test: the tester checks each change a model announces against what it
// then holds, for as long as the model lives, and a violation fails the running test function.
class ModelTester : public QObject
{
    Q_OBJECT
public:
    Q_INVOKABLE bool watch(QObject *object)
    {
        auto *model = qobject_cast<QAbstractItemModel *>(object);
        if (!model)
            return false;
        new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest, model);
        return true;
    }
};

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        if (!m_server)
            startServer();
        engine->rootContext()->setContextProperty(u"syncServerUrl"_s, m_server ? m_server->url() : QUrl());
        engine->rootContext()->setContextProperty(u"unreachableSyncUrl"_s, m_unreachable);
        // A folder for stores on disk, empty at the start of the run.
        engine->rootContext()->setContextProperty(u"storesDirectory"_s, m_stores.path());
        engine->rootContext()->setContextProperty(u"otherProcess"_s, &m_otherProcess);
        engine->rootContext()->setContextProperty(u"modelTester"_s, &m_modelTester);
    }

private:
    void startServer()
    {
        if (!m_storage.open(m_dir.path()))
            qFatal("sync storage: %s", qPrintable(m_storage.errorString()));
        m_server = std::make_unique<LiveStore::SyncServer>(&m_storage);
        LiveStore::SyncServerOptions options;
        options.port = 0;
        m_server->setOptions(options);
        if (!m_server->listen())
            qFatal("sync server: %s", qPrintable(m_server->errorString()));
        // A port that was free a moment ago and is closed again: connections to it are refused.
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        m_unreachable = QUrl(u"ws://127.0.0.1:%1"_s.arg(probe.serverPort()));
    }

    QTemporaryDir m_dir;
    QTemporaryDir m_stores;
    LiveStore::SqliteSyncStorage m_storage;
    std::unique_ptr<LiveStore::SyncServer> m_server;
    QUrl m_unreachable;
    OtherProcess m_otherProcess;
    ModelTester m_modelTester;
};

QUICK_TEST_MAIN_WITH_SETUP(livestore_qml, Setup)

#include "tst_qml.moc"
