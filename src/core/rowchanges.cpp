// SPDX-License-Identifier: BSD-3-Clause
#include "rowchanges_p.h"

#include "database_p.h"
#include "logging_p.h"
#include "sqlutil_p.h"

#include <sqlite3.h>

namespace LiveStore::detail {

QVariant storageValue(sqlite3_value *value)
{
    switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
        return qlonglong(sqlite3_value_int64(value));
    case SQLITE_FLOAT:
        return sqlite3_value_double(value);
    case SQLITE_TEXT:
        return QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_value_text(value)),
                                 sqlite3_value_bytes(value));
    case SQLITE_BLOB:
        return QByteArray(static_cast<const char *>(sqlite3_value_blob(value)),
                          sqlite3_value_bytes(value));
    default:
        return QVariant();
    }
}

bool RowChangeRecorder::start(Database &db, const QSet<QString> &tables)
{
    if (m_capture.isActive() || tables.isEmpty())
        return false;
    CaptureHub *hub = db.captureHub();
    if (!hub)
        return false;
    QSet<QByteArray> names;
    names.reserve(tables.size());
    for (const QString &table : tables)
        names.insert(table.toUtf8());
    if (!m_capture.start(hub, names, false))
        return false;
    m_tables = tables;
    return true;
}

bool RowChangeRecorder::finish(RowChanges *changes)
{
    QByteArray bytes;
    if (!m_capture.finish(&bytes))
        return false;
    changes->watched = m_tables;
    changes->byTable.clear();
    sqlite3_changeset_iter *it = nullptr;
    if (sqlite3changeset_start(&it, int(bytes.size()), bytes.data()) != SQLITE_OK)
        return false;
    bool ok = true;
    while (sqlite3changeset_next(it) == SQLITE_ROW) {
        const char *table = nullptr;
        int columns = 0;
        int op = 0;
        int indirect = 0;
        unsigned char *pk = nullptr;
        int pkColumns = 0;
        if (sqlite3changeset_op(it, &table, &columns, &op, &indirect) != SQLITE_OK
            || sqlite3changeset_pk(it, &pk, &pkColumns) != SQLITE_OK) {
            ok = false;
            break;
        }
        RowChange change;
        change.op = op == SQLITE_INSERT ? RowChange::Insert
                : op == SQLITE_DELETE   ? RowChange::Delete
                                        : RowChange::Update;
        change.oldValues.resize(columns);
        change.hasOldValue.resize(columns, false);
        change.changed.resize(columns, false);
        for (int c = 0; c < columns; ++c) {
            sqlite3_value *oldValue = nullptr;
            sqlite3_value *newValue = nullptr;
            if (change.op != RowChange::Insert && sqlite3changeset_old(it, c, &oldValue) == SQLITE_OK
                && oldValue) {
                change.oldValues[c] = storageValue(oldValue);
                change.hasOldValue[c] = true;
            }
            if (change.op == RowChange::Update && sqlite3changeset_new(it, c, &newValue) == SQLITE_OK
                && newValue) {
                change.changed[c] = true;
            }
            if (pk[c]) {
                if (change.op == RowChange::Insert) {
                    if (sqlite3changeset_new(it, c, &newValue) != SQLITE_OK || !newValue) {
                        ok = false;
                        break;
                    }
                    change.primaryKey.append(storageValue(newValue));
                } else {
                    change.primaryKey.append(change.oldValues.at(c));
                }
            }
        }
        if (!ok)
            break;
        changes->byTable[sql::foldedName(QString::fromUtf8(table))].append(std::move(change));
    }
    if (sqlite3changeset_finalize(it) != SQLITE_OK)
        ok = false;
    if (!ok) {
        qCWarning(lcQuery, "could not read a commit's changes; its live queries re-run instead");
        changes->byTable.clear();
        changes->watched.clear();
    }
    return ok;
}

} // namespace LiveStore::detail
