// SPDX-License-Identifier: BSD-3-Clause
// The sync server's SQLite storage on its own: the storage contract (syncstoragecontract.h: store
// creation and backend ids, the atomic head check, reads and counts, args kept exactly,
// persistence across reopen), and what is SQLite's own: the data directory and its lock, refusing
// files that are not its own.

#include "syncstoragecontract.h"

#include <sqlitesyncstorage.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

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
    void createsDataDirectory();
    void oneProcessPerDirectory();
    void refusesForeignDatabase();
    void refusesNewerFormat();

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

QTEST_GUILESS_MAIN(tst_SqliteSyncStorage)
#include "tst_sqlitesyncstorage.moc"
