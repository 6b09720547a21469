// SPDX-License-Identifier: BSD-3-Clause
#include "syncengine_p.h"

#include "changesetrun_p.h"
#include "jsonwriter_p.h"
#include "logging_p.h"
#include "reactive_p.h"
#include "rowchanges_p.h"
#include "sqlutil_p.h"
#include "store_p.h"

#include <QtCore/qhash.h>
#include <QtCore/qvarlengtharray.h>

#include <sqlite3.h>

#include <initializer_list>
#include <limits>
#include <map>
#include <optional>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// LiveStore's event identity: numbers (without the rebase generation), name, origin and args.
// Both sides' args were decoded from their argsJson: the same bytes are the same args, and
// comparing them spares writing both out again (our own echo usually comes back byte for byte).
bool sameEvent(const EventRecord &local, const EventRecord &upstream)
{
    return local.seqNum.global == upstream.seqNum.global && local.seqNum.client == upstream.seqNum.client
            && local.name == upstream.name && local.clientId == upstream.clientId
            && local.sessionId == upstream.sessionId
            && ((!local.argsJson.isEmpty() && local.argsJson == upstream.argsJson)
                || json::writeObject(local.args) == json::writeObject(upstream.args));
}

// The first column of a cached statement's first row, read without building a QueryResult: the
// engine reads its upstream head and backend id several times per pulled page.
Database::Statement *step(Database &db, const QString &sql, std::initializer_list<qint64> binds)
{
    Database::Statement *s = db.prepare(sql);
    if (!s)
        return nullptr;
    sqlite3_reset(s->stmt);
    int index = 0;
    for (const qint64 value : binds)
        sqlite3_bind_int64(s->stmt, ++index, value);
    if (sqlite3_step(s->stmt) != SQLITE_ROW) {
        sqlite3_reset(s->stmt);
        return nullptr;
    }
    return s; // the caller reads column 0 and resets
}

// Runs a cached write with integer binds, as Database::execute() but without the QVariants;
// false with the reason in db.lastError().
bool writeInt64(Database &db, const QString &sql, std::initializer_list<qint64> binds)
{
    Database::Statement *s = db.prepare(sql);
    if (!s)
        return false;
    sqlite3_reset(s->stmt);
    int index = 0;
    for (const qint64 value : binds)
        sqlite3_bind_int64(s->stmt, ++index, value);
    const int rc = sqlite3_step(s->stmt);
    if (rc != SQLITE_DONE)
        db.setError(db.sqliteError());
    sqlite3_reset(s->stmt);
    return rc == SQLITE_DONE;
}

qint64 readInt64(Database &db, const QString &sql, std::initializer_list<qint64> binds = {})
{
    return db.readInteger(sql, binds).value_or(0);
}

// Inverted changesets of our own events apply to the state that produced them: a conflict means
// the state is not what the changeset expects, and applying further would corrupt it.
int abortOnConflict(void *, int, sqlite3_changeset_iter *)
{
    return SQLITE_CHANGESET_ABORT;
}

// Undoes the writes of one of our events, given its recorded changeset: each change reversed,
// in order, with the store's cached statements. sqlite3changeset_apply() on the inverted
// changeset does the same, but it brackets its work with PRAGMA defer_foreign_keys, and a PRAGMA
// like that expires every prepared statement of the connection: after each rebase every statement
// the client used next was compiled again (with ten clients racing, a fifth of their CPU, plus
// the statements sqlite3changeset_apply() prepares for itself on every call).
//
// The conflict rule is abortOnConflict's: a row that is not as the changeset left it, or a
// constraint that fails, is a Conflict, and the caller goes back to before the first undo and
// lets sqlite3changeset_apply() decide (it retries changes that failed a constraint once the
// others are done; this does not).
class ChangesetUndo
{
public:
    enum Result { Done, Conflict, Failed };

    // `columns`: the column names of tables met before, with the CREATE TABLE text they were
    // read from (kept by the engine from one rebase to the next).
    ChangesetUndo(Database &db, QHash<QString, std::pair<QByteArray, QStringList>> *columns)
        : m_db(db), m_columns(*columns)
    {
    }

    Result undo(const QByteArray &changeset, QString *error)
    {
        sqlite3_changeset_iter *it = nullptr;
        if (sqlite3changeset_start(&it, int(changeset.size()), const_cast<char *>(changeset.constData()))
            != SQLITE_OK) {
            *error = u"cannot read a recorded changeset"_s;
            return Failed;
        }
        Result result = Done;
        while (result == Done && sqlite3changeset_next(it) == SQLITE_ROW)
            result = undoChange(it, error);
        const int rc = sqlite3changeset_finalize(it);
        if (result == Done && rc != SQLITE_OK) {
            *error = QString::fromUtf8(sqlite3_errstr(rc));
            return Failed;
        }
        return result;
    }

private:
    // The table's column names, quoted, in their order (a changeset names columns by position).
    // pragma_table_info compiles a PRAGMA on every run, so the names are kept, and checked
    // against the table's CREATE statement (a reopened store may have rebuilt the table).
    const QStringList *columnsOf(const char *table, int count)
    {
        const QByteArray name(table);
        QByteArray definition;
        if (Database::Statement *s = m_db.prepare(
                    u"SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1"_s)) {
            sqlite3_reset(s->stmt);
            sqlite3_bind_text(s->stmt, 1, name.constData(), int(name.size()), SQLITE_STATIC);
            if (sqlite3_step(s->stmt) == SQLITE_ROW)
                definition = QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(s->stmt, 0)),
                                        sqlite3_column_bytes(s->stmt, 0));
            sqlite3_reset(s->stmt);
        }
        if (definition.isEmpty())
            return nullptr;
        const QString key = QString::fromUtf8(name);
        auto it = m_columns.find(key);
        if (it == m_columns.end() || it->first != definition) {
            QStringList columns;
            if (Database::Statement *s = m_db.prepare(u"SELECT name FROM pragma_table_info(?1) ORDER BY cid"_s)) {
                sqlite3_reset(s->stmt);
                sqlite3_bind_text(s->stmt, 1, name.constData(), int(name.size()), SQLITE_STATIC);
                while (sqlite3_step(s->stmt) == SQLITE_ROW)
                    columns.append(sql::quoteIdentifier(QString::fromUtf8(
                            reinterpret_cast<const char *>(sqlite3_column_text(s->stmt, 0)))));
                sqlite3_reset(s->stmt);
            }
            it = m_columns.insert(key, {definition, columns});
        }
        return it->second.size() == count ? &it->second : nullptr;
    }

    Result undoChange(sqlite3_changeset_iter *it, QString *error)
    {
        const char *table = nullptr;
        int count = 0;
        int op = 0;
        int indirect = 0;
        unsigned char *pk = nullptr;
        if (sqlite3changeset_op(it, &table, &count, &op, &indirect) != SQLITE_OK
            || sqlite3changeset_pk(it, &pk, nullptr) != SQLITE_OK) {
            *error = u"cannot read a recorded changeset"_s;
            return Failed;
        }
        const QStringList *columns = columnsOf(table, count);
        if (!columns)
            return Conflict; // the table is not as it was recorded: leave it to SQLite
        const QString quotedTable = sql::quoteIdentifier(QString::fromUtf8(table));
        // The values to bind, in the order of the ?s.
        QVarLengthArray<sqlite3_value *, 16> values;
        QString sql;
        auto value = [&](bool fromNew, int column) {
            sqlite3_value *v = nullptr;
            if (fromNew)
                sqlite3changeset_new(it, column, &v);
            else
                sqlite3changeset_old(it, column, &v);
            return v;
        };
        // The row as the change left it: its key with `=`, its other recorded values with IS.
        auto appendRowMatch = [&](bool fromNew, bool keyOnly) {
            QString separator = u" WHERE "_s;
            for (int i = 0; i < count; ++i) {
                if (keyOnly && !pk[i])
                    continue;
                sqlite3_value *v = value(fromNew, i);
                if (!v)
                    continue; // an update's unchanged column
                sql += separator + columns->at(i) + (pk[i] ? u" = ?"_s : u" IS ?"_s);
                values.append(v);
                separator = u" AND "_s;
            }
        };
        bool oneRow = true;
        switch (op) {
        case SQLITE_INSERT: // the row goes again
            sql = u"DELETE FROM "_s + quotedTable;
            appendRowMatch(true, false);
            break;
        case SQLITE_DELETE: { // the row comes back
            sql = u"INSERT INTO "_s + quotedTable + u" ("_s + columns->join(u", "_s) + u") VALUES ("_s;
            for (int i = 0; i < count; ++i) {
                sql += i ? u", ?"_s : u"?"_s;
                values.append(value(false, i));
            }
            sql += u')';
            oneRow = false;
            break;
        }
        case SQLITE_UPDATE: { // the changed columns get their old values back
            sql = u"UPDATE "_s + quotedTable;
            QString separator = u" SET "_s;
            for (int i = 0; i < count; ++i) {
                sqlite3_value *v = pk[i] ? nullptr : value(true, i);
                if (!v)
                    continue;
                sql += separator + columns->at(i) + u" = ?"_s;
                values.append(value(false, i));
                separator = u", "_s;
            }
            appendRowMatch(false, true); // the key, from the old record
            for (int i = 0; i < count; ++i) {
                sqlite3_value *v = pk[i] ? nullptr : value(true, i);
                if (!v)
                    continue;
                sql += u" AND "_s + columns->at(i) + u" IS ?"_s;
                values.append(v);
            }
            break;
        }
        default:
            *error = u"cannot read a recorded changeset"_s;
            return Failed;
        }
        for (sqlite3_value *v : values) {
            if (!v)
                return Conflict; // a value the changeset should carry and does not
        }
        Database::Statement *s = m_db.prepare(sql);
        if (!s) {
            *error = m_db.lastError();
            return Failed;
        }
        sqlite3_stmt *stmt = s->stmt;
        sqlite3_reset(stmt);
        for (int i = 0; i < values.size(); ++i)
            sqlite3_bind_value(stmt, i + 1, values.at(i));
        const int rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return Conflict;
        if (rc != SQLITE_DONE) {
            *error = m_db.sqliteError();
            return Failed;
        }
        if (oneRow && sqlite3_changes(m_db.handle()) != 1)
            return Conflict;
        return Done;
    }

    Database &m_db;
    QHash<QString, std::pair<QByteArray, QStringList>> &m_columns;
};

} // namespace

SyncEngine::SyncEngine(Store *store) : m_store(store) { }

StorePrivate *SyncEngine::d() const
{
    return m_store->d.get();
}

SyncEngine::Result SyncEngine::fail(const QString &error)
{
    m_error = error;
    qCWarning(lcStore, "sync: %s", qUtf8Printable(error));
    return {Result::Failed};
}

qint64 SyncEngine::upstreamHead() const
{
    return readInt64(d()->db, u"SELECT head FROM __livestore_sync_status WHERE id = 1"_s);
}

QString SyncEngine::backendId() const
{
    Database::Statement *s = step(d()->db, u"SELECT backendId FROM __livestore_sync_status WHERE id = 1"_s, {});
    if (!s)
        return {};
    QString id;
    if (sqlite3_column_type(s->stmt, 0) != SQLITE_NULL)
        id = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(s->stmt, 0)),
                               sqlite3_column_bytes(s->stmt, 0));
    sqlite3_reset(s->stmt);
    return id;
}

bool SyncEngine::setBackendId(const QString &backendId)
{
    Database &db = d()->db;
    Database::Statement *s = db.prepare(u"UPDATE __livestore_sync_status SET backendId = ? WHERE id = 1"_s);
    if (!s || !db.execute(s, {backendId.isEmpty() ? QVariant() : QVariant(backendId)})) {
        m_error = db.lastError();
        return false;
    }
    return true;
}

QList<EventRecord> SyncEngine::pendingEvents(bool syncedOnly, qsizetype limit) const
{
    return readEvents({upstreamHead(), 0}, std::numeric_limits<qint64>::max(), syncedOnly, limit);
}

QList<EventRecord> SyncEngine::readEvents(std::pair<qint64, qint64> after, qint64 upTo, bool syncedOnly,
                                          qsizetype limit) const
{
    Database &db = d()->db;
    QList<EventRecord> out;
    static const QString sql[2] = {
        u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?) AND seqNumGlobal <= ? "
         "ORDER BY seqNumGlobal, seqNumClient LIMIT ?"_s.arg(QLatin1StringView(EventColumns)),
        u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?) AND seqNumGlobal <= ? "
         "AND seqNumClient = 0 ORDER BY seqNumGlobal, seqNumClient LIMIT ?"_s.arg(QLatin1StringView(EventColumns)),
    };
    Database::Statement *s = db.prepare(sql[syncedOnly ? 1 : 0]);
    if (!s)
        return out;
    sqlite3_reset(s->stmt);
    sqlite3_bind_int64(s->stmt, 1, after.first);
    sqlite3_bind_int64(s->stmt, 2, after.second);
    sqlite3_bind_int64(s->stmt, 3, upTo);
    sqlite3_bind_int64(s->stmt, 4, limit < 0 ? -1 : qint64(limit)); // SQLite: -1 is no limit
    while (sqlite3_step(s->stmt) == SQLITE_ROW) {
        QString error;
        if (auto r = StorePrivate::readEventRow(s->stmt, &error))
            out.append(std::move(*r));
        else
            qCWarning(lcStore, "sync: %s", qUtf8Printable(error)); // Store::verify() reports it too
    }
    sqlite3_reset(s->stmt);
    return out;
}

qint64 SyncEngine::pendingSyncedCount() const
{
    return readInt64(d()->db,
                     u"SELECT count(*) FROM __livestore_eventlog WHERE seqNumGlobal > ? AND seqNumClient = 0"_s,
                     {upstreamHead()});
}

SyncEngine::Result SyncEngine::applyUpstream(const QList<EventRecord> &events)
{
    StorePrivate *p = d();
    if (!p->checkWritable())
        return fail(p->error);
    if (!p->options.recordChangesets)
        return fail(u"the store keeps no changesets (StoreOptions::recordChangesets): it cannot rebase"_s);
    if (events.isEmpty()) {
        // Nothing to apply (SyncClient::start() asks only whether a rebase would be possible):
        // no write transaction to wait for.
        Result result;
        result.upstreamHead = upstreamHead();
        return result;
    }
    Database &db = p->db;
    // Everything below reads and writes in one write transaction: another process of the store
    // may commit pending events of its own up to the moment it begins (otherprocesses.cpp), and
    // those have to be rolled back and rebased with ours.
    if (!db.execCached(u"BEGIN IMMEDIATE"_s))
        return fail(db.lastError());
    auto abort = [&](const QString &error) {
        db.execCached(u"ROLLBACK"_s);
        p->loadHead();
        return fail(error);
    };
    if (!p->noticeOtherProcesses())
        return abort(p->error);
    Result result;
    const qint64 up = upstreamHead();
    result.upstreamHead = up;

    // The server may deliver again what we already have (sync-cf 0.4.0 does, when a live pull
    // starts while others push): drop it, keep going.
    QList<EventRecord> incoming;
    qint64 last = up;
    for (const EventRecord &e : events) {
        if (e.seqNum.global <= last) {
            ++result.dropped;
            continue;
        }
        if (e.seqNum.global != last + 1)
            return abort(u"pulled events skip from e%1 to e%2"_s.arg(last).arg(e.seqNum.global));
        incoming.append(e);
        last = e.seqNum.global;
    }
    if (result.dropped)
        qCInfo(lcStore, "sync: dropped %d pulled event(s) at or below the upstream head e%lld",
               result.dropped, up);
    if (incoming.isEmpty()) {
        db.execCached(u"ROLLBACK"_s);
        p->announceOthersChanges();
        return result;
    }
    const qint64 newUp = incoming.constLast().seqNum.global;

    // Only as many pending events as arrived can be confirmed: the synced ones numbered up to the
    // pulled page's last, and the client-only ones between them. Reading just those keeps a pull
    // cheap while many events wait (a 100,000-event backlog is confirmed a page at a time); the
    // rest is read only when ours turn out to be ordered after someone else's.
    QList<EventRecord> pending = readEvents({up, 0}, newUp, false, -1);
    qsizetype matched = 0;
    qsizetype afterMatched = 0; // index in `pending` after the last confirmed event
    qsizetype candidates = 0;
    for (qsizetype i = 0; i < pending.size(); ++i) {
        if (pending.at(i).seqNum.client != 0)
            continue;
        ++candidates;
        if (matched == candidates - 1 && matched < incoming.size()
            && sameEvent(pending.at(i), incoming.at(matched))) {
            ++matched;
            afterMatched = i + 1;
        }
    }
    result.confirmed = int(matched);

    // Our own unconfirmed events that the server ordered after someone else's: roll them (and the
    // client-only events after them) back, to re-apply them on top.
    QList<EventRecord> rollback;
    if (matched < candidates && matched < incoming.size()) {
        rollback = pending.mid(afterMatched);
        rollback += readEvents({newUp, std::numeric_limits<qint64>::max()}, std::numeric_limits<qint64>::max(),
                               false, -1);
    }

    // Events committed while the store kept no changesets (opened without recordChangesets, e.g.
    // by a tool that did not sync) cannot be rolled back one by one: then the eventlog is
    // rewritten in the final order and the whole state rebuilt from it, in this transaction.
    // Slower, and the same result.
    bool replay = false;
    QList<QByteArray> changesets;
    // Set when the rollback starts inside a run of events that an earlier rebase re-applied
    // together (changesetrun_p.h) and whose first events were confirmed since: undoing the run
    // undoes those too, so they are applied again, from this event on.
    std::optional<SequenceNumber> reapplyFrom;
    if (!rollback.isEmpty()) {
        // One read for all of them: the rolled-back events are every pending event from the first
        // of them on, and so are their changesets.
        std::map<SequenceNumber, QByteArray> recorded;
        const SequenceNumber &first = rollback.constFirst().seqNum;
        if (Database::Statement *s = db.prepare(
                    u"SELECT seqNumGlobal, seqNumClient, seqNumRebaseGeneration, changeset FROM "
                     "__livestore_session_changeset WHERE (seqNumGlobal, seqNumClient) >= (?, ?)"_s)) {
            sqlite3_reset(s->stmt);
            sqlite3_bind_int64(s->stmt, 1, first.global);
            sqlite3_bind_int64(s->stmt, 2, first.client);
            while (sqlite3_step(s->stmt) == SQLITE_ROW) {
                const SequenceNumber n{sqlite3_column_int64(s->stmt, 0), sqlite3_column_int64(s->stmt, 1),
                                       sqlite3_column_int64(s->stmt, 2)};
                recorded.emplace(n, QByteArray(static_cast<const char *>(sqlite3_column_blob(s->stmt, 3)),
                                               sqlite3_column_bytes(s->stmt, 3)));
            }
            sqlite3_reset(s->stmt);
        }
        SequenceNumber runFirst;
        QByteArray runChangeset;
        for (qsizetype i = 0; i < rollback.size(); ++i) {
            const SequenceNumber &n = rollback.at(i).seqNum;
            const auto it = recorded.find(n);
            if (it == recorded.end()) {
                replay = true;
                changesets.append(QByteArray());
            } else if (detail::readRunChangesetBlob(it->second, &runFirst, &runChangeset)) {
                // The run's changeset comes with its last event (always rolled back with the
                // others: a rollback takes every pending event from its first on).
                if (i == 0 && std::pair(runFirst.global, runFirst.client) < std::pair(n.global, n.client))
                    reapplyFrom = runFirst;
                changesets.append(runChangeset);
            } else {
                changesets.append(it->second);
            }
        }
    }
    if (replay)
        qCInfo(lcStore, "sync: rebasing by replaying the eventlog: local events were committed "
                        "without recorded changesets");

    // The rows this merge changes, net, in the tables of live queries that follow rows (as a
    // commit records them): a catch-up page that changes nothing a model shows costs the model
    // next to nothing, instead of a re-run of its query. Not with a replay, which rebuilds the
    // tables (a session does not see DROP TABLE): the live queries re-run then.
    detail::RowChangeRecorder recorder;
    if (p->graph && !replay)
        recorder.start(db.handle(), p->graph->trackedTables());

    // Undo their writes, newest first, with our own statements; should anything not be as the
    // changesets left it, go back and let SQLite's changeset_apply() decide, as it always did.
    if (!replay && !rollback.isEmpty()) {
        if (!db.execCached(u"SAVEPOINT livestore_rollback"_s))
            return abort(db.lastError());
        ChangesetUndo undo(db, &m_tableColumns);
        ChangesetUndo::Result undone = ChangesetUndo::Done;
        QString error;
        for (qsizetype i = rollback.size() - 1; i >= 0 && undone == ChangesetUndo::Done; --i) {
            if (!changesets.at(i).isEmpty())
                undone = undo.undo(changesets.at(i), &error);
        }
        if (undone == ChangesetUndo::Failed)
            return abort(u"cannot roll back our events: "_s + error);
        if (undone == ChangesetUndo::Conflict) {
            qCInfo(lcStore, "sync: rolling back our events with SQLite's changeset_apply: a change "
                            "did not undo as recorded (a constraint that holds only in another order)");
            if (!db.execCached(u"ROLLBACK TO livestore_rollback"_s))
                return abort(db.lastError());
        }
        if (!db.execCached(u"RELEASE livestore_rollback"_s))
            return abort(db.lastError());
        for (qsizetype i = rollback.size() - 1; undone == ChangesetUndo::Conflict && i >= 0; --i) {
            const QByteArray &changeset = changesets.at(i);
            if (changeset.isEmpty())
                continue;
            int invertedSize = 0;
            void *inverted = nullptr;
            int rc = sqlite3changeset_invert(int(changeset.size()), changeset.constData(), &invertedSize, &inverted);
            if (rc == SQLITE_OK)
                rc = sqlite3changeset_apply(db.handle(), invertedSize, inverted, nullptr, abortOnConflict, nullptr);
            sqlite3_free(inverted);
            if (rc != SQLITE_OK)
                return abort(u"cannot roll back event %1 (%2): %3"_s.arg(rollback.at(i).seqNum.toString(),
                                                                          rollback.at(i).name,
                                                                          QString::fromUtf8(sqlite3_errstr(rc))));
        }
    }

    // Only stores that ever skipped an event have the table (recordSkip() creates it).
    const bool hasSkips = !rollback.isEmpty()
            && readInt64(db, u"SELECT count(*) FROM sqlite_schema WHERE name = '__livestore_skipped_events'"_s) > 0;
    for (qsizetype i = rollback.size() - 1; i >= 0; --i) {
        const SequenceNumber &n = rollback.at(i).seqNum;
        const std::initializer_list<qint64> key{n.global, n.client, n.rebaseGeneration};
        if (!writeInt64(db, u"DELETE FROM __livestore_eventlog WHERE seqNumGlobal = ? AND seqNumClient = ? AND "
                             "seqNumRebaseGeneration = ?"_s, key)
            || !writeInt64(db, u"DELETE FROM __livestore_session_changeset WHERE seqNumGlobal = ? AND "
                                "seqNumClient = ? AND seqNumRebaseGeneration = ?"_s, key))
            return abort(db.lastError());
        // Re-applied below under a new number, and skipped again (or not) on its own merits.
        if (hasSkips && !writeInt64(db, u"DELETE FROM __livestore_skipped_events WHERE seqNumGlobal = ? "
                                         "AND seqNumClient = ? AND seqNumRebaseGeneration = ?"_s, key))
            return abort(db.lastError());
    }

    // The events of a run that stay (confirmed, before the rollback's first) were undone with the
    // run: applied again in their order, as a replay applies events (skipped where they were).
    if (reapplyFrom && !replay) {
        const SequenceNumber &stop = rollback.constFirst().seqNum;
        const QSet<QString> skips = p->recordedSkips();
        QList<EventRecord> stay = readEvents({reapplyFrom->global, reapplyFrom->client - 1}, stop.global, false, -1);
        for (EventRecord &r : stay) {
            if (std::pair(r.seqNum.global, r.seqNum.client) >= std::pair(stop.global, stop.client))
                break;
            if (p->applyHistoryEvent(db, r, nullptr, nullptr, &skips) == StorePrivate::HistoryResult::Failed)
                return abort(u"re-applying event %1 (%2) after undoing its run failed: "_s.arg(
                                     r.seqNum.toString(), r.name) + p->error);
        }
    }

    // The others' events, in the server's order. Confirmed ones are never rolled back: no changesets.
    for (qsizetype i = matched; i < incoming.size(); ++i) {
        EventRecord r = incoming.at(i);
        r.seqNum.rebaseGeneration = 0;
        if (r.argsJson.isEmpty())
            r.argsJson = json::writeObject(r.args);
        if (replay) {
            // Materialized by the rebuild below; only the hash is needed now.
            const StorePrivate::EventRuntime *runtime = p->findEvent(r.name);
            r.schemaHash = runtime ? runtime->hash : -1;
        } else {
            switch (p->applyHistoryEvent(db, r, nullptr)) {
            case StorePrivate::HistoryResult::Failed:
                return abort(u"applying pulled event %1 failed: "_s.arg(r.seqNum.toString()) + p->error);
            case StorePrivate::HistoryResult::Skipped:
                result.skipped.append(p->lastSkipped);
                break;
            case StorePrivate::HistoryResult::Applied:
                break;
            }
        }
        if (!p->insertEventRecord(r))
            return abort(p->error);
        ++result.applied;
    }

    // Without changesets, the state of everything before the rebased events comes from a replay
    // of the log as it now is (confirmed and pulled events); the rebased events are then applied
    // on top one by one, as below, and get changesets: only this first rebase has to replay.
    if (replay) {
        p->replayAppliesPolicy = true;
        const bool rebuilt = p->rebuildStateInTransaction(false);
        p->replayAppliesPolicy = false;
        if (!rebuilt)
            return abort(u"rebuilding the state in the rebased order failed: "_s + p->error);
    }

    // Our rolled-back events again, renumbered on top, one rebase generation up.
    SequenceNumber at{newUp, 0, 0};
    const qint64 generation = rollback.isEmpty() ? 0 : rollback.constFirst().seqNum.rebaseGeneration + 1;
    QList<EventRecord> rebased;
    rebased.reserve(rollback.size());
    // More than one: one session for the run instead of one per event (changesetrun_p.h).
    detail::RunSession run;
    const bool asRun = rollback.size() > 1;
    if (asRun && !run.start(db.handle()))
        return abort(u"cannot record the changes of the rebased events: "_s + db.sqliteError());
    SequenceNumber runFirst;
    for (EventRecord r : std::as_const(rollback)) {
        const bool clientOnly = r.seqNum.client > 0;
        const SequenceNumber base{at.global, at.client, generation};
        r.seqNum = base.next(clientOnly);
        r.parentSeqNum = base.parentForNext(clientOnly);
        // Already part of what other clients will see once pushed: it cannot be refused now, and
        // they will find it failing the same way on the same state.
        if (rebased.isEmpty())
            runFirst = r.seqNum;
        QByteArray changeset;
        switch (p->applyHistoryEvent(db, r, nullptr, asRun ? nullptr : &changeset)) {
        case StorePrivate::HistoryResult::Failed:
            return abort(u"re-applying event %1 (%2) on top of the server's events failed: "_s.arg(
                                 r.seqNum.toString(), r.name) + p->error);
        case StorePrivate::HistoryResult::Skipped:
            result.skipped.append(p->lastSkipped);
            break;
        case StorePrivate::HistoryResult::Applied:
            break;
        }
        if (!p->insertEventRecord(r)
            || !p->insertChangeset(r.seqNum, asRun ? detail::runChangesetBlob(runFirst, {}) : changeset))
            return abort(p->error);
        at = r.seqNum;
        ++result.rebased;
        rebased.append(std::move(r));
    }
    if (asRun) {
        QByteArray changeset;
        if (!run.finish(&changeset))
            return abort(u"cannot record the changes of the rebased events: "_s + db.sqliteError());
        if (!p->insertChangeset(rebased.constLast().seqNum, detail::runChangesetBlob(runFirst, changeset)))
            return abort(p->error);
    }

    // Other processes of the store re-read everything after a rebase (their live queries cannot
    // tell which of their rows it moved).
    if (!rollback.isEmpty() && !replay && !p->recordRewrite())
        return abort(p->error);
    // Rollback never goes below the upstream head: changes of confirmed events are not needed.
    if (!writeInt64(db, u"DELETE FROM __livestore_session_changeset WHERE (seqNumGlobal, seqNumClient) <= (?, 0)"_s,
                    {newUp})
        || !writeInt64(db, u"UPDATE __livestore_sync_status SET head = ? WHERE id = 1"_s, {newUp}))
        return abort(db.lastError());
    detail::RowChanges rowChanges;
    const bool haveRowChanges = recorder.isActive() && recorder.finish(&rowChanges);
    if (!db.execCached(u"COMMIT"_s))
        return abort(db.lastError());

    p->loadHead();
    p->upstreamHead = newUp; // ours: not a confirmation another process made
    result.upstreamHead = newUp;
    result.kind = rollback.isEmpty() ? Result::Advanced : Result::Rebased;
    if (!rollback.isEmpty())
        result.pending = std::move(rebased);
    QSet<QString> tables;
    const StorePrivate::OthersChanges others = p->takeOthersChanges(&tables);
    if (result.applied > 0 || result.rebased > 0 || others.any) {
        // One refresh for the whole merge; a rebase may have touched any table.
        tables.insert(QStringLiteral("__livestore_eventlog"));
        for (const TableDef &t : p->schema.tables())
            tables.insert(t.name);
        if (p->graph)
            p->graph->tablesChanged(tables, haveRowChanges && !others.tables ? &rowChanges : nullptr);
        Q_EMIT p->q->eventlogChanged(result.rebased > 0 || others.rewrote);
    }
    return result;
}

bool SyncEngine::resetLocalData()
{
    StorePrivate *p = d();
    Database &db = p->db;
    if (!db.execCached(u"BEGIN IMMEDIATE"_s)) {
        m_error = db.lastError();
        return false;
    }
    const bool ok = p->noticeOtherProcesses() && p->recordRewrite()
            && db.exec("DELETE FROM __livestore_eventlog")
            && db.exec("DELETE FROM __livestore_session_changeset")
            && db.exec("DROP TABLE IF EXISTS __livestore_skipped_events")
            && db.exec("UPDATE __livestore_sync_status SET head = 0, backendId = NULL WHERE id = 1")
            && db.execCached(u"COMMIT"_s);
    if (!ok) {
        m_error = db.lastError();
        db.execCached(u"ROLLBACK"_s);
        return false;
    }
    p->upstreamHead = 0;
    // An empty eventlog replays into empty tables.
    if (!m_store->rematerialize()) {
        m_error = m_store->errorString();
        return false;
    }
    p->loadHead();
    return true;
}

} // namespace LiveStore
