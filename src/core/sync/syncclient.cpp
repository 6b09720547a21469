// SPDX-License-Identifier: BSD-3-Clause
#include "syncclient.h"

#include "importlines_p.h"
#include "pullframereader_p.h"
#include "schema.h"
#include "store.h"
#include "storelock_p.h"
#include "syncengine_p.h"
#include "wirejson_p.h"
#include "wireprotocol.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qdir.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtimer.h>
#include <QtWebSockets/qwebsocket.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

Q_LOGGING_CATEGORY(lcSync, "livestore.sync", QtInfoMsg)

namespace {

// encodeURIComponent's unreserved set: Qt's (alnum, "-._~") plus these.
const QByteArray UriComponentExtra = QByteArrayLiteral("!*'()");

QByteArray encodeUriComponent(const QByteArray &utf8)
{
    return QUrl::toPercentEncoding(QString::fromUtf8(utf8), UriComponentExtra);
}

QByteArray payloadJson(const QJsonValue &payload)
{
    if (payload.isObject())
        return QJsonDocument(payload.toObject()).toJson(QJsonDocument::Compact);
    if (payload.isArray())
        return QJsonDocument(payload.toArray()).toJson(QJsonDocument::Compact);
    // Scalars: wrap in an array and strip it, QJsonDocument only writes containers.
    QByteArray wrapped = QJsonDocument(QJsonArray{payload}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

} // namespace

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

    void setLeader(bool value)
    {
        if (leader == value)
            return;
        leader = value;
        Q_EMIT q->leaderChanged();
    }

    // True when this client leads (or just became the leader); false in Standby, or after a
    // fatal error.
    bool takeLeadership()
    {
        if (leader)
            return true;
        const QString directory = store->directory();
        if (directory.isEmpty()) {
            setLeader(true);
            return true;
        }
        const QString path = QDir(directory).filePath(u"sync.lock"_s);
        switch (leaderLock.tryLock(path)) {
        case StoreLock::Result::Locked:
        case StoreLock::Result::Joined:
            standbyTimer.stop();
            qCInfo(lcSync, "leading the sync of store %s in this process", qUtf8Printable(storeId()));
            setLeader(true);
            return true;
        case StoreLock::Result::Held:
            if (status != SyncClient::Standby)
                qCInfo(lcSync, "store %s is synced by another process (pid %lld): standing by",
                       qUtf8Printable(storeId()), leaderLock.ownerPid());
            setStatus(SyncClient::Standby);
            standbyTimer.start(StandbyRetryMs);
            return false;
        case StoreLock::Result::PermissionDenied:
            fatal(u"cannot create %1: permission denied"_s.arg(path));
            return false;
        case StoreLock::Result::Failed:
            fatal(u"cannot lock %1: %2"_s.arg(path, leaderLock.errorString()));
            return false;
        }
        return false;
    }

    void releaseLeadership()
    {
        standbyTimer.stop();
        leaderLock.unlock();
        setLeader(false);
    }

    void awaitPullUpTo(qint64 head)
    {
        awaitHead = std::max(awaitHead, head);
        if (engine.upstreamHead() < awaitHead)
            watchForStall();
    }

    void watchForStall()
    {
        if (!stallTimer.isActive())
            stallTimer.start(pingInterval);
    }

    void onStalled()
    {
        if (!socket)
            return;
        if (!pushId.isEmpty()) {
            qCWarning(lcSync, "no reply to the push of e%lld..e%lld within %d ms: reconnecting",
                      pushParent + 1, pushLastSeq, stallTimer.interval());
        } else if (engine.upstreamHead() < awaitHead) {
            qCWarning(lcSync, "the server did not send e%lld on the live pull within %d ms (it sent up "
                              "to e%lld): reconnecting",
                      awaitHead, stallTimer.interval(), engine.upstreamHead());
        } else {
            return;
        }
        dropSocket();
        connectNow();
    }

    QString storeId() const { return store ? store->storeId() : QString(); }

    void setStatus(SyncClient::Status s)
    {
        if (status == s)
            return;
        status = s;
        Q_EMIT q->statusChanged();
    }

    void setError(const QString &error)
    {
        if (lastError == error)
            return;
        lastError = error;
        Q_EMIT q->lastErrorChanged();
    }

    void setCaughtUp(bool value, qreal progress)
    {
        const bool caughtUpChanged = caughtUp != value;
        const bool progressChanged = !qFuzzyCompare(1.0 + catchUpProgress, 1.0 + progress);
        caughtUp = value;
        catchUpProgress = progress;
        const QPointer<SyncClient> alive(q); // a slot may delete us
        if (progressChanged)
            Q_EMIT q->catchUpProgressChanged();
        if (caughtUpChanged && alive)
            Q_EMIT q->caughtUpChanged();
    }

    // Re-reads the engine's view; reports synced() when the last pending event got confirmed.
    void updateCounts(bool fromPull)
    {
        if (!store || !store->isOpen())
            return;
        const int pending = int(engine.pendingSyncedCount());
        const qint64 head = engine.upstreamHead();
        const int before = pendingCount;
        if (head != upstreamHead) {
            upstreamHead = head;
            // Progress: a long catch-up that still delivers is not a stall.
            if (stallTimer.isActive())
                stallTimer.start();
            Q_EMIT q->upstreamHeadChanged();
        }
        if (head >= awaitHead && pushId.isEmpty())
            stallTimer.stop();
        if (pending != pendingCount) {
            pendingCount = pending;
            Q_EMIT q->pendingCountChanged();
        }
        if (fromPull && pending == 0 && before > 0)
            Q_EMIT q->synced();
    }

    int backoff(int attempt) const
    {
        const double base = double(initialDelay) * std::pow(2.0, std::min(attempt, 20));
        const double capped = std::min(base, double(maxDelay));
        // Jitter, so that clients dropped together by a server restart do not reconnect in step.
        return int(capped * (0.8 + 0.4 * QRandomGenerator::global()->generateDouble()));
    }

    QUrl connectionUrl() const
    {
        QUrl u = url;
        // As LiveStore: storeId, payload (double-encoded: encodeURIComponent(JSON) as a query
        // value), transport — kept in this order, after any query the configured url has.
        QByteArray query = u.query(QUrl::FullyEncoded).toLatin1();
        if (!query.isEmpty())
            query += '&';
        query += "storeId=" + encodeUriComponent(storeId().toUtf8());
        if (!payload.isUndefined() && !payload.isNull())
            query += "&payload=" + encodeUriComponent(encodeUriComponent(payloadJson(payload)));
        query += "&transport=ws";
        u.setQuery(QString::fromLatin1(query), QUrl::StrictMode);
        if (u.path().isEmpty())
            u.setPath(u"/"_s);
        return u;
    }

    void send(const QByteArray &frame)
    {
        if (socket)
            socket->sendTextMessage(QString::fromUtf8(frame));
    }

    QString sendRequest(QStringView tag, const QByteArray &payloadJsonText)
    {
        Wire::Request r;
        r.id = QString::number(nextRequestId++);
        r.tag = tag.toString();
        r.payloadJson = payloadJsonText;
        send(Wire::encodeRequest(r));
        return r.id;
    }

    void connectNow()
    {
        reconnectTimer.stop();
        if (!active || halted || !store)
            return;
        if (!store->isOpen()) {
            fatal(u"the store is not open"_s);
            return;
        }
        if (!url.isValid() || (url.scheme() != u"ws"_s && url.scheme() != u"wss"_s)) {
            fatal(u"invalid sync url \"%1\": ws:// or wss:// expected"_s.arg(url.toString()));
            return;
        }
        if (!takeLeadership())
            return;
        dropSocket();
        socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, q);
        QObject::connect(socket, &QWebSocket::connected, q, [this] { onConnected(); });
        QObject::connect(socket, &QWebSocket::disconnected, q, [this, s = socket] {
            if (s == socket)
                onDisconnected(s->closeReason().isEmpty() ? s->errorString() : s->closeReason());
        });
        // A connect that fails may report only the error; check the state once it settled.
        // (Qt 6.4 has no QWebSocket::errorOccurred yet.)
        const auto errorSignal = qOverload<QAbstractSocket::SocketError>(&QWebSocket::error);
        QObject::connect(socket, errorSignal, q, [this, s = socket] {
            QTimer::singleShot(0, q, [this, s = QPointer<QWebSocket>(s)] {
                if (s && s == socket && s->state() == QAbstractSocket::UnconnectedState)
                    onDisconnected(s->errorString());
            });
        });
        QObject::connect(socket, &QWebSocket::textMessageReceived, q,
                         [this, s = socket](const QString &text) {
                             if (s == socket)
                                 onFrame(text.toUtf8());
                         });
        setStatus(SyncClient::Connecting);
        const QUrl u = connectionUrl();
        qCDebug(lcSync, "connecting to %s", qUtf8Printable(u.toString()));
        socket->open(u);
        // Also bounds the connect: a tick before onConnected() gives up on this attempt.
        pingTimer.start(pingInterval);
    }

    // Forgets the connection and everything in flight on it.
    void dropSocket()
    {
        if (merging) {
            // Rolled back (unless the app's use of the store completed it already): the upstream
            // head did not move, so the next pull brings these events again.
            engine.cancelMerge();
            merging.reset();
            --applying;
        }
        rebasedPending.reset();
        // Not applied: the next pull brings these again, from the upstream head.
        incoming.clear();
        queuedPages = 0;
        acksOwed = 0;
        gatherTimer.stop();
        gatherExpired = false;
        ++connectionGeneration;
        pingTimer.stop();
        stallTimer.stop(); // a new pull starts at the upstream head and brings what is missing
        pullId.clear();
        pushId.clear();
        firstPageArrived = false;
        catchUpReceived = 0;
        setCaughtUp(false, 0);
        if (QWebSocket *s = std::exchange(socket, nullptr)) {
            s->disconnect(q);
            s->abort();
            s->deleteLater();
        }
    }

    void scheduleReconnect()
    {
        dropSocket();
        if (!active || halted) {
            setStatus(halted ? SyncClient::Error : SyncClient::Disconnected);
            return;
        }
        setStatus(SyncClient::Disconnected);
        const int delay = backoff(reconnectAttempt++);
        qCInfo(lcSync, "reconnecting in %d ms", delay);
        reconnectTimer.start(delay);
    }

    void fatal(const QString &error)
    {
        qCWarning(lcSync, "sync stopped: %s", qUtf8Printable(error));
        setError(error);
        halted = true;
        reconnectTimer.stop();
        pushRetryTimer.stop();
        dropSocket();
        releaseLeadership(); // another process may fare better
        setStatus(SyncClient::Error);
    }

    void onConnected()
    {
        qCInfo(lcSync, "connected to %s", qUtf8Printable(url.toString()));
        setStatus(SyncClient::Connected);
        frameSinceTick = false;
        send(Wire::encodePing());
        pingTimer.start(pingInterval);

        Wire::PullRequest pull;
        pull.storeId = storeId();
        pull.payload = payload.isNull() ? QJsonValue(QJsonValue::Undefined) : payload;
        pull.live = true;
        const qint64 head = engine.upstreamHead();
        const QString backendId = engine.backendId();
        // Without a backend id the numbers mean nothing to the server: start over (the engine
        // drops what it already has).
        if (head > 0 && !backendId.isEmpty())
            pull.cursor = Wire::PullCursor{backendId, head};
        pullId = sendRequest(Wire::WsPullTag, Wire::encodePullRequestPayload(pull));
    }

    void onDisconnected(const QString &reason)
    {
        qCInfo(lcSync, "disconnected: %s", qUtf8Printable(reason));
        if (!reason.isEmpty())
            setError(reason);
        scheduleReconnect();
    }

    void onPingTick()
    {
        if (status != SyncClient::Connected) {
            qCInfo(lcSync, "connecting timed out after %d ms: retrying", pingInterval);
            setError(u"connecting to the sync server timed out"_s);
            scheduleReconnect();
            return;
        }
        if (!frameSinceTick) {
            qCInfo(lcSync, "no frame from the server within %d ms: reconnecting", pingInterval);
            setError(u"the server stopped answering"_s);
            scheduleReconnect();
            return;
        }
        frameSinceTick = false;
        send(Wire::encodePing());
    }

    static bool isOfUnknownKind(const QByteArray &text)
    {
        const QJsonValue tag = QJsonDocument::fromJson(text).object().value("_tag"_L1);
        static const QStringList known{u"Chunk"_s, u"Exit"_s, u"Defect"_s, u"Pong"_s};
        return tag.isString() && !known.contains(tag.toString());
    }

    void onFrame(const QByteArray &text)
    {
        frameSinceTick = true;
        // A pulled page in its usual spelling, decoded in one pass (pullframereader_p.h); any
        // other frame, and a page in another spelling, goes the general way.
        if (std::optional<Wire::PullChunkFrame> chunk = Wire::readPullChunkFrame(text)) {
            if (chunk->requestId != pullId)
                return; // as below: a finished pull's broadcast
            for (Wire::PullResponse &page : chunk->pages) {
                incoming.push_back({chunk->requestId, true, {}, {}, std::move(page), {}});
                ++queuedPages;
            }
            acknowledgePage(chunk->requestId);
            return;
        }
        QString error;
        const std::optional<Wire::ServerFrame> frame = Wire::parseServerFrame(text, &error);
        if (!frame && isOfUnknownKind(text)) {
            // A kind of frame a newer server may send: nothing we wait for is in it.
            qCDebug(lcSync, "ignoring a frame of unknown kind: %s", qUtf8Printable(error));
            return;
        }
        if (!frame) {
            // Whatever it carried (a page of events, a push's answer) is lost: going on would
            // wait forever for it. Say so, and start over on a new connection.
            setError(u"the server sent a frame this client cannot read: "_s + error);
            qCWarning(lcSync, "%s", qUtf8Printable(lastError));
            scheduleReconnect();
            return;
        }
        switch (frame->type) {
        case Wire::ServerFrame::Type::Pong:
            return;
        case Wire::ServerFrame::Type::Defect:
            qCWarning(lcSync, "server defect: %s",
                      qUtf8Printable(frame->defect.isString()
                                             ? frame->defect.toString()
                                             : QString::fromUtf8(payloadJson(frame->defect))));
            return;
        case Wire::ServerFrame::Type::Chunk:
            // Chunks of other ids: 0.4.0 servers keep broadcasting to finished pulls.
            if (frame->requestId != pullId)
                return;
            for (qsizetype i = 0; i < frame->valuesJson.size(); ++i) {
                incoming.push_back({frame->requestId, true, frame->valuesJson.at(i), frame->values.at(i), {}, {}});
                ++queuedPages;
            }
            acknowledgePage(frame->requestId);
            return;
        case Wire::ServerFrame::Type::Exit:
            if (frame->requestId != pushId && frame->requestId != pullId)
                return;
            // After the pages that came before it: a push's answer or the pull's end acted on
            // before them would see an upstream head the server has left behind.
            if (!incoming.empty()) {
                incoming.push_back({frame->requestId, false, {}, {}, {}, frame->exit});
                return;
            }
            onExit(frame->requestId, frame->exit);
            return;
        }
    }

    // The pull's pages just queued: the server sends the next one once it has the Ack, which
    // waits while too many are queued (the drain sends what it owes).
    void acknowledgePage(const QString &requestId)
    {
        if (queuedPages <= MaxQueuedPages)
            send(Wire::encodeAck(requestId));
        else
            ++acksOwed;
        scheduleDrain();
    }

    void onExit(const QString &requestId, const Wire::Exit &exit)
    {
        if (requestId == pushId)
            onPushExit(exit);
        else if (requestId == pullId)
            onPullExit(exit);
    }

    enum class Drain { Soon, AfterWhatIsDue };
    void scheduleDrain(Drain when = Drain::Soon)
    {
        if (applyBudgetMs <= 0) {
            drainIncoming(); // every page as it arrives, in the frame's turn
            return;
        }
        if (drainPosted || drainTimer.isActive())
            return;
        if (when == Drain::AfterWhatIsDue) {
            drainTimer.start(); // after the timers, input and painting that fell due meanwhile
            return;
        }
        drainPosted = true;
        QMetaObject::invokeMethod(q, [this] { drainIncoming(); }, Qt::QueuedConnection);
    }

    // Applies queued frames in order for at most applyBudgetMs (at least one batch), then
    // schedules itself for the rest. Each batch is whole pages, in one transaction with one
    // refresh of the live queries, so a model never shows part of a page; a batch whose merge
    // takes longer than the budget goes on in the next turns (`merging`).
    void drainIncoming()
    {
        drainPosted = false;
        drainTimer.stop();
        if (incoming.empty() && !merging)
            return;
        if (!store || !store->isOpen()) {
            // Closed or destroyed under us: nothing to apply to. The pages stay on the server.
            fatal(u"the store is not open"_s);
            return;
        }
        if (store->isImporting())
            return; // its writes are refused until importFinished(), which drains again
        const QPointer<SyncClient> alive(q); // slots of what we emit may delete us
        const quint64 generation = connectionGeneration;
        const qint64 budgetNs = qint64(applyBudgetMs) * 1'000'000;
        QElapsedTimer turn;
        turn.start();
        bool appliedAny = false;
        if (merging) {
            // The merge begun in an earlier turn: its next slice, or its end.
            QElapsedTimer batch;
            batch.start();
            const SyncEngine::Result result = engine.continueUpstream(budgetNs);
            if (!alive || generation != connectionGeneration)
                return;
            lastApplyNs = batch.nsecsElapsed();
            if (result.kind == SyncEngine::Result::InProgress) {
                scheduleDrain(Drain::AfterWhatIsDue);
                return;
            }
            MergeInFlight merged = std::move(*merging);
            merging.reset();
            --applying;
            if (!afterMerge(result, std::move(merged)) || !alive || generation != connectionGeneration)
                return;
            appliedAny = true;
            sendOwedAcks();
        }
        while (!incoming.empty()) {
            if (budgetNs > 0 && appliedAny && incoming.front().isPage
                && turn.nsecsElapsed() + lastApplyNs > budgetNs) {
                scheduleDrain(Drain::AfterWhatIsDue); // the rest in the next turn
                return;
            }
            if (!incoming.front().isPage) {
                Incoming exit = std::move(incoming.front());
                incoming.pop_front();
                onExit(exit.requestId, exit.exit);
                if (!alive || generation != connectionGeneration)
                    return;
                continue;
            }
            if (shouldGather()) {
                if (!gatherTimer.isActive())
                    gatherTimer.start(GatherMs);
                return; // the next frame drains again
            }
            gatherTimer.stop();
            gatherExpired = false;
            QElapsedTimer batch;
            batch.start();
            const bool ok = applyQueuedPages(turn, budgetNs);
            if (!alive)
                return;
            lastApplyNs = batch.nsecsElapsed();
            appliedAny = true;
            if (!ok || generation != connectionGeneration)
                return;
            sendOwedAcks();
            if (merging) {
                scheduleDrain(Drain::AfterWhatIsDue); // its next slice in the next turn
                return;
            }
        }
        // Held back while pages were queued (see tryPush).
        tryPush();
    }

    // The app used the store while a merge was in flight, which completed it (upstreammerge_p.h):
    // what follows the merge, now, so that the counts agree with the store and the models.
    void onMergeCompletedEarly()
    {
        if (!merging)
            return;
        const QPointer<SyncClient> alive(q);
        const quint64 generation = connectionGeneration;
        const SyncEngine::Result result = engine.continueUpstream(0); // its result
        MergeInFlight merged = std::move(*merging);
        merging.reset();
        --applying;
        if (!afterMerge(result, std::move(merged)) || !alive || generation != connectionGeneration)
            return;
        sendOwedAcks();
        if (!incoming.empty())
            scheduleDrain();
    }

    // The Acks held back while many pages waited (see MaxQueuedPages).
    void sendOwedAcks()
    {
        for (; acksOwed > 0 && queuedPages <= MaxQueuedPages / 2; --acksOwed)
            send(Wire::encodeAck(pullId));
    }

    // Whether to wait for more catch-up pages before applying (see gatherTimer): local events are
    // pending, the catch-up is not over, and the last thing queued is a page after which the
    // server has more.
    bool shouldGather() const
    {
        if (caughtUp || gatherExpired || queuedPages * Wire::MaxEventsPerMessage >= batchEvents()
            || incoming.empty() || !incoming.back().isPage || applyBudgetMs <= 0)
            return false;
        return incoming.back().page.toObject().value("pageInfo"_L1).toObject().value("_tag"_L1)
                != "NoMore"_L1;
    }

    // How many pulled events one step may apply: a page's worth, or with more local events
    // pending than that, about as many as are pending, in whole pages, at most MaxQueuedPages
    // (see gatherTimer).
    qsizetype batchEvents() const
    {
        const qsizetype page = Wire::MaxEventsPerMessage;
        if (pendingCount <= page || applyBudgetMs <= 0)
            return page;
        return std::min(pendingCount / page, MaxQueuedPages) * page;
    }

    // Takes the pages at the front of the queue, up to batchEvents() (several small live pages
    // merge; a catch-up page of 100 events goes alone unless many local events are pending), and
    // applies them in one step. False when the connection was dropped.
    bool applyQueuedPages(const QElapsedTimer &turn, qint64 budgetNs)
    {
        const qsizetype maxEvents = batchEvents();
        QList<EventRecord> records;
        qint64 received = 0;
        Wire::PageInfo pageInfo;
        for (int pages = 0; !incoming.empty() && incoming.front().isPage; ++pages) {
            const Incoming &next = incoming.front();
            if (pages > 0) {
                // The last page of the catch-up goes last: caughtUp changes after it.
                if (!caughtUp && pageInfo.kind == Wire::PageInfo::Kind::NoMore)
                    break;
                const qsizetype size = next.decoded ? next.decoded->batch.size()
                                                    : next.page.toObject().value("batch"_L1).toArray().size();
                if (records.size() + size > maxEvents)
                    break;
            }
            Incoming page = std::move(incoming.front());
            incoming.pop_front();
            --queuedPages;
            std::optional<Wire::PullResponse> response = decodePage(page, &records);
            if (!response)
                return false;
            received += response->batch.size();
            pageInfo = response->pageInfo;
        }
        // What is left of the turn's budget, after decoding, for the merge's first slice (0: no
        // slices).
        const qint64 sliceNs = budgetNs > 0 ? std::max(budgetNs - turn.nsecsElapsed(), MinSliceNs) : 0;
        return onPulledEvents(std::move(records), received, pageInfo, sliceNs);
    }

    // Decodes a page and appends its events to `records`; nullopt when the connection was
    // dropped (a malformed page, a backend reset). A page parsed with its frame is not parsed
    // again, nor are its events' args; one the one-pass reader decoded only needs its args.
    std::optional<Wire::PullResponse> decodePage(Incoming &incomingPage, QList<EventRecord> *records)
    {
        QString error;
        const bool decoded = incomingPage.decoded.has_value();
        const QJsonObject page = incomingPage.page.toObject();
        std::optional<Wire::PullResponse> response = decoded
                ? std::move(incomingPage.decoded)
                : incomingPage.page.isObject()
                        ? Wire::decodePullResponse(incomingPage.pageJson, page, &error)
                        : Wire::decodePullResponse(incomingPage.pageJson, &error);
        if (!response) {
            setError(u"malformed pull response: "_s + error);
            qCWarning(lcSync, "%s", qUtf8Printable(lastError));
            scheduleReconnect();
            return std::nullopt;
        }
        const QString known = engine.backendId();
        if (known.isEmpty()) {
            engine.setBackendId(response->backendId);
        } else if (known != response->backendId) {
            if (!onBackendIdMismatch(response->backendId, known))
                return std::nullopt;
        }
        records->reserve(records->size() + response->batch.size());
        if (decoded) {
            for (const Wire::PulledEvent &pulled : std::as_const(response->batch)) {
                EventRecord record = pulled.event.toRecord(QJsonValue::Undefined);
                record.args = Wire::pulledArgs(pulled.event, argsReader);
                records->append(std::move(record));
            }
            return response;
        }
        const QJsonArray items = page.value("batch"_L1).toArray();
        for (qsizetype i = 0; i < response->batch.size(); ++i) {
            records->append(response->batch.at(i).event.toRecord(
                    items.at(i).toObject().value("eventEncoded"_L1).toObject().value("args"_L1)));
        }
        return response;
    }

    // Applies the events of one or more pages (`received` events in all, the last page's
    // `pageInfo`), in slices of `sliceNs` (0: at once). False when the connection was dropped or
    // this client deleted. With slices, the merge may go on in later turns (`merging`).
    bool onPulledEvents(QList<EventRecord> records, qint64 received, const Wire::PageInfo &pageInfo,
                        qint64 sliceNs)
    {
        const qint64 headBefore = engine.upstreamHead();
        // Applying runs the store's subscribers, and every emit below runs the app's slots: any
        // of them may delete this client (a QML Store reopening drops its store, and the client
        // with it). After each, nothing of ours may be touched if that happened.
        const QPointer<SyncClient> alive(q);
        rebasedPending.reset();
        ++applying;
        SyncEngine::Result result = engine.applyUpstream(records, sliceNs);
        if (!alive)
            return false;
        if (result.kind == SyncEngine::Result::InProgress) {
            merging = MergeInFlight{std::move(records), received, pageInfo, headBefore};
            return true;
        }
        --applying;
        return afterMerge(result, {std::move(records), received, pageInfo, headBefore});
    }

    // What follows a merge of pulled events: counts, signals, the next push. False when the
    // connection was dropped or this client deleted.
    bool afterMerge(SyncEngine::Result result, MergeInFlight merged)
    {
        const QPointer<SyncClient> alive(q);
        QList<EventRecord> &records = merged.records;
        const qint64 received = merged.received;
        const Wire::PageInfo &pageInfo = merged.pageInfo;
        const qint64 headBefore = merged.headBefore;
        rebasedPending = std::move(result.pending);
        rebasedPendingHead = result.upstreamHead;
        if (rebasedPending) {
            rebasedPendingSynced = std::count_if(rebasedPending->cbegin(), rebasedPending->cend(),
                                                 [](const EventRecord &r) { return r.seqNum.client == 0; });
        }
        if (result.kind == SyncEngine::Result::Failed) {
            // The local store could not take the server's events; retrying later may (e.g. a
            // transient SQLite error), and the next pull starts again from the upstream head.
            setError(u"applying pulled events failed: "_s + engine.errorString());
            qCWarning(lcSync, "%s", qUtf8Printable(lastError));
            scheduleReconnect();
            return false;
        }
        if (result.applied || result.confirmed || result.rebased)
            qCDebug(lcSync, "pulled: %d confirmed, %d applied, %d rebased", result.confirmed,
                    result.applied, result.rebased);
        for (const FailedEvent &skipped : result.skipped) {
            ++skippedCount;
            lastSkipped = u"%1 (%2): %3"_s.arg(skipped.event.seqNum.toString(), skipped.event.name,
                                               skipped.reason);
            Q_EMIT q->eventSkipped(skipped.event, skipped.reason);
            if (!alive)
                return false;
        }
        if (!firstPageArrived) {
            firstPageArrived = true;
            reconnectAttempt = 0; // the connection works: the next drop reconnects quickly
        }
        // Counts first, so that whoever reacts to caughtUp sees the new head and pending count.
        updateCounts(true);
        if (!alive)
            return false;
        if (!caughtUp) {
            catchUpReceived += received;
            switch (pageInfo.kind) {
            case Wire::PageInfo::Kind::NoMore:
                // A working connection again: the error that interrupted syncing is history.
                setError(QString());
                if (!alive)
                    return false;
                setCaughtUp(true, 1.0);
                break;
            case Wire::PageInfo::Kind::MoreKnown: {
                const qint64 total = catchUpReceived + pageInfo.remaining;
                setCaughtUp(false, total > 0 ? qreal(catchUpReceived) / qreal(total) : 0.0);
                break;
            }
            case Wire::PageInfo::Kind::MoreUnknown:
                break;
            }
            if (!alive)
                return false;
        }
        if (result.kind != SyncEngine::Result::Ignored) {
            QList<EventRecord> arrived;
            for (EventRecord &r : records) {
                if (r.seqNum.global > headBefore)
                    arrived.append(std::move(r));
            }
            if (!arrived.isEmpty()) {
                pulledEventCount += int(arrived.size());
                Q_EMIT q->pulledEventCountChanged();
                if (!alive)
                    return false;
                Q_EMIT q->eventsPulled(arrived);
                if (!alive)
                    return false;
            }
        }
        tryPush();
        return true;
    }

    // False when syncing stopped or restarts.
    bool onBackendIdMismatch(const QString &serverId, const QString &localId)
    {
        const QString message = u"backend id mismatch: the server's backend id is \"%1\", this store "
                                 "synced with \"%2\""_s.arg(serverId, localId);
        switch (policy) {
        case SyncClient::Reset:
            qCWarning(lcSync, "%s: resetting the local data and pulling again", qUtf8Printable(message));
            setError(message);
            awaitHead = 0;
            stallTimer.stop();
            pushRetryTimer.stop();
            if (!engine.resetLocalData()) {
                fatal(u"resetting the local data failed: "_s + engine.errorString());
                return false;
            }
            updateCounts(false);
            // A fresh pull from the start, on a fresh connection (no stale pull or push ids).
            dropSocket();
            reconnectAttempt = 0;
            connectNow();
            return false;
        case SyncClient::Shutdown:
            fatal(message);
            return false;
        case SyncClient::Ignore:
            qCWarning(lcSync, "%s: ignored", qUtf8Printable(message));
            setError(message);
            return true;
        }
        return true;
    }

    void onPullExit(const Wire::Exit &exit)
    {
        pullId.clear();
        if (!exit.success) {
            if (const std::optional<Wire::SyncError> error = exit.cause.failure()) {
                if (const auto *mismatch = std::get_if<Wire::BackendIdMismatchError>(&*error)) {
                    if (onBackendIdMismatch(mismatch->expected, engine.backendId()))
                        scheduleReconnect();
                    return;
                }
                setError(u"pull failed: "_s + Wire::describeSyncError(*error));
            } else {
                setError(u"pull failed: "_s + exit.cause.toString());
            }
        } else {
            setError(u"the server ended the live pull"_s);
        }
        qCWarning(lcSync, "%s", qUtf8Printable(lastError));
        // The live pull is what confirms pushes: without it, start over.
        scheduleReconnect();
    }

    void onPushExit(const Wire::Exit &exit)
    {
        pushId.clear();
        stallTimer.stop(); // restarted below when the pull still owes the pushed events
        if (exit.success) {
            pushRetryAttempt = 0;
            // Confirmation comes with the echo on the pull; until then the events stay pending
            // and must not be pushed again.
            awaitPullUpTo(pushLastSeq);
            ++pushCount;
            pushedEventCount += pushSize;
            const QPointer<SyncClient> alive(q);
            Q_EMIT q->eventsPushed(pushSize);
            if (!alive)
                return;
            tryPush();
            return;
        }
        const std::optional<Wire::SyncError> error = exit.cause.failure();
        if (error) {
            if (const auto *ahead = std::get_if<Wire::ServerAheadError>(&*error)) {
                // The server sends the missing events on the pull; the engine rebases ours on top.
                if (ahead->minimumExpectedNum <= pushParent) {
                    // The server is behind what it confirmed to us (it lost data without a new
                    // backend id): the pull brings nothing to rebase on, so do not spin.
                    setError(u"push refused: "_s + Wire::describeSyncError(*error));
                    qCWarning(lcSync, "%s", qUtf8Printable(lastError));
                    schedulePushRetry();
                    return;
                }
                awaitPullUpTo(ahead->minimumExpectedNum);
                qCDebug(lcSync, "server ahead (head e%lld): waiting for the pull",
                        ahead->minimumExpectedNum);
                tryPush();
                return;
            }
            if (const auto *mismatch = std::get_if<Wire::BackendIdMismatchError>(&*error)) {
                if (onBackendIdMismatch(mismatch->expected, engine.backendId()))
                    schedulePushRetry(); // Ignore: it will fail again; do not spin
                return;
            }
        }
        setError(u"push failed: "_s
                 + (error ? Wire::describeSyncError(*error) : exit.cause.toString()));
        qCWarning(lcSync, "%s", qUtf8Printable(lastError));
        schedulePushRetry();
    }

    void schedulePushRetry()
    {
        const int delay = backoff(pushRetryAttempt++);
        pushRetryTimer.start(delay);
    }

    void tryPush()
    {
        if (!socket || status != SyncClient::Connected || !firstPageArrived || !pushId.isEmpty()
            || pushRetryTimer.isActive() || halted || !store || !store->isOpen())
            return;
        // Pulled pages still to apply: the server is ahead of the upstream head, and a push from
        // it would be refused. drainIncoming() pushes once they are in. Nor while they merge:
        // our pending events are about to be renumbered.
        if (queuedPages > 0 || merging)
            return;
        const qint64 up = engine.upstreamHead();
        if (up < awaitHead)
            return;
        QList<EventRecord> pending;
        if (rebasedPending && rebasedPendingHead == up
            && rebasedPendingSynced == engine.pendingSyncedCount()) {
            QList<EventRecord> rebased = std::move(*rebasedPending);
            rebasedPending.reset();
            for (EventRecord &r : rebased) {
                if (pending.size() == Wire::MaxEventsPerMessage)
                    break;
                if (r.seqNum.client == 0)
                    pending.append(std::move(r));
            }
        } else {
            rebasedPending.reset();
            pending = engine.pendingEvents(true, Wire::MaxEventsPerMessage);
        }
        if (pending.isEmpty())
            return;
        // A row that cannot be read (corrupt arguments) is left out by pendingEvents(): pushing
        // around it would make a gap the server refuses, again and again. Stop and say why.
        qint64 expected = up + 1;
        for (const EventRecord &r : pending) {
            if (r.seqNum.global != expected) {
                fatal(u"local event e%1 cannot be read from the eventlog (see Store::verify()); "
                       "it cannot be pushed"_s.arg(expected));
                return;
            }
            ++expected;
        }

        Wire::PushRequest push;
        push.storeId = storeId();
        push.payload = payload.isNull() ? QJsonValue(QJsonValue::Undefined) : payload;
        const QString backendId = engine.backendId();
        if (!backendId.isEmpty())
            push.backendId = backendId;
        // The frame without events, plus the request envelope, bounds what the events may take.
        // Each event is encoded once: to size it, and then as it goes into the frame.
        const qsizetype overhead = Wire::detail::encodePushRequestPayload(push, {}).size() + 128;
        qsizetype bytes = overhead;
        QList<QByteArray> encoded;
        encoded.reserve(std::min<qsizetype>(pending.size(), Wire::MaxEventsPerMessage));
        for (const EventRecord &r : pending) {
            if (push.batch.size() >= Wire::MaxEventsPerMessage)
                break;
            Wire::Event e = Wire::Event::fromRecord(r);
            QByteArray text = Wire::encodeEvent(e);
            const qsizetype size = text.size() + 1;
            if (bytes + size > Wire::MaxMessageBytes) {
                if (push.batch.isEmpty()) {
                    // As LiveStore's OversizeChunkItemError: the event can never be sent.
                    fatal(u"event %1 (%2) is too large to push (%3 bytes)"_s.arg(r.seqNum.toString(), r.name)
                                  .arg(size));
                    return;
                }
                break;
            }
            bytes += size;
            push.batch.append(std::move(e));
            encoded.append(std::move(text));
        }
        pushParent = push.batch.constFirst().parentSeqNum;
        pushLastSeq = push.batch.constLast().seqNum;
        pushSize = int(push.batch.size());
        qCDebug(lcSync, "pushing e%lld..e%lld", push.batch.constFirst().seqNum, pushLastSeq);
        pushId = sendRequest(Wire::WsPushTag, Wire::detail::encodePushRequestPayload(push, encoded));
        watchForStall();
    }
};

SyncClient::SyncClient(Store *store, QObject *parent)
    : QObject(parent), d(std::make_unique<SyncClientPrivate>(this, store))
{
    // Called by the engine from inside whatever used the store (and completed the merge); this
    // client may be gone by then, deleted by what the merge's live queries set off.
    d->engine.setMergeCompletedHandler([alive = QPointer<SyncClient>(this)] {
        if (alive)
            alive->d->onMergeCompletedEarly();
    });
    d->drainTimer.setSingleShot(true);
    d->drainTimer.setInterval(0);
    connect(&d->drainTimer, &QTimer::timeout, this, [this] { d->drainIncoming(); });
    d->reconnectTimer.setSingleShot(true);
    d->pushRetryTimer.setSingleShot(true);
    connect(&d->reconnectTimer, &QTimer::timeout, this, [this] { d->connectNow(); });
    connect(&d->pushRetryTimer, &QTimer::timeout, this, [this] { d->tryPush(); });
    connect(&d->pingTimer, &QTimer::timeout, this, [this] { d->onPingTick(); });
    d->stallTimer.setSingleShot(true);
    connect(&d->stallTimer, &QTimer::timeout, this, [this] { d->onStalled(); });
    d->gatherTimer.setSingleShot(true);
    connect(&d->gatherTimer, &QTimer::timeout, this, [this] {
        d->gatherExpired = true;
        d->drainIncoming();
    });
    d->standbyTimer.setSingleShot(true);
    connect(&d->standbyTimer, &QTimer::timeout, this, [this] { d->connectNow(); });
    if (store) {
        // Offline commits just accumulate; connected ones go out right away. (Not committed():
        // the events are read from the log, and a slot there would make every commit keep them.)
        connect(store, &Store::eventsCommitted, this, [this] {
            d->rebasedPending.reset();
            d->updateCounts(false);
            d->tryPush();
        });
        // Events of other processes of the store: in the leader, theirs are pushed as ours; in a
        // client on standby, the counts follow what the leader does.
        connect(store, &Store::eventlogChanged, this, [this] {
            if (d->applying)
                return;
            d->rebasedPending.reset();
            d->updateCounts(false);
            d->tryPush();
        });
        // Pulled pages wait while an import (Store::importFileAsync()) holds the store's writes.
        connect(store, &Store::importFinished, this, [this] { d->scheduleDrain(); });
        if (store->isOpen())
            d->updateCounts(false);
    }
}

SyncClient::~SyncClient()
{
    // Going away is not a status change anyone should react to, half-destroyed as we are.
    const QSignalBlocker blocker(this);
    d->dropSocket();
}

Store *SyncClient::store() const { return d->store; }
QUrl SyncClient::url() const { return d->url; }
QJsonValue SyncClient::payload() const { return d->payload; }
bool SyncClient::isActive() const { return d->active; }
SyncClient::Status SyncClient::status() const { return d->status; }
bool SyncClient::isLeader() const { return d->leader; }
int SyncClient::pendingCount() const { return d->pendingCount; }
int SyncClient::skippedEventCount() const { return d->skippedCount; }
QString SyncClient::lastSkippedEvent() const { return d->lastSkipped; }
int SyncClient::pushCount() const { return d->pushCount; }
int SyncClient::pushedEventCount() const { return d->pushedEventCount; }
int SyncClient::pulledEventCount() const { return d->pulledEventCount; }
qint64 SyncClient::upstreamHead() const { return d->upstreamHead; }
QString SyncClient::lastError() const { return d->lastError; }
bool SyncClient::isCaughtUp() const { return d->caughtUp; }
qreal SyncClient::catchUpProgress() const { return d->catchUpProgress; }

bool SyncClient::waitForSynced(int msecs)
{
    // On standby the leader catches up for this process: nothing pending is all there is to wait for.
    auto inSync = [this] { return (d->caughtUp || d->status == Standby) && d->pendingCount == 0; };
    if (inSync())
        return true;
    if (d->status == Error)
        return false;
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    auto check = [&] {
        if (inSync() || d->status == Error)
            loop.quit();
    };
    connect(this, &SyncClient::caughtUpChanged, &loop, check);
    connect(this, &SyncClient::pendingCountChanged, &loop, check);
    connect(this, &SyncClient::statusChanged, &loop, check);
    timeout.start(msecs);
    loop.exec();
    return inSync();
}
SyncClient::BackendIdMismatchPolicy SyncClient::backendIdMismatchPolicy() const { return d->policy; }
int SyncClient::initialReconnectDelay() const { return d->initialDelay; }
int SyncClient::maxReconnectDelay() const { return d->maxDelay; }
int SyncClient::pingInterval() const { return d->pingInterval; }
int SyncClient::applyBudget() const { return d->applyBudgetMs; }

void SyncClient::setUrl(const QUrl &url)
{
    if (d->url == url)
        return;
    d->url = url;
    Q_EMIT urlChanged();
    // A new URL also gives syncing that stopped on a bad one another chance.
    if (d->active) {
        d->halted = false;
        d->dropSocket();
        d->connectNow();
    }
}

void SyncClient::setPayload(const QJsonValue &payload)
{
    if (d->payload == payload)
        return;
    d->payload = payload;
    Q_EMIT payloadChanged();
    // The payload goes into the URL: it takes a new connection.
    if (d->active && !d->halted && d->socket) {
        d->dropSocket();
        d->connectNow();
    }
}

void SyncClient::setActive(bool active)
{
    if (active)
        start();
    else
        stop();
}

void SyncClient::setBackendIdMismatchPolicy(BackendIdMismatchPolicy policy)
{
    if (d->policy == policy)
        return;
    d->policy = policy;
    Q_EMIT backendIdMismatchPolicyChanged();
}

void SyncClient::setInitialReconnectDelay(int ms) { d->initialDelay = std::max(ms, 1); }
void SyncClient::setMaxReconnectDelay(int ms) { d->maxDelay = std::max(ms, 1); }
void SyncClient::setPingInterval(int ms) { d->pingInterval = std::max(ms, 10); }
void SyncClient::setApplyBudget(int ms) { d->applyBudgetMs = std::max(ms, 0); }

void SyncClient::start()
{
    if (d->active && !d->halted)
        return;
    d->halted = false;
    d->reconnectAttempt = 0;
    d->pushRetryAttempt = 0;
    if (!d->active) {
        d->active = true;
        Q_EMIT activeChanged();
    }
    ++d->applying;
    // (Not while an import runs: the question is a write, refused meanwhile. A store that keeps
    // no changesets then fails at its first pulled page instead.)
    const bool cannotRebase = d->store && d->store->isOpen() && !d->store->isImporting()
            && d->engine.applyUpstream({}).kind == SyncEngine::Result::Failed;
    --d->applying;
    if (cannotRebase) {
        // No changesets recorded: a rebase would be impossible, so syncing must not begin.
        d->fatal(d->engine.errorString());
        return;
    }
    d->updateCounts(false);
    d->connectNow();
}

void SyncClient::stop()
{
    d->reconnectTimer.stop();
    d->pushRetryTimer.stop();
    d->dropSocket();
    d->releaseLeadership(); // a client on standby in another process takes over
    d->halted = false;
    if (d->active) {
        d->active = false;
        Q_EMIT activeChanged();
    }
    d->setStatus(Disconnected);
}

} // namespace LiveStore
