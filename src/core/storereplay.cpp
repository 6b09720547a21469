// SPDX-License-Identifier: BSD-3-Clause
// Replaying: the state rebuilt from the eventlog (after a table changed, rematerialize(), a
// rebase without changesets), event by event through the commit's materialize(), skipping only
// what was skipped when the event arrived.
#include "store.h"

#include "importlines_p.h"
#include "logging_p.h"
#include "sqlutil_p.h"
#include "store_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

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
    if (parseError.error == QJsonParseError::NoError && doc.isObject()) {
        r.args = doc.object().toVariantMap();
        return r;
    }
    // Pulled events keep the arguments as the server sent them, and those need not be an object:
    // sync-cf sends "args":null for an event pushed without arguments, and a peer's schema may
    // give an event arguments of another kind. Such an event has no arguments here (its
    // materializer saw none, or it was skipped as not fitting the schema); only text that is
    // not JSON at all is damage. (QJsonDocument reads no bare value: it is read as an array's.)
    QJsonParseError valueError;
    const QJsonDocument wrapped = QJsonDocument::fromJson("[" + r.argsJson + "]", &valueError);
    if (valueError.error == QJsonParseError::NoError && wrapped.array().size() == 1)
        return r;
    if (errorString)
        *errorString = u"event %1 (%2) has corrupt arguments in the eventlog: %3"_s.arg(
                r.seqNum.toString(), r.name, parseError.errorString());
    return std::nullopt;
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

// Events read from the eventlog at a time. The read is finished (its statement reset) before the
// batch is applied, so that no materializer runs while it is open; a few hundred keep its seeks
// rare and the batch small.
constexpr int ReplayBatchSize = 256;

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
                                         "ORDER BY seqNumGlobal, seqNumClient LIMIT %2"_s
                                                .arg(QLatin1StringView(EventColumns))
                                                .arg(ReplayBatchSize));
    if (!s)
        return fail(db.lastError());
    const QSet<QString> skips = recordedSkips();
    EventRowReader reader;
    qint64 done = 0;
    const qint64 step = std::max<qint64>(1000, total / 100);
    SequenceNumber after = SequenceNumber::root();
    // One list for every batch: cleared, it keeps its capacity.
    QList<EventRecord> batch;
    batch.reserve(ReplayBatchSize);
    for (;;) {
        batch.clear();
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
            // No set of written tables: a rebuild's readers re-read every table afterwards.
            if (applyHistoryEvent(target, event, nullptr, nullptr, replayAppliesPolicy ? nullptr : &skips)
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

} // namespace LiveStore
