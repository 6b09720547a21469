// SPDX-License-Identifier: BSD-3-Clause
// Internal: the server's listening socket and a minimal HTTP/1.1 request reader in front of
// QWebSocketServer.
#ifndef LIVESTORE_HTTPFRONT_P_H
#define LIVESTORE_HTTPFRONT_P_H

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qhostaddress.h>
#ifndef QT_NO_SSL
#include <QtNetwork/qsslconfiguration.h>
#endif

#include <optional>
#include <utility>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QTcpSocket;
QT_END_NAMESPACE

namespace LiveStore {

class BufferBudget;

struct HttpRequest
{
    QByteArray method;
    QByteArray target; // as sent: "/?storeId=…"
    QByteArray path;   // "/"
    QByteArray query;  // "storeId=…" (still encoded)
    QList<std::pair<QByteArray, QByteArray>> headers; // names in lower case
    QByteArray body;
    qsizetype longestLine = 0; // in the head, the request line included (without the CRLF)

    QByteArray header(QByteArrayView name) const;
    bool isWebSocketUpgrade() const;
};

// Why a front at all: QWebSocketServer answers nothing but WebSocket handshakes, while the sync
// endpoint also serves `GET /` (a health text), refuses non-upgrade requests with 426, takes HTTP
// RPC POSTs, and must refuse a bad storeId or payload with an HTTP 400 *before* upgrading. So this
// class accepts the TCP (or TLS) connections, waits for a complete request head (and body), and
// hands the socket over without having consumed a byte of it: the receiver either answers it with
// respond() or passes it to QWebSocketServer::handleConnection(), which reads the same head again.
//
// It is also where connections are counted: every accepted socket counts until it is destroyed,
// whoever owns it by then (a WebSocket connection keeps its TCP socket), so the limits cover HTTP
// requests and WebSockets alike.
class HttpFront : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        int maxConnections = 0;      // 0: none
        int maxConnectionsPerIp = 0; // 0: none
        qint64 maxBodyBytes = 1 << 20;
    };

    explicit HttpFront(QObject *parent = nullptr);
    ~HttpFront() override;

#ifndef QT_NO_SSL
    bool listen(const QHostAddress &address, quint16 port,
                const std::optional<QSslConfiguration> &tls, QString *errorString);
#else
    bool listen(const QHostAddress &address, quint16 port, QString *errorString);
#endif
    void close();
    bool isListening() const;
    QHostAddress serverAddress() const;
    quint16 serverPort() const;

    void setLimits(const Limits &limits) { m_limits = limits; }
    // Where request bodies being received and responses not yet taken by their peers are
    // accounted; may be null.
    void setBudget(BufferBudget *budget) { m_budget = budget; }
    int connectionCount() const { return m_connectionCount; }

    // Writes a complete response with `Connection: close` and closes the socket once it is sent
    // (or cuts it off after a timeout, or when the server's buffer budget runs out).
    void respond(QTcpSocket *socket, int status, QByteArrayView body,
                 QByteArrayView contentType = "text/plain; charset=utf-8",
                 const QList<std::pair<QByteArray, QByteArray>> &extraHeaders = {});

Q_SIGNALS:
    // A complete request arrived on `socket`, which the front no longer watches. Whoever handles
    // it owns it (it is still a child of the listening server until reparented).
    void requestReady(QTcpSocket *socket, const LiveStore::HttpRequest &request);

private:
    void onPendingConnection();
    void onAcceptError();
    // Pauses or resumes accepting as the pause flags and the descriptors left say.
    void updateAccepting();
    bool admit(QTcpSocket *socket);
    // The admitted `socket` is gone: uncount it.
    void forget(QTcpSocket *socket, const QString &address);
    void watch(QTcpSocket *socket);
    void tryParse(QTcpSocket *socket);
    void release(QTcpSocket *socket);

    QTcpServer *m_server = nullptr;
    Limits m_limits;
    BufferBudget *m_budget = nullptr;
    int m_connectionCount = 0;
    QHash<QString, int> m_connectionsPerIp;
    // Out of file descriptors: accepting again at once would fail again at once, in a loop.
    QTimer m_resumeTimer;
    bool m_acceptPaused = false;
    // Connections that fit under the process's descriptor limit (0: unknown), and whether
    // accepting is paused because they are all taken.
    int m_descriptorCeiling = 0;
    bool m_descriptorsFull = false;
    int m_refusing = 0; // sockets refused over a limit, still closing
};

} // namespace LiveStore

#endif // LIVESTORE_HTTPFRONT_P_H
