// SPDX-License-Identifier: BSD-3-Clause
// Shared by both sides of the benchmark (the library and bare SQLite): sizes, the context a
// scenario runs in, timing and percentiles, peak RSS.
#ifndef LIVESTORE_BENCH_BENCHUTIL_H
#define LIVESTORE_BENCH_BENCHUTIL_H

#include <QtCore/qjsonobject.h>
#include <QtCore/qstring.h>

#include <chrono>
#include <stdexcept>
#include <vector>

namespace Bench {

using Clock = std::chrono::steady_clock;

// How much work each scenario does. `--quick` divides everything by ten (a smoke run).
struct Sizes
{
    int singleCommits = 10'000;
    int batchEvents = 10'000;
    int seedTodos = 10'000;      // latency, query and model scenarios; every second one completed
    int latencyCommits = 1'000;
    int listQueryRuns = 1'000;
    int fullQueryRuns = 200;
    int bigStoreEvents = 100'000; // boot and rematerialize
    int durableCommits = 2'000;
    int modelUpdates = 1'000;     // model scenarios: one-row updates per series
    int stallOpenEvents = 1'000'000; // gui-stall-open: the store opened after a table change
    int stallCatchUpEvents = 100'000; // gui-stall-catchup: the backlog the sync client pulls
    int stallCatchUpPending = 1'000;  // gui-stall-catchup-pending: local events it rebases

    static Sizes full() { return {}; }
    static Sizes quick();
};

// Where a scenario side runs: `workDir` is fresh and empty. Scenarios that start from a big
// history (boot, rematerialize) get `history`: a prepared store directory (library side) or
// database file (bare SQLite side) of Sizes::bigStoreEvents events, to copy, not to modify: it is
// prepared once per run by a separate process, so that its cost stays out of the figures.
struct Context
{
    QString workDir;
    QString history;
    Sizes sizes;
};

// A scenario that cannot run (the store does not open, SQLite reports an error...). Thrown by
// either side and reported as {"error": ...} instead of figures.
class Error : public std::runtime_error
{
public:
    explicit Error(const QString &message) : std::runtime_error(message.toStdString()) { }
};

inline double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double microseconds(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::micro>(to - from).count();
}

// Latency samples in microseconds.
class Samples
{
public:
    void reserve(qsizetype n) { m_values.reserve(size_t(n)); }
    void add(double us) { m_values.push_back(us); }
    qsizetype size() const { return qsizetype(m_values.size()); }
    double median() const { return percentile(50); }
    // Nearest-rank percentile: the smallest sample with at least p% of all samples at or below it.
    double percentile(double p) const;
    // {"median_us": ..., "p99_us": ...}
    QJsonObject toJson() const;

private:
    std::vector<double> m_values;
};

// Throughput figures for `events` processed in `seconds`: {"events_per_s": ..., "ms": ...}.
QJsonObject throughput(qint64 events, double seconds);

// The process's peak resident set size in MiB (VmHWM; getrusage as a fallback). It is a
// process-wide high-water mark, which is why every scenario side runs in a process of its own.
double peakRssMb();

// The page faults the process has taken so far that needed no disk read (getrusage's
// ru_minflt). The boot scenario reports those of its window: on a virtual machine each costs tens
// of microseconds, and a process's first open is mostly code, data and heap touched the first time.
long minorFaults();

} // namespace Bench

#endif // LIVESTORE_BENCH_BENCHUTIL_H
