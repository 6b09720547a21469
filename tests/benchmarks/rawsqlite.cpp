// SPDX-License-Identifier: BSD-3-Clause
#include "rawsqlite.h"

#include "rawsqlite_p.h"

#include "workload.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

using namespace Qt::StringLiterals;

namespace Bench::Raw {

namespace {

// The rematerialize scenario's changed table: one more nullable column.
constexpr char TodosWithNoteDdl[] =
        "CREATE TABLE \"todos\" (\"id\" TEXT PRIMARY KEY NOT NULL, "
        "\"text\" TEXT NOT NULL DEFAULT '', \"completed\" INTEGER NOT NULL DEFAULT 0, "
        "\"deletedAt\" INTEGER, \"note\" TEXT) STRICT";

constexpr char CreatedName[] = "v1.TodoCreated";
constexpr char CompletedName[] = "v1.TodoCompleted";
constexpr char UncompletedName[] = "v1.TodoUncompleted";
constexpr char EditedName[] = "v1.TodoEdited";

// What the library does per commit, by hand: BEGIN IMMEDIATE, per event the state write and one
// eventlog row, COMMIT.
class EventWriter
{
public:
    explicit EventWriter(Connection &db)
        : m_begin(db.get(), "BEGIN IMMEDIATE"),
          m_commit(db.get(), "COMMIT"),
          m_insertEvent(db.get(),
                        "INSERT INTO __livestore_eventlog (seqNumGlobal, seqNumClient, "
                        "seqNumRebaseGeneration, parentSeqNumGlobal, parentSeqNumClient, "
                        "parentSeqNumRebaseGeneration, name, argsJson, clientId, sessionId, "
                        "schemaHash) VALUES (?, 0, 0, ?, 0, 0, ?, ?, ?, ?, ?)"),
          m_insertTodo(db.get(), "INSERT INTO todos (id, text) VALUES (?, ?)"),
          m_completeTodo(db.get(), "UPDATE todos SET completed = 1 WHERE id = ?"),
          m_uncompleteTodo(db.get(), "UPDATE todos SET completed = 0 WHERE id = ?"),
          m_editTodo(db.get(), "UPDATE todos SET text = ?2 WHERE id = ?1")
    {
        // Continue numbering after the events already in the log.
        Statement head(db.get(), "SELECT coalesce(max(seqNumGlobal), 0) FROM __livestore_eventlog");
        if (sqlite3_step(head.get()) == SQLITE_ROW)
            m_head = sqlite3_column_int64(head.get(), 0);
    }

    static void createTables(Connection &db)
    {
        db.exec(EventlogDdl);
        db.exec(TodosDdl);
    }

    void commit(const Workload::TodoEvent &event)
    {
        m_begin.run();
        append(event);
        m_commit.run();
    }

    template<typename Range>
    void commit(const Range &events)
    {
        m_begin.run();
        for (const Workload::TodoEvent &event : events)
            append(event);
        m_commit.run();
    }

private:
    void append(const Workload::TodoEvent &event)
    {
        using Kind = Workload::TodoEvent::Kind;
        const bool hasText = event.kind == Kind::Created || event.kind == Kind::Edited;
        // The arguments as the eventlog keeps them (compact JSON, keys sorted). The workload's
        // strings need no escaping.
        std::string args = "{\"id\":\"" + event.id + '"';
        if (hasText)
            args += ",\"text\":\"" + event.text + '"';
        args += '}';

        // The event's name, its state write and its definition's hash.
        const char *name = CreatedName;
        Statement *state = &m_insertTodo;
        sqlite3_int64 hash = 1234567;
        switch (event.kind) {
        case Kind::Created: break;
        case Kind::Completed: name = CompletedName; state = &m_completeTodo; hash = 7654321; break;
        case Kind::Uncompleted: name = UncompletedName; state = &m_uncompleteTodo; hash = 7654322; break;
        case Kind::Edited: name = EditedName; state = &m_editTodo; hash = 2345678; break;
        }
        state->bind(1, event.id);
        if (hasText)
            state->bind(2, event.text);
        state->run();

        ++m_head;
        m_insertEvent.bind(1, m_head);
        m_insertEvent.bind(2, m_head - 1);
        sqlite3_bind_text(m_insertEvent.get(), 3, name, -1, SQLITE_STATIC);
        m_insertEvent.bind(4, args);
        m_insertEvent.bind(5, m_clientId);
        m_insertEvent.bind(6, m_sessionId);
        m_insertEvent.bind(7, hash);
        m_insertEvent.run();
    }

    Statement m_begin, m_commit, m_insertEvent, m_insertTodo, m_completeTodo, m_uncompleteTodo,
            m_editTodo;
    sqlite3_int64 m_head = 0;
    const std::string m_clientId = "rawCli";
    const std::string m_sessionId = "rawSes";
};

// What readAll() consumed, kept so the compiler cannot drop the column reads.
volatile size_t consumedBytes = 0;

// Steps a query to its end reading every column, as a result consumer would. Returns the rows;
// `firstColumn`, when given, collects the first column's text of each row.
qsizetype readAll(Statement &query, std::vector<std::string> *firstColumn = nullptr)
{
    sqlite3_stmt *stmt = query.get();
    const int columns = sqlite3_column_count(stmt);
    qsizetype rows = 0;
    size_t bytes = 0;
    if (firstColumn)
        firstColumn->clear();
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ++rows;
        for (int c = 0; c < columns; ++c) {
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER:
                bytes += size_t(sqlite3_column_int64(stmt, c) & 1);
                break;
            case SQLITE_TEXT: {
                const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, c));
                const int size = sqlite3_column_bytes(stmt, c);
                bytes += size_t(size) + size_t(text[0]);
                if (c == 0 && firstColumn)
                    firstColumn->emplace_back(text, size_t(size));
                break;
            }
            default:
                break;
            }
        }
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        fail(sqlite3_db_handle(stmt), sqlite3_sql(stmt));
    consumedBytes = consumedBytes + bytes;
    return rows;
}

QString databasePath(const Context &context)
{
    return QDir(context.workDir).filePath(u"raw.db"_s);
}

std::unique_ptr<Connection> openSeeded(const Context &context)
{
    auto db = std::make_unique<Connection>(databasePath(context));
    EventWriter::createTables(*db);
    EventWriter(*db).commit(Workload::seedEvents(context.sizes.seedTodos));
    return db;
}

// Updates before the measured ones (statements prepared, caches warm), on both sides.
constexpr int ModelWarmupUpdates = 10;

// One series of the model scenarios by hand: per update, the commit, then the query re-run with
// its prepared statement, every column of every row read: the least an app does to show the
// change. Returns {<prefix>median_us, <prefix>p99_us}.
QJsonObject modelSeries(EventWriter &writer, Statement &query, Workload::ModelUpdates::Kind kind,
                        int updates, const QString &prefix)
{
    std::vector<std::string> ids; // the rows' ids, as the app's list shows them
    readAll(query, &ids);
    Workload::ModelUpdates sequence(kind);
    Samples samples;
    samples.reserve(updates);
    for (int i = -ModelWarmupUpdates; i < updates; ++i) {
        const Workload::TodoEvent event =
                sequence.next(int(ids.size()), [&](int row) { return ids[size_t(row)]; });
        const auto start = Clock::now();
        writer.commit(event);
        readAll(query);
        const auto end = Clock::now();
        if (i >= 0)
            samples.add(microseconds(start, end));
        if (kind == Workload::ModelUpdates::Toggle)
            readAll(query, &ids); // which todos the rows show now: not part of the figure
    }
    return {{prefix + u"median_us"_s, samples.median()}, {prefix + u"p99_us"_s, samples.percentile(99)}};
}

// A model scenario by hand: 10,000 todos, the edit series (and the toggle series) on `sql`.
QJsonObject modelScenario(const Context &context, const char *sql, bool toggles)
{
    const auto db = openSeeded(context);
    EventWriter writer(*db);
    Statement query(db->get(), sql);
    const int updates = context.sizes.modelUpdates;
    QJsonObject result = modelSeries(writer, query, Workload::ModelUpdates::Edit, updates, {});
    if (toggles) {
        const QJsonObject toggled =
                modelSeries(writer, query, Workload::ModelUpdates::Toggle, updates, u"toggle_"_s);
        for (auto it = toggled.begin(); it != toggled.end(); ++it)
            result.insert(it.key(), it.value());
    }
    result.insert(u"rows"_s, readAll(query));
    return result;
}

// The big model scenarios by hand: the table seeded in slices, then the edit series, each
// followed by the re-query of every row. Fewer updates: each re-reads the whole table.
QJsonObject bigModelScenario(const Context &context, int todos)
{
    auto db = std::make_unique<Connection>(databasePath(context));
    EventWriter::createTables(*db);
    {
        EventWriter seeder(*db);
        for (int first = 0; first < todos; first += Workload::SeedSlice)
            seeder.commit(Workload::seedEvents(first, std::min(Workload::SeedSlice, todos - first)));
    }
    EventWriter writer(*db);
    Statement query(db->get(), Workload::ModelAllSql);
    const int updates = std::max(10, int(qint64(context.sizes.modelUpdates) * 10'000 / todos));
    QJsonObject result = modelSeries(writer, query, Workload::ModelUpdates::Edit, updates, {});
    result.insert(u"rows"_s, readAll(query));
    result.insert(u"updates"_s, updates);
    return result;
}

QJsonObject singleCommits(const Context &context, Sync sync, int count)
{
    Connection db(databasePath(context), sync);
    EventWriter::createTables(db);
    EventWriter writer(db);
    const auto events = Workload::createdEvents(count);
    const auto start = Clock::now();
    for (const Workload::TodoEvent &e : events)
        writer.commit(e);
    return throughput(count, secondsSince(start));
}

QString copyHistory(const Context &context)
{
    const QString target = databasePath(context);
    for (const QString &suffix : {QString(), u"-wal"_s}) {
        const QString from = context.history + suffix;
        if (QFile::exists(from) && !QFile::copy(from, target + suffix))
            throw Error(u"cannot copy "_s + from);
    }
    return target;
}

} // namespace

QJsonObject commitSingle(const Context &context)
{
    return singleCommits(context, Sync::Normal, context.sizes.singleCommits);
}

QJsonObject durableCommitSingle(const Context &context)
{
    return singleCommits(context, Sync::Full, context.sizes.durableCommits);
}

QJsonObject commitBatch(const Context &context)
{
    Connection db(databasePath(context));
    EventWriter::createTables(db);
    EventWriter writer(db);
    const auto events = Workload::createdEvents(context.sizes.batchEvents);
    const auto start = Clock::now();
    writer.commit(events);
    return throughput(qint64(events.size()), secondsSince(start));
}

QJsonObject latency(const Context &context)
{
    const auto db = openSeeded(context);
    EventWriter writer(*db);
    Statement count(db->get(), Workload::CountOpenSql);
    Statement list(db->get(), Workload::LatestOpenSql);
    std::vector<std::string> listed;
    readAll(list, &listed);

    Samples samples;
    samples.reserve(context.sizes.latencyCommits);
    int nextTodo = context.sizes.seedTodos;
    for (int i = 0; i < context.sizes.latencyCommits; ++i) {
        const Workload::TodoEvent event = i % 2 == 0 ? Workload::created(nextTodo++)
                                                     : Workload::completed(listed[listed.size() / 2]);
        // The commit, then what a hand-written app would do to refresh its two views.
        const auto start = Clock::now();
        writer.commit(event);
        readAll(count);
        readAll(list, &listed);
        samples.add(microseconds(start, Clock::now()));
    }
    return samples.toJson();
}

QJsonObject queryList100(const Context &context)
{
    const auto db = openSeeded(context);
    Statement query(db->get(), Workload::OpenByTextSql);
    auto run = [&](int i) {
        const std::string bound = Workload::textBound(i);
        query.bind(1, bound);
        return readAll(query);
    };
    for (int i = 0; i < 10; ++i) // warm-up, as on the library side
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
    const auto db = openSeeded(context);
    Statement query(db->get(), Workload::AllOpenSql);
    for (int i = 0; i < 3; ++i)
        readAll(query);
    Samples samples;
    samples.reserve(context.sizes.fullQueryRuns);
    qsizetype rows = 0;
    for (int i = 0; i < context.sizes.fullQueryRuns; ++i) {
        const auto start = Clock::now();
        rows = readAll(query);
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
    return bigModelScenario(context, context.sizes.seedTodos * 10);
}

QJsonObject model1m(const Context &context)
{
    return bigModelScenario(context, context.sizes.seedTodos * 100);
}

QJsonObject modelQml(const Context &context)
{
    // QML adds nothing to the bare SQLite work: it is model-100's edit series.
    return modelScenario(context, Workload::ModelPageSql, false);
}

QJsonObject boot(const Context &context)
{
    const QString path = copyHistory(context);
    const long faultsBefore = minorFaults();
    const auto start = Clock::now();
    Connection db(path);
    Statement list(db.get(), Workload::LatestOpenSql);
    const qsizetype rows = readAll(list);
    const double seconds = secondsSince(start);
    const long faults = minorFaults() - faultsBefore;
    return {{u"ms"_s, seconds * 1000.0}, {u"rows"_s, rows}, {u"faults"_s, qint64(faults)}};
}

QJsonObject rematerialize(const Context &context)
{
    const QString path = copyHistory(context);
    const auto start = Clock::now();
    Connection db(path);
    db.exec("BEGIN IMMEDIATE");
    db.exec("DROP TABLE todos");
    db.exec(TodosWithNoteDdl);
    // The replay binds the stored argsJson as it is and lets SQLite's JSON functions pick the
    // fields: no JSON parsing in C++, the cheapest honest way to apply a stored event.
    Statement insertTodo(db.get(), "INSERT INTO todos (id, text) VALUES "
                                   "(json_extract(?1, '$.id'), json_extract(?1, '$.text'))");
    Statement completeTodo(db.get(), "UPDATE todos SET completed = 1 WHERE id = json_extract(?1, '$.id')");
    Statement events(db.get(), "SELECT name, argsJson FROM __livestore_eventlog "
                               "ORDER BY seqNumGlobal, seqNumClient");
    qint64 replayed = 0;
    int rc;
    while ((rc = sqlite3_step(events.get())) == SQLITE_ROW) {
        const auto *name = reinterpret_cast<const char *>(sqlite3_column_text(events.get(), 0));
        Statement &apply = std::strcmp(name, CreatedName) == 0 ? insertTodo : completeTodo;
        sqlite3_bind_value(apply.get(), 1, sqlite3_column_value(events.get(), 1));
        apply.run();
        ++replayed;
    }
    sqlite3_reset(events.get());
    if (rc != SQLITE_DONE)
        fail(db.get(), "reading the eventlog");
    db.exec("COMMIT");
    QJsonObject result = throughput(replayed, secondsSince(start));
    result.insert(u"events"_s, replayed);
    return result;
}

void prepareHistoryDatabase(const QString &path, int events)
{
    Connection db(path);
    EventWriter::createTables(db);
    EventWriter writer(db);
    const auto all = Workload::historyEvents(events);
    for (size_t i = 0; i < all.size(); i += 1000) {
        const auto end = all.begin() + ptrdiff_t(std::min(all.size(), i + 1000));
        writer.commit(std::vector<Workload::TodoEvent>(all.begin() + ptrdiff_t(i), end));
    }
}

} // namespace Bench::Raw
