// SPDX-License-Identifier: BSD-3-Clause
// A schema file as a user (or a store that describes itself) hands it over: parsed, checked, and
// when it is valid, a store opened on it in memory, which creates its tables and prepares every
// SQL materializer.
#include "fuzztarget.h"

#include <schema.h>
#include <store.h>

#include <QtCore/qbytearray.h>

using namespace LiveStore;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const Schema schema = Schema::fromJson(input);
    if (!schema.isValid() || !schema.validate().isEmpty())
        return 0;
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
