// SPDX-License-Identifier: BSD-3-Clause
#include "inspectoreventlog.h"

#include "inspectedstore.h"

#include <QtCore/qjsondocument.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

InspectorEventLog::InspectorEventLog(QObject *parent) : EventLogModel(parent) { }

void InspectorEventLog::setSource(InspectedStore *source)
{
    if (m_source == source)
        return;
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    m_connections.clear();
    m_source = source;
    if (source) {
        m_connections.append(connect(source, &InspectedStore::storeChanged, this, &InspectorEventLog::storeChanged));
        m_connections.append(connect(source, &InspectedStore::headChanged, this, &InspectorEventLog::upstreamChanged));
    }
    storeChanged(); // emits sourceChanged()
}

void InspectorEventLog::storeChanged()
{
    m_upstreamHead = m_source ? m_source->upstreamHead() : 0;
    setStore(m_source ? m_source->store() : nullptr);
    Q_EMIT sourceChanged(); // the event names follow the store's schema
}

void InspectorEventLog::upstreamChanged()
{
    const qint64 upstream = m_source ? m_source->upstreamHead() : 0;
    if (upstream == m_upstreamHead)
        return;
    const qint64 before = m_upstreamHead;
    m_upstreamHead = upstream;
    // Only the rows between the old and the new upstream head changed state; the log is in
    // order, so they are one run of rows.
    const qint64 low = qMin(before, upstream), high = qMax(before, upstream);
    int first = -1, last = -1;
    for (int row = 0; row < rowCount(); ++row) {
        const qint64 global = event(row).seqNum.global;
        if (global > low && global <= high) {
            if (first < 0)
                first = row;
            last = row;
        } else if (global > high) {
            break;
        }
    }
    if (first >= 0)
        Q_EMIT dataChanged(index(first), index(last), {PendingRole});
}

void InspectorEventLog::setName(const QString &name)
{
    if (m_name == name)
        return;
    m_name = name;
    Q_EMIT nameChanged();
    setNames(name.isEmpty() ? QStringList() : QStringList{name});
}

QStringList InspectorEventLog::nameChoices() const
{
    QStringList names;
    const Store *store = m_source ? m_source->store() : nullptr;
    if (!store)
        return names;
    const QList<EventDef> events = store->schema().events();
    for (const EventDef &e : events)
        names.append(e.name);
    names.sort();
    names.prepend(tr("(all events)"));
    return names;
}

QVariant InspectorEventLog::data(const QModelIndex &index, int role) const
{
    switch (role) {
    case PendingRole:
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        return event(index.row()).seqNum.global > m_upstreamHead;
    case PrettyArgsRole: {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        // Built when a delegate asks: only the rows on screen pay for it.
        const QByteArray json = event(index.row()).argsJson;
        const QJsonDocument doc = QJsonDocument::fromJson(json);
        return doc.isNull() ? QString::fromUtf8(json) : QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed();
    }
    case GlobalRole:
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        return event(index.row()).seqNum.global;
    default:
        return EventLogModel::data(index, role);
    }
}

QHash<int, QByteArray> InspectorEventLog::roleNames() const
{
    QHash<int, QByteArray> names = EventLogModel::roleNames();
    names.insert(PendingRole, "pending");
    names.insert(PrettyArgsRole, "prettyArgs");
    names.insert(GlobalRole, "global");
    return names;
}

} // namespace LiveStore
