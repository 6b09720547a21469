// SPDX-License-Identifier: BSD-3-Clause
// A process of its own on a store another process has open too (tst_multiprocess):
//
//   storechild DIR loop PREFIX SEED    commits at random until killed; "ack ID" after each commit
//                                      returned (ID: a todo it created), so that the test knows
//                                      what must have survived a kill -9
//   storechild DIR serve [SYNC_URL]    takes commands on stdin, one per line:
//                                        create ID    commits v1.TodoCreated, then "committed ID"
//                                        report       prints the report below
//                                        quit
//                                      and prints "rows N" whenever its live count of todos
//                                      changes (another process's commit included); with a sync
//                                      URL it syncs: "leader 0|1", "status N", "pending N"
//   storechild DIR report              prints the report and exits
//
// The report: "head SEQ", "history SHA1" (the eventlog: numbers, names, args, ids), "state SHA1"
// (Store::stateDigest), "verify ok" or "verify ERROR", then "end".
#include "storereport.h"
#include "todoschema.h"

#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qrandom.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qthread.h>

#include <cstdio>
#include <unistd.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

void say(const QString &line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

void report(Store &store)
{
    for (const QString &line : LiveStoreTest::storeReport(store))
        say(line);
    say(u"end"_s);
}

int loop(Store &store, const QString &prefix, quint32 seed)
{
    QRandomGenerator rng(seed);
    QStringList mine;
    for (qint64 n = 0;; ++n) {
        // Batches of 1 to 10 events, so that a kill lands inside any of them; completes only
        // todos of its own, which it knows exist.
        QList<Event> batch;
        QStringList created;
        const int size = rng.bounded(4) == 0 ? rng.bounded(1, 11) : 1;
        for (int i = 0; i < size; ++i) {
            if (!mine.isEmpty() && rng.bounded(3) == 0) {
                batch.append({u"v1.TodoCompleted"_s, {{u"id"_s, mine.at(rng.bounded(qsizetype(mine.size())))}}});
                continue;
            }
            const QString id = u"%1-%2-%3"_s.arg(prefix).arg(seed).arg(n * 10 + i);
            batch.append({u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString(rng.bounded(1, 100), u'x')}}});
            created.append(id);
        }
        if (!store.commit(batch)) {
            std::fprintf(stderr, "commit failed: %s\n", qPrintable(store.errorString()));
            return 1;
        }
        for (const QString &id : std::as_const(created))
            say(u"ack "_s + id);
        mine += created;
        if (rng.bounded(4) == 0)
            QThread::usleep(rng.bounded(2000)); // let the others in
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: storechild DIR loop PREFIX SEED | serve [SYNC_URL] | report\n");
        return 2;
    }
    const QString mode = args.at(2);
    const QString syncUrl = mode == u"serve"_s ? args.value(3) : QString();
    StoreOptions options;
    options.storeId = u"shared"_s;
    options.schema = LiveStoreTest::todoSchema();
    options.directory = args.at(1);
    options.recordChangesets = !syncUrl.isEmpty();
    Store store;
    if (!store.open(options)) {
        std::fprintf(stderr, "open failed: %s\n", qPrintable(store.errorString()));
        say(u"failed "_s + store.errorString());
        return 1;
    }
    say(u"open %1 shared %2 session %3"_s.arg(store.head().toString()).arg(int(store.isShared())).arg(store.sessionId()));

    if (mode == u"report"_s) {
        report(store);
        return 0;
    }
    if (mode == u"loop"_s && args.size() == 5)
        return loop(store, args.at(3), args.at(4).toUInt());
    if (mode != u"serve"_s) {
        std::fprintf(stderr, "unknown mode %s\n", qPrintable(mode));
        return 2;
    }

    Subscription count = store.subscribe(Query::sql(u"SELECT count(*) FROM todos"_s),
                                         [](const QueryResult &r) { say(u"rows %1"_s.arg(r.scalar().toInt())); });
    std::unique_ptr<SyncClient> sync;
    if (!syncUrl.isEmpty()) {
        sync = std::make_unique<SyncClient>(&store);
        sync->setInitialReconnectDelay(50);
        sync->setMaxReconnectDelay(400);
        QObject::connect(sync.get(), &SyncClient::leaderChanged, [&] { say(u"leader %1"_s.arg(int(sync->isLeader()))); });
        QObject::connect(sync.get(), &SyncClient::statusChanged, [&] { say(u"status %1"_s.arg(int(sync->status()))); });
        QObject::connect(sync.get(), &SyncClient::pendingCountChanged,
                         [&] { say(u"pending %1"_s.arg(sync->pendingCount())); });
        sync->setUrl(QUrl(syncUrl));
        sync->start();
    }

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QByteArray buffer;
    QObject::connect(&input, &QSocketNotifier::activated, [&] {
        char chunk[4096];
        const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (n <= 0) {
            app.exit(0); // the test went away
            return;
        }
        buffer.append(chunk, n);
        qsizetype end;
        while ((end = buffer.indexOf('\n')) >= 0) {
            const QStringList command = QString::fromUtf8(buffer.left(end)).split(u' ');
            buffer.remove(0, end + 1);
            if (command.value(0) == u"create"_s) {
                if (store.commit(u"v1.TodoCreated"_s, {{u"id"_s, command.value(1)}, {u"text"_s, u"from a child"_s}}))
                    say(u"committed "_s + command.value(1));
                else
                    say(u"failed "_s + store.errorString());
            } else if (command.value(0) == u"report"_s) {
                report(store);
            } else if (command.value(0) == u"quit"_s) {
                app.exit(0);
            }
        }
    });
    return app.exec();
}
