// SPDX-License-Identifier: BSD-3-Clause
#include "httpfront_p.h"

#include "serverlogging_p.h"

#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>
#ifndef QT_NO_SSL
#include <QtNetwork/qsslserver.h>
#include <QtNetwork/qsslsocket.h>
#endif

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// A request head must arrive within this time and fit in this many bytes.
constexpr int HeadTimeoutMs = 10'000;
constexpr qsizetype MaxHeadBytes = 16 * 1024;
// A response must be flushed within this time before the socket is cut.
constexpr int ResponseTimeoutMs = 10'000;

// Marks sockets the front is reading, to find their timers and to tell them apart.
constexpr char WatchTimerName[] = "livestore-http-head-timer";

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

// Parses a head (request line and header lines, without the blank line).
std::optional<HttpRequest> parseHead(QByteArrayView head)
{
    const QList<QByteArray> lines = QByteArray::fromRawData(head.data(), head.size()).split('\n');
    if (lines.isEmpty())
        return std::nullopt;
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1."))
        return std::nullopt;
    HttpRequest r;
    r.method = requestLine.at(0);
    r.target = requestLine.at(1);
    QByteArray pathAndQuery = r.target;
    if (!pathAndQuery.startsWith('/')) {
        // Absolute form ("http://host/path?query"), as proxies send it.
        const QUrl url = QUrl::fromEncoded(pathAndQuery);
        if (!url.isValid())
            return std::nullopt;
        pathAndQuery = url.path(QUrl::FullyEncoded).toLatin1();
        if (pathAndQuery.isEmpty())
            pathAndQuery = "/";
        if (url.hasQuery())
            pathAndQuery += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    }
    const qsizetype q = pathAndQuery.indexOf('?');
    r.path = q < 0 ? pathAndQuery : pathAndQuery.left(q);
    r.query = q < 0 ? QByteArray() : pathAndQuery.mid(q + 1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return std::nullopt;
        r.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    return r;
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return header("upgrade").trimmed().compare("websocket", Qt::CaseInsensitive) == 0;
}

HttpFront::HttpFront(QObject *parent) : QObject(parent) { }

HttpFront::~HttpFront()
{
    close();
}

#ifndef QT_NO_SSL
bool HttpFront::listen(const QHostAddress &address, quint16 port,
                       const std::optional<QSslConfiguration> &tls, QString *errorString)
#else
bool HttpFront::listen(const QHostAddress &address, quint16 port, QString *errorString)
#endif
{
    close();
#ifndef QT_NO_SSL
    if (tls) {
        auto *ssl = new QSslServer(this);
        ssl->setSslConfiguration(*tls);
        ssl->setHandshakeTimeout(HeadTimeoutMs);
        connect(ssl, &QSslServer::errorOccurred, this,
                [](QSslSocket *socket, QAbstractSocket::SocketError) {
                    qCInfo(lcWire).noquote() << "TLS connection failed:"
                                             << u"peer="_s + socket->peerAddress().toString()
                                             << u"error="_s + socket->errorString();
                });
        m_server = ssl;
    } else
#endif
    {
        m_server = new QTcpServer(this);
    }
    // Emitted once a connection is ready to use, which for TLS means after the handshake.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this,
            &HttpFront::onPendingConnection);
    if (!m_server->listen(address, port)) {
        *errorString = u"cannot listen on %1:%2: %3"_s.arg(address.toString(),
                                                          QString::number(port),
                                                          m_server->errorString());
        delete m_server;
        m_server = nullptr;
        return false;
    }
    return true;
}

void HttpFront::close()
{
    if (!m_server)
        return;
    m_server->close();
    // Connections still being read die with the listening server (they are its children); handed
    // over sockets have been reparented by then.
    delete m_server;
    m_server = nullptr;
}

bool HttpFront::isListening() const
{
    return m_server && m_server->isListening();
}

QHostAddress HttpFront::serverAddress() const
{
    return m_server ? m_server->serverAddress() : QHostAddress();
}

quint16 HttpFront::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

void HttpFront::onPendingConnection()
{
    while (m_server && m_server->hasPendingConnections()) {
        if (QTcpSocket *socket = m_server->nextPendingConnection())
            watch(socket);
    }
}

void HttpFront::watch(QTcpSocket *socket)
{
    auto *timer = new QTimer(socket);
    timer->setObjectName(QLatin1StringView(WatchTimerName));
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, socket, [this, socket] {
        qCDebug(lcWire).noquote() << "request head timeout:"
                                  << u"peer="_s + socket->peerAddress().toString();
        release(socket);
        respond(socket, 408, "Request Timeout");
    });
    timer->start(HeadTimeoutMs);
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { tryParse(socket); });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    if (socket->bytesAvailable() > 0)
        tryParse(socket);
}

void HttpFront::release(QTcpSocket *socket)
{
    disconnect(socket, nullptr, this, nullptr);
    disconnect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    // deleteLater: this may run inside the timer's own timeout.
    if (auto *timer = socket->findChild<QTimer *>(QLatin1StringView(WatchTimerName),
                                                  Qt::FindDirectChildrenOnly)) {
        timer->stop();
        timer->setObjectName(QString());
        timer->deleteLater();
    }
}

void HttpFront::tryParse(QTcpSocket *socket)
{
    // Peek only: a WebSocket upgrade is passed on with its head unread.
    const QByteArray buffered = socket->peek(MaxHeadBytes + 4);
    const qsizetype end = buffered.indexOf("\r\n\r\n");
    if (end < 0) {
        if (buffered.size() > MaxHeadBytes) {
            release(socket);
            respond(socket, 431, "Request Header Fields Too Large");
        }
        return;
    }
    auto request = parseHead(QByteArrayView(buffered).first(end));
    if (!request) {
        release(socket);
        respond(socket, 400, "Bad Request");
        return;
    }
    const qsizetype headSize = end + 4;
    if (!request->isWebSocketUpgrade()) {
        if (!request->header("transfer-encoding").isEmpty()) {
            release(socket);
            respond(socket, 411, "Length Required (chunked bodies are not supported)");
            return;
        }
        bool ok = true;
        const QByteArray lengthHeader = request->header("content-length");
        const qint64 length = lengthHeader.isEmpty() ? 0 : lengthHeader.toLongLong(&ok);
        if (!ok || length < 0) {
            release(socket);
            respond(socket, 400, "Bad Request (Content-Length)");
            return;
        }
        if (length > m_maxBodyBytes) {
            release(socket);
            respond(socket, 413, "Message is too large");
            return;
        }
        if (socket->bytesAvailable() < headSize + length)
            return; // wait for the rest of the body
        request->body = socket->peek(headSize + length).mid(headSize);
    }
    release(socket);
    Q_EMIT requestReady(socket, *request);
}

void HttpFront::respond(QTcpSocket *socket, int status, QByteArrayView body,
                        QByteArrayView contentType,
                        const QList<std::pair<QByteArray, QByteArray>> &extraHeaders)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (status != 204) {
        out += "Content-Type: " + contentType.toByteArray() + "\r\n";
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    }
    for (const auto &[name, value] : extraHeaders)
        out += name + ": " + value + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (status != 204)
        out += body;
    socket->write(out);
    // Close once written; cut the connection if the peer does not take the bytes.
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater,
            Qt::UniqueConnection);
    QTimer::singleShot(ResponseTimeoutMs, socket, [socket] { socket->abort(); });
    socket->disconnectFromHost();
}

} // namespace LiveStore
