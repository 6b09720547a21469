// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLSYNCSTATUS_H
#define LIVESTORE_QMLSYNCSTATUS_H

#include <sync/syncclient.h>

#include <QtQml/qqml.h>

namespace LiveStore {

// `SyncStatus` in QML is the core's SyncClient itself, registered as a foreign type: a Store with a
// syncUrl hands it out as `store.sync`, so QML binds to the very object that syncs, with nothing
// copied:
//
//     Label {
//         text: store.sync && store.sync.status === SyncStatus.Connected
//               ? store.sync.pendingCount + " to sync" : "offline"
//     }
//
// It is uncreatable: the Store makes one per store (see QmlStore::startSync()).
struct QmlSyncStatusForeign
{
    Q_GADGET
    QML_FOREIGN(LiveStore::SyncClient)
    QML_NAMED_ELEMENT(SyncStatus)
    QML_UNCREATABLE("SyncStatus is the sync state of a Store: read it from store.sync.")
};

} // namespace LiveStore

#endif // LIVESTORE_QMLSYNCSTATUS_H
