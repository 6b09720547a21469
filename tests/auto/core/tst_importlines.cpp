// SPDX-License-Identifier: BSD-3-Clause
// The import's line reader (internal, importlines_p.h): EventLineParser must give exactly what
// EventRecord::fromJsonLine() gives (the same record, value types included, or the same error),
// take the fast path for the lines an export holds, and say "canonical" only when the import may
// keep a line's args bytes; JsonLinesReader must number and cut lines as the CLI always did.
#include "todoschema.h"

#include <importlines_p.h>
#include <schema.h>
#include <store.h>

#include <QtCore/qbuffer.h>
#include <QtCore/qrandom.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// QVariant == converts between numeric types; the import must see the same types.
QString valueDifference(const QVariant &a, const QVariant &b, const QString &path)
{
    if (a.typeId() != b.typeId())
        return u"%1: type %2 vs %3"_s.arg(path, QString::fromLatin1(a.typeName()), QString::fromLatin1(b.typeName()));
    if (a.typeId() == QMetaType::QVariantMap) {
        const QVariantMap x = a.toMap(), y = b.toMap();
        if (x.keys() != y.keys())
            return path + u": keys differ"_s;
        for (auto it = x.cbegin(); it != x.cend(); ++it) {
            if (QString d = valueDifference(it.value(), y.value(it.key()), path + u'.' + it.key()); !d.isEmpty())
                return d;
        }
        return {};
    }
    if (a.typeId() == QMetaType::QVariantList) {
        const QVariantList x = a.toList(), y = b.toList();
        if (x.size() != y.size())
            return path + u": sizes differ"_s;
        for (qsizetype i = 0; i < x.size(); ++i) {
            if (QString d = valueDifference(x.at(i), y.at(i), path + u'[' + QString::number(i) + u']'); !d.isEmpty())
                return d;
        }
        return {};
    }
    if (a.typeId() == QMetaType::Double) {
        const double x = a.toDouble(), y = b.toDouble();
        if (std::memcmp(&x, &y, sizeof x) != 0)
            return u"%1: %2 vs %3"_s.arg(path).arg(x, 0, 'g', 17).arg(y, 0, 'g', 17);
        return {};
    }
    if (a != b)
        return u"%1: %2 vs %3"_s.arg(path, a.toString(), b.toString());
    return {};
}

// Empty when the parser and fromJsonLine() agree on `line`.
QString disagreement(EventLineParser &parser, QByteArrayView line)
{
    QString expectedError, actualError;
    const std::optional<EventRecord> expected = EventRecord::fromJsonLine(line, &expectedError);
    const std::optional<EventRecord> actual = parser.parse(line, &actualError);
    if (bool(expected) != bool(actual))
        return u"fromJsonLine %1 (%2), parser %3 (%4)"_s.arg(expected ? u"reads it"_s : u"refuses it"_s, expectedError,
                                                           actual ? u"reads it"_s : u"refuses it"_s, actualError);
    if (!expected)
        return expectedError == actualError ? QString() : u"errors: %1 vs %2"_s.arg(expectedError, actualError);
    const EventRecord &e = *expected, &a = *actual;
    if (e.seqNum != a.seqNum || e.parentSeqNum != a.parentSeqNum)
        return u"numbers: %1/%2 vs %3/%4"_s.arg(e.seqNum.toString(), e.parentSeqNum.toString(),
                                                a.seqNum.toString(), a.parentSeqNum.toString());
    if (e.name != a.name || e.clientId != a.clientId || e.sessionId != a.sessionId)
        return u"strings: %1 %2 %3 vs %4 %5 %6"_s.arg(e.name, e.clientId, e.sessionId, a.name, a.clientId, a.sessionId);
    if (e.name.isNull() != a.name.isNull() || e.clientId.isNull() != a.clientId.isNull())
        return u"null strings differ"_s;
    if (e.argsJson != a.argsJson)
        return u"argsJson: %1 vs %2"_s.arg(QString::fromUtf8(e.argsJson), QString::fromUtf8(a.argsJson));
    if (e.schemaHash != a.schemaHash)
        return u"schemaHash"_s;
    return valueDifference(e.args, a.args, u"args"_s);
}

const QByteArray Exported =
        R"({"args":{"id":"t0000001","text":"buy milk #1"},"clientId":"c1","name":"v1.TodoCreated","parentSeqNum":{"client":0,"global":0,"rebaseGeneration":0},"seqNum":{"client":0,"global":1,"rebaseGeneration":0},"sessionId":"s1"})";

// Lines that reach every corner of the reader; the parser must agree with fromJsonLine() on each.
QList<QByteArray> cornerCases()
{
    QList<QByteArray> lines = {
        Exported,
        R"({"seqNum":1,"parentSeqNum":0,"name":"v1.TodoCreated","args":{"id":"a","text":"x"},"clientId":"c1","sessionId":"s1"})",
        R"({"seqNum":"e1.1","parentSeqNum":"e1","name":"n","args":{},"clientId":"c","sessionId":"s"})",
        R"({"seqNum":"e1r2","parentSeqNum":"e0","name":"n","args":{},"clientId":"c","sessionId":"s"})",
        R"({"seqNum":"x1","parentSeqNum":"e0","name":"n","args":{},"clientId":"c","sessionId":"s"})",
        R"({"seqNum":"e\u0031","parentSeqNum":"e0","name":"n","args":{},"clientId":"c","sessionId":"s"})",
        R"({"seqNum":{"global":3},"parentSeqNum":{"global":2,"client":0},"name":"n","args":{}})",
        R"({"seqNum":{"global":3,"extra":[1,{"a":null}]},"parentSeqNum":{"global":2},"name":"n","args":{}})",
        R"({"seqNum":{"global":3,"global":4},"parentSeqNum":{"global":2},"name":"n","args":{}})",
        R"({"seqNum":{"client":1},"parentSeqNum":{"global":2},"name":"n","args":{}})",
        R"({"seqNum":{},"parentSeqNum":{"global":2},"name":"n","args":{}})",
        R"({"seqNum":[1],"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":true,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":null,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":-1,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":-0,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":1.0,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":1.5,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":1e2,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":9007199254740991,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":9007199254740992,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":99999999999999999999,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":01,"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"","args":{}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":5,"args":{}})",
        R"({"seqNum":1,"parentSeqNum":0,"args":{}})",
        R"({"seqNum":1,"name":"n","args":{}})",
        R"({"parentSeqNum":0,"name":"n","args":{}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n"})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":null})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":[]})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":"x"})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{},"args":{"a":1}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","name":"m","args":{}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{},"clientId":5})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{},"clientId":null})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{},"sessionId":""})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{},"other":{"deep":[[[]]],"x":"\n"}})",
        R"({"seqNum":1,"parentSeqNum":0,"n\u0061me":"n","args":{}})",
        // Arguments of every kind.
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"i":42,"neg":-7,"z":0,"nz":-0,"big":123456789012345678}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"huge":1234567890123456789,"huger":12345678901234567890123}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"r":1.5,"e":1e-7,"E":2.5E+3,"w":2.0,"x":1e2,"m":-0.0,"t":0.1}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"sub":5e-324,"tiny":1e-400,"inf":1e999,"max":1.7976931348623157e308}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"long":3.141592653589793238462643383279502884197}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"b":true,"f":false,"n":null}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"o":{"b":1,"a":[1,"2",{"c":null}]},"l":[]}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"o":{"a":1,"a":2}}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":1,"a":2}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"s":"tab\tnl\nq\"bs\\sl\/u\u00e9\u0000end"}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"s":"\ud83d\ude00","lone":"\ud800x"}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"s":"\x"}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"s":"\u12"}})",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"raw\ttab\"}}",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"caf\xc3\xa9 \xe2\x80\xa8 \xef\xbf\xbe \xf0\x9f\x98\x80\"}}",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"bad \xc3\"}}",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"overlong \xc0\xaf\"}}",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"surrogate \xed\xa0\x80\"}}",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"too big \xf4\x90\x80\x80\"}}",
        "\xef\xbb\xbf{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{}}",
        // Layout.
        R"(  { "seqNum" : 1 , "parentSeqNum" : 0 , "name" : "n" , "args" : { "a" : 1 , "b" : [ 1 , 2 ] } }  )",
        "{\"seqNum\":1,\r\n\"parentSeqNum\":0,\"name\":\"n\",\"args\":{}}",
        "{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{}}\x0b",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{}} x)",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{}}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{},})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":1,}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":tru}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":nul})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":-}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":1.}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":.5}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":1e}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":+1}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":0x10}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":NaN}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{'a':1}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a" 1}})",
        R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"a":1})",
        R"({"seqNum":1,)",
        R"([1, 2])",
        R"("just a string")",
        R"(42)",
        R"({})",
        R"({)",
        R"(})",
        "",
        "\x00",
        QByteArray("{\"seqNum\":1,\"parentSeqNum\":0,\"name\":\"n\",\"args\":{\"s\":\"a\0b\"}}", 51),
    };
    // Nesting deeper than the fast path goes.
    QByteArray deep = R"({"seqNum":1,"parentSeqNum":0,"name":"n","args":{"d":)";
    for (int i = 0; i < 80; ++i)
        deep += '[';
    for (int i = 0; i < 80; ++i)
        deep += ']';
    lines.append(deep + "}}");
    return lines;
}

// A random line of the shape an import meets: fields in any order, numbers and strings of every
// form, nested arguments, now and then something that is not quite JSON.
class LineGenerator
{
public:
    explicit LineGenerator(quint32 seed) : m_random(seed) { }

    QByteArray line()
    {
        // Half of the lines keep to what the fast path reads, so that both paths get their share.
        m_clean = m_random.bounded(2) == 0;
        QList<QByteArray> fields = {
            "\"seqNum\":" + sequenceNumber(),
            "\"parentSeqNum\":" + sequenceNumber(),
            "\"name\":" + (pick(10) ? string() : value(2)),
            "\"args\":" + (pick(20) ? object(0) : value(1)),
            "\"clientId\":" + (pick(15) ? string() : value(2)),
            "\"sessionId\":" + (pick(15) ? string() : value(2)),
        };
        if (!pick(4))
            fields.append(string() + ':' + value(1));
        if (!pick(8))
            fields.removeAt(m_random.bounded(fields.size()));
        std::shuffle(fields.begin(), fields.end(), m_random);
        return space() + '{' + fields.join(',' + space()) + '}' + space();
    }

private:
    bool pick(int outOf) { return m_clean || m_random.bounded(outOf) != 0; } // true, but not always
    QByteArray space() { return pick(6) ? QByteArray() : QByteArray(" \t\r\n").mid(m_random.bounded(4), 1); }

    QByteArray number()
    {
        static const char *const forms[] = {"0", "-0", "7", "-12", "42", "9007199254740991", "9007199254740992",
                                            "123456789012345678", "1.5", "-2.25", "0.1", "1E-3", "3.14159265358979323846",
                                            "2.5e-3", "1.0", "2.50", "1e2", "-0.0", "1234567890123456789",
                                            "99999999999999999999", "1e308", "1e309", "5e-324", "1e-400", "01", "1.",
                                            ".5", "+1", "1e"};
        // The first fourteen are integers the fast path reads as such, or doubles it reads; the
        // rest go to Qt.
        return forms[m_random.bounded(m_clean ? 14 : int(std::size(forms)))];
    }
    QByteArray sequenceNumber()
    {
        switch (m_random.bounded(m_clean ? 2 : 6) + (m_clean && m_random.bounded(2) ? 4 : 0)) {
        case 0: return QByteArray::number(m_random.bounded(100));
        case 1: return "\"e" + QByteArray::number(m_random.bounded(100)) + (pick(2) ? "" : ".1") + '"';
        case 2: return number();
        case 3: return value(2);
        default: {
            QList<QByteArray> parts = {"\"global\":" + (pick(6) ? QByteArray::number(m_random.bounded(100)) : number())};
            if (pick(2))
                parts.append("\"client\":" + (pick(6) ? QByteArray::number(m_random.bounded(3)) : number()));
            if (pick(2))
                parts.append("\"rebaseGeneration\":" + (pick(6) ? QByteArray("0") : number()));
            if (!pick(10))
                parts.append(string() + ':' + value(2));
            if (!pick(10))
                parts.removeFirst();
            std::shuffle(parts.begin(), parts.end(), m_random);
            return '{' + parts.join(',') + '}';
        }
        }
    }
    QByteArray string()
    {
        static const char *const pieces[] = {"a", "id", "text", "t0000001", "buy milk", " ", "\\n", "\\\"", "\\\\",
                                             "\\/", "\\t", "\\u00e9", "\\u0000", "\xc3\xa9", "\xe2\x80\xa8",
                                             "\xf0\x9f\x98\x80", "\x7f", "\\ud83d\\ude00", "\\ud800", "\\x", "\xc3",
                                             "\t"};
        QByteArray out = "\"";
        for (int n = m_random.bounded(4); n >= 0; --n) // clean: no surrogates, no bad escapes or bytes
            out += pieces[m_random.bounded(m_clean ? 17 : int(std::size(pieces)))];
        return out + '"';
    }
    QByteArray object(int depth)
    {
        QList<QByteArray> members;
        static const char *const keys[] = {"\"id\"", "\"text\"", "\"a\"", "\"\"", "\"id\"", "\"\\u0069d\""};
        for (int n = m_random.bounded(4); n > 0; --n)
            members.append(QByteArray(pick(8) ? keys[m_random.bounded(int(std::size(keys)))] : string()) + ':' + space() + value(depth + 1));
        return '{' + members.join(',' + space()) + '}';
    }
    QByteArray value(int depth)
    {
        switch (m_random.bounded(depth > 3 ? 5 : 7)) {
        case 0: case 1: return string();
        case 2: return number();
        case 3: { static const char *const words[] = {"true", "false", "null", "nul", "True"}; return words[m_random.bounded(m_clean ? 3 : 5)]; }
        case 4: return QByteArray::number(m_random.bounded(1000));
        case 5: return object(depth);
        default: {
            QList<QByteArray> items;
            for (int n = m_random.bounded(4); n > 0; --n)
                items.append(value(depth + 1));
            return '[' + items.join(',') + ']';
        }
        }
    }

    QRandomGenerator m_random;
    bool m_clean = false;
};

} // namespace

class tst_ImportLines : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void agreesWithFromJsonLine_data()
    {
        QTest::addColumn<QByteArray>("line");
        int i = 0;
        for (const QByteArray &line : cornerCases())
            QTest::addRow("%d: %s", i++, line.left(60).toPercentEncoding(" {}[]\":,").constData()) << line;
    }
    void agreesWithFromJsonLine()
    {
        QFETCH(QByteArray, line);
        EventLineParser parser;
        QCOMPARE(disagreement(parser, line), QString());
        // And again, with the parser's kept strings in use.
        QCOMPARE(disagreement(parser, line), QString());
    }

    // An export's lines take the fast path (else the import would be as slow as before).
    void exportLinesAreFast()
    {
        EventLineParser parser;
        for (const QByteArray &line : {Exported,
                                       QByteArray(R"({"seqNum":2,"parentSeqNum":1,"name":"v1.TodoCompleted","args":{"id":"a"},"clientId":"c1","sessionId":"s1"})"),
                                       QByteArray(R"({"args":{"o":{"x":[1,2.5,"s\n"]}},"name":"e","parentSeqNum":"e1","seqNum":"e1.1","clientId":"c","sessionId":"s"})")}) {
            QString error;
            QVERIFY2(parser.parse(line, &error), qPrintable(error));
            QVERIFY2(parser.lastWasFast(), line.constData());
        }
    }

    // Generated lines, and mutations of the corner cases (bytes changed, dropped, doubled, cut):
    // whatever they are, the parser agrees with fromJsonLine().
    void agreesOnMutations()
    {
        QRandomGenerator random(20261206);
        LineGenerator generator(1206);
        const QList<QByteArray> seeds = cornerCases();
        static const char interesting[] = "{}[]\":,\\ 0123456789-+.eEtrufalsn\xc3\xa9\x80u";
        EventLineParser parser;
        int fast = 0;
        for (int round = 0; round < 30000; ++round) {
            const bool generated = round % 4 != 0;
            QByteArray line = generated ? generator.line() : seeds.at(random.bounded(qsizetype(seeds.size())));
            const int edits = generated ? (random.bounded(5) == 0 ? 1 : 0) : 1 + int(random.bounded(4));
            for (int e = 0; e < edits && !line.isEmpty(); ++e) {
                const qsizetype at = random.bounded(line.size());
                switch (random.bounded(4)) {
                case 0: line[at] = interesting[random.bounded(int(sizeof interesting - 1))]; break;
                case 1: line.remove(at, 1 + random.bounded(3)); break;
                case 2: line.insert(at, line.mid(random.bounded(line.size()), 1 + random.bounded(8))); break;
                case 3: line.truncate(at); break;
                }
            }
            const QString difference = disagreement(parser, line);
            if (!difference.isEmpty())
                QFAIL(qPrintable(u"%1\n    line: %2"_s.arg(difference, QString::fromLatin1(line.toPercentEncoding(" {}[]\":,")))));
            fast += parser.lastWasFast() ? 1 : 0;
        }
        // The mutations reach the fast path often, not only Qt's reader.
        QVERIFY2(fast > 3000, qPrintable(QString::number(fast)));
        qDebug("%d of 30000 mutated lines read on the fast path", fast);
    }

    // "Canonical" lets the import keep the line's args bytes: only when they are the bytes the
    // event definition writes.
    void canonicalArgs_data()
    {
        QTest::addColumn<QByteArray>("args");
        QTest::addColumn<bool>("canonical");
        QTest::newRow("declared order") << QByteArray(R"({"id":"a","text":"x"})") << true;
        QTest::newRow("one of two") << QByteArray(R"({"id":"a"})") << true;
        QTest::newRow("empty") << QByteArray("{}") << true;
        QTest::newRow("other order") << QByteArray(R"({"text":"x","id":"a"})") << false;
        QTest::newRow("unknown argument") << QByteArray(R"({"id":"a","text":"x","more":1})") << false;
        QTest::newRow("spaces") << QByteArray(R"({"id": "a","text":"x"})") << false;
        QTest::newRow("escape in a value") << QByteArray(R"({"id":"a","text":"x\ny"})") << false;
        QTest::newRow("escape in a key") << QByteArray(R"({"\u0069d":"a"})") << false;
        QTest::newRow("number") << QByteArray(R"({"id":5})") << true;
        QTest::newRow("minus zero") << QByteArray(R"({"id":-0})") << false;
        QTest::newRow("double") << QByteArray(R"({"id":0.5})") << false;
        QTest::newRow("object") << QByteArray(R"({"id":{}})") << false;
        QTest::newRow("null, true") << QByteArray(R"({"id":null,"text":true})") << true;
    }
    void canonicalArgs()
    {
        QFETCH(QByteArray, args);
        QFETCH(bool, canonical);
        const Schema schema = LiveStoreTest::todoSchema();
        const EventDef *def = schema.event(u"v1.TodoCreated"_s);
        QVERIFY(def);
        const QByteArray line = R"({"seqNum":1,"parentSeqNum":0,"name":"v1.TodoCreated","args":)" + args
                + R"(,"clientId":"c","sessionId":"s"})";
        EventLineParser parser;
        QString error;
        const auto record = parser.parse(line, &error);
        QVERIFY2(record, qPrintable(error));
        QCOMPARE(parser.argsJsonIsCanonical(*def), canonical);
        // The promise: canonical means the definition writes these very bytes.
        if (canonical)
            QCOMPARE(def->argsJson(record->args, record->argsJson), record->argsJson);
    }

    void readerCutsLines_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("blockSize");
        QTest::addColumn<QStringList>("lines"); // "number:text"
        QTest::newRow("plain") << QByteArray("a\nb\n") << 1024 << QStringList{u"1:a"_s, u"2:b"_s};
        QTest::newRow("no final newline") << QByteArray("a\nb") << 1024 << QStringList{u"1:a"_s, u"2:b"_s};
        QTest::newRow("empty lines counted") << QByteArray("\n a \n\n\t\nb\r\n\n") << 1024
                                             << QStringList{u"2:a"_s, u"5:b"_s};
        QTest::newRow("empty") << QByteArray() << 1024 << QStringList{};
        QTest::newRow("only spaces") << QByteArray(" \n\n \r\n") << 1024 << QStringList{};
        QTest::newRow("lines longer than the block") << QByteArray("0123456789abcdefghij\nxy\n0123456789abcdefghijklmnopqrstuvwxyz")
                                                     << 16
                                                     << QStringList{u"1:0123456789abcdefghij"_s, u"2:xy"_s,
                                                                    u"3:0123456789abcdefghijklmnopqrstuvwxyz"_s};
    }
    void readerCutsLines()
    {
        QFETCH(QByteArray, input);
        QFETCH(int, blockSize);
        QFETCH(QStringList, lines);
        QBuffer buffer(&input);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        JsonLinesReader reader(&buffer, blockSize);
        QStringList read;
        QByteArrayView line;
        qint64 number = 0;
        while (reader.next(&line, &number))
            read.append(QString::number(number) + u':' + QString::fromUtf8(line));
        QCOMPARE(read, lines);
        QCOMPARE(reader.bytesRead(), input.size());
        QVERIFY(reader.errorString().isEmpty());
    }

    // A line over the limit ends the reading before it is held whole (a 1 GB line took 3.9 GB
    // and a process that could not get it was aborted); lines up to the limit pass.
    void readerLimitsLines()
    {
        QByteArray input = QByteArray(100, 'a') + '\n' + QByteArray(1000, 'b') + '\n' + QByteArray(10, 'c');
        for (const int blockSize : {16, 64, 4096}) {
            QBuffer buffer(&input);
            QVERIFY(buffer.open(QIODevice::ReadOnly));
            JsonLinesReader reader(&buffer, blockSize, 200);
            QByteArrayView line;
            qint64 number = 0;
            QVERIFY(reader.next(&line, &number));
            QCOMPARE(line.size(), 100);
            QVERIFY(!reader.next(&line, &number));
            QVERIFY(reader.lineTooLong());
            QCOMPARE(reader.lineNumber() + 1, 2);
            QVERIFY2(reader.errorString().contains(u"longer than 200 bytes"_s), qPrintable(reader.errorString()));
            QVERIFY(reader.bytesRead() <= 4096 + 400);
        }
        // No limit: the long line is read.
        QBuffer buffer(&input);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        JsonLinesReader unlimited(&buffer, 16);
        QByteArrayView line;
        qint64 number = 0;
        QVERIFY(unlimited.next(&line, &number) && unlimited.next(&line, &number));
        QCOMPARE(line.size(), 1000);
    }

    // The import reports such a line as an input error at its line, and changes nothing.
    void importRefusesAnOverlongLine()
    {
        Store store;
        StoreOptions o;
        o.storeId = u"long"_s;
        o.schema = LiveStoreTest::todoSchema();
        o.inMemory = true;
        QVERIFY(store.open(o));
        QByteArray input = R"({"name":"v1.TodoCreated","args":{"id":"a","text":"x"},"seqNum":"e1","parentSeqNum":"e0","clientId":"c","sessionId":"s"})";
        input += '\n' + QByteArray(3 << 20, ' ') + "x\n";
        QBuffer buffer(&input);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        ImportOptions options;
        options.sourceName = u"in.jsonl"_s;
        options.maxLineBytes = 1 << 20;
        ImportStatus status;
        QVERIFY(!store.importJsonLines(&buffer, options, &status));
        QVERIFY(status.inputError);
        QCOMPARE(status.line, 2);
        QVERIFY2(store.errorString().startsWith(u"in.jsonl:2: a line longer than 1048576 bytes"_s), qPrintable(store.errorString()));
        QCOMPARE(store.eventCount(), 0);
    }

    // Every block size cuts the same lines as QIODevice::readLine() plus trimmed() (what the
    // CLI used).
    void readerMatchesReadLine()
    {
        QRandomGenerator random(7);
        QByteArray input;
        for (int i = 0; i < 2000; ++i) {
            input += QByteArray(random.bounded(0, 90), 'x') + QByteArray::number(i);
            input += random.bounded(5) == 0 ? "\r\n\n" : "\n";
        }
        QBuffer expected(&input);
        QVERIFY(expected.open(QIODevice::ReadOnly));
        QList<std::pair<qint64, QByteArray>> want;
        qint64 number = 0;
        while (!expected.atEnd()) {
            const QByteArray line = expected.readLine().trimmed();
            ++number;
            if (!line.isEmpty())
                want.append({number, line});
        }
        for (int blockSize : {16, 100, 4096, 1 << 20}) {
            QBuffer buffer(&input);
            QVERIFY(buffer.open(QIODevice::ReadOnly));
            JsonLinesReader reader(&buffer, blockSize);
            QList<std::pair<qint64, QByteArray>> got;
            QByteArrayView line;
            while (reader.next(&line, &number))
                got.append({number, line.toByteArray()});
            QCOMPARE(got, want);
        }
    }
};

QTEST_GUILESS_MAIN(tst_ImportLines)
#include "tst_importlines.moc"
