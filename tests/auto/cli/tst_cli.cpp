// SPDX-License-Identifier: BSD-3-Clause
// The livestore tool, run as users run it: the built binary through QProcess, checking stdout,
// stderr, the exit code and what ends up in the store.

#include "clirun.h"

#include <materializercontext.h>
#include <schema.h>
#include <store.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtTest/qsignalspy.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlengine.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>
#include <unistd.h>
#ifdef Q_OS_UNIX
#  include <sys/resource.h>
#endif

using namespace Qt::StringLiterals;

namespace {

// The test's own schema, so that it does not depend on the examples: a todo table, two events and a
// client document (whose client-only Set event gives e3.1-style numbers).
constexpr auto SchemaJson = R"json({
  "version": 1,
  "tables": [
    { "name": "todos", "columns": [
      { "name": "id", "type": "text", "primaryKey": true },
      { "name": "text", "type": "text", "default": "" },
      { "name": "completed", "type": "boolean", "default": false } ] }
  ],
  "clientDocuments": [
    { "name": "uiState", "default": { "id": "default", "value": { "filter": "all" } } }
  ],
  "events": [
    { "name": "v1.TodoCreated", "args": { "id": "string", "text": "string" },
      "materializer": "INSERT INTO todos (id, text) VALUES ($id, $text)" },
    { "name": "v1.TodoCompleted", "args": { "id": "string" },
      "materializer": "UPDATE todos SET completed = 1 WHERE id = $id" }
  ]
})json";

// The same with one more column: a different state hash, so opening with it rebuilds the state.
constexpr auto WideSchemaJson = R"json({
  "version": 1,
  "tables": [
    { "name": "todos", "columns": [
      { "name": "id", "type": "text", "primaryKey": true },
      { "name": "text", "type": "text", "default": "" },
      { "name": "completed", "type": "boolean", "default": false },
      { "name": "priority", "type": "integer", "default": 0 } ] }
  ],
  "clientDocuments": [
    { "name": "uiState", "default": { "id": "default", "value": { "filter": "all" } } }
  ],
  "events": [
    { "name": "v1.TodoCreated", "args": { "id": "string", "text": "string" },
      "materializer": "INSERT INTO todos (id, text) VALUES ($id, $text)" },
    { "name": "v1.TodoCompleted", "args": { "id": "string" },
      "materializer": "UPDATE todos SET completed = 1 WHERE id = $id" }
  ]
})json";

QStringList jsonLines(const QString &text)
{
    return text.split(u'\n', Qt::SkipEmptyParts);
}

QJsonObject parseObject(const QString &line)
{
    return QJsonDocument::fromJson(line.toUtf8()).object();
}

QStringList seqNums(const QString &eventsJson)
{
    QStringList out;
    for (const QString &line : jsonLines(eventsJson)) {
        const QJsonObject seq = parseObject(line).value(u"seqNum"_s).toObject();
        QString text = u"e"_s + QString::number(seq.value(u"global"_s).toInteger());
        if (const qint64 client = seq.value(u"client"_s).toInteger())
            text += u'.' + QString::number(client);
        out.append(text);
    }
    return out;
}

} // namespace


class tst_Cli : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString m_schema;
    QString m_wideSchema;
    QString m_fixture;  // a store with e1, e2, e3 and e3.1, only read by the tests
    QString m_clientId; // the fixture's client id


    // How an app (here: this process) opens a store the tool works on too.
    LiveStore::StoreOptions appOptions(const QString &store) const
    {
        LiveStore::StoreOptions options;
        options.storeId = u"todos"_s;
        options.schema = LiveStore::Schema::fromFile(m_schema);
        options.directory = store;
        return options;
    }

    QStringList on(const QString &store, const QStringList &args, const QString &schema = {}) const
    {
        return QStringList{u"--store"_s, store, u"--schema"_s, schema.isEmpty() ? m_schema : schema} + args;
    }

    // Runs SQL on a store's file behind its back (no tool runs, so nothing holds it).
    static bool execSql(const QString &store, const char *sql)
    {
        sqlite3 *db = nullptr;
        if (sqlite3_open(QFile::encodeName(QDir(store).filePath(u"store.db"_s)).constData(), &db) != SQLITE_OK)
            return false;
        char *message = nullptr;
        const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
        if (rc != SQLITE_OK)
            qWarning("%s", message);
        sqlite3_free(message);
        sqlite3_close(db);
        return rc == SQLITE_OK;
    }

    // The text of a one-value query on a store's file.
    static QByteArray fileBytesOf(const QString &store, const char *sql)
    {
        sqlite3 *db = nullptr;
        QByteArray out;
        sqlite3_stmt *st = nullptr;
        if (sqlite3_open_v2(QFile::encodeName(QDir(store).filePath(u"store.db"_s)).constData(), &db,
                            SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK
            && sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            out = QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(st, 0)), sqlite3_column_bytes(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }

    static QByteArray fileBytes(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    static bool writeFile(const QString &path, const QByteArray &contents)
    {
        QFile f(path);
        return f.open(QIODevice::WriteOnly) && f.write(contents) == contents.size();
    }

    // A fresh, not yet existing store directory named `todos` (the default store id).
    static QString newStore(const QTemporaryDir &dir) { return dir.filePath(u"todos"_s); }

    // Creates the fixture's content in `store`.
    bool fill(const QString &store)
    {
        const QList<QStringList> commits = {
            {u"v1.TodoCreated"_s, uR"({"id":"a","text":"Buy milk"})"_s},
            {u"v1.TodoCreated"_s, uR"({"id":"b","text":"Walk the dog"})"_s},
            {u"v1.TodoCompleted"_s, uR"({"id":"a"})"_s},
            {u"uiStateSet"_s, uR"({"value":{"filter":"done"}})"_s},
        };
        for (const QStringList &c : commits) {
            if (runCli(on(store, QStringList{u"commit"_s} + c)).exitCode != 0)
                return false;
        }
        return true;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY(QFileInfo(QStringLiteral(LIVESTORE_CLI_PATH)).isExecutable());
        m_schema = m_tmp.filePath(u"todos.json"_s);
        m_wideSchema = m_tmp.filePath(u"todos-wide.json"_s);
        QVERIFY(writeFile(m_schema, SchemaJson));
        QVERIFY(writeFile(m_wideSchema, WideSchemaJson));
        m_fixture = m_tmp.filePath(u"fixture/todos"_s);
        QVERIFY(fill(m_fixture));
        const Run events = runCli(on(m_fixture, {u"events"_s, u"--json"_s}));
        QCOMPARE_EXIT(events, 0);
        m_clientId = parseObject(jsonLines(events.out).value(0)).value(u"clientId"_s).toString();
        QVERIFY(!m_clientId.isEmpty());
    }

    void help()
    {
        const Run r = runCli({u"--help"_s});
        QCOMPARE_EXIT(r, 0);
        QVERIFY(r.err.isEmpty());
        QVERIFY(r.out.startsWith(u"Usage: livestore --store DIR [--schema FILE] [--store-id ID] [--sync-url URL] COMMAND [ARGS]\n"_s));
        // Every option and every command is documented.
        const QStringList documented = {
            u"--store DIR"_s, u"--schema FILE"_s, u"--store-id ID"_s, u"--read-only"_s, u"-h, --help"_s,
            u"-v, --version"_s,
            u"events [--name NAME]... [--after SEQ] [--limit N] [--json]"_s, u"--name NAME"_s,
            u"--after SEQ"_s, u"--limit N"_s, u"--json"_s, u"query SQL [--bind VALUE]... [--json]"_s,
            u"--bind VALUE"_s, u"commit NAME [JSON]"_s, u"export [FILE]"_s, u"import FILE"_s,
            u"\n  verify\n"_s, u"\n  info\n"_s, u"--sync-url URL"_s, u"--sync-payload JSON"_s,
            u"--sync-timeout SECONDS"_s, u"sync --sync-url URL [--exit-when-synced]"_s, u"--exit-when-synced"_s,
            u"schema export [-o FILE]"_s, u"-o, --output FILE"_s, u"Exit status"_s};
        for (const QString &text : documented)
            QVERIFY2(r.out.contains(text), qPrintable(text));
    }

    void commandHelp_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *c : {"events", "query", "commit", "export", "import", "verify", "info", "sync", "schema"})
            QTest::newRow(c) << QString::fromLatin1(c);
    }
    void commandHelp()
    {
        QFETCH(QString, command);
        // No --store needed for help.
        const Run r = runCli({command, u"--help"_s});
        QCOMPARE_EXIT(r, 0);
        QVERIFY2(r.out.startsWith(u"Usage: livestore --store DIR [--schema FILE] [--store-id ID] [--sync-url URL] "_s + command),
                 qPrintable(r.out));
    }

    void version()
    {
        const Run r = runCli({u"--version"_s});
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"livestore "_s + QStringLiteral(LIVESTORE_VERSION) + u'\n');
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args"); // $STORE and $SCHEMA are replaced
        QTest::addColumn<QString>("error");
        const QString store = u"--store"_s, dir = u"$STORE"_s, schema = u"--schema"_s, file = u"$SCHEMA"_s;
        QTest::newRow("no --store") << QStringList{schema, file, u"events"_s}
                                    << u"livestore: missing --store DIR"_s;
        QTest::newRow("no --schema, no store") << QStringList{store, dir, u"events"_s}
                                               << u"livestore: missing --schema FILE: the store's schema file (there is no "
                                                  "store in $STORE whose recorded schema could be used)"_s;
        QTest::newRow("schema without subcommand") << QStringList{store, dir, u"schema"_s}
                                                   << u"livestore: schema: missing arguments; usage: livestore schema export [-o FILE]"_s;
        QTest::newRow("schema, unknown subcommand") << QStringList{store, dir, u"schema"_s, u"import"_s}
                                                    << u"livestore: schema: unknown subcommand \"import\" (subcommands: export)"_s;
        QTest::newRow("schema export with --schema") << QStringList{store, dir, schema, file, u"schema"_s, u"export"_s}
                                                     << u"livestore: schema takes no --schema: it reads the schema the store records"_s;
        QTest::newRow("no command") << QStringList{store, dir, schema, file}
                                    << u"livestore: no command given"_s;
        QTest::newRow("unknown command") << QStringList{store, dir, schema, file, u"frobnicate"_s}
                                         << u"livestore: unknown command \"frobnicate\" (commands: events, query"_s;
        QTest::newRow("unknown global option") << QStringList{u"--frob"_s, store, dir, schema, file, u"events"_s}
                                               << u"livestore: Unknown option 'frob'."_s;
        QTest::newRow("option of another command") << QStringList{store, dir, schema, file, u"events"_s, u"--bind"_s, u"1"_s}
                                                   << u"livestore: events: Unknown option 'bind'."_s;
        QTest::newRow("too many arguments") << QStringList{store, dir, schema, file, u"verify"_s, u"now"_s}
                                            << u"livestore: verify: too many arguments; usage: livestore verify"_s;
        QTest::newRow("missing argument") << QStringList{store, dir, schema, file, u"commit"_s}
                                          << u"livestore: commit: missing arguments; usage: livestore commit NAME [JSON]"_s;
        QTest::newRow("bad --after") << QStringList{store, dir, schema, file, u"events"_s, u"--after"_s, u"5"_s}
                                     << u"livestore: events: --after takes a sequence number such as e5 or e5.1, not \"5\""_s;
        QTest::newRow("bad --limit") << QStringList{store, dir, schema, file, u"events"_s, u"--limit"_s, u"many"_s}
                                     << u"livestore: events: --limit takes a count (0 or more), not \"many\""_s;
        QTest::newRow("bad --store-id") << QStringList{store, dir, schema, file, u"--store-id"_s, u"a b"_s, u"info"_s}
                                        << u"livestore: invalid --store-id \"a b\""_s;
        QTest::newRow("directory name is no id") << QStringList{store, u"$TMP/my store"_s, schema, file, u"info"_s}
                                                 << u"livestore: the directory name \"my store\" is not a valid store id "
                                                    "(letters, digits, '_' and '-'); pass --store-id ID"_s;
    }
    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        QTemporaryDir dir;
        const QString store = newStore(dir);
        for (QString &a : args)
            a.replace(u"$STORE"_s, store).replace(u"$SCHEMA"_s, m_schema).replace(u"$TMP"_s, dir.path());
        error.replace(u"$STORE"_s, store);
        const Run r = runCli(args);
        QCOMPARE_EXIT(r, 2);
        QVERIFY2(r.err.startsWith(error), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
        // Nothing was created.
        QCOMPARE(QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
    }

    void optionsAfterCommand()
    {
        const Run r = runCli({u"events"_s, u"--store"_s, m_fixture, u"--limit"_s, u"1"_s, u"--schema"_s, m_schema});
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(jsonLines(r.out).size(), 1);
    }

    void commitAndEvents()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        Run r = runCli(on(store, {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"a","text":"Buy milk"})"_s}));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"committed e1\n"_s);
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err)); // a new store: nothing to rematerialize
        r = runCli(on(store, {u"commit"_s, u"uiStateSet"_s, uR"({"value":{"filter":"done"}})"_s}));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"committed e1.1\n"_s); // client-only
        r = runCli(on(store, {u"commit"_s, u"v1.TodoCompleted"_s, uR"({"id":"a"})"_s}));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"committed e2\n"_s);

        const Run json = runCli(on(store, {u"events"_s, u"--json"_s}));
        QCOMPARE_EXIT(json, 0);
        const QStringList lines = jsonLines(json.out);
        QCOMPARE(lines.size(), 3);
        const QJsonObject first = parseObject(lines.at(0));
        QCOMPARE(first.value(u"name"_s).toString(), u"v1.TodoCreated"_s);
        QCOMPARE(first.value(u"args"_s).toObject(), (QJsonObject{{u"id"_s, u"a"_s}, {u"text"_s, u"Buy milk"_s}}));
        QCOMPARE(first.value(u"seqNum"_s).toObject().value(u"global"_s).toInteger(), 1);
        const QString clientId = first.value(u"clientId"_s).toString();
        QVERIFY(!clientId.isEmpty());
        QVERIFY(!first.value(u"sessionId"_s).toString().isEmpty());
        QCOMPARE(seqNums(json.out), (QStringList{u"e1"_s, u"e1.1"_s, u"e2"_s}));

        // Names are padded to the schema's longest (v1.TodoCompleted) so that lines align.
        const Run text = runCli(on(store, {u"events"_s}));
        QCOMPARE_EXIT(text, 0);
        QCOMPARE(text.out,
                 uR"(e1     v1.TodoCreated    {"id":"a","text":"Buy milk"}  client=)"_s + clientId + u'\n'
                 + uR"(e1.1   uiStateSet        {"value":{"filter":"done"}}  client=)"_s + clientId + u'\n'
                 + uR"(e2     v1.TodoCompleted  {"id":"a"}  client=)"_s + clientId + u'\n');
    }

    void eventFilters_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("all") << QStringList{} << QStringList{u"e1"_s, u"e2"_s, u"e3"_s, u"e3.1"_s};
        QTest::newRow("one name") << QStringList{u"--name"_s, u"v1.TodoCompleted"_s} << QStringList{u"e3"_s};
        QTest::newRow("two names") << QStringList{u"--name"_s, u"v1.TodoCompleted"_s, u"--name"_s, u"uiStateSet"_s}
                                   << QStringList{u"e3"_s, u"e3.1"_s};
        QTest::newRow("unknown name") << QStringList{u"--name"_s, u"v1.Nope"_s} << QStringList{};
        QTest::newRow("after") << QStringList{u"--after"_s, u"e1"_s} << QStringList{u"e2"_s, u"e3"_s, u"e3.1"_s};
        QTest::newRow("after global, before client-only") << QStringList{u"--after"_s, u"e3"_s}
                                                          << QStringList{u"e3.1"_s};
        QTest::newRow("after the head") << QStringList{u"--after"_s, u"e3.1"_s} << QStringList{};
        QTest::newRow("limit") << QStringList{u"--limit"_s, u"2"_s} << QStringList{u"e1"_s, u"e2"_s};
        QTest::newRow("limit 0") << QStringList{u"--limit"_s, u"0"_s} << QStringList{};
        QTest::newRow("after and limit") << QStringList{u"--after"_s, u"e1"_s, u"--limit"_s, u"1"_s}
                                         << QStringList{u"e2"_s};
        QTest::newRow("name and limit") << QStringList{u"--name"_s, u"v1.TodoCreated"_s, u"--limit"_s, u"1"_s}
                                        << QStringList{u"e1"_s};
    }
    void eventFilters()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, expected);
        const Run json = runCli(on(m_fixture, QStringList{u"events"_s, u"--json"_s} + args));
        QCOMPARE_EXIT(json, 0);
        QCOMPARE(seqNums(json.out), expected);
        // The text form lists the same events.
        const Run text = runCli(on(m_fixture, QStringList{u"events"_s} + args));
        QCOMPARE_EXIT(text, 0);
        QStringList listed;
        for (const QString &line : jsonLines(text.out))
            listed.append(line.section(u' ', 0, 0));
        QCOMPARE(listed, expected);
    }

    void query_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        const QString select = u"SELECT id, text, completed FROM todos ORDER BY id"_s;
        QTest::newRow("table") << QStringList{select}
                               << u"id | text         | completed\n"
                                  "---+--------------+----------\n"
                                  "a  | Buy milk     | true\n"
                                  "b  | Walk the dog | false\n"
                                  "(2 rows)\n"_s;
        QTest::newRow("json") << QStringList{select, u"--json"_s}
                              << u"{\"id\":\"a\",\"text\":\"Buy milk\",\"completed\":true}\n"
                                  "{\"id\":\"b\",\"text\":\"Walk the dog\",\"completed\":false}\n"_s;
        QTest::newRow("no rows") << QStringList{u"SELECT id FROM todos WHERE 0"_s} << u"id\n--\n(0 rows)\n"_s;
        QTest::newRow("no rows, json") << QStringList{u"SELECT id FROM todos WHERE 0"_s, u"--json"_s} << QString();
        QTest::newRow("one row, numbers right-aligned")
                << QStringList{u"SELECT count(*) AS total, 'x' AS name FROM todos"_s}
                << u"total | name\n------+-----\n    2 | x\n(1 row)\n"_s;
        QTest::newRow("binds: text and boolean")
                << QStringList{u"SELECT id FROM todos WHERE text = ? AND completed = ?"_s, u"--bind"_s,
                               u"Buy milk"_s, u"--bind"_s, u"true"_s}
                << u"id\n--\na\n(1 row)\n"_s;
        QTest::newRow("binds: typed")
                << QStringList{u"SELECT ? AS i, typeof(?) AS t, ? AS r, ? AS s, ? AS q, typeof(?) AS qt, ? AS z"_s,
                               u"--bind"_s, u"-5"_s, u"--bind"_s, u"42"_s, u"--bind"_s, u"2.5"_s,
                               u"--bind"_s, u"two words"_s, u"--bind"_s, u"\"42\""_s, u"--bind"_s, u"\"42\""_s,
                               u"--bind"_s, u"null"_s, u"--json"_s}
                << u"{\"i\":-5,\"t\":\"integer\",\"r\":2.5,\"s\":\"two words\",\"q\":\"42\",\"qt\":\"text\",\"z\":null}\n"_s;
        QTest::newRow("values: null, blob, real, escapes")
                << QStringList{u"SELECT NULL AS n, x'0aff' AS b, 0.1 AS r, 'a' || char(10) || 'b' AS t"_s}
                << u"n    | b       | r   | t\n-----+---------+-----+-----\nNULL | x'0aff' | 0.1 | a\\nb\n(1 row)\n"_s;
        QTest::newRow("json values: blob as base64, JSON column as JSON")
                << QStringList{u"SELECT x'0aff' AS b, value FROM uiState"_s, u"--json"_s}
                << u"{\"b\":\"Cv8=\",\"value\":{\"filter\":\"done\"}}\n"_s;
    }
    void query()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const Run r = runCli(on(m_fixture, QStringList{u"query"_s} + args));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, expected);
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    }

    void queryErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("write") << QStringList{u"DELETE FROM todos"_s}
                               << u"livestore: query failed: queries only read; change the state by committing events\n"_s;
        QTest::newRow("syntax") << QStringList{u"SELEC * FROM todos"_s}
                                << u"livestore: query failed: near \"SELEC\": syntax error\n"_s;
        QTest::newRow("no such table") << QStringList{u"SELECT * FROM nope"_s}
                                       << u"livestore: query failed: no such table: nope\n"_s;
        QTest::newRow("bind missing") << QStringList{u"SELECT * FROM todos WHERE id = ?"_s}
                                      << u"livestore: query failed: missing bind value 1 (the statement has 1 parameters, 0 values given)\n"_s;
        QTest::newRow("bind too many") << QStringList{u"SELECT 1"_s, u"--bind"_s, u"1"_s}
                                       << u"livestore: query failed: too many bind values: the statement has 0 parameters, 1 values given\n"_s;
    }
    void queryErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        const Run r = runCli(on(m_fixture, QStringList{u"query"_s} + args));
        QCOMPARE_EXIT(r, 1);
        QCOMPARE(r.err, error);
        QVERIFY(r.out.isEmpty());
        const Run count = runCli(on(m_fixture, {u"query"_s, u"SELECT count(*) AS n FROM todos"_s, u"--json"_s}));
        QCOMPARE(count.out, u"{\"n\":2}\n"_s);
    }

    void commitErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("bad JSON") << u"v1.TodoCreated"_s << uR"({"id":"b",)"_s
                                  << u"livestore: commit: the arguments are not valid JSON: "_s;
        QTest::newRow("not an object") << u"v1.TodoCreated"_s << uR"(["b","x"])"_s
                                       << u"livestore: commit: the arguments must be a JSON object"_s;
        QTest::newRow("unknown event") << u"v1.TodoRenamed"_s << uR"({"id":"a"})"_s
                                       << u"livestore: commit: unknown event \"v1.TodoRenamed\": it is not defined in the schema\n"_s;
        QTest::newRow("wrong arg type") << u"v1.TodoCreated"_s << uR"({"id":5,"text":"x"})"_s
                                        << u"livestore: commit: event \"v1.TodoCreated\": argument \"id\" must be a string, got an integer\n"_s;
        QTest::newRow("missing arg") << u"v1.TodoCreated"_s << uR"({"id":"b"})"_s
                                     << u"livestore: commit: event \"v1.TodoCreated\": missing argument \"text\" (string)\n"_s;
        QTest::newRow("unknown arg") << u"v1.TodoCompleted"_s << uR"({"id":"a","when":1})"_s
                                     << u"livestore: commit: event \"v1.TodoCompleted\": unknown argument \"when\" (arguments: id)\n"_s;
        QTest::newRow("materializer fails") << u"v1.TodoCreated"_s << uR"({"id":"a","text":"again"})"_s
                                            << u"livestore: commit: materializer of event \"v1.TodoCreated\" (e2), "
                                               "statement 1 failed: UNIQUE constraint failed: todos.id\n"_s;
    }
    void commitErrors()
    {
        QFETCH(QString, name);
        QFETCH(QString, args);
        QFETCH(QString, error);
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QCOMPARE_EXIT(runCli(on(store, {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"a","text":"x"})"_s})), 0);
        const QString before = runCli(on(store, {u"export"_s})).out;

        const Run r = runCli(on(store, {u"commit"_s, name, args}));
        QCOMPARE_EXIT(r, 1);
        QVERIFY2(r.err.startsWith(error), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
        // Nothing was written.
        QCOMPARE(runCli(on(store, {u"export"_s})).out, before);
        QCOMPARE(runCli(on(store, {u"query"_s, u"SELECT id, text FROM todos"_s, u"--json"_s})).out,
                 u"{\"id\":\"a\",\"text\":\"x\"}\n"_s);

        // Into a store that does not exist yet, a rejected commit leaves nothing behind either.
        if (qstrcmp(QTest::currentDataTag(), "materializer fails") != 0) {
            QTemporaryDir empty;
            QCOMPARE_EXIT(runCli(on(newStore(empty), {u"commit"_s, name, args})), 1);
            QVERIFY(!QFileInfo::exists(newStore(empty)));
        }
    }

    void exportImportRoundTrip()
    {
        const Run exported = runCli(on(m_fixture, {u"export"_s}));
        QCOMPARE_EXIT(exported, 0);
        QCOMPARE(jsonLines(exported.out).size(), 4);
        QVERIFY(exported.err.isEmpty());

        QTemporaryDir dir;
        const QString file = dir.filePath(u"events.jsonl"_s);
        const Run toFile = runCli(on(m_fixture, {u"export"_s, file}));
        QCOMPARE_EXIT(toFile, 0);
        QCOMPARE(toFile.out, u"exported 4 events to "_s + file + u'\n');
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(f.readAll()), exported.out);

        // From a file and from stdin.
        const QString copies[] = {dir.filePath(u"a/todos"_s), dir.filePath(u"b/todos"_s)};
        const Run fromFile = runCli(on(copies[0], {u"import"_s, file}));
        QCOMPARE_EXIT(fromFile, 0);
        QCOMPARE(fromFile.out, u"imported 4 events, head e3.1\n"_s);
        const Run fromStdin = runCli(on(copies[1], {u"import"_s, u"-"_s}), exported.out.toUtf8());
        QCOMPARE_EXIT(fromStdin, 0);
        QCOMPARE(fromStdin.out, u"imported 4 events, head e3.1\n"_s);

        const QStringList reads[] = {
            {u"events"_s, u"--json"_s},
            {u"events"_s},
            {u"query"_s, u"SELECT * FROM todos ORDER BY id"_s},
            {u"query"_s, u"SELECT * FROM uiState"_s, u"--json"_s},
            {u"export"_s},
        };
        for (const QString &copy : copies) {
            for (const QStringList &read : reads) {
                const Run original = runCli(on(m_fixture, read));
                const Run imported = runCli(on(copy, read));
                QCOMPARE_EXIT(imported, 0);
                QCOMPARE(imported.out, original.out);
            }
            // The events keep their client: these came from the fixture's.
            QVERIFY(runCli(on(copy, {u"events"_s})).out.contains(u"client="_s + m_clientId));
            const Run verify = runCli(on(copy, {u"verify"_s}));
            QCOMPARE_EXIT(verify, 0);
            QCOMPARE(verify.out, u"OK: state matches a replay of 4 events\n"_s);
        }
    }

    // An event whose stored arguments are no longer JSON (bit rot SQLite's checks do not see):
    // export and events fail and name it, and a file export leaves no file. They used to skip it
    // with a warning, take the short page for the end of the log, and exit 0.
    void unreadableEventFailsExport()
    {
        QTemporaryDir dir;
        const QString store = dir.filePath(u"rot"_s);
        for (int i = 1; i <= 5; ++i) {
            QCOMPARE_EXIT(runCli(on(store, {u"commit"_s, u"v1.TodoCreated"_s,
                                            u"{\"id\":\"t%1\",\"text\":\"x\"}"_s.arg(i)})), 0);
        }
        QVERIFY(execSql(store, "UPDATE __livestore_eventlog SET argsJson = '{\"id\":\"t' WHERE seqNumGlobal = 3"));
        const QString file = dir.filePath(u"out.jsonl"_s);
        const Run toFile = runCli(on(store, {u"export"_s, file}));
        QCOMPARE_EXIT(toFile, 1);
        QVERIFY2(toFile.err.contains(u"event e3 (v1.TodoCreated) has corrupt arguments"_s), qPrintable(toFile.err));
        QVERIFY(!QFile::exists(file));
        const Run toStdout = runCli(on(store, {u"export"_s}));
        QCOMPARE_EXIT(toStdout, 1);
        QCOMPARE(jsonLines(toStdout.out).size(), 2); // e1 and e2, then the failure
        QCOMPARE_EXIT(runCli(on(store, {u"events"_s})), 1);
    }

    // A store.db of 0 bytes (a copy or a disk that failed): reading commands refuse it, rather
    // than make a new, empty store of it (verify said "OK: ... 0 events").
    void emptyStoreFileIsRefused()
    {
        QTemporaryDir dir;
        QVERIFY(QDir().mkpath(dir.filePath(u"z"_s)));
        QFile file(dir.filePath(u"z/store.db"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        for (const QStringList &args : {QStringList{u"verify"_s}, QStringList{u"export"_s}, QStringList{u"info"_s}}) {
            for (const bool withSchema : {false, true}) {
                const QStringList line = withSchema ? on(dir.filePath(u"z"_s), args)
                                                    : QStringList{u"--store"_s, dir.filePath(u"z"_s)} + args;
                const Run r = runCli(line);
                QCOMPARE_EXIT(r, 1);
                QVERIFY2(r.err.contains(u"is empty (0 bytes): it holds no store"_s), qPrintable(r.err));
            }
        }
        QCOMPARE(QFileInfo(dir.filePath(u"z/store.db"_s)).size(), 0);
    }

    // Standard output that cannot be written (a full disk) fails the command.
    void fullStandardOutput()
    {
        if (!QFileInfo::exists(u"/dev/full"_s))
            QSKIP("no /dev/full");
        QProcess process;
        process.setStandardOutputFile(u"/dev/full"_s);
        startCli(&process, on(m_fixture, {u"export"_s}));
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitCode(), 1);
        QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(u"cannot write to standard output"_s));
    }

    // export writes each event's args as stored, and import stores those bytes again: a record's
    // and a json argument's key order (JavaScript's property order) survives the round trip.
    void exportKeepsArgsBytes()
    {
        QTemporaryDir dir;
        const QString schema = dir.filePath(u"ordered.json"_s);
        static const char orderedSchema[] = R"json({"tables": [{"name": "t", "columns": [{"name": "id", "type": "text", "primaryKey": true},
                                       {"name": "v", "type": "json"}]}],
                          "events": [{"name": "v1.Set", "args": {"id": "string", "v": {"type": "record", "value": "real"}},
                                      "materializer": "INSERT INTO t (id, v) VALUES ($id, $v)"},
                                     {"name": "v1.Any", "args": {"id": "string", "v": "json"},
                                      "materializer": "INSERT INTO t (id, v) VALUES ($id, $v)"}]})json";
        QVERIFY(writeFile(schema, orderedSchema));
        const QString from = dir.filePath(u"from/s"_s), to = dir.filePath(u"to/s"_s);
        QCOMPARE_EXIT(runCli(on(from, {u"commit"_s, u"v1.Set"_s, uR"({"v":{"zeta":1,"b":2,"10":10,"2":2},"id":"r"})"_s}, schema)), 0);
        QCOMPARE_EXIT(runCli(on(from, {u"commit"_s, u"v1.Any"_s, uR"({"id":"j","v":{"zeta":"z","alpha":[{"y":1,"x":"a\ud800"}]}})"_s}, schema)), 0);
        const Run exported = runCli(on(from, {u"export"_s}, schema));
        QCOMPARE_EXIT(exported, 0);
        const QStringList lines = exported.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines.at(0).startsWith(uR"({"args":{"id":"r","v":{"2":2,"10":10,"zeta":1,"b":2}},"clientId":)"_s), qPrintable(lines.at(0)));
        QVERIFY2(lines.at(1).startsWith(uR"({"args":{"id":"j","v":{"zeta":"z","alpha":[{"y":1,"x":"a\ud800"}]}},"clientId":)"_s), qPrintable(lines.at(1)));
        QCOMPARE_EXIT(runCli(on(to, {u"import"_s, u"-"_s}, schema), exported.out.toUtf8()), 0);
        QCOMPARE(runCli(on(to, {u"export"_s}, schema)).out, exported.out);
        const QStringList state{u"query"_s, u"SELECT id, v || '' AS v FROM t ORDER BY id"_s, u"--json"_s};
        QCOMPARE(runCli(on(to, state, schema)).out, runCli(on(from, state, schema)).out);
        QVERIFY(runCli(on(to, state, schema)).out.contains(uR"({\"2\":2,\"10\":10,\"zeta\":1,\"b\":2})"_s));
        // The bytes in the eventlog are the same, not only what export prints.
        QCOMPARE(fileBytesOf(to, "SELECT group_concat(argsJson, '|') FROM __livestore_eventlog"),
                 fileBytesOf(from, "SELECT group_concat(argsJson, '|') FROM __livestore_eventlog"));
    }

    void importErrors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("storeCreated"); // the input parsed; the store rejected it
        const QByteArray good = R"({"seqNum":1,"parentSeqNum":0,"name":"v1.TodoCreated","args":{"id":"a","text":"x"},"clientId":"c1","sessionId":"s1"})";
        QTest::newRow("malformed line") << good + "\n{\"seqNum\":2,\n" << u"livestore: import: $FILE:2: not valid JSON: "_s << false;
        QTest::newRow("not an object") << QByteArray("[1, 2]\n") << u"livestore: import: $FILE:1: not a JSON object"_s << false;
        QTest::newRow("not an event, after an empty line")
                << good + "\n\n{\"name\":\"v1.TodoCreated\"}\n"
                << u"livestore: import: $FILE:3: \"seqNum\" is missing or not a sequence number\n"_s << false;
        QTest::newRow("wrong args")
                << good + "\n" + R"({"seqNum":2,"parentSeqNum":1,"name":"v1.TodoCompleted","args":{"id":7},"clientId":"c1","sessionId":"s1"})"
                << u"livestore: import: $FILE:2: event e2: event \"v1.TodoCompleted\": argument \"id\" is not a valid string\n"_s << true;
        QTest::newRow("out of order")
                << good + "\n" + good
                << u"livestore: import: $FILE:2: event e1 (v1.TodoCreated): it does not come after e1: events must be in eventlog order\n"_s
                << false;
        // The chain the sync server checks: a gap or a wrong parent would make every push fail.
        // (Built with arg() rather than raw strings: moc counts the braces inside those.)
        const auto event = [](const char *seq, const char *parent,
                              const char *ids = "\"clientId\":\"c1\",\"sessionId\":\"s1\"") {
            return QStringLiteral("{\"seqNum\":%1,\"parentSeqNum\":%2,\"name\":\"v1.TodoCompleted\","
                                  "\"args\":{\"id\":\"a\"},%3}")
                    .arg(QLatin1StringView(seq), QLatin1StringView(parent), QLatin1StringView(ids))
                    .toUtf8();
        };
        QTest::newRow("gap in seqNum")
                << good + "\n" + event("2", "1") + "\n" + event("4", "2")
                << u"livestore: import: $FILE:3: event e4 (v1.TodoCompleted): it follows e2, but the next synced event is e3: the eventlog has a gap\n"_s
                << false;
        QTest::newRow("wrong parent")
                << good + "\n" + event("2", "0")
                << u"livestore: import: $FILE:2: event e2 (v1.TodoCompleted): it names e0 as its parent, but its parent is e1\n"_s
                << false;
        QTest::newRow("client-only number, wrong parent")
                << good + "\n" + event("\"e1.1\"", "\"e0\"")
                << u"livestore: import: $FILE:2: event e1.1 (v1.TodoCompleted): it names e0 as its parent, but its parent is e1\n"_s
                << false;
        QTest::newRow("clientId a number")
                << good + "\n" + event("2", "1", "\"clientId\":5,\"sessionId\":\"s1\"")
                << u"livestore: import: $FILE:2: \"clientId\" of event \"v1.TodoCompleted\" is not a string\n"_s << false;
        QTest::newRow("sessionId missing")
                << good + "\n" + event("2", "1", "\"clientId\":\"c1\"")
                << u"livestore: import: $FILE:2: event e2 (v1.TodoCompleted): it has no sessionId\n"_s << false;
        QTest::newRow("seqNum beyond 2^53")
                << good + "\n" + event("1e20", "1")
                << u"livestore: import: $FILE:2: \"seqNum\" is missing or not a sequence number\n"_s << false;
        QTest::newRow("seqNum not whole")
                << good + "\n" + event("2.5", "1")
                << u"livestore: import: $FILE:2: \"seqNum\" is missing or not a sequence number\n"_s << false;
        QTest::newRow("invalid UTF-8 in args")
                << good + "\n{\"seqNum\":2,\"parentSeqNum\":1,\"name\":\"v1.TodoCreated\",\"args\":{\"id\":\"b\","
                           "\"text\":\"caf\xe9\"},\"clientId\":\"c1\",\"sessionId\":\"s1\"}"
                << u"livestore: import: $FILE:2: not valid UTF-8\n"_s << false;
    }
    void importErrors()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, error);
        QFETCH(bool, storeCreated);
        QTemporaryDir dir;
        const QString file = dir.filePath(u"events.jsonl"_s);
        QVERIFY(writeFile(file, input));
        const QString store = newStore(dir);

        const Run r = runCli(on(store, {u"import"_s, file}));
        QCOMPARE_EXIT(r, 1);
        QVERIFY2(r.err.startsWith(QString(error).replace(u"$FILE"_s, file)), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
        const Run fromStdin = runCli(on(store, {u"import"_s, u"-"_s}), input);
        QCOMPARE_EXIT(fromStdin, 1);
        QVERIFY2(fromStdin.err.startsWith(QString(error).replace(u"$FILE"_s, u"<stdin>"_s)), qPrintable(fromStdin.err));

        // Nothing was written: a bad line is found before the store is opened, and a rejected
        // import rolls back.
        QCOMPARE(QFileInfo::exists(store), storeCreated);
        if (storeCreated) {
            const Run events = runCli(on(store, {u"events"_s}));
            QCOMPARE_EXIT(events, 0);
            QCOMPARE(events.out, QString());
        }
    }

    void importNeedsAnEmptyStore()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        const QByteArray exported = runCli(on(m_fixture, {u"export"_s})).out.toUtf8();
        QCOMPARE_EXIT(runCli(on(store, {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"z","text":"mine"})"_s})), 0);
        const Run r = runCli(on(store, {u"import"_s, u"-"_s}), exported);
        QCOMPARE_EXIT(r, 1);
        QCOMPARE(r.err, u"livestore: import: the store already holds 1 events; import only into a store without events\n"_s);
        QCOMPARE(jsonLines(runCli(on(store, {u"export"_s})).out).size(), 1);
    }

    void readsNeedAStore_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("events") << QStringList{u"events"_s};
        QTest::newRow("query") << QStringList{u"query"_s, u"SELECT 1"_s};
        QTest::newRow("export") << QStringList{u"export"_s};
        QTest::newRow("verify") << QStringList{u"verify"_s};
        QTest::newRow("info") << QStringList{u"info"_s};
    }
    void readsNeedAStore()
    {
        QFETCH(QStringList, args);
        QTemporaryDir dir;
        const QString store = newStore(dir);
        const Run r = runCli(on(store, args));
        QCOMPARE_EXIT(r, 1);
        QCOMPARE(r.err, u"livestore: there is no store in %1 (no store.db); commit or import events to create one\n"_s.arg(store));
        QVERIFY(!QFileInfo::exists(store));
    }

    void badSchemaFile()
    {
        QTemporaryDir dir;
        const QString schema = dir.filePath(u"broken.json"_s);
        QVERIFY(writeFile(schema, R"({"version":1,"tables":[)"));
        const Run r = runCli(on(newStore(dir), {u"commit"_s, u"v1.TodoCreated"_s, u"{}"_s}, schema));
        QCOMPARE_EXIT(r, 1);
        QVERIFY2(r.err.startsWith(u"livestore: cannot load the schema "_s + schema + u": "_s), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(newStore(dir)));
    }

    void verifyDetectsTampering()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        Run r = runCli(on(store, {u"verify"_s}));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"OK: state matches a replay of 4 events\n"_s);

        // Behind the store's back (its process has exited, so the file is not locked).
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(QDir(store).filePath(u"store.db"_s)).constData(), &db), SQLITE_OK);
        char *message = nullptr;
        const int rc = sqlite3_exec(db, "UPDATE todos SET text = 'tampered' WHERE id = 'b'", nullptr, nullptr, &message);
        const QString sqliteError = message ? QString::fromUtf8(message) : QString();
        sqlite3_free(message);
        QCOMPARE(sqlite3_changes(db), 1);
        sqlite3_close(db);
        QVERIFY2(rc == SQLITE_OK, qPrintable(sqliteError));

        r = runCli(on(store, {u"verify"_s}));
        QCOMPARE_EXIT(r, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.startsWith(u"livestore: verify: the stored state differs from a replay of the eventlog: "
                                   "table \"todos\""_s), qPrintable(r.err));
        QVERIFY2(r.err.contains(u"tampered"_s), qPrintable(r.err));
        QVERIFY2(!r.err.contains(u"uiState"_s), qPrintable(r.err));
    }

    void argumentsMustBeUtf8()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        // QProcess encodes its arguments as UTF-8: the shell's printf makes the Latin-1 byte.
        QProcess p;
        p.setProgram(u"/bin/sh"_s);
        p.setArguments({u"-c"_s, u"exec \"$0\" --store \"$1\" --schema \"$2\" commit v1.TodoCreated "
                                 "\"$(printf '{\"id\":\"a\",\"text\":\"caf\\351\"}')\""_s,
                        QStringLiteral(LIVESTORE_CLI_PATH), store, m_schema});
        p.start();
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QCOMPARE(QString::fromUtf8(p.readAllStandardError()), u"livestore: argument 7 is not valid UTF-8\n"_s);
        QVERIFY(!QFileInfo::exists(store));
    }

    void verifyDetectsABrokenChain()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        // e2 taken out of the log: the state still matches a replay, but every push would fail.
        QVERIFY(execSql(store, "DELETE FROM __livestore_eventlog WHERE seqNumGlobal = 2"));
        const Run r = runCli(on(store, {u"verify"_s}));
        QCOMPARE_EXIT(r, 1);
        QCOMPARE(r.err, u"livestore: verify: the eventlog is broken: event e3 (v1.TodoCompleted): it follows e1, "
                         "but the next synced event is e2: the eventlog has a gap\n"_s);
    }

    void damagedSchemaRowIsAnError()
    {
        // A schema row SQLite cannot parse used to crash every command (a failed prepare).
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        QVERIFY(execSql(store, "PRAGMA writable_schema=ON; "
                               "UPDATE sqlite_master SET sql='CREATE TABLE todos(' WHERE name='todos'"));
        const QByteArray before = fileBytes(QDir(store).filePath(u"store.db"_s));
        const QStringList commands[] = {{u"info"_s}, {u"events"_s}, {u"verify"_s}, {u"export"_s},
                                        {u"query"_s, u"SELECT 1"_s},
                                        {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"z","text":"x"})"_s}};
        for (const QStringList &command : commands) {
            const Run r = runCli(on(store, command));
            QCOMPARE_EXIT(r, 1);
            QVERIFY2(r.err.startsWith(u"livestore: cannot open the store in %1: %1/store.db is damaged (cannot read "_s.arg(store)),
                     qPrintable(r.err));
            QVERIFY2(r.err.contains(u"malformed database schema"_s), qPrintable(r.err));
            QVERIFY2(r.err.contains(u"Restore the store directory from a backup"_s), qPrintable(r.err));
        }
        QCOMPARE(fileBytes(QDir(store).filePath(u"store.db"_s)), before);
    }

    void readOnlyDirectoryIsNamed()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        QVERIFY(QFile::setPermissions(store, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadOther
                                              | QFile::ExeOther | QFile::ReadGroup | QFile::ExeGroup));
        const auto restore = qScopeGuard([&] {
            QFile::setPermissions(store, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        });
        // Root may write anywhere: then run the tool as nobody, for whom the directory is read-only.
        QStringList prefix;
        if (::geteuid() == 0) {
            const QString setpriv = QStandardPaths::findExecutable(u"setpriv"_s);
            if (setpriv.isEmpty())
                QSKIP("running as root without setpriv: cannot make a directory read-only for the tool");
            prefix = {setpriv, u"--reuid=65534"_s, u"--regid=65534"_s, u"--clear-groups"_s, u"--"_s};
            // nobody must reach the store (a temporary directory is its owner's only).
            QFile::setPermissions(dir.path(), QFile::permissions(dir.path()) | QFile::ExeOther);
            const QString file = QDir(store).filePath(u"store.db"_s);
            QFile::setPermissions(file, QFile::permissions(file) | QFile::ReadOther);
        }
        QProcess p;
        const QStringList args = on(store, {u"events"_s});
        if (prefix.isEmpty())
            p.start(QStringLiteral(LIVESTORE_CLI_PATH), args);
        else
            p.start(prefix.takeFirst(), prefix + QStringList{QStringLiteral(LIVESTORE_CLI_PATH)} + args);
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        if (!prefix.isEmpty() && err.contains(u"Permission denied"_s) && !err.contains(store))
            QSKIP(qPrintable(u"nobody cannot run the tool or read its schema here: "_s + err));
        QCOMPARE(p.exitCode(), 1);
        QCOMPARE(err, u"livestore: cannot open the store in %1: the store directory %1 is not writable (check its "
                       "permissions, or whether its file system is mounted read-only)\n"_s.arg(store));
    }

    void rebuildProgress()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        // A changed table rebuilds the state from the eventlog; stderr is not a terminal here, so
        // progress comes as whole lines, at most one per tenth.
        Run r = runCli(on(store, {u"query"_s, u"SELECT id, priority FROM todos ORDER BY id"_s, u"--json"_s}, m_wideSchema));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"{\"id\":\"a\",\"priority\":0}\n{\"id\":\"b\",\"priority\":0}\n"_s);
        QCOMPARE(r.err, u"rematerializing 0/4 events\nrematerializing 4/4 events\n"_s);
        // Once rebuilt, opening is quiet.
        r = runCli(on(store, {u"verify"_s}, m_wideSchema));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.err, QString());
    }

    // (Plain string literals below, not raw ones: moc counts the braces inside those.)
    // An import is read as it goes: the tool's memory stays bounded by its buffers and SQLite's
    // cache, not by the input. Here the file is larger than the bound; reading it whole (as the
    // tool did up to 0.1) took about five times the file's size.
    void importLargerThanMemory()
    {
#ifndef Q_OS_UNIX
        QSKIP("peak RSS of a child process: getrusage(RUSAGE_CHILDREN)");
#else
        bool sanitized = false;
#  if defined(__SANITIZE_ADDRESS__)
        sanitized = true;
#  elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
        sanitized = true;
#    endif
#  endif
        // Under AddressSanitizer memory means nothing (shadow memory, quarantine) and time is
        // ten times longer: the import still runs, smaller, without the bound.
        const int count = sanitized ? 10'000 : 100'000;
        constexpr qint64 BoundBytes = 64ll * 1024 * 1024;
        QTemporaryDir dir;
        const QString file = dir.filePath(u"big.jsonl"_s);
        {
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            const QByteArray padding(600, 'x');
            for (int i = 1; i <= count; ++i) {
                const QByteArray n = QByteArray::number(i);
                out.write("{\"args\":{\"id\":\"t" + n + "\",\"text\":\"" + padding + n + "\"},\"clientId\":\"c1\","
                          "\"name\":\"v1.TodoCreated\",\"parentSeqNum\":" + QByteArray::number(i - 1)
                          + ",\"seqNum\":" + n + ",\"sessionId\":\"s1\"}" "\n");
            }
        }
        if (!sanitized)
            QVERIFY2(QFileInfo(file).size() > BoundBytes, qPrintable(QString::number(QFileInfo(file).size())));
        const QString store = newStore(dir);
        const Run r = runCli(on(store, {u"import"_s, file}));
        QCOMPARE_EXIT(r, 0);
        QCOMPARE(r.out, u"imported %1 events, head e%1\n"_s.arg(count));
        QVERIFY(r.err.isEmpty()); // no progress unless stderr is a terminal
        // The largest child so far: this one (the others only read small stores).
        rusage usage{};
        QCOMPARE(getrusage(RUSAGE_CHILDREN, &usage), 0);
        const qint64 peakBytes = qint64(usage.ru_maxrss) * 1024; // kilobytes on Linux
        qInfo("livestore import of %lld MB: peak RSS %lld MB", QFileInfo(file).size() >> 20, peakBytes >> 20);
        if (!sanitized)
            QVERIFY2(peakBytes < BoundBytes, qPrintable(u"peak RSS %1 MB"_s.arg(peakBytes >> 20)));
        const Run counted = runCli(on(store, {u"query"_s, u"SELECT count(*) AS n, max(length(text)) AS longest FROM todos"_s, u"--json"_s}));
        QCOMPARE_EXIT(counted, 0);
        QCOMPARE(counted.out, u"{\"n\":%1,\"longest\":%2}\n"_s.arg(count).arg(600 + QString::number(count).size()));
#endif
    }

    // A bad line far into a large input: nothing is imported, the line is named, and a store the
    // import created is gone again (one that existed stays, empty).
    void importFailsHalfWay_data()
    {
        QTest::addColumn<QByteArray>("badLine");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("storeCreated"); // the input was fine; the store refused it
        QTest::newRow("not JSON") << QByteArray("{\"seqNum\":40000,\"parentSeqNum\":")
                                  << u"livestore: import: $FILE:40000: not valid JSON: "_s << false;
        QTest::newRow("gap") << QByteArray("{\"seqNum\":40001,\"parentSeqNum\":40000,\"name\":\"v1.TodoCompleted\",\"args\":{\"id\":\"t1\"},\"clientId\":\"c1\",\"sessionId\":\"s1\"}")
                             << u"livestore: import: $FILE:40000: event e40001 (v1.TodoCompleted): it follows e39999, but the next synced event is e40000: the eventlog has a gap\n"_s
                             << false;
        QTest::newRow("wrong args") << QByteArray("{\"seqNum\":40000,\"parentSeqNum\":39999,\"name\":\"v1.TodoCompleted\",\"args\":{\"id\":7},\"clientId\":\"c1\",\"sessionId\":\"s1\"}")
                                    << u"livestore: import: $FILE:40000: event e40000: event \"v1.TodoCompleted\": argument \"id\" is not a valid string\n"_s
                                    << true;
    }
    void importFailsHalfWay()
    {
        QFETCH(QByteArray, badLine);
        QFETCH(QString, error);
        QFETCH(bool, storeCreated);
        QByteArray input;
        for (int i = 1; i <= 50'000; ++i) {
            const QByteArray n = QByteArray::number(i);
            input += i == 40'000 ? badLine
                                 : "{\"seqNum\":" + n + ",\"parentSeqNum\":" + QByteArray::number(i - 1)
                            + ",\"name\":\"v1.TodoCreated\",\"args\":{\"id\":\"t" + n + "\",\"text\":\"todo " + n
                            + "\"},\"clientId\":\"c1\",\"sessionId\":\"s1\"}";
            input += '\n';
        }
        QTemporaryDir dir;
        const QString file = dir.filePath(u"events.jsonl"_s);
        QVERIFY(writeFile(file, input));
        const QString store = dir.filePath(u"new/todos"_s); // two directories the import creates
        const Run r = runCli(on(store, {u"import"_s, file}));
        QCOMPARE_EXIT(r, 1);
        QVERIFY2(r.err.startsWith(QString(error).replace(u"$FILE"_s, file)), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
        QCOMPARE(QFileInfo::exists(store), storeCreated);
        QCOMPARE(QFileInfo::exists(dir.filePath(u"new"_s)), storeCreated);

        // Into a store that exists (empty): it stays, without events.
        const QString existing = newStore(dir);
        const Run created = runCli(on(existing, {u"import"_s, u"-"_s})); // nothing: an empty store
        QCOMPARE_EXIT(created, 0);
        QCOMPARE(created.out, u"imported 0 events, head e0\n"_s);
        const Run again = runCli(on(existing, {u"import"_s, u"-"_s}), input);
        QCOMPARE_EXIT(again, 1);
        QVERIFY2(again.err.startsWith(QString(error).replace(u"$FILE"_s, u"<stdin>"_s)), qPrintable(again.err));
        QVERIFY(QFileInfo::exists(newStore(dir)));
        const Run count = runCli(on(existing, {u"query"_s, u"SELECT count(*) AS n FROM todos"_s, u"--json"_s}));
        QCOMPARE(count.out, u"{\"n\":0}\n"_s);
        QCOMPARE(runCli(on(existing, {u"events"_s})).out, QString());
    }

    // More events than one page of the listing (1000), and enough for progress in tenths.
    void manyEvents()
    {
        constexpr int Count = 2500;
        QByteArray input;
        for (int i = 1; i <= Count; ++i) {
            const QJsonObject event{{u"seqNum"_s, i}, {u"parentSeqNum"_s, i - 1}, {u"name"_s, u"v1.TodoCreated"_s},
                                    {u"args"_s, QJsonObject{{u"id"_s, u"t%1"_s.arg(i)}, {u"text"_s, u"todo %1"_s.arg(i)}}},
                                    {u"clientId"_s, u"c1"_s}, {u"sessionId"_s, u"s1"_s}};
            input += QJsonDocument(event).toJson(QJsonDocument::Compact) + '\n';
        }
        QTemporaryDir dir;
        const QString store = newStore(dir);
        const Run imported = runCli(on(store, {u"import"_s, u"-"_s}), input);
        QCOMPARE_EXIT(imported, 0);
        QCOMPARE(imported.out, u"imported 2500 events, head e2500\n"_s);

        const Run all = runCli(on(store, {u"events"_s}));
        QCOMPARE_EXIT(all, 0);
        const QStringList lines = jsonLines(all.out);
        QCOMPARE(lines.size(), Count);
        QVERIFY(lines.constLast().startsWith(u"e2500  v1.TodoCreated    {\"id\":\"t2500\""_s));
        // Across a page boundary.
        const Run some = runCli(on(store, {u"events"_s, u"--json"_s, u"--after"_s, u"e900"_s, u"--limit"_s, u"1201"_s}));
        QCOMPARE_EXIT(some, 0);
        const QStringList numbers = seqNums(some.out);
        QCOMPARE(numbers.size(), 1201);
        QCOMPARE(numbers.constFirst(), u"e901"_s);
        QCOMPARE(numbers.constLast(), u"e2101"_s);
        const Run exported = runCli(on(store, {u"export"_s}));
        QCOMPARE_EXIT(exported, 0);
        const QStringList exportedNumbers = seqNums(exported.out);
        QCOMPARE(exportedNumbers.size(), Count);
        QCOMPARE(exportedNumbers.constLast(), u"e2500"_s);

        const Run rebuilt = runCli(on(store, {u"verify"_s}, m_wideSchema));
        QCOMPARE_EXIT(rebuilt, 0);
        const QStringList progress = rebuilt.err.split(u'\n', Qt::SkipEmptyParts);
        QVERIFY2(progress.size() >= 2 && progress.size() <= 11, qPrintable(rebuilt.err));
        QCOMPARE(progress.constFirst(), u"rematerializing 0/2500 events"_s);
        QCOMPARE(progress.constLast(), u"rematerializing 2500/2500 events"_s);
        QCOMPARE(rebuilt.out, u"OK: state matches a replay of 2500 events\n"_s);
    }

    // --read-only: the tool reads a store while an app (here: this process) has it open.
    void readOnlyBesideAnApp()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        LiveStore::Store app;
        QVERIFY2(app.open(appOptions(store)), qPrintable(app.errorString()));

        const Run events = runCli(on(store, {u"--read-only"_s, u"events"_s, u"--json"_s}));
        QCOMPARE_EXIT(events, 0);
        QCOMPARE(jsonLines(events.out).size(), 4);
        // What the app commits meanwhile is read by the next run.
        QVERIFY(app.commit(u"v1.TodoCreated"_s, QVariantMap{{u"id"_s, u"c"_s}, {u"text"_s, u"Call mum"_s}}));
        const Run query = runCli(on(store, {u"query"_s, u"SELECT count(*) AS n FROM todos"_s, u"--json"_s,
                                            u"--read-only"_s}));
        QCOMPARE_EXIT(query, 0);
        QCOMPARE(parseObject(jsonLines(query.out).value(0)).value(u"n"_s).toInt(), 3);
        const Run info = runCli(on(store, {u"--read-only"_s, u"info"_s}));
        QCOMPARE_EXIT(info, 0);
        const Run verify = runCli(on(store, {u"--read-only"_s, u"verify"_s}));
        QCOMPARE_EXIT(verify, 0);

        // Writing is refused, and says why; the app's store is untouched.
        const Run commit = runCli(on(store, {u"--read-only"_s, u"commit"_s, u"v1.TodoCreated"_s,
                                             uR"({"id":"x","text":"no"})"_s}));
        QCOMPARE_EXIT(commit, 1);
        QVERIFY2(commit.err.contains(u"cannot run with --read-only"_s), qPrintable(commit.err));
        const Run sync = runCli(on(store, {u"--read-only"_s, u"--sync-url"_s, u"ws://127.0.0.1:1"_s, u"info"_s}));
        QCOMPARE_EXIT(sync, 2);
        QCOMPARE(app.eventCount(), 5);
        QVERIFY(app.commit(u"v1.TodoCompleted"_s, QVariantMap{{u"id"_s, u"c"_s}}));
    }

    // Without --read-only the tool shares the store with the app: its commits are numbered after
    // the app's, the app's live queries follow them, and the app's next commit comes after them.
    void commitBesideAnApp()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        LiveStore::Store app;
        QVERIFY2(app.open(appOptions(store)), qPrintable(app.errorString()));
        QVERIFY(!app.isShared());
        LiveStore::LiveQuery todos = app.liveQuery(LiveStore::Query::sql(u"SELECT id FROM todos ORDER BY id"_s));
        const int before = todos.result().rowCount();
        QSignalSpy changed(&app, &LiveStore::Store::eventlogChanged);
        const qint64 headBefore = app.head().global;

        const Run events = runCli(on(store, {u"events"_s, u"--json"_s}));
        QCOMPARE_EXIT(events, 0);
        QCOMPARE(jsonLines(events.out).size(), 4);
        const Run commit = runCli(on(store, {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"cli","text":"from the tool"})"_s}));
        QCOMPARE_EXIT(commit, 0);
        QTRY_COMPARE(todos.result().rowCount(), before + 1);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.constFirst().constFirst().toBool(), false);
        QCOMPARE(app.head().global, headBefore + 1);
        QVERIFY(app.commit(u"v1.TodoCompleted"_s, QVariantMap{{u"id"_s, u"cli"_s}}));
        QCOMPARE(app.head().global, headBefore + 2);
        const QList<LiveStore::EventRecord> log = app.events();
        QCOMPARE(log.size(), 6);
        QCOMPARE(log.at(4).name, u"v1.TodoCreated"_s);
        QVERIFY(log.at(4).sessionId != app.sessionId()); // the tool was a session of its own
        QCOMPARE(log.at(5).parentSeqNum, log.at(4).seqNum);
        const Run verify = runCli(on(store, {u"verify"_s}));
        QCOMPARE_EXIT(verify, 0);
    }

    // ---------------------------------------------------------------------------------------------
    // The schema the store records: commands without --schema, `schema export`
    // ---------------------------------------------------------------------------------------------

    // Without --schema the commands use the schema the store records: the same answers.
    void withoutSchemaOption()
    {
        const QStringList reads[] = {
            {u"events"_s, u"--json"_s},
            {u"events"_s},
            {u"query"_s, u"SELECT * FROM todos ORDER BY id"_s},
            {u"query"_s, u"SELECT * FROM uiState"_s, u"--json"_s},
            {u"export"_s},
            {u"info"_s},
            {u"verify"_s},
        };
        for (const QStringList &read : reads) {
            const Run given = runCli(on(m_fixture, read));
            QCOMPARE_EXIT(given, 0);
            const Run recorded = runCli(QStringList{u"--store"_s, m_fixture} + read);
            QCOMPARE_EXIT(recorded, 0);
            QCOMPARE(recorded.out, given.out);
            QCOMPARE(recorded.err, given.err);
            const Run readOnly = runCli(QStringList{u"--store"_s, m_fixture, u"--read-only"_s} + read);
            QCOMPARE_EXIT(readOnly, 0);
            QCOMPARE(readOnly.out, given.out);
        }
        // A commit checks its event against the recorded schema, as against the file.
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        const QStringList bare = {u"--store"_s, store};
        const Run commit = runCli(bare + QStringList{u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"c","text":"Call mum"})"_s});
        QCOMPARE_EXIT(commit, 0);
        QCOMPARE(commit.out, u"committed e4\n"_s);
        const Run unknown = runCli(bare + QStringList{u"commit"_s, u"v1.Nope"_s, u"{}"_s});
        QCOMPARE_EXIT(unknown, 1);
        QCOMPARE(unknown.err, u"livestore: commit: unknown event \"v1.Nope\": it is not defined in the schema\n"_s);
        const Run badArgs = runCli(bare + QStringList{u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"d"})"_s});
        QCOMPARE_EXIT(badArgs, 1);
        QVERIFY2(badArgs.err.contains(u"\"text\""_s), qPrintable(badArgs.err));
        const Run count = runCli(bare + QStringList{u"query"_s, u"SELECT count(*) AS n FROM todos"_s, u"--json"_s});
        QCOMPARE(parseObject(jsonLines(count.out).value(0)).value(u"n"_s).toInt(), 3);
    }

    // `schema export`: the recorded schema as a schema file, which works as --schema.
    void schemaExport()
    {
        const Run exported = runCli({u"--store"_s, m_fixture, u"schema"_s, u"export"_s});
        QCOMPARE_EXIT(exported, 0);
        QVERIFY2(exported.err.isEmpty(), qPrintable(exported.err));
        const LiveStore::Schema file = LiveStore::Schema::fromFile(m_schema);
        QCOMPARE(exported.out, QString::fromUtf8(file.toJson()));
        QVERIFY2(exported.out.contains(uR"("args": { "id": "string", "text": "string" })"_s), qPrintable(exported.out));

        // To a file, also beside an app that has the store open (no lock needed).
        QTemporaryDir dir;
        const QString path = dir.filePath(u"recorded.json"_s);
        {
            LiveStore::Store app;
            LiveStore::StoreOptions options;
            options.storeId = u"todos"_s;
            options.schema = file;
            options.directory = m_fixture;
            QVERIFY2(app.open(options), qPrintable(app.errorString()));
            const Run toFile = runCli({u"schema"_s, u"export"_s, u"-o"_s, path, u"--store"_s, m_fixture});
            QCOMPARE_EXIT(toFile, 0);
            QVERIFY(toFile.out.isEmpty());
        }
        QCOMPARE(QString::fromUtf8(fileBytes(path)), exported.out);

        // Used as --schema for a new store, with the fixture's events: the same state.
        const QString copy = newStore(dir);
        const Run events = runCli(on(m_fixture, {u"export"_s}));
        QCOMPARE_EXIT(runCli(on(copy, {u"import"_s, u"-"_s}, path), events.out.toUtf8()), 0);
        for (const QStringList &read : {QStringList{u"query"_s, u"SELECT * FROM todos ORDER BY id"_s},
                                        QStringList{u"events"_s, u"--json"_s}, QStringList{u"schema"_s, u"export"_s}}) {
            const Run original = runCli(QStringList{u"--store"_s, m_fixture} + read);
            const Run again = runCli(QStringList{u"--store"_s, copy} + read);
            QCOMPARE_EXIT(again, 0);
            QCOMPARE(again.out, original.out);
        }

        // Errors: no store, a store without a record, a bad subcommand, a file it cannot write.
        const Run none = runCli({u"--store"_s, dir.filePath(u"none"_s), u"schema"_s, u"export"_s});
        QCOMPARE_EXIT(none, 1);
        QCOMPARE(none.err, u"livestore: there is no store in %1 (no store.db)\n"_s.arg(dir.filePath(u"none"_s)));
        const Run unwritable = runCli({u"--store"_s, m_fixture, u"schema"_s, u"export"_s, u"-o"_s, dir.filePath(u"no/such/dir/x.json"_s)});
        QCOMPARE_EXIT(unwritable, 1);
        QVERIFY2(unwritable.err.startsWith(u"livestore: schema export: cannot write "_s), qPrintable(unwritable.err));
    }

    // A store created through the C++ API, with a C++ materializer: the commands read it without
    // --schema, commit what has SQL, and say which event they cannot commit or replay.
    void storeWrittenByTheCppApi()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        LiveStore::Schema schema = LiveStore::Schema::fromFile(m_schema);
        schema.addEvent(LiveStore::EventDef::synced(u"v1.TodoRenamed"_s)
                                .arg(u"id"_s, LiveStore::ArgType::String)
                                .arg(u"text"_s, LiveStore::ArgType::String)
                                .materialize([](const LiveStore::EventRecord &e, LiveStore::MaterializerContext &) {
                                    return LiveStore::Writes{LiveStore::Query::update(u"todos"_s, {{u"text"_s, e.arg(u"text"_s)}})
                                                                     .where(u"id"_s, e.arg(u"id"_s))};
                                }));
        {
            LiveStore::Store app;
            LiveStore::StoreOptions options;
            options.storeId = u"todos"_s;
            options.schema = schema;
            options.directory = store;
            QVERIFY2(app.open(options), qPrintable(app.errorString()));
            QVERIFY(app.commit(u"v1.TodoCreated"_s, QVariantMap{{u"id"_s, u"a"_s}, {u"text"_s, u"Buy milk"_s}}));
            QVERIFY(app.commit(u"v1.TodoRenamed"_s, QVariantMap{{u"id"_s, u"a"_s}, {u"text"_s, u"Buy oat milk"_s}}));
        }
        const QStringList bare = {u"--store"_s, store};
        const Run query = runCli(bare + QStringList{u"query"_s, u"SELECT id, text, completed FROM todos"_s, u"--json"_s});
        QCOMPARE_EXIT(query, 0);
        QCOMPARE(query.out, uR"({"id":"a","text":"Buy oat milk","completed":false})"_s + u'\n');
        const Run events = runCli(bare + QStringList{u"events"_s});
        QCOMPARE_EXIT(events, 0);
        QCOMPARE(jsonLines(events.out).size(), 2);
        QVERIFY(events.out.contains(u"v1.TodoRenamed"_s));
        const Run exported = runCli(bare + QStringList{u"schema"_s, u"export"_s});
        QCOMPARE_EXIT(exported, 0);
        QVERIFY2(exported.out.contains(uR"("name": "v1.TodoRenamed")"_s)
                         && exported.out.contains(uR"("materializer": { "cpp": true })"_s),
                 qPrintable(exported.out));

        // What has SQL commits; what needs the app's code is refused, naming the event.
        QCOMPARE_EXIT(runCli(bare + QStringList{u"commit"_s, u"v1.TodoCompleted"_s, uR"({"id":"a"})"_s}), 0);
        const Run renamed = runCli(bare + QStringList{u"commit"_s, u"v1.TodoRenamed"_s, uR"({"id":"a","text":"x"})"_s});
        QCOMPARE_EXIT(renamed, 1);
        QVERIFY2(renamed.err.startsWith(u"livestore: commit: cannot materialize event \"v1.TodoRenamed\" (e4): its materializer is C++ code"_s),
                 qPrintable(renamed.err));
        const Run verify = runCli(bare + QStringList{u"verify"_s});
        QCOMPARE_EXIT(verify, 1);
        QVERIFY2(verify.err.contains(u"cannot materialize event \"v1.TodoRenamed\" (e2)"_s), qPrintable(verify.err));
        QCOMPARE(jsonLines(runCli(bare + QStringList{u"events"_s}).out).size(), 3);
    }

    // A store created by a QML Store with an inline schema: the commands read it without
    // --schema, and the recorded schema keeps the declared argument order.
    void storeWrittenByQml()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        {
            QQmlEngine engine;
            engine.addImportPath(QStringLiteral(LIVESTORE_QML_IMPORT_DIR));
            QQmlComponent component(&engine);
            component.setData(R"qml(
                import LiveStore
                Store {
                    asynchronous: false
                    Table { name: "notes"
                        TableColumn { name: "id"; type: "text"; primaryKey: true }
                        TableColumn { name: "body"; type: "text" }
                        TableColumn { name: "pinned"; type: "boolean"; defaultValue: false } }
                    EventDefinition { name: "v1.NoteAdded"; args: ({ zeta: "string", body: "string", id: "string" })
                                      sql: "INSERT INTO notes (id, body) VALUES ($id, $body || $zeta)" }
                    ClientDocumentDefinition { name: "ui"; defaultValue: ({ filter: "all" }) }
                })qml", QUrl());
            std::unique_ptr<QObject> qmlStore(component.createWithInitialProperties(
                    {{u"storeId"_s, u"todos"_s}, {u"directory"_s, store}}));
            QVERIFY2(qmlStore, qPrintable(component.errorString()));
            QCOMPARE(qmlStore->property("errorString").toString(), QString());
            bool ok = false;
            QVERIFY(QMetaObject::invokeMethod(qmlStore.get(), "commit", Q_RETURN_ARG(bool, ok), Q_ARG(QString, u"v1.NoteAdded"_s),
                                              Q_ARG(QJSValue, engine.toScriptValue(QVariantMap{{u"id"_s, u"n1"_s}, {u"body"_s, u"Hello"_s}, {u"zeta"_s, u"!"_s}}))));
            QVERIFY(ok);
        }
        const QStringList bare = {u"--store"_s, store};
        const Run query = runCli(bare + QStringList{u"query"_s, u"SELECT * FROM notes"_s, u"--json"_s});
        QCOMPARE_EXIT(query, 0);
        QCOMPARE(query.out, uR"({"id":"n1","body":"Hello!","pinned":false})"_s + u'\n');
        const Run events = runCli(bare + QStringList{u"events"_s, u"--json"_s});
        QCOMPARE_EXIT(events, 0);
        QCOMPARE(parseObject(events.out).value(u"name"_s).toString(), u"v1.NoteAdded"_s);
        const Run exported = runCli(bare + QStringList{u"schema"_s, u"export"_s});
        QCOMPARE_EXIT(exported, 0);
        QVERIFY2(exported.out.contains(uR"("args": { "zeta": "string", "body": "string", "id": "string" })"_s), qPrintable(exported.out));
        QVERIFY2(exported.out.contains(uR"({ "name": "ui", "default": { "id": "default", "value": { "filter": "all" } } })"_s), qPrintable(exported.out));
        const Run commit = runCli(bare + QStringList{u"commit"_s, u"v1.NoteAdded"_s, uR"({"zeta":"?","body":"Hi","id":"n2"})"_s});
        QCOMPARE_EXIT(commit, 0);
        QCOMPARE(commit.out, u"committed e2\n"_s);
        QCOMPARE_EXIT(runCli(bare + QStringList{u"verify"_s}), 0);
    }

    // A store last written before stores recorded their schema: a clear error without --schema;
    // --schema works, and once without --read-only records it.
    void storeWithoutRecordedSchema()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        QVERIFY(execSql(store, "DELETE FROM __livestore_meta WHERE key = 'schema'"));
        const QStringList bare = {u"--store"_s, store};
        const QString error = u"livestore: the store in %1 records no schema (it was last written before stores "
                              "recorded theirs): pass --schema FILE; once without --read-only records it for the "
                              "commands after\n"_s.arg(store);
        for (const QStringList &command : {QStringList{u"events"_s}, QStringList{u"query"_s, u"SELECT 1"_s},
                                           QStringList{u"schema"_s, u"export"_s}, QStringList{u"--read-only"_s, u"info"_s}}) {
            const Run r = runCli(bare + command);
            QCOMPARE_EXIT(r, 1);
            QCOMPARE(r.err, error);
            QVERIFY(r.out.isEmpty());
        }
        // Read-only with --schema reads, and records nothing.
        QCOMPARE_EXIT(runCli(on(store, {u"--read-only"_s, u"events"_s})), 0);
        QCOMPARE_EXIT(runCli(bare + QStringList{u"events"_s}), 1);
        // Opened for writing with it, the store records it.
        QCOMPARE_EXIT(runCli(on(store, {u"info"_s})), 0);
        const Run events = runCli(bare + QStringList{u"events"_s, u"--json"_s});
        QCOMPARE_EXIT(events, 0);
        QCOMPARE(events.out, runCli(on(store, {u"events"_s, u"--json"_s})).out);
    }

    // --schema overrides the record, and replaces it: the next command without --schema uses it.
    void schemaOptionReplacesTheRecord()
    {
        QTemporaryDir dir;
        const QString store = newStore(dir);
        QVERIFY(fill(store));
        const QStringList bare = {u"--store"_s, store};
        const Run narrow = runCli(bare + QStringList{u"query"_s, u"SELECT priority FROM todos"_s});
        QCOMPARE_EXIT(narrow, 1);
        QVERIFY2(narrow.err.contains(u"no such column: priority"_s), qPrintable(narrow.err));
        // Read-only cannot rebuild the state for other tables; for writing it does, and records.
        QCOMPARE_EXIT(runCli(on(store, {u"--read-only"_s, u"info"_s}, m_wideSchema)), 1);
        const Run wide = runCli(on(store, {u"query"_s, u"SELECT id, priority FROM todos ORDER BY id"_s, u"--json"_s}, m_wideSchema));
        QCOMPARE_EXIT(wide, 0);
        const Run recorded = runCli(bare + QStringList{u"query"_s, u"SELECT id, priority FROM todos ORDER BY id"_s, u"--json"_s});
        QCOMPARE_EXIT(recorded, 0);
        QCOMPARE(recorded.out, wide.out);
        QCOMPARE(jsonLines(recorded.out).size(), 2);
        const Run exported = runCli(bare + QStringList{u"schema"_s, u"export"_s});
        QCOMPARE(exported.out, QString::fromUtf8(LiveStore::Schema::fromFile(m_wideSchema).toJson()));
    }

    void info()
    {
        const Run r = runCli(on(m_fixture, {u"info"_s}));
        QCOMPARE_EXIT(r, 0);
        const auto schema = LiveStore::Schema::fromFile(m_schema);
        QVERIFY2(schema.isValid(), qPrintable(schema.errorString()));
        const QStringList lines = r.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 8);
        QCOMPARE(lines.at(0), u"store id:    todos"_s);
        QCOMPARE(lines.at(1), u"directory:   "_s + QDir(m_fixture).absolutePath());
        QCOMPARE(lines.at(2), u"client id:   "_s + m_clientId);
        QVERIFY(lines.at(3).startsWith(u"session id:  "_s));
        QCOMPARE(lines.at(4), u"head:        e3.1"_s);
        QCOMPARE(lines.at(5), u"events:      4"_s);
        QCOMPARE(lines.at(6), u"schema hash: "_s + QString::number(schema.stateHash()));
        QCOMPARE(lines.at(7), u"tables:      todos (2 rows), uiState (1 row)"_s);
    }

    void storeId()
    {
        QTemporaryDir dir;
        // Derived from the directory's name, and checked against the store's on every open.
        const QString store = newStore(dir);
        QCOMPARE_EXIT(runCli(on(store, {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"a","text":"x"})"_s})), 0);
        const Run other = runCli(on(store, {u"--store-id"_s, u"other"_s, u"events"_s}));
        QCOMPARE_EXIT(other, 1);
        QCOMPARE(other.err, u"livestore: cannot open the store in %1: the store directory %1 holds store \"todos\", not \"other\"\n"_s.arg(store));

        // A directory whose name is no id works with --store-id.
        const QString spaced = dir.filePath(u"my store"_s);
        const QStringList id = {u"--store-id"_s, u"mine"_s};
        QCOMPARE_EXIT(runCli(on(spaced, id + QStringList{u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"a","text":"x"})"_s})), 0);
        const Run r = runCli(on(spaced, id + QStringList{u"info"_s}));
        QCOMPARE_EXIT(r, 0);
        QVERIFY(r.out.startsWith(u"store id:    mine\n"_s));
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
