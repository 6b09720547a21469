// SPDX-License-Identifier: BSD-3-Clause
#include "schema.h"

#include "materializercontext.h"
#include "jsonwriter_p.h"
#include "sqlutil_p.h"
#include "sync/rawjson_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qstringconverter.h>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace LiveStore {

// ---------------------------------------------------------------------------------------------
// Type names
// ---------------------------------------------------------------------------------------------

QString columnTypeName(ColumnType type)
{
    switch (type) {
    case ColumnType::Text: return u"text"_s;
    case ColumnType::Integer: return u"integer"_s;
    case ColumnType::Real: return u"real"_s;
    case ColumnType::Blob: return u"blob"_s;
    case ColumnType::Boolean: return u"boolean"_s;
    case ColumnType::Json: return u"json"_s;
    case ColumnType::DateTime: return u"datetime"_s;
    case ColumnType::DateTimeInteger: return u"datetimeInteger"_s;
    }
    return {};
}

std::optional<ColumnType> columnTypeFromName(QStringView name)
{
    for (ColumnType t : {ColumnType::Text, ColumnType::Integer, ColumnType::Real, ColumnType::Blob,
                         ColumnType::Boolean, ColumnType::Json, ColumnType::DateTime,
                         ColumnType::DateTimeInteger}) {
        if (name == columnTypeName(t))
            return t;
    }
    return std::nullopt;
}

QString argTypeName(ArgType type)
{
    switch (type) {
    case ArgType::String: return u"string"_s;
    case ArgType::Integer: return u"integer"_s;
    case ArgType::Real: return u"real"_s;
    case ArgType::Boolean: return u"boolean"_s;
    case ArgType::DateTime: return u"datetime"_s;
    case ArgType::Json: return u"json"_s;
    case ArgType::Literal: return u"literal"_s;
    case ArgType::Struct: return u"struct"_s;
    case ArgType::Array: return u"array"_s;
    case ArgType::Record: return u"record"_s;
    }
    return {};
}

std::optional<ArgType> argTypeFromName(QStringView name)
{
    if (name == u"number")
        return ArgType::Real;
    for (ArgType t : {ArgType::String, ArgType::Integer, ArgType::Real, ArgType::Boolean,
                      ArgType::DateTime, ArgType::Json, ArgType::Literal, ArgType::Struct,
                      ArgType::Array, ArgType::Record}) {
        if (name == argTypeName(t))
            return t;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

namespace {

QString sqliteStorageType(ColumnType type)
{
    switch (type) {
    case ColumnType::Integer:
    case ColumnType::Boolean:
    case ColumnType::DateTimeInteger:
        return u"INTEGER"_s;
    case ColumnType::Real:
        return u"REAL"_s;
    case ColumnType::Blob:
        return u"BLOB"_s;
    case ColumnType::Text:
    case ColumnType::Json:
    case ColumnType::DateTime:
        return u"TEXT"_s;
    }
    return u"ANY"_s;
}

QString defaultLiteral(const ColumnDef &c)
{
    if (c.defaultKind == ColumnDef::DefaultKind::Sql)
        return u'(' + c.defaultSql + u')';
    // A JSON column's default is always JSON text: the string "x" is '"x"' there.
    const QVariant v = c.type == ColumnType::Json && !c.defaultValue.isNull()
            ? QVariant(sql::jsonText(c.defaultValue))
            : Query::encodeValue(c.defaultValue, c.type);
    if (v.isNull())
        return u"NULL"_s;
    switch (v.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
        return QString::number(v.toLongLong());
    case QMetaType::Double:
    case QMetaType::Float:
        return QString::number(v.toDouble(), 'g', 17);
    default:
        return sql::quoteLiteral(v.toString());
    }
}

QJsonValue defaultJson(const ColumnDef &c)
{
    switch (c.defaultKind) {
    case ColumnDef::DefaultKind::None:
        return QJsonValue::Undefined;
    case ColumnDef::DefaultKind::Sql:
        return QJsonObject{{u"sql"_s, c.defaultSql}};
    case ColumnDef::DefaultKind::Value:
        // A JSON column's default is JSON text: `true` and `1` are different defaults there.
        if (c.type == ColumnType::Json && !c.defaultValue.isNull())
            return sql::jsonText(c.defaultValue);
        return QJsonValue::fromVariant(Query::encodeValue(c.defaultValue, c.type));
    }
    return QJsonValue::Undefined;
}

} // namespace

const ColumnDef *TableDef::findColumn(QStringView columnName) const
{
    for (const ColumnDef &c : columns) {
        if (c.name == columnName)
            return &c;
    }
    return nullptr;
}

QStringList TableDef::primaryKey() const
{
    QStringList keys;
    for (const ColumnDef &c : columns) {
        if (c.isPrimaryKey)
            keys.append(c.name);
    }
    return keys;
}

QStringList TableDef::ddl() const
{
    const QStringList keys = primaryKey();
    QStringList parts;
    for (const ColumnDef &c : columns) {
        QString part = sql::quoteIdentifier(c.name) + u' ' + sqliteStorageType(c.type);
        if (keys.size() == 1 && c.isPrimaryKey) {
            part += u" PRIMARY KEY"_s;
            if (c.isAutoIncrement && c.type == ColumnType::Integer)
                part += u" AUTOINCREMENT"_s;
        }
        // SQLite lets a rowid table's TEXT primary key hold NULL unless told otherwise.
        if (!c.isNullable)
            part += u" NOT NULL"_s;
        if (c.hasDefault())
            part += u" DEFAULT "_s + defaultLiteral(c);
        parts.append(part);
    }
    if (keys.size() > 1) {
        QStringList quoted;
        for (const QString &k : keys)
            quoted.append(sql::quoteIdentifier(k));
        parts.append(u"PRIMARY KEY ("_s + quoted.join(u", "_s) + u')');
    }
    QStringList statements;
    statements.append(u"CREATE TABLE IF NOT EXISTS "_s + sql::quoteIdentifier(name) + u" ("_s
                      + parts.join(u", "_s) + u") STRICT"_s);
    for (const IndexDef &index : indexes) {
        QStringList cols;
        for (const QString &c : index.columns)
            cols.append(sql::quoteIdentifier(c));
        statements.append((index.isUnique ? u"CREATE UNIQUE INDEX IF NOT EXISTS "_s
                                           : u"CREATE INDEX IF NOT EXISTS "_s)
                          + sql::quoteIdentifier(index.name) + u" ON "_s
                          + sql::quoteIdentifier(name) + u" ("_s + cols.join(u", "_s) + u')');
    }
    return statements;
}

QJsonObject TableDef::toJson() const
{
    QJsonArray cols;
    for (const ColumnDef &c : columns) {
        QJsonObject col{{u"name"_s, c.name},
                        {u"type"_s, columnTypeName(c.type)},
                        {u"primaryKey"_s, c.isPrimaryKey},
                        {u"nullable"_s, c.isNullable},
                        {u"autoIncrement"_s, c.isAutoIncrement}};
        const QJsonValue def = defaultJson(c);
        if (!def.isUndefined())
            col.insert(u"default"_s, def);
        cols.append(col);
    }
    QJsonArray idx;
    for (const IndexDef &i : indexes) {
        idx.append(QJsonObject{{u"name"_s, i.name},
                               {u"columns"_s, QJsonArray::fromStringList(i.columns)},
                               {u"unique"_s, i.isUnique}});
    }
    return {{u"name"_s, name}, {u"columns"_s, cols}, {u"indexes"_s, idx}};
}

qint32 TableDef::hash() const
{
    return sql::javaStringHash(
            QString::fromUtf8(QJsonDocument(toJson()).toJson(QJsonDocument::Compact)));
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

const ArgDef *EventDef::findArg(QStringView argName) const
{
    for (const ArgDef &a : args) {
        if (a.name == argName)
            return &a;
    }
    return nullptr;
}

QJsonObject EventDef::argsSchemaJson() const
{
    QJsonObject schema;
    for (const ArgDef &a : args)
        schema.insert(a.name, a.typeJson());
    return schema;
}

qint32 EventDef::hash() const
{
    return sql::javaStringHash(
            QString::fromUtf8(QJsonDocument(argsSchemaJson()).toJson(QJsonDocument::Compact)));
}

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

// ---------------------------------------------------------------------------------------------
// Client documents
// ---------------------------------------------------------------------------------------------

TableDef ClientDocumentDef::tableDef() const
{
    TableDef t{name};
    t.column(ColumnDef::text(u"id"_s).primaryKey());
    t.column(ColumnDef::json(u"value"_s));
    return t;
}

EventDef ClientDocumentDef::setEventDef() const
{
    EventDef def = EventDef::clientOnly(setEventName());
    def.isDerived = true;
    def.arg(ArgDef{u"id"_s, ArgType::String}.optional());
    if (valueSchema) {
        ArgDef value = *valueSchema;
        value.name = u"value"_s;
        value.isOptional = false;
        // A partial set names only the fields it changes (LiveStore's Schema.partial).
        if (partialSet && value.type == ArgType::Struct) {
            for (ArgDef &field : value.fields)
                field.isOptional = true;
        }
        def.arg(value);
    } else {
        def.arg(u"value"_s, ArgType::Json);
    }
    const ClientDocumentDef doc = *this;
    def.materialize([doc](const EventRecord &event, MaterializerContext &context) -> Writes {
        const QVariant idArg = event.args.value(u"id"_s);
        // "$sessionId": the session that committed the event, whichever session replays it.
        const QString id = idArg.typeId() == QMetaType::QString ? idArg.toString()
                                                                : doc.effectiveDefaultId(event.sessionId);
        const QJsonValue value = QJsonValue::fromVariant(event.args.value(u"value"_s));
        QJsonValue stored;
        if (doc.partialSet && value.isObject()) {
            // Per-field last-write-wins: the fields in the event replace the stored ones (or the
            // defaults), the others stay. Merged here rather than with json_set(), whose paths
            // cannot name every key.
            const QueryResult current = context.query(Query::from(doc.name).select({u"value"_s}).where(u"id"_s, id));
            QJsonObject merged = doc.defaultValue;
            if (!current.isEmpty()) {
                const QJsonObject old = QJsonObject::fromVariantMap(current.scalar().toMap());
                for (auto it = old.begin(); it != old.end(); ++it)
                    merged.insert(it.key(), it.value());
            }
            const QJsonObject patch = value.toObject();
            for (auto it = patch.begin(); it != patch.end(); ++it)
                merged.insert(it.key(), it.value());
            stored = merged;
        } else {
            stored = value.isUndefined() || value.isNull() ? QJsonValue(doc.defaultValue) : value;
        }
        return {Query::sql(u"INSERT INTO "_s + sql::quoteIdentifier(doc.name)
                                   + u" (\"id\", \"value\") VALUES (?, json(?)) ON CONFLICT (\"id\") "
                                     u"DO UPDATE SET \"value\" = excluded.\"value\""_s,
                           QVariantList{id, QString::fromUtf8(sql::jsonBytes(stored))})};
    });
    return def;
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

struct Schema::Data
{
    QList<TableDef> tables;
    QList<EventDef> events;
    QList<ClientDocumentDef> documents;
    QHash<QString, qsizetype> tableIndex;
    QHash<QString, qsizetype> eventIndex;
    QStringList duplicates; // reported by validate(); adding never fails
    QString loadError;      // fromJson()/fromFile() failed: the schema is empty and invalid
    UnknownEventPolicy unknownPolicy = UnknownEventPolicy::Warn;
    std::function<void(const UnknownEvent &)> unknownCallback;
    FailedEventPolicy failedPolicy = FailedEventPolicy::Skip;
    std::function<void(const FailedEvent &)> failedCallback;
};

Schema::Schema() : d(std::make_shared<Data>()) { }
Schema::Schema(const Schema &) = default;
Schema &Schema::operator=(const Schema &) = default;
Schema::Schema(Schema &&) noexcept = default;
Schema &Schema::operator=(Schema &&) noexcept = default;
Schema::~Schema() = default;

void Schema::detach()
{
    if (!d)
        d = std::make_shared<Data>();
    else if (d.use_count() > 1)
        d = std::make_shared<Data>(*d);
}

Schema &Schema::addTable(const TableDef &table)
{
    detach();
    if (d->tableIndex.contains(table.name)) {
        d->duplicates.append(u"duplicate table \"%1\""_s.arg(table.name));
        return *this;
    }
    d->tableIndex.insert(table.name, d->tables.size());
    d->tables.append(table);
    return *this;
}

Schema &Schema::addEvent(const EventDef &event)
{
    detach();
    if (d->eventIndex.contains(event.name)) {
        d->duplicates.append(u"duplicate event \"%1\""_s.arg(event.name));
        return *this;
    }
    d->eventIndex.insert(event.name, d->events.size());
    d->events.append(event);
    return *this;
}

Schema &Schema::addClientDocument(const ClientDocumentDef &document)
{
    detach();
    d->documents.append(document);
    addTable(document.tableDef());
    addEvent(document.setEventDef());
    return *this;
}

Schema &Schema::setUnknownEventPolicy(UnknownEventPolicy policy)
{
    detach();
    d->unknownPolicy = policy;
    return *this;
}

Schema &Schema::setUnknownEventCallback(std::function<void(const UnknownEvent &)> callback)
{
    detach();
    d->unknownCallback = std::move(callback);
    d->unknownPolicy = UnknownEventPolicy::Callback;
    return *this;
}

Schema &Schema::setFailedEventPolicy(FailedEventPolicy policy)
{
    detach();
    d->failedPolicy = policy;
    return *this;
}

Schema &Schema::setFailedEventCallback(std::function<void(const FailedEvent &)> callback)
{
    detach();
    d->failedCallback = std::move(callback);
    d->failedPolicy = FailedEventPolicy::Callback;
    return *this;
}

FailedEventPolicy Schema::failedEventPolicy() const { return d->failedPolicy; }
const std::function<void(const FailedEvent &)> &Schema::failedEventCallback() const
{
    return d->failedCallback;
}

QList<TableDef> Schema::tables() const { return d->tables; }
QList<EventDef> Schema::events() const { return d->events; }
QList<ClientDocumentDef> Schema::clientDocuments() const { return d->documents; }
UnknownEventPolicy Schema::unknownEventPolicy() const { return d->unknownPolicy; }
const std::function<void(const UnknownEvent &)> &Schema::unknownEventCallback() const
{
    return d->unknownCallback;
}

const TableDef *Schema::table(QStringView name) const
{
    const auto it = d->tableIndex.constFind(name.toString());
    return it == d->tableIndex.cend() ? nullptr : &d->tables.at(*it);
}

const EventDef *Schema::event(QStringView name) const
{
    const auto it = d->eventIndex.constFind(name.toString());
    return it == d->eventIndex.cend() ? nullptr : &d->events.at(*it);
}

const ClientDocumentDef *Schema::clientDocument(QStringView name) const
{
    for (const ClientDocumentDef &doc : d->documents) {
        if (doc.name == name)
            return &doc;
    }
    return nullptr;
}

qint32 Schema::stateHash() const
{
    QList<const TableDef *> sorted;
    for (const TableDef &t : d->tables)
        sorted.append(&t);
    std::sort(sorted.begin(), sorted.end(),
              [](const TableDef *a, const TableDef *b) { return a->name < b->name; });
    QJsonArray all;
    for (const TableDef *t : sorted)
        all.append(t->toJson());
    return sql::javaStringHash(QString::fromUtf8(QJsonDocument(all).toJson(QJsonDocument::Compact)));
}

Schema Schema::failedToLoad(const QString &error, QString *errorString)
{
    Schema schema;
    schema.d->loadError = error;
    if (errorString)
        *errorString = error;
    return schema;
}

bool Schema::isValid() const
{
    return d->loadError.isEmpty();
}

QString Schema::errorString() const
{
    return d->loadError;
}

QString Schema::validate() const
{
    if (!d->loadError.isEmpty())
        return d->loadError;
    QStringList problems = d->duplicates;
    QSet<QString> indexNames;
    QHash<QString, QString> foldedTableNames; // SQLite's names ignore case: "todos" is "TODOS"
    for (const TableDef &t : d->tables) {
        const QString where = u"table \"%1\""_s.arg(t.name);
        if (t.name.isEmpty())
            problems.append(u"a table has no name"_s);
        const QString folded = t.name.toCaseFolded();
        if (const QString other = foldedTableNames.value(folded); !other.isEmpty() && other != t.name)
            problems.append(where + u": the same table as \"%1\" for SQLite, which ignores case in names"_s.arg(other));
        foldedTableNames.insert(folded, t.name);
        // SQLite compares identifiers case-insensitively.
        if (t.name.startsWith(u"__livestore"_s, Qt::CaseInsensitive)
            || t.name.startsWith(u"sqlite_"_s, Qt::CaseInsensitive))
            problems.append(where + u": the name is reserved"_s);
        if (t.columns.isEmpty())
            problems.append(where + u": no columns"_s);
        QSet<QString> names;
        const QStringList keys = t.primaryKey();
        for (const ColumnDef &c : t.columns) {
            if (c.name.isEmpty())
                problems.append(where + u": a column has no name"_s);
            if (names.contains(c.name.toCaseFolded()))
                problems.append(where + u": duplicate column \"%1\""_s.arg(c.name));
            names.insert(c.name.toCaseFolded());
            if (c.isPrimaryKey && c.isNullable)
                problems.append(where + u": primary key column \"%1\" cannot be nullable"_s.arg(c.name));
            if (c.isAutoIncrement && (keys.size() != 1 || !c.isPrimaryKey || c.type != ColumnType::Integer))
                problems.append(where + u": autoIncrement needs a single integer primary key column (\"%1\")"_s.arg(c.name));
            if (c.defaultKind == ColumnDef::DefaultKind::Value && c.defaultValue.isNull() && !c.isNullable)
                problems.append(where + u": column \"%1\" defaults to null but is not nullable"_s.arg(c.name));
            if (c.defaultKind == ColumnDef::DefaultKind::Sql && c.defaultSql.trimmed().isEmpty())
                problems.append(where + u": column \"%1\" has an empty SQL default"_s.arg(c.name));
        }
        for (const IndexDef &i : t.indexes) {
            if (i.name.isEmpty())
                problems.append(where + u": an index has no name"_s);
            if (indexNames.contains(i.name))
                problems.append(where + u": duplicate index name \"%1\""_s.arg(i.name));
            indexNames.insert(i.name);
            if (i.columns.isEmpty())
                problems.append(where + u": index \"%1\" has no columns"_s.arg(i.name));
            for (const QString &c : i.columns) {
                if (!t.findColumn(c))
                    problems.append(where + u": index \"%1\" names unknown column \"%2\""_s.arg(i.name, c));
            }
        }
    }
    for (const ClientDocumentDef &doc : d->documents) {
        if (!doc.valueSchema)
            continue;
        const QString where = u"client document \"%1\""_s.arg(doc.name);
        if (doc.valueSchema->type != ArgType::Struct && doc.valueSchema->type != ArgType::Record
            && doc.valueSchema->type != ArgType::Json)
            problems.append(where + u": the value schema must be a struct, a record or json (a document is an object), not "_s
                            + doc.valueSchema->typeDescription());
        // The default is what a document holds before its first set: it must fit in full.
        EventDef check = EventDef::clientOnly(doc.setEventName());
        ArgDef value = *doc.valueSchema;
        value.name = u"value"_s;
        value.isOptional = false;
        check.arg(value);
        QString error;
        if (!check.validateEncodedArgs({{u"value"_s, doc.defaultValue.toVariantMap()}}, &error))
            problems.append(where + u": the default value does not fit the value schema: "_s + error);
    }
    for (const EventDef &e : d->events) {
        const QString where = u"event \"%1\""_s.arg(e.name);
        if (e.name.isEmpty())
            problems.append(u"an event has no name"_s);
        if (!e.hasMaterializer())
            problems.append(where + u": no materializer"_s);
        QSet<QString> names;
        for (const ArgDef &a : e.args) {
            if (a.name.isEmpty())
                problems.append(where + u": an argument has no name"_s);
            if (names.contains(a.name))
                problems.append(where + u": duplicate argument \"%1\""_s.arg(a.name));
            names.insert(a.name);
        }
    }
    return problems.join(u"; "_s);
}

} // namespace LiveStore
