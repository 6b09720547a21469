// SPDX-License-Identifier: BSD-3-Clause
#include "changecapture_p.h"

#include <QtCore/qendian.h>
#include <QtCore/qscopeguard.h>

#include <sqlite3.h>

#include <cstring>

namespace LiveStore::detail {

namespace {

// The changeset format (SQLite's sqlite3session.c documents it): a table header 'T', the column
// count, one byte per column (its place in the primary key, or 0) and the name with its NUL;
// then records, each an operation, an "indirect" flag and values.
constexpr char TableHeader = 'T';
constexpr char Undefined = 0; // an UPDATE's column that did not change

void appendVarint(QByteArray &out, quint64 v)
{
    // SQLite's varint, as lengths use it (below 2^56: seven bits a byte, high bits first).
    char buf[10];
    int n = 0;
    do {
        buf[n++] = char((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v != 0);
    buf[0] = char(buf[0] & 0x7f);
    for (int i = n - 1; i >= 0; --i)
        out += buf[i];
}

// Reads a varint written by appendVarint(); 0 bytes when it runs past `end`.
int readVarint(const char *p, const char *end, quint64 *v)
{
    quint64 value = 0;
    for (int i = 0; i < 9 && p + i < end; ++i) {
        const auto byte = quint8(p[i]);
        value = (value << 7) | (byte & 0x7f);
        if (!(byte & 0x80)) {
            *v = value;
            return i + 1;
        }
    }
    return 0;
}

void append64(QByteArray &out, quint64 v)
{
    char bytes[8];
    qToBigEndian(v, bytes);
    out.append(bytes, 8);
}

// A value as a changeset holds it: its type, then 8 bytes big-endian for numbers, or a length
// and the bytes for text and blobs.
void appendValue(QByteArray &out, sqlite3_value *value)
{
    const int type = sqlite3_value_type(value);
    out += char(type);
    switch (type) {
    case SQLITE_INTEGER:
        append64(out, quint64(sqlite3_value_int64(value)));
        break;
    case SQLITE_FLOAT: {
        const double d = sqlite3_value_double(value);
        quint64 bits;
        std::memcpy(&bits, &d, 8);
        append64(out, bits);
        break;
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        const void *bytes = type == SQLITE_TEXT ? static_cast<const void *>(sqlite3_value_text(value))
                                                : sqlite3_value_blob(value);
        const int size = sqlite3_value_bytes(value);
        appendVarint(out, quint64(size));
        if (size > 0)
            out.append(static_cast<const char *>(bytes), size);
        break;
    }
    default:
        break; // SQLITE_NULL: the type alone
    }
}

// The size of the serialized value at `p` (0 when it runs past `end`).
qsizetype valueSize(const char *p, const char *end)
{
    if (p >= end)
        return 0;
    switch (*p) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        return end - p >= 9 ? 9 : 0;
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        quint64 size = 0;
        const int n = readVarint(p + 1, end, &size);
        if (n == 0 || size > quint64(end - p - 1 - n))
            return 0;
        return 1 + n + qsizetype(size);
    }
    default:
        return 1;
    }
}

// Binds the serialized value at `p` to `stmt`'s parameter `index`; its bytes must outlive the
// step. Returns the value's size, 0 when it is not a value.
qsizetype bindValue(sqlite3_stmt *stmt, int index, const char *p, const char *end)
{
    const qsizetype size = valueSize(p, end);
    if (size == 0)
        return 0;
    int rc = SQLITE_OK;
    switch (*p) {
    case SQLITE_INTEGER:
        rc = sqlite3_bind_int64(stmt, index, qint64(qFromBigEndian<quint64>(p + 1)));
        break;
    case SQLITE_FLOAT: {
        const quint64 bits = qFromBigEndian<quint64>(p + 1);
        double d;
        std::memcpy(&d, &bits, 8);
        rc = sqlite3_bind_double(stmt, index, d);
        break;
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        quint64 length = 0;
        const int n = readVarint(p + 1, end, &length);
        const char *bytes = p + 1 + n;
        rc = *p == SQLITE_TEXT ? sqlite3_bind_text(stmt, index, bytes, int(length), SQLITE_STATIC)
                               : sqlite3_bind_blob(stmt, index, bytes, int(length), SQLITE_STATIC);
        break;
    }
    default:
        rc = sqlite3_bind_null(stmt, index);
        break;
    }
    return rc == SQLITE_OK ? size : 0;
}

QByteArray quotedIdentifier(const QByteArray &name)
{
    QByteArray quoted = name;
    quoted.replace('"', "\"\"");
    return '"' + quoted + '"';
}

} // namespace

CaptureHub::Table::~Table()
{
    sqlite3_finalize(select);
}

CaptureHub::CaptureHub(sqlite3 *db) : m_db(db) { }

CaptureHub::~CaptureHub()
{
    for (ChangeCapture *capture : std::as_const(m_captures)) {
        capture->m_hub = nullptr;
        capture->m_error = SQLITE_MISUSE;
        capture->m_touched.clear();
    }
    if (!m_captures.isEmpty())
        sqlite3_preupdate_hook(m_db, nullptr, nullptr);
    m_tables.clear();
    sqlite3_finalize(m_schemaVersion);
    sqlite3_finalize(m_tableInfo);
}

void CaptureHub::onPreupdate(void *hub, sqlite3 *, int op, const char *database, const char *table,
                             long long, long long)
{
    if (std::strcmp(database, "main") != 0)
        return;
    for (ChangeCapture *capture : std::as_const(static_cast<CaptureHub *>(hub)->m_captures))
        capture->record(op, table);
}

bool CaptureHub::attach(ChangeCapture *capture)
{
    // The schema version says whether the tables read before still have their columns.
    if (!m_schemaVersion
        && sqlite3_prepare_v3(m_db, "PRAGMA main.schema_version", -1, SQLITE_PREPARE_PERSISTENT,
                              &m_schemaVersion, nullptr) != SQLITE_OK) {
        capture->m_error = sqlite3_errcode(m_db);
        return false;
    }
    const int rc = sqlite3_step(m_schemaVersion);
    const long long version = rc == SQLITE_ROW ? sqlite3_column_int64(m_schemaVersion, 0) : -1;
    sqlite3_reset(m_schemaVersion);
    if (rc != SQLITE_ROW) {
        capture->m_error = sqlite3_errcode(m_db);
        return false;
    }
    if (version != m_tablesSchemaVersion) {
        forgetTables();
        m_tablesSchemaVersion = version;
    }
    capture->m_schemaVersion = version;
    if (m_captures.isEmpty())
        sqlite3_preupdate_hook(m_db, &CaptureHub::onPreupdate, this);
    m_captures.append(capture);
    return true;
}

void CaptureHub::detach(ChangeCapture *capture)
{
    m_captures.removeOne(capture);
    if (m_captures.isEmpty())
        sqlite3_preupdate_hook(m_db, nullptr, nullptr);
}

void CaptureHub::forgetTables()
{
    // Captures running keep the tables they use (shared) until they end.
    m_tables.clear();
}

std::shared_ptr<CaptureHub::Table> CaptureHub::table(const char *name, int *error)
{
    const QByteArray lower = QByteArray(name).toLower();
    const auto found = m_tables.constFind(lower);
    if (found != m_tables.cend())
        return *found;
    if (!m_tableInfo
        && sqlite3_prepare_v3(m_db, "SELECT name, pk FROM pragma_table_xinfo(?1, 'main')", -1,
                              SQLITE_PREPARE_PERSISTENT, &m_tableInfo, nullptr) != SQLITE_OK) {
        *error = sqlite3_errcode(m_db);
        return nullptr;
    }
    auto table = std::make_shared<Table>();
    table->name = name;
    bool hasPrimaryKey = false;
    sqlite3_bind_text(m_tableInfo, 1, name, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(m_tableInfo)) == SQLITE_ROW) {
        table->columns.append(QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(m_tableInfo, 0)),
                                         sqlite3_column_bytes(m_tableInfo, 0)));
        const int pk = sqlite3_column_int(m_tableInfo, 1);
        table->pk += char(pk);
        hasPrimaryKey = hasPrimaryKey || pk != 0;
    }
    sqlite3_reset(m_tableInfo);
    sqlite3_clear_bindings(m_tableInfo);
    if (rc != SQLITE_DONE) {
        *error = sqlite3_errcode(m_db);
        return nullptr;
    }
    if (!hasPrimaryKey)
        table.reset(); // not recorded, as a session does not record it
    m_tables.insert(lower, table);
    return table;
}

bool CaptureHub::selectStatement(Table *table, int *error)
{
    if (table->select)
        return true;
    // The row by its primary key, each key column bound at its own column's number.
    QByteArray sql = "SELECT * FROM main." + quotedIdentifier(table->name) + " WHERE ";
    bool first = true;
    for (qsizetype c = 0; c < table->columns.size(); ++c) {
        if (!table->pk.at(c))
            continue;
        if (!first)
            sql += " AND ";
        first = false;
        sql += quotedIdentifier(table->columns.at(c)) + " IS ?" + QByteArray::number(c + 1);
    }
    if (sqlite3_prepare_v3(m_db, sql.constData(), int(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &table->select, nullptr) != SQLITE_OK) {
        *error = sqlite3_errcode(m_db);
        sqlite3_finalize(table->select);
        table->select = nullptr;
        return false;
    }
    if (sqlite3_column_count(table->select) != table->columns.size()) {
        *error = SQLITE_SCHEMA; // columns a plain SELECT does not show (hidden ones)
        sqlite3_finalize(table->select);
        table->select = nullptr;
        return false;
    }
    return true;
}

ChangeCapture::~ChangeCapture()
{
    stop();
}

QString ChangeCapture::errorString() const
{
    switch (m_error) {
    case SQLITE_OK:
        return {};
    case SQLITE_SCHEMA:
        return QStringLiteral("a table changed its columns while its changes were recorded");
    case SQLITE_MISUSE:
        return QStringLiteral("the database connection closed while changes were recorded");
    default:
        return QString::fromUtf8(sqlite3_errstr(m_error));
    }
}

bool ChangeCapture::start(CaptureHub *hub, const QSet<QByteArray> &lowerTables, bool stateTables)
{
    stop();
    m_error = 0;
    m_lowerTables = lowerTables;
    m_stateTables = lowerTables.isEmpty() && stateTables;
    if (!m_stateTables && m_lowerTables.isEmpty())
        return false;
    if (!hub->attach(this))
        return false;
    m_hub = hub;
    return true;
}

void ChangeCapture::stop()
{
    if (m_hub)
        std::exchange(m_hub, nullptr)->detach(this);
    m_touched.clear();
}

ChangeCapture::TableRows *ChangeCapture::rowsOf(const char *table)
{
    for (TableRows &rows : m_touched) {
        if (std::strcmp(rows.name.constData(), table) == 0)
            return rows.table ? &rows : nullptr;
    }
    TableRows rows;
    rows.name = table;
    const bool followed = m_stateTables ? std::strncmp(table, "__livestore_", 12) != 0
                                        : m_lowerTables.contains(rows.name.toLower());
    if (followed) {
        int error = 0;
        rows.table = m_hub->table(table, &error);
        if (error) {
            m_error = error;
            return nullptr;
        }
    }
    m_touched.append(std::move(rows));
    return m_touched.last().table ? &m_touched.last() : nullptr;
}

void ChangeCapture::record(int op, const char *table)
{
    if (m_error)
        return;
    TableRows *rows = rowsOf(table);
    if (!rows)
        return;
    if (sqlite3_preupdate_count(m_hub->connection()) != rows->table->columns.size()) {
        m_error = SQLITE_SCHEMA;
        return;
    }
    // As a session: the row before the change under its old key, and, for an insert or an
    // update (which may have moved it to another key), the row after it under its new key.
    if (op != SQLITE_INSERT)
        note(rows, true);
    if (op != SQLITE_DELETE)
        note(rows, false);
}

void ChangeCapture::note(TableRows *rows, bool old)
{
    sqlite3 *db = m_hub->connection();
    const auto valueOf = [db, old](int column) {
        sqlite3_value *value = nullptr;
        const int rc = old ? sqlite3_preupdate_old(db, column, &value)
                           : sqlite3_preupdate_new(db, column, &value);
        return rc == SQLITE_OK ? value : nullptr;
    };
    const QByteArray &pk = rows->table->pk;
    QByteArray key;
    for (qsizetype c = 0; c < pk.size(); ++c) {
        if (!pk.at(c))
            continue;
        sqlite3_value *value = valueOf(int(c));
        if (!value) {
            m_error = SQLITE_ERROR;
            return;
        }
        if (sqlite3_value_type(value) == SQLITE_NULL)
            return; // not recorded, as a session does not record it
        appendValue(key, value);
    }
    if (rows->seen.contains(key))
        return; // the row as first seen is what counts
    Row row;
    row.existed = old;
    if (old) {
        for (qsizetype c = 0; c < pk.size(); ++c) {
            sqlite3_value *value = valueOf(int(c));
            if (!value) {
                m_error = SQLITE_ERROR;
                return;
            }
            appendValue(row.initial, value);
        }
    }
    rows->seen.insert(key);
    rows->keys.append(std::move(key));
    rows->rows.append(std::move(row));
}

bool ChangeCapture::write(CaptureHub *hub, TableRows &rows, QByteArray *out)
{
    CaptureHub::Table &table = *rows.table;
    if (!hub->selectStatement(&table, &m_error))
        return false;
    sqlite3_stmt *select = table.select;
    const qsizetype columns = table.columns.size();
    const qsizetype header = out->size();
    *out += TableHeader;
    appendVarint(*out, quint64(columns));
    *out += table.pk;
    out->append(table.name.constData(), table.name.size() + 1);
    const qsizetype recordsStart = out->size();

    QByteArray current, newValues;
    bool ok = true;
    for (qsizetype i = 0; ok && i < rows.rows.size(); ++i) {
        const QByteArray &key = rows.keys.at(i);
        const Row &row = rows.rows.at(i);
        const char *p = key.constData();
        const char *end = p + key.size();
        for (qsizetype c = 0; c < columns && ok; ++c) {
            if (!table.pk.at(c))
                continue;
            const qsizetype size = bindValue(select, int(c + 1), p, end);
            ok = size > 0;
            p += size;
        }
        if (!ok)
            break;
        const int rc = sqlite3_step(select);
        if (rc == SQLITE_ROW && !row.existed) {
            *out += char(SQLITE_INSERT);
            *out += char(0); // direct
            for (qsizetype c = 0; c < columns; ++c)
                appendValue(*out, sqlite3_column_value(select, int(c)));
        } else if (rc == SQLITE_ROW) {
            // The old record holds the key and what changed; the new one what it changed to.
            const qsizetype start = out->size();
            *out += char(SQLITE_UPDATE);
            *out += char(0);
            newValues.truncate(0);
            bool changed = false;
            const char *q = row.initial.constData();
            const char *initialEnd = q + row.initial.size();
            for (qsizetype c = 0; c < columns; ++c) {
                const qsizetype size = valueSize(q, initialEnd);
                if (size == 0) {
                    ok = false;
                    break;
                }
                current.truncate(0);
                appendValue(current, sqlite3_column_value(select, int(c)));
                const bool differs = QByteArrayView(q, size) != QByteArrayView(current);
                changed = changed || differs;
                if (differs || table.pk.at(c))
                    out->append(q, size);
                else
                    *out += Undefined;
                if (differs)
                    newValues += current;
                else
                    newValues += Undefined;
                q += size;
            }
            if (changed)
                *out += newValues;
            else
                out->truncate(start); // changed back: nothing to record
        } else if (rc == SQLITE_DONE && row.existed) {
            *out += char(SQLITE_DELETE);
            *out += char(0);
            *out += row.initial;
        } else if (rc != SQLITE_DONE) {
            ok = false;
        }
        sqlite3_reset(select);
    }
    sqlite3_clear_bindings(select); // they point into the keys
    if (!ok) {
        if (!m_error)
            m_error = sqlite3_errcode(hub->connection());
        if (!m_error)
            m_error = SQLITE_CORRUPT;
        return false;
    }
    if (out->size() == recordsStart)
        out->truncate(header); // no net change in this table
    return true;
}

bool ChangeCapture::finish(QByteArray *changeset)
{
    if (!m_hub)
        return false;
    CaptureHub *hub = std::exchange(m_hub, nullptr);
    // Nothing below writes, but the hook has no business with this capture any more.
    hub->detach(this);
    const auto forget = qScopeGuard([this] { m_touched.clear(); });
    if (m_error)
        return false;
    // A table that changed its columns meanwhile may not fit the rows recorded any more.
    sqlite3_stmt *versionStatement = hub->m_schemaVersion;
    const int rc = sqlite3_step(versionStatement);
    const long long version = rc == SQLITE_ROW ? sqlite3_column_int64(versionStatement, 0) : -1;
    sqlite3_reset(versionStatement);
    if (rc != SQLITE_ROW) {
        m_error = sqlite3_errcode(hub->connection());
        return false;
    }
    if (version != m_schemaVersion) {
        hub->forgetTables();
        hub->m_tablesSchemaVersion = version;
        for (TableRows &rows : m_touched) {
            if (!rows.table || rows.rows.isEmpty())
                continue;
            int error = 0;
            std::shared_ptr<CaptureHub::Table> now = hub->table(rows.name.constData(), &error);
            if (error || !now || now->columns.size() != rows.table->columns.size()
                || now->pk != rows.table->pk) {
                m_error = error ? error : SQLITE_SCHEMA;
                return false;
            }
            rows.table = std::move(now);
        }
    }
    QByteArray out;
    for (TableRows &rows : m_touched) {
        if (rows.table && !rows.rows.isEmpty() && !write(hub, rows, &out))
            return false;
    }
    *changeset = std::move(out);
    return true;
}

} // namespace LiveStore::detail
