// SPDX-License-Identifier: BSD-3-Clause
// SyncClient: its public API, its status and counters, and leadership among the processes of a
// store. The connection, the pull and the push are in files of their own (syncclient_p.h).
#include "syncclient_p.h"

#include "store.h"

#include <QtCore/qdir.h>
#include <QtCore/qeventloop.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

Q_LOGGING_CATEGORY(lcSync, "livestore.sync", QtInfoMsg)

void SyncClientPrivate::setLeader(bool value)
{
    if (leader == value)
        return;
    leader = value;
    Q_EMIT q->leaderChanged();
}

// True when this client leads (or just became the leader); false in Standby, or after a
// fatal error.
bool SyncClientPrivate::takeLeadership()
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

void SyncClientPrivate::releaseLeadership()
{
    standbyTimer.stop();
    leaderLock.unlock();
    setLeader(false);
}

void SyncClientPrivate::setStatus(SyncClient::Status s)
{
    if (status == s)
        return;
    status = s;
    Q_EMIT q->statusChanged();
}

void SyncClientPrivate::setError(const QString &error)
{
    if (lastError == error)
        return;
    lastError = error;
    Q_EMIT q->lastErrorChanged();
}

void SyncClientPrivate::setCaughtUp(bool value, qreal progress)
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
void SyncClientPrivate::updateCounts(bool fromPull)
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
