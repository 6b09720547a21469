// SPDX-License-Identifier: BSD-3-Clause
// Internal: which rows a commit changed, for the live queries that follow changes row by row
// (incrementalplan_p.h). A commit captures the changes to the tables those queries read
// (changecapture_p.h): the net change of the whole transaction, one record per primary key.
#ifndef LIVESTORE_ROWCHANGES_P_H
#define LIVESTORE_ROWCHANGES_P_H

#include "changecapture_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qset.h>
#include <QtCore/qvariant.h>

struct sqlite3_value;

namespace LiveStore {

class Database;

namespace detail {

// A value as SQLite stores it: qlonglong, double, QString, QByteArray or null. For a column of
// a stepped statement: storageValue(sqlite3_column_value(stmt, c)).
QVariant storageValue(sqlite3_value *value);

// One row's net change. Values are SQLite's storage values (integer, real, text, blob, null),
// indexed by the table's column order.
struct RowChange
{
    enum Op { Insert, Update, Delete };
    Op op = Update;
    QVariantList primaryKey;  // the primary key columns' values, in table column order
    QVariantList oldValues;   // Update: the changed columns' old values; Delete: all of them
    QList<bool> hasOldValue;  // per column: oldValues holds the old value
    QList<bool> changed;      // Update: per column, whether it changed
};

struct RowChanges
{
    // Table names here are folded as SQLite folds them (sql::foldedName(): ASCII letters only).
    // The tables the capture watched: a watched table without records did not change.
    QSet<QString> watched;
    QHash<QString, QList<RowChange>> byTable;

    bool covers(const QString &lowerTable) const { return watched.contains(lowerTable); }
};

// A capture of some tables for the length of one transaction.
class RowChangeRecorder
{
public:
    // Starts watching `tables` (folded names) on the main database. False (and nothing
    // recorded) if it cannot: the live queries then re-run instead.
    bool start(Database &db, const QSet<QString> &tables);
    bool isActive() const { return m_capture.isActive(); }
    // The changes so far; the capture ends. False if they could not be read.
    bool finish(RowChanges *changes);

private:
    ChangeCapture m_capture;
    QSet<QString> m_tables;
};

} // namespace detail
} // namespace LiveStore

#endif // LIVESTORE_ROWCHANGES_P_H
