// SPDX-License-Identifier: BSD-3-Clause
// Internal: one WebSocket client of the server.
#ifndef LIVESTORE_SYNCCONNECTION_P_H
#define LIVESTORE_SYNCCONNECTION_P_H

#include "pullstream_p.h"
#include "synchooks.h"

#include <QtCore/qobject.h>
#include <QtCore/qsharedpointer.h>
#include <QtCore/qtimer.h>
#include <QtWebSockets/qwebsocketprotocol.h>

#include <map>
#include <memory>

QT_BEGIN_NAMESPACE
class QTcpSocket;
class QWebSocket;
QT_END_NAMESPACE

namespace LiveStore {

class BufferBudget;
class StoreHub;
class StoreHubRegistry;

struct ConnectionLimits
{
    int maxPulls = 64;                   // running pull streams per connection
    qint64 maxPendingBytes = 16ll << 20; // unsent output before a client counts as stuck
    int idleTimeoutMs = 60'000;          // no frame at all for this long: close (0: never)
};

// What the connections of one server share: the server-wide buffer budget and pull count.
struct SharedLimits
{
    BufferBudget *budget = nullptr;
    int maxPulls = 0; // server-wide; 0: no limit
    int runningPulls = 0;
};

// Turns the frames of one socket into RPCs: parses each frame, answers Ping, runs Push and Pull
// requests against the store's hub, keeps the running pulls by request id and routes Ack and
// Interrupt to them. A frame that cannot be read gets a Defect and the connection stays up; the
// client's other requests are unaffected.
class SyncConnection : public QObject, private PullStream::Sink
{
    Q_OBJECT
public:
    // `transport` is the TCP (or TLS) socket under `socket`: QWebSocket neither owns nor deletes
    // it, so the connection does. It may be null.
    SyncConnection(QWebSocket *socket, QTcpSocket *transport, StoreHubRegistry *registry,
                   const RequestInfo &info, const ConnectionLimits &limits,
                   SharedLimits *shared, QObject *parent = nullptr);
    ~SyncConnection() override;

    quint64 id() const { return m_info.connectionId; }
    const RequestInfo &info() const { return m_info; }
    void close(QWebSocketProtocol::CloseCode code, const QString &reason);
    void abort();

Q_SIGNALS:
    // The socket is gone; the server deletes the connection.
    void closed();

private:
    void onTextMessage(const QString &message);
    void onBinaryMessage(const QByteArray &message);
    void onDisconnected();
    void handleFrame(QByteArrayView frame);
    void handlePull(const Wire::Request &request);
    void handlePush(const Wire::Request &request);
    void handleDecodedPush(const QString &requestId, const Wire::PushRequest &push);
    // The store's hub, opened on first use; on a storage error, answers the request and returns false.
    bool ensureHub(const QString &requestId);
    bool checkStoreId(const QString &requestId, const QString &storeId);
    void sendDefect(const QString &message);
    void sendFrame(const QByteArray &frame) override;
    void sendTextFrame(const QString &frame) override;
    bool readyForCatchUp() override;
    void streamEnded(const QString &requestId) override;
    void reapEndedStreams();
    // Output was written to the network: update the budget, resume waiting catch-ups.
    void onBytesWritten();
    // Holds the connection's unread output to its limit and to the server's budget (cutting it
    // off when over). After every frame sent, and after every read from the network:
    // QWebSocket answers the peer's pings with pongs by itself, and a peer that pings without
    // reading would otherwise grow that output without bound.
    void accountOutput();
    void resumeParkedStreams();
    // Drops the connection without a word: it holds too much unread output.
    void cutOff(const QString &why);
    // Moves a running stream to m_ended (deleted on the next turn) and uncounts it.
    void retireStream(std::map<QString, std::unique_ptr<PullStream>>::iterator it);

    QWebSocket *m_socket;
    StoreHubRegistry *m_registry;
    RequestInfo m_info;
    ConnectionLimits m_limits;
    SharedLimits *m_shared;
    QSharedPointer<StoreHub> m_hub;
    std::map<QString, std::unique_ptr<PullStream>> m_streams;
    std::vector<std::unique_ptr<PullStream>> m_ended; // deleted on the next event-loop turn
    QTimer m_idleTimer;
    QTimer m_closeDeadline; // a close whose output the peer does not read is aborted
    bool m_closing = false;
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCCONNECTION_P_H
