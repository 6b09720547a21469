// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_EVENTCHAIN_H
#define LIVESTORE_EVENTCHAIN_H

#include "livestore_export.h"
#include "sequencenumber.h"

#include <QtCore/qstring.h>

namespace LiveStore {

struct EventRecord;

// Checks that events form the chain LiveStore's eventlog is: every synced event is the next
// global number after the one before it and names the last synced event as its parent; every
// client-only event counts up the client part and names the event before it. A gap or a wrong
// parent in a store's log makes every later push fail (the server checks parents), so imports
// and verify() refuse it with the first offending event.
class LIVESTORE_EXPORT EventChain
{
public:
    explicit EventChain(const SequenceNumber &head = SequenceNumber::root()) : m_head(head) { }

    // Checks that `event` may follow the events seen so far, and makes it the head. On failure
    // the head stays, and `errorString` (if given) says what is wrong.
    bool append(const EventRecord &event, QString *errorString = nullptr);
    SequenceNumber head() const { return m_head; }

private:
    SequenceNumber m_head;
};

} // namespace LiveStore

#endif // LIVESTORE_EVENTCHAIN_H
