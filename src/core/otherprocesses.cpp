// SPDX-License-Identifier: BSD-3-Clause
// Several processes on one store: how a Store sees the commits of the others.
//
// Each process has its own SQLite connection to store.db, and SQLite serializes their writes
// (BEGIN IMMEDIATE, with a busy timeout). What a Store keeps in memory besides SQLite, the head
// of the eventlog and the results of its live queries, is brought up to date from PRAGMA
// data_version, which changes whenever another connection has committed: a commit looks at it
// inside its write transaction, before it numbers its events, and a timer looks at it between
// commits, so that live queries and models follow the others' commits within a few frames.
//
// What another process changed is not known row by row (its session of changes stays in its
// own process), so every live query of the Store re-runs once, and its model diffs the new rows
// against the old: the same fine-grained insert/remove/move/dataChanged signals as after a local
// commit, at the cost of a re-query.
#include "logging_p.h"
#include "store_p.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

bool StorePrivate::noticeOtherProcesses()
{
    if (!isOpen || options.inMemory)
        return true;
    const std::optional<qint64> version = db.readInteger(u"PRAGMA data_version"_s);
    if (!version)
        return fail(u"cannot look for other processes' commits: "_s + db.lastError());
    if (*version == dataVersion)
        return true;
    const bool firstLook = dataVersion < 0;
    dataVersion = *version;
    const SequenceNumber before = head;
    const std::optional<qint64> rewritten =
            db.readInteger(u"SELECT value FROM __livestore_meta WHERE key = 'rewrites'"_s);
    const std::optional<qint64> confirmed =
            db.readInteger(u"SELECT head FROM __livestore_sync_status WHERE id = 1"_s);
    if (!rewritten || !confirmed || !loadHead())
        return fail(u"cannot read the commits of other processes: "_s + db.lastError());
    if (firstLook) {
        rewrites = *rewritten;
        upstreamHead = *confirmed;
        return true;
    }
    // The process that syncs confirmed events: the log's numbers stay, what is pending changes.
    if (*confirmed != upstreamHead) {
        upstreamHead = *confirmed;
        othersConfirmed = true;
    }
    if (*rewritten != rewrites) {
        rewrites = *rewritten;
        othersRewrote = true;
    }
    if (head != before)
        othersAppended = true;
    // A process that syncs started keeping changesets after we opened: ours are needed too, so
    // that its rebase can roll our events back one by one instead of replaying the whole log.
    if ((othersAppended || othersRewrote) && !options.recordChangesets && !options.readOnly
        && db.readInteger(u"SELECT count(*) FROM sqlite_schema WHERE name = '__livestore_session_changeset'"_s)
                   .value_or(0) > 0) {
        options.recordChangesets = true;
    }
    if (othersAppended || othersRewrote)
        qCDebug(lcStore, "another process changed store %s: head %s -> %s%s",
                qUtf8Printable(options.storeId), qUtf8Printable(before.toString()),
                qUtf8Printable(head.toString()), othersRewrote ? " (rewritten)" : "");
    return true;
}

StorePrivate::OthersChanges StorePrivate::takeOthersChanges(QSet<QString> *tables)
{
    OthersChanges changes;
    changes.any = othersAppended || othersRewrote || othersConfirmed;
    changes.tables = othersAppended || othersRewrote;
    changes.rewrote = othersRewrote;
    othersAppended = othersRewrote = othersConfirmed = false;
    if (changes.tables) {
        tables->insert(u"__livestore_eventlog"_s);
        for (const TableDef &t : schema.tables())
            tables->insert(t.name);
    }
    return changes;
}

void StorePrivate::announceOthersChanges()
{
    QSet<QString> tables;
    const OthersChanges changes = takeOthersChanges(&tables);
    if (!changes.any)
        return;
    if (graph && changes.tables)
        graph->tablesChanged(tables, nullptr);
    Q_EMIT q->eventlogChanged(changes.rewrote);
}

bool StorePrivate::recordRewrite()
{
    Database::Statement *s = db.prepare(
            u"INSERT INTO __livestore_meta (key, value) VALUES ('rewrites', 1) "
             "ON CONFLICT (key) DO UPDATE SET value = value + 1"_s);
    if (!s || !db.execute(s, {}))
        return fail(u"cannot record a rewrite of the history: "_s + db.lastError());
    // Ours: not a change another process made.
    rewrites = db.readInteger(u"SELECT value FROM __livestore_meta WHERE key = 'rewrites'"_s).value_or(rewrites);
    return true;
}

void StorePrivate::startWatching()
{
    watchTimer.reset();
    if (!isOpen || options.inMemory)
        return;
    if (dataVersion < 0)
        noticeOtherProcesses(); // the baseline, unless open() took it from what it read
    if (options.watchInterval <= 0)
        return;
    watchTimer = std::make_unique<QTimer>();
    watchTimer->setInterval(options.watchInterval);
    // A precise timer: the default (coarse, up to 5% late) would do as well, but a Store's
    // wake-ups then drift against the app's own frame timers.
    watchTimer->setTimerType(Qt::PreciseTimer);
    QObject::connect(watchTimer.get(), &QTimer::timeout, q, [this] {
        // A merge of pulled events holds the write transaction between its slices: nobody else
        // can commit meanwhile, and a look now would only complete it early.
        if (db.hasSuspendedWork())
            return;
        if (!noticeOtherProcesses()) {
            // Once, not every 15 ms: a file that cannot be read now (damaged, gone) will not be
            // readable at the next tick either. refresh() and the next commit look again.
            qCWarning(lcStore, "store %s: %s; its live queries no longer follow other processes' "
                               "commits", qUtf8Printable(options.storeId), qUtf8Printable(error));
            watchTimer->stop();
            return;
        }
        announceOthersChanges();
    });
    watchTimer->start();
}

bool Store::refresh()
{
    if (!d->isOpen)
        return d->fail(d->notOpenMessage());
    // The worker of importFileAsync() is the only writer meanwhile; its commit is taken in by
    // the import's end (not announced as another process's), and the timer waits for it too.
    if (d->asyncImport)
        return true;
    if (!d->noticeOtherProcesses())
        return false;
    d->announceOthersChanges();
    if (d->watchTimer && !d->watchTimer->isActive())
        d->watchTimer->start(); // stopped by a failure that has passed
    return true;
}

bool Store::isShared() const
{
    return d->sharedWithOthers;
}

} // namespace LiveStore
