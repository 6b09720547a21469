// SPDX-License-Identifier: BSD-3-Clause
// The server's one-pass reader for push frames (Wire::readPushFrame) against the general path
// (parseClientFrame + decodePushRequest, on QJsonDocument): for every frame, either the reader
// declines or both give the same request and push. The frames are the usual spellings, which the
// reader must take, and variants of them (escapes, unicode, every byte in a string, nested args,
// numbers of every form, whitespace, reordered and unknown keys, truncations, random mutations).

#include "onepassreadercheck.h"

#include <sync/pushframereader_p.h>
#include <sync/wireprotocol.h>

#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// As LiveStore 0.4.0's client sends it (captured), and as our client writes it.
constexpr auto RealClientPush =
        R"({"_tag":"Request","id":"1","tag":"SyncWsRpc.Push","payload":{"storeId":"demo1","batch":[{"name":"v1.TodoCreated","args":{"id":"A-0-1795619744095","text":"todo 0 from A"},"seqNum":1,"parentSeqNum":0,"clientId":"client-A","sessionId":"session-A"},{"name":"v1.TodoCreated","args":{"id":"A-1-1795619744139","text":"todo 1 from A"},"seqNum":2,"parentSeqNum":1,"clientId":"client-A","sessionId":"session-A"}],"backendId":{"_tag":"None"}},"traceId":"…","spanId":"…","sampled":false,"headers":[]})";

Wire::Event pushedEvent(qint64 seq, const QByteArray &args)
{
    Wire::Event e;
    e.name = u"v1.TodoCreated"_s;
    e.argsJson = args;
    e.seqNum = seq;
    e.parentSeqNum = seq - 1;
    e.clientId = u"client-A"_s;
    e.sessionId = u"session-A"_s;
    return e;
}

// A push frame as our client writes it.
QByteArray ourPush(const QList<Wire::Event> &batch, std::optional<QString> backendId = {},
                   const QString &id = u"7"_s)
{
    Wire::PushRequest push;
    push.storeId = u"store-1"_s;
    push.batch = batch;
    push.backendId = backendId;
    Wire::Request request;
    request.id = id;
    request.tag = Wire::WsPushTag.toString();
    request.payloadJson = Wire::encodePushRequestPayload(push);
    return Wire::encodeRequest(request);
}

// A push frame with one event whose `args` is the given text.
QByteArray pushWithArgs(const QByteArray &args)
{
    return ourPush({pushedEvent(1, args)});
}

// Why the reader's result differs from the general path's, or an empty string when it does not
// (also when the reader declines). `*taken` tells whether the reader took the frame.
QString difference(const QByteArray &frame, bool *taken = nullptr)
{
    const auto fast = Wire::readPushFrame(frame);
    if (taken)
        *taken = fast.has_value();
    if (!fast)
        return {};
    QString error;
    const auto parsed = Wire::parseClientFrame(frame, &error);
    if (!parsed)
        return u"the reader took a frame the general parse refuses (%1)"_s.arg(error);
    if (parsed->type != Wire::ClientFrame::Type::Request)
        return u"the reader took a frame that is not a request"_s;
    const Wire::Request &g = parsed->request;
    const Wire::Request &f = fast->request;
    if (g.tag != Wire::WsPushTag)
        return u"the reader took a request that is not a push: "_s + g.tag;
    const auto push = Wire::decodePushRequest(g, &error);
    if (!push)
        return u"the reader took a push the general decode refuses (%1)"_s.arg(error);
    if (f.id != g.id || f.tag != g.tag)
        return u"id or tag differ: %1 %2 / %3 %4"_s.arg(f.id, f.tag, g.id, g.tag);
    if (f.headers != g.headers || f.traceId != g.traceId || f.spanId != g.spanId
        || f.sampled != g.sampled)
        return u"headers, traceId, spanId or sampled differ"_s;
    if (f.payloadJson != g.payloadJson || f.payloadJson.isNull() != g.payloadJson.isNull())
        return u"payloadJson differs"_s;
    if (!f.payload.isUndefined())
        return u"the reader built the payload"_s;
    const Wire::PushRequest &p = fast->push;
    if (p.storeId != push->storeId || p.backendId != push->backendId)
        return u"storeId or backendId differ"_s;
    if (!p.payload.isUndefined() || !push->payload.isUndefined())
        return u"a sync payload"_s;
    if (p.batch.size() != push->batch.size())
        return u"batch sizes differ: %1 / %2"_s.arg(p.batch.size()).arg(push->batch.size());
    for (qsizetype i = 0; i < p.batch.size(); ++i) {
        const Wire::Event &a = p.batch.at(i);
        const Wire::Event &b = push->batch.at(i);
        if (a != b || a.hasArgs() != b.hasArgs() || a.argsJson != b.argsJson)
            return u"event %1 differs: %2 / %3"_s.arg(i).arg(
                    QString::fromUtf8(Wire::encodeEvent(a)), QString::fromUtf8(Wire::encodeEvent(b)));
    }
    return {};
}

// Checks one frame; returns whether the reader took it.
bool check(const QByteArray &frame)
{
    return OnePassReaderCheck::check(difference, frame);
}

using OnePassReaderCheck::replaced;

} // namespace

class tst_PushFrameReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void usualSpellingsAreTaken_data();
    void usualSpellingsAreTaken();
    void variantsAgree_data();
    void variantsAgree();
    void everyByteInStrings();
    void utf8Sequences();
    void numbers();
    void truncatedAndCut();
    void randomMutations();
};

void tst_PushFrameReader::usualSpellingsAreTaken_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::newRow("real client") << QByteArray(RealClientPush);
    QTest::newRow("real client, backendId Some")
            << replaced(RealClientPush, R"({"_tag":"None"})",
                        R"({"_tag":"Some","value":"7zly-ABjuShNzZaTQn3tw"})");
    QTest::newRow("real client, traceId first")
            << replaced(replaced(RealClientPush, R"("traceId":"…",)", ""),
                        R"("tag":"SyncWsRpc.Push",)", R"("tag":"SyncWsRpc.Push","traceId":"…",)");
    QTest::newRow("real client, headers")
            << replaced(RealClientPush, R"("headers":[])", R"("headers":[["a","b"],["c","d é"]])");
    QTest::newRow("ours, one event") << ourPush({pushedEvent(1, R"({"id":"x","text":"milk"})")});
    QTest::newRow("ours, no args") << ourPush({pushedEvent(1, QByteArray())});
    QTest::newRow("ours, empty batch") << ourPush({});
    QTest::newRow("ours, backendId") << ourPush({pushedEvent(5, "[]")}, u"backend"_s);
    QTest::newRow("ours, id with leading zeros") << ourPush({pushedEvent(1, "{}")}, {}, u"007"_s);
    QList<Wire::Event> hundred;
    for (int i = 1; i <= 100; ++i)
        hundred.append(pushedEvent(i, QByteArray(R"({"id":"t)" + QByteArray::number(i) + R"(","n":)"
                                                 + QByteArray::number(i * 1.5) + "}")));
    QTest::newRow("ours, 100 events") << ourPush(hundred);
    QTest::newRow("args: escapes")
            << pushWithArgs(R"({"t":"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00\ud800"})");
    QTest::newRow("args: unicode") << pushWithArgs(R"({"t":"é€😀 ünï"})");
    QTest::newRow("args: nested")
            << pushWithArgs(R"({"a":[1,[2,[3,{"b":{"c":[]}}]]],"d":{},"e":null,"f":true,"g":false})");
    QTest::newRow("args: whitespace inside")
            << pushWithArgs("{ \"a\" :\t[ 1 ,\n2 ] ,\r\"b\" : { } }");
    QTest::newRow("args: numbers")
            << pushWithArgs(R"([0,-0,1,-1,0.5,-0.25,1e21,1E+21,5e-24,1.5e-7,100000000000000000000,9007199254740993])");
    QTest::newRow("args: a string") << pushWithArgs(R"("just text")");
    QTest::newRow("args: null") << pushWithArgs("null");
    QTest::newRow("args: duplicate keys") << pushWithArgs(R"({"a":1,"a":2})");
    QTest::newRow("unicode names")
            << replaced(replaced(RealClientPush, R"("demo1")", R"("störe-€")"), R"("client-A")",
                        R"("client-😀")");
}

void tst_PushFrameReader::usualSpellingsAreTaken()
{
    QFETCH(QByteArray, frame);
    QVERIFY(Wire::readPushFrame(frame).has_value());
    QVERIFY(check(frame));
}

void tst_PushFrameReader::variantsAgree_data()
{
    QTest::addColumn<QByteArray>("frame");
    const QByteArray base = RealClientPush;
    const QByteArray ours = ourPush({pushedEvent(1, R"({"a":1})")});
    auto row = [](const char *name, const QByteArray &frame) { QTest::newRow(name) << frame; };
    // Strings the reader does not unescape: declined, then read the same by the general path.
    row("escape in name", replaced(base, R"("v1.TodoCreated")", R"("v1.Todo\u0043reated")"));
    row("escape in storeId", replaced(base, R"("demo1")", R"("demo\/1")"));
    row("escape in id", replaced(base, R"("id":"1")", R"("id":"\u0031")"));
    row("escape in tag", replaced(base, R"("SyncWsRpc.Push")", R"("SyncWsRpc\u002ePush")"));
    row("escape in traceId", replaced(base, R"("traceId":"…")", R"("traceId":"a\nb")"));
    row("escape in backendId", replaced(base, R"({"_tag":"None"})", R"({"_tag":"Some","value":"a\"b"})"));
    row("escape in header", replaced(base, R"("headers":[])", R"("headers":[["a\tb","c"]])"));
    // Whitespace outside args.
    row("space after the frame", base + " ");
    row("newline after the frame", base + "\n");
    row("space before the frame", " " + base);
    row("space after a colon", replaced(base, R"("storeId":)", R"("storeId": )"));
    row("space before args", replaced(ours, R"("args":{)", R"("args": {)"));
    row("space after args", replaced(ours, R"(},"seqNum")", R"(} ,"seqNum")"));
    row("space in the batch", replaced(base, R"("batch":[)", R"("batch":[ )"));
    // Key orders and keys.
    row("event keys reordered", replaced(base, R"("seqNum":1,"parentSeqNum":0)", R"("parentSeqNum":0,"seqNum":1)"));
    row("args last", replaced(ours, R"("args":{"a":1},)", "").replace("}]", R"(,"args":{"a":1}}])"));
    row("payload keys reordered", replaced(base, R"({"storeId":"demo1","batch")", R"({"batch")")
                                          .replace(R"(,"backendId":{"_tag":"None"}})",
                                                   R"(,"backendId":{"_tag":"None"},"storeId":"demo1"})"));
    row("tag before id", replaced(base, R"("id":"1","tag":"SyncWsRpc.Push")", R"("tag":"SyncWsRpc.Push","id":"1")"));
    row("_tag last", replaced(base, R"({"_tag":"Request",)", "{").replace(R"("headers":[]})", R"("headers":[],"_tag":"Request"})"));
    row("unknown key in event", replaced(base, R"("sessionId":"session-A"})", R"("sessionId":"session-A","x":1})"));
    row("unknown key in payload", replaced(base, R"({"_tag":"None"}})", R"({"_tag":"None"},"x":1})"));
    row("unknown key in frame", replaced(base, R"("headers":[]})", R"("headers":[],"x":1})"));
    row("sync payload", replaced(base, R"("demo1",)", R"("demo1","payload":{"authToken":"t"},)"));
    row("Some with more keys", replaced(base, R"({"_tag":"None"})", R"({"_tag":"Some","value":"b","x":1})"));
    row("None with value", replaced(base, R"({"_tag":"None"})", R"({"_tag":"None","value":"b"})"));
    row("duplicate payload", replaced(base, R"("headers":[]})", R"("headers":[],"payload":{}})"));
    row("duplicate traceId", replaced(base, R"("headers":[]})", R"("headers":[],"traceId":"x"})"));
    row("duplicate args", replaced(ours, R"("args":{"a":1},)", R"("args":{"a":1},"args":2,)"));
    row("no headers", replaced(base, R"(,"headers":[])", ""));
    row("only payload", replaced(base, R"(,"traceId":"…","spanId":"…","sampled":false,"headers":[])", ""));
    row("no payload", replaced(base, base.mid(base.indexOf(R"("payload")"), base.indexOf(R"("traceId")") - base.indexOf(R"("payload")")), ""));
    // Values the general path refuses, or reads differently.
    row("empty name", replaced(base, R"("v1.TodoCreated")", R"("")"));
    row("name a number", replaced(base, R"("v1.TodoCreated")", "5"));
    row("negative seqNum", replaced(base, R"("seqNum":1)", R"("seqNum":-1)"));
    row("seqNum 1.0", replaced(base, R"("seqNum":1)", R"("seqNum":1.0)"));
    row("seqNum 1e0", replaced(base, R"("seqNum":1)", R"("seqNum":1e0)"));
    row("seqNum 01", replaced(base, R"("seqNum":1)", R"("seqNum":01)"));
    row("seqNum too big", replaced(base, R"("seqNum":1)", R"("seqNum":9223372036854775808)"));
    row("seqNum largest", replaced(base, R"("seqNum":1)", R"("seqNum":9223372036854775807)"));
    row("seqNum 18 digits", replaced(base, R"("seqNum":1)", R"("seqNum":999999999999999999)"));
    row("seqNum a string", replaced(base, R"("seqNum":1)", R"("seqNum":"1")"));
    row("clientId null", replaced(base, R"("client-A")", "null"));
    row("id not decimal", replaced(base, R"("id":"1")", R"("id":"x1")"));
    row("id empty", replaced(base, R"("id":"1")", R"("id":"")"));
    row("id a number", replaced(base, R"("id":"1")", R"("id":1)"));
    row("id 41 digits", replaced(base, R"("id":"1")", "\"" + QByteArray(41, '1') + "\""));
    row("id 40 digits", replaced(base, R"("id":"1")", "\"" + QByteArray(40, '1') + "\""));
    row("id all zeros", replaced(base, R"("id":"1")", R"("id":"000")"));
    row("pull tag", replaced(base, "SyncWsRpc.Push", "SyncWsRpc.Pull"));
    row("http push tag", replaced(base, "SyncWsRpc.Push", "SyncHttpRpc.Push"));
    row("batch an object", replaced(base, R"("batch":[)", R"("batch":{"x":[)").replace("}],\"backendId", "}]},\"backendId"));
    row("event an array", replaced(base, R"("batch":[{)", R"("batch":[[],{)"));
    row("event null", replaced(base, R"("batch":[{)", R"("batch":[null,{)"));
    row("trailing comma in batch", replaced(base, R"(}],"backendId")", R"(},],"backendId")"));
    row("backendId a string", replaced(base, R"({"_tag":"None"})", R"("x")"));
    row("backendId Some number", replaced(base, R"({"_tag":"None"})", R"({"_tag":"Some","value":5})"));
    row("sampled a string", replaced(base, R"("sampled":false)", R"("sampled":"no")"));
    row("sampled true", replaced(base, R"("sampled":false)", R"("sampled":true)"));
    row("traceId a number", replaced(base, R"("traceId":"…")", R"("traceId":5)"));
    row("header of three", replaced(base, R"("headers":[])", R"("headers":[["a","b","c"]])"));
    row("header a number", replaced(base, R"("headers":[])", R"("headers":[["a",1]])"));
    row("headers an object", replaced(base, R"("headers":[])", R"("headers":{})"));
    // Args the general path must also take (or refuse).
    const char *args[] = {
        R"({"a":[1,2,]})", R"({"a":})", R"({"a" 1})", R"({a:1})", R"({"a":1,})", R"([,1])",
        R"({"a":tru})", R"({"a":True})", R"({"a":nul})", R"({"a":undefined})", R"({"a":NaN})",
        R"({"a":Infinity})", R"({"a":'x'})", R"({"a":"\x41"})", R"({"a":"\u12"})", R"({"a":"\u12G4"})",
        R"({"a":"\a"})", R"({"a":"\'"})", R"({"a":"\U0041"})", R"({"a":"\u0000"})",
        R"({"a":"\udc00\ud800"})", R"({"a":"x)", R"({"a":1}})", R"({"a":1)", R"([[[]]])", R"([[[]])",
        "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}", "{\"a\":\"del\x7fhere\"}",
        "{\"a\":1}\x00", "{\"a\":\"\x00\"}", "{\"a\"\n:\n1\n}", "[\f1]", "[\v1]", "[1\xc2\xa0]",
        R"({"a":1}{"b":2})", R"({"a":1}[])", "[]", "{}", "\"\"", "0", "-0", "true", "false",
    };
    for (const char *a : args)
        QTest::newRow(qPrintable(u"args "_s + QString::fromUtf8(a).toHtmlEscaped())) << pushWithArgs(a);
    QByteArray deep = "1";
    for (int i = 0; i < 70; ++i)
        deep = "[" + deep + "]";
    row("args 70 deep", pushWithArgs(deep));
    QByteArray shallow = "1";
    for (int i = 0; i < 60; ++i)
        shallow = R"({"a":)" + shallow + "}";
    row("args 60 deep", pushWithArgs(shallow));
    row("args a long string", pushWithArgs("\"" + QByteArray(100000, 'x') + "\""));
}

void tst_PushFrameReader::variantsAgree()
{
    QFETCH(QByteArray, frame);
    check(frame);
}

void tst_PushFrameReader::everyByteInStrings()
{
    // Each byte alone, in the args' string and in the event's name and in the id.
    int taken = 0;
    for (int b = 0; b < 256; ++b) {
        const QByteArray byte(1, char(b));
        taken += check(pushWithArgs(R"({"t":"a)" + byte + R"(b"})"));
        taken += check(replaced(RealClientPush, R"("v1.TodoCreated")", "\"v1" + byte + "x\""));
        taken += check(replaced(RealClientPush, R"("id":"1")", "\"id\":\"1" + byte + "\""));
        taken += check(pushWithArgs("[1" + byte + "2]"));
        if (QTest::currentTestFailed())
            return;
    }
    // ASCII from the space to DEL bar the quote and the backslash, in args and in the name, and
    // "\b" in args; the digits in the id; digits, ',', '.', 'e' and 'E' between two digits.
    QCOMPARE(taken, 94 * 2 + 1 + 10 + 14);
}

void tst_PushFrameReader::utf8Sequences()
{
    // Every two- and three-byte sequence, and four-byte ones with any first three bytes, in an
    // args string (kept as text); every lead and second byte, completed, in the name (decoded).
    auto inArgs = [](const QByteArray &seq) { return pushWithArgs(R"({"t":")" + seq + R"("})"); };
    auto inName = [](const QByteArray &seq) {
        return replaced(RealClientPush, R"("v1.TodoCreated")", "\"" + seq + "\"");
    };
    int taken = 0;
    for (int b0 = 0x80; b0 < 0x100; ++b0) {
        for (int b1 = 0; b1 < 0x100; ++b1) {
            QByteArray two;
            two.append(char(b0)).append(char(b1));
            taken += check(inArgs(two));
            if (b0 >= 0xE0 && b1 >= 0x80 && b1 < 0xC0) {
                for (int b2 = 0x7F; b2 < 0xC1; ++b2) {
                    const QByteArray three = two + char(b2);
                    taken += check(inArgs(three));
                    if (b0 >= 0xF0)
                        taken += check(inArgs(three + char(0x80 + (b2 & 0x3F))))
                                + check(inArgs(three + char(0x7F))) + check(inArgs(three + char(0xC0)));
                }
            }
            if (b1 >= 0x80 && b1 < 0xC0)
                taken += check(inName(two)) + check(inName(two + "\x80")) + check(inName(two + "\x80\x80"));
            if (QTest::currentTestFailed())
                return;
        }
    }
    // The well-formed ones: in args 1,920 of two bytes, 61,440 of three and 16,384 of four; in the
    // name 1,920, 960 and 256.
    QCOMPARE(taken, 1920 + 61440 + 16384 + 1920 + 960 + 256);
}

void tst_PushFrameReader::numbers()
{
    const char *numbers[] = {
        "0", "-0", "1", "-1", "10", "01", "-01", "00", "1.", ".5", "-.5", "1.5", "-1.5", "0.0",
        "1e5", "1E5", "1e+5", "1e-5", "1E-05", "1e", "1e+", "1e-", "1.5e3", "1.e3", "+1", "--1",
        "1e200", "1e201", "1e-200", "1e-201", "1e308", "1e309", "-1e309", "1e-400", "1e-324",
        "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "1.7976931348623159e308",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551616", "100000000000000000000",
        "0x10", "Infinity", "-Infinity", "NaN", "1_000", "1,5", "0.1e-0", "1e0001",
    };
    int taken = 0;
    for (const char *n : numbers) {
        const QByteArray number(n);
        taken += check(pushWithArgs(number));
        taken += check(pushWithArgs("[" + number + "]"));
        taken += check(pushWithArgs(R"({"n":)" + number + "}"));
        taken += check(replaced(RealClientPush, R"("seqNum":1)", "\"seqNum\":" + number));
        taken += check(replaced(RealClientPush, R"("parentSeqNum":1)", "\"parentSeqNum\":" + number));
        if (QTest::currentTestFailed())
            return;
    }
    // Long mantissas: within the bound and beyond it, in every position.
    for (int digits : {17, 99, 100, 101, 310, 400}) {
        const QByteArray many(digits, '7');
        for (const QByteArray &number : QList<QByteArray>{many, "-" + many, "0." + many, many + ".5", "0." + QByteArray(digits, '0') + "1",
              many + "e200", "0." + many + "e-200"}) {
            taken += check(pushWithArgs("[" + number + "]"));
            if (QTest::currentTestFailed())
                return;
        }
    }
    QVERIFY2(taken > 90, qPrintable(QString::number(taken)));
}

void tst_PushFrameReader::truncatedAndCut()
{
    // Every prefix, every frame with one byte cut out, and every byte doubled.
    const QByteArray frames[] = {QByteArray(RealClientPush),
                                 pushWithArgs(R"({"a":[1.5,-2e3,"x\"é",{"b":null}],"c":true})")};
    for (const QByteArray &frame : frames) {
        OnePassReaderCheck::checkCuts(difference, frame);
        if (QTest::currentTestFailed())
            return;
    }
}

void tst_PushFrameReader::randomMutations()
{
    // As the fuzz smoke tests mutate: bit flips, cuts, splices and inserted JSON tokens, from a
    // fixed seed, over frames the reader takes.
    const QList<QByteArray> tokens = {"{", "}", "[", "]", "\"", ",", ":", " ", "null", "true",
                                      "-1", "1e308", "0.5", "\\", "\\u0000", "\\ud800", "\\n",
                                      "\xff", "\xc3", "\xc3\xa9", "\xe2\x82\xac", "9007199254740993",
                                      R"("args":)", R"("seqNum":)", R"({"_tag":"None"})"};
    const QList<QByteArray> corpus = {
            QByteArray(RealClientPush), pushWithArgs(R"({"a":[1,{"b":"c"}],"d":-1.5e-3})"),
            ourPush({pushedEvent(1, "[]"), pushedEvent(2, QByteArray())}, u"b"_s),
            pushWithArgs(R"("é\u00e9")")};
    const int taken = OnePassReaderCheck::checkMutations(difference, corpus, tokens, 30000);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(taken > 1000);
}

QTEST_GUILESS_MAIN(tst_PushFrameReader)
#include "tst_pushframereader.moc"
