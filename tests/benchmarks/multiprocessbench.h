// SPDX-License-Identifier: BSD-3-Clause
// other-process: how soon a live model sees a commit another process of the same store made
// (multiprocessbench.cpp).
#ifndef LIVESTORE_BENCH_MULTIPROCESSBENCH_H
#define LIVESTORE_BENCH_MULTIPROCESSBENCH_H

#include "benchutil.h"

namespace Bench::Ours {

// A LiveQueryModel of 100 of 10,000 todos here; a child process of the store commits text edits
// of its rows, one every 10 ms, each stamped with the time its commit began: the figure is the
// time from that stamp to this model's dataChanged.
QJsonObject otherProcess(const Context &context);
// The baseline: the same edits committed from a timer of this process.
QJsonObject otherProcessLocal(const Context &context);
// The child's side: opens the store in `directory` and commits `count` stamped edits.
int otherProcessWriter(const QString &directory, int count);

} // namespace Bench::Ours

#endif // LIVESTORE_BENCH_MULTIPROCESSBENCH_H
