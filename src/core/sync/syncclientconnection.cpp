// SPDX-License-Identifier: BSD-3-Clause
// SyncClient's WebSocket (syncclient_p.h): connecting, reconnecting with backoff, pings, stalled
// connections, and the frames that come in, handed to the pull or the push.
#include "syncclient_p.h"

#include "pullframereader_p.h"
#include "store.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qrandom.h>
#include <QtWebSockets/qwebsocket.h>

#include <algorithm>
#include <cmath>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

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

bool isOfUnknownKind(const QByteArray &text)
{
    const QJsonValue tag = QJsonDocument::fromJson(text).object().value("_tag"_L1);
    static const QStringList known{u"Chunk"_s, u"Exit"_s, u"Defect"_s, u"Pong"_s};
    return tag.isString() && !known.contains(tag.toString());
}

} // namespace

// See connectNow().
constexpr quint64 MaxIncomingMessageBytes = 16 << 20;

int SyncClientPrivate::backoff(int attempt) const
{
    const double base = double(initialDelay) * std::pow(2.0, std::min(attempt, 20));
    const double capped = std::min(base, double(maxDelay));
    // Jitter, so that clients dropped together by a server restart do not reconnect in step.
    return int(capped * (0.8 + 0.4 * QRandomGenerator::global()->generateDouble()));
}

QUrl SyncClientPrivate::connectionUrl() const
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

void SyncClientPrivate::send(const QByteArray &frame)
{
    if (socket)
        socket->sendTextMessage(QString::fromUtf8(frame));
}

QString SyncClientPrivate::sendRequest(QStringView tag, const QByteArray &payloadJsonText)
{
    Wire::Request r;
    r.id = QString::number(nextRequestId++);
    r.tag = tag.toString();
    r.payloadJson = payloadJsonText;
    send(Wire::encodeRequest(r));
    return r.id;
}

void SyncClientPrivate::connectNow()
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
    // A frame is held whole until it is complete: a server's pages stay under 900 KB (sync-cf
    // and ours), and a larger message closes the connection (1009) instead of growing the
    // client's memory by whatever the server sends.
    socket->setMaxAllowedIncomingMessageSize(MaxIncomingMessageBytes);
    socket->setMaxAllowedIncomingFrameSize(MaxIncomingMessageBytes);
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
void SyncClientPrivate::dropSocket()
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
    // What the last connection's server said it would send (an echo, the head of a refusal) is
    // not owed by the next one: its catch-up says where the server is. Kept, a number the
    // server never reaches (a wrong minimumExpectedNum) held every push back for good.
    awaitHead = 0;
    firstPageArrived = false;
    catchUpReceived = 0;
    setCaughtUp(false, 0);
    if (QWebSocket *s = std::exchange(socket, nullptr)) {
        s->disconnect(q);
        s->abort();
        s->deleteLater();
    }
}

void SyncClientPrivate::scheduleReconnect()
{
    dropSocket();
    if (!active || halted) {
        setStatus(halted ? SyncClient::Error : SyncClient::Disconnected);
        return;
    }
    setStatus(SyncClient::Disconnected);
    // Only a connection that kept working for a while makes the next attempt quick again: a
    // server that fails each connection right after its first page is retried ever more slowly.
    if (workingSince.isValid() && workingSince.elapsed() >= pingInterval)
        reconnectAttempt = 0;
    workingSince.invalidate();
    const int delay = backoff(reconnectAttempt++);
    qCInfo(lcSync, "reconnecting in %d ms", delay);
    reconnectTimer.start(delay);
}

void SyncClientPrivate::fatal(const QString &error)
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

void SyncClientPrivate::onConnected()
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

void SyncClientPrivate::onDisconnected(const QString &reason)
{
    qCInfo(lcSync, "disconnected: %s", qUtf8Printable(reason));
    if (!reason.isEmpty())
        setError(reason);
    scheduleReconnect();
}

void SyncClientPrivate::onPingTick()
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

void SyncClientPrivate::watchForStall()
{
    if (!stallTimer.isActive())
        stallTimer.start(pingInterval);
}

void SyncClientPrivate::onStalled()
{
    if (!socket)
        return;
    QString why;
    if (!pushId.isEmpty()) {
        why = u"no reply to the push of e%1..e%2 within %3 ms"_s.arg(pushParent + 1).arg(pushLastSeq).arg(
                stallTimer.interval());
    } else if (engine.upstreamHead() < awaitHead) {
        why = u"the server did not send e%1 on the live pull within %2 ms (it sent up to e%3)"_s.arg(awaitHead)
                      .arg(stallTimer.interval())
                      .arg(engine.upstreamHead());
    } else {
        return;
    }
    qCWarning(lcSync, "%s: reconnecting", qUtf8Printable(why));
    setError(why); // cleared when a connection catches up again
    dropSocket();
    connectNow();
}

void SyncClientPrivate::onFrame(const QByteArray &text)
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
            incoming.push_back(
                    {frame->requestId, true, frame->valuesJson.at(i), frame->values.at(i), {}, {}});
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

void SyncClientPrivate::onExit(const QString &requestId, const Wire::Exit &exit)
{
    if (requestId == pushId)
        onPushExit(exit);
    else if (requestId == pullId)
        onPullExit(exit);
}

} // namespace LiveStore
