// SPDX-License-Identifier: BSD-3-Clause
// Internal: one changeset for a run of events that a rebase re-applies together.
//
// A store that syncs keeps, for each pending event, the changes it made, so that a rebase can
// undo them. Recording them event by event costs SQLite two statement compilations per event
// (sqlite3session_changeset() checks the table with table_xinfo and reads the changed rows with
// a SELECT it prepares every time): about half of what re-applying an event costs. A rebase
// re-applies all pending events at once, and a commit may write several: each records one
// session for the run, and the
// changeset table holds, for each event of the run, a blob that names the run's first event; the
// run's last event carries the run's changeset. A session's changeset is the net difference
// between the rows as they were when first touched and as they are when it is taken, so it
// undoes the whole run, skipped events and savepoints rolled back inside it included.
//
// A later rollback that starts inside a run (the run's first events were confirmed meanwhile)
// undoes the whole run and then re-applies the events of the run that stay: see
// SyncEngine::applyUpstream().
#ifndef LIVESTORE_CHANGESETRUN_P_H
#define LIVESTORE_CHANGESETRUN_P_H

#include "sequencenumber.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>

struct sqlite3;
struct sqlite3_session;

namespace LiveStore::detail {

// The blob kept for an event of a run: the run's first event and, for the run's last event, the
// run's changeset (empty for the others). It cannot be mistaken for a changeset, which starts
// with 'T' (or 'P' for a patchset), nor for an event that changed nothing (an empty blob).
QByteArray runChangesetBlob(const SequenceNumber &runFirst, QByteArrayView changeset);
// False when `blob` is not a run's blob (an event's own changeset).
bool readRunChangesetBlob(QByteArrayView blob, SequenceNumber *runFirst, QByteArray *changeset);

// A session over the state tables (every table but the store's own __livestore_* ones, whose
// rows a commit or a rebase writes and deletes itself) for the length of one event's
// materialization or of a run.
class RunSession
{
public:
    RunSession() = default;
    ~RunSession();
    RunSession(const RunSession &) = delete;
    RunSession &operator=(const RunSession &) = delete;

    bool start(sqlite3 *db);
    // The run's changeset; the session ends.
    bool finish(QByteArray *changeset);

private:
    sqlite3_session *m_session = nullptr;
};

} // namespace LiveStore::detail

#endif // LIVESTORE_CHANGESETRUN_P_H
