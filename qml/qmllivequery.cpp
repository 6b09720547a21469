// SPDX-License-Identifier: BSD-3-Clause
#include "qmllivequery.h"

#include "qmlstore.h"
#include "qmlvalues_p.h"

#include <QtQml/qqmlinfo.h>

namespace LiveStore {

QmlLiveQuery::QmlLiveQuery(QObject *parent) : LiveQueryModel(parent)
{
    connect(this, &LiveQueryModel::errorOccurred, this,
            [this](const QString &error) { qmlWarning(this) << error; });
}

void QmlLiveQuery::setQmlStore(QmlStore *store)
{
    if (m_qmlStore == store)
        return;
    QObject::disconnect(m_statusConnection);
    QObject::disconnect(m_destroyedConnection);
    m_qmlStore = store;
    if (store) {
        m_statusConnection = connect(store, &QmlStore::statusChanged, this, &QmlLiveQuery::storeStatusChanged);
        // The element destroyed (the QPointer is null by now): `store` is null, and the rows of
        // a store the registry keeps are no longer this query's.
        m_destroyedConnection = connect(store, &QObject::destroyed, this, [this] {
            storeStatusChanged();
            Q_EMIT storeChanged();
        });
    }
    // One storeChanged() per change: the model sends it itself when the C++ store changes too.
    Store *before = LiveQueryModel::store();
    storeStatusChanged();
    if (LiveQueryModel::store() == before)
        Q_EMIT storeChanged();
}

void QmlLiveQuery::storeStatusChanged()
{
    // The C++ store exists only while the element is Ready (it is replaced when reopened).
    setStore(m_qmlStore ? m_qmlStore->store() : nullptr);
}

QVariant QmlLiveQuery::plainBinds(const QVariant &binds) const
{
    return plainValue(binds);
}

void QmlLiveQuery::classBegin()
{
    setDeferred(true);
}

void QmlLiveQuery::componentComplete()
{
    // Without a store a LiveQuery stays empty forever: say so, once, where it was declared.
    if (!m_qmlStore)
        qmlWarning(this) << "LiveQuery has no store: it stays empty until its store property is set";
    setDeferred(false);
}

} // namespace LiveStore
