// SPDX-License-Identifier: BSD-3-Clause
// The sync server in-process on 127.0.0.1 (port 0), driven by raw WebSocket and TCP clients that
// send the protocol's literal frames: pulls and pages, pushes and their echo, typed errors,
// catch-up racing pushes, hostile input, limits, auth, hooks, restart, health, TLS, shutdown.

#include "countingsyncstorage.h"
#include "wstestclient.h"

#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qfile.h>
#include <QtCore/qlockfile.h>
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
#include <vector>

#include <sqlite3.h>

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
QByteArray httpExchange(quint16 port, const QByteArray &request, int timeoutMs = 5000,
                        const QHostAddress &from = {})
{
    QTcpSocket socket;
    if (!from.isNull())
        socket.bind(from);
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

// A WebSocket client that, after its handshake, only sends: it reads nothing, so the server's
// output for it piles up, as for a stalled (or hostile) peer.
class StalledWsClient
{
public:
    bool open(quint16 port, const QString &storeId, const QHostAddress &from = {})
    {
        if (!from.isNull())
            socket.bind(from);
        socket.connectToHost(QHostAddress::LocalHost, port);
        // Generous: under the sanitizers, on a busy machine, a handshake can take seconds.
        if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 20000))
            return false;
        socket.write("GET /?storeId=" + storeId.toUtf8()
                     + "&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n");
        QByteArray head;
        const bool answered = QTest::qWaitFor([&] {
            // Up to the end of the head, not a byte further.
            const qsizetype end = socket.peek(4096).indexOf("\r\n\r\n");
            if (end >= 0)
                head = socket.read(end + 4);
            return end >= 0 || socket.state() != QAbstractSocket::ConnectedState;
        }, 20000);
        // From now on Qt stops reading from the kernel once a byte is buffered.
        socket.setReadBufferSize(1);
        return answered && head.startsWith("HTTP/1.1 101");
    }

    // One masked text frame (a zero mask: the payload goes as is).
    void send(const QByteArray &text)
    {
        QByteArray frame;
        frame += char(0x81);
        if (text.size() < 126) {
            frame += char(0x80 | text.size());
        } else {
            Q_ASSERT(text.size() < 65536);
            frame += char(0x80 | 126);
            frame += char(text.size() >> 8);
            frame += char(text.size() & 0xff);
        }
        frame += QByteArray(4, '\0');
        frame += text;
        socket.write(frame);
        socket.flush();
    }

    void request(const QString &id, const QString &tag, const QByteArray &payloadJson)
    {
        send(R"({"_tag":"Request","id":")" + id.toUtf8() + R"(","tag":")" + tag.toUtf8()
             + R"(","payload":)" + payloadJson + R"(,"headers":[]})");
    }

    QTcpSocket socket;
};

// Rows of the stores table, read from sync.db beside the server (as an operator would).
int storeRows(const QString &dir, const QString &storeId)
{
    sqlite3 *db = nullptr;
    int n = -1;
    if (sqlite3_open_v2(QString(dir + u"/sync.db"_s).toUtf8().constData(), &db,
                        SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM stores WHERE storeId = ?", -1, &stmt,
                               nullptr) == SQLITE_OK) {
            const QByteArray id = storeId.toUtf8();
            sqlite3_bind_text(stmt, 1, id.constData(), int(id.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(stmt) == SQLITE_ROW)
                n = sqlite3_column_int(stmt, 0);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return n;
}

// `count` events of about `argsBytes` bytes each, from seqNum `first` on.
QByteArray bulkyEvents(qint64 first, int count, int argsBytes)
{
    QByteArray out = "[";
    for (int i = 0; i < count; ++i) {
        const qint64 seq = first + i;
        if (i)
            out += ',';
        out += R"({"name":"v1.Bulk","args":{"text":")" + QByteArray(argsBytes, 'b') + R"("},"seqNum":)"
                + QByteArray::number(seq) + R"(,"parentSeqNum":)" + QByteArray::number(seq - 1)
                + R"(,"clientId":"c","sessionId":"s"})";
    }
    return out + ']';
}

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
    void losingPushesSkipStorage();
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
    void storeIdLimits();
    void pullsCreateNoStores();
    void connectionLimits();
    void serverWidePullLimit();
    void stalledClientsHoldLittle();
    void bufferBudgetCutsOffNonReaders();
    void pingFloodIsCutOff();
    void closeOfNonReaderIsAborted();
    void liveGapIsPaced();
    void unusableLimitsRefused();
    void handshakesQtWouldDropAreAnswered();
    void cursorAheadOfTheStoreRefused();
    void lockOfAKilledServerWithOurPid();
    void httpResponseLimits();
    void httpBodiesCountAgainstBudget();
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

void tst_SyncServer::losingPushesSkipStorage()
{
    // A push whose first parent is below the head the hub knows is refused from memory: no
    // transaction, no read. Under contention that is most pushes (every race has one winner).
    QTemporaryDir dir;
    SqliteSyncStorage sqlite;
    QVERIFY(sqlite.open(dir.path()));
    CountingSyncStorage storage(&sqlite);
    SyncServer server(&storage);
    SyncServerOptions options;
    options.port = 0;
    server.setOptions(options);
    QVERIFY(server.listen());
    const QUrl url(u"ws://127.0.0.1:%1/?storeId=race&transport=ws"_s.arg(server.serverPort()));

    WsTestClient watcher, pusher;
    QVERIFY(watcher.open(url));
    QVERIFY(pusher.open(url));
    watcher.request(u"7"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"race"_s, true));
    QVERIFY(watcher.chunkOf(u"7"_s));
    pusher.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(1, 3)));
    QCOMPARE(exitTag(*pusher.exitOf(u"1"_s)), u"Success"_s);
    QCOMPARE(storage.calls.append, 1);

    // Behind the head: refused with the same answer as before, the storage untouched.
    const CountingSyncStorage::Calls before = storage.calls;
    pusher.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(2, 1)));
    QVERIFY(pusher.exitOf(u"2"_s));
    QCOMPARE(pusher.raw.last(),
             QByteArray(R"({"_tag":"Exit","requestId":"2","exit":{"_tag":"Failure","cause":{"_tag":"Fail","error":{"minimumExpectedNum":3,"providedNum":1,"_tag":"ServerAheadError"}}}})"));
    pusher.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(1, 2)));
    QCOMPARE(failureError(*pusher.exitOf(u"3"_s)).value(u"minimumExpectedNum").toInt(), 3);
    QCOMPARE(storage.calls.total(), before.total());

    // Ten clients race for e4 with one event each: one wins, nine lose, one storage append.
    std::vector<std::unique_ptr<WsTestClient>> racers;
    for (int i = 0; i < 10; ++i) {
        racers.push_back(std::make_unique<WsTestClient>());
        QVERIFY(racers.back()->open(url));
    }
    for (const auto &racer : racers)
        racer->request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, "[" + eventJson(4) + "]"));
    int won = 0;
    for (const auto &racer : racers) {
        const auto exit = racer->exitOf(u"1"_s);
        QVERIFY(exit);
        if (exitTag(*exit) == u"Success")
            ++won;
        else
            QCOMPARE(failureError(*exit).value(u"_tag").toString(), u"ServerAheadError"_s);
    }
    QCOMPARE(won, 1);
    QCOMPARE(storage.calls.append, before.append + 1);

    // Beyond the head: the storage decides (with a shared database it could be the real head);
    // here it refuses, with the same answer.
    pusher.request(u"4"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(10, 1)));
    const auto future = pusher.exitOf(u"4"_s);
    QCOMPARE(failureError(*future).value(u"_tag").toString(), u"ServerAheadError"_s);
    QCOMPARE(failureError(*future).value(u"minimumExpectedNum").toInt(), 4);
    QCOMPARE(storage.calls.append, before.append + 2);

    // On the head: stored and published as ever.
    pusher.request(u"5"_s, u"SyncWsRpc.Push"_s, pushPayload(u"race"_s, events(5, 2)));
    QCOMPARE(exitTag(*pusher.exitOf(u"5"_s)), u"Success"_s);
    QCOMPARE(storage.calls.append, before.append + 3);
    auto received = [&watcher] {
        QList<qint64> seqs;
        for (const QJsonObject &frame : watcher.all) {
            if (frame.value(u"_tag").toString() == u"Chunk")
                seqs += seqNumsOf(frame);
        }
        return seqs;
    };
    QTRY_COMPARE(received(), (QList<qint64>{1, 2, 3, 4, 5, 6}));
    QCOMPARE(storage.calls.append, before.append + 3);
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
    // An array with a bad frame after a push: refused whole, and the push did not run (its
    // answer would have been lost with the 400).
    const QByteArray mixed = post(R"([{"_tag":"Request","id":"4","tag":"SyncHttpRpc.Push","payload":)"
                                  + pushPayload(u"web"_s, events(3, 1)) + R"(,"headers":[]},{"_tag":"Bogus"}])");
    QVERIFY2(mixed.startsWith("HTTP/1.1 400"), mixed.constData());
    QVERIFY(mixed.contains("unknown frame _tag"));
    const QByteArray after = post(R"({"_tag":"Request","id":"5","tag":"SyncHttpRpc.Pull","payload":{"storeId":"web","cursor":{"_tag":"None"}},"headers":[]})");
    const QJsonArray afterFrames = QJsonDocument::fromJson(after.mid(after.indexOf("\r\n\r\n") + 4)).array();
    QCOMPARE(seqNumsOf(afterFrames.at(0).toObject()), (QList<qint64>{1, 2}));
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

void tst_SyncServer::storeIdLimits()
{
    Fixture f;
    QVERIFY(f.start());
    LogCapture log;
    const QByteArray upgrade = " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    WsTestClient longest;
    QVERIFY(longest.open(f.url(QString(256, u'a'))));
    QVERIFY(longest.ping());
    // Longer ids are refused before anything else sees them, also the ones that made the
    // WebSocket handshake drop without a status.
    for (const int length : {257, 9000}) {
        const QByteArray response = httpExchange(
                f.port(), "GET /?storeId=" + QByteArray(length, 'a') + "&transport=ws" + upgrade + "\r\n");
        QVERIFY2(response.startsWith("HTTP/1.1 400"), response.left(200).constData());
        QVERIFY2(response.endsWith("Invalid storeId: at most 256 characters"), response.constData());
    }
    // Lines Qt's WebSocket handshake would drop without a word get a status (and a log line).
    const QByteArray hugePayload = "&payload=" + urlPayload(R"({"x":")" + QByteArray(9000, 'x') + R"("})");
    const QByteArray longLine = httpExchange(f.port(), "GET /?storeId=s" + hugePayload + "&transport=ws" + upgrade + "\r\n");
    QVERIFY2(longLine.startsWith("HTTP/1.1 414"), longLine.left(200).constData());
    const QByteArray longHeader = httpExchange(
            f.port(), "GET /?storeId=s&transport=ws" + upgrade + "X-Big: " + QByteArray(9000, 'h') + "\r\n\r\n");
    QVERIFY2(longHeader.startsWith("HTTP/1.1 431"), longHeader.left(200).constData());
    const QString text = log.text();
    QVERIFY2(text.contains(u"status=414"_s) && text.contains(u"status=431"_s), qPrintable(text));
    // Ids are cut in the log.
    QVERIFY2(!text.contains(QString(65, u'a')), qPrintable(text.left(2000)));
    QVERIFY2(text.contains(u"(9000 chars)"_s), qPrintable(text.left(2000)));
}

void tst_SyncServer::pullsCreateNoStores()
{
    QTemporaryDir dir;
    QString neverId;
    {
        Fixture f;
        QVERIFY(f.start({}, {}, dir.path()));
        WsTestClient c;
        QVERIFY(c.open(f.url(u"ghost"_s)));
        c.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"ghost"_s, false));
        const auto page = c.chunkOf(u"1"_s);
        QVERIFY(page);
        const QString backendId = firstPage(*page).value(u"backendId").toString();
        QCOMPARE(backendId.size(), 21);
        QCOMPARE(exitTag(*c.exitOf(u"1"_s)), u"Success"_s);
        c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"ghost"_s, true));
        QCOMPARE(firstPage(*c.chunkOf(u"2"_s)).value(u"backendId").toString(), backendId);
        const QByteArray pullBody =
                R"({"_tag":"Request","id":"1","tag":"SyncHttpRpc.Pull","payload":{"storeId":"ghost-http","cursor":{"_tag":"None"}},"headers":[]})";
        const QByteArray httpPull = httpExchange(
                f.port(), "POST /?storeId=ghost-http&transport=http HTTP/1.1\r\nHost: x\r\nContent-Length: "
                        + QByteArray::number(pullBody.size()) + "\r\n\r\n" + pullBody);
        QVERIFY2(httpPull.contains("NoMore"), httpPull.constData());
        // Pulls, WebSocket and HTTP, leave nothing behind.
        QCOMPARE(storeRows(f.dir, u"ghost"_s), 0);
        QCOMPARE(storeRows(f.dir, u"ghost-http"_s), 0);

        // The first push creates the store, with the id the pulls handed out.
        c.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"ghost"_s, events(1, 2), backendId));
        QCOMPARE(exitTag(*c.exitOf(u"3"_s)), u"Success"_s);
        const auto echo = c.chunkOf(u"2"_s);
        QVERIFY(echo);
        QCOMPARE(seqNumsOf(*echo), (QList<qint64>{1, 2}));
        QCOMPARE(firstPage(*echo).value(u"backendId").toString(), backendId);
        QCOMPARE(storeRows(f.dir, u"ghost"_s), 1);

        // A client with events of a store that does not exist (its data was deleted) is told to
        // reset, and its push creates nothing.
        WsTestClient d;
        QVERIFY(d.open(f.url(u"gone"_s)));
        d.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"gone"_s, false));
        const QString goneId = firstPage(*d.chunkOf(u"1"_s)).value(u"backendId").toString();
        d.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"gone"_s, true, 5, goneId));
        QCOMPARE(failureError(*d.exitOf(u"2"_s)).value(u"_tag").toString(), u"BackendIdMismatchError"_s);
        d.request(u"3"_s, u"SyncWsRpc.Push"_s, pushPayload(u"gone"_s, events(6, 1), goneId));
        const QJsonObject ahead = failureError(*d.exitOf(u"3"_s));
        QCOMPARE(ahead.value(u"_tag").toString(), u"ServerAheadError"_s);
        QCOMPARE(ahead.value(u"minimumExpectedNum").toInt(), 0);
        QCOMPARE(storeRows(f.dir, u"gone"_s), 0);

        d.request(u"4"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"never"_s, false));
        QCOMPARE(causeTag(*d.exitOf(u"4"_s)), u"Die"_s); // another store than the URL's
        WsTestClient e;
        QVERIFY(e.open(f.url(u"never"_s)));
        e.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"never"_s, false));
        neverId = firstPage(*e.chunkOf(u"1"_s)).value(u"backendId").toString();
        f.stop();
    }
    // A restart hands out the same id for a store that still does not exist: a client that
    // pulled before pushes with it afterwards.
    Fixture f;
    QVERIFY(f.start({}, {}, dir.path()));
    WsTestClient c;
    QVERIFY(c.open(f.url(u"never"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"never"_s, events(1, 1), neverId));
    QCOMPARE(exitTag(*c.exitOf(u"1"_s)), u"Success"_s);
    QCOMPARE(storeRows(f.dir, u"never"_s), 1);
}

void tst_SyncServer::connectionLimits()
{
    Fixture f;
    SyncServerOptions options;
    options.maxConnections = 6;
    options.maxConnectionsPerIp = 3;
    QVERIFY(f.start(options));
    std::vector<std::unique_ptr<WsTestClient>> local;
    for (int i = 0; i < 3; ++i) {
        local.push_back(std::make_unique<WsTestClient>());
        QVERIFY(local.back()->open(f.url(u"lim"_s)));
    }
    // A fourth from the same address.
    WsTestClient fourth;
    QVERIFY(!fourth.open(f.url(u"lim"_s), 2000));
    const QByteArray perIp = httpExchange(f.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(perIp.startsWith("HTTP/1.1 429"), perIp.constData());
    // Other addresses have their own share, up to the server's limit.
    const QHostAddress second(u"127.0.0.2"_s);
    std::vector<std::unique_ptr<StalledWsClient>> remote;
    for (int i = 0; i < 3; ++i) {
        remote.push_back(std::make_unique<StalledWsClient>());
        QVERIFY(remote.back()->open(f.port(), u"lim"_s, second));
    }
    QCOMPARE(f.server->tcpConnectionCount(), 6);
    const QByteArray full = httpExchange(f.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5000,
                                         QHostAddress(u"127.0.0.3"_s));
    QVERIFY2(full.startsWith("HTTP/1.1 503"), full.constData());
    QVERIFY(full.endsWith("Too many connections"));
    // A connection that goes makes room.
    local.front()->socket.close();
    QTRY_COMPARE_WITH_TIMEOUT(f.server->tcpConnectionCount(), 5, 5000);
    // A handshake Qt's WebSocket server would drop without a word (no key) is answered, and does
    // not keep its place either.
    const QByteArray badHandshake = httpExchange(
            f.port(), "GET /?storeId=lim&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
            5000, QHostAddress(u"127.0.0.4"_s));
    QVERIFY2(badHandshake.startsWith("HTTP/1.1 400"), badHandshake.constData());
    QTRY_COMPARE_WITH_TIMEOUT(f.server->tcpConnectionCount(), 5, 5000);
    WsTestClient again;
    QVERIFY(again.open(f.url(u"lim"_s)));
    QVERIFY(again.ping());
}

void tst_SyncServer::serverWidePullLimit()
{
    Fixture f;
    SyncServerOptions options;
    options.maxPulls = 3;
    QVERIFY(f.start(options));
    WsTestClient a, b;
    QVERIFY(a.open(f.url(u"p"_s)));
    QVERIFY(b.open(f.url(u"p"_s)));
    a.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"p"_s, true));
    a.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"p"_s, true));
    b.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"p"_s, true));
    QVERIFY(a.chunkOf(u"0"_s));
    QVERIFY(a.chunkOf(u"1"_s));
    QVERIFY(b.chunkOf(u"0"_s));
    QCOMPARE(f.server->pullCount(), 3);
    b.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"p"_s, true));
    const QJsonObject refused = failureError(*b.exitOf(u"1"_s));
    QCOMPARE(refused.value(u"cause").toObject().value(u"name").toString(), u"TooManyPulls"_s);
    QVERIFY(refused.value(u"cause").toObject().value(u"message").toString().contains(u"maximum of 3"_s));
    // A pull that ends makes room, and so does a connection that goes.
    a.send(R"({"_tag":"Interrupt","requestId":"0"})");
    QVERIFY(a.exitOf(u"0"_s));
    QTRY_COMPARE_WITH_TIMEOUT(f.server->pullCount(), 2, 5000);
    b.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"p"_s, true));
    QVERIFY(b.chunkOf(u"2"_s));
    a.socket.close();
    QTRY_COMPARE_WITH_TIMEOUT(f.server->pullCount(), 2, 5000);
    b.request(u"3"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"p"_s, false));
    QCOMPARE(exitTag(*b.exitOf(u"3"_s)), u"Success"_s);
}

void tst_SyncServer::stalledClientsHoldLittle()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient pusher;
    QVERIFY(pusher.open(f.url(u"big"_s)));
    constexpr int Events = 5000;
    for (int first = 1; first <= Events; first += 100) {
        const QString id = QString::number(first);
        pusher.request(id, u"SyncWsRpc.Push"_s, pushPayload(u"big"_s, bulkyEvents(first, 100, 1000)));
        QCOMPARE(exitTag(*pusher.exitOf(id)), u"Success"_s);
    }
    // Clients that start every pull they may (64 each) and read nothing: each pull's first
    // catch-up page would be about 900 KB, some 57 MB per client, all held by the server.
    constexpr int Stalled = 4;
    std::vector<std::unique_ptr<StalledWsClient>> stalled;
    for (int i = 0; i < Stalled; ++i) {
        stalled.push_back(std::make_unique<StalledWsClient>());
        QVERIFY(stalled.back()->open(f.port(), u"big"_s));
        for (int p = 0; p < 64; ++p)
            stalled.back()->request(QString::number(p), u"SyncWsRpc.Pull"_s, pullPayload(u"big"_s, true));
    }
    QTRY_COMPARE_WITH_TIMEOUT(f.server->pullCount(), Stalled * 64, 10000);
    QTest::qWait(500);
    // Catch-up pages wait while a client has 1 MiB unread: about two pages each.
    const qint64 held = f.server->bufferedBytes();
    QVERIFY2(held <= Stalled * 3 * (1 << 20), qPrintable(QString::number(held)));

    // Everyone else is served as usual.
    WsTestClient reader;
    QVERIFY(reader.open(f.url(u"big"_s)));
    reader.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"big"_s, false));
    QVERIFY(reader.exitOf(u"1"_s, 20000));
    qint64 next = 1;
    for (const QJsonObject &frame : std::as_const(reader.all)) {
        if (frame.value(u"_tag").toString() == u"Chunk") {
            for (const qint64 seq : seqNumsOf(frame))
                QCOMPARE(seq, next++);
        }
    }
    QCOMPARE(next, Events + 1);
    QVERIFY(httpExchange(f.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 200"));
}

void tst_SyncServer::bufferBudgetCutsOffNonReaders()
{
    Fixture f;
    SyncServerOptions options;
    options.maxBufferedBytes = 8 << 20;
    QVERIFY(f.start(options));
    WsTestClient reader, pusher;
    QVERIFY(reader.open(f.url(u"flood"_s)));
    QVERIFY(pusher.open(f.url(u"flood"_s)));
    reader.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"flood"_s, true));
    QVERIFY(reader.chunkOf(u"0"_s));
    std::vector<std::unique_ptr<StalledWsClient>> stalled;
    for (int i = 0; i < 3; ++i) {
        stalled.push_back(std::make_unique<StalledWsClient>());
        QVERIFY(stalled.back()->open(f.port(), u"flood"_s));
        stalled.back()->request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"flood"_s, true));
    }
    QTRY_COMPARE_WITH_TIMEOUT(f.server->pullCount(), 4, 5000);
    // Live updates do not wait for anyone: 27 MB of them, every client's share alone under the
    // per-connection limit (16 MiB), together far over the server's 8 MiB.
    constexpr int Batches = 30;
    qint64 received = 0;
    auto count = [&] {
        while (const auto chunk = reader.chunkOf(u"0"_s, 0))
            received += seqNumsOf(*chunk).size();
        return received;
    };
    for (int i = 0; i < Batches; ++i) {
        const QString id = QString::number(100 + i);
        pusher.request(id, u"SyncWsRpc.Push"_s, pushPayload(u"flood"_s, bulkyEvents(1 + i * 100, 100, 9000)));
        QCOMPARE(exitTag(*pusher.exitOf(id, 10000)), u"Success"_s);
        QVERIFY(f.server->bufferedBytes() <= options.maxBufferedBytes);
        QTRY_COMPARE_WITH_TIMEOUT(count(), qint64(100) * (i + 1), 10000);
    }
    // The ones that did not read were cut off; the reader got everything and stays.
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 2, 10000);
    QVERIFY(!reader.disconnected);
    QVERIFY(reader.ping());
}

// WebSocket pings are answered with pongs by Qt itself, outside the server's own sends: a peer
// that pings without reading is held to the same limit of unread output.
void tst_SyncServer::pingFloodIsCutOff()
{
    Fixture f;
    SyncServerOptions options;
    options.maxPendingBytesPerConnection = 1 << 20;
    QVERIFY(f.start(options));
    StalledWsClient flooder;
    QVERIFY(flooder.open(f.port(), u"pings"_s));
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, 5000);
    QByteArray ping;
    ping += char(0x89);       // FIN, ping
    ping += char(0x80 | 125); // masked, 125 bytes: the largest control frame
    ping += QByteArray(4, '\0');
    ping += QByteArray(125, 'p');
    const QByteArray burst = ping.repeated(1000); // 131 kB of pings, as many pongs
    qint64 sent = 0;
    while (f.server->connectionCount() > 0 && sent < (256 << 20)) {
        flooder.socket.write(burst);
        sent += burst.size();
        QTest::qWait(1);
    }
    // Cut off once about a MiB of pongs waited (beyond what the kernel buffers), not after
    // the 256 MB this would send.
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 0, 5000);
    QVERIFY2(sent < (64 << 20), qPrintable(QString::number(sent)));
}

// A close (here the idle timeout's) waits for the output queued before it; a peer that reads
// none of it would hold the connection forever. It is aborted after a deadline.
void tst_SyncServer::closeOfNonReaderIsAborted()
{
    Fixture f;
    SyncServerOptions options;
    options.idleTimeoutMs = 1000;
    QVERIFY(f.start(options));
    StalledWsClient stalled;
    QVERIFY(stalled.open(f.port(), u"silent"_s));
    stalled.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"silent"_s, true));
    QTRY_COMPARE_WITH_TIMEOUT(f.server->pullCount(), 1, 5000);
    {
        // 12 MB of live updates for a peer that reads nothing: more than the kernel buffers,
        // less than the limit that would cut it off.
        WsTestClient pusher;
        QVERIFY(pusher.open(f.url(u"silent"_s)));
        for (int i = 0; i < 13; ++i) {
            const QString id = QString::number(100 + i);
            pusher.request(id, u"SyncWsRpc.Push"_s, pushPayload(u"silent"_s, bulkyEvents(1 + i * 100, 100, 9000)));
            QCOMPARE(exitTag(*pusher.exitOf(id, 10000)), u"Success"_s);
        }
    }
    QVERIFY(f.server->bufferedBytes() > 0);
    // The idle timeout (1 s), then the close's deadline (3 s).
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 0, 15000);
    QCOMPARE(f.server->bufferedBytes(), 0);
}

// A live pull that must send what it missed from the storage (here: pushed while its catch-up
// waited for an Ack) sends it as the client reads, not all at once: 27 MB of it neither trip
// the per-connection limit nor are held in memory whole.
void tst_SyncServer::liveGapIsPaced()
{
    Fixture f;
    QVERIFY(f.start());
    WsTestClient pusher;
    QVERIFY(pusher.open(f.url(u"gap"_s)));
    pusher.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"gap"_s, events(1, 100)));
    QCOMPARE(exitTag(*pusher.exitOf(u"1"_s)), u"Success"_s);
    pusher.request(u"2"_s, u"SyncWsRpc.Push"_s, pushPayload(u"gap"_s, events(101, 50)));
    QCOMPARE(exitTag(*pusher.exitOf(u"2"_s)), u"Success"_s);
    WsTestClient reader;
    reader.autoAck = false;
    QVERIFY(reader.open(f.url(u"gap"_s)));
    reader.request(u"0"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"gap"_s, true));
    const auto first = reader.chunkOf(u"0"_s);
    QVERIFY(first);
    QCOMPARE(seqNumsOf(*first).size(), 100);
    constexpr int Batches = 30;
    for (int i = 0; i < Batches; ++i) {
        const QString id = QString::number(100 + i);
        pusher.request(id, u"SyncWsRpc.Push"_s, pushPayload(u"gap"_s, bulkyEvents(151 + i * 100, 100, 9000)));
        QCOMPARE(exitTag(*pusher.exitOf(id, 10000)), u"Success"_s);
    }
    reader.autoAck = true;
    reader.send(R"({"_tag":"Ack","requestId":"0"})");
    qint64 next = 101;
    const qint64 last = 150 + Batches * 100;
    QVERIFY(QTest::qWaitFor([&] {
        while (const auto chunk = reader.chunkOf(u"0"_s, 0)) {
            for (const qint64 seq : seqNumsOf(*chunk)) {
                if (seq != next)
                    return true; // out of order: the comparison below says so
                ++next;
            }
        }
        return next > last || reader.disconnected;
    }, 60000));
    QCOMPARE(next, last + 1);
    QVERIFY(!reader.disconnected);
    QVERIFY(reader.ping());
}

// Limits with which nothing could work are refused when the server starts.
void tst_SyncServer::unusableLimitsRefused()
{
    Fixture f;
    SyncServerOptions options;
    options.maxBufferedBytes = 500'000;
    QVERIFY(!f.start(options));
    QVERIFY2(f.server->errorString().contains(u"--max-buffered-bytes"_s), qPrintable(f.server->errorString()));
    Fixture g;
    options = {};
    options.maxMessageBytes = 100;
    QVERIFY(!g.start(options));
    QVERIFY2(g.server->errorString().contains(u"--max-frame-bytes"_s), qPrintable(g.server->errorString()));
    Fixture h;
    options = {};
    options.maxBufferedBytes = 0; // no limit
    options.maxPullsPerConnection = 0;
    options.maxPendingBytesPerConnection = 0;
    QVERIFY(h.start(options));
    WsTestClient c;
    QVERIFY(c.open(h.url(u"nolimits"_s)));
    for (int i = 0; i < 70; ++i) // more than the default 64 pulls of one connection
        c.request(QString::number(i), u"SyncWsRpc.Pull"_s, pullPayload(u"nolimits"_s, true));
    QTRY_COMPARE_WITH_TIMEOUT(h.server->pullCount(), 70, 10000);
    QVERIFY(c.ping());
}

// Handshakes QWebSocketServer would close without a word get an HTTP answer that says why.
void tst_SyncServer::handshakesQtWouldDropAreAnswered()
{
    Fixture f;
    QVERIFY(f.start());
    const QByteArray rest = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const QByteArray noConnection = httpExchange(
            f.port(), "GET /?storeId=h&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: close\r\n" + rest);
    QVERIFY2(noConnection.startsWith("HTTP/1.1 400"), noConnection.constData());
    QVERIFY(noConnection.contains("Connection header must name Upgrade"));
    const QByteArray post = httpExchange(
            f.port(), "POST /?storeId=h&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\n" + rest);
    QVERIFY2(post.startsWith("HTTP/1.1 400"), post.constData());
    QVERIFY(post.contains("must be a GET request"));
    const QByteArray noHost = httpExchange(
            f.port(), "GET /?storeId=h&transport=ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                      "Connection: keep-alive, Upgrade\r\n" + rest);
    QVERIFY2(noHost.startsWith("HTTP/1.1 400"), noHost.constData());
    QVERIFY(noHost.contains("Host header"));
    // A list that names Upgrade among others is a handshake.
    const QByteArray listed = httpExchange(
            f.port(), "GET /?storeId=h&transport=ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: keep-alive, Upgrade\r\n" + rest, 1000);
    QVERIFY2(listed.startsWith("HTTP/1.1 101"), listed.constData());
}

// A restore that went back in time: a client whose cursor is beyond the store's head is refused,
// not served the new events above its cursor without those below (a forked history).
void tst_SyncServer::cursorAheadOfTheStoreRefused()
{
    QTemporaryDir dir;
    QString backendId;
    {
        Fixture f;
        QVERIFY(f.start({}, {}, dir.path()));
        WsTestClient c;
        QVERIFY(c.open(f.url(u"restored"_s)));
        c.request(u"1"_s, u"SyncWsRpc.Push"_s, pushPayload(u"restored"_s, events(1, 10)));
        QCOMPARE(exitTag(*c.exitOf(u"1"_s)), u"Success"_s);
        c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"restored"_s, false));
        backendId = firstPage(*c.chunkOf(u"2"_s)).value(u"backendId").toString();
        f.stop();
    }
    // "Restore" the database as it was at event 5.
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(QString(dir.path() + u"/sync.db"_s).toUtf8().constData(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, "DELETE FROM events WHERE storeId = 'restored' AND seqNum > 5; "
                              "UPDATE stores SET head = 5 WHERE storeId = 'restored'",
                          nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    Fixture f;
    LogCapture log;
    QVERIFY(f.start({}, {}, dir.path()));
    WsTestClient c;
    QVERIFY(c.open(f.url(u"restored"_s)));
    c.request(u"1"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"restored"_s, true, 10, backendId));
    const auto exit = c.exitOf(u"1"_s);
    QVERIFY(exit);
    QCOMPARE(exitTag(*exit), u"Failure"_s);
    QCOMPARE(failureError(*exit).value(u"cause").toObject().value(u"name").toString(), u"CursorAheadOfStore"_s);
    QVERIFY(log.text().contains(u"cursor ahead of the store"_s));
    // A client within the restored history is served as usual.
    c.request(u"2"_s, u"SyncWsRpc.Pull"_s, pullPayload(u"restored"_s, false, 3, backendId));
    QCOMPARE(seqNumsOf(*c.chunkOf(u"2"_s)), (QList<qint64>{4, 5}));
}

// A server killed where every server has the same pid (a container's pid 1) left its sync.lock,
// naming a pid that is this process's: it is stale, as this process does not hold it.
void tst_SyncServer::lockOfAKilledServerWithOurPid()
{
    QTemporaryDir dir;
    {
        // A lock file as this very process writes one, left without its holder.
        QTemporaryDir other;
        QLockFile own(other.filePath(u"own.lock"_s));
        QVERIFY(own.tryLock(0));
        QFile content(other.filePath(u"own.lock"_s));
        QVERIFY(content.open(QIODevice::ReadOnly));
        QFile left(dir.filePath(u"sync.lock"_s));
        QVERIFY(left.open(QIODevice::WriteOnly));
        left.write(content.readAll());
    }
    SqliteSyncStorage storage;
    QVERIFY2(storage.open(dir.path()), qPrintable(storage.errorString()));
    // Held now: a second open in this process is refused as before.
    SqliteSyncStorage second;
    QVERIFY(!second.open(dir.path()));
    QVERIFY2(second.errorString().contains(u"in use by another process"_s), qPrintable(second.errorString()));
    storage.close();
    QVERIFY2(second.open(dir.path()), qPrintable(second.errorString()));
}

void tst_SyncServer::httpResponseLimits()
{
    Fixture f;
    SyncServerOptions options;
    options.maxHttpResponseBytes = 2 << 20;
    QVERIFY(f.start(options));
    WsTestClient pusher;
    QVERIFY(pusher.open(f.url(u"web"_s)));
    constexpr int Events = 3000;
    for (int first = 1; first <= Events; first += 100) {
        const QString id = QString::number(first);
        pusher.request(id, u"SyncWsRpc.Push"_s, pushPayload(u"web"_s, bulkyEvents(first, 100, 1000)));
        QCOMPARE(exitTag(*pusher.exitOf(id)), u"Success"_s);
    }
    auto post = [&](const QByteArray &body) {
        const QByteArray response = httpExchange(
                f.port(), "POST /?storeId=web&transport=http HTTP/1.1\r\nHost: x\r\nContent-Length: "
                        + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        return std::pair{response.left(response.indexOf("\r\n")), response.mid(response.indexOf("\r\n\r\n") + 4)};
    };
    auto pullFrame = [](const QString &id, qint64 cursor, const QString &backendId) -> QByteArray {
        const QByteArray c = cursor < 0 ? QByteArray(R"({"_tag":"None"})")
                                        : R"({"_tag":"Some","value":{"backendId":")" + backendId.toUtf8()
                                                  + R"(","eventSequenceNumber":)" + QByteArray::number(cursor) + "}}";
        return R"({"_tag":"Request","id":")" + id.toUtf8()
                + R"(","tag":"SyncHttpRpc.Pull","payload":{"storeId":"web","cursor":)" + c + R"(},"headers":[]})";
    };
    // The whole store does not come in one response: each stops near 2 MiB, says MoreKnown, and
    // the next pull (the client's next poll) goes on from its last event.
    qint64 cursor = -1; // None
    qint64 last = 0;
    QString backendId;
    int responses = 0;
    for (bool done = false; !done && responses < 10; ++responses) {
        const auto [status, body] = post(pullFrame(u"1"_s, cursor, backendId));
        QCOMPARE(status, QByteArray("HTTP/1.1 200 OK"));
        QVERIFY2(body.size() <= (2 << 20) + 100, qPrintable(QString::number(body.size())));
        const QJsonArray frames = QJsonDocument::fromJson(body).array();
        QVERIFY(frames.size() >= 2);
        QCOMPARE(frames.last().toObject().value(u"exit").toObject().value(u"_tag").toString(), u"Success"_s);
        for (qsizetype i = 0; i + 1 < frames.size(); ++i) {
            const QJsonObject page = firstPage(frames.at(i).toObject());
            backendId = page.value(u"backendId").toString();
            for (const qint64 seq : seqNumsOf(frames.at(i).toObject()))
                QCOMPARE(seq, ++last);
            done = page.value(u"pageInfo").toObject().value(u"_tag").toString() == u"NoMore";
        }
        cursor = last;
    }
    QCOMPARE(last, Events);
    QVERIFY2(responses >= 2, qPrintable(QString::number(responses)));

    // Many frames in one body: refused.
    QByteArray many = "[";
    for (int i = 0; i < 17; ++i)
        many += (i ? "," : "") + pullFrame(QString::number(i), -1, {});
    const auto [manyStatus, manyBody] = post(many + ']');
    QCOMPARE(manyStatus, QByteArray("HTTP/1.1 400 Bad Request"));
    QVERIFY2(manyBody.contains("at most 16 frames"), manyBody.constData());
    // Two big pulls in one body: the second has no room left and says so.
    const auto [twoStatus, twoBody] = post('[' + pullFrame(u"1"_s, -1, {}) + ',' + pullFrame(u"2"_s, -1, {}) + ']');
    QCOMPARE(twoStatus, QByteArray("HTTP/1.1 200 OK"));
    const QJsonArray two = QJsonDocument::fromJson(twoBody).array();
    QCOMPARE(two.last().toObject().value(u"requestId").toString(), u"2"_s);
    QCOMPARE(failureError(two.last().toObject()).value(u"cause").toObject().value(u"name").toString(),
             u"ResponseTooLarge"_s);
}

void tst_SyncServer::httpBodiesCountAgainstBudget()
{
    Fixture f;
    SyncServerOptions options;
    options.maxBufferedBytes = 3 << 20;
    QVERIFY(f.start(options));
    // Bodies announced and never finished: each is a reservation of its whole length.
    const QByteArray head = "POST /?storeId=b&transport=http HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
    std::vector<std::unique_ptr<QTcpSocket>> slow;
    for (int i = 0; i < 3; ++i) {
        slow.push_back(std::make_unique<QTcpSocket>());
        slow.back()->connectToHost(QHostAddress::LocalHost, f.port());
        QVERIFY(slow.back()->waitForConnected(5000));
        slow.back()->write(head + QByteArray(1000, '{'));
        slow.back()->flush();
    }
    QTRY_VERIFY_WITH_TIMEOUT(f.server->bufferedBytes() >= 3'000'000, 5000);
    const QByteArray refused = httpExchange(f.port(), head + "[", 3000);
    QVERIFY2(refused.startsWith("HTTP/1.1 503"), refused.constData());
    // Once they are gone, bodies fit again.
    slow.clear();
    QTRY_COMPARE_WITH_TIMEOUT(f.server->bufferedBytes(), 0, 5000);
    const QByteArray ping = R"({"_tag":"Request","id":"1","tag":"SyncHttpRpc.Ping","payload":{"storeId":"b"},"headers":[]})";
    const QByteArray ok = httpExchange(f.port(), "POST /?storeId=b&transport=http HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                                 + QByteArray::number(ping.size()) + "\r\n\r\n" + ping);
    QVERIFY2(ok.startsWith("HTTP/1.1 200"), ok.constData());
}

QTEST_GUILESS_MAIN(tst_SyncServer)
#include "tst_syncserver.moc"
