// SPDX-License-Identifier: BSD-3-Clause
// Internal: undoing a recorded changeset (a rebase rolling back our pending events).
#ifndef LIVESTORE_CHANGESETUNDO_P_H
#define LIVESTORE_CHANGESETUNDO_P_H

#include "database_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <utility>

struct sqlite3_changeset_iter;

namespace LiveStore {

// in order, with the store's cached statements. sqlite3changeset_apply() on the inverted
// changeset does the same, but it brackets its work with PRAGMA defer_foreign_keys, and a PRAGMA
// like that expires every prepared statement of the connection: after each rebase every statement
// the client used next was compiled again (with ten clients racing, a fifth of their CPU, plus
// the statements sqlite3changeset_apply() prepares for itself on every call).
//
// The conflict rule is the one undoWithSqlite() applies: a row that is not as the changeset left it, or a
// constraint that fails, is a Conflict, and the caller goes back to before the first undo and
// lets sqlite3changeset_apply() decide (it retries changes that failed a constraint once the
// others are done; this does not).
class ChangesetUndo
{
public:
    enum Result { Done, Conflict, Failed, More };

    // Column names of tables met before, with the CREATE TABLE text they were read from (kept
    // by the sync engine from one rebase to the next).
    using ColumnCache = QHash<QString, std::pair<QByteArray, QStringList>>;

    ChangesetUndo(Database &db, ColumnCache *columns) : m_db(db), m_columns(*columns) { }
    ~ChangesetUndo();
    ChangesetUndo(const ChangesetUndo &) = delete;
    ChangesetUndo &operator=(const ChangesetUndo &) = delete;

    Result undo(const QByteArray &changeset, QString *error);
    // The same in steps (a big changeset undone in slices): begin(), then step() while it says
    // More, each undoing at most `maxChanges` changes. `changeset` must outlive the steps.
    bool begin(const QByteArray &changeset, QString *error);
    Result step(int maxChanges, QString *error);
    // What the caller falls back to after a Conflict (back at the state before the first undo):
    // sqlite3changeset_apply() of the inverted changeset, aborting on any conflict.
    bool undoWithSqlite(const QByteArray &changeset, QString *error);

private:
    // The table's column names, quoted, in their order (a changeset names columns by position).
    // pragma_table_info compiles a PRAGMA on every run, so the names are kept, and checked
    // against the table's CREATE statement (a reopened store may have rebuilt the table).
    const QStringList *columnsOf(const char *table, int count);
    Result undoChange(sqlite3_changeset_iter *it, QString *error);

    Database &m_db;
    ColumnCache &m_columns;
    sqlite3_changeset_iter *m_iter = nullptr;
};

} // namespace LiveStore

#endif // LIVESTORE_CHANGESETUNDO_P_H
