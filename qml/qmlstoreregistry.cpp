// SPDX-License-Identifier: BSD-3-Clause
#include "qmlstoreregistry.h"

#include <QtCore/qstandardpaths.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

QmlStoreRegistry::QmlStoreRegistry(QObject *parent) : StoreRegistry(parent)
{
    setBaseDirectory(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/livestore"_s);
}

} // namespace LiveStore
