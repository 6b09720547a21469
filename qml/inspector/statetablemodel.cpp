// SPDX-License-Identifier: BSD-3-Clause
#include "statetablemodel.h"

#include "inspectedstore.h"
#include "resulttablemodel.h"

#include <store.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

StateTableModel::StateTableModel(QObject *parent) : LiveQueryModel(parent)
{
    // A screenful and some: the rest comes as the view scrolls (a windowed live query).
    setBatchSize(200);
}

void StateTableModel::setSource(InspectedStore *source)
{
    if (m_source == source)
        return;
    QObject::disconnect(m_storeConnection);
    m_source = source;
    if (source)
        m_storeConnection = connect(source, &InspectedStore::storeChanged, this, &StateTableModel::rebuild);
    Q_EMIT sourceChanged();
    rebuild();
}

void StateTableModel::setTableName(const QString &table)
{
    if (m_tableName == table)
        return;
    m_tableName = table;
    // Another table: its own columns, so no sorting or filtering carried over.
    m_sortColumn.clear();
    m_sortOrder = Qt::AscendingOrder;
    Q_EMIT tableNameChanged();
    Q_EMIT sortChanged();
    if (!m_filterColumn.isEmpty() && !tableColumns().contains(m_filterColumn)) {
        m_filterColumn.clear();
        Q_EMIT filterColumnChanged();
    }
    Q_EMIT tableColumnsChanged();
    rebuild();
}

void StateTableModel::setSortColumn(const QString &column)
{
    if (m_sortColumn == column)
        return;
    m_sortColumn = column;
    Q_EMIT sortChanged();
    rebuild();
}

void StateTableModel::setSortOrder(Qt::SortOrder order)
{
    if (m_sortOrder == order)
        return;
    m_sortOrder = order;
    Q_EMIT sortChanged();
    rebuild();
}

void StateTableModel::setFilterColumn(const QString &column)
{
    if (m_filterColumn == column)
        return;
    m_filterColumn = column;
    Q_EMIT filterColumnChanged();
    rebuild();
}

void StateTableModel::setFilterText(const QString &text)
{
    if (m_filterText == text)
        return;
    m_filterText = text;
    Q_EMIT filterTextChanged();
    rebuild();
}

QStringList StateTableModel::tableColumns() const
{
    QStringList names;
    const Store *store = m_source ? m_source->store() : nullptr;
    const TableDef *table = store ? store->schema().table(m_tableName) : nullptr;
    if (table) {
        for (const ColumnDef &c : table->columns)
            names.append(c.name);
    }
    return names;
}

void StateTableModel::sortBy(int column)
{
    const QStringList names = columns();
    if (column < 0 || column >= names.size())
        return;
    const bool same = names.at(column) == m_sortColumn;
    sort(column, same && m_sortOrder == Qt::AscendingOrder ? Qt::DescendingOrder : Qt::AscendingOrder);
}

void StateTableModel::sort(int column, Qt::SortOrder order)
{
    const QStringList names = columns();
    if (column < 0 || column >= names.size())
        return;
    if (m_sortColumn == names.at(column) && m_sortOrder == order)
        return;
    m_sortColumn = names.at(column);
    m_sortOrder = order;
    Q_EMIT sortChanged();
    rebuild();
}

QVariant StateTableModel::data(const QModelIndex &index, int role) const
{
    if (role == Qt::DisplayRole)
        return displayValue(LiveQueryModel::data(index, Qt::EditRole));
    return LiveQueryModel::data(index, role);
}

QVariant StateTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    QVariant header = LiveQueryModel::headerData(section, orientation, role);
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && !m_sortColumn.isEmpty()
        && columns().value(section) == m_sortColumn)
        return QString(header.toString() + (m_sortOrder == Qt::AscendingOrder ? u" ▲"_s : u" ▼"_s));
    return header;
}

void StateTableModel::setTotalCount(qint64 count)
{
    if (m_totalCount == count)
        return;
    m_totalCount = count;
    Q_EMIT totalCountChanged();
}

void StateTableModel::rebuild()
{
    Store *store = m_source ? m_source->store() : nullptr;
    m_countSubscription.unsubscribe();
    m_count = {};
    if (store != LiveQueryModel::store())
        setStore(store);
    if (!store || m_tableName.isEmpty()) {
        setQuery(Query());
        setTotalCount(0);
        return;
    }
    Query q = Query::from(m_tableName);
    if (!m_filterColumn.isEmpty() && !m_filterText.isEmpty())
        q = q.where(m_filterColumn, Query::Like, QString(u'%' + m_filterText + u'%'));
    m_count = store->liveQuery(q.count());
    m_countSubscription = m_count.subscribe([this](const QueryResult &r) { setTotalCount(r.scalar().toLongLong()); });
    if (!m_sortColumn.isEmpty()) {
        q = q.orderBy(m_sortColumn, m_sortOrder == Qt::AscendingOrder ? Query::Asc : Query::Desc);
    } else if (const TableDef *table = store->schema().table(m_tableName)) {
        // Unsorted, in key order: an ordered query is what lets the model hold only a window of
        // a long table (Store::windowedQuery()).
        for (const QString &key : table->primaryKey())
            q = q.orderBy(key);
    }
    setQuery(q);
    if (const int n = int(columns().size()); n > 0)
        Q_EMIT headerDataChanged(Qt::Horizontal, 0, n - 1);
}

} // namespace LiveStore
