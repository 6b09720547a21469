// SPDX-License-Identifier: BSD-3-Clause
// Internal: JavaScript values that reach C++ through QVariant properties arrive as QJSValue;
// turn them into plain Qt values (lists, maps, strings, numbers) before using them.
#ifndef LIVESTORE_QMLVALUES_P_H
#define LIVESTORE_QMLVALUES_P_H

#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>

namespace LiveStore {

inline QVariant plainValue(const QVariant &value)
{
    if (value.metaType() == QMetaType::fromType<QJSValue>())
        return value.value<QJSValue>().toVariant();
    return value;
}

// What a value from JavaScript is, for a message about a value of the wrong kind.
inline QString jsKind(const QJSValue &value)
{
    using namespace Qt::StringLiterals;
    if (value.isUndefined())
        return u"undefined"_s;
    if (value.isNull())
        return u"null"_s;
    if (value.isString())
        return u"a string"_s;
    if (value.isNumber())
        return u"a number"_s;
    if (value.isBool())
        return u"a boolean"_s;
    if (value.isArray())
        return u"an array"_s;
    if (value.isDate())
        return u"a Date"_s;
    if (value.isCallable())
        return u"a function"_s;
    if (value.isRegExp())
        return u"a RegExp"_s;
    if (value.isQObject() || value.isVariant() || value.isQMetaObject())
        return u"a C++ value"_s;
    return u"an object"_s;
}

// Whether `args` can be an event's arguments or a document's fields: an object, or nothing (none).
// Anything else would turn into an empty map, and be committed as an event without arguments.
inline bool isArgsObject(const QJSValue &args)
{
    if (args.isVariant()) { // a C++ map handed through as it is
        const int type = args.toVariant().typeId();
        return type == QMetaType::QVariantMap || type == QMetaType::QVariantHash;
    }
    return args.isUndefined() || args.isNull()
            || (args.isObject() && !args.isArray() && !args.isDate() && !args.isCallable()
                && !args.isRegExp() && !args.isQObject() && !args.isQMetaObject());
}

} // namespace LiveStore

#endif // LIVESTORE_QMLVALUES_P_H
