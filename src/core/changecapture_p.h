// SPDX-License-Identifier: BSD-3-Clause
// Internal: the net changes a stretch of work makes to some tables of a connection, as SQLite's
// session extension records them and in its changeset format, without its fixed cost.
//
// A session prepares two statements every time it writes a changeset (PRAGMA table_xinfo to check
// the table, and a SELECT of the changed rows) and runs two more (a savepoint around it), and it
// asks table_xinfo again when it first sees a table: about 150,000 instructions for a one-event
// commit or rebase, most of what committing one event to a store that syncs costs. A capture
// records the same thing through the same preupdate hook, but keeps what it compiles in the
// connection's CaptureHub, from one capture to the next: its changeset costs a few thousand.
//
// What is recorded is what a session records, and the bytes are a changeset that SQLite's
// changeset functions read (sqlite3changeset_start(), _invert(), _apply()):
// - a row's values are kept as it was when the capture first saw it change (or that it did not
//   exist); when the changeset is written, the row as it is now is read by primary key, so
//   savepoints rolled back meanwhile count as not having happened;
// - a row that exists now and did not then is an INSERT of all its values, one that is gone a
//   DELETE of all its old values, one that changed an UPDATE with the primary key and the old
//   and new values of the columns that changed (a row that changed back is left out);
// - tables without a primary key, rows whose primary key holds a NULL and databases other than
//   "main" are not recorded, as a session does not record them.
// The hook is one per connection, so the hub dispatches each change to every capture running on
// it, and removes the hook when none runs.
#ifndef LIVESTORE_CHANGECAPTURE_P_H
#define LIVESTORE_CHANGECAPTURE_P_H

#include "livestore_export.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qset.h>
#include <QtCore/qstring.h>

#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace LiveStore::detail {

class ChangeCapture;

// What the captures of one connection share: the hook, and what they compile. It must go before
// its connection closes (it holds prepared statements); captures still running then fail.
class LIVESTORE_EXPORT CaptureHub
{
public:
    explicit CaptureHub(sqlite3 *db);
    ~CaptureHub();
    CaptureHub(const CaptureHub &) = delete;
    CaptureHub &operator=(const CaptureHub &) = delete;

    sqlite3 *connection() const { return m_db; }

    // A table as the captures need it: its columns and primary key, and the statement that
    // reads a row of it by primary key. Null when the table has no primary key.
    struct Table
    {
        Table() = default;
        ~Table();
        Table(const Table &) = delete;
        Table &operator=(const Table &) = delete;

        QByteArray name;     // as SQLite passes it to the hook
        QList<QByteArray> columns;
        QByteArray pk;       // per column: its place in the primary key (1, 2, ...) or 0
        sqlite3_stmt *select = nullptr; // prepared on first use
    };

private:
    friend class ChangeCapture;
    static void onPreupdate(void *hub, sqlite3 *db, int op, const char *database, const char *table,
                            long long oldRowid, long long newRowid);

    bool attach(ChangeCapture *capture);
    void detach(ChangeCapture *capture);
    // The table `name` names, read from the schema on first use; null and *error set when it
    // cannot be read, null alone when it has no primary key.
    std::shared_ptr<Table> table(const char *name, int *error);
    bool selectStatement(Table *table, int *error);
    void forgetTables();

    sqlite3 *m_db;
    sqlite3_stmt *m_schemaVersion = nullptr;
    sqlite3_stmt *m_tableInfo = nullptr;
    long long m_tablesSchemaVersion = -1;
    QHash<QByteArray, std::shared_ptr<Table>> m_tables; // folded name (ASCII); null: no primary key
    QList<ChangeCapture *> m_captures;
};

// One capture: started, fed by the hub, finished into a changeset.
class LIVESTORE_EXPORT ChangeCapture
{
public:
    ChangeCapture() = default;
    ~ChangeCapture();
    ChangeCapture(const ChangeCapture &) = delete;
    ChangeCapture &operator=(const ChangeCapture &) = delete;

    // Records changes to the tables `lowerTables` names (folded as SQLite folds names: ASCII
    // letters only), or, when it is empty and `stateTables` is set, to every table but the
    // store's own (__livestore_*).
    bool start(CaptureHub *hub, const QSet<QByteArray> &lowerTables, bool stateTables);
    bool isActive() const { return m_hub != nullptr; }
    // Writes the changeset (empty when nothing changed in net) and ends the capture. False,
    // with `changeset` untouched, when a change could not be recorded or a row read back.
    bool finish(QByteArray *changeset);
    // Ends the capture without a changeset.
    void stop();
    // SQLite's error code for what went wrong (SQLITE_SCHEMA: a table changed its columns), and
    // in words.
    int errorCode() const { return m_error; }
    QString errorString() const;

private:
    friend class CaptureHub;

    struct Row
    {
        bool existed = false;
        QByteArray initial; // existed: every column, serialized as in a changeset
    };
    struct TableRows
    {
        QByteArray name; // as SQLite passes it to the hook
        std::shared_ptr<CaptureHub::Table> table; // null: not followed
        QSet<QByteArray> seen;  // the serialized primary keys in `keys`
        QList<QByteArray> keys; // in the order first changed, as `rows`
        QList<Row> rows;
    };

    void record(int op, const char *table);
    TableRows *rowsOf(const char *table);
    void note(TableRows *rows, bool old);
    bool write(CaptureHub *hub, TableRows &rows, QByteArray *out);

    CaptureHub *m_hub = nullptr;
    QSet<QByteArray> m_lowerTables;
    bool m_stateTables = false;
    long long m_schemaVersion = -1;
    int m_error = 0;
    QList<TableRows> m_touched; // in the order first changed; a few, so searched in turn
};

} // namespace LiveStore::detail

#endif // LIVESTORE_CHANGECAPTURE_P_H
