// SPDX-License-Identifier: BSD-3-Clause
// Internal: the catch-up part of a pull, as a sequence of PullResponse pages.
#ifndef LIVESTORE_PULLPAGER_P_H
#define LIVESTORE_PULLPAGER_P_H

#include <sync/wireprotocol.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <optional>

namespace LiveStore {

class SyncStorage;

// Pages the events after < seqNum <= upTo out of the storage: at most 100 events and 900 000
// bytes per page, MoreKnown{remaining} until the last page, which says NoMore. `remaining` is
// counted once, when the pager starts (as the real server does): events stored later are not the
// catch-up's business, the live part of a pull sends them.
class PullPager
{
public:
    struct Page
    {
        QByteArray json;     // the encoded PullResponse
        qint64 lastSeqNum;   // the last event's seqNum, or the cursor for an empty page
        qsizetype count;     // events in the page
        bool isLast;         // says NoMore: the catch-up is complete
    };

    PullPager(SyncStorage *storage, const QString &storeId, const QString &backendId, qint64 after,
              qint64 upTo);

    bool start(QString *errorString);
    // The next page; nullopt on a storage error. An empty range gives one empty NoMore page.
    std::optional<Page> next(QString *errorString);
    bool atEnd() const { return m_done; }

    // Reads the next events after < seqNum <= upTo, one storage read (at most 256 events), and
    // encodes them as NoMore pages, as live updates are sent; empty when there are none. A live
    // pull fills the gap between what it has sent and the store's head with these, a read at a
    // time, so that a long gap is never held in memory whole.
    static std::optional<QList<Page>> livePages(SyncStorage *storage, const QString &storeId,
                                                const QString &backendId, qint64 after,
                                                qint64 upTo, QString *errorString);

private:
    bool fill(QString *errorString);

    SyncStorage *m_storage;
    QString m_storeId;
    QString m_backendId;
    qint64 m_read;       // the last seqNum read from the storage
    qint64 m_upTo;
    qint64 m_total = 0;  // events in the range when the pager started
    qint64 m_sent = 0;
    QList<Page> m_queue; // encoded but not yet handed out (at most one)
    int m_readLimit = 0; // rows of the next storage read; 0: the first read
    bool m_done = false;
};

} // namespace LiveStore

#endif // LIVESTORE_PULLPAGER_P_H
