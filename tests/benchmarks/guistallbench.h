// SPDX-License-Identifier: BSD-3-Clause
// gui-stall-open, gui-stall-catchup and gui-stall-import: how long the GUI thread goes without
// running its event loop while a store rebuilds its state, while a sync client catches up with a
// long backlog, or while an export is imported, measured by a 1 ms timer on that thread.
#ifndef LIVESTORE_BENCH_GUISTALLBENCH_H
#define LIVESTORE_BENCH_GUISTALLBENCH_H

#include "benchutil.h"

namespace Bench {
namespace Ours {
// Store::openAsync() of a store that rebuilds after a table change.
QJsonObject guiStallOpen(const Context &context);
// A fresh store with a bound 10,000-row LiveQueryModel catches up with a sync server (a child
// process) holding Sizes::stallCatchUpEvents history events.
QJsonObject guiStallCatchUp(const Context &context);
// The same catch-up with SyncClient::setApplyBudget(0): every pulled page applied as it arrives,
// as before the client sliced its work (the scenario's second side: there is no bare-SQLite sync
// client to compare with).
QJsonObject guiStallCatchUpUnsliced(const Context &context);
// Both with Sizes::stallCatchUpPending local events committed before the client connects, which
// every pulled page of others' events rebases.
QJsonObject guiStallCatchUpPending(const Context &context);
QJsonObject guiStallCatchUpPendingUnsliced(const Context &context);
// Store::importFileAsync() of an export of Sizes::stallOpenEvents events into an empty store
// with a bound model.
QJsonObject guiStallImport(const Context &context);
}
namespace Raw {
// Bare SQLite doing the same rebuild where the timer runs (what an app that opens its database
// on the GUI thread gets).
QJsonObject guiStallOpen(const Context &context);
// The same import on that thread.
QJsonObject guiStallImport(const Context &context);
}
} // namespace Bench

#endif // LIVESTORE_BENCH_GUISTALLBENCH_H
