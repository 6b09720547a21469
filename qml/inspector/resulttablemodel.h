// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_RESULTTABLEMODEL_H
#define LIVESTORE_RESULTTABLEMODEL_H

#include <queryresult.h>

#include <QtCore/qabstractitemmodel.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

// A table model over a fixed query result (a time-travel snapshot, a query plan): one column per
// result column with its name as the header, the values as `display` (NULL as "NULL"). A new
// result is a new snapshot, not an update of the old one: setResult() resets the model.
class ResultTableModel : public QAbstractTableModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ResultTableModel is handed out by TimeTravel.")
    Q_PROPERTY(int count READ count NOTIFY resultChanged FINAL)
    Q_PROPERTY(QStringList columns READ columns NOTIFY resultChanged FINAL)

public:
    explicit ResultTableModel(QObject *parent = nullptr);

    void setResult(const QueryResult &result) { setRows(result.columns(), result.rows()); }
    void setRows(const QStringList &columns, const QList<QVariantList> &rows);
    int count() const { return int(m_rows.size()); }
    QStringList columns() const { return m_columns; }
    const QList<QVariantList> &rows() const { return m_rows; }
    Q_INVOKABLE QVariant value(int row, int column) const { return m_rows.value(row).value(column); }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void resultChanged();

private:
    QStringList m_columns;
    QList<QVariantList> m_rows;
};

// How the inspector shows a value in a cell: NULL spelled out, maps and lists as compact JSON,
// long text cut to one line.
QString displayValue(const QVariant &value);

} // namespace LiveStore

#endif // LIVESTORE_RESULTTABLEMODEL_H
