// SPDX-License-Identifier: BSD-3-Clause
#include "queryresult.h"

namespace LiveStore {

QueryResult QueryResult::failure(const QString &error)
{
    QueryResult r;
    r.m_error = error;
    return r;
}

int QueryResult::columnIndex(QStringView column) const
{
    for (qsizetype i = 0; i < m_columns.size(); ++i) {
        if (m_columns.at(i) == column)
            return int(i);
    }
    return -1;
}

QVariant QueryResult::value(qsizetype row, qsizetype column) const
{
    if (row < 0 || row >= m_rows.size())
        return {};
    const QVariantList &r = m_rows.at(row);
    return column >= 0 && column < r.size() ? r.at(column) : QVariant();
}

QVariant QueryResult::value(qsizetype row, QStringView column) const
{
    return value(row, columnIndex(column));
}

QVariant QueryResult::scalar() const
{
    return value(0, 0);
}

QVariantMap QueryResult::rowMap(qsizetype row) const
{
    QVariantMap map;
    if (row < 0 || row >= m_rows.size())
        return map;
    const QVariantList &r = m_rows.at(row);
    for (qsizetype c = 0; c < m_columns.size() && c < r.size(); ++c)
        map.insert(m_columns.at(c), r.at(c));
    return map;
}

QVariantList QueryResult::toMaps() const
{
    QVariantList list;
    list.reserve(m_rows.size());
    for (qsizetype r = 0; r < m_rows.size(); ++r)
        list.append(rowMap(r));
    return list;
}

} // namespace LiveStore
