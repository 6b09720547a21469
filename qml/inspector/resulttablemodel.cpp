// SPDX-License-Identifier: BSD-3-Clause
#include "resulttablemodel.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsondocument.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

QString displayValue(const QVariant &value)
{
    if (value.isNull() || !value.isValid())
        return u"NULL"_s;
    switch (value.typeId()) {
    case QMetaType::QVariantMap:
    case QMetaType::QVariantList:
        return QString::fromUtf8(QJsonDocument::fromVariant(value).toJson(QJsonDocument::Compact));
    case QMetaType::QDateTime:
        return value.toDateTime().toString(Qt::ISODateWithMs);
    case QMetaType::QByteArray:
        return u"<%1 bytes>"_s.arg(value.toByteArray().size());
    default:
        break;
    }
    QString text = value.toString();
    // One line per cell; the view elides the rest.
    if (text.size() > 500)
        text.truncate(500);
    text.replace(u'\n', u' ');
    return text;
}

ResultTableModel::ResultTableModel(QObject *parent) : QAbstractTableModel(parent) { }

void ResultTableModel::setRows(const QStringList &columns, const QList<QVariantList> &rows)
{
    beginResetModel();
    m_columns = columns;
    m_rows = rows;
    endResetModel();
    Q_EMIT resultChanged();
}

int ResultTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ResultTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant ResultTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role == Qt::DisplayRole)
        return displayValue(value(index.row(), index.column()));
    if (role == Qt::EditRole)
        return value(index.row(), index.column());
    return {};
}

QVariant ResultTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Horizontal)
        return section >= 0 && section < m_columns.size() ? QVariant(m_columns.at(section)) : QVariant();
    return section + 1;
}

QHash<int, QByteArray> ResultTableModel::roleNames() const
{
    return {{Qt::DisplayRole, "display"}, {Qt::EditRole, "edit"}};
}

} // namespace LiveStore
