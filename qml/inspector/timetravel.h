// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_TIMETRAVEL_H
#define LIVESTORE_TIMETRAVEL_H

#include <queryresult.h>

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qthreadpool.h>
#include <QtCore/qtimer.h>
#include <QtCore/qvariant.h>
#include <QtQml/qqmlregistration.h>

#include <atomic>
#include <memory>

namespace LiveStore {

class InspectedStore;
class ResultTableModel;

// Time travel: the state of an InspectedStore as of its first `position` events, and the rows
// the event at `position` changed. Each position is replayed on a worker thread into in-memory
// stores with the store's schema (Store::importEvents()), never on the GUI thread: the first
// `position - 1` events, then all `position` of them; the difference of the two states is the
// event's change. The replay reads the events through a read-only Store of its own (a store on
// disk) or, for an in-memory store, a copy taken on the GUI thread.
//
// Moving `position` again cancels the replay in flight at its next step (the newest position
// wins; a short delay lets a dragged slider settle first). `busy` while replaying; the result
// replaces the snapshot when it is done.
class TimeTravel : public QObject
{
    Q_OBJECT
    Q_MOC_INCLUDE("inspectedstore.h")
    Q_MOC_INCLUDE("resulttablemodel.h")
    QML_ELEMENT
    Q_PROPERTY(LiveStore::InspectedStore *source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    // Replays only while active (the view is shown): an idle tab costs nothing.
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged FINAL)
    Q_PROPERTY(int position READ position WRITE setPosition NOTIFY positionChanged FINAL)
    Q_PROPERTY(int eventCount READ eventCount NOTIFY eventCountChanged FINAL)
    Q_PROPERTY(bool busy READ isBusy NOTIFY busyChanged FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY resultChanged FINAL)
    // What is shown: the replayed position (may lag `position` while busy), its event
    // ({seqNum, name, args}), the state tables, the state's digest (Store::stateDigest(), hex) and
    // how long the replay took.
    Q_PROPERTY(int shownPosition READ shownPosition NOTIFY resultChanged FINAL)
    Q_PROPERTY(QVariantMap event READ event NOTIFY resultChanged FINAL)
    Q_PROPERTY(QString eventSeqNum READ eventSeqNum NOTIFY resultChanged FINAL)
    Q_PROPERTY(QString eventName READ eventName NOTIFY resultChanged FINAL)
    Q_PROPERTY(QStringList tableNames READ tableNames NOTIFY resultChanged FINAL)
    Q_PROPERTY(QString digest READ digest NOTIFY resultChanged FINAL)
    Q_PROPERTY(double elapsedMs READ elapsedMs NOTIFY resultChanged FINAL)
    Q_PROPERTY(QString currentTable READ currentTable WRITE setCurrentTable NOTIFY currentTableChanged FINAL)
    // The current table's rows as of `shownPosition` (at most maxRows of them).
    Q_PROPERTY(LiveStore::ResultTableModel *tableModel READ tableModel CONSTANT FINAL)
    // The rows the event changed: table, change (insert, update, delete), key, values.
    Q_PROPERTY(LiveStore::ResultTableModel *changesModel READ changesModel CONSTANT FINAL)
    Q_PROPERTY(int maxRows READ maxRows WRITE setMaxRows NOTIFY maxRowsChanged FINAL)

public:
    explicit TimeTravel(QObject *parent = nullptr);
    ~TimeTravel() override;

    InspectedStore *source() const { return m_source; }
    void setSource(InspectedStore *source);
    bool isActive() const { return m_active; }
    void setActive(bool active);
    int position() const { return m_position; }
    void setPosition(int position);
    int eventCount() const { return int(m_eventCount); }
    bool isBusy() const { return m_busy; }
    QString errorString() const { return m_error; }
    int shownPosition() const { return m_shownPosition; }
    QVariantMap event() const { return m_event; }
    QString eventSeqNum() const { return m_event.value(QStringLiteral("seqNum")).toString(); }
    QString eventName() const { return m_event.value(QStringLiteral("name")).toString(); }
    QStringList tableNames() const { return m_tables.keys(); }
    QString digest() const { return m_digest; }
    double elapsedMs() const { return m_elapsedMs; }
    QString currentTable() const { return m_currentTable; }
    void setCurrentTable(const QString &table);
    ResultTableModel *tableModel() const { return m_tableModel; }
    ResultTableModel *changesModel() const { return m_changesModel; }
    int maxRows() const { return m_maxRows; }
    void setMaxRows(int rows);

    // Reads the eventlog's length again (the store grew) and replays `position` again.
    Q_INVOKABLE void reload();

    struct Result;

Q_SIGNALS:
    void sourceChanged();
    void activeChanged();
    void positionChanged();
    void eventCountChanged();
    void busyChanged();
    void resultChanged();
    void currentTableChanged();
    void maxRowsChanged();
    // A replay ended (with the result shown, or failed: errorString).
    void replayed();

private:
    void start();
    void finished(quint64 generation, const std::shared_ptr<Result> &result);
    void setBusy(bool busy);
    void showTable();

    QPointer<InspectedStore> m_source;
    QMetaObject::Connection m_storeConnection;
    QMetaObject::Connection m_headConnection;
    bool m_active = false;
    int m_position = 0;
    qint64 m_eventCount = 0;
    bool m_busy = false;
    QString m_error;
    int m_shownPosition = 0;
    QVariantMap m_event;
    QMap<QString, QueryResult> m_tables;
    QString m_digest;
    double m_elapsedMs = 0;
    QString m_currentTable;
    int m_maxRows = 10'000;
    ResultTableModel *m_tableModel;
    ResultTableModel *m_changesModel;
    QTimer m_delay;
    QThreadPool m_pool; // one thread: replays queue, and the stale ones end at their first step
    std::shared_ptr<std::atomic<quint64>> m_generation;
};

} // namespace LiveStore

#endif // LIVESTORE_TIMETRAVEL_H
