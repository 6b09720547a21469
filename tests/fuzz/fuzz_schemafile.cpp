// SPDX-License-Identifier: BSD-3-Clause
// A schema file as a user (or a store that describes itself) hands it over: parsed, checked, and
// when it is valid, written back as a file (Schema::toJson(), what a store records of its schema),
// which must load again as the same schema and write the same text, and a store opened on it in
// memory, which creates its tables and prepares every SQL materializer.
#include "fuzztarget.h"

#include <schema.h>
#include <store.h>

#include <QtCore/qbytearray.h>

#include <cstdio>
#include <cstdlib>

using namespace LiveStore;

namespace {

[[noreturn]] void mismatch(const char *what, const QByteArray &input, const QByteArray &written)
{
    std::fprintf(stderr, "schema written back differs (%s)\ninput: %s\nwritten: %s\n", what, input.constData(),
                 written.constData());
    std::abort();
}

// toJson() is the inverse of fromJson(): the same hashes, events, policies, and the same text.
void checkWrittenBack(const Schema &schema, const QByteArray &input)
{
    const QByteArray written = schema.toJson(QJsonDocument::Compact);
    QString error;
    const Schema again = Schema::fromJson(written, &error);
    if (!again.isValid())
        mismatch(qPrintable(error), input, written);
    if (again.stateHash() != schema.stateHash())
        mismatch("state hash", input, written);
    if (again.unknownEventPolicy() != schema.unknownEventPolicy() || again.failedEventPolicy() != schema.failedEventPolicy())
        mismatch("policies", input, written);
    const QList<EventDef> events = schema.events();
    if (again.events().size() != events.size())
        mismatch("event count", input, written);
    for (const EventDef &e : events) {
        const EventDef *a = again.event(e.name);
        if (!a || a->hash() != e.hash() || a->sqlStatements != e.sqlStatements || a->isClientOnly != e.isClientOnly
            || a->deprecated != e.deprecated || a->cppMaterializerMissing != e.cppMaterializerMissing)
            mismatch("event", input, written);
    }
    if (again.toJson(QJsonDocument::Compact) != written || again.toJson() != schema.toJson())
        mismatch("text", input, written);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const Schema schema = Schema::fromJson(input);
    if (!schema.isValid() || !schema.validate().isEmpty())
        return 0;
    checkWrittenBack(schema, input);
    Store store;
    StoreOptions options;
    options.storeId = QStringLiteral("fuzz");
    options.schema = schema;
    options.inMemory = true;
    if (store.open(options)) {
        (void)store.stateDigest();
        (void)store.verify();
    }
    return 0;
}
