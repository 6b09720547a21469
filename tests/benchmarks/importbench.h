// SPDX-License-Identifier: BSD-3-Clause
// import-N: an export of N events (JSON lines, as `livestore export` writes them) imported into an
// empty store: events/s and peak RSS. The library reads it with Store::importJsonLines(); bare
// SQLite reads the same file with a scanner that trusts its layout and writes each event's
// eventlog row and state change in one transaction.
#ifndef LIVESTORE_BENCH_IMPORTBENCH_H
#define LIVESTORE_BENCH_IMPORTBENCH_H

#include "benchutil.h"

namespace Bench {
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
