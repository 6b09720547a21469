// SPDX-License-Identifier: BSD-3-Clause
// SyncClient's pull (syncclient_p.h): pulled pages queue up as they arrive and are applied in
// slices within the apply budget, whole pages at a time; chunks are acknowledged, held back while
// too many wait; the pull's end.
#include "syncclient_p.h"

#include "pullframereader_p.h"
#include "store.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

// The pull's pages just queued: the server sends the next one once it has the Ack, which
// waits while too many are queued (the drain sends what it owes).
void SyncClientPrivate::acknowledgePage(const QString &requestId)
{
    if (queuedPages <= MaxQueuedPages)
        send(Wire::encodeAck(requestId));
    else
        ++acksOwed;
    scheduleDrain();
}

void SyncClientPrivate::scheduleDrain(Drain when)
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
void SyncClientPrivate::drainIncoming()
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
void SyncClientPrivate::onMergeCompletedEarly()
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
void SyncClientPrivate::sendOwedAcks()
{
    for (; acksOwed > 0 && queuedPages <= MaxQueuedPages / 2; --acksOwed)
        send(Wire::encodeAck(pullId));
}

// Whether to wait for more catch-up pages before applying (see gatherTimer): local events are
// pending, the catch-up is not over, and the last thing queued is a page after which the
// server has more.
bool SyncClientPrivate::shouldGather() const
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
qsizetype SyncClientPrivate::batchEvents() const
{
    const qsizetype page = Wire::MaxEventsPerMessage;
    if (pendingCount <= page || applyBudgetMs <= 0)
        return page;
    return std::min(pendingCount / page, MaxQueuedPages) * page;
}

// Takes the pages at the front of the queue, up to batchEvents() (several small live pages
// merge; a catch-up page of 100 events goes alone unless many local events are pending), and
// applies them in one step. False when the connection was dropped.
bool SyncClientPrivate::applyQueuedPages(const QElapsedTimer &turn, qint64 budgetNs)
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
std::optional<Wire::PullResponse> SyncClientPrivate::decodePage(Incoming &incomingPage,
                                                                QList<EventRecord> *records)
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
bool SyncClientPrivate::onPulledEvents(QList<EventRecord> records, qint64 received,
                                       const Wire::PageInfo &pageInfo, qint64 sliceNs)
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
bool SyncClientPrivate::afterMerge(SyncEngine::Result result, MergeInFlight merged)
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
        workingSince.start(); // see scheduleReconnect()
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
            // (A server's remaining below 0 would make the progress pass 1.)
            const qint64 total = catchUpReceived + std::max<qint64>(0, pageInfo.remaining);
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
bool SyncClientPrivate::onBackendIdMismatch(const QString &serverId, const QString &localId)
{
    const QString message = u"backend id mismatch: the server's backend id is \"%1\", this store "
                             "synced with \"%2\""_s.arg(serverId, localId);
    // A store that never synced has nothing of another backend to forget: a server that says so
    // is wrong, and wiping the store would lose its events that were never pushed.
    if (localId.isEmpty()) {
        setError(u"the server reports a backend id mismatch (its id is \"%1\"), but this store has "
                  "not synced with any backend yet: nothing is reset"_s.arg(serverId));
        qCWarning(lcSync, "%s", qUtf8Printable(lastError));
        return true; // the caller reconnects, with backoff
    }
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
        // A fresh pull from the start, on a fresh connection (no stale pull or push ids), after
        // the usual backoff: a server that keeps changing its id is not pulled from in a loop.
        scheduleReconnect();
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

void SyncClientPrivate::onPullExit(const Wire::Exit &exit)
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

} // namespace LiveStore
