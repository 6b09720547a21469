// SPDX-License-Identifier: BSD-3-Clause
#include "eventchain.h"

#include "schema.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// The generation records how often a pending event was renumbered; links ignore it.
bool samePosition(const SequenceNumber &a, const SequenceNumber &b)
{
    return a.global == b.global && a.client == b.client;
}

QString position(const SequenceNumber &n)
{
    return SequenceNumber{n.global, n.client, 0}.toString();
}

} // namespace

bool EventChain::append(const EventRecord &event, QString *errorString)
{
    auto fail = [&](const QString &message) {
        if (errorString)
            *errorString = u"event %1 (%2): "_s.arg(event.seqNum.toString(), event.name) + message;
        return false;
    };
    const SequenceNumber &n = event.seqNum;
    if (n.global < 0 || n.client < 0 || n.rebaseGeneration < 0 || event.parentSeqNum.global < 0
        || event.parentSeqNum.client < 0 || event.parentSeqNum.rebaseGeneration < 0)
        return fail(u"sequence numbers cannot be negative"_s);
    if (event.clientId.isEmpty())
        return fail(u"it has no clientId"_s);
    if (event.sessionId.isEmpty())
        return fail(u"it has no sessionId"_s);
    const bool clientOnly = n.client > 0;
    const SequenceNumber expected = m_head.next(clientOnly);
    if (!samePosition(n, expected)) {
        if (n <= m_head)
            return fail(u"it does not come after %1: events must be in eventlog order"_s.arg(position(m_head)));
        return fail(u"it follows %1, but the next %2 event is %3: the eventlog has a gap"_s.arg(
                position(m_head), clientOnly ? u"client-only"_s : u"synced"_s, position(expected)));
    }
    const SequenceNumber parent = m_head.parentForNext(clientOnly);
    if (!samePosition(event.parentSeqNum, parent))
        return fail(u"it names %1 as its parent, but its parent is %2"_s.arg(
                position(event.parentSeqNum), position(parent)));
    m_head = n;
    return true;
}

} // namespace LiveStore
