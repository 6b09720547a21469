// SPDX-License-Identifier: BSD-3-Clause
#include "pullpager_p.h"

#include "syncstorage.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// Rows per storage read; re-split into pages of at most 100 events.
constexpr int ReadBatch = 256;

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
    const auto events = m_storage->read(m_storeId, m_read, m_upTo, ReadBatch);
    if (!events) {
        *errorString = m_storage->errorString();
        return false;
    }
    if (events->isEmpty())
        return true;
    const Encoded encoded = encode(*events);
    const QList<qsizetype> sizes = Wire::splitPages(encoded.items, jsonStringSize(m_backendId));
    qsizetype from = 0;
    qint64 queued = m_sent;
    for (const qsizetype n : sizes) {
        queued += n;
        const qint64 remaining = qMax<qint64>(0, m_total - queued);
        const Wire::PageInfo info =
                remaining > 0 ? Wire::PageInfo::moreKnown(remaining) : Wire::PageInfo::noMore();
        m_queue.append({Wire::encodePullResponse(encoded.items, from, n, info, m_backendId),
                        encoded.seqNums.at(from + n - 1), n, remaining == 0});
        from += n;
    }
    m_read = encoded.seqNums.constLast();
    return true;
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
    while (after < upTo) {
        const auto events = storage->read(storeId, after, upTo, ReadBatch);
        if (!events) {
            *errorString = storage->errorString();
            return std::nullopt;
        }
        if (events->isEmpty())
            break;
        const Encoded encoded = encode(*events);
        const QList<qsizetype> sizes = Wire::splitPages(encoded.items, jsonStringSize(backendId));
        qsizetype from = 0;
        for (const qsizetype n : sizes) {
            pages.append({Wire::encodePullResponse(encoded.items, from, n, Wire::PageInfo::noMore(),
                                                   backendId),
                          encoded.seqNums.at(from + n - 1), n, true});
            from += n;
        }
        after = encoded.seqNums.constLast();
    }
    return pages;
}

} // namespace LiveStore
