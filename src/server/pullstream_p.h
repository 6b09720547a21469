// SPDX-License-Identifier: BSD-3-Clause
// Internal: one running pull RPC of a WebSocket connection.
#ifndef LIVESTORE_PULLSTREAM_P_H
#define LIVESTORE_PULLSTREAM_P_H

#include "pullpager_p.h"

#include <QtCore/qsharedpointer.h>
#include <QtCore/qstring.h>

#include <optional>

namespace LiveStore {

class StoreHub;
struct LiveUpdate;

// A pull runs in two phases.
//
// Catch-up: pages of the events after the cursor, up to the head as it was when the pull started,
// one page per Ack (the client acknowledges every chunk; waiting for it is the stream's
// backpressure). The last page says NoMore. A non-live pull then ends with Exit Success.
//
// Live: new events as the store advances, as NoMore pages, without waiting for Acks (as the real
// server broadcasts). A live pull never ends on its own; Interrupt ends it with an interrupt Exit.
// Events the stream must read from the storage (those pushed during the catch-up, those another
// server stored, a gap after a database outage) go out a storage read at a time, paced like
// catch-up pages (Sink::readyForCatchUp()): a long gap is neither held in memory whole nor
// written faster than the client reads it.
//
// No event is sent twice or skipped: the stream subscribes to its hub before it reads the head for
// the catch-up, ignores updates while catching up, remembers the last seqNum it sent, and on every
// update sends exactly what lies between that and the new head, from the update's pages when they
// start right after it and from the storage otherwise (the events that arrived during catch-up).
class PullStream
{
public:
    // Where a stream's frames go: its connection.
    class Sink
    {
    public:
        virtual ~Sink() = default;
        virtual void sendFrame(const QByteArray &frame) = 0;
        // The same, with the frame already as text (shared by the streams of a live update).
        virtual void sendTextFrame(const QString &frame) = 0;
        // Whether a catch-up page may go out now. Catch-up pages can wait (unlike live
        // updates): they wait while the client has much unread output, or the server's buffers
        // are full, and the connection calls resume() when that has passed.
        virtual bool readyForCatchUp() = 0;
        // The stream has sent its Exit; the connection drops it (not from inside this call).
        virtual void streamEnded(const QString &requestId) = 0;
    };

    PullStream(Sink *sink, QSharedPointer<StoreHub> hub, const QString &requestId, qint64 cursor,
               bool live);
    ~PullStream();

    void start();
    void ack();
    // Sends the catch-up page (or live gap) that waited for the connection to drain (see Sink).
    void resume();
    bool isParked() const { return m_parked; }
    void interrupt();
    // Ends the stream without a word to the client (its socket is gone).
    void cancel();
    // Ends the stream with a typed error the client acts on (e.g. a backend id mismatch).
    void failWith(const Wire::SyncError &error);
    // The store's head moved to `head`; `update` holds the pages of the batch that moved it, when
    // it was pushed through this server.
    void advance(qint64 head, const LiveUpdate *update);

    QString requestId() const { return m_requestId; }
    bool isLive() const { return m_live; }
    bool hasEnded() const { return m_phase == Phase::Ended; }

private:
    enum class Phase { CatchUp, Live, Ended };

    void sendNextCatchUpPage();
    void sendLiveGap();
    void sendPage(const QByteArray &pullResponse);
    void fail(const QString &message);
    void end(const QByteArray &exitFrame);

    Sink *m_sink;
    QSharedPointer<StoreHub> m_hub;
    QString m_requestId;
    qint64 m_lastSent;
    bool m_live;
    Phase m_phase = Phase::CatchUp;
    bool m_awaitingAck = false;
    bool m_parked = false; // a catch-up page or the live gap waits for Sink::readyForCatchUp()
    std::optional<PullPager> m_pager;
    qint64 m_liveTarget = 0;               // live: the head to send up to from the storage
    QList<PullPager::Page> m_gapPages;     // live: read from the storage, not sent yet
};

} // namespace LiveStore

#endif // LIVESTORE_PULLSTREAM_P_H
