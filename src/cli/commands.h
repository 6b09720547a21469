// SPDX-License-Identifier: BSD-3-Clause
// The livestore tool's commands. A command is one entry in commands(): its name, what it takes and
// a function that runs it; main.cpp parses the command line and help is generated from the table,
// so adding a command means adding an entry here and its function in commands.cpp.
#ifndef LIVESTORE_CLI_COMMANDS_H
#define LIVESTORE_CLI_COMMANDS_H

#include <eventchain.h>
#include <store.h>
#include <sync/syncclient.h>

#include <QtCore/qcommandlineoption.h>
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qlist.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>
#include <QtCore/qurl.h>

#include <functional>
#include <memory>
#include <optional>

enum ExitCode {
    ExitOk = 0,
    ExitFailed = 1, // the command ran and failed
    ExitUsage = 2,  // the command line is wrong: nothing was done
};

// Where the store is, from the options that come before (or after) the command.
struct StoreLocation
{
    QString directory;
    QString schemaFile; // empty: the schema the store records
    QString storeId; // resolved: given or derived from the directory's name
    bool readOnly = false; // --read-only: beside an app that has the store open
};

// --sync-url and friends: with a URL, the store is brought up to date with the sync server
// before the command runs, and what the command commits is pushed before the tool exits.
struct SyncSettings
{
    QUrl url; // empty: no syncing
    QJsonValue payload = QJsonValue::Undefined;
    int timeoutMs = 30'000;
};

// What a running command gets: its parsed arguments, and the store, opened on request so that a
// command can check its input first and fail without touching the store.
class Context
{
public:
    Context(const QCommandLineParser &parser, const StoreLocation &location, const SyncSettings &sync)
        : m_parser(parser), m_location(location), m_syncSettings(sync) { }
    ~Context();

    const QCommandLineParser &parser() const { return m_parser; }
    QStringList arguments() const { return m_parser.positionalArguments(); }
    const StoreLocation &location() const { return m_location; }
    const SyncSettings &syncSettings() const { return m_syncSettings; }

    // The schema, loaded on first use: the --schema file, or else the schema the store records
    // (Schema::fromStore()). Prints the error and returns nullptr on failure.
    const LiveStore::Schema *schema();
    // The schema the store records; prints the error and returns nullopt on failure.
    std::optional<LiveStore::Schema> recordedSchema();

    // Loads the schema and opens the store, printing progress while it is rebuilt. With `create`,
    // a store that does not exist yet is created; without, that is an error (a read must not leave
    // an empty store behind). Prints the error and returns nullptr on failure.
    // With --sync-url the store is created if need be, then synced (pulled to the server's head,
    // pending events pushed and confirmed) before it is returned; a sync that fails or times out
    // is a failure.
    LiveStore::Store *openStore(bool create);

    // Closes the store and removes it again if openStore() created it (store.db did not exist):
    // for a command that failed on its input after opening, such as an import. A store that
    // existed stays.
    void removeCreatedStore();

    // The sync client once openStore() ran with --sync-url; null otherwise.
    LiveStore::SyncClient *syncClient() const { return m_sync.get(); }
    // Called with the events the server delivers, from the first sync on: set it before
    // openStore() to see the catch-up too.
    void setPulledEventsHandler(std::function<void(const QList<LiveStore::EventRecord> &)> handler)
    {
        m_onPulled = std::move(handler);
    }

    // After the command: with --sync-url, waits until what it committed is confirmed by the
    // server. Returns the exit code.
    int finish(int code);

    // Prints `livestore: <message>` on stderr and returns ExitFailed (or `code`).
    int fail(const QString &message, ExitCode code = ExitFailed);

private:
    const QCommandLineParser &m_parser;
    bool sync(const QString &when);

    StoreLocation m_location;
    SyncSettings m_syncSettings;
    std::function<void(const QList<LiveStore::EventRecord> &)> m_onPulled;
    std::optional<LiveStore::Schema> m_schema;
    bool m_createdStoreFile = false;      // openStore() created store.db
    QStringList m_createdDirectories;     // ... and these directories, deepest first
    std::unique_ptr<LiveStore::Store> m_store;
    std::unique_ptr<LiveStore::SyncClient> m_sync; // declared after the store: destroyed first
};

struct Command
{
    QString name;
    QString synopsis;    // the arguments and options after the name, for help
    QString description; // one or a few lines, for help
    QList<QCommandLineOption> options;
    qsizetype minArguments = 0;
    qsizetype maxArguments = 0;
    int (*run)(Context &context) = nullptr;
    // Opens the store with a schema: the --schema file, or else the one the store records.
    bool usesSchema = true;
};

const QList<Command> &commands();
const Command *findCommand(QStringView name);

#endif // LIVESTORE_CLI_COMMANDS_H
