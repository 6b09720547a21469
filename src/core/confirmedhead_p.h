// SPDX-License-Identifier: BSD-3-Clause
// Internal: which events a sync server has confirmed, read through the public Store API, for the
// event stream and the eventlog model.
#ifndef LIVESTORE_CONFIRMEDHEAD_P_H
#define LIVESTORE_CONFIRMEDHEAD_P_H

#include "sequencenumber.h"
#include "store.h"

namespace LiveStore::detail {

// The upstream head: the last global number the sync server confirmed (0: none, or no sync). The
// sync engine keeps it in the store, so it is the same for every process and every Store object
// of the store, whether or not it syncs itself.
inline qint64 confirmedHead(Store &store)
{
    const QueryResult r = store.query(QStringLiteral("SELECT head FROM __livestore_sync_status WHERE id = 1"));
    return r.isValid() && !r.isEmpty() ? r.value(0, 0).toLongLong() : 0;
}

// Confirmed events are those at or below (head, 0). A client-only event after the head (e5.1 with
// head 5) is pending: a rebase moves it along with the pending events before it.
constexpr bool isConfirmed(const SequenceNumber &n, qint64 head)
{
    return n.global < head || (n.global == head && n.client == 0);
}

} // namespace LiveStore::detail

#endif // LIVESTORE_CONFIRMEDHEAD_P_H
