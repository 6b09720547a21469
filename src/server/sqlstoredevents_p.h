// SPDX-License-Identifier: BSD-3-Clause
// Internal: what the SQL storages (SQLite, PostgreSQL) share when they read events back.
#ifndef LIVESTORE_SQLSTOREDEVENTS_P_H
#define LIVESTORE_SQLSTOREDEVENTS_P_H

#include "syncstorage.h"

class QSqlQuery;

namespace LiveStore {

// The rows of an executed query whose columns are, in this order: seqNum, parentSeqNum, name,
// args (the JSON text as received, or NULL), clientId, sessionId, createdAt. Finishes the query.
QList<SyncStorage::StoredEvent> takeStoredEvents(QSqlQuery &query, int expected);

} // namespace LiveStore

#endif // LIVESTORE_SQLSTOREDEVENTS_P_H
