// SPDX-License-Identifier: BSD-3-Clause
#include "postgressyncstorage.h"
#include "sqlstoredevents_p.h"

#include "serverlogging_p.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtCore/qurlquery.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlfield.h>
#include <QtSql/qsqlquery.h>

#include <atomic>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

constexpr int FormatVersion = 1;
// Marks our `stores` table (COMMENT ON TABLE), as application_id marks the SQLite file: a
// database with a `stores` table of another application is refused, not written to.
constexpr auto FormatCommentPrefix = "LiveStore sync format "_L1;
// Serializes schema creation across processes: two servers starting at once on an empty database
// would otherwise race in CREATE TABLE IF NOT EXISTS (which is not atomic in PostgreSQL: the
// loser fails with a unique violation in pg_type). "LSSY", as the SQLite application id.
constexpr qint64 SchemaLockKey = 0x4C535359;
// How often the connection is checked (a local call, no round trip), and how often a lost one is
// retried: often enough that a database restart costs live pulls about a second, rarely enough
// that a database that is down is not hammered. An attempt blocks the server (up to
// connect_timeout when the host does not answer), so slow attempts space the next ones out: the
// server spends at most a fifth of its time trying.
constexpr int WatchdogIntervalMs = 500;
constexpr qint64 ReconnectIntervalMs = 1000;
constexpr qint64 MaxReconnectIntervalMs = 30'000;

const QString SchemaSql[] = {
    uR"(CREATE TABLE IF NOT EXISTS stores (
        storeId TEXT NOT NULL PRIMARY KEY,
        backendId TEXT NOT NULL,
        head BIGINT NOT NULL,
        createdAt TEXT NOT NULL
    ))"_s,
    // args is TEXT, not JSONB: jsonb would normalize the client's JSON (key order, whitespace,
    // number spelling), and events must go back to clients byte for byte.
    uR"(CREATE TABLE IF NOT EXISTS events (
        storeId TEXT NOT NULL,
        seqNum BIGINT NOT NULL,
        parentSeqNum BIGINT NOT NULL,
        name TEXT NOT NULL,
        args TEXT,
        clientId TEXT NOT NULL,
        sessionId TEXT NOT NULL,
        createdAt TEXT NOT NULL,
        PRIMARY KEY (storeId, seqNum)
    ))"_s,
};

QString sqlError(const QSqlError &e)
{
    // libpq's messages span lines ("connection to server ... failed: Connection refused\n\tIs
    // the server running ..."); logs and client errors want one.
    QString text = e.text().simplified();
    return text.isEmpty() ? u"unknown database error"_s : text;
}

// libpq keyword/value syntax: single quotes, backslash escapes.
QString conninfoValue(QString value)
{
    value.replace(u'\\', u"\\\\"_s);
    value.replace(u'\'', u"\\'"_s);
    return u'\'' + value + u'\'';
}

struct ConnectionParameters
{
    QString host;
    int port = -1;
    QString database;
    QString user;
    QString password;
    QString options; // libpq keyword='value' pairs for QSqlDatabase::setConnectOptions()
    QString display; // host:port/database
};

std::optional<ConnectionParameters> parseUrl(const QString &text, QString *error)
{
    if (text.isEmpty()) {
        *error = u"no URL given (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"_s;
        return std::nullopt;
    }
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid()) {
        *error = u"not a valid URL: %1"_s.arg(url.errorString());
        return std::nullopt;
    }
    if (url.scheme() != "postgresql"_L1 && url.scheme() != "postgres"_L1) {
        *error = u"the URL must start with postgresql:// or postgres://"_s;
        return std::nullopt;
    }
    if (url.hasFragment()) {
        *error = u"the URL must not have a fragment (#...)"_s;
        return std::nullopt;
    }
    ConnectionParameters p;
    p.host = url.host(QUrl::FullyDecoded);
    p.port = url.port(-1);
    p.user = url.userName(QUrl::FullyDecoded);
    p.password = url.password(QUrl::FullyDecoded);
    p.database = url.path(QUrl::FullyDecoded);
    if (p.database.startsWith(u'/'))
        p.database.remove(0, 1);
    if (p.database.contains(u'/')) {
        *error = u"the URL path must be a database name: %1"_s.arg(p.database);
        return std::nullopt;
    }

    QStringList options;
    QString displayHost = p.host;
    QString displayPort = p.port >= 0 ? QString::number(p.port) : QString();
    bool hasConnectTimeout = false;
    bool hasKeepalives = false;
    bool hasApplicationName = false;
    static const QRegularExpression keyword(u"^[a-z_]+$"_s);
    const QList<std::pair<QString, QString>> items =
            QUrlQuery(url).queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items) {
        if (!keyword.match(key).hasMatch()) {
            *error = u"%1 is not a connection parameter"_s.arg(key);
            return std::nullopt;
        }
        if (key == "password"_L1 || key == "user"_L1 || key == "dbname"_L1) {
            *error = u"give the %1 in the URL itself, not as ?%1="_s.arg(key);
            return std::nullopt;
        }
        // QPSQL joins connect options with ';' and turns every ';' into a space.
        if (value.contains(u';')) {
            *error = u"the value of %1 must not contain ';'"_s.arg(key);
            return std::nullopt;
        }
        if (key == "host"_L1 && displayHost.isEmpty())
            displayHost = value;
        if (key == "port"_L1 && displayPort.isEmpty())
            displayPort = value;
        hasConnectTimeout |= key == "connect_timeout"_L1;
        hasKeepalives |= key.startsWith("keepalives"_L1);
        hasApplicationName |= key == "application_name"_L1;
        options.append(key + u'=' + conninfoValue(value));
    }
    // Every call blocks the server's thread: do not wait for an unreachable host for long.
    if (!hasConnectTimeout)
        options.append(u"connect_timeout=5"_s);
    // Notice a database host that vanished without closing the connection within about a minute
    // rather than the system's two hours (TCP only; ignored on Unix sockets).
    if (!hasKeepalives)
        options.append(u"keepalives=1;keepalives_idle=30;keepalives_interval=10;keepalives_count=3"_s);
    if (!hasApplicationName)
        options.append(u"application_name=livestore-sync-server"_s);
    p.options = options.join(u';');
    p.display = (displayHost.isEmpty() ? u"localhost"_s : displayHost) + u':'
            + (displayPort.isEmpty() ? u"5432"_s : displayPort) + u'/'
            + (p.database.isEmpty() ? (p.user.isEmpty() ? u"(default)"_s : p.user) : p.database);
    return p;
}

} // namespace

struct PostgresSyncStorage::Private
{
    explicit Private(PostgresSyncStorage *q) : q(q) { }

    PostgresSyncStorage *q;
    ConnectionParameters params;
    bool configured = false;     // open() succeeded, close() not called
    bool connected = false;      // the connection is (as far as we know) up
    bool everConnected = false;
    bool lostInCall = false;     // the current call found the connection gone
    QString lastConnectError;
    QElapsedTimer lastAttempt;
    qint64 lastAttemptMs = 0;    // how long the last connection attempt took
    QTimer watchdog;
    QString connectionName;
    QSqlDatabase db;
    // Prepared on every (re)connect: the hot statements of pushes and pulls.
    std::optional<QSqlQuery> selectStore;
    std::optional<QSqlQuery> insertStore;
    std::optional<QSqlQuery> updateHead;
    std::optional<QSqlQuery> readEvents;
    std::optional<QSqlQuery> countEvents;

    bool connect(QString *error);
    bool mayAttemptConnect() const
    {
        return !lastAttempt.isValid()
                || lastAttempt.elapsed()
                >= qBound(ReconnectIntervalMs, 5 * lastAttemptMs, MaxReconnectIntervalMs);
    }
    void disconnect();
    void connectionLost(const QString &why);
    bool ensureConnected(QString *error);
    bool initSchema(QString *error);
    // After a failed statement: its error, and whether the connection went with it.
    QString failure(const QSqlError &e);
    bool prepare(std::optional<QSqlQuery> &query, const QString &sql, QString *error);
    QString literal(const QString &text) const;
    void onNotification(const QString &name, QSqlDriver::NotificationSource source,
                        const QVariant &payload);

    // Runs a read-only step (`once(error)`, an optional) and, when it found the connection gone
    // (dropped while idle, by a database restart), once more on a fresh connection.
    template<typename Once>
    auto retryingOnce(Once once, QString *error) -> decltype(once(error))
    {
        for (int attempt = 0; attempt < 2; ++attempt) {
            lostInCall = false;
            if (!ensureConnected(error))
                break;
            if (auto result = once(error))
                return result;
            if (!lostInCall)
                break;
        }
        return std::nullopt;
    }

    std::optional<StoreInfo> selectOnce(const QString &storeId, bool *found, QString *error);
    std::optional<StoreInfo> storeOnce(const QString &storeId, const QString &backendId,
                                       QString *error);
    bool loadKey(QString *error);
    enum class AppendStep { BeforeCommit, Commit };
    AppendStep appendOnce(const QString &storeId, const QList<Wire::Event> &batch,
                          const QString &createdAt, AppendResult *result);
};

bool PostgresSyncStorage::Private::prepare(std::optional<QSqlQuery> &query, const QString &sql,
                                           QString *error)
{
    query.emplace(db);
    if (!query->prepare(sql)) {
        *error = sqlError(query->lastError());
        return false;
    }
    return true;
}

QString PostgresSyncStorage::Private::literal(const QString &text) const
{
    // The driver's own quoting, which QPSQL also uses for the values of prepared statements
    // (it sends EXECUTE with literals): it knows the server's standard_conforming_strings.
    QSqlField field(QString(), QMetaType::fromType<QString>());
    field.setValue(text);
    return db.driver()->formatValue(field);
}

bool PostgresSyncStorage::Private::connect(QString *error)
{
    disconnect();
    lastAttempt.start();
    // However the attempt ends.
    const auto measure = qScopeGuard([this] { lastAttemptMs = lastAttempt.elapsed(); });
    static std::atomic<int> counter{0};
    connectionName = u"livestore-sync-pg-%1"_s.arg(++counter);
    db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
    auto fail = [&](const QString &message) {
        *error = message;
        lastConnectError = message;
        disconnect();
        return false;
    };
    if (!db.isValid())
        return fail(u"the Qt SQL driver QPSQL (PostgreSQL) is not available"_s);
    db.setHostName(params.host);
    db.setPort(params.port);
    db.setDatabaseName(params.database);
    db.setUserName(params.user);
    db.setPassword(params.password);
    db.setConnectOptions(params.options);
    if (!db.open())
        return fail(u"cannot connect to PostgreSQL %1: %2"_s.arg(params.display, sqlError(db.lastError())));

    // Done on every connect, not only the first: the database may have been recreated.
    if (!initSchema(error))
        return fail(*error);
    QString prepareError;
    if (!prepare(selectStore, u"SELECT backendId, head FROM stores WHERE storeId = ?"_s, &prepareError)
        || !prepare(insertStore,
                    u"INSERT INTO stores (storeId, backendId, head, createdAt) VALUES (?, ?, 0, ?) "
                    u"ON CONFLICT (storeId) DO NOTHING"_s,
                    &prepareError)
        // The notification is queued by the same statement that moves the head, so that it
        // cannot be forgotten; PostgreSQL delivers it on COMMIT and drops it on ROLLBACK.
        || !prepare(updateHead,
                    u"UPDATE stores SET head = ? WHERE storeId = ? AND head = ? "
                    u"RETURNING pg_notify('%1', storeId || ':' || head)"_s.arg(notificationChannel()),
                    &prepareError)
        || !prepare(readEvents,
                    u"SELECT seqNum, parentSeqNum, name, args, clientId, sessionId, createdAt "
                    u"FROM events WHERE storeId = ? AND seqNum > ? AND seqNum <= ? "
                    u"ORDER BY seqNum LIMIT ?"_s,
                    &prepareError)
        || !prepare(countEvents,
                    u"SELECT count(*) FROM events WHERE storeId = ? AND seqNum > ? AND seqNum <= ?"_s,
                    &prepareError))
        return fail(u"cannot prepare statements on PostgreSQL %1: %2"_s.arg(params.display, prepareError));
    // Read on every connect: a database that was wiped meanwhile has a new key, and the stores
    // it lost then get new backend ids (clients of the old ones are told to reset).
    if (!loadKey(&prepareError))
        return fail(u"cannot read the backend id key on PostgreSQL %1: %2"_s.arg(params.display, prepareError));

    QSqlDriver *driver = db.driver();
    if (!driver->subscribeToNotification(notificationChannel()))
        return fail(u"cannot LISTEN on PostgreSQL %1: %2"_s.arg(params.display, sqlError(driver->lastError())));
    // The driver goes with the connection, and the connection with it. Handled on the next turn
    // of the event loop, never inside the driver's own notification loop: what a notification
    // sets off (reads for live pulls) may find the connection gone and drop it, which deletes
    // the driver while that loop is still running.
    QObject::connect(driver, &QSqlDriver::notification, q,
                     [this](const QString &name, QSqlDriver::NotificationSource source,
                            const QVariant &payload) {
                         QMetaObject::invokeMethod(
                                 q, [this, name, source, payload] { onNotification(name, source, payload); },
                                 Qt::QueuedConnection);
                     });

    connected = true;
    lastConnectError.clear();
    if (everConnected) {
        qCInfo(lcServer).noquote() << "database connection restored:"
                                   << u"storage=PostgreSQL "_s + params.display;
        // Whatever other processes appended while we were away was announced to nobody here.
        // Queued: this runs inside some storage call, and the fan-out calls the storage again.
        QMetaObject::invokeMethod(
                q, [q = q] { Q_EMIT q->storesMayHaveAdvanced(); }, Qt::QueuedConnection);
    }
    everConnected = true;
    return true;
}

bool PostgresSyncStorage::Private::initSchema(QString *error)
{
    auto fail = [&](const QString &message) {
        *error = u"PostgreSQL %1: %2"_s.arg(params.display, message);
        db.rollback();
        return false;
    };
    if (!db.transaction())
        return fail(u"cannot begin a transaction: "_s + sqlError(db.lastError()));
    QSqlQuery q(db);
    // Released by COMMIT or ROLLBACK, also when this process dies on the way.
    if (!q.exec(u"SELECT pg_advisory_xact_lock(%1)"_s.arg(SchemaLockKey)))
        return fail(u"cannot lock the schema: "_s + sqlError(q.lastError()));
    if (!q.exec(u"SELECT to_regclass('stores') IS NOT NULL, to_regclass('events') IS NOT NULL, "
                u"obj_description(to_regclass('stores'), 'pg_class'), "
                u"current_setting('server_encoding')"_s)
        || !q.next())
        return fail(u"cannot inspect the schema: "_s + sqlError(q.lastError()));
    const bool hasStores = q.value(0).toBool();
    const bool hasEvents = q.value(1).toBool();
    const QString comment = q.value(2).toString();
    const QString encoding = q.value(3).toString();
    // Events carry any Unicode text; a database in LATIN1 (say) would refuse some of them, or
    // store them changed. SQL_ASCII stores the UTF-8 bytes as they come.
    if (encoding != "UTF8"_L1 && encoding != "SQL_ASCII"_L1)
        return fail(u"the database's encoding is %1; the sync tables need UTF8 (CREATE DATABASE ... "
                    u"ENCODING 'UTF8')"_s.arg(encoding));
    if (hasStores) {
        if (!comment.startsWith(FormatCommentPrefix))
            return fail(u"the database has a table \"stores\" that is not a LiveStore sync table "
                        u"(use another database, or another schema through ?options=-csearch_path=NAME)"_s);
        bool ok = false;
        const int version = comment.mid(FormatCommentPrefix.size()).toInt(&ok);
        if (!ok)
            return fail(u"unreadable format of the sync tables: %1"_s.arg(comment));
        if (version > FormatVersion)
            return fail(u"the sync tables were written in format %1, newer than this server reads (%2)"_s
                                .arg(QString::number(version), QString::number(FormatVersion)));
    } else if (hasEvents) {
        return fail(u"the database has a table \"events\" but no \"stores\": it is not a LiveStore "
                    u"sync database (use another database, or another schema through "
                    u"?options=-csearch_path=NAME)"_s);
    } else {
        for (const QString &sql : SchemaSql) {
            if (!q.exec(sql))
                return fail(u"cannot create the tables: "_s + sqlError(q.lastError()));
        }
        if (!q.exec(u"COMMENT ON TABLE stores IS '%1%2'"_s.arg(FormatCommentPrefix,
                                                             QString::number(FormatVersion))))
            return fail(u"cannot create the tables: "_s + sqlError(q.lastError()));
        qCInfo(lcServer).noquote() << "tables created:" << u"storage=PostgreSQL "_s + params.display;
    }
    q.finish();
    if (!db.commit())
        return fail(u"cannot commit the schema: "_s + sqlError(db.lastError()));
    return true;
}

void PostgresSyncStorage::Private::disconnect()
{
    connected = false;
    // The connection (and with it the driver) first, the prepared statements after: a statement
    // whose driver is gone does not try to DEALLOCATE itself, which on a dead connection only
    // prints warnings. The server frees them with the session anyway.
    if (db.isValid()) {
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
    }
    selectStore.reset();
    insertStore.reset();
    updateHead.reset();
    readEvents.reset();
    countEvents.reset();
}

void PostgresSyncStorage::Private::connectionLost(const QString &why)
{
    if (!connected)
        return;
    qCWarning(lcServer).noquote() << "database connection lost:"
                                  << u"storage=PostgreSQL "_s + params.display
                                  << u"error="_s + why;
    lastConnectError = why;
    lostInCall = true;
    // Closing also drops the driver's socket notifier, which would otherwise keep watching a
    // closed (and soon reused) descriptor.
    disconnect();
}

bool PostgresSyncStorage::Private::ensureConnected(QString *error)
{
    if (!configured) {
        *error = u"the storage is not open"_s;
        return false;
    }
    if (connected) {
        if (db.isOpen())
            return true;
        connectionLost(u"the database closed the connection"_s);
    }
    // One attempt per interval, shared with the watchdog: clients retrying against a database
    // that is down must not turn into a connection storm (each attempt blocks the server).
    if (!mayAttemptConnect()) {
        *error = u"no connection to PostgreSQL %1: %2"_s.arg(params.display, lastConnectError);
        return false;
    }
    return connect(error);
}

QString PostgresSyncStorage::Private::failure(const QSqlError &e)
{
    const QString message = sqlError(e);
    if (connected && !db.isOpen())
        connectionLost(message);
    return message;
}

void PostgresSyncStorage::Private::onNotification(const QString &name,
                                                  QSqlDriver::NotificationSource source,
                                                  const QVariant &payload)
{
    // Our own appends: the hub has published them already.
    if (name != notificationChannel() || source == QSqlDriver::SelfSource)
        return;
    const QString text = payload.toString();
    const qsizetype colon = text.lastIndexOf(u':');
    bool ok = false;
    const qint64 head = colon > 0 ? QStringView(text).mid(colon + 1).toLongLong(&ok) : 0;
    if (!ok) {
        qCWarning(lcServer).noquote() << "unexpected notification:"
                                      << u"channel="_s + name << u"payload="_s + text.left(200);
        return;
    }
    Q_EMIT q->storeAdvanced(text.left(colon), head);
}

std::optional<SyncStorage::StoreInfo>
PostgresSyncStorage::Private::selectOnce(const QString &storeId, bool *found, QString *error)
{
    QSqlQuery &q = *selectStore;
    q.bindValue(0, storeId);
    if (!q.exec()) {
        *error = failure(q.lastError());
        return std::nullopt;
    }
    StoreInfo info;
    *found = q.next();
    if (*found)
        info = StoreInfo{q.value(0).toString(), q.value(1).toLongLong()};
    q.finish();
    return info;
}

bool PostgresSyncStorage::Private::loadKey(QString *error)
{
    // The first server on the database makes the key; the others find it.
    const auto key = storeOnce(keyRowId(), newBackendId(), error);
    if (!key)
        return false;
    q->setBackendIdKey(key->backendId);
    return true;
}

std::optional<SyncStorage::StoreInfo> PostgresSyncStorage::Private::storeOnce(const QString &storeId,
                                                                             const QString &backendId,
                                                                             QString *error)
{
    bool found = false;
    auto info = selectOnce(storeId, &found, error);
    if (!info || found)
        return info;
    // First use. Concurrent first uses (in this or other processes) race in the INSERT; ON
    // CONFLICT lets all but one do nothing, and everyone reads back the one backend id.
    QSqlQuery &insert = *insertStore;
    insert.bindValue(0, storeId);
    insert.bindValue(1, backendId);
    insert.bindValue(2, Wire::isoTimestamp());
    if (!insert.exec()) {
        *error = failure(insert.lastError());
        return std::nullopt;
    }
    const bool created = insert.numRowsAffected() == 1;
    insert.finish();
    info = selectOnce(storeId, &found, error);
    if (!info)
        return std::nullopt;
    if (!found) {
        *error = u"store %1 vanished after it was created"_s.arg(storeId);
        return std::nullopt;
    }
    if (created && storeId != keyRowId()) {
        qCInfo(lcServer).noquote() << "store created:" << u"store="_s + logId(storeId)
                                   << u"backendId="_s + info->backendId;
    }
    return info;
}

PostgresSyncStorage::Private::AppendStep
PostgresSyncStorage::Private::appendOnce(const QString &storeId, const QList<Wire::Event> &batch,
                                         const QString &createdAt, AppendResult *result)
{
    auto failed = [&](const QString &message, AppendStep step = AppendStep::BeforeCommit) {
        if (connected)
            db.rollback();
        result->status = AppendResult::Status::Failed;
        result->error = message;
        return step;
    };
    if (!db.transaction())
        return failed(u"cannot begin a transaction: "_s + failure(db.lastError()));

    // The head check. The UPDATE locks the store's row: a concurrent append on the same head (in
    // any process) waits for our COMMIT, then finds the head moved and updates nothing.
    QSqlQuery &update = *updateHead;
    update.bindValue(0, batch.constLast().seqNum);
    update.bindValue(1, storeId);
    update.bindValue(2, batch.constFirst().parentSeqNum);
    if (!update.exec())
        return failed(failure(update.lastError()));
    const int moved = update.numRowsAffected();
    update.finish();
    if (moved != 1) {
        db.rollback();
        QString error;
        // Not storeOnce(): a push to a store that does not exist must not create it.
        bool found = false;
        const auto info = selectOnce(storeId, &found, &error);
        if (!info)
            return failed(error);
        result->status = AppendResult::Status::ServerAhead;
        result->head = found ? info->head : 0;
        return AppendStep::BeforeCommit;
    }

    // One multi-row INSERT, one round trip. QPSQL has no batch execution: execBatch() runs the
    // prepared INSERT once per event, a round trip each, which measured about three times slower
    // for batches of 100. The values are literals either way: QPSQL sends prepared statements'
    // values as literals too (EXECUTE stmt ('...')), quoted by the same formatValue().
    static const QString insertHead =
            u"INSERT INTO events (storeId, seqNum, parentSeqNum, name, args, clientId, sessionId, "
            u"createdAt) VALUES "_s;
    const QString storeLiteral = literal(storeId);
    const QString createdLiteral = literal(createdAt);
    QString sql;
    sql.reserve(insertHead.size() + batch.size() * 160);
    sql += insertHead;
    for (qsizetype i = 0; i < batch.size(); ++i) {
        const Wire::Event &e = batch.at(i);
        if (i > 0)
            sql += u',';
        sql += u'(' + storeLiteral + u',' + QString::number(e.seqNum) + u','
                + QString::number(e.parentSeqNum) + u',' + literal(e.name) + u','
                + (e.hasArgs() ? literal(QString::fromUtf8(e.argsJson)) : u"NULL"_s) + u','
                + literal(e.clientId) + u',' + literal(e.sessionId) + u',' + createdLiteral + u')';
    }
    QSqlQuery insert(db);
    if (!insert.exec(sql)) {
        return failed(u"cannot store events %1..%2: %3"_s.arg(
                QString::number(batch.constFirst().seqNum), QString::number(batch.constLast().seqNum),
                failure(insert.lastError())));
    }
    insert.finish();
    if (!db.commit()) {
        // If the connection went down during COMMIT, the batch may or may not be stored. The
        // client retries its push and finds out (ServerAhead, then its own events on the pull).
        return failed(u"cannot commit: "_s + failure(db.lastError()), AppendStep::Commit);
    }
    result->status = AppendResult::Status::Appended;
    result->head = batch.constLast().seqNum;
    return AppendStep::Commit;
}

PostgresSyncStorage::PostgresSyncStorage(QObject *parent)
    : SyncStorage(parent), d(std::make_unique<Private>(this))
{
    d->watchdog.setInterval(WatchdogIntervalMs);
    connect(&d->watchdog, &QTimer::timeout, this, [this] {
        if (!d->configured)
            return;
        if (d->connected) {
            // A local check: the driver notices a closed connection as soon as its socket
            // notifier fires (it listens for notifications), without a round trip.
            if (d->db.isOpen())
                return;
            d->connectionLost(u"the database closed the connection"_s);
        }
        if (!d->mayAttemptConnect())
            return;
        QString error;
        if (!d->connect(&error))
            qCDebug(lcServer).noquote() << "database still unreachable:" << u"error="_s + error;
    });
}

PostgresSyncStorage::~PostgresSyncStorage()
{
    close();
}

QString PostgresSyncStorage::notificationChannel()
{
    return u"livestore_events"_s;
}

bool PostgresSyncStorage::open(const QString &connectionUrl)
{
    close();
    QString error;
    const auto params = parseUrl(connectionUrl, &error);
    if (!params) {
        setErrorString(u"bad PostgreSQL URL: "_s + error);
        return false;
    }
    d->params = *params;
    d->everConnected = false;
    d->lastAttempt.invalidate();
    if (!d->connect(&error)) {
        setErrorString(error);
        return false;
    }
    d->configured = true;
    d->watchdog.start();
    setErrorString({});
    return true;
}

void PostgresSyncStorage::close()
{
    d->watchdog.stop();
    d->configured = false;
    d->disconnect();
}

bool PostgresSyncStorage::isOpen() const
{
    return d->configured;
}

bool PostgresSyncStorage::isConnected() const
{
    return d->connected && d->db.isOpen();
}

QString PostgresSyncStorage::description() const
{
    return u"PostgreSQL "_s + d->params.display;
}

std::optional<SyncStorage::StoreInfo> PostgresSyncStorage::store(const QString &storeId)
{
    QString error;
    const auto info = d->retryingOnce(
            [&](QString *e) { return d->storeOnce(storeId, backendIdFor(storeId), e); }, &error);
    if (!info)
        setErrorString(error);
    return info;
}

std::optional<SyncStorage::StoreInfo> PostgresSyncStorage::findStore(const QString &storeId)
{
    QString error;
    const auto info = d->retryingOnce(
            [&](QString *e) -> std::optional<StoreInfo> {
                bool found = false;
                auto info = d->selectOnce(storeId, &found, e);
                if (info && !found)
                    info = StoreInfo{backendIdFor(storeId), 0, false};
                return info;
            },
            &error);
    if (!info)
        setErrorString(error);
    return info;
}

SyncStorage::AppendResult PostgresSyncStorage::append(const QString &storeId,
                                                      const QList<Wire::Event> &batch,
                                                      const QString &createdAt)
{
    AppendResult result;
    auto failed = [&](const QString &message) {
        result.status = AppendResult::Status::Failed;
        result.error = message;
        setErrorString(message);
        return result;
    };
    if (batch.isEmpty())
        return failed(u"empty batch"_s);
    // PostgreSQL's text cannot hold U+0000 (SQLite's can): say so rather than fail obscurely.
    if (storeId.contains(QChar(0)) || createdAt.contains(QChar(0)))
        return failed(u"PostgreSQL cannot store NUL characters"_s);
    for (const Wire::Event &e : batch) {
        if (e.name.contains(QChar(0)) || e.clientId.contains(QChar(0))
            || e.sessionId.contains(QChar(0)) || e.argsJson.contains('\0'))
            return failed(u"event %1 contains a NUL character, which PostgreSQL cannot store"_s.arg(
                    e.seqNum));
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        d->lostInCall = false;
        QString error;
        if (!d->ensureConnected(&error))
            return failed(error);
        result = AppendResult();
        const Private::AppendStep step = d->appendOnce(storeId, batch, createdAt, &result);
        if (result.status != AppendResult::Status::Failed)
            return result;
        // Retried only when nothing can have been committed: a transaction whose connection
        // broke before COMMIT was rolled back by the server.
        if (!d->lostInCall || step == Private::AppendStep::Commit)
            break;
    }
    setErrorString(result.error);
    return result;
}

std::optional<QList<SyncStorage::StoredEvent>>
PostgresSyncStorage::read(const QString &storeId, qint64 after, qint64 upTo, int limit)
{
    QString error;
    const auto events = d->retryingOnce(
            [&](QString *e) -> std::optional<QList<StoredEvent>> {
                QSqlQuery &q = *d->readEvents;
                q.bindValue(0, storeId);
                q.bindValue(1, after);
                q.bindValue(2, upTo);
                q.bindValue(3, limit);
                if (!q.exec()) {
                    *e = d->failure(q.lastError());
                    return std::nullopt;
                }
                return takeStoredEvents(q, limit);
            },
            &error);
    if (!events)
        setErrorString(error);
    return events;
}

std::optional<qint64> PostgresSyncStorage::count(const QString &storeId, qint64 after, qint64 upTo)
{
    QString error;
    const auto n = d->retryingOnce(
            [&](QString *e) -> std::optional<qint64> {
                QSqlQuery &q = *d->countEvents;
                q.bindValue(0, storeId);
                q.bindValue(1, after);
                q.bindValue(2, upTo);
                if (!q.exec() || !q.next()) {
                    *e = d->failure(q.lastError());
                    return std::nullopt;
                }
                const qint64 count = q.value(0).toLongLong();
                q.finish();
                return count;
            },
            &error);
    if (!n)
        setErrorString(error);
    return n;
}

} // namespace LiveStore
