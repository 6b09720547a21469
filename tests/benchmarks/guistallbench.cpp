// SPDX-License-Identifier: BSD-3-Clause
#include "guistallbench.h"

#include "importbench.h"
#include "livestorebench.h"
#include "rawsqlite.h"
#include "serverprocess.h"
#include "todoschema.h"
#include "workload.h"

#include <livequerymodel.h>
#include <sqlitesyncstorage.h>
#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qloggingcategory.h>
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

// The sync server's data for gui-stall-catchup: store "bench" holding the history workload's
// first `events` events (create, create, complete the first of the two), written straight into
// the server's storage in appends of 1,000 (pushing them through a client would take longer than
// the catch-up being measured).
void prepareServerData(const QString &directory, int events)
{
    SqliteSyncStorage storage;
    if (!storage.open(directory))
        throw Error(u"cannot open the sync server's storage: "_s + storage.errorString());
    if (!storage.store(u"bench"_s)) // creates it: append() does not
        throw Error(u"cannot create the store on the sync server: "_s + storage.errorString());
    const std::vector<Workload::TodoEvent> history = Workload::historyEvents(events);
    const QString createdAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QList<Wire::Event> batch;
    qint64 seq = 0;
    for (const Workload::TodoEvent &e : history) {
        Wire::Event w;
        ++seq;
        w.seqNum = seq;
        w.parentSeqNum = seq - 1;
        w.clientId = u"seed"_s;
        w.sessionId = u"seed-session"_s;
        // Ids and texts need no JSON escaping (workload.h).
        if (e.kind == Workload::TodoEvent::Created) {
            w.name = u"v1.TodoCreated"_s;
            w.argsJson = "{\"id\":\"" + QByteArray::fromStdString(e.id) + "\",\"text\":\""
                    + QByteArray::fromStdString(e.text) + "\"}";
        } else {
            w.name = u"v1.TodoCompleted"_s;
            w.argsJson = "{\"id\":\"" + QByteArray::fromStdString(e.id) + "\"}";
        }
        batch.append(std::move(w));
        if (batch.size() == 1000 || seq == qint64(history.size())) {
            const SyncStorage::AppendResult r = storage.append(u"bench"_s, batch, createdAt);
            if (r.status != SyncStorage::AppendResult::Status::Appended)
                throw Error(u"cannot seed the sync server: "_s
                            + (r.error.isEmpty() ? u"refused (head e%1)"_s.arg(r.head) : r.error));
            batch.clear();
        }
    }
    storage.close();
}

// gui-stall-catchup on either side: `applyBudgetMs` is the SyncClient's (0: every page applied
// as it arrives; -1: its default). With `pending` local events committed before it connects,
// every pulled page of others' events rebases them (gui-stall-catchup-pending).
QJsonObject guiStallCatchUp(const Context &context, int applyBudgetMs, int pending = 0)
{
    QLoggingCategory::setFilterRules(u"livestore.*.info=false"_s); // store created, connected: no figures
    const int events = context.sizes.stallCatchUpEvents;
    const QString serverData = QDir(context.workDir).filePath(u"server"_s);
    prepareServerData(serverData, events);
    ServerProcess server;
    if (!server.start({u"--data"_s, serverData, u"--log-level"_s, u"warning"_s}))
        throw Error(u"livestore-sync-server did not start: "_s + server.allStderr());

    StoreOptions options;
    options.storeId = u"bench"_s;
    options.schema = LiveStoreTest::todoSchema();
    options.directory = QDir(context.workDir).filePath(u"client"_s);
    options.recordChangesets = true;
    Store store;
    if (!store.open(options))
        throw Error(u"cannot open the store: "_s + store.errorString());
    if (pending > 0) {
        QList<Event> offline;
        for (int i = 0; i < pending; ++i) // ids after the server's: at the end of the list
            offline.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, u"u%1"_s.arg(i, 7, 10, QChar(u'0'))},
                                                       {u"text"_s, u"offline"_s}}});
        if (!store.commit(offline))
            throw Error(u"cannot commit the offline events: "_s + store.errorString());
    }
    // What a list view of the app would show: the first 10,000 todos, re-queried and diffed
    // after every applied page.
    LiveQueryModel model(&store, Query::sql(u"SELECT * FROM todos ORDER BY id LIMIT 10000"_s));
    SyncClient sync(&store);
    sync.setUrl(QUrl(u"ws://127.0.0.1:%1"_s.arg(server.port)));
    if (applyBudgetMs >= 0)
        sync.setApplyBudget(applyBudgetMs);
    QString error;
    int progressUpdates = 0;
    QTimer timeout;
    timeout.setSingleShot(true);
    QJsonObject result = measureGaps([&](std::function<void()> finish) {
        QObject::connect(&sync, &SyncClient::caughtUpChanged, &sync, [&, finish] {
            if (sync.isCaughtUp())
                finish();
        });
        QObject::connect(&sync, &SyncClient::catchUpProgressChanged, &sync, [&] { ++progressUpdates; });
        QObject::connect(&sync, &SyncClient::statusChanged, &sync, [&, finish] {
            if (sync.status() == SyncClient::Error) {
                error = sync.lastError();
                finish();
            }
        });
        QObject::connect(&timeout, &QTimer::timeout, &sync, [&, finish] {
            error = u"the catch-up did not finish within 600 s: "_s + sync.lastError();
            finish();
        });
        timeout.start(600'000);
        sync.start();
    });
    sync.stop();
    if (!error.isEmpty())
        throw Error(error);
    // The log's file keeps the size it grew to (SQLite reuses it from the start): how far the
    // checkpoints let it grow during the catch-up.
    const double walMb = double(QFileInfo(QDir(options.directory).filePath(u"store.db-wal"_s)).size()) / (1 << 20);
    const qint64 stored = store.eventCount();
    const int todos = store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt();
    // Caught up: the server's events, and ours on top of them (some may be pushed by now).
    if (stored != events + pending || sync.upstreamHead() < events)
        throw Error(u"the client has %1 events (head e%2), the server %3"_s.arg(stored)
                            .arg(sync.upstreamHead()).arg(events));
    if (model.rowCount() != std::min(todos, 10'000))
        throw Error(u"the model shows %1 rows, not %2"_s.arg(model.rowCount()).arg(std::min(todos, 10'000)));
    result.insert(u"events"_s, events);
    if (pending > 0)
        result.insert(u"pending"_s, pending);
    result.insert(u"events_per_s"_s, double(events) / result.value(u"seconds"_s).toDouble());
    result.insert(u"model_rows"_s, model.rowCount());
    result.insert(u"progress_updates"_s, progressUpdates);
    result.insert(u"wal_mb"_s, walMb);
    return result;
}

} // namespace

QJsonObject Ours::guiStallCatchUp(const Context &context)
{
    return Bench::guiStallCatchUp(context, -1);
}

QJsonObject Ours::guiStallCatchUpUnsliced(const Context &context)
{
    return Bench::guiStallCatchUp(context, 0);
}

QJsonObject Ours::guiStallCatchUpPending(const Context &context)
{
    return Bench::guiStallCatchUp(context, -1, context.sizes.stallCatchUpPending);
}

QJsonObject Ours::guiStallCatchUpPendingUnsliced(const Context &context)
{
    return Bench::guiStallCatchUp(context, 0, context.sizes.stallCatchUpPending);
}

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

QJsonObject Ours::guiStallImport(const Context &context)
{
    const int count = context.sizes.stallOpenEvents;
    const QString input = QDir(context.workDir).filePath(u"events.jsonl"_s);
    writeExport(input, count);
    StoreOptions options;
    options.storeId = u"bench"_s;
    options.schema = LiveStoreTest::todoSchema();
    options.directory = QDir(context.workDir).filePath(u"store"_s);
    Store store;
    if (!store.open(options))
        throw Error(u"cannot open the store: "_s + store.errorString());
    // A view's page of the todos, bound as in an app: it fills in the step after the commit.
    LiveQueryModel model;
    model.setStore(&store);
    model.setQuery(Query::sql(QString::fromLatin1(Workload::ModelPageSql)));
    QString error;
    QJsonObject result = measureGaps([&](std::function<void()> finish) {
        QObject::connect(&store, &Store::importFinished, &store, [&, finish](bool ok) {
            if (!ok)
                error = store.errorString();
            finish();
        });
        if (!store.importFileAsync(input)) {
            error = store.errorString();
            finish();
        }
    });
    if (!error.isEmpty())
        throw Error(u"import failed: "_s + error);
    if (store.eventCount() != count || model.rowCount() == 0)
        throw Error(u"imported %1 events of %2"_s.arg(store.eventCount()).arg(count));
    result.insert(u"events"_s, count);
    result.insert(u"events_per_s"_s, double(count) / result.value(u"seconds"_s).toDouble());
    return result;
}

QJsonObject Raw::guiStallImport(const Context &context)
{
    // The import runs where the timer would: the longest gap is the whole import.
    const QJsonObject import = importRaw(context, Sizes::full().stallOpenEvents);
    const double ms = 1000.0 * import.value(u"events"_s).toDouble() / import.value(u"events_per_s"_s).toDouble();
    return {{u"max_gap_ms"_s, ms}, {u"p99_gap_ms"_s, ms}, {u"seconds"_s, ms / 1000.0},
            {u"events"_s, import.value(u"events"_s)}, {u"events_per_s"_s, import.value(u"events_per_s"_s)}};
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
