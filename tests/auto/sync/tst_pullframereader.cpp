// SPDX-License-Identifier: BSD-3-Clause
// The client's one-pass reader for pulled pages (Wire::readPullChunkFrame) against the general
// path (parseServerFrame + decodePullResponse, on QJsonDocument): for every frame, either the
// reader declines or both give the same request id and pages, and the events' args come out as
// the general path makes them. The frames are the usual spellings (ours and sync-cf 0.4.0's,
// captured), which the reader must take, and variants of them (escapes, whitespace, reordered and
// unknown keys, numbers of every form, every byte in a string, truncations, random mutations).

#include "onepassreadercheck.h"

#include <importlines_p.h>
#include <sync/pullframereader_p.h>
#include <sync/wireprotocol.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// As sync-cf 0.4.0 sends them (captured, docs/protocol.md).
constexpr auto RealEmptyPage =
        R"({"_tag":"Chunk","requestId":"0","values":[{"batch":[],"pageInfo":{"_tag":"NoMore"},"backendId":"7zly-ABjuShNzZaTQn3tw"}]})";
constexpr auto RealPage =
        R"({"_tag":"Chunk","requestId":"0","values":[{"batch":[{"eventEncoded":{"name":"v1.TodoCreated","args":{"id":"A-0-1795619744095","text":"todo 0 from A"},"seqNum":1,"parentSeqNum":0,"clientId":"client-A","sessionId":"session-A"},"metadata":{"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":"2026-11-25T15:15:44.888Z"}}},{"eventEncoded":{"name":"v1.TodoCreated","args":{"id":"A-1-1795619744139","text":"todo 1 from A"},"seqNum":2,"parentSeqNum":1,"clientId":"client-A","sessionId":"session-A"},"metadata":{"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":"2026-11-25T15:15:44.888Z"}}}],"pageInfo":{"_tag":"NoMore"},"backendId":"7zly-ABjuShNzZaTQn3tw"}]})";

Wire::PulledEvent pulledEvent(qint64 seq, const QByteArray &args, bool withMetadata = true)
{
    Wire::PulledEvent e;
    e.event.name = u"v1.TodoCreated"_s;
    e.event.argsJson = args;
    e.event.seqNum = seq;
    e.event.parentSeqNum = seq - 1;
    e.event.clientId = u"client-A"_s;
    e.event.sessionId = u"session-A"_s;
    if (withMetadata)
        e.metadata = Wire::SyncMetadata{u"2026-12-07T12:00:00.000Z"_s};
    return e;
}

// A chunk as our server writes it.
QByteArray ourChunk(const QList<Wire::PullResponse> &pages, const QString &id = u"3"_s)
{
    QList<QByteArray> values;
    for (const Wire::PullResponse &page : pages)
        values.append(Wire::encodePullResponse(page));
    return Wire::encodeChunk(id, values);
}

Wire::PullResponse page(const QList<Wire::PulledEvent> &batch,
                        Wire::PageInfo info = Wire::PageInfo::noMore())
{
    return {batch, info, u"backend-1"_s};
}

QByteArray chunkWithArgs(const QByteArray &args)
{
    return ourChunk({page({pulledEvent(1, args)})});
}

// Why the reader's result differs from the general path's, or an empty string when it does not
// (also when the reader declines). `*taken` tells whether the reader took the frame.
QString difference(const QByteArray &frame, bool *taken = nullptr)
{
    const auto fast = Wire::readPullChunkFrame(frame);
    if (taken)
        *taken = fast.has_value();
    if (!fast)
        return {};
    QString error;
    const auto parsed = Wire::parseServerFrame(frame, &error);
    if (!parsed)
        return u"the reader took a frame the general parse refuses (%1)"_s.arg(error);
    if (parsed->type != Wire::ServerFrame::Type::Chunk)
        return u"the reader took a frame that is not a chunk"_s;
    if (parsed->requestId != fast->requestId)
        return u"request ids differ: %1 / %2"_s.arg(fast->requestId, parsed->requestId);
    if (parsed->valuesJson.size() != fast->pages.size())
        return u"page counts differ"_s;
    EventLineParser parser;
    for (qsizetype p = 0; p < fast->pages.size(); ++p) {
        const QJsonObject value = parsed->values.at(p).toObject();
        const auto general = Wire::decodePullResponse(parsed->valuesJson.at(p), value, &error);
        if (!general)
            return u"the reader took a page the general decode refuses (%1)"_s.arg(error);
        const Wire::PullResponse &f = fast->pages.at(p);
        if (f.backendId != general->backendId || !(f.pageInfo == general->pageInfo))
            return u"page %1: backendId or pageInfo differ"_s.arg(p);
        if (f.batch != general->batch)
            return u"page %1: the events differ"_s.arg(p);
        const QJsonArray items = value.value("batch"_L1).toArray();
        for (qsizetype i = 0; i < f.batch.size(); ++i) {
            const Wire::Event &e = f.batch.at(i).event;
            if (e.hasArgs() != general->batch.at(i).event.hasArgs())
                return u"page %1, event %2: args present on one side only"_s.arg(p).arg(i);
            const EventRecord record = general->batch.at(i).event.toRecord(
                    items.at(i).toObject().value("eventEncoded"_L1).toObject().value("args"_L1));
            if (Wire::pulledArgs(e, parser) != record.args)
                return u"page %1, event %2: the args' values differ"_s.arg(p).arg(i);
        }
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

class tst_PullFrameReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void usualSpellingsAreTaken_data();
    void usualSpellingsAreTaken();
    void variantsAgree_data();
    void variantsAgree();
    void everyByteInStrings();
    void truncatedAndCut();
    void randomMutations();
};

void tst_PullFrameReader::usualSpellingsAreTaken_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addRow("sync-cf, empty") << QByteArray(RealEmptyPage);
    QTest::addRow("sync-cf, two events") << QByteArray(RealPage);
    QTest::addRow("ours, one event") << chunkWithArgs(R"({"id":"a","text":"b"})");
    QTest::addRow("ours, no args") << chunkWithArgs(QByteArray());
    QTest::addRow("ours, args of every kind")
            << chunkWithArgs(R"({"a":[1.5,-2e3,"x\"\u00e9",{"b":null}],"c":true,"d":"é€😀"})");
    QTest::addRow("ours, args not an object") << chunkWithArgs("[1,2]");
    QTest::addRow("ours, args a number") << chunkWithArgs("5");
    QTest::addRow("ours, args null") << chunkWithArgs("null");
    QTest::addRow("ours, no metadata") << ourChunk({page({pulledEvent(1, "{}", false)})});
    QTest::addRow("ours, more known") << ourChunk({page({pulledEvent(7, "{}")}, Wire::PageInfo::moreKnown(150))});
    QTest::addRow("ours, more unknown") << ourChunk({page({}, Wire::PageInfo::moreUnknown())});
    QTest::addRow("ours, two pages")
            << ourChunk({page({pulledEvent(1, R"({"x":1})"), pulledEvent(2, R"({"x":2})")}),
                         page({pulledEvent(3, R"({"x":3})")}, Wire::PageInfo::moreKnown(0))});
    QTest::addRow("ours, long id") << ourChunk({page({})}, u"123456789012"_s);
    QList<Wire::PulledEvent> hundred;
    for (int i = 1; i <= 100; ++i)
        hundred.append(pulledEvent(i, R"({"id":"t-)" + QByteArray::number(i) + R"(","text":"todo"})"));
    QTest::addRow("ours, a full page") << ourChunk({page(hundred, Wire::PageInfo::moreKnown(9900))});
}

void tst_PullFrameReader::usualSpellingsAreTaken()
{
    QFETCH(QByteArray, frame);
    QVERIFY(Wire::readPullChunkFrame(frame));
    QVERIFY(check(frame));
}

void tst_PullFrameReader::variantsAgree_data()
{
    QTest::addColumn<QByteArray>("frame");
    const QByteArray real(RealPage);
    QTest::addRow("id with leading zeros") << replaced(real, R"("requestId":"0")", R"("requestId":"007")");
    QTest::addRow("id not digits") << replaced(real, R"("requestId":"0")", R"("requestId":"a")");
    QTest::addRow("id a number") << replaced(real, R"("requestId":"0")", R"("requestId":0)");
    QTest::addRow("id empty") << replaced(real, R"("requestId":"0")", R"("requestId":"")");
    QTest::addRow("no values") << QByteArray(R"({"_tag":"Chunk","requestId":"0","values":[]})");
    QTest::addRow("values not pages") << QByteArray(R"({"_tag":"Chunk","requestId":"0","values":[1]})");
    QTest::addRow("space after colon") << replaced(real, R"("_tag":"Chunk")", R"("_tag": "Chunk")");
    QTest::addRow("newline at the end") << real + "\n";
    QTest::addRow("keys reordered") << replaced(real, R"({"_tag":"Chunk","requestId":"0",)", R"({"requestId":"0","_tag":"Chunk",)");
    QTest::addRow("unknown key") << replaced(real, R"("backendId":"7zly)", R"("extra":1,"backendId":"7zly)");
    QTest::addRow("name escaped") << replaced(real, R"("v1.TodoCreated")", R"("v1.Todo\u0043reated")");
    QTest::addRow("name empty") << replaced(real, R"("v1.TodoCreated")", R"("")");
    QTest::addRow("backend id escaped") << replaced(real, R"("7zly-ABjuShNzZaTQn3tw")", R"("7zly\/x")");
    QTest::addRow("seqNum negative") << replaced(real, R"("seqNum":1)", R"("seqNum":-1)");
    QTest::addRow("seqNum a double") << replaced(real, R"("seqNum":1)", R"("seqNum":1.0)");
    QTest::addRow("seqNum huge") << replaced(real, R"("seqNum":1)", R"("seqNum":123456789012345678901)");
    QTest::addRow("seqNum a string") << replaced(real, R"("seqNum":1)", R"("seqNum":"1")");
    QTest::addRow("remaining negative") << chunkWithArgs("{}").replace(R"({"_tag":"NoMore"})", R"({"_tag":"MoreKnown","remaining":-5})");
    QTest::addRow("remaining a double") << chunkWithArgs("{}").replace(R"({"_tag":"NoMore"})", R"({"_tag":"MoreKnown","remaining":5.5})");
    QTest::addRow("pageInfo unknown") << chunkWithArgs("{}").replace(R"({"_tag":"NoMore"})", R"({"_tag":"Maybe"})");
    QTest::addRow("metadata other") << replaced(real, R"("_tag":"SyncMessage.SyncMetadata",)", R"("_tag":"Other",)");
    QTest::addRow("metadata missing") << replaced(real, R"(,"metadata":{"_tag":"Some","value":{"_tag":"SyncMessage.SyncMetadata","createdAt":"2026-11-25T15:15:44.888Z"}})", "");
    QTest::addRow("args with duplicate keys") << chunkWithArgs(R"({"a":1,"a":2})");
    QTest::addRow("args with spaces") << chunkWithArgs(R"({ "a" : [ 1 , 2 ] })");
    QTest::addRow("args with a lone surrogate") << chunkWithArgs(R"({"a":"\ud800"})");
    QTest::addRow("args with big numbers") << chunkWithArgs(R"({"a":9007199254740993,"b":1e308,"c":-0})");
    QTest::addRow("args nested deep") << chunkWithArgs(QByteArray(70, '[') + QByteArray(70, ']'));
    QTest::addRow("a Pong") << QByteArray(R"({"_tag":"Pong"})");
    QTest::addRow("an Exit") << QByteArray(R"({"_tag":"Exit","requestId":"1","exit":{"_tag":"Success"}})");
}

void tst_PullFrameReader::variantsAgree()
{
    QFETCH(QByteArray, frame);
    check(frame);
}

void tst_PullFrameReader::everyByteInStrings()
{
    // Each byte alone: in an args string, in the event's name, in the backend id and in the id.
    int taken = 0;
    const QByteArray real(RealPage);
    for (int b = 0; b < 256; ++b) {
        const QByteArray byte(1, char(b));
        taken += check(chunkWithArgs(R"({"t":"a)" + byte + R"(b"})"));
        taken += check(replaced(real, R"("v1.TodoCreated")", "\"v1" + byte + "x\""));
        taken += check(replaced(real, R"("7zly-ABjuShNzZaTQn3tw")", "\"7z" + byte + "\""));
        taken += check(replaced(real, R"("requestId":"0")", "\"requestId\":\"1" + byte + "\""));
        if (QTest::currentTestFailed())
            return;
    }
    // ASCII from the space to DEL bar the quote and the backslash, in args, the name and the
    // backend id, and "\b" in args; the digits in the id.
    QCOMPARE(taken, 94 * 3 + 1 + 10);
}

void tst_PullFrameReader::truncatedAndCut()
{
    // Every prefix, every frame with one byte cut out, and every byte doubled.
    const QByteArray frames[] = {QByteArray(RealPage),
                                 ourChunk({page({pulledEvent(1, R"({"a":[1.5,-2e3,"x\"é",{"b":null}]})"),
                                                 pulledEvent(2, QByteArray(), false)},
                                                Wire::PageInfo::moreKnown(12))})};
    for (const QByteArray &frame : frames) {
        OnePassReaderCheck::checkCuts(difference, frame);
        if (QTest::currentTestFailed())
            return;
    }
}

void tst_PullFrameReader::randomMutations()
{
    // As the fuzz smoke tests mutate, from a fixed seed, over frames the reader takes.
    const QList<QByteArray> tokens = {"{", "}", "[", "]", "\"", ",", ":", " ", "null", "true",
                                      "-1", "1e308", "0.5", "\\", "\\u0000", "\\ud800", "\\n",
                                      "\xff", "\xc3", "\xc3\xa9", "\xe2\x82\xac", "9007199254740993",
                                      R"("args":)", R"("seqNum":)", R"({"_tag":"None"})",
                                      R"({"_tag":"NoMore"})", R"(,"metadata":)"};
    const QList<QByteArray> corpus = {
            QByteArray(RealPage), QByteArray(RealEmptyPage), chunkWithArgs(R"({"a":[1,{"b":"c"}],"d":-1.5e-3})"),
            ourChunk({page({pulledEvent(1, "[]"), pulledEvent(2, QByteArray(), false)}, Wire::PageInfo::moreKnown(3)),
                      page({}, Wire::PageInfo::moreUnknown())})};
    const int taken = OnePassReaderCheck::checkMutations(difference, corpus, tokens, 30000);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(taken > 1000);
}

QTEST_GUILESS_MAIN(tst_PullFrameReader)
#include "tst_pullframereader.moc"
