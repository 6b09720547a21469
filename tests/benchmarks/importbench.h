// SPDX-License-Identifier: BSD-3-Clause
// import-N: an export of N events (JSON lines, as `livestore export` writes them) imported into an
// empty store: events/s and peak RSS. The library reads it with Store::importJsonLines(); bare
// SQLite reads the same file with a scanner that trusts its layout and writes each event's
// eventlog row and state change in one transaction.
#ifndef LIVESTORE_BENCH_IMPORTBENCH_H
#define LIVESTORE_BENCH_IMPORTBENCH_H

#include "benchutil.h"

namespace Bench {
// The export of Workload::historyEvents(count), as `livestore export` lays it out; its size in
// bytes. (Also gui-stall-import's input.)
qint64 writeExport(const QString &path, int count);
// Bare SQLite's import of an export of `fullSize` events (scaled for --quick).
QJsonObject importRaw(const Context &context, int fullSize);
namespace Ours {
QJsonObject import10k(const Context &context);
QJsonObject import100k(const Context &context);
QJsonObject import1m(const Context &context);
}
namespace Raw {
QJsonObject import10k(const Context &context);
QJsonObject import100k(const Context &context);
QJsonObject import1m(const Context &context);
}
} // namespace Bench

#endif // LIVESTORE_BENCH_IMPORTBENCH_H
