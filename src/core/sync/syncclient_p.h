// SPDX-License-Identifier: BSD-3-Clause
// Internal: SyncClient's state, shared by the files that make up the client, one job each:
//   syncclient.cpp            the public API, status and counters, leadership among processes;
//   syncclientconnection.cpp  the WebSocket: connecting, reconnecting, pings, stalls, frames in;
//   syncclientpull.cpp        pulled pages: queued, applied in slices within a budget, acknowledged;
//   syncclientpush.cpp        pushing pending events, and the server's answers to pushes.
#ifndef LIVESTORE_SYNCCLIENT_P_H
#define LIVESTORE_SYNCCLIENT_P_H

#include "importlines_p.h"
#include "storelock_p.h"
#include "syncclient.h"
#include "syncengine_p.h"
#include "wireprotocol.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>

#include <deque>
#include <optional>

QT_BEGIN_NAMESPACE
class QWebSocket;
QT_END_NAMESPACE

namespace LiveStore {

Q_DECLARE_LOGGING_CATEGORY(lcSync)

class SyncClientPrivate
{
public:
    SyncClientPrivate(SyncClient *q, Store *store) : q(q), store(store), engine(store) { }

    SyncClient *q;
    QPointer<Store> store;
    SyncEngine engine;

    QUrl url;
    QJsonValue payload = QJsonValue::Undefined;
    bool active = false;
    SyncClient::Status status = SyncClient::Disconnected;
    int pendingCount = 0;
    int skippedCount = 0;
    QString lastSkipped;
    // Traffic counters (see SyncClient::pushCount()).
    int pushCount = 0;
    int pushedEventCount = 0;
    int pulledEventCount = 0;
    qint64 upstreamHead = 0;
    QString lastError;
    SyncClient::BackendIdMismatchPolicy policy = SyncClient::Reset;
    int initialDelay = 1000;
    int maxDelay = 30'000;
    int pingInterval = 10'000;

    QWebSocket *socket = nullptr;
    // LiveStore's client counts request ids once per process, across reconnects; per client here.
    quint64 nextRequestId = 0;
    QString pullId;
    QString pushId;
    qint64 pushParent = 0;
    qint64 pushLastSeq = 0;
    int pushSize = 0; // events in the push in flight
    bool firstPageArrived = false;
    QElapsedTimer workingSince; // since the current connection's first page (scheduleReconnect())
    bool caughtUp = false;
    qint64 catchUpReceived = 0; // events pulled on this connection before it caught up
    qreal catchUpProgress = 0;
    bool frameSinceTick = false;
    bool halted = false; // Shutdown policy or a fatal error: no reconnects until start()
    // The pending events as the last rebase left them (SyncEngine::Result::pending), for the push
    // that follows: under contention every pulled page rebases and every rebase is followed by a
    // push (once the refused push's answer is in), which then need not read them again. Forgotten
    // when anything could have changed them (a local commit, another page, a new connection), and
    // used only while the upstream head and the pending count are still the ones it had.
    std::optional<QList<EventRecord>> rebasedPending;
    qint64 rebasedPendingHead = -1;
    qint64 rebasedPendingSynced = 0;
    // A push is pointless until the pull has delivered the server's head up to here: after a
    // successful push (its echo confirms it) or a ServerAheadError (the missing events rebase ours).
    qint64 awaitHead = 0;
    // Runs while the server owes us something: the reply to a push, or events up to awaitHead on
    // the pull. A connection can answer pings and still never deliver these (seen with sync-cf
    // 0.4.0 under wrangler dev and ten racing clients: pushes unanswered for many seconds, every
    // client waiting). When the wait outlasts a ping interval, the connection is opened afresh:
    // the new pull starts at the upstream head and brings what is missing, and pending events
    // are pushed again.
    QTimer stallTimer;

    // Frames of the pull (pages) and Exits, as received, waiting to be applied in order.
    // Applying a page takes the thread for a transaction and a refresh of every live query that
    // reads a synced table; a catch-up brings hundreds of pages, and a socket may deliver many
    // frames in one turn of the event loop. So frames only queue up as they arrive, and
    // drainIncoming() applies them from a posted call (see drainTimer), a page (or a few small
    // ones merged) at a time, for at most applyBudget ms per turn, then yields to the event loop
    // and goes on in the next turn. Pages not applied when the connection goes are dropped with
    // it: the next pull starts from the upstream head, which only applied pages moved.
    struct Incoming
    {
        QString requestId;
        bool isPage = true;
        QByteArray pageJson;   // a page: its JSON text, and
        QJsonValue page;       // as parsed with its frame,
        std::optional<Wire::PullResponse> decoded; // or decoded by the one-pass reader instead
        Wire::Exit exit;       // an Exit of the push or the pull
    };
    std::deque<Incoming> incoming;
    EventLineParser argsReader; // pulled events' args; it shares their keys from page to page
    qsizetype queuedPages = 0;
    // drainIncoming() runs from a posted call when frames arrive (soon: a live page is someone
    // waiting), and from a zero-interval timer when it yielded with its budget spent. With GLib's
    // event loop (Qt's default on Linux) a call posted from a posted call runs in the next
    // iteration before the timers that fell due meanwhile, so slices posted one after another
    // ran back to back, twice the budget without a timer (or a frame) between them; a timer due
    // now runs after those due earlier.
    bool drainPosted = false;
    QTimer drainTimer;
    // Bumped by dropSocket(): a drain that finds it changed stops (its queue is gone).
    quint64 connectionGeneration = 0;
    // Acks of chunks, held back while many pages wait: the server sends the next catch-up page
    // only when the last is acknowledged, which keeps the queue (and memory) bounded. One Ack
    // per chunk, as always, only later.
    int acksOwed = 0;
    static constexpr qsizetype MaxQueuedPages = 16;
    // The least a merge's first slice gets when decoding its pages used up the turn's budget.
    static constexpr qint64 MinSliceNs = 1'000'000;
    // With local events pending, a catch-up page of others' events rebases all of them, however
    // few events it brings (about 50 µs per pending event here: 1,000 of them make a page take
    // 50-70 ms). So a step then takes in about as many pulled events as are pending (see
    // batchEvents()): the rebases cost about what applying the pulled events costs, instead of
    // growing with pages × pending. While the catch-up has more pages than are queued, the client
    // gathers them first; a server that sends a page per Ack (ours) sends the next as soon as a
    // page is read, so that costs a few turns. Should pages stop coming, the client applies what
    // it has this much later.
    QTimer gatherTimer;
    bool gatherExpired = false;
    static constexpr int GatherMs = 100;
    int applyBudgetMs = 8;
    qint64 lastApplyNs = 0; // what the last applied batch took: a guess for the next one
    int reconnectAttempt = 0;
    int pushRetryAttempt = 0;
    QTimer pingTimer;
    QTimer reconnectTimer;
    QTimer pushRetryTimer;

    // Leadership among the processes of the store: the leader holds sync.lock in the store's
    // directory (an exclusive flock(), which the kernel drops when its process dies); the others
    // try again every StandbyRetryMs. An in-memory store has no other processes: always leads.
    StoreLock leaderLock;
    bool leader = false;
    QTimer standbyTimer;
    static constexpr int StandbyRetryMs = 500;
    int applying = 0; // inside engine.applyUpstream(): its eventlogChanged() is ours

    // Pulled events whose merge runs in slices (SyncEngine::applyUpstream() with a budget):
    // what comes after the merge waits here for its last slice. `applying` stays raised
    // meanwhile: whatever completes the merge early (the app using the store), its
    // eventlogChanged() is still ours.
    struct MergeInFlight
    {
        QList<EventRecord> records;
        qint64 received = 0;
        Wire::PageInfo pageInfo;
        qint64 headBefore = 0;
    };
    std::optional<MergeInFlight> merging;

    QString storeId() const { return store ? store->storeId() : QString(); }

    // When scheduleDrain() runs the drain: in a posted call (soon), or after the timers that fell due.
    enum class Drain { Soon, AfterWhatIsDue };

    // syncclient.cpp
    void setLeader(bool value);
    bool takeLeadership();
    void releaseLeadership();
    void setStatus(SyncClient::Status s);
    void setError(const QString &error);
    void setCaughtUp(bool value, qreal progress);
    void updateCounts(bool fromPull);

    // syncclientconnection.cpp
    int backoff(int attempt) const;
    QUrl connectionUrl() const;
    void send(const QByteArray &frame);
    QString sendRequest(QStringView tag, const QByteArray &payloadJsonText);
    void connectNow();
    void dropSocket();
    void scheduleReconnect();
    void fatal(const QString &error);
    void onConnected();
    void onDisconnected(const QString &reason);
    void onPingTick();
    void watchForStall();
    void onStalled();
    void onFrame(const QByteArray &text);
    void onExit(const QString &requestId, const Wire::Exit &exit);

    // syncclientpull.cpp
    void acknowledgePage(const QString &requestId);
    void scheduleDrain(Drain when = Drain::Soon);
    void drainIncoming();
    void onMergeCompletedEarly();
    void sendOwedAcks();
    bool shouldGather() const;
    qsizetype batchEvents() const;
    bool applyQueuedPages(const QElapsedTimer &turn, qint64 budgetNs);
    std::optional<Wire::PullResponse> decodePage(Incoming &incomingPage, QList<EventRecord> *records);
    bool onPulledEvents(QList<EventRecord> records, qint64 received, const Wire::PageInfo &pageInfo,
                        qint64 sliceNs);
    bool afterMerge(SyncEngine::Result result, MergeInFlight merged);
    bool onBackendIdMismatch(const QString &serverId, const QString &localId);
    void onPullExit(const Wire::Exit &exit);

    // syncclientpush.cpp
    void awaitPullUpTo(qint64 head);
    void onPushExit(const Wire::Exit &exit);
    void schedulePushRetry();
    void tryPush();
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCCLIENT_P_H
