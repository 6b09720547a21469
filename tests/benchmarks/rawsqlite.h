// SPDX-License-Identifier: BSD-3-Clause
// The baseline side of each scenario: the same work with bare SQLite and nothing of the library.
// Per event it does what a hand-written app would do for the same guarantees: one eventlog row
// (the library's table shape) and the state write, in one transaction, with prepared statements
// and the library's pragmas. The difference to the library side is the library's overhead.
#ifndef LIVESTORE_BENCH_RAWSQLITE_H
#define LIVESTORE_BENCH_RAWSQLITE_H

#include "benchutil.h"

namespace Bench::Raw {

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
QJsonObject modelQml(const Context &context);

// Writes a database of `events` history events to `path` (the boot/rematerialize fixture).
void prepareHistoryDatabase(const QString &path, int events);

} // namespace Bench::Raw

#endif // LIVESTORE_BENCH_RAWSQLITE_H
