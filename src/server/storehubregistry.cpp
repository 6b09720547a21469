// SPDX-License-Identifier: BSD-3-Clause
#include "storehubregistry_p.h"

#include "serverlogging_p.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

StoreHubRegistry::StoreHubRegistry(SyncStorage *storage, const SyncHooks *hooks, QObject *parent)
    : QObject(parent), m_storage(storage), m_hooks(hooks)
{
    connect(storage, &SyncStorage::storeAdvanced, this, &StoreHubRegistry::onStoreAdvanced);
    connect(storage, &SyncStorage::storesMayHaveAdvanced, this,
            &StoreHubRegistry::onStoresMayHaveAdvanced);
}

QSharedPointer<StoreHub> StoreHubRegistry::hub(const QString &storeId, QString *errorString)
{
    if (QSharedPointer<StoreHub> existing = m_hubs.value(storeId).toStrongRef())
        return existing;
    // Looked up, not created: any peer may name any store, and a pull must leave nothing behind.
    const auto info = m_storage->findStore(storeId);
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

void StoreHubRegistry::onStoresMayHaveAdvanced()
{
    // Only hubs in use matter: a hub created later reads the head from the storage anyway.
    // Iterate over a copy: the fan-out may end streams and with them hubs.
    const QHash<QString, QWeakPointer<StoreHub>> hubs = m_hubs;
    for (auto it = hubs.cbegin(); it != hubs.cend(); ++it) {
        const QSharedPointer<StoreHub> hub = it->toStrongRef();
        if (!hub)
            continue;
        const auto info = m_storage->findStore(it.key());
        if (!info) {
            // Down again; the next reconnect brings another round.
            qCWarning(lcServer).noquote() << "cannot re-read heads:" << u"store="_s + logId(it.key())
                                          << u"error="_s + m_storage->errorString();
            continue;
        }
        // Replaced: another backend id, or the rows of a store this hub served are gone.
        if (info->backendId != hub->backendId() || (hub->exists() && !info->exists)) {
            // The database was replaced under us: this hub's clients are on a backend that no
            // longer exists. Forget the hub (the next request makes a fresh one) and tell its
            // live pulls, as sync-cf does for a reset backend.
            qCCritical(lcServer).noquote() << "store data replaced in the database:" << u"store="_s + logId(it.key())
                                           << u"backendId="_s + info->backendId
                                           << u"was="_s + hub->backendId();
            m_hubs.remove(it.key());
            hub->backendReplaced(info->backendId);
            continue;
        }
        hub->advancedElsewhere(info->head);
    }
}

} // namespace LiveStore
