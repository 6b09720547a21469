// SPDX-License-Identifier: BSD-3-Clause
// An import file (JSON lines, as `livestore import` reads it), two ways: every line through
// EventRecord::fromJsonLine() and the chain check, the events that passed imported with
// importEvents(); and the whole input streamed through Store::importJsonLines(), as the tool
// reads it. The import line parser must read each line exactly as fromJsonLine() does (and its
// arguments reader, EventLineParser::parseArgs(), an object as QJsonDocument does), and both
// imports must agree: both refuse, or both store the same eventlog and state.
#include "fuzztarget.h"
#include "todoschema.h"

#include <eventchain.h>
#include <importlines_p.h>
#include <store.h>

#include <QtCore/qbuffer.h>
#include <QtCore/qbytearray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qlist.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace LiveStore;

namespace {

[[noreturn]] void mismatch(const char *what, const QByteArray &line)
{
    std::fprintf(stderr, "import line reader mismatch (%s) on: %s\n", what, line.toPercentEncoding(" {}[]\":,").constData());
    std::abort();
}

bool sameValue(const QVariant &a, const QVariant &b)
{
    if (a.typeId() != b.typeId())
        return false;
    if (a.typeId() == QMetaType::QVariantMap) {
        const QVariantMap x = a.toMap(), y = b.toMap();
        if (x.keys() != y.keys())
            return false;
        for (auto it = x.cbegin(); it != x.cend(); ++it) {
            if (!sameValue(*it, y.value(it.key())))
                return false;
        }
        return true;
    }
    if (a.typeId() == QMetaType::QVariantList) {
        const QVariantList x = a.toList(), y = b.toList();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i) {
            if (!sameValue(x.at(i), y.at(i)))
                return false;
        }
        return true;
    }
    if (a.typeId() == QMetaType::Double) // bit for bit (-0.0, NaN)
        return std::memcmp(a.constData(), b.constData(), sizeof(double)) == 0;
    return a == b;
}

Store *openStore(Store &store)
{
    static const Schema schema = LiveStoreTest::todoSchema();
    StoreOptions options;
    options.storeId = QStringLiteral("fuzz");
    options.schema = schema;
    options.inMemory = true;
    return store.open(options) ? &store : nullptr;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    QList<EventRecord> events;
    EventChain chain;
    EventLineParser parser;
    bool linesOk = true;
    for (const QByteArray &raw : input.split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        QString error, parserError;
        auto record = EventRecord::fromJsonLine(line, &error);
        const auto parsed = parser.parse(line, &parserError);
        if (bool(record) != bool(parsed) || error != parserError)
            mismatch("accepted or error", line);
        if (record
            && (record->seqNum != parsed->seqNum || record->parentSeqNum != parsed->parentSeqNum
                || record->name != parsed->name || record->clientId != parsed->clientId
                || record->sessionId != parsed->sessionId || record->argsJson != parsed->argsJson
                || !sameValue(record->args, parsed->args)))
            mismatch("record", line);
        // The eventlog's arguments reader (a replay): what it answers is what Qt reads.
        for (const QByteArray &json : {line, record ? record->argsJson : QByteArray()}) {
            if (json.isEmpty())
                continue;
            if (const auto args = parser.parseArgs(json)) {
                const QJsonDocument doc = QJsonDocument::fromJson(json);
                if (!doc.isObject() || !sameValue(*args, doc.object().toVariantMap()))
                    mismatch("args", json);
            }
        }
        if (!record || !chain.append(*record, &error)) {
            linesOk = false;
            break; // the tool stops at the first bad line
        }
        events.append(std::move(*record));
    }

    // A first line that is not an event: both refuse it before touching a store (the parser
    // agrees with fromJsonLine(), checked above), so no store is needed to know.
    if (!linesOk && events.isEmpty())
        return 0;
    Store listed, streamed;
    if (!openStore(listed) || !openStore(streamed))
        return 0;
    const bool listOk = linesOk && listed.importEvents(events);
    QByteArray copy = input;
    QBuffer buffer(&copy);
    buffer.open(QIODevice::ReadOnly);
    const bool streamOk = streamed.importJsonLines(&buffer);
    if (listOk != streamOk)
        mismatch("outcome", input.left(200));
    if (listOk) {
        if (listed.stateDigest() != streamed.stateDigest() || listed.head() != streamed.head()
            || listed.eventCount() != streamed.eventCount())
            mismatch("state", input.left(200));
        (void)streamed.verify();
    } else if (streamed.eventCount() != 0) {
        mismatch("refused but kept events", input.left(200));
    }
    return 0;
}
