// SPDX-License-Identifier: BSD-3-Clause
// Internal: merging pulled events into a store (SyncEngine::applyUpstream()), in slices.
//
// A merge is one write transaction: our pending events that the server ordered after someone
// else's are undone, the pulled events applied, ours re-applied on top (a rebase), and the live
// queries refreshed once, after the commit. With many events pending that is tens of
// milliseconds, too long for one turn of a GUI thread's event loop. So a merge can run in slices
// of a time budget: between two slices the transaction stays open and the merge is the
// connection's suspended work (Database::SuspendedWork). The app never sees half a merge:
//
// - the live queries hear of the merge only when it commits, in its last slice;
// - any use of the store's connection in between (a query, a commit, a model fetching rows)
//   first completes the merge, as if it had run in one go just before;
// - closing the store rolls it back: the upstream head did not move, so the next pull brings
//   the same events again.
#ifndef LIVESTORE_UPSTREAMMERGE_P_H
#define LIVESTORE_UPSTREAMMERGE_P_H

#include "changesetrun_p.h"
#include "changesetundo_p.h"
#include "database_p.h"
#include "rowchanges_p.h"
#include "syncengine_p.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qset.h>

#include <memory>
#include <optional>

namespace LiveStore {

class StorePrivate;

class UpstreamMerge final : public Database::SuspendedWork
{
public:
    UpstreamMerge(SyncEngine &engine, StorePrivate *store);
    ~UpstreamMerge() override;
    UpstreamMerge(const UpstreamMerge &) = delete;
    UpstreamMerge &operator=(const UpstreamMerge &) = delete;

    // Begins merging `events` and runs the first slice. See run().
    SyncEngine::Result start(const QList<EventRecord> &events, qint64 budgetNs);
    // Runs the merge on for about `budgetNs` (at least one step; 0: to the end). While there is
    // more to do the result is InProgress and the transaction stays open, the connection's
    // suspended work; then the merge's result. Once it has one, run() returns it again.
    SyncEngine::Result run(qint64 budgetNs);
    bool isFinished() const { return m_phase == Phase::Finished; }
    // Finished, and the result returned by start() or run() (not when complete() finished it:
    // the engine's caller asks for it later).
    bool isDelivered() const { return m_phase == Phase::Finished && m_delivered; }

    // Database::SuspendedWork
    void complete() override;
    void cancel() override; // the store closes
    // Rolls the merge back (if not finished); its result is Failed with `why`.
    void cancel(const QString &why);

private:
    enum class Phase {
        Undo,           // our rolled-back events' changesets, newest first
        DropRolledBack, // their eventlog and changeset rows
        ReapplyRunHead, // events of a run that stay, undone with it (changesetrun_p.h)
        ApplyPulled,    // the others' events
        Replay,         // without changesets: the state rebuilt from the log
        ReapplyOurs,    // ours on top, renumbered
        Commit,         // and the live queries told
        Finished,
    };

    bool prepare(const QList<EventRecord> &events);
    bool undoStep();
    bool undoWithSqlite();
    bool dropRolledBackStep();
    bool reapplyRunHeadStep();
    bool applyPulledStep();
    bool reapplyOursStep();
    // The last step: commits, then tells the live queries; returns the result (nothing of this
    // object is touched after that: what they set off may delete the engine, and this merge).
    SyncEngine::Result commitAndNotify();
    SyncEngine::Result runSlice();
    bool outOfTime() const;
    // Rolls back, with the error as the result (logged as a warning with `warn`).
    bool abort(const QString &error, bool warn = true);
    void finishWith(SyncEngine::Result result);

    SyncEngine &m_engine;
    StorePrivate *m_store;
    Database &m_db;
    Phase m_phase = Phase::Undo;
    qsizetype m_index = 0; // the next event of the phase
    bool m_inTransaction = false;
    bool m_inSavepoint = false;
    QElapsedTimer m_slice;
    qint64 m_budgetNs = 0;
    bool m_progressed = false; // in this slice
    bool m_deliver = true;     // this slice returns the result to the engine's caller
    bool m_delivered = false;

    SyncEngine::Result m_result;
    qint64 m_newUpstreamHead = 0;
    QList<EventRecord> m_incoming;
    qsizetype m_matched = 0;
    QList<EventRecord> m_rollback;
    QList<QByteArray> m_changesets;
    bool m_replay = false;
    std::optional<SequenceNumber> m_reapplyFrom;
    QList<EventRecord> m_runHead;
    QSet<QString> m_recordedSkips;
    bool m_hasSkips = false;
    // Sessions on the connection: ended before it rolls back or closes.
    std::unique_ptr<detail::RowChangeRecorder> m_recorder;
    ChangesetUndo m_undo;
    bool m_undoing = false; // m_changesets[m_index] begun
    static constexpr int UndoChangesPerStep = 32;
    std::unique_ptr<detail::RunCapture> m_run;
    bool m_asRun = false;
    SequenceNumber m_runFirst;
    SequenceNumber m_at;
    qint64 m_generation = 0;
    QList<EventRecord> m_rebased;
};

} // namespace LiveStore

#endif // LIVESTORE_UPSTREAMMERGE_P_H
