// SPDX-License-Identifier: BSD-3-Clause
// Store::openAsync(): opening on a worker thread. The worker opens a StorePrivate of its own (its
// own SQLite connection, lock file and state), touching nothing the Store's thread uses; boot
// status is posted back. When it is done, the Store's thread takes the worker's StorePrivate in
// place of its closed one: the store goes from "opening" to open in one step, and nothing is ever
// shared between the two threads but the cancel flag.
#include "logging_p.h"
#include "store_p.h"

#include <QtCore/qpointer.h>

#include <thread>

using namespace Qt::StringLiterals;

namespace LiveStore {

struct StorePrivate::AsyncOpen
{
    quint64 id = 0;                       // which job a posted call belongs to
    std::atomic<bool> cancel{false};
    std::unique_ptr<StorePrivate> worker; // owned here, used only by the thread until it is joined
    bool succeeded = false;               // written by the thread before it posts its end
    std::thread thread;
};

StorePrivate::StorePrivate(Store *q) : q(q) { }
StorePrivate::~StorePrivate() = default;

void StorePrivate::deliverAsyncBootStatus(Store *q, quint64 job, const BootStatus &status)
{
    StorePrivate *d = q->d.get();
    if (!d->asyncOpen || d->asyncOpen->id != job)
        return; // cancelled meanwhile: what the old job says no longer matters
    d->boot = status;
    if (d->options.onBootStatus)
        d->options.onBootStatus(status);
    Q_EMIT q->bootStatusChanged(status);
}

void StorePrivate::finishAsyncOpen(Store *q, quint64 job)
{
    if (!q->d->asyncOpen || q->d->asyncOpen->id != job)
        return;
    const std::unique_ptr<AsyncOpen> finished = std::move(q->d->asyncOpen);
    finished->thread.join(); // it posted this as its last act: the join does not wait
    std::unique_ptr<StorePrivate> opened = std::move(finished->worker);
    opened->cancelRequested = nullptr;
    opened->postBootStatus = nullptr;
    if (finished->succeeded) {
        q->d = std::move(opened); // the closed StorePrivate goes; the open one takes its place
        q->d->startWatching();    // its timer belongs to this thread
    } else {
        q->d->opening = false;
        q->d->error = opened->error;
        qCDebug(lcStore, "cannot open store \"%s\": %s", qUtf8Printable(q->d->options.storeId),
                qUtf8Printable(opened->error));
    }
    Q_EMIT q->openFinished(finished->succeeded);
}

void StorePrivate::cancelAsyncOpen(Store *q, bool announce)
{
    if (!q->d->asyncOpen)
        return;
    const std::unique_ptr<AsyncOpen> job = std::move(q->d->asyncOpen);
    job->cancel.store(true, std::memory_order_relaxed);
    // The replay looks at the flag before each batch of events, so this waits for one batch (or
    // for a step that cannot stop halfway: an integrity check, a migration hook).
    job->thread.join();
    job->worker->close(); // also when it had just opened: the caller changed its mind
    job->worker.reset();
    q->d->opening = false;
    q->d->error = u"opening was cancelled"_s;
    if (announce)
        Q_EMIT q->openFinished(false);
}

bool Store::openAsync(const StoreOptions &options)
{
    StorePrivate::cancelAsyncOpen(this, true);
    d->close();
    d->error.clear();
    d->migrationReport.clear();
    d->options = options;
    d->schema = options.schema;
    // What needs no file is answered at once, as open() would.
    if (!isValidStoreId(options.storeId))
        return d->fail(u"invalid store id \"%1\": use letters, digits, '_' and '-' only"_s.arg(options.storeId));
    if (const QString problems = options.schema.validate(); !problems.isEmpty())
        return d->fail(u"invalid schema: "_s + problems);
    if (!options.inMemory && options.directory.isEmpty())
        return d->fail(u"no store directory given (set StoreOptions::directory or inMemory)"_s);

    static std::atomic<quint64> jobs{0};
    auto job = std::make_unique<StorePrivate::AsyncOpen>();
    job->id = ++jobs;
    job->worker = std::make_unique<StorePrivate>(this);
    StorePrivate *worker = job->worker.get();
    worker->cancelRequested = &job->cancel;
    // Posting to this object from the worker is safe: the Store joins the worker before it dies,
    // and calls still queued for a dead Store are dropped with it.
    const quint64 id = job->id;
    worker->postBootStatus = [this, id](const BootStatus &status) {
        QMetaObject::invokeMethod(
                this, [this, id, status] { StorePrivate::deliverAsyncBootStatus(this, id, status); },
                Qt::QueuedConnection);
    };
    d->opening = true;
    d->boot = {BootStatus::Loading, 0, 0};
    StorePrivate::AsyncOpen *running = job.get();
    d->asyncOpen = std::move(job);
    running->thread = std::thread([this, running, worker, options, id] {
        bool ok = worker->open(options);
        if (ok && worker->cancelled()) {
            ok = false;
            worker->error = u"opening was cancelled"_s;
        }
        if (!ok) {
            const QString error = worker->error;
            worker->close();
            worker->error = error;
        }
        running->succeeded = ok;
        QMetaObject::invokeMethod(this, [this, id] { StorePrivate::finishAsyncOpen(this, id); },
                                  Qt::QueuedConnection);
    });
    return true;
}

bool Store::isOpening() const
{
    return d->opening;
}

} // namespace LiveStore
