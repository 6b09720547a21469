// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_LIVEQUERIESMODEL_H
#define LIVESTORE_LIVEQUERIESMODEL_H

#include <reactive.h>

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class InspectedStore;

// The live queries of an InspectedStore's Store (Store::liveQueryInfo()), one row each: its SQL,
// the tables that trigger it (the reactivity graph as a list), rows, runs and durations. Useful
// embedded, where the app's models and live queries are in the same Store; the inspector's own
// views add theirs too. Refreshed after every change of the eventlog and, while `active`, every
// `interval` ms (queries come and go without commits); rows are matched by id, so a refresh
// emits only the inserts, removals and changed rows.
class LiveQueriesModel : public QAbstractListModel
{
    Q_OBJECT
    Q_MOC_INCLUDE("inspectedstore.h")
    QML_ELEMENT
    Q_PROPERTY(LiveStore::InspectedStore *source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged FINAL)
    Q_PROPERTY(int interval READ interval WRITE setInterval NOTIFY intervalChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)

public:
    enum Roles {
        IdRole = Qt::UserRole + 1,
        SqlRole,
        TablesRole, // "todos, uiState"
        RowCountRole,
        RunCountRole,
        UpdateCountRole,
        LastMsRole,
        MedianMsRole,
        IncrementalRole,
        SubscriberCountRole,
        ErrorRole,
    };
    Q_ENUM(Roles)

    explicit LiveQueriesModel(QObject *parent = nullptr);

    InspectedStore *source() const { return m_source; }
    void setSource(InspectedStore *source);
    bool isActive() const { return m_timer.isActive(); }
    void setActive(bool active);
    int interval() const { return m_timer.interval(); }
    void setInterval(int msecs);
    int count() const { return int(m_infos.size()); }
    Q_INVOKABLE QVariantMap get(int row) const;
    Q_INVOKABLE void refresh();

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void sourceChanged();
    void activeChanged();
    void intervalChanged();
    void countChanged();

private:
    QPointer<InspectedStore> m_source;
    QList<QMetaObject::Connection> m_connections;
    QList<LiveQueryInfo> m_infos; // by id, ascending
    QTimer m_timer;
};

} // namespace LiveStore

#endif // LIVESTORE_LIVEQUERIESMODEL_H
