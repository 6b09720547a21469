// SPDX-License-Identifier: BSD-3-Clause
#include "sqlitesyncstorage.h"
#include "sqlstoredevents_p.h"

#include "serverlogging_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qmutex.h>
#include <QtCore/qset.h>
#include <QtCore/qsysinfo.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <atomic>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// The sync.lock files this process holds. QLockFile takes a lock file that names this process's
// pid (and host and program) for one held by a live process; but a server killed in a container
// left it, with the pid every server there has: 1. Only one this process does not hold is stale.
QMutex heldLocksMutex;
QSet<QString> heldLockPaths;

void rememberLock(const QString &path)
{
    const QMutexLocker locker(&heldLocksMutex);
    heldLockPaths.insert(path);
}

void forgetLock(const QString &path)
{
    const QMutexLocker locker(&heldLocksMutex);
    heldLockPaths.remove(path);
}

bool lockLeftByEarlierSelf(QLockFile &lock, const QString &path)
{
    qint64 pid = 0;
    QString host, app;
    if (lock.error() != QLockFile::LockFailedError || !lock.getLockInfo(&pid, &host, &app))
        return false;
    if (pid != QCoreApplication::applicationPid() || host != QSysInfo::machineHostName())
        return false;
    const QMutexLocker locker(&heldLocksMutex);
    return !heldLockPaths.contains(path);
}

// "LSSY" in the SQLite header marks a sync-server database; user_version is its format.
constexpr qint64 ApplicationId = 0x4C535359;
constexpr int FormatVersion = 1;

const QString SchemaSql[] = {
    uR"(CREATE TABLE IF NOT EXISTS stores (
        storeId TEXT NOT NULL PRIMARY KEY,
        backendId TEXT NOT NULL,
        head INTEGER NOT NULL,
        createdAt TEXT NOT NULL
    ) STRICT)"_s,
    // WITHOUT ROWID keeps each store's events together, in seqNum order, in the primary key's
    // b-tree: a pull page is one range scan.
    uR"(CREATE TABLE IF NOT EXISTS events (
        storeId TEXT NOT NULL,
        seqNum INTEGER NOT NULL,
        parentSeqNum INTEGER NOT NULL,
        name TEXT NOT NULL,
        args TEXT,
        clientId TEXT NOT NULL,
        sessionId TEXT NOT NULL,
        createdAt TEXT NOT NULL,
        PRIMARY KEY (storeId, seqNum)
    ) STRICT, WITHOUT ROWID)"_s,
};

QString sqlError(const QSqlError &e)
{
    // SQLite's own words ("database or disk is full"), without the driver's generic suffix
    // ("Unable to fetch row") when there are any.
    const QString database = e.databaseText().trimmed();
    return database.isEmpty() ? e.text().trimmed() : database;
}

} // namespace

struct SqliteSyncStorage::Private
{
    QString directory;
    QString path;
    QString connectionName;
    QSqlDatabase db;
    std::unique_ptr<QLockFile> lock;
    // Prepared once: the hot statements of pushes and pulls.
    std::optional<QSqlQuery> selectStore;
    std::optional<QSqlQuery> insertStore;
    std::optional<QSqlQuery> updateHead;
    std::optional<QSqlQuery> insertEvent;
    std::optional<QSqlQuery> readEvents;
    std::optional<QSqlQuery> countEvents;
    // Every push's transaction: prepared once, not parsed on each append.
    std::optional<QSqlQuery> begin;
    std::optional<QSqlQuery> commit;

    bool exec(const QString &sql, QString *error)
    {
        QSqlQuery q(db);
        if (!q.exec(sql)) {
            *error = sqlError(q.lastError());
            return false;
        }
        return true;
    }

    std::optional<QVariant> scalar(const QString &sql, QString *error)
    {
        QSqlQuery q(db);
        if (!q.exec(sql)) {
            *error = sqlError(q.lastError());
            return std::nullopt;
        }
        return q.next() ? q.value(0) : QVariant();
    }

    bool prepare(std::optional<QSqlQuery> &query, const QString &sql, QString *error)
    {
        query.emplace(db);
        if (!query->prepare(sql)) {
            *error = sqlError(query->lastError());
            return false;
        }
        return true;
    }

    bool exec(std::optional<QSqlQuery> &prepared, QString *error)
    {
        if (!prepared->exec()) {
            *error = sqlError(prepared->lastError());
            return false;
        }
        prepared->finish();
        return true;
    }

    // The store's row: nullopt on an error, an empty optional when there is none.
    std::optional<std::optional<StoreInfo>> select(const QString &storeId, QString *error)
    {
        QSqlQuery &q = *selectStore;
        q.bindValue(0, storeId);
        if (!q.exec()) {
            *error = sqlError(q.lastError());
            return std::nullopt;
        }
        std::optional<StoreInfo> info;
        if (q.next())
            info = StoreInfo{q.value(0).toString(), q.value(1).toLongLong(), true};
        q.finish();
        return info;
    }

    // INSERT OR IGNORE: whoever inserted first wins; false on an error.
    bool insert(const QString &storeId, const QString &backendId, QString *error)
    {
        QSqlQuery &q = *insertStore;
        q.bindValue(0, storeId);
        q.bindValue(1, backendId);
        q.bindValue(2, Wire::isoTimestamp());
        if (!q.exec()) {
            *error = sqlError(q.lastError());
            return false;
        }
        return true;
    }
};

SqliteSyncStorage::SqliteSyncStorage(QObject *parent)
    : SyncStorage(parent), d(std::make_unique<Private>())
{
}

SqliteSyncStorage::~SqliteSyncStorage()
{
    close();
}

bool SqliteSyncStorage::isOpen() const
{
    return d->db.isOpen();
}

QString SqliteSyncStorage::databasePath() const
{
    return d->path;
}

QString SqliteSyncStorage::description() const
{
    return u"SQLite "_s + d->path;
}

bool SqliteSyncStorage::open(const QString &directory)
{
    close();
    auto fail = [this](const QString &message) {
        setErrorString(message);
        close();
        return false;
    };
    if (directory.isEmpty())
        return fail(u"no data directory given"_s);
    const QString dir = QFileInfo(directory).absoluteFilePath();
    if (!QDir().mkpath(dir))
        return fail(u"cannot create the data directory %1"_s.arg(dir));
    d->directory = dir;
    d->path = QDir(dir).filePath(u"sync.db"_s);

    // Two processes on one database would each keep their own live pulls and never hear of the
    // other's pushes; refuse the second one.
    const QString lockPath = QDir(dir).filePath(u"sync.lock"_s);
    d->lock = std::make_unique<QLockFile>(lockPath);
    d->lock->setStaleLockTime(0); // a live server's lock never goes stale by age
    bool locked = d->lock->tryLock(0);
    if (!locked && lockLeftByEarlierSelf(*d->lock, lockPath)) {
        // A server killed in a container (always pid 1) left its lock, and QLockFile takes this
        // very process for its holder.
        qCInfo(lcServer).noquote() << "taking over the lock a killed server left:" << lockPath;
        d->lock->removeStaleLockFile();
        locked = d->lock->tryLock(0);
    }
    if (!locked) {
        qint64 pid = 0;
        QString host, app;
        d->lock->getLockInfo(&pid, &host, &app);
        d->lock.reset();
        return fail(u"the data directory %1 is in use by another process (pid %2, %3)"_s.arg(
                dir, QString::number(pid), app.isEmpty() ? u"unknown"_s : app));
    }
    rememberLock(lockPath);

    static std::atomic<int> counter{0};
    d->connectionName = u"livestore-sync-%1"_s.arg(++counter);
    d->db = QSqlDatabase::addDatabase(u"QSQLITE"_s, d->connectionName);
    if (!d->db.isValid())
        return fail(u"the Qt SQL driver QSQLITE is not available"_s);
    d->db.setDatabaseName(d->path);
    d->db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000"_s);
    if (!d->db.open())
        return fail(u"cannot open %1: %2"_s.arg(d->path, sqlError(d->db.lastError())));

    QString error;
    // Identify the file before writing anything to it.
    const auto appId = d->scalar(u"PRAGMA application_id"_s, &error);
    const auto version = d->scalar(u"PRAGMA user_version"_s, &error);
    const auto tables = d->scalar(u"SELECT count(*) FROM sqlite_master"_s, &error);
    if (!appId || !version || !tables)
        return fail(u"%1 is not a LiveStore sync database: %2"_s.arg(d->path, error));
    if (appId->toLongLong() != ApplicationId && (appId->toLongLong() != 0 || tables->toInt() > 0))
        return fail(u"%1 is not a LiveStore sync database (it is an SQLite database of another application)"_s
                            .arg(d->path));
    if (version->toInt() > FormatVersion)
        return fail(u"%1 was written in format %2, newer than this server reads (%3)"_s.arg(
                d->path, QString::number(version->toInt()), QString::number(FormatVersion)));

    const auto journal = d->scalar(u"PRAGMA journal_mode = WAL"_s, &error);
    if (!journal || journal->toString().compare(u"wal"_s, Qt::CaseInsensitive) != 0)
        return fail(u"cannot switch %1 to WAL: %2"_s.arg(d->path, error));
    if (!d->exec(u"PRAGMA synchronous = FULL"_s, &error))
        return fail(u"cannot configure %1: %2"_s.arg(d->path, error));

    if (!d->exec(u"BEGIN IMMEDIATE"_s, &error))
        return fail(u"cannot initialise %1: %2"_s.arg(d->path, error));
    for (const QString &sql : SchemaSql) {
        if (!d->exec(sql, &error)) {
            d->exec(u"ROLLBACK"_s, &error);
            return fail(u"cannot initialise %1: %2"_s.arg(d->path, error));
        }
    }
    d->exec(u"PRAGMA application_id = %1"_s.arg(ApplicationId), &error);
    d->exec(u"PRAGMA user_version = %1"_s.arg(FormatVersion), &error);
    if (!d->exec(u"COMMIT"_s, &error))
        return fail(u"cannot initialise %1: %2"_s.arg(d->path, error));

    if (!d->prepare(d->selectStore, u"SELECT backendId, head FROM stores WHERE storeId = ?"_s, &error)
        || !d->prepare(d->insertStore,
                       u"INSERT OR IGNORE INTO stores (storeId, backendId, head, createdAt) "
                       u"VALUES (?, ?, 0, ?)"_s,
                       &error)
        || !d->prepare(d->updateHead,
                       u"UPDATE stores SET head = ? WHERE storeId = ? AND head = ?"_s, &error)
        || !d->prepare(d->insertEvent,
                       u"INSERT INTO events (storeId, seqNum, parentSeqNum, name, args, clientId, "
                       u"sessionId, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s,
                       &error)
        || !d->prepare(d->readEvents,
                       u"SELECT seqNum, parentSeqNum, name, args, clientId, sessionId, createdAt "
                       u"FROM events WHERE storeId = ? AND seqNum > ? AND seqNum <= ? "
                       u"ORDER BY seqNum LIMIT ?"_s,
                       &error)
        || !d->prepare(d->countEvents,
                       u"SELECT count(*) FROM events WHERE storeId = ? AND seqNum > ? AND seqNum <= ?"_s,
                       &error)
        || !d->prepare(d->begin, u"BEGIN IMMEDIATE"_s, &error)
        || !d->prepare(d->commit, u"COMMIT"_s, &error))
        return fail(u"cannot prepare statements on %1: %2"_s.arg(d->path, error));
    d->readEvents->setForwardOnly(true);
    d->countEvents->setForwardOnly(true);
    d->selectStore->setForwardOnly(true);

    // The key new stores' backend ids are derived from, made by the first server on this data.
    const auto key = d->insert(keyRowId(), newBackendId(), &error) ? d->select(keyRowId(), &error)
                                                                   : std::nullopt;
    if (!key || !*key)
        return fail(u"cannot initialise %1: %2"_s.arg(d->path, error));
    setBackendIdKey((*key)->backendId);
    setErrorString({});
    return true;
}

void SqliteSyncStorage::close()
{
    d->selectStore.reset();
    d->insertStore.reset();
    d->updateHead.reset();
    d->insertEvent.reset();
    d->readEvents.reset();
    d->countEvents.reset();
    d->begin.reset();
    d->commit.reset();
    if (d->db.isValid()) {
        d->db.close();
        d->db = QSqlDatabase();
        QSqlDatabase::removeDatabase(d->connectionName);
    }
    if (d->lock) {
        d->lock->unlock();
        forgetLock(QDir(d->directory).filePath(u"sync.lock"_s));
    }
    d->lock.reset();
}

std::optional<SyncStorage::StoreInfo> SqliteSyncStorage::findStore(const QString &storeId)
{
    if (!isOpen()) {
        setErrorString(u"the storage is not open"_s);
        return std::nullopt;
    }
    QString error;
    const auto found = d->select(storeId, &error);
    if (!found) {
        setErrorString(error);
        return std::nullopt;
    }
    if (*found)
        return **found;
    return StoreInfo{backendIdFor(storeId), 0, false};
}

std::optional<SyncStorage::StoreInfo> SqliteSyncStorage::store(const QString &storeId)
{
    const auto known = findStore(storeId);
    if (!known || known->exists)
        return known;
    // First use: INSERT OR IGNORE, then read back, so that whoever inserted first wins.
    QString error;
    if (!d->insert(storeId, known->backendId, &error)) {
        setErrorString(error);
        return std::nullopt;
    }
    const auto found = d->select(storeId, &error);
    if (!found) {
        setErrorString(error);
        return std::nullopt;
    }
    if (!*found) {
        setErrorString(u"store %1 vanished after it was created"_s.arg(storeId));
        return std::nullopt;
    }
    qCInfo(lcServer).noquote() << "store created:" << u"store="_s + logId(storeId)
                               << u"backendId="_s + (*found)->backendId;
    return **found;
}

SyncStorage::AppendResult SqliteSyncStorage::append(const QString &storeId,
                                                    const QList<Wire::Event> &batch,
                                                    const QString &createdAt)
{
    AppendResult result;
    QString error;
    auto failed = [&](const QString &message) {
        // The ROLLBACK's own error goes elsewhere: after SQLITE_FULL or an I/O error SQLite has
        // usually rolled the transaction back already, and its "cannot rollback - no transaction
        // is active" must not replace the cause (`message` may be `error` itself).
        QString rollbackError;
        d->exec(u"ROLLBACK"_s, &rollbackError);
        result.status = AppendResult::Status::Failed;
        result.error = message;
        setErrorString(message);
        return result;
    };
    if (!isOpen())
        return failed(u"the storage is not open"_s);
    if (batch.isEmpty()) {
        result.status = AppendResult::Status::Failed;
        result.error = u"empty batch"_s;
        return result;
    }
    if (!d->exec(d->begin, &error)) {
        result.error = u"cannot begin a transaction: "_s + error;
        setErrorString(result.error);
        return result;
    }
    QSqlQuery &update = *d->updateHead;
    update.bindValue(0, batch.constLast().seqNum);
    update.bindValue(1, storeId);
    update.bindValue(2, batch.constFirst().parentSeqNum);
    if (!update.exec())
        return failed(sqlError(update.lastError()));
    if (update.numRowsAffected() != 1) {
        QString rollbackError;
        d->exec(u"ROLLBACK"_s, &rollbackError);
        // Not store(): a push to a store that does not exist must not create it.
        const auto info = findStore(storeId);
        if (!info) {
            result.error = errorString();
            return result;
        }
        result.status = AppendResult::Status::ServerAhead;
        result.head = info->head;
        return result;
    }
    QSqlQuery &insert = *d->insertEvent;
    const QVariant nullText(QMetaType::fromType<QString>());
    for (const Wire::Event &e : batch) {
        insert.bindValue(0, storeId);
        insert.bindValue(1, e.seqNum);
        insert.bindValue(2, e.parentSeqNum);
        insert.bindValue(3, e.name);
        insert.bindValue(4, e.hasArgs() ? QVariant(QString::fromUtf8(e.argsJson)) : nullText);
        insert.bindValue(5, e.clientId);
        insert.bindValue(6, e.sessionId);
        insert.bindValue(7, createdAt);
        if (!insert.exec())
            return failed(u"cannot store event %1: %2"_s.arg(QString::number(e.seqNum),
                                                            sqlError(insert.lastError())));
    }
    if (!d->exec(d->commit, &error))
        return failed(u"cannot commit: "_s + error);
    result.status = AppendResult::Status::Appended;
    result.head = batch.constLast().seqNum;
    return result;
}

std::optional<QList<SyncStorage::StoredEvent>>
SqliteSyncStorage::read(const QString &storeId, qint64 after, qint64 upTo, int limit)
{
    if (!isOpen()) {
        setErrorString(u"the storage is not open"_s);
        return std::nullopt;
    }
    QSqlQuery &q = *d->readEvents;
    q.bindValue(0, storeId);
    q.bindValue(1, after);
    q.bindValue(2, upTo);
    q.bindValue(3, limit);
    if (!q.exec()) {
        setErrorString(sqlError(q.lastError()));
        return std::nullopt;
    }
    return takeStoredEvents(q, limit);
}

std::optional<qint64> SqliteSyncStorage::count(const QString &storeId, qint64 after, qint64 upTo)
{
    if (!isOpen()) {
        setErrorString(u"the storage is not open"_s);
        return std::nullopt;
    }
    QSqlQuery &q = *d->countEvents;
    q.bindValue(0, storeId);
    q.bindValue(1, after);
    q.bindValue(2, upTo);
    if (!q.exec() || !q.next()) {
        setErrorString(sqlError(q.lastError()));
        return std::nullopt;
    }
    const qint64 n = q.value(0).toLongLong();
    q.finish();
    return n;
}

} // namespace LiveStore
