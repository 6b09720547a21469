// SPDX-License-Identifier: BSD-3-Clause
#include "changesetundo_p.h"

#include "sqlutil_p.h"

#include <QtCore/qvarlengtharray.h>

#include <sqlite3.h>

#include <limits>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// Inverted changesets of our own events apply to the state that produced them: a conflict means
// the state is not what the changeset expects, and applying further would corrupt it.
int abortOnConflict(void *, int, sqlite3_changeset_iter *)
{
    return SQLITE_CHANGESET_ABORT;
}

} // namespace

ChangesetUndo::~ChangesetUndo()
{
    if (m_iter)
        sqlite3changeset_finalize(m_iter);
}

ChangesetUndo::Result ChangesetUndo::undo(const QByteArray &changeset, QString *error)
{
    if (!begin(changeset, error))
        return Failed;
    return step(std::numeric_limits<int>::max(), error);
}

bool ChangesetUndo::begin(const QByteArray &changeset, QString *error)
{
    if (m_iter)
        sqlite3changeset_finalize(std::exchange(m_iter, nullptr));
    if (sqlite3changeset_start(&m_iter, int(changeset.size()), const_cast<char *>(changeset.constData()))
        != SQLITE_OK) {
        m_iter = nullptr;
        *error = u"cannot read a recorded changeset"_s;
        return false;
    }
    return true;
}

ChangesetUndo::Result ChangesetUndo::step(int maxChanges, QString *error)
{
    if (!m_iter)
        return Done;
    Result result = Done;
    for (int n = 0; result == Done; ++n) {
        if (n == maxChanges)
            return More;
        if (sqlite3changeset_next(m_iter) != SQLITE_ROW)
            break;
        result = undoChange(m_iter, error);
    }
    const int rc = sqlite3changeset_finalize(std::exchange(m_iter, nullptr));
    if (result == Done && rc != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errstr(rc));
        return Failed;
    }
    return result;
}

const QStringList *ChangesetUndo::columnsOf(const char *table, int count)
{
    const QByteArray name(table);
    QByteArray definition;
    if (Database::Statement *s = m_db.prepare(
                u"SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1"_s)) {
        sqlite3_reset(s->stmt);
        sqlite3_bind_text(s->stmt, 1, name.constData(), int(name.size()), SQLITE_STATIC);
        if (sqlite3_step(s->stmt) == SQLITE_ROW)
            definition = QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(s->stmt, 0)),
                                    sqlite3_column_bytes(s->stmt, 0));
        sqlite3_reset(s->stmt);
    }
    if (definition.isEmpty())
        return nullptr;
    const QString key = QString::fromUtf8(name);
    auto it = m_columns.find(key);
    if (it == m_columns.end() || it->first != definition) {
        QStringList columns;
        if (Database::Statement *s = m_db.prepare(u"SELECT name FROM pragma_table_info(?1) ORDER BY cid"_s)) {
            sqlite3_reset(s->stmt);
            sqlite3_bind_text(s->stmt, 1, name.constData(), int(name.size()), SQLITE_STATIC);
            while (sqlite3_step(s->stmt) == SQLITE_ROW)
                columns.append(sql::quoteIdentifier(QString::fromUtf8(
                        reinterpret_cast<const char *>(sqlite3_column_text(s->stmt, 0)))));
            sqlite3_reset(s->stmt);
        }
        it = m_columns.insert(key, {definition, columns});
    }
    return it->second.size() == count ? &it->second : nullptr;
}

ChangesetUndo::Result ChangesetUndo::undoChange(sqlite3_changeset_iter *it, QString *error)
{
    const char *table = nullptr;
    int count = 0;
    int op = 0;
    int indirect = 0;
    unsigned char *pk = nullptr;
    if (sqlite3changeset_op(it, &table, &count, &op, &indirect) != SQLITE_OK
        || sqlite3changeset_pk(it, &pk, nullptr) != SQLITE_OK) {
        *error = u"cannot read a recorded changeset"_s;
        return Failed;
    }
    const QStringList *columns = columnsOf(table, count);
    if (!columns)
        return Conflict; // the table is not as it was recorded: leave it to SQLite
    const QString quotedTable = sql::quoteIdentifier(QString::fromUtf8(table));
    // The values to bind, in the order of the ?s.
    QVarLengthArray<sqlite3_value *, 16> values;
    QString sql;
    auto value = [&](bool fromNew, int column) {
        sqlite3_value *v = nullptr;
        if (fromNew)
            sqlite3changeset_new(it, column, &v);
        else
            sqlite3changeset_old(it, column, &v);
        return v;
    };
    // The row as the change left it: its key with `=`, its other recorded values with IS.
    auto appendRowMatch = [&](bool fromNew, bool keyOnly) {
        QString separator = u" WHERE "_s;
        for (int i = 0; i < count; ++i) {
            if (keyOnly && !pk[i])
                continue;
            sqlite3_value *v = value(fromNew, i);
            if (!v)
                continue; // an update's unchanged column
            sql += separator + columns->at(i) + (pk[i] ? u" = ?"_s : u" IS ?"_s);
            values.append(v);
            separator = u" AND "_s;
        }
    };
    bool oneRow = true;
    switch (op) {
    case SQLITE_INSERT: // the row goes again
        sql = u"DELETE FROM "_s + quotedTable;
        appendRowMatch(true, false);
        break;
    case SQLITE_DELETE: { // the row comes back
        sql = u"INSERT INTO "_s + quotedTable + u" ("_s + columns->join(u", "_s) + u") VALUES ("_s;
        for (int i = 0; i < count; ++i) {
            sql += i ? u", ?"_s : u"?"_s;
            values.append(value(false, i));
        }
        sql += u')';
        oneRow = false;
        break;
    }
    case SQLITE_UPDATE: { // the changed columns get their old values back
        sql = u"UPDATE "_s + quotedTable;
        QString separator = u" SET "_s;
        for (int i = 0; i < count; ++i) {
            sqlite3_value *v = pk[i] ? nullptr : value(true, i);
            if (!v)
                continue;
            sql += separator + columns->at(i) + u" = ?"_s;
            values.append(value(false, i));
            separator = u", "_s;
        }
        appendRowMatch(false, true); // the key, from the old record
        for (int i = 0; i < count; ++i) {
            sqlite3_value *v = pk[i] ? nullptr : value(true, i);
            if (!v)
                continue;
            sql += u" AND "_s + columns->at(i) + u" IS ?"_s;
            values.append(v);
        }
        break;
    }
    default:
        *error = u"cannot read a recorded changeset"_s;
        return Failed;
    }
    for (sqlite3_value *v : values) {
        if (!v)
            return Conflict; // a value the changeset should carry and does not
    }
    Database::Statement *s = m_db.prepare(sql);
    if (!s) {
        *error = m_db.lastError();
        return Failed;
    }
    sqlite3_stmt *stmt = s->stmt;
    sqlite3_reset(stmt);
    for (int i = 0; i < values.size(); ++i)
        sqlite3_bind_value(stmt, i + 1, values.at(i));
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return Conflict;
    if (rc != SQLITE_DONE) {
        *error = m_db.sqliteError();
        return Failed;
    }
    if (oneRow && sqlite3_changes(m_db.handle()) != 1)
        return Conflict;
    return Done;
}

bool ChangesetUndo::undoWithSqlite(const QByteArray &changeset, QString *error)
{
    int invertedSize = 0;
    void *inverted = nullptr;
    int rc = sqlite3changeset_invert(int(changeset.size()), changeset.constData(), &invertedSize, &inverted);
    if (rc == SQLITE_OK)
        rc = sqlite3changeset_apply(m_db.handle(), invertedSize, inverted, nullptr, abortOnConflict, nullptr);
    sqlite3_free(inverted);
    if (rc != SQLITE_OK)
        *error = QString::fromUtf8(sqlite3_errstr(rc));
    return rc == SQLITE_OK;
}

} // namespace LiveStore
