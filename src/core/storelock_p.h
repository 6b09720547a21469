// SPDX-License-Identifier: BSD-3-Clause
// Internal: store.lock, which says which processes have a store directory open.
//
// Stores open it shared: any number of processes of this machine may have a store open at once
// (SQLite serializes their commits; architecture.md, "Several processes on one store"). Opening
// first tries the lock exclusively: a process that gets it is alone, and may create the store,
// upgrade its format or rebuild its state; it then shares the lock (share()). One that cannot
// get it exclusively joins the others with a shared lock, and must not change the store's
// tables. A process that is opening exclusively right now marks the file (its fourth line
// "livestore:opening"), and those that find the mark wait for it to share; a holder without the
// mark is an older build, which took the file with QLockFile (exclusive): refused, as before.
//
// Why not QLockFile: taking a QLockFile creates its file, writes it and syncs it to disk
// (fdatasync), which was about a third of opening a 100,000-event store (1.5 of 4.6 ms). On Unix
// the lock is an flock() on store.lock instead: nothing is synced, and the kernel drops it when
// its process dies (a killed process leaves no stale lock behind, and no lock file without owner
// to wait for). An older build that still takes store.lock with QLockFile sees it too: QLockFile
// creates the file exclusively and also holds an flock() on it, and removes a lock file it takes
// for stale only while it can flock() it.
#ifndef LIVESTORE_STORELOCK_P_H
#define LIVESTORE_STORELOCK_P_H

#include <QtCore/qstring.h>

#include <memory>

QT_BEGIN_NAMESPACE
class QLockFile;
QT_END_NAMESPACE

namespace LiveStore {

class StoreLock
{
public:
    enum class Mode {
        Exclusive, // one holder (the sync server's data directory)
        Shared,    // exclusive when alone, else joined with the other holders (stores)
    };
    enum class Result {
        Locked,           // ours alone until share(), unlock() or destruction
        Joined,           // shared with other processes that hold it (Mode::Shared)
        Held,             // by another holder: ownerPid() and ownerApp() say who, if they can
        PermissionDenied, // the file cannot be created or opened
        Failed,           // errorString() says why
    };

    StoreLock();
    ~StoreLock(); // unlocks
    StoreLock(const StoreLock &) = delete;
    StoreLock &operator=(const StoreLock &) = delete;

    // With Mode::Shared, waits up to `waitMs` for a process that is opening the store alone.
    // A path this process holds already is Held, with ownerPid() this process.
    Result tryLock(const QString &path, Mode mode = Mode::Exclusive, int waitMs = 0);
    // After Locked with Mode::Shared: lets other processes join.
    void share();
    void unlock();
    bool isLocked() const;
    bool isShared() const { return m_shared; }

    // After Held: the holder's process id (0 when the file does not name one) and application.
    qint64 ownerPid() const { return m_ownerPid; }
    QString ownerApp() const { return m_ownerApp; }
    QString errorString() const { return m_error; }

private:
    // Unix: m_ownerPid and m_ownerApp from the file's first lines; returns its mark (line 4).
    QByteArray readOwner(int fd);
    void writeOwner(const QByteArray &mark); // Unix: our name, and a mark unless empty
    bool isHeldHere(const QString &path);    // sets m_ownerPid when true
    static void markHeldHere(const QString &path);
    static void unmarkHeldHere(const QString &path);

    QString m_path;
    QString m_key;                   // m_path made absolute: this process's registry of held paths
    bool m_shared = false;
    int m_fd = -1;                   // Unix: the locked file, open until unlock()
    std::unique_ptr<QLockFile> m_qt; // elsewhere: QLockFile
    qint64 m_ownerPid = 0;
    QString m_ownerApp;
    QString m_error;
};

} // namespace LiveStore

#endif // LIVESTORE_STORELOCK_P_H
