// SPDX-License-Identifier: BSD-3-Clause
#include "store.h"

#include "changesetrun_p.h"
#include "eventchain.h"
#include "jsonwriter_p.h"
#include "logging_p.h"
#include "sqlutil_p.h"
#include "store_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qcryptographichash.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qmutex.h>
#include <QtCore/qrandom.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qthread.h>
#include <QtCore/qvarlengtharray.h>

#include <sqlite3.h>

#include <cstring>
#include <exception>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

constexpr const char *EventlogTable = "__livestore_eventlog";

QString randomId(int length)
{
    static constexpr char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    QString id;
    id.reserve(length);
    for (int i = 0; i < length; ++i)
        id += QLatin1Char(alphabet[QRandomGenerator::system()->bounded(64)]);
    return id;
}

// Deprecation warnings are per process, as in LiveStore: once per event name or field.
QSet<QString> &warnedDeprecations()
{
    static QSet<QString> warned;
    return warned;
}
QMutex warnedMutex;

// A transaction that rolls back unless committed; commit failures roll back too.
class Transaction
{
public:
    // Through the statement cache: parsing BEGIN and COMMIT anew cost ~5% of a single commit.
    explicit Transaction(Database &db) : m_db(db) { m_active = db.execCached(u"BEGIN IMMEDIATE"_s); }
    ~Transaction()
    {
        if (m_active)
            m_db.execCached(u"ROLLBACK"_s);
    }
    bool isActive() const { return m_active; }
    bool commit()
    {
        if (!m_active)
            return false;
        if (!m_db.execCached(u"COMMIT"_s))
            return false; // destructor rolls back
        m_active = false;
        return true;
    }

private:
    Database &m_db;
    bool m_active = false;
};

// Runs `sql` to its end straight through SQLite (no statement cache: opening reads each of these
// once), calling `row` for each row; false when SQLite fails or `row` does. Says nothing about a
// failure: the caller falls back to the statements that word it.
template<typename RowFunction>
bool readRows(sqlite3 *db, const char *sql, RowFunction row)
{
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return false;
    }
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        ok = row(stmt);
    sqlite3_finalize(stmt);
    return ok && rc == SQLITE_DONE;
}

QString columnText(sqlite3_stmt *stmt, int column)
{
    return QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, column)),
                             sqlite3_column_bytes(stmt, column));
}

// Fills `out` in one read transaction: the format markers, and, for a store in the current format
// whose state it may trust without an integrity check first (`readState`), what its system tables
// hold. False when the markers cannot be read (open() then asks again, to say why); state it
// cannot read is left out (haveState false) and read again the usual way.
bool readOpenSnapshot(Database &db, OpenSnapshot *out, bool readState)
{
    sqlite3 *h = db.handle();
    if (sqlite3_exec(h, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
        return false;
    const auto end = qScopeGuard([h] { sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr); });
    const auto integer = [](qint64 *value) {
        return [value](sqlite3_stmt *stmt) {
            *value = sqlite3_column_int64(stmt, 0);
            return true;
        };
    };
    if (!readRows(h, "PRAGMA application_id", integer(&out->applicationId))
        || !readRows(h, "SELECT count(*) FROM sqlite_schema", integer(&out->schemaObjects))
        || !readRows(h, "PRAGMA user_version", integer(&out->userVersion)))
        return false;
    if (!readState || out->applicationId != ApplicationId || out->userVersion != StorageFormatVersion)
        return true;
    OpenSnapshot state;
    state.haveState =
            readRows(h, "SELECT key, value FROM __livestore_meta",
                     [&state](sqlite3_stmt *stmt) {
                         // As metaValue() reads them: NULL as an empty string, integers in decimal.
                         const int type = sqlite3_column_type(stmt, 1);
                         if (type != SQLITE_TEXT && type != SQLITE_INTEGER && type != SQLITE_NULL)
                             return false; // not what this store writes: read it the usual way
                         state.meta.insert(columnText(stmt, 0),
                                           type == SQLITE_NULL ? QString() : columnText(stmt, 1));
                         return true;
                     })
            && readRows(h, "SELECT eventName, schemaHash FROM __livestore_schema_event_defs",
                        [&state](sqlite3_stmt *stmt) {
                            state.eventDefinitions.append(
                                    {columnText(stmt, 0), qint32(sqlite3_column_int64(stmt, 1))});
                            return true;
                        })
            && readRows(h, "SELECT seqNumGlobal, seqNumClient, seqNumRebaseGeneration FROM "
                           "__livestore_eventlog ORDER BY seqNumGlobal DESC, seqNumClient DESC LIMIT 1",
                        [&state](sqlite3_stmt *stmt) {
                            state.head = {sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
                                          sqlite3_column_int64(stmt, 2)};
                            return true;
                        })
            && readRows(h, "PRAGMA data_version", integer(&state.dataVersion))
            && readRows(h, "SELECT head FROM __livestore_sync_status WHERE id = 1",
                        integer(&state.upstreamHead))
            && readRows(h, "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'index')",
                        [&state](sqlite3_stmt *stmt) {
                            const bool table = qstrcmp(reinterpret_cast<const char *>(
                                                               sqlite3_column_text(stmt, 0)),
                                                       "table") == 0;
                            (table ? state.tables : state.indexes).insert(columnText(stmt, 1));
                            return true;
                        });
    if (state.haveState) {
        out->haveState = true;
        out->meta = std::move(state.meta);
        out->eventDefinitions = std::move(state.eventDefinitions);
        out->head = state.head;
        out->tables = std::move(state.tables);
        out->indexes = std::move(state.indexes);
        out->dataVersion = state.dataVersion;
        out->upstreamHead = state.upstreamHead;
    }
    return true;
}

} // namespace

bool isValidStoreId(QStringView storeId)
{
    if (storeId.isEmpty())
        return false;
    for (QChar c : storeId) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
                || u == '_' || u == '-';
        if (!ok)
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Contexts handed to user code
// ---------------------------------------------------------------------------------------------

QueryResult MaterializerContext::query(const Query &query)
{
    return m_store->read(*m_db, query, nullptr);
}

QueryResult MaterializerContext::query(const QString &sql, const QVariantList &binds)
{
    return query(Query::sql(sql, binds));
}

bool MigrationContext::exec(const Query &query)
{
    const Query::Compiled c = query.compile(&m_store->schema);
    if (!c.error.isEmpty()) {
        m_error = c.error;
        return false;
    }
    Database::Statement *s = m_store->db.prepare(c.sql);
    if (s && !s->outsideState.isEmpty()) {
        m_error = u"migration hooks may change only the schema's tables: "_s + s->outsideState;
        return false;
    }
    if (!s || !m_store->db.execute(s, c.binds, c.namedBinds)) {
        m_error = m_store->db.lastError();
        return false;
    }
    return true;
}

QueryResult MigrationContext::query(const Query &query)
{
    return m_store->read(m_store->db, query, nullptr);
}

// ---------------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------------

bool StorePrivate::fail(const QString &message)
{
    // Whatever the operation, damage SQLite found on the way is what the user must hear about.
    error = db.isDamaged() ? damagedMessage(message) : message;
    return false;
}

QString StorePrivate::damagedMessage(const QString &detail) const
{
    if (detail.startsWith(damagedPrefix()))
        return detail;
    return damagedPrefix() + u" (%1). Nothing more is written to it. Restore the store directory from a "
                             "backup, or move it aside so that the app starts afresh and syncs its "
                             "events again"_s.arg(detail);
}

QString StorePrivate::damagedPrefix() const
{
    const QString file = options.inMemory ? u"the in-memory store"_s
                                          : QDir(options.directory).filePath(u"store.db"_s);
    return u"%1 is damaged"_s.arg(file);
}

void StorePrivate::bindEventNumbers(sqlite3_stmt *stmt, const EventRecord &event)
{
    sqlite3_bind_int64(stmt, 1, event.seqNum.global);
    sqlite3_bind_int64(stmt, 2, event.seqNum.client);
    sqlite3_bind_int64(stmt, 3, event.seqNum.rebaseGeneration);
    sqlite3_bind_int64(stmt, 4, event.parentSeqNum.global);
    sqlite3_bind_int64(stmt, 5, event.parentSeqNum.client);
    sqlite3_bind_int64(stmt, 6, event.parentSeqNum.rebaseGeneration);
}

QString StorePrivate::notOpenMessage() const
{
    return opening ? u"the store is still opening (openAsync)"_s : u"the store is not open"_s;
}

bool StorePrivate::checkWritable()
{
    if (!isOpen)
        return fail(notOpenMessage());
    if (options.readOnly)
        return fail(u"the store is open read-only"_s);
    if (db.isDamaged())
        return fail(u"writes are refused"_s);
    return true;
}

void StorePrivate::setBootStatus(BootStatus::Stage stage, qint64 done, qint64 total)
{
    boot = {stage, done, total};
    if (postBootStatus) {
        postBootStatus(boot); // an open on a worker thread: reported on the store's thread
        return;
    }
    if (options.onBootStatus)
        options.onBootStatus(boot);
    Q_EMIT q->bootStatusChanged(boot);
}

bool StorePrivate::open(const StoreOptions &opts)
{
    close();
    error.clear();
    migrationReport.clear();
    options = opts;
    schema = opts.schema;

    if (!isValidStoreId(opts.storeId))
        return fail(u"invalid store id \"%1\": use letters, digits, '_' and '-' only"_s.arg(opts.storeId));
    if (const QString problems = schema.validate(); !problems.isEmpty())
        return fail(u"invalid schema: "_s + problems);
    if (!opts.inMemory && opts.directory.isEmpty())
        return fail(u"no store directory given (set StoreOptions::directory or inMemory)"_s);
    if (opts.readOnly && opts.inMemory)
        return fail(u"an in-memory store cannot be opened read-only"_s);

    setBootStatus(BootStatus::Loading);

    QString path = u":memory:"_s;
    bool exists = false;
    if (opts.readOnly) {
        // Beside a writer: no directory made, no lock taken, the file only read.
        path = QDir(opts.directory).filePath(u"store.db"_s);
        if (!QFileInfo::exists(path))
            return fail(u"there is no store in %1 (a read-only open does not create one)"_s.arg(opts.directory));
        exists = true;
    } else if (!opts.inMemory) {
        const QFileInfo dirInfo(opts.directory);
        if (dirInfo.exists() && !dirInfo.isDir())
            return fail(u"%1 is not a directory"_s.arg(opts.directory));
        if (!dirInfo.isDir() && !QDir().mkpath(opts.directory))
            return fail(u"cannot create the store directory %1"_s.arg(opts.directory));
        // The lock file and SQLite's WAL live beside store.db: a directory we cannot write to
        // would otherwise look like a lock held by somebody else.
        if (!QFileInfo(opts.directory).isWritable())
            return fail(u"the store directory %1 is not writable (check its permissions, or whether "
                        "its file system is mounted read-only)"_s.arg(opts.directory));
        // Shared with the other processes that have the store open (storelock_p.h); alone, this
        // open may create, upgrade or rebuild the store, and then lets the others join.
        const QString lockPath = QDir(opts.directory).filePath(u"store.lock"_s);
        switch (lock.tryLock(lockPath, StoreLock::Mode::Shared, OpenerWaitMs)) {
        case StoreLock::Result::Locked:
            break;
        case StoreLock::Result::Joined:
            sharedWithOthers = true;
            break;
        case StoreLock::Result::PermissionDenied:
            return fail(u"cannot create the lock file %1: permission denied"_s.arg(lockPath));
        case StoreLock::Result::Failed:
            return fail(u"cannot lock %1: %2"_s.arg(lockPath, lock.errorString()));
        case StoreLock::Result::Held:
            if (lock.ownerPid() == QCoreApplication::applicationPid())
                return fail(u"the store in %1 is already open in this process"_s.arg(opts.directory));
            // An older build (one process per store), or one opening alone for longer than we
            // wait (rebuilding a large state).
            return fail(u"the store in %1 is in use by another process (pid %2%3)"_s.arg(
                    opts.directory, QString::number(lock.ownerPid()),
                    lock.ownerApp().isEmpty() ? QString() : u", "_s + lock.ownerApp()));
        }
        path = QDir(opts.directory).filePath(u"store.db"_s);
        exists = QFileInfo::exists(path);
    }

    if (!db.open(path, !opts.readOnly, opts.readOnly))
        return fail(db.lastError());

    // Look before writing anything: a foreign or newer file must stay untouched.
    bool current = false;
    OpenSnapshot snapshot;
    const auto forgetSnapshot = qScopeGuard([this] { openSnapshot = nullptr; });
    if (exists) {
        // What opening reads comes in one read transaction; when the markers cannot be read,
        // the statements below read them again to say why.
        if (!readOpenSnapshot(db, &snapshot, opts.integrityCheck == IntegrityCheck::OnError)) {
            Database::Statement *s = db.prepare(u"PRAGMA application_id"_s);
            const QueryResult appId = s ? db.run(s) : QueryResult::failure(db.lastError());
            if (!appId.isValid()) {
                const QString reason = appId.errorString();
                close();
                return fail(u"%1 is not a LiveStore store: %2"_s.arg(path, reason));
            }
            const QueryResult tables = db.run(db.prepare(u"SELECT count(*) FROM sqlite_schema"_s));
            const QueryResult userVersion = db.run(db.prepare(u"PRAGMA user_version"_s));
            if (!tables.isValid() || !userVersion.isValid()) {
                // A schema row SQLite cannot parse, for instance: the file is damaged, not foreign.
                const QString reason = !tables.isValid() ? tables.errorString() : userVersion.errorString();
                if (!db.isDamaged())
                    db.checkIntegrity(false);
                fail(u"cannot read %1: %2"_s.arg(path, reason));
                const QString message = error;
                close();
                return fail(message);
            }
            snapshot = {};
            snapshot.applicationId = appId.scalar().toLongLong();
            snapshot.schemaObjects = tables.scalar().toLongLong();
            snapshot.userVersion = userVersion.scalar().toLongLong();
        }
        const qint64 id = snapshot.applicationId;
        if (id != ApplicationId && !(id == 0 && snapshot.schemaObjects == 0)) {
            close();
            return fail(u"%1 is not a LiveStore store (it is an SQLite database of another application)"_s.arg(path));
        }
        const qint64 version = snapshot.userVersion;
        if (version > StorageFormatVersion) {
            close();
            return fail(u"%1 was written in storage format %2, newer than this build reads (%3); "
                        "open it with a newer LiveStore"_s.arg(path).arg(version).arg(StorageFormatVersion));
        }
        current = id == ApplicationId && version == StorageFormatVersion;
        db.clearStatementCache();
        if (opts.integrityCheck != IntegrityCheck::OnError) {
            const QStringList problems = db.checkIntegrity(opts.integrityCheck == IntegrityCheck::Full);
            if (!problems.isEmpty()) {
                fail(problems.join(u"; "_s));
                const QString message = error;
                close();
                return fail(message);
            }
        }
    }

    if (current && snapshot.haveState)
        openSnapshot = &snapshot;
    if (sharedWithOthers && !current)
        return fail(u"%1 is open in another process, and is not in this build's storage format; "
                    "close the other processes to upgrade it"_s.arg(path));
    if (opts.readOnly && !current)
        return fail(u"%1 is in an older storage format: open it once for writing to upgrade it, "
                    "then read-only"_s.arg(path));
    if (!opts.inMemory && !opts.readOnly) {
        if (!db.exec("PRAGMA journal_mode = WAL"))
            return fail(db.lastError());
        if (!db.exec(opts.durability == Durability::PowerLoss ? "PRAGMA synchronous = FULL"
                                                              : "PRAGMA synchronous = NORMAL"))
            return fail(db.lastError());
        // Checkpoints of the log (10 ms and more each) off this thread (walcheckpointer_p.h).
        if (!db.checkpointInBackground(path))
            qCWarning(lcStore, "%s: checkpointing in the committing thread", qUtf8Printable(db.lastError()));
    }
    db.exec("PRAGMA cache_size = -8000");
    db.exec("PRAGMA foreign_keys = OFF");
    db.setSchema(&schema);

    // A store in the current format has its system tables: opening it writes nothing.
    // Before anything replays events: the replay applies them through it.
    buildEventRuntime();
    if ((!current && !createSystemTables()) || !loadMetadata())
        return false;
    if (!checkRemovedEventDefinitions())
        return false;

    const QString storedHash = openSnapshot ? openSnapshot->meta.value(u"stateHash"_s) : metaValue("stateHash");
    const bool rebuild = storedHash.isEmpty() || storedHash.toInt() != schema.stateHash();
    if (rebuild && sharedWithOthers) {
        return fail(u"the store in %1 is open in another process with a schema of other tables "
                    "(their state hash %2, this schema's %3): the state can be rebuilt for this "
                    "schema only when no other process has the store open"_s.arg(
                            opts.directory, storedHash, QString::number(schema.stateHash())));
    }
    if (rebuild && opts.readOnly) {
        return fail(u"the state in %1 was built with a schema of other tables; a read-only open "
                    "cannot rebuild it: open it with the schema it was written with, or for "
                    "writing"_s.arg(path));
    }
    if (rebuild && !rebuildState(true))
        return false;
    // The schema as a schema file, so that a tool can open the store without the app
    // (Schema::fromStore()); recorded only when it changed, so that opening stays write-free.
    const QString schemaJson = QString::fromUtf8(schema.toJson(QJsonDocument::Compact));
    const QString recordedSchema = openSnapshot ? openSnapshot->meta.value(u"schema"_s) : metaValue("schema");
    if (!rebuild) {
        // A schema is recorded only after its SQL materializers compiled against these very
        // tables: the same schema over the same tables need not compile them again.
        const bool tablesExist = stateTablesExist();
        if ((!tablesExist && !createStateTables(db))
            || ((!tablesExist || recordedSchema != schemaJson) && !validateSqlMaterializers(db)))
            return false;
    }
    if (!opts.readOnly
        && (!updateEventDefinitionRegistry()
            || (recordedSchema != schemaJson && !setMetaValue("schema", schemaJson))))
        return false;
    if (!loadHead())
        return false;
    // A store that syncs keeps changesets for its pending events, in every process that commits
    // to it: the process that syncs rolls them back for a rebase.
    if (!opts.readOnly && openSnapshot
        && openSnapshot->tables.contains(u"__livestore_session_changeset"_s))
        options.recordChangesets = true;
    if (options.recordChangesets && !opts.readOnly && !ensureChangesetTable())
        return false;

    // Opened alone (the lock kept everyone else out since the snapshot was read): what the
    // snapshot read is the baseline for following other processes, with nothing read again.
    if (openSnapshot && !rebuild && !sharedWithOthers && !opts.readOnly && !opts.inMemory) {
        dataVersion = openSnapshot->dataVersion;
        rewrites = openSnapshot->meta.value(u"rewrites"_s).toLongLong();
        upstreamHead = openSnapshot->upstreamHead;
    }
    graph = std::make_unique<detail::Graph>(
            [this](const Query &query, QStringList *tables) { return read(db, query, tables); },
            [this](const Query &query, int window) {
                return detail::IncrementalPlan::make(db, schema, query, window);
            },
            [this] { db.completeSuspendedWork(); });
    isOpen = true;
    lock.share(); // opened alone: the others may join now
    setBootStatus(BootStatus::Done);
    qCDebug(lcStore) << "opened store" << opts.storeId << "at" << path << "head" << head.toString();
    return true;
}

void StorePrivate::close()
{
    watchTimer.reset();
    graph.reset();
    sqlite3_finalize(insertEventStatement);
    insertEventStatement = nullptr;
    db.close();
    lock.unlock();
    isOpen = false;
    head = SequenceNumber::root();
    sharedWithOthers = false;
    dataVersion = -1;
    rewrites = 0;
    othersAppended = othersRewrote = othersConfirmed = false;
    upstreamHead = -1;
}

bool StorePrivate::createSystemTables()
{
    Transaction tx(db);
    if (!tx.isActive())
        return fail(db.lastError());
    const QString statements[] = {
        u"PRAGMA application_id = %1"_s.arg(ApplicationId),
        u"PRAGMA user_version = %1"_s.arg(StorageFormatVersion),
        u"CREATE TABLE IF NOT EXISTS __livestore_meta (key TEXT PRIMARY KEY NOT NULL, value ANY) STRICT"_s,
        u"CREATE TABLE IF NOT EXISTS __livestore_eventlog ("
          "seqNumGlobal INTEGER NOT NULL, seqNumClient INTEGER NOT NULL, "
          "seqNumRebaseGeneration INTEGER NOT NULL, parentSeqNumGlobal INTEGER NOT NULL, "
          "parentSeqNumClient INTEGER NOT NULL, parentSeqNumRebaseGeneration INTEGER NOT NULL, "
          "name TEXT NOT NULL, argsJson TEXT NOT NULL, clientId TEXT NOT NULL, "
          "sessionId TEXT NOT NULL, schemaHash INTEGER NOT NULL, syncMetadataJson TEXT, "
          "PRIMARY KEY (seqNumGlobal, seqNumClient, seqNumRebaseGeneration)) WITHOUT ROWID, STRICT"_s,
        u"CREATE TABLE IF NOT EXISTS __livestore_sync_status (id INTEGER PRIMARY KEY CHECK (id = 1), "
          "head INTEGER NOT NULL, backendId TEXT) STRICT"_s,
        u"INSERT OR IGNORE INTO __livestore_sync_status (id, head) VALUES (1, 0)"_s,
        u"CREATE TABLE IF NOT EXISTS __livestore_schema (tableName TEXT PRIMARY KEY NOT NULL, "
          "schemaHash INTEGER NOT NULL, updatedAt TEXT NOT NULL) STRICT"_s,
        u"CREATE TABLE IF NOT EXISTS __livestore_schema_event_defs (eventName TEXT PRIMARY KEY NOT NULL, "
          "schemaHash INTEGER NOT NULL, updatedAt TEXT NOT NULL) STRICT"_s,
    };
    for (const QString &s : statements) {
        if (!db.exec(s))
            return fail(u"cannot initialize the store: "_s + db.lastError());
    }
    if (!tx.commit())
        return fail(u"cannot initialize the store: "_s + db.lastError());
    return true;
}

QString StorePrivate::metaValue(const char *key)
{
    Database::Statement *s = db.prepare(u"SELECT value FROM __livestore_meta WHERE key = ?"_s);
    if (!s)
        return {};
    return db.run(s, {QString::fromLatin1(key)}).scalar().toString();
}

bool StorePrivate::setMetaValue(const char *key, const QVariant &value)
{
    Database::Statement *s = db.prepare(
            u"INSERT INTO __livestore_meta (key, value) VALUES (?, ?) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"_s);
    if (!s || !db.execute(s, {QString::fromLatin1(key), value}))
        return fail(db.lastError());
    return true;
}

bool StorePrivate::loadMetadata()
{
    // Read once each (from what open() read up front, when it did).
    const auto stored = [this](const char *key) {
        return openSnapshot ? openSnapshot->meta.value(QLatin1StringView(key)) : metaValue(key);
    };
    const QString storedId = stored("storeId");
    if (!storedId.isEmpty() && storedId != options.storeId)
        return fail(u"the store directory %1 holds store \"%2\", not \"%3\""_s.arg(
                options.directory, storedId, options.storeId));
    const QString storedClientId = stored("clientId");
    const QString storedSessionId = stored("sessionId");
    clientId = options.clientId.isEmpty() ? storedClientId : options.clientId;
    if (clientId.isEmpty())
        clientId = randomId(6);
    // Each process is a session of its own (as each tab of a browser is in LiveStore): the one
    // that opened the store first keeps the recorded session, the others get new ones, which
    // they do not record.
    sessionId = options.sessionId.isEmpty() && !sharedWithOthers ? storedSessionId : options.sessionId;
    if (sessionId.isEmpty())
        sessionId = randomId(6);
    clientIdUtf8 = clientId.toUtf8();
    sessionIdUtf8 = sessionId.toUtf8();
    const bool storeIdMissing = storedId.isEmpty();
    const bool clientIdChanged = storedClientId != clientId;
    const bool sessionIdChanged = !sharedWithOthers && storedSessionId != sessionId;
    if (options.readOnly || (!storeIdMissing && !clientIdChanged && !sessionIdChanged))
        return true; // read-only: ids given or generated are used, not recorded
    Transaction tx(db);
    if ((storeIdMissing && !setMetaValue("storeId", options.storeId))
        || (clientIdChanged && !setMetaValue("clientId", clientId))
        || (sessionIdChanged && !setMetaValue("sessionId", sessionId)))
        return false;
    if (!tx.commit())
        return fail(db.lastError());
    return true;
}

bool StorePrivate::checkRemovedEventDefinitions()
{
    QStringList registered;
    if (openSnapshot) {
        for (const auto &[name, hash] : openSnapshot->eventDefinitions)
            registered.append(name);
    } else {
        Database::Statement *defs = db.prepare(u"SELECT eventName FROM __livestore_schema_event_defs"_s);
        if (!defs)
            return fail(db.lastError());
        // Held in a variable: a range-for over a temporary's rows() would read freed rows.
        const QueryResult rows = db.run(defs);
        for (const QVariantList &row : rows.rows())
            registered.append(row.at(0).toString());
    }
    QStringList problems;
    for (const QString &name : std::as_const(registered)) {
        if (schema.event(name))
            continue;
        const qint64 count = db.run(db.prepare(u"SELECT count(*) FROM __livestore_eventlog WHERE name = ?"_s),
                                    {name}).scalar().toLongLong();
        if (count > 0)
            problems.append(u"\"%1\" (%2 events)"_s.arg(name).arg(count));
    }
    if (!problems.isEmpty())
        return fail(u"event definitions were removed from the schema while the eventlog still holds "
                    "their events: %1. Keep the definitions (mark them deprecated instead)"_s.arg(
                            problems.join(u", "_s)));
    return true;
}

bool StorePrivate::updateEventDefinitionRegistry()
{
    QHash<QString, qint32> known;
    if (openSnapshot) {
        for (const auto &[name, hash] : openSnapshot->eventDefinitions)
            known.insert(name, hash);
    } else {
        Database::Statement *s = db.prepare(u"SELECT eventName, schemaHash FROM __livestore_schema_event_defs"_s);
        const QueryResult registered = db.run(s);
        for (const QVariantList &row : registered.rows())
            known.insert(row.at(0).toString(), qint32(row.at(1).toLongLong()));
    }
    const QList<EventDef> events = schema.events();
    // The definitions' hashes as buildEventRuntime() computed them (each one a JSON document).
    const auto hashOf = [this](const EventDef &e) {
        const EventRuntime *runtime = findEvent(e.name);
        return runtime ? runtime->hash : e.hash();
    };
    bool changed = false;
    for (const EventDef &e : events) {
        const auto it = known.constFind(e.name);
        if (it == known.cend() || *it != hashOf(e)) {
            changed = true;
            break;
        }
    }
    if (!changed)
        return true;
    Transaction tx(db);
    Database::Statement *upsert = db.prepare(
            u"INSERT INTO __livestore_schema_event_defs (eventName, schemaHash, updatedAt) VALUES (?, ?, ?) "
             "ON CONFLICT (eventName) DO UPDATE SET schemaHash = excluded.schemaHash, updatedAt = excluded.updatedAt"_s);
    const QString now = sql::isoDateTime(QDateTime::currentDateTimeUtc());
    for (const EventDef &e : events) {
        if (!db.execute(upsert, {e.name, hashOf(e), now}))
            return fail(db.lastError());
    }
    if (!tx.commit())
        return fail(db.lastError());
    return true;
}

QString StorePrivate::missingMaterializerMessage(const EventRecord &event)
{
    return u"cannot materialize event \"%1\" (%2): its materializer is C++ code, which this schema "
           "(loaded from a schema file or the store's record) names but does not hold; it can read "
           "the store, but not commit, import or rematerialize \"%1\" events. Open the store with "
           "the app's own schema for that"_s.arg(event.name, event.seqNum.toString());
}

bool StorePrivate::stateTablesExist() const
{
    // Then createStateTables() would change nothing: every statement it runs is a CREATE ...
    // IF NOT EXISTS of one of these names.
    if (!openSnapshot)
        return false;
    for (const TableDef &t : schema.tables()) {
        if (!openSnapshot->tables.contains(t.name))
            return false;
        for (const IndexDef &index : t.indexes) {
            if (!openSnapshot->indexes.contains(index.name))
                return false;
        }
    }
    return true;
}

bool StorePrivate::createStateTables(Database &target)
{
    for (const TableDef &t : schema.tables()) {
        for (const QString &statement : t.ddl()) {
            if (!target.exec(statement))
                return fail(u"cannot create table \"%1\": %2"_s.arg(t.name, target.lastError()));
        }
    }
    return true;
}

bool StorePrivate::validateSqlMaterializers(Database &target)
{
    for (const EventDef &e : schema.events()) {
        for (qsizetype i = 0; i < e.sqlStatements.size(); ++i) {
            const QString where = u"event \"%1\", materializer statement %2"_s.arg(e.name).arg(i + 1);
            Database::Statement *s = target.prepare(e.sqlStatements.at(i));
            if (!s)
                return fail(where + u": "_s + target.lastError());
            if (!s->outsideState.isEmpty())
                return fail(where + u": materializers may change only the schema's tables, and "_s
                            + s->outsideState);
            for (const QByteArray &param : std::as_const(s->parameterNames)) {
                if (param.isEmpty() || (param.front() >= '0' && param.front() <= '9'))
                    return fail(where + u": use named parameters ($name) bound from the event's "
                                        "arguments, not positional ones"_s);
                if (!e.findArg(QString::fromUtf8(param))) {
                    QStringList names;
                    for (const ArgDef &a : e.args)
                        names.append(a.name);
                    return fail(where + u": parameter $%1 is not an argument of the event (arguments: %2)"_s
                                                .arg(QString::fromUtf8(param),
                                                     names.isEmpty() ? u"none"_s : names.join(u", "_s)));
                }
            }
        }
    }
    return true;
}

bool StorePrivate::runHook(const std::function<bool(MigrationContext &)> &hook, const char *name)
{
    if (!hook)
        return true;
    MigrationContext context(this, migrationReport);
    if (!hook(context))
        return fail(u"the %1 migration hook failed: %2"_s.arg(
                QLatin1StringView(name),
                context.errorString().isEmpty() ? u"it returned false"_s : context.errorString()));
    return true;
}

bool StorePrivate::rebuildState(bool reportProgress)
{
    // One transaction: a crash mid-rebuild leaves the old state and the old hash, so the next
    // open rebuilds again.
    Transaction tx(db);
    if (!tx.isActive())
        return fail(db.lastError());
    if (!rebuildStateInTransaction(reportProgress))
        return false;
    if (!tx.commit())
        return fail(u"cannot commit the rebuilt state: "_s + db.lastError());
    return true;
}

bool StorePrivate::rebuildStateInTransaction(bool reportProgress)
{
    // Which tables changed, for the migration report and the hooks.
    QHash<QString, qint32> previous;
    const QueryResult stored = db.run(db.prepare(u"SELECT tableName, schemaHash FROM __livestore_schema"_s));
    for (const QVariantList &row : stored.rows())
        previous.insert(row.at(0).toString(), qint32(row.at(1).toLongLong()));
    migrationReport.clear();
    const QList<TableDef> tables = schema.tables();
    for (const TableDef &t : tables) {
        const auto it = previous.constFind(t.name);
        if (it != previous.cend() && *it == t.hash())
            continue;
        migrationReport.append({t.name, t.hash(), it == previous.cend() ? 0 : *it, it == previous.cend()});
    }

    db.clearStatementCache();
    QStringList drop = previous.keys();
    for (const TableDef &t : tables) {
        if (!drop.contains(t.name))
            drop.append(t.name);
    }
    if (reportProgress)
        setBootStatus(BootStatus::Migrating, 0, tables.size());
    for (const QString &name : std::as_const(drop)) {
        if (!db.exec(u"DROP TABLE IF EXISTS "_s + sql::quoteIdentifier(name)))
            return fail(u"cannot drop table \"%1\": %2"_s.arg(name, db.lastError()));
    }
    db.clearStatementCache();
    if (!runHook(options.migrations.init, "init") || !createStateTables(db))
        return false;
    if (reportProgress)
        setBootStatus(BootStatus::Migrating, tables.size(), tables.size());
    if (!runHook(options.migrations.pre, "pre") || !validateSqlMaterializers(db))
        return false;
    if (!replayEventlog(db, reportProgress))
        return false;
    if (!runHook(options.migrations.post, "post"))
        return false;

    if (!db.exec("DELETE FROM __livestore_schema"))
        return fail(db.lastError());
    Database::Statement *insert = db.prepare(
            u"INSERT INTO __livestore_schema (tableName, schemaHash, updatedAt) VALUES (?, ?, ?)"_s);
    const QString now = sql::isoDateTime(QDateTime::currentDateTimeUtc());
    for (const TableDef &t : tables) {
        if (!db.execute(insert, {t.name, t.hash(), now}))
            return fail(db.lastError());
    }
    return setMetaValue("stateHash", schema.stateHash()) && recordRewrite();
}

std::optional<EventRecord> StorePrivate::readEventRow(sqlite3_stmt *stmt, QString *errorString,
                                                      EventRowReader *reader)
{
    const auto text = [stmt](int column) {
        const auto *bytes = reinterpret_cast<const char *>(sqlite3_column_text(stmt, column));
        return QByteArrayView(bytes, sqlite3_column_bytes(stmt, column));
    };
    const auto string = [&text](int column, EventLineParser::Interner *shared) {
        return shared ? shared->get(text(column)) : QString::fromUtf8(text(column));
    };
    EventRecord r;
    r.seqNum = {sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2)};
    r.parentSeqNum = {sqlite3_column_int64(stmt, 3), sqlite3_column_int64(stmt, 4),
                      sqlite3_column_int64(stmt, 5)};
    r.name = string(6, reader ? &reader->names : nullptr);
    r.argsJson = text(7).toByteArray();
    r.clientId = string(8, reader ? &reader->clientIds : nullptr);
    r.sessionId = string(9, reader ? &reader->sessionIds : nullptr);
    r.schemaHash = sqlite3_column_int(stmt, 10);
    if (reader) {
        if (std::optional<QVariantMap> args = reader->args.parseArgs(r.argsJson)) {
            r.args = std::move(*args);
            return r;
        }
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(r.argsJson, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        if (errorString)
            *errorString = u"event %1 (%2) has corrupt arguments in the eventlog: %3"_s.arg(
                    r.seqNum.toString(), r.name,
                    parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                 : u"not a JSON object"_s);
        return std::nullopt;
    }
    r.args = doc.object().toVariantMap();
    return r;
}


void normalizeArgs(EventRecord &r, const EventDef &def)
{
    for (const ArgDef &a : def.args) {
        if (a.type != ArgType::Real)
            continue;
        // Looked at through constFind(): find() would copy a shared map even to change nothing.
        const auto it = r.args.constFind(a.name);
        if (it == r.args.cend())
            continue;
        const int t = it->typeId();
        if (t == QMetaType::LongLong || t == QMetaType::Int || t == QMetaType::ULongLong || t == QMetaType::UInt) {
            const double value = it->toDouble();
            r.args.insert(a.name, value);
        }
    }
}

namespace {

// Failures that say nothing about the event: the next try may succeed, or the file is broken.
// Skipping the event for them would make this client's state differ from the others'.
bool isEnvironmentFailure(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_NOMEM: case SQLITE_BUSY: case SQLITE_LOCKED:
    case SQLITE_CORRUPT: case SQLITE_NOTADB: case SQLITE_CANTOPEN: case SQLITE_READONLY:
    case SQLITE_INTERRUPT:
        return true;
    default:
        return false;
    }
}

} // namespace

QSet<QString> StorePrivate::recordedSkips()
{
    QSet<QString> out;
    const QueryResult exists = db.run(db.prepare(
            u"SELECT 1 FROM sqlite_schema WHERE name = '__livestore_skipped_events'"_s));
    if (exists.isEmpty())
        return out;
    const QueryResult rows = db.run(db.prepare(
            u"SELECT seqNumGlobal, seqNumClient, seqNumRebaseGeneration FROM __livestore_skipped_events"_s));
    for (const QVariantList &r : rows.rows())
        out.insert(SequenceNumber{r.at(0).toLongLong(), r.at(1).toLongLong(), r.at(2).toLongLong()}.toString());
    return out;
}

bool StorePrivate::recordSkip(const EventRecord &event, const QString &reason)
{
    // Created on demand, like the changeset table: most stores never skip an event.
    if (!db.exec("CREATE TABLE IF NOT EXISTS __livestore_skipped_events ("
                 "seqNumGlobal INTEGER NOT NULL, seqNumClient INTEGER NOT NULL, "
                 "seqNumRebaseGeneration INTEGER NOT NULL, name TEXT NOT NULL, reason TEXT NOT NULL, "
                 "PRIMARY KEY (seqNumGlobal, seqNumClient, seqNumRebaseGeneration)) WITHOUT ROWID, STRICT"))
        return fail(u"cannot record a skipped event: "_s + db.lastError());
    Database::Statement *s = db.prepare(
            u"INSERT OR REPLACE INTO __livestore_skipped_events (seqNumGlobal, seqNumClient, "
             "seqNumRebaseGeneration, name, reason) VALUES (?, ?, ?, ?, ?)"_s);
    const SequenceNumber &n = event.seqNum;
    if (!db.execute(s, {n.global, n.client, n.rebaseGeneration, event.name, reason}))
        return fail(u"cannot record a skipped event: "_s + db.lastError());
    return true;
}

StorePrivate::HistoryResult StorePrivate::applyHistoryEvent(Database &target, EventRecord &event,
                                                            QSet<QString> *touched, QByteArray *changeset,
                                                            const QSet<QString> *replaySkips)
{
    const EventRuntime *runtime = findEvent(event.name);
    if (!runtime) {
        event.schemaHash = -1;
        return handleUnknownEvent(event, u"event-definition-missing"_s) ? HistoryResult::Applied
                                                                       : HistoryResult::Failed;
    }
    event.schemaHash = runtime->hash;
    // Not the event's fault, so never skipped: this schema lacks the code to apply it.
    if (!runtime->def->materializer && runtime->def->cppMaterializerMissing)
        return fail(missingMaterializerMessage(event)), HistoryResult::Failed;
    QString reason;
    QString replayError; // what a replay that may not skip this event reports
    if (!runtime->def->validateEncodedArgs(event.args, &reason)) {
        replayError = u"event %1 (%2) has invalid arguments in the eventlog: %3"_s.arg(
                event.seqNum.toString(), event.name, reason);
        reason = u"invalid arguments: "_s + reason;
    } else {
        normalizeArgs(event, *runtime->def);
        // A materializer that ran some of its statements before failing must leave nothing
        // behind; one SQL statement undoes itself, anything more needs a savepoint.
        const bool guarded = runtime->def->materializer || runtime->def->sqlStatements.size() > 1;
        if (guarded && !target.execCached(u"SAVEPOINT history_event"_s))
            return fail(target.lastError()), HistoryResult::Failed;
        determinismFailed = false;
        const bool ok = materialize(target, event, *runtime->def, touched, changeset);
        const int rc = sqlite3_extended_errcode(target.handle());
        if (ok) {
            if (guarded && !target.execCached(u"RELEASE history_event"_s))
                return fail(target.lastError()), HistoryResult::Failed;
            return HistoryResult::Applied;
        }
        reason = error;
        replayError = u"rematerializing the eventlog failed: "_s + error;
        if (guarded && !(target.execCached(u"ROLLBACK TO history_event"_s)
                         && target.execCached(u"RELEASE history_event"_s)))
            return fail(reason + u"; undoing its writes failed: "_s + target.lastError()), HistoryResult::Failed;
        if (target.isDamaged() || isEnvironmentFailure(rc) || determinismFailed)
            return fail(replaySkips ? replayError : reason), HistoryResult::Failed;
    }
    if (changeset)
        changeset->clear();
    if (replaySkips) {
        // A replay skips what was skipped when the event arrived, and nothing else: any other
        // failure means the log or the schema changed under the state.
        if (replaySkips->contains(event.seqNum.toString()))
            return HistoryResult::Skipped;
        fail(replayError);
        return HistoryResult::Failed;
    }
    const QString message = u"event %1 (%2) cannot be applied: %3"_s.arg(event.seqNum.toString(), event.name, reason);
    switch (schema.failedEventPolicy()) {
    case FailedEventPolicy::Fail:
        fail(message + u" (failed event policy: fail)"_s);
        return HistoryResult::Failed;
    case FailedEventPolicy::Callback:
        if (schema.failedEventCallback())
            schema.failedEventCallback()({event, reason});
        break;
    case FailedEventPolicy::Skip:
        break;
    }
    if (!recordSkip(event, reason))
        return HistoryResult::Failed;
    qCWarning(lcStore, "%s; it stays in the eventlog without effect on the state (failed event "
                       "policy: skip)", qUtf8Printable(message));
    lastSkipped = {event, reason};
    return HistoryResult::Skipped;
}

bool StorePrivate::replayEventlog(Database &target, bool reportProgress)
{
    const qint64 total = db.run(db.prepare(u"SELECT count(*) FROM __livestore_eventlog"_s)).scalar().toLongLong();
    if (reportProgress)
        setBootStatus(BootStatus::Rematerializing, 0, total);
    Database::Statement *s = db.prepare(u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?) "
                                         "ORDER BY seqNumGlobal, seqNumClient LIMIT 256"_s
                                                .arg(QLatin1StringView(EventColumns)));
    if (!s)
        return fail(db.lastError());
    QSet<QString> touched;
    const QSet<QString> skips = recordedSkips();
    EventRowReader reader;
    qint64 done = 0;
    const qint64 step = std::max<qint64>(1000, total / 100);
    SequenceNumber after = SequenceNumber::root();
    for (;;) {
        QList<EventRecord> batch;
        sqlite3_reset(s->stmt);
        sqlite3_bind_int64(s->stmt, 1, after.global);
        sqlite3_bind_int64(s->stmt, 2, after.client);
        int rc;
        while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {
            QString rowError;
            auto event = readEventRow(s->stmt, &rowError, &reader);
            if (!event) {
                sqlite3_reset(s->stmt);
                return fail(rowError);
            }
            batch.append(std::move(*event));
        }
        sqlite3_reset(s->stmt);
        if (rc != SQLITE_DONE)
            return fail(u"reading the eventlog failed: "_s + db.sqliteError());
        if (batch.isEmpty())
            break;
        after = batch.constLast().seqNum;
        // An asynchronous open that is cancelled stops here; the rebuild's transaction rolls back.
        if (cancelled())
            return fail(u"opening was cancelled"_s);
        for (EventRecord &event : batch) {
            if (applyHistoryEvent(target, event, &touched, nullptr, replayAppliesPolicy ? nullptr : &skips)
                == HistoryResult::Failed)
                return false;
            ++done;
            if (reportProgress && done % step == 0)
                setBootStatus(BootStatus::Rematerializing, done, total);
        }
    }
    if (reportProgress)
        setBootStatus(BootStatus::Rematerializing, done, total);
    return true;
}

bool StorePrivate::loadHead()
{
    if (openSnapshot) {
        head = openSnapshot->head; // the root when the eventlog is empty
        return true;
    }
    Database::Statement *s = db.prepare(
            u"SELECT seqNumGlobal, seqNumClient, seqNumRebaseGeneration FROM __livestore_eventlog "
             "ORDER BY seqNumGlobal DESC, seqNumClient DESC LIMIT 1"_s);
    if (!s)
        return fail(db.lastError());
    const QueryResult r = db.run(s);
    if (!r.isValid())
        return fail(r.errorString());
    head = r.isEmpty() ? SequenceNumber::root()
                       : SequenceNumber{r.value(0, 0).toLongLong(), r.value(0, 1).toLongLong(),
                                        r.value(0, 2).toLongLong()};
    return true;
}

// ---------------------------------------------------------------------------------------------
// Committing
// ---------------------------------------------------------------------------------------------

void StorePrivate::buildEventRuntime()
{
    eventRuntime.clear();
    for (const EventDef &e : schema.events()) {
        const EventDef *def = schema.event(e.name); // points into the store's own schema copy
        QList<QByteArray> argKeys;
        argKeys.reserve(def->args.size());
        for (const ArgDef &a : def->args) {
            QByteArray key;
            json::appendString(key, a.name);
            key += ':';
            argKeys.append(key);
        }
        eventRuntime.insert(e.name, {def, def->hash(), e.name.toUtf8(), argKeys});
    }
}

namespace {

// def.argsJson(args) for arguments that are all scalars (the common case), written with the keys
// made at open into `scratch`, then copied out at its exact size: one allocation per event. The
// bytes are the ones argsJson() writes: declared arguments in declared order, each value through
// json::appendValue(). Nested values (maps, lists), which argsJson() orders by the definition
// and the given text, and arguments the definition does not declare, return false.
bool writeScalarArgsJson(const StorePrivate::EventRuntime &runtime, const QVariantMap &args,
                         QByteArray &scratch, QByteArray *out)
{
    const QList<ArgDef> &declared = runtime.def->args;
    scratch.truncate(0);
    scratch += '{';
    qsizetype written = 0;
    for (qsizetype i = 0; i < declared.size(); ++i) {
        const auto it = args.constFind(declared.at(i).name);
        if (it == args.cend())
            continue;
        const int type = it->typeId();
        if (type == QMetaType::QVariantMap || type == QMetaType::QVariantList)
            return false;
        if (written++)
            scratch += ',';
        scratch += runtime.argKeys.at(i);
        json::appendValue(scratch, *it);
    }
    if (written != args.size())
        return false;
    scratch += '}';
    *out = QByteArray(scratch.constData(), scratch.size());
    return true;
}

} // namespace

std::optional<QList<EventRecord>> StorePrivate::prepareEvents(const QList<Event> &events,
                                                             QList<const EventDef *> *defs)
{
    QList<EventRecord> records;
    records.reserve(events.size());
    defs->reserve(events.size());
    for (const Event &e : events) {
        const EventRuntime *runtime = findEvent(e.name);
        if (!runtime) {
            fail(u"unknown event \"%1\": it is not defined in the schema"_s.arg(e.name));
            return std::nullopt;
        }
        const EventDef *def = runtime->def;
        QString argError;
        auto args = def->encodeArgs(e.args, &argError);
        if (!args) {
            fail(argError);
            return std::nullopt;
        }
        EventRecord r;
        r.name = e.name;
        r.args = std::move(*args);
        if (!writeScalarArgsJson(*runtime, r.args, jsonScratch, &r.argsJson))
            r.argsJson = def->argsJson(r.args, e.argsJson);
        r.clientId = clientId;
        r.sessionId = sessionId;
        r.schemaHash = runtime->hash;
        records.append(std::move(r));
        defs->append(def);
    }
    return records;
}

void StorePrivate::numberEvents(QList<EventRecord> &records, const QList<const EventDef *> &defs) const
{
    SequenceNumber at = head;
    for (qsizetype i = 0; i < records.size(); ++i) {
        const bool clientOnly = defs.at(i)->isClientOnly;
        EventRecord &r = records[i];
        r.seqNum = at.next(clientOnly);
        r.parentSeqNum = at.parentForNext(clientOnly);
        at = r.seqNum;
    }
}

bool StorePrivate::commit(const QList<Event> &events)
{
    if (!checkWritable())
        return false;
    if (events.isEmpty())
        return true;
    QList<const EventDef *> defs;
    auto records = prepareEvents(events, &defs);
    if (!records)
        return false;

    QSet<QString> touched;
    // The rows this commit changes in the tables of live queries that follow rows.
    detail::RowChanges rowChanges;
    bool haveRowChanges = false;
    {
        Transaction tx(db);
        if (!tx.isActive())
            return fail(u"cannot begin a transaction: "_s + db.lastError());
        // Numbered only now: another process may have committed up to the moment this
        // transaction began, and no other can commit until it ends.
        if (!noticeOtherProcesses())
            return false;
        numberEvents(*records, defs);
        detail::RowChangeRecorder recorder;
        if (graph)
            recorder.start(db.handle(), graph->trackedTables());
        // The changes of several events are kept as one run (changesetrun_p.h): one session
        // instead of one per event, which costs SQLite two statement compilations each.
        detail::RunSession run;
        const bool asRun = options.recordChangesets && records->size() > 1;
        if (asRun && !run.start(db.handle()))
            return fail(u"cannot record the changes of the commit: "_s + db.sqliteError());
        const SequenceNumber runFirst = records->constFirst().seqNum;
        for (qsizetype i = 0; i < records->size(); ++i) {
            const EventRecord &r = records->at(i);
            QByteArray changeset;
            if (!materialize(db, r, *defs.at(i), &touched,
                             options.recordChangesets && !asRun ? &changeset : nullptr)
                || !insertEventRecord(r)
                || (options.recordChangesets
                    && !insertChangeset(r.seqNum, asRun ? detail::runChangesetBlob(runFirst, {}) : changeset)))
                return false; // rolled back by tx
        }
        if (asRun) {
            QByteArray changeset;
            if (!run.finish(&changeset))
                return fail(u"cannot record the changes of the commit: "_s + db.sqliteError());
            if (!insertChangeset(records->constLast().seqNum, detail::runChangesetBlob(runFirst, changeset)))
                return false;
        }
        haveRowChanges = recorder.isActive() && recorder.finish(&rowChanges);
        if (!tx.commit())
            return fail(u"commit failed: "_s + db.lastError());
    }
    head = records->constLast().seqNum;
    // The eventlog itself is readable by live queries (devtools-like views).
    touched.insert(QString::fromLatin1(EventlogTable));
    // Commits of other processes seen by this one: every table re-read, since their rows are not
    // known here (otherprocesses.cpp).
    const OthersChanges others = takeOthersChanges(&touched);
    // Live queries first, so that slots connected to committed() see them current.
    if (graph)
        graph->tablesChanged(touched, haveRowChanges && !others.tables ? &rowChanges : nullptr);
    if (others.any)
        Q_EMIT q->eventlogChanged(others.rewrote);
    Q_EMIT q->committed(*records);
    return true;
}

bool StorePrivate::ensureChangesetTable()
{
    // Created on demand: stores that never sync never carry it.
    if (!db.exec("CREATE TABLE IF NOT EXISTS __livestore_session_changeset ("
                 "seqNumGlobal INTEGER NOT NULL, seqNumClient INTEGER NOT NULL, "
                 "seqNumRebaseGeneration INTEGER NOT NULL, changeset BLOB NOT NULL, "
                 "PRIMARY KEY (seqNumGlobal, seqNumClient, seqNumRebaseGeneration)) WITHOUT ROWID, STRICT"))
        return fail(u"cannot create the changeset table: "_s + db.lastError());
    return true;
}

bool StorePrivate::insertChangeset(const SequenceNumber &seqNum, const QByteArray &changeset)
{
    Database::Statement *s = db.prepare(
            u"INSERT OR REPLACE INTO __livestore_session_changeset (seqNumGlobal, seqNumClient, "
             "seqNumRebaseGeneration, changeset) VALUES (?, ?, ?, ?)"_s);
    if (!s || !db.execute(s, {seqNum.global, seqNum.client, seqNum.rebaseGeneration, changeset}))
        return fail(u"cannot keep the changes of event %1: %2"_s.arg(seqNum.toString(), db.lastError()));
    return true;
}

bool StorePrivate::insertEventRecord(const EventRecord &r)
{
    if (!insertEventStatement) {
        static constexpr char insertSql[] =
                "INSERT INTO __livestore_eventlog (seqNumGlobal, seqNumClient, seqNumRebaseGeneration, "
                "parentSeqNumGlobal, parentSeqNumClient, parentSeqNumRebaseGeneration, name, argsJson, "
                "clientId, sessionId, schemaHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        if (sqlite3_prepare_v3(db.handle(), insertSql, -1, SQLITE_PREPARE_PERSISTENT,
                               &insertEventStatement, nullptr) != SQLITE_OK) {
            sqlite3_finalize(insertEventStatement);
            insertEventStatement = nullptr;
            return fail(u"cannot write the eventlog: "_s + db.sqliteError());
        }
    }
    sqlite3_stmt *st = insertEventStatement;
    bindEventNumbers(st, r);
    // UTF-8 binds: the eventlog stores UTF-8, and our own names and ids are converted once, at
    // open. Every text outlives the step below, so SQLite need not copy it (SQLITE_STATIC); all
    // eleven parameters are bound anew for each row, so none ever points at bytes gone since.
    const EventRuntime *runtime = findEvent(r.name);
    const QByteArray name = runtime ? runtime->nameUtf8 : r.name.toUtf8();
    const QByteArray client = r.clientId == clientId ? clientIdUtf8 : r.clientId.toUtf8();
    const QByteArray session = r.sessionId == sessionId ? sessionIdUtf8 : r.sessionId.toUtf8();
    sqlite3_bind_text(st, 7, name.constData(), int(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r.argsJson.constData(), int(r.argsJson.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 9, client.constData(), int(client.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 10, session.constData(), int(session.size()), SQLITE_STATIC);
    sqlite3_bind_int(st, 11, r.schemaHash);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return fail(u"event %1 (%2) is already in the eventlog"_s.arg(r.seqNum.toString(), r.name));
        return fail(u"cannot write event %1 to the eventlog: %2"_s.arg(r.seqNum.toString(), db.sqliteError()));
    }
    return true;
}

void StorePrivate::warnDeprecations(const EventRecord &event, const EventDef &def)
{
    if (def.deprecated.isEmpty()
        && std::none_of(def.args.cbegin(), def.args.cend(),
                        [](const ArgDef &a) { return !a.deprecated.isEmpty(); }))
        return;
    QMutexLocker locker(&warnedMutex);
    QSet<QString> &warned = warnedDeprecations();
    if (!def.deprecated.isEmpty() && !warned.contains(def.name)) {
        warned.insert(def.name);
        qCWarning(lcSchema, "event \"%s\" is deprecated: %s", qUtf8Printable(def.name),
                  qUtf8Printable(def.deprecated));
    }
    for (const ArgDef &a : def.args) {
        const QString key = def.name + u'.' + a.name;
        if (a.deprecated.isEmpty() || warned.contains(key) || !event.args.contains(a.name))
            continue;
        warned.insert(key);
        qCWarning(lcSchema, "argument \"%s\" of event \"%s\" is deprecated: %s", qUtf8Printable(a.name),
                  qUtf8Printable(def.name), qUtf8Printable(a.deprecated));
    }
}

bool StorePrivate::materialize(Database &target, const EventRecord &event, const EventDef &def,
                               QSet<QString> *touched, QByteArray *changeset)
{
    if (!def.materializer && def.cppMaterializerMissing)
        return fail(missingMaterializerMessage(event));
    warnDeprecations(event, def);
    if (options.checkDeterminism && !checkDeterminism(target, event, def)) {
        // A bug in the schema this debug aid exists to report, never a reason to skip the event.
        determinismFailed = true;
        return false;
    }

    // A run of one event (changesetrun_p.h): the session covers the state tables it may write.
    detail::RunSession session;
    if (changeset && !session.start(target.handle()))
        return fail(u"cannot record the changes of event %1: %2"_s.arg(event.seqNum.toString(),
                                                                     target.sqliteError()));
    bool ok;
    if (def.materializer) {
        try {
            MaterializerContext context(this, &target, event);
            const Writes writes = def.materializer(event, context);
            ok = runWrites(target, event, writes, touched);
        } catch (const std::exception &e) {
            ok = fail(u"materializer of event \"%1\" (%2) threw: %3"_s.arg(
                    event.name, event.seqNum.toString(), QString::fromUtf8(e.what())));
        } catch (...) {
            ok = fail(u"materializer of event \"%1\" (%2) threw an exception"_s.arg(
                    event.name, event.seqNum.toString()));
        }
    } else {
        ok = runSqlMaterializer(target, event, def, touched);
    }
    if (ok && changeset && !session.finish(changeset))
        ok = fail(u"cannot record the changes of event %1"_s.arg(event.seqNum.toString()));
    return ok;
}

bool StorePrivate::runWrites(Database &target, const EventRecord &event, const Writes &writes,
                             QSet<QString> *touched)
{
    const auto where = [&] {
        return u"materializer of event \"%1\" (%2)"_s.arg(event.name, event.seqNum.toString());
    };
    for (const Query &w : writes) {
        const Query::Compiled c = w.compile(&schema);
        if (!c.error.isEmpty())
            return fail(where() + u": "_s + c.error);
        Database::Statement *s = target.prepare(c.sql);
        if (!s)
            return fail(where() + u": "_s + target.lastError());
        if (w.kind() == Query::Select || w.kind() == Query::Count)
            return fail(where() + u": returned a read query; materializers return writes"_s);
        if (s->controlsConnection)
            return fail(where() + u": materializers cannot control transactions or attach databases"_s);
        if (!s->outsideState.isEmpty())
            return fail(where() + u": materializers may change only the schema's tables, and "_s + s->outsideState);
        if (!target.execute(s, c.binds, c.namedBinds))
            return fail(where() + u" failed: "_s + target.lastError());
        if (touched) {
            for (const QString &t : std::as_const(s->writeTables))
                touched->insert(t);
        }
    }
    return true;
}

bool StorePrivate::runSqlMaterializer(Database &target, const EventRecord &event, const EventDef &def,
                                      QSet<QString> *touched)
{
    for (qsizetype i = 0; i < def.sqlStatements.size(); ++i) {
        Database::Statement *s = target.prepare(def.sqlStatements.at(i));
        // Built only on failure: formatting it for every statement cost ~2% of a commit.
        auto where = [&] {
            return u"materializer of event \"%1\" (%2), statement %3"_s.arg(
                    event.name, event.seqNum.toString()).arg(i + 1);
        };
        if (!s)
            return fail(where() + u": "_s + target.lastError());
        if (!s->outsideState.isEmpty())
            return fail(where() + u": materializers may change only the schema's tables, and "_s + s->outsideState);
        sqlite3_reset(s->stmt);
        // The UTF-8 of text arguments, written one after the other into bindScratch and bound
        // once all are there (its bytes do not move after that) and until the statement ran:
        // SQLite need not copy them. Unbound afterwards, so that the cached statement never
        // points at bytes that changed.
        struct TextBind
        {
            int index;
            qsizetype start, size;
        };
        QVarLengthArray<TextBind, 4> texts;
        bindScratch.truncate(0);
        const auto unbindTexts = qScopeGuard([&] {
            if (!texts.isEmpty())
                sqlite3_clear_bindings(s->stmt);
        });
        static const QVariant absent;
        for (int p = 0; p < s->parameterKeys.size(); ++p) {
            const QString &name = s->parameterKeys.at(p);
            const auto found = event.args.constFind(name);
            const QVariant &v = found == event.args.cend() ? absent : *found;
            const ArgDef *arg = def.findArg(name);
            int rc = SQLITE_OK;
            const bool isNull = v.typeId() == QMetaType::UnknownType || v.typeId() == QMetaType::Nullptr;
            if (arg && !isNull
                && (arg->type == ArgType::Json || arg->type == ArgType::Struct || arg->type == ArgType::Array
                    || arg->type == ArgType::Record
                    || (arg->type == ArgType::Literal && v.typeId() == QMetaType::QVariantMap))) {
                const QByteArray text = def.argJson(name, v, event.argsJson);
                rc = sqlite3_bind_text(s->stmt, p + 1, text.constData(), int(text.size()), SQLITE_TRANSIENT);
                if (rc != SQLITE_OK)
                    return fail(where() + u": "_s + target.sqliteError());
                continue;
            }
            switch (v.typeId()) {
            case QMetaType::UnknownType:
            case QMetaType::Nullptr:
                rc = sqlite3_bind_null(s->stmt, p + 1);
                break;
            case QMetaType::Double:
                // JSON has one number type; the argument's declared type decides the SQL one.
                if (arg && arg->type == ArgType::Integer)
                    rc = sqlite3_bind_int64(s->stmt, p + 1, qint64(v.toDouble()));
                else
                    rc = sqlite3_bind_double(s->stmt, p + 1, v.toDouble());
                break;
            case QMetaType::QVariantMap:
            case QMetaType::QVariantList: {
                const QByteArray text = json::write(v);
                rc = sqlite3_bind_text(s->stmt, p + 1, text.constData(), int(text.size()), SQLITE_TRANSIENT);
                break;
            }
            case QMetaType::QString: {
                const QString &text = *static_cast<const QString *>(v.constData());
                if (text.isNull()) {
                    rc = sqlite3_bind_null(s->stmt, p + 1); // as Database::bindValue() binds it
                    break;
                }
                const qsizetype start = bindScratch.size();
                json::appendUtf8(bindScratch, text); // what Database::bindValue() binds
                texts.append({p + 1, start, bindScratch.size() - start});
                break;
            }
            default:
                rc = Database::bindValue(s->stmt, p + 1, v) ? SQLITE_OK : SQLITE_ERROR;
                break;
            }
            if (rc != SQLITE_OK)
                return fail(where() + u": "_s + target.sqliteError());
        }
        for (const TextBind &t : std::as_const(texts)) {
            // Up to a U+0000, as Database::bindValue() binds text (and LiveStore's SQLite does).
            const char *bytes = bindScratch.constData() + t.start;
            const void *nul = std::memchr(bytes, 0, size_t(t.size));
            const qsizetype size = nul ? static_cast<const char *>(nul) - bytes : t.size;
            if (sqlite3_bind_text(s->stmt, t.index, bytes, int(size), SQLITE_STATIC) != SQLITE_OK)
                return fail(where() + u": "_s + target.sqliteError());
        }
        int rc;
        while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) { }
        sqlite3_reset(s->stmt);
        if (rc != SQLITE_DONE)
            return fail(where() + u" failed: "_s + target.sqliteError());
        if (touched) {
            for (const QString &t : std::as_const(s->writeTables))
                touched->insert(t);
        }
    }
    return true;
}

bool StorePrivate::checkDeterminism(Database &target, const EventRecord &event, const EventDef &def)
{
    const QString where = u"materializer of event \"%1\" (%2) is not deterministic: "_s.arg(
            event.name, event.seqNum.toString());
    if (def.materializer) {
        // The writes a C++ materializer emits must not depend on anything but event and state.
        auto hashWrites = [&](QString *out) {
            try {
                MaterializerContext context(this, &target, event);
                QCryptographicHash h(QCryptographicHash::Sha256);
                for (const Query &w : def.materializer(event, context))
                    h.addData(w.key().toUtf8());
                *out = QString::fromLatin1(h.result().toHex());
                return true;
            } catch (...) {
                return false;
            }
        };
        QString a, b;
        if (hashWrites(&a) && hashWrites(&b) && a != b)
            return fail(where + u"two runs emitted different writes"_s);
    }
    // And the effect of those writes (SQL can call random() or read the clock): compare the
    // changesets of two runs, rolled back in between.
    if (!target.exec("SAVEPOINT livestore_determinism"))
        return fail(target.lastError());
    QByteArray first, second;
    QSet<QString> ignored;
    StoreOptions saved = options;
    options.checkDeterminism = false;
    bool ok = materialize(target, event, def, &ignored, &first);
    target.exec("ROLLBACK TO livestore_determinism");
    if (ok)
        ok = materialize(target, event, def, &ignored, &second);
    target.exec("ROLLBACK TO livestore_determinism");
    target.exec("RELEASE livestore_determinism");
    options.checkDeterminism = saved.checkDeterminism;
    if (!ok)
        return false;
    if (first != second)
        return fail(where + u"two runs changed the state differently"_s);
    return true;
}

bool StorePrivate::handleUnknownEvent(const EventRecord &event, const QString &reason)
{
    switch (schema.unknownEventPolicy()) {
    case UnknownEventPolicy::Ignore:
        return true;
    case UnknownEventPolicy::Warn: {
        QMutexLocker locker(&warnedMutex);
        if (!warnedDeprecations().contains(u"unknown:"_s + event.name)) {
            warnedDeprecations().insert(u"unknown:"_s + event.name);
            qCWarning(lcSchema, "event \"%s\" (%s) is not defined in the schema; it stays in the "
                                "eventlog and is not materialized", qUtf8Printable(event.name),
                      qUtf8Printable(event.seqNum.toString()));
        }
        return true;
    }
    case UnknownEventPolicy::Fail:
        return fail(u"event \"%1\" (%2) is not defined in the schema (unknown event policy: fail)"_s.arg(
                event.name, event.seqNum.toString()));
    case UnknownEventPolicy::Callback:
        if (schema.unknownEventCallback())
            schema.unknownEventCallback()({event, reason});
        return true;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

QueryResult StorePrivate::read(Database &target, const Query &query, QStringList *tables)
{
    const Query::Compiled c = query.compile(&schema);
    if (!c.error.isEmpty())
        return QueryResult::failure(c.error);
    Database::Statement *s = target.prepare(c.sql);
    if (!s)
        return QueryResult::failure(target.lastError());
    if (!s->isReadOnly || s->controlsConnection)
        return QueryResult::failure(u"queries only read; change the state by committing events"_s);
    if (tables)
        *tables = s->readTables;
    return target.run(s, c.binds, c.namedBinds);
}

QByteArray StorePrivate::digest(Database &target)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QList<TableDef> tables = schema.tables();
    std::sort(tables.begin(), tables.end(), [](const TableDef &a, const TableDef &b) { return a.name < b.name; });
    for (const TableDef &t : tables) {
        QStringList order;
        for (qsizetype i = 1; i <= t.columns.size(); ++i)
            order.append(QString::number(i));
        Database::Statement *s = target.prepare(u"SELECT * FROM "_s + sql::quoteIdentifier(t.name)
                                                + u" ORDER BY "_s + order.join(u", "_s));
        if (!s)
            continue;
        hash.addData(t.name.toUtf8());
        sqlite3_reset(s->stmt);
        while (sqlite3_step(s->stmt) == SQLITE_ROW) {
            for (int c = 0; c < int(t.columns.size()); ++c) {
                const int type = sqlite3_column_type(s->stmt, c);
                hash.addData(QByteArrayView(reinterpret_cast<const char *>(&type), sizeof type));
                const void *data = type == SQLITE_BLOB ? sqlite3_column_blob(s->stmt, c)
                                                       : sqlite3_column_text(s->stmt, c);
                const int size = sqlite3_column_bytes(s->stmt, c);
                hash.addData(QByteArrayView(reinterpret_cast<const char *>(&size), sizeof size));
                if (data)
                    hash.addData(QByteArrayView(static_cast<const char *>(data), size));
            }
        }
        sqlite3_reset(s->stmt);
    }
    return hash.result();
}

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

Store::Store(QObject *parent) : QObject(parent), d(std::make_unique<StorePrivate>(this)) { }

Store::~Store()
{
    StorePrivate::cancelAsyncOpen(this, false);
    d->close();
}

bool Store::open(const StoreOptions &options)
{
    // An openAsync() in flight is replaced; its openFinished() tells how this open ended.
    const bool replacesAsync = isOpening();
    StorePrivate::cancelAsyncOpen(this, false);
    const bool opened = openNow(options);
    if (replacesAsync)
        Q_EMIT openFinished(opened);
    return opened;
}

bool Store::openNow(const StoreOptions &options)
{
    if (d->open(options)) {
        d->startWatching();
        return true;
    }
    const QString error = d->error;
    d->close();
    d->error = error;
    qCDebug(lcStore, "cannot open store \"%s\": %s", qUtf8Printable(options.storeId),
              qUtf8Printable(error));
    return false;
}

void Store::close()
{
    StorePrivate::cancelAsyncOpen(this, true);
    d->close();
}
bool Store::isOpen() const { return d->isOpen; }
QString Store::storeId() const { return d->options.storeId; }
QString Store::clientId() const { return d->clientId; }
QString Store::sessionId() const { return d->sessionId; }
QString Store::directory() const { return d->options.directory; }
const Schema &Store::schema() const { return d->schema; }
QList<TableMigration> Store::migrationReport() const { return d->migrationReport; }
BootStatus Store::bootStatus() const { return d->boot; }
QString Store::errorString() const { return d->error; }
SequenceNumber Store::head() const { return d->head; }

bool Store::commit(const Event &event) { return d->commit({event}); }
bool Store::commit(const QList<Event> &events) { return d->commit(events); }
bool Store::commit(const QString &name, const QVariantMap &args) { return d->commit({Event{name, args}}); }

QueryResult Store::query(const Query &query)
{
    if (!d->isOpen)
        return QueryResult::failure(d->notOpenMessage());
    return d->read(d->db, query, nullptr);
}

QueryResult Store::query(const QString &sql, const QVariantList &binds)
{
    return query(Query::sql(sql, binds));
}

LiveQuery Store::liveQuery(const Query &query)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<LiveQuery>(d->graph->makeQuery(query));
}

LiveQuery Store::windowedQuery(const Query &query, int rows)
{
    if (!d->graph)
        return {};
    if (rows <= 0)
        return liveQuery(query);
    return detail::Graph::wrap<LiveQuery>(d->graph->makeWindowedQuery(query, rows));
}

LiveQuery Store::liveQuery(std::function<Query(Getter &)> build)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<LiveQuery>(d->graph->makeQuery(std::move(build)));
}

Computed Store::computed(std::function<QVariant(Getter &)> compute)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<Computed>(d->graph->makeComputed(std::move(compute)));
}

ReactiveValue Store::reactiveValue(const QVariant &initial)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<ReactiveValue>(d->graph->makeValue(initial));
}

Subscription Store::subscribe(const Query &query, std::function<void(const QueryResult &)> callback,
                              SubscribeOptions options)
{
    return liveQuery(query).subscribe(std::move(callback), options);
}

QJsonObject Store::clientDocument(const QString &name, const QString &id)
{
    const ClientDocumentDef *doc = d->schema.clientDocument(name);
    if (!doc) {
        d->fail(u"unknown client document \"%1\""_s.arg(name));
        return {};
    }
    QJsonObject value = doc->defaultValue;
    const QueryResult r = query(Query::from(name).select({u"value"_s}).where(u"id"_s, id.isEmpty() ? doc->effectiveDefaultId(sessionId()) : id));
    if (!r.isValid()) {
        d->fail(r.errorString());
        return value;
    }
    if (!r.isEmpty()) {
        const QJsonObject stored = QJsonObject::fromVariantMap(r.scalar().toMap());
        for (auto it = stored.begin(); it != stored.end(); ++it)
            value.insert(it.key(), it.value());
    }
    return value;
}

bool Store::setClientDocument(const QString &name, const QJsonObject &value, const QString &id)
{
    const ClientDocumentDef *doc = d->schema.clientDocument(name);
    if (!doc)
        return d->fail(u"unknown client document \"%1\""_s.arg(name));
    QVariantMap args{{u"value"_s, value.toVariantMap()}};
    args.insert(u"id"_s, id.isEmpty() ? doc->effectiveDefaultId(sessionId()) : id);
    return commit(doc->setEventName(), args);
}

qint64 Store::eventCount() const
{
    if (!d->isOpen)
        return 0;
    return d->db.run(d->db.prepare(u"SELECT count(*) FROM __livestore_eventlog"_s)).scalar().toLongLong();
}

QList<EventRecord> Store::events(const EventFilter &filter) const
{
    QList<EventRecord> out;
    if (!d->isOpen)
        return out;
    QString text = u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?)"_s.arg(
            QLatin1StringView(EventColumns));
    if (!filter.includeClientOnly)
        text += u" AND seqNumClient = 0"_s;
    if (!filter.names.isEmpty()) {
        QStringList marks;
        for (const QString &n : filter.names)
            marks.append(sql::quoteLiteral(n));
        text += u" AND name IN ("_s + marks.join(u", "_s) + u')';
    }
    text += u" ORDER BY seqNumGlobal, seqNumClient"_s;
    if (filter.limit >= 0)
        text += u" LIMIT "_s + QString::number(filter.limit);
    Database::Statement *s = d->db.prepare(text);
    if (!s) {
        d->fail(d->db.lastError());
        return out;
    }
    sqlite3_reset(s->stmt);
    sqlite3_bind_int64(s->stmt, 1, filter.after.global);
    sqlite3_bind_int64(s->stmt, 2, filter.after.client);
    while (sqlite3_step(s->stmt) == SQLITE_ROW) {
        QString rowError;
        if (auto r = StorePrivate::readEventRow(s->stmt, &rowError))
            out.append(std::move(*r));
        else
            qCWarning(lcStore, "%s", qUtf8Printable(rowError));
    }
    sqlite3_reset(s->stmt);
    return out;
}

bool Store::rematerialize()
{
    if (!d->checkWritable())
        return false;
    if (!d->rebuildState(true))
        return false;
    d->db.clearStatementCache();
    QSet<QString> all;
    for (const TableDef &t : d->schema.tables())
        all.insert(t.name);
    d->setBootStatus(BootStatus::Done);
    if (d->graph)
        d->graph->tablesChanged(all);
    return true;
}

bool StorePrivate::checkEventChain()
{
    Database::Statement *s = db.prepare(u"SELECT %1 FROM __livestore_eventlog ORDER BY seqNumGlobal, seqNumClient"_s
                                                .arg(QLatin1StringView(EventColumns)));
    if (!s)
        return fail(u"cannot read the eventlog: "_s + db.lastError());
    sqlite3_reset(s->stmt);
    EventChain chain;
    int rc;
    while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {
        QString problem;
        const auto event = readEventRow(s->stmt, &problem);
        if (!event || !chain.append(*event, &problem)) {
            sqlite3_reset(s->stmt);
            return fail(u"the eventlog is broken: "_s + problem);
        }
    }
    if (rc != SQLITE_DONE) {
        const QString reason = db.sqliteError();
        sqlite3_reset(s->stmt);
        return fail(u"cannot read the eventlog: "_s + reason);
    }
    sqlite3_reset(s->stmt);
    return true;
}

bool Store::verify()
{
    if (!d->isOpen)
        return d->fail(d->notOpenMessage());
    // The file first: a replay of a damaged eventlog would only report a symptom.
    if (const QStringList problems = d->db.checkIntegrity(true); !problems.isEmpty())
        return d->fail(problems.join(u"; "_s));
    if (!d->checkEventChain())
        return false;
    Database fresh;
    fresh.setSchema(&d->schema);
    if (!fresh.open(u":memory:"_s, true))
        return d->fail(fresh.lastError());
    if (!d->createStateTables(fresh) || !d->replayEventlog(fresh, false))
        return false;
    if (d->digest(fresh) == d->digest(d->db))
        return true;
    // Say which tables differ, with row counts, so a user knows where to look.
    QStringList differences;
    for (const TableDef &t : d->schema.tables()) {
        const QString sqlText = u"SELECT * FROM "_s + sql::quoteIdentifier(t.name) + u" ORDER BY 1"_s;
        const QueryResult replayed = fresh.run(fresh.prepare(sqlText));
        const QueryResult stored = d->db.run(d->db.prepare(sqlText));
        if (replayed == stored)
            continue;
        QString line = u"table \"%1\": stored %2 rows, replay gives %3"_s.arg(t.name)
                               .arg(stored.rowCount()).arg(replayed.rowCount());
        for (qsizetype i = 0; i < std::max(stored.rowCount(), replayed.rowCount()); ++i) {
            if (stored.value(i, 0) != replayed.value(i, 0) || stored.rowMap(i) != replayed.rowMap(i)) {
                line += u"; first difference at row %1: stored %2, replayed %3"_s.arg(i + 1).arg(
                        QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(stored.rowMap(i))).toJson(QJsonDocument::Compact)),
                        QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(replayed.rowMap(i))).toJson(QJsonDocument::Compact)));
                break;
            }
        }
        differences.append(line);
    }
    return d->fail(u"the stored state differs from a replay of the eventlog: "_s + differences.join(u"; "_s));
}

QByteArray Store::stateDigest()
{
    return d->isOpen ? d->digest(d->db) : QByteArray();
}

} // namespace LiveStore
