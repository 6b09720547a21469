// SPDX-License-Identifier: BSD-3-Clause
// Internal: the store's machinery. One SQLite database file per store holds the eventlog, the
// materialized state and the store's metadata, so that one SQLite transaction covers an event and
// its materialization: crash-atomic by construction.
#ifndef LIVESTORE_STORE_P_H
#define LIVESTORE_STORE_P_H

#include "database_p.h"
#include "importlines_p.h"
#include "materializercontext.h"
#include "reactive_p.h"
#include "storelock_p.h"
#include "store.h"

#include <QtCore/qset.h>
#include <QtCore/qtimer.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

struct sqlite3_stmt;

namespace LiveStore {

// The on-disk format this build writes (PRAGMA user_version). Newer files are refused.
inline constexpr int StorageFormatVersion = 1;
// How long open() waits for another process that is opening the same store alone (creating,
// upgrading or rebuilding it) before it gives up.
inline constexpr int OpenerWaitMs = 30'000;

// PRAGMA application_id: "LSQT". A database without it is not a LiveStore store.
inline constexpr int ApplicationId = 0x4C535154;

// The eventlog columns StorePrivate::readEventRow() reads, in its order.
inline constexpr char EventColumns[] =
        "seqNumGlobal, seqNumClient, seqNumRebaseGeneration, parentSeqNumGlobal, parentSeqNumClient, "
        "parentSeqNumRebaseGeneration, name, argsJson, clientId, sessionId, schemaHash";

// Real arguments given as integers become doubles, as JSON has them (storereplay.cpp).
void normalizeArgs(EventRecord &r, const EventDef &def);

// What StorePrivate::readEventRow() keeps from row to row when it reads many (a replay): event
// names, client and session ids as shared strings, and the arguments' strict reader.
struct EventRowReader
{
    EventLineParser args;
    EventLineParser::Interner names;
    EventLineParser::Interner clientIds;
    EventLineParser::Interner sessionIds;
};

// What opening a store reads before it decides anything, read in one SQLite read transaction
// (storeopen.cpp, readOpenSnapshot()): each statement run on its own takes and drops the WAL's read
// lock with system calls of its own, and opening a current store used to run a dozen of them.
struct OpenSnapshot
{
    qint64 applicationId = 0; // PRAGMA application_id
    qint64 schemaObjects = 0; // count(*) of sqlite_schema
    qint64 userVersion = 0;   // PRAGMA user_version
    // A store in the current format: what its system tables hold.
    bool haveState = false;
    QHash<QString, QString> meta; // __livestore_meta, values as text
    QList<std::pair<QString, qint32>> eventDefinitions; // __livestore_schema_event_defs
    SequenceNumber head;
    QSet<QString> tables, indexes; // the names in sqlite_schema
    // The baseline for following other processes (otherprocesses.cpp), read in the same
    // transaction: PRAGMA data_version and the confirmed head of __livestore_sync_status.
    qint64 dataVersion = -1;
    qint64 upstreamHead = 0;
};

class StorePrivate
{
public:
    explicit StorePrivate(Store *q);

    bool open(const StoreOptions &options);
    void close();

    bool fail(const QString &message);
    // "<file> is damaged (<detail>). ..." with what to do about it.
    QString damagedMessage(const QString &detail) const;
    QString damagedPrefix() const;
    // Open and not damaged; else false with the error set.
    bool checkWritable();
    void setBootStatus(BootStatus::Stage stage, qint64 done = 0, qint64 total = 0);

    struct EventRuntime; // below
    // Checks and encodes one event into `record` (no I/O; numbered by commit()). Null, with the
    // error set, for an unknown event or wrong arguments. With `reuseBuffers`, the record's own
    // args text buffer is written over (the record is dropped before the next event).
    const EventRuntime *prepareEvent(const Event &event, EventRecord *record, bool reuseBuffers);
    bool commit(const QList<Event> &events);

    // Applies one event's materializer to `db` and adds the written tables to `touched`.
    // With `changeset`, also records the changeset of its writes (changecapture_p.h).
    bool materialize(Database &db, const EventRecord &event, const EventDef &def,
                     QSet<QString> *touched, QByteArray *changeset = nullptr);
    bool runWrites(Database &db, const EventRecord &event, const Writes &writes,
                   QSet<QString> *touched);
    bool runSqlMaterializer(Database &db, const EventRecord &event, const EventDef &def,
                            QSet<QString> *touched);
    bool checkDeterminism(Database &db, const EventRecord &event, const EventDef &def);
    // `runtime` is the event's, when the caller has it at hand; else it is looked up.
    bool insertEventRecord(const EventRecord &event, const EventRuntime *runtime = nullptr);
    bool insertChangeset(const SequenceNumber &seqNum, const QByteArray &changeset);
    bool ensureChangesetTable();
    // Applies an event of the shared history (pulled, re-applied by a rebase, replayed): unlike
    // a local commit it cannot be refused, so one whose arguments or materializer fail follows the
    // schema's FailedEventPolicy (Skipped: its writes undone, `lastSkipped` set). Unknown events
    // follow the unknown-event policy. Sets the event's schemaHash.
    enum class HistoryResult { Applied, Skipped, Failed };
    // With `replaySkips` (a replay of the log), only the events recorded there may be skipped.
    HistoryResult applyHistoryEvent(Database &db, EventRecord &event, QSet<QString> *touched,
                                    QByteArray *changeset = nullptr,
                                    const QSet<QString> *replaySkips = nullptr);
    // Skipped events are recorded (__livestore_skipped_events, by sequence number), so that a
    // replay skips the same events and no others.
    bool recordSkip(const EventRecord &event, const QString &reason);
    QSet<QString> recordedSkips();
    // Set by the sync engine while its rebase replays a log that holds pulled events not yet
    // applied: they meet the failed-event policy, not just the recorded skips.
    bool replayAppliesPolicy = false;
    FailedEvent lastSkipped;
    bool determinismFailed = false; // set by materialize() when StoreOptions::checkDeterminism fails
    // Unknown events: apply the schema's policy. Returns false (error set) under Fail.
    bool handleUnknownEvent(const EventRecord &event, const QString &reason);
    void warnDeprecations(const EventRecord &event, const EventDef &def);

    QueryResult read(Database &db, const Query &query, QStringList *tables,
                     Database::RowReuse reuse = Database::RowReuse::WhenRepeated);

    // State (re)building.
    bool createSystemTables();
    bool loadMetadata();
    bool checkRemovedEventDefinitions();
    bool updateEventDefinitionRegistry();
    // Records the schema in __livestore_meta (key "schema", Schema::toJson()) when it differs.
    // An event whose C++ materializer the schema names but lacks (EventDef::cppMaterializerMissing).
    static QString missingMaterializerMessage(const EventRecord &event);
    bool createStateTables(Database &db);
    // open(): the schema's tables and indexes are all there already (from openSnapshot).
    bool stateTablesExist() const;
    bool validateSqlMaterializers(Database &db);
    bool rebuildState(bool reportProgress);
    // The same inside a transaction the caller holds (the sync engine's rebase by replay).
    bool rebuildStateInTransaction(bool reportProgress);
    bool replayEventlog(Database &target, bool reportProgress);
    bool runHook(const std::function<bool(MigrationContext &)> &hook, const char *name);
    QByteArray digest(Database &db);

    QString metaValue(const char *key);
    // While open() runs: what it read up front (null when it could not, or for a new store).
    const OpenSnapshot *openSnapshot = nullptr;
    bool setMetaValue(const char *key, const QVariant &value);
    bool loadHead();
    // The whole eventlog read once through EventChain (verify()).
    bool checkEventChain();

    // With `reader`, the strings that repeat from row to row are shared, and the arguments are
    // read without Qt's JSON classes where its strict reader takes them (a replay).
    static std::optional<EventRecord> readEventRow(sqlite3_stmt *stmt, QString *error,
                                                   EventRowReader *reader = nullptr);
    // Binds an eventlog row's numbers, the first six columns of EventColumns, to ?1..?6.
    static void bindEventNumbers(sqlite3_stmt *stmt, const EventRecord &event);

    // Store::openAsync() (storeopen.cpp): a second StorePrivate opens on a worker thread while the
    // Store's own, closed, one answers the caller's thread; when the worker is done the Store
    // takes the worker's in one step. On the worker's side boot status is posted to the Store's
    // thread instead of emitted, and the replay stops when `cancelRequested` is set.
    struct AsyncOpen;
    std::unique_ptr<AsyncOpen> asyncOpen;               // the caller's side: the job in flight
    bool opening = false;                               // the caller's side, while a job runs
    const std::atomic<bool> *cancelRequested = nullptr; // the worker's side
    std::function<void(const BootStatus &)> postBootStatus; // the worker's side
    bool cancelled() const { return cancelRequested && cancelRequested->load(std::memory_order_relaxed); }
    // "the store is not open", or why not yet.
    QString notOpenMessage() const;
    static void deliverAsyncBootStatus(Store *q, quint64 job, const BootStatus &status);
    static void finishAsyncOpen(Store *q, quint64 job);
    // Stops a job in flight (waits for its worker to notice); with `announce`, openFinished(false).
    static void cancelAsyncOpen(Store *q, bool announce);

    // Store::importFileAsync() (storeimport.cpp): a worker thread imports through a second
    // StorePrivate opened beside this one (openBeside()); this side refuses writes meanwhile,
    // takes in the commit as another connection's, and hands committed() out in pages.
    struct AsyncImport;
    std::unique_ptr<AsyncImport> asyncImport; // the store's side: the job in flight
    ImportStatus importStatus;                // as last posted by the worker
    // The worker's side, with options, schema, ids and head copied from the open store: a
    // second connection to its file. No lock (the store holds it), no checks, nothing written.
    bool openBeside();
    static void deliverImportProgress(Store *q, quint64 job, const ImportStatus &status);
    static void finishAsyncImport(Store *q, quint64 job);
    static void emitImportedPage(Store *q, quint64 job);
    // Stops a job in flight and waits for its worker; with `announce`, importFinished() (true
    // only when the worker had committed).
    static void cancelAsyncImport(Store *q, bool announce);

    StorePrivate(const StorePrivate &) = delete;
    StorePrivate &operator=(const StorePrivate &) = delete;
    ~StorePrivate();

    Store *q;
    StoreOptions options;
    Schema schema;
    Database db;
    std::unique_ptr<detail::Graph> graph;
    StoreLock lock;
    QString error;
    BootStatus boot;
    QList<TableMigration> migrationReport;
    SequenceNumber head;
    QString clientId;
    QString sessionId;
    bool isOpen = false;

    // Other processes of this store (otherprocesses.cpp; architecture.md, "Several processes on
    // one store"). Their commits are seen through PRAGMA data_version, which changes when any
    // other connection commits: polled by `watchTimer`, and looked at by every write
    // transaction before it numbers events.
    bool sharedWithOthers = false; // joined processes that had it open: the tables stay as they are
    qint64 dataVersion = -1;       // PRAGMA data_version when this Store last looked
    qint64 rewrites = 0;           // __livestore_meta "rewrites" then
    bool othersAppended = false;   // since the last announcement: events others committed or pulled
    bool othersRewrote = false;    // ... or history others rewrote (a rebase, a rebuild)
    bool othersConfirmed = false;  // ... or events a sync server confirmed (the upstream head moved)
    qint64 upstreamHead = -1;      // __livestore_sync_status's head as last seen
    std::unique_ptr<QTimer> watchTimer;
    // Whether another connection committed since the last look; if so reloads the head and
    // notes what changed. Returns false (error set) when the store cannot be read.
    bool noticeOtherProcesses();
    // What noticeOtherProcesses() found, once. When others wrote to the log, every table is added
    // to `tables` (a commit of another process may have written any of them).
    struct OthersChanges
    {
        bool any = false;     // eventlogChanged() is due
        bool tables = false;  // every table was added: the row changes of this Store's own
                              // session do not tell the whole story
        bool rewrote = false; // eventlogChanged(true)
    };
    OthersChanges takeOthersChanges(QSet<QString> *tables);
    // The same, told to the live queries and through eventlogChanged().
    void announceOthersChanges();
    // Called by every write that rewrites history or state rather than appending to it (a
    // rebase, a rebuild, a reset), inside its transaction: other processes re-read everything.
    bool recordRewrite();
    // On the Store's thread, once open: starts polling for other processes' commits.
    void startWatching();

    // Per event name, what the commit path needs, computed once at open: hashing a definition
    // or converting names on every commit showed up as a third of a commit's cost.
    struct EventRuntime
    {
        const EventDef *def = nullptr;
        qint32 hash = 0;
        QByteArray nameUtf8;
        QList<QByteArray> argKeys; // per declared argument: `"name":`, as the args JSON writes it
    };
    QHash<QString, EventRuntime> eventRuntime;
    QByteArray clientIdUtf8;
    QByteArray sessionIdUtf8;
    // Scratch space reused from event to event (its capacity stays): the args JSON while it is
    // written, the UTF-8 of a materializer's text binds until its statement ran.
    QByteArray jsonScratch;
    QByteArray bindScratch;
    // The eventlog insert, prepared at its first use and kept until close(): our own, because the
    // statement cache may evict its entries, and its text binds point at bytes we keep.
    sqlite3_stmt *insertEventStatement = nullptr;
    void buildEventRuntime();
    const EventRuntime *findEvent(const QString &name) const
    {
        const auto it = eventRuntime.constFind(name);
        return it == eventRuntime.cend() ? nullptr : &*it;
    }
};

// Store::importFileAsync()'s job (storeimport.cpp).
struct StorePrivate::AsyncImport
{
    quint64 id = 0;
    std::atomic<bool> cancel{false};
    std::unique_ptr<StorePrivate> worker; // used only by the thread until it is joined
    std::thread thread;
    // Written by the thread before it posts its end.
    bool succeeded = false;
    bool damaged = false; // its connection found the file damaged: so is the store's
    QString error;
    ImportStatus status;
    SequenceNumber last; // the last imported event; root when the input had none
    // The store's side: the worker's end taken in (a committed import's committed() pages may
    // still be going out).
    bool takenIn = false;
    SequenceNumber pageAfter = SequenceNumber::root();
};

} // namespace LiveStore

#endif // LIVESTORE_STORE_P_H
