// SPDX-License-Identifier: BSD-3-Clause
#include "commands.h"

#include "output.h"

#include <eventstream.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qsavefile.h>

#include <QtCore/qeventloop.h>
#include <QtCore/qtimer.h>

#include <csignal>
#include <cstdio>
#ifdef Q_OS_WIN
#  include <io.h>
#else
#  include <unistd.h>
#endif

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// Events are read in pages so that listing or exporting a large eventlog takes bounded memory.
constexpr qint64 PageSize = 1000;

bool stderrIsTerminal()
{
#ifdef Q_OS_WIN
    return _isatty(_fileno(stderr));
#else
    return isatty(STDERR_FILENO);
#endif
}

// Rebuild progress on stderr. On a terminal one line is rewritten in place; anywhere else (a log,
// a pipe) a line at every tenth, so that a log is not flooded.
class ProgressPrinter
{
public:
    void update(const BootStatus &status)
    {
        if (status.stage != BootStatus::Rematerializing || status.total <= 0)
            return;
        QTextStream &err = Output::err();
        const QString text = u"rematerializing %1/%2 events"_s.arg(status.done).arg(status.total);
        if (m_terminal) {
            err << '\r' << text;
            m_lineOpen = status.done < status.total;
            if (!m_lineOpen)
                err << '\n';
            err.flush();
            return;
        }
        const qint64 tenth = status.done * 10 / status.total;
        if (tenth <= m_lastTenth)
            return;
        m_lastTenth = tenth;
        err << text << Qt::endl;
    }
    // Catch-up from the sync server, as a percentage: the server counts the events still to come.
    void updateSync(qreal fraction)
    {
        if (fraction >= 1.0 && m_syncPercent < 0)
            return; // caught up at once: nothing to show
        const int percent = int(fraction * 100);
        // Only forward: a reconnect starts a new catch-up at 0, which is not news.
        if (percent <= m_syncPercent || (!m_terminal && percent / 10 == m_syncPercent / 10))
            return;
        m_syncPercent = percent;
        QTextStream &err = Output::err();
        const QString text = u"syncing: %1%"_s.arg(percent);
        if (m_terminal) {
            err << '\r' << text;
            m_lineOpen = percent < 100;
            if (!m_lineOpen)
                err << '\n';
            err.flush();
            return;
        }
        err << text << Qt::endl;
    }
    // Import progress, on a terminal only: a log or a pipe gets the one summary line on stdout.
    void updateImport(const ImportStatus &status)
    {
        if (!m_terminal)
            return;
        QString text = u"importing: %1 events"_s.arg(status.events);
        if (status.bytesTotal > 0)
            text += u" (%1%)"_s.arg(status.bytesRead * 100 / status.bytesTotal);
        Output::err() << '\r' << text;
        Output::err().flush();
        m_lineOpen = true;
    }
    // Ends a line left open by a rebuild that failed half-way, so that the error starts a line.
    void finishLine()
    {
        if (m_lineOpen)
            Output::err() << Qt::endl;
        m_lineOpen = false;
    }

private:
    bool m_terminal = stderrIsTerminal();
    bool m_lineOpen = false;
    qint64 m_lastTenth = -1;
    int m_syncPercent = -1;
};

ProgressPrinter &progress()
{
    static ProgressPrinter printer;
    return printer;
}

QString storeFile(const QString &directory)
{
    return QDir(directory).filePath(u"store.db"_s);
}

// A --bind value: JSON numbers, booleans and null bind as such, a quoted JSON string binds as its
// text (the way to pass "5" as text), anything else binds as the text it is.
QVariant bindValue(const QString &text)
{
    // QJsonDocument takes only arrays and objects: parse the value as the one element of an array.
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(u"["_s.append(text).append(u']').toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
        return text;
    const QJsonValue value = doc.array().at(0);
    switch (value.type()) {
    case QJsonValue::Null:
        return QVariant::fromValue(nullptr);
    case QJsonValue::Bool:
        return value.toBool();
    case QJsonValue::Double: {
        // toInteger() falls back for a fraction; two different fallbacks tell an integer apart.
        const qint64 a = value.toInteger(0);
        if (a == value.toInteger(1))
            return a;
        return value.toDouble();
    }
    case QJsonValue::String:
        return value.toString();
    default:
        return text;
    }
}

qsizetype longestEventName(const Schema &schema)
{
    qsizetype width = 0;
    for (const EventDef &e : schema.events())
        width = std::max(width, e.name.size());
    return width;
}

QString quoteIdentifier(const QString &name)
{
    return u'"' + QString(name).replace(u'"', u"\"\""_s) + u'"';
}

// A store.db of 0 bytes, which reading commands refuse.
QString emptyStoreFileMessage(const QString &file)
{
    return u"%1 is empty (0 bytes): it holds no store; restore it from a backup, or remove it to "
           "start a new store"_s.arg(file);
}

// Walks the eventlog in pages, in order, calling `visit` for each event; `limit` < 0 for all.
// False, with the store's errorString(), when the log cannot be read to its end (the events
// before that point have been visited).
template<typename Visit>
bool forEachEvent(Store &store, EventFilter filter, qint64 limit, Visit visit)
{
    qint64 remaining = limit;
    while (remaining != 0) {
        filter.limit = remaining < 0 ? PageSize : std::min(PageSize, remaining);
        bool ok = true;
        const QList<EventRecord> page = store.events(filter, &ok);
        for (const EventRecord &e : page)
            visit(e);
        if (!ok)
            return false;
        if (remaining > 0)
            remaining -= page.size();
        if (page.size() < filter.limit)
            break;
        filter.after = page.constLast().seqNum;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

int streamEvents(Context &context, const EventFilter &filter, qint64 limit, bool json);

int runEvents(Context &context)
{
    const QCommandLineParser &args = context.parser();
    EventFilter filter;
    filter.names = args.values(u"name"_s);
    if (args.isSet(u"after"_s)) {
        const QString text = args.value(u"after"_s);
        const auto after = SequenceNumber::fromString(text);
        if (!after)
            return context.fail(u"events: --after takes a sequence number such as e5 or e5.1, not \"%1\""_s.arg(text),
                                ExitUsage);
        filter.after = *after;
    }
    qint64 limit = -1;
    if (args.isSet(u"limit"_s)) {
        bool ok = false;
        limit = args.value(u"limit"_s).toLongLong(&ok);
        if (!ok || limit < 0)
            return context.fail(u"events: --limit takes a count (0 or more), not \"%1\""_s.arg(args.value(u"limit"_s)),
                                ExitUsage);
    }
    const bool json = args.isSet(u"json"_s);
    if (args.isSet(u"follow"_s) || args.isSet(u"confirmed"_s))
        return streamEvents(context, filter, limit, json);

    Store *store = context.openStore(false);
    if (!store)
        return ExitFailed;
    const qsizetype nameWidth = longestEventName(store->schema());
    QTextStream &out = Output::out();
    if (!forEachEvent(*store, filter, limit, [&](const EventRecord &e) {
            out << (json ? Output::eventJson(e) : Output::eventLine(e, nameWidth)) << '\n';
        }))
        return context.fail(u"events: "_s + store->errorString());
    return ExitOk;
}

int runQuery(Context &context)
{
    const QString sql = context.arguments().at(0);
    QVariantList binds;
    for (const QString &b : context.parser().values(u"bind"_s))
        binds.append(bindValue(b));

    Store *store = context.openStore(false);
    if (!store)
        return ExitFailed;
    const QueryResult result = store->query(sql, binds);
    if (!result.isValid())
        return context.fail(u"query failed: "_s + result.errorString());
    QTextStream &out = Output::out();
    if (context.parser().isSet(u"json"_s)) {
        for (const QVariantList &row : result.rows())
            out << Output::rowJson(result.columns(), row) << '\n';
    } else {
        Output::printTable(out, result);
    }
    return ExitOk;
}

int runCommit(Context &context)
{
    const QString name = context.arguments().at(0);
    const QString json = context.arguments().value(1, u"{}"_s);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return context.fail(u"commit: the arguments are not valid JSON: %1 (at character %2)"_s.arg(
                parseError.errorString()).arg(parseError.offset + 1));
    if (!doc.isObject())
        return context.fail(u"commit: the arguments must be a JSON object, such as {\"id\":\"a\"}"_s);
    const QVariantMap eventArgs = doc.object().toVariantMap();

    // Check the event against the schema before opening: a rejected first commit must not leave
    // an empty store behind. Store::commit() checks again.
    const Schema *schema = context.schema();
    if (!schema)
        return ExitFailed;
    const EventDef *def = schema->event(name);
    if (!def)
        return context.fail(u"commit: unknown event \"%1\": it is not defined in the schema"_s.arg(name));
    QString argError;
    if (!def->encodeArgs(eventArgs, &argError))
        return context.fail(u"commit: "_s + argError);

    Store *store = context.openStore(true);
    if (!store)
        return ExitFailed;
    // With the text as given: record and json arguments keep its key order.
    if (!store->commit(Event{name, eventArgs, json.toUtf8()}))
        return context.fail(u"commit: "_s + store->errorString());
    Output::out() << "committed " << store->head().toString() << '\n';
    return ExitOk;
}

int runExport(Context &context)
{
    const QString path = context.arguments().value(0, u"-"_s);
    Store *store = context.openStore(false);
    if (!store)
        return ExitFailed;

    if (path == u"-") {
        QTextStream &out = Output::out();
        if (!forEachEvent(*store, {}, -1, [&](const EventRecord &e) { out << Output::eventJson(e) << '\n'; }))
            return context.fail(u"export: "_s + store->errorString());
        return ExitOk; // main() fails the command if standard output could not be written
    }
    // Written in full or not at all: a failed export must not leave a truncated file that looks
    // like a complete one.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return context.fail(u"export: cannot write %1: %2"_s.arg(path, file.errorString()));
    QTextStream stream(&file);
    qint64 count = 0;
    const bool read = forEachEvent(*store, {}, -1, [&](const EventRecord &e) {
        stream << Output::eventJson(e) << '\n';
        ++count;
    });
    if (!read) {
        file.cancelWriting();
        return context.fail(u"export: "_s + store->errorString() + u"; %1 not written"_s.arg(path));
    }
    stream.flush();
    // QSaveFile does not hear of a write the stream saw fail (Qt 6.4: a full disk left a
    // truncated file that commit() accepted).
    if (stream.status() != QTextStream::Ok) {
        const QString why = file.errorString();
        file.cancelWriting();
        return context.fail(u"export: cannot write %1: %2"_s.arg(path, why.isEmpty() ? u"write failed"_s : why));
    }
    if (!file.commit())
        return context.fail(u"export: cannot write %1: %2"_s.arg(path, file.errorString()));
    Output::out() << "exported " << count << (count == 1 ? " event to " : " events to ") << path << '\n';
    return ExitOk;
}

int runImport(Context &context)
{
    const QString path = context.arguments().at(0);
    const bool fromStdin = path == u"-";
    const QString label = fromStdin ? u"<stdin>"_s : path;
    QFile file;
    const bool opened = fromStdin ? file.open(stdin, QIODevice::ReadOnly)
                                  : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened)
        return context.fail(u"import: cannot read %1: %2"_s.arg(label, file.errorString()));

    // Read as it goes, in one transaction (Store::importJsonLines()): the first line that is not an
    // event or breaks the chain from the root (a gap or a wrong parent would make every later
    // push of this store fail) rolls everything back, and a store this command created for the
    // import is removed again, so that a bad input leaves nothing behind.
    Store *store = context.openStore(true);
    if (!store)
        return ExitFailed;
    if (const qint64 existing = store->eventCount(); existing > 0)
        return context.fail(u"import: the store already holds %1 events; import only into a store without events"_s.arg(
                existing));
    ImportOptions options;
    options.sourceName = label;
    options.onProgress = [](const ImportStatus &status) {
        progress().updateImport(status);
        return true;
    };
    ImportStatus status;
    if (!store->importJsonLines(&file, options, &status)) {
        const QString message = u"import: "_s + store->errorString();
        if (status.inputError)
            context.removeCreatedStore();
        return context.fail(message);
    }
    progress().finishLine();
    Output::out() << "imported " << status.events << (status.events == 1 ? " event" : " events")
                  << ", head " << store->head().toString() << '\n';
    return ExitOk;
}

int runVerify(Context &context)
{
    Store *store = context.openStore(false);
    if (!store)
        return ExitFailed;
    if (!store->verify())
        return context.fail(u"verify: "_s + store->errorString());
    const qint64 count = store->eventCount();
    Output::out() << "OK: state matches a replay of " << count << (count == 1 ? " event" : " events") << '\n';
    return ExitOk;
}

int runInfo(Context &context)
{
    Store *store = context.openStore(false);
    if (!store)
        return ExitFailed;
    QStringList tables;
    for (const TableDef &t : store->schema().tables()) {
        const qint64 rows = store->query(u"SELECT count(*) FROM "_s + quoteIdentifier(t.name)).scalar().toLongLong();
        tables.append(u"%1 (%2 %3)"_s.arg(t.name).arg(rows).arg(rows == 1 ? u"row"_s : u"rows"_s));
    }
    const QList<std::pair<QString, QString>> lines = {
        {u"store id"_s, store->storeId()},
        {u"directory"_s, QDir(store->directory()).absolutePath()},
        {u"client id"_s, store->clientId()},
        {u"session id"_s, store->sessionId()},
        {u"head"_s, store->head().toString()},
        {u"events"_s, QString::number(store->eventCount())},
        {u"schema hash"_s, QString::number(store->schema().stateHash())},
        {u"tables"_s, tables.join(u", "_s)},
    };
    QTextStream &out = Output::out();
    for (const auto &[key, value] : lines)
        out << QString(key + u':').leftJustified(13) << value << '\n';
    return ExitOk;
}

int runSchema(Context &context)
{
    const QString subcommand = context.arguments().at(0);
    if (subcommand != u"export")
        return context.fail(u"schema: unknown subcommand \"%1\" (subcommands: export)"_s.arg(subcommand), ExitUsage);
    const std::optional<Schema> recorded = context.recordedSchema();
    if (!recorded)
        return ExitFailed;
    const QByteArray json = recorded->toJson(QJsonDocument::Indented);
    const QString path = context.parser().value(u"output"_s);
    if (path.isEmpty() || path == u"-") {
        Output::out() << QString::fromUtf8(json);
        return ExitOk;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size() || !file.commit())
        return context.fail(u"schema export: cannot write %1: %2"_s.arg(path, file.errorString()));
    return ExitOk;
}

// Set from the SIGINT/SIGTERM handler; `sync` polls it (a handler may do nothing else safely).
volatile std::sig_atomic_t stopRequested = 0;
extern "C" void requestStop(int) { stopRequested = 1; }

// SIGINT and SIGTERM ask `sync` to stop while it runs, the catch-up included.
struct StopSignals
{
    StopSignals()
    {
        std::signal(SIGINT, requestStop);
        std::signal(SIGTERM, requestStop);
    }
    ~StopSignals()
    {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
    }
};

int runSync(Context &context)
{
    if (context.syncSettings().url.isEmpty())
        return context.fail(u"sync: --sync-url URL is required: the sync server to follow"_s, ExitUsage);
    QTextStream &out = Output::out();
    context.setPulledEventsHandler([&out](const QList<EventRecord> &events) {
        for (const EventRecord &e : events)
            out << Output::eventJson(e) << '\n';
        out.flush(); // a reader of the pipe sees each event as it comes
    });
    const StopSignals stopSignals;
    if (!context.openStore(true))
        return ExitFailed;
    if (context.parser().isSet(u"exit-when-synced"_s) || stopRequested)
        return ExitOk;

    SyncClient *sync = context.syncClient();
    sync->setMaxReconnectDelay(30'000); // following for long: back off as far as LiveStore does
    QEventLoop loop;
    int code = ExitOk;
    // Connects, drops and reconnects are logged by the client (livestore.sync, on stderr).
    QObject::connect(sync, &SyncClient::statusChanged, &loop, [&] {
        if (sync->status() == SyncClient::Error) {
            code = context.fail(u"sync stopped: "_s + sync->lastError());
            loop.quit();
        }
    });
    QTimer stopPoll;
    QObject::connect(&stopPoll, &QTimer::timeout, &loop, [&] {
        if (stopRequested)
            loop.quit();
    });
    stopPoll.start(100);
    loop.exec();
    return code;
}

// `events --follow` and `events --confirmed`: through an EventStream, which reads the log in
// pages and then follows it (this Store's sync client's pulls, other processes' commits).
int streamEvents(Context &context, const EventFilter &filter, qint64 limit, bool json)
{
    const bool follow = context.parser().isSet(u"follow"_s);
    const StopSignals stopSignals;
    Store *store = context.openStore(false);
    if (!store)
        return ExitFailed;
    if (limit == 0 || stopRequested)
        return ExitOk;
    const qsizetype nameWidth = longestEventName(store->schema());
    QTextStream &out = Output::out();
    EventStream stream(store);
    stream.setCursor(filter.after);
    stream.setNames(filter.names);
    stream.setConfirmedOnly(context.parser().isSet(u"confirmed"_s));
    stream.setSyncClient(context.syncClient());
    QEventLoop loop;
    int code = ExitOk;
    qint64 printed = 0;
    QObject::connect(&stream, &EventStream::eventsReceived, &loop, [&](const QList<EventRecord> &events) {
        for (const EventRecord &e : events) {
            out << (json ? Output::eventJson(e) : Output::eventLine(e, nameWidth)) << '\n';
            if (++printed == limit)
                break;
        }
        out.flush(); // a reader of the pipe sees each batch as it comes
        if (printed == limit)
            loop.quit();
    });
    // Only with pending events (not --confirmed): what was printed after the cursor was
    // renumbered and follows again. A reader of the JSON lines tells it from an event by its key.
    QObject::connect(&stream, &EventStream::rebased, &loop, [&](SequenceNumber cursor) {
        if (json)
            out << "{\"rebased\":\"" << cursor.toString() << "\"}\n";
        else
            out << "-- rebased: the events after " << cursor.toString() << " follow again, renumbered\n";
        out.flush();
    });
    QObject::connect(&stream, &EventStream::caughtUpChanged, &loop, [&] {
        if (!follow && stream.isCaughtUp())
            loop.quit();
    });
    QObject::connect(&stream, &EventStream::errorOccurred, &loop, [&](const QString &error) {
        code = context.fail(u"events: "_s + error);
        loop.quit();
    });
    QTimer stopPoll;
    QObject::connect(&stopPoll, &QTimer::timeout, &loop, [&] {
        if (stopRequested)
            loop.quit();
    });
    stopPoll.start(100);
    if (!stream.start())
        return context.fail(u"events: "_s + stream.errorString());
    loop.exec();
    return code;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------

const Schema *Context::schema()
{
    if (m_schema)
        return &*m_schema;
    if (m_location.schemaFile.isEmpty()) {
        m_schema = recordedSchema();
        return m_schema ? &*m_schema : nullptr;
    }
    Schema loaded = Schema::fromFile(m_location.schemaFile);
    if (!loaded.isValid()) {
        fail(u"cannot load the schema %1: %2"_s.arg(m_location.schemaFile, loaded.errorString()));
        return nullptr;
    }
    m_schema = std::move(loaded);
    return &*m_schema;
}

std::optional<Schema> Context::recordedSchema()
{
    const QString &directory = m_location.directory;
    if (!QFileInfo::exists(storeFile(directory))) {
        fail(u"there is no store in %1 (no store.db)"_s.arg(directory));
        return std::nullopt;
    }
    if (QFileInfo(storeFile(directory)).size() == 0) {
        fail(emptyStoreFileMessage(storeFile(directory)));
        return std::nullopt;
    }
    Schema recorded = Schema::fromStore(directory);
    if (recorded.isValid())
        return recorded;
    // A store last written before stores recorded their schema: its app (or this tool with
    // --schema) records it on the next open for writing.
    if (recorded.errorString().contains(u"records no schema"_s))
        fail(u"the store in %1 records no schema (it was last written before stores recorded theirs): "
             "pass --schema FILE; once without --read-only records it for the commands after"_s.arg(directory));
    else
        fail(u"cannot use the schema the store records: %1; pass --schema FILE"_s.arg(recorded.errorString()));
    return std::nullopt;
}

Context::~Context() = default;

Store *Context::openStore(bool create)
{
    if (m_store)
        return m_store.get();
    const Schema *loaded = schema();
    if (!loaded)
        return nullptr;
    const bool syncing = !m_syncSettings.url.isEmpty();
    if (create && m_location.readOnly) {
        fail(u"this command writes to the store; it cannot run with --read-only"_s);
        return nullptr;
    }
    // A store.db of 0 bytes (a copy or a disk that failed) holds nothing: reading commands would
    // otherwise make a new, empty store of it and report on that (verify said "OK").
    if (!create && !syncing && QFileInfo::exists(storeFile(m_location.directory))
        && QFileInfo(storeFile(m_location.directory)).size() == 0) {
        fail(emptyStoreFileMessage(storeFile(m_location.directory)));
        return nullptr;
    }
    // A store that syncs may start empty: the server has its events.
    if (!create && !syncing && !QFileInfo::exists(storeFile(m_location.directory))) {
        fail(u"there is no store in %1 (no store.db); commit or import events to create one"_s.arg(
                m_location.directory));
        return nullptr;
    }
    // What opening creates, so that removeCreatedStore() can take it away again.
    m_createdStoreFile = !QFileInfo::exists(storeFile(m_location.directory));
    m_createdDirectories.clear();
    for (QString dir = QDir(m_location.directory).absolutePath(); !QFileInfo::exists(dir);) {
        m_createdDirectories.append(dir);
        const QString parent = QFileInfo(dir).absolutePath();
        if (parent == dir)
            break;
        dir = parent;
    }
    StoreOptions options;
    options.storeId = m_location.storeId;
    options.schema = *loaded;
    options.directory = m_location.directory;
    options.onBootStatus = [](const BootStatus &status) { progress().update(status); };
    options.recordChangesets = syncing; // rebasing rolls pending events back with them
    // A tool opens stores of unknown health: find a damaged file before reading it, and before
    // writing to it with the full check (quick_check does not compare indexes with their tables).
    options.integrityCheck = create || syncing ? IntegrityCheck::Full : IntegrityCheck::Quick;
    options.readOnly = m_location.readOnly;
    auto store = std::make_unique<Store>();
    if (!store->open(options)) {
        fail(u"cannot open the store in %1: %2"_s.arg(m_location.directory, store->errorString()));
        return nullptr;
    }
    m_store = std::move(store);
    if (syncing) {
        m_sync = std::make_unique<SyncClient>(m_store.get());
        m_sync->setUrl(m_syncSettings.url);
        m_sync->setPayload(m_syncSettings.payload);
        // One try is enough for a tool: a server that cannot be reached is reported, not retried
        // for half a minute.
        m_sync->setMaxReconnectDelay(2000);
        if (m_onPulled)
            QObject::connect(m_sync.get(), &SyncClient::eventsPulled, m_sync.get(), m_onPulled);
        QObject::connect(m_sync.get(), &SyncClient::catchUpProgressChanged, m_sync.get(),
                         [sync = m_sync.get()] { progress().updateSync(sync->catchUpProgress()); });
        m_sync->start();
        if (!sync(u"before the command"_s))
            return nullptr;
    }
    return m_store.get();
}

void Context::removeCreatedStore()
{
    if (!m_createdStoreFile)
        return;
    m_sync.reset();
    m_store.reset(); // closes the database and releases the lock file
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        QFile::remove(storeFile(m_location.directory) + QLatin1StringView(suffix));
    for (const QString &dir : std::as_const(m_createdDirectories))
        QDir().rmdir(dir); // only if empty: nothing but what opening made
    m_createdStoreFile = false;
    m_createdDirectories.clear();
}

bool Context::sync(const QString &when)
{
    if (m_sync->waitForSynced(m_syncSettings.timeoutMs))
        return true;
    progress().finishLine();
    QString reason = m_sync->lastError();
    if (m_sync->status() != SyncClient::Error) {
        const QString timedOut = u"not in sync after %1 s"_s.arg(m_syncSettings.timeoutMs / 1000.0);
        reason = reason.isEmpty() ? timedOut : timedOut + u" ("_s + reason + u')';
    }
    QString message = u"sync with %1 failed %2: %3"_s.arg(m_syncSettings.url.toString(), when, reason);
    if (const int pending = m_sync->pendingCount(); pending > 0)
        message += u"; %1 local %2 not pushed yet (kept: the next sync pushes them)"_s.arg(pending).arg(
                pending == 1 ? u"event"_s : u"events"_s);
    fail(message);
    return false;
}

int Context::finish(int code)
{
    if (code == ExitOk && m_sync && m_sync->pendingCount() > 0 && !sync(u"after the command"_s))
        return ExitFailed;
    return code;
}

int Context::fail(const QString &message, ExitCode code)
{
    progress().finishLine();
    Output::error(message);
    return code;
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const QList<Command> &commands()
{
    static const QList<Command> table = {
        {u"events"_s,
         u"[--name NAME]... [--after SEQ] [--limit N] [--json] [--follow] [--confirmed]"_s,
         u"List the eventlog in order: sequence number, name, arguments, client.\n"
         "With --follow, keep printing events as they reach the log (commits of other\n"
         "processes, events pulled with --sync-url) until interrupted (SIGINT/SIGTERM)."_s,
         {QCommandLineOption(u"name"_s, u"Only events named NAME; repeat for several names."_s, u"NAME"_s),
          QCommandLineOption(u"after"_s, u"Only events after SEQ, such as e5 or e5.1: the cursor\n"
                                         "to resume from (the last event seen; e0: the start)."_s, u"SEQ"_s),
          QCommandLineOption(u"limit"_s, u"At most N events (with --follow: exit after N)."_s, u"N"_s),
          QCommandLineOption(u"json"_s, u"One JSON object per line, as export writes them."_s),
          QCommandLineOption(u"follow"_s, u"Keep following the log, like tail -f."_s),
          QCommandLineOption(u"confirmed"_s, u"Only events a sync server has confirmed: never\n"
                                             "renumbered by a rebase. Without it, a rebase under\n"
                                             "printed events prints a rebased line."_s)},
         0, 0, runEvents},
        {u"query"_s,
         u"SQL [--bind VALUE]... [--json]"_s,
         u"Run a read-only SQL query on the state and print the rows as a table."_s,
         {QCommandLineOption(u"bind"_s,
                             u"A value for the next ? in SQL. A JSON number, true, false or null binds\n"
                             "as such, a quoted JSON string as its text, anything else as text."_s,
                             u"VALUE"_s),
          QCommandLineOption(u"json"_s, u"One JSON object per row, one per line."_s)},
         1, 1, runQuery},
        {u"commit"_s,
         u"NAME [JSON]"_s,
         u"Commit one event NAME with the arguments JSON, an object (default {}).\n"
         "Prints the new head. Creates the store if there is none."_s,
         {},
         1, 2, runCommit},
        {u"export"_s,
         u"[FILE]"_s,
         u"Write the eventlog as JSON lines, one event per line, to FILE or stdout."_s,
         {},
         0, 1, runExport},
        {u"import"_s,
         u"FILE"_s,
         u"Append the events of a JSON lines FILE (- for stdin), as export wrote them,\n"
         "to a store that holds no events yet, reading it as it goes (memory does not grow\n"
         "with the file). All or nothing, in one transaction: the first line that is not\n"
         "valid UTF-8 and JSON or that breaks the chain of numbers and parents stops it (a\n"
         "store created for the import is removed again), as does an event the store\n"
         "refuses. Shows progress on stderr when that is a terminal."_s,
         {},
         1, 1, runImport},
        {u"verify"_s,
         QString(),
         u"Check the file (SQLite's integrity check) and the eventlog's chain of numbers and\n"
         "parents, then replay the eventlog into a fresh state and compare it with the\n"
         "stored state."_s,
         {},
         0, 0, runVerify},
        {u"info"_s,
         QString(),
         u"Show the store id, client and session ids, head, event count, schema hash\n"
         "and table sizes."_s,
         {},
         0, 0, runInfo},
        {u"sync"_s,
         u"--sync-url URL [--exit-when-synced]"_s,
         u"Follow the sync server: print each event it delivers as a JSON line (as export\n"
         "writes them), the catch-up first, then live, until interrupted (SIGINT/SIGTERM)."_s,
         {QCommandLineOption(u"exit-when-synced"_s,
                             u"Exit once caught up and every local event is confirmed."_s)},
         0, 0, runSync},
        {u"schema"_s,
         u"export [-o FILE]"_s,
         u"Write the schema the store records (the one it was last opened with for writing)\n"
         "as a schema file, to stdout or FILE; it works as --schema FILE. Reads the store\n"
         "without its lock, so also beside an app that has it open. Events with a C++\n"
         "materializer show \"materializer\": {\"cpp\": true}: the commands read them, but\n"
         "cannot commit or replay them."_s,
         {QCommandLineOption({u"o"_s, u"output"_s}, u"Write to FILE instead of stdout."_s, u"FILE"_s)},
         1, 1, runSchema, false},
    };
    return table;
}

const Command *findCommand(QStringView name)
{
    for (const Command &c : commands()) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}
