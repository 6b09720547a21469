// SPDX-License-Identifier: BSD-3-Clause
#include "walcheckpointer_p.h"

#include "logging_p.h"

#include <sqlite3.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

std::unique_ptr<WalCheckpointer> WalCheckpointer::start(sqlite3 *db, const QString &path, int thresholdPages)
{
    std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(db, path, std::max(thresholdPages, 1)));
    // From now on commits report here instead of checkpointing.
    sqlite3_wal_hook(db, &WalCheckpointer::onCommit, c.get());
    return c;
}

WalCheckpointer::WalCheckpointer(sqlite3 *db, const QString &path, int thresholdPages)
    : m_db(db), m_path(path.toUtf8()), m_threshold(thresholdPages)
{
}

void WalCheckpointer::setPaused(bool paused)
{
    {
        const std::lock_guard lock(m_mutex);
        m_paused = paused;
    }
    m_wake.notify_one();
}

WalCheckpointer::~WalCheckpointer()
{
    sqlite3_wal_autocheckpoint(m_db, DefaultThresholdPages); // replaces our hook
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
}

// On the store's thread, after every commit (outside the transaction), with the log's size.
int WalCheckpointer::onCommit(void *self, sqlite3 *db, const char *database, int pages)
{
    auto *c = static_cast<WalCheckpointer *>(self);
    if (pages < c->m_threshold)
        return SQLITE_OK;
    if (!c->m_failed.load()) {
        std::unique_lock lock(c->m_mutex);
        // A big log while the worker has not even taken up the last request: it cannot keep up
        // (or is held up), so bound the log here. A big log alone (one large transaction, an
        // import) still goes to the worker when it is free.
        if (!(c->m_requested && pages >= 10 * c->m_threshold)) {
            c->m_requested = true;
            // The thread, and its connection, start with the first checkpoint there is to do:
            // opening a store costs nothing more.
            if (!c->m_thread.joinable())
                c->m_thread = std::thread([c] { c->run(); });
            lock.unlock();
            c->m_wake.notify_one();
            return SQLITE_OK;
        }
    }
    // The worker has fallen far behind, or has no connection: as SQLite's own checkpoint.
    sqlite3_wal_checkpoint_v2(db, database, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    ++c->m_inline;
    return SQLITE_OK;
}

// The worker's connection: no mutex (it is the only user), no CREATE (the store made the file).
// A connection finds the log on its first read (until then it would checkpoint nothing), so it
// reads: and the database must be in WAL mode. Null, logged, when any of it fails.
static sqlite3 *openForCheckpoints(const QByteArray &path)
{
    sqlite3 *own = nullptr;
    const int rc = sqlite3_open_v2(path.constData(), &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    QByteArray mode;
    if (rc == SQLITE_OK) {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v2(own, "PRAGMA journal_mode", -1, &s, nullptr) == SQLITE_OK
            && sqlite3_step(s) == SQLITE_ROW)
            mode = reinterpret_cast<const char *>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    if (rc == SQLITE_OK && mode == "wal")
        return own;
    if (rc != SQLITE_OK)
        qCWarning(lcStore, "cannot open a second connection to %s for checkpoints (%s): the store "
                           "checkpoints in the committing thread", path.constData(), sqlite3_errstr(rc));
    else
        qCWarning(lcStore, "%s is not in WAL mode (%s): the store checkpoints in the committing "
                           "thread", path.constData(), mode.constData());
    sqlite3_close_v2(own);
    return nullptr;
}

void WalCheckpointer::run()
{
    sqlite3 *own = openForCheckpoints(m_path);
    if (!own)
        m_failed = true; // from the next commit on, the committing connection checkpoints
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return (m_requested && !m_paused) || m_stopping; });
        if (m_stopping || !own)
            break;
        m_requested = false;
        lock.unlock();
        int logged = 0;
        int copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(own, "main", SQLITE_CHECKPOINT_PASSIVE, &logged, &copied);
        if (rc == SQLITE_OK && logged >= 0)
            ++m_background;
        else if (rc != SQLITE_BUSY)
            qCDebug(lcStore, "background checkpoint: %s", rc == SQLITE_OK ? "no log" : sqlite3_errstr(rc));
        lock.lock();
    }
    lock.unlock();
    sqlite3_close_v2(own);
}

} // namespace LiveStore
