// SPDX-License-Identifier: BSD-3-Clause
// The sync server's SQLite storage on its own: store creation and backend ids, the atomic head
// check, reads and counts, persistence across reopen, and refusing files and directories that are
// not its own.

#include <sqlitesyncstorage.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

Wire::Event ev(qint64 seq, const QByteArray &args = R"({"n":1})")
{
    Wire::Event e;
    e.name = u"v1.Test"_s;
    e.argsJson = args;
    e.seqNum = seq;
    e.parentSeqNum = seq - 1;
    e.clientId = u"c"_s;
    e.sessionId = u"s"_s;
    return e;
}

QList<Wire::Event> chain(qint64 first, int count)
{
    QList<Wire::Event> out;
    for (int i = 0; i < count; ++i)
        out.append(ev(first + i));
    return out;
}

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

class tst_SqliteSyncStorage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void storesAndBackendIds();
    void appendChecksHead();
    void readAndCount();
    void argsKeptExactly();
    void persistsAcrossReopen();
    void oneProcessPerDirectory();
    void refusesForeignDatabase();
    void refusesNewerFormat();
};

void tst_SqliteSyncStorage::storesAndBackendIds()
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    QVERIFY2(storage.open(dir.filePath(u"nested/data"_s)), qPrintable(storage.errorString()));
    QVERIFY(QFile::exists(dir.filePath(u"nested/data/sync.db"_s)));
    const auto a = storage.store(u"a"_s);
    QVERIFY(a);
    QCOMPARE(a->head, 0);
    QVERIFY(QRegularExpression(u"^[A-Za-z0-9_-]{21}$"_s).match(a->backendId).hasMatch());
    QCOMPARE(storage.store(u"a"_s)->backendId, a->backendId);
    QVERIFY(storage.store(u"b"_s)->backendId != a->backendId);
    QVERIFY(SyncStorage::newBackendId() != SyncStorage::newBackendId());
}

void tst_SqliteSyncStorage::appendChecksHead()
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    QVERIFY(storage.open(dir.path()));
    QVERIFY(storage.store(u"s"_s));
    auto r = storage.append(u"s"_s, chain(1, 3), u"2026-01-01T00:00:00.000Z"_s);
    QCOMPARE(r.status, SyncStorage::AppendResult::Status::Appended);
    QCOMPARE(r.head, 3);
    // Stale and future parents change nothing.
    r = storage.append(u"s"_s, chain(2, 2), u"t"_s);
    QCOMPARE(r.status, SyncStorage::AppendResult::Status::ServerAhead);
    QCOMPARE(r.head, 3);
    r = storage.append(u"s"_s, chain(7, 1), u"t"_s);
    QCOMPARE(r.status, SyncStorage::AppendResult::Status::ServerAhead);
    QCOMPARE(storage.store(u"s"_s)->head, 3);
    QCOMPARE(*storage.count(u"s"_s, 0, 100), 3);
    // Stores do not see each other's heads.
    QVERIFY(storage.store(u"t"_s));
    QCOMPARE(storage.append(u"t"_s, chain(1, 1), u"t"_s).status,
             SyncStorage::AppendResult::Status::Appended);
    QCOMPARE(storage.store(u"s"_s)->head, 3);
}

void tst_SqliteSyncStorage::readAndCount()
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    QVERIFY(storage.open(dir.path()));
    QVERIFY(storage.store(u"s"_s));
    for (int first = 1; first <= 300; first += 100)
        QCOMPARE(storage.append(u"s"_s, chain(first, 100), u"t%1"_s.arg(first)).status,
                 SyncStorage::AppendResult::Status::Appended);
    const auto page = storage.read(u"s"_s, 50, 300, 10);
    QVERIFY(page);
    QCOMPARE(page->size(), 10);
    QCOMPARE(page->first().event.seqNum, 51);
    QCOMPARE(page->last().event.seqNum, 60);
    QCOMPARE(page->first().createdAt, u"t1"_s);
    const auto bounded = storage.read(u"s"_s, 250, 255, 100);
    QCOMPARE(bounded->size(), 5);
    QCOMPARE(bounded->last().event.seqNum, 255);
    QCOMPARE(bounded->last().createdAt, u"t201"_s);
    QCOMPARE(*storage.count(u"s"_s, 0, 300), 300);
    QCOMPARE(*storage.count(u"s"_s, 100, 150), 50);
    QCOMPARE(*storage.count(u"s"_s, 300, 1000), 0);
    QCOMPARE(storage.read(u"unknown"_s, 0, 10, 10)->size(), 0);
}

void tst_SqliteSyncStorage::argsKeptExactly()
{
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    QVERIFY(storage.open(dir.path()));
    QVERIFY(storage.store(u"s"_s));
    QList<Wire::Event> batch = {ev(1, R"({"z":1, "a":[1.50,2e3]})"), ev(2, "null"), ev(3, {}),
                                ev(4, "\"é\\u00e9\"")};
    QCOMPARE(storage.append(u"s"_s, batch, u"t"_s).status, SyncStorage::AppendResult::Status::Appended);
    const auto back = storage.read(u"s"_s, 0, 10, 10);
    QVERIFY(back);
    QCOMPARE(back->size(), 4);
    for (qsizetype i = 0; i < batch.size(); ++i)
        QCOMPARE(back->at(i).event, batch.at(i));
    QVERIFY(!back->at(2).event.hasArgs());
}

void tst_SqliteSyncStorage::persistsAcrossReopen()
{
    QTemporaryDir dir;
    QString backendId;
    {
        SqliteSyncStorage storage;
        QVERIFY(storage.open(dir.path()));
        backendId = storage.store(u"s"_s)->backendId;
        QCOMPARE(storage.append(u"s"_s, chain(1, 5), u"t"_s).status,
                 SyncStorage::AppendResult::Status::Appended);
    }
    SqliteSyncStorage storage;
    QVERIFY(storage.open(dir.path()));
    QCOMPARE(storage.store(u"s"_s)->backendId, backendId);
    QCOMPARE(storage.store(u"s"_s)->head, 5);
    QCOMPARE(storage.append(u"s"_s, chain(6, 1), u"t"_s).status,
             SyncStorage::AppendResult::Status::Appended);
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
