// SPDX-License-Identifier: BSD-3-Clause
// Store's read-only views of its internals for devtools (the inspector). A file of its own so that
// it stays apart from the open and commit paths (storeopen.cpp, storecommit.cpp).
#include "reactive_p.h"
#include "store.h"
#include "store_p.h"

namespace LiveStore {

QList<LiveQueryInfo> Store::liveQueryInfo() const
{
    return d->graph ? d->graph->queryInfo() : QList<LiveQueryInfo>();
}

} // namespace LiveStore
