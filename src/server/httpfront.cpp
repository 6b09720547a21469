// SPDX-License-Identifier: BSD-3-Clause
#include "httpfront_p.h"

#include "bufferbudget_p.h"
#include "serverlogging_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>

#include <functional>

#include <sys/resource.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>
#ifndef QT_NO_SSL
#include <QtNetwork/qsslserver.h>
#include <QtNetwork/qsslsocket.h>
#endif

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// Calls back when its parent, a socket, is destroyed (children go with their parent).
class SocketReleaseGuard : public QObject
{
public:
    SocketReleaseGuard(QTcpSocket *socket, std::function<void()> released)
        : QObject(socket), m_released(std::move(released))
    {
    }
    ~SocketReleaseGuard() override { m_released(); }

private:
    std::function<void()> m_released;
};

// A request head must arrive within this time and fit in this many bytes.
constexpr int HeadTimeoutMs = 10'000;
constexpr qsizetype MaxHeadBytes = 16 * 1024;
// A response must be flushed within this time before the socket is cut.
constexpr int ResponseTimeoutMs = 10'000;
// After running out of file descriptors, accepting waits this long before it tries again.
constexpr int AcceptPauseMs = 1'000;
// Descriptors kept free for everything else (database files, TLS handshakes in progress, the
// answers that refuse connections over the limits) when connections are counted against the
// process's descriptor limit.
constexpr int SpareDescriptors = 16;

// How many connections fit under the process's file descriptor limit, given what is open now.
int descriptorCeiling()
{
    struct rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 0;
    const qint64 open = QDir(u"/proc/self/fd"_s).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).size();
    return int(qMax<qint64>(1, qint64(limit.rlim_cur) - open - SpareDescriptors));
}

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
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
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
    for (const QByteArray &line : lines)
        r.longestLine = qMax(r.longestLine, line.endsWith('\r') ? line.size() - 1 : line.size());
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

HttpFront::HttpFront(QObject *parent) : QObject(parent)
{
    m_resumeTimer.setSingleShot(true);
    m_resumeTimer.setInterval(AcceptPauseMs);
    connect(&m_resumeTimer, &QTimer::timeout, this, [this] {
        m_acceptPaused = false;
        updateAccepting();
    });
}

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
    connect(m_server, &QTcpServer::acceptError, this, &HttpFront::onAcceptError);
    if (!m_server->listen(address, port)) {
        *errorString = u"cannot listen on %1:%2: %3"_s.arg(address.toString(),
                                                          QString::number(port),
                                                          m_server->errorString());
        delete m_server;
        m_server = nullptr;
        return false;
    }
    m_descriptorCeiling = descriptorCeiling();
    updateAccepting();
    return true;
}

void HttpFront::close()
{
    m_resumeTimer.stop();
    m_acceptPaused = false;
    m_descriptorsFull = false;
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
        if (QTcpSocket *socket = m_server->nextPendingConnection()) {
            if (admit(socket))
                watch(socket);
        }
    }
    // Every connection holds a descriptor. Stop accepting before they run out: Qt does not
    // always report a failing accept() (EMFILE), and then retries it in a loop that eats a core.
    // Connections wait in the listen backlog meanwhile; forget() resumes.
    if (!m_descriptorsFull && m_descriptorCeiling > 0
        && m_connectionCount + m_refusing >= m_descriptorCeiling) {
        m_descriptorsFull = true;
        qCWarning(lcServer).noquote() << "pausing accepting, near the file descriptor limit:"
                                      << u"connections="_s + QString::number(m_connectionCount);
    }
    updateAccepting();
}

void HttpFront::updateAccepting()
{
    if (!m_server)
        return;
    // QTcpServer's accept loop runs on (this slot is called from inside it) until accept()
    // fails or the pending connections reach their maximum; pauseAccepting() alone does not stop
    // it, a maximum of none does. Taking a pending connection would turn accepting back on, but
    // there are none left while paused.
    if (m_acceptPaused || m_descriptorsFull) {
        m_server->setMaxPendingConnections(0);
        m_server->pauseAccepting();
        return;
    }
    // Never accept more in one go than the descriptors have room for.
    const int room = m_descriptorCeiling > 0 ? m_descriptorCeiling - m_connectionCount - m_refusing : 30;
    m_server->setMaxPendingConnections(qBound(1, room, 30));
    m_server->resumeAccepting();
}

void HttpFront::onAcceptError()
{
    // Out of file descriptors (EMFILE, ENFILE; Qt's SocketResourceError), or another failure that
    // would repeat at once: the listening socket stays readable, so accepting again right away
    // spins the CPU and starves everything else. Pause and try again a little later, when
    // connections have closed.
    if (!m_server || m_acceptPaused)
        return;
    m_acceptPaused = true;
    updateAccepting();
    m_resumeTimer.start();
    qCWarning(lcServer).noquote() << "cannot accept connections, pausing:"
                                  << u"error="_s + m_server->errorString()
                                  << u"connections="_s + QString::number(m_connectionCount)
                                  << u"retry_ms="_s + QString::number(AcceptPauseMs);
}

bool HttpFront::admit(QTcpSocket *socket)
{
    const QString address = socket->peerAddress().toString();
    // Refused at once and cheaply: the answer fits in the kernel's buffer and the socket closes
    // without waiting (refusals must not pile up sockets themselves).
    auto refuse = [&](int status, QByteArrayView text, const QString &limit) {
        qCInfo(lcServer).noquote() << "connection refused:" << u"peer="_s + address
                                   << u"limit="_s + limit
                                   << u"connections="_s + QString::number(m_connectionCount);
        // Not a connection, but a descriptor until it is gone.
        ++m_refusing;
        new SocketReleaseGuard(socket, [front = QPointer<HttpFront>(this)] {
            if (front && --front->m_refusing == 0)
                front->updateAccepting();
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        respond(socket, status, text);
        return false;
    };
    if (m_limits.maxConnections > 0 && m_connectionCount >= m_limits.maxConnections)
        return refuse(503, "Too many connections", u"max-connections"_s);
    int &fromAddress = m_connectionsPerIp[address];
    if (m_limits.maxConnectionsPerIp > 0 && fromAddress >= m_limits.maxConnectionsPerIp) {
        if (fromAddress == 0)
            m_connectionsPerIp.remove(address);
        return refuse(429, "Too many connections from your address", u"max-connections-per-ip"_s);
    }
    ++fromAddress;
    ++m_connectionCount;
    // Counted until the socket is gone, whoever owns it by then (a WebSocket connection keeps
    // it): that is when its descriptor and buffers are released. A child object notices, not a
    // connection to destroyed(): the WebSocket handshake drops the socket's connections.
    new SocketReleaseGuard(socket, [front = QPointer<HttpFront>(this), address, socket] {
        if (front)
            front->forget(socket, address);
    });
    return true;
}

void HttpFront::forget(QTcpSocket *socket, const QString &address)
{
    if (m_budget)
        m_budget->remove(socket); // a body it was receiving, an answer it did not take
    --m_connectionCount;
    auto it = m_connectionsPerIp.find(address);
    if (it != m_connectionsPerIp.end() && --*it <= 0)
        m_connectionsPerIp.erase(it);
    // Resume with some room to spare, not at every single connection that goes.
    if (m_descriptorsFull
        && m_connectionCount + m_refusing < m_descriptorCeiling - qMax(1, m_descriptorCeiling / 10)) {
        m_descriptorsFull = false;
        qCInfo(lcServer).noquote() << "accepting again:"
                                   << u"connections="_s + QString::number(m_connectionCount);
        updateAccepting();
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
    // Its body (if any) is read: no longer a reservation in the budget.
    if (m_budget)
        m_budget->remove(socket);
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
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
        if (length > m_limits.maxBodyBytes) {
            release(socket);
            respond(socket, 413, "Message is too large");
            return;
        }
        // The body is held in memory until it is complete: reserve it in the server-wide
        // budget first, so that many peers sending bodies slowly cannot fill the memory.
        if (m_budget && length > 0 && m_budget->heldBy(socket) == 0) {
            if (!m_budget->hasRoom(length)) {
                qCInfo(lcServer).noquote() << "request refused, buffers full:"
                                           << u"peer="_s + socket->peerAddress().toString()
                                           << u"body="_s + QString::number(length)
                                           << u"buffered="_s + QString::number(m_budget->total());
                release(socket);
                respond(socket, 503, "Server busy, try again later");
                return;
            }
            m_budget->set(socket, length);
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
    if (m_budget)
        m_budget->remove(socket); // a body reservation, if the request did not get that far
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
    // Hand what fits to the kernel now: a small answer then needs no more event-loop turns, and
    // the socket closes at once.
    socket->flush();
    // Close once written; cut the connection if the peer does not take the bytes.
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater,
            Qt::UniqueConnection);
    QTimer::singleShot(ResponseTimeoutMs, socket, [socket] { socket->abort(); });
    if (m_budget && socket->bytesToWrite() > 0) {
        // A response the peer does not take counts against the server's buffers until it is
        // written; when they run out, the biggest unread responses are dropped first.
        BufferBudget *budget = m_budget;
        auto shed = [socket] {
            QMetaObject::invokeMethod(socket, [socket] { socket->abort(); }, Qt::QueuedConnection);
        };
        budget->set(socket, socket->bytesToWrite(), shed);
        connect(socket, &QTcpSocket::bytesWritten, budget, [budget, socket] {
            if (budget->heldBy(socket) > 0)
                budget->set(socket, socket->bytesToWrite());
        });
        connect(socket, &QObject::destroyed, budget, [budget, socket] { budget->remove(socket); });
        budget->enforce();
    }
    socket->disconnectFromHost();
}

} // namespace LiveStore
