// SPDX-License-Identifier: BSD-3-Clause
// Opening a store: the file and format checks, the schema comparison, migrations and the rebuild
// of the state (StorePrivate::open()), and closing it.
//
// Store::openAsync(): opening on a worker thread. The worker opens a StorePrivate of its own (its
// own SQLite connection, lock file and state), touching nothing the Store's thread uses; boot
// status is posted back. When it is done, the Store's thread takes the worker's StorePrivate in
// place of its closed one: the store goes from "opening" to open in one step, and nothing is ever
// shared between the two threads but the cancel flag.
#include "store.h"

#include "eventchain.h"
#include "logging_p.h"
#include "sqlutil_p.h"
#include "store_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qscopeguard.h>

#include <sqlite3.h>

#include <thread>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

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
    if (opts.readOnly && !current && snapshot.applicationId == 0 && snapshot.schemaObjects == 0)
        return fail(u"%1 holds no store (it is empty): a read-only open cannot create one"_s.arg(path));
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
            [this](const Query &query, QStringList *tables) {
                return read(db, query, tables, Database::RowReuse::Always); // live queries re-run
            },
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

struct StorePrivate::AsyncOpen
{
    quint64 id = 0;                       // which job a posted call belongs to
    std::atomic<bool> cancel{false};
    std::unique_ptr<StorePrivate> worker; // owned here, used only by the thread until it is joined
    bool succeeded = false;               // written by the thread before it posts its end
    std::thread thread;
};

StorePrivate::StorePrivate(Store *q) : q(q) { }
StorePrivate::~StorePrivate() = default;

void StorePrivate::deliverAsyncBootStatus(Store *q, quint64 job, const BootStatus &status)
{
    StorePrivate *d = q->d.get();
    if (!d->asyncOpen || d->asyncOpen->id != job)
        return; // cancelled meanwhile: what the old job says no longer matters
    d->boot = status;
    if (d->options.onBootStatus)
        d->options.onBootStatus(status);
    Q_EMIT q->bootStatusChanged(status);
}

void StorePrivate::finishAsyncOpen(Store *q, quint64 job)
{
    if (!q->d->asyncOpen || q->d->asyncOpen->id != job)
        return;
    const std::unique_ptr<AsyncOpen> finished = std::move(q->d->asyncOpen);
    finished->thread.join(); // it posted this as its last act: the join does not wait
    std::unique_ptr<StorePrivate> opened = std::move(finished->worker);
    opened->cancelRequested = nullptr;
    opened->postBootStatus = nullptr;
    if (finished->succeeded) {
        q->d = std::move(opened); // the closed StorePrivate goes; the open one takes its place
        q->d->startWatching();    // its timer belongs to this thread
    } else {
        q->d->opening = false;
        q->d->error = opened->error;
        qCDebug(lcStore, "cannot open store \"%s\": %s", qUtf8Printable(q->d->options.storeId),
                qUtf8Printable(opened->error));
    }
    Q_EMIT q->openFinished(finished->succeeded);
}

void StorePrivate::cancelAsyncOpen(Store *q, bool announce)
{
    if (!q->d->asyncOpen)
        return;
    const std::unique_ptr<AsyncOpen> job = std::move(q->d->asyncOpen);
    job->cancel.store(true, std::memory_order_relaxed);
    // The replay looks at the flag before each batch of events, so this waits for one batch (or
    // for a step that cannot stop halfway: an integrity check, a migration hook).
    job->thread.join();
    job->worker->close(); // also when it had just opened: the caller changed its mind
    job->worker.reset();
    q->d->opening = false;
    q->d->error = u"opening was cancelled"_s;
    if (announce)
        Q_EMIT q->openFinished(false);
}

bool Store::openAsync(const StoreOptions &options)
{
    StorePrivate::cancelAsyncImport(this, true);
    StorePrivate::cancelAsyncOpen(this, true);
    d->close();
    d->error.clear();
    d->migrationReport.clear();
    d->options = options;
    d->schema = options.schema;
    // What needs no file is answered at once, as open() would.
    if (!isValidStoreId(options.storeId))
        return d->fail(u"invalid store id \"%1\": use letters, digits, '_' and '-' only"_s.arg(options.storeId));
    if (const QString problems = options.schema.validate(); !problems.isEmpty())
        return d->fail(u"invalid schema: "_s + problems);
    if (!options.inMemory && options.directory.isEmpty())
        return d->fail(u"no store directory given (set StoreOptions::directory or inMemory)"_s);

    static std::atomic<quint64> jobs{0};
    auto job = std::make_unique<StorePrivate::AsyncOpen>();
    job->id = ++jobs;
    job->worker = std::make_unique<StorePrivate>(this);
    StorePrivate *worker = job->worker.get();
    worker->cancelRequested = &job->cancel;
    // Posting to this object from the worker is safe: the Store joins the worker before it dies,
    // and calls still queued for a dead Store are dropped with it.
    const quint64 id = job->id;
    worker->postBootStatus = [this, id](const BootStatus &status) {
        QMetaObject::invokeMethod(
                this, [this, id, status] { StorePrivate::deliverAsyncBootStatus(this, id, status); },
                Qt::QueuedConnection);
    };
    d->opening = true;
    d->boot = {BootStatus::Loading, 0, 0};
    StorePrivate::AsyncOpen *running = job.get();
    d->asyncOpen = std::move(job);
    running->thread = std::thread([this, running, worker, options, id] {
        bool ok = worker->open(options);
        if (ok && worker->cancelled()) {
            ok = false;
            worker->error = u"opening was cancelled"_s;
        }
        if (!ok) {
            const QString error = worker->error;
            worker->close();
            worker->error = error;
        }
        running->succeeded = ok;
        QMetaObject::invokeMethod(this, [this, id] { StorePrivate::finishAsyncOpen(this, id); },
                                  Qt::QueuedConnection);
    });
    return true;
}

bool Store::isOpening() const
{
    return d->opening;
}

} // namespace LiveStore
