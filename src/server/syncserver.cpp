// SPDX-License-Identifier: BSD-3-Clause
#include "syncserver.h"

#include "bufferbudget_p.h"
#include "closereason_p.h"
#include "httpfront_p.h"
#include "httprpc_p.h"
#include "serverlogging_p.h"
#include "storehubregistry_p.h"
#include "syncconnection_p.h"
#include "syncquery_p.h"
#include "syncstorage.h"

#include <store.h>

#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtWebSockets/qwebsocket.h>
#include <QtWebSockets/qwebsocketserver.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// The health text of sync-cf's worker, word for word: monitoring set up for it keeps working.
constexpr QByteArrayView InfoText = "Info: Sync backend endpoint for @livestore/sync-cf.";

// QWebSocketServer reads a handshake line of at most 8 KiB (and 100 header lines) and silently
// drops the connection beyond that: such requests are answered here instead, with a status and
// a log line. A little below Qt's limit, which counts differently for non-ASCII text.
constexpr qsizetype MaxHandshakeLineBytes = 8000;
constexpr qsizetype MaxHandshakeHeaders = 90;

// The smallest limits listen() accepts. A pull page may be as large as a message a client keeps
// under Wire::MaxMessageBytes, and a pull sends one only while the buffer budget has room for it.
constexpr qint64 MinMessageBytes = 1024;
constexpr qint64 MinBufferedBytes = 2 * Wire::MaxMessageBytes;

QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + u'|' + QString::number(port);
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    // Compare every byte whatever the first difference, so the time taken says nothing about the
    // token.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const qsizetype n = qMax(a.size(), b.size());
    for (qsizetype i = 0; i < n; ++i) {
        const char x = i < a.size() ? a.at(i) : 0;
        const char y = i < b.size() ? b.at(i) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

} // namespace

class SyncServerPrivate
{
public:
    struct PendingUpgrade
    {
        RequestInfo info;
        QPointer<QTcpSocket> transport;
        quint64 ticket = 0;
    };

    explicit SyncServerPrivate(SyncServer *q, SyncStorage *storage)
        : q(q), storage(storage), registry(storage, &hooks)
    {
    }

    void onRequest(QTcpSocket *socket, const HttpRequest &request);
    void onNewWebSocket();
    std::optional<QString> refusePayload(const QJsonValue &payload, const RequestInfo &info) const;
    void onConnectionClosed(SyncConnection *connection);
    void finishClose();

    SyncServer *q;
    SyncStorage *storage;
    SyncServerOptions options;
    SyncHooks hooks;
    BufferBudget budget;
    SharedLimits shared;
    StoreHubRegistry registry;
    HttpFront *front = nullptr;
    QWebSocketServer *webSockets = nullptr;
    QList<SyncConnection *> connections;
    QHash<QString, PendingUpgrade> pendingUpgrades; // by peer address and port
    quint64 nextConnectionId = 1;
    quint64 nextTicket = 1;
    QString errorString;
    bool closing = false;
    QTimer graceTimer;
};

std::optional<QString> SyncServerPrivate::refusePayload(const QJsonValue &payload,
                                                        const RequestInfo &info) const
{
    if (!options.authToken.isEmpty()) {
        const QJsonValue token = payload.toObject().value("authToken"_L1);
        if (!token.isString()
            || !constantTimeEquals(token.toString().toUtf8(), options.authToken.toUtf8()))
            return u"Invalid auth token"_s;
    }
    if (hooks.validatePayload)
        return hooks.validatePayload(payload, info);
    return std::nullopt;
}

void SyncServerPrivate::onRequest(QTcpSocket *socket, const HttpRequest &request)
{
    QList<std::pair<QByteArray, QByteArray>> cors;
    if (options.enableCors) {
        const QByteArray requested = request.header("access-control-request-headers");
        cors = {{"Access-Control-Allow-Origin", "*"},
                {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                {"Access-Control-Allow-Headers", requested.isEmpty() ? QByteArray("*") : requested}};
        if (request.method == "OPTIONS") {
            front->respond(socket, 204, {}, {}, cors);
            return;
        }
    }
    auto refuse = [&](int status, const QString &message) {
        // The target as the log shows it: the payload (with its token) and whatever else the
        // query carries is redacted, and so is the reason where it quotes the client.
        qCInfo(lcWire).noquote() << "request refused:" << u"peer="_s + socket->peerAddress().toString()
                                 << u"status="_s + QString::number(status)
                                 << u"target="_s + logTarget(request.target)
                                 << u"reason="_s + logRedacted(message, options.authToken);
        front->respond(socket, status, message.toUtf8(), "text/plain; charset=utf-8", cors);
    };

    const SyncQuery query = parseSyncQuery(request.query);
    const bool upgrade = request.isWebSocketUpgrade();
    if (!query.isSyncRequest()) {
        if (request.method == "GET" && request.path == "/") {
            front->respond(socket, 200, InfoText, "text/plain", cors);
            return;
        }
        refuse(400, u"Invalid path"_s);
        return;
    }

    RequestInfo info;
    info.storeId = *query.storeId;
    info.peerAddress = socket->peerAddress();
    info.peerPort = socket->peerPort();
    info.headers = request.headers;
    // Clients before 0.4 sent no transport; an upgrade says which one they mean.
    info.transport = query.transport.isEmpty() && upgrade ? u"ws"_s : query.transport;
    if (info.transport != "ws"_L1 && info.transport != "http"_L1) {
        refuse(400, u"Invalid transport: expected transport=ws or transport=http"_s);
        return;
    }
    // Before anything else looks at it: store ids go into the database, the logs and every
    // page sent back. LiveStore's own ids are short.
    if (options.maxStoreIdLength > 0 && info.storeId.size() > options.maxStoreIdLength) {
        refuse(400, u"Invalid storeId: at most %1 characters"_s.arg(options.maxStoreIdLength));
        return;
    }
    if (!isValidStoreId(info.storeId)) {
        refuse(400, u"Invalid storeId: use letters, digits, '_' and '-' only"_s);
        return;
    }
    if (query.payload) {
        QString error;
        const auto payload = parsePayloadJson(*query.payload, &error);
        if (!payload) {
            refuse(400, u"Invalid payload: "_s + error);
            return;
        }
        info.payload = *payload;
    }
    if (const auto refused = refusePayload(info.payload, info)) {
        refuse(400, *refused);
        return;
    }

    if (info.transport == "ws"_L1) {
        if (!upgrade) {
            refuse(426, u"Expected a WebSocket upgrade (Upgrade: websocket)"_s);
            return;
        }
        if (request.longestLine > MaxHandshakeLineBytes) {
            const bool requestLine = request.method.size() + request.target.size() + 10 >= request.longestLine;
            refuse(requestLine ? 414 : 431,
                   u"A WebSocket handshake line may have at most %1 bytes"_s.arg(MaxHandshakeLineBytes));
            return;
        }
        if (request.headers.size() > MaxHandshakeHeaders) {
            refuse(431, u"A WebSocket handshake may have at most %1 header lines"_s.arg(MaxHandshakeHeaders));
            return;
        }
        // What else QWebSocketServer requires of a handshake; it drops one without it silently.
        if (request.method != "GET") {
            refuse(400, u"Invalid WebSocket handshake: it must be a GET request"_s);
            return;
        }
        const QList<QByteArray> connection = request.header("connection").toLower().split(',');
        if (std::none_of(connection.cbegin(), connection.cend(),
                         [](const QByteArray &token) { return token.trimmed() == "upgrade"; })) {
            // The usual cause: a reverse proxy that passes Upgrade on but not Connection.
            refuse(400, u"Invalid WebSocket handshake: the Connection header must name Upgrade (behind "
                        "a reverse proxy, pass it on: nginx needs proxy_set_header Connection \"upgrade\")"_s);
            return;
        }
        if (request.header("host").isEmpty()) {
            refuse(400, u"Invalid WebSocket handshake: a Host header is required"_s);
            return;
        }
        if (request.header("sec-websocket-key").isEmpty()
            || request.header("sec-websocket-version").trimmed() != "13") {
            refuse(400, u"Invalid WebSocket handshake: Sec-WebSocket-Key and Sec-WebSocket-Version: 13 are required"_s);
            return;
        }
        // Hand the socket, its head still unread, to QWebSocketServer; the request's details wait
        // here for the finished handshake (QWebSocket does not expose its transport socket).
        const QString key = peerKey(info.peerAddress, info.peerPort);
        const quint64 ticket = nextTicket++;
        pendingUpgrades.insert(key, {info, socket, ticket});
        QObject::connect(socket, &QObject::destroyed, q, [this, key, ticket] {
            if (pendingUpgrades.value(key).ticket == ticket)
                pendingUpgrades.remove(key);
        });
        // A handshake that fails closes the socket without handing it to anyone: it must go
        // then, or it would hold its descriptor (and its place in the connection count) until
        // the server stops. A successful one is taken over in onNewWebSocket().
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater,
                         Qt::UniqueConnection);
        webSockets->handleConnection(socket);
        return;
    }

    if (request.method != "POST") {
        refuse(400, u"The HTTP transport expects POST requests"_s);
        return;
    }
    // Its response is built in memory before it goes out: not while the buffers are full of
    // output nobody reads. The client retries (it polls anyway).
    if (!budget.hasRoom(Wire::MaxMessageBytes)) {
        refuse(503, u"Server busy, try again later"_s);
        return;
    }
    HttpRpcLimits limits;
    limits.maxFrames = options.maxHttpFramesPerRequest;
    limits.maxResponseBytes = options.maxHttpResponseBytes;
    const HttpRpcResponse response = handleHttpRpc(request.body, info, &registry, limits);
    front->respond(socket, response.status, response.body, "application/json", cors);
}

void SyncServerPrivate::onNewWebSocket()
{
    while (QWebSocket *socket = webSockets->nextPendingConnection()) {
        if (closing) {
            socket->close(QWebSocketProtocol::CloseCodeGoingAway, u"server shutting down"_s);
            socket->deleteLater();
            continue;
        }
        const QString key = peerKey(socket->peerAddress(), socket->peerPort());
        PendingUpgrade pending = pendingUpgrades.take(key);
        if (pending.ticket == 0) {
            // Cannot happen: every upgrade goes through onRequest. Refuse rather than guess.
            qCWarning(lcServer).noquote() << "WebSocket without a request:" << u"peer="_s + key;
            socket->abort();
            socket->deleteLater();
            continue;
        }
        pending.info.connectionId = nextConnectionId++;
        socket->setMaxAllowedIncomingMessageSize(quint64(options.maxMessageBytes));
        socket->setMaxAllowedIncomingFrameSize(quint64(options.maxMessageBytes));
        ConnectionLimits limits;
        limits.maxPulls = options.maxPullsPerConnection;
        limits.maxPendingBytes = options.maxPendingBytesPerConnection;
        limits.idleTimeoutMs = options.idleTimeoutMs;
        // From now on the connection owns the TCP socket and deletes it when it goes.
        if (pending.transport) {
            QObject::disconnect(pending.transport.data(), &QTcpSocket::disconnected,
                                pending.transport.data(), &QObject::deleteLater);
        }
        auto *connection = new SyncConnection(socket, pending.transport.data(), &registry,
                                              pending.info, limits, &shared, q);
        QObject::connect(connection, &SyncConnection::closed, q,
                         [this, connection] { onConnectionClosed(connection); });
        connections.append(connection);
        Q_EMIT q->connectionCountChanged(int(connections.size()));
    }
}

void SyncServerPrivate::onConnectionClosed(SyncConnection *connection)
{
    if (!connections.removeOne(connection))
        return;
    connection->deleteLater();
    Q_EMIT q->connectionCountChanged(int(connections.size()));
    if (closing && connections.isEmpty())
        finishClose();
}

void SyncServerPrivate::finishClose()
{
    if (!closing)
        return;
    closing = false;
    graceTimer.stop();
    // Whoever did not answer the close handshake in time is cut off.
    const QList<SyncConnection *> left = connections;
    connections.clear();
    for (SyncConnection *c : left) {
        c->abort();
        c->deleteLater();
    }
    qCInfo(lcServer) << "closed";
    // Always from the event loop, never from inside close(): callers connect to it after calling.
    QMetaObject::invokeMethod(q, [q = q] { Q_EMIT q->closed(); }, Qt::QueuedConnection);
}

SyncServer::SyncServer(SyncStorage *storage, QObject *parent)
    : QObject(parent), d(std::make_unique<SyncServerPrivate>(this, storage))
{
    d->front = new HttpFront(this);
    connect(d->front, &HttpFront::requestReady, this,
            [this](QTcpSocket *socket, const HttpRequest &request) { d->onRequest(socket, request); });
    // TLS, when configured, is done by the front: this server only ever sees plain sockets
    // (or already encrypted QSslSockets) handed over with handleConnection().
    d->webSockets = new QWebSocketServer(u"livestore-sync-server"_s,
                                         QWebSocketServer::NonSecureMode, this);
    connect(d->webSockets, &QWebSocketServer::newConnection, this, [this] { d->onNewWebSocket(); });
    connect(d->webSockets, &QWebSocketServer::serverError, this, [this](QWebSocketProtocol::CloseCode code) {
        qCInfo(lcWire).noquote() << "handshake failed:" << u"code="_s + QString::number(int(code))
                                 << u"error="_s + d->webSockets->errorString();
    });
    d->graceTimer.setSingleShot(true);
    connect(&d->graceTimer, &QTimer::timeout, this, [this] { d->finishClose(); });
}

SyncServer::~SyncServer()
{
    d->front->close();
    d->front->setBudget(nullptr);
    // Connections go before the hubs they hold and the limits they share, also those already
    // closed and waiting for deleteLater().
    const QList<SyncConnection *> left = d->connections;
    d->connections.clear();
    qDeleteAll(left);
    qDeleteAll(findChildren<SyncConnection *>(Qt::FindDirectChildrenOnly));
}

void SyncServer::setOptions(const SyncServerOptions &options)
{
    d->options = options;
}

SyncServerOptions SyncServer::options() const
{
    return d->options;
}

void SyncServer::setHooks(const SyncHooks &hooks)
{
    d->hooks = hooks;
}

const SyncHooks &SyncServer::hooks() const
{
    return d->hooks;
}

bool SyncServer::listen()
{
    if (d->front->isListening())
        return true;
    // Limits with which nothing could work: refused here, not found out by the first client.
    if (d->options.maxMessageBytes < MinMessageBytes) {
        d->errorString = u"the message limit (--max-frame-bytes, maxMessageBytes) is %1: below %2 "
                          "bytes it would refuse ordinary requests"_s.arg(
                                 QString::number(d->options.maxMessageBytes), QString::number(MinMessageBytes));
        return false;
    }
    if (d->options.maxBufferedBytes != 0 && d->options.maxBufferedBytes < MinBufferedBytes) {
        d->errorString = u"the buffer limit (--max-buffered-bytes, maxBufferedBytes) is %1: below %2 "
                          "bytes (two pages of a pull) no pull could send its first page; 0 is no "
                          "limit"_s.arg(
                                 QString::number(d->options.maxBufferedBytes), QString::number(MinBufferedBytes));
        return false;
    }
    installCloseReasonTranslator();
    HttpFront::Limits limits;
    limits.maxConnections = d->options.maxConnections;
    limits.maxConnectionsPerIp = d->options.maxConnectionsPerIp;
    limits.maxBodyBytes = d->options.maxMessageBytes;
    d->front->setLimits(limits);
    d->budget.setLimit(d->options.maxBufferedBytes);
    d->front->setBudget(&d->budget);
    d->shared.budget = &d->budget;
    d->shared.maxPulls = d->options.maxPulls;
    QString error;
#ifndef QT_NO_SSL
    const bool ok = d->front->listen(d->options.host, d->options.port, d->options.tls, &error);
#else
    const bool ok = d->front->listen(d->options.host, d->options.port, &error);
#endif
    if (!ok) {
        d->errorString = error;
        return false;
    }
    d->errorString.clear();
    qCInfo(lcServer).noquote() << "listening:" << u"url="_s + url().toString()
                               << u"storage="_s + d->storage->description()
                               << u"auth="_s + (d->options.authToken.isEmpty() ? u"none"_s : u"token"_s);
    return true;
}

bool SyncServer::isListening() const
{
    return d->front->isListening();
}

void SyncServer::close(int graceMs)
{
    if (!d->front->isListening() && d->connections.isEmpty())
        return;
    qCInfo(lcServer).noquote() << "closing:"
                               << u"connections="_s + QString::number(d->connections.size());
    d->front->close();
    d->closing = true;
    const QList<SyncConnection *> open = d->connections;
    for (SyncConnection *c : open)
        c->close(QWebSocketProtocol::CloseCodeGoingAway, u"server shutting down"_s);
    // Closing may have completed right away (sockets with nothing left to send).
    if (d->connections.isEmpty())
        d->finishClose();
    else if (d->closing)
        d->graceTimer.start(graceMs);
}

QHostAddress SyncServer::serverAddress() const
{
    return d->front->serverAddress();
}

quint16 SyncServer::serverPort() const
{
    return d->front->serverPort();
}

QUrl SyncServer::url() const
{
    QUrl u;
#ifndef QT_NO_SSL
    u.setScheme(d->options.tls ? u"wss"_s : u"ws"_s);
#else
    u.setScheme(u"ws"_s);
#endif
    u.setHost(serverAddress().toString());
    u.setPort(serverPort());
    return u;
}

int SyncServer::connectionCount() const
{
    return int(d->connections.size());
}

int SyncServer::tcpConnectionCount() const
{
    return d->front->connectionCount();
}

int SyncServer::pullCount() const
{
    return d->shared.runningPulls;
}

qint64 SyncServer::bufferedBytes() const
{
    return d->budget.total();
}

QString SyncServer::errorString() const
{
    return d->errorString;
}

} // namespace LiveStore
