// SPDX-License-Identifier: BSD-3-Clause
// An import file (JSON lines, as `livestore import` reads it): every line through the same
// reader and chain check as the tool, then the events that passed imported into a todo store.
#include "fuzztarget.h"
#include "todoschema.h"

#include <eventchain.h>
#include <store.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>

using namespace LiveStore;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    QList<EventRecord> events;
    EventChain chain;
    for (const QByteArray &raw : input.split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        QString error;
        auto record = EventRecord::fromJsonLine(line, &error);
        if (!record || !chain.append(*record, &error))
            return 0; // the tool stops at the first bad line
        events.append(std::move(*record));
    }
    static const Schema schema = LiveStoreTest::todoSchema();
    Store store;
    StoreOptions options;
    options.storeId = QStringLiteral("fuzz");
    options.schema = schema;
    options.inMemory = true;
    if (store.open(options) && store.importEvents(events))
        (void)store.verify();
    return 0;
}
