// SPDX-License-Identifier: BSD-3-Clause
// Internal: one changeset for a run of events that a rebase re-applies together.
//
// A store that syncs keeps, for each pending event, the changes it made, so that a rebase can
// undo them (a capture, changecapture_p.h). A rebase re-applies all pending events at once, and
// a commit may write several: each records one capture for the run, and the changeset table
// holds, for each event of the run, a blob that names the run's first event; the run's last
// event carries the run's changeset. A capture's changeset is the net difference between the
// rows as they were when first touched and as they are when it is taken, so it undoes the whole
// run, skipped events and savepoints rolled back inside it included.
//
// A later rollback that starts inside a run (the run's first events were confirmed meanwhile)
// undoes the whole run and then re-applies the events of the run that stay: see
// SyncEngine::applyUpstream().
#ifndef LIVESTORE_CHANGESETRUN_P_H
#define LIVESTORE_CHANGESETRUN_P_H

#include "changecapture_p.h"
#include "sequencenumber.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>

namespace LiveStore {

class Database;

namespace detail {

// The blob kept for an event of a run: the run's first event and, for the run's last event, the
// run's changeset (empty for the others). It cannot be mistaken for a changeset, which starts
// with 'T' (or 'P' for a patchset), nor for an event that changed nothing (an empty blob).
QByteArray runChangesetBlob(const SequenceNumber &runFirst, QByteArrayView changeset);
// False when `blob` is not a run's blob (an event's own changeset).
bool readRunChangesetBlob(QByteArrayView blob, SequenceNumber *runFirst, QByteArray *changeset);

// A capture of the state tables (every table but the store's own __livestore_* ones, whose
// rows a commit or a rebase writes and deletes itself) for the length of one event's
// materialization or of a run.
class RunCapture
{
public:
    bool start(Database &db);
    // The run's changeset; the capture ends.
    bool finish(QByteArray *changeset);
    // Why start() or finish() failed.
    QString errorString() const { return m_capture.errorString(); }

private:
    ChangeCapture m_capture;
};

} // namespace detail
} // namespace LiveStore

#endif // LIVESTORE_CHANGESETRUN_P_H
