// SPDX-License-Identifier: BSD-3-Clause
#include "booldelegate.h"

void BoolDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const QVariant value = index.data(Qt::DisplayRole);
    if (value.typeId() != QMetaType::Bool)
        return;
    option->features |= QStyleOptionViewItem::HasCheckIndicator;
    option->checkState = value.toBool() ? Qt::Checked : Qt::Unchecked;
    option->text.clear();
}
