// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_STATETABLEMODEL_H
#define LIVESTORE_STATETABLEMODEL_H

#include <livequerymodel.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class InspectedStore;

// One state table of an InspectedStore for a TableView: a LiveQueryModel (so it refreshes only
// when a commit writes the table, row by row where the query follows rows, with fine-grained
// model signals) over a query built from the properties:
//
//     SELECT * FROM <tableName> [WHERE <filterColumn> LIKE '%' || ? || '%'] [ORDER BY <sortColumn>]
//
// The filter text is a bound value, never part of the SQL; the table and column names are
// checked against the schema by the query builder. The model holds the first `batchSize` rows
// and grows as the view scrolls (canFetchMore()/fetchMore()); `totalCount` is the row count of
// the whole (filtered) table, a live count(*) of its own. Clicking a header calls sort().
class StateTableModel : public LiveStore::LiveQueryModel
{
    Q_OBJECT
    Q_MOC_INCLUDE("inspectedstore.h")
    QML_ELEMENT
    Q_PROPERTY(LiveStore::InspectedStore *source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    Q_PROPERTY(QString tableName READ tableName WRITE setTableName NOTIFY tableNameChanged FINAL)
    Q_PROPERTY(QString sortColumn READ sortColumn WRITE setSortColumn NOTIFY sortChanged FINAL)
    Q_PROPERTY(bool descending READ isDescending WRITE setDescending NOTIFY sortChanged FINAL)
    Q_PROPERTY(QString filterColumn READ filterColumn WRITE setFilterColumn NOTIFY filterColumnChanged FINAL)
    Q_PROPERTY(QString filterText READ filterText WRITE setFilterText NOTIFY filterTextChanged FINAL)
    Q_PROPERTY(int totalCount READ totalCount NOTIFY totalCountChanged FINAL)
    // The table's declared columns (also before the first row is read).
    Q_PROPERTY(QStringList tableColumns READ tableColumns NOTIFY tableColumnsChanged FINAL)

public:
    explicit StateTableModel(QObject *parent = nullptr);

    InspectedStore *source() const { return m_source; }
    void setSource(InspectedStore *source);
    QString tableName() const { return m_tableName; }
    void setTableName(const QString &table);
    QString sortColumn() const { return m_sortColumn; }
    void setSortColumn(const QString &column);
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    void setSortOrder(Qt::SortOrder order);
    bool isDescending() const { return m_sortOrder == Qt::DescendingOrder; }
    void setDescending(bool descending) { setSortOrder(descending ? Qt::DescendingOrder : Qt::AscendingOrder); }
    QString filterColumn() const { return m_filterColumn; }
    void setFilterColumn(const QString &column);
    QString filterText() const { return m_filterText; }
    void setFilterText(const QString &text);
    int totalCount() const { return int(m_totalCount); }
    QStringList tableColumns() const;

    // A header click: sorts by that column, ascending first, then toggling.
    Q_INVOKABLE void sortBy(int column);
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    // `display` is the value as the inspector shows it (displayValue()); EditRole the value.
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    // The sorted column's header carries an arrow (▲ ascending, ▼ descending).
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void sourceChanged();
    void tableNameChanged();
    void sortChanged();
    void filterColumnChanged();
    void filterTextChanged();
    void totalCountChanged();
    void tableColumnsChanged();

private:
    void rebuild();
    void setTotalCount(qint64 count);

    QPointer<InspectedStore> m_source;
    QMetaObject::Connection m_storeConnection;
    QString m_tableName;
    QString m_sortColumn;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    QString m_filterColumn;
    QString m_filterText;
    qint64 m_totalCount = 0;
    LiveQuery m_count;
    Subscription m_countSubscription;
};

} // namespace LiveStore

#endif // LIVESTORE_STATETABLEMODEL_H
