// SPDX-License-Identifier: BSD-3-Clause
// Internal: JavaScript values that reach C++ through QVariant properties arrive as QJSValue;
// turn them into plain Qt values (lists, maps, strings, numbers) before using them.
#ifndef LIVESTORE_QMLVALUES_P_H
#define LIVESTORE_QMLVALUES_P_H

#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>

namespace LiveStore {

inline QVariant plainValue(const QVariant &value)
{
    if (value.metaType() == QMetaType::fromType<QJSValue>())
        return value.value<QJSValue>().toVariant();
    return value;
}

} // namespace LiveStore

#endif // LIVESTORE_QMLVALUES_P_H
