// SPDX-License-Identifier: BSD-3-Clause
#include "storelock_p.h"

#include "logging_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qmutex.h>
#include <QtCore/qset.h>
#include <QtCore/qsysinfo.h>
#include <QtCore/qthread.h>

#ifdef Q_OS_UNIX
#  include <cerrno>
#  include <cstring>
#  include <csignal>
#  include <fcntl.h>
#  include <sys/file.h>
#  include <sys/stat.h>
#  include <unistd.h>
#  ifdef Q_OS_LINUX
#    include <sys/vfs.h>
#  endif
#endif

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// The lock files this process holds. A second Store of this process on the same directory would
// join the first (every open() of the file holds an flock() of its own) and keep a second copy
// of everything the first keeps in memory: it is refused instead, and shares the first through
// StoreRegistry.
Q_CONSTINIT QBasicMutex heldHereMutex;
QSet<QString> &heldHere()
{
    static QSet<QString> paths;
    return paths;
}

QString heldKey(const QString &path)
{
    return QFileInfo(path).absoluteFilePath();
}

} // namespace

bool StoreLock::isHeldHere(const QString &path)
{
    const QMutexLocker locker(&heldHereMutex);
    if (!heldHere().contains(heldKey(path)))
        return false;
    m_ownerPid = QCoreApplication::applicationPid();
    return true;
}

void StoreLock::markHeldHere(const QString &path)
{
    const QMutexLocker locker(&heldHereMutex);
    heldHere().insert(heldKey(path));
}

void StoreLock::unmarkHeldHere(const QString &path)
{
    const QMutexLocker locker(&heldHereMutex);
    heldHere().remove(heldKey(path));
}

StoreLock::StoreLock() = default;

StoreLock::~StoreLock()
{
    unlock();
}

bool StoreLock::isLocked() const
{
    return m_fd >= 0 || (m_qt && m_qt->isLocked());
}

#ifdef Q_OS_UNIX

namespace {

// The fourth line of a lock file this build writes for a store (Mode::Shared): opening alone, or
// shared. QLockFile writes no such line.
const QByteArray OpeningMark = QByteArrayLiteral("livestore:opening");
const QByteArray SharedMark = QByteArrayLiteral("livestore:shared");

// What the lock file says about its holder, in QLockFile's layout (pid, application, host name:
// the lines an older build's QLockFile reads to tell a live holder from a stale file).
QByteArray ownerLines()
{
    // The application and host name are the same for every store this process opens: looked up
    // once (thread-safe, as a function-local static).
    static const QByteArray appAndHost = []() -> QByteArray {
        QByteArray app;
#  ifdef Q_OS_LINUX
        char exe[4096];
        const ssize_t size = ::readlink("/proc/self/exe", exe, sizeof exe);
        if (size > 0)
            app = QFileInfo(QFile::decodeName(QByteArray(exe, size))).fileName().toUtf8();
#  endif
        if (app.isEmpty() && QCoreApplication::instance())
            app = QFileInfo(QCoreApplication::applicationFilePath()).fileName().toUtf8();
        return app + '\n' + QSysInfo::machineHostName().toUtf8() + '\n';
    }();
    return QByteArray::number(QCoreApplication::applicationPid()) + '\n' + appAndHost;
}

// The first lines of a lock file: pid, application, host name (QLockFile's layout).
QList<QByteArray> lines(int fd)
{
    char buffer[1024];
    const ssize_t size = ::pread(fd, buffer, sizeof buffer, 0);
    return QByteArray(buffer, size > 0 ? size : 0).split('\n');
}

// Whether process `pid` of this host runs the application `app` (QLockFile's test of a holder).
bool isRunning(qint64 pid, const QString &app, const QByteArray &host)
{
    if (!host.isEmpty() && host != QSysInfo::machineHostName().toUtf8())
        return true; // another machine's process: it cannot be checked from here
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
        return false;
#  ifdef Q_OS_LINUX
    char exe[4096];
    const ssize_t size = ::readlink(QByteArray("/proc/" + QByteArray::number(pid) + "/exe").constData(),
                                    exe, sizeof exe);
    if (size > 0) {
        QByteArray name(exe, size);
        if (name.endsWith(" (deleted)"))
            name.chop(10);
        return QFileInfo(QFile::decodeName(name)).fileName() == QFileInfo(app).fileName();
    }
#  endif
    return true; // alive, and nothing more can be told
}

// Whether `fd` is the file `path` names (and how long it is, in `size`).
bool sameFile(int fd, const QByteArray &path, off_t *size = nullptr)
{
    struct stat opened, named;
    if (::fstat(fd, &opened) != 0 || ::stat(path.constData(), &named) != 0)
        return false;
    if (size)
        *size = opened.st_size;
    return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

// Whether several processes can share a store on the file system of `path`: SQLite's WAL needs
// shared memory that every process maps, and flock() must be seen by all of them, which network
// file systems and FUSE mounts do not promise. There a store stays one process's.
bool supportsSharing(const QByteArray &path)
{
#  ifdef Q_OS_LINUX
    struct statfs fs;
    if (::statfs(path.constData(), &fs) != 0)
        return true;
    switch (quint32(fs.f_type)) {
    case 0x6969u:     // NFS
    case 0x517Bu:     // SMB
    case 0xFF534D42u: // CIFS
    case 0xFE534D42u: // SMB2
    case 0x65735546u: // FUSE (sshfs and the like)
        return false;
    default:
        return true;
    }
#  else
    Q_UNUSED(path);
    return true;
#  endif
}

} // namespace

StoreLock::Result StoreLock::tryLock(const QString &path, Mode mode, int waitMs)
{
    unlock();
    m_ownerPid = 0;
    m_ownerApp.clear();
    m_error.clear();
    if (isHeldHere(path))
        return Result::Held;
    const QByteArray file = QFile::encodeName(path);
    if (mode == Mode::Shared && !supportsSharing(QFile::encodeName(QFileInfo(path).absolutePath()))) {
        qCInfo(lcStore, "%s: a network or FUSE file system: one process at a time", file.constData());
        mode = Mode::Exclusive;
    }
    QElapsedTimer waited;
    waited.start();
    // A few rounds: a holder closing between our open() and flock() removes the file we opened,
    // and a holder that has just taken the lock has not written its name yet.
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int fd = ::open(file.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            const int error = errno;
            if (error == EINTR)
                continue;
            if (error == EACCES || error == EPERM || error == EROFS)
                return Result::PermissionDenied;
            m_error = QString::fromLocal8Bit(std::strerror(error));
            return Result::Failed;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            if (error == EINTR) {
                ::close(fd);
                continue;
            }
            if (error != EWOULDBLOCK) {
                ::close(fd);
                m_error = QString::fromLocal8Bit(std::strerror(error));
                return Result::Failed;
            }
            if (mode == Mode::Shared && ::flock(fd, LOCK_SH | LOCK_NB) == 0) {
                if (!sameFile(fd, file)) {
                    ::close(fd); // removed by its last holder meanwhile
                    continue;
                }
                m_fd = fd;
                m_shared = true;
                m_path = path;
                markHeldHere(path);
                return Result::Joined;
            }
            // Held exclusively. Who by: the file's first lines (QLockFile's layout, also when an
            // older build holds it).
            const QByteArray mark = readOwner(fd);
            ::close(fd);
            // A store of this build that is opening alone, or sharing or letting go of the lock
            // this very moment: wait for it.
            if (mode == Mode::Shared && (mark == OpeningMark || mark == SharedMark)
                && waited.elapsed() < waitMs) {
                QThread::msleep(mark == OpeningMark ? 20 : 1);
                --attempt;
                continue;
            }
            if (m_ownerPid > 0 || attempt >= 10)
                return Result::Held;
            QThread::msleep(1); // taken a moment ago: its holder is writing its name
            continue;
        }
        off_t size = 0;
        if (!sameFile(fd, file, &size)) {
            ::close(fd); // removed by a holder that closed meanwhile: not the lock file any more
            continue;
        }
        // A file left with a name in it and no mark of this build: its holder is gone (the
        // kernel let its flock() go), or is an older build on a file system without flock(),
        // whose QLockFile holds it by the file alone: that one is a live process of the
        // application the file names, as QLockFile itself decides. (Marked files are this
        // build's, whose holders all hold an flock(): nobody, since ours is exclusive.)
        if (size > 0) {
            const QList<QByteArray> owner = lines(fd);
            const qint64 pid = owner.value(0).toLongLong();
            const QString app = QString::fromUtf8(owner.value(1));
            const QByteArray mark = owner.value(3);
            if (mark != OpeningMark && mark != SharedMark && pid > 0
                && pid != QCoreApplication::applicationPid() && isRunning(pid, app, owner.value(2))) {
                ::close(fd);
                m_ownerPid = pid;
                m_ownerApp = app;
                return Result::Held;
            }
        }
        // Ours. The name is for messages and for older builds; nothing is synced to disk, since
        // the lock itself lives in the kernel and goes with this process.
        m_fd = fd;
        m_path = path;
        m_shared = false;
        writeOwner(mode == Mode::Shared ? OpeningMark : QByteArray());
        markHeldHere(path);
        return Result::Locked;
    }
    m_error = u"the lock file keeps being replaced"_s;
    return Result::Failed;
}

void StoreLock::share()
{
    if (m_fd < 0 || m_shared)
        return;
    // Not atomic (flock() drops the exclusive lock, then waits for the shared one): an opener
    // that gets in between opens alone, and we wait for it to share in turn.
    while (::flock(m_fd, LOCK_SH) != 0 && errno == EINTR) { }
    m_shared = true;
    writeOwner(SharedMark);
}

void StoreLock::writeOwner(const QByteArray &mark)
{
    QByteArray owner = ownerLines();
    if (!mark.isEmpty())
        owner += mark + '\n';
    if (::ftruncate(m_fd, 0) != 0 || ::pwrite(m_fd, owner.constData(), size_t(owner.size()), 0) < 0)
        qCDebug(lcStore, "cannot write the owner into %s: %s", qUtf8Printable(m_path), std::strerror(errno));
}

QByteArray StoreLock::readOwner(int fd)
{
    const QList<QByteArray> owner = lines(fd);
    m_ownerPid = owner.value(0).toLongLong();
    m_ownerApp = QString::fromUtf8(owner.value(1));
    return owner.value(3);
}

void StoreLock::unlock()
{
    if (m_fd < 0)
        return;
    unmarkHeldHere(m_path);
    // The last holder removes the file, while still holding it, so that no other process takes
    // the file we are about to let go (tryLock() checks that the file it locked still has the
    // name). Last: it can take the lock exclusively. Others leave it to the holders that stay.
    const QByteArray file = QFile::encodeName(m_path);
    const bool last = !m_shared || ::flock(m_fd, LOCK_EX | LOCK_NB) == 0;
    if (last && sameFile(m_fd, file))
        ::unlink(file.constData());
    ::close(m_fd);
    m_fd = -1;
    m_shared = false;
    m_path.clear();
}

#else // QLockFile where there is no flock(): one process at a time, whatever the mode

StoreLock::Result StoreLock::tryLock(const QString &path, Mode, int)
{
    unlock();
    m_ownerPid = 0;
    m_ownerApp.clear();
    m_error.clear();
    if (isHeldHere(path))
        return Result::Held;
    m_qt = std::make_unique<QLockFile>(path);
    m_qt->setStaleLockTime(0); // stale means: its process is gone, however recent
    bool locked = m_qt->tryLock(0);
    // A lock file that names no owner: its process was killed between creating and filling it
    // (QLockFile cannot tell whether such an owner lives), or is filling it right now. Once it is
    // a second old it is the former: remove it.
    for (int attempt = 0; !locked && attempt < 30; ++attempt) {
        qint64 ownerPid = 0;
        QString ownerHost, ownerApp;
        if (m_qt->getLockInfo(&ownerPid, &ownerHost, &ownerApp))
            break; // a real owner: refused below
        const QDateTime modified = QFileInfo(path).lastModified();
        if (!modified.isValid() || modified.msecsTo(QDateTime::currentDateTime()) > 1000) {
            qCInfo(lcStore, "removing a lock file without owner: %s (a process killed while "
                            "taking it)", qUtf8Printable(path));
            m_qt->removeStaleLockFile();
        } else {
            QThread::msleep(100);
        }
        locked = m_qt->tryLock(0);
    }
    if (locked) {
        m_path = path;
        markHeldHere(path);
        return Result::Locked;
    }
    const QLockFile::LockError error = m_qt->error();
    if (error == QLockFile::LockFailedError) {
        QString host;
        m_qt->getLockInfo(&m_ownerPid, &host, &m_ownerApp);
    }
    m_qt.reset();
    if (error == QLockFile::PermissionError)
        return Result::PermissionDenied;
    if (error == QLockFile::LockFailedError)
        return Result::Held;
    m_error = u"cannot create the lock file"_s;
    return Result::Failed;
}

void StoreLock::share() { }

void StoreLock::unlock()
{
    if (m_qt && !m_path.isEmpty())
        unmarkHeldHere(m_path);
    m_path.clear();
    m_qt.reset();
}

#endif

} // namespace LiveStore
