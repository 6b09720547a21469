// SPDX-License-Identifier: BSD-3-Clause
// Store: the public API and what the rest of the store shares (errors, boot status, reading).
// Opening is in storeopen.cpp, committing in storecommit.cpp, replaying the eventlog in
// storereplay.cpp, imports in storeimport.cpp, other processes' commits in otherprocesses.cpp.
#include "store.h"

#include "eventchain.h"
#include "logging_p.h"
#include "sqlutil_p.h"
#include "store_p.h"

#include <QtCore/qcryptographichash.h>
#include <QtCore/qdir.h>
#include <QtCore/qjsondocument.h>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

bool isValidStoreId(QStringView storeId)
{
    if (storeId.isEmpty())
        return false;
    for (QChar c : storeId) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
                || u == '_' || u == '-';
        if (!ok)
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Contexts handed to user code
// ---------------------------------------------------------------------------------------------

QueryResult MaterializerContext::query(const Query &query)
{
    return m_store->read(*m_db, query, nullptr);
}

QueryResult MaterializerContext::query(const QString &sql, const QVariantList &binds)
{
    return query(Query::sql(sql, binds));
}

bool MigrationContext::exec(const Query &query)
{
    const Query::Compiled c = query.compile(&m_store->schema);
    if (!c.error.isEmpty()) {
        m_error = c.error;
        return false;
    }
    Database::Statement *s = m_store->db.prepare(c.sql);
    if (s && !s->outsideState.isEmpty()) {
        m_error = u"migration hooks may change only the schema's tables: "_s + s->outsideState;
        return false;
    }
    if (!s || !m_store->db.execute(s, c.binds, c.namedBinds)) {
        m_error = m_store->db.lastError();
        return false;
    }
    return true;
}

QueryResult MigrationContext::query(const Query &query)
{
    return m_store->read(m_store->db, query, nullptr);
}

// ---------------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------------

bool StorePrivate::fail(const QString &message)
{
    // Whatever the operation, damage SQLite found on the way is what the user must hear about.
    error = db.isDamaged() ? damagedMessage(message) : message;
    return false;
}

QString StorePrivate::damagedMessage(const QString &detail) const
{
    if (detail.startsWith(damagedPrefix()))
        return detail;
    return damagedPrefix() + u" (%1). Nothing more is written to it. Restore the store directory from a "
                             "backup, or move it aside so that the app starts afresh and syncs its "
                             "events again"_s.arg(detail);
}

QString StorePrivate::damagedPrefix() const
{
    const QString file = options.inMemory ? u"the in-memory store"_s
                                          : QDir(options.directory).filePath(u"store.db"_s);
    return u"%1 is damaged"_s.arg(file);
}

void StorePrivate::bindEventNumbers(sqlite3_stmt *stmt, const EventRecord &event)
{
    sqlite3_bind_int64(stmt, 1, event.seqNum.global);
    sqlite3_bind_int64(stmt, 2, event.seqNum.client);
    sqlite3_bind_int64(stmt, 3, event.seqNum.rebaseGeneration);
    sqlite3_bind_int64(stmt, 4, event.parentSeqNum.global);
    sqlite3_bind_int64(stmt, 5, event.parentSeqNum.client);
    sqlite3_bind_int64(stmt, 6, event.parentSeqNum.rebaseGeneration);
}

QString StorePrivate::notOpenMessage() const
{
    return opening ? u"the store is still opening (openAsync)"_s : u"the store is not open"_s;
}

bool StorePrivate::checkWritable()
{
    if (!isOpen)
        return fail(notOpenMessage());
    if (options.readOnly)
        return fail(u"the store is open read-only"_s);
    if (db.isDamaged())
        return fail(u"writes are refused"_s);
    if (asyncImport)
        return fail(u"an import is running (importFileAsync()): writes wait for importFinished()"_s);
    return true;
}

void StorePrivate::setBootStatus(BootStatus::Stage stage, qint64 done, qint64 total)
{
    boot = {stage, done, total};
    if (postBootStatus) {
        postBootStatus(boot); // an open on a worker thread: reported on the store's thread
        return;
    }
    if (options.onBootStatus)
        options.onBootStatus(boot);
    Q_EMIT q->bootStatusChanged(boot);
}

bool StorePrivate::loadHead()
{
    if (openSnapshot) {
        head = openSnapshot->head; // the root when the eventlog is empty
        return true;
    }
    Database::Statement *s = db.prepare(
            u"SELECT seqNumGlobal, seqNumClient, seqNumRebaseGeneration FROM __livestore_eventlog "
             "ORDER BY seqNumGlobal DESC, seqNumClient DESC LIMIT 1"_s);
    if (!s)
        return fail(db.lastError());
    const QueryResult r = db.run(s);
    if (!r.isValid())
        return fail(r.errorString());
    head = r.isEmpty() ? SequenceNumber::root()
                       : SequenceNumber{r.value(0, 0).toLongLong(), r.value(0, 1).toLongLong(),
                                        r.value(0, 2).toLongLong()};
    return true;
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

QueryResult StorePrivate::read(Database &target, const Query &query, QStringList *tables,
                               Database::RowReuse reuse)
{
    const Query::Compiled c = query.compile(&schema);
    if (!c.error.isEmpty())
        return QueryResult::failure(c.error);
    Database::Statement *s = target.prepare(c.sql);
    if (!s)
        return QueryResult::failure(target.lastError());
    if (!s->isReadOnly || s->controlsConnection)
        return QueryResult::failure(u"queries only read; change the state by committing events"_s);
    if (tables)
        *tables = s->readTables;
    return target.run(s, c.binds, c.namedBinds, reuse);
}

QByteArray StorePrivate::digest(Database &target)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QList<TableDef> tables = schema.tables();
    std::sort(tables.begin(), tables.end(), [](const TableDef &a, const TableDef &b) { return a.name < b.name; });
    for (const TableDef &t : tables) {
        QStringList order;
        for (qsizetype i = 1; i <= t.columns.size(); ++i)
            order.append(QString::number(i));
        Database::Statement *s = target.prepare(u"SELECT * FROM "_s + sql::quoteIdentifier(t.name)
                                                + u" ORDER BY "_s + order.join(u", "_s));
        if (!s)
            continue;
        hash.addData(t.name.toUtf8());
        sqlite3_reset(s->stmt);
        while (sqlite3_step(s->stmt) == SQLITE_ROW) {
            for (int c = 0; c < int(t.columns.size()); ++c) {
                const int type = sqlite3_column_type(s->stmt, c);
                hash.addData(QByteArrayView(reinterpret_cast<const char *>(&type), sizeof type));
                const void *data = type == SQLITE_BLOB ? sqlite3_column_blob(s->stmt, c)
                                                       : sqlite3_column_text(s->stmt, c);
                const int size = sqlite3_column_bytes(s->stmt, c);
                hash.addData(QByteArrayView(reinterpret_cast<const char *>(&size), sizeof size));
                if (data)
                    hash.addData(QByteArrayView(static_cast<const char *>(data), size));
            }
        }
        sqlite3_reset(s->stmt);
    }
    return hash.result();
}

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

Store::Store(QObject *parent) : QObject(parent), d(std::make_unique<StorePrivate>(this)) { }

Store::~Store()
{
    StorePrivate::cancelAsyncImport(this, false);
    StorePrivate::cancelAsyncOpen(this, false);
    d->close();
}

bool Store::open(const StoreOptions &options)
{
    // An openAsync() in flight is replaced; its openFinished() tells how this open ended.
    const bool replacesAsync = isOpening();
    StorePrivate::cancelAsyncImport(this, true);
    StorePrivate::cancelAsyncOpen(this, false);
    const bool opened = openNow(options);
    if (replacesAsync)
        Q_EMIT openFinished(opened);
    return opened;
}

bool Store::openNow(const StoreOptions &options)
{
    if (d->open(options)) {
        d->startWatching();
        return true;
    }
    const QString error = d->error;
    d->close();
    d->error = error;
    qCDebug(lcStore, "cannot open store \"%s\": %s", qUtf8Printable(options.storeId),
              qUtf8Printable(error));
    return false;
}

void Store::close()
{
    StorePrivate::cancelAsyncImport(this, true);
    StorePrivate::cancelAsyncOpen(this, true);
    d->close();
}
bool Store::isOpen() const { return d->isOpen; }
QString Store::storeId() const { return d->options.storeId; }
QString Store::clientId() const { return d->clientId; }
QString Store::sessionId() const { return d->sessionId; }
QString Store::directory() const { return d->options.directory; }
const Schema &Store::schema() const { return d->schema; }
QList<TableMigration> Store::migrationReport() const { return d->migrationReport; }
BootStatus Store::bootStatus() const { return d->boot; }
QString Store::errorString() const { return d->error; }
SequenceNumber Store::head() const { return d->head; }

bool Store::commit(const Event &event) { return d->commit({event}); }
bool Store::commit(const QList<Event> &events) { return d->commit(events); }
bool Store::commit(const QString &name, const QVariantMap &args) { return d->commit({Event{name, args}}); }

QueryResult Store::query(const Query &query)
{
    if (!d->isOpen)
        return QueryResult::failure(d->notOpenMessage());
    return d->read(d->db, query, nullptr);
}

QueryResult Store::query(const QString &sql, const QVariantList &binds)
{
    return query(Query::sql(sql, binds));
}

LiveQuery Store::liveQuery(const Query &query)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<LiveQuery>(d->graph->makeQuery(query));
}

LiveQuery Store::windowedQuery(const Query &query, int rows)
{
    if (!d->graph)
        return {};
    if (rows <= 0)
        return liveQuery(query);
    return detail::Graph::wrap<LiveQuery>(d->graph->makeWindowedQuery(query, rows));
}

LiveQuery Store::liveQuery(std::function<Query(Getter &)> build)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<LiveQuery>(d->graph->makeQuery(std::move(build)));
}

Computed Store::computed(std::function<QVariant(Getter &)> compute)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<Computed>(d->graph->makeComputed(std::move(compute)));
}

ReactiveValue Store::reactiveValue(const QVariant &initial)
{
    if (!d->graph)
        return {};
    return detail::Graph::wrap<ReactiveValue>(d->graph->makeValue(initial));
}

Subscription Store::subscribe(const Query &query, std::function<void(const QueryResult &)> callback,
                              SubscribeOptions options)
{
    return liveQuery(query).subscribe(std::move(callback), options);
}

QJsonObject Store::clientDocument(const QString &name, const QString &id)
{
    const ClientDocumentDef *doc = d->schema.clientDocument(name);
    if (!doc) {
        d->fail(u"unknown client document \"%1\""_s.arg(name));
        return {};
    }
    QJsonObject value = doc->defaultValue;
    const QueryResult r = query(Query::from(name).select({u"value"_s}).where(u"id"_s, id.isEmpty() ? doc->effectiveDefaultId(sessionId()) : id));
    if (!r.isValid()) {
        d->fail(r.errorString());
        return value;
    }
    if (!r.isEmpty()) {
        const QJsonObject stored = QJsonObject::fromVariantMap(r.scalar().toMap());
        for (auto it = stored.begin(); it != stored.end(); ++it)
            value.insert(it.key(), it.value());
    }
    return value;
}

bool Store::setClientDocument(const QString &name, const QJsonObject &value, const QString &id)
{
    const ClientDocumentDef *doc = d->schema.clientDocument(name);
    if (!doc)
        return d->fail(u"unknown client document \"%1\""_s.arg(name));
    QVariantMap args{{u"value"_s, value.toVariantMap()}};
    args.insert(u"id"_s, id.isEmpty() ? doc->effectiveDefaultId(sessionId()) : id);
    return commit(doc->setEventName(), args);
}

qint64 Store::eventCount() const
{
    if (!d->isOpen)
        return 0;
    const QueryResult count = d->db.run(d->db.prepare(u"SELECT count(*) FROM __livestore_eventlog"_s));
    if (!count.isValid()) {
        d->fail(u"cannot count the events: "_s + count.errorString());
        return -1;
    }
    return count.scalar().toLongLong();
}

QList<EventRecord> Store::events(const EventFilter &filter, bool *ok) const
{
    QList<EventRecord> out;
    if (ok)
        *ok = d->isOpen;
    if (!d->isOpen)
        return out;
    QString text = u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?)"_s.arg(
            QLatin1StringView(EventColumns));
    if (!filter.includeClientOnly)
        text += u" AND seqNumClient = 0"_s;
    if (!filter.names.isEmpty()) {
        QStringList marks;
        for (const QString &n : filter.names)
            marks.append(sql::quoteLiteral(n));
        text += u" AND name IN ("_s + marks.join(u", "_s) + u')';
    }
    text += u" ORDER BY seqNumGlobal, seqNumClient"_s;
    if (filter.limit >= 0)
        text += u" LIMIT "_s + QString::number(filter.limit);
    const auto failed = [this, ok](const QString &error) {
        d->fail(error);
        if (ok)
            *ok = false;
    };
    Database::Statement *s = d->db.prepare(text);
    if (!s) {
        failed(d->db.lastError());
        return out;
    }
    sqlite3_reset(s->stmt);
    sqlite3_bind_int64(s->stmt, 1, filter.after.global);
    sqlite3_bind_int64(s->stmt, 2, filter.after.client);
    int rc;
    while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {
        QString rowError;
        auto r = StorePrivate::readEventRow(s->stmt, &rowError);
        if (!r) {
            failed(rowError);
            break;
        }
        out.append(std::move(*r));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        failed(u"cannot read the eventlog: "_s + d->db.sqliteError());
    sqlite3_reset(s->stmt);
    return out;
}

bool Store::rematerialize()
{
    if (!d->checkWritable())
        return false;
    if (!d->rebuildState(true))
        return false;
    d->db.clearStatementCache();
    QSet<QString> all;
    for (const TableDef &t : d->schema.tables())
        all.insert(t.name);
    d->setBootStatus(BootStatus::Done);
    if (d->graph)
        d->graph->tablesChanged(all);
    return true;
}

bool StorePrivate::checkEventChain()
{
    Database::Statement *s = db.prepare(u"SELECT %1 FROM __livestore_eventlog ORDER BY seqNumGlobal, seqNumClient"_s
                                                .arg(QLatin1StringView(EventColumns)));
    if (!s)
        return fail(u"cannot read the eventlog: "_s + db.lastError());
    sqlite3_reset(s->stmt);
    EventChain chain;
    int rc;
    while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {
        QString problem;
        const auto event = readEventRow(s->stmt, &problem);
        if (!event || !chain.append(*event, &problem)) {
            sqlite3_reset(s->stmt);
            return fail(u"the eventlog is broken: "_s + problem);
        }
    }
    if (rc != SQLITE_DONE) {
        const QString reason = db.sqliteError();
        sqlite3_reset(s->stmt);
        return fail(u"cannot read the eventlog: "_s + reason);
    }
    sqlite3_reset(s->stmt);
    return true;
}

bool Store::verify()
{
    if (!d->isOpen)
        return d->fail(d->notOpenMessage());
    // The file first: a replay of a damaged eventlog would only report a symptom.
    if (const QStringList problems = d->db.checkIntegrity(true); !problems.isEmpty())
        return d->fail(problems.join(u"; "_s));
    if (!d->checkEventChain())
        return false;
    Database fresh;
    fresh.setSchema(&d->schema);
    if (!fresh.open(u":memory:"_s, true))
        return d->fail(fresh.lastError());
    if (!d->createStateTables(fresh) || !d->replayEventlog(fresh, false))
        return false;
    if (d->digest(fresh) == d->digest(d->db))
        return true;
    // Say which tables differ, with row counts, so a user knows where to look.
    QStringList differences;
    for (const TableDef &t : d->schema.tables()) {
        const QString sqlText = u"SELECT * FROM "_s + sql::quoteIdentifier(t.name) + u" ORDER BY 1"_s;
        const QueryResult replayed = fresh.run(fresh.prepare(sqlText));
        const QueryResult stored = d->db.run(d->db.prepare(sqlText));
        if (replayed == stored)
            continue;
        QString line = u"table \"%1\": stored %2 rows, replay gives %3"_s.arg(t.name)
                               .arg(stored.rowCount()).arg(replayed.rowCount());
        for (qsizetype i = 0; i < std::max(stored.rowCount(), replayed.rowCount()); ++i) {
            if (stored.value(i, 0) != replayed.value(i, 0) || stored.rowMap(i) != replayed.rowMap(i)) {
                line += u"; first difference at row %1: stored %2, replayed %3"_s.arg(i + 1).arg(
                        QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(stored.rowMap(i))).toJson(QJsonDocument::Compact)),
                        QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(replayed.rowMap(i))).toJson(QJsonDocument::Compact)));
                break;
            }
        }
        differences.append(line);
    }
    return d->fail(u"the stored state differs from a replay of the eventlog: "_s + differences.join(u"; "_s));
}

QByteArray Store::stateDigest()
{
    return d->isOpen ? d->digest(d->db) : QByteArray();
}

} // namespace LiveStore
