// SPDX-License-Identifier: BSD-3-Clause
// Internal: the WAL checkpoints of a store's database, on a thread of their own.
//
// SQLite checkpoints the write-ahead log in the connection that commits, once the log has grown
// past 1,000 pages (wal_autocheckpoint): that commit then copies the logged pages into the
// database file and syncs it, 10-16 ms on a development machine, on the thread of the store, so
// the GUI thread for an app. A sync catch-up meets it every 40 to 60 pulled pages.
//
// With a checkpointer, the store's connection only reports the log's size after each commit
// (sqlite3_wal_hook, which replaces the automatic checkpoint), and a second connection to the
// same file, on a worker thread, runs a PASSIVE checkpoint: it waits for no reader or writer,
// and none waits for it (in WAL mode a checkpoint runs beside them). The next write transaction
// of the store starts the log over once everything in it has been copied. Should the worker fall
// far behind (the log at ten times the threshold while the last request still waits), the
// committing connection checkpoints itself, as SQLite would have, so that the log stays bounded.
// The worker and its connection start with the first checkpoint there is to do, so opening a
// store costs nothing more; should the connection not open, commits checkpoint themselves as
// before. Closing the store stops the worker first; the store's connection, the last one, then
// checkpoints and removes the log as before.
#ifndef LIVESTORE_WALCHECKPOINTER_P_H
#define LIVESTORE_WALCHECKPOINTER_P_H

#include "livestore_export.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

struct sqlite3;

namespace LiveStore {

class LIVESTORE_EXPORT WalCheckpointer
{
public:
    // SQLite's default wal_autocheckpoint, in pages.
    static constexpr int DefaultThresholdPages = 1000;

    // Takes over the checkpoints of `db` (open, in WAL mode, on the database file `path`).
    static std::unique_ptr<WalCheckpointer> start(sqlite3 *db, const QString &path,
                                                  int thresholdPages = DefaultThresholdPages);
    // Waits for a checkpoint in progress, closes the second connection and gives `db` its
    // automatic checkpoints back. Call it before closing `db`.
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    // Checkpoints the worker ran, and those the committing connection ran itself because the
    // worker had fallen behind or could not open its connection (for tests and logs).
    qint64 backgroundCheckpoints() const { return m_background.load(); }
    qint64 inlineCheckpoints() const { return m_inline.load(); }
    // Tests: a paused worker takes up no request (as one stuck in a long checkpoint).
    void setPaused(bool paused);

private:
    WalCheckpointer(sqlite3 *db, const QString &path, int thresholdPages);
    static int onCommit(void *self, sqlite3 *db, const char *database, int pages);
    void run();

    sqlite3 *m_db; // the store's connection: its thread only
    const QByteArray m_path;
    const int m_threshold;
    std::atomic<bool> m_failed{false}; // the worker has no connection
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_requested = false;
    bool m_stopping = false;
    bool m_paused = false;
    std::atomic<qint64> m_background{0};
    std::atomic<qint64> m_inline{0};
    std::thread m_thread;
};

} // namespace LiveStore

#endif // LIVESTORE_WALCHECKPOINTER_P_H
