// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_MATERIALIZERCONTEXT_H
#define LIVESTORE_MATERIALIZERCONTEXT_H

#include "livestore_export.h"
#include "query.h"
#include "queryresult.h"

namespace LiveStore {

struct EventRecord;
class StorePrivate;
class Database;

// What a C++ materializer may use besides its event: reads of the current state, inside the
// event's transaction, so they see what earlier events of the same commit wrote.
class LIVESTORE_EXPORT MaterializerContext
{
public:
    QueryResult query(const Query &query);
    QueryResult query(const QString &sql, const QVariantList &binds = {});
    const EventRecord &event() const { return m_event; }

private:
    friend class StorePrivate;
    MaterializerContext(StorePrivate *store, Database *db, const EventRecord &event)
        : m_store(store), m_db(db), m_event(event) { }
    StorePrivate *m_store;
    Database *m_db;
    const EventRecord &m_event;
};

} // namespace LiveStore

#endif // LIVESTORE_MATERIALIZERCONTEXT_H
