// SPDX-License-Identifier: BSD-3-Clause
// gui-stall-open: how long the GUI thread goes without running its event loop while a store
// rebuilds its state, measured by a 1 ms timer on that thread.
#ifndef LIVESTORE_BENCH_GUISTALLBENCH_H
#define LIVESTORE_BENCH_GUISTALLBENCH_H

#include "benchutil.h"

namespace Bench {
namespace Ours {
// Store::openAsync() of a store that rebuilds after a table change.
QJsonObject guiStallOpen(const Context &context);
}
namespace Raw {
// Bare SQLite doing the same rebuild where the timer runs (what an app that opens its database
// on the GUI thread gets).
QJsonObject guiStallOpen(const Context &context);
}
} // namespace Bench

#endif // LIVESTORE_BENCH_GUISTALLBENCH_H
