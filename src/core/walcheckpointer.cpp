// SPDX-License-Identifier: BSD-3-Clause
#include "walcheckpointer_p.h"

#include "logging_p.h"

#include <sqlite3.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

std::unique_ptr<WalCheckpointer> WalCheckpointer::start(sqlite3 *db, const QString &path,
                                                        int thresholdPages, QString *error)
{
    sqlite3 *own = nullptr;
    // The worker's only: no mutex. No CREATE: the store's connection made the file.
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &own,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    // A connection finds the log on its first read (until then it would checkpoint nothing):
    // read, and make sure the database is in WAL mode.
    QByteArray mode;
    if (rc == SQLITE_OK) {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v2(own, "PRAGMA journal_mode", -1, &s, nullptr) == SQLITE_OK
            && sqlite3_step(s) == SQLITE_ROW)
            mode = reinterpret_cast<const char *>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    if (rc != SQLITE_OK || mode != "wal") {
        if (error) {
            *error = rc != SQLITE_OK
                    ? u"cannot open a second connection to %1 for checkpoints: %2"_s.arg(
                              path, QString::fromUtf8(sqlite3_errstr(rc)))
                    : u"%1 is not in WAL mode (%2): no background checkpoints"_s.arg(
                              path, QString::fromUtf8(mode));
        }
        sqlite3_close_v2(own);
        return nullptr;
    }
    std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(db, own, std::max(thresholdPages, 1)));
    c->m_thread = std::thread([raw = c.get()] { raw->run(); });
    // From now on commits report here instead of checkpointing.
    sqlite3_wal_hook(db, &WalCheckpointer::onCommit, c.get());
    return c;
}

WalCheckpointer::WalCheckpointer(sqlite3 *db, sqlite3 *own, int thresholdPages)
    : m_db(db), m_own(own), m_threshold(thresholdPages)
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
    m_thread.join();
    sqlite3_close_v2(m_own);
}

// On the store's thread, after every commit (outside the transaction), with the log's size.
int WalCheckpointer::onCommit(void *self, sqlite3 *db, const char *database, int pages)
{
    auto *c = static_cast<WalCheckpointer *>(self);
    if (pages < c->m_threshold)
        return SQLITE_OK;
    {
        std::unique_lock lock(c->m_mutex);
        // A big log while the worker has not even taken up the last request: it cannot keep up
        // (or is held up), so bound the log here. A big log alone (one large transaction, an
        // import) still goes to the worker when it is free.
        if (!(c->m_requested && pages >= 10 * c->m_threshold)) {
            c->m_requested = true;
            lock.unlock();
            c->m_wake.notify_one();
            return SQLITE_OK;
        }
    }
    sqlite3_wal_checkpoint_v2(db, database, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    ++c->m_inline;
    return SQLITE_OK;
}

void WalCheckpointer::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return (m_requested && !m_paused) || m_stopping; });
        if (m_stopping)
            return;
        m_requested = false;
        lock.unlock();
        int logged = 0;
        int copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(m_own, "main", SQLITE_CHECKPOINT_PASSIVE, &logged, &copied);
        if (rc == SQLITE_OK && logged >= 0)
            ++m_background;
        else if (rc != SQLITE_BUSY)
            qCDebug(lcStore, "background checkpoint: %s", rc == SQLITE_OK ? "no log" : sqlite3_errstr(rc));
        lock.lock();
    }
}

} // namespace LiveStore
