// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_INSPECTEDSTORE_H
#define LIVESTORE_INSPECTEDSTORE_H

#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace LiveStore {

class QmlStore;

// The store an inspector looks at, and what every view shares about it: either an app's own
// `Store` element (embedded: `store: appStore`), or a store directory opened by the inspector
// itself, read-only unless `writable`, with the schema the store records (Schema::fromStore()).
//
//     InspectedStore { directory: "/path/to/store" }     // livestore-inspector
//     InspectedStore { store: appStore }                 // import LiveStore.Inspector in an app
//
// `store` wins when both are set. The views take an InspectedStore as their `source`.
class InspectedStore : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_MOC_INCLUDE(<qmlstore.h>)
    QML_ELEMENT
    Q_INTERFACES(QQmlParserStatus)
    Q_PROPERTY(QString directory READ directory WRITE setDirectory NOTIFY directoryChanged FINAL)
    Q_PROPERTY(bool writable READ writable WRITE setWritable NOTIFY writableChanged FINAL)
    Q_PROPERTY(LiveStore::QmlStore *store READ qmlStore WRITE setQmlStore NOTIFY qmlStoreChanged FINAL)
    Q_PROPERTY(Status status READ status NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged FINAL)
    Q_PROPERTY(bool embedded READ isEmbedded NOTIFY statusChanged FINAL)
    Q_PROPERTY(bool readOnly READ isReadOnly NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString storeId READ storeId NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString clientId READ clientId NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString sessionId READ sessionId NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString location READ location NOTIFY statusChanged FINAL)
    // State tables, client documents' included, in the schema's order.
    Q_PROPERTY(QStringList tables READ tables NOTIFY statusChanged FINAL)
    // The eventlog's end and the sync bookkeeping the store keeps (__livestore_sync_status):
    // events numbered above the upstream head are pending (not yet confirmed by a sync server).
    Q_PROPERTY(QString head READ head NOTIFY headChanged FINAL)
    Q_PROPERTY(double headSeqNum READ headSeqNum NOTIFY headChanged FINAL)
    Q_PROPERTY(double upstreamHead READ upstreamHeadNumber NOTIFY headChanged FINAL)
    Q_PROPERTY(QString backendId READ backendId NOTIFY headChanged FINAL)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY headChanged FINAL)
    // How often the eventlog changed while inspected (commits, imports, pulls).
    Q_PROPERTY(int changeCount READ changeCount NOTIFY headChanged FINAL)
    // The app's sync client (embedded, with a syncUrl); null otherwise. Its status and counters
    // (pushedEventCount, pulledEventCount…) are read from it directly.
    Q_PROPERTY(LiveStore::SyncClient *sync READ sync NOTIFY syncChanged FINAL)
    // Export and import (exportEventlog(), importEventlog()): how the last one ended, for a line
    // beside the buttons that start them ("Exported 2,500 events to …", or the error), and how
    // many events it wrote or read. Apart from errorString, which is about the store itself.
    Q_PROPERTY(QString transferMessage READ transferMessage NOTIFY transferChanged FINAL)
    Q_PROPERTY(bool transferFailed READ transferFailed NOTIFY transferChanged FINAL)
    Q_PROPERTY(int transferredCount READ transferredCount NOTIFY transferChanged FINAL)
    // An export or import in progress. An export writes a few pages per turn of the event loop;
    // an import into a store on disk runs on a worker thread (Store::importFileAsync()). Either
    // way the window keeps painting, and transferMessage counts the events so far.
    Q_PROPERTY(bool transferring READ isTransferring NOTIFY transferChanged FINAL)
    // Whether importEventlog() can work here, and if not why (for a disabled button's tooltip). An
    // import into a store that holds events is still tried: the store says why it refuses.
    Q_PROPERTY(bool canImport READ canImport NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString importRefusal READ importRefusal NOTIFY statusChanged FINAL)
    // How long opening the directory took, in milliseconds.
    Q_PROPERTY(double openMs READ openMs NOTIFY statusChanged FINAL)

public:
    enum Status { Null, Ready, Error };
    Q_ENUM(Status)

    explicit InspectedStore(QObject *parent = nullptr);
    ~InspectedStore() override;

    QString directory() const { return m_directory; }
    void setDirectory(const QString &directory);
    bool writable() const { return m_writable; }
    void setWritable(bool writable);
    QmlStore *qmlStore() const;
    void setQmlStore(QmlStore *store);

    Status status() const { return m_status; }
    QString errorString() const { return m_error; }
    bool isEmbedded() const;
    bool isReadOnly() const;
    QString storeId() const;
    QString clientId() const;
    QString sessionId() const;
    QString location() const;
    QStringList tables() const;
    QString head() const;
    double headSeqNum() const { return double(m_head.global); }
    qint64 upstreamHead() const { return m_upstreamHead; }
    double upstreamHeadNumber() const { return double(m_upstreamHead); }
    QString backendId() const { return m_backendId; }
    int pendingCount() const { return int(m_pendingCount); }
    int changeCount() const { return m_changeCount; }
    SyncClient *sync() const;
    double openMs() const { return m_openMs; }
    QString transferMessage() const { return m_transferMessage; }
    bool transferFailed() const { return m_transferFailed; }
    int transferredCount() const { return m_transferredCount; }
    bool isTransferring() const { return m_export != nullptr || m_importing; }
    bool canImport() const { return importRefusal().isEmpty(); }
    QString importRefusal() const;

    // The C++ store (null unless Ready). Replaced when the source changes: see storeChanged().
    Store *store() const { return m_store; }

    // Writes the eventlog as JSON lines (as `livestore export` does), page by page, for at most
    // a few milliseconds per turn of the event loop (`transferring` meanwhile), into a file that
    // appears whole when done (QSaveFile). The file is a URL or a local path. False at once for
    // what can be told at once (no store, a file that cannot be created); otherwise true, and
    // transferChanged() with `transferring` false tells how it ended.
    Q_INVOKABLE bool exportEventlog(const QUrl &file);
    // Appends an export to a store that holds no events yet; needs a writable store (see
    // canImport). A store on disk imports on a worker thread (Store::importFileAsync(),
    // `transferring` meanwhile, and transferChanged() with `transferring` false tells how it
    // ended); an in-memory one at once (Store::importJsonLines()). Both report in
    // transferMessage.
    Q_INVOKABLE bool importEventlog(const QUrl &file);
    // Reads the head and the sync bookkeeping again.
    Q_INVOKABLE void refresh();

    void classBegin() override { }
    void componentComplete() override;

Q_SIGNALS:
    void directoryChanged();
    void writableChanged();
    void qmlStoreChanged();
    void statusChanged();
    void errorStringChanged();
    void headChanged();
    void syncChanged();
    void transferChanged();
    // The C++ store changed (opened, closed, replaced): views re-read everything.
    void storeChanged();
    // The eventlog changed (a commit, an import, pulled events); `rebased` as Store::eventlogChanged.
    void eventlogChanged(bool rebased);

private:
    void reopen();
    void attach(Store *store);
    void setStatus(Status status, const QString &error = {});
    void scheduleRefresh();
    bool setTransfer(bool failed, const QString &message, int count = 0);
    void exportSome();
    void abandonExport(const QString &why);

    QString m_directory;
    bool m_writable = false;
    QPointer<QmlStore> m_qmlStore;
    QMetaObject::Connection m_qmlStatus;
    QMetaObject::Connection m_qmlSync;
    std::unique_ptr<Store> m_own;
    QPointer<Store> m_store;
    QList<QMetaObject::Connection> m_storeConnections;
    Status m_status = Null;
    QString m_error;
    SequenceNumber m_head;
    qint64 m_upstreamHead = 0;
    QString m_backendId;
    qint64 m_pendingCount = 0;
    int m_changeCount = 0;
    double m_openMs = 0;
    QString m_transferMessage;
    bool m_transferFailed = false;
    int m_transferredCount = 0;
    struct ExportJob;
    std::unique_ptr<ExportJob> m_export;
    // importEventlog() into a store on disk, while its worker runs.
    static constexpr qint64 ImportProgressInterval = 5'000;
    bool m_importing = false;
    QString m_importPath;
    void importProgressed(const ImportStatus &status);
    void importEnded(bool success);
    static QString importedMessage(qint64 events, const QString &path);
    bool m_complete = false;
    QTimer m_refreshTimer; // one refresh per burst of commits
};

} // namespace LiveStore

#endif // LIVESTORE_INSPECTEDSTORE_H
