// SPDX-License-Identifier: BSD-3-Clause
// Event arguments: the argument types (ArgDef), checking and encoding given arguments as LiveStore
// encodes them (EventDef::encodeArgs(), validateEncodedArgs()), their JSON text in LiveStore's key
// order (argsJson()), and an event record as JSON (EventRecord::toJson(), fromJson()).
#include "schema.h"

#include "jsonwriter_p.h"
#include "sqlutil_p.h"
#include "sync/rawjson_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qstringconverter.h>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

QString describeType(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Bool: return u"a boolean"_s;
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong: return u"an integer"_s;
    case QMetaType::Double:
    case QMetaType::Float: return u"a number"_s;
    case QMetaType::QString: return u"a string"_s;
    case QMetaType::QDateTime: return u"a date-time"_s;
    case QMetaType::QVariantMap: return u"an object"_s;
    case QMetaType::QVariantList: return u"a list"_s;
    default: return u"a value of type "_s + QString::fromLatin1(v.metaType().name());
    }
}

constexpr double maxSafeInteger = 9007199254740991.0; // 2^53 - 1, what a JSON number holds exactly

bool isIntegerVariant(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Long:
    case QMetaType::ULong:
        return true;
    default:
        return false;
    }
}

} // namespace

ArgDef ArgDef::literal(const QString &name, const QVariantList &values)
{
    ArgDef def{name, ArgType::Literal};
    def.literals = values;
    return def;
}

ArgDef ArgDef::structOf(const QString &name, const QList<ArgDef> &fields)
{
    ArgDef def{name, ArgType::Struct};
    def.fields.assign(fields.cbegin(), fields.cend());
    return def;
}

ArgDef ArgDef::arrayOf(const QString &name, const ArgDef &element)
{
    ArgDef def{name, ArgType::Array};
    def.element.push_back(element);
    return def;
}

ArgDef ArgDef::recordOf(const QString &name, const ArgDef &value)
{
    ArgDef def{name, ArgType::Record};
    def.element.push_back(value);
    return def;
}

QJsonValue ArgDef::typeJson() const
{
    // The keys of the simple types are what the event hash has always covered: do not add any.
    QJsonObject o{{u"type"_s, argTypeName(type)}, {u"optional"_s, isOptional}, {u"nullable"_s, isNullable}};
    switch (type) {
    case ArgType::Literal:
        o.insert(u"values"_s, QJsonArray::fromVariantList(literals));
        break;
    case ArgType::Struct: {
        // An array, not an object: the field order is part of the type (it is the key order).
        QJsonArray list;
        for (const ArgDef &f : fields) {
            QJsonObject field = f.typeJson().toObject();
            field.insert(u"name"_s, f.name);
            list.append(field);
        }
        o.insert(u"fields"_s, list);
        break;
    }
    case ArgType::Array:
    case ArgType::Record:
        if (!element.empty())
            o.insert(type == ArgType::Array ? u"element"_s : u"value"_s, element.front().typeJson());
        break;
    default:
        break;
    }
    return o;
}

QString ArgDef::typeDescription() const
{
    switch (type) {
    case ArgType::Literal: {
        QStringList values;
        for (const QVariant &v : literals)
            values.append(sql::jsonText(v));
        return values.size() == 1 ? values.constFirst() : u"one of "_s + values.join(u", "_s);
    }
    case ArgType::Array:
        return u"an array"_s + (element.empty() ? QString() : u" of "_s + element.front().typeDescription());
    case ArgType::Record:
        return u"a record"_s + (element.empty() ? QString() : u" of "_s + element.front().typeDescription());
    case ArgType::Struct: {
        QStringList names;
        for (const ArgDef &f : fields)
            names.append(f.name + (f.isOptional ? u"?"_s : QString()));
        return u"a struct {"_s + names.join(u", "_s) + u'}';
    }
    case ArgType::Integer: return u"an integer"_s;
    case ArgType::Real: return u"a number"_s;
    case ArgType::DateTime: return u"a date-time (QDateTime or ISO-8601 text)"_s;
    default: return u"a "_s + argTypeName(type);
    }
}

namespace {

bool isNullVariant(const QVariant &v)
{
    return v.typeId() == QMetaType::UnknownType || v.typeId() == QMetaType::Nullptr
            || (v.isNull() && v.typeId() != QMetaType::QString);
}

bool isNumberVariant(const QVariant &v)
{
    return isIntegerVariant(v) || v.typeId() == QMetaType::Double || v.typeId() == QMetaType::Float;
}

// Objects and arrays as they come from QML, JSON or C++ (QJsonObject, QVariantHash, QStringList...).
std::optional<QVariantMap> asMap(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::QVariantMap: return v.toMap();
    case QMetaType::QVariantHash:
    case QMetaType::QJsonObject: return v.toMap();
    case QMetaType::QJsonValue:
        if (v.toJsonValue().isObject())
            return v.toJsonValue().toObject().toVariantMap();
        return std::nullopt;
    default: return std::nullopt;
    }
}

std::optional<QVariantList> asList(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::QVariantList:
    case QMetaType::QStringList:
    case QMetaType::QJsonArray: return v.toList();
    case QMetaType::QJsonValue:
        if (v.toJsonValue().isArray())
            return v.toJsonValue().toArray().toVariantList();
        return std::nullopt;
    default: return std::nullopt;
    }
}

bool literalMatches(const QVariant &literal, const QVariant &v)
{
    if (isNullVariant(literal))
        return isNullVariant(v);
    if (literal.typeId() == QMetaType::QString)
        return v.typeId() == QMetaType::QString && v.toString() == literal.toString();
    if (literal.typeId() == QMetaType::Bool)
        return v.typeId() == QMetaType::Bool && v.toBool() == literal.toBool();
    if (isNumberVariant(literal))
        return isNumberVariant(v) && v.toDouble() == literal.toDouble();
    return false;
}

// Checks one value against its type and returns its encoded form (dates as ISO-8601 text, objects
// as QVariantMap, arrays as QVariantList). `path` names it in messages: "filter", "point.x",
// "tags[2]". `encoded`: the value is already in encoded form (from the eventlog, an import or
// sync), where dates must be text and every number may be a double.
std::optional<QVariant> encodeValue(const ArgDef &a, const QVariant &v, const QString &path, bool encoded,
                                    QString *error)
{
    auto fail = [&](const QString &message) -> std::optional<QVariant> {
        *error = message;
        return std::nullopt;
    };
    if (isNullVariant(v)) {
        if (a.isNullable || (a.type == ArgType::Literal && std::any_of(a.literals.cbegin(), a.literals.cend(), isNullVariant)))
            return QVariant::fromValue(nullptr);
        if (a.type == ArgType::Json && v.typeId() == QMetaType::Nullptr && !a.isNullable)
            return fail(u"argument \"%1\" must not be null"_s.arg(path));
        return fail(u"argument \"%1\" must not be null"_s.arg(path));
    }
    auto wrongType = [&] {
        if (encoded && a.type <= ArgType::Json)
            return fail(u"argument \"%1\" is not a valid %2"_s.arg(path, argTypeName(a.type)));
        return fail(u"argument \"%1\" must be %2, got %3"_s.arg(path, a.typeDescription(), describeType(v)));
    };
    switch (a.type) {
    case ArgType::String:
        if (v.typeId() != QMetaType::QString)
            return wrongType();
        return v.toString();
    case ArgType::Integer:
        if (isIntegerVariant(v)) {
            const bool isUnsigned = v.typeId() == QMetaType::ULongLong || v.typeId() == QMetaType::UInt
                    || v.typeId() == QMetaType::ULong || v.typeId() == QMetaType::UShort;
            const qint64 n = v.toLongLong();
            if ((isUnsigned && v.toULongLong() > quint64(maxSafeInteger)) || std::abs(double(n)) > maxSafeInteger)
                return fail(u"argument \"%1\" is outside the exactly representable integer range (±2^53)"_s.arg(path));
            return n;
        }
        if (v.typeId() == QMetaType::Double || v.typeId() == QMetaType::Float) {
            const double d = v.toDouble();
            if (!std::isfinite(d) || std::trunc(d) != d || std::abs(d) > maxSafeInteger)
                return wrongType();
            // -0 is an integer to JavaScript (Number.isInteger(-0)); it stays -0.
            if (d == 0 && std::signbit(d))
                return d;
            return qint64(d);
        }
        return wrongType();
    case ArgType::Real:
        if (!isNumberVariant(v))
            return wrongType();
        if (!std::isfinite(v.toDouble()))
            return fail(u"argument \"%1\" must be a finite number"_s.arg(path));
        return v.toDouble();
    case ArgType::Boolean:
        if (v.typeId() != QMetaType::Bool)
            return wrongType();
        return v.toBool();
    case ArgType::DateTime: {
        QDateTime dt;
        if (v.typeId() == QMetaType::QDateTime && !encoded)
            dt = v.toDateTime();
        else if (v.typeId() == QMetaType::QString)
            dt = sql::parseIsoDateTime(v.toString());
        else
            return wrongType();
        const QString iso = dt.isValid() ? sql::isoDateTime(dt) : QString();
        if (iso.isEmpty()) {
            if (encoded)
                return wrongType();
            return fail(u"argument \"%1\" is not a valid date-time: \"%2\""_s.arg(path, v.toString()));
        }
        return iso;
    }
    case ArgType::Json: {
        const QJsonValue j = QJsonValue::fromVariant(v);
        // fromVariant() gives null (or undefined) for types JSON has no form for (QPoint...).
        if (j.isUndefined() || j.isNull())
            return fail(u"argument \"%1\" cannot be represented as JSON (%2)"_s.arg(path, describeType(v)));
        // Normalized to what JSON gives back (maps, lists, numbers as double or qint64).
        return j.toVariant();
    }
    case ArgType::Literal:
        for (const QVariant &literal : a.literals) {
            if (literalMatches(literal, v))
                return literal.typeId() == QMetaType::QString || literal.typeId() == QMetaType::Bool
                        ? literal : v;
        }
        return fail(u"argument \"%1\" must be %2, got %3"_s.arg(
                path, a.typeDescription(),
                v.typeId() == QMetaType::QString || isNumberVariant(v) || v.typeId() == QMetaType::Bool
                        ? sql::jsonText(v) : describeType(v)));
    case ArgType::Struct: {
        const std::optional<QVariantMap> map = asMap(v);
        if (!map)
            return wrongType();
        for (auto it = map->cbegin(); it != map->cend(); ++it) {
            const bool known = std::any_of(a.fields.cbegin(), a.fields.cend(),
                                           [&](const ArgDef &f) { return f.name == it.key(); });
            if (!known) {
                QStringList names;
                for (const ArgDef &f : a.fields)
                    names.append(f.name);
                return fail(u"argument \"%1\" has no field \"%2\" (fields: %3)"_s.arg(
                        path, it.key(), names.isEmpty() ? u"none"_s : names.join(u", "_s)));
            }
        }
        QVariantMap out;
        for (const ArgDef &f : a.fields) {
            const QString fieldPath = path + u'.' + f.name;
            const auto found = map->constFind(f.name);
            if (found == map->cend() || !found->isValid()) {
                if (f.isOptional)
                    continue;
                return fail(u"argument \"%1\" is missing (%2)"_s.arg(fieldPath, f.typeDescription()));
            }
            const std::optional<QVariant> field = encodeValue(f, *found, fieldPath, encoded, error);
            if (!field)
                return std::nullopt;
            out.insert(f.name, *field);
        }
        return out;
    }
    case ArgType::Array: {
        const std::optional<QVariantList> list = asList(v);
        if (!list || a.element.empty())
            return wrongType();
        QVariantList out;
        out.reserve(list->size());
        for (qsizetype i = 0; i < list->size(); ++i) {
            const std::optional<QVariant> item = encodeValue(a.element.front(), list->at(i),
                                                             path + u'[' + QString::number(i) + u']', encoded, error);
            if (!item)
                return std::nullopt;
            out.append(*item);
        }
        return out;
    }
    case ArgType::Record: {
        const std::optional<QVariantMap> map = asMap(v);
        if (!map || a.element.empty())
            return wrongType();
        QVariantMap out;
        for (auto it = map->cbegin(); it != map->cend(); ++it) {
            const std::optional<QVariant> item = encodeValue(a.element.front(), it.value(),
                                                             path + u'.' + it.key(), encoded, error);
            if (!item)
                return std::nullopt;
            out.insert(it.key(), *item);
        }
        return out;
    }
    }
    return wrongType();
}

// JavaScript's own property order: keys that are array indices (canonical integers below
// 2^32 - 1) first, ascending, then the others in the order they were added.
bool isArrayIndex(const QString &key, quint32 *index)
{
    if (key.isEmpty() || key.size() > 10 || (key.size() > 1 && key.at(0) == u'0'))
        return false;
    bool ok = false;
    const qulonglong n = key.toULongLong(&ok);
    if (!ok || n >= 4294967295ull)
        return false;
    for (QChar c : key) {
        if (c < u'0' || c > u'9')
            return false;
    }
    *index = quint32(n);
    return true;
}

QStringList jsKeyOrder(const QStringList &given)
{
    QList<std::pair<quint32, QString>> indices;
    QStringList others;
    for (const QString &k : given) {
        quint32 i;
        if (isArrayIndex(k, &i))
            indices.append({i, k});
        else
            others.append(k);
    }
    std::sort(indices.begin(), indices.end());
    QStringList out;
    for (const auto &[i, k] : indices)
        out.append(k);
    return out + others;
}

void appendOrdered(QByteArray &out, const ArgDef *type, const QVariant &value, QByteArrayView orderFrom);

void appendOrderedObject(QByteArray &out, const QStringList &keys, const QVariantMap &map,
                         const std::function<const ArgDef *(const QString &)> &typeOf,
                         const QList<std::pair<QString, QByteArrayView>> &raw)
{
    out += '{';
    bool first = true;
    for (const QString &key : keys) {
        const auto it = map.constFind(key);
        if (it == map.cend())
            continue;
        if (!first)
            out += ',';
        first = false;
        json::appendString(out, key);
        out += ':';
        QByteArrayView rawValue;
        for (const auto &[k, v] : raw) {
            if (k == key) {
                rawValue = v;
                break;
            }
        }
        appendOrdered(out, typeOf(key), *it, rawValue);
    }
    out += '}';
}

void appendOrdered(QByteArray &out, const ArgDef *type, const QVariant &value, QByteArrayView orderFrom)
{
    const ArgType t = type ? type->type : ArgType::Json;
    if (value.typeId() == QMetaType::QVariantMap) {
        const QVariantMap map = value.toMap();
        const auto raw = orderFrom.isEmpty() ? std::nullopt : Wire::RawJson::members(orderFrom);
        if (t == ArgType::Struct) {
            QStringList keys;
            for (const ArgDef &f : type->fields)
                keys.append(f.name);
            appendOrderedObject(out, keys, map, [type](const QString &key) -> const ArgDef * {
                for (const ArgDef &f : type->fields) {
                    if (f.name == key)
                        return &f;
                }
                return nullptr;
            }, raw.value_or(QList<std::pair<QString, QByteArrayView>>()));
            return;
        }
        QStringList given;
        if (raw) {
            for (const auto &[k, v] : *raw)
                given.append(k);
        }
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            if (!given.contains(it.key()))
                given.append(it.key());
        }
        const ArgDef *valueType = t == ArgType::Record && !type->element.empty() ? &type->element.front() : nullptr;
        appendOrderedObject(out, jsKeyOrder(given), map, [valueType](const QString &) { return valueType; },
                            raw.value_or(QList<std::pair<QString, QByteArrayView>>()));
        return;
    }
    if (value.typeId() == QMetaType::QVariantList) {
        const QVariantList list = value.toList();
        const auto raw = orderFrom.isEmpty() ? std::nullopt : Wire::RawJson::elements(orderFrom);
        const ArgDef *elementType = t == ArgType::Array && !type->element.empty() ? &type->element.front() : nullptr;
        out += '[';
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (i)
                out += ',';
            appendOrdered(out, elementType, list.at(i),
                          raw && i < raw->size() ? raw->at(i) : QByteArrayView());
        }
        out += ']';
        return;
    }
    json::appendValue(out, value);
}

} // namespace

QByteArray EventDef::argsJson(const QVariantMap &encodedArgs, QByteArrayView orderFrom) const
{
    const auto raw = orderFrom.isEmpty() ? std::nullopt : Wire::RawJson::members(orderFrom);
    QByteArray out;
    out.reserve(64);
    out += '{';
    bool first = true;
    for (const ArgDef &a : args) {
        const auto it = encodedArgs.constFind(a.name);
        if (it == encodedArgs.cend())
            continue;
        if (!first)
            out += ',';
        first = false;
        json::appendString(out, a.name);
        out += ':';
        QByteArrayView rawValue;
        if (raw) {
            for (const auto &[k, v] : *raw) {
                if (k == a.name)
                    rawValue = v;
            }
        }
        appendOrdered(out, &a, *it, rawValue);
    }
    // Arguments the definition does not know (an event of a newer schema): after the known ones.
    for (auto it = encodedArgs.cbegin(); it != encodedArgs.cend(); ++it) {
        if (findArg(it.key()))
            continue;
        if (!first)
            out += ',';
        first = false;
        json::appendString(out, it.key());
        out += ':';
        appendOrdered(out, nullptr, *it, {});
    }
    out += '}';
    return out;
}

QByteArray EventDef::argJson(const QString &argName, const QVariant &encoded, QByteArrayView argsJson) const
{
    QByteArrayView raw;
    if (const auto members = argsJson.isEmpty() ? std::nullopt : Wire::RawJson::members(argsJson)) {
        for (const auto &[key, value] : *members) {
            if (key == argName)
                raw = value;
        }
    }
    QByteArray out;
    appendOrdered(out, findArg(argName), encoded, raw);
    return out;
}

namespace {

// Whether encodeValue() would give `v` back unchanged (same type, same value): a string for a
// string, a finite double for a real, and so on. Other types, and values it converts, take the
// long way.
bool isEncodedAsGiven(const ArgDef &a, const QVariant &v)
{
    const int type = v.typeId();
    if (type == QMetaType::Nullptr)
        return a.isNullable;
    switch (a.type) {
    case ArgType::String:
        return type == QMetaType::QString;
    case ArgType::Boolean:
        return type == QMetaType::Bool;
    case ArgType::Real:
        return type == QMetaType::Double && std::isfinite(*static_cast<const double *>(v.constData()));
    case ArgType::Integer:
        return type == QMetaType::LongLong
                && std::abs(double(*static_cast<const qlonglong *>(v.constData()))) <= maxSafeInteger;
    default:
        return false;
    }
}

} // namespace

std::optional<QVariantMap> EventDef::encodeArgs(const QVariantMap &input, QString *errorString) const
{
    // Arguments an app commits are mostly in their encoded form already (text for a string, a
    // double for a real): then the encoded map is the given one, shared instead of rebuilt.
    {
        qsizetype matched = 0;
        bool asGiven = true;
        for (const ArgDef &a : args) {
            const auto found = input.constFind(a.name);
            if (found == input.cend()) {
                if (a.isOptional)
                    continue;
                asGiven = false; // missing: the error below
                break;
            }
            if (!isEncodedAsGiven(a, *found)) {
                asGiven = false;
                break;
            }
            ++matched;
        }
        if (asGiven && matched == input.size())
            return input;
    }
    auto fail = [&](const QString &message) -> std::optional<QVariantMap> {
        if (errorString)
            *errorString = u"event \"%1\": "_s.arg(name) + message;
        return std::nullopt;
    };
    for (auto it = input.cbegin(); it != input.cend(); ++it) {
        if (!findArg(it.key())) {
            QStringList known;
            for (const ArgDef &a : args)
                known.append(a.name);
            return fail(u"unknown argument \"%1\" (arguments: %2)"_s.arg(
                    it.key(), known.isEmpty() ? u"none"_s : known.join(u", "_s)));
        }
    }
    QVariantMap out;
    for (const ArgDef &a : args) {
        const auto found = input.constFind(a.name);
        if (found == input.cend() || !found->isValid()) {
            if (a.isOptional)
                continue;
            return fail(u"missing argument \"%1\" (%2)"_s.arg(a.name, argTypeName(a.type)));
        }
        QString error;
        const std::optional<QVariant> v = encodeValue(a, *found, a.name, false, &error);
        if (!v)
            return fail(error);
        out.insert(a.name, *v);
    }
    return out;
}

bool EventDef::validateEncodedArgs(const QVariantMap &input, QString *errorString) const
{
    auto fail = [&](const QString &message) {
        if (errorString)
            *errorString = u"event \"%1\": "_s.arg(name) + message;
        return false;
    };
    for (const ArgDef &a : args) {
        const auto found = input.constFind(a.name);
        if (found == input.cend()) {
            if (a.isOptional)
                continue;
            return fail(u"missing argument \"%1\" (%2)"_s.arg(a.name, argTypeName(a.type)));
        }
        if (isEncodedAsGiven(a, *found))
            continue; // encodes as it is, so it is valid
        QString error;
        if (!encodeValue(a, *found, a.name, true, &error))
            return fail(error);
    }
    return true;
}

QByteArray EventRecord::argJson(const QString &argName) const
{
    if (!argsJson.isEmpty()) {
        if (const auto members = Wire::RawJson::members(argsJson)) {
            for (const auto &[key, value] : *members) {
                if (key == argName)
                    return Wire::RawJson::trimmed(value).toByteArray();
            }
            return {};
        }
    }
    const auto it = args.constFind(argName);
    return it == args.cend() ? QByteArray() : json::write(*it);
}

QJsonObject EventRecord::toJson() const
{
    auto seq = [](const SequenceNumber &s) {
        return QJsonObject{{u"global"_s, s.global},
                           {u"client"_s, s.client},
                           {u"rebaseGeneration"_s, s.rebaseGeneration}};
    };
    return {{u"seqNum"_s, seq(seqNum)},     {u"parentSeqNum"_s, seq(parentSeqNum)},
            {u"name"_s, name},              {u"args"_s, QJsonObject::fromVariantMap(args)},
            {u"clientId"_s, clientId},      {u"sessionId"_s, sessionId}};
}

std::optional<EventRecord> EventRecord::fromJson(const QJsonObject &o, QString *errorString)
{
    auto fail = [&](const QString &message) -> std::optional<EventRecord> {
        if (errorString)
            *errorString = message;
        return std::nullopt;
    };
    // A part of a sequence number: a whole number JavaScript represents exactly (0..2^53-1).
    // Anything else (1.5, -1, 1e20) would turn into a different number on the way in.
    auto part = [](const QJsonValue &v, qint64 *out) {
        if (!v.isDouble())
            return false;
        const double d = v.toDouble();
        if (!(d >= 0 && d <= 9007199254740991.0) || d != std::floor(d))
            return false;
        *out = qint64(d);
        return true;
    };
    auto seq = [&part](const QJsonValue &v, SequenceNumber *out) {
        if (v.isString()) {
            const auto parsed = SequenceNumber::fromString(v.toString());
            if (parsed)
                *out = *parsed;
            return bool(parsed);
        }
        if (v.isDouble()) // LiveStore's global wire form: a plain integer
            return part(v, &out->global);
        const QJsonObject s = v.toObject();
        if (!part(s.value(u"global"_s), &out->global))
            return false;
        for (const auto &[key, field] : {std::pair{u"client"_s, &out->client},
                                         std::pair{u"rebaseGeneration"_s, &out->rebaseGeneration}}) {
            if (!s.contains(key))
                *field = 0;
            else if (!part(s.value(key), field))
                return false;
        }
        return true;
    };
    EventRecord r;
    if (!seq(o.value(u"seqNum"_s), &r.seqNum))
        return fail(u"\"seqNum\" is missing or not a sequence number"_s);
    if (!seq(o.value(u"parentSeqNum"_s), &r.parentSeqNum))
        return fail(u"\"parentSeqNum\" is missing or not a sequence number"_s);
    if (!o.value(u"name"_s).isString() || o.value(u"name"_s).toString().isEmpty())
        return fail(u"\"name\" is missing or not a string"_s);
    r.name = o.value(u"name"_s).toString();
    const QJsonValue args = o.value(u"args"_s);
    if (!args.isObject() && !args.isUndefined() && !args.isNull())
        return fail(u"\"args\" of event \"%1\" is not an object"_s.arg(r.name));
    r.args = args.toObject().toVariantMap();
    for (const auto &[key, field] : {std::pair{u"clientId"_s, &r.clientId}, std::pair{u"sessionId"_s, &r.sessionId}}) {
        const QJsonValue v = o.value(key);
        if (!v.isUndefined() && !v.isString())
            return fail(u"\"%1\" of event \"%2\" is not a string"_s.arg(key, r.name));
        *field = v.toString();
    }
    return r;
}

std::optional<EventRecord> EventRecord::fromJsonLine(QByteArrayView line, QString *errorString)
{
    auto fail = [&](const QString &message) -> std::optional<EventRecord> {
        if (errorString)
            *errorString = message;
        return std::nullopt;
    };
    // Qt's JSON parser refuses invalid UTF-8 in strings only; say it plainly, for any byte.
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = utf8.decode(line);
    if (utf8.hasError())
        return fail(u"not valid UTF-8"_s);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(line.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(u"not valid JSON: %1 (at character %2)"_s.arg(parseError.errorString()).arg(parseError.offset + 1));
    if (!doc.isObject())
        return fail(u"not a JSON object (each line holds one event)"_s);
    std::optional<EventRecord> record = fromJson(doc.object(), errorString);
    // The args as written: their key order (a record's, a json argument's) is part of the event,
    // and the QJsonObject above has lost it.
    if (record && doc.object().value(u"args"_s).isObject()) {
        if (const auto raw = Wire::RawJson::member(line, "args"_L1))
            record->argsJson = Wire::RawJson::trimmed(*raw).toByteArray();
    }
    return record;
}

} // namespace LiveStore
