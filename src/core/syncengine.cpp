// SPDX-License-Identifier: BSD-3-Clause
#include "syncengine_p.h"

#include "jsonwriter_p.h"
#include "logging_p.h"
#include "store_p.h"

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// LiveStore's event identity: numbers (without the rebase generation), name, origin and args.
bool sameEvent(const EventRecord &local, const EventRecord &upstream)
{
    return local.seqNum.global == upstream.seqNum.global && local.seqNum.client == upstream.seqNum.client
            && local.name == upstream.name && local.clientId == upstream.clientId
            && local.sessionId == upstream.sessionId
            && json::writeObject(local.args) == json::writeObject(upstream.args);
}

// Inverted changesets of our own events apply to the state that produced them: a conflict means
// the state is not what the changeset expects, and applying further would corrupt it.
int abortOnConflict(void *, int, sqlite3_changeset_iter *)
{
    return SQLITE_CHANGESET_ABORT;
}

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
    Database &db = d()->db;
    return db.run(db.prepare(u"SELECT head FROM __livestore_sync_status WHERE id = 1"_s)).scalar().toLongLong();
}

QString SyncEngine::backendId() const
{
    Database &db = d()->db;
    return db.run(db.prepare(u"SELECT backendId FROM __livestore_sync_status WHERE id = 1"_s)).scalar().toString();
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
    Database &db = d()->db;
    QList<EventRecord> out;
    Database::Statement *s = db.prepare(
            u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, 0)%2 "
             "ORDER BY seqNumGlobal, seqNumClient LIMIT ?"_s.arg(QLatin1StringView(EventColumns),
                                                                  syncedOnly ? u" AND seqNumClient = 0"_s : QString()));
    if (!s)
        return out;
    sqlite3_reset(s->stmt);
    sqlite3_bind_int64(s->stmt, 1, upstreamHead());
    sqlite3_bind_int64(s->stmt, 2, limit < 0 ? -1 : qint64(limit)); // SQLite: -1 is no limit
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
    Database &db = d()->db;
    Database::Statement *s = db.prepare(
            u"SELECT count(*) FROM __livestore_eventlog WHERE seqNumGlobal > ? AND seqNumClient = 0"_s);
    return s ? db.run(s, {upstreamHead()}).scalar().toLongLong() : 0;
}

SyncEngine::Result SyncEngine::applyUpstream(const QList<EventRecord> &events)
{
    StorePrivate *p = d();
    if (!p->checkWritable())
        return fail(p->error);
    if (!p->options.recordChangesets)
        return fail(u"the store keeps no changesets (StoreOptions::recordChangesets): it cannot rebase"_s);
    Result result;
    const qint64 up = upstreamHead();

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
            return fail(u"pulled events skip from e%1 to e%2"_s.arg(last).arg(e.seqNum.global));
        incoming.append(e);
        last = e.seqNum.global;
    }
    if (result.dropped)
        qCInfo(lcStore, "sync: dropped %d pulled event(s) at or below the upstream head e%lld",
               result.dropped, up);
    if (incoming.isEmpty())
        return result;

    // Only as many pending events as arrived can be confirmed: reading just those keeps a pull
    // cheap while many events wait (a 100,000-event backlog is confirmed a page at a time).
    const QList<EventRecord> candidates = pendingEvents(true, incoming.size());
    qsizetype matched = 0;
    while (matched < incoming.size() && matched < candidates.size()
           && sameEvent(candidates.at(matched), incoming.at(matched)))
        ++matched;
    result.confirmed = int(matched);
    const qint64 newUp = incoming.constLast().seqNum.global;

    // Our own unconfirmed events that the server ordered after someone else's: roll them (and the
    // client-only events after them) back, to re-apply them on top.
    QList<EventRecord> rollback;
    if (matched < candidates.size() && matched < incoming.size()) {
        const QList<EventRecord> pending = pendingEvents(false);
        QList<qsizetype> synced;
        for (qsizetype i = 0; i < pending.size(); ++i) {
            if (pending.at(i).seqNum.client == 0)
                synced.append(i);
        }
        rollback = pending.mid(matched == 0 ? 0 : synced.at(matched - 1) + 1);
    }

    Database &db = p->db;
    if (!db.execCached(u"BEGIN IMMEDIATE"_s))
        return fail(db.lastError());
    auto abort = [&](const QString &error) {
        db.execCached(u"ROLLBACK"_s);
        p->loadHead();
        return fail(error);
    };

    // Events committed while the store kept no changesets (opened without recordChangesets, e.g.
    // by a tool that did not sync) cannot be rolled back one by one: then the eventlog is
    // rewritten in the final order and the whole state rebuilt from it, in this transaction.
    // Slower, and the same result.
    bool replay = false;
    QList<std::optional<QByteArray>> changesets;
    for (const EventRecord &r : std::as_const(rollback)) {
        const SequenceNumber &n = r.seqNum;
        const QueryResult cs = db.run(db.prepare(
                u"SELECT changeset FROM __livestore_session_changeset WHERE seqNumGlobal = ? AND "
                 "seqNumClient = ? AND seqNumRebaseGeneration = ?"_s), {n.global, n.client, n.rebaseGeneration});
        if (cs.isEmpty()) {
            replay = true;
            changesets.append(std::nullopt);
        } else {
            changesets.append(cs.scalar().toByteArray());
        }
    }
    if (replay)
        qCInfo(lcStore, "sync: rebasing by replaying the eventlog: local events were committed "
                        "without recorded changesets");

    const bool hasSkips = !rollback.isEmpty() && !p->recordedSkips().isEmpty();
    for (qsizetype i = rollback.size() - 1; i >= 0; --i) {
        const SequenceNumber &n = rollback.at(i).seqNum;
        const QByteArray changeset = changesets.at(i).value_or(QByteArray());
        if (!replay && !changeset.isEmpty()) {
            int invertedSize = 0;
            void *inverted = nullptr;
            int rc = sqlite3changeset_invert(int(changeset.size()), changeset.constData(), &invertedSize, &inverted);
            if (rc == SQLITE_OK)
                rc = sqlite3changeset_apply(db.handle(), invertedSize, inverted, nullptr, abortOnConflict, nullptr);
            sqlite3_free(inverted);
            if (rc != SQLITE_OK)
                return abort(u"cannot roll back event %1 (%2): %3"_s.arg(n.toString(), rollback.at(i).name,
                                                                          QString::fromUtf8(sqlite3_errstr(rc))));
        }
        Database::Statement *del = db.prepare(
                u"DELETE FROM __livestore_eventlog WHERE seqNumGlobal = ? AND seqNumClient = ? AND "
                 "seqNumRebaseGeneration = ?"_s);
        Database::Statement *delCs = db.prepare(
                u"DELETE FROM __livestore_session_changeset WHERE seqNumGlobal = ? AND seqNumClient = ? "
                 "AND seqNumRebaseGeneration = ?"_s);
        const QVariantList key{n.global, n.client, n.rebaseGeneration};
        if (!db.execute(del, key) || !db.execute(delCs, key))
            return abort(db.lastError());
        // Re-applied below under a new number, and skipped again (or not) on its own merits.
        if (hasSkips && !db.execute(db.prepare(u"DELETE FROM __livestore_skipped_events WHERE seqNumGlobal = ? "
                                                "AND seqNumClient = ? AND seqNumRebaseGeneration = ?"_s), key))
            return abort(db.lastError());
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
    for (EventRecord r : std::as_const(rollback)) {
        const bool clientOnly = r.seqNum.client > 0;
        const SequenceNumber base{at.global, at.client, generation};
        r.seqNum = base.next(clientOnly);
        r.parentSeqNum = base.parentForNext(clientOnly);
        // Already part of what other clients will see once pushed: it cannot be refused now, and
        // they will find it failing the same way on the same state.
        QByteArray changeset;
        switch (p->applyHistoryEvent(db, r, nullptr, &changeset)) {
        case StorePrivate::HistoryResult::Failed:
            return abort(u"re-applying event %1 (%2) on top of the server's events failed: "_s.arg(
                                 r.seqNum.toString(), r.name) + p->error);
        case StorePrivate::HistoryResult::Skipped:
            result.skipped.append(p->lastSkipped);
            break;
        case StorePrivate::HistoryResult::Applied:
            break;
        }
        if (!p->insertEventRecord(r) || !p->insertChangeset(r.seqNum, changeset))
            return abort(p->error);
        at = r.seqNum;
        ++result.rebased;
    }

    // Rollback never goes below the upstream head: changes of confirmed events are not needed.
    Database::Statement *trim = db.prepare(
            u"DELETE FROM __livestore_session_changeset WHERE (seqNumGlobal, seqNumClient) <= (?, 0)"_s);
    Database::Statement *setHead = db.prepare(u"UPDATE __livestore_sync_status SET head = ? WHERE id = 1"_s);
    if (!db.execute(trim, {newUp}) || !db.execute(setHead, {newUp}))
        return abort(db.lastError());
    if (!db.execCached(u"COMMIT"_s))
        return abort(db.lastError());

    p->loadHead();
    result.kind = rollback.isEmpty() ? Result::Advanced : Result::Rebased;
    if (result.applied > 0 || result.rebased > 0) {
        // One refresh for the whole merge; a rebase may have touched any table.
        QSet<QString> tables{QStringLiteral("__livestore_eventlog")};
        for (const TableDef &t : p->schema.tables())
            tables.insert(t.name);
        if (p->graph)
            p->graph->tablesChanged(tables);
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
    const bool ok = db.exec("DELETE FROM __livestore_eventlog")
            && db.exec("DELETE FROM __livestore_session_changeset")
            && db.exec("DROP TABLE IF EXISTS __livestore_skipped_events")
            && db.exec("UPDATE __livestore_sync_status SET head = 0, backendId = NULL WHERE id = 1")
            && db.execCached(u"COMMIT"_s);
    if (!ok) {
        m_error = db.lastError();
        db.execCached(u"ROLLBACK"_s);
        return false;
    }
    // An empty eventlog replays into empty tables.
    if (!m_store->rematerialize()) {
        m_error = m_store->errorString();
        return false;
    }
    p->loadHead();
    return true;
}

} // namespace LiveStore
