// SPDX-License-Identifier: BSD-3-Clause
// Internal: the server's hubs, one per store in use.
#ifndef LIVESTORE_STOREHUBREGISTRY_P_H
#define LIVESTORE_STOREHUBREGISTRY_P_H

#include "storehub_p.h"

#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtCore/qsharedpointer.h>

namespace LiveStore {

// Hands out the hub of a store, creating it (and the store, in the storage) on first use. Hubs
// are shared by the connections and requests of their store and go away with the last of them;
// the next use reloads head and backend id from the storage.
class StoreHubRegistry : public QObject
{
    Q_OBJECT
public:
    StoreHubRegistry(SyncStorage *storage, const SyncHooks *hooks, QObject *parent = nullptr);

    QSharedPointer<StoreHub> hub(const QString &storeId, QString *errorString);
    SyncStorage *storage() const { return m_storage; }
    const SyncHooks *hooks() const { return m_hooks; }

private:
    void onStoreAdvanced(const QString &storeId, qint64 head);
    void onStoresMayHaveAdvanced();

    SyncStorage *m_storage;
    const SyncHooks *m_hooks;
    QHash<QString, QWeakPointer<StoreHub>> m_hubs;
};

} // namespace LiveStore

#endif // LIVESTORE_STOREHUBREGISTRY_P_H
