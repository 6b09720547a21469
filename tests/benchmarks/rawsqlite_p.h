// SPDX-License-Identifier: BSD-3-Clause
// The bare-SQLite side's building blocks, shared by rawsqlite.cpp and importbench.cpp: a
// connection with the library's pragmas, prepared statements, and the library's tables.
#ifndef LIVESTORE_BENCH_RAWSQLITE_P_H
#define LIVESTORE_BENCH_RAWSQLITE_P_H

#include "benchutil.h"

#include <QtCore/qfile.h>

#include <sqlite3.h>

#include <string_view>

namespace Bench::Raw {

// The library's tables, as it creates them (TableDef::ddl() and createSystemTables()).
inline constexpr char EventlogDdl[] =
        "CREATE TABLE IF NOT EXISTS __livestore_eventlog ("
        "seqNumGlobal INTEGER NOT NULL, seqNumClient INTEGER NOT NULL, "
        "seqNumRebaseGeneration INTEGER NOT NULL, parentSeqNumGlobal INTEGER NOT NULL, "
        "parentSeqNumClient INTEGER NOT NULL, parentSeqNumRebaseGeneration INTEGER NOT NULL, "
        "name TEXT NOT NULL, argsJson TEXT NOT NULL, clientId TEXT NOT NULL, "
        "sessionId TEXT NOT NULL, schemaHash INTEGER NOT NULL, syncMetadataJson TEXT, "
        "PRIMARY KEY (seqNumGlobal, seqNumClient, seqNumRebaseGeneration)) WITHOUT ROWID, STRICT";
inline constexpr char TodosDdl[] =
        "CREATE TABLE IF NOT EXISTS \"todos\" (\"id\" TEXT PRIMARY KEY NOT NULL, "
        "\"text\" TEXT NOT NULL DEFAULT '', \"completed\" INTEGER NOT NULL DEFAULT 0, "
        "\"deletedAt\" INTEGER) STRICT";

enum class Sync { Normal, Full };

[[noreturn]] inline void fail(sqlite3 *db, const char *what)
{
    using namespace Qt::StringLiterals;
    throw Error(QString::fromUtf8(what) + u": "_s + QString::fromUtf8(sqlite3_errmsg(db)));
}

// A prepared statement, finalized on destruction.
class Statement
{
public:
    Statement(sqlite3 *db, const char *sql) : m_db(db)
    {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) != SQLITE_OK)
            fail(db, sql);
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    sqlite3_stmt *get() const { return m_stmt; }
    // The caller's text outlives each step: SQLITE_STATIC saves SQLite a copy.
    void bind(int index, std::string_view text)
    {
        sqlite3_bind_text(m_stmt, index, text.data(), int(text.size()), SQLITE_STATIC);
    }
    void bind(int index, sqlite3_int64 value) { sqlite3_bind_int64(m_stmt, index, value); }
    // Steps a write to its end.
    void run()
    {
        int rc;
        while ((rc = sqlite3_step(m_stmt)) == SQLITE_ROW) { }
        sqlite3_reset(m_stmt);
        if (rc != SQLITE_DONE)
            fail(m_db, sqlite3_sql(m_stmt));
    }

private:
    sqlite3 *m_db;
    sqlite3_stmt *m_stmt = nullptr;
};

// One connection with the library's pragmas: WAL, synchronous NORMAL (FULL for power-loss
// durability), an 8 MB page cache.
class Connection
{
public:
    explicit Connection(const QString &path, Sync sync = Sync::Normal)
    {
        const QByteArray file = QFile::encodeName(path);
        if (sqlite3_open_v2(file.constData(), &m_db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr)
            != SQLITE_OK)
            fail(m_db, "open");
        exec("PRAGMA journal_mode = WAL");
        exec(sync == Sync::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        exec("PRAGMA cache_size = -8000");
    }
    ~Connection() { sqlite3_close_v2(m_db); }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    sqlite3 *get() const { return m_db; }
    void exec(const char *sql)
    {
        if (sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
            fail(m_db, sql);
    }

private:
    sqlite3 *m_db = nullptr;
};

} // namespace Bench::Raw

#endif // LIVESTORE_BENCH_RAWSQLITE_P_H
