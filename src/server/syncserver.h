// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SYNCSERVER_H
#define LIVESTORE_SYNCSERVER_H

#include "livestoresyncserver_export.h"
#include "synchooks.h"

#include <QtCore/qobject.h>
#include <QtCore/qurl.h>
#include <QtNetwork/qhostaddress.h>
#ifndef QT_NO_SSL
#include <QtNetwork/qsslconfiguration.h>
#endif

#include <memory>
#include <optional>

namespace LiveStore {

class SyncStorage;
class SyncServerPrivate;

struct LIVESTORESYNCSERVER_EXPORT SyncServerOptions
{
    // Loopback unless told otherwise: a sync server holds every client's data.
    QHostAddress host = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8787; // wrangler dev's port, so clients set up for a local sync-cf work as is; 0: any
    // Largest WebSocket message (and HTTP RPC body) accepted. Larger ones close the connection
    // with 1009 "Message is too large", as workerd does (its limit is about 1 MiB). LiveStore
    // clients keep their messages under 900 000 bytes. listen() refuses less than 1024.
    qint64 maxMessageBytes = 1 << 20;
    // Shared-token mode: when set, every client's payload must be {"authToken": "<token>", …}
    // (other keys are allowed), else the upgrade is refused with 400 "Invalid auth token".
    QString authToken;
#ifndef QT_NO_SSL
    // wss:// and https://: the local certificate (chain) and private key.
    std::optional<QSslConfiguration> tls;
#endif
    // Answer CORS preflights and add Access-Control-Allow-* headers (sync-cf's enableCORS).
    bool enableCors = false;
    // Close a WebSocket that sent nothing (not even a Ping) for this long; 0 never does.
    int idleTimeoutMs = 60'000;
    // Pull RPCs one connection may run at once; 0: no limit.
    int maxPullsPerConnection = 64;
    // Output a connection may leave unsent before it is cut off as too slow; 0: no limit.
    qint64 maxPendingBytesPerConnection = 16ll << 20;

    // Server-wide limits: what any number of peers together can make the server hold. Each is
    // documented with what a client sees when it is hit in docs/sync-server.md (§6); 0 switches
    // a limit off.
    //
    // TCP connections at once: WebSockets and HTTP requests being read or answered. More are
    // answered 503 "Too many connections" and closed. Keep it below the file descriptor limit.
    int maxConnections = 1000;
    // Connections from one IP address; more are answered 429. Behind a reverse proxy every client
    // has the proxy's address: raise it there, or switch it off.
    int maxConnectionsPerIp = 100;
    // Pull RPCs running at once on the whole server (live pulls run until their client leaves).
    // A pull beyond it fails with UnknownError{name: "TooManyPulls"}.
    int maxPulls = 10'000;
    // Bytes held for peers: WebSocket output and HTTP responses their peers have not read yet,
    // and HTTP request bodies still arriving. When it is full, catch-up pages wait, new HTTP
    // bodies are refused with 503, and the connections holding the most unread output are cut
    // off (they reconnect and resume from their cursor). listen() refuses a limit below
    // 1,800,000 (two pull pages): no pull could send its first page.
    qint64 maxBufferedBytes = 128ll << 20;
    // Longest store id accepted (LiveStore clients use short ids); longer ones get HTTP 400.
    int maxStoreIdLength = 256;
    // HTTP transport: RPC frames in one POST body (LiveStore's client sends one); more are
    // answered 400 with a Defect.
    int maxHttpFramesPerRequest = 16;
    // HTTP transport: bytes of one response. A pull stops adding pages at this size (its last
    // page then says MoreKnown and the client pulls on from there); a single page is always sent.
    qint64 maxHttpResponseBytes = 8ll << 20;
};

// A sync backend that unmodified LiveStore 0.4.0 clients (`makeWsSync` from @livestore/sync-cf)
// connect to: the same WebSocket protocol, plus the HTTP transport and `GET /` health text.
//
//     SqliteSyncStorage storage;
//     storage.open(dataDir);
//     SyncServer server(&storage);
//     server.setOptions(options);
//     server.setHooks(hooks);
//     if (!server.listen())
//         qFatal("%s", qPrintable(server.errorString()));
//
// The server and its storage live in one thread, the one that created the server; hooks run
// there. docs/sync-server.md describes running it; docs/protocol.md the protocol.
class LIVESTORESYNCSERVER_EXPORT SyncServer : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SyncServer)
public:
    // The storage must be open and must outlive the server.
    explicit SyncServer(SyncStorage *storage, QObject *parent = nullptr);
    ~SyncServer() override;

    // Options take effect with the next listen() (limits: for connections accepted after).
    void setOptions(const SyncServerOptions &options);
    SyncServerOptions options() const;
    void setHooks(const SyncHooks &hooks);
    const SyncHooks &hooks() const;

    bool listen();
    bool isListening() const;
    // Stops accepting, then closes every connection with 1001 (going away); clients reconnect to
    // the next server. closed() follows once they are gone, or after `graceMs` at the latest.
    void close(int graceMs = 3000);

    QHostAddress serverAddress() const;
    quint16 serverPort() const;
    QUrl url() const; // ws://host:port or wss://host:port
    // WebSocket connections (handed over from HTTP, handshake done).
    int connectionCount() const;
    // For monitoring: what the limits of SyncServerOptions count right now.
    int tcpConnectionCount() const;  // every accepted TCP connection, WebSockets included
    int pullCount() const;           // running pull RPCs
    qint64 bufferedBytes() const;    // held for peers: unread output, bodies being received
    QString errorString() const;

Q_SIGNALS:
    void closed();
    void connectionCountChanged(int count);

private:
    std::unique_ptr<SyncServerPrivate> d;
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCSERVER_H
