// SPDX-License-Identifier: BSD-3-Clause
// Damaged store files: random bit flips and truncations of a real store (fixed seeds), opened by
// the library and by the livestore tool. Never a crash; never a silent success on a damaged file:
// opening with an integrity check, or verify(), says the file is damaged, names it, and nothing
// is written to it.
#include "clirun.h"

#include <schema.h>
#include <store.h>

#include <QtCore/qcryptographichash.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

constexpr int Seeds = 60;

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// SQLite's own verdict on a file, from a connection of its own (on a copy, so that nothing the
// check does can change what the store sees).
bool sqliteFindsDamage(const QString &path)
{
    const QString copy = path + u".judge"_s;
    QFile::remove(copy);
    if (!QFile::copy(path, copy))
        return true;
    sqlite3 *db = nullptr;
    bool damaged = true;
    if (sqlite3_open_v2(QFile::encodeName(copy).constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK
            && sqlite3_step(stmt) == SQLITE_ROW) {
            const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0));
            damaged = !(text && qstrcmp(text, "ok") == 0 && sqlite3_step(stmt) == SQLITE_DONE);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    QFile::remove(copy);
    return damaged;
}

// Flips 1 to 8 random bits, and for every fifth seed also cuts the file short.
QByteArray damage(QByteArray bytes, quint32 seed)
{
    QRandomGenerator random(seed);
    const int flips = random.bounded(1, 9);
    for (int i = 0; i < flips; ++i) {
        const qsizetype at = random.bounded(int(bytes.size()));
        bytes[at] = char(bytes.at(at) ^ (1 << random.bounded(8)));
    }
    if (seed % 5 == 0)
        bytes.truncate(random.bounded(int(bytes.size())));
    return bytes;
}

// The schema the tool reads too: with another one, opening would rebuild the state (and so
// rewrite the damaged pages) before anything else.
Schema todoSchemaFile()
{
    const Schema schema = Schema::fromFile(QStringLiteral(LIVESTORE_TODO_SCHEMA_FILE));
    if (!schema.isValid())
        qFatal("cannot load the schema: %s", qPrintable(schema.errorString()));
    return schema;
}

StoreOptions options(const QString &dir, IntegrityCheck check)
{
    static const Schema schema = todoSchemaFile();
    StoreOptions o;
    o.storeId = u"todos"_s;
    o.schema = schema;
    o.directory = dir;
    o.integrityCheck = check;
    return o;
}

} // namespace

class tst_CorruptStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_original; // a store directory with a few hundred events
    QByteArray m_originalBytes;
    QString m_schemaFile;

    QString damagedCopy(quint32 seed, bool *damaged)
    {
        const QString dir = m_dir.filePath(u"seed-%1"_s.arg(seed));
        QDir(dir).removeRecursively();
        QDir().mkpath(dir);
        const QString file = QDir(dir).filePath(u"store.db"_s);
        writeAll(file, damage(m_originalBytes, seed));
        *damaged = sqliteFindsDamage(file);
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_original = m_dir.filePath(u"original"_s);
        Store store;
        QVERIFY2(store.open(options(m_original, IntegrityCheck::OnError)), qPrintable(store.errorString()));
        QList<Event> events;
        for (int i = 0; i < 300; ++i) {
            events.append({u"v1.TodoCreated"_s, {{u"id"_s, u"t%1"_s.arg(i)}, {u"text"_s, u"todo number %1"_s.arg(i)}}});
            if (i % 3 == 0)
                events.append({u"v1.TodoCompleted"_s, {{u"id"_s, u"t%1"_s.arg(i)}}});
        }
        QVERIFY(store.commit(events));
        store.close(); // checkpoints the WAL: store.db is the whole store
        m_originalBytes = readAll(QDir(m_original).filePath(u"store.db"_s));
        QVERIFY(m_originalBytes.size() > 16 * 1024);
        QVERIFY(!sqliteFindsDamage(QDir(m_original).filePath(u"store.db"_s)));

        // The tool reads the same tables through the schema file.
        m_schemaFile = QStringLiteral(LIVESTORE_TODO_SCHEMA_FILE);
        QVERIFY(QFile::exists(m_schemaFile));
    }

    void library_data()
    {
        QTest::addColumn<quint32>("seed");
        for (quint32 seed = 0; seed < Seeds; ++seed)
            QTest::addRow("seed %u", seed) << seed;
    }
    void library()
    {
        QFETCH(quint32, seed);
        bool damaged = false;
        const QString dir = damagedCopy(seed, &damaged);
        const QString file = QDir(dir).filePath(u"store.db"_s);

        // With the full check, a damaged file is refused before anything is read or written.
        {
            const QByteArray before = readAll(file);
            Store store;
            const bool opened = store.open(options(dir, IntegrityCheck::Full));
            if (damaged) {
                QVERIFY(!opened);
                QVERIFY2(store.errorString().contains(file), qPrintable(store.errorString()));
                QCOMPARE(readAll(file), before);
            }
        }

        // Without it, whatever is used fails cleanly or works; verify() finds any damage, and a
        // store that found damage refuses writes.
        Store store;
        if (!store.open(options(dir, IntegrityCheck::OnError))) {
            QVERIFY(!store.errorString().isEmpty());
            return;
        }
        // The log is read whole or the call says it failed: a shorter list alone looked like
        // the end of the log.
        // (Rows a flipped bit renumbered to e0 or below are not after e0: not counted here.)
        bool ok = false;
        const QList<EventRecord> all = store.events({}, &ok);
        const QueryResult count = store.query(
                u"SELECT count(*) FROM __livestore_eventlog WHERE (seqNumGlobal, seqNumClient) > (0, 0)"_s);
        if (!ok)
            QVERIFY(!store.errorString().isEmpty());
        else if (count.isValid())
            QCOMPARE(all.size(), count.scalar().toLongLong());
        QVERIFY(store.eventCount() >= 0 || !store.errorString().isEmpty());
        (void)store.query(u"SELECT * FROM todos ORDER BY text"_s);
        (void)store.query(Query::from(u"todos"_s).where(u"completed"_s, true).count());
        const bool verified = store.verify();
        if (damaged) {
            QVERIFY(!verified);
            QVERIFY2(store.errorString().startsWith(file + u" is damaged"_s), qPrintable(store.errorString()));
            const qint64 events = store.eventCount();
            QVERIFY(!store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"late"_s}, {u"text"_s, u"x"_s}}));
            QVERIFY2(store.errorString().contains(u"is damaged"_s), qPrintable(store.errorString()));
            QCOMPARE(store.eventCount(), events);
        } else if (verified) {
            QVERIFY2(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"late"_s}, {u"text"_s, u"x"_s}}),
                     qPrintable(store.errorString()));
        }
    }

    // The tool as a user runs it: no crash whatever the damage, and on a damaged file no command
    // succeeds that writes (commit) or vouches for the store (verify).
    void tool_data()
    {
        QTest::addColumn<quint32>("seed");
        for (quint32 seed = 0; seed < Seeds; seed += 3)
            QTest::addRow("seed %u", seed) << seed;
    }
    void tool()
    {
        QFETCH(quint32, seed);
        bool damaged = false;
        const QString dir = damagedCopy(seed, &damaged);
        const QStringList base{u"--store"_s, dir, u"--store-id"_s, u"todos"_s, u"--schema"_s, m_schemaFile};
        const QStringList commands[] = {{u"info"_s}, {u"events"_s}, {u"export"_s},
                                        {u"query"_s, u"SELECT count(*) FROM todos"_s}, {u"verify"_s},
                                        {u"commit"_s, u"v1.TodoCreated"_s, uR"({"id":"late","text":"x"})"_s}};
        for (const QStringList &command : commands) {
            const Run r = runCli(base + command);
            QVERIFY2(r.exitCode == 0 || r.exitCode == 1,
                     qPrintable(u"%1 exited with %2 (crashed?): %3"_s.arg(command.first()).arg(r.exitCode).arg(r.err)));
            if (damaged && (command.first() == u"verify"_s || command.first() == u"commit"_s)) {
                QCOMPARE_EXIT(r, 1);
                QVERIFY2(r.err.contains(u"is damaged"_s) || r.err.contains(u"is not a LiveStore store"_s),
                         qPrintable(r.err));
            }
        }
    }
};

QTEST_GUILESS_MAIN(tst_CorruptStore)
#include "tst_corruptstore.moc"
