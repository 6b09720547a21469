// SPDX-License-Identifier: BSD-3-Clause
// Store::importEvents(), importJsonLines() and importFileAsync(): events taken from elsewhere (an
// export) appended with their numbers, in one transaction, from a list or streamed from JSON lines
// in bounded memory, on the caller's thread or on a worker with a connection of its own.
//
// One transaction holds the whole import, however large: SQLite spills the pages it cannot keep
// in its cache to the WAL as the transaction grows, so memory stays bounded while the import
// stays all or nothing (the first bad line, or an event the store refuses, rolls everything back).
#include "store.h"

#include "eventchain.h"
#include "importlines_p.h"
#include "jsonwriter_p.h"
#include "logging_p.h"
#include "store_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qiodevice.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// committed() after an import: the events read back from the eventlog, a page at a time.
constexpr qint64 CommittedPageSize = 10'000;

// UTF-8 of the last string seen: an import binds the same ids and names line after line.
class Utf8Cache
{
public:
    const QByteArray &get(const QString &text)
    {
        // The parser hands out shared copies of the strings that repeat: most often the very same.
        if (text.constData() == m_text.constData() && text.size() == m_text.size() && !m_text.isNull())
            return m_utf8;
        if (text != m_text || m_text.isNull()) {
            m_text = text;
            m_utf8 = text.toUtf8();
        }
        return m_utf8;
    }

private:
    QString m_text;
    QByteArray m_utf8;
};

} // namespace

// The transaction of one import: apply() does for each event what a commit does (arguments
// checked, materialized, appended), with the numbers and ids the event brings.
class StoreImport
{
public:
    explicit StoreImport(StorePrivate *d) : d(d) { }
    ~StoreImport()
    {
        sqlite3_finalize(m_insert);
        if (m_active)
            d->db.execCached(u"ROLLBACK"_s);
    }
    StoreImport(const StoreImport &) = delete;
    StoreImport &operator=(const StoreImport &) = delete;

    bool begin();
    // `runtime`: the event's definition (findEvent()), null for an event the schema does not know.
    // `argsJsonCanonical`: the record's argsJson is already the bytes that definition writes
    // (EventLineParser::argsJsonIsCanonical()), so it is kept without writing it again.
    bool apply(EventRecord &r, const StorePrivate::EventRuntime *runtime, bool argsJsonCanonical);
    bool commit();
    // After commit(): the new head, live queries refreshed.
    void finish();
    SequenceNumber head() const { return m_head; }

private:
    bool insert(const EventRecord &r, const StorePrivate::EventRuntime *runtime);

    StorePrivate *d;
    sqlite3_stmt *m_insert = nullptr; // our own: the statement cache may evict its entries
    bool m_active = false;
    QSet<QString> m_touched;
    SequenceNumber m_head;
    Utf8Cache m_name, m_clientId, m_sessionId;
};

bool StoreImport::begin()
{
    if (!d->db.execCached(u"BEGIN IMMEDIATE"_s))
        return d->fail(d->db.lastError());
    m_active = true;
    // Looked at inside the transaction: another process of the store may have committed up to
    // the moment it began (otherprocesses.cpp).
    if (!d->noticeOtherProcesses())
        return false;
    const QueryResult count = d->db.run(d->db.prepare(u"SELECT count(*) FROM __livestore_eventlog"_s));
    if (!count.isValid())
        return d->fail(count.errorString());
    if (const qint64 existing = count.scalar().toLongLong(); existing > 0)
        return d->fail(u"import needs an empty eventlog; this store holds %1 events"_s.arg(existing));
    static constexpr char insertSql[] =
            "INSERT INTO __livestore_eventlog (seqNumGlobal, seqNumClient, seqNumRebaseGeneration, "
            "parentSeqNumGlobal, parentSeqNumClient, parentSeqNumRebaseGeneration, name, argsJson, "
            "clientId, sessionId, schemaHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v3(d->db.handle(), insertSql, -1, SQLITE_PREPARE_PERSISTENT, &m_insert, nullptr)
        != SQLITE_OK)
        return d->fail(u"cannot write the eventlog: "_s + d->db.sqliteError());
    return true;
}

bool StoreImport::apply(EventRecord &r, const StorePrivate::EventRuntime *runtime, bool argsJsonCanonical)
{
    if (runtime) {
        // As a commit writes them: arguments and struct fields in declared order, records and
        // json values in the order the import gives them (an export keeps it).
        if (!argsJsonCanonical)
            r.argsJson = runtime->def->argsJson(r.args, r.argsJson);
        const EventDef *def = runtime->def;
        QString argError;
        if (!def->validateEncodedArgs(r.args, &argError))
            return d->fail(u"event %1: "_s.arg(r.seqNum.toString()) + argError);
        normalizeArgs(r, *def);
        r.schemaHash = runtime->hash;
        if (!d->materialize(d->db, r, *def, &m_touched))
            return false;
    } else {
        if (r.argsJson.isEmpty())
            r.argsJson = json::writeObject(r.args);
        // else an unknown event keeps its bytes, as one from sync does
        r.schemaHash = -1;
        if (!d->handleUnknownEvent(r, u"event-definition-missing"_s))
            return false;
    }
    if (!insert(r, runtime))
        return false;
    m_head = r.seqNum;
    return true;
}

bool StoreImport::insert(const EventRecord &r, const StorePrivate::EventRuntime *runtime)
{
    sqlite3_stmt *st = m_insert;
    StorePrivate::bindEventNumbers(st, r);
    // The bytes stay alive until the step below: SQLITE_STATIC spares SQLite a copy.
    const QByteArray &name = runtime ? runtime->nameUtf8 : m_name.get(r.name);
    const QByteArray &clientId = m_clientId.get(r.clientId);
    const QByteArray &sessionId = m_sessionId.get(r.sessionId);
    sqlite3_bind_text(st, 7, name.constData(), int(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r.argsJson.constData(), int(r.argsJson.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 9, clientId.constData(), int(clientId.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 10, sessionId.constData(), int(sessionId.size()), SQLITE_STATIC);
    sqlite3_bind_int(st, 11, r.schemaHash);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return d->fail(u"event %1 (%2) is already in the eventlog"_s.arg(r.seqNum.toString(), r.name));
        return d->fail(u"cannot write event %1 to the eventlog: %2"_s.arg(r.seqNum.toString(), d->db.sqliteError()));
    }
    return true;
}

bool StoreImport::commit()
{
    sqlite3_finalize(m_insert);
    m_insert = nullptr;
    if (!d->db.execCached(u"COMMIT"_s))
        return d->fail(d->db.lastError()); // the destructor rolls back
    m_active = false;
    return true;
}

void StoreImport::finish()
{
    d->head = m_head;
    // The eventlog itself is readable by live queries.
    m_touched.insert(u"__livestore_eventlog"_s);
    const StorePrivate::OthersChanges others = d->takeOthersChanges(&m_touched);
    if (d->graph)
        d->graph->tablesChanged(m_touched);
    if (others.any)
        Q_EMIT d->q->eventlogChanged(others.rewrote);
}

namespace {

// Up to `limit` imported events after `after`, read back from the eventlog for committed(): none
// past `last`, the import's last event (a slot of an earlier page may have committed since).
QList<EventRecord> importedPage(Store *q, const SequenceNumber &after, const SequenceNumber &last,
                                qint64 limit)
{
    EventFilter page;
    page.after = after;
    page.limit = limit;
    QList<EventRecord> events = q->events(page);
    while (!events.isEmpty() && last < events.constLast().seqNum)
        events.removeLast();
    return events;
}

// The end of a synchronous import of `count` events that ended at `last`: committed() with the
// events read back in pages (so that a large import never holds them all) when something is
// connected to it (`listened`), then eventsCommitted().
void announceImported(Store *q, const SequenceNumber &last, qint64 count, bool listened)
{
    const QPointer<Store> alive(q); // a slot may delete the Store
    if (listened) {
        SequenceNumber after = SequenceNumber::root();
        for (;;) {
            const QList<EventRecord> events = importedPage(q, after, last, CommittedPageSize);
            if (events.isEmpty())
                break;
            after = events.constLast().seqNum;
            Q_EMIT q->committed(events);
            if (!alive || !(after < last))
                break;
        }
    }
    if (alive)
        Q_EMIT q->eventsCommitted(count);
}

} // namespace

bool Store::importEvents(const QList<EventRecord> &events)
{
    if (!d->checkWritable())
        return false;
    if (events.isEmpty())
        return true;
    StoreImport import(d.get());
    if (!import.begin())
        return false;
    EventChain chain(d->head);
    for (EventRecord r : events) {
        QString chainError;
        if (!chain.append(r, &chainError))
            return d->fail(chainError);
        if (!import.apply(r, d->findEvent(r.name), false))
            return false;
    }
    if (!import.commit())
        return false;
    import.finish();
    announceImported(this, import.head(), events.size(),
                     isSignalConnected(QMetaMethod::fromSignal(&Store::committed)));
    return true;
}

namespace {

// importJsonLines()'s work up to its commit, on the store's thread or on importFileAsync()'s
// worker: `import` is left holding the committed import, or empty when the input had no events.
bool readAndApply(StorePrivate *d, QIODevice *jsonLines, const ImportOptions &options,
                  ImportStatus &st, std::optional<StoreImport> &import)
{
    if (!jsonLines->isSequential())
        st.bytesTotal = jsonLines->size() - jsonLines->pos();
    const qint64 interval = std::max<qint64>(1, options.progressInterval);
    const auto where = [&](qint64 line) -> QString {
        return (options.sourceName.isEmpty() ? u"line "_s : options.sourceName + u':')
                + QString::number(line) + u": "_s;
    };
    const auto cancelled = [d] { return d->fail(u"the import was cancelled"_s); };

    JsonLinesReader reader(jsonLines, 256 * 1024, options.maxLineBytes);
    EventLineParser parser;
    EventChain chain;
    QByteArrayView line;
    qint64 lineNumber = 0;
    while (reader.next(&line, &lineNumber)) {
        st.line = lineNumber;
        st.bytesRead = reader.bytesRead();
        QString error;
        std::optional<EventRecord> record = parser.parse(line, &error);
        if (!record || !chain.append(*record, &error)) {
            st.inputError = true;
            return d->fail(where(lineNumber) + error);
        }
        if (!import) {
            import.emplace(d);
            if (!import->begin())
                return false;
        }
        const StorePrivate::EventRuntime *runtime = d->findEvent(record->name);
        if (!import->apply(*record, runtime, runtime && parser.argsJsonIsCanonical(*runtime->def))) {
            // The store refused the event: say at which line (a damaged file says so itself).
            return d->db.isDamaged() ? false : d->fail(where(lineNumber) + d->error);
        }
        ++st.events;
        if (d->cancelled())
            return cancelled(); // an importFileAsync() told to stop: looked at every event
        if (options.onProgress && st.events % interval == 0 && !options.onProgress(st))
            return cancelled();
    }
    st.bytesRead = reader.bytesRead();
    if (reader.lineTooLong()) {
        st.line = reader.lineNumber() + 1;
        st.inputError = true;
        return d->fail(where(st.line) + reader.errorString());
    }
    if (!reader.errorString().isEmpty())
        return d->fail(u"cannot read %1: %2"_s.arg(
                options.sourceName.isEmpty() ? u"the import"_s : options.sourceName, reader.errorString()));
    if (!import)
        return true; // no events: nothing changes
    if (d->cancelled() || (options.onProgress && !options.onProgress(st)))
        return cancelled();
    return import->commit();
}

} // namespace

bool Store::importJsonLines(QIODevice *jsonLines, const ImportOptions &options, ImportStatus *status)
{
    ImportStatus local;
    ImportStatus &st = status ? *status : local;
    st = ImportStatus();
    if (!d->checkWritable())
        return false;
    if (!jsonLines || !jsonLines->isReadable())
        return d->fail(u"cannot read %1: the device is not open for reading"_s.arg(
                options.sourceName.isEmpty() ? u"the import"_s : options.sourceName));
    std::optional<StoreImport> import;
    if (!readAndApply(d.get(), jsonLines, options, st, import))
        return false;
    if (!import)
        return true;
    import->finish();
    announceImported(this, import->head(), st.events,
                     isSignalConnected(QMetaMethod::fromSignal(&Store::committed)));
    return true;
}

// ---------------------------------------------------------------------------------------------
// importFileAsync()
// ---------------------------------------------------------------------------------------------

bool StorePrivate::openBeside()
{
    const QString path = QDir(options.directory).filePath(u"store.db"_s);
    if (!db.open(path, false, false))
        return fail(db.lastError());
    if (!db.exec(options.durability == Durability::PowerLoss ? "PRAGMA synchronous = FULL"
                                                             : "PRAGMA synchronous = NORMAL")
        || !db.exec("PRAGMA cache_size = -8000") || !db.exec("PRAGMA foreign_keys = OFF"))
        return fail(db.lastError());
    db.setSchema(&schema);
    buildEventRuntime();
    isOpen = true;
    return true;
}

bool Store::importFileAsync(const QString &path, const ImportOptions &options)
{
    // First: the worker's write transaction must not wait for one of ours, so a merge of pulled
    // events that holds its transaction between slices ends now. Its live-query slots run here,
    // and may close the store or start an import: the checks below see what they left.
    d->db.completeSuspendedWork();
    if (!d->checkWritable())
        return false;
    if (d->options.inMemory)
        return d->fail(u"an in-memory store has no file a second connection could import into: "
                        "use importJsonLines()"_s);
    if (options.onProgress)
        return d->fail(u"importFileAsync() reports through importProgress(); "
                        "ImportOptions::onProgress is for importJsonLines()"_s);
    if (!QFileInfo(path).isFile())
        return d->fail(u"cannot read %1: %2"_s.arg(
                path, QFileInfo::exists(path) ? u"not a file"_s : u"no such file"_s));

    static std::atomic<quint64> jobs{0};
    auto job = std::make_unique<StorePrivate::AsyncImport>();
    job->id = ++jobs;
    job->worker = std::make_unique<StorePrivate>(this);
    StorePrivate *worker = job->worker.get();
    // Copied here, on the store's thread; the worker opens its connection on its own.
    worker->options = d->options;
    worker->options.watchInterval = 0;
    worker->options.onBootStatus = nullptr;
    worker->options.migrations = {};
    worker->schema = d->schema;
    worker->clientId = d->clientId;
    worker->sessionId = d->sessionId;
    worker->clientIdUtf8 = d->clientIdUtf8;
    worker->sessionIdUtf8 = d->sessionIdUtf8;
    worker->head = d->head;
    worker->cancelRequested = &job->cancel;

    ImportOptions workerOptions = options;
    if (workerOptions.sourceName.isEmpty())
        workerOptions.sourceName = QFileInfo(path).fileName();
    const quint64 id = job->id;
    // Posting to this object from the worker is safe: the Store joins the worker before it dies,
    // and calls still queued for a dead Store are dropped with it.
    workerOptions.onProgress = [this, id](const ImportStatus &status) {
        QMetaObject::invokeMethod(
                this, [this, id, status] { StorePrivate::deliverImportProgress(this, id, status); },
                Qt::QueuedConnection);
        return true;
    };
    StorePrivate::AsyncImport *running = job.get();
    d->asyncImport = std::move(job);
    d->importStatus = {};
    d->error.clear();
    // Its commit is taken in by finishAsyncImport(), not announced as another process's.
    if (d->watchTimer)
        d->watchTimer->stop();
    running->thread = std::thread([this, running, worker, workerOptions, path, id] {
        ImportStatus status;
        bool ok = worker->openBeside();
        if (ok) {
            QFile in(path);
            if (!in.open(QIODevice::ReadOnly)) {
                ok = worker->fail(u"cannot read %1: %2"_s.arg(path, in.errorString()));
            } else {
                std::optional<StoreImport> import;
                ok = readAndApply(worker, &in, workerOptions, status, import);
                if (ok && import)
                    running->last = import->head();
            } // a failed import rolls back here, before its connection closes
        }
        running->damaged = worker->db.isDamaged(); // close() forgets it
        worker->close();
        running->succeeded = ok;
        running->error = worker->error;
        running->status = status;
        QMetaObject::invokeMethod(
                this, [this, id] { StorePrivate::finishAsyncImport(this, id); }, Qt::QueuedConnection);
    });
    return true;
}

bool Store::isImporting() const
{
    return d->asyncImport != nullptr;
}

void Store::cancelImport()
{
    if (!d->asyncImport || d->asyncImport->takenIn)
        return; // none, or committed already and its committed() pages going out
    d->asyncImport->cancel.store(true, std::memory_order_relaxed);
    // The worker looks at the flag after every event: this waits for one event, or for the
    // commit when it has begun. A commit that made it is taken in; the import then succeeds.
    StorePrivate::finishAsyncImport(this, d->asyncImport->id);
}

ImportStatus Store::importStatus() const
{
    return d->importStatus;
}

void StorePrivate::deliverImportProgress(Store *q, quint64 job, const ImportStatus &status)
{
    StorePrivate *d = q->d.get();
    if (!d->asyncImport || d->asyncImport->id != job || d->asyncImport->takenIn)
        return; // cancelled meanwhile, or already finished
    d->importStatus = status;
    Q_EMIT q->importProgress(status);
}

namespace {

// committed() after importFileAsync(): a page per turn of the event loop, each a few
// milliseconds to read.
constexpr qint64 AsyncCommittedPageSize = 1'000;

// The job is over (ended here, or taken out by the caller): writes and the watch timer resume.
// `committedEvents`: how many events a successful import appended.
void endAsyncImport(Store *q, StorePrivate *d, bool success, bool announce = true,
                    qint64 committedEvents = 0)
{
    d->asyncImport.reset();
    if (d->watchTimer && d->isOpen)
        d->watchTimer->start();
    if (!announce)
        return;
    const QPointer<Store> alive(q); // a slot may delete the Store
    if (success && committedEvents > 0)
        Q_EMIT q->eventsCommitted(committedEvents);
    if (alive)
        Q_EMIT q->importFinished(success);
}

} // namespace

void StorePrivate::finishAsyncImport(Store *q, quint64 job)
{
    StorePrivate *d = q->d.get();
    if (!d->asyncImport || d->asyncImport->id != job)
        return;
    AsyncImport &finished = *d->asyncImport;
    if (finished.takenIn)
        return; // cancelImport() took it in before the worker's own call arrived
    finished.takenIn = true;
    // From the worker: it posted this as its last act, so the join does not wait.
    if (finished.thread.joinable())
        finished.thread.join();
    finished.worker.reset();
    d->importStatus = finished.status;
    if (finished.damaged)
        d->db.markDamaged(); // the worker's error says nothing more is written: so it must be
    if (!finished.succeeded) {
        d->error = finished.error;
        qCDebug(lcStore, "import into store \"%s\" failed: %s", qUtf8Printable(d->options.storeId),
                qUtf8Printable(finished.error));
        endAsyncImport(q, d, false);
        return;
    }
    if (finished.last == SequenceNumber::root()) {
        endAsyncImport(q, d, true); // no events: nothing changed
        return;
    }
    // The worker's commit is another connection's: the new head, and every table may have
    // changed. The live queries refresh now, in one step.
    if (!d->noticeOtherProcesses())
        qCWarning(lcStore, "store %s: %s", qUtf8Printable(d->options.storeId), qUtf8Printable(d->error));
    QSet<QString> tables{u"__livestore_eventlog"_s};
    for (const TableDef &t : d->schema.tables())
        tables.insert(t.name);
    const OthersChanges others = d->takeOthersChanges(&tables);
    const SequenceNumber last = finished.last; // a slot below may end the job, and `finished` with it
    if (d->graph)
        d->graph->tablesChanged(tables);
    d = q->d.get();
    if (!d->asyncImport || d->asyncImport->id != job)
        return; // a live query's slot closed or reopened the store
    // Another process committed after the import, or rewrote the log: its change is announced.
    if (others.rewrote || d->head != last)
        Q_EMIT q->eventlogChanged(others.rewrote);
    emitImportedPage(q, job);
}

void StorePrivate::emitImportedPage(Store *q, quint64 job)
{
    StorePrivate *d = q->d.get();
    if (!d->asyncImport || d->asyncImport->id != job)
        return;
    AsyncImport &running = *d->asyncImport;
    const qint64 imported = running.status.events;
    if (!q->isSignalConnected(QMetaMethod::fromSignal(&Store::committed))) {
        endAsyncImport(q, d, true, true, imported);
        return;
    }
    const SequenceNumber last = running.last;
    const QList<EventRecord> events = importedPage(q, running.pageAfter, last, AsyncCommittedPageSize);
    if (!events.isEmpty()) {
        running.pageAfter = events.constLast().seqNum;
        Q_EMIT q->committed(events);
        d = q->d.get(); // a slot may have closed the store, which ended the job
        if (!d->asyncImport || d->asyncImport->id != job)
            return;
    }
    if (events.isEmpty() || !(d->asyncImport->pageAfter < last)) {
        endAsyncImport(q, d, true, true, imported);
        return;
    }
    QMetaObject::invokeMethod(
            q, [q, job] { StorePrivate::emitImportedPage(q, job); }, Qt::QueuedConnection);
}

void StorePrivate::cancelAsyncImport(Store *q, bool announce)
{
    StorePrivate *d = q->d.get();
    if (!d->asyncImport)
        return;
    const std::unique_ptr<AsyncImport> job = std::move(d->asyncImport);
    job->cancel.store(true, std::memory_order_relaxed);
    // The worker looks at the flag after every event: this waits for one event, or for the
    // commit when it has begun.
    if (job->thread.joinable())
        job->thread.join();
    job->worker.reset();
    // Committed already (by the worker just now, or while its committed() pages go out): the
    // events are in the store, and the import succeeded.
    const bool committed = job->succeeded && job->last != SequenceNumber::root();
    if (job->damaged)
        d->db.markDamaged();
    if (!committed) {
        d->error = u"the import was cancelled"_s;
        d->importStatus = job->status;
    }
    // No eventsCommitted() here: the store is closing or reopening, and neither its head nor its
    // live queries took the worker's commit in.
    endAsyncImport(q, d, committed, announce);
}

} // namespace LiveStore
