// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLSTORE_H
#define LIVESTORE_QMLSTORE_H

#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include "qmlobjectlist_p.h"
#include "qmlstoreattached.h"
#include "qmlstoreregistry.h"
#include <QtCore/qurl.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmllist.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <optional>

namespace LiveStore {

class QmlStoreRegistry;

// `Store` in QML: opens a LiveStore store when the element is complete.
//
//     Store {
//         id: store
//         storeId: "todomvc"
//         schema: "qrc:/todos.json"          // and/or inline Table/EventDefinition children
//     }
//
// Without `directory` (and not `inMemory`) the store lives in the application's data location,
// <AppDataLocation>/livestore/<storeId>. With `registry`, stores of the same id are shared.
//
// With `syncUrl` the store syncs with a LiveStore sync server; `sync` is its SyncStatus. With
// `initialSync: Store.InitialSyncBlocking` the store stays Loading (bootStage BootSyncing,
// `progress` counting the catch-up) until it has pulled what the server has, or until
// `initialSyncTimeout` ms pass; then it is Ready either way: the data is local first.
class QmlStore : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_MOC_INCLUDE("qmlstoreregistry.h")
    QML_NAMED_ELEMENT(Store)
    QML_ATTACHED(LiveStore::QmlStoreAttached)
    Q_INTERFACES(QQmlParserStatus)
    Q_PROPERTY(QString storeId READ storeId WRITE setStoreId NOTIFY storeIdChanged FINAL)
    Q_PROPERTY(QUrl schema READ schema WRITE setSchema NOTIFY schemaChanged FINAL)
    Q_PROPERTY(QString directory READ directory WRITE setDirectory NOTIFY directoryChanged FINAL)
    Q_PROPERTY(bool inMemory READ inMemory WRITE setInMemory NOTIFY inMemoryChanged FINAL)
    Q_PROPERTY(bool asynchronous READ asynchronous WRITE setAsynchronous NOTIFY asynchronousChanged FINAL)
    Q_PROPERTY(LiveStore::QmlStoreRegistry *registry READ registry WRITE setRegistry NOTIFY registryChanged FINAL)
    Q_PROPERTY(Status status READ status NOTIFY statusChanged FINAL)
    Q_PROPERTY(BootStage bootStage READ bootStage NOTIFY bootStatusChanged FINAL)
    Q_PROPERTY(qreal progress READ progress NOTIFY bootStatusChanged FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged FINAL)
    Q_PROPERTY(QString head READ head NOTIFY headChanged FINAL)
    Q_PROPERTY(QString clientId READ clientId NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString sessionId READ sessionId NOTIFY statusChanged FINAL)
    Q_PROPERTY(QUrl syncUrl READ syncUrl WRITE setSyncUrl NOTIFY syncUrlChanged FINAL)
    Q_PROPERTY(QVariant syncPayload READ syncPayload WRITE setSyncPayload NOTIFY syncPayloadChanged FINAL)
    Q_PROPERTY(InitialSync initialSync READ initialSync WRITE setInitialSync NOTIFY initialSyncChanged FINAL)
    Q_PROPERTY(int initialSyncTimeout READ initialSyncTimeout WRITE setInitialSyncTimeout NOTIFY initialSyncTimeoutChanged FINAL)
    Q_PROPERTY(LiveStore::SyncClient *sync READ sync NOTIFY syncChanged FINAL)
    Q_PROPERTY(QQmlListProperty<QObject> data READ data FINAL) // schema elements, documents, anything
    Q_CLASSINFO("DefaultProperty", "data")

public:
    enum Status { Null, Loading, Ready, Error };
    Q_ENUM(Status)
    enum BootStage { BootIdle, BootLoading, BootMigrating, BootRematerializing, BootSyncing, BootDone };
    Q_ENUM(BootStage)
    // As LiveStore's initialSyncOptions: Skip (Ready as soon as the local data is) or Blocking.
    enum InitialSync { InitialSyncSkip, InitialSyncBlocking };
    Q_ENUM(InitialSync)

    explicit QmlStore(QObject *parent = nullptr);
    ~QmlStore() override;

    QString storeId() const { return m_storeId; }
    void setStoreId(const QString &storeId);
    QUrl schema() const { return m_schema; }
    void setSchema(const QUrl &schema);
    QString directory() const { return m_directory; }
    void setDirectory(const QString &directory);
    bool inMemory() const { return m_inMemory; }
    void setInMemory(bool inMemory);
    // True (the default): a store on disk opens on a worker thread, and the element is Loading
    // until then. False: it opens while the element completes, blocking the GUI thread for as
    // long as that takes (a small store written to at once). In-memory stores always open at once.
    bool asynchronous() const { return m_asynchronous; }
    void setAsynchronous(bool asynchronous);
    QmlStoreRegistry *registry() const { return m_registry; }
    void setRegistry(QmlStoreRegistry *registry);

    Status status() const { return m_status; }
    BootStage bootStage() const { return m_bootStage; }
    qreal progress() const { return m_progress; }
    QString errorString() const { return m_error; }
    QString head() const;
    QString clientId() const;
    QString sessionId() const;
    QQmlListProperty<QObject> data();

    QUrl syncUrl() const { return m_syncUrl; }
    void setSyncUrl(const QUrl &url);
    QVariant syncPayload() const { return m_syncPayload; }
    void setSyncPayload(const QVariant &payload);
    InitialSync initialSync() const { return m_initialSync; }
    void setInitialSync(InitialSync mode);
    int initialSyncTimeout() const { return m_initialSyncTimeout; }
    void setInitialSyncTimeout(int msecs);
    // Null without a syncUrl, or before the store has opened.
    SyncClient *sync() const { return m_sync; }

    // The C++ store, for C++ code next to the QML (null until Ready).
    Store *store() const { return m_store.get(); }
    // Follows the store's committed() while this element's committed() has a receiver, and
    // only then (see qmlstore.cpp). Called before commits through this element and ClientDocument.
    void forwardCommitted();
    // A client document's definition, from the open store or, before it opens, from the schema
    // as declared so far: ClientDocument elements use it to create their fields early, while
    // bindings are still being set up.
    std::optional<ClientDocumentDef> clientDocumentDefinition(const QString &name);

    // Commits one event; false (with errorString and a QML warning) when it is rejected.
    // The arguments stay JavaScript values until then: their key order (JSON.stringify's) is what
    // record and json arguments keep, as in LiveStore, while a QVariantMap would sort the keys.
    Q_INVOKABLE bool commit(const QString &name, const QJSValue &args = QJSValue());
    // Commits [{name, args}, ...] atomically: all or none.
    Q_INVOKABLE bool commitAll(const QJSValue &events);
    // One-shot read: an array of row objects ([] on error, with a warning).
    Q_INVOKABLE QVariantList query(const QString &sql, const QVariant &binds = {});

    void classBegin() override;
    void componentComplete() override;

    // `Store.store`: the nearest Store of any object (see QmlStoreAttached).
    static QmlStoreAttached *qmlAttachedProperties(QObject *object) { return new QmlStoreAttached(object); }

Q_SIGNALS:
    void storeIdChanged();
    void schemaChanged();
    void directoryChanged();
    void inMemoryChanged();
    void asynchronousChanged();
    void registryChanged();
    void statusChanged();
    void bootStatusChanged();
    void errorStringChanged();
    void headChanged();
    void syncUrlChanged();
    void syncPayloadChanged();
    void initialSyncChanged();
    void initialSyncTimeoutChanged();
    void syncChanged();
    // After each commit, with [{name, args, seqNum}, ...].
    void committed(const QVariantList &events);

protected:
    void connectNotify(const QMetaMethod &signal) override;

private:
    void reopen();
    // Why commit()/query() cannot run now: opening, or not open (and why).
    QString notReady(const char *what) const;
    // The store's open has ended (at once, or after an asynchronous open): Ready, sync, or Error.
    void opened(std::shared_ptr<Store> store);
    void setStatus(Status status);
    void setError(const QString &error);
    bool loadSchema(Schema *schema);
    void attach(std::shared_ptr<Store> store);
    void onBootStatus(const BootStatus &status);
    void setBootStage(BootStage stage, qreal progress);
    void startSync(Store *store);
    void waitForInitialSync(std::shared_ptr<Store> store);
    void finishInitialSync(const QString &why);
    void becomeReady(std::shared_ptr<Store> store);

    QString m_storeId;
    QUrl m_schema;
    QString m_directory;
    bool m_inMemory = false;
    bool m_asynchronous = true;
    QPointer<QmlStoreRegistry> m_registry;
    Status m_status = Null;
    BootStage m_bootStage = BootIdle;
    qreal m_progress = 0;
    QString m_error;
    quint64 m_openGeneration = 0; // counts reopen()s: a callback of an earlier open is ignored
    QmlObjectList m_data; // the default property: schema elements, documents, anything
    bool m_complete = false;
    std::shared_ptr<Store> m_store;
    QUrl m_syncUrl;
    QVariant m_syncPayload;
    InitialSync m_initialSync = InitialSyncSkip;
    int m_initialSyncTimeout = 5000;
    QPointer<SyncClient> m_sync;
    // While a blocking initial sync runs: the open store, not yet handed out.
    std::shared_ptr<Store> m_syncingStore;
    QTimer m_initialSyncTimer;
    QList<QMetaObject::Connection> m_initialSyncConnections;
    QMetaObject::Connection m_headConnection;
    QMetaObject::Connection m_committedConnection; // only while committed() has a receiver
    // While the store opens on a worker thread (Store::openAsync).
    std::shared_ptr<Store> m_openingStore;
    QMetaObject::Connection m_openConnection;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLSTORE_H
