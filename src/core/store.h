// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_STORE_H
#define LIVESTORE_STORE_H

#include "livestore_export.h"
#include "query.h"
#include "queryresult.h"
#include "reactive.h"
#include "schema.h"
#include "sequencenumber.h"

#include <QtCore/qjsonobject.h>
#include <QtCore/qobject.h>

#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QIODevice;
QT_END_NAMESPACE

namespace LiveStore {

class StorePrivate;
class MigrationContext;

// Boot progress: loading the files, creating tables (migrating), replaying the eventlog into a
// rebuilt state (rematerializing), done.
struct LIVESTORE_EXPORT BootStatus
{
    Q_GADGET
public:
    enum Stage { Loading, Migrating, Rematerializing, Done };
    Q_ENUM(Stage)
    Stage stage = Loading;
    qint64 done = 0;
    qint64 total = 0;
};

// How a table changed when the state was rebuilt: `actualHash` is 0 for a new table.
struct LIVESTORE_EXPORT TableMigration
{
    QString tableName;
    qint32 expectedHash = 0;
    qint32 actualHash = 0;
    bool isNew = true;
};

// Hooks run on a state rebuild, inside its transaction: `init` before the tables are created,
// `pre` after, before the eventlog is replayed, `post` after the replay. Returning false (after
// setting an error on the context) aborts the rebuild and the open.
struct LIVESTORE_EXPORT MigrationHooks
{
    std::function<bool(MigrationContext &)> init;
    std::function<bool(MigrationContext &)> pre;
    std::function<bool(MigrationContext &)> post;
};

class LIVESTORE_EXPORT MigrationContext
{
public:
    bool exec(const Query &query);
    QueryResult query(const Query &query);
    void setError(const QString &error) { m_error = error; }
    QString errorString() const { return m_error; }
    const QList<TableMigration> &report() const { return m_report; }

private:
    friend class StorePrivate;
    MigrationContext(StorePrivate *store, const QList<TableMigration> &report)
        : m_store(store), m_report(report) { }
    StorePrivate *m_store;
    QList<TableMigration> m_report;
    QString m_error;
};

enum class Durability {
    Process,   // a returned commit survives the process being killed (WAL, synchronous=NORMAL)
    PowerLoss, // ... and a power loss: a full sync per commit (synchronous=FULL)
};

enum class IntegrityCheck {
    OnError, // no check up front; SQLite's own checks as pages are read (free)
    Quick,   // PRAGMA quick_check when opening (reads the whole file once)
    Full,    // PRAGMA integrity_check when opening (also checks every index against its table)
};

struct LIVESTORE_EXPORT StoreOptions
{
    QString storeId;   // letters, digits, '_' and '-'
    Schema schema;
    QString directory; // the store's own directory; empty with inMemory
    bool inMemory = false;
    Durability durability = Durability::Process;
    // Debug/test aid: materialize each event twice and compare the emitted writes and their
    // effect; a difference fails the commit naming the event.
    bool checkDeterminism = false;
    // Keep, for every event not yet confirmed by a sync server, the SQLite changeset of its
    // materialization, so a rebase can roll it back. Sync turns this on.
    bool recordChangesets = false;
    // How much of store.db opening checks before it reads or writes anything. Damage SQLite finds
    // later (SQLITE_CORRUPT, SQLITE_NOTADB) always fails that call with a message naming the
    // file, and the store refuses writes from then on. Tools that open stores of unknown health
    // (the livestore CLI) use Quick; verify() always runs the full integrity check.
    IntegrityCheck integrityCheck = IntegrityCheck::OnError;
    // Open an existing store for reading only, beside the process that has it open for writing
    // (a tool inspecting a running app's store): no lock is taken and nothing is ever written.
    // Commits and other writes fail. The store must exist, be in the current format and have
    // been built with a schema of the same tables (a read-only open cannot rebuild the state).
    // Queries read the latest committed state, and live queries and eventlogChanged() follow the
    // other processes' commits (watchInterval, refresh()), as for a store open for writing.
    bool readOnly = false;
    // How often, in milliseconds, the Store looks for commits of other processes that have the
    // same store open (PRAGMA data_version: a few microseconds), on the Store's thread; their
    // commits then reach live queries and eventlogChanged(). 0: only on refresh() and before
    // each commit. An in-memory store has no other processes.
    int watchInterval = 15;
    QString clientId;  // generated and persisted when empty
    QString sessionId; // generated and persisted when empty
    MigrationHooks migrations;
    std::function<void(const BootStatus &)> onBootStatus;
};

// Where a streaming import (Store::importJsonLines()) is, and how it ended.
struct LIVESTORE_EXPORT ImportStatus
{
    qint64 events = 0;       // events applied so far (after a failure: before it; none of them stays)
    qint64 line = 0;         // the line being read; after a failure, the line at fault
    qint64 bytesRead = 0;    // of the input
    qint64 bytesTotal = -1;  // the input's size when known (a file), else -1 (a pipe)
    bool inputError = false; // the import failed on its input: a line that is not an event
                             // (UTF-8, JSON, fields) or that breaks the chain (EventChain)
};

struct LIVESTORE_EXPORT ImportOptions
{
    // Names the input in the errors about its lines: "<sourceName>:<line>: ..." (default
    // "line <line>: ...").
    QString sourceName;
    // Called every `progressInterval` events, inside the import's transaction, and once more when
    // every event is applied, before the commit. Returning false cancels the import: it rolls
    // back and fails with "the import was cancelled".
    std::function<bool(const ImportStatus &)> onProgress;
    qint64 progressInterval = 10'000;
    // The longest line taken (an export's lines are events: a few KB); a longer one is an input
    // error at its line, found before the line is held whole. 0: no limit.
    qint64 maxLineBytes = 64ll << 20;
};

struct LIVESTORE_EXPORT EventFilter
{
    QStringList names;               // empty: all
    SequenceNumber after = SequenceNumber::root(); // exclusive
    qint64 limit = -1;
    bool includeClientOnly = true;
};

// A local-first event store: commits append events to the eventlog and materialize them into
// SQLite state in one transaction; queries read that state synchronously; live queries re-run
// after commits that touch what they read.
//
// Errors follow Qt style: functions return false (or an invalid result) and errorString() says why.
// A Store lives in the thread that created it.
class LIVESTORE_EXPORT Store : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Store)
public:
    explicit Store(QObject *parent = nullptr);
    ~Store() override;

    // Opens on the calling thread: file checks, migrations and, after a table change, the replay
    // of the whole eventlog. For a GUI thread, prefer openAsync().
    bool open(const StoreOptions &options);
    // Opens on a worker thread, so that the calling thread keeps running (and a window keeps
    // painting) while the store rebuilds. Returns false at once, with errorString(), for options
    // that cannot work (store id, schema, no directory); otherwise true, and openFinished() follows
    // on this thread. Meanwhile isOpening() is true, isOpen() false, reads and commits fail with
    // "the store is still opening", and bootStatusChanged() and StoreOptions::onBootStatus report
    // progress on this thread. Migration hooks run on the worker thread.
    // Every openAsync() that returned true gets one openFinished(). close(), another openAsync()
    // or destroying the store cancel an open in flight: a rebuild stops at its next batch of
    // events and rolls back (the files stay as they were before), then openFinished(false) with
    // "opening was cancelled" (not when destroying). open() replaces it: openFinished() then
    // tells how that open ended.
    bool openAsync(const StoreOptions &options);
    bool isOpening() const;
    void close();
    bool isOpen() const;

    QString storeId() const;
    QString clientId() const;
    QString sessionId() const;
    QString directory() const;
    const Schema &schema() const;
    QList<TableMigration> migrationReport() const;
    BootStatus bootStatus() const;

    // Commits atomically: all events are appended and materialized, or none is and the store is
    // unchanged. Live queries refresh once, before commit returns.
    bool commit(const Event &event);
    bool commit(const QList<Event> &events);
    bool commit(const QString &name, const QVariantMap &args);

    // One-shot reads of the current state.
    QueryResult query(const Query &query);
    QueryResult query(const QString &sql, const QVariantList &binds = {});

    // Reactive reads.
    LiveQuery liveQuery(const Query &query);
    // A live query that holds only its first `rows` rows and grows by LiveQuery::fetchMore(): for
    // lists of a million rows, of which a view shows a screenful. Needs a query that follows
    // rows (LiveQuery::isIncremental()) without a LIMIT; any other holds its whole result.
    LiveQuery windowedQuery(const Query &query, int rows);
    LiveQuery liveQuery(std::function<Query(Getter &)> build);
    Computed computed(std::function<QVariant(Getter &)> compute);
    ReactiveValue reactiveValue(const QVariant &initial = {});
    Subscription subscribe(const Query &query, std::function<void(const QueryResult &)> callback,
                           SubscribeOptions options = {});
    // Devtools: every live query of this store (models' included), with its SQL, the tables that
    // refresh it, its row count and how often and how long it ran. A snapshot, read-only.
    QList<LiveQueryInfo> liveQueryInfo() const;

    // Client documents: the stored value merged over the declared default (get-or-default), and
    // a partial update committed as the document's Set event.
    QJsonObject clientDocument(const QString &name, const QString &id = {});
    bool setClientDocument(const QString &name, const QJsonObject &value, const QString &id = {});

    // The eventlog.
    SequenceNumber head() const;
    // The number of events in the log; -1 when it cannot be read (a damaged file), with
    // errorString().
    qint64 eventCount() const;
    // The events the filter selects, in log order. When the log cannot be read to the end (a
    // damaged file, a row whose arguments are not JSON any more), it returns the events before
    // that point, sets errorString() naming the event or the damage, and `*ok` (if given) to
    // false: a shorter list alone would look like the end of the log.
    QList<EventRecord> events(const EventFilter &filter = {}, bool *ok = nullptr) const;

    // Appends events taken from elsewhere (an export), keeping their numbers; the store must hold
    // no events yet, and the events must form a chain from the root (EventChain). All or nothing:
    // the first invalid event refuses the whole import. Unknown events follow the schema's policy.
    bool importEvents(const QList<EventRecord> &events);
    // The same from an export read as it goes (JSON lines, as `livestore export` writes them; see
    // EventRecord::fromJsonLine()), in bounded memory whatever its size: each line is read,
    // checked against the chain and applied in one transaction that holds the whole import, so a
    // failure anywhere (a line that is not an event, a broken chain, an event the store refuses,
    // a read error, a cancel) leaves the store as it was. An input without events changes
    // nothing and succeeds. `status` (optional) says how far it got and where it failed.
    // (Not an importEvents() overload: importEvents({}) must stay the empty list.)
    bool importJsonLines(QIODevice *jsonLines, const ImportOptions &options = {},
                         ImportStatus *status = nullptr);
    // importJsonLines() of the file at `path` on a worker thread, for a GUI thread: the worker
    // reads, checks and applies the lines in one transaction on a SQLite connection of its own,
    // while this thread keeps running and its queries read the state as it was. Returns false at
    // once, with errorString(), when it cannot start (no store open for writing, an in-memory
    // store, an import already running, `options.onProgress` set: use importProgress()).
    // Otherwise true; importProgress() follows every `options.progressInterval` events, and
    // importFinished() at the end, on this thread. Meanwhile isImporting() is true and every
    // write fails ("an import is running"). When the events are committed the live queries
    // refresh in one step, and committed() delivers them in pages of 1,000, one page per turn of
    // the event loop, before importFinished(true). cancelImport(), close(), open() and destroying
    // the store stop it: it rolls back and the store is as it was (unless the worker has
    // committed: then the import completes). refresh() waits for it.
    bool importFileAsync(const QString &path, const ImportOptions &options = {});
    bool isImporting() const;
    // Stops an importFileAsync() in flight: importFinished(false), "the import was cancelled".
    // After its commit (while committed() pages go out) it is too late: the import completes.
    void cancelImport();
    // How far the running (or the last) importFileAsync() got, as importProgress() told.
    ImportStatus importStatus() const;

    // Rebuilds the state by replaying the eventlog, with bootStatus progress.
    bool rematerialize();
    // Checks the file (SQLite's integrity_check), the eventlog's chain of numbers and parents
    // (EventChain), then replays the eventlog into a fresh in-memory state and compares it with
    // the stored state. Returns false with a report of the first problem in errorString().
    bool verify();
    // A digest of the user-visible state (all tables, all rows, in key order).
    QByteArray stateDigest();

    // Looks for commits of other processes of this store now (StoreOptions::watchInterval looks
    // by itself, on a thread with an event loop): live queries re-run, and eventlogChanged() is
    // emitted, before it returns. False, with errorString(), when the store cannot be read.
    bool refresh();
    // Whether other processes had the store open when this one opened it (it joined them, and
    // could not have changed its tables).
    bool isShared() const;

    QString errorString() const;

Q_SIGNALS:
    // After openAsync(): the store is open (true), or could not open (false, errorString()).
    void openFinished(bool success);
    void bootStatusChanged(const LiveStore::BootStatus &status);
    // After importFileAsync(): how far it got (every ImportOptions::progressInterval events), and
    // how it ended (false: errorString(), and importStatus() says where).
    void importProgress(const LiveStore::ImportStatus &status);
    void importFinished(bool success);
    // After every successful commit or import, with the events it appended, when something is
    // connected: checked as a commit begins (without, it keeps no records) and as an import ends.
    // An import emits it once it has committed, with its events read back from the eventlog in
    // pages of up to 10,000 (so several times for a large one).
    void committed(const QList<LiveStore::EventRecord> &events);
    // After every successful commit or import through this Store, once, with how many events it
    // appended; after committed() (for an import, after its last committed() page and before
    // importFinished()). Unlike a slot on committed(), a slot here does not make commits keep
    // their records: for code that only needs to know, such as a sync client pushing or a view
    // that reads the log again.
    void eventsCommitted(qint64 count);
    // After events reached the eventlog other than through this Store's commit() or import: pulled
    // by a sync client, or committed, pulled or confirmed by another process of the same store. With
    // `rebased`, history was rewritten too: pending events renumbered on top of pulled ones, or
    // the state rebuilt. Read the log again from a cursor; commits and imports through this
    // Store announce themselves through committed() instead.
    void eventlogChanged(bool rebased);

private:
    bool openNow(const StoreOptions &options);

    friend class StorePrivate;
    friend class SyncEngine;
    std::unique_ptr<StorePrivate> d;
};

// "^[A-Za-z0-9_-]+$", as LiveStore requires.
LIVESTORE_EXPORT bool isValidStoreId(QStringView storeId);

} // namespace LiveStore

#endif // LIVESTORE_STORE_H
