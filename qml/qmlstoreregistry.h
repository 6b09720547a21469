// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLSTOREREGISTRY_H
#define LIVESTORE_QMLSTOREREGISTRY_H

#include <storeregistry.h>

#include <QtQml/qqmlregistration.h>

namespace LiveStore {

// `StoreRegistry` in QML: Store elements that name it share one store per storeId, kept open
// while any of them exists and closed `unusedCacheTime` ms after the last one went away.
//
//     StoreRegistry { id: registry; baseDirectory: dataDir }
//     Store { storeId: "workspace-" + wsId; registry: registry; schema: "qrc:/workspace.json" }
class QmlStoreRegistry : public LiveStore::StoreRegistry
{
    Q_OBJECT
    QML_NAMED_ELEMENT(StoreRegistry)
    Q_PROPERTY(QStringList storeIds READ storeIds NOTIFY countChanged FINAL)
public:
    explicit QmlStoreRegistry(QObject *parent = nullptr);
};

} // namespace LiveStore

#endif // LIVESTORE_QMLSTOREREGISTRY_H
