// SPDX-License-Identifier: BSD-3-Clause
#include "benchutil.h"

#include <QtCore/qfile.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Bench {

Sizes Sizes::quick()
{
    Sizes s;
    for (int *n : {&s.singleCommits, &s.batchEvents, &s.seedTodos, &s.latencyCommits,
                   &s.listQueryRuns, &s.fullQueryRuns, &s.bigStoreEvents, &s.durableCommits,
                   &s.modelUpdates, &s.stallOpenEvents, &s.stallCatchUpEvents,
                   &s.stallCatchUpPending})
        *n /= 10;
    return s;
}

double Samples::percentile(double p) const
{
    if (m_values.empty())
        return 0;
    std::vector<double> sorted = m_values;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = size_t(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

QJsonObject Samples::toJson() const
{
    return {{u"median_us"_s, median()}, {u"p99_us"_s, percentile(99)}};
}

QJsonObject throughput(qint64 events, double seconds)
{
    return {{u"events_per_s"_s, seconds > 0 ? double(events) / seconds : 0.0},
            {u"ms"_s, seconds * 1000.0}};
}

double peakRssMb()
{
    QFile status(u"/proc/self/status"_s);
    if (status.open(QIODevice::ReadOnly | QIODevice::Text)) {
        while (!status.atEnd()) {
            const QByteArray line = status.readLine();
            if (line.startsWith("VmHWM:")) // "VmHWM:     12345 kB"
                return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
        }
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0; // kilobytes on Linux
}

long minorFaults()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

} // namespace Bench
