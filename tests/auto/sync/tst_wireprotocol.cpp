// SPDX-License-Identifier: BSD-3-Clause
// The sync wire codec against the frames captured from the real LiveStore 0.4.0 client and server
// (/work/shared/reference/sync-protocol.md §2.6): what we parse from real clients, and byte-exact
// equality of what we encode with what the real server sent.

#include <schema.h>
#include <sync/wireprotocol.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// --- client → server, captured ---
constexpr auto PingFrame = R"({"_tag":"Ping"})";
constexpr auto PullFrame =
        R"({"_tag":"Request","id":"0","tag":"SyncWsRpc.Pull","traceId":"livestore-noop-trace-idcmww9p68l001u7g7d8a619mse","payload":{"storeId":"demo_2-x","payload":{"authToken":"a b&c=d/é"},"live":true,"cursor":{"_tag":"None"}},"spanId":"livestore-noop-span-idcmww9p68l001v7g7d3da45n7e","sampled":false,"headers":[]})";
constexpr auto ReconnectPullFrame =
        R"({"_tag":"Request","id":"2","tag":"SyncWsRpc.Pull","traceId":"…","payload":{"storeId":"recon1","live":true,"cursor":{"_tag":"Some","value":{"backendId":"D0BvnyShgLZeI2Vky6mrT","eventSequenceNumber":2}}},"spanId":"…","sampled":false,"headers":[]})";
constexpr auto PushFrame =
        R"({"_tag":"Request","id":"1","tag":"SyncWsRpc.Push","payload":{"storeId":"demo1","batch":[{"name":"v1.TodoCreated","args":{"id":"A-0-1795619744095","text":"todo 0 from A"},"seqNum":1,"parentSeqNum":0,"clientId":"client-A","sessionId":"session-A"},{"name":"v1.TodoCreated","args":{"id":"A-1-1795619744139","text":"todo 1 from A"},"seqNum":2,"parentSeqNum":1,"clientId":"client-A","sessionId":"session-A"}],"backendId":{"_tag":"None"}},"traceId":"…","spanId":"…","sampled":false,"headers":[]})";
constexpr auto RebasedPushFrame =
        R"({"_tag":"Request","id":"2","tag":"SyncWsRpc.Push","payload":{"storeId":"demo1","batch":[{"name":"v1.TodoCreated","args":{"id":"B-0-1795619746435","text":"todo 0 from B"},"seqNum":3,"parentSeqNum":2,"clientId":"client-B","sessionId":"session-B"},{"name":"v1.TodoCreated","args":{"id":"B-1-1795619746489","text":"todo 1 from B"},"seqNum":4,"parentSeqNum":3,"clientId":"client-B","sessionId":"session-B"}],"backendId":{"_tag":"Some","value":"7zly-ABjuShNzZaTQn3tw"}},"traceId":"…","spanId":"…","sampled":false,"headers":[]})";
constexpr auto AckFrame = R"({"_tag":"Ack","requestId":"0"})";
constexpr auto InterruptFrame = R"({"_tag":"Interrupt","requestId":"1"})";

// --- server → client, captured ---
constexpr auto PongFrame = R"({"_tag":"Pong"})";
constexpr auto EmptyChunkFrame =
        R"({"_tag":"Chunk","requestId":"0","values":[{"batch":[],"pageInfo":{"_tag":"NoMore"},"backendId":"7zly-ABjuShNzZaTQn3tw"}]})";
constexpr auto TwoEventChunkFrame =
        R"({"_tag":"Chunk","requestId":"0","values":[{"batch":[{"eventEncoded":{"name":"v1.TodoCreated","args":{"id":"A-0-1795619744095","text":"todo 0 from A"},"seqNum":1,"parentSeqNum":0,"clientId":"client-A","sessionId":"session-A"},"metadata":{"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":"2026-11-25T15:15:44.888Z"}}},{"eventEncoded":{"name":"v1.TodoCreated","args":{"id":"A-1-1795619744139","text":"todo 1 from A"},"seqNum":2,"parentSeqNum":1,"clientId":"client-A","sessionId":"session-A"},"metadata":{"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":"2026-11-25T15:15:44.888Z"}}}],"pageInfo":{"_tag":"NoMore"},"backendId":"7zly-ABjuShNzZaTQn3tw"}]})";
constexpr auto PushAckExitFrame = R"({"_tag":"Exit","requestId":"1","exit":{"_tag":"Success","value":{}}})";
constexpr auto StreamEndExitFrame = R"({"_tag":"Exit","requestId":"5","exit":{"_tag":"Success"}})";
constexpr auto ServerAheadExitFrame =
        R"({"_tag":"Exit","requestId":"2","exit":{"_tag":"Failure","cause":{"_tag":"Fail","error":{"minimumExpectedNum":2,"providedNum":0,"_tag":"ServerAheadError"}}}})";
constexpr auto BackendIdMismatchExitFrame =
        R"({"_tag":"Exit","requestId":"3","exit":{"_tag":"Failure","cause":{"_tag":"Fail","error":{"expected":"MS2AN-d04kF7edh7l6wHN","received":"nope","_tag":"BackendIdMismatchError"}}}})";
// (An ordinary literal: moc's lexer stumbles over backslashes inside raw strings.)
constexpr auto DieExitFrame =
        "{\"_tag\":\"Exit\",\"requestId\":\"5\",\"exit\":{\"_tag\":\"Failure\",\"cause\":{\"_tag\":\"Die\","
        "\"defect\":\"{ readonly storeId: string; … }\\n└─ [\\\"batch\\\"]\\n   └─ is missing\"}}}";
constexpr auto InterruptExitFrame =
        R"({"_tag":"Exit","requestId":"0","exit":{"_tag":"Failure","cause":{"_tag":"Sequential","left":{"_tag":"Empty"},"right":{"_tag":"Interrupt","fiberId":{"_tag":"Runtime","id":-499,"startTimeMillis":0}}}}})";
constexpr auto DefectFrame = R"({"_tag":"Defect","defect":"Unknown request tag: SyncWsRpc.Nope"})";
// Not captured on the wire, but what Schema.encode produces for UnknownError.
constexpr auto UnknownErrorExitFrame =
        R"({"_tag":"Exit","requestId":"9","exit":{"_tag":"Failure","cause":{"_tag":"Fail","error":{"cause":{"name":"Error","message":"db down"},"_tag":"UnknownError"}}}})";

QByteArray bytes(const char *literal)
{
    return QByteArray(literal);
}

Wire::Event todoEvent(qint64 seq, const QByteArray &args = {})
{
    Wire::Event e;
    e.name = u"v1.TodoCreated"_s;
    e.argsJson = args.isNull() ? R"({"id":"id-)" + QByteArray::number(seq) + R"(","text":"event )"
                    + QByteArray::number(seq) + R"("})"
                               : args;
    e.seqNum = seq;
    e.parentSeqNum = seq - 1;
    e.clientId = u"c"_s;
    e.sessionId = u"s"_s;
    return e;
}

Wire::Request requestFrom(const char *frame)
{
    QString error;
    const auto parsed = Wire::parseClientFrame(bytes(frame), &error);
    if (!parsed || parsed->type != Wire::ClientFrame::Type::Request)
        qFatal("not a request frame: %s", qPrintable(error));
    return parsed->request;
}

} // namespace

class tst_WireProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsePingAckInterrupt();
    void parseLivePullFromRealClient();
    void parseReconnectPull();
    void parsePushFromRealClient();
    void parseRebasedPush();
    void encodeMatchesRealServer();
    void parseServerFramesFromRealServer();
    void brokenClientFrames_data();
    void brokenClientFrames();
    void brokenPushPayloads_data();
    void brokenPushPayloads();
    void brokenPullPayloads_data();
    void brokenPullPayloads();
    void argsKeptVerbatim();
    void optionHelpers();
    void requestIds();
    void requestRoundTrip();
    void pullResponseRoundTrip();
    void pagingByCount();
    void pagingByBytes();
    void pagingLiveAndEmpty();
    void syncErrors();
    void eventRecordConversion();
};

void tst_WireProtocol::parsePingAckInterrupt()
{
    QString error;
    auto ping = Wire::parseClientFrame(bytes(PingFrame), &error);
    QVERIFY2(ping, qPrintable(error));
    QCOMPARE(ping->type, Wire::ClientFrame::Type::Ping);

    auto ack = Wire::parseClientFrame(bytes(AckFrame), &error);
    QVERIFY2(ack, qPrintable(error));
    QCOMPARE(ack->type, Wire::ClientFrame::Type::Ack);
    QCOMPARE(ack->requestId, u"0"_s);

    auto interrupt = Wire::parseClientFrame(bytes(InterruptFrame), &error);
    QVERIFY2(interrupt, qPrintable(error));
    QCOMPARE(interrupt->type, Wire::ClientFrame::Type::Interrupt);
    QCOMPARE(interrupt->requestId, u"1"_s);

    QCOMPARE(Wire::encodePing(), bytes(PingFrame));
    QCOMPARE(Wire::encodeAck(u"0"), bytes(AckFrame));
    QCOMPARE(Wire::encodeInterrupt(u"1"), bytes(InterruptFrame));
}

void tst_WireProtocol::parseLivePullFromRealClient()
{
    const Wire::Request r = requestFrom(PullFrame);
    QCOMPARE(r.id, u"0"_s);
    QCOMPARE(r.tag, u"SyncWsRpc.Pull"_s);
    QCOMPARE(r.traceId, u"livestore-noop-trace-idcmww9p68l001u7g7d8a619mse"_s);
    QCOMPARE(r.spanId, u"livestore-noop-span-idcmww9p68l001v7g7d3da45n7e"_s);
    QCOMPARE(r.sampled, std::optional<bool>(false));
    QVERIFY(r.headers.isEmpty());

    QString error;
    const auto pull = Wire::decodePullRequest(r, &error);
    QVERIFY2(pull, qPrintable(error));
    QCOMPARE(pull->storeId, u"demo_2-x"_s);
    QVERIFY(pull->live);
    QVERIFY(!pull->cursor);
    QCOMPARE(pull->payload.toObject().value(u"authToken"_s).toString(), u"a b&c=d/é"_s);
}

void tst_WireProtocol::parseReconnectPull()
{
    QString error;
    const auto pull = Wire::decodePullRequest(requestFrom(ReconnectPullFrame), &error);
    QVERIFY2(pull, qPrintable(error));
    QCOMPARE(pull->storeId, u"recon1"_s);
    QVERIFY(pull->payload.isUndefined());
    QVERIFY(pull->cursor);
    QCOMPARE(pull->cursor->backendId, u"D0BvnyShgLZeI2Vky6mrT"_s);
    QCOMPARE(pull->cursor->eventSequenceNumber, 2);
}

void tst_WireProtocol::parsePushFromRealClient()
{
    QString error;
    const auto push = Wire::decodePushRequest(requestFrom(PushFrame), &error);
    QVERIFY2(push, qPrintable(error));
    QCOMPARE(push->storeId, u"demo1"_s);
    QVERIFY(!push->backendId);
    QCOMPARE(push->batch.size(), 2);
    const Wire::Event &e = push->batch.at(0);
    QCOMPARE(e.name, u"v1.TodoCreated"_s);
    QCOMPARE(e.argsJson, bytes(R"({"id":"A-0-1795619744095","text":"todo 0 from A"})"));
    QCOMPARE(e.seqNum, 1);
    QCOMPARE(e.parentSeqNum, 0);
    QCOMPARE(e.clientId, u"client-A"_s);
    QCOMPARE(e.sessionId, u"session-A"_s);
    QCOMPARE(push->batch.at(1).seqNum, 2);
    QCOMPARE(push->batch.at(1).parentSeqNum, 1);
    QCOMPARE(e.args().toObject().value(u"text"_s).toString(), u"todo 0 from A"_s);

    // The event re-encodes to exactly the text the client sent.
    QVERIFY(bytes(PushFrame).contains(Wire::encodeEvent(e)));
    QVERIFY(bytes(PushFrame).contains(Wire::encodeEvent(push->batch.at(1))));
}

void tst_WireProtocol::parseRebasedPush()
{
    QString error;
    const auto push = Wire::decodePushRequest(requestFrom(RebasedPushFrame), &error);
    QVERIFY2(push, qPrintable(error));
    QCOMPARE(push->backendId, std::optional<QString>(u"7zly-ABjuShNzZaTQn3tw"_s));
    QCOMPARE(push->batch.size(), 2);
    QCOMPARE(push->batch.at(0).seqNum, 3);
    QCOMPARE(push->batch.at(0).parentSeqNum, 2);
    QCOMPARE(push->batch.at(0).clientId, u"client-B"_s);
}

void tst_WireProtocol::encodeMatchesRealServer()
{
    const QString backendId = u"7zly-ABjuShNzZaTQn3tw"_s;
    QCOMPARE(Wire::encodePong(), bytes(PongFrame));

    Wire::PullResponse empty;
    empty.backendId = backendId;
    QCOMPARE(Wire::encodeChunk(u"0", {Wire::encodePullResponse(empty)}), bytes(EmptyChunkFrame));

    QString error;
    const auto push = Wire::decodePushRequest(requestFrom(PushFrame), &error);
    QVERIFY2(push, qPrintable(error));
    Wire::PullResponse page;
    page.backendId = backendId;
    for (const Wire::Event &e : push->batch)
        page.batch.append({e, Wire::SyncMetadata{u"2026-11-25T15:15:44.888Z"_s}});
    QCOMPARE(Wire::encodeChunk(u"0", {Wire::encodePullResponse(page)}), bytes(TwoEventChunkFrame));

    QCOMPARE(Wire::encodeExitSuccess(u"1", Wire::encodePushAck()), bytes(PushAckExitFrame));
    QCOMPARE(Wire::encodeExitSuccess(u"5"), bytes(StreamEndExitFrame));
    QCOMPARE(Wire::encodeExitFailure(u"2", Wire::Cause::fail(Wire::ServerAheadError{2, 0})),
             bytes(ServerAheadExitFrame));
    QCOMPARE(Wire::encodeExitFailure(
                     u"3", Wire::Cause::fail(Wire::BackendIdMismatchError{
                                   u"MS2AN-d04kF7edh7l6wHN"_s, u"nope"_s})),
             bytes(BackendIdMismatchExitFrame));
    QCOMPARE(Wire::encodeExitFailure(
                     u"5", Wire::Cause::die(u"{ readonly storeId: string; … }\n└─ [\"batch\"]\n   └─ is missing"_s)),
             bytes(DieExitFrame));
    QCOMPARE(Wire::encodeDefect(u"Unknown request tag: SyncWsRpc.Nope"_s), bytes(DefectFrame));
    QCOMPARE(Wire::encodeExitFailure(u"9", Wire::Cause::fail(Wire::UnknownError{u"Error"_s, u"db down"_s, {}})),
             bytes(UnknownErrorExitFrame));

    Wire::Cause interrupted;
    interrupted.kind = Wire::Cause::Kind::Sequential;
    interrupted.children = {Wire::Cause{}, Wire::Cause::interrupt()};
    QCOMPARE(Wire::encodeExitFailure(u"0", interrupted), bytes(InterruptExitFrame));
}

void tst_WireProtocol::parseServerFramesFromRealServer()
{
    QString error;
    auto pong = Wire::parseServerFrame(bytes(PongFrame), &error);
    QVERIFY2(pong, qPrintable(error));
    QCOMPARE(pong->type, Wire::ServerFrame::Type::Pong);

    auto chunk = Wire::parseServerFrame(bytes(TwoEventChunkFrame), &error);
    QVERIFY2(chunk, qPrintable(error));
    QCOMPARE(chunk->type, Wire::ServerFrame::Type::Chunk);
    QCOMPARE(chunk->requestId, u"0"_s);
    QCOMPARE(chunk->valuesJson.size(), 1);
    auto page = Wire::decodePullResponse(chunk->valuesJson.at(0), &error);
    QVERIFY2(page, qPrintable(error));
    QCOMPARE(page->backendId, u"7zly-ABjuShNzZaTQn3tw"_s);
    QCOMPARE(page->pageInfo, Wire::PageInfo::noMore());
    QCOMPARE(page->batch.size(), 2);
    QCOMPARE(page->batch.at(1).event.argsJson,
             bytes(R"({"id":"A-1-1795619744139","text":"todo 1 from A"})"));
    QCOMPARE(page->batch.at(1).metadata->createdAt, u"2026-11-25T15:15:44.888Z"_s);
    // The items as parsed with the frame decode to the same page without parsing them again,
    // and their args to the same record.
    QCOMPARE(chunk->values.size(), 1);
    auto parsedPage = Wire::decodePullResponse(chunk->valuesJson.at(0), chunk->values.at(0).toObject(), &error);
    QVERIFY2(parsedPage, qPrintable(error));
    QCOMPARE(parsedPage->batch, page->batch);
    const QJsonValue parsedArgs = chunk->values.at(0).toObject().value(u"batch"_s).toArray().at(1)
                                          .toObject().value(u"eventEncoded"_s).toObject().value(u"args"_s);
    QCOMPARE(page->batch.at(1).event.toRecord(parsedArgs).args, page->batch.at(1).event.toRecord().args);

    auto ack = Wire::parseServerFrame(bytes(PushAckExitFrame), &error);
    QVERIFY2(ack, qPrintable(error));
    QCOMPARE(ack->type, Wire::ServerFrame::Type::Exit);
    QVERIFY(ack->exit.success);
    QCOMPARE(ack->exit.valueJson, bytes("{}"));

    auto end = Wire::parseServerFrame(bytes(StreamEndExitFrame), &error);
    QVERIFY2(end, qPrintable(error));
    QVERIFY(end->exit.success);
    QVERIFY(end->exit.valueJson.isNull());

    auto ahead = Wire::parseServerFrame(bytes(ServerAheadExitFrame), &error);
    QVERIFY2(ahead, qPrintable(error));
    QVERIFY(!ahead->exit.success);
    const auto aheadError = ahead->exit.cause.failure();
    QVERIFY(aheadError);
    QCOMPARE(std::get<Wire::ServerAheadError>(*aheadError), (Wire::ServerAheadError{2, 0}));

    auto mismatch = Wire::parseServerFrame(bytes(BackendIdMismatchExitFrame), &error);
    QVERIFY2(mismatch, qPrintable(error));
    const auto mismatchError = mismatch->exit.cause.failure();
    QVERIFY(mismatchError);
    QCOMPARE(std::get<Wire::BackendIdMismatchError>(*mismatchError).received, u"nope"_s);

    auto die = Wire::parseServerFrame(bytes(DieExitFrame), &error);
    QVERIFY2(die, qPrintable(error));
    QCOMPARE(die->exit.cause.kind, Wire::Cause::Kind::Die);
    QVERIFY(die->exit.cause.defect.toString().contains(u"is missing"_s));

    auto interrupt = Wire::parseServerFrame(bytes(InterruptExitFrame), &error);
    QVERIFY2(interrupt, qPrintable(error));
    QVERIFY(interrupt->exit.cause.isInterrupted());
    QVERIFY(!interrupt->exit.cause.failure());

    auto defect = Wire::parseServerFrame(bytes(DefectFrame), &error);
    QVERIFY2(defect, qPrintable(error));
    QCOMPARE(defect->type, Wire::ServerFrame::Type::Defect);
    QCOMPARE(defect->defect.toString(), u"Unknown request tag: SyncWsRpc.Nope"_s);

    auto unknown = Wire::parseServerFrame(bytes(UnknownErrorExitFrame), &error);
    QVERIFY2(unknown, qPrintable(error));
    const auto unknownError = unknown->exit.cause.failure();
    QVERIFY(unknownError);
    QCOMPARE(std::get<Wire::UnknownError>(*unknownError).message, u"db down"_s);
}

void tst_WireProtocol::brokenClientFrames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not json") << bytes(R"({"_tag":"Ping")") << u"not valid JSON"_s;
    QTest::newRow("garbage") << bytes("hello") << u"not valid JSON"_s;
    QTest::newRow("empty") << QByteArray() << u"not valid JSON"_s;
    QTest::newRow("array") << bytes(R"([{"_tag":"Ping"}])") << u"not a JSON object"_s;
    QTest::newRow("no tag") << bytes(R"({"id":"1"})") << u"no \"_tag\""_s;
    QTest::newRow("tag not string") << bytes(R"({"_tag":1})") << u"must be a string"_s;
    QTest::newRow("unknown tag") << bytes(R"({"_tag":"Hello"})") << u"unknown frame _tag \"Hello\""_s;
    QTest::newRow("id non-numeric")
            << bytes(R"({"_tag":"Request","id":"abc","tag":"SyncWsRpc.Pull","payload":{},"headers":[]})")
            << u"\"abc\" is not a decimal integer"_s;
    QTest::newRow("id negative")
            << bytes(R"({"_tag":"Request","id":"-1","tag":"SyncWsRpc.Pull","payload":{},"headers":[]})")
            << u"is not a decimal integer"_s;
    QTest::newRow("id number")
            << bytes(R"({"_tag":"Request","id":1,"tag":"SyncWsRpc.Pull","payload":{},"headers":[]})")
            << u"must be a string of a decimal integer"_s;
    QTest::newRow("id missing")
            << bytes(R"({"_tag":"Request","tag":"SyncWsRpc.Pull","payload":{},"headers":[]})")
            << u"Request frame has no \"id\""_s;
    QTest::newRow("rpc tag missing")
            << bytes(R"({"_tag":"Request","id":"1","payload":{},"headers":[]})")
            << u"Request.tag must be a non-empty string"_s;
    QTest::newRow("headers malformed")
            << bytes(R"({"_tag":"Request","id":"1","tag":"X","payload":{},"headers":[["a"]]})")
            << u"Request.headers"_s;
    QTest::newRow("ack without id") << bytes(R"({"_tag":"Ack"})") << u"Ack frame has no \"requestId\""_s;
    QTest::newRow("interrupt bad id") << bytes(R"({"_tag":"Interrupt","requestId":"x1"})")
                                      << u"is not a decimal integer"_s;
}

void tst_WireProtocol::brokenClientFrames()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, expected);
    QString error;
    QVERIFY(!Wire::parseClientFrame(frame, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void tst_WireProtocol::brokenPushPayloads_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("expected");
    const QByteArray ev = R"({"name":"a","args":{},"seqNum":1,"parentSeqNum":0,"clientId":"c","sessionId":"s"})";
    QTest::newRow("not object") << bytes("[]") << u"expected an object"_s;
    QTest::newRow("batch missing") << bytes(R"({"storeId":"s","backendId":{"_tag":"None"}})")
                                   << u"\"batch\" is missing"_s;
    QTest::newRow("batch not array")
            << bytes(R"({"storeId":"s","batch":{},"backendId":{"_tag":"None"}})") << u"must be an array"_s;
    QTest::newRow("storeId missing") << (R"({"batch":[)" + ev + R"(],"backendId":{"_tag":"None"}})")
                                     << u"\"storeId\" is missing"_s;
    QTest::newRow("backendId missing") << (R"({"storeId":"s","batch":[)" + ev + "]}")
                                       << u"\"backendId\" is missing"_s;
    QTest::newRow("backendId not option")
            << (R"({"storeId":"s","batch":[)" + ev + R"(],"backendId":"abc"})") << u"expected an Option"_s;
    QTest::newRow("event not object") << bytes(R"({"storeId":"s","batch":[1],"backendId":{"_tag":"None"}})")
                                      << u"batch[0] must be an event object"_s;
    QTest::newRow("seqNum fraction")
            << bytes(R"({"storeId":"s","batch":[{"name":"a","seqNum":1.5,"parentSeqNum":0,"clientId":"c","sessionId":"s"}],"backendId":{"_tag":"None"}})")
            << u"batch[0].seqNum must be an integer, got 1.5"_s;
    QTest::newRow("seqNum string")
            << bytes(R"({"storeId":"s","batch":[{"name":"a","seqNum":"1","parentSeqNum":0,"clientId":"c","sessionId":"s"}],"backendId":{"_tag":"None"}})")
            << u"batch[0].seqNum must be an integer"_s;
    QTest::newRow("negative")
            << bytes(R"({"storeId":"s","batch":[{"name":"a","seqNum":1,"parentSeqNum":-1,"clientId":"c","sessionId":"s"}],"backendId":{"_tag":"None"}})")
            << u"must not be negative"_s;
    QTest::newRow("clientId missing")
            << bytes(R"({"storeId":"s","batch":[{"name":"a","seqNum":1,"parentSeqNum":0,"sessionId":"s"}],"backendId":{"_tag":"None"}})")
            << u"batch[0].clientId is missing"_s;
    QTest::newRow("name empty")
            << bytes(R"({"storeId":"s","batch":[{"name":"","seqNum":1,"parentSeqNum":0,"clientId":"c","sessionId":"s"}],"backendId":{"_tag":"None"}})")
            << u"batch[0].name must not be empty"_s;
}

void tst_WireProtocol::brokenPushPayloads()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, expected);
    const QByteArray frame = R"({"_tag":"Request","id":"7","tag":"SyncWsRpc.Push","payload":)" + payload
            + R"(,"headers":[]})";
    QString error;
    const auto parsed = Wire::parseClientFrame(frame, &error);
    QVERIFY2(parsed, qPrintable(error));
    QVERIFY(!Wire::decodePushRequest(parsed->request, &error));
    QVERIFY2(error.startsWith(u"invalid SyncWsRpc.Push payload: "_s), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void tst_WireProtocol::brokenPullPayloads_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("expected");
    QTest::newRow("null") << bytes("null") << u"expected an object"_s;
    QTest::newRow("cursor missing") << bytes(R"({"storeId":"s","live":true})") << u"\"cursor\" is missing"_s;
    QTest::newRow("live not bool") << bytes(R"({"storeId":"s","live":1,"cursor":{"_tag":"None"}})")
                                   << u"\"live\" must be a boolean"_s;
    QTest::newRow("cursor bad") << bytes(R"({"storeId":"s","live":true,"cursor":{"_tag":"Some","value":{"backendId":"x"}}})")
                                << u"cursor.eventSequenceNumber is missing"_s;
    QTest::newRow("cursor none-ish") << bytes(R"({"storeId":"s","live":true,"cursor":null})")
                                     << u"expected an Option"_s;
}

void tst_WireProtocol::brokenPullPayloads()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, expected);
    const QByteArray frame = R"({"_tag":"Request","id":"7","tag":"SyncWsRpc.Pull","payload":)" + payload
            + R"(,"headers":[]})";
    QString error;
    const auto parsed = Wire::parseClientFrame(frame, &error);
    QVERIFY2(parsed, qPrintable(error));
    QVERIFY(!Wire::decodePullRequest(parsed->request, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void tst_WireProtocol::argsKeptVerbatim()
{
    // Key order, number spelling, escapes and inner whitespace all survive, as do an escaped
    // "args" key, an explicit null and a missing args.
    const QByteArray odd = "{\"z\":1, \"a\":[1.50,2e3,-0],\"s\":\"\\u00e9\\\"x\"}";
    const QByteArray frame =
            R"({"_tag":"Request","id":"3","tag":"SyncWsRpc.Push","payload":{"storeId":"s","batch":[)"
            R"({"name":"a","args":)" + odd + R"(,"seqNum":1,"parentSeqNum":0,"clientId":"c","sessionId":"s"},)"
            "{\"name\":\"b\",\"\\u0061rgs\":\"x\",\"seqNum\":2,\"parentSeqNum\":1,\"clientId\":\"c\",\"sessionId\":\"s\"},"
            R"({"name":"c","args":null,"seqNum":3,"parentSeqNum":2,"clientId":"c","sessionId":"s"},)"
            R"({"name":"d","seqNum":4,"parentSeqNum":3,"clientId":"c","sessionId":"s"}],)"
            R"("backendId":{"_tag":"None"}},"headers":[]})";
    QString error;
    const auto parsed = Wire::parseClientFrame(frame, &error);
    QVERIFY2(parsed, qPrintable(error));
    const auto push = Wire::decodePushRequest(parsed->request, &error);
    QVERIFY2(push, qPrintable(error));
    QCOMPARE(push->batch.size(), 4);
    QCOMPARE(push->batch.at(0).argsJson, odd);
    QCOMPARE(push->batch.at(1).argsJson, bytes(R"("x")"));
    QCOMPARE(push->batch.at(2).argsJson, bytes("null"));
    QVERIFY(push->batch.at(2).hasArgs());
    QVERIFY(push->batch.at(2).args().isNull());
    QVERIFY(!push->batch.at(3).hasArgs());
    QVERIFY(push->batch.at(3).args().isUndefined());

    QCOMPARE(Wire::encodeEvent(push->batch.at(0)),
             R"({"name":"a","args":)" + odd + R"(,"seqNum":1,"parentSeqNum":0,"clientId":"c","sessionId":"s"})");
    QCOMPARE(Wire::encodeEvent(push->batch.at(3)),
             bytes(R"({"name":"d","seqNum":4,"parentSeqNum":3,"clientId":"c","sessionId":"s"})"));

    // Strings with characters JSON must escape come out as valid JSON.
    Wire::Event e = todoEvent(1);
    e.clientId = u"quote\" backslash\\ newline\n é"_s;
    const QByteArray encoded = Wire::encodeEvent(e);
    const auto back = Wire::decodeEvent(encoded, &error);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(*back, e);
}

void tst_WireProtocol::optionHelpers()
{
    QCOMPARE(Wire::encodeNone(), bytes(R"({"_tag":"None"})"));
    QCOMPARE(Wire::encodeSome("42"), bytes(R"({"_tag":"Some","value":42})"));
    std::optional<QJsonValue> value;
    QString error;
    QVERIFY(Wire::decodeOption(QJsonDocument::fromJson(R"({"_tag":"Some","value":"x"})").object(),
                               &value, &error));
    QCOMPARE(value, std::optional<QJsonValue>(u"x"_s));
    QVERIFY(Wire::decodeOption(QJsonDocument::fromJson(R"({"_tag":"None"})").object(), &value, &error));
    QVERIFY(!value);
    QVERIFY(!Wire::decodeOption(QJsonDocument::fromJson(R"({"_tag":"Some"})").object(), &value, &error));
    QVERIFY(!Wire::decodeOption(QJsonValue(u"None"_s), &value, &error));
    QVERIFY(error.contains(u"expected an Option"_s));
}

void tst_WireProtocol::requestIds()
{
    QVERIFY(Wire::isValidRequestId(u"0"));
    QVERIFY(Wire::isValidRequestId(u"18446744073709551616"));
    QVERIFY(!Wire::isValidRequestId(u""));
    QVERIFY(!Wire::isValidRequestId(u"1.5"));
    QVERIFY(!Wire::isValidRequestId(u" 1"));
    QVERIFY(!Wire::isValidRequestId(QString(41, u'1')));
    // BigInt semantics: "007" is request 7.
    QString error;
    const auto frame = Wire::parseClientFrame(R"({"_tag":"Ack","requestId":"007"})", &error);
    QVERIFY2(frame, qPrintable(error));
    QCOMPARE(frame->requestId, u"7"_s);
    const auto zero = Wire::parseClientFrame(R"({"_tag":"Ack","requestId":"000"})", &error);
    QCOMPARE(zero->requestId, u"0"_s);

    // Acks and Pings in their usual spelling are read without a JSON parse; other spellings of
    // the same frame give the same result, and the usual spelling of a bad id fails as before.
    const auto spaced = Wire::parseClientFrame(R"({ "requestId" : "007", "_tag" : "Ack" })", &error);
    QVERIFY2(spaced, qPrintable(error));
    QCOMPARE(spaced->type, Wire::ClientFrame::Type::Ack);
    QCOMPARE(spaced->requestId, frame->requestId);
    const auto spacedPing = Wire::parseClientFrame(R"({ "_tag": "Ping" })", &error);
    QVERIFY2(spacedPing, qPrintable(error));
    QCOMPARE(spacedPing->type, Wire::ClientFrame::Type::Ping);
    for (const QByteArray &bad : {QByteArray(R"({"_tag":"Ack","requestId":""})"),
                                  QByteArray(R"({"_tag":"Ack","requestId":"1a"})"),
                                  QByteArray(R"({"_tag":"Ack","requestId":"-1"})"),
                                  QByteArray(QByteArray(R"({"_tag":"Ack","requestId":")") + QByteArray(41, '1') + "\"}"),
                                  QByteArray(R"({"_tag":"Ack","requestId":"1"}})"),
                                  QByteArray(R"({"_tag":"Ack","requestId":"1","x":"2"})")}) {
        if (bad.endsWith(R"("x":"2"})")) {
            // Valid JSON with a member more: an Ack all the same, through the general parse.
            const auto extra = Wire::parseClientFrame(bad, &error);
            QVERIFY2(extra, qPrintable(error));
            QCOMPARE(extra->requestId, u"1"_s);
            continue;
        }
        error.clear();
        QVERIFY2(!Wire::parseClientFrame(bad, &error), bad.constData());
        QVERIFY(!error.isEmpty());
    }
}

void tst_WireProtocol::requestRoundTrip()
{
    Wire::PushRequest push;
    push.storeId = u"demo1"_s;
    push.batch = {todoEvent(1), todoEvent(2)};
    push.backendId = u"abc"_s;
    push.payload = QJsonObject{{u"authToken"_s, u"t"_s}};
    Wire::Request r;
    r.id = u"12"_s;
    r.tag = Wire::WsPushTag.toString();
    r.payloadJson = Wire::encodePushRequestPayload(push);
    const QByteArray frame = Wire::encodeRequest(r);
    QVERIFY(frame.startsWith(R"({"_tag":"Request","id":"12","tag":"SyncWsRpc.Push","payload":{"storeId":"demo1","payload":{"authToken":"t"},"batch":[)"));
    QVERIFY(frame.endsWith(R"("backendId":{"_tag":"Some","value":"abc"}},"headers":[]})"));

    QString error;
    const auto parsed = Wire::parseClientFrame(frame, &error);
    QVERIFY2(parsed, qPrintable(error));
    const auto back = Wire::decodePushRequest(parsed->request, &error);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(back->batch, push.batch);
    QCOMPARE(back->backendId, push.backendId);
    QCOMPARE(back->payload, push.payload);

    Wire::PullRequest pull;
    pull.storeId = u"demo1"_s;
    pull.live = true;
    pull.cursor = Wire::PullCursor{u"abc"_s, 250};
    r.tag = Wire::WsPullTag.toString();
    r.payloadJson = Wire::encodePullRequestPayload(pull);
    QCOMPARE(r.payloadJson,
             bytes(R"({"storeId":"demo1","live":true,"cursor":{"_tag":"Some","value":{"backendId":"abc","eventSequenceNumber":250}}})"));
    const auto parsedPull = Wire::parseClientFrame(Wire::encodeRequest(r), &error);
    QVERIFY2(parsedPull, qPrintable(error));
    const auto backPull = Wire::decodePullRequest(parsedPull->request, &error);
    QVERIFY2(backPull, qPrintable(error));
    QCOMPARE(backPull->cursor->eventSequenceNumber, 250);
    QVERIFY(backPull->live);
}

void tst_WireProtocol::pullResponseRoundTrip()
{
    Wire::PullResponse r;
    r.backendId = u"b"_s;
    r.pageInfo = Wire::PageInfo::moreKnown(150);
    r.batch.append({todoEvent(1), Wire::SyncMetadata{u"2026-01-01T00:00:00.000Z"_s}});
    r.batch.append({todoEvent(2, "[1, 2]"), std::nullopt});
    QString error;
    const auto back = Wire::decodePullResponse(Wire::encodePullResponse(r), &error);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(back->backendId, r.backendId);
    QCOMPARE(back->pageInfo, r.pageInfo);
    QCOMPARE(back->batch, r.batch);
}

void tst_WireProtocol::pagingByCount()
{
    QList<Wire::PulledEvent> events;
    for (int i = 1; i <= 250; ++i)
        events.append({todoEvent(i), Wire::SyncMetadata{u"t"_s}});
    const QList<QByteArray> pages = Wire::encodePullResponsePages(events, u"bid"_s, 0);
    QCOMPARE(pages.size(), 3);
    QString error;
    const QList<std::pair<int, Wire::PageInfo>> expected = {
            {100, Wire::PageInfo::moreKnown(150)},
            {100, Wire::PageInfo::moreKnown(50)},
            {50, Wire::PageInfo::noMore()}};
    qint64 next = 1;
    for (qsizetype i = 0; i < pages.size(); ++i) {
        const auto page = Wire::decodePullResponse(pages.at(i), &error);
        QVERIFY2(page, qPrintable(error));
        QCOMPARE(page->batch.size(), expected.at(i).first);
        QCOMPARE(page->pageInfo, expected.at(i).second);
        for (const auto &e : page->batch)
            QCOMPARE(e.event.seqNum, next++);
    }
    // More to come after these events: the last page counts them too.
    const QList<QByteArray> partial = Wire::encodePullResponsePages(events.mid(0, 100), u"bid"_s, 150);
    QCOMPARE(partial.size(), 1);
    QCOMPARE(Wire::decodePullResponse(partial.at(0), &error)->pageInfo, Wire::PageInfo::moreKnown(150));
}

void tst_WireProtocol::pagingByBytes()
{
    // 120 KB events (LiveStore's own large-batch test): 7 fit under 900 000 bytes, 8 do not.
    const QByteArray big = '"' + QByteArray(120'000, 'x') + '"';
    QList<Wire::PulledEvent> events;
    for (int i = 1; i <= 60; ++i)
        events.append({todoEvent(i, big), Wire::SyncMetadata{u"2026-11-25T15:15:44.888Z"_s}});
    const QList<QByteArray> pages = Wire::encodePullResponsePages(events, u"7zly-ABjuShNzZaTQn3tw"_s, 0);
    QCOMPARE(pages.size(), 9); // 8 × 7 + 4
    qsizetype total = 0;
    QString error;
    for (const QByteArray &p : pages) {
        QVERIFY2(p.size() <= Wire::MaxMessageBytes, QByteArray::number(p.size()).constData());
        const auto page = Wire::decodePullResponse(p, &error);
        QVERIFY2(page, qPrintable(error));
        total += page->batch.size();
        QVERIFY(page->batch.size() == 7 || page->batch.size() == 4);
    }
    QCOMPARE(total, 60);

    // A single item over the limit still goes out, alone.
    const QByteArray huge = '"' + QByteArray(950'000, 'y') + '"';
    const QList<QByteArray> items = {Wire::encodePulledEvent({todoEvent(1), {}}),
                                     Wire::encodePulledEvent({todoEvent(2, huge), {}}),
                                     Wire::encodePulledEvent({todoEvent(3), {}})};
    QCOMPARE(Wire::splitPages(items, 21), (QList<qsizetype>{1, 1, 1}));
    QCOMPARE(Wire::splitPages(items.mid(0, 1) + items.mid(2), 21), (QList<qsizetype>{2}));
    QCOMPARE(Wire::splitPages({}, 21), QList<qsizetype>());
}

void tst_WireProtocol::pagingLiveAndEmpty()
{
    QList<Wire::PulledEvent> events;
    for (int i = 1; i <= 150; ++i)
        events.append({todoEvent(i), Wire::SyncMetadata{u"t"_s}});
    QString error;
    const QList<QByteArray> live = Wire::encodePullResponsePages(events, u"b"_s, std::nullopt);
    QCOMPARE(live.size(), 2);
    for (const QByteArray &p : live)
        QCOMPARE(Wire::decodePullResponse(p, &error)->pageInfo, Wire::PageInfo::noMore());

    const QList<QByteArray> empty = Wire::encodePullResponsePages({}, u"b"_s, 0);
    QCOMPARE(empty, QList<QByteArray>{bytes(R"({"batch":[],"pageInfo":{"_tag":"NoMore"},"backendId":"b"})")});
}

void tst_WireProtocol::syncErrors()
{
    const QList<Wire::SyncError> errors = {
            Wire::ServerAheadError{5, 3}, Wire::BackendIdMismatchError{u"a"_s, u"b"_s},
            Wire::UnknownError{u"PushRejected"_s, u"no \"way\""_s, u"a note"_s}};
    for (const Wire::SyncError &e : errors) {
        QString error;
        const QJsonObject o = QJsonDocument::fromJson(Wire::encodeSyncError(e)).object();
        const auto back = Wire::decodeSyncError(o, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(*back, e);
        QVERIFY(!Wire::describeSyncError(e).isEmpty());
    }
    // UnknownError whose cause is a plain string (Effect encodes some defects so).
    const auto stringCause = Wire::decodeSyncError(
            QJsonDocument::fromJson(R"({"_tag":"UnknownError","cause":"boom"})").object());
    QCOMPARE(std::get<Wire::UnknownError>(*stringCause).message, u"boom"_s);
    QString error;
    QVERIFY(!Wire::decodeSyncError(QJsonDocument::fromJson(R"({"_tag":"Nope"})").object(), &error));
    QVERIFY(error.contains(u"Nope"_s));
}

void tst_WireProtocol::eventRecordConversion()
{
    EventRecord r;
    r.name = u"v1.TodoCreated"_s;
    r.seqNum = {7, 0, 1};
    r.parentSeqNum = {6, 0, 1};
    r.args = {{u"id"_s, u"x"_s}};
    r.argsJson = R"({"id":"x"})";
    r.clientId = u"c"_s;
    r.sessionId = u"s"_s;
    const Wire::Event e = Wire::Event::fromRecord(r);
    QCOMPARE(e.seqNum, 7);
    QCOMPARE(e.parentSeqNum, 6);
    QCOMPARE(e.argsJson, r.argsJson);
    const EventRecord back = e.toRecord();
    QCOMPARE(back.seqNum, (SequenceNumber{7, 0, 0}));
    QCOMPARE(back.args, r.args);
    QCOMPARE(back.clientId, r.clientId);
}

QTEST_GUILESS_MAIN(tst_WireProtocol)
#include "tst_wireprotocol.moc"
