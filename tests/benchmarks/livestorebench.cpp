// SPDX-License-Identifier: BSD-3-Clause
#include "livestorebench.h"

#include "todoschema.h"
#include "workload.h"

#include <livequerymodel.h>
#include <store.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;
using namespace LiveStore;

namespace Bench::Ours {

namespace {

StoreOptions storeOptions(const QString &directory, Durability durability = Durability::Process,
                          const Schema &schema = LiveStoreTest::todoSchema())
{
    StoreOptions options;
    options.storeId = u"bench"_s;
    options.schema = schema;
    options.directory = directory;
    options.durability = durability;
    return options;
}

// The todo schema whose todos table has one more (nullable) column: a different state hash, so
// that open() rebuilds the state from the eventlog.
Schema todoSchemaWithNoteColumn()
{
    const Schema base = LiveStoreTest::todoSchema();
    Schema schema;
    TableDef todos = *base.table(u"todos");
    todos.column(ColumnDef::text(u"note"_s).nullable());
    schema.addTable(todos);
    for (const ClientDocumentDef &document : base.clientDocuments())
        schema.addClientDocument(document); // adds its table and its Set event
    for (const EventDef &event : base.events()) {
        if (!event.isDerived)
            schema.addEvent(event);
    }
    return schema;
}

} // namespace

Schema todoSchemaWithEdits()
{
    Schema schema = LiveStoreTest::todoSchema();
    schema.addEvent(EventDef::synced(u"v1.TodoEdited"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"text"_s, ArgType::String)
                            .materializeSql({u"UPDATE todos SET text = $text WHERE id = $id"_s}));
    return schema;
}

namespace {

void open(Store &store, const StoreOptions &options)
{
    if (!store.open(options))
        throw Error(u"cannot open the store: "_s + store.errorString());
}

void commit(Store &store, const auto &events)
{
    if (!store.commit(events))
        throw Error(u"commit failed: "_s + store.errorString());
}

QueryResult query(Store &store, const QString &sql, const QVariantList &binds = {})
{
    QueryResult result = store.query(sql, binds);
    if (!result.isValid())
        throw Error(u"query failed: "_s + result.errorString());
    return result;
}

Event toEvent(const Workload::TodoEvent &e)
{
    const QString id = QString::fromStdString(e.id);
    switch (e.kind) {
    case Workload::TodoEvent::Created:
        return {u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString::fromStdString(e.text)}}};
    case Workload::TodoEvent::Completed:
        return {u"v1.TodoCompleted"_s, {{u"id"_s, id}}};
    case Workload::TodoEvent::Uncompleted:
        return {u"v1.TodoUncompleted"_s, {{u"id"_s, id}}};
    case Workload::TodoEvent::Edited:
        return {u"v1.TodoEdited"_s, {{u"id"_s, id}, {u"text"_s, QString::fromStdString(e.text)}}};
    }
    Q_UNREACHABLE();
    return {};
}

// Built before the clock starts: how an app assembles its events is not the library's cost.
QList<Event> toEvents(const std::vector<Workload::TodoEvent> &events)
{
    QList<Event> out;
    out.reserve(qsizetype(events.size()));
    for (const Workload::TodoEvent &e : events)
        out.append(toEvent(e));
    return out;
}

// Opens a store in the work directory holding `seedTodos` todos, every second one completed.
void openSeeded(Store &store, const Context &context, const Schema &schema = LiveStoreTest::todoSchema())
{
    open(store, storeOptions(context.workDir, Durability::Process, schema));
    commit(store, toEvents(Workload::seedEvents(context.sizes.seedTodos)));
}

// Updates before the measured ones (statements prepared, caches warm), on both sides.
constexpr int ModelWarmupUpdates = 10;

// Stamps a model's signals: how many one commit sent and when the last one came.
class ModelSignalClock
{
public:
    explicit ModelSignalClock(const QAbstractItemModel *model)
    {
        const auto stamp = [this] {
            m_last = Clock::now();
            ++m_count;
        };
        m_connections = {
            QObject::connect(model, &QAbstractItemModel::dataChanged, stamp),
            QObject::connect(model, &QAbstractItemModel::rowsInserted, stamp),
            QObject::connect(model, &QAbstractItemModel::rowsRemoved, stamp),
            QObject::connect(model, &QAbstractItemModel::rowsMoved, stamp),
            QObject::connect(model, &QAbstractItemModel::modelReset, stamp),
            QObject::connect(model, &QAbstractItemModel::layoutChanged, stamp),
        };
    }
    ~ModelSignalClock()
    {
        for (const QMetaObject::Connection &c : std::as_const(m_connections))
            QObject::disconnect(c);
    }
    Q_DISABLE_COPY_MOVE(ModelSignalClock)

    void reset() { m_count = 0; }
    int count() const { return m_count; }
    Clock::time_point last() const { return m_last; }

private:
    QList<QMetaObject::Connection> m_connections;
    Clock::time_point m_last;
    int m_count = 0;
};

// One series of a model scenario: per update, from the commit call to the model's last signal
// (all of it happens inside commit()). Returns {<prefix>median_us, <prefix>p99_us,
// <prefix>signals_per_update} and <prefix>missed_signals if a commit left the model silent.
QJsonObject modelSeries(Store &store, const LiveQueryModel &model, Workload::ModelUpdates::Kind kind,
                        int updates, const QString &prefix)
{
    const int idRole = model.roleForColumn(u"id"_s);
    const auto idAt = [&](int row) {
        return model.data(model.index(row), idRole).toString().toStdString();
    };
    ModelSignalClock clock(&model);
    Workload::ModelUpdates sequence(kind);
    Samples samples;
    samples.reserve(updates);
    qint64 signalCount = 0;
    int missed = 0;
    for (int i = -ModelWarmupUpdates; i < updates; ++i) {
        const Event event = toEvent(sequence.next(model.rowCount(), idAt));
        clock.reset();
        const auto start = Clock::now();
        commit(store, event);
        if (i < 0)
            continue;
        if (clock.count() == 0) {
            ++missed;
            continue;
        }
        samples.add(microseconds(start, clock.last()));
        signalCount += clock.count();
    }
    QJsonObject result{{prefix + u"median_us"_s, samples.median()},
                       {prefix + u"p99_us"_s, samples.percentile(99)},
                       {prefix + u"signals_per_update"_s,
                        samples.size() > 0 ? double(signalCount) / double(samples.size()) : 0.0}};
    if (missed > 0)
        result.insert(prefix + u"missed_signals"_s, missed);
    return result;
}

// A model scenario: 10,000 todos, a LiveQueryModel over `sql` keyed by id, the edit series (and
// the toggle series).
QJsonObject modelScenario(const Context &context, const char *sql, bool toggles)
{
    Store store;
    openSeeded(store, context, todoSchemaWithEdits());
    LiveQueryModel model(&store, Query::sql(QString::fromLatin1(sql)));
    model.setKeyColumn(u"id"_s);
    if (model.rowCount() == 0)
        throw Error(u"the model is empty: "_s + model.errorString());
    const int updates = context.sizes.modelUpdates;
    QJsonObject result = modelSeries(store, model, Workload::ModelUpdates::Edit, updates, {});
    if (toggles) {
        const QJsonObject toggled =
                modelSeries(store, model, Workload::ModelUpdates::Toggle, updates, u"toggle_"_s);
        for (auto it = toggled.begin(); it != toggled.end(); ++it)
            result.insert(it.key(), it.value());
    }
    result.insert(u"rows"_s, model.rowCount());
    return result;
}

// A model of every todo of a big table (10 or 100 times the seed): the edit series. The todos
// are committed in slices, so that the events of a million need not be in memory at once. With
// a `batchSize`, the model holds what a view bound to it would (LiveQueryModel::batchSize).
QJsonObject bigModelScenario(const Context &context, int todos, int batchSize)
{
    Store store;
    open(store, storeOptions(context.workDir, Durability::Process, todoSchemaWithEdits()));
    for (int first = 0; first < todos; first += Workload::SeedSlice)
        commit(store, toEvents(Workload::seedEvents(first, std::min(Workload::SeedSlice, todos - first))));
    const auto start = Clock::now();
    LiveQueryModel model;
    model.setBatchSize(batchSize);
    model.setQuery(Query::sql(QString::fromLatin1(Workload::ModelAllSql)));
    model.setStore(&store);
    const double loadMs = secondsSince(start) * 1000.0;
    const int expected = batchSize > 0 ? batchSize : todos;
    if (model.rowCount() != expected)
        throw Error(u"the model has %1 rows, not %2: "_s.arg(model.rowCount()).arg(expected) + model.errorString());
    QJsonObject result = modelSeries(store, model, Workload::ModelUpdates::Edit, context.sizes.modelUpdates, {});
    result.insert(u"rows"_s, model.rowCount());
    result.insert(u"load_ms"_s, loadMs);
    if (batchSize > 0) {
        // Scrolling: ten more batches, as a view at the end of the list asks for them.
        const auto fetchStart = Clock::now();
        for (int i = 0; i < 10 && model.canFetchMore(); ++i)
            model.fetchMore();
        result.insert(u"fetch_more_ms"_s, secondsSince(fetchStart) * 1000.0 / 10.0);
        result.insert(u"batch_size"_s, batchSize);
    }
    return result;
}

QJsonObject singleCommits(const Context &context, Durability durability, int count)
{
    Store store;
    open(store, storeOptions(context.workDir, durability));
    const QList<Event> events = toEvents(Workload::createdEvents(count));
    const auto start = Clock::now();
    for (const Event &e : events)
        commit(store, e);
    return throughput(count, secondsSince(start));
}

// Copies the prepared history store, so that every run starts from the same files.
QString copyHistory(const Context &context)
{
    const QString target = QDir(context.workDir).filePath(u"store"_s);
    QDir().mkpath(target);
    for (const QString &file : {u"store.db"_s, u"store.db-wal"_s}) {
        const QString from = QDir(context.history).filePath(file);
        if (QFile::exists(from) && !QFile::copy(from, QDir(target).filePath(file)))
            throw Error(u"cannot copy "_s + from);
    }
    return target;
}

} // namespace

QJsonObject commitSingle(const Context &context)
{
    return singleCommits(context, Durability::Process, context.sizes.singleCommits);
}

QJsonObject durableCommitSingle(const Context &context)
{
    return singleCommits(context, Durability::PowerLoss, context.sizes.durableCommits);
}

QJsonObject commitBatch(const Context &context)
{
    Store store;
    open(store, storeOptions(context.workDir));
    const QList<Event> events = toEvents(Workload::createdEvents(context.sizes.batchEvents));
    const auto start = Clock::now();
    commit(store, events);
    return throughput(events.size(), secondsSince(start));
}

QJsonObject latency(const Context &context)
{
    Store store;
    openSeeded(store, context);

    // Both live queries refresh inside commit(); each callback stamps when it ran.
    std::optional<Clock::time_point> countAt, listAt;
    QueryResult listed;
    const Subscription countSubscription = store.subscribe(
            Query::sql(QString::fromLatin1(Workload::CountOpenSql)),
            [&](const QueryResult &) { countAt = Clock::now(); }, {.skipInitialRun = true});
    const Subscription listSubscription = store.subscribe(
            Query::sql(QString::fromLatin1(Workload::LatestOpenSql)), [&](const QueryResult &result) {
                listAt = Clock::now();
                listed = result; // implicitly shared: no copy of the rows
            });
    if (!listed.isValid() || listed.isEmpty())
        throw Error(u"the live list is empty: "_s + listed.errorString());

    Samples samples;
    samples.reserve(context.sizes.latencyCommits);
    int missed = 0;
    int nextTodo = context.sizes.seedTodos;
    for (int i = 0; i < context.sizes.latencyCommits; ++i) {
        // Alternate: a new todo (its id sorts first, so it enters the list) and completing one
        // from the middle of the current list. Both change both results, so both callbacks run.
        const Event event = i % 2 == 0
                ? toEvent(Workload::created(nextTodo++))
                : toEvent(Workload::completed(
                          listed.value(listed.rowCount() / 2, u"id").toString().toStdString()));
        countAt.reset();
        listAt.reset();
        const auto start = Clock::now();
        commit(store, event);
        if (!countAt || !listAt) {
            ++missed;
            continue;
        }
        samples.add(microseconds(start, std::max(*countAt, *listAt)));
    }
    QJsonObject result = samples.toJson();
    if (missed > 0)
        result.insert(u"missed_notifications"_s, missed);
    return result;
}

QJsonObject queryList100(const Context &context)
{
    Store store;
    openSeeded(store, context);
    const QString sql = QString::fromLatin1(Workload::OpenByTextSql);
    auto run = [&](int i) {
        return query(store, sql, {QString::fromStdString(Workload::textBound(i))}).rowCount();
    };
    // Warm-up: the first run prepares the statement (cached afterwards) and warms SQLite's cache.
    for (int i = 0; i < 10; ++i)
        run(i);
    Samples samples;
    samples.reserve(context.sizes.listQueryRuns);
    for (int i = 0; i < context.sizes.listQueryRuns; ++i) {
        const auto start = Clock::now();
        run(i);
        samples.add(microseconds(start, Clock::now()));
    }
    return samples.toJson();
}

QJsonObject query5000(const Context &context)
{
    Store store;
    openSeeded(store, context);
    const QString sql = QString::fromLatin1(Workload::AllOpenSql);
    for (int i = 0; i < 3; ++i) // warm-up, as above
        query(store, sql);
    Samples samples;
    samples.reserve(context.sizes.fullQueryRuns);
    qsizetype rows = 0;
    for (int i = 0; i < context.sizes.fullQueryRuns; ++i) {
        const auto start = Clock::now();
        rows = query(store, sql).rowCount();
        samples.add(microseconds(start, Clock::now()));
    }
    QJsonObject result = samples.toJson();
    result.insert(u"rows"_s, rows);
    return result;
}

QJsonObject model100(const Context &context)
{
    return modelScenario(context, Workload::ModelPageSql, true);
}

QJsonObject model10000(const Context &context)
{
    return modelScenario(context, Workload::ModelAllSql, false);
}

QJsonObject model100k(const Context &context)
{
    return bigModelScenario(context, context.sizes.seedTodos * 10, 0);
}

QJsonObject model1m(const Context &context)
{
    return bigModelScenario(context, context.sizes.seedTodos * 100, 1000);
}

QJsonObject boot(const Context &context)
{
    const QString directory = copyHistory(context);
    const long faultsBefore = minorFaults();
    const auto start = Clock::now();
    Store store;
    open(store, storeOptions(directory));
    const qsizetype rows = query(store, QString::fromLatin1(Workload::LatestOpenSql)).rowCount();
    const double seconds = secondsSince(start);
    const long faults = minorFaults() - faultsBefore;
    if (!store.migrationReport().isEmpty())
        throw Error(u"boot rebuilt the state; the fixture does not match the schema"_s);
    return {{u"ms"_s, seconds * 1000.0}, {u"rows"_s, rows}, {u"faults"_s, qint64(faults)}};
}

QJsonObject rematerialize(const Context &context)
{
    const QString directory = copyHistory(context);
    StoreOptions options = storeOptions(directory);
    options.schema = todoSchemaWithNoteColumn();
    const auto start = Clock::now();
    Store store;
    open(store, options);
    const double seconds = secondsSince(start);
    if (store.migrationReport().isEmpty())
        throw Error(u"open() did not rebuild the state"_s);
    QJsonObject result = throughput(store.eventCount(), seconds);
    result.insert(u"events"_s, store.eventCount());
    return result;
}

StoreOptions historyStoreOptions(const QString &directory, bool changedTable)
{
    return changedTable ? storeOptions(directory, Durability::Process, todoSchemaWithNoteColumn())
                        : storeOptions(directory);
}

void prepareHistoryStore(const QString &directory, int events)
{
    Store store;
    open(store, storeOptions(directory));
    const QList<Event> all = toEvents(Workload::historyEvents(events));
    // Batches of a thousand: the history of an app that committed in small steps, written fast.
    for (qsizetype i = 0; i < all.size(); i += 1000)
        commit(store, all.mid(i, 1000));
}

} // namespace Bench::Ours
