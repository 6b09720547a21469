// SPDX-License-Identifier: BSD-3-Clause
#include "qmleventlog.h"

#include "qmlstore.h"

#include <QtQml/qqmlinfo.h>

namespace LiveStore {

QmlEventLog::QmlEventLog(QObject *parent) : EventLogModel(parent) { }

void QmlEventLog::setQmlStore(QmlStore *store)
{
    if (m_qmlStore == store)
        return;
    QObject::disconnect(m_statusConnection);
    QObject::disconnect(m_destroyedConnection);
    m_qmlStore = store;
    if (store) {
        m_statusConnection = connect(store, &QmlStore::statusChanged, this, &QmlEventLog::storeStatusChanged);
        // The element destroyed (the QPointer is null by now): `store` is null, and the events
        // of a store the registry keeps are no longer this log's.
        m_destroyedConnection = connect(store, &QObject::destroyed, this, [this] {
            storeStatusChanged();
            Q_EMIT storeChanged();
        });
    }
    storeStatusChanged();
    Q_EMIT storeChanged();
}

void QmlEventLog::storeStatusChanged()
{
    // The filters are set by then: the log is read once, not once per property.
    if (!m_complete)
        return;
    // The C++ store exists only while the element is Ready (it is replaced when reopened).
    setStore(m_qmlStore ? m_qmlStore->store() : nullptr);
    // A pull that only confirms events leaves the log as it is: the sync client tells.
    QObject::disconnect(m_confirmedConnection);
    if (SyncClient *sync = m_qmlStore ? m_qmlStore->sync() : nullptr)
        m_confirmedConnection = connect(sync, &SyncClient::upstreamHeadChanged, this, &EventLogModel::updateConfirmed);
}

void QmlEventLog::componentComplete()
{
    m_complete = true;
    if (!m_qmlStore)
        qmlWarning(this) << "EventLog has no store: it stays empty until its store property is set";
    storeStatusChanged();
}

} // namespace LiveStore
