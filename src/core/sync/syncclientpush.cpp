// SPDX-License-Identifier: BSD-3-Clause
// SyncClient's push (syncclient_p.h): pending events go out in frames the protocol allows, one
// push in flight; a refused push waits for the pull to bring what it missed.
#include "syncclient_p.h"

#include "store.h"
#include "wirejson_p.h"

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

void SyncClientPrivate::awaitPullUpTo(qint64 head)
{
    awaitHead = std::max(awaitHead, head);
    if (engine.upstreamHead() < awaitHead)
        watchForStall();
}

void SyncClientPrivate::onPushExit(const Wire::Exit &exit)
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

void SyncClientPrivate::schedulePushRetry()
{
    const int delay = backoff(pushRetryAttempt++);
    pushRetryTimer.start(delay);
}

void SyncClientPrivate::tryPush()
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

} // namespace LiveStore
