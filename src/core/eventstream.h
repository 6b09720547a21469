// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_EVENTSTREAM_H
#define LIVESTORE_EVENTSTREAM_H

#include "livestore_export.h"
#include "schema.h"
#include "sequencenumber.h"

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <optional>

namespace LiveStore {

class Store;
class SyncClient;

// A store's events, in eventlog order, from a cursor on: first the history the log holds, then
// live, as events are committed, pulled by sync or written by another process of the store. For
// audit logs, ETL and anything else that must see every event once, in order, and resume where it
// stopped.
//
//     EventStream stream(&store);
//     stream.setCursor(lastSavedCursor);            // exclusive; root(): from the first event
//     stream.setNames({u"v1.TodoCreated"_s});
//     connect(&stream, &EventStream::eventsReceived, [&](const QList<EventRecord> &events) {
//         ship(events);
//         save(stream.cursor());                    // resume from here next time
//     });
//     stream.start();
//
// Backpressure: the log is read a page of at most `batchSize` events at a time, and a page is
// delivered before the next is read, so a stream holds at most one page whatever the length of
// the history. With autoFetch (the default) it reads a page per turn of the event loop: catching up
// on a million events never holds the thread for longer than a page takes. Without autoFetch it
// delivers one batch per fetchMore() call, for consumers that work asynchronously (an upload): a
// batch is only read once the consumer asks for it.
//
// Pending and confirmed: with sync, local events are pending until the sync server confirms them
// (their global number is at or below the upstream head). With confirmedOnly, the stream
// delivers only confirmed events: they never change, so nothing it delivered is ever taken back
// (unless the sync backend itself is reset). Otherwise it delivers pending events too, and a
// rebase (others' events ordered before pending ones, which are renumbered on top) takes back
// what it delivered beyond the last confirmed position: rebased(cursor) says so, the cursor moves
// back to that position, and the events after it follow again in their new order. A store that
// never synced has no confirmed events: a confirmedOnly stream of it delivers nothing.
//
// Errors: start() returns false with errorString(); a stream whose store goes away stops, with
// errorOccurred().
class LIVESTORE_EXPORT EventStream : public QObject
{
    Q_OBJECT
    // Not FINAL: the QML type reads it as "wanted", streaming whenever its Store element is Ready.
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    // The position after which the stream reads on, as "e5" ("e0": from the start).
    Q_PROPERTY(QString cursor READ cursorText WRITE setCursorText NOTIFY cursorChanged FINAL)
    Q_PROPERTY(QStringList names READ names WRITE setNames NOTIFY namesChanged FINAL)
    Q_PROPERTY(QString clientId READ clientId WRITE setClientId NOTIFY clientIdChanged FINAL)
    Q_PROPERTY(QString sessionId READ sessionId WRITE setSessionId NOTIFY sessionIdChanged FINAL)
    Q_PROPERTY(bool confirmedOnly READ confirmedOnly WRITE setConfirmedOnly NOTIFY confirmedOnlyChanged FINAL)
    Q_PROPERTY(int batchSize READ batchSize WRITE setBatchSize NOTIFY batchSizeChanged FINAL)
    Q_PROPERTY(bool autoFetch READ autoFetch WRITE setAutoFetch NOTIFY autoFetchChanged FINAL)
    // Everything the log held at the last read was delivered: the stream waits for new events.
    Q_PROPERTY(bool caughtUp READ isCaughtUp NOTIFY caughtUpChanged FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred FINAL)

public:
    explicit EventStream(QObject *parent = nullptr);
    explicit EventStream(Store *store, QObject *parent = nullptr);
    ~EventStream() override;

    Store *store() const { return m_store; }
    // Stops the stream; start() again to read the new store from the cursor.
    void setStore(Store *store);
    // Optional: the sync client of the store. A pull that only confirms pending events changes
    // nothing in the log, and the store says nothing about it; the client's upstreamHeadChanged()
    // does, so that a confirmedOnly stream delivers such events at once rather than with the next
    // change of the log.
    // (Out of line: QPointer's access needs the complete type, which this header does not include.)
    SyncClient *syncClient() const;
    void setSyncClient(SyncClient *client);

    // Starts reading from the cursor (a store still opening is read once it is open). False, with
    // errorString(), without a store or with a store that is neither open nor opening.
    bool start();
    // Stops delivering; the cursor stays where it is, for a start() later.
    void stop();
    bool isActive() const { return m_active; }
    void setActive(bool active);

    // The last event read: what was delivered last, or an event after it that the filters left
    // out. Exclusive: a stream started at this cursor delivers what follows it. Only the global
    // and client parts count; a rebase generation is kept for display.
    SequenceNumber cursor() const { return m_cursor; }
    void setCursor(SequenceNumber cursor);
    QString cursorText() const { return m_cursor.toString(); }
    // Ignored, with errorString() set, when the text is not a sequence number.
    void setCursorText(const QString &text);

    // Filters: event names (empty: all), the client and the session that committed them (empty:
    // any). A change applies to the events read after it.
    QStringList names() const { return m_names; }
    void setNames(const QStringList &names);
    QString clientId() const { return m_clientId; }
    void setClientId(const QString &clientId);
    QString sessionId() const { return m_sessionId; }
    void setSessionId(const QString &sessionId);
    bool confirmedOnly() const { return m_confirmedOnly; }
    void setConfirmedOnly(bool confirmedOnly);

    // Events of the log read per page, and so the largest batch. Default 256.
    int batchSize() const { return m_batchSize; }
    void setBatchSize(int events);
    // Deliver batches as fast as the event loop turns (default), or one per fetchMore().
    bool autoFetch() const { return m_autoFetch; }
    void setAutoFetch(bool autoFetch);
    // Without autoFetch: asks for one more batch. It comes with a later turn of the event loop,
    // or, when the stream has caught up, with the next events that reach the log. Calls add up.
    Q_INVOKABLE void fetchMore();

    bool isCaughtUp() const { return m_caughtUp; }
    // Events held in memory right now: the page being delivered, at most batchSize(); 0 between
    // batches. (What the backpressure promise is about; tests check it.)
    qsizetype heldEvents() const { return m_page.size(); }

    QString errorString() const { return m_error; }

Q_SIGNALS:
    void activeChanged();
    void cursorChanged();
    void namesChanged();
    void clientIdChanged();
    void sessionIdChanged();
    void confirmedOnlyChanged();
    void batchSizeChanged();
    void autoFetchChanged();
    void caughtUpChanged();
    // The next events, in order; at most batchSize(), never empty. cursor() is already past them.
    void eventsReceived(const QList<LiveStore::EventRecord> &events);
    // Pending events delivered after `cursor` were renumbered by a rebase: forget them. What
    // follows `cursor` is delivered again, in the order the log has now.
    void rebased(LiveStore::SequenceNumber cursor);
    void errorOccurred(const QString &errorString);

private:
    void connectStore();
    void scheduleStep();
    void step();
    // Notices a rebase or a backend reset under the delivered events; true if it rewound.
    bool checkRetraction();
    void rewind(SequenceNumber to);
    // The log may hold more after the cursor: read on.
    void markDirty();
    void setCaughtUp(bool caughtUp);
    void updateConfirmPoll();
    void fail(const QString &error);
    bool matches(const EventRecord &event) const;

    QPointer<Store> m_store;
    QPointer<SyncClient> m_syncClient;
    QList<QMetaObject::Connection> m_storeConnections;
    QMetaObject::Connection m_syncConnection;
    QTimer m_stepTimer;
    // Confirmed only, caught up, with pending events in the log: looks at the upstream head now
    // and then (see updateConfirmPoll()).
    QTimer m_confirmPoll;
    QStringList m_names;
    QString m_clientId;
    QString m_sessionId;
    SequenceNumber m_cursor = SequenceNumber::root();
    // The event at the cursor while it is pending, to tell whether a rebase renumbered it.
    std::optional<EventRecord> m_cursorEvent;
    // The upstream head (confirmed global number) as last read; -1 before the first read.
    qint64 m_confirmedHead = -1;
    QList<EventRecord> m_page; // held only while a page is delivered
    QString m_error;
    int m_batchSize = 256;
    int m_requested = 0; // batches asked for by fetchMore() and not delivered yet
    bool m_active = false;
    bool m_confirmedOnly = false;
    bool m_autoFetch = true;
    bool m_caughtUp = false;
    bool m_stepping = false; // inside step(): its signals may call back
    bool m_dirty = false;    // the log changed since the last read began
};

} // namespace LiveStore

#endif // LIVESTORE_EVENTSTREAM_H
