// SPDX-License-Identifier: BSD-3-Clause
#include "pullstream_p.h"

#include "serverlogging_p.h"
#include "storehub_p.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

PullStream::PullStream(Sink *sink, QSharedPointer<StoreHub> hub, const QString &requestId,
                       qint64 cursor, bool live)
    : m_sink(sink), m_hub(std::move(hub)), m_requestId(requestId), m_lastSent(cursor), m_live(live)
{
}

PullStream::~PullStream()
{
    m_hub->unsubscribe(this);
}

void PullStream::start()
{
    // Subscribe before reading the head: a push landing after this point is either within the
    // catch-up range or beyond it, and then picked up when the stream goes live.
    if (m_live)
        m_hub->subscribe(this);
    m_pager.emplace(m_hub->storage(), m_hub->storeId(), m_hub->backendId(), m_lastSent,
                    m_hub->head());
    QString error;
    if (!m_pager->start(&error)) {
        fail(error);
        return;
    }
    sendNextCatchUpPage();
}

void PullStream::ack()
{
    if (m_phase != Phase::CatchUp || !m_awaitingAck)
        return; // live chunks are acknowledged too, but nothing waits for that
    m_awaitingAck = false;
    sendNextCatchUpPage();
}

void PullStream::resume()
{
    if (!m_parked || m_phase == Phase::Ended)
        return;
    m_parked = false;
    if (m_phase == Phase::CatchUp)
        sendNextCatchUpPage();
    else
        sendLiveGap();
}

void PullStream::interrupt()
{
    if (m_phase == Phase::Ended)
        return;
    end(Wire::encodeExitFailure(m_requestId, Wire::Cause::interrupt()));
}

void PullStream::cancel()
{
    m_phase = Phase::Ended;
    m_pager.reset();
    m_gapPages.clear();
    m_hub->unsubscribe(this);
}

void PullStream::sendNextCatchUpPage()
{
    if (!m_sink->readyForCatchUp()) {
        m_parked = true;
        return;
    }
    QString error;
    const auto page = m_pager->next(&error);
    if (!page) {
        fail(error);
        return;
    }
    sendPage(page->json);
    m_lastSent = qMax(m_lastSent, page->lastSeqNum);
    if (m_phase == Phase::Ended) // the send found the socket gone
        return;
    if (!page->isLast) {
        m_awaitingAck = true;
        return;
    }
    m_pager.reset();
    if (!m_live) {
        end(Wire::encodeExitSuccess(m_requestId));
        return;
    }
    m_phase = Phase::Live;
    // Whatever was pushed while the catch-up ran.
    advance(m_hub->head(), nullptr);
}

void PullStream::advance(qint64 head, const LiveUpdate *update)
{
    if (m_phase != Phase::Live || head <= m_lastSent)
        return;
    // Sending a gap from the storage: this update comes after it, from the storage too.
    if (m_liveTarget > m_lastSent) {
        m_liveTarget = qMax(m_liveTarget, head);
        if (!m_parked)
            sendLiveGap();
        return;
    }
    if (update && update->firstParent == m_lastSent && update->lastSeqNum == head
        && !update->pages.isEmpty()) {
        m_lastSent = update->lastSeqNum;
        // A copy: a send may end this stream and, with it, the last reference to the update's
        // frames is not ours to keep alive (QString copies are shallow).
        const QList<QString> frames = update->chunkFrames(m_requestId);
        for (const QString &frame : frames) {
            m_sink->sendTextFrame(frame);
            if (m_phase == Phase::Ended)
                return;
        }
        return;
    }
    qCDebug(lcServer).noquote() << "live pull catching up from storage:"
                                << u"store="_s + logId(m_hub->storeId()) << u"request="_s + logId(m_requestId)
                                << u"after="_s + QString::number(m_lastSent)
                                << u"head="_s + QString::number(head);
    m_liveTarget = head;
    sendLiveGap();
}

void PullStream::sendLiveGap()
{
    while (m_phase == Phase::Live && m_lastSent < m_liveTarget) {
        if (!m_sink->readyForCatchUp()) {
            m_parked = true; // resume() goes on once the client has read
            return;
        }
        if (m_gapPages.isEmpty()) {
            QString error;
            auto pages = PullPager::livePages(m_hub->storage(), m_hub->storeId(), m_hub->backendId(),
                                              m_lastSent, m_liveTarget, &error);
            if (!pages) {
                fail(error);
                return;
            }
            if (pages->isEmpty()) {
                // The storage holds nothing more up to the target (it cannot be behind the
                // head it announced; should it be, the next update reads again).
                m_liveTarget = m_lastSent;
                return;
            }
            m_gapPages = std::move(*pages);
        }
        const PullPager::Page page = m_gapPages.takeFirst();
        sendPage(page.json);
        m_lastSent = page.lastSeqNum;
    }
}

void PullStream::sendPage(const QByteArray &pullResponse)
{
    m_sink->sendFrame(Wire::encodeChunk(m_requestId, {pullResponse}));
}

void PullStream::fail(const QString &message)
{
    qCWarning(lcServer).noquote() << "pull failed:" << u"store="_s + logId(m_hub->storeId())
                                  << u"request="_s + logId(m_requestId) << u"error="_s + message;
    end(Wire::encodeExitFailure(
            m_requestId, Wire::Cause::fail(Wire::UnknownError{u"StorageError"_s, message, {}})));
}

void PullStream::failWith(const Wire::SyncError &error)
{
    if (m_phase == Phase::Ended)
        return;
    end(Wire::encodeExitFailure(m_requestId, Wire::Cause::fail(error)));
}

void PullStream::end(const QByteArray &exitFrame)
{
    m_phase = Phase::Ended;
    m_pager.reset();
    m_gapPages.clear();
    m_hub->unsubscribe(this);
    m_sink->sendFrame(exitFrame);
    m_sink->streamEnded(m_requestId);
}

} // namespace LiveStore
