// SPDX-License-Identifier: BSD-3-Clause
// The sync server in-process on 127.0.0.1 (port 0), driven by raw WebSocket and TCP clients that
// send the protocol's literal frames: pulls and pages, pushes and their echo, typed errors,
// catch-up racing pushes, hostile input, limits, auth, hooks, restart, health, TLS, shutdown.

#include "wstestclient.h"

#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qfile.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtemporarydir.h>
#include <QtNetwork/qsslkey.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>

#include <memory>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

QByteArray eventJson(qint64 seq, qint64 parent = -1, const QByteArray &name = "v1.TodoCreated")
{
    if (parent < 0)
        parent = seq - 1;
    return R"({"name":")" + name + R"(","args":{"id":"id-)" + QByteArray::number(seq)
            + R"(","text":"event )" + QByteArray::number(seq) + R"("},"seqNum":)"
            + QByteArray::number(seq) + R"(,"parentSeqNum":)" + QByteArray::number(parent)
            + R"(,"clientId":"test-client","sessionId":"test-session"})";
}

QByteArray events(qint64 first, int count)
{
    QByteArray out = "[";
    for (int i = 0; i < count; ++i) {
        if (i)
            out += ',';
        out += eventJson(first + i);
    }
    return out + ']';
}

QByteArray option(const QString &value)
{
    if (value.isNull())
        return R"({"_tag":"None"})";
    return R"({"_tag":"Some","value":")" + value.toUtf8() + R"("})";
}

QByteArray pushPayload(const QString &storeId, const QByteArray &batch,
                       const QString &backendId = {})
{
    return R"({"storeId":")" + storeId.toUtf8() + R"(","batch":)" + batch + R"(,"backendId":)"
            + option(backendId) + '}';
}

QByteArray pullPayload(const QString &storeId, bool live, qint64 cursor = -1,
                       const QString &backendId = {})
{
    QByteArray c = R"({"_tag":"None"})";
    if (cursor >= 0)
        c = R"({"_tag":"Some","value":{"backendId":")" + backendId.toUtf8()
                + R"(","eventSequenceNumber":)" + QByteArray::number(cursor) + "}}";
    return R"({"storeId":")" + storeId.toUtf8() + R"(","live":)" + (live ? "true" : "false")
            + R"(,"cursor":)" + c + '}';
}

QList<qint64> seqNumsOf(const QJsonObject &chunk)
{
    QList<qint64> out;
    for (const QJsonValue &v : chunk.value(u"values").toArray()) {
        for (const QJsonValue &e : v.toObject().value(u"batch").toArray())
            out.append(e.toObject().value(u"eventEncoded").toObject().value(u"seqNum").toInteger());
    }
    return out;
}

QJsonObject firstPage(const QJsonObject &chunk)
{
    return chunk.value(u"values").toArray().at(0).toObject();
}

QJsonObject failureError(const QJsonObject &exit)
{
    return exit.value(u"exit").toObject().value(u"cause").toObject().value(u"error").toObject();
}

QString exitTag(const QJsonObject &exit)
{
    return exit.value(u"exit").toObject().value(u"_tag").toString();
}

QString causeTag(const QJsonObject &exit)
{
    return exit.value(u"exit").toObject().value(u"cause").toObject().value(u"_tag").toString();
}

// The payload as the real client puts it in the URL: JSON, encodeURIComponent, query-encoded.
QByteArray urlPayload(const QByteArray &json)
{
    return QUrl::toPercentEncoding(QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(json))));
}

// One HTTP exchange over a plain socket, without blocking the event loop the server runs in.
QByteArray httpExchange(quint16 port, const QByteArray &request, int timeoutMs = 5000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, timeoutMs))
        return {};
    socket.write(request);
    QByteArray response;
    // The response so far is what the test checks; a timeout just leaves it short.
    (void)QTest::qWaitFor([&] {
        response += socket.readAll();
        return socket.state() == QAbstractSocket::UnconnectedState;
    }, timeoutMs);
    response += socket.readAll();
    return response;
}

// Collects every log message (debug included) while it lives.
class LogCapture
{
public:
    LogCapture()
    {
        s_lines = &lines;
        m_previous = qInstallMessageHandler(&LogCapture::handler);
        QLoggingCategory::setFilterRules(u"livestore.*.debug=true"_s);
    }
    ~LogCapture()
    {
        QLoggingCategory::setFilterRules(QString());
        qInstallMessageHandler(m_previous);
        s_lines = nullptr;
    }
    QString text() const { return lines.join(u'\n'); }

    QStringList lines;

private:
    static void handler(QtMsgType, const QMessageLogContext &context, const QString &message)
    {
        if (s_lines)
            s_lines->append(QString::fromLatin1(context.category ? context.category : "") + u": "_s + message);
    }
    static inline QStringList *s_lines = nullptr;
    QtMessageHandler m_previous = nullptr;
};

struct Fixture
{
    QTemporaryDir tempDir;
    QString dir;
    SqliteSyncStorage storage;
    std::unique_ptr<SyncServer> server;

    bool start(SyncServerOptions options = {}, const SyncHooks &hooks = {},
               const QString &dataDir = {})
    {
        dir = dataDir.isEmpty() ? tempDir.path() : dataDir;
        if (!storage.open(dir)) {
            qWarning() << storage.errorString();
            return false;
        }
        server = std::make_unique<SyncServer>(&storage);
        options.port = 0;
        server->setOptions(options);
        server->setHooks(hooks);
        if (!server->listen()) {
            qWarning() << server->errorString();
            return false;
        }
        return true;
    }

    quint16 port() const { return server->serverPort(); }

    QUrl url(const QString &storeId, const QByteArray &payloadJson = {},
             const QString &scheme = u"ws"_s) const
    {
        QString s = u"%1://127.0.0.1:%2/?storeId=%3"_s.arg(scheme).arg(port()).arg(storeId);
        if (!payloadJson.isNull())
            s += u"&payload="_s + QString::fromLatin1(urlPayload(payloadJson));
        s += u"&transport=ws"_s;
        return QUrl(s, QUrl::StrictMode);
    }

    void stop()
    {
        if (!server)
            return;
        QSignalSpy closed(server.get(), &SyncServer::closed);
        server->close();
        QVERIFY(closed.wait(5000) || closed.size() == 1);
        server.reset();
        storage.close();
    }
};

} // namespace

class tst_SyncServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyLivePullGetsNoMorePage();
    void nonLivePullEndsWithExit();
    void pushEchoesToEveryLivePull();
    void serverAheadError();
    void backendIdMismatch();
    void pagingWithExactRemaining();
    void catchUpWaitsForAck();
    void pullWithCursor();
    void interruptEndsLivePull();
    void catchUpRacingPushes();
    void malformedFrames();
    void invalidPushes();
    void argsNestingLimit();
    void storeIdMismatchInRequest();
    void duplicatePullId();
    void oversizedFrameCloses1009();
    void tokenAuth();
    void logsRedactSecrets();
    void hooks();
    void restartKeepsHeadAndBackendId();
    void healthAndRouting();
    void httpTransport();
    void idleTimeout();
    void httpLimitsAndCors();
    void gracefulShutdown();
    void tls();
};

void tst_SyncServer::emptyLivePullGetsNoMorePage()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"empty"_s)));
    QVERIFY(c.ping());
    c.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"empty"_s, true));
    const auto chunk = c.chunkOf(u"0"_s);
    QVERIFY(chunk);
    const QJsonObject page = firstPage(*chunk);
    QCOMPARE(page.value(u"batch").toArray().size(), 0);
    QCOMPARE(page.value(u"pageInfo").toObject().value(u"_tag").toString(), u"NoMore"_s);
    const QString backendId = page.value(u"backendId").toString();
    QCOMPARE(backendId.size(), 21);
    QVERIFY(QRegularExpression(u"^[A-Za-z0-9_-]+$"_s).match(backendId).hasMatch());
    // Live: no Exit.
    QVERIFY(c.quietFor([](const QJsonObject &f) { return f.value(u"_tag").toString() == u"Exit"; }, 200));
}

void tst_SyncServer::nonLivePullEndsWithExit()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"s"_s)));
    c.request(u"4"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"s"_s, false));
    const auto chunk = c.chunkOf(u"4"_s);
    QVERIFY(chunk);
    QCOMPARE(firstPage(*chunk).value(u"pageInfo").toObject().value(u"_tag").toString(), u"NoMore"_s);
    const auto exit = c.exitOf(u"4"_s);
    QVERIFY(exit);
    QCOMPARE(c.raw.last(), QByteArray(R"({"_tag":"Exit","requestId":"4","exit":{"_tag":"Success"}})"));
}

void tst_SyncServer::pushEchoesToEveryLivePull()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient a, b;
    QVERIFY(a.open(f.url(u"echo"_s)));
    QVERIFY(b.open(f.url(u"echo"_s)));
    a.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"echo"_s, true));
    b.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"echo"_s, true));
    QVERIFY(a.chunkOf(u"0"_s));
    QVERIFY(b.chunkOf(u"0"_s));

    a.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"echo"_s, events(1, 2)));
    const auto ack = a.exitOf(u"1"_s);
    QVERIFY(ack);
    QCOMPARE(a.raw.last(), QByteArray(R"({"_tag":"Exit","requestId":"1","exit":{"_tag":"Success","value":{}}})"));
    for (WsTestClient *c : {&a, &b}) {
        const auto echo = c->chunkOf(u"0"_s);
        QVERIFY(echo);
        QCOMPARE(seqNumsOf(*echo), (QList<qint64>{1, 2}));
        const QJsonObject page = firstPage(*echo);
        QCOMPARE(page.value(u"pageInfo").toObject().value(u"_tag").toString(), u"NoMore"_s);
        const QJsonObject meta = page.value(u"batch").toArray().at(0).toObject().value(u"metadata").toObject();
        QCOMPARE(meta.value(u"_tag").toString(), u"Some"_s);
        QCOMPARE(meta.value(u"value").toObject().value(u"_tag").toString(), u"SyncMessage.SyncMetadata"_s);
        QVERIFY(meta.value(u"value").toObject().value(u"createdAt").toString().endsWith(u'Z'));
        // Exactly once.
        QVERIFY(c->quietFor([](const QJsonObject &f) { return f.value(u"_tag").toString() == u"Chunk"; }, 100));
    }
    // The events come back byte for byte, and before the push's Exit.
    qsizetype echoAt = -1;
    qsizetype exitAt = -1;
    for (qsizetype i = 0; i < a.raw.size(); ++i) {
        if (a.raw.at(i).startsWith(R"({"_tag":"Chunk","requestId":"0")") && a.raw.at(i).contains(eventJson(1)))
            echoAt = i;
        if (a.raw.at(i).startsWith(R"({"_tag":"Exit","requestId":"1")"))
            exitAt = i;
    }
    QVERIFY(echoAt >= 0);
    QVERIFY(a.raw.at(echoAt).contains(eventJson(2)));
    QVERIFY(echoAt < exitAt);
}

void tst_SyncServer::serverAheadError()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"ahead"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ahead"_s, events(1, 2)));
    QCOMPARE(exitTag(*c.exitOf(u"1"_s)), u"Success"_s);
    c.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ahead"_s, events(1, 1)));
    const auto e = c.exitOf(u"2"_s);
    QVERIFY(e);
    QCOMPARE(c.raw.last(),
             QByteArray(R"({"_tag":"Exit","requestId":"2","exit":{"_tag":"Failure","cause":{"_tag":"Fail","error":{"minimumExpectedNum":2,"providedNum":0,"_tag":"ServerAheadError"}}}})"));
    // A batch from the future (parent beyond the head) is refused just the same.
    c.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ahead"_s, events(10, 1)));
    const auto future = c.exitOf(u"3"_s);
    QCOMPARE(failureError(*future).value(u"_tag").toString(), u"ServerAheadError"_s);
    QCOMPARE(failureError(*future).value(u"providedNum").toInt(), 9);
}

void tst_SyncServer::backendIdMismatch()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"bid"_s)));
    c.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"bid"_s, false));
    const QString backendId = firstPage(*c.chunkOf(u"0"_s)).value(u"backendId").toString();
    QVERIFY(c.exitOf(u"0"_s));

    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"bid"_s, events(1, 1), u"nope"_s));
    const auto push = c.exitOf(u"1"_s);
    QCOMPARE(failureError(*push),
             (QJsonObject{{u"expected"_s, backendId}, {u"received"_s, u"nope"_s},
                          {u"_tag"_s, u"BackendIdMismatchError"_s}}));
    c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"bid"_s, true, 0, u"nope"_s));
    const auto pull = c.exitOf(u"2"_s);
    QCOMPARE(failureError(*pull).value(u"_tag").toString(), u"BackendIdMismatchError"_s);
    QCOMPARE(failureError(*pull).value(u"expected").toString(), backendId);
    // The right id works.
    c.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"bid"_s, events(1, 1), backendId));
    QCOMPARE(exitTag(*c.exitOf(u"3"_s)), u"Success"_s);
}

void tst_SyncServer::pagingWithExactRemaining()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"pages"_s)));
    for (const auto &[first, n] : {std::pair{1, 100}, std::pair{101, 100}, std::pair{201, 50}}) {
        const QString id = QString::number(first + 1000);
        c.request(id, u"SyncWsRpc.Push"_s, pushPayload(u"pages"_s, events(first, n)));
        QCOMPARE(exitTag(*c.exitOf(id)), u"Success"_s);
    }
    c.request(u"5"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"pages"_s, false));
    const QList<std::pair<int, QJsonObject>> expected = {
            {100, QJsonObject{{u"_tag"_s, u"MoreKnown"_s}, {u"remaining"_s, 150}}},
            {100, QJsonObject{{u"_tag"_s, u"MoreKnown"_s}, {u"remaining"_s, 50}}},
            {50, QJsonObject{{u"_tag"_s, u"NoMore"_s}}}};
    qint64 next = 1;
    for (const auto &[count, pageInfo] : expected) {
        const auto chunk = c.chunkOf(u"5"_s);
        QVERIFY(chunk);
        const QList<qint64> seqs = seqNumsOf(*chunk);
        QCOMPARE(seqs.size(), count);
        QCOMPARE(firstPage(*chunk).value(u"pageInfo").toObject(), pageInfo);
        for (qint64 s : seqs)
            QCOMPARE(s, next++);
    }
    QCOMPARE(exitTag(*c.exitOf(u"5"_s)), u"Success"_s);
}

void tst_SyncServer::catchUpWaitsForAck()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"ack"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ack"_s, events(1, 100)));
    c.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ack"_s, events(101, 50)));
    QVERIFY(c.exitOf(u"1"_s));
    QVERIFY(c.exitOf(u"2"_s));
    c.autoAck = false;
    c.request(u"3"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"ack"_s, true));
    QVERIFY(c.chunkOf(u"3"_s));
    auto isChunk = [](const QJsonObject &f) { return f.value(u"_tag").toString() == u"Chunk"; };
    QVERIFY(c.quietFor(isChunk, 300)); // backpressure: the next page waits for the Ack
    c.send(R"({"_tag":"Ack","requestId":"3"})");
    const auto second = c.chunkOf(u"3"_s);
    QVERIFY(second);
    QCOMPARE(seqNumsOf(*second).size(), 50);
    // Live updates do not wait for Acks.
    c.request(u"4"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ack"_s, events(151, 1)));
    const auto live = c.chunkOf(u"3"_s);
    QVERIFY(live);
    QCOMPARE(seqNumsOf(*live), QList<qint64>{151});
}

void tst_SyncServer::pullWithCursor()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"cur"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"cur"_s, events(1, 5)));
    QVERIFY(c.exitOf(u"1"_s));
    c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"cur"_s, false));
    const QString backendId = firstPage(*c.chunkOf(u"2"_s)).value(u"backendId").toString();
    QVERIFY(c.exitOf(u"2"_s));
    c.request(u"3"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"cur"_s, true, 3, backendId));
    QCOMPARE(seqNumsOf(*c.chunkOf(u"3"_s)), (QList<qint64>{4, 5}));
    c.request(u"4"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"cur"_s, false, 5, backendId));
    const auto atHead = c.chunkOf(u"4"_s);
    QCOMPARE(seqNumsOf(*atHead), QList<qint64>());
    QCOMPARE(firstPage(*atHead).value(u"pageInfo").toObject().value(u"_tag").toString(), u"NoMore"_s);
    QVERIFY(c.exitOf(u"4"_s));
}

void tst_SyncServer::interruptEndsLivePull()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"intr"_s)));
    c.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"intr"_s, true));
    QVERIFY(c.chunkOf(u"0"_s));
    c.send(R"({"_tag":"Interrupt","requestId":"0"})");
    const auto exit = c.exitOf(u"0"_s);
    QVERIFY(exit);
    QCOMPARE(exitTag(*exit), u"Failure"_s);
    QCOMPARE(causeTag(*exit), u"Interrupt"_s);
    // No more updates for that id; interrupting again (or a finished push) is harmless.
    c.send(R"({"_tag":"Interrupt","requestId":"0"})");
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"intr"_s, events(1, 1)));
    QVERIFY(c.exitOf(u"1"_s));
    c.send(R"({"_tag":"Interrupt","requestId":"1"})");
    QVERIFY(c.quietFor([](const QJsonObject &f) { return f.value(u"_tag").toString() != u"Pong"; }, 200));
    QVERIFY(c.ping());
}

void tst_SyncServer::catchUpRacingPushes()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient pusher;
    QVERIFY(pusher.open(f.url(u"race"_s)));
    // History first, so that the catch-up takes several Ack round trips.
    pusher.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(1, 100)));
    pusher.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(101, 100)));
    pusher.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(201, 50)));
    QVERIFY(pusher.exitOf(u"3"_s));

    // Three live pulls start while 30 more batches stream in: one from scratch with slow Acks,
    // one from a middle cursor, one that joins later.
    WsTestClient slow, middle, late;
    slow.ackDelayMs = 3;
    for (WsTestClient *c : {&slow, &middle, &late})
        QVERIFY(c->open(f.url(u"race"_s)));
    slow.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"race"_s, true));
    QVERIFY(slow.chunkOf(u"7"_s, 5000)); // only to learn the backend id; keep it in `all`
    const QString backendId = firstPage(slow.all.first()).value(u"backendId").toString();
    middle.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"race"_s, true, 120, backendId));
    constexpr int Batches = 30;
    constexpr int PerBatch = 10;
    for (int i = 0; i < Batches; ++i) {
        pusher.request(QString::number(100 + i), u"SyncWsRpc.Push"_s,
                       pushPayload(u"race"_s, events(251 + i * PerBatch, PerBatch), backendId));
        if (i == Batches / 2)
            late.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"race"_s, true));
        // Pace the second half, so that pushes land before, during and after each catch-up.
        if (i >= Batches / 2)
            QTest::qWait(2);
    }
    const qint64 head = 250 + Batches * PerBatch;
    auto received = [](const WsTestClient &c) {
        QList<qint64> seqs;
        for (const QJsonObject &frame : c.all) {
            if (frame.value(u"_tag").toString() == u"Chunk" && frame.value(u"requestId").toString() == u"7")
                seqs += seqNumsOf(frame);
        }
        return seqs;
    };
    for (const auto &[client, from] : {std::pair{&slow, qint64(1)}, std::pair{&middle, qint64(121)},
                                       std::pair{&late, qint64(1)}}) {
        QTRY_COMPARE_WITH_TIMEOUT(received(*client).size(), head - from + 1, 20000);
        const QList<qint64> seqs = received(*client);
        for (qsizetype i = 0; i < seqs.size(); ++i)
            QCOMPARE(seqs.at(i), from + i); // each exactly once, in order
        QVERIFY(client->quietFor([](const QJsonObject &f) { return f.value(u"_tag").toString() == u"Exit"; }, 0));
    }
    for (int i = 0; i < Batches; ++i)
        QCOMPARE(exitTag(*pusher.exitOf(QString::number(100 + i))), u"Success"_s);
}

void tst_SyncServer::malformedFrames()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c, other;
    QVERIFY(c.open(f.url(u"bad"_s)));
    QVERIFY(other.open(f.url(u"bad"_s)));
    const QList<std::pair<QByteArray, QString>> cases = {
            {"{not json", u"not valid JSON"_s},
            {"[1,2]", u"not a JSON object"_s},
            {R"({"id":"1"})", u"no \"_tag\""_s},
            {R"({"_tag":"Bogus"})", u"unknown frame _tag \"Bogus\""_s},
            {R"({"_tag":"Request","id":"abc","tag":"SyncWsRpc.Pull","payload":{},"headers":[]})",
             u"\"abc\" is not a decimal integer"_s},
            {R"({"_tag":"Request","id":"9","tag":"SyncWsRpc.Nope","payload":{},"headers":[]})",
             u"Unknown request tag: SyncWsRpc.Nope"_s},
            {R"({"_tag":"Ack"})", u"no \"requestId\""_s},
    };
    for (const auto &[frame, expected] : cases) {
        c.send(frame);
        const auto defect = c.frameWithTag(u"Defect"_s);
        QVERIFY2(defect, frame.constData());
        QVERIFY2(defect->value(u"defect").toString().contains(expected),
                 qPrintable(defect->value(u"defect").toString()));
    }
    // Binary frames carrying JSON are read like text ones.
    c.socket.sendBinaryMessage(R"({"_tag":"Ping"})");
    QVERIFY(c.frameWithTag(u"Pong"_s));
    // A payload that fails decoding dies with a readable defect.
    c.request(u"10"_s, u"SyncWsRpc.Push"_s, R"({"storeId":"bad","backendId":{"_tag":"None"}})");
    const auto die = c.exitOf(u"10"_s);
    QVERIFY(die);
    QCOMPARE(causeTag(*die), u"Die"_s);
    QVERIFY(die->value(u"exit").toObject().value(u"cause").toObject().value(u"defect").toString().contains(u"\"batch\" is missing"_s));
    // The connection and the server keep serving.
    QVERIFY(c.ping());
    QVERIFY(other.ping());
    c.request(u"11"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"bad"_s, false));
    QVERIFY(c.exitOf(u"11"_s));
}

void tst_SyncServer::invalidPushes()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"inv"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"inv"_s, events(1, 3)));
    QVERIFY(c.exitOf(u"1"_s));

    // Empty batch: {} as the real server answers.
    c.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"inv"_s, "[]"));
    QCOMPARE(c.exitOf(u"2"_s)->value(u"exit").toObject().value(u"value").toObject(), QJsonObject());

    auto unknownMessage = [&](const QString &id) {
        const auto exit = c.exitOf(id);
        if (!exit)
            return QString();
        const QJsonObject error = failureError(*exit);
        if (error.value(u"_tag").toString() != u"UnknownError")
            return QString();
        return error.value(u"cause").toObject().value(u"message").toString();
    };
    // A gap inside the batch, a first event numbered wrongly, too many events: refused whole.
    c.request(u"3"_s, u"SyncWsRpc.Push"_s,
              pushPayload(u"inv"_s, '[' + eventJson(4) + ',' + eventJson(6, 4) + ']'));
    QVERIFY(unknownMessage(u"3"_s).contains(u"not contiguous at index 1"_s));
    c.request(u"4"_s, u"SyncWsRpc.Push"_s, pushPayload(u"inv"_s, '[' + eventJson(9, 3) + ']'));
    QVERIFY(unknownMessage(u"4"_s).contains(u"not contiguous at index 0"_s));
    c.request(u"5"_s, u"SyncWsRpc.Push"_s, pushPayload(u"inv"_s, events(4, 101)));
    QVERIFY(unknownMessage(u"5"_s).contains(u"at most 100 events"_s));
    // Nothing of them was stored: the head is still 3.
    c.request(u"6"_s, u"SyncWsRpc.Push"_s, pushPayload(u"inv"_s, events(4, 1)));
    QCOMPARE(exitTag(*c.exitOf(u"6"_s)), u"Success"_s);
    c.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"inv"_s, false));
    QCOMPARE(seqNumsOf(*c.chunkOf(u"7"_s)), (QList<qint64>{1, 2, 3, 4}));
}

void tst_SyncServer::argsNestingLimit()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"deep"_s)));
    auto nested = [](int levels) -> QByteArray {
        return QByteArray(levels, '[') + "1" + QByteArray(levels, ']');
    };
    auto deepEvent = [](qint64 seq, const QByteArray &args) -> QByteArray {
        return R"({"name":"v1.Deep","args":)" + args + R"(,"seqNum":)" + QByteArray::number(seq)
                + R"(,"parentSeqNum":)" + QByteArray::number(seq - 1)
                + R"(,"clientId":"c","sessionId":"s"})";
    };
    // At the limit: stored, and the pull frame carrying it back is readable.
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"deep"_s, '[' + deepEvent(1, nested(64)) + ']'));
    QCOMPARE(exitTag(*c.exitOf(u"1"_s)), u"Success"_s);

    // One level more, and the depth that passed before but broke every Qt client's pulls (the
    // push frame is within Qt's 1,024 levels, the pull frame two beyond): refused whole, with the
    // event and the limit named.
    for (const int levels : {65, 1019}) {
        const QString id = QString::number(levels);
        c.request(id, u"SyncWsRpc.Push"_s,
                  pushPayload(u"deep"_s, '[' + eventJson(2) + ',' + deepEvent(3, nested(levels)) + ']'));
        const auto exit = c.exitOf(id);
        QVERIFY2(exit, qPrintable(id));
        const QJsonObject error = failureError(*exit);
        QCOMPARE(error.value(u"_tag").toString(), u"UnknownError"_s);
        QCOMPARE(error.value(u"cause").toObject().value(u"name").toString(), u"InvalidPushError"_s);
        const QString message = error.value(u"cause").toObject().value(u"message").toString();
        QVERIFY2(message.contains(u"event 1 (seqNum 3, v1.Deep)"_s), qPrintable(message));
        QVERIFY2(message.contains(u"nest %1 levels"_s.arg(levels)), qPrintable(message));
        QVERIFY2(message.contains(u"64"_s), qPrintable(message));
    }
    // Nesting inside strings does not count.
    const QByteArray bracketsInText = '"' + QByteArray(500, '[') + R"(\"{{)" + '"';
    c.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"deep"_s, '[' + deepEvent(2, '{' + QByteArray(R"("t":)") + bracketsInText + '}') + ']'));
    QCOMPARE(exitTag(*c.exitOf(u"3"_s)), u"Success"_s);

    c.request(u"4"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"deep"_s, false));
    const auto chunk = c.chunkOf(u"4"_s);
    QVERIFY(chunk);
    QCOMPARE(seqNumsOf(*chunk), (QList<qint64>{1, 2}));
}

void tst_SyncServer::storeIdMismatchInRequest()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"mine"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"theirs"_s, events(1, 1)));
    const auto exit = c.exitOf(u"1"_s);
    QVERIFY(exit);
    QCOMPARE(causeTag(*exit), u"Die"_s);
    c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"theirs"_s, true));
    QCOMPARE(causeTag(*c.exitOf(u"2"_s)), u"Die"_s);
}

void tst_SyncServer::duplicatePullId()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient c;
    QVERIFY(c.open(f.url(u"dup"_s)));
    c.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"dup"_s, true));
    QVERIFY(c.chunkOf(u"0"_s));
    c.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"dup"_s, true));
    const auto defect = c.frameWithTag(u"Defect"_s);
    QVERIFY(defect);
    QVERIFY(defect->value(u"defect").toString().contains(u"already in use"_s));
    // The first pull still runs.
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"dup"_s, events(1, 1)));
    QCOMPARE(seqNumsOf(*c.chunkOf(u"0"_s)), QList<qint64>{1});
}

void tst_SyncServer::oversizedFrameCloses1009()
{
    Fixture f;
    QVERIFY(f.start()); // default limit: 1 MiB
    WsTestClient big, other;
    QVERIFY(big.open(f.url(u"big"_s)));
    QVERIFY(other.open(f.url(u"big"_s)));
    // A 1.2 MB push, as the one that made workerd close the socket.
    const QByteArray args = '"' + QByteArray(1'200'000, 'x') + '"';
    const QByteArray ev = R"({"name":"a","args":)" + args
            + R"(,"seqNum":1,"parentSeqNum":0,"clientId":"c","sessionId":"s"})";
    big.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"big"_s, '[' + ev + ']'));
    QVERIFY(big.waitDisconnected());
    QCOMPARE(int(big.socket.closeCode()), 1009);
    QCOMPARE(big.socket.closeReason(), u"Message is too large"_s);
    QVERIFY(big.all.isEmpty()); // no reply, as workerd
    QVERIFY(other.ping());

    // Just under the limit passes (a 900 KB event, as clients may send).
    WsTestClient fits;
    QVERIFY(fits.open(f.url(u"big"_s)));
    const QByteArray okEv = R"({"name":"a","args":")" + QByteArray(900'000, 'y')
            + R"(","seqNum":1,"parentSeqNum":0,"clientId":"c","sessionId":"s"})";
    fits.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"big"_s, '[' + okEv + ']'));
    QCOMPARE(exitTag(*fits.exitOf(u"2"_s, 10000)), u"Success"_s);
}

void tst_SyncServer::tokenAuth()
{
    Fixture f;
    SyncServerOptions options;
    options.authToken = u"a b&c=d/é"_s; // what the real client's URL encoding was captured with
    QVERIFY(f.start(options));

    WsTestClient good;
    QVERIFY(good.open(f.url(u"auth"_s, R"({"authToken":"a b&c=d/é"})")));
    good.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"auth"_s, true));
    QVERIFY(good.chunkOf(u"0"_s));

    for (const QByteArray &payload : {QByteArray(), QByteArray(R"({"authToken":"wrong"})"),
                                      QByteArray(R"({"authToken":1})"), QByteArray("\"a b&c=d/é\"")}) {
        WsTestClient bad;
        QVERIFY(!bad.open(f.url(u"auth"_s, payload)));
    }
    // The refusal, as HTTP: 400 with the reason.
    const QByteArray response = httpExchange(
            f.port(), "GET /?storeId=auth&payload=" + urlPayload(R"({"authToken":"nope"})")
                    + "&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QVERIFY2(response.startsWith("HTTP/1.1 400"), response.constData());
    QVERIFY(response.endsWith("Invalid auth token"));
    QVERIFY(good.ping());
}

void tst_SyncServer::logsRedactSecrets()
{
    const QByteArray token = "s3cr3t-T0ken";
    Fixture f;
    SyncServerOptions options;
    options.authToken = QString::fromLatin1(token);
    QVERIFY(f.start(options));
    LogCapture log;
    const QByteArray payload = "payload=" + urlPayload(R"({"authToken":")" + token + R"(","user":"u"})");
    const QByteArray upgrade = " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    // Requests that carry the right token and are refused for something else.
    const QList<std::pair<QByteArray, QByteArray>> refused = {
            {"GET /?storeId=bad!id&" + payload + "&transport=ws" + upgrade, "HTTP/1.1 400"},
            {"GET /?storeId=s&" + payload + "&transport=ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426"},
            {"GET /?storeId=s&" + payload + "&transport=carrier-pigeon" + upgrade, "HTTP/1.1 400"},
            {"GET /?storeId=s&transport=ws&authToken=" + token + "&token=" + token + upgrade, "HTTP/1.1 400"},
    };
    for (const auto &[request, status] : refused) {
        const QByteArray response = httpExchange(f.port(), request);
        QVERIFY2(response.startsWith(status), response.constData());
    }
    // A client that puts the token where a frame quotes it back.
    WsTestClient c;
    QVERIFY(c.open(f.url(u"s"_s, R"({"authToken":")" + token + R"("})")));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s,
              R"({"storeId":"s","batch":{"authToken":")" + token + R"("},"backendId":{"_tag":"None"}})");
    const auto exit = c.exitOf(u"1"_s);
    QVERIFY(exit);
    QCOMPARE(causeTag(*exit), u"Die"_s); // the client itself still hears what was wrong
    c.request(u"2"_s, u"SyncWsRpc.Pull"_s, R"({"storeId":"s","payload":{"authToken":")" + token + R"("},"live":false,"cursor":{"_tag":"None"}})");
    QVERIFY(c.exitOf(u"2"_s));

    const QString text = log.text();
    QVERIFY2(text.contains(u"request refused:"_s), qPrintable(text));
    QVERIFY2(text.contains(u"payload=<redacted>"_s), qPrintable(text));
    QVERIFY2(text.contains(u"authToken=<redacted>"_s), qPrintable(text));
    QVERIFY2(text.contains(u"bad push:"_s), qPrintable(text));
    QVERIFY2(!text.contains(QString::fromLatin1(token)), qPrintable(text));
}

void tst_SyncServer::hooks()
{
    Fixture f;
    SyncHooks hooks;
    int accepted = 0;
    QJsonValue seenPayload;
    hooks.validatePayload = [](const QJsonValue &payload, const RequestInfo &info) -> std::optional<QString> {
        if (payload.toObject().value(u"tenant").toString() == u"blocked")
            return u"tenant blocked for store "_s + info.storeId;
        return std::nullopt;
    };
    hooks.onPush = [&](const Wire::PushRequest &push, const RequestInfo &info) -> std::optional<QString> {
        seenPayload = info.payload;
        for (const Wire::Event &e : push.batch) {
            if (e.name == u"v1.Forbidden")
                return u"event %1 is not allowed"_s.arg(e.name);
        }
        return std::nullopt;
    };
    hooks.onPull = [](const Wire::PullRequest &pull, const RequestInfo &) -> std::optional<QString> {
        if (pull.payload.toObject().value(u"role").toString() == u"banned")
            return u"no pulls for you"_s;
        return std::nullopt;
    };
    hooks.onPushAccepted = [&](const QString &, const QList<Wire::Event> &batch) {
        accepted += int(batch.size());
    };
    QVERIFY(f.start({}, hooks));

    const QByteArray blocked = httpExchange(
            f.port(), "GET /?storeId=h&payload=" + urlPayload(R"({"tenant":"blocked"})")
                    + "&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
    QVERIFY2(blocked.startsWith("HTTP/1.1 400"), blocked.constData());
    QVERIFY(blocked.endsWith("tenant blocked for store h"));

    WsTestClient c;
    QVERIFY(c.open(f.url(u"h"_s, R"({"tenant":"t1"})")));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"h"_s, events(1, 2)));
    QCOMPARE(exitTag(*c.exitOf(u"1"_s)), u"Success"_s);
    QCOMPARE(accepted, 2);
    QCOMPARE(seenPayload.toObject().value(u"tenant").toString(), u"t1"_s);
    c.request(u"2"_s, u"SyncWsRpc.Push"_s,
              pushPayload(u"h"_s, '[' + eventJson(3, 2, "v1.Forbidden") + ']'));
    const QJsonObject error = failureError(*c.exitOf(u"2"_s));
    QCOMPARE(error.value(u"_tag").toString(), u"UnknownError"_s);
    QCOMPARE(error.value(u"cause").toObject(),
             (QJsonObject{{u"name"_s, u"PushRejected"_s}, {u"message"_s, u"event v1.Forbidden is not allowed"_s}}));
    QCOMPARE(accepted, 2);
    c.request(u"3"_s, u"SyncWsRpc.Pull"_s,
              R"({"storeId":"h","payload":{"role":"banned"},"live":false,"cursor":{"_tag":"None"}})");
    const QJsonObject pullError = failureError(*c.exitOf(u"3"_s));
    QCOMPARE(pullError.value(u"cause").toObject().value(u"message").toString(), u"no pulls for you"_s);
    QCOMPARE(pullError.value(u"cause").toObject().value(u"name").toString(), u"PullRejected"_s);
}

void tst_SyncServer::restartKeepsHeadAndBackendId()
{
    QTemporaryDir dir;
    QString backendId;
    {
        Fixture f;
        QVERIFY(f.start({}, {}, dir.path()));
        WsTestClient c;
        QVERIFY(c.open(f.url(u"keep"_s)));
        c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"keep"_s, events(1, 3)));
        QVERIFY(c.exitOf(u"1"_s));
        c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"keep"_s, true));
        backendId = firstPage(*c.chunkOf(u"2"_s)).value(u"backendId").toString();
        f.stop();
        QVERIFY(c.waitDisconnected());
        QCOMPARE(int(c.socket.closeCode()), 1001);
    }
    Fixture f;
    QVERIFY(f.start({}, {}, dir.path()));
    WsTestClient c;
    QVERIFY(c.open(f.url(u"keep"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"keep"_s, true, 1, backendId));
    const auto chunk = c.chunkOf(u"1"_s);
    QVERIFY(chunk);
    QCOMPARE(firstPage(*chunk).value(u"backendId").toString(), backendId);
    QCOMPARE(seqNumsOf(*chunk), (QList<qint64>{2, 3}));
    c.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"keep"_s, events(1, 1), backendId));
    QCOMPARE(failureError(*c.exitOf(u"2"_s)).value(u"minimumExpectedNum").toInt(), 3);
    c.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"keep"_s, events(4, 1), backendId));
    QCOMPARE(exitTag(*c.exitOf(u"3"_s)), u"Success"_s);

    // A second server on the same directory is refused while the first runs.
    SqliteSyncStorage second;
    QVERIFY(!second.open(dir.path()));
    QVERIFY2(second.errorString().contains(u"in use by another process"_s), qPrintable(second.errorString()));
}

void tst_SyncServer::healthAndRouting()
{
    Fixture f;
    QVERIFY(f.start());
    const QByteArray health = httpExchange(f.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(health.startsWith("HTTP/1.1 200 OK\r\n"), health.constData());
    QVERIFY(health.contains("Content-Type: text/plain\r\n"));
    QVERIFY(health.endsWith("\r\n\r\nInfo: Sync backend endpoint for @livestore/sync-cf."));

    const QByteArray other = httpExchange(f.port(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(other.startsWith("HTTP/1.1 400"));
    QVERIFY(other.endsWith("Invalid path"));

    const QByteArray noUpgrade =
            httpExchange(f.port(), "GET /?storeId=s&transport=ws HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(noUpgrade.startsWith("HTTP/1.1 426"), noUpgrade.constData());

    const QByteArray badStore = httpExchange(
            f.port(), "GET /?storeId=bad%20id!&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
    QVERIFY2(badStore.startsWith("HTTP/1.1 400"), badStore.constData());
    QVERIFY(badStore.contains("Invalid storeId"));
    WsTestClient c;
    QVERIFY(!c.open(QUrl(u"ws://127.0.0.1:%1/?storeId=a.b&transport=ws"_s.arg(f.port()))));

    const QByteArray badPayload = httpExchange(
            f.port(), "GET /?storeId=s&payload=%257Bnope&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
    QVERIFY(badPayload.startsWith("HTTP/1.1 400"));
    QVERIFY(badPayload.contains("Invalid payload"));

    QVERIFY(httpExchange(f.port(), "NONSENSE\r\n\r\n").startsWith("HTTP/1.1 400"));
    // Any path works for sync requests; only the query matters.
    WsTestClient anyPath;
    QVERIFY(anyPath.open(QUrl(u"ws://127.0.0.1:%1/some/where?storeId=p&transport=ws"_s.arg(f.port()))));
    QVERIFY(anyPath.ping());
}

void tst_SyncServer::httpTransport()
{
    Fixture f;
    QVERIFY(f.start());
    auto post = [&](const QByteArray &body) {
        const QByteArray response = httpExchange(
                f.port(), "POST /?storeId=web&transport=http HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: application/json\r\nContent-Length: "
                        + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        return response;
    };
    const QByteArray ping = post(R"({"_tag":"Request","id":"1","tag":"SyncHttpRpc.Ping","payload":{"storeId":"web"},"headers":[]})");
    QVERIFY2(ping.endsWith(R"([{"_tag":"Exit","requestId":"1","exit":{"_tag":"Success","value":{"_tag":"SyncMessage.Pong"}}}])"),
             ping.constData());
    const QByteArray push = post(R"({"_tag":"Request","id":"2","tag":"SyncHttpRpc.Push","payload":)"
                                 + pushPayload(u"web"_s, events(1, 2)) + R"(,"headers":[]})");
    QVERIFY2(push.endsWith(R"([{"_tag":"Exit","requestId":"2","exit":{"_tag":"Success","value":{}}}])"),
             push.constData());
    const QByteArray pull = post(R"({"_tag":"Request","id":"3","tag":"SyncHttpRpc.Pull","payload":{"storeId":"web","cursor":{"_tag":"None"}},"headers":[]})");
    const QJsonArray frames = QJsonDocument::fromJson(pull.mid(pull.indexOf("\r\n\r\n") + 4)).array();
    QCOMPARE(frames.size(), 2);
    QCOMPARE(seqNumsOf(frames.at(0).toObject()), (QList<qint64>{1, 2}));
    QCOMPARE(frames.at(1).toObject().value(u"exit").toObject().value(u"_tag").toString(), u"Success"_s);
    QVERIFY(post("{oops").startsWith("HTTP/1.1 400"));
}

void tst_SyncServer::idleTimeout()
{
    Fixture f;
    SyncServerOptions options;
    options.idleTimeoutMs = 1000;
    QVERIFY(f.start(options));
    WsTestClient pinging, silent;
    QVERIFY(pinging.open(f.url(u"idle"_s)));
    QVERIFY(silent.open(f.url(u"idle"_s)));
    for (int i = 0; i < 15; ++i) { // 1.5 s of pings every 100 ms keep one connection alive
        QVERIFY(pinging.ping());
        QTest::qWait(100);
    }
    QVERIFY(silent.waitDisconnected(5000));
    QCOMPARE(int(silent.socket.closeCode()), 1001);
    QCOMPARE(silent.socket.closeReason(), u"idle timeout"_s);
    QVERIFY(!pinging.disconnected);
}

void tst_SyncServer::httpLimitsAndCors()
{
    Fixture f;
    SyncServerOptions options;
    options.maxMessageBytes = 4096;
    options.enableCors = true;
    QVERIFY(f.start(options));
    const QByteArray body(5000, ' ');
    const QByteArray tooBig = httpExchange(
            f.port(), "POST /?storeId=web&transport=http HTTP/1.1\r\nHost: x\r\nContent-Length: "
                    + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QVERIFY2(tooBig.startsWith("HTTP/1.1 413"), tooBig.constData());
    const QByteArray preflight = httpExchange(
            f.port(), "OPTIONS /?storeId=web&transport=http HTTP/1.1\r\nHost: x\r\n"
                      "Access-Control-Request-Headers: content-type\r\n\r\n");
    QVERIFY2(preflight.startsWith("HTTP/1.1 204"), preflight.constData());
    QVERIFY(preflight.contains("Access-Control-Allow-Origin: *\r\n"));
    QVERIFY(preflight.contains("Access-Control-Allow-Headers: content-type\r\n"));
    const QByteArray health = httpExchange(f.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(health.startsWith("HTTP/1.1 200"));
    // A request head that never ends is cut off at 16 KiB.
    const QByteArray hugeHead = httpExchange(
            f.port(), "GET /?" + QByteArray(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(hugeHead.startsWith("HTTP/1.1 431"), hugeHead.left(100).constData());
}

void tst_SyncServer::gracefulShutdown()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient a, b;
    QVERIFY(a.open(f.url(u"bye"_s)));
    QVERIFY(b.open(f.url(u"bye"_s)));
    a.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"bye"_s, true));
    QVERIFY(a.chunkOf(u"0"_s));
    QCOMPARE(f.server->connectionCount(), 2);
    QSignalSpy closed(f.server.get(), &SyncServer::closed);
    f.server->close();
    QVERIFY(closed.wait(5000));
    QVERIFY(a.waitDisconnected());
    QVERIFY(b.waitDisconnected());
    QCOMPARE(int(a.socket.closeCode()), 1001);
    QCOMPARE(a.socket.closeReason(), u"server shutting down"_s);
    QCOMPARE(f.server->connectionCount(), 0);
    QVERIFY(!f.server->isListening());
    WsTestClient late;
    QVERIFY(!late.open(f.url(u"bye"_s), 2000));
}

void tst_SyncServer::tls()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    const QString openssl = QStandardPaths::findExecutable(u"openssl"_s);
    if (openssl.isEmpty())
        QSKIP("openssl is needed to make a test certificate");
    QTemporaryDir certDir;
    const QString cert = certDir.filePath(u"cert.pem"_s);
    const QString key = certDir.filePath(u"key.pem"_s);
    QProcess p;
    p.start(openssl, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                      key, u"-out"_s, cert, u"-days"_s, u"1"_s, u"-subj"_s, u"/CN=127.0.0.1"_s});
    QVERIFY(p.waitForFinished(60000));
    if (p.exitCode() != 0)
        QSKIP("openssl could not make a test certificate");

    QFile keyFile(key);
    QVERIFY(keyFile.open(QIODevice::ReadOnly));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(QSslCertificate::fromPath(cert));
    tls.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Rsa));
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    SyncServerOptions options;
    options.tls = tls;
    Fixture f;
    QVERIFY(f.start(options));
    QCOMPARE(f.server->url().scheme(), u"wss"_s);

    WsTestClient c;
    connect(&c.socket, &QWebSocket::sslErrors, &c.socket, [&c](const QList<QSslError> &) {
        c.socket.ignoreSslErrors(); // self-signed
    });
    QVERIFY(c.open(f.url(u"secure"_s, {}, u"wss"_s)));
    c.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"secure"_s, true));
    QVERIFY(c.chunkOf(u"0"_s));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"secure"_s, events(1, 1)));
    QCOMPARE(seqNumsOf(*c.chunkOf(u"0"_s)), QList<qint64>{1});

    // Health over TLS.
    QSslSocket s;
    s.setPeerVerifyMode(QSslSocket::VerifyNone);
    s.connectToHostEncrypted(u"127.0.0.1"_s, f.port());
    QVERIFY(QTest::qWaitFor([&] { return s.isEncrypted(); }, 5000));
    s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray response;
    (void)QTest::qWaitFor([&] {
        response += s.readAll();
        return response.endsWith("@livestore/sync-cf.");
    }, 5000);
    QVERIFY2(response.startsWith("HTTP/1.1 200"), response.constData());
}

QTEST_GUILESS_MAIN(tst_SyncServer)
#include "tst_syncserver.moc"
