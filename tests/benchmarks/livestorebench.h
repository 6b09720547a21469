// SPDX-License-Identifier: BSD-3-Clause
// The library side of each scenario: the work done through LiveStore::Store (and its models).
#ifndef LIVESTORE_BENCH_LIVESTOREBENCH_H
#define LIVESTORE_BENCH_LIVESTOREBENCH_H

#include "benchutil.h"

#include <store.h>

namespace Bench::Ours {

QJsonObject commitSingle(const Context &context);
QJsonObject commitBatch(const Context &context);
QJsonObject latency(const Context &context);
QJsonObject queryList100(const Context &context);
QJsonObject query5000(const Context &context);
QJsonObject boot(const Context &context);
QJsonObject rematerialize(const Context &context);
QJsonObject durableCommitSingle(const Context &context);
QJsonObject model100(const Context &context);
QJsonObject model10000(const Context &context);
QJsonObject model100k(const Context &context);
QJsonObject model1m(const Context &context);
// Through QML: a Store and a LiveQuery from `import LiveStore` (modelqmlbench.cpp).
QJsonObject modelQml(const Context &context);

// The todo schema with v1.TodoEdited, which the model scenarios commit (as the example schema
// file has it).
LiveStore::Schema todoSchemaWithEdits();

// Writes a store of `events` history events into `directory` (the boot/rematerialize fixture).
void prepareHistoryStore(const QString &directory, int events);
// Options that open such a store; with `changedTable`, its todos table has one more column, so
// opening rebuilds the state from the eventlog.
LiveStore::StoreOptions historyStoreOptions(const QString &directory, bool changedTable);

} // namespace Bench::Ours

#endif // LIVESTORE_BENCH_LIVESTOREBENCH_H
