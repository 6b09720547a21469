// SPDX-License-Identifier: BSD-3-Clause
#include "livequeriesmodel.h"

#include "inspectedstore.h"

#include <store.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

bool sameInfo(const LiveQueryInfo &a, const LiveQueryInfo &b)
{
    return a.sql == b.sql && a.tables == b.tables && a.rowCount == b.rowCount && a.runCount == b.runCount
            && a.updateCount == b.updateCount && a.lastMs == b.lastMs && a.medianMs == b.medianMs
            && a.incremental == b.incremental && a.subscriberCount == b.subscriberCount
            && a.errorString == b.errorString;
}

} // namespace

LiveQueriesModel::LiveQueriesModel(QObject *parent) : QAbstractListModel(parent)
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &LiveQueriesModel::refresh);
}

void LiveQueriesModel::setSource(InspectedStore *source)
{
    if (m_source == source)
        return;
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    m_connections.clear();
    m_source = source;
    if (source) {
        m_connections.append(connect(source, &InspectedStore::storeChanged, this, &LiveQueriesModel::refresh));
        // After a commit the queries have re-run (they refresh before commit() returns).
        m_connections.append(connect(source, &InspectedStore::eventlogChanged, this, &LiveQueriesModel::refresh));
    }
    Q_EMIT sourceChanged();
    refresh();
}

void LiveQueriesModel::setActive(bool active)
{
    if (isActive() == active)
        return;
    if (active) {
        m_timer.start();
        refresh();
    } else {
        m_timer.stop();
    }
    Q_EMIT activeChanged();
}

void LiveQueriesModel::setInterval(int msecs)
{
    if (interval() == msecs)
        return;
    m_timer.setInterval(qMax(50, msecs));
    Q_EMIT intervalChanged();
}

void LiveQueriesModel::refresh()
{
    const Store *store = m_source ? m_source->store() : nullptr;
    const QList<LiveQueryInfo> fresh = store ? store->liveQueryInfo() : QList<LiveQueryInfo>();
    const int before = count();
    // Both lists are sorted by id: walk them together.
    int row = 0;
    qsizetype next = 0;
    while (row < m_infos.size() || next < fresh.size()) {
        if (next < fresh.size() && row < m_infos.size() && m_infos.at(row).id == fresh.at(next).id) {
            if (!sameInfo(m_infos.at(row), fresh.at(next))) {
                m_infos[row] = fresh.at(next);
                Q_EMIT dataChanged(index(row), index(row));
            }
            ++row;
            ++next;
        } else if (row < m_infos.size() && (next >= fresh.size() || m_infos.at(row).id < fresh.at(next).id)) {
            // Gone (its last handle was dropped).
            beginRemoveRows(QModelIndex(), row, row);
            m_infos.removeAt(row);
            endRemoveRows();
        } else {
            // New: ids only grow, yet one may land between older ones; insert it where it sorts.
            beginInsertRows(QModelIndex(), row, row);
            m_infos.insert(row, fresh.at(next));
            endInsertRows();
            ++row;
            ++next;
        }
    }
    if (count() != before)
        Q_EMIT countChanged();
}

QVariantMap LiveQueriesModel::get(int row) const
{
    QVariantMap map;
    if (row < 0 || row >= m_infos.size())
        return map;
    const QHash<int, QByteArray> roles = roleNames();
    for (auto it = roles.cbegin(); it != roles.cend(); ++it)
        map.insert(QString::fromLatin1(it.value()), data(index(row), it.key()));
    return map;
}

int LiveQueriesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_infos.size());
}

QVariant LiveQueriesModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const LiveQueryInfo &info = m_infos.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case SqlRole: return info.sql;
    case IdRole: return info.id;
    case TablesRole: return info.tables.join(u", "_s);
    case RowCountRole: return qint64(info.rowCount);
    case RunCountRole: return info.runCount;
    case UpdateCountRole: return info.updateCount;
    case LastMsRole: return info.lastMs;
    case MedianMsRole: return info.medianMs;
    case IncrementalRole: return info.incremental;
    case SubscriberCountRole: return info.subscriberCount;
    case ErrorRole: return info.errorString;
    default: return {};
    }
}

QHash<int, QByteArray> LiveQueriesModel::roleNames() const
{
    return {{Qt::DisplayRole, "display"},
            {IdRole, "queryId"},
            {SqlRole, "sql"},
            {TablesRole, "tables"},
            {RowCountRole, "rowCount"},
            {RunCountRole, "runCount"},
            {UpdateCountRole, "updateCount"},
            {LastMsRole, "lastMs"},
            {MedianMsRole, "medianMs"},
            {IncrementalRole, "incremental"},
            {SubscriberCountRole, "subscriberCount"},
            {ErrorRole, "errorString"}};
}

} // namespace LiveStore
