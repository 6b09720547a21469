// SPDX-License-Identifier: BSD-3-Clause
#include "eventstream.h"

#include "confirmedhead_p.h"
#include "store.h"
#include "sync/syncclient.h"

#include <QtCore/qloggingcategory.h>
#include <QtCore/qscopedvaluerollback.h>

#include <algorithm>
#include <limits>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

// Its own category, so that a tool following a store can turn on just this one
// (QT_LOGGING_RULES="livestore.eventstream.debug=true").
Q_LOGGING_CATEGORY(lcEventStream, "livestore.eventstream", QtInfoMsg)

namespace {

// A pull that only confirms pending events leaves the log as it was: neither this process's Store
// nor another's watching says anything about it. Without a SyncClient to tell, a confirmed-only
// stream that waits for pending events to be confirmed looks at the upstream head this often (a
// one-row read).
constexpr int ConfirmPollInterval = 250;

// The position just before `n`, for reading the event at `n` with Store::events() (which reads
// after a position).
SequenceNumber before(const SequenceNumber &n)
{
    if (n.client > 0)
        return {n.global, n.client - 1, 0};
    return {n.global - 1, std::numeric_limits<qint64>::max(), 0};
}

// The same event, not just the same number: after a rebase another client's event may hold the
// number a pending one had, with the same rebase generation (0 for both).
bool sameEvent(const EventRecord &a, const EventRecord &b)
{
    return a.seqNum == b.seqNum && a.name == b.name && a.clientId == b.clientId
            && a.sessionId == b.sessionId && a.argsJson == b.argsJson;
}

} // namespace

EventStream::EventStream(QObject *parent) : QObject(parent)
{
    // A page per turn of the event loop: between two pages the loop runs timers, input, painting.
    m_stepTimer.setSingleShot(true);
    m_stepTimer.setInterval(0);
    connect(&m_stepTimer, &QTimer::timeout, this, &EventStream::step);
    m_confirmPoll.setInterval(ConfirmPollInterval);
    connect(&m_confirmPoll, &QTimer::timeout, this, [this] {
        if (m_store && m_store->isOpen() && detail::confirmedHead(*m_store) != m_confirmedHead)
            markDirty();
    });
}

EventStream::EventStream(Store *store, QObject *parent) : EventStream(parent)
{
    setStore(store);
}

EventStream::~EventStream() = default;

void EventStream::setStore(Store *store)
{
    if (m_store == store)
        return;
    stop();
    m_store = store;
    m_confirmedHead = -1;
    m_cursorEvent.reset();
}

SyncClient *EventStream::syncClient() const
{
    return m_syncClient;
}

void EventStream::setSyncClient(SyncClient *client)
{
    if (m_syncClient == client)
        return;
    QObject::disconnect(m_syncConnection);
    m_syncClient = client;
    updateConfirmPoll();
    if (client) {
        // Emitted after the pull's merge (and its eventlogChanged()), so the head it announces
        // never hides a rebase from checkRetraction().
        m_syncConnection = connect(client, &SyncClient::upstreamHeadChanged, this, [this] {
            if (!m_active || !m_store || !m_store->isOpen())
                return;
            if (!checkRetraction() && m_confirmedOnly)
                markDirty();
        });
    }
}

void EventStream::connectStore()
{
    for (const QMetaObject::Connection &c : std::as_const(m_storeConnections))
        QObject::disconnect(c);
    m_storeConnections.clear();
    if (!m_store)
        return;
    Store *store = m_store;
    m_storeConnections.append(connect(store, &Store::eventsCommitted, this, [this] {
        // A local commit is pending: it never confirms anything.
        if (!m_confirmedOnly)
            markDirty();
    }));
    m_storeConnections.append(connect(store, &Store::eventlogChanged, this, [this] {
        // Pulled events, a rebase, another process's commits: read again from the cursor. A
        // rebase is told at once, also to a stream that waits for fetchMore().
        if (!m_stepping)
            checkRetraction();
        markDirty();
    }));
    m_storeConnections.append(connect(store, &Store::openFinished, this, [this](bool ok) {
        if (ok)
            scheduleStep();
        else
            fail(u"the store could not be opened: "_s + (m_store ? m_store->errorString() : QString()));
    }));
    m_storeConnections.append(connect(store, &QObject::destroyed, this, [this] {
        stop();
        // Not a warning: a QML Store element takes its store along when it goes.
        m_error = u"the store was destroyed"_s;
        qCInfo(lcEventStream, "event stream: %s", qUtf8Printable(m_error));
        Q_EMIT errorOccurred(m_error);
    }));
}

bool EventStream::start()
{
    if (m_active)
        return true;
    if (!m_store) {
        fail(u"the event stream has no store"_s);
        return false;
    }
    if (!m_store->isOpen() && !m_store->isOpening()) {
        fail(u"the store is not open"_s);
        return false;
    }
    m_active = true;
    m_dirty = true;
    m_confirmedHead = -1;
    connectStore();
    qCDebug(lcEventStream, "%s: streaming after %s%s", qUtf8Printable(m_store->storeId()),
            qUtf8Printable(m_cursor.toString()), m_confirmedOnly ? " (confirmed only)" : "");
    setCaughtUp(false);
    Q_EMIT activeChanged();
    scheduleStep();
    return true;
}

void EventStream::stop()
{
    if (!m_active)
        return;
    m_active = false;
    m_stepTimer.stop();
    m_confirmPoll.stop();
    m_requested = 0;
    for (const QMetaObject::Connection &c : std::as_const(m_storeConnections))
        QObject::disconnect(c);
    m_storeConnections.clear();
    Q_EMIT activeChanged();
}

void EventStream::setActive(bool active)
{
    if (active)
        start();
    else
        stop();
}

void EventStream::setCursor(SequenceNumber cursor)
{
    if (m_cursor == cursor)
        return;
    m_cursor = cursor;
    // A cursor from elsewhere cannot be checked against a rebase: it is taken as it is.
    m_cursorEvent.reset();
    Q_EMIT cursorChanged();
    markDirty();
}

void EventStream::setCursorText(const QString &text)
{
    const auto cursor = text.isEmpty() ? SequenceNumber::root() : SequenceNumber::fromString(text);
    if (!cursor) {
        fail(u"not a sequence number: \"%1\" (expected e5, e5.1 or e0 for the start)"_s.arg(text));
        return;
    }
    setCursor(*cursor);
}

#define LIVESTORE_EVENTSTREAM_SETTER(Type, member, setter, signal) \
    void EventStream::setter(Type value)                           \
    {                                                              \
        if (member == value)                                       \
            return;                                                \
        member = value;                                            \
        Q_EMIT signal();                                           \
    }

LIVESTORE_EVENTSTREAM_SETTER(const QStringList &, m_names, setNames, namesChanged)
LIVESTORE_EVENTSTREAM_SETTER(const QString &, m_clientId, setClientId, clientIdChanged)
LIVESTORE_EVENTSTREAM_SETTER(const QString &, m_sessionId, setSessionId, sessionIdChanged)

#undef LIVESTORE_EVENTSTREAM_SETTER

void EventStream::setConfirmedOnly(bool confirmedOnly)
{
    if (m_confirmedOnly == confirmedOnly)
        return;
    m_confirmedOnly = confirmedOnly;
    Q_EMIT confirmedOnlyChanged();
    markDirty();
}

void EventStream::setBatchSize(int events)
{
    events = qMax(1, events);
    if (m_batchSize == events)
        return;
    m_batchSize = events;
    Q_EMIT batchSizeChanged();
}

void EventStream::setAutoFetch(bool autoFetch)
{
    if (m_autoFetch == autoFetch)
        return;
    m_autoFetch = autoFetch;
    Q_EMIT autoFetchChanged();
    scheduleStep();
}

void EventStream::fetchMore()
{
    ++m_requested;
    scheduleStep();
}

void EventStream::markDirty()
{
    m_dirty = true;
    if (!m_active)
        return;
    setCaughtUp(false);
    scheduleStep();
}

void EventStream::scheduleStep()
{
    if (!m_active || !m_store || m_store->isOpening() || m_caughtUp)
        return;
    if (!m_autoFetch && m_requested <= 0)
        return;
    if (!m_stepTimer.isActive())
        m_stepTimer.start();
}

bool EventStream::checkRetraction()
{
    if (!m_store || !m_store->isOpen())
        return false;
    const qint64 head = detail::confirmedHead(*m_store);
    if (m_confirmedHead >= 0 && head < m_confirmedHead) {
        // Only a backend reset lowers the upstream head: the history the stream delivered is gone,
        // confirmed events included.
        qCInfo(lcEventStream, "%s: the sync backend was reset (upstream head e%lld, was e%lld)",
               qUtf8Printable(m_store->storeId()), head, m_confirmedHead);
        m_confirmedHead = head;
        if (m_cursor == SequenceNumber::root())
            return false;
        rewind(SequenceNumber::root());
        return true;
    }
    if (m_cursorEvent) {
        // The cursor is on a pending event: if a rebase renumbered it, it renumbered every pending
        // event delivered before it too (a rebase moves all of them from the first it moves), and
        // those at or below the head as it was when they were read are confirmed and unchanged.
        EventFilter at;
        at.after = before(m_cursorEvent->seqNum);
        at.limit = 1;
        const QList<EventRecord> found = m_store->events(at);
        if (found.isEmpty() || !sameEvent(found.constFirst(), *m_cursorEvent)) {
            const SequenceNumber anchor{qMax<qint64>(m_confirmedHead, 0), 0, 0};
            qCInfo(lcEventStream, "%s: pending events after %s were rebased; delivering again from there",
                   qUtf8Printable(m_store->storeId()), qUtf8Printable(anchor.toString()));
            m_confirmedHead = head;
            rewind(anchor);
            return true;
        }
        if (detail::isConfirmed(m_cursorEvent->seqNum, head))
            m_cursorEvent.reset(); // confirmed as it was delivered: fixed for good
    }
    m_confirmedHead = head;
    return false;
}

void EventStream::rewind(SequenceNumber to)
{
    m_cursor = to;
    m_cursorEvent.reset();
    Q_EMIT rebased(to);
    Q_EMIT cursorChanged();
    markDirty();
}

void EventStream::step()
{
    if (!m_active || !m_store)
        return;
    if (!m_store->isOpen()) {
        if (!m_store->isOpening()) {
            stop();
            fail(u"the store was closed"_s);
        }
        return;
    }
    if (!m_autoFetch && m_requested <= 0)
        return;
    const QPointer<EventStream> alive(this);
    const QScopedValueRollback stepping(m_stepping, true);
    m_dirty = false;
    checkRetraction();
    const qint64 head = m_confirmedHead;

    QList<EventRecord> page;
    bool more = false;
    QString readError; // the log could not be read past `page`
    // Confirmed only, with nothing confirmed after the cursor: no read at all.
    if (!m_confirmedOnly || std::pair(m_cursor.global, m_cursor.client) < std::pair(head, qint64(0))) {
        EventFilter filter;
        filter.names = m_names;
        filter.after = m_cursor;
        filter.limit = qint64(m_batchSize) + 1; // one more tells whether the log goes on
        bool ok = true;
        page = m_store->events(filter, &ok);
        if (!ok) {
            // Skipping the event would hand out a log with a hole: the stream hands out what
            // comes before it, and stops there.
            readError = u"cannot read the eventlog after %1: %2"_s.arg(
                    (page.isEmpty() ? m_cursor : page.constLast().seqNum).toString(), m_store->errorString());
        }
        more = page.size() > m_batchSize;
        if (more)
            page.removeLast();
        if (m_confirmedOnly) {
            const auto firstPending = std::find_if(page.cbegin(), page.cend(), [head](const EventRecord &e) {
                return !detail::isConfirmed(e.seqNum, head);
            });
            if (firstPending != page.cend()) {
                page.erase(firstPending, page.cend());
                more = false;
            }
        }
    }
    const auto stopAtReadError = [this, &readError] {
        stop();
        fail(readError);
    };
    if (page.isEmpty()) {
        if (!readError.isEmpty())
            stopAtReadError();
        else if (!m_dirty)
            setCaughtUp(true);
        return;
    }

    const EventRecord &last = page.constLast();
    const SequenceNumber readTo = last.seqNum;
    if (detail::isConfirmed(readTo, head))
        m_cursorEvent.reset();
    else
        m_cursorEvent = last;
    m_cursor = readTo;
    page.removeIf([this](const EventRecord &e) { return !matches(e); });
    if (!page.isEmpty()) {
        m_page = std::move(page);
        if (!m_autoFetch)
            --m_requested;
        Q_EMIT eventsReceived(m_page);
        if (!alive)
            return;
        m_page = QList<EventRecord>(); // the page's memory too, not just its events
    }
    Q_EMIT cursorChanged();
    if (!alive || !m_active)
        return;
    if (!readError.isEmpty()) {
        stopAtReadError();
        return;
    }
    // The consumer may have moved the cursor, or committed, while it had the batch.
    if (more || m_dirty || m_cursor != readTo)
        scheduleStep();
    else
        setCaughtUp(true);
}

bool EventStream::matches(const EventRecord &event) const
{
    // Names are filtered by the read itself.
    if (!m_clientId.isEmpty() && event.clientId != m_clientId)
        return false;
    if (!m_sessionId.isEmpty() && event.sessionId != m_sessionId)
        return false;
    return true;
}

void EventStream::setCaughtUp(bool caughtUp)
{
    if (m_caughtUp == caughtUp)
        return;
    m_caughtUp = caughtUp;
    if (caughtUp && m_store)
        qCDebug(lcEventStream, "%s: caught up at %s", qUtf8Printable(m_store->storeId()),
                qUtf8Printable(m_cursor.toString()));
    updateConfirmPoll();
    Q_EMIT caughtUpChanged();
}

void EventStream::updateConfirmPoll()
{
    const bool waiting = m_active && m_caughtUp && m_confirmedOnly && !m_syncClient && m_store
            && m_store->isOpen() && !detail::isConfirmed(m_store->head(), qMax<qint64>(m_confirmedHead, 0));
    if (waiting && !m_confirmPoll.isActive())
        m_confirmPoll.start();
    else if (!waiting)
        m_confirmPoll.stop();
}

void EventStream::fail(const QString &error)
{
    m_error = error;
    qCWarning(lcEventStream, "event stream: %s", qUtf8Printable(error));
    Q_EMIT errorOccurred(error);
}

} // namespace LiveStore
