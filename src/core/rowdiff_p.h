// SPDX-License-Identifier: BSD-3-Clause
// Internal: the keyed diff behind LiveQueryModel. Pure: it turns an old and a new list of row keys
// into the fewest model operations (removals, then moves and inserts, then changes), without
// touching a model, so it can be tested on its own.
#ifndef LIVESTORE_ROWDIFF_P_H
#define LIVESTORE_ROWDIFF_P_H

#include "livestore_export.h"

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <functional>

namespace LiveStore {

struct RowOperation
{
    enum Kind { Remove, Insert, Move, Change };
    Kind kind = Remove;
    // Remove: rows [first, last] of the list as it is when the operation applies.
    // Insert: `last - first + 1` rows at `first`, taken from new rows [source, source + n).
    // Move:   row `first` moves to before row `destination` (beginMoveRows' convention).
    // Change: row `first` (final position) changed in `columns`.
    int first = 0;
    int last = 0;
    int destination = 0;
    int source = 0;
    QList<int> columns;

    friend bool operator==(const RowOperation &a, const RowOperation &b)
    {
        return a.kind == b.kind && a.first == b.first && a.last == b.last
                && a.destination == b.destination && a.source == b.source && a.columns == b.columns;
    }
};

// Keys must be unique within each list. `changedColumns(oldRow, newRow)` lists the columns that
// differ between a kept row's old and new values.
LIVESTORE_EXPORT QList<RowOperation>
diffRows(const QList<QString> &oldKeys, const QList<QString> &newKeys,
         const std::function<QList<int>(int oldRow, int newRow)> &changedColumns);

// Applies the structural operations (not Change) to a copy of `keys`: what a model's row order
// becomes. For tests.
LIVESTORE_EXPORT QList<QString> applyRowOperations(QList<QString> keys, const QList<QString> &newKeys,
                                                  const QList<RowOperation> &operations);

} // namespace LiveStore

#endif // LIVESTORE_ROWDIFF_P_H
