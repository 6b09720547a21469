// SPDX-License-Identifier: BSD-3-Clause
// Every argument type, both ways between our `livestore` CLI and a real LiveStore 0.4.0 client
// (tests/interop/schemas/argtypes.mjs on Node), through our sync server. Our side uses
// tests/shared/argtypes.json, the same schema in our format. The Node client commits its samples
// (N-0, N-1, ...), our CLI commits the same values (Q-0, Q-1, ...), spelt as a user might type
// them (-0, 1E21, a date with an offset, struct and record keys out of order, escapes
// JSON.stringify does not write); then:
//   - every event's argsJson is the same bytes in our eventlog, in the server's database and in
//     the LiveStore client's eventlog;
//   - our Q-i has exactly the bytes LiveStore wrote for its N-i (our encoding is LiveStore's);
//   - both `samples` tables are identical, byte for byte per text and to the last bit per real,
//     and row Q-i equals row N-i (our SQL materializers store what LiveStore's do);
//   - fresh clients of either kind see the same;
//   - our CLI refuses what LiveStore would refuse to decode ("c" for Literal('a','b'), a struct
//     missing fields), so such values never reach the server.
//
// Without node or npm this skips, saying so; with them, a harness that cannot be installed fails
// in CI (CI=true) and skips loudly elsewhere (interopharness.h).
#include "interopharness.h"
#include "serverprocess.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace {

constexpr auto StoreId = "argtypes";

struct Sample
{
    const char *event;
    const char *args; // the arguments without "id", as JSON members
};

// The same values as `samples` in argtypes.mjs, in the same order.
const Sample Samples[] = {
    {"v1.TextSet", "\"v\":\"plain\""},
    {"v1.TextSet", "\"v\":\"\""},
    {"v1.TextSet", "\"v\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001F\\u007f" "\xC2\x80\xE2\x80\xA8\xE2\x80\xA9" "é€😀\""},
    {"v1.TextSet", "\"v\":\"a\\ud800b\""},
    {"v1.TextSet", "\"v\":\"x\\uDC00\""},
    {"v1.NumberSet", "\"v\":0.1"},
    {"v1.NumberSet", "\"v\":1E21"},
    {"v1.NumberSet", "\"v\":5e-324"},
    {"v1.NumberSet", "\"v\":-0"},
    {"v1.NumberSet", "\"v\":1.7976931348623157e308"},
    {"v1.NumberSet", "\"v\":-0.0000001"},
    {"v1.NumberSet", "\"v\":123456789.1250"},
    {"v1.NumberSet", "\"v\":1e20"},
    {"v1.IntSet", "\"v\":9007199254740991"},
    {"v1.IntSet", "\"v\":-9007199254740991"},
    {"v1.IntSet", "\"v\":0"},
    {"v1.BoolSet", "\"v\":true"},
    {"v1.BoolSet", "\"v\":false"},
    {"v1.DateSet", "\"v\":\"2024-05-01T14:00:00+02:00\""},
    {"v1.DateSet", "\"v\":\"0000-01-01T00:00:00.000Z\""},
    {"v1.DateSet", "\"v\":\"-000001-01-01T00:00:00.000Z\""},
    {"v1.DateSet", "\"v\":\"+010000-01-01T00:00:00.000Z\""},
    {"v1.DateSet", "\"v\":\"+275760-09-13T00:00:00.000Z\""},
    {"v1.DateSet", "\"v\":\"-271821-04-20T00:00:00.000Z\""},
    {"v1.DateSet", "\"v\":\"1969-12-31T23:59:59.999Z\""},
    {"v1.MaybeSet", "\"n\":null"},
    {"v1.MaybeSet", "\"n\":2.5,\"o\":\"here\""},
    {"v1.StructSet", "\"v\":{\"list\":[{\"when\":\"1970-01-01T00:00:00Z\"}],\"inner\":{\"flag\":true,\"when\":\"+010000-01-01T00:00:00.000Z\"},\"alpha\":0.1,\"zeta\":\"z\"}"},
    {"v1.ArraySet", "\"v\":[]"},
    {"v1.ArraySet", "\"v\":[1,0.5,-0,1E21,5e-324]"},
    {"v1.RecordSet", "\"v\":{\"b\":2,\"10\":10,\"2\":2}"},
    {"v1.RecordSet", "\"v\":{\"zeta\":1,\"alpha\":0.1}"},
    {"v1.RecordSet", "\"v\":{}"},
    {"v1.ChoiceSet", "\"v\":\"a\""},
    {"v1.ChoiceSet", "\"v\":\"b\""},
};
constexpr int SampleCount = int(std::size(Samples));

// The statement argtypes.mjs runs on its state: every column as typeof:value, text as the hex of
// its UTF-8 bytes, reals as numbers (SQLite's text for a real differs in the last digit between
// SQLite versions, so each side prints the number it got, and normalReal() compares the values).
QString stateSql()
{
    QStringList columns{u"id"_s};
    for (const QString c : {u"kind"_s, u"s"_s, u"n"_s, u"i"_s, u"b"_s, u"d"_s, u"dms"_s, u"j"_s}) {
        columns << u"CASE typeof(%1) WHEN 'text' THEN 'text:' || hex(%1) WHEN 'real' THEN %1 "
                   "WHEN 'null' THEN 'null' ELSE typeof(%1) || ':' || %1 END AS %1"_s.arg(c);
    }
    return u"SELECT "_s + columns.join(u", "_s) + u" FROM samples ORDER BY id"_s;
}

// "real:<number as either side printed it>" as one spelling per double (17 significant digits
// identify a double; -0 keeps its sign).
QJsonArray normalReals(const QJsonArray &rows)
{
    QJsonArray out;
    for (const QJsonValue &row : rows) {
        QJsonArray cells;
        for (const QJsonValue &cell : row.toArray()) {
            const QString text = cell.toString();
            if (!text.startsWith(u"real:"_s)) {
                cells.append(cell);
                continue;
            }
            bool ok = false;
            const double d = QStringView(text).mid(5).toDouble(&ok);
            cells.append(ok ? u"real:"_s + QString::number(d, 'g', 17) : u"<not a number: %1>"_s.arg(text));
        }
        out.append(cells);
    }
    return out;
}

const QStringList StateColumns{u"id"_s, u"kind"_s, u"s"_s, u"n"_s, u"i"_s, u"b"_s, u"d"_s, u"dms"_s, u"j"_s};

struct LoggedEvent
{
    qint64 seqNum = 0;
    QString name;
    QByteArray args;
    bool operator==(const LoggedEvent &o) const { return seqNum == o.seqNum && name == o.name && args == o.args; }
};

// Reads events from an SQLite file as they are stored (argsJson as bytes, no JSON parsing).
bool readEvents(const QString &file, const char *sql, QList<LoggedEvent> *out, QString *error)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        *error = u"cannot open %1: %2"_s.arg(file, QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_close(db);
        return false;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
        *error = u"%1: %2"_s.arg(file, QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_close(db);
        return false;
    }
    out->clear();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        LoggedEvent e;
        e.seqNum = sqlite3_column_int64(st, 0);
        e.name = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(st, 1)));
        e.args = QByteArray(reinterpret_cast<const char *>(sqlite3_column_blob(st, 2)), sqlite3_column_bytes(st, 2));
        out->append(e);
    }
    if (rc != SQLITE_DONE)
        *error = u"%1: %2"_s.arg(file, QString::fromUtf8(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE;
}

QString lineAfter(const QString &output, const QString &prefix)
{
    for (const QString &line : output.split(u'\n')) {
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed();
    }
    return {};
}

QString describe(const QList<LoggedEvent> &events)
{
    QString out;
    for (const LoggedEvent &e : events)
        out += u"  e%1 %2 %3\n"_s.arg(e.seqNum).arg(e.name, QString::fromUtf8(e.args));
    return out;
}

// A state row with its id made neutral, to compare Q-i with N-i.
QJsonArray withoutId(QJsonArray row)
{
    row.removeFirst();
    return row;
}

} // namespace

class tst_ArgTypesInterop : public QObject
{
    Q_OBJECT

private:
    Interop::Harness m_harness;
    QTemporaryDir m_dir;
    ServerProcess m_server;

    QString url() const { return u"ws://127.0.0.1:%1"_s.arg(m_server.port); }

    Interop::Run ours(const QString &store, const QStringList &args, bool sync)
    {
        QStringList all{u"--store"_s, m_dir.filePath(store), u"--schema"_s,
                        QStringLiteral(LIVESTORE_ARGTYPES_SCHEMA), u"--store-id"_s, QString::fromLatin1(StoreId)};
        if (sync)
            all << u"--sync-url"_s << url() << u"--sync-timeout"_s << u"60"_s;
        return Interop::run(QStringLiteral(LIVESTORE_CLI_PATH), all + args, m_dir.path(), 90000);
    }

    Interop::Run node(const QString &name, int count, int expected)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"SCHEMA"_s, u"argtypes"_s);
        env.insert(u"SYNC_URL"_s, url());
        env.insert(u"STORE_ID"_s, QString::fromLatin1(StoreId));
        env.insert(u"DATA_DIR"_s, m_dir.filePath(u"node"_s));
        env.insert(u"TIMEOUT_MS"_s, u"60000"_s);
        return m_harness.runScript(u"client.mjs"_s, {name, QString::number(count), QString::number(expected)}, 120000,
                                   env);
    }

    // Our store's state, rows as arrays in StateColumns order.
    QJsonArray ourState(const QString &store)
    {
        const Interop::Run r = ours(store, {u"query"_s, stateSql(), u"--json"_s}, false);
        if (r.exitCode != 0) {
            qWarning().noquote() << r.output;
            return {};
        }
        QJsonArray rows;
        for (const QString &line : r.output.split(u'\n', Qt::SkipEmptyParts)) {
            const QJsonObject o = QJsonDocument::fromJson(line.toUtf8()).object();
            QJsonArray row;
            for (const QString &c : StateColumns) {
                const QJsonValue v = o.value(c);
                // Our CLI prints a double with the shortest digits that give it back.
                row.append(v.isDouble() ? QJsonValue(u"real:"_s + QString::number(v.toDouble(), 'g', 17)) : v);
            }
            rows.append(row);
        }
        return normalReals(rows);
    }

    QList<LoggedEvent> ourEvents(const QString &store, QString *error)
    {
        QList<LoggedEvent> events;
        readEvents(m_dir.filePath(store + u"/store.db"_s),
                   "SELECT seqNumGlobal, name, argsJson FROM __livestore_eventlog WHERE seqNumClient = 0 "
                   "ORDER BY seqNumGlobal",
                   &events, error);
        return events;
    }

    QList<LoggedEvent> serverEvents(QString *error)
    {
        QList<LoggedEvent> events;
        readEvents(m_dir.filePath(u"server/sync.db"_s),
                   "SELECT seqNum, name, args FROM events WHERE storeId = 'argtypes' ORDER BY seqNum", &events, error);
        return events;
    }

private Q_SLOTS:
    void everyTypeBothWays()
    {
        LIVESTORE_REQUIRE_INTEROP(m_harness);
        QVERIFY2(m_server.start({u"--data"_s, m_dir.filePath(u"server"_s)}), qPrintable(m_server.allStderr()));
        QString error;

        // LiveStore commits its samples.
        const Interop::Run n1 = node(u"N"_s, SampleCount, SampleCount);
        QVERIFY2(n1.exitCode == 0, qPrintable(n1.output.right(3000)));
        QTRY_COMPARE_WITH_TIMEOUT(serverEvents(&error).size(), SampleCount, 30000);

        // Ours refuses what LiveStore could not decode; nothing is written.
        const Interop::Run literal = ours(u"q"_s, {u"commit"_s, u"v1.ChoiceSet"_s, uR"({"id":"bad","v":"c"})"_s}, false);
        QVERIFY2(literal.exitCode != 0
                         && literal.output.contains(uR"(event "v1.ChoiceSet": argument "v" must be one of "a", "b", got "c")"_s),
                 qPrintable(literal.output));
        const Interop::Run partial = ours(u"q"_s, {u"commit"_s, u"v1.StructSet"_s, uR"({"id":"bad","v":{"zeta":"z"}})"_s}, false);
        QVERIFY2(partial.exitCode != 0
                         && partial.output.contains(uR"(event "v1.StructSet": argument "v.alpha" is missing (a number))"_s),
                 qPrintable(partial.output));
        const Interop::Run extra = ours(u"q"_s, {u"commit"_s, u"v1.RecordSet"_s, uR"({"id":"bad","v":{"a":"1"}})"_s}, false);
        QVERIFY2(extra.exitCode != 0 && extra.output.contains(uR"(argument "v.a" must be a number)"_s),
                 qPrintable(extra.output));
        // (A refused first commit may leave no store file at all.)
        QVERIFY(ourEvents(u"q"_s, &error).isEmpty());
        error.clear();

        // Ours commits the same values offline, then syncs: rebased onto LiveStore's and pushed.
        for (int i = 0; i < SampleCount; ++i) {
            const QString args = u"{%1,\"id\":\"Q-%2\"}"_s.arg(QString::fromUtf8(Samples[i].args)).arg(i);
            const Interop::Run c = ours(u"q"_s, {u"commit"_s, QString::fromLatin1(Samples[i].event), args}, false);
            QVERIFY2(c.exitCode == 0, qPrintable(args + u": "_s + c.output));
        }
        const Interop::Run synced = ours(u"q"_s, {u"query"_s, u"SELECT count(*) AS n FROM samples"_s, u"--json"_s}, true);
        QVERIFY2(synced.exitCode == 0 && synced.output.trimmed().endsWith(u"{\"n\":%1}"_s.arg(2 * SampleCount)),
                 qPrintable(synced.output.right(3000) + u"\n--- server:\n"_s + m_server.allStderr().right(2000)));
        QTRY_COMPARE_WITH_TIMEOUT(serverEvents(&error).size(), 2 * SampleCount, 30000);

        // LiveStore again, from its own data: pulls ours.
        const Interop::Run n2 = node(u"N"_s, 0, 2 * SampleCount);
        QVERIFY2(n2.exitCode == 0, qPrintable(n2.output.right(3000)));

        // Bytes: one history, the same in all three places.
        const QList<LoggedEvent> server = serverEvents(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(server.size(), 2 * SampleCount);
        const QList<LoggedEvent> ourLog = ourEvents(u"q"_s, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QList<LoggedEvent> nodeLog;
        const QString nodeFile = lineAfter(n2.output, u"EVENTLOG_FILE "_s);
        QVERIFY2(readEvents(nodeFile,
                            "SELECT seqNumGlobal, name, argsJson FROM eventlog WHERE seqNumClient = 0 "
                            "ORDER BY seqNumGlobal",
                            &nodeLog, &error),
                 qPrintable(error + u"\n"_s + n2.output.right(2000)));
        QVERIFY2(ourLog == server, qPrintable(u"ours:\n"_s + describe(ourLog) + u"server:\n"_s + describe(server)));
        QVERIFY2(nodeLog == server, qPrintable(u"LiveStore's:\n"_s + describe(nodeLog) + u"server:\n"_s + describe(server)));

        // Our encoding is LiveStore's: Q-i has the bytes LiveStore wrote for N-i.
        QHash<QString, LoggedEvent> byId;
        for (const LoggedEvent &e : server)
            byId.insert(QJsonDocument::fromJson(e.args).object().value(u"id"_s).toString(), e);
        for (int i = 0; i < SampleCount; ++i) {
            const QString n = u"N-%1"_s.arg(i), q = u"Q-%1"_s.arg(i);
            QVERIFY2(byId.contains(n) && byId.contains(q), qPrintable(describe(server)));
            QByteArray expected = byId.value(n).args;
            expected.replace(QString(u'"' + n + u'"').toUtf8(), QString(u'"' + q + u'"').toUtf8());
            QVERIFY2(byId.value(q).args == expected,
                     qPrintable(u"sample %1 (%2): ours %3, LiveStore's %4"_s.arg(i).arg(
                             QString::fromLatin1(Samples[i].event), QString::fromUtf8(byId.value(q).args),
                             QString::fromUtf8(byId.value(n).args))));
        }

        // State: both tables identical, and Q-i stored as N-i.
        const QJsonArray nodeState =
                normalReals(QJsonDocument::fromJson(lineAfter(n2.output, u"SAMPLES "_s).toUtf8()).array());
        const QJsonArray ourRows = ourState(u"q"_s);
        QCOMPARE(ourRows.size(), 2 * SampleCount);
        for (qsizetype r = 0; r < ourRows.size(); ++r)
            QCOMPARE(QJsonDocument(ourRows.at(r).toArray()).toJson(QJsonDocument::Compact),
                     QJsonDocument(nodeState.at(r).toArray()).toJson(QJsonDocument::Compact));
        QHash<QString, QJsonArray> rowById;
        for (const QJsonValue &row : ourRows)
            rowById.insert(row.toArray().at(0).toString(), row.toArray());
        for (int i = 0; i < SampleCount; ++i) {
            QVERIFY2(withoutId(rowById.value(u"Q-%1"_s.arg(i))) == withoutId(rowById.value(u"N-%1"_s.arg(i))),
                     qPrintable(u"sample %1: Q %2, N %3"_s.arg(i).arg(
                             QString::fromUtf8(QJsonDocument(rowById.value(u"Q-%1"_s.arg(i))).toJson(QJsonDocument::Compact)),
                             QString::fromUtf8(QJsonDocument(rowById.value(u"N-%1"_s.arg(i))).toJson(QJsonDocument::Compact)))));
        }

        // Fresh clients of either kind see the same.
        const Interop::Run fresh = node(u"F"_s, 0, 2 * SampleCount);
        QVERIFY2(fresh.exitCode == 0, qPrintable(fresh.output.right(3000)));
        QCOMPARE(normalReals(QJsonDocument::fromJson(lineAfter(fresh.output, u"SAMPLES "_s).toUtf8()).array()), nodeState);
        const Interop::Run joined = ours(u"fresh"_s, {u"verify"_s}, true);
        QVERIFY2(joined.exitCode == 0, qPrintable(joined.output.right(3000)));
        QCOMPARE(ourState(u"fresh"_s), ourRows);
        QCOMPARE(ourEvents(u"fresh"_s, &error), server);
        qInfo("%d samples of every argument type, both ways: identical bytes in three eventlogs, identical state",
              SampleCount);
    }
};

QTEST_GUILESS_MAIN(tst_ArgTypesInterop)
#include "tst_argtypesinterop.moc"
