// SPDX-License-Identifier: BSD-3-Clause
#include "eventlogmodel.h"

#include "confirmedhead_p.h"
#include "store.h"

#include <QtCore/qscopedvaluerollback.h>

#include <QtCore/qloggingcategory.h>

#include <algorithm>
#include <limits>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

Q_LOGGING_CATEGORY(lcEventLog, "livestore.eventlog", QtInfoMsg)

EventLogModel::EventLogModel(QObject *parent) : QAbstractListModel(parent) { }

EventLogModel::EventLogModel(Store *store, QObject *parent) : QAbstractListModel(parent)
{
    setStore(store);
}

EventLogModel::~EventLogModel() = default;

Store *EventLogModel::store() const
{
    return m_store;
}

void EventLogModel::setStore(Store *store)
{
    if (m_store == store)
        return;
    QObject::disconnect(m_committed);
    QObject::disconnect(m_pulled);
    QObject::disconnect(m_opened);
    QObject::disconnect(m_destroyed);
    m_store = store;
    if (store) {
        m_committed = connect(store, &Store::committed, this, &EventLogModel::onCommitted);
        // Pulled events are appended like commits; a rebase renumbered pending events, which
        // may be among those shown.
        m_pulled = connect(store, &Store::eventlogChanged, this, [this](bool rebased) {
            updateConfirmed(); // a pull that appends confirms too
            if (rebased)
                refresh();
            else
                onCommitted();
        });
        // A store still opening (Store::openAsync) is read once it is open.
        m_opened = connect(store, &Store::openFinished, this, [this](bool ok) {
            if (ok)
                restart();
        });
        // A store deleted under the model: its rows are gone, as with setStore(nullptr).
        m_destroyed = connect(store, &QObject::destroyed, this, [this] {
            QObject::disconnect(m_committed);
            QObject::disconnect(m_pulled);
            QObject::disconnect(m_opened);
            restart();
        });
    }
    restart();
}

#define LIVESTORE_EVENTLOG_SETTER(Type, member, setter, signal) \
    void EventLogModel::setter(Type value)                      \
    {                                                           \
        if (member == value)                                    \
            return;                                             \
        member = value;                                         \
        Q_EMIT signal();                                        \
        restart();                                              \
    }

LIVESTORE_EVENTLOG_SETTER(const QStringList &, m_names, setNames, namesChanged)
LIVESTORE_EVENTLOG_SETTER(const QString &, m_clientId, setClientId, clientIdChanged)
LIVESTORE_EVENTLOG_SETTER(const QString &, m_sessionId, setSessionId, sessionIdChanged)
LIVESTORE_EVENTLOG_SETTER(const QString &, m_text, setText, textChanged)
LIVESTORE_EVENTLOG_SETTER(qint64, m_fromSeqNum, setFromSeqNum, fromSeqNumChanged)
LIVESTORE_EVENTLOG_SETTER(qint64, m_toSeqNum, setToSeqNum, toSeqNumChanged)

#undef LIVESTORE_EVENTLOG_SETTER

void EventLogModel::setPageSize(int pageSize)
{
    pageSize = qMax(1, pageSize);
    if (m_pageSize == pageSize)
        return;
    m_pageSize = pageSize;
    Q_EMIT pageSizeChanged(); // the next page has the new size; what is loaded stays
}

void EventLogModel::setScanLimit(int events)
{
    m_scanLimit = qMax(1, events);
}

void EventLogModel::setCacheLimit(int events)
{
    m_cacheLimit = qMax(1, events);
    dropPagesBeyondLimit(m_pages.size() - 1);
}

bool EventLogModel::matches(const EventRecord &event) const
{
    // Names are filtered by the query itself.
    if (!m_clientId.isEmpty() && event.clientId != m_clientId)
        return false;
    if (!m_sessionId.isEmpty() && event.sessionId != m_sessionId)
        return false;
    if (!m_text.isEmpty()
        && !QString::fromUtf8(event.argsJson).contains(m_text, Qt::CaseInsensitive)
        && !event.name.contains(m_text, Qt::CaseInsensitive))
        return false;
    return true;
}

void EventLogModel::load(int wanted)
{
    // Views (and QAbstractItemModelTester) call fetchMore() from the signals of a change: that
    // change finishes first.
    if (m_changing || !m_store || !m_store->isOpen())
        return;
    updateConfirmed();
    const QScopedValueRollback changing(m_changing, true);
    const SequenceNumber start = m_cursor;
    QList<EventRecord> found;
    int scanned = 0;
    bool more = true;
    const bool filtering = !m_clientId.isEmpty() || !m_sessionId.isEmpty() || !m_text.isEmpty();
    while (found.size() < wanted && scanned < m_scanLimit) {
        EventFilter filter;
        filter.names = m_names;
        filter.after = m_cursor;
        // Unfiltered, a page is exactly what is wanted; filtered, read in steps of the page
        // size up to the scan limit. One more than asked tells whether the log goes on.
        const int step = filtering ? qMin(qMax(wanted, 256), m_scanLimit - scanned) : wanted - int(found.size());
        filter.limit = step + 1;
        bool ok = true;
        QList<EventRecord> page = m_store->events(filter, &ok);
        if (!ok) // the events before it are shown; the log ends there for this model
            qCWarning(lcEventLog, "%s", qUtf8Printable(m_store->errorString()));
        more = ok && page.size() > step;
        if (more)
            page.removeLast();
        for (qsizetype i = 0; i < page.size(); ++i) {
            EventRecord &event = page[i];
            if (m_toSeqNum > 0 && event.seqNum.global > m_toSeqNum) {
                more = false; // past the range: nothing after it can match
                break;
            }
            m_cursor = event.seqNum;
            ++scanned;
            if (matches(event))
                found.append(std::move(event));
            if (found.size() == wanted) {
                more = more || i + 1 < page.size(); // the rest is read again next time
                break;
            }
        }
        if (!more)
            break;
    }
    if (!found.isEmpty()) {
        const int first = m_rowCount;
        const int added = int(found.size());
        beginInsertRows(QModelIndex(), first, first + added - 1);
        m_cached += added;
        // Live commits arrive an event or two at a time: they join the last page while it is
        // small and held, rather than making a page each.
        Page *last = m_pages.isEmpty() ? nullptr : &m_pages.last();
        if (last && last->count < m_pageSize && !last->events.isEmpty()) {
            last->events.append(std::move(found));
            last->count += added;
            last->last = m_cursor;
        } else {
            m_pages.append({start, m_cursor, first, added, std::move(found), 0});
        }
        m_pages.last().lastUse = ++m_useClock;
        m_rowCount += added;
        endInsertRows();
        dropPagesBeyondLimit(m_pages.size() - 1);
        Q_EMIT countChanged();
    }
    setHasMore(more);
}

QList<EventRecord> EventLogModel::readRange(const SequenceNumber &after, const SequenceNumber &last) const
{
    QList<EventRecord> out;
    if (!m_store || !m_store->isOpen())
        return out;
    EventFilter filter;
    filter.names = m_names;
    filter.after = after;
    filter.limit = qMax(m_pageSize, 256);
    for (;;) {
        QList<EventRecord> page = m_store->events(filter);
        for (EventRecord &event : page) {
            if (last < event.seqNum)
                return out;
            if (matches(event))
                out.append(std::move(event));
        }
        if (page.size() < filter.limit)
            return out;
        filter.after = page.constLast().seqNum;
    }
}

const EventRecord *EventLogModel::eventAt(int row) const
{
    if (row < 0 || row >= m_rowCount)
        return nullptr;
    const auto it = std::upper_bound(m_pages.cbegin(), m_pages.cend(), row,
                                     [](int r, const Page &page) { return r < page.firstRow; });
    const qsizetype at = (it - m_pages.cbegin()) - 1;
    Page &page = m_pages[at];
    if (page.events.isEmpty()) {
        // Dropped: read again. The log under a page changes only by a rebase (which refresh()
        // follows) or a reset; should it differ meanwhile, the rows it lacks read as empty
        // until the refresh that comes with the change.
        page.events = readRange(page.after, page.last);
        m_cached += page.events.size();
        if (page.events.size() != page.count)
            qCDebug(lcEventLog, "a page of %d events read again gave %lld", page.count,
                    qint64(page.events.size()));
    }
    page.lastUse = ++m_useClock;
    const int offset = row - page.firstRow;
    const EventRecord *event = offset < page.events.size() ? &page.events.at(offset) : nullptr;
    dropPagesBeyondLimit(at);
    return event;
}

void EventLogModel::dropPagesBeyondLimit(qsizetype keep) const
{
    while (m_cached > m_cacheLimit) {
        qsizetype oldest = -1;
        for (qsizetype i = 0; i < m_pages.size(); ++i) {
            if (i != keep && !m_pages.at(i).events.isEmpty()
                && (oldest < 0 || m_pages.at(i).lastUse < m_pages.at(oldest).lastUse))
                oldest = i;
        }
        if (oldest < 0)
            return; // the page in use is all there is
        m_cached -= m_pages.at(oldest).events.size();
        m_pages[oldest].events = QList<EventRecord>(); // its memory goes, not just its size
    }
}

EventRecord EventLogModel::event(int row) const
{
    const EventRecord *e = eventAt(row);
    return e ? *e : EventRecord();
}

void EventLogModel::clear()
{
    // Reading starts after the cursor: just before the range's first number, after every
    // client-only event of the one before it.
    m_cursor = m_fromSeqNum > 1
            ? SequenceNumber{m_fromSeqNum - 1, std::numeric_limits<qint64>::max(), 0}
            : SequenceNumber::root();
    setHasMore(false);
    if (m_rowCount == 0) {
        m_pages.clear();
        m_cached = 0;
        return;
    }
    const QScopedValueRollback changing(m_changing, true);
    beginRemoveRows(QModelIndex(), 0, m_rowCount - 1);
    m_pages.clear();
    m_cached = 0;
    m_rowCount = 0;
    endRemoveRows();
    Q_EMIT countChanged();
}

void EventLogModel::restart()
{
    clear();
    load(m_pageSize);
}

void EventLogModel::refresh()
{
    // A rebase renumbers only events above the upstream head: the pages below it stay, the rest
    // is read again, as much as was loaded (within the cache's limit; a view fetches the rest).
    updateConfirmed();
    qsizetype keep = 0;
    while (keep < m_pages.size() && detail::isConfirmed(m_pages.at(keep).last, m_confirmedHead))
        ++keep;
    const int firstDropped = keep < m_pages.size() ? m_pages.at(keep).firstRow : m_rowCount;
    const int reload = qBound(m_pageSize, m_rowCount - firstDropped, qMax(m_pageSize, m_cacheLimit / 2));
    if (keep == 0) {
        clear();
    } else {
        m_cursor = m_pages.at(keep - 1).last;
        if (firstDropped < m_rowCount) {
            const QScopedValueRollback changing(m_changing, true);
            beginRemoveRows(QModelIndex(), firstDropped, m_rowCount - 1);
            for (qsizetype i = keep; i < m_pages.size(); ++i)
                m_cached -= m_pages.at(i).events.size();
            m_pages.resize(keep);
            m_rowCount = firstDropped;
            endRemoveRows();
            Q_EMIT countChanged();
        }
        setHasMore(false);
    }
    load(reload);
}

void EventLogModel::updateConfirmed()
{
    if (!m_store || !m_store->isOpen())
        return;
    const qint64 head = detail::confirmedHead(*m_store);
    if (head == m_confirmedHead)
        return;
    const qint64 before = std::exchange(m_confirmedHead, head);
    // The rows whose state changed are those between the old and the new head: one run, as the
    // log is in order. A dropped page counts whole when its numbers reach into that span.
    const qint64 low = qMin(before, head), high = qMax(before, head);
    int first = -1, last = -1;
    for (const Page &page : std::as_const(m_pages)) {
        if (page.events.isEmpty()) {
            if (!detail::isConfirmed(page.last, low) && page.after.global <= high) {
                if (first < 0)
                    first = page.firstRow;
                last = page.firstRow + page.count - 1;
            }
            continue;
        }
        for (qsizetype i = 0; i < page.events.size(); ++i) {
            const SequenceNumber &n = page.events.at(i).seqNum;
            if (detail::isConfirmed(n, before) != detail::isConfirmed(n, head)) {
                if (first < 0)
                    first = page.firstRow + int(i);
                last = page.firstRow + int(i);
            }
        }
    }
    if (first >= 0 && !m_changing)
        Q_EMIT dataChanged(index(first), index(last), {ConfirmedRole});
}

void EventLogModel::onCommitted()
{
    // Appended at the end of the log: shown when the view has reached the end; otherwise they
    // come with the pages the view fetches.
    if (m_hasMore)
        return;
    load(m_pageSize);
}

void EventLogModel::setHasMore(bool hasMore)
{
    if (m_hasMore == hasMore)
        return;
    m_hasMore = hasMore;
    Q_EMIT hasMoreChanged();
}

QVariantMap EventLogModel::get(int row) const
{
    QVariantMap map;
    if (row < 0 || row >= m_rowCount)
        return map;
    const QHash<int, QByteArray> roles = roleNames();
    for (auto it = roles.cbegin(); it != roles.cend(); ++it)
        map.insert(QString::fromLatin1(it.value()), data(index(row), it.key()));
    return map;
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rowCount;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EventRecord *event = eventAt(index.row());
    if (!event)
        return {};
    const EventRecord &e = *event;
    switch (role) {
    case Qt::DisplayRole:
        return u"%1 %2 %3"_s.arg(e.seqNum.toString(), e.name, QString::fromUtf8(e.argsJson));
    case SeqNumRole:
        return e.seqNum.toString();
    case ParentSeqNumRole:
        return e.parentSeqNum.toString();
    case NameRole:
        return e.name;
    case ArgsRole:
        return QString::fromUtf8(e.argsJson);
    case ArgsMapRole:
        return e.args;
    case ClientIdRole:
        return e.clientId;
    case SessionIdRole:
        return e.sessionId;
    case ClientOnlyRole:
        return e.seqNum.client != 0;
    case ConfirmedRole:
        return detail::isConfirmed(e.seqNum, m_confirmedHead);
    default:
        return {};
    }
}

QHash<int, QByteArray> EventLogModel::roleNames() const
{
    return {{Qt::DisplayRole, "display"},       {SeqNumRole, "seqNum"},
            {ParentSeqNumRole, "parentSeqNum"}, {NameRole, "name"},
            {ArgsRole, "args"},                 {ArgsMapRole, "argsObject"},
            {ClientIdRole, "clientId"},         {SessionIdRole, "sessionId"},
            {ClientOnlyRole, "clientOnly"},   {ConfirmedRole, "confirmed"}};
}

bool EventLogModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_hasMore;
}

void EventLogModel::fetchMore(const QModelIndex &parent)
{
    if (!parent.isValid() && m_hasMore)
        load(m_pageSize);
}

} // namespace LiveStore
