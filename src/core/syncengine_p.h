// SPDX-License-Identifier: BSD-3-Clause
// Internal: the client side of LiveStore's sync model on a store, without any transport.
//
// Local commits are *pending* until the sync server's total order confirms them: an event is
// confirmed when it comes back on the pull. Pulled events that match the pending ones in order
// confirm them (advance). Pulled events that differ (someone else got those numbers first) make
// the pending events roll back (their recorded changesets, inverted, newest first), the pulled
// events apply, and the pending ones re-apply on top, renumbered with the next rebase generation
// (rebase). All of it in one transaction, with one refresh of the live queries.
#ifndef LIVESTORE_SYNCENGINE_P_H
#define LIVESTORE_SYNCENGINE_P_H

#include "livestore_export.h"
#include "schema.h"

#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <optional>
#include <utility>

namespace LiveStore {

class Store;
class StorePrivate;

class LIVESTORE_EXPORT SyncEngine
{
public:
    struct Result
    {
        enum Kind { Ignored, Advanced, Rebased, Failed };
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
    Result applyUpstream(const QList<EventRecord> &events);

    // Forgets everything that came from or went to a server (a backend reset): eventlog,
    // changesets, upstream head, backendId; the state is rebuilt empty.
    bool resetLocalData();

    QString errorString() const { return m_error; }

private:
    // Events with (seqNumGlobal, seqNumClient) after `after` and seqNumGlobal <= upTo, in order.
    QList<EventRecord> readEvents(std::pair<qint64, qint64> after, qint64 upTo, bool syncedOnly,
                                  qsizetype limit) const;
    StorePrivate *d() const;
    Result fail(const QString &error);
    Store *m_store;
    QString m_error;
    // Column names of the tables rebases undid changes in, with their CREATE TABLE text.
    QHash<QString, std::pair<QByteArray, QStringList>> m_tableColumns;
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCENGINE_P_H
