// SPDX-License-Identifier: BSD-3-Clause
// livestore-sync-bench: sync figures through a local sync server, for our server and for the real
// sync-cf 0.4.0 server, with the same client (LiveStore::SyncClient) in both cases.
//
//     livestore-sync-bench [--server ours|real|both] [--scenario NAME] [--quick]
//                          [--clients N[,N...]] [--harness DIR] [--url URL [--server-pid PID]]
//
// Both servers run as child processes on 127.0.0.1: ours is the built livestore-sync-server
// with its default SQLite storage; the real one is wrangler dev from an installed copy of our
// interop harness, tests/interop (--harness, or the one tst_wirecheck installs into the build's
// interop/ folder). One JSON line per scenario and server:
//   latency     commit on client A to the rowsInserted of a LiveQueryModel on client B
//   throughput  N clients (10; --clients 1,2,5,10,20 runs the curve, a line per N), each
//               committing its next event once the last is confirmed, into one store: events/s
//               until every client has every event, and the CPU time the clients (this process)
//               and our server (its process) spent per confirmed event
//   catch-up    a fresh client pulls a store of 100,000 events (seeded through the same server)
// Every scenario uses a store id of its own, so runs do not see each other's events.
// --url runs the scenarios against a server that is already running (e.g. one under a profiler),
// named "external"; --server-pid names its process, whose CPU time then counts as the server's.

#include "benchutil.h"
#include "realsyncserver.h"
#include "serverprocess.h"
#include "todoschema.h"

#include <livequerymodel.h>
#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <vector>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace LiveStore;
using namespace Bench;

namespace {

struct SyncSizes
{
    int latencyCommits = 300;
    int throughputClients = 10;
    // At least 50 events per client and 500 in all, so that one client runs long enough to be
    // timed and twenty still race for every position many times.
    int throughputMinEvents = 500;
    int throughputMinEventsPerClient = 50;
    int catchUpEvents = 100'000;

    int throughputEventsPerClient() const
    {
        return std::max(throughputMinEventsPerClient,
                        (throughputMinEvents + throughputClients - 1) / throughputClients);
    }

    static SyncSizes quick() { return {50, 10, 100, 10, 2'000}; }
};

// CPU time (user + system) of this process, in seconds.
double ownCpuSeconds()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

// CPU time of another process in user space and in the kernel, in seconds, from /proc/PID/stat;
// -1 when unknown.
struct CpuSeconds
{
    double user = -1;
    double system = -1;
    bool isValid() const { return user >= 0 && system >= 0; }
};

CpuSeconds processCpuSeconds(qint64 pid)
{
    if (pid <= 0)
        return {};
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return {};
    const QByteArray text = stat.readAll();
    // After "pid (comm) ", which may itself hold spaces and parentheses: fields 3.. from the last ')'.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return {};
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return {fields.at(11).toDouble() / ticks, fields.at(12).toDouble() / ticks}; // utime, stime
}

// Runs the event loop until `done()` or the timeout; false on timeout.
bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    poll.start(1);
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    timeout.start(timeoutMs);
    loop.exec();
    return done();
}

// ---------------------------------------------------------------------------------------------
// The servers

class Server
{
public:
    virtual ~Server() = default;
    virtual QString name() const = 0;
    // Empty on success, else why not.
    virtual QString start(const QString &workDir) = 0;
    virtual void stop() = 0;
    virtual QUrl url() const = 0;
    // The process whose CPU time counts as the server's; 0 when not known.
    virtual qint64 processId() const { return 0; }
};

// The built livestore-sync-server, SQLite storage, logging only warnings.
class OurServer : public Server
{
public:
    QString name() const override { return u"ours"_s; }
    QString start(const QString &workDir) override
    {
        if (!m_process.start({u"--data"_s, workDir + u"/ours"_s, u"--log-level"_s, u"warning"_s}))
            return u"livestore-sync-server did not start: "_s + m_process.allStderr();
        return {};
    }
    void stop() override { m_process.stop(); }
    QUrl url() const override { return QUrl(u"ws://127.0.0.1:%1"_s.arg(m_process.port)); }
    qint64 processId() const override { return m_process.process.processId(); }

private:
    ServerProcess m_process;
};

// A server started by someone else, e.g. under perf or callgrind.
class ExternalServer : public Server
{
public:
    ExternalServer(const QUrl &url, qint64 pid) : m_url(url), m_pid(pid) { }
    QString name() const override { return u"external"_s; }
    QString start(const QString &) override { return {}; }
    void stop() override { }
    QUrl url() const override { return m_url; }
    qint64 processId() const override { return m_pid; }

private:
    QUrl m_url;
    qint64 m_pid = 0;
};

class RealServer : public Server
{
public:
    explicit RealServer(const QString &harness) : m_harness(harness), m_server(harness) { }
    QString name() const override { return u"sync-cf"_s; }
    QString start(const QString &workDir) override
    {
        if (m_harness.isEmpty() || !QFile::exists(m_harness + u"/node_modules/.bin/wrangler"_s))
            return u"no installed interop harness in '%1' (run tst_wirecheck once, which installs tests/interop "
                    "into the build's interop/ folder, or pass --harness DIR: a copy of tests/interop after npm ci)"_s
                    .arg(m_harness);
        // Its log line per push would cost it time we would measure.
        return m_server.start(workDir, u"warn"_s);
    }
    void stop() override { m_server.stop(); }
    QUrl url() const override { return QUrl(m_server.url()); }

private:
    QString m_harness;
    RealSyncServer m_server;
};

// ---------------------------------------------------------------------------------------------
// The clients

struct Client
{
    Client(const QString &storeId, const QUrl &url, int index)
    {
        StoreOptions o;
        o.storeId = storeId;
        o.schema = LiveStoreTest::todoSchema();
        o.inMemory = true;
        o.recordChangesets = true;
        o.clientId = u"bench-%1"_s.arg(index);
        o.sessionId = u"s-%1"_s.arg(index);
        if (!store.open(o))
            throw Error(u"store: "_s + store.errorString());
        sync = std::make_unique<SyncClient>(&store);
        sync->setUrl(url);
    }
    bool create(const QString &id)
    {
        return store.commit(u"v1.TodoCreated"_s, QVariantMap{{u"id"_s, id}, {u"text"_s, QString(u"todo "_s + id)}});
    }
    bool inSync(qint64 head) const
    {
        return sync->isCaughtUp() && sync->pendingCount() == 0 && sync->upstreamHead() == head;
    }
    void startAndCatchUp()
    {
        sync->start();
        if (!waitUntil([this] { return sync->isCaughtUp(); }, 60000))
            throw Error(u"client did not connect: "_s + sync->lastError());
    }

    Store store;
    std::unique_ptr<SyncClient> sync;
};

QString uniqueStoreId(const QString &scenario)
{
    return u"bench-%1-%2"_s.arg(scenario).arg(QDateTime::currentMSecsSinceEpoch());
}

// ---------------------------------------------------------------------------------------------
// The scenarios

QJsonObject latency(const Server &server, const SyncSizes &sizes)
{
    const QUrl url = server.url();
    const QString storeId = uniqueStoreId(u"latency"_s);
    Client a(storeId, url, 0), b(storeId, url, 1);
    a.startAndCatchUp();
    b.startAndCatchUp();
    LiveQueryModel model(&b.store, Query::from(u"todos"_s).orderBy(u"id"_s));
    Samples samples;
    samples.reserve(sizes.latencyCommits);
    for (int i = 0; i < sizes.latencyCommits; ++i) {
        QEventLoop loop;
        Clock::time_point arrived;
        const auto connection = QObject::connect(&model, &QAbstractItemModel::rowsInserted, &loop, [&] {
            arrived = Clock::now();
            loop.quit();
        });
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
        timeout.start(10000);
        const Clock::time_point start = Clock::now();
        if (!a.create(u"%1"_s.arg(i, 6, 10, QChar(u'0'))))
            throw Error(a.store.errorString());
        loop.exec();
        QObject::disconnect(connection);
        if (!timeout.isActive())
            throw Error(u"B did not see A's commit %1 within 10 s"_s.arg(i));
        samples.add(microseconds(start, arrived));
    }
    QJsonObject out = samples.toJson();
    out.insert(u"commits"_s, sizes.latencyCommits);
    return out;
}

QJsonObject pushThroughput(const Server &server, const SyncSizes &sizes)
{
    const QUrl url = server.url();
    const QString storeId = uniqueStoreId(u"throughput"_s);
    const int eventsPerClient = sizes.throughputEventsPerClient();
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < sizes.throughputClients; ++i) {
        clients.push_back(std::make_unique<Client>(storeId, url, i));
        clients.back()->startAndCatchUp();
    }
    const qint64 total = qint64(sizes.throughputClients) * eventsPerClient;
    // Closed loop, as ten chat users sending one message after the other: each client commits its
    // next event as soon as the previous one is confirmed. Every push is then one event, racing
    // the other nine for the next position: the server's push path, its fan-out and the
    // ServerAheadError/rebase round trips are what is measured, not bulk batching.
    std::vector<int> sent(clients.size(), 0);
    auto commitNext = [&](size_t c) {
        if (sent[c] >= eventsPerClient)
            return;
        if (!clients[c]->create(u"c%1-%2"_s.arg(c).arg(sent[c])))
            throw Error(clients[c]->store.errorString());
        ++sent[c];
    };
    for (size_t c = 0; c < clients.size(); ++c) {
        // Deferred: committing from inside the client's own signal would re-enter it.
        QObject::connect(clients[c]->sync.get(), &SyncClient::synced, clients[c]->sync.get(),
                         [&, c] { QTimer::singleShot(0, clients[c]->sync.get(), [&, c] { commitNext(c); }); });
    }
    const int timeoutMs = qEnvironmentVariableIntValue("LIVESTORE_BENCH_TIMEOUT_S") > 0
            ? qEnvironmentVariableIntValue("LIVESTORE_BENCH_TIMEOUT_S") * 1000 : 600'000;
    const CpuSeconds serverCpuStart = processCpuSeconds(server.processId());
    const double clientCpuStart = ownCpuSeconds();
    const Clock::time_point start = Clock::now();
    for (size_t c = 0; c < clients.size(); ++c)
        commitNext(c);
    const bool done = waitUntil([&] {
        for (size_t c = 0; c < clients.size(); ++c) {
            if (sent[c] < eventsPerClient || !clients[c]->inSync(total))
                return false;
        }
        return true;
    }, timeoutMs);
    const double seconds = secondsSince(start);
    const double clientCpu = ownCpuSeconds() - clientCpuStart;
    const CpuSeconds serverCpuEnd = processCpuSeconds(server.processId());
    if (!done) {
        QStringList states;
        for (size_t c = 0; c < clients.size(); ++c) {
            const SyncClient &sync = *clients[c]->sync;
            states.append(u"#%1 sent %2 pending %3 head %4 status %5 caughtUp %6 %7"_s.arg(c).arg(sent[c])
                                  .arg(sync.pendingCount()).arg(sync.upstreamHead()).arg(int(sync.status()))
                                  .arg(sync.isCaughtUp()).arg(sync.lastError()));
        }
        throw Error(u"the clients did not converge on %1 events within %2 s: "_s.arg(total).arg(timeoutMs / 1000)
                    + states.join(u"; "_s));
    }
    QJsonObject out = Bench::throughput(total, seconds);
    out.insert(u"clients"_s, sizes.throughputClients);
    out.insert(u"events"_s, total);
    // All clients together, in this one process (and one thread): the bench's side of the figure.
    out.insert(u"client_cpu_ms_per_event"_s, clientCpu * 1000.0 / double(total));
    // clock ticks (10 ms) of the server process: runs shorter than a second are coarse. The
    // kernel's part apart: sockets, and on loopback the receiving side's TCP work too.
    if (serverCpuStart.isValid() && serverCpuEnd.isValid()) {
        const double user = serverCpuEnd.user - serverCpuStart.user;
        const double system = serverCpuEnd.system - serverCpuStart.system;
        out.insert(u"server_cpu_ms_per_event"_s, (user + system) * 1000.0 / double(total));
        out.insert(u"server_kernel_ms_per_event"_s, system * 1000.0 / double(total));
    }
    return out;
}

QJsonObject catchUp(const Server &server, const SyncSizes &sizes)
{
    const QUrl url = server.url();
    const QString storeId = uniqueStoreId(u"catch-up"_s);
    // Seed through the server itself: commits of 1,000 events, pushed in batches of 100.
    Client writer(storeId, url, 0);
    for (int done = 0; done < sizes.catchUpEvents;) {
        QList<Event> batch;
        const int n = std::min(1000, sizes.catchUpEvents - done);
        for (int i = 0; i < n; ++i, ++done)
            batch.append(Event{u"v1.TodoCreated"_s, {{u"id"_s, u"t%1"_s.arg(done)}, {u"text"_s, u"todo"_s}}});
        if (!writer.store.commit(batch))
            throw Error(writer.store.errorString());
    }
    const Clock::time_point seedStart = Clock::now();
    writer.sync->start();
    if (!writer.sync->waitForSynced(1'800'000))
        throw Error(u"seeding %1 events did not finish: "_s.arg(sizes.catchUpEvents) + writer.sync->lastError());
    const double seedSeconds = secondsSince(seedStart);
    writer.sync->stop();

    Client reader(storeId, url, 1);
    const Clock::time_point start = Clock::now();
    reader.sync->start();
    if (!waitUntil([&] { return reader.sync->isCaughtUp(); }, 1'800'000))
        throw Error(u"the catch-up did not finish: "_s + reader.sync->lastError());
    const double seconds = secondsSince(start);
    if (reader.store.query(u"SELECT count(*) FROM todos"_s).scalar().toInt() != sizes.catchUpEvents)
        throw Error(u"the reader has the wrong number of todos"_s);
    QJsonObject out = Bench::throughput(sizes.catchUpEvents, seconds);
    out.insert(u"seconds"_s, seconds);
    out.insert(u"events"_s, sizes.catchUpEvents);
    out.insert(u"seed_push_events_per_s"_s, sizes.catchUpEvents / seedSeconds);
    return out;
}

struct Scenario
{
    QString name;
    QString description;
    QJsonObject (*run)(const Server &, const SyncSizes &);
    bool perClientCount = false; // run once per --clients value
};

const QList<Scenario> &scenarios()
{
    static const QList<Scenario> all = {
        {u"latency"_s, u"commit on A to the rowsInserted of a LiveQueryModel on B"_s, latency},
        {u"throughput"_s, u"N clients into one store, each committing its next event once the last is confirmed"_s,
         pushThroughput, true},
        {u"catch-up"_s, u"a fresh client pulls a store of 100,000 events"_s, catchUp},
    };
    return all;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"livestore-sync-bench"_s);
    // Reconnect chatter and rebase notes are not figures.
    QLoggingCategory::setFilterRules(u"livestore.*.info=false"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
            u"Sync figures through a local sync server: ours (livestore-sync-server) and the real "
             "sync-cf 0.4.0 server under wrangler dev, with the same client. One JSON line per "
             "scenario and server."_s);
    parser.addHelpOption();
    const QCommandLineOption serverOption(u"server"_s, u"ours, real or both (default both)."_s,
                                          u"WHICH"_s, u"both"_s);
    const QCommandLineOption scenarioOption(u"scenario"_s, u"Run only NAME: latency, throughput or catch-up."_s,
                                            u"NAME"_s);
    const QCommandLineOption quickOption(u"quick"_s, u"Small sizes: a smoke run of a few seconds."_s);
    const QCommandLineOption harnessOption(
            u"harness"_s, u"An installed interop harness (a copy of tests/interop after npm ci), for the real server."_s,
            u"DIR"_s, QStringLiteral(LIVESTORE_INTEROP_DIR));
    const QCommandLineOption clientsOption(
            u"clients"_s, u"Clients in the throughput scenario (default 10); a list such as 1,2,5,10,20 runs it once per value."_s,
            u"N"_s, u"10"_s);
    const QCommandLineOption urlOption(
            u"url"_s, u"A sync server that is already running (ws://HOST:PORT), instead of --server."_s, u"URL"_s);
    const QCommandLineOption serverPidOption(
            u"server-pid"_s, u"With --url: the server's process, whose CPU time is measured."_s, u"PID"_s);
    parser.addOptions({serverOption, scenarioOption, quickOption, clientsOption, harnessOption, urlOption,
                       serverPidOption});
    parser.process(app);

    const QString which = parser.value(serverOption);
    if (which != u"ours" && which != u"real" && which != u"both") {
        std::fprintf(stderr, "livestore-sync-bench: --server takes ours, real or both\n");
        return 2;
    }
    QList<int> clientCounts;
    for (const QString &n : parser.value(clientsOption).split(u',')) {
        bool ok = false;
        const int count = n.trimmed().toInt(&ok);
        if (!ok || count < 1 || count > 100) {
            std::fprintf(stderr, "livestore-sync-bench: --clients takes numbers from 1 to 100, separated by commas\n");
            return 2;
        }
        clientCounts.append(count);
    }
    const SyncSizes baseSizes = parser.isSet(quickOption) ? SyncSizes::quick() : SyncSizes();
    std::vector<std::unique_ptr<Server>> servers;
    if (parser.isSet(urlOption))
        servers.push_back(std::make_unique<ExternalServer>(QUrl(parser.value(urlOption)),
                                                           parser.value(serverPidOption).toLongLong()));
    else if (which != u"real")
        servers.push_back(std::make_unique<OurServer>());
    if (!parser.isSet(urlOption) && which != u"ours")
        servers.push_back(std::make_unique<RealServer>(parser.value(harnessOption)));

    QTemporaryDir work;
    int failures = 0;
    for (const auto &server : servers) {
        if (const QString why = server->start(work.path()); !why.isEmpty()) {
            const QJsonObject line{{u"server"_s, server->name()}, {u"error"_s, why}};
            std::printf("%s\n", QJsonDocument(line).toJson(QJsonDocument::Compact).constData());
            std::fflush(stdout);
            ++failures;
            continue;
        }
        for (const Scenario &scenario : scenarios()) {
            if (parser.isSet(scenarioOption) && parser.value(scenarioOption) != scenario.name)
                continue;
            for (const int clientCount : scenario.perClientCount ? clientCounts : QList<int>{0}) {
                SyncSizes sizes = baseSizes;
                if (clientCount > 0)
                    sizes.throughputClients = clientCount;
                QJsonObject line{{u"scenario"_s, scenario.name}, {u"server"_s, server->name()},
                                 {u"description"_s, scenario.description}};
                try {
                    const QJsonObject figures = scenario.run(*server, sizes);
                    for (auto it = figures.begin(); it != figures.end(); ++it)
                        line.insert(it.key(), it.value());
                } catch (const Error &e) {
                    line.insert(u"error"_s, QString::fromStdString(e.what()));
                    ++failures;
                }
                std::printf("%s\n", QJsonDocument(line).toJson(QJsonDocument::Compact).constData());
                std::fflush(stdout);
            }
        }
        server->stop();
    }
    return failures == 0 ? 0 : 1;
}
