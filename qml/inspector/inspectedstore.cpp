// SPDX-License-Identifier: BSD-3-Clause
#include "inspectedstore.h"

#include <qmlstore.h>

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qsavefile.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

// An export in progress: the file, and where in the log it is.
struct InspectedStore::ExportJob
{
    QString path;
    QSaveFile out;
    EventFilter page;
    int count = 0;
    explicit ExportJob(const QString &path) : path(path), out(path) { }
};

InspectedStore::InspectedStore(QObject *parent) : QObject(parent)
{
    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(0);
    connect(&m_refreshTimer, &QTimer::timeout, this, &InspectedStore::refresh);
}

InspectedStore::~InspectedStore()
{
    // The views hold the Store's models and live queries: let them drop them first.
    attach(nullptr);
}

void InspectedStore::setDirectory(const QString &directory)
{
    if (m_directory == directory)
        return;
    m_directory = directory;
    Q_EMIT directoryChanged();
    reopen();
}

void InspectedStore::setWritable(bool writable)
{
    if (m_writable == writable)
        return;
    m_writable = writable;
    Q_EMIT writableChanged();
    reopen();
}

void InspectedStore::setQmlStore(QmlStore *store)
{
    if (m_qmlStore == store)
        return;
    QObject::disconnect(m_qmlStatus);
    QObject::disconnect(m_qmlSync);
    m_qmlStore = store;
    if (store) {
        // The element's C++ store exists while it is Ready and is replaced when it reopens.
        m_qmlStatus = connect(store, &QmlStore::statusChanged, this, &InspectedStore::reopen);
        m_qmlSync = connect(store, &QmlStore::syncChanged, this, &InspectedStore::syncChanged);
    }
    Q_EMIT qmlStoreChanged();
    Q_EMIT syncChanged();
    reopen();
}

void InspectedStore::componentComplete()
{
    m_complete = true;
    reopen();
}

QmlStore *InspectedStore::qmlStore() const
{
    return m_qmlStore;
}

bool InspectedStore::isEmbedded() const
{
    return m_qmlStore != nullptr;
}

bool InspectedStore::isReadOnly() const
{
    return !m_qmlStore && !m_writable;
}

QString InspectedStore::storeId() const
{
    return m_store ? m_store->storeId() : QString();
}

QString InspectedStore::clientId() const
{
    return m_store ? m_store->clientId() : QString();
}

QString InspectedStore::sessionId() const
{
    return m_store ? m_store->sessionId() : QString();
}

QString InspectedStore::location() const
{
    if (!m_store)
        return m_directory;
    QString dir = m_store->directory();
    if (dir.isEmpty())
        return u"(in memory)"_s;
    // Shorter, as shells show it: the home directory as ~.
    const QString home = QDir::homePath();
    if (home.size() > 1 && dir.startsWith(home + u'/'))
        dir = u'~' + dir.mid(home.size());
    return QDir::toNativeSeparators(dir);
}

QStringList InspectedStore::tables() const
{
    QStringList names;
    if (!m_store)
        return names;
    const QList<TableDef> defs = m_store->schema().tables();
    for (const TableDef &t : defs)
        names.append(t.name);
    return names;
}

QString InspectedStore::head() const
{
    return m_head.toString();
}

SyncClient *InspectedStore::sync() const
{
    return m_qmlStore ? m_qmlStore->sync() : nullptr;
}

void InspectedStore::setStatus(Status status, const QString &error)
{
    if (m_error != error) {
        m_error = error;
        Q_EMIT errorStringChanged();
    }
    // Ids, tables and the like follow the store, not only the status: always notify.
    m_status = status;
    Q_EMIT statusChanged();
}

void InspectedStore::reopen()
{
    if (!m_complete)
        return;
    if (m_qmlStore) {
        attach(m_qmlStore->store());
        m_own.reset();
        if (m_store)
            setStatus(Ready);
        else if (m_qmlStore->status() == QmlStore::Error)
            setStatus(Error, m_qmlStore->errorString());
        else
            setStatus(Null);
        return;
    }
    attach(nullptr);
    m_own.reset();
    m_openMs = 0;
    if (m_directory.isEmpty()) {
        setStatus(Null);
        return;
    }
    QElapsedTimer timer;
    timer.start();
    const QString dir = QDir(m_directory).absolutePath();
    if (!QFileInfo::exists(QDir(dir).filePath(u"store.db"_s))) {
        setStatus(Error, u"there is no store in %1 (no store.db)"_s.arg(QDir::toNativeSeparators(dir)));
        return;
    }
    QString schemaError;
    Schema schema = Schema::fromStore(dir, &schemaError);
    if (!schema.isValid()) {
        if (schemaError.contains(u"records no schema"_s))
            schemaError = u"the store in %1 records no schema (it was last written before stores recorded "
                          "theirs): open it once with its app, or with `livestore --schema FILE` without "
                          "--read-only, to record it"_s.arg(QDir::toNativeSeparators(dir));
        setStatus(Error, schemaError);
        return;
    }
    StoreOptions options;
    // The store id is the directory's name, as the livestore tool takes it, when that is valid.
    const QString name = QFileInfo(dir).fileName();
    options.storeId = isValidStoreId(name) ? name : u"inspected"_s;
    options.schema = std::move(schema);
    options.directory = dir;
    options.readOnly = !m_writable;
    auto store = std::make_unique<Store>();
    if (!store->open(options)) {
        setStatus(Error, u"cannot open the store in %1: %2"_s.arg(QDir::toNativeSeparators(dir), store->errorString()));
        return;
    }
    m_own = std::move(store);
    m_openMs = timer.nsecsElapsed() / 1e6;
    attach(m_own.get());
    setStatus(Ready);
}

void InspectedStore::attach(Store *store)
{
    if (m_store == store)
        return;
    for (const auto &c : std::as_const(m_storeConnections))
        QObject::disconnect(c);
    m_storeConnections.clear();
    abandonExport(u"the store was closed"_s); // it was reading the store that goes
    if (m_importing) {
        m_importing = false; // closing the store that goes stops its import
        setTransfer(true, u"Import from %1 stopped: the store was closed."_s.arg(m_importPath));
    }
    m_store = store;
    if (store) {
        m_storeConnections.append(connect(store, &Store::importProgress, this, &InspectedStore::importProgressed));
        m_storeConnections.append(connect(store, &Store::importFinished, this, &InspectedStore::importEnded));
        m_storeConnections.append(connect(store, &Store::eventsCommitted, this, [this] {
            scheduleRefresh();
            Q_EMIT eventlogChanged(false);
        }));
        m_storeConnections.append(connect(store, &Store::eventlogChanged, this, [this](bool rebased) {
            scheduleRefresh();
            Q_EMIT eventlogChanged(rebased);
        }));
    }
    m_changeCount = 0;
    refresh();
    Q_EMIT storeChanged();
}

void InspectedStore::scheduleRefresh()
{
    ++m_changeCount;
    m_refreshTimer.start();
}

void InspectedStore::refresh()
{
    m_head = {};
    m_upstreamHead = 0;
    m_backendId.clear();
    m_pendingCount = 0;
    if (m_store && m_store->isOpen()) {
        m_head = m_store->head();
        const QueryResult sync = m_store->query(u"SELECT head, backendId FROM __livestore_sync_status WHERE id = 1"_s);
        if (sync.isValid() && sync.rowCount() == 1) {
            m_upstreamHead = sync.value(0, 0).toLongLong();
            m_backendId = sync.value(0, 1).toString();
        }
        // Synced events have consecutive global numbers, so those above the upstream head are
        // the pending ones (client-only events never sync): no count over a log never synced.
        m_pendingCount = qMax<qint64>(0, m_head.global - m_upstreamHead);
    }
    Q_EMIT headChanged();
}

// A URL (file:) or a local path: QML hands over either, a path typed into a field as a string.
static QString localPath(const QUrl &file)
{
    return file.isLocalFile() ? file.toLocalFile() : file.toString(QUrl::PreferLocalFile);
}

bool InspectedStore::setTransfer(bool failed, const QString &message, int count)
{
    m_transferFailed = failed;
    m_transferMessage = message;
    m_transferredCount = count;
    Q_EMIT transferChanged();
    return !failed;
}

QString InspectedStore::importRefusal() const
{
    if (m_status != Ready || !m_store)
        return u"No store is open."_s;
    if (isReadOnly()) {
        return u"The store is open read-only, beside the app that writes it: start "
               "livestore-inspector with --write to import."_s;
    }
    return {};
}

bool InspectedStore::exportEventlog(const QUrl &file)
{
    if (m_export)
        return setTransfer(true, u"Export: one is running already."_s);
    if (!m_store)
        return setTransfer(true, u"Export: no store is open."_s);
    const QString path = localPath(file);
    if (path.isEmpty())
        return setTransfer(true, u"Export: no file given."_s);
    auto job = std::make_unique<ExportJob>(path);
    if (!job->out.open(QIODevice::WriteOnly))
        return setTransfer(true, u"Export: cannot write %1: %2"_s.arg(path, job->out.errorString()));
    job->page.limit = 500; // a page takes 1-2 ms: several fit in a slice
    m_export = std::move(job);
    setTransfer(false, u"Exporting…"_s);
    QMetaObject::invokeMethod(this, &InspectedStore::exportSome, Qt::QueuedConnection);
    return true;
}

void InspectedStore::exportSome()
{
    if (!m_export)
        return;
    if (!m_store)
        return abandonExport(u"the store was closed"_s);
    ExportJob &job = *m_export;
    // About one frame's worth of pages, then the event loop's turn.
    QElapsedTimer slice;
    slice.start();
    bool done = false;
    while (!done && slice.elapsed() < 8) {
        const QList<EventRecord> page = m_store->events(job.page);
        for (const EventRecord &e : page) {
            // The arguments as stored, not re-serialized: a QJsonObject sorts a record's keys,
            // and an import of the line would then store other bytes than this store holds.
            QJsonObject rest = e.toJson();
            if (!e.argsJson.isEmpty()) {
                rest.remove(u"args"_s);
                job.out.write("{\"args\":" + e.argsJson + ',');
                job.out.write(QJsonDocument(rest).toJson(QJsonDocument::Compact).mid(1));
            } else {
                job.out.write(QJsonDocument(rest).toJson(QJsonDocument::Compact));
            }
            job.out.write("\n");
        }
        job.count += int(page.size());
        done = page.size() < job.page.limit;
        if (!done)
            job.page.after = page.last().seqNum;
    }
    if (!done) {
        setTransfer(false, u"Exporting… %L1 events"_s.arg(job.count), job.count);
        QMetaObject::invokeMethod(this, &InspectedStore::exportSome, Qt::QueuedConnection);
        return;
    }
    const std::unique_ptr<ExportJob> finished = std::move(m_export);
    if (!finished->out.commit()) {
        setTransfer(true, u"Export: cannot write %1: %2"_s.arg(finished->path, finished->out.errorString()));
        return;
    }
    const int count = finished->count;
    setTransfer(false, (count == 1 ? u"Exported 1 event to %1."_s : u"Exported %L1 events to %2."_s.arg(count))
                               .arg(finished->path), count);
}

void InspectedStore::abandonExport(const QString &why)
{
    if (!m_export)
        return;
    const QString path = m_export->path;
    m_export.reset(); // QSaveFile leaves no partial file behind
    setTransfer(true, u"Export to %1 stopped: %2."_s.arg(path, why));
}

bool InspectedStore::importEventlog(const QUrl &file)
{
    if (m_importing)
        return setTransfer(true, u"Import: one is running already."_s);
    if (!canImport())
        return setTransfer(true, u"Import: %1"_s.arg(importRefusal()));
    const QString path = localPath(file);
    if (path.isEmpty())
        return setTransfer(true, u"Import: no file given."_s);
    ImportOptions options;
    options.sourceName = QFileInfo(path).fileName();
    options.progressInterval = ImportProgressInterval;
    if (!m_store->directory().isEmpty()) {
        // A store on disk imports on a worker thread: the window keeps painting, and
        // importProgress() moves the message (see Store::importFileAsync()).
        if (!m_store->importFileAsync(path, options))
            return setTransfer(true, u"Import: %1"_s.arg(m_store->errorString()));
        m_importing = true;
        m_importPath = path;
        return setTransfer(false, u"Importing…"_s);
    }
    // An in-memory store has no file a second connection could write to: it imports here.
    QFile in(path);
    if (!in.open(QIODevice::ReadOnly))
        return setTransfer(true, u"Import: cannot read %1: %2"_s.arg(path, in.errorString()));
    ImportStatus status;
    if (!m_store->importJsonLines(&in, options, &status))
        return setTransfer(true, u"Import: %1"_s.arg(m_store->errorString()));
    refresh(); // now, not at the next turn of the event loop: the caller reads the new head
    return setTransfer(false, importedMessage(status.events, path), int(status.events));
}

QString InspectedStore::importedMessage(qint64 events, const QString &path)
{
    return (events == 1 ? u"Imported 1 event from %1."_s : u"Imported %L1 events from %2."_s.arg(events)).arg(path);
}

void InspectedStore::importProgressed(const ImportStatus &status)
{
    if (!m_importing)
        return;
    const QString done = status.bytesTotal > 0
            ? u"Importing… %L1 events (%2 %)"_s.arg(status.events).arg(int(100 * status.bytesRead / status.bytesTotal))
            : u"Importing… %L1 events"_s.arg(status.events);
    setTransfer(false, done, int(status.events));
}

void InspectedStore::importEnded(bool success)
{
    if (!m_importing)
        return;
    m_importing = false;
    if (!success) {
        setTransfer(true, u"Import: %1"_s.arg(m_store->errorString()));
        return;
    }
    refresh();
    const qint64 events = m_store->importStatus().events;
    setTransfer(false, importedMessage(events, m_importPath), int(events));
}

} // namespace LiveStore
