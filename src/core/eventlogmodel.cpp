// SPDX-License-Identifier: BSD-3-Clause
#include "eventlogmodel.h"

#include "confirmedhead_p.h"
#include "store.h"

#include <QtCore/qscopedvaluerollback.h>

#include <limits>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

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
        QList<EventRecord> page = m_store->events(filter);
        more = page.size() > step;
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
        const int first = int(m_events.size());
        beginInsertRows(QModelIndex(), first, first + int(found.size()) - 1);
        m_events.append(std::move(found));
        endInsertRows();
        Q_EMIT countChanged();
    }
    setHasMore(more);
}

void EventLogModel::clear()
{
    // Reading starts after the cursor: just before the range's first number, after every
    // client-only event of the one before it.
    m_cursor = m_fromSeqNum > 1
            ? SequenceNumber{m_fromSeqNum - 1, std::numeric_limits<qint64>::max(), 0}
            : SequenceNumber::root();
    setHasMore(false);
    if (m_events.isEmpty())
        return;
    const QScopedValueRollback changing(m_changing, true);
    beginRemoveRows(QModelIndex(), 0, int(m_events.size()) - 1);
    m_events.clear();
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
    // The loaded range, read again: a rebase may have renumbered its end.
    const int loaded = qMax(int(m_events.size()), m_pageSize);
    clear();
    load(loaded);
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
    // log is in order.
    int first = -1, last = -1;
    for (int row = 0; row < m_events.size(); ++row) {
        const SequenceNumber &n = m_events.at(row).seqNum;
        if (detail::isConfirmed(n, before) != detail::isConfirmed(n, head)) {
            if (first < 0)
                first = row;
            last = row;
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
    if (row < 0 || row >= m_events.size())
        return map;
    const QHash<int, QByteArray> roles = roleNames();
    for (auto it = roles.cbegin(); it != roles.cend(); ++it)
        map.insert(QString::fromLatin1(it.value()), data(index(row), it.key()));
    return map;
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EventRecord &e = m_events.at(index.row());
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
