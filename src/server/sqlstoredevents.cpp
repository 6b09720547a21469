// SPDX-License-Identifier: BSD-3-Clause
#include "sqlstoredevents_p.h"

#include <QtSql/qsqlquery.h>

namespace LiveStore {

QList<SyncStorage::StoredEvent> takeStoredEvents(QSqlQuery &query, int expected)
{
    QList<SyncStorage::StoredEvent> events;
    events.reserve(qMin(expected, 256));
    while (query.next()) {
        SyncStorage::StoredEvent s;
        s.event.seqNum = query.value(0).toLongLong();
        s.event.parentSeqNum = query.value(1).toLongLong();
        s.event.name = query.value(2).toString();
        const QVariant args = query.value(3);
        if (!args.isNull())
            s.event.argsJson = args.toString().toUtf8();
        s.event.clientId = query.value(4).toString();
        s.event.sessionId = query.value(5).toString();
        s.createdAt = query.value(6).toString();
        events.append(std::move(s));
    }
    // Release the statement: an open read holds back SQLite's WAL checkpoints, and a PostgreSQL
    // portal.
    query.finish();
    return events;
}

} // namespace LiveStore
