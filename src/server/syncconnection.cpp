// SPDX-License-Identifier: BSD-3-Clause
#include "syncconnection_p.h"

#include "bufferbudget_p.h"
#include "serverlogging_p.h"
#include "storehubregistry_p.h"

#include <sync/pushframereader_p.h>

#include <QtNetwork/qtcpsocket.h>
#include <QtWebSockets/qwebsocket.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

QString peerOf(const RequestInfo &info)
{
    return info.peerAddress.toString() + u':' + QString::number(info.peerPort);
}

// A closing connection (idle timeout, shutdown of one store) whose peer does not take the close
// frame and what is queued before it is aborted after this long.
constexpr int CloseDeadlineMs = 3000;

// Catch-up pages go out while the client has less than this unread. Enough to keep a fast
// reader busy (a page is at most ~900 KB), little enough that sixty-four pulls on a client that
// does not read hold about two pages, not sixty-four.
constexpr qint64 CatchUpHighWaterBytes = 1 << 20;

} // namespace

SyncConnection::SyncConnection(QWebSocket *socket, QTcpSocket *transport,
                               StoreHubRegistry *registry, const RequestInfo &info,
                               const ConnectionLimits &limits, SharedLimits *shared,
                               QObject *parent)
    : QObject(parent),
      m_socket(socket),
      m_registry(registry),
      m_info(info),
      m_limits(limits),
      m_shared(shared)
{
    // Children are deleted in the order they were added: the WebSocket (which closes its
    // transport on the way out) before the transport.
    m_socket->setParent(this);
    if (transport) {
        transport->setParent(this);
        // After QWebSocket's own reading (connected first): it may have queued pongs.
        connect(transport, &QIODevice::readyRead, this, [this] {
            if (m_socket->bytesToWrite() == 0)
                return;
            if (!m_closing) {
                accountOutput();
            } else if (m_limits.maxPendingBytes > 0 && m_socket->bytesToWrite() > m_limits.maxPendingBytes) {
                // Closing, and still pinged without reading: the close deadline is too late.
                QMetaObject::invokeMethod(this, [this] { m_socket->abort(); }, Qt::QueuedConnection);
            }
        });
    }
    m_closeDeadline.setSingleShot(true);
    connect(&m_closeDeadline, &QTimer::timeout, this, [this] {
        if (m_socket->state() == QAbstractSocket::UnconnectedState)
            return;
        qCInfo(lcServer).noquote() << "close not taken, aborted:" << u"conn=#"_s + QString::number(id())
                                   << u"pending="_s + QString::number(m_socket->bytesToWrite());
        m_socket->abort();
    });
    connect(m_socket, &QWebSocket::textMessageReceived, this, &SyncConnection::onTextMessage);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &SyncConnection::onBinaryMessage);
    connect(m_socket, &QWebSocket::disconnected, this, &SyncConnection::onDisconnected);
    connect(m_socket, &QWebSocket::bytesWritten, this, &SyncConnection::onBytesWritten);
    if (m_shared->budget) {
        connect(m_shared->budget, &BufferBudget::roomAvailable, this,
                &SyncConnection::resumeParkedStreams);
    }

    // Real clients ping every 10 s; a peer silent for much longer is gone (or stuck), and its
    // live pulls would otherwise be served forever.
    m_idleTimer.setSingleShot(true);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        qCInfo(lcServer).noquote() << "idle timeout:" << u"conn=#"_s + QString::number(id());
        close(QWebSocketProtocol::CloseCodeGoingAway, u"idle timeout"_s);
    });
    if (m_limits.idleTimeoutMs > 0)
        m_idleTimer.start(m_limits.idleTimeoutMs);

    qCInfo(lcServer).noquote() << "connected:" << u"conn=#"_s + QString::number(id())
                               << u"store="_s + logId(m_info.storeId) << u"peer="_s + peerOf(m_info);
}

SyncConnection::~SyncConnection()
{
    // Streams unsubscribe from the hub as they go; do it before the socket goes.
    m_shared->runningPulls -= int(m_streams.size());
    m_streams.clear();
    m_ended.clear();
    if (m_shared->budget)
        m_shared->budget->remove(this);
}

void SyncConnection::close(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_idleTimer.stop();
    m_socket->close(code, reason);
    // close() waits for the queued output to be written, as long as that takes.
    if (m_socket->state() != QAbstractSocket::UnconnectedState)
        m_closeDeadline.start(CloseDeadlineMs);
}

void SyncConnection::abort()
{
    m_closing = true;
    m_socket->abort();
}

void SyncConnection::onDisconnected()
{
    m_idleTimer.stop();
    m_closeDeadline.stop();
    qCInfo(lcServer).noquote() << "disconnected:" << u"conn=#"_s + QString::number(id())
                               << u"store="_s + logId(m_info.storeId)
                               << u"code="_s + QString::number(int(m_socket->closeCode()))
                               << u"reason="_s + logRedacted(m_socket->closeReason());
    m_closing = true;
    if (m_shared->budget)
        m_shared->budget->remove(this);
    // Stop serving live updates right away. This can run inside a stream's own call (a send that
    // found the socket gone), so the streams are only deleted on the next event-loop turn.
    while (!m_streams.empty()) {
        m_streams.begin()->second->cancel();
        retireStream(m_streams.begin());
    }
    Q_EMIT closed();
}

void SyncConnection::onTextMessage(const QString &message)
{
    handleFrame(message.toUtf8());
}

void SyncConnection::onBinaryMessage(const QByteArray &message)
{
    // Effect RPC over WebSocket sends JSON as text, but a binary frame holding the same UTF-8
    // JSON is accepted too.
    handleFrame(message);
}

void SyncConnection::handleFrame(QByteArrayView frame)
{
    if (m_closing)
        return;
    if (m_limits.idleTimeoutMs > 0)
        m_idleTimer.start(m_limits.idleTimeoutMs);

    // A push in its usual spelling is read in one pass, straight into the decoded push; any
    // other frame, and every frame with something wrong in it, takes the general parse below.
    if (auto push = Wire::readPushFrame(frame)) {
        qCDebug(lcWire).noquote() << "request:" << u"conn=#"_s + QString::number(id())
                                  << u"id="_s + logId(push->request.id)
                                  << u"tag="_s + logId(push->request.tag);
        handleDecodedPush(push->request.id, push->push);
        return;
    }

    QString error;
    const auto parsed = Wire::parseClientFrame(frame, &error);
    if (!parsed) {
        // The real server silently stops answering a socket after some of these; answer instead
        // and keep the connection, so the client can see what went wrong.
        qCInfo(lcWire).noquote() << "bad frame:" << u"conn=#"_s + QString::number(id())
                                 << u"error="_s + logRedacted(error);
        sendDefect(error);
        return;
    }
    switch (parsed->type) {
    case Wire::ClientFrame::Type::Ping:
        sendFrame(Wire::encodePong());
        return;
    case Wire::ClientFrame::Type::Eof:
        return;
    case Wire::ClientFrame::Type::Ack:
        if (auto it = m_streams.find(parsed->requestId); it != m_streams.end())
            it->second->ack();
        return;
    case Wire::ClientFrame::Type::Interrupt:
        // Real clients also interrupt pushes that have already finished: nothing to do then.
        if (auto it = m_streams.find(parsed->requestId); it != m_streams.end())
            it->second->interrupt();
        return;
    case Wire::ClientFrame::Type::Request:
        break;
    }
    const Wire::Request &request = parsed->request;
    qCDebug(lcWire).noquote() << "request:" << u"conn=#"_s + QString::number(id())
                              << u"id="_s + logId(request.id) << u"tag="_s + logId(request.tag);
    if (request.tag == Wire::WsPullTag) {
        handlePull(request);
    } else if (request.tag == Wire::WsPushTag) {
        handlePush(request);
    } else {
        qCInfo(lcWire).noquote() << "unknown request tag:" << u"conn=#"_s + QString::number(id())
                                 << u"tag="_s + logId(request.tag);
        sendDefect(u"Unknown request tag: "_s + request.tag.left(200));
    }
}

bool SyncConnection::ensureHub(const QString &requestId)
{
    // A hub whose store's data was replaced (a wiped or restored database) serves no more
    // requests: the registry has the store's new one.
    if (m_hub && m_hub->isReplaced())
        m_hub.reset();
    if (m_hub)
        return true;
    QString error;
    m_hub = m_registry->hub(m_info.storeId, &error);
    if (m_hub)
        return true;
    // The request fails; the connection stays (the storage may recover for the next one).
    qCWarning(lcServer).noquote() << "storage error:" << u"store="_s + logId(m_info.storeId)
                                  << u"error="_s + error;
    sendFrame(Wire::encodeExitFailure(
            requestId, Wire::Cause::fail(Wire::UnknownError{u"StorageError"_s, error, {}})));
    return false;
}

bool SyncConnection::checkStoreId(const QString &requestId, const QString &storeId)
{
    if (storeId == m_info.storeId)
        return true;
    // The connection's store comes from its URL; a request for another store is a client bug.
    sendFrame(Wire::encodeExitFailure(
            requestId, Wire::Cause::die(u"the request is for store \"%1\" but the connection is "
                                        u"for store \"%2\""_s.arg(storeId.left(200), m_info.storeId))));
    return false;
}

void SyncConnection::handlePull(const Wire::Request &request)
{
    QString error;
    const auto pull = Wire::decodePullRequest(request, &error);
    if (!pull) {
        qCInfo(lcWire).noquote() << "bad pull:" << u"conn=#"_s + QString::number(id())
                                 << u"id="_s + logId(request.id) << u"error="_s + logRedacted(error);
        sendFrame(Wire::encodeExitFailure(request.id, Wire::Cause::die(error)));
        return;
    }
    if (!checkStoreId(request.id, pull->storeId))
        return;
    if (m_streams.count(request.id)) {
        sendDefect(u"request id %1 is already in use by a running pull"_s.arg(request.id));
        return;
    }
    if (m_limits.maxPulls > 0 && int(m_streams.size()) >= m_limits.maxPulls) {
        sendFrame(Wire::encodeExitFailure(
                request.id, Wire::Cause::fail(Wire::UnknownError{
                                    u"TooManyPulls"_s,
                                    u"at most %1 pulls may run at once on one connection"_s.arg(
                                            m_limits.maxPulls),
                                    {}})));
        return;
    }
    if (m_shared->maxPulls > 0 && m_shared->runningPulls >= m_shared->maxPulls) {
        qCWarning(lcServer).noquote() << "pull refused, server at its limit:"
                                      << u"conn=#"_s + QString::number(id())
                                      << u"pulls="_s + QString::number(m_shared->runningPulls);
        sendFrame(Wire::encodeExitFailure(
                request.id, Wire::Cause::fail(Wire::UnknownError{
                                    u"TooManyPulls"_s,
                                    u"the server runs its maximum of %1 pulls; try again later"_s.arg(
                                            m_shared->maxPulls),
                                    {}})));
        return;
    }
    if (!ensureHub(request.id))
        return;
    if (const auto refused = m_hub->admitPull(*pull, m_info)) {
        sendFrame(Wire::encodeExitFailure(request.id, Wire::Cause::fail(*refused)));
        return;
    }
    const qint64 cursor = pull->cursor ? pull->cursor->eventSequenceNumber : 0;
    qCDebug(lcServer).noquote() << "pull:" << u"store="_s + logId(m_info.storeId)
                                << u"conn=#"_s + QString::number(id()) << u"id="_s + logId(request.id)
                                << u"cursor="_s + QString::number(cursor)
                                << u"live="_s + QString::fromLatin1(pull->live ? "true" : "false");
    PullStream::Sink *sink = this;
    auto stream = std::make_unique<PullStream>(sink, m_hub, request.id, cursor, pull->live);
    PullStream *raw = stream.get();
    m_streams.emplace(request.id, std::move(stream));
    ++m_shared->runningPulls;
    raw->start();
}

void SyncConnection::handlePush(const Wire::Request &request)
{
    QString error;
    const auto push = Wire::decodePushRequest(request, &error);
    if (!push) {
        qCInfo(lcWire).noquote() << "bad push:" << u"conn=#"_s + QString::number(id())
                                 << u"id="_s + logId(request.id) << u"error="_s + logRedacted(error);
        sendFrame(Wire::encodeExitFailure(request.id, Wire::Cause::die(error)));
        return;
    }
    handleDecodedPush(request.id, *push);
}

void SyncConnection::handleDecodedPush(const QString &requestId, const Wire::PushRequest &push)
{
    if (!checkStoreId(requestId, push.storeId))
        return;
    if (!ensureHub(requestId))
        return;
    // The hub publishes an accepted batch to the live pulls, this connection's included, before
    // the push's own Exit goes out: the real server's echo also usually comes first.
    if (const auto refused = m_hub->push(push, m_info))
        sendFrame(Wire::encodeExitFailure(requestId, Wire::Cause::fail(*refused)));
    else
        sendFrame(Wire::encodeExitSuccess(requestId, Wire::encodePushAck()));
}

void SyncConnection::sendDefect(const QString &message)
{
    sendFrame(Wire::encodeDefect(message));
}

void SyncConnection::sendFrame(const QByteArray &frame)
{
    if (m_closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    sendTextFrame(QString::fromUtf8(frame));
}

void SyncConnection::sendTextFrame(const QString &frame)
{
    if (m_closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_socket->sendTextMessage(frame);
    accountOutput();
}

void SyncConnection::accountOutput()
{
    const qint64 pending = m_socket->bytesToWrite();
    // Live updates are pushed without waiting for the client. One that never reads would make the
    // server buffer without bound: cut it off instead; it reconnects and resumes from its cursor.
    if (m_limits.maxPendingBytes > 0 && pending > m_limits.maxPendingBytes) {
        cutOff(u"client too slow"_s);
        return;
    }
    if (BufferBudget *budget = m_shared->budget) {
        budget->set(this, pending, [this] {
            cutOff(u"server buffers full, the connection holding the most unread output is cut off"_s);
        });
        // May cut off this very connection (or another); its streams stop on the next turn.
        budget->enforce();
    }
}

bool SyncConnection::readyForCatchUp()
{
    if (m_closing)
        return false;
    if (m_socket->bytesToWrite() >= CatchUpHighWaterBytes)
        return false;
    return !m_shared->budget || m_shared->budget->hasRoom(Wire::MaxMessageBytes);
}

void SyncConnection::onBytesWritten()
{
    if (m_closing)
        return;
    const qint64 pending = m_socket->bytesToWrite();
    if (m_shared->budget && m_shared->budget->heldBy(this) > 0)
        m_shared->budget->set(this, pending);
    if (pending < CatchUpHighWaterBytes)
        resumeParkedStreams();
}

void SyncConnection::resumeParkedStreams()
{
    // A resumed stream sends one page and then waits for its Ack, or parks again: the loop ends.
    // Collected first: resuming may end streams (and change m_streams).
    QList<QString> parked;
    for (const auto &[requestId, stream] : m_streams) {
        if (stream->isParked())
            parked.append(requestId);
    }
    for (const QString &requestId : std::as_const(parked)) {
        if (m_closing || !readyForCatchUp())
            return;
        if (auto it = m_streams.find(requestId); it != m_streams.end())
            it->second->resume();
    }
}

void SyncConnection::cutOff(const QString &why)
{
    if (m_closing)
        return;
    qCWarning(lcServer).noquote() << "connection cut off:" << u"conn=#"_s + QString::number(id())
                                  << u"store="_s + logId(m_info.storeId)
                                  << u"pending="_s + QString::number(m_socket->bytesToWrite())
                                  << u"reason="_s + why;
    // No close frame: it would queue behind everything the client did not read. Aborting frees
    // the buffers now; the client sees the connection drop, reconnects and resumes from its
    // cursor. Not from inside this call: a stream may be sending.
    m_closing = true;
    m_idleTimer.stop();
    if (m_shared->budget)
        m_shared->budget->remove(this);
    QMetaObject::invokeMethod(this, [this] { m_socket->abort(); }, Qt::QueuedConnection);
}

void SyncConnection::retireStream(std::map<QString, std::unique_ptr<PullStream>>::iterator it)
{
    // Called from inside the stream, or while one sends: keep it alive until the call returned.
    const bool scheduled = !m_ended.empty();
    m_ended.push_back(std::move(it->second));
    m_streams.erase(it);
    --m_shared->runningPulls;
    if (!scheduled)
        QMetaObject::invokeMethod(this, &SyncConnection::reapEndedStreams, Qt::QueuedConnection);
}

void SyncConnection::streamEnded(const QString &requestId)
{
    auto it = m_streams.find(requestId);
    if (it == m_streams.end())
        return;
    retireStream(it);
}

void SyncConnection::reapEndedStreams()
{
    m_ended.clear();
}

} // namespace LiveStore
