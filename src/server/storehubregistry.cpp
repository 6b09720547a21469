// SPDX-License-Identifier: BSD-3-Clause
#include "storehubregistry_p.h"

namespace LiveStore {

StoreHubRegistry::StoreHubRegistry(SyncStorage *storage, const SyncHooks *hooks, QObject *parent)
    : QObject(parent), m_storage(storage), m_hooks(hooks)
{
    connect(storage, &SyncStorage::storeAdvanced, this, &StoreHubRegistry::onStoreAdvanced);
}

QSharedPointer<StoreHub> StoreHubRegistry::hub(const QString &storeId, QString *errorString)
{
    if (QSharedPointer<StoreHub> existing = m_hubs.value(storeId).toStrongRef())
        return existing;
    const auto info = m_storage->store(storeId);
    if (!info) {
        *errorString = m_storage->errorString();
        return {};
    }
    // Drop entries of hubs that have gone, so that the table does not grow with every store ever
    // seen.
    for (auto it = m_hubs.begin(); it != m_hubs.end();) {
        if (it->isNull())
            it = m_hubs.erase(it);
        else
            ++it;
    }
    QSharedPointer<StoreHub> created(new StoreHub(m_storage, m_hooks, storeId, *info));
    m_hubs.insert(storeId, created);
    return created;
}

void StoreHubRegistry::onStoreAdvanced(const QString &storeId, qint64 head)
{
    if (QSharedPointer<StoreHub> hub = m_hubs.value(storeId).toStrongRef())
        hub->advancedElsewhere(head);
}

} // namespace LiveStore
