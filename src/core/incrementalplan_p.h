// SPDX-License-Identifier: BSD-3-Clause
// Internal: keeping a live query's result up to date from the rows a commit changed, instead of
// re-running it. For a query of a shape SelectShape recognizes, over a table with a primary key:
//
// - Rows (`SELECT * | columns FROM t [WHERE ...] ORDER BY columns [LIMIT n]`): the result is kept
//   sorted by the ORDER BY columns and then the primary key (appended to the ORDER BY when it is
//   not there, so ties have one order). A changed row is looked up by binary search on its old
//   sort key, its new version is read by primary key with the query's own WHERE, and the result
//   changes by at most one remove/insert/move/change per changed row: O(changed rows · log n).
// - Count (`SELECT count(*) FROM t [WHERE ...]`): the count moves by the rows that entered or
//   left the WHERE, judged on the row's old values (probed) and its new ones.
//
// A LIMIT result (or a window, see make()) that loses rows reads the rows after its last one
// (keyset pagination on the sort key) to fill up again. Whenever a case is not handled (a row
// SQLite cannot read back), apply() says Rerun and the caller re-runs the query.
#ifndef LIVESTORE_INCREMENTALPLAN_P_H
#define LIVESTORE_INCREMENTALPLAN_P_H

#include "query.h"
#include "schema.h"
#include "queryresult.h"
#include "rowchanges_p.h"
#include "selectshape_p.h"

#include <memory>

namespace LiveStore {

class Database;
class Schema;

namespace detail {

// One step of the change from one result to the next, positions as the list is at that step.
// Move: the row at `from` is taken out and put back at `to` (`to` counted without it), with new
// values when `columns` is not empty.
struct RowDelta
{
    enum Kind { Insert, Remove, Move, Change };
    Kind kind = Change;
    int from = -1;
    int to = -1;
    QVariantList row;   // Insert, Move, Change: the row's (new) values
    QList<int> columns; // Move, Change: the result columns whose values changed
};

class IncrementalPlan
{
public:
    // A plan for `query`, or null when its shape is not one that can be followed. With a
    // `window` (rows), an ordered query without LIMIT holds only its first `window` rows and
    // grows by fetchMore().
    static std::unique_ptr<IncrementalPlan> make(Database &db, const Schema &schema, const Query &query,
                                                 int window = 0);

    // The query to run for full results: the original, with the primary key appended to its
    // ORDER BY when needed.
    const Query &executedQuery() const { return m_executed; }
    bool isWindowed() const { return m_windowed; }
    // A window that may not hold the query's last rows yet.
    bool canFetchMore() const { return m_windowed && m_mayHaveMore; }
    const QString &table() const { return m_table; } // folded: sql::foldedName()
    // The tables a run of executedQuery() read must be just this one for the plan to hold.
    bool readsOnly(const QStringList &tables) const;

    // After a full run: the result the next apply() starts from.
    void reset(const QueryResult &result);

    enum Outcome { Unchanged, Changed, Rerun };
    static constexpr qsizetype MaxFollowedRows = 1000;
    // Brings `result` up to date with `changes` in place, recording the steps in `delta`.
    // After Rerun, `result` is half-updated: the caller must re-run the query.
    Outcome apply(const RowChanges &changes, QueryResult &result, QList<RowDelta> *delta);
    // Appends up to `rows` rows after the window's last (one Insert step per row, in order) and
    // widens the window. Reads only those rows (keyset pagination), not the ones before.
    Outcome fetchMore(int rows, QueryResult &result, QList<RowDelta> *delta);

private:
    struct KeyColumn
    {
        int resultIndex = -1;
        int tableIndex = -1;
        bool descending = false;
        ColumnType type = ColumnType::Text;
    };

    IncrementalPlan() = default;
    void setWindow(qint64 rows);
    // The `count` rows of the query after the last of `rows` (all from the first when empty).
    bool readAfter(const QList<QVariantList> &rows, int count, QList<QVariantList> *next);
    Outcome appendAfter(QList<QVariantList> &rows, int count, QList<RowDelta> *delta);
    Outcome applyRows(const QList<RowChange> &changes, QList<QVariantList> &rows, QList<RowDelta> *delta);
    Outcome applyCount(const QList<RowChange> &changes, QList<QVariantList> &rows, QList<RowDelta> *delta);

    QVariantMap keyBinds(const QVariantList &primaryKey) const;
    // The query's row for this primary key if it matches now: 1 (with *row set), 0, or -1 on error.
    int fetchMatching(const QVariantList &primaryKey, QVariantList *row);
    // The table's row as stored (all columns), or false if it is not there or cannot be read.
    bool fetchStored(const QVariantList &primaryKey, QVariantList *values);
    // Whether a row with these stored values matched the WHERE; -1 on error.
    int probe(const QVariantList &values);
    bool whereReads(const RowChange &change) const;

    QVariantList keyOf(const QVariantList &row) const;
    int compareKeys(const QVariantList &a, const QVariantList &b) const;
    qsizetype lowerBound(const QList<QVariantList> &rows, const QVariantList &key) const;

    Database *m_db = nullptr;
    SelectShape m_shape;
    QString m_table;
    QStringList m_tableColumns;
    Query m_executed;
    QVariantList m_binds;
    QVariantMap m_namedBinds;
    QList<int> m_primaryKeyColumns; // table column indexes
    QList<KeyColumn> m_keys;        // the ORDER BY columns, then the primary key's
    qint64 m_limit = -1;
    bool m_windowed = false;
    QString m_orderedSql;           // Rows: the query with the primary key in its ORDER BY, no LIMIT
    bool m_mayHaveMore = false;     // a LIMIT result that is full: rows may follow beyond it
    QString m_matchingSql;
    QString m_storedSql;
    QString m_probeSql;
};

// SQLite's order of storage values with the BINARY collation: NULL, numbers, text (by code
// point, as UTF-8 bytes compare), blobs.
int compareStorageValues(const QVariant &a, const QVariant &b);

} // namespace detail
} // namespace LiveStore

#endif // LIVESTORE_INCREMENTALPLAN_P_H
