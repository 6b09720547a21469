// SPDX-License-Identifier: BSD-3-Clause
#include "rowdiff_p.h"

#include <QtCore/qhash.h>
#include <QtCore/qset.h>

#include <algorithm>

namespace LiveStore {

namespace {

// Marks the members of one longest strictly increasing subsequence of `values`.
QList<bool> longestIncreasingSubsequence(const QList<int> &values)
{
    const qsizetype n = values.size();
    QList<int> tailIndex;    // tailIndex[k]: index of the smallest tail of an increasing run of length k+1
    QList<int> previous(n, -1);
    for (qsizetype i = 0; i < n; ++i) {
        const auto pos = std::lower_bound(tailIndex.begin(), tailIndex.end(), values.at(i),
                                          [&values](int index, int v) { return values.at(index) < v; });
        const qsizetype k = pos - tailIndex.begin();
        if (k > 0)
            previous[i] = tailIndex.at(k - 1);
        if (k == tailIndex.size())
            tailIndex.append(int(i));
        else
            tailIndex[k] = int(i);
    }
    QList<bool> member(n, false);
    for (int i = tailIndex.isEmpty() ? -1 : tailIndex.constLast(); i >= 0; i = previous.at(i))
        member[i] = true;
    return member;
}

} // namespace

QList<RowOperation> diffRows(const QList<QString> &oldKeys, const QList<QString> &newKeys,
                             const std::function<QList<int>(int, int)> &changedColumns)
{
    QList<RowOperation> ops;
    QHash<QString, int> newIndex;
    newIndex.reserve(newKeys.size());
    for (qsizetype i = 0; i < newKeys.size(); ++i)
        newIndex.insert(newKeys.at(i), int(i));
    QHash<QString, int> oldIndex;
    oldIndex.reserve(oldKeys.size());
    for (qsizetype i = 0; i < oldKeys.size(); ++i)
        oldIndex.insert(oldKeys.at(i), int(i));

    // 1. Removals, from the end so earlier indices stay valid; contiguous runs together.
    QList<QString> current = oldKeys;
    for (qsizetype i = oldKeys.size() - 1; i >= 0;) {
        if (newIndex.contains(oldKeys.at(i))) {
            --i;
            continue;
        }
        const qsizetype last = i;
        while (i >= 0 && !newIndex.contains(oldKeys.at(i)))
            --i;
        ops.append({RowOperation::Remove, int(i + 1), int(last)});
        current.remove(i + 1, last - i);
    }

    // 2. The rows already in the right relative order stay; only the others move.
    QList<int> order;
    order.reserve(current.size());
    for (const QString &k : std::as_const(current))
        order.append(newIndex.value(k));
    const QList<bool> stableFlags = longestIncreasingSubsequence(order);
    QSet<QString> stable;
    for (qsizetype i = 0; i < current.size(); ++i) {
        if (stableFlags.at(i))
            stable.insert(current.at(i));
    }

    // 3. Walk the new order backwards: everything after the anchor is final. New rows are
    //    inserted before the anchor (consecutive ones at once), unstable rows moved there.
    auto anchorPosition = [&current](const QString *anchor) {
        return anchor ? int(current.indexOf(*anchor)) : int(current.size());
    };
    const QString *anchor = nullptr;
    int pendingFirst = -1; // new-list index of the first row of a pending run of inserts
    int pendingCount = 0;
    auto flushInserts = [&] {
        if (!pendingCount)
            return;
        const int at = anchorPosition(anchor);
        ops.append({RowOperation::Insert, at, at + pendingCount - 1, 0, pendingFirst});
        for (int i = 0; i < pendingCount; ++i)
            current.insert(at + i, newKeys.at(pendingFirst + i));
        anchor = &newKeys.at(pendingFirst); // the inserted run is final too
        pendingCount = 0;
        pendingFirst = -1;
    };
    for (qsizetype j = newKeys.size() - 1; j >= 0; --j) {
        const QString &key = newKeys.at(j);
        if (!oldIndex.contains(key)) {
            pendingFirst = int(j);
            ++pendingCount;
            continue;
        }
        flushInserts();
        if (!stable.contains(key)) {
            const int from = int(current.indexOf(key));
            const int to = anchorPosition(anchor);
            if (from != to - 1) {
                ops.append({RowOperation::Move, from, from, to});
                current.move(from, from < to ? to - 1 : to);
            }
        }
        anchor = &key;
    }
    flushInserts();

    // 4. Changes of kept rows, at their final positions.
    for (qsizetype j = 0; j < newKeys.size(); ++j) {
        const auto it = oldIndex.constFind(newKeys.at(j));
        if (it == oldIndex.cend())
            continue;
        QList<int> columns = changedColumns(*it, int(j));
        if (!columns.isEmpty())
            ops.append({RowOperation::Change, int(j), int(j), 0, 0, std::move(columns)});
    }
    return ops;
}

QList<QString> applyRowOperations(QList<QString> keys, const QList<QString> &newKeys,
                                  const QList<RowOperation> &operations)
{
    for (const RowOperation &op : operations) {
        switch (op.kind) {
        case RowOperation::Remove:
            keys.remove(op.first, op.last - op.first + 1);
            break;
        case RowOperation::Insert:
            for (int i = 0; i <= op.last - op.first; ++i)
                keys.insert(op.first + i, newKeys.at(op.source + i));
            break;
        case RowOperation::Move:
            keys.move(op.first, op.first < op.destination ? op.destination - 1 : op.destination);
            break;
        case RowOperation::Change:
            break;
        }
    }
    return keys;
}

} // namespace LiveStore
