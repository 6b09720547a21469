// SPDX-License-Identifier: BSD-3-Clause
#ifndef BOOLDELEGATE_H
#define BOOLDELEGATE_H

#include <QtWidgets/qstyleditemdelegate.h>

// Draws boolean values as check marks instead of "true"/"false". The model gives a boolean
// column's values as bool (typed by the schema), so the delegate needs no column name.
class BoolDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;
};

#endif // BOOLDELEGATE_H
