// SPDX-License-Identifier: BSD-3-Clause
// livestore: inspect and change a LiveStore store from the command line.
//
//     livestore --store DIR [--schema FILE] [--store-id ID] [--sync-url URL] COMMAND [ARGS]
//
// This file parses the command line and prints help; the commands are in commands.cpp.

#include "commands.h"
#include "output.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qstringconverter.h>

#include <cstdlib>
#include <cstring>

using namespace Qt::StringLiterals;

namespace {

const QCommandLineOption StoreOption(u"store"_s, u"The store's directory (required)."_s, u"DIR"_s);
const QCommandLineOption SchemaOption(
        u"schema"_s,
        u"The schema file, JSON. Default: the schema the store records (the one it\n"
        "was last opened with for writing). Given, it replaces the recorded one the\n"
        "next time the store is opened for writing."_s,
        u"FILE"_s);
const QCommandLineOption StoreIdOption(
        u"store-id"_s,
        u"The store id. Default: the directory's name, when that is a valid id\n"
        "(letters, digits, '_' and '-')."_s,
        u"ID"_s);
const QCommandLineOption ReadOnlyOption(
        u"read-only"_s,
        u"Open the store for reading only, beside an app that has it open: no lock\n"
        "is taken and nothing is written; commands that write are refused."_s);
const QCommandLineOption SyncUrlOption(
        u"sync-url"_s,
        u"Sync with the LiveStore sync server at URL (ws:// or wss://): before the\n"
        "command, pull to the server's head and push pending events; after it, push\n"
        "what it committed. Fails when not in sync within --sync-timeout."_s,
        u"URL"_s);
const QCommandLineOption SyncPayloadOption(
        u"sync-payload"_s, u"JSON sent to the sync server with every request, such as\n"
                           "{\"authToken\":\"...\"}."_s,
        u"JSON"_s);
const QCommandLineOption SyncTimeoutOption(u"sync-timeout"_s,
                                           u"Seconds to wait for the sync (default 30)."_s,
                                           u"SECONDS"_s);
const QCommandLineOption HelpOption({u"h"_s, u"help"_s},
                                    u"Show this help; after a command, that command's help."_s);
const QCommandLineOption VersionOption({u"v"_s, u"version"_s}, u"Show the version."_s);

// The options that say where the store is. They are accepted after the command as well, so that
// `livestore events --store DIR ...` works as people tend to type it.
QList<QCommandLineOption> locationOptions()
{
    return {StoreOption, SchemaOption, StoreIdOption, ReadOnlyOption, SyncUrlOption, SyncPayloadOption,
            SyncTimeoutOption};
}

// "  --name NAME   description", descriptions aligned; a description's further lines indented
// under its first.
QString optionLines(const QList<QCommandLineOption> &options, int indent)
{
    QStringList heads;
    qsizetype width = 0;
    for (const QCommandLineOption &o : options) {
        QStringList names;
        for (const QString &n : o.names())
            names.append((n.size() == 1 ? u"-"_s : u"--"_s) + n);
        QString head = names.join(u", "_s);
        if (!o.valueName().isEmpty())
            head += u' ' + o.valueName();
        width = std::max(width, head.size());
        heads.append(head);
    }
    const QString margin(indent, u' ');
    QString text;
    for (qsizetype i = 0; i < options.size(); ++i) {
        const QStringList lines = options.at(i).description().split(u'\n');
        text += margin + heads.at(i).leftJustified(width) + u"  "_s + lines.constFirst() + u'\n';
        for (qsizetype l = 1; l < lines.size(); ++l)
            text += margin + QString(width + 2, u' ') + lines.at(l) + u'\n';
    }
    return text;
}

QString commandUsage(const Command &command)
{
    return command.synopsis.isEmpty() ? command.name : command.name + u' ' + command.synopsis;
}

QString commandHelp(const Command &command, int indent)
{
    const QString margin(indent, u' ');
    QString text = margin + commandUsage(command) + u'\n';
    for (const QString &line : command.description.split(u'\n'))
        text += margin + u"    "_s + line + u'\n';
    if (!command.options.isEmpty())
        text += optionLines(command.options, indent + 4);
    return text;
}

QString helpText()
{
    QString text = u"Usage: livestore --store DIR [--schema FILE] [--store-id ID] [--sync-url URL] COMMAND [ARGS]\n"
                    "       livestore COMMAND --help\n"
                    "\n"
                    "Inspect and change a LiveStore store: its eventlog and its SQLite state.\n"
                    "\n"
                    "Options:\n"_s;
    text += optionLines(locationOptions() + QList<QCommandLineOption>{HelpOption, VersionOption}, 2);
    text += u"\nCommands:\n"_s;
    for (const Command &c : commands())
        text += commandHelp(c, 2) + u'\n';
    text += u"Exit status: 0 on success, 1 when the command failed, 2 for a usage error.\n"_s;
    return text;
}

int usageError(const QString &message, const Command *command = nullptr)
{
    Output::error(message);
    Output::err() << "Try 'livestore " << (command ? command->name + u' ' : QString()) << "--help'."
                  << Qt::endl;
    return ExitUsage;
}

// Qt messages (the library's warnings) in the tool's own format, on the same stream as its errors.
void messageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    // Store::open() both logs its failure and returns it; the tool prints the returned error.
    if (type == QtWarningMsg && context.category && std::strcmp(context.category, "livestore.store") == 0
        && message.startsWith(u"cannot open store"_s))
        return;
    const char *kind = "debug";
    switch (type) {
    case QtDebugMsg:
        break;
    case QtInfoMsg:
        kind = "info";
        break;
    case QtWarningMsg:
        kind = "warning";
        break;
    case QtCriticalMsg:
    case QtFatalMsg:
        kind = "error";
        break;
    }
    Output::out().flush();
    Output::err() << "livestore: " << kind << ": " << message << Qt::endl;
    if (type == QtFatalMsg)
        std::abort();
}

int run(const QStringList &arguments)
{
    QCommandLineParser global;
    // Everything from the command on is the command's, to be parsed with its own options.
    global.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    global.addOptions(locationOptions());
    global.addOption(HelpOption);
    global.addOption(VersionOption);
    if (!global.parse(arguments))
        return usageError(global.errorText());
    if (global.isSet(HelpOption)) {
        Output::out() << helpText();
        return ExitOk;
    }
    if (global.isSet(VersionOption)) {
        Output::out() << "livestore " << QCoreApplication::applicationVersion() << '\n';
        return ExitOk;
    }

    const QStringList positional = global.positionalArguments();
    if (positional.isEmpty())
        return usageError(u"no command given"_s);
    const Command *command = findCommand(positional.constFirst());
    if (!command) {
        QStringList names;
        for (const Command &c : commands())
            names.append(c.name);
        return usageError(u"unknown command \"%1\" (commands: %2)"_s.arg(positional.constFirst(),
                                                                         names.join(u", "_s)));
    }

    QCommandLineParser parser;
    parser.addOptions(command->options);
    parser.addOptions(locationOptions());
    parser.addOption(HelpOption);
    if (!parser.parse(QStringList{u"livestore "_s + command->name} + positional.mid(1)))
        return usageError(command->name + u": "_s + parser.errorText(), command);
    if (parser.isSet(HelpOption)) {
        Output::out() << "Usage: livestore --store DIR [--schema FILE] [--store-id ID] [--sync-url URL] "
                      << commandUsage(*command) << "\n\n"
                      << command->description << '\n';
        if (!command->options.isEmpty())
            Output::out() << "\nOptions:\n" << optionLines(command->options, 2);
        return ExitOk;
    }
    const qsizetype count = parser.positionalArguments().size();
    if (count < command->minArguments || count > command->maxArguments) {
        const QString problem = count < command->minArguments ? u"missing arguments"_s
                                                              : u"too many arguments"_s;
        return usageError(u"%1: %2; usage: livestore %3"_s.arg(command->name, problem,
                                                              commandUsage(*command)),
                          command);
    }

    // An option after the command wins over the same one before it.
    auto location = [&](const QCommandLineOption &option) {
        return parser.isSet(option) ? parser.value(option) : global.value(option);
    };
    StoreLocation where{location(StoreOption), location(SchemaOption), location(StoreIdOption),
                        parser.isSet(ReadOnlyOption) || global.isSet(ReadOnlyOption)};
    if (where.directory.isEmpty())
        return usageError(u"missing --store DIR: the store's directory"_s);
    // Without --schema, the schema the store records: there must be a store to read it from.
    if (where.schemaFile.isEmpty() && command->usesSchema
        && !QFileInfo::exists(QDir(where.directory).filePath(u"store.db"_s)))
        return usageError(u"missing --schema FILE: the store's schema file (there is no store in %1 "
                           "whose recorded schema could be used)"_s.arg(where.directory));
    if (!where.schemaFile.isEmpty() && !command->usesSchema)
        return usageError(u"%1 takes no --schema: it reads the schema the store records"_s.arg(command->name),
                          command);
    if (where.storeId.isEmpty()) {
        const QString name = QFileInfo(QDir::cleanPath(QDir(where.directory).absolutePath())).fileName();
        if (!LiveStore::isValidStoreId(name))
            return usageError(u"the directory name \"%1\" is not a valid store id (letters, digits, '_' and "
                               "'-'); pass --store-id ID"_s.arg(name));
        where.storeId = name;
    } else if (!LiveStore::isValidStoreId(where.storeId)) {
        return usageError(u"invalid --store-id \"%1\": use letters, digits, '_' and '-'"_s.arg(where.storeId));
    }

    SyncSettings sync;
    if (const QString url = location(SyncUrlOption); !url.isEmpty()) {
        sync.url = QUrl(url, QUrl::StrictMode);
        if (!sync.url.isValid() || (sync.url.scheme() != u"ws" && sync.url.scheme() != u"wss"))
            return usageError(u"invalid --sync-url \"%1\": a ws:// or wss:// URL is expected"_s.arg(url));
    }
    if (const QString payload = location(SyncPayloadOption); !payload.isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(u"["_s.append(payload).append(u']').toUtf8(), &error);
        if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
            return usageError(u"invalid --sync-payload: not one JSON value (%1)"_s.arg(
                    error.error != QJsonParseError::NoError ? error.errorString() : u"several values"_s));
        sync.payload = doc.array().at(0);
    }
    if (const QString timeout = location(SyncTimeoutOption); !timeout.isEmpty()) {
        bool ok = false;
        const double seconds = timeout.toDouble(&ok);
        if (!ok || seconds <= 0 || seconds > 86400)
            return usageError(u"invalid --sync-timeout \"%1\": seconds, more than 0"_s.arg(timeout));
        sync.timeoutMs = int(seconds * 1000);
    }
    if (sync.url.isEmpty() && (!sync.payload.isUndefined() || !location(SyncTimeoutOption).isEmpty()))
        return usageError(u"--sync-payload and --sync-timeout need --sync-url"_s);
    if (where.readOnly && !sync.url.isEmpty())
        return usageError(u"--read-only and --sync-url cannot go together: syncing writes to the store"_s);

    // The sync client's connection chatter is for `sync`, which follows the server; the other
    // commands report only what fails. (QT_LOGGING_RULES still overrides this.)
    if (command->name != u"sync")
        QLoggingCategory::setFilterRules(u"livestore.sync.info=false"_s);

    Context context(parser, where, sync);
    return context.finish(command->run(context));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"livestore"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LIVESTORE_VERSION));
    qInstallMessageHandler(messageHandler);

    // Qt decodes the arguments with U+FFFD for bytes that are not UTF-8: an event argument
    // would then be committed changed, without a word.
    for (int i = 1; i < argc; ++i) {
        QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString decoded = utf8.decode(QByteArrayView(argv[i]));
        if (utf8.hasError()) {
            Output::err() << "livestore: argument " << i << " is not valid UTF-8\n";
            Output::err().flush();
            return ExitUsage;
        }
    }

    int code = run(QCoreApplication::arguments());
    Output::out().flush();
    // An export to standard output on a full disk must not look like a complete one.
    if (Output::out().status() != QTextStream::Ok) {
        Output::err() << "livestore: cannot write to standard output (is the disk full?): the output is incomplete\n";
        if (code == ExitOk)
            code = ExitFailed;
    }
    Output::err().flush();
    return code;
}
