// SPDX-License-Identifier: BSD-3-Clause
#include "syncengine_p.h"

#include "logging_p.h"
#include "store_p.h"
#include "upstreammerge_p.h"

#include <QtCore/qhash.h>

#include <sqlite3.h>

#include <initializer_list>
#include <limits>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// The first column of a cached statement's first row, read without building a QueryResult: the
// engine reads its upstream head and backend id several times per pulled page.
Database::Statement *step(Database &db, const QString &sql, std::initializer_list<qint64> binds)
{
    Database::Statement *s = db.prepare(sql);
    if (!s)
        return nullptr;
    sqlite3_reset(s->stmt);
    int index = 0;
    for (const qint64 value : binds)
        sqlite3_bind_int64(s->stmt, ++index, value);
    if (sqlite3_step(s->stmt) != SQLITE_ROW) {
        sqlite3_reset(s->stmt);
        return nullptr;
    }
    return s; // the caller reads column 0 and resets
}

qint64 readInt64(Database &db, const QString &sql, std::initializer_list<qint64> binds = {})
{
    return db.readInteger(sql, binds).value_or(0);
}

} // namespace

SyncEngine::SyncEngine(Store *store) : m_store(store) { }

SyncEngine::~SyncEngine()
{
    cancelMerge();
}

StorePrivate *SyncEngine::d() const
{
    return m_store->d.get();
}

SyncEngine::Result SyncEngine::fail(const QString &error)
{
    m_error = error;
    qCWarning(lcStore, "sync: %s", qUtf8Printable(error));
    return {Result::Failed};
}

qint64 SyncEngine::upstreamHead() const
{
    return readInt64(d()->db, u"SELECT head FROM __livestore_sync_status WHERE id = 1"_s);
}

QString SyncEngine::backendId() const
{
    Database::Statement *s = step(d()->db, u"SELECT backendId FROM __livestore_sync_status WHERE id = 1"_s, {});
    if (!s)
        return {};
    QString id;
    if (sqlite3_column_type(s->stmt, 0) != SQLITE_NULL)
        id = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(s->stmt, 0)),
                               sqlite3_column_bytes(s->stmt, 0));
    sqlite3_reset(s->stmt);
    return id;
}

bool SyncEngine::setBackendId(const QString &backendId)
{
    Database &db = d()->db;
    Database::Statement *s = db.prepare(u"UPDATE __livestore_sync_status SET backendId = ? WHERE id = 1"_s);
    if (!s || !db.execute(s, {backendId.isEmpty() ? QVariant() : QVariant(backendId)})) {
        m_error = db.lastError();
        return false;
    }
    return true;
}

QList<EventRecord> SyncEngine::pendingEvents(bool syncedOnly, qsizetype limit) const
{
    return readEvents({upstreamHead(), 0}, std::numeric_limits<qint64>::max(), syncedOnly, limit);
}

QList<EventRecord> SyncEngine::readEvents(std::pair<qint64, qint64> after, qint64 upTo, bool syncedOnly,
                                          qsizetype limit) const
{
    Database &db = d()->db;
    QList<EventRecord> out;
    static const QString sql[2] = {
        u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?) AND seqNumGlobal <= ? "
         "ORDER BY seqNumGlobal, seqNumClient LIMIT ?"_s.arg(QLatin1StringView(EventColumns)),
        u"SELECT %1 FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (?, ?) AND seqNumGlobal <= ? "
         "AND seqNumClient = 0 ORDER BY seqNumGlobal, seqNumClient LIMIT ?"_s.arg(QLatin1StringView(EventColumns)),
    };
    Database::Statement *s = db.prepare(sql[syncedOnly ? 1 : 0]);
    if (!s)
        return out;
    sqlite3_reset(s->stmt);
    sqlite3_bind_int64(s->stmt, 1, after.first);
    sqlite3_bind_int64(s->stmt, 2, after.second);
    sqlite3_bind_int64(s->stmt, 3, upTo);
    sqlite3_bind_int64(s->stmt, 4, limit < 0 ? -1 : qint64(limit)); // SQLite: -1 is no limit
    while (sqlite3_step(s->stmt) == SQLITE_ROW) {
        QString error;
        if (auto r = StorePrivate::readEventRow(s->stmt, &error))
            out.append(std::move(*r));
        else
            qCWarning(lcStore, "sync: %s", qUtf8Printable(error)); // Store::verify() reports it too
    }
    sqlite3_reset(s->stmt);
    return out;
}

qint64 SyncEngine::pendingSyncedCount() const
{
    return readInt64(d()->db,
                     u"SELECT count(*) FROM __livestore_eventlog WHERE seqNumGlobal > ? AND seqNumClient = 0"_s,
                     {upstreamHead()});
}

SyncEngine::Result SyncEngine::applyUpstream(const QList<EventRecord> &events, qint64 budgetNs)
{
    StorePrivate *p = d();
    if (!p->checkWritable())
        return fail(p->error);
    if (!p->options.recordChangesets)
        return fail(u"the store keeps no changesets (StoreOptions::recordChangesets): it cannot rebase"_s);
    if (events.isEmpty()) {
        // Nothing to apply (SyncClient::start() asks only whether a rebase would be possible):
        // no write transaction to wait for.
        Result result;
        result.upstreamHead = upstreamHead();
        return result;
    }
    if (isMerging())
        return fail(u"a merge of pulled events is still in progress (SyncEngine::continueUpstream())"_s);
    m_merge = std::make_unique<UpstreamMerge>(*this, p);
    // Nothing of this engine may be touched once the merge is done: what the live queries set
    // off when it commits may delete the engine. The finished merge stays until the next one.
    return m_merge->start(events, budgetNs);
}

SyncEngine::Result SyncEngine::continueUpstream(qint64 budgetNs)
{
    if (!m_merge)
        return fail(u"no merge of pulled events is in progress"_s);
    if (m_merge->isFinished()) {
        Result result = m_merge->run(0); // its result, again
        m_merge.reset();
        return result;
    }
    return m_merge->run(budgetNs); // see applyUpstream()
}

bool SyncEngine::isMerging() const
{
    return m_merge && !m_merge->isDelivered();
}

void SyncEngine::cancelMerge()
{
    if (m_merge && !m_merge->isFinished())
        m_merge->cancel(u"syncing stopped"_s);
    m_merge.reset();
}

bool SyncEngine::resetLocalData()
{
    StorePrivate *p = d();
    // Refused like every write: read-only, damaged, or an import (importFileAsync()) holding the
    // write lock, which BEGIN IMMEDIATE would wait for on this thread.
    if (!p->checkWritable()) {
        m_error = p->error;
        return false;
    }
    Database &db = p->db;
    if (!db.execCached(u"BEGIN IMMEDIATE"_s)) {
        m_error = db.lastError();
        return false;
    }
    const bool ok = p->noticeOtherProcesses() && p->recordRewrite()
            && db.exec("DELETE FROM __livestore_eventlog")
            && db.exec("DELETE FROM __livestore_session_changeset")
            && db.exec("DROP TABLE IF EXISTS __livestore_skipped_events")
            && db.exec("UPDATE __livestore_sync_status SET head = 0, backendId = NULL WHERE id = 1")
            && db.execCached(u"COMMIT"_s);
    if (!ok) {
        m_error = db.lastError();
        db.execCached(u"ROLLBACK"_s);
        return false;
    }
    p->upstreamHead = 0;
    // An empty eventlog replays into empty tables.
    if (!m_store->rematerialize()) {
        m_error = m_store->errorString();
        return false;
    }
    p->loadHead();
    return true;
}

} // namespace LiveStore
