// SPDX-License-Identifier: BSD-3-Clause
// Internal: store.lock, one process per store directory.
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
    enum class Result {
        Locked,           // ours until unlock() or destruction
        Held,             // by another holder: ownerPid() and ownerApp() say who, if they can
        PermissionDenied, // the file cannot be created or opened
        Failed,           // errorString() says why
    };

    StoreLock();
    ~StoreLock(); // unlocks
    StoreLock(const StoreLock &) = delete;
    StoreLock &operator=(const StoreLock &) = delete;

    Result tryLock(const QString &path);
    void unlock();
    bool isLocked() const;

    // After Held: the holder's process id (0 when the file does not name one) and application.
    qint64 ownerPid() const { return m_ownerPid; }
    QString ownerApp() const { return m_ownerApp; }
    QString errorString() const { return m_error; }

private:
    void readOwner(int fd); // Unix: m_ownerPid and m_ownerApp from the file's first lines

    QString m_path;
    int m_fd = -1;                   // Unix: the locked file, open until unlock()
    std::unique_ptr<QLockFile> m_qt; // elsewhere: QLockFile
    qint64 m_ownerPid = 0;
    QString m_ownerApp;
    QString m_error;
};

} // namespace LiveStore

#endif // LIVESTORE_STORELOCK_P_H
