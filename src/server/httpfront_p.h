// SPDX-License-Identifier: BSD-3-Clause
// Internal: the server's listening socket and a minimal HTTP/1.1 request reader in front of
// QWebSocketServer.
#ifndef LIVESTORE_HTTPFRONT_P_H
#define LIVESTORE_HTTPFRONT_P_H

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
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

struct HttpRequest
{
    QByteArray method;
    QByteArray target; // as sent: "/?storeId=…"
    QByteArray path;   // "/"
    QByteArray query;  // "storeId=…" (still encoded)
    QList<std::pair<QByteArray, QByteArray>> headers; // names in lower case
    QByteArray body;

    QByteArray header(QByteArrayView name) const;
    bool isWebSocketUpgrade() const;
};

// Why a front at all: QWebSocketServer answers nothing but WebSocket handshakes, while the sync
// endpoint also serves `GET /` (a health text), refuses non-upgrade requests with 426, takes HTTP
// RPC POSTs, and must refuse a bad storeId or payload with an HTTP 400 *before* upgrading. So this
// class accepts the TCP (or TLS) connections, waits for a complete request head (and body), and
// hands the socket over without having consumed a byte of it: the receiver either answers it with
// respond() or passes it to QWebSocketServer::handleConnection(), which reads the same head again.
class HttpFront : public QObject
{
    Q_OBJECT
public:
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

    void setMaxBodyBytes(qint64 bytes) { m_maxBodyBytes = bytes; }

    // Writes a complete response with `Connection: close` and closes the socket once it is sent.
    static void respond(QTcpSocket *socket, int status, QByteArrayView body,
                        QByteArrayView contentType = "text/plain; charset=utf-8",
                        const QList<std::pair<QByteArray, QByteArray>> &extraHeaders = {});

Q_SIGNALS:
    // A complete request arrived on `socket`, which the front no longer watches. Whoever handles
    // it owns it (it is still a child of the listening server until reparented).
    void requestReady(QTcpSocket *socket, const LiveStore::HttpRequest &request);

private:
    void onPendingConnection();
    void watch(QTcpSocket *socket);
    void tryParse(QTcpSocket *socket);
    void release(QTcpSocket *socket);

    QTcpServer *m_server = nullptr;
    qint64 m_maxBodyBytes = 1 << 20;
};

} // namespace LiveStore

#endif // LIVESTORE_HTTPFRONT_P_H
