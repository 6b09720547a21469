// SPDX-License-Identifier: BSD-3-Clause
#include "guistallbench.h"

#include "livestorebench.h"
#include "rawsqlite.h"

#include <store.h>

#include <QtCore/qdir.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qtimer.h>

#include <functional>

using namespace Qt::StringLiterals;
using namespace LiveStore;

namespace Bench {

namespace {

// Runs `start` on this thread's event loop with a 1 ms precise timer ticking, until `finish` is
// called; the gaps between ticks (and the last tick to the finish) are the figures.
QJsonObject measureGaps(const std::function<void(std::function<void()> finish)> &start)
{
    QEventLoop loop;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(1);
    Samples gaps; // in microseconds
    Clock::time_point last;
    QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
        const auto now = Clock::now();
        gaps.add(microseconds(last, now));
        last = now;
    });
    bool finished = false;
    auto finish = [&] {
        if (finished)
            return;
        finished = true;
        gaps.add(microseconds(last, Clock::now()));
        loop.quit();
    };
    timer.start();
    last = Clock::now();
    const auto begin = Clock::now();
    QTimer::singleShot(0, &loop, [&] { start(finish); });
    loop.exec();
    const double seconds = secondsSince(begin);
    return {{u"max_gap_ms"_s, gaps.percentile(100) / 1000.0},
            {u"p99_gap_ms"_s, gaps.percentile(99) / 1000.0},
            {u"ticks"_s, gaps.size()},
            {u"seconds"_s, seconds}};
}

} // namespace

QJsonObject Ours::guiStallOpen(const Context &context)
{
    const QString directory = QDir(context.workDir).filePath(u"store"_s);
    prepareHistoryStore(directory, context.sizes.stallOpenEvents);
    Store store;
    QString error;
    qint64 events = 0;
    Clock::time_point opened;
    QJsonObject result = measureGaps([&](std::function<void()> finish) {
        QObject::connect(&store, &Store::openFinished, &store, [&, finish](bool ok) {
            opened = Clock::now();
            if (!ok)
                error = store.errorString();
            finish();
        });
        if (!store.openAsync(historyStoreOptions(directory, true))) {
            error = store.errorString();
            finish();
        }
    });
    if (!error.isEmpty())
        throw Error(u"cannot open the store: "_s + error);
    if (store.migrationReport().isEmpty())
        throw Error(u"openAsync() did not rebuild the state"_s);
    events = store.eventCount();
    result.insert(u"events"_s, events);
    result.insert(u"events_per_s"_s, double(events) / result.value(u"seconds"_s).toDouble());
    return result;
}

QJsonObject Raw::guiStallOpen(const Context &context)
{
    const QString path = QDir(context.workDir).filePath(u"history.db"_s);
    prepareHistoryDatabase(path, context.sizes.stallOpenEvents);
    Context rebuild = context;
    rebuild.history = path;
    // The replay runs where the timer would: the thread gets no turn of its loop until it ends,
    // so the longest gap is the replay itself (its file copy left out).
    const QJsonObject replay = rematerialize(rebuild);
    const double ms = replay.value(u"ms"_s).toDouble();
    return {{u"max_gap_ms"_s, ms}, {u"p99_gap_ms"_s, ms}, {u"seconds"_s, ms / 1000.0},
            {u"events"_s, replay.value(u"events"_s)}, {u"events_per_s"_s, replay.value(u"events_per_s"_s)}};
}

} // namespace Bench
