// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SCHEMAMODEL_H
#define LIVESTORE_SCHEMAMODEL_H

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qpointer.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class InspectedStore;
class Schema;

// The schema of an InspectedStore as a flat list for a ListView: each table followed by its
// columns, each event by its arguments, then the client documents. Rows have a `kind` ("table",
// "column", "index", "event", "arg", "document"), a `name`, a `type`, a `detail` line, a `hash`
// (tables and events, as LiveStore computes them) and a `depth` (0 or 1) for indenting.
class SchemaModel : public QAbstractListModel
{
    Q_OBJECT
    Q_MOC_INCLUDE("inspectedstore.h")
    QML_ELEMENT
    Q_PROPERTY(LiveStore::InspectedStore *source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
    Q_PROPERTY(QString stateHash READ stateHash NOTIFY countChanged FINAL)
    Q_PROPERTY(int tableCount READ tableCount NOTIFY countChanged FINAL)
    Q_PROPERTY(int eventCount READ eventCount NOTIFY countChanged FINAL)
    Q_PROPERTY(int documentCount READ documentCount NOTIFY countChanged FINAL)

public:
    enum Roles { KindRole = Qt::UserRole + 1, NameRole, TypeRole, DetailRole, HashRole, DepthRole };
    Q_ENUM(Roles)

    explicit SchemaModel(QObject *parent = nullptr);

    InspectedStore *source() const { return m_source; }
    void setSource(InspectedStore *source);
    int count() const { return int(m_rows.size()); }
    QString stateHash() const { return m_stateHash; }
    int tableCount() const { return m_tables; }
    int eventCount() const { return m_events; }
    int documentCount() const { return m_documents; }
    Q_INVOKABLE QVariantMap get(int row) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void sourceChanged();
    void countChanged();

private:
    struct Row
    {
        QString kind, name, type, detail, hash;
        int depth = 0;
    };
    void reload();
    void build(const Schema &schema);

    QPointer<InspectedStore> m_source;
    QMetaObject::Connection m_storeConnection;
    QList<Row> m_rows;
    QString m_stateHash;
    int m_tables = 0, m_events = 0, m_documents = 0;
};

} // namespace LiveStore

#endif // LIVESTORE_SCHEMAMODEL_H
