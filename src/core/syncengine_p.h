// SPDX-License-Identifier: BSD-3-Clause
// Internal: the client side of LiveStore's sync model on a store, without any transport.
//
// Local commits are *pending* until the sync server's total order confirms them: an event is
// confirmed when it comes back on the pull. Pulled events that match the pending ones in order
// confirm them (advance). Pulled events that differ (someone else got those numbers first) make
// the pending events roll back (their recorded changesets, inverted, newest first), the pulled
// events apply, and the pending ones re-apply on top, renumbered with the next rebase generation
// (rebase). All of it in one transaction, with one refresh of the live queries; with a time
// budget, in slices (upstreammerge_p.h).
#ifndef LIVESTORE_SYNCENGINE_P_H
#define LIVESTORE_SYNCENGINE_P_H

#include "livestore_export.h"
#include "schema.h"

#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace LiveStore {

class Store;
class StorePrivate;
class UpstreamMerge;

class LIVESTORE_EXPORT SyncEngine
{
public:
    struct Result
    {
        // InProgress: applyUpstream() with a budget stopped at it; continueUpstream() goes on.
        enum Kind { Ignored, Advanced, Rebased, Failed, InProgress };
        Kind kind = Ignored;
        int confirmed = 0; // pending events the pull confirmed
        int applied = 0;   // other clients' events materialized
        int rebased = 0;   // pending events renumbered on top of them
        int dropped = 0;   // pulled events at or below the upstream head (re-deliveries)
        // Pulled or rebased events that could not be applied and were skipped (the schema's
        // FailedEventPolicy), with the reason.
        QList<FailedEvent> skipped;
        // The upstream head after the merge.
        qint64 upstreamHead = 0;
        // After a rebase, every pending event, as pendingEvents(false) would read it now: a rebase
        // has them all in hand (the rebased ones are all there are), so the push that follows
        // need not read them again. Unset otherwise.
        std::optional<QList<EventRecord>> pending;
    };

    // The store must have been opened with StoreOptions::recordChangesets.
    explicit SyncEngine(Store *store);

    // The last global number the server confirmed (0: none).
    qint64 upstreamHead() const;
    QString backendId() const;
    bool setBackendId(const QString &backendId);

    // The first `limit` (all: -1) events after the upstream head, in order; with syncedOnly,
    // without client-only ones (what a push sends).
    QList<EventRecord> pendingEvents(bool syncedOnly, qsizetype limit = -1) const;
    // How many synced events are pending: pendingEvents(true).size() without reading them.
    qint64 pendingSyncedCount() const;

    // Merges events pulled from the server (global numbers, ascending, as the server sent them).
    // With a budget (ns), in slices: when it runs out the result is InProgress, the merge's
    // transaction stays open, and continueUpstream() goes on in a later turn of the event loop.
    // Meanwhile any use of the store completes the merge (upstreammerge_p.h). Without a budget
    // (0) the merge runs to its end in this call.
    Result applyUpstream(const QList<EventRecord> &events, qint64 budgetNs = 0);
    // The next slice of the merge applyUpstream() began, or its result if it is done (also when
    // something else that used the store completed it). Failed when no merge was begun.
    Result continueUpstream(qint64 budgetNs);
    // A merge was begun and its result not yet returned.
    bool isMerging() const;
    // Rolls back the merge in flight, if any (its events come again with the next pull).
    void cancelMerge();
    // Called when something else that used the store completed the merge in flight, right after
    // the live queries heard of it; continueUpstream() then returns its result.
    void setMergeCompletedHandler(std::function<void()> handler) { m_mergeCompleted = std::move(handler); }

    // Forgets everything that came from or went to a server (a backend reset): eventlog,
    // changesets, upstream head, backendId; the state is rebuilt empty.
    bool resetLocalData();

    QString errorString() const { return m_error; }

    SyncEngine(const SyncEngine &) = delete;
    SyncEngine &operator=(const SyncEngine &) = delete;
    ~SyncEngine();

private:
    friend class UpstreamMerge;
    // Events with (seqNumGlobal, seqNumClient) after `after` and seqNumGlobal <= upTo, in order.
    QList<EventRecord> readEvents(std::pair<qint64, qint64> after, qint64 upTo, bool syncedOnly,
                                  qsizetype limit) const;
    StorePrivate *d() const;
    Result fail(const QString &error);
    Store *m_store;
    QString m_error;
    // Column names of the tables rebases undid changes in, with their CREATE TABLE text.
    QHash<QString, std::pair<QByteArray, QStringList>> m_tableColumns;
    std::unique_ptr<UpstreamMerge> m_merge; // kept once finished (see applyUpstream())
    std::function<void()> m_mergeCompleted;
    // How long the last merge's commit and refresh of the live queries took: a slice that
    // cannot fit them leaves them to the next (shared: set after the refresh, when the engine
    // may be gone).
    std::shared_ptr<qint64> m_lastCommitNs = std::make_shared<qint64>(0);
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCENGINE_P_H
