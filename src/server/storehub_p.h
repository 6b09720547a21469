// SPDX-License-Identifier: BSD-3-Clause
// Internal: one store's serialization point and fan-out.
#ifndef LIVESTORE_STOREHUB_P_H
#define LIVESTORE_STOREHUB_P_H

#include "synchooks.h"
#include "syncstorage.h"

#include <QtCore/qlist.h>

#include <optional>

namespace LiveStore {

class PullStream;

// How deeply an event's `args` may nest arrays and objects (`{"a":[1]}` is 2 levels). Every pull
// frame wraps args two levels deeper than the push that brought them (Chunk, values, PullResponse,
// batch, item, eventEncoded: six containers against the push's four), so args that pass Qt's
// 1,024-level JSON limit in a push can still make the pull frame unreadable for every Qt client
// of the store, for good. Real documents nest a handful of levels; 64 leaves room for any of them.
inline constexpr int MaxArgsDepth = 64;

// The deepest nesting of arrays and objects in a JSON text (0 for a scalar). The text must be
// valid JSON; strings are skipped, escapes included.
int jsonNestingDepth(QByteArrayView json);

// An accepted batch as live pulls receive it: NoMore pages, encoded once for all of them.
struct LiveUpdate
{
    qint64 firstParent = 0; // batch[0].parentSeqNum: a pull that has sent this far takes the pages
    qint64 lastSeqNum = 0;
    QList<QByteArray> pages;

    // The pages as Chunk frames of the pull `requestId`, as the text a socket sends. Clients
    // number their requests per connection, so the live pulls of a store mostly share one id:
    // the frames are then encoded (and converted to text) once for all subscribers, not once each.
    const QList<QString> &chunkFrames(const QString &requestId) const;

private:
    mutable QString m_framesRequestId;
    mutable QList<QString> m_frames;
    mutable bool m_haveFrames = false;
};

// Everything the server does for one storeId: it runs the push rules, stores accepted batches
// (the storage checks the head atomically), and hands each new batch to every live pull of the
// store in seqNum order, the pusher's own included. A push whose first parent is below the head
// the hub knows is refused without touching the storage (see push()).
//
// Pushes are serialized because the whole server runs in one thread and a push is handled from
// start to end (checks, storage transaction, fan-out) without returning to the event loop: no
// other push to the store can interleave. Pulls interleave freely with pushes: each PullStream
// keeps the last seqNum it sent and takes from an update only what lies beyond it.
class StoreHub
{
public:
    StoreHub(SyncStorage *storage, const SyncHooks *hooks, const QString &storeId,
             const SyncStorage::StoreInfo &info);
    ~StoreHub();

    QString storeId() const { return m_storeId; }
    QString backendId() const { return m_backendId; }
    // The head as far as this server has published it to its live pulls: always a head the
    // storage had, so never above the storage's (it lags when another process appended and its
    // notification is on its way).
    qint64 head() const { return m_head; }
    // Whether the store exists in the storage (as far as this hub knows): pulls do not create
    // stores, the first push that extends the empty log does.
    bool exists() const { return m_exists; }
    // backendReplaced() was called: connections that kept this hub fetch the store's new one.
    bool isReplaced() const { return m_replaced; }
    SyncStorage *storage() const { return m_storage; }

    // The push rules, in sync-cf's order: empty batch, onPush hook, backend id, then (ours) the
    // batch's shape, then the head check: against head() first (a first parent below it is
    // refused from memory), then atomically in the storage. Returns the error for the client, or
    // nullopt when the batch was stored and published.
    std::optional<Wire::SyncError> push(const Wire::PushRequest &request, const RequestInfo &info);

    // The checks a pull passes before its first page: onPull hook and the cursor's backend id.
    std::optional<Wire::SyncError> admitPull(const Wire::PullRequest &request,
                                             const RequestInfo &info);

    void subscribe(PullStream *stream);
    void unsubscribe(PullStream *stream);
    qsizetype subscriberCount() const { return m_subscribers.size(); }

    // Another process advanced the store (shared storage): live pulls fetch what they miss.
    void advancedElsewhere(qint64 head);

    // The store's data was replaced under this hub (a wiped or restored database): every live
    // pull ends with BackendIdMismatchError naming the new id, so that clients reset (or stop,
    // as their policy says) and come back to a fresh hub. This hub must not be used again.
    void backendReplaced(const QString &newBackendId);

private:
    void publish(qint64 head, const LiveUpdate *update);
    // For a hub that does not know its store to exist: asks the storage again (another server
    // process may have created it). False on a storage error, with the message in `error`.
    bool refreshExistence(QString *error);

    SyncStorage *m_storage;
    const SyncHooks *m_hooks;
    QString m_storeId;
    QString m_backendId;
    qint64 m_head = 0;
    bool m_exists = true;
    bool m_replaced = false;
    QList<PullStream *> m_subscribers;
};

} // namespace LiveStore

#endif // LIVESTORE_STOREHUB_P_H
