// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_INSPECTOREVENTLOG_H
#define LIVESTORE_INSPECTOREVENTLOG_H

#include <eventlogmodel.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class InspectedStore;

// The inspector's eventlog: the paged EventLogModel of an InspectedStore (its filters: names,
// client, session, text in the arguments, a sequence range), plus what only an inspector shows:
// whether each event is pending (above the upstream head) or confirmed, and its arguments
// pretty-printed.
class InspectorEventLog : public LiveStore::EventLogModel
{
    Q_OBJECT
    Q_MOC_INCLUDE("inspectedstore.h")
    QML_ELEMENT
    Q_PROPERTY(LiveStore::InspectedStore *source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    // One event name to show (the view's name filter; empty: all), a convenience over `names`.
    Q_PROPERTY(QString name READ name WRITE setName NOTIFY nameChanged FINAL)
    // The event names the schema defines, sorted, after "(all events)": a name filter's choices.
    Q_PROPERTY(QStringList nameChoices READ nameChoices NOTIFY sourceChanged FINAL)
    // EventLogModel's sequence range for QML (numbers: Qt 6.4's QML tools know no qint64).
    Q_PROPERTY(double fromSeqNum READ fromSeq WRITE setFromSeq NOTIFY fromSeqNumChanged FINAL)
    Q_PROPERTY(double toSeqNum READ toSeq WRITE setToSeq NOTIFY toSeqNumChanged FINAL)

public:
    enum InspectorRoles {
        PendingRole = ClientOnlyRole + 100,
        PrettyArgsRole,
        GlobalRole, // the global sequence number, as a number
    };
    Q_ENUM(InspectorRoles)

    explicit InspectorEventLog(QObject *parent = nullptr);

    InspectedStore *source() const { return m_source; }
    void setSource(InspectedStore *source);
    QString name() const { return m_name; }
    void setName(const QString &name);
    QStringList nameChoices() const;
    double fromSeq() const { return double(fromSeqNum()); }
    void setFromSeq(double global) { setFromSeqNum(qint64(global)); }
    double toSeq() const { return double(toSeqNum()); }
    void setToSeq(double global) { setToSeqNum(qint64(global)); }

    // Reads the next page (a view at the end of what is loaded asks for it).
    Q_INVOKABLE void loadMore() { fetchMore(QModelIndex()); }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void sourceChanged();
    void nameChanged();

private:
    void storeChanged();
    void upstreamChanged();

    QPointer<InspectedStore> m_source;
    QList<QMetaObject::Connection> m_connections;
    QString m_name;
    qint64 m_upstreamHead = 0;
};

} // namespace LiveStore

#endif // LIVESTORE_INSPECTOREVENTLOG_H
