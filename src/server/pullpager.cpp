// SPDX-License-Identifier: BSD-3-Clause
#include "pullpager_p.h"

#include "syncstorage.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// Rows per storage read for live gaps; re-split into pages of at most 100 events.
constexpr int ReadBatch = 256;
// The catch-up's first read, before it knows how big the store's events are (they may be up to a
// message each).
constexpr int FirstCatchUpRead = 16;

struct Encoded
{
    QList<QByteArray> items;
    QList<qint64> seqNums;
};

Encoded encode(const QList<SyncStorage::StoredEvent> &events)
{
    Encoded out;
    out.items.reserve(events.size());
    out.seqNums.reserve(events.size());
    for (const auto &e : events) {
        out.items.append(Wire::encodePulledEvent({e.event, Wire::SyncMetadata{e.createdAt}}));
        out.seqNums.append(e.event.seqNum);
    }
    return out;
}

qsizetype jsonStringSize(const QString &text)
{
    // Backend ids are nanoid-like: no escaping, one byte per character.
    return text.toUtf8().size();
}

} // namespace

PullPager::PullPager(SyncStorage *storage, const QString &storeId, const QString &backendId,
                     qint64 after, qint64 upTo)
    : m_storage(storage), m_storeId(storeId), m_backendId(backendId), m_read(after), m_upTo(upTo)
{
}

bool PullPager::start(QString *errorString)
{
    if (m_upTo <= m_read) {
        m_total = 0;
        return true;
    }
    const auto total = m_storage->count(m_storeId, m_read, m_upTo);
    if (!total) {
        *errorString = m_storage->errorString();
        return false;
    }
    m_total = *total;
    return true;
}

bool PullPager::fill(QString *errorString)
{
    // One page at a time: a pull that waits for its client's Ack (or for its connection to
    // drain) then holds no encoded pages, however many such pulls there are. The rows read past
    // the page are read again for the next one, and each read is sized to about a page, judging
    // by the events read so far (they may be up to a message each).
    if (m_readLimit == 0)
        m_readLimit = FirstCatchUpRead;
    for (;;) {
        const auto events = m_storage->read(m_storeId, m_read, m_upTo, m_readLimit);
        if (!events) {
            *errorString = m_storage->errorString();
            return false;
        }
        if (events->isEmpty())
            return true;
        const Encoded encoded = encode(*events);
        const QList<qsizetype> sizes = Wire::splitPages(encoded.items, jsonStringSize(m_backendId));
        const qsizetype n = sizes.constFirst();
        qsizetype bytes = 0;
        for (const QByteArray &item : encoded.items)
            bytes += item.size();
        const qsizetype average = qMax<qsizetype>(1, bytes / encoded.items.size());
        // One more than a page holds, so that a read shows where the page ends.
        const int wanted = int(qBound<qsizetype>(1, qsizetype(Wire::MaxMessageBytes / average + 1),
                                                 qsizetype(Wire::MaxEventsPerMessage + 1)));
        const bool pageMayHoldMore = n == encoded.items.size() && events->size() == m_readLimit;
        const bool readMore = pageMayHoldMore && wanted > m_readLimit;
        m_readLimit = wanted;
        if (readMore)
            continue; // the page is cut where a page would not end: read as much as one holds
        const qint64 remaining = qMax<qint64>(0, m_total - (m_sent + n));
        const Wire::PageInfo info =
                remaining > 0 ? Wire::PageInfo::moreKnown(remaining) : Wire::PageInfo::noMore();
        m_queue.append({Wire::encodePullResponse(encoded.items, 0, n, info, m_backendId),
                        encoded.seqNums.at(n - 1), n, remaining == 0});
        m_read = encoded.seqNums.at(n - 1);
        return true;
    }
}

std::optional<PullPager::Page> PullPager::next(QString *errorString)
{
    if (m_done)
        return std::nullopt;
    if (m_queue.isEmpty() && m_sent < m_total && !fill(errorString))
        return std::nullopt;
    if (m_queue.isEmpty()) {
        // Nothing (more) in range: one empty page ends the catch-up. This is also the page an
        // empty store or an up-to-date cursor gets.
        m_done = true;
        return Page{Wire::encodePullResponse({}, 0, 0, Wire::PageInfo::noMore(), m_backendId),
                    m_read, 0, true};
    }
    Page page = m_queue.takeFirst();
    m_sent += page.count;
    if (page.isLast) {
        m_done = true;
        m_queue.clear();
    }
    return page;
}

std::optional<QList<PullPager::Page>> PullPager::livePages(SyncStorage *storage,
                                                           const QString &storeId,
                                                           const QString &backendId,
                                                           qint64 after, qint64 upTo,
                                                           QString *errorString)
{
    QList<Page> pages;
    if (after >= upTo)
        return pages;
    const auto events = storage->read(storeId, after, upTo, ReadBatch);
    if (!events) {
        *errorString = storage->errorString();
        return std::nullopt;
    }
    if (events->isEmpty())
        return pages;
    const Encoded encoded = encode(*events);
    const QList<qsizetype> sizes = Wire::splitPages(encoded.items, jsonStringSize(backendId));
    qsizetype from = 0;
    for (const qsizetype n : sizes) {
        pages.append({Wire::encodePullResponse(encoded.items, from, n, Wire::PageInfo::noMore(), backendId),
                      encoded.seqNums.at(from + n - 1), n, true});
        from += n;
    }
    return pages;
}

} // namespace LiveStore
