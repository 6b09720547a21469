// SPDX-License-Identifier: BSD-3-Clause
#include "upstreammerge_p.h"

#include "jsonwriter_p.h"
#include "logging_p.h"
#include "reactive_p.h"
#include "store_p.h"

#include <sqlite3.h>

#include <initializer_list>
#include <limits>
#include <map>

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

} // namespace

UpstreamMerge::UpstreamMerge(SyncEngine &engine, StorePrivate *store)
    : m_engine(engine), m_store(store), m_db(store->db), m_undo(store->db, &engine.m_tableColumns)
{
}

UpstreamMerge::~UpstreamMerge()
{
    if (m_phase != Phase::Finished)
        cancel(u"syncing stopped"_s);
}

SyncEngine::Result UpstreamMerge::start(const QList<EventRecord> &events, qint64 budgetNs)
{
    m_slice.start();
    m_budgetNs = budgetNs;
    m_progressed = false;
    if (!prepare(events))
        return m_result;
    if (m_phase == Phase::Finished) {
        // Nothing new (re-deliveries only): other processes' changes noticed on the way are
        // announced, and what that sets off may delete the engine and this merge.
        const SyncEngine::Result result = m_result;
        StorePrivate *p = m_store;
        p->announceOthersChanges();
        return result;
    }
    m_progressed = true;
    return runSlice();
}

SyncEngine::Result UpstreamMerge::run(qint64 budgetNs)
{
    if (m_phase == Phase::Finished)
        return m_result;
    if (m_db.hasSuspendedWork())
        m_db.setSuspendedWork(nullptr); // ours, running now
    m_slice.start();
    m_budgetNs = budgetNs;
    m_progressed = false;
    m_deliver = true;
    return runSlice();
}

bool UpstreamMerge::outOfTime() const
{
    return m_budgetNs > 0 && m_progressed && m_slice.nsecsElapsed() >= m_budgetNs;
}

void UpstreamMerge::complete()
{
    m_slice.start();
    m_budgetNs = 0;
    m_deliver = false;
    // A copy: what the live queries set off may delete the engine and this merge.
    const std::function<void()> completed = m_engine.m_mergeCompleted;
    runSlice();
    if (completed)
        completed();
}

void UpstreamMerge::cancel()
{
    cancel(u"the store was closed"_s);
}

void UpstreamMerge::cancel(const QString &why)
{
    if (m_phase == Phase::Finished)
        return;
    if (m_db.hasSuspendedWork())
        m_db.setSuspendedWork(nullptr); // ours: nothing else suspends work on this connection
    m_deliver = false; // the engine's caller learns of it when it goes on with the merge
    const QString message = u"the merge of pulled events was rolled back: "_s + why;
    qCInfo(lcStore, "sync: %s (the next pull brings them again)", qUtf8Printable(message));
    abort(message, false);
}

void UpstreamMerge::finishWith(SyncEngine::Result result)
{
    m_result = std::move(result);
    m_phase = Phase::Finished;
    m_delivered = m_deliver;
}

bool UpstreamMerge::abort(const QString &error, bool warn)
{
    m_recorder.reset();
    m_run.reset();
    if (m_inTransaction && m_db.isOpen())
        m_db.execCached(u"ROLLBACK"_s);
    m_inTransaction = false;
    m_inSavepoint = false;
    m_store->loadHead();
    if (warn) {
        finishWith(m_engine.fail(error));
    } else {
        m_engine.m_error = error;
        finishWith({SyncEngine::Result::Failed});
    }
    return false;
}

// Everything up to the first write: which pulled events are new, which of ours they confirm,
// which of ours must move, and those's changesets.
bool UpstreamMerge::prepare(const QList<EventRecord> &events)
{
    StorePrivate *p = m_store;
    Database &db = m_db;
    // Everything below reads and writes in one write transaction: another process of the store
    // may commit pending events of its own up to the moment it begins (otherprocesses.cpp), and
    // those have to be rolled back and rebased with ours.
    if (!db.execCached(u"BEGIN IMMEDIATE"_s)) {
        finishWith(m_engine.fail(db.lastError()));
        return false;
    }
    m_inTransaction = true;
    if (!p->noticeOtherProcesses())
        return abort(p->error);
    const qint64 up = m_engine.upstreamHead();
    m_result.upstreamHead = up;

    // The server may deliver again what we already have (sync-cf 0.4.0 does, when a live pull
    // starts while others push): drop it, keep going.
    qint64 last = up;
    for (const EventRecord &e : events) {
        if (e.seqNum.global <= last) {
            ++m_result.dropped;
            continue;
        }
        if (e.seqNum.global != last + 1)
            return abort(u"pulled events skip from e%1 to e%2"_s.arg(last).arg(e.seqNum.global));
        m_incoming.append(e);
        last = e.seqNum.global;
    }
    if (m_result.dropped)
        qCInfo(lcStore, "sync: dropped %d pulled event(s) at or below the upstream head e%lld",
               m_result.dropped, up);
    if (m_incoming.isEmpty()) {
        db.execCached(u"ROLLBACK"_s);
        m_inTransaction = false;
        finishWith(std::move(m_result)); // start() announces what other processes changed
        return true;
    }
    m_newUpstreamHead = m_incoming.constLast().seqNum.global;

    // Only as many pending events as arrived can be confirmed: the synced ones numbered up to the
    // pulled page's last, and the client-only ones between them. Reading just those keeps a pull
    // cheap while many events wait (a 100,000-event backlog is confirmed a page at a time); the
    // rest is read only when ours turn out to be ordered after someone else's.
    const QList<EventRecord> pending = m_engine.readEvents({up, 0}, m_newUpstreamHead, false, -1);
    qsizetype afterMatched = 0; // index in `pending` after the last confirmed event
    qsizetype candidates = 0;
    for (qsizetype i = 0; i < pending.size(); ++i) {
        if (pending.at(i).seqNum.client != 0)
            continue;
        ++candidates;
        if (m_matched == candidates - 1 && m_matched < m_incoming.size()
            && sameEvent(pending.at(i), m_incoming.at(m_matched))) {
            ++m_matched;
            afterMatched = i + 1;
        }
    }
    m_result.confirmed = int(m_matched);

    // Our own unconfirmed events that the server ordered after someone else's: roll them (and the
    // client-only events after them) back, to re-apply them on top.
    if (m_matched < candidates && m_matched < m_incoming.size()) {
        m_rollback = pending.mid(afterMatched);
        m_rollback += m_engine.readEvents({m_newUpstreamHead, std::numeric_limits<qint64>::max()},
                                          std::numeric_limits<qint64>::max(), false, -1);
    }

    // Events committed while the store kept no changesets (opened without recordChangesets, e.g.
    // by a tool that did not sync) cannot be rolled back one by one: then the eventlog is
    // rewritten in the final order and the whole state rebuilt from it, in this transaction.
    // Slower, and the same result.
    if (!m_rollback.isEmpty()) {
        // One read for all of them: the rolled-back events are every pending event from the first
        // of them on, and so are their changesets.
        std::map<SequenceNumber, QByteArray> recorded;
        const SequenceNumber &first = m_rollback.constFirst().seqNum;
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
        for (qsizetype i = 0; i < m_rollback.size(); ++i) {
            const SequenceNumber &n = m_rollback.at(i).seqNum;
            const auto it = recorded.find(n);
            if (it == recorded.end()) {
                m_replay = true;
                m_changesets.append(QByteArray());
            } else if (detail::readRunChangesetBlob(it->second, &runFirst, &runChangeset)) {
                // The run's changeset comes with its last event (always rolled back with the
                // others: a rollback takes every pending event from its first on). When the
                // rollback starts inside a run whose first events were confirmed since, undoing
                // the run undoes those too, so they are applied again (ReapplyRunHead).
                if (i == 0 && std::pair(runFirst.global, runFirst.client) < std::pair(n.global, n.client))
                    m_reapplyFrom = runFirst;
                m_changesets.append(runChangeset);
            } else {
                m_changesets.append(it->second);
            }
        }
    }
    if (m_replay)
        qCInfo(lcStore, "sync: rebasing by replaying the eventlog: local events were committed "
                        "without recorded changesets");

    // The rows this merge changes, net, in the tables of live queries that follow rows (as a
    // commit records them): a catch-up page that changes nothing a model shows costs the model
    // next to nothing, instead of a re-run of its query. Not with a replay, which rebuilds the
    // tables (a capture does not see DROP TABLE): the live queries re-run then.
    if (p->graph && !m_replay) {
        m_recorder = std::make_unique<detail::RowChangeRecorder>();
        m_recorder->start(db, p->graph->trackedTables());
    }

    // Undo their writes, newest first, with our own statements; should anything not be as the
    // changesets left it, go back and let SQLite's changeset_apply() decide, as it always did.
    m_phase = Phase::Undo;
    m_index = m_rollback.size() - 1;
    if (!m_replay && !m_rollback.isEmpty()) {
        if (!db.execCached(u"SAVEPOINT livestore_rollback"_s))
            return abort(db.lastError());
        m_inSavepoint = true;
    }
    return true;
}

SyncEngine::Result UpstreamMerge::runSlice()
{
    auto suspend = [this] {
        m_db.setSuspendedWork(this);
        return SyncEngine::Result{SyncEngine::Result::InProgress};
    };
    bool ok = true;
    while (ok && m_phase != Phase::Finished) {
        if (outOfTime())
            return suspend();
        switch (m_phase) {
        case Phase::Undo:
            ok = undoStep();
            break;
        case Phase::DropRolledBack:
            ok = dropRolledBackStep();
            break;
        case Phase::ReapplyRunHead:
            ok = reapplyRunHeadStep();
            break;
        case Phase::ApplyPulled:
            ok = applyPulledStep();
            break;
        case Phase::Replay: {
            // Without changesets, the state of everything before the rebased events comes from a
            // replay of the log as it now is (confirmed and pulled events); the rebased events are
            // then applied on top one by one, and get changesets: only this first rebase replays.
            m_store->replayAppliesPolicy = true;
            const bool rebuilt = m_store->rebuildStateInTransaction(false);
            m_store->replayAppliesPolicy = false;
            ok = rebuilt || abort(u"rebuilding the state in the rebased order failed: "_s + m_store->error);
            if (ok)
                m_phase = Phase::ReapplyOurs;
            break;
        }
        case Phase::ReapplyOurs:
            ok = reapplyOursStep();
            break;
        case Phase::Commit: {
            // The commit and the live queries' refresh go together: in a slice of their own
            // unless they fit in what is left of this one, as far as the last merge tells.
            if (m_budgetNs > 0 && m_progressed
                && m_slice.nsecsElapsed() + std::max(*m_engine.m_lastCommitNs, m_budgetNs / 2) > m_budgetNs)
                return suspend();
            return commitAndNotify();
        }
        case Phase::Finished:
            break;
        }
        m_progressed = true;
    }
    return m_result;
}

bool UpstreamMerge::undoStep()
{
    if (m_replay || m_index < 0) {
        if (m_inSavepoint) {
            if (!m_db.execCached(u"RELEASE livestore_rollback"_s))
                return abort(m_db.lastError());
            m_inSavepoint = false;
        }
        m_phase = Phase::DropRolledBack;
        m_index = m_rollback.size() - 1;
        return true;
    }
    const QByteArray &changeset = m_changesets.at(m_index);
    if (changeset.isEmpty()) {
        --m_index;
        return true;
    }
    QString error;
    if (!m_undoing) {
        if (!m_undo.begin(changeset, &error))
            return abort(u"cannot roll back our events: "_s + error);
        m_undoing = true;
    }
    // A run's changeset holds all of its events' changes: undone a few at a time, between
    // which the slice may end.
    switch (m_undo.step(UndoChangesPerStep, &error)) {
    case ChangesetUndo::More:
        return true;
    case ChangesetUndo::Done:
        m_undoing = false;
        --m_index;
        return true;
    case ChangesetUndo::Failed:
        m_undoing = false;
        return abort(u"cannot roll back our events: "_s + error);
    case ChangesetUndo::Conflict:
        m_undoing = false;
        return undoWithSqlite();
    }
    return true;
}

// A change did not undo as recorded: back to before the first undo, and all of them again with
// SQLite's changeset_apply(), in one step (rare: a constraint that holds only in another order).
bool UpstreamMerge::undoWithSqlite()
{
    qCInfo(lcStore, "sync: rolling back our events with SQLite's changeset_apply: a change "
                    "did not undo as recorded (a constraint that holds only in another order)");
    if (!m_db.execCached(u"ROLLBACK TO livestore_rollback"_s) || !m_db.execCached(u"RELEASE livestore_rollback"_s))
        return abort(m_db.lastError());
    m_inSavepoint = false;
    for (qsizetype i = m_rollback.size() - 1; i >= 0; --i) {
        const QByteArray &changeset = m_changesets.at(i);
        if (changeset.isEmpty())
            continue;
        QString error;
        if (!m_undo.undoWithSqlite(changeset, &error))
            return abort(u"cannot roll back event %1 (%2): %3"_s.arg(m_rollback.at(i).seqNum.toString(),
                                                                      m_rollback.at(i).name, error));
    }
    m_phase = Phase::DropRolledBack;
    m_index = m_rollback.size() - 1;
    return true;
}

bool UpstreamMerge::dropRolledBackStep()
{
    if (m_index == m_rollback.size() - 1 && !m_rollback.isEmpty()) {
        // Only stores that ever skipped an event have the table (recordSkip() creates it).
        m_hasSkips = m_db.readInteger(
                u"SELECT count(*) FROM sqlite_schema WHERE name = '__livestore_skipped_events'"_s).value_or(0) > 0;
    }
    if (m_index < 0) {
        if (m_reapplyFrom && !m_replay) {
            const SequenceNumber &stop = m_rollback.constFirst().seqNum;
            m_recordedSkips = m_store->recordedSkips();
            m_runHead = m_engine.readEvents({m_reapplyFrom->global, m_reapplyFrom->client - 1}, stop.global,
                                            false, -1);
            m_phase = Phase::ReapplyRunHead;
        } else {
            m_phase = Phase::ApplyPulled;
        }
        m_index = 0;
        return true;
    }
    const SequenceNumber &n = m_rollback.at(m_index--).seqNum;
    const std::initializer_list<qint64> key{n.global, n.client, n.rebaseGeneration};
    if (!writeInt64(m_db, u"DELETE FROM __livestore_eventlog WHERE seqNumGlobal = ? AND seqNumClient = ? AND "
                           "seqNumRebaseGeneration = ?"_s, key)
        || !writeInt64(m_db, u"DELETE FROM __livestore_session_changeset WHERE seqNumGlobal = ? AND "
                              "seqNumClient = ? AND seqNumRebaseGeneration = ?"_s, key))
        return abort(m_db.lastError());
    // Re-applied below under a new number, and skipped again (or not) on its own merits.
    if (m_hasSkips && !writeInt64(m_db, u"DELETE FROM __livestore_skipped_events WHERE seqNumGlobal = ? "
                                         "AND seqNumClient = ? AND seqNumRebaseGeneration = ?"_s, key))
        return abort(m_db.lastError());
    return true;
}

// The events of a run that stay (confirmed, before the rollback's first) were undone with the
// run: applied again in their order, as a replay applies events (skipped where they were).
bool UpstreamMerge::reapplyRunHeadStep()
{
    const SequenceNumber &stop = m_rollback.constFirst().seqNum;
    if (m_index >= m_runHead.size()
        || std::pair(m_runHead.at(m_index).seqNum.global, m_runHead.at(m_index).seqNum.client)
                >= std::pair(stop.global, stop.client)) {
        m_runHead.clear();
        m_phase = Phase::ApplyPulled;
        m_index = 0;
        return true;
    }
    EventRecord &r = m_runHead[m_index++];
    if (m_store->applyHistoryEvent(m_db, r, nullptr, nullptr, &m_recordedSkips) == StorePrivate::HistoryResult::Failed)
        return abort(u"re-applying event %1 (%2) after undoing its run failed: "_s.arg(r.seqNum.toString(), r.name)
                     + m_store->error);
    return true;
}

// The others' events, in the server's order. Confirmed ones are never rolled back: no changesets.
bool UpstreamMerge::applyPulledStep()
{
    const qsizetype i = m_matched + m_index;
    if (i >= m_incoming.size()) {
        m_phase = m_replay ? Phase::Replay : Phase::ReapplyOurs;
        m_index = 0;
        // Our rolled-back events again, renumbered on top, one rebase generation up.
        m_at = {m_newUpstreamHead, 0, 0};
        m_generation = m_rollback.isEmpty() ? 0 : m_rollback.constFirst().seqNum.rebaseGeneration + 1;
        m_rebased.reserve(m_rollback.size());
        return true;
    }
    ++m_index;
    EventRecord r = m_incoming.at(i);
    r.seqNum.rebaseGeneration = 0;
    if (r.argsJson.isEmpty())
        r.argsJson = json::writeObject(r.args);
    if (m_replay) {
        // Materialized by the rebuild (Replay); only the hash is needed now.
        const StorePrivate::EventRuntime *runtime = m_store->findEvent(r.name);
        r.schemaHash = runtime ? runtime->hash : -1;
    } else {
        switch (m_store->applyHistoryEvent(m_db, r, nullptr)) {
        case StorePrivate::HistoryResult::Failed:
            return abort(u"applying pulled event %1 failed: "_s.arg(r.seqNum.toString()) + m_store->error);
        case StorePrivate::HistoryResult::Skipped:
            m_result.skipped.append(m_store->lastSkipped);
            break;
        case StorePrivate::HistoryResult::Applied:
            break;
        }
    }
    if (!m_store->insertEventRecord(r))
        return abort(m_store->error);
    ++m_result.applied;
    return true;
}

bool UpstreamMerge::reapplyOursStep()
{
    if (m_index == 0 && !m_rollback.isEmpty()) {
        // More than one: one capture for the run instead of one per event (changesetrun_p.h).
        m_asRun = m_rollback.size() > 1;
        if (m_asRun)
            m_run = std::make_unique<detail::RunCapture>();
        if (m_asRun && !m_run->start(m_db))
            return abort(u"cannot record the changes of the rebased events: "_s + m_run->errorString());
    }
    if (m_index >= m_rollback.size()) {
        if (m_asRun) {
            QByteArray changeset;
            const bool finished = m_run->finish(&changeset);
            const QString why = finished ? QString() : m_run->errorString();
            m_run.reset();
            if (!finished)
                return abort(u"cannot record the changes of the rebased events: "_s + why);
            if (!m_store->insertChangeset(m_rebased.constLast().seqNum, detail::runChangesetBlob(m_runFirst, changeset)))
                return abort(m_store->error);
        }
        m_phase = Phase::Commit;
        return true;
    }
    EventRecord r = m_rollback.at(m_index++);
    const bool clientOnly = r.seqNum.client > 0;
    const SequenceNumber base{m_at.global, m_at.client, m_generation};
    r.seqNum = base.next(clientOnly);
    r.parentSeqNum = base.parentForNext(clientOnly);
    if (m_rebased.isEmpty())
        m_runFirst = r.seqNum;
    // Already part of what other clients will see once pushed: it cannot be refused now, and
    // they will find it failing the same way on the same state.
    QByteArray changeset;
    switch (m_store->applyHistoryEvent(m_db, r, nullptr, m_asRun ? nullptr : &changeset)) {
    case StorePrivate::HistoryResult::Failed:
        return abort(u"re-applying event %1 (%2) on top of the server's events failed: "_s.arg(
                             r.seqNum.toString(), r.name) + m_store->error);
    case StorePrivate::HistoryResult::Skipped:
        m_result.skipped.append(m_store->lastSkipped);
        break;
    case StorePrivate::HistoryResult::Applied:
        break;
    }
    if (!m_store->insertEventRecord(r)
        || !m_store->insertChangeset(r.seqNum, m_asRun ? detail::runChangesetBlob(m_runFirst, {}) : changeset))
        return abort(m_store->error);
    m_at = r.seqNum;
    ++m_result.rebased;
    m_rebased.append(std::move(r));
    return true;
}

SyncEngine::Result UpstreamMerge::commitAndNotify()
{
    QElapsedTimer took;
    took.start();
    // Shared: the engine may be gone when it is known.
    const std::shared_ptr<qint64> lastCommitNs = m_engine.m_lastCommitNs;
    StorePrivate *p = m_store;
    Database &db = m_db;
    const qint64 newUp = m_newUpstreamHead;
    // Other processes of the store re-read everything after a rebase (their live queries cannot
    // tell which of their rows it moved).
    if (!m_rollback.isEmpty() && !m_replay && !p->recordRewrite()) {
        abort(p->error);
        return m_result;
    }
    // Rollback never goes below the upstream head: changes of confirmed events are not needed.
    if (!writeInt64(db, u"DELETE FROM __livestore_session_changeset WHERE (seqNumGlobal, seqNumClient) <= (?, 0)"_s,
                    {newUp})
        || !writeInt64(db, u"UPDATE __livestore_sync_status SET head = ? WHERE id = 1"_s, {newUp})) {
        abort(db.lastError());
        return m_result;
    }
    detail::RowChanges rowChanges;
    const bool haveRowChanges = m_recorder && m_recorder->isActive() && m_recorder->finish(&rowChanges);
    m_recorder.reset();
    if (!db.execCached(u"COMMIT"_s)) {
        abort(db.lastError());
        return m_result;
    }
    m_inTransaction = false;

    p->loadHead();
    p->upstreamHead = newUp; // ours: not a confirmation another process made
    m_result.upstreamHead = newUp;
    m_result.kind = m_rollback.isEmpty() ? SyncEngine::Result::Advanced : SyncEngine::Result::Rebased;
    if (!m_rollback.isEmpty())
        m_result.pending = std::move(m_rebased);
    m_phase = Phase::Finished;
    m_delivered = m_deliver;
    // From here on only locals: what the live queries set off may delete the engine and this.
    const SyncEngine::Result result = m_result;
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
    *lastCommitNs = took.nsecsElapsed();
    return result;
}

} // namespace LiveStore
