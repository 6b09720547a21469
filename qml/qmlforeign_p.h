// SPDX-License-Identifier: BSD-3-Clause
// The core library's classes that our QML types derive from or hand out, made known to QML's
// type information (anonymous: they are not created from QML). Without these, the generated
// .qmltypes give LiveQuery and StoreRegistry no base type, and qmllint, qmlls and Qt Creator see
// none of their properties (count, rows, get(), …).
#ifndef LIVESTORE_QMLFOREIGN_P_H
#define LIVESTORE_QMLFOREIGN_P_H

#include <eventlogmodel.h>
#include <livequerymodel.h>
#include <storeregistry.h>

#include <QtQml/qqml.h>

namespace LiveStore {

struct LiveQueryModelForeign
{
    Q_GADGET
    QML_FOREIGN(LiveStore::LiveQueryModel)
    QML_ANONYMOUS
};

struct EventLogModelForeign
{
    Q_GADGET
    QML_FOREIGN(LiveStore::EventLogModel)
    QML_ANONYMOUS
};

struct StoreRegistryForeign
{
    Q_GADGET
    QML_FOREIGN(LiveStore::StoreRegistry)
    QML_ANONYMOUS
};

} // namespace LiveStore

#endif // LIVESTORE_QMLFOREIGN_P_H
