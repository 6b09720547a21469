// SPDX-License-Identifier: BSD-3-Clause
#include "timetravel.h"

#include "inspectedstore.h"
#include "resulttablemodel.h"

#include <store.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsondocument.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

struct TimeTravel::Result
{
    QString error;
    qint64 eventCount = 0;
    int position = 0;
    QVariantMap event;
    QMap<QString, QueryResult> tables;
    QList<QVariantList> changes;
    QString digest;
    double elapsedMs = 0;
};

namespace {

struct Job
{
    QString directory; // a store on disk: the replay reads it through a read-only Store
    QString storeId;
    QList<EventRecord> events; // else: the events, read on the GUI thread
    qint64 eventCount = 0;
    Schema schema;
    int position = 0;
    int maxRows = 0;
};

const QStringList changeColumns{u"table"_s, u"change"_s, u"key"_s, u"values"_s};

Query tableQuery(const TableDef &table)
{
    Query q = Query::from(table.name);
    for (const QString &key : table.primaryKey())
        q = q.orderBy(key);
    return q;
}

QString rowText(const QStringList &columns, const QVariantList &row)
{
    QStringList parts;
    for (qsizetype c = 0; c < columns.size(); ++c)
        parts.append(columns.at(c) + u'=' + displayValue(row.value(c)));
    return parts.join(u", "_s);
}

// The rows of `after` that are not in `before`, the other way round, and the changed ones,
// matched by primary key.
void diffTable(const TableDef &table, const QueryResult &before, const QueryResult &after,
               QList<QVariantList> *changes)
{
    QList<int> keyColumns;
    for (const QString &key : table.primaryKey())
        keyColumns.append(after.columnIndex(key));
    const auto keyOf = [&](const QVariantList &row) {
        QStringList parts;
        for (int c : std::as_const(keyColumns))
            parts.append(displayValue(row.value(c)));
        return keyColumns.isEmpty() ? rowText(after.columns(), row) : parts.join(u", "_s);
    };
    QHash<QString, qsizetype> old;
    for (qsizetype r = 0; r < before.rowCount(); ++r)
        old.insert(keyOf(before.rows().at(r)), r);
    const QStringList &columns = after.columns();
    for (const QVariantList &row : after.rows()) {
        const QString key = keyOf(row);
        const auto it = old.constFind(key);
        if (it == old.cend()) {
            changes->append({table.name, u"insert"_s, key, rowText(columns, row)});
            continue;
        }
        const QVariantList &was = before.rows().at(*it);
        old.erase(it);
        QStringList changed;
        for (qsizetype c = 0; c < columns.size(); ++c) {
            if (was.value(c) != row.value(c) || was.value(c).isNull() != row.value(c).isNull())
                changed.append(u"%1: %2 → %3"_s.arg(columns.at(c), displayValue(was.value(c)), displayValue(row.value(c))));
        }
        if (!changed.isEmpty())
            changes->append({table.name, u"update"_s, key, changed.join(u", "_s)});
    }
    // What is left of the old rows was deleted; in key order, as they were read.
    QList<qsizetype> gone = old.values();
    std::sort(gone.begin(), gone.end());
    for (qsizetype r : std::as_const(gone))
        changes->append({table.name, u"delete"_s, keyOf(before.rows().at(r)), rowText(columns, before.rows().at(r))});
}

bool openInMemory(Store &store, const Schema &schema, QString *error)
{
    StoreOptions options;
    options.storeId = u"timetravel"_s;
    options.schema = schema;
    options.inMemory = true;
    if (store.open(options))
        return true;
    *error = store.errorString();
    return false;
}

// Runs on the worker thread: everything here is its own (stores, copies of the events).
std::shared_ptr<TimeTravel::Result> replay(Job job, const std::function<bool()> &cancelled)
{
    QElapsedTimer timer;
    timer.start();
    auto result = std::make_shared<TimeTravel::Result>();
    const auto fail = [&](const QString &error) {
        result->error = error;
        return result;
    };
    QList<EventRecord> events;
    if (!job.directory.isEmpty()) {
        Store source;
        StoreOptions options;
        options.storeId = job.storeId;
        options.schema = job.schema;
        options.directory = job.directory;
        options.readOnly = true;
        if (!source.open(options))
            return fail(u"cannot read the store: "_s + source.errorString());
        result->eventCount = source.eventCount();
        result->position = int(std::clamp<qint64>(job.position, 0, result->eventCount));
        if (result->position > 0) {
            EventFilter filter;
            filter.limit = result->position;
            events = source.events(filter);
        }
    } else {
        result->eventCount = job.eventCount;
        result->position = int(std::clamp<qint64>(job.position, 0, job.events.size()));
        events = job.events.mid(0, result->position);
    }
    if (cancelled())
        return nullptr;
    const int n = int(events.size());
    QString error;
    Store before;
    if (!openInMemory(before, job.schema, &error))
        return fail(error);
    if (n > 1 && !before.importEvents(events.mid(0, n - 1)))
        return fail(u"replaying events 1 to %1: %2"_s.arg(n - 1).arg(before.errorString()));
    if (cancelled())
        return nullptr;
    Store after;
    if (!openInMemory(after, job.schema, &error))
        return fail(error);
    if (n > 0 && !after.importEvents(events))
        return fail(u"replaying events 1 to %1: %2"_s.arg(n).arg(after.errorString()));
    if (cancelled())
        return nullptr;
    if (n > 0) {
        const EventRecord &e = events.last();
        const QJsonDocument args = QJsonDocument::fromJson(e.argsJson);
        result->event = {{u"seqNum"_s, e.seqNum.toString()},
                         {u"name"_s, e.name},
                         {u"clientId"_s, e.clientId},
                         {u"args"_s, args.isNull() ? QString::fromUtf8(e.argsJson)
                                                   : QString::fromUtf8(args.toJson(QJsonDocument::Indented)).trimmed()}};
    }
    result->digest = QString::fromLatin1(after.stateDigest().toHex());
    const QList<TableDef> tables = job.schema.tables();
    for (const TableDef &table : tables) {
        const Query q = tableQuery(table);
        if (n > 0)
            diffTable(table, before.query(q), after.query(q), &result->changes);
        result->tables.insert(table.name, after.query(q.limit(job.maxRows)));
        if (cancelled())
            return nullptr;
    }
    result->elapsedMs = timer.nsecsElapsed() / 1e6;
    return result;
}

} // namespace

TimeTravel::TimeTravel(QObject *parent)
    : QObject(parent),
      m_tableModel(new ResultTableModel(this)),
      m_changesModel(new ResultTableModel(this)),
      m_generation(std::make_shared<std::atomic<quint64>>(0))
{
    m_pool.setMaxThreadCount(1);
    m_changesModel->setRows(changeColumns, {});
    // A dragged slider passes many positions: replay where it rests.
    m_delay.setSingleShot(true);
    m_delay.setInterval(120);
    connect(&m_delay, &QTimer::timeout, this, &TimeTravel::start);
}

TimeTravel::~TimeTravel()
{
    ++*m_generation; // what runs stops at its next step; waitForDone() waits for that
    m_pool.clear();
    m_pool.waitForDone();
}

void TimeTravel::setSource(InspectedStore *source)
{
    if (m_source == source)
        return;
    QObject::disconnect(m_storeConnection);
    QObject::disconnect(m_headConnection);
    m_source = source;
    if (source) {
        m_storeConnection = connect(source, &InspectedStore::storeChanged, this, &TimeTravel::reload);
        // The log grew: the slider's end follows (after the delay, a burst of commits is one
        // replay); the position stays where it was.
        m_headConnection = connect(source, &InspectedStore::headChanged, this, [this] {
            if (m_active)
                m_delay.start();
        });
    }
    Q_EMIT sourceChanged();
    reload();
}

void TimeTravel::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    if (active)
        reload();
}

void TimeTravel::setPosition(int position)
{
    position = qMax(0, position);
    if (m_position == position)
        return;
    m_position = position;
    Q_EMIT positionChanged();
    ++*m_generation; // cancel what runs now; the delay starts the next one
    if (m_active)
        m_delay.start();
}

void TimeTravel::setCurrentTable(const QString &table)
{
    if (m_currentTable == table)
        return;
    m_currentTable = table;
    Q_EMIT currentTableChanged();
    showTable();
}

void TimeTravel::setMaxRows(int rows)
{
    rows = qMax(1, rows);
    if (m_maxRows == rows)
        return;
    m_maxRows = rows;
    Q_EMIT maxRowsChanged();
}

void TimeTravel::reload()
{
    m_delay.stop();
    if (m_active)
        start();
}

void TimeTravel::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged();
}

void TimeTravel::start()
{
    Store *store = m_source ? m_source->store() : nullptr;
    const quint64 generation = ++*m_generation;
    if (!store) {
        setBusy(false);
        return;
    }
    Job job;
    job.schema = store->schema();
    job.position = m_position;
    job.maxRows = m_maxRows;
    job.directory = store->directory();
    job.storeId = store->storeId();
    if (job.directory.isEmpty()) {
        // An in-memory store has no file to read from another thread: copy its events here.
        EventFilter filter;
        filter.limit = m_position;
        job.events = store->events(filter);
        job.eventCount = store->eventCount();
    }
    setBusy(true);
    std::shared_ptr<std::atomic<quint64>> current = m_generation;
    m_pool.start([this, job = std::move(job), generation, current]() mutable {
        const auto cancelled = [&] { return current->load() != generation; };
        std::shared_ptr<Result> result = replay(std::move(job), cancelled);
        if (!result || cancelled())
            return;
        // The destructor waits for this runnable, so `this` outlives the call being queued.
        QMetaObject::invokeMethod(this, [this, generation, result] { finished(generation, result); },
                                  Qt::QueuedConnection);
    });
}

void TimeTravel::finished(quint64 generation, const std::shared_ptr<Result> &result)
{
    if (generation != m_generation->load())
        return; // a newer position is on its way
    setBusy(false);
    if (result->eventCount != m_eventCount) {
        m_eventCount = result->eventCount;
        Q_EMIT eventCountChanged();
    }
    m_error = result->error;
    if (m_error.isEmpty()) {
        m_shownPosition = result->position;
        m_event = result->event;
        m_tables = result->tables;
        m_digest = result->digest;
        m_elapsedMs = result->elapsedMs;
        m_changesModel->setRows(changeColumns, result->changes);
        if (!m_tables.contains(m_currentTable) && !m_tables.isEmpty()) {
            m_currentTable = m_tables.firstKey();
            Q_EMIT currentTableChanged();
        }
        showTable();
    }
    Q_EMIT resultChanged();
    Q_EMIT replayed();
}

void TimeTravel::showTable()
{
    m_tableModel->setResult(m_tables.value(m_currentTable));
}

} // namespace LiveStore
