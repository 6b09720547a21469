// SPDX-License-Identifier: BSD-3-Clause
// The schema file's events (schemafilereader_p.h): their argument types, in short and object
// forms, and their materializers.
#include "schemafilereader_p.h"

#include "sync/rawjson_p.h"

#include <QtCore/qjsonarray.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore::detail {

bool SchemaFileReader::event(const QJsonObject &object, const QString &where, QByteArrayView rawEvent, EventDef *out)
{
    if (!checkKeys(object,
                   {"name"_L1, "clientOnly"_L1, "deprecated"_L1, "args"_L1, "materializer"_L1},
                   where))
        return false;
    QString name;
    if (!requiredName(object, where, &name))
        return false;
    const QString named = where + u" ("_s + quoted(name) + u")"_s;

    bool clientOnly = false;
    if (!optionalBool(object, "clientOnly"_L1, named, &clientOnly))
        return false;
    EventDef event = clientOnly ? EventDef::clientOnly(name) : EventDef::synced(name);
    if (!optionalReason(object, "deprecated"_L1, named, &event.deprecated))
        return false;

    if (const QJsonValue args = object.value("args"_L1); !args.isUndefined()) {
        const QString argsWhere = member(named, "args"_L1);
        if (!args.isObject())
            return wrongType(argsWhere, u"an object mapping argument names to types"_s, args);
        const QJsonObject argObject = args.toObject();
        const auto rawArgs = rawEvent.isEmpty() ? std::nullopt : Wire::RawJson::member(rawEvent, "args"_L1);
        const auto rawMembers = rawArgs ? Wire::RawJson::members(*rawArgs) : std::nullopt;
        for (const QString &key : keyOrder(argObject, rawArgs.value_or(QByteArrayView()))) {
            const QString argWhere = argsWhere + u"."_s + key;
            if (key.isEmpty())
                return fail(argsWhere, u"an argument name must not be empty"_s);
            QByteArrayView rawValue;
            for (const auto &[k, v] : rawMembers.value_or(QList<std::pair<QString, QByteArrayView>>())) {
                if (k == key)
                    rawValue = v;
            }
            ArgDef arg;
            if (!this->arg(key, argObject.value(key), argWhere, rawValue, &arg))
                return false;
            event.arg(arg);
        }
    }

    const QJsonValue materializer = object.value("materializer"_L1);
    if (materializer.isUndefined())
        return fail(named, u"missing \"materializer\" (SQL statements; [] for an event that writes "
                           u"nothing)"_s);
    if (!this->materializer(materializer, member(named, "materializer"_L1), &event))
        return false;

    *out = event;
    return true;
}

bool SchemaFileReader::arg(const QString &name, const QJsonValue &value, const QString &where, QByteArrayView rawValue,
                 ArgDef *out, int depth)
{
    if (depth > 32)
        return fail(where, u"argument types nest more than 32 levels"_s);
    ArgDef arg;
    arg.name = name;
    QString typeName;
    QString typeWhere = where;
    bool shorthand = false;
    QJsonObject object;

    if (value.isArray()) {
        // ["all", "active", "completed"]: a union of literals, as Schema.Literal('all', ...)
        arg.type = ArgType::Literal;
        const QJsonArray values = value.toArray();
        if (values.isEmpty())
            return fail(where, u"a literal type needs at least one value"_s);
        for (qsizetype i = 0; i < values.size(); ++i) {
            if (values.at(i).isArray() || values.at(i).isObject())
                return wrongType(element(where, i), u"a string, number, boolean or null literal"_s, values.at(i));
            arg.literals.append(values.at(i).toVariant());
        }
        *out = arg;
        return true;
    }
    if (value.isString()) {
        typeName = value.toString();
        shorthand = true;
    } else if (value.isObject()) {
        object = value.toObject();
        if (!checkKeys(object, {"type"_L1, "optional"_L1, "nullable"_L1, "deprecated"_L1, "values"_L1,
                                "fields"_L1, "element"_L1, "value"_L1},
                       where))
            return false;
        const QJsonValue type = object.value("type"_L1);
        typeWhere = member(where, "type"_L1);
        if (type.isUndefined())
            return fail(where, u"missing \"type\" (one of "_s + ArgTypeList + u")"_s);
        if (!type.isString())
            return wrongType(typeWhere, u"a string"_s, type);
        typeName = type.toString();
        if (typeName.endsWith(u'?'))
            return fail(typeWhere, u"the \"?\" shorthand is for the string form; in the object form "
                                   u"use \"optional\": true and \"nullable\": true"_s);
        if (!optionalBool(object, "optional"_L1, where, &arg.isOptional)
            || !optionalBool(object, "nullable"_L1, where, &arg.isNullable)
            || !optionalReason(object, "deprecated"_L1, where, &arg.deprecated))
            return false;
    } else {
        return wrongType(where, u"a type name (e.g. \"string\" or \"datetime?\") or an object "
                                u"with \"type\""_s,
                         value);
    }

    if (shorthand && typeName.endsWith(u'?')) {
        typeName.chop(1);
        arg.isOptional = true;
        arg.isNullable = true;
    }

    std::optional<ArgType> type;
    if (typeName == "number"_L1)
        type = ArgType::Real; // JavaScript schemas say number
    else
        type = argTypeFromName(typeName);
    if (!type) {
        const QStringList names{u"string"_s, u"integer"_s, u"real"_s, u"number"_s, u"boolean"_s,
                                u"datetime"_s, u"json"_s, u"literal"_s, u"struct"_s, u"array"_s, u"record"_s};
        return fail(typeWhere, u"unknown argument type "_s + quoted(typeName) + u" ("_s
                                + suggestion(typeName, names) + u"expected "_s + ArgTypeList
                                + (shorthand ? u", optionally followed by \"?\")"_s : u")"_s));
    }
    arg.type = *type;
    // Only the composite types take their parts, and they need them.
    const bool composite = arg.type == ArgType::Literal || arg.type == ArgType::Struct
            || arg.type == ArgType::Array || arg.type == ArgType::Record;
    if (composite && shorthand)
        return fail(typeWhere, quoted(typeName) + u" needs the object form, e.g. "_s
                                + (arg.type == ArgType::Literal  ? u"{\"type\": \"literal\", \"values\": [\"a\", \"b\"]} or just [\"a\", \"b\"]"_s
                                   : arg.type == ArgType::Struct ? u"{\"type\": \"struct\", \"fields\": {\"x\": \"real\"}}"_s
                                   : arg.type == ArgType::Array  ? u"{\"type\": \"array\", \"element\": \"string\"}"_s
                                                                 : u"{\"type\": \"record\", \"value\": \"real\"}"_s));
    const QLatin1StringView part = arg.type == ArgType::Literal ? "values"_L1
            : arg.type == ArgType::Struct                       ? "fields"_L1
            : arg.type == ArgType::Array                        ? "element"_L1
                                                                : "value"_L1;
    for (QLatin1StringView key : {"values"_L1, "fields"_L1, "element"_L1, "value"_L1}) {
        if (object.contains(key) && (!composite || key != part))
            return fail(member(where, key), u"not a key of a "_s + typeName + u" argument"_s);
    }
    if (composite && !object.contains(part))
        return fail(where, u"a "_s + typeName + u" argument needs \""_s + QString(part) + u"\""_s);
    const QJsonValue partValue = object.value(part);
    const QString partWhere = member(where, part);
    const auto rawPart = rawValue.isEmpty() ? std::nullopt : Wire::RawJson::member(rawValue, part);
    switch (arg.type) {
    case ArgType::Literal: {
        if (!partValue.isArray() || partValue.toArray().isEmpty())
            return wrongType(partWhere, u"a non-empty array of literal values"_s, partValue);
        ArgDef literal;
        if (!this->arg(name, partValue, partWhere, {}, &literal, depth + 1))
            return false;
        arg.literals = literal.literals;
        break;
    }
    case ArgType::Struct: {
        if (!partValue.isObject())
            return wrongType(partWhere, u"an object mapping field names to types"_s, partValue);
        const QJsonObject fields = partValue.toObject();
        const auto rawFields = rawPart ? Wire::RawJson::members(*rawPart) : std::nullopt;
        for (const QString &key : keyOrder(fields, rawPart.value_or(QByteArrayView()))) {
            QByteArrayView rawField;
            for (const auto &[k, v] : rawFields.value_or(QList<std::pair<QString, QByteArrayView>>())) {
                if (k == key)
                    rawField = v;
            }
            ArgDef field;
            if (!this->arg(key, fields.value(key), partWhere + u'.' + key, rawField, &field, depth + 1))
                return false;
            arg.fields.push_back(field);
        }
        break;
    }
    case ArgType::Array:
    case ArgType::Record: {
        ArgDef element;
        if (!this->arg(QString(), partValue, partWhere, rawPart.value_or(QByteArrayView()), &element, depth + 1))
            return false;
        arg.element.push_back(element);
        break;
    }
    default:
        break;
    }
    *out = arg;
    return true;
}

bool SchemaFileReader::materializer(const QJsonValue &value, const QString &where, EventDef *event)
{
    QStringList statements;
    if (value.isString()) {
        if (value.toString().trimmed().isEmpty())
            return fail(where, u"empty SQL statement (use [] for an event that writes nothing)"_s);
        statements.append(value.toString());
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QJsonValue statement = array.at(i);
            if (!statement.isString() || statement.toString().trimmed().isEmpty())
                return wrongType(element(where, i), u"a non-empty SQL statement string"_s, statement);
            statements.append(statement.toString());
        }
    } else if (value.isObject()) {
        // {"cpp": true}: the event's materializer is C++ code, which a file cannot hold (a schema
        // written by Schema::toJson(), a store's recorded schema).
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, {"cpp"_L1}, where))
            return false;
        const QJsonValue cpp = object.value("cpp"_L1);
        if (cpp != QJsonValue(true))
            return wrongType(member(where, "cpp"_L1), u"true (the materializer is C++ code)"_s, cpp);
        event->cppMaterializerMissing = true;
        return true;
    } else {
        return wrongType(where, u"an SQL statement string or an array of them"_s, value);
    }
    event->materializeSql(statements);
    return true;
}

} // namespace LiveStore::detail
