// SPDX-License-Identifier: BSD-3-Clause
// The sync server's SQLite storage on its own: the storage contract (syncstoragecontract.h: store
// creation and backend ids, the atomic head check, reads and counts, args kept exactly,
// persistence across reopen), and what is SQLite's own: the data directory and its lock, refusing
// files that are not its own, reporting a full disk as such.

#include "syncstoragecontract.h"

#include <sqlitesyncstorage.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

#include <atomic>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// A full disk, simulated: an SQLite VFS in front of the default one that answers SQLITE_FULL to
// writes of write-ahead logs while `walFull` is set. In WAL mode that is where a commit writes
// (the database file itself only changes at checkpoints), so the failure comes where a real full
// disk makes it come: at COMMIT. Registered as the default VFS, so that the storage's connection
// (Qt's QSQLITE driver, on the same system libsqlite3) opens its files through it.
namespace FullDisk {

std::atomic<bool> walFull{false};
sqlite3_vfs vfs;
sqlite3_vfs *real = nullptr;
sqlite3_io_methods methods;

struct File
{
    sqlite3_file base; // must come first: SQLite sees this
    sqlite3_file *inner;
    bool isWal;
};

sqlite3_file *inner(sqlite3_file *f)
{
    return reinterpret_cast<File *>(f)->inner;
}

int xClose(sqlite3_file *f)
{
    sqlite3_file *i = inner(f);
    return i->pMethods ? i->pMethods->xClose(i) : SQLITE_OK;
}
int xRead(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return inner(f)->pMethods->xRead(inner(f), b, n, o); }
int xWrite(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    if (reinterpret_cast<File *>(f)->isWal && walFull)
        return SQLITE_FULL;
    return inner(f)->pMethods->xWrite(inner(f), b, n, o);
}
int xTruncate(sqlite3_file *f, sqlite3_int64 s) { return inner(f)->pMethods->xTruncate(inner(f), s); }
int xSync(sqlite3_file *f, int flags) { return inner(f)->pMethods->xSync(inner(f), flags); }
int xFileSize(sqlite3_file *f, sqlite3_int64 *s) { return inner(f)->pMethods->xFileSize(inner(f), s); }
int xLock(sqlite3_file *f, int l) { return inner(f)->pMethods->xLock(inner(f), l); }
int xUnlock(sqlite3_file *f, int l) { return inner(f)->pMethods->xUnlock(inner(f), l); }
int xCheckReservedLock(sqlite3_file *f, int *r) { return inner(f)->pMethods->xCheckReservedLock(inner(f), r); }
int xFileControl(sqlite3_file *f, int op, void *a) { return inner(f)->pMethods->xFileControl(inner(f), op, a); }
int xSectorSize(sqlite3_file *f) { return inner(f)->pMethods->xSectorSize(inner(f)); }
int xDeviceCharacteristics(sqlite3_file *f) { return inner(f)->pMethods->xDeviceCharacteristics(inner(f)); }
int xShmMap(sqlite3_file *f, int p, int s, int e, void volatile **m) { return inner(f)->pMethods->xShmMap(inner(f), p, s, e, m); }
int xShmLock(sqlite3_file *f, int o, int n, int flags) { return inner(f)->pMethods->xShmLock(inner(f), o, n, flags); }
void xShmBarrier(sqlite3_file *f) { inner(f)->pMethods->xShmBarrier(inner(f)); }
int xShmUnmap(sqlite3_file *f, int d) { return inner(f)->pMethods->xShmUnmap(inner(f), d); }
int xFetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { return inner(f)->pMethods->xFetch(inner(f), o, n, p); }
int xUnfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return inner(f)->pMethods->xUnfetch(inner(f), o, p); }

int xOpen(sqlite3_vfs *, const char *name, sqlite3_file *f, int flags, int *outFlags)
{
    auto *file = reinterpret_cast<File *>(f);
    file->inner = reinterpret_cast<sqlite3_file *>(file + 1);
    file->isWal = flags & SQLITE_OPEN_WAL;
    const int rc = real->xOpen(real, name, file->inner, flags, outFlags);
    // SQLite calls xClose only when pMethods is set: set it only for a file that opened.
    file->base.pMethods = file->inner->pMethods ? &methods : nullptr;
    return rc;
}

void install()
{
    if (real)
        return;
    real = sqlite3_vfs_find(nullptr);
    vfs = *real;
    vfs.zName = "livestore-test-fulldisk";
    vfs.szOsFile = int(sizeof(File)) + real->szOsFile;
    vfs.xOpen = xOpen;
    methods = {3, xClose, xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xUnlock,
               xCheckReservedLock, xFileControl, xSectorSize, xDeviceCharacteristics,
               xShmMap, xShmLock, xShmBarrier, xShmUnmap, xFetch, xUnfetch};
    sqlite3_vfs_register(&vfs, 1);
}

} // namespace FullDisk

bool execSql(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open(path.toUtf8().constData(), &db) != SQLITE_OK)
        return false;
    const bool ok = sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

} // namespace

class tst_SqliteSyncStorage : public SyncStorageContract
{
    Q_OBJECT

protected:
    std::unique_ptr<SyncStorage> createStorage() override
    {
        m_dir = std::make_unique<QTemporaryDir>();
        return reopenStorage();
    }

    std::unique_ptr<SyncStorage> reopenStorage() override
    {
        auto storage = std::make_unique<SqliteSyncStorage>();
        if (!storage->open(m_dir->path())) {
            m_setupError = storage->errorString();
            return nullptr;
        }
        return storage;
    }

    QString kind() const override { return u"SQLite"_s; }

private Q_SLOTS:
    void initTestCase() { FullDisk::install(); }
    void createsDataDirectory();
    void oneProcessPerDirectory();
    void refusesForeignDatabase();
    void refusesNewerFormat();
    void fullDiskReportsTheCause();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_SqliteSyncStorage::createsDataDirectory()
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    QVERIFY2(storage.open(dir.filePath(u"nested/data"_s)), qPrintable(storage.errorString()));
    QVERIFY(QFile::exists(dir.filePath(u"nested/data/sync.db"_s)));
    QCOMPARE(storage.description(), u"SQLite "_s + dir.filePath(u"nested/data/sync.db"_s));
    QVERIFY(storage.store(u"a"_s));
}

void tst_SqliteSyncStorage::oneProcessPerDirectory()
{
    QTemporaryDir dir;
    SqliteSyncStorage first;
    QVERIFY(first.open(dir.path()));
    SqliteSyncStorage second;
    QVERIFY(!second.open(dir.path()));
    QVERIFY2(second.errorString().contains(u"in use by another process"_s),
             qPrintable(second.errorString()));
    first.close();
    QVERIFY2(second.open(dir.path()), qPrintable(second.errorString()));
}

void tst_SqliteSyncStorage::refusesForeignDatabase()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"sync.db"_s);
    QVERIFY(execSql(path, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')"));
    const QByteArray before = [&] {
        QFile f(path);
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    }();
    SqliteSyncStorage storage;
    QVERIFY(!storage.open(dir.path()));
    QVERIFY2(storage.errorString().contains(u"not a LiveStore sync database"_s),
             qPrintable(storage.errorString()));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
    QVERIFY(!QFile::exists(path + u"-wal"_s));

    QTemporaryDir garbageDir;
    QFile garbage(garbageDir.filePath(u"sync.db"_s));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write(QByteArray(4096, 'x'));
    garbage.close();
    SqliteSyncStorage other;
    QVERIFY(!other.open(garbageDir.path()));
}

void tst_SqliteSyncStorage::refusesNewerFormat()
{
    QTemporaryDir dir;
    {
        SqliteSyncStorage storage;
        QVERIFY(storage.open(dir.path()));
    }
    QVERIFY(execSql(dir.filePath(u"sync.db"_s), "PRAGMA user_version = 99"));
    SqliteSyncStorage storage;
    QVERIFY(!storage.open(dir.path()));
    QVERIFY2(storage.errorString().contains(u"newer than this server reads"_s),
             qPrintable(storage.errorString()));
}

void tst_SqliteSyncStorage::fullDiskReportsTheCause()
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    QVERIFY(storage.open(dir.path()));
    QVERIFY(storage.store(u"s"_s));
    QCOMPARE(storage.append(u"s"_s, StorageTest::chain(1, 2), u"t"_s).status,
             SyncStorage::AppendResult::Status::Appended);

    // The commit fails on the full disk; SQLite rolls the transaction back by itself, so the
    // storage's own ROLLBACK then fails too. The client must hear about the disk, not that.
    FullDisk::walFull = true;
    const auto full = storage.append(u"s"_s, StorageTest::chain(3, 5), u"t"_s);
    FullDisk::walFull = false;
    QCOMPARE(full.status, SyncStorage::AppendResult::Status::Failed);
    QVERIFY2(full.error.contains(u"full"_s), qPrintable(full.error));
    QVERIFY2(!full.error.contains(u"rollback"_s, Qt::CaseInsensitive), qPrintable(full.error));
    QCOMPARE(storage.errorString(), full.error);

    // Nothing of the batch was kept, and once there is room again the same batch goes in.
    QCOMPARE(storage.store(u"s"_s)->head, 2);
    QCOMPARE(storage.count(u"s"_s, 0, 100), 2);
    const auto retried = storage.append(u"s"_s, StorageTest::chain(3, 5), u"t"_s);
    QCOMPARE(retried.status, SyncStorage::AppendResult::Status::Appended);
    QCOMPARE(storage.count(u"s"_s, 0, 100), 7);
    storage.close();
    SqliteSyncStorage reopened;
    QVERIFY(reopened.open(dir.path()));
    QCOMPARE(reopened.store(u"s"_s)->head, 7);
}

QTEST_GUILESS_MAIN(tst_SqliteSyncStorage)
#include "tst_sqlitesyncstorage.moc"
