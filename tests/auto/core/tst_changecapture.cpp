// SPDX-License-Identifier: BSD-3-Clause
// Change captures (changecapture_p.h) against SQLite's own session extension, the oracle: the
// same random writes to two copies of a database, one watched by sessions and one by captures,
// must give the same changesets (the same records, in whatever order), and a capture's changeset
// inverted and applied must bring its database back to where it was.
#include <changecapture_p.h>

#include <QtCore/qrandom.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

#include <cstring>
#include <memory>

using namespace LiveStore::detail;
using namespace Qt::StringLiterals;

namespace {

struct Connection
{
    Connection()
    {
        if (sqlite3_open(":memory:", &db) != SQLITE_OK)
            qFatal("cannot open an in-memory database");
    }
    ~Connection() { sqlite3_close(db); }
    bool exec(const QByteArray &sql) const
    {
        char *message = nullptr;
        const int rc = sqlite3_exec(db, sql.constData(), nullptr, nullptr, &message);
        if (rc != SQLITE_OK && message)
            lastError = QByteArray(message);
        sqlite3_free(message);
        return rc == SQLITE_OK;
    }
    sqlite3 *db = nullptr;
    mutable QByteArray lastError;
};

constexpr const char *Schema[] = {
    // A rowid table with a text key (which may be NULL: such rows are not recorded).
    "CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER, t TEXT, r REAL, b BLOB)",
    // A rowid alias as the key.
    "CREATE TABLE counters (k INTEGER PRIMARY KEY, v ANY)",
    // A composite key in another order than the columns.
    "CREATE TABLE pairs (a TEXT NOT NULL, v, b INTEGER NOT NULL, PRIMARY KEY (b, a)) WITHOUT ROWID",
    // No primary key: not recorded.
    "CREATE TABLE loose (x, y)",
    // The store's own: not a state table.
    "CREATE TABLE __livestore_things (k TEXT PRIMARY KEY, v)",
};

QByteArray randomValue(QRandomGenerator &random)
{
    switch (random.bounded(6)) {
    case 0:
        return "NULL";
    case 1:
        return QByteArray::number(random.bounded(-3, 4));
    case 2:
        return QByteArray::number(random.bounded(100) / 4.0, 'g', 17);
    case 3:
        return "'" + QByteArray(random.bounded(3), char('a' + random.bounded(3))) + "'";
    case 4:
        return "x'" + QByteArray::number(random.bounded(256), 16).rightJustified(2, '0') + "'";
    default:
        return QByteArray::number(random.bounded(1000000000000LL));
    }
}

QByteArray randomKey(QRandomGenerator &random)
{
    return "'k" + QByteArray::number(random.bounded(6)) + "'";
}

// One random write (or a savepoint around several) to the tables of Schema.
QList<QByteArray> randomWrite(QRandomGenerator &random)
{
    const auto key = [&] { return randomKey(random); };
    const auto value = [&] { return randomValue(random); };
    switch (random.bounded(14)) {
    case 0:
        return {"INSERT OR REPLACE INTO items VALUES (" + key() + ", " + value() + ", " + value() + ", "
                + value() + ", " + value() + ")"};
    case 1:
        return {"UPDATE items SET n = " + value() + ", t = " + value() + " WHERE id = " + key()};
    case 2:
        return {"UPDATE items SET id = " + key() + " WHERE id = " + key()}; // may fail: a key taken
    case 3:
        return {"DELETE FROM items WHERE id = " + key()};
    case 4:
        return {"INSERT OR REPLACE INTO counters VALUES (" + QByteArray::number(random.bounded(5)) + ", "
                + value() + ")"};
    case 5:
        return {"UPDATE counters SET k = k + 1 WHERE k = " + QByteArray::number(random.bounded(5))};
    case 6:
        return {"INSERT OR REPLACE INTO pairs VALUES (" + key() + ", " + value() + ", "
                + QByteArray::number(random.bounded(3)) + ")"};
    case 7:
        return {"UPDATE pairs SET v = " + value() + " WHERE b = " + QByteArray::number(random.bounded(3))};
    case 8:
        return {"DELETE FROM pairs"};
    case 9:
        return {"INSERT INTO loose VALUES (" + value() + ", " + value() + ")",
                "INSERT OR REPLACE INTO __livestore_things VALUES (" + key() + ", " + value() + ")"};
    case 10:
        return {"UPDATE items SET r = r"}; // changes nothing in net
    case 11:
        return {"INSERT OR REPLACE INTO items (id, n) VALUES (NULL, " + value() + ")"};
    case 12: {
        // Writes that a savepoint takes back, or keeps.
        QList<QByteArray> writes{"SAVEPOINT s"};
        for (int i = 0; i < 3; ++i)
            writes += randomWrite(random);
        writes += random.bounded(2) ? QByteArray("ROLLBACK TO s") : QByteArray("RELEASE s");
        if (writes.last().startsWith("ROLLBACK"))
            writes += "RELEASE s";
        return writes;
    }
    default:
        return {"DELETE FROM items WHERE n > " + QByteArray::number(random.bounded(-3, 4))};
    }
}

QString describeValue(sqlite3_value *value)
{
    if (!value)
        return u"-"_s;
    switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
        return u"i%1"_s.arg(sqlite3_value_int64(value));
    case SQLITE_FLOAT:
        return u"r%1"_s.arg(sqlite3_value_double(value), 0, 'g', 17);
    case SQLITE_TEXT:
        return u"t'"_s + QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_value_text(value)),
                                            sqlite3_value_bytes(value)) + u'\'';
    case SQLITE_BLOB:
        return u"b"_s + QString::fromLatin1(QByteArray(static_cast<const char *>(sqlite3_value_blob(value)),
                                                       sqlite3_value_bytes(value)).toHex());
    default:
        return u"null"_s;
    }
}

// A changeset's records, one line each (table, operation, key columns, old and new values),
// sorted: SQLite's order of records within a table is its hash table's.
QStringList describe(const QByteArray &changeset, bool *ok)
{
    QStringList lines;
    *ok = true;
    if (changeset.isEmpty())
        return lines;
    sqlite3_changeset_iter *it = nullptr;
    if (sqlite3changeset_start(&it, int(changeset.size()), const_cast<char *>(changeset.constData())) != SQLITE_OK) {
        *ok = false;
        return lines;
    }
    while (sqlite3changeset_next(it) == SQLITE_ROW) {
        const char *table = nullptr;
        int columns = 0, op = 0, indirect = 0;
        unsigned char *pk = nullptr;
        int pkColumns = 0;
        sqlite3changeset_op(it, &table, &columns, &op, &indirect);
        sqlite3changeset_pk(it, &pk, &pkColumns);
        QString line = QString::fromUtf8(table).toLower() + u' '
                + (op == SQLITE_INSERT ? u"INSERT"_s : op == SQLITE_DELETE ? u"DELETE"_s : u"UPDATE"_s)
                + u" indirect=%1 pk="_s.arg(indirect);
        for (int c = 0; c < pkColumns; ++c)
            line += QString::number(pk[c]);
        for (int c = 0; c < columns; ++c) {
            sqlite3_value *oldValue = nullptr, *newValue = nullptr;
            if (op != SQLITE_INSERT)
                sqlite3changeset_old(it, c, &oldValue);
            if (op != SQLITE_DELETE)
                sqlite3changeset_new(it, c, &newValue);
            line += u" ["_s + describeValue(oldValue) + u" > "_s + describeValue(newValue) + u']';
        }
        lines.append(line);
    }
    if (sqlite3changeset_finalize(it) != SQLITE_OK)
        *ok = false;
    lines.sort();
    return lines;
}

// The rows of the recorded tables, to compare a database before and after an undo.
QStringList dump(sqlite3 *db)
{
    QStringList rows;
    for (const char *sql : {"SELECT * FROM items WHERE id IS NOT NULL ORDER BY id",
                            "SELECT * FROM counters ORDER BY k", "SELECT * FROM pairs ORDER BY b, a"}) {
        sqlite3_stmt *stmt = nullptr;
        sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            QString row = QString::fromLatin1(sql).section(u' ', 3, 3);
            for (int c = 0; c < sqlite3_column_count(stmt); ++c)
                row += u' ' + describeValue(sqlite3_column_value(stmt, c));
            rows.append(row);
        }
        sqlite3_finalize(stmt);
    }
    return rows;
}

int stateTablesOnly(void *, const char *table)
{
    return std::strncmp(table, "__livestore_", 12) != 0;
}

QByteArray sessionChangeset(sqlite3_session *session)
{
    int size = 0;
    void *bytes = nullptr;
    if (sqlite3session_changeset(session, &size, &bytes) != SQLITE_OK)
        qFatal("the session could not write its changeset");
    QByteArray changeset(static_cast<const char *>(bytes), size);
    sqlite3_free(bytes);
    return changeset;
}

} // namespace

class tst_ChangeCapture : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameRecordsAsSessions_data();
    void sameRecordsAsSessions();
    void nothingChangedIsAnEmptyChangeset();
    void tablesReadAgainAfterTheSchemaChanged();
    void columnsAddedMidCaptureFail();
    void hubGoneMidCapture();
};

void tst_ChangeCapture::sameRecordsAsSessions_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::addColumn<bool>("inTransaction");
    for (quint32 seed = 1; seed <= 150; ++seed)
        QTest::addRow("seed %u", seed) << seed << (seed % 3 == 0);
}

void tst_ChangeCapture::sameRecordsAsSessions()
{
    QFETCH(quint32, seed);
    QFETCH(bool, inTransaction);
    QRandomGenerator random(seed);
    Connection sessions, captures;
    for (const Connection *c : {&sessions, &captures}) {
        for (const char *sql : Schema)
            QVERIFY(c->exec(sql));
    }
    // The same rows to start from, written before anything watches.
    QList<QByteArray> setup;
    for (int i = 0; i < 12; ++i)
        setup += randomWrite(random);
    for (const QByteArray &sql : std::as_const(setup)) {
        QCOMPARE(sessions.exec(sql), captures.exec(sql));
    }
    const QStringList before = dump(captures.db);
    QCOMPARE(dump(sessions.db), before);

    // Watched the store's way (state tables) and a live query's way (named tables).
    sqlite3_session *stateSession = nullptr, *listedSession = nullptr;
    QCOMPARE(sqlite3session_create(sessions.db, "main", &stateSession), SQLITE_OK);
    sqlite3session_table_filter(stateSession, stateTablesOnly, nullptr);
    QCOMPARE(sqlite3session_attach(stateSession, nullptr), SQLITE_OK);
    QCOMPARE(sqlite3session_create(sessions.db, "main", &listedSession), SQLITE_OK);
    QCOMPARE(sqlite3session_attach(listedSession, "items"), SQLITE_OK);
    QCOMPARE(sqlite3session_attach(listedSession, "pairs"), SQLITE_OK);

    CaptureHub hub(captures.db);
    ChangeCapture stateCapture, listedCapture;
    QVERIFY(stateCapture.start(&hub, {}, true));
    QVERIFY(listedCapture.start(&hub, {"items", "pairs"}, false));

    if (inTransaction) {
        QVERIFY(sessions.exec("BEGIN"));
        QVERIFY(captures.exec("BEGIN"));
    }
    const int writes = 1 + random.bounded(25);
    for (int i = 0; i < writes; ++i) {
        for (const QByteArray &sql : randomWrite(random)) {
            const bool ok = sessions.exec(sql);
            QCOMPARE(captures.exec(sql), ok);
        }
    }
    if (inTransaction) {
        QVERIFY(sessions.exec("COMMIT"));
        QVERIFY(captures.exec("COMMIT"));
    }
    QCOMPARE(dump(captures.db), dump(sessions.db));

    QByteArray stateChanges, listedChanges;
    QVERIFY(stateCapture.finish(&stateChanges));
    QVERIFY(listedCapture.finish(&listedChanges));
    QVERIFY(!stateCapture.isActive());
    const QByteArray expectedState = sessionChangeset(stateSession);
    const QByteArray expectedListed = sessionChangeset(listedSession);
    sqlite3session_delete(stateSession);
    sqlite3session_delete(listedSession);

    bool ok = false;
    const QStringList expected = describe(expectedState, &ok);
    QVERIFY(ok);
    QCOMPARE(describe(stateChanges, &ok), expected);
    QVERIFY(ok);
    QCOMPARE(describe(listedChanges, &ok), describe(expectedListed, &ok));
    QVERIFY(ok);
    QCOMPARE(stateChanges.isEmpty(), expectedState.isEmpty());

    // Undone, the recorded tables are as they were.
    int invertedSize = 0;
    void *inverted = nullptr;
    QCOMPARE(sqlite3changeset_invert(int(stateChanges.size()), stateChanges.constData(), &invertedSize,
                                     &inverted), SQLITE_OK);
    const auto abortOnConflict = [](void *, int, sqlite3_changeset_iter *) { return SQLITE_CHANGESET_ABORT; };
    const int rc = sqlite3changeset_apply(captures.db, invertedSize, inverted, nullptr, abortOnConflict, nullptr);
    sqlite3_free(inverted);
    QCOMPARE(rc, SQLITE_OK);
    QCOMPARE(dump(captures.db), before);
}

void tst_ChangeCapture::nothingChangedIsAnEmptyChangeset()
{
    Connection c;
    QVERIFY(c.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')"));
    CaptureHub hub(c.db);
    ChangeCapture capture;
    QVERIFY(capture.start(&hub, {}, true));
    QVERIFY(c.exec("UPDATE t SET v = 'b'; UPDATE t SET v = 'a'; INSERT INTO t VALUES (2, 'x'); DELETE FROM t WHERE k = 2"));
    QByteArray changeset = "untouched";
    QVERIFY(capture.finish(&changeset));
    QVERIFY(changeset.isEmpty());
    // Nothing follows no table.
    QVERIFY(!capture.start(&hub, {}, false));
}

void tst_ChangeCapture::tablesReadAgainAfterTheSchemaChanged()
{
    // The hub keeps what it read of a table from one capture to the next: a table made again
    // with another key must be read again.
    Connection c;
    QVERIFY(c.exec("CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER)"));
    CaptureHub hub(c.db);
    ChangeCapture capture;
    QVERIFY(capture.start(&hub, {}, true));
    QVERIFY(c.exec("INSERT INTO t VALUES ('x', 1)"));
    QByteArray changeset;
    QVERIFY(capture.finish(&changeset));
    bool ok = false;
    QCOMPARE(describe(changeset, &ok), QStringList{u"t INSERT indirect=0 pk=10 [- > t'x'] [- > i1]"_s});

    QVERIFY(c.exec("DROP TABLE t; CREATE TABLE t (a TEXT, b INTEGER PRIMARY KEY)"));
    QVERIFY(capture.start(&hub, {}, true));
    QVERIFY(c.exec("INSERT INTO t VALUES ('y', 2)"));
    QVERIFY(capture.finish(&changeset));
    QCOMPARE(describe(changeset, &ok), QStringList{u"t INSERT indirect=0 pk=01 [- > t'y'] [- > i2]"_s});
    QVERIFY(ok);
}

void tst_ChangeCapture::columnsAddedMidCaptureFail()
{
    Connection c;
    QVERIFY(c.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"));
    CaptureHub hub(c.db);
    ChangeCapture capture;
    QVERIFY(capture.start(&hub, {}, true));
    QVERIFY(c.exec("INSERT INTO t VALUES (1, 'a')"));
    QVERIFY(c.exec("ALTER TABLE t ADD COLUMN w INTEGER"));
    QByteArray changeset = "untouched";
    QVERIFY(!capture.finish(&changeset));
    QCOMPARE(capture.errorCode(), SQLITE_SCHEMA);
    QCOMPARE(changeset, QByteArray("untouched"));

    // A change after the columns changed fails the capture as it is recorded.
    QVERIFY(capture.start(&hub, {}, true));
    QVERIFY(c.exec("INSERT INTO t VALUES (2, 'b', 3)"));
    QVERIFY(c.exec("ALTER TABLE t ADD COLUMN x INTEGER"));
    QVERIFY(c.exec("INSERT INTO t VALUES (3, 'c', 4, 5)"));
    QVERIFY(!capture.finish(&changeset));
    QCOMPARE(capture.errorCode(), SQLITE_SCHEMA);
}

void tst_ChangeCapture::hubGoneMidCapture()
{
    Connection c;
    QVERIFY(c.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"));
    ChangeCapture capture;
    {
        CaptureHub hub(c.db);
        QVERIFY(capture.start(&hub, {}, true));
        QVERIFY(c.exec("INSERT INTO t VALUES (1, 'a')"));
    }
    QVERIFY(!capture.isActive());
    QByteArray changeset;
    QVERIFY(!capture.finish(&changeset));
    QCOMPARE(capture.errorCode(), SQLITE_MISUSE);
    QVERIFY(!capture.errorString().isEmpty());
    // The hook went with the hub: writes now reach nothing.
    QVERIFY(c.exec("INSERT INTO t VALUES (2, 'b')"));
}

QTEST_GUILESS_MAIN(tst_ChangeCapture)
#include "tst_changecapture.moc"
