// SPDX-License-Identifier: BSD-3-Clause
// The livestore tool's commands. A command is one entry in commands(): its name, what it takes and
// a function that runs it; main.cpp parses the command line and help is generated from the table,
// so adding a command means adding an entry here and its function in commands.cpp.
#ifndef LIVESTORE_CLI_COMMANDS_H
#define LIVESTORE_CLI_COMMANDS_H

#include <store.h>

#include <QtCore/qcommandlineoption.h>
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

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
    QString schemaFile;
    QString storeId; // resolved: given or derived from the directory's name
};

// What a running command gets: its parsed arguments, and the store, opened on request so that a
// command can check its input first and fail without touching the store.
class Context
{
public:
    Context(const QCommandLineParser &parser, const StoreLocation &location)
        : m_parser(parser), m_location(location) { }

    const QCommandLineParser &parser() const { return m_parser; }
    QStringList arguments() const { return m_parser.positionalArguments(); }
    const StoreLocation &location() const { return m_location; }

    // The schema file, loaded on first use. Prints the error and returns nullptr on failure.
    const LiveStore::Schema *schema();

    // Loads the schema and opens the store, printing progress while it is rebuilt. With `create`,
    // a store that does not exist yet is created; without, that is an error (a read must not leave
    // an empty store behind). Prints the error and returns nullptr on failure.
    LiveStore::Store *openStore(bool create);

    // Prints `livestore: <message>` on stderr and returns ExitFailed (or `code`).
    int fail(const QString &message, ExitCode code = ExitFailed);

private:
    const QCommandLineParser &m_parser;
    StoreLocation m_location;
    std::optional<LiveStore::Schema> m_schema;
    std::unique_ptr<LiveStore::Store> m_store;
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
};

const QList<Command> &commands();
const Command *findCommand(QStringView name);

#endif // LIVESTORE_CLI_COMMANDS_H
