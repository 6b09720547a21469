// SPDX-License-Identifier: BSD-3-Clause
// Internal: the one SQLite connection of a store, through SQLite's C API, with a cache of
// prepared statements that also remembers which tables each statement reads and writes.
#ifndef LIVESTORE_DATABASE_P_H
#define LIVESTORE_DATABASE_P_H

#include "queryresult.h"

#include <QtCore/qhash.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace LiveStore {

class Schema;
class WalCheckpointer;
namespace detail {
class CaptureHub;
}

class Database
{
public:
    enum class ColumnDecoder : quint8 { Plain, Boolean, Json, DateTime, DateTimeInteger };

    struct Statement
    {
        sqlite3_stmt *stmt = nullptr;
        QString sql;
        QStringList readTables;  // from the authorizer at prepare time
        QStringList writeTables;
        QList<QByteArray> parameterNames; // without the $ : @ prefix; empty for `?`
        QStringList parameterKeys;        // the same as QString (argument names), made once
        QStringList columnNames;
        QList<ColumnDecoder> decoders;
        bool isReadOnly = true;
        qsizetype lastRowCount = 0; // a good guess for the next run of the same query
        bool hasRun = false;
        // The previous run's rows and, per row, its raw SQLite bytes. A live query re-runs the same
        // statement after every commit; rows whose bytes did not change are handed out again
        // (shared) instead of being decoded into new strings: for a 10,000-row list that changed
        // in one row, decoding was most of the cost. See RowReuse for which runs keep them.
        QList<QVariantList> previousRows;
        QList<QByteArray> previousSignatures;
        // BEGIN/COMMIT/SAVEPOINT/ATTACH...: never from user queries or materializers, since the
        // store owns the transaction that keeps an event and its effects together.
        bool controlsConnection = false;
        // Why this statement may not run as a materializer or migration hook (which may change
        // the schema's tables and nothing else), from the authorizer at prepare time; empty
        // when it may. Checked before every such run, so cached statements are covered too.
        QString outsideState;
        ~Statement();
    };

    Database();
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // `path` ":memory:" for an in-memory database. Without `create`, a missing file is an error.
    // `readOnly`: SQLite's read-only mode; nothing can be written through this connection.
    bool open(const QString &path, bool create, bool readOnly = false);
    // Moves the WAL checkpoints of this connection (a database in WAL mode at `path`) to a
    // thread of their own (walcheckpointer_p.h), started with the first checkpoint to do. False
    // when the connection is not open.
    bool checkpointInBackground(const QString &path);
    // Stops the background checkpoints (if any), then closes the connection.
    void close();
    bool isOpen() const { return m_db != nullptr; }
    sqlite3 *handle() const { return m_db; }

    // Statements prepared from now on decode columns of schema tables by their declared type.
    void setSchema(const Schema *schema) { m_schema = schema; }

    // Prepared statements are cached by SQL text. The cache is bounded: raw SQL with values
    // spliced into the text would otherwise grow it forever. A returned statement stays valid
    // until the next prepare() (or for as long as it is being stepped).
    Statement *prepare(const QString &sql);
    static constexpr qsizetype MaxCachedStatements = 512;
    // Results up to this many rows keep their rows for the next run of the statement.
    static constexpr qsizetype MaxReusedRows = 65536;
    // How long a statement waits for a lock another connection holds before it fails.
    static constexpr int BusyTimeoutMs = 5000;
    void clearStatementCache();

    // Runs statements without binds or results (DDL, PRAGMA, transaction control).
    bool exec(const QString &sql);
    bool exec(const char *sql);
    // The same for one statement run often (BEGIN, COMMIT): prepared once, from the cache.
    bool execCached(const QString &sql);
    // The first column of a cached statement's first row, with integer binds, read without
    // building a QueryResult (heads and counters read on every commit or pulled page): 0 when
    // there is no row, nullopt on an error (lastError()).
    std::optional<qint64> readInteger(const QString &sql, std::initializer_list<qint64> binds = {});

    // Which runs of a statement keep their rows (up to MaxReusedRows) for the next run to reuse.
    // Keeping them costs a copy of every row's bytes and holds the rows until the statement runs
    // again or leaves the cache: worth it for a statement that does run again.
    enum class RowReuse {
        WhenRepeated, // from the statement's second run on: a query made once keeps nothing
        Always,       // from the first run: a live query, which re-runs after commits
    };
    // Binds, steps to the end, and collects the rows. A null statement (a failed prepare()) fails
    // with the reason prepare() left in lastError().
    QueryResult run(Statement *statement, const QVariantList &binds = {},
                    const QVariantMap &namedBinds = {}, RowReuse reuse = RowReuse::WhenRepeated);
    // The same for writes whose rows nobody reads: returns false with lastError() set.
    bool execute(Statement *statement, const QVariantList &binds = {},
                 const QVariantMap &namedBinds = {});

    bool bind(Statement *statement, const QVariantList &binds, const QVariantMap &namedBinds);
    // The current row of a stepped statement, decoded by the statement's column decoders.
    QVariantList decodeRow(const Statement *statement) const;
    static bool bindValue(sqlite3_stmt *stmt, int index, const QVariant &value);
    // Text as bindValue() binds a QString. With `keep`, the UTF-8 is appended there and bound
    // without a copy: `keep` must outlive the statement's next step.
    template<typename KeepList>
    static bool bindText(sqlite3_stmt *stmt, int index, const QString &text, KeepList *keep)
    {
        if (text.isNull())
            return bindNull(stmt, index);
        keep->append(utf8ForBind(text));
        return bindUtf8(stmt, index, keep->last(), true);
    }

    // SQLite said SQLITE_CORRUPT or SQLITE_NOTADB at some point, or an integrity check failed:
    // the file is damaged and must not be written to.
    bool isDamaged() const { return m_damaged; }
    // Another connection to the same file found the damage (an import's worker, storeimport.cpp).
    void markDamaged() { m_damaged = true; }
    // PRAGMA quick_check (or integrity_check with `full`): empty when the file is sound, else
    // SQLite's first `maxProblems` findings.
    QStringList checkIntegrity(bool full, int maxProblems = 10);

    // Work that keeps a write transaction of this connection open between turns of the event
    // loop (a rebase applied in slices, upstreammerge_p.h). Nothing else may see the connection
    // in that state: whatever uses it next (prepare(), exec()) completes the work first, as if
    // it had been done in one go; close() cancels it (its transaction rolls back).
    class SuspendedWork
    {
    public:
        virtual ~SuspendedWork() = default;
        virtual void complete() = 0;
        virtual void cancel() = 0;
    };
    void setSuspendedWork(SuspendedWork *work) { m_suspended = work; }
    bool hasSuspendedWork() const { return m_suspended != nullptr; }
    // Completes the suspended work, if any (re-entrancy-sensitive callers do this up front,
    // before they hold state of their own that the work's notifications could change).
    void completeSuspendedWork()
    {
        if (Q_UNLIKELY(m_suspended))
            std::exchange(m_suspended, nullptr)->complete();
    }

    // What the change captures on this connection share (changecapture_p.h); made on first
    // use, gone when the connection closes. Null while it is not open.
    detail::CaptureHub *captureHub();

    QString lastError() const { return m_error; }
    void setError(const QString &error) { m_error = error; }
    QString sqliteError() const;
    int lastErrorCode() const;

private:
    static bool bindNull(sqlite3_stmt *stmt, int index);
    static QByteArray utf8ForBind(const QString &text);
    static bool bindUtf8(sqlite3_stmt *stmt, int index, const QByteArray &utf8, bool kept);

    sqlite3 *m_db = nullptr;
    SuspendedWork *m_suspended = nullptr;
    std::unique_ptr<WalCheckpointer> m_checkpointer;
    std::unique_ptr<detail::CaptureHub> m_captureHub;
    const Schema *m_schema = nullptr;
    QHash<QString, Statement *> m_cache;
    QString m_error;
    mutable bool m_damaged = false;
    void noteResult(int rc) const;
};

// A transaction that rolls back unless committed; commit failures roll back too.
class Transaction
{
public:
    // Through the statement cache: parsing BEGIN and COMMIT anew cost ~5% of a single commit.
    explicit Transaction(Database &db) : m_db(db)
    {
        m_active = db.execCached(QStringLiteral("BEGIN IMMEDIATE"));
    }
    ~Transaction()
    {
        if (m_active)
            m_db.execCached(QStringLiteral("ROLLBACK"));
    }
    bool isActive() const { return m_active; }
    bool commit()
    {
        if (!m_active)
            return false;
        if (!m_db.execCached(QStringLiteral("COMMIT")))
            return false; // destructor rolls back
        m_active = false;
        return true;
    }

private:
    Database &m_db;
    bool m_active = false;
};

} // namespace LiveStore

#endif // LIVESTORE_DATABASE_P_H
