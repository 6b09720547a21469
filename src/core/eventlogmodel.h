// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_EVENTLOGMODEL_H
#define LIVESTORE_EVENTLOGMODEL_H

#include "livestore_export.h"
#include "schema.h"
#include "sequencenumber.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qpointer.h>

namespace LiveStore {

class Store;

// A list model over a store's eventlog, oldest first, for views of any length: it reads only the
// pages a view has asked for (canFetchMore()/fetchMore(), which Qt's views and QML's ListView
// call as they scroll), never the whole log, and of those it keeps at most `cacheLimit` events in
// memory: a page scrolled far out of view is dropped and read again (one indexed read) when a
// view asks for its rows. New events are appended as they are committed (once the view has
// reached the end of the log).
//
// Filters: event names, client id, session id, and text found in the arguments' JSON. A filtered
// page reads at most `scanLimit` events of the log per fetchMore(), so that a rare match in a long
// log costs several short steps rather than one long stall.
class LIVESTORE_EXPORT EventLogModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QStringList names READ names WRITE setNames NOTIFY namesChanged FINAL)
    Q_PROPERTY(QString clientId READ clientId WRITE setClientId NOTIFY clientIdChanged FINAL)
    Q_PROPERTY(QString sessionId READ sessionId WRITE setSessionId NOTIFY sessionIdChanged FINAL)
    Q_PROPERTY(QString text READ text WRITE setText NOTIFY textChanged FINAL)
    Q_PROPERTY(int pageSize READ pageSize WRITE setPageSize NOTIFY pageSizeChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
    // Events after the last one read may exist: fetchMore() reads on.
    Q_PROPERTY(bool hasMore READ hasMore NOTIFY hasMoreChanged FINAL)

public:
    enum Roles {
        SeqNumRole = Qt::UserRole + 1, // "e5", "e5.1"
        ParentSeqNumRole,
        NameRole,
        ArgsRole,     // the arguments' JSON text, as stored
        ArgsMapRole,  // the arguments as an object
        ClientIdRole,
        SessionIdRole,
        ClientOnlyRole, // a client-only event (its number has a client part: "e5.1")
        // Confirmed by a sync server (at or below the upstream head); false while pending, and
        // always on a store that never synced.
        ConfirmedRole,
    };
    Q_ENUM(Roles)

    explicit EventLogModel(QObject *parent = nullptr);
    explicit EventLogModel(Store *store, QObject *parent = nullptr);
    ~EventLogModel() override;

    Store *store() const;
    void setStore(Store *store);

    QStringList names() const { return m_names; }
    void setNames(const QStringList &names);
    QString clientId() const { return m_clientId; }
    void setClientId(const QString &clientId);
    QString sessionId() const { return m_sessionId; }
    void setSessionId(const QString &sessionId);
    QString text() const { return m_text; }
    void setText(const QString &text);
    // A range of global sequence numbers, both ends included; 0: open at that end.
    qint64 fromSeqNum() const { return m_fromSeqNum; }
    void setFromSeqNum(qint64 global);
    qint64 toSeqNum() const { return m_toSeqNum; }
    void setToSeqNum(qint64 global);
    int pageSize() const { return m_pageSize; }
    void setPageSize(int pageSize);
    // Events of the log read per fetchMore() when filtering by client, session or text.
    int scanLimit() const { return m_scanLimit; }
    void setScanLimit(int events);
    // How many events the model keeps in memory at most (default 20,000), however far a view
    // has scrolled; the pages read least recently are dropped first, and read again when asked.
    int cacheLimit() const { return m_cacheLimit; }
    void setCacheLimit(int events);
    // The events held in memory now (at most cacheLimit(), or one page more than it).
    int cachedEventCount() const { return int(m_cached); }

    int count() const { return m_rowCount; }
    bool hasMore() const { return m_hasMore; }
    Q_INVOKABLE QVariantMap get(int row) const;
    EventRecord event(int row) const;

    // Reads the loaded range again: after a rebase renumbered pending events, the rows from the
    // first that may have changed (above the upstream head) to the end.
    Q_INVOKABLE void refresh();
    // Reads the upstream head again, and signals the rows whose ConfirmedRole changed. The model
    // does so itself whenever the log changes; a pull that only confirms pending events does not
    // change it, so connect a SyncClient's upstreamHeadChanged() here (QML's EventLog does).
    Q_INVOKABLE void updateConfirmed();

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

Q_SIGNALS:
    void namesChanged();
    void clientIdChanged();
    void sessionIdChanged();
    void textChanged();
    void fromSeqNumChanged();
    void toSeqNumChanged();
    void pageSizeChanged();
    void countChanged();
    void hasMoreChanged();

private:
    bool matches(const EventRecord &event) const;
    // Reads after `m_cursor` until `wanted` matches or the scan limit; appends them.
    void load(int wanted);
    // The matching events in (after, last], as load() read them.
    QList<EventRecord> readRange(const SequenceNumber &after, const SequenceNumber &last) const;
    // The events of one page, read again if they were dropped; nullptr when the row is not there.
    const EventRecord *eventAt(int row) const;
    void dropPagesBeyondLimit(qsizetype keep) const;
    void restart();
    void clear();
    void onCommitted();
    void setHasMore(bool hasMore);

    QPointer<Store> m_store;
    QMetaObject::Connection m_committed;
    QMetaObject::Connection m_pulled;
    QMetaObject::Connection m_opened;
    QMetaObject::Connection m_destroyed;
    QStringList m_names;
    QString m_clientId;
    QString m_sessionId;
    QString m_text;
    qint64 m_fromSeqNum = 0;
    qint64 m_toSeqNum = 0;
    int m_pageSize = 200;
    int m_scanLimit = 5000;
    int m_cacheLimit = 20'000;
    // The rows as pages, each as one load() read them: the events after `after` up to and
    // including `last` (numbers of the log, matching or not) that pass the filters. A page's
    // events may be dropped (`events` empty while `count` > 0) and are then read again.
    struct Page
    {
        SequenceNumber after;
        SequenceNumber last;
        int firstRow = 0;
        int count = 0;
        QList<EventRecord> events;
        quint64 lastUse = 0;
    };
    mutable QList<Page> m_pages;
    mutable qsizetype m_cached = 0; // events held in m_pages
    mutable quint64 m_useClock = 0;
    int m_rowCount = 0;
    SequenceNumber m_cursor = SequenceNumber::root(); // the last event read (matching or not)
    bool m_hasMore = false;
    bool m_changing = false; // inside a begin/end pair of ours
    qint64 m_confirmedHead = 0; // the upstream head as last read, for ConfirmedRole
};

} // namespace LiveStore

#endif // LIVESTORE_EVENTLOGMODEL_H
