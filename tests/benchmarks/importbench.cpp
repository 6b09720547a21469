// SPDX-License-Identifier: BSD-3-Clause
#include "importbench.h"

#include "rawsqlite_p.h"

#include "todoschema.h"
#include "workload.h"

#include <store.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>

#include <sqlite3.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

using namespace Qt::StringLiterals;
using namespace LiveStore;

namespace Bench {

// Writes the export of Workload::historyEvents(count) ("create, create, complete the first of the
// two") line by line, as `livestore export` lays it out, without holding the events. Returns its
// size in bytes.
qint64 writeExport(const QString &path, int count)
{
    std::FILE *out = std::fopen(QFile::encodeName(path).constData(), "wb");
    if (!out)
        throw Error(u"cannot write "_s + path);
    int next = 0;
    for (int i = 0; i < count; ++i) {
        const bool complete = i % 3 == 2;
        const Workload::TodoEvent e = complete ? Workload::completed(Workload::todoId(next - 2))
                                               : Workload::created(next++);
        std::string args = "{\"id\":\"" + e.id + '"';
        if (!complete)
            args += ",\"text\":\"" + e.text + '"'; // the workload's texts need no escaping
        args += '}';
        std::fprintf(out,
                     "{\"args\":%s,\"clientId\":\"benchClient\",\"name\":\"%s\","
                     "\"parentSeqNum\":{\"client\":0,\"global\":%d,\"rebaseGeneration\":0},"
                     "\"seqNum\":{\"client\":0,\"global\":%d,\"rebaseGeneration\":0},"
                     "\"sessionId\":\"benchSession\"}\n",
                     args.c_str(), complete ? "v1.TodoCompleted" : "v1.TodoCreated", i, i + 1);
    }
    const long size = std::ftell(out);
    if (std::fclose(out) != 0 || size < 0)
        throw Error(u"cannot write "_s + path);
    return size;
}

namespace {

// The sizes are the full run's; --quick divides them by ten like every other size.
int scaled(const Context &context, int events)
{
    return int(qint64(events) * context.sizes.bigStoreEvents / Sizes::full().bigStoreEvents);
}

QJsonObject figures(qint64 events, double seconds, qint64 inputBytes)
{
    QJsonObject result = throughput(events, seconds);
    result.insert(u"events"_s, events);
    result.insert(u"input_mb"_s, double(inputBytes) / (1024.0 * 1024.0));
    return result;
}

QJsonObject importOurs(const Context &context, int fullSize)
{
    const int count = scaled(context, fullSize);
    const QString input = QDir(context.workDir).filePath(u"events.jsonl"_s);
    const qint64 bytes = writeExport(input, count);

    Store store;
    StoreOptions options;
    options.storeId = u"bench"_s;
    options.schema = LiveStoreTest::todoSchema();
    options.directory = QDir(context.workDir).filePath(u"store"_s);
    if (!store.open(options))
        throw Error(u"cannot open the store: "_s + store.errorString());
    QFile file(input);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(u"cannot read "_s + input);

    const auto start = Clock::now();
    ImportStatus status;
    if (!store.importJsonLines(&file, {}, &status))
        throw Error(u"import failed: "_s + store.errorString());
    const double seconds = secondsSince(start);
    if (status.events != count || store.head().global != count)
        throw Error(u"imported %1 events of %2"_s.arg(status.events).arg(count));
    return figures(count, seconds, bytes);
}

// ---------------------------------------------------------------------------------------------
// Bare SQLite
// ---------------------------------------------------------------------------------------------

// The text after `key` (which ends with its opening quote or colon) up to `stop`, searched from
// `from`: a scanner that knows the file's layout and checks nothing.
std::string_view field(std::string_view line, std::string_view key, char stop, size_t from = 0)
{
    const size_t at = line.find(key, from);
    if (at == std::string_view::npos)
        throw Error(u"the input line has no "_s + QString::fromUtf8(key.data(), key.size()));
    const size_t begin = at + key.size();
    return line.substr(begin, line.find(stop, begin) - begin);
}

sqlite3_int64 number(std::string_view text)
{
    sqlite3_int64 value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

} // namespace

QJsonObject importRaw(const Context &context, int fullSize)
{
    const int count = scaled(context, fullSize);
    const QString input = QDir(context.workDir).filePath(u"events.jsonl"_s);
    const qint64 bytes = writeExport(input, count);

    Raw::Connection connection(QDir(context.workDir).filePath(u"raw.db"_s));
    connection.exec(Raw::EventlogDdl);
    connection.exec(Raw::TodosDdl);
    sqlite3 *db = connection.get();
    using Raw::Statement;
    Statement begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT");
    Statement insertEvent(db, "INSERT INTO __livestore_eventlog (seqNumGlobal, seqNumClient, "
                              "seqNumRebaseGeneration, parentSeqNumGlobal, parentSeqNumClient, "
                              "parentSeqNumRebaseGeneration, name, argsJson, clientId, sessionId, "
                              "schemaHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    Statement insertTodo(db, "INSERT INTO todos (id, text) VALUES (?, ?)");
    Statement completeTodo(db, "UPDATE todos SET completed = 1 WHERE id = ?");

    std::FILE *in = std::fopen(QFile::encodeName(input).constData(), "rb");
    if (!in)
        throw Error(u"cannot read "_s + input);
    char *buffer = nullptr;
    size_t capacity = 0;
    qint64 events = 0;

    const auto start = Clock::now();
    begin.run();
    ssize_t length;
    while ((length = ::getline(&buffer, &capacity, in)) > 0) {
        const std::string_view line(buffer, size_t(length));
        const std::string_view args = field(line, "\"args\":", '}');
        const std::string_view name = field(line, "\"name\":\"", '"');
        const size_t parentAt = line.find("\"parentSeqNum\":");
        const size_t seqAt = line.find("\"seqNum\":");
        const bool created = name == "v1.TodoCreated";
        if (created) {
            insertTodo.bind(1, field(args, "\"id\":\"", '"'));
            insertTodo.bind(2, field(args, "\"text\":\"", '"'));
            insertTodo.run();
        } else {
            completeTodo.bind(1, field(args, "\"id\":\"", '"'));
            completeTodo.run();
        }
        insertEvent.bind(1, number(field(line, "\"global\":", ',', seqAt)));
        insertEvent.bind(2, number(field(line, "\"client\":", ',', seqAt)));
        insertEvent.bind(3, number(field(line, "\"rebaseGeneration\":", '}', seqAt)));
        insertEvent.bind(4, number(field(line, "\"global\":", ',', parentAt)));
        insertEvent.bind(5, number(field(line, "\"client\":", ',', parentAt)));
        insertEvent.bind(6, number(field(line, "\"rebaseGeneration\":", '}', parentAt)));
        insertEvent.bind(7, name);
        insertEvent.bind(8, std::string_view(args.data(), args.size() + 1)); // with its '}'
        insertEvent.bind(9, field(line, "\"clientId\":\"", '"'));
        insertEvent.bind(10, field(line, "\"sessionId\":\"", '"'));
        insertEvent.bind(11, sqlite3_int64(created ? 1234567 : 7654321));
        insertEvent.run();
        ++events;
    }
    commit.run();
    const double seconds = secondsSince(start);
    std::free(buffer);
    std::fclose(in);
    if (events != count)
        throw Error(u"imported %1 events of %2"_s.arg(events).arg(count));
    return figures(count, seconds, bytes);
}

QJsonObject Ours::import10k(const Context &context) { return importOurs(context, 10'000); }
QJsonObject Ours::import100k(const Context &context) { return importOurs(context, 100'000); }
QJsonObject Ours::import1m(const Context &context) { return importOurs(context, 1'000'000); }
QJsonObject Raw::import10k(const Context &context) { return importRaw(context, 10'000); }
QJsonObject Raw::import100k(const Context &context) { return importRaw(context, 100'000); }
QJsonObject Raw::import1m(const Context &context) { return importRaw(context, 1'000'000); }

} // namespace Bench
