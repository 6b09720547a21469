// SPDX-License-Identifier: BSD-3-Clause
// Store::importEvents() and importJsonLines(): events taken from elsewhere (an export) appended with their numbers, in
// one transaction, from a list or streamed from JSON lines in bounded memory.
//
// One transaction holds the whole import, however large: SQLite spills the pages it cannot keep
// in its cache to the WAL as the transaction grows, so memory stays bounded while the import
// stays all or nothing (the first bad line, or an event the store refuses, rolls everything back).
#include "store.h"

#include "eventchain.h"
#include "importlines_p.h"
#include "jsonwriter_p.h"
#include "store_p.h"

#include <QtCore/qiodevice.h>
#include <QtCore/qmetaobject.h>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// committed() after an import: the events read back from the eventlog, a page at a time.
constexpr qint64 CommittedPageSize = 10'000;

// UTF-8 of the last string seen: an import binds the same ids and names line after line.
class Utf8Cache
{
public:
    const QByteArray &get(const QString &text)
    {
        // The parser hands out shared copies of the strings that repeat: most often the very same.
        if (text.constData() == m_text.constData() && text.size() == m_text.size() && !m_text.isNull())
            return m_utf8;
        if (text != m_text || m_text.isNull()) {
            m_text = text;
            m_utf8 = text.toUtf8();
        }
        return m_utf8;
    }

private:
    QString m_text;
    QByteArray m_utf8;
};

} // namespace

// The transaction of one import: apply() does for each event what a commit does (arguments
// checked, materialized, appended), with the numbers and ids the event brings.
class StoreImport
{
public:
    explicit StoreImport(StorePrivate *d) : d(d) { }
    ~StoreImport()
    {
        sqlite3_finalize(m_insert);
        if (m_active)
            d->db.execCached(u"ROLLBACK"_s);
    }
    StoreImport(const StoreImport &) = delete;
    StoreImport &operator=(const StoreImport &) = delete;

    bool begin();
    // `runtime`: the event's definition (findEvent()), null for an event the schema does not know.
    // `argsJsonCanonical`: the record's argsJson is already the bytes that definition writes
    // (EventLineParser::argsJsonIsCanonical()), so it is kept without writing it again.
    bool apply(EventRecord &r, const StorePrivate::EventRuntime *runtime, bool argsJsonCanonical);
    bool commit();
    // After commit(): the new head, live queries refreshed.
    void finish();
    SequenceNumber head() const { return m_head; }

private:
    bool insert(const EventRecord &r, const StorePrivate::EventRuntime *runtime);

    StorePrivate *d;
    sqlite3_stmt *m_insert = nullptr; // our own: the statement cache may evict its entries
    bool m_active = false;
    QSet<QString> m_touched;
    SequenceNumber m_head;
    Utf8Cache m_name, m_clientId, m_sessionId;
};

bool StoreImport::begin()
{
    if (!d->db.execCached(u"BEGIN IMMEDIATE"_s))
        return d->fail(d->db.lastError());
    m_active = true;
    // Looked at inside the transaction: another process of the store may have committed up to
    // the moment it began (otherprocesses.cpp).
    if (!d->noticeOtherProcesses())
        return false;
    const QueryResult count = d->db.run(d->db.prepare(u"SELECT count(*) FROM __livestore_eventlog"_s));
    if (!count.isValid())
        return d->fail(count.errorString());
    if (const qint64 existing = count.scalar().toLongLong(); existing > 0)
        return d->fail(u"import needs an empty eventlog; this store holds %1 events"_s.arg(existing));
    static constexpr char insertSql[] =
            "INSERT INTO __livestore_eventlog (seqNumGlobal, seqNumClient, seqNumRebaseGeneration, "
            "parentSeqNumGlobal, parentSeqNumClient, parentSeqNumRebaseGeneration, name, argsJson, "
            "clientId, sessionId, schemaHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v3(d->db.handle(), insertSql, -1, SQLITE_PREPARE_PERSISTENT, &m_insert, nullptr)
        != SQLITE_OK)
        return d->fail(u"cannot write the eventlog: "_s + d->db.sqliteError());
    return true;
}

bool StoreImport::apply(EventRecord &r, const StorePrivate::EventRuntime *runtime, bool argsJsonCanonical)
{
    if (runtime) {
        // As a commit writes them: arguments and struct fields in declared order, records and
        // json values in the order the import gives them (an export keeps it).
        if (!argsJsonCanonical)
            r.argsJson = runtime->def->argsJson(r.args, r.argsJson);
        const EventDef *def = runtime->def;
        QString argError;
        if (!def->validateEncodedArgs(r.args, &argError))
            return d->fail(u"event %1: "_s.arg(r.seqNum.toString()) + argError);
        normalizeArgs(r, *def);
        r.schemaHash = runtime->hash;
        if (!d->materialize(d->db, r, *def, &m_touched))
            return false;
    } else {
        if (r.argsJson.isEmpty())
            r.argsJson = json::writeObject(r.args);
        // else an unknown event keeps its bytes, as one from sync does
        r.schemaHash = -1;
        if (!d->handleUnknownEvent(r, u"event-definition-missing"_s))
            return false;
    }
    if (!insert(r, runtime))
        return false;
    m_head = r.seqNum;
    return true;
}

bool StoreImport::insert(const EventRecord &r, const StorePrivate::EventRuntime *runtime)
{
    sqlite3_stmt *st = m_insert;
    StorePrivate::bindEventNumbers(st, r);
    // The bytes stay alive until the step below: SQLITE_STATIC spares SQLite a copy.
    const QByteArray &name = runtime ? runtime->nameUtf8 : m_name.get(r.name);
    const QByteArray &clientId = m_clientId.get(r.clientId);
    const QByteArray &sessionId = m_sessionId.get(r.sessionId);
    sqlite3_bind_text(st, 7, name.constData(), int(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r.argsJson.constData(), int(r.argsJson.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 9, clientId.constData(), int(clientId.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 10, sessionId.constData(), int(sessionId.size()), SQLITE_STATIC);
    sqlite3_bind_int(st, 11, r.schemaHash);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return d->fail(u"event %1 (%2) is already in the eventlog"_s.arg(r.seqNum.toString(), r.name));
        return d->fail(u"cannot write event %1 to the eventlog: %2"_s.arg(r.seqNum.toString(), d->db.sqliteError()));
    }
    return true;
}

bool StoreImport::commit()
{
    sqlite3_finalize(m_insert);
    m_insert = nullptr;
    if (!d->db.execCached(u"COMMIT"_s))
        return d->fail(d->db.lastError()); // the destructor rolls back
    m_active = false;
    return true;
}

void StoreImport::finish()
{
    d->head = m_head;
    // The eventlog itself is readable by live queries.
    m_touched.insert(u"__livestore_eventlog"_s);
    const StorePrivate::OthersChanges others = d->takeOthersChanges(&m_touched);
    if (d->graph)
        d->graph->tablesChanged(m_touched);
    if (others.any)
        Q_EMIT d->q->eventlogChanged(others.rewrote);
}

namespace {

// committed() for an import that ended at `last`: the events read back in pages, so that a
// large import never holds them all. A slot may commit meanwhile: only the imported ones go out.
void emitImported(Store *q, const SequenceNumber &last)
{
    EventFilter page;
    page.limit = CommittedPageSize;
    for (;;) {
        QList<EventRecord> events = q->events(page);
        while (!events.isEmpty() && events.constLast().seqNum > last)
            events.removeLast();
        if (events.isEmpty())
            return;
        page.after = events.constLast().seqNum;
        Q_EMIT q->committed(events);
        if (!(page.after < last))
            return;
    }
}

} // namespace

bool Store::importEvents(const QList<EventRecord> &events)
{
    if (!d->checkWritable())
        return false;
    if (events.isEmpty())
        return true;
    StoreImport import(d.get());
    if (!import.begin())
        return false;
    EventChain chain(d->head);
    for (EventRecord r : events) {
        QString chainError;
        if (!chain.append(r, &chainError))
            return d->fail(chainError);
        if (!import.apply(r, d->findEvent(r.name), false))
            return false;
    }
    if (!import.commit())
        return false;
    import.finish();
    if (isSignalConnected(QMetaMethod::fromSignal(&Store::committed)))
        emitImported(this, import.head());
    return true;
}

bool Store::importJsonLines(QIODevice *jsonLines, const ImportOptions &options, ImportStatus *status)
{
    ImportStatus local;
    ImportStatus &st = status ? *status : local;
    st = ImportStatus();
    if (!d->checkWritable())
        return false;
    if (!jsonLines || !jsonLines->isReadable())
        return d->fail(u"cannot read %1: the device is not open for reading"_s.arg(
                options.sourceName.isEmpty() ? u"the import"_s : options.sourceName));
    if (!jsonLines->isSequential())
        st.bytesTotal = jsonLines->size() - jsonLines->pos();
    const qint64 interval = std::max<qint64>(1, options.progressInterval);
    const auto where = [&](qint64 line) -> QString {
        return (options.sourceName.isEmpty() ? u"line "_s : options.sourceName + u':')
                + QString::number(line) + u": "_s;
    };

    JsonLinesReader reader(jsonLines);
    EventLineParser parser;
    EventChain chain;
    std::optional<StoreImport> import; // begun with the first event
    QByteArrayView line;
    qint64 lineNumber = 0;
    while (reader.next(&line, &lineNumber)) {
        st.line = lineNumber;
        st.bytesRead = reader.bytesRead();
        QString error;
        std::optional<EventRecord> record = parser.parse(line, &error);
        if (!record || !chain.append(*record, &error)) {
            st.inputError = true;
            return d->fail(where(lineNumber) + error);
        }
        if (!import) {
            import.emplace(d.get());
            if (!import->begin())
                return false;
        }
        const StorePrivate::EventRuntime *runtime = d->findEvent(record->name);
        if (!import->apply(*record, runtime, runtime && parser.argsJsonIsCanonical(*runtime->def)))
            return false;
        ++st.events;
        if (options.onProgress && st.events % interval == 0 && !options.onProgress(st))
            return d->fail(u"the import was cancelled"_s);
    }
    st.bytesRead = reader.bytesRead();
    if (!reader.errorString().isEmpty())
        return d->fail(u"cannot read %1: %2"_s.arg(
                options.sourceName.isEmpty() ? u"the import"_s : options.sourceName, reader.errorString()));
    if (!import)
        return true; // no events: nothing changes
    if (options.onProgress && !options.onProgress(st))
        return d->fail(u"the import was cancelled"_s);
    if (!import->commit())
        return false;
    import->finish();
    if (isSignalConnected(QMetaMethod::fromSignal(&Store::committed)))
        emitImported(this, import->head());
    return true;
}

} // namespace LiveStore
