// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SYNCCLIENT_H
#define LIVESTORE_SYNCCLIENT_H

#include "livestore_export.h"
#include "store.h"

#include <QtCore/qjsonvalue.h>
#include <QtCore/qobject.h>
#include <QtCore/qurl.h>

#include <memory>

namespace LiveStore {

class Store;
class SyncClientPrivate;

// Syncs a store with a LiveStore sync backend (sync-cf 0.4.0 over WebSocket: a real Cloudflare
// worker, or LiveStore::SyncServer). Runs on the event loop of the thread the store lives in.
//
//     StoreOptions options;
//     options.recordChangesets = true; // required: rebasing rolls pending events back
//     store.open(options);
//     SyncClient sync(&store);
//     sync.setUrl(QUrl(u"ws://127.0.0.1:8787"_s));
//     sync.start();
//
// Local commits are pushed when connected and accumulate while offline; they count as synced only
// once the server's pull stream delivers them back (pendingCount() reaches 0, synced()). Events
// others pushed first are applied and the local ones rebased on top (see SyncEngine).
class LIVESTORE_EXPORT SyncClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SyncClient)
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlChanged)
    Q_PROPERTY(QJsonValue payload READ payload WRITE setPayload NOTIFY payloadChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(bool leader READ isLeader NOTIFY leaderChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY pendingCountChanged)
    Q_PROPERTY(qint64 upstreamHead READ upstreamHead NOTIFY upstreamHeadChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
    Q_PROPERTY(bool caughtUp READ isCaughtUp NOTIFY caughtUpChanged)
    Q_PROPERTY(qreal catchUpProgress READ catchUpProgress NOTIFY catchUpProgressChanged)
    Q_PROPERTY(int skippedEventCount READ skippedEventCount NOTIFY eventSkipped)
    Q_PROPERTY(QString lastSkippedEvent READ lastSkippedEvent NOTIFY eventSkipped)
    Q_PROPERTY(int pushCount READ pushCount NOTIFY eventsPushed)
    Q_PROPERTY(int pushedEventCount READ pushedEventCount NOTIFY eventsPushed)
    Q_PROPERTY(int pulledEventCount READ pulledEventCount NOTIFY pulledEventCountChanged)
    Q_PROPERTY(BackendIdMismatchPolicy backendIdMismatchPolicy READ backendIdMismatchPolicy
                       WRITE setBackendIdMismatchPolicy NOTIFY backendIdMismatchPolicyChanged)
public:
    enum Status {
        Disconnected, // not started, stopped, or waiting to reconnect
        Connecting,
        Connected,    // pulling (live) and pushing
        Error,        // stopped by an error that retrying cannot fix (see lastError)
        Standby,      // another process of this store syncs it (see isLeader())
    };
    Q_ENUM(Status)

    // What to do when the server's backend id differs from the one this store synced with (the
    // backend was reset or replaced).
    enum BackendIdMismatchPolicy {
        Reset,    // forget all synced local data (SyncEngine::resetLocalData) and pull again
        Shutdown, // stop syncing with status Error
        Ignore,   // log it and carry on
    };
    Q_ENUM(BackendIdMismatchPolicy)

    // Several processes may have one store open (architecture.md, "Several processes on one
    // store"); one of them at a time, the leader, runs the sync connection, for the events all of
    // them commit. An active client becomes the leader when no other process's client is (it
    // holds the store's sync.lock), otherwise it waits in status Standby and takes over within
    // about half a second of the leader's process stopping it, closing the store or dying.
    // Meanwhile pendingCount() and upstreamHead() follow what the leader does.
    explicit SyncClient(Store *store, QObject *parent = nullptr);
    ~SyncClient() override;

    Store *store() const;

    // ws:// or wss://; the query (storeId, payload, transport) is added by the client.
    QUrl url() const;
    void setUrl(const QUrl &url);
    // Any JSON value (e.g. {"authToken": …}); sent in the URL and in every RPC. Undefined: none.
    QJsonValue payload() const;
    void setPayload(const QJsonValue &payload);

    bool isActive() const;
    void setActive(bool active);
    Status status() const;
    bool isLeader() const;
    int pendingCount() const;
    qint64 upstreamHead() const;
    // Why syncing does not work right now (a refused connection, a failed push…); cleared when a
    // connection catches up again.
    QString lastError() const;
    // The connection's pull has delivered everything the server had when it began (its first
    // NoMore page). False while disconnected.
    bool isCaughtUp() const;
    // How far the catch-up of this connection has come, 0 to 1, from the server's counts of the
    // events still to come; 1 once caught up. 0 while disconnected.
    qreal catchUpProgress() const;
    // Pulled (or rebased) events the store could not apply and skipped, by the schema's
    // FailedEventPolicy, since this client was created; and the last one, as "e19 (v1.TodoCreated):
    // reason". Syncing goes on past them.
    int skippedEventCount() const;
    QString lastSkippedEvent() const;
    // Traffic since this client was created (across reconnects; stop() and start() keep them):
    // pushes the server accepted, and the events in them (a push carries up to 100); events
    // pulled and applied, as eventsPulled() delivers them: others' events and the echoes that
    // confirm this client's own. Only a push the server answered with success counts: one it
    // refused (it was ahead: the events go again after the rebase, and count then) or whose
    // answer a dropped connection lost counts nothing.
    int pushCount() const;
    int pushedEventCount() const;
    int pulledEventCount() const;

    // Runs a local event loop until the store is in sync both ways (caught up, nothing pending),
    // syncing stops with status Error, or `msecs` pass. For command-line tools and tests; a GUI
    // should bind to the properties instead. True when in sync. On Standby, in sync means that
    // the leading process has pushed everything and had it confirmed (nothing pending).
    bool waitForSynced(int msecs = 30'000);

    BackendIdMismatchPolicy backendIdMismatchPolicy() const;
    void setBackendIdMismatchPolicy(BackendIdMismatchPolicy policy);

    // Reconnects (and push retries) wait initialReconnectDelay × 2^attempt, jittered, at most
    // maxReconnectDelay. Defaults 1 s and 30 s, as LiveStore's client; tests shorten them.
    int initialReconnectDelay() const;
    void setInitialReconnectDelay(int ms);
    int maxReconnectDelay() const;
    void setMaxReconnectDelay(int ms);
    // Heartbeat: a Ping every interval; no frame at all between two ticks drops the connection.
    // Default 10 s.
    int pingInterval() const;
    void setPingInterval(int ms);
    // How long applying pulled events may hold the thread in one turn of its event loop before
    // the client lets the loop run (timers, input, painting) and goes on in the next turn.
    // Pulled pages wait in a queue and are applied whole, a page (or a few small ones together)
    // per transaction, with one refresh of the live queries each; the client yields between
    // them once this much time has passed (a single page may take longer: it is never split).
    // Default 8 ms, half a frame at 60 Hz. 0: each page is applied as soon as its frame arrives,
    // for tools that have no GUI to keep responsive.
    int applyBudget() const;
    void setApplyBudget(int ms);

public Q_SLOTS:
    void start();
    void stop();

Q_SIGNALS:
    void urlChanged();
    void payloadChanged();
    void activeChanged();
    void statusChanged();
    void leaderChanged();
    void pendingCountChanged();
    void upstreamHeadChanged();
    void lastErrorChanged();
    void backendIdMismatchPolicyChanged();
    void caughtUpChanged();
    void catchUpProgressChanged();
    // Events the server delivered that this store did not have as synced before, in order, after
    // they have been applied: others' events and the echoes that confirm this client's own.
    void eventsPulled(const QList<LiveStore::EventRecord> &events);
    // pulledEventCount changed: just before each eventsPulled().
    void pulledEventCountChanged();
    // The server accepted a push of `count` events (pushCount and pushedEventCount grew). They
    // stay pending until the pull echoes them back.
    void eventsPushed(int count);
    // Every local synced event is confirmed by the server (pendingCount dropped to 0 on a pull).
    void synced();
    // An event from the shared history could not be applied and was skipped (see
    // skippedEventCount): it stays in the eventlog without effect on the state.
    void eventSkipped(const LiveStore::EventRecord &event, const QString &reason);

private:
    friend class SyncClientPrivate;
    std::unique_ptr<SyncClientPrivate> d;
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCCLIENT_H
