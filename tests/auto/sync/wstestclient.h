// SPDX-License-Identifier: BSD-3-Clause
// A raw WebSocket client for the sync server tests: sends literal frames, collects every frame the
// server sends, acknowledges chunks as real Effect RPC clients do, and waits (with timeouts) for
// frames matching a predicate. No LiveStore client code is involved.
#ifndef LIVESTORE_WSTESTCLIENT_H
#define LIVESTORE_WSTESTCLIENT_H

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtTest/qtest.h>
#include <QtWebSockets/qwebsocket.h>

#include <functional>
#include <optional>

class WsTestClient : public QObject
{
    Q_OBJECT
public:
    explicit WsTestClient(QObject *parent = nullptr) : QObject(parent)
    {
        connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
            raw.append(text.toUtf8());
            inbox.append(frame);
            all.append(frame);
            if (frame.value(u"_tag").toString() == u"Chunk" && autoAck) {
                const QString id = frame.value(u"requestId").toString();
                const QByteArray ack = R"({"_tag":"Ack","requestId":")" + id.toUtf8() + R"("})";
                if (ackDelayMs > 0)
                    QTimer::singleShot(ackDelayMs, this, [this, ack] { send(ack); });
                else
                    send(ack);
            }
        });
        connect(&socket, &QWebSocket::disconnected, this, [this] { disconnected = true; });
    }

    bool open(const QUrl &url, int timeoutMs = 5000)
    {
        socket.open(url);
        return QTest::qWaitFor([this] {
            return socket.state() == QAbstractSocket::ConnectedState || disconnected;
        }, timeoutMs) && socket.state() == QAbstractSocket::ConnectedState;
    }

    void send(const QByteArray &frame)
    {
        if (socket.state() == QAbstractSocket::ConnectedState)
            socket.sendTextMessage(QString::fromUtf8(frame));
    }

    void request(const QString &id, const QString &tag, const QByteArray &payloadJson)
    {
        send(R"({"_tag":"Request","id":")" + id.toUtf8() + R"(","tag":")" + tag.toUtf8()
             + R"(","payload":)" + payloadJson + R"(,"headers":[]})");
    }

    // Removes and returns the first collected frame matching `pred`, waiting up to `timeoutMs`.
    std::optional<QJsonObject> waitFor(const std::function<bool(const QJsonObject &)> &pred,
                                       int timeoutMs = 5000)
    {
        std::optional<QJsonObject> found;
        auto take = [&] {
            for (qsizetype i = 0; i < inbox.size(); ++i) {
                if (pred(inbox.at(i))) {
                    found = inbox.takeAt(i);
                    return true;
                }
            }
            return false;
        };
        if (take())
            return found;
        // A timeout shows as an empty result, which the caller checks.
        (void)QTest::qWaitFor(take, timeoutMs);
        return found;
    }

    std::optional<QJsonObject> exitOf(const QString &id, int timeoutMs = 5000)
    {
        return waitFor([&](const QJsonObject &f) {
            return f.value(u"_tag").toString() == u"Exit" && f.value(u"requestId").toString() == id;
        }, timeoutMs);
    }

    std::optional<QJsonObject> chunkOf(const QString &id, int timeoutMs = 5000)
    {
        return waitFor([&](const QJsonObject &f) {
            return f.value(u"_tag").toString() == u"Chunk" && f.value(u"requestId").toString() == id;
        }, timeoutMs);
    }

    std::optional<QJsonObject> frameWithTag(const QString &tag, int timeoutMs = 5000)
    {
        return waitFor([&](const QJsonObject &f) { return f.value(u"_tag").toString() == tag; },
                       timeoutMs);
    }

    // Nothing matching arrives within `ms`.
    bool quietFor(const std::function<bool(const QJsonObject &)> &pred, int ms)
    {
        QTest::qWait(ms);
        for (const QJsonObject &f : std::as_const(inbox)) {
            if (pred(f))
                return false;
        }
        return true;
    }

    bool waitDisconnected(int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this] { return disconnected; }, timeoutMs);
    }

    bool ping(int timeoutMs = 5000)
    {
        send(R"({"_tag":"Ping"})");
        return frameWithTag(QStringLiteral("Pong"), timeoutMs).has_value();
    }

    QWebSocket socket;
    QList<QJsonObject> inbox; // not yet consumed by waitFor()
    QList<QJsonObject> all;   // everything, in order
    QList<QByteArray> raw;    // everything as received
    bool autoAck = true;
    int ackDelayMs = 0;
    bool disconnected = false;
};

#endif // LIVESTORE_WSTESTCLIENT_H
