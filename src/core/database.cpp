// SPDX-License-Identifier: BSD-3-Clause
#include "database_p.h"

#include "changecapture_p.h"
#include "jsonwriter_p.h"
#include "logging_p.h"
#include "schema.h"
#include "sqlutil_p.h"
#include "walcheckpointer_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

#include <sqlite3.h>

#include <cstring>

using namespace Qt::StringLiterals;

namespace LiveStore {

Database::Statement::~Statement()
{
    sqlite3_finalize(stmt);
}

Database::Database() = default;

Database::~Database()
{
    close();
}

namespace {

// epoch_ms(x): the epoch milliseconds of an ISO-8601 date-time with Z or an offset (the form a
// datetime argument binds as), so that an SQL materializer can write a date into a datetimeInteger
// column: `UPDATE todos SET deletedAt = epoch_ms($deletedAt)`. Integers and NULL pass through;
// other values are an error rather than a silently stored NULL. Deterministic: local times are
// refused, since they would depend on the machine's time zone.
void epochMs(sqlite3_context *context, int, sqlite3_value **argv)
{
    switch (sqlite3_value_type(argv[0])) {
    case SQLITE_NULL:
        sqlite3_result_null(context);
        return;
    case SQLITE_INTEGER:
        sqlite3_result_int64(context, sqlite3_value_int64(argv[0]));
        return;
    case SQLITE_TEXT: {
        const auto *text = reinterpret_cast<const char *>(sqlite3_value_text(argv[0]));
        const QString iso = QString::fromUtf8(text, sqlite3_value_bytes(argv[0]));
        if (const std::optional<qint64> ms = sql::parseJsDate(iso)) {
            sqlite3_result_int64(context, *ms);
            return;
        }
        const QByteArray message = "epoch_ms(): \"" + iso.left(64).toUtf8()
                + "\" is not an ISO-8601 date-time with Z or an offset within JavaScript's range";
        sqlite3_result_error(context, message.constData(), int(message.size()));
        return;
    }
    default:
        sqlite3_result_error(context, "epoch_ms(): expects ISO-8601 text, an integer or NULL", -1);
        return;
    }
}

void registerFunctions(sqlite3 *db)
{
    sqlite3_create_function_v2(db, "epoch_ms", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                               nullptr, &epochMs, nullptr, nullptr, nullptr);
}

} // namespace

bool Database::open(const QString &path, bool create, bool readOnly)
{
    close();
    int flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    if (create && !readOnly)
        flags |= SQLITE_OPEN_CREATE;
    const QByteArray file = path.toUtf8();
    const int rc = sqlite3_open_v2(file.constData(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        m_error = u"cannot open %1: %2"_s.arg(path, QString::fromUtf8(sqlite3_errstr(rc)));
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        return false;
    }
    sqlite3_extended_result_codes(m_db, 1);
    // Other connections to the file hold its locks for moments: the store's checkpoint thread
    // (walcheckpointer_p.h) while it reads the log, a read-only tool beside the app while it
    // recovers the WAL index. Wait for them instead of failing a commit with "database is locked".
    sqlite3_busy_timeout(m_db, BusyTimeoutMs);
    registerFunctions(m_db);
    return true;
}

bool Database::checkpointInBackground(const QString &path)
{
    if (!m_db)
        return false;
    m_checkpointer.reset();
    m_checkpointer = WalCheckpointer::start(m_db, path);
    return true;
}

void Database::close()
{
    if (m_suspended)
        std::exchange(m_suspended, nullptr)->cancel();
    clearStatementCache();
    m_captureHub.reset(); // it holds statements of its own
    m_damaged = false;
    // Before the connection: closing the last one checkpoints the log and removes it.
    m_checkpointer.reset();
    if (m_db) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
}

detail::CaptureHub *Database::captureHub()
{
    if (!m_captureHub && m_db)
        m_captureHub = std::make_unique<detail::CaptureHub>(m_db);
    return m_captureHub.get();
}

void Database::clearStatementCache()
{
    qDeleteAll(m_cache);
    m_cache.clear();
}

QString Database::sqliteError() const
{
    if (!m_db)
        return u"database is not open"_s;
    noteResult(sqlite3_extended_errcode(m_db));
    return QString::fromUtf8(sqlite3_errmsg(m_db));
}

void Database::noteResult(int rc) const
{
    // Every failure passes through here (sqliteError() or exec()): the one place that learns
    // the file is damaged, whichever statement found it.
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
        m_damaged = true;
}

QStringList Database::checkIntegrity(bool full, int maxProblems)
{
    QStringList problems;
    if (!m_db)
        return {u"database is not open"_s};
    const QByteArray sql = (full ? "PRAGMA integrity_check(" : "PRAGMA quick_check(")
            + QByteArray::number(maxProblems) + ')';
    sqlite3_stmt *stmt = nullptr;
    int rc = sqlite3_prepare_v2(m_db, sql.constData(), -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0));
            const QString line = text ? QString::fromUtf8(text) : QString();
            if (line != u"ok"_s)
                problems.append(line);
        }
    }
    if (rc != SQLITE_DONE)
        problems.append(u"the check itself failed: "_s + sqliteError());
    sqlite3_finalize(stmt);
    if (!problems.isEmpty())
        m_damaged = true;
    return problems;
}

int Database::lastErrorCode() const
{
    return m_db ? sqlite3_extended_errcode(m_db) : SQLITE_MISUSE;
}

namespace {

struct AuthorizerCollector
{
    const Schema *schema = nullptr;
    QStringList reads;
    QStringList writes;
    bool controlsConnection = false;
    QString outsideState;

    void refuse(const QString &why)
    {
        if (outsideState.isEmpty())
            outsideState = why;
    }
};

bool isSchemaChange(int action)
{
    switch (action) {
    case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE: case SQLITE_CREATE_TEMP_TRIGGER: case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_VIEW: case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_INDEX: case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER: case SQLITE_DROP_TEMP_VIEW: case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW: case SQLITE_ALTER_TABLE: case SQLITE_REINDEX: case SQLITE_ANALYZE:
    case SQLITE_CREATE_VTABLE: case SQLITE_DROP_VTABLE:
        return true;
    default:
        return false;
    }
}

int collectTables(void *data, int action, const char *arg1, const char *arg2, const char *, const char *)
{
    auto *collector = static_cast<AuthorizerCollector *>(data);
    switch (action) {
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
        collector->controlsConnection = true;
        collector->refuse(u"it controls the transaction"_s);
        return SQLITE_OK;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
        collector->controlsConnection = true;
        collector->refuse(u"it attaches or detaches a database"_s);
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        collector->refuse(u"it runs PRAGMA %1"_s.arg(QString::fromUtf8(arg1)));
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (arg2 && qstricmp(arg2, "load_extension") == 0)
            collector->refuse(u"it loads an SQLite extension"_s);
        return SQLITE_OK;
    default:
        if (isSchemaChange(action))
            collector->refuse(u"it changes the database schema (CREATE, DROP, ALTER...)"_s);
        break;
    }
    // SQLite's own tables guard themselves (sqlite_schema needs PRAGMA writable_schema, refused
    // above), and SQLite reports internal writes to them (json_each's first use, for one).
    if (arg1 && qstrncmp(arg1, "sqlite_", 7) != 0
        && (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE)) {
        // Only the schema's own tables (client documents' included) are state; the eventlog, the
        // store's metadata and SQLite's tables are not a materializer's to change.
        const QString table = QString::fromUtf8(arg1);
        if (!collector->schema || !collector->schema->table(table))
            collector->refuse(u"it writes \"%1\", which is not a table of the schema"_s.arg(table));
    }
    if (!arg1 || qstrncmp(arg1, "sqlite_", 7) == 0)
        return SQLITE_OK;
    QStringList *target = nullptr;
    switch (action) {
    case SQLITE_READ:
        target = &collector->reads;
        break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        target = &collector->writes;
        break;
    default:
        return SQLITE_OK;
    }
    const QString table = QString::fromUtf8(arg1);
    if (!target->contains(table))
        target->append(table);
    return SQLITE_OK;
}

} // namespace

Database::Statement *Database::prepare(const QString &sql)
{
    completeSuspendedWork();
    if (Statement *cached = m_cache.value(sql))
        return cached;
    if (!m_db) {
        m_error = u"database is not open"_s;
        return nullptr;
    }
    if (m_cache.size() >= MaxCachedStatements) {
        // Evict whatever is not being stepped right now (a replay holds its SELECT open).
        for (auto it = m_cache.begin(); it != m_cache.end();) {
            if (sqlite3_stmt_busy((*it)->stmt)) {
                ++it;
            } else {
                delete *it;
                it = m_cache.erase(it);
            }
        }
    }
    // SQLite ends the text at a NUL and would run what comes before it, silently: a query whose
    // ORDER BY or WHERE came after one would run without it (and a live query's plan, which
    // reads the whole text, would follow rows by a clause SQLite never saw).
    if (const qsizetype nul = sql.indexOf(QChar(0)); nul >= 0) {
        m_error = u"the SQL text has a NUL character (U+0000) at %1, where SQLite would end it"_s.arg(nul);
        return nullptr;
    }
    AuthorizerCollector collector;
    collector.schema = m_schema;
    sqlite3_set_authorizer(m_db, collectTables, &collector);
    const QByteArray utf8 = sql.toUtf8();
    sqlite3_stmt *stmt = nullptr;
    const char *tail = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, utf8.constData(), int(utf8.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    sqlite3_set_authorizer(m_db, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        m_error = sqliteError();
        sqlite3_finalize(stmt);
        return nullptr;
    }
    if (!stmt) {
        m_error = u"empty SQL statement"_s;
        return nullptr;
    }
    if (tail && QByteArrayView(tail).trimmed().size() > 0
        && !QByteArrayView(tail).trimmed().startsWith(";")) {
        sqlite3_finalize(stmt);
        m_error = u"only one SQL statement is allowed here; found more after \"%1\""_s.arg(sql.left(60));
        return nullptr;
    }
    auto *s = new Statement;
    s->stmt = stmt;
    s->sql = sql;
    s->readTables = collector.reads;
    s->writeTables = collector.writes;
    s->isReadOnly = sqlite3_stmt_readonly(stmt);
    s->controlsConnection = collector.controlsConnection;
    s->outsideState = collector.outsideState;
    // The authorizer reports no SQLITE_READ for a table whose only used columns are the columns of
    // a JOIN ... USING or NATURAL JOIN: add every table the program opens for reading.
    if (s->isReadOnly) {
        const QByteArray explain = "EXPLAIN " + utf8;
        sqlite3_stmt *ex = nullptr;
        if (sqlite3_prepare_v2(m_db, explain.constData(), int(explain.size()), &ex, nullptr) == SQLITE_OK) {
            QList<int> roots;
            while (sqlite3_step(ex) == SQLITE_ROW) {
                const char *op = reinterpret_cast<const char *>(sqlite3_column_text(ex, 1));
                if (op && qstrcmp(op, "OpenRead") == 0 && sqlite3_column_int(ex, 4) == 0)
                    roots.append(sqlite3_column_int(ex, 3));
            }
            sqlite3_finalize(ex);
            sqlite3_stmt *q = nullptr;
            if (!roots.isEmpty()
                && sqlite3_prepare_v2(m_db, "SELECT tbl_name FROM sqlite_schema WHERE rootpage = ?", -1, &q, nullptr) == SQLITE_OK) {
                for (int root : std::as_const(roots)) {
                    sqlite3_reset(q);
                    sqlite3_bind_int(q, 1, root);
                    if (sqlite3_step(q) == SQLITE_ROW) {
                        const QString table = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(q, 0)));
                        if (!table.startsWith(u"sqlite_"_s) && !s->readTables.contains(table))
                            s->readTables.append(table);
                    }
                }
                sqlite3_finalize(q);
            }
        }
    }
    const int params = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= params; ++i) {
        const char *name = sqlite3_bind_parameter_name(stmt, i);
        s->parameterNames.append(name ? QByteArray(name + 1) : QByteArray());
        s->parameterKeys.append(QString::fromUtf8(s->parameterNames.constLast()));
    }
    const int columns = sqlite3_column_count(stmt);
    for (int c = 0; c < columns; ++c) {
        s->columnNames.append(QString::fromUtf8(sqlite3_column_name(stmt, c)));
        ColumnDecoder decoder = ColumnDecoder::Plain;
        // Columns that come straight from a schema table decode by their declared type.
        const char *table = sqlite3_column_table_name(stmt, c);
        const char *origin = sqlite3_column_origin_name(stmt, c);
        if (m_schema && table && origin) {
            if (const TableDef *t = m_schema->table(QString::fromUtf8(table))) {
                if (const ColumnDef *col = t->findColumn(QString::fromUtf8(origin))) {
                    switch (col->type) {
                    case ColumnType::Boolean: decoder = ColumnDecoder::Boolean; break;
                    case ColumnType::Json: decoder = ColumnDecoder::Json; break;
                    case ColumnType::DateTime: decoder = ColumnDecoder::DateTime; break;
                    case ColumnType::DateTimeInteger: decoder = ColumnDecoder::DateTimeInteger; break;
                    default: break;
                    }
                }
            }
        }
        s->decoders.append(decoder);
    }
    m_cache.insert(sql, s);
    return s;
}

bool Database::exec(const QString &sql)
{
    return exec(sql.toUtf8().constData());
}

bool Database::exec(const char *sql)
{
    completeSuspendedWork();
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        noteResult(sqlite3_extended_errcode(m_db));
        m_error = message ? QString::fromUtf8(message) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_free(message);
        return false;
    }
    return true;
}

bool Database::execCached(const QString &sql)
{
    Statement *s = prepare(sql);
    return s && execute(s);
}

std::optional<qint64> Database::readInteger(const QString &sql, std::initializer_list<qint64> binds)
{
    Statement *s = prepare(sql);
    if (!s)
        return std::nullopt;
    sqlite3_reset(s->stmt);
    int index = 0;
    for (const qint64 value : binds)
        sqlite3_bind_int64(s->stmt, ++index, value);
    const int rc = sqlite3_step(s->stmt);
    std::optional<qint64> value;
    if (rc == SQLITE_ROW)
        value = sqlite3_column_int64(s->stmt, 0);
    else if (rc == SQLITE_DONE)
        value = 0;
    else
        setError(sqliteError());
    sqlite3_reset(s->stmt);
    return value;
}

bool Database::bindNull(sqlite3_stmt *stmt, int index)
{
    return sqlite3_bind_null(stmt, index) == SQLITE_OK;
}

QByteArray Database::utf8ForBind(const QString &text)
{
    // SQLite keeps text as UTF-8, and converting it ourselves is faster than SQLite's own
    // conversion (measured: bind_text16 was 7% of a batched commit). Lone surrogates become
    // U+FFFD, as sql::toUtf8() writes them, in one pass.
    QByteArray utf8;
    json::appendUtf8(utf8, text);
    return utf8;
}

bool Database::bindUtf8(sqlite3_stmt *stmt, int index, const QByteArray &utf8, bool kept)
{
    // LiveStore's SQLite (wa-sqlite) binds a string as a C string, so a JavaScript client's
    // state holds text only up to its first U+0000. Bind it the same way, or our state would
    // differ from theirs for the same event ("a\u0000b" is "a" in both).
    const qsizetype nul = utf8.indexOf('\0');
    return sqlite3_bind_text(stmt, index, utf8.constData(), int(nul < 0 ? utf8.size() : nul),
                             kept ? SQLITE_STATIC : SQLITE_TRANSIENT) == SQLITE_OK;
}

bool Database::bindValue(sqlite3_stmt *stmt, int index, const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        return sqlite3_bind_null(stmt, index) == SQLITE_OK;
    case QMetaType::Bool:
        return sqlite3_bind_int(stmt, index, value.toBool() ? 1 : 0) == SQLITE_OK;
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Long:
    case QMetaType::ULong:
        return sqlite3_bind_int64(stmt, index, value.toLongLong()) == SQLITE_OK;
    case QMetaType::Double:
    case QMetaType::Float:
        return sqlite3_bind_double(stmt, index, value.toDouble()) == SQLITE_OK;
    case QMetaType::QByteArray: {
        const QByteArray bytes = value.toByteArray();
        return sqlite3_bind_blob64(stmt, index, bytes.constData(), sqlite3_uint64(bytes.size()),
                                   SQLITE_TRANSIENT) == SQLITE_OK;
    }
    case QMetaType::QString:
        if (value.isNull())
            return bindNull(stmt, index);
        return bindUtf8(stmt, index, utf8ForBind(*static_cast<const QString *>(value.constData())), false);
    default: {
        const QVariant encoded = Query::encodeValue(value);
        if (encoded.typeId() != value.typeId())
            return bindValue(stmt, index, encoded);
        return bindValue(stmt, index, QVariant(value.toString()));
    }
    }
}

bool Database::bind(Statement *s, const QVariantList &binds, const QVariantMap &namedBinds)
{
    // A failed prepare() returns null and leaves its reason in m_error: callers may hand that
    // straight to run()/execute(), which then fail with that reason instead of crashing (a
    // damaged schema row makes even our own fixed statements fail to prepare).
    if (!s) {
        if (m_error.isEmpty())
            m_error = u"statement could not be prepared"_s;
        return false;
    }
    sqlite3_reset(s->stmt);
    const int count = int(s->parameterNames.size());
    qsizetype positional = 0;
    for (int i = 0; i < count; ++i) {
        const QByteArray &name = s->parameterNames.at(i);
        QVariant value;
        if (name.isEmpty() || (name.front() >= '0' && name.front() <= '9')) {
            // `?` or `?NNN`
            const qsizetype at = name.isEmpty() ? positional++ : name.toLongLong() - 1;
            if (at < 0 || at >= binds.size()) {
                m_error = u"missing bind value %1 (the statement has %2 parameters, %3 values given)"_s
                                  .arg(at + 1).arg(count).arg(binds.size());
                return false;
            }
            value = binds.at(at);
        } else {
            const auto it = namedBinds.constFind(QString::fromUtf8(name));
            if (it == namedBinds.cend()) {
                m_error = u"missing bind value for parameter $%1"_s.arg(QString::fromUtf8(name));
                return false;
            }
            value = *it;
        }
        if (!bindValue(s->stmt, i + 1, value)) {
            m_error = sqliteError();
            return false;
        }
    }
    if (positional < binds.size() && namedBinds.isEmpty() && positional == count) {
        m_error = u"too many bind values: the statement has %1 parameters, %2 values given"_s
                          .arg(count).arg(binds.size());
        return false;
    }
    return true;
}

namespace {

QVariant decodeJson(const char *text, int size)
{
    const QByteArray bytes = QByteArray::fromRawData(text, size);
    QJsonParseError error;
    if (size > 0 && (text[0] == '{' || text[0] == '[')) {
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        if (error.error == QJsonParseError::NoError)
            return doc.isObject() ? QVariant(doc.object().toVariantMap())
                                  : QVariant(doc.array().toVariantList());
    } else if (size > 0) {
        // A scalar: parse it as the only element of an array ("1,2" parses as two: not JSON).
        const QJsonDocument doc = QJsonDocument::fromJson("[" + bytes + "]", &error);
        if (error.error == QJsonParseError::NoError && doc.array().size() == 1)
            return doc.array().at(0).toVariant();
    }
    // Not JSON after all (written by raw SQL): hand back the text rather than lose it.
    return QString::fromUtf8(text, size);
}

} // namespace

namespace {

// The row's raw values as SQLite holds them: type, then the 8 bytes of a number or the length and
// bytes of a text or blob. Equal signatures decode to equal rows.
void rowSignature(sqlite3_stmt *stmt, int columns, QByteArray *out)
{
    // Two passes, so the buffer is sized once and filled with memcpy (appending piece by piece
    // cost more than the rest of the comparison).
    qsizetype size = 0;
    for (int c = 0; c < columns; ++c) {
        const int type = sqlite3_column_type(stmt, c);
        size += 1;
        if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
            size += 8;
        else if (type == SQLITE_TEXT || type == SQLITE_BLOB)
            size += sizeof(int) + sqlite3_column_bytes(stmt, c);
    }
    out->resize(size);
    char *p = out->data();
    for (int c = 0; c < columns; ++c) {
        const int type = sqlite3_column_type(stmt, c);
        *p++ = char(type);
        switch (type) {
        case SQLITE_INTEGER: {
            const qint64 v = sqlite3_column_int64(stmt, c);
            memcpy(p, &v, 8);
            p += 8;
            break;
        }
        case SQLITE_FLOAT: {
            const double v = sqlite3_column_double(stmt, c);
            memcpy(p, &v, 8);
            p += 8;
            break;
        }
        case SQLITE_TEXT:
        case SQLITE_BLOB: {
            const void *data = type == SQLITE_TEXT ? static_cast<const void *>(sqlite3_column_text(stmt, c))
                                                   : sqlite3_column_blob(stmt, c);
            const int bytes = sqlite3_column_bytes(stmt, c);
            memcpy(p, &bytes, sizeof bytes);
            p += sizeof bytes;
            if (bytes)
                memcpy(p, data, bytes);
            p += bytes;
            break;
        }
        default:
            break;
        }
    }
}

} // namespace

QVariantList Database::decodeRow(const Statement *s) const
{
    sqlite3_stmt *stmt = s->stmt;
    const int columns = int(s->columnNames.size());
    QVariantList row;
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) {
        const int type = sqlite3_column_type(stmt, c);
        const ColumnDecoder decoder = s->decoders.at(c);
        switch (type) {
        case SQLITE_NULL:
            row.append(QVariant());
            break;
        case SQLITE_INTEGER: {
            const qint64 v = sqlite3_column_int64(stmt, c);
            if (decoder == ColumnDecoder::DateTimeInteger && v >= -sql::maxJsDateMs && v <= sql::maxJsDateMs)
                row.append(QDateTime::fromMSecsSinceEpoch(v, Qt::UTC));
            else
                row.append(decoder == ColumnDecoder::Boolean ? QVariant(v != 0) : QVariant(v));
            break;
        }
        case SQLITE_FLOAT:
            row.append(sqlite3_column_double(stmt, c));
            break;
        case SQLITE_TEXT: {
            const char *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, c));
            const int size = sqlite3_column_bytes(stmt, c);
            if (decoder == ColumnDecoder::Json) {
                row.append(decodeJson(text, size));
            } else if (decoder == ColumnDecoder::DateTime) {
                const QString iso = QString::fromUtf8(text, size);
                const QDateTime dt = sql::parseIsoDateTime(iso);
                row.append(dt.isValid() ? QVariant(dt) : QVariant(iso));
            } else {
                row.append(QString::fromUtf8(text, size));
            }
            break;
        }
        case SQLITE_BLOB: {
            const char *data = static_cast<const char *>(sqlite3_column_blob(stmt, c));
            row.append(QByteArray(data, sqlite3_column_bytes(stmt, c)));
            break;
        }
        }
    }
    return row;
}

QueryResult Database::run(Statement *s, const QVariantList &binds, const QVariantMap &namedBinds,
                          RowReuse rowReuse)
{
    QueryResult result;
    if (!bind(s, binds, namedBinds))
        return QueryResult::failure(m_error);
    result.m_columns = s->columnNames;
    result.m_rows.reserve(s->lastRowCount);
    const int columns = int(s->columnNames.size());
    sqlite3_stmt *stmt = s->stmt;
    // Big results are not kept for reuse: a live query of that size follows its rows instead of
    // re-running (incrementalplan_p.h), and a copy of a million rows' bytes would double its memory.
    // Nor is a statement's first run, unless a live query's (RowReuse).
    bool reuse = s->isReadOnly && s->lastRowCount <= MaxReusedRows
            && (s->hasRun || rowReuse == RowReuse::Always);
    s->hasRun = true;
    QList<QByteArray> signatures;
    if (reuse)
        signatures.reserve(s->lastRowCount);
    const QList<QVariantList> &previous = s->previousRows;
    const QList<QByteArray> &previousSignatures = s->previousSignatures;
    QByteArray scratch;
    // Rows are matched by position, following a single inserted or removed row (`shift`).
    qsizetype shift = 0;
    auto matches = [&](qsizetype i) {
        return i >= 0 && i < previousSignatures.size() && previousSignatures.at(i) == scratch;
    };
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (reuse && result.m_rows.size() >= MaxReusedRows) {
            reuse = false;
            signatures = {};
        }
        if (!reuse) {
            result.m_rows.append(decodeRow(s));
            continue;
        }
        rowSignature(stmt, columns, &scratch);
        const qsizetype at = result.m_rows.size() + shift;
        qsizetype found = -1;
        if (matches(at))
            found = at;
        else if (matches(at + 1))
            found = at + 1, ++shift;
        else if (matches(at - 1))
            found = at - 1, --shift;
        if (found >= 0) {
            result.m_rows.append(previous.at(found));
            signatures.append(previousSignatures.at(found));
        } else {
            result.m_rows.append(decodeRow(s));
            signatures.append(scratch);
        }
    }
    if (rc != SQLITE_DONE) {
        m_error = sqliteError();
        sqlite3_reset(stmt);
        return QueryResult::failure(m_error);
    }
    if (!s->isReadOnly)
        result.m_rowsAffected = sqlite3_changes64(m_db);
    s->lastRowCount = result.m_rows.size();
    if (reuse) {
        s->previousRows = result.m_rows;
        s->previousSignatures = std::move(signatures);
    } else {
        s->previousRows = {};
        s->previousSignatures = {};
    }
    sqlite3_reset(stmt);
    return result;
}

bool Database::execute(Statement *s, const QVariantList &binds, const QVariantMap &namedBinds)
{
    if (!bind(s, binds, namedBinds))
        return false;
    int rc;
    while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) { }
    if (rc != SQLITE_DONE) {
        m_error = sqliteError();
        sqlite3_reset(s->stmt);
        return false;
    }
    sqlite3_reset(s->stmt);
    return true;
}

} // namespace LiveStore
