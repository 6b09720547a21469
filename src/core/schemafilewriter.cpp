// SPDX-License-Identifier: BSD-3-Clause
// Writing a Schema as a schema file (Schema::toJson()): the inverse of the reader in schemafile.cpp,
// and what a store records of its schema, so that a tool can open the store without the app.

#include "schema.h"

#include "jsonwriter_p.h"
#include "schemafile_p.h"
#include "sqlutil_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// JSON with its keys in the order they were added (QJsonObject would sort them, and the order of
// arguments and struct fields is part of the schema), written compact or for people.
class Json
{
public:
    static Json scalar(QByteArray text)
    {
        Json j;
        j.m_text = std::move(text);
        return j;
    }
    static Json string(QStringView text)
    {
        QByteArray out;
        json::appendString(out, text);
        return scalar(out);
    }
    static Json boolean(bool value) { return scalar(value ? "true" : "false"); }
    static Json value(const QJsonValue &value)
    {
        switch (value.type()) {
        case QJsonValue::Object: {
            Json o = object();
            const QJsonObject members = value.toObject();
            for (auto it = members.begin(); it != members.end(); ++it)
                o.add(it.key(), Json::value(it.value()));
            return o;
        }
        case QJsonValue::Array: {
            Json a = array();
            for (const QJsonValue &element : value.toArray())
                a.append(Json::value(element));
            return a;
        }
        default:
            return scalar(json::write(value.toVariant()));
        }
    }
    static Json object()
    {
        Json j;
        j.m_kind = Object;
        return j;
    }
    static Json array()
    {
        Json j;
        j.m_kind = Array;
        return j;
    }

    Json &add(QStringView key, Json value)
    {
        QByteArray k;
        json::appendString(k, key);
        m_keys.push_back(k);
        m_values.push_back(std::move(value));
        return *this;
    }
    Json &append(Json value)
    {
        m_values.push_back(std::move(value));
        return *this;
    }

    void writeCompact(QByteArray &out) const
    {
        if (m_kind == Scalar) {
            out += m_text;
            return;
        }
        out += m_kind == Object ? '{' : '[';
        for (size_t i = 0; i < m_values.size(); ++i) {
            if (i)
                out += ',';
            if (m_kind == Object)
                out += m_keys[i] + ':';
            m_values[i].writeCompact(out);
        }
        out += m_kind == Object ? '}' : ']';
    }

    // Two spaces per level. A value goes on one line when it fits (`column`: where it starts)
    // and holds no list of objects (columns, events ...), which read better one per line.
    void writeIndented(QByteArray &out, int indent, int column) const
    {
        if (m_kind == Scalar || m_values.empty()) {
            writeLine(out);
            return;
        }
        if (!mustExpand()) {
            QByteArray line;
            writeLine(line);
            if (column + line.size() <= MaxWidth) {
                out += line;
                return;
            }
        }
        const QByteArray inner(indent + 2, ' ');
        out += m_kind == Object ? "{\n" : "[\n";
        for (size_t i = 0; i < m_values.size(); ++i) {
            out += inner;
            int at = indent + 2;
            if (m_kind == Object) {
                out += m_keys[i] + ": ";
                at += int(m_keys[i].size()) + 2;
            }
            m_values[i].writeIndented(out, indent + 2, at);
            out += i + 1 < m_values.size() ? ",\n" : "\n";
        }
        out += QByteArray(indent, ' ');
        out += m_kind == Object ? '}' : ']';
    }

private:
    enum Kind { Scalar, Object, Array };
    static constexpr int MaxWidth = 100;

    bool mustExpand() const
    {
        for (const Json &v : m_values) {
            if ((m_kind == Array && v.m_kind == Object) || v.mustExpand())
                return true;
        }
        return false;
    }
    // One line, with a space after each colon and comma: { "name": "id", "type": "text" }.
    void writeLine(QByteArray &out) const
    {
        if (m_kind == Scalar) {
            out += m_text;
            return;
        }
        if (m_values.empty()) {
            out += m_kind == Object ? "{}" : "[]";
            return;
        }
        out += m_kind == Object ? "{ " : "[";
        for (size_t i = 0; i < m_values.size(); ++i) {
            if (i)
                out += ", ";
            if (m_kind == Object)
                out += m_keys[i] + ": ";
            m_values[i].writeLine(out);
        }
        out += m_kind == Object ? " }" : "]";
    }

    Kind m_kind = Scalar;
    QByteArray m_text;             // a scalar's JSON text
    std::vector<QByteArray> m_keys; // an object's keys, as JSON strings
    std::vector<Json> m_values;
};

// An argument type as the Reader takes it: the short forms where they say it all ("string",
// "datetime?" for optional and nullable, a list of literals), the object form otherwise.
Json argJson(const ArgDef &arg)
{
    const bool composite = arg.type == ArgType::Literal || arg.type == ArgType::Struct
            || arg.type == ArgType::Array || arg.type == ArgType::Record;
    const bool plain = arg.deprecated.isEmpty() && arg.isOptional == arg.isNullable;
    if (!composite && plain)
        return Json::string(QString(argTypeName(arg.type) + (arg.isOptional ? u"?"_s : QString())));
    auto literals = [&arg] {
        Json values = Json::array();
        for (const QVariant &v : arg.literals)
            values.append(Json::scalar(json::write(v)));
        return values;
    };
    if (arg.type == ArgType::Literal && !arg.isOptional && !arg.isNullable && arg.deprecated.isEmpty()
        && !arg.literals.isEmpty())
        return literals();

    Json o = Json::object();
    o.add(u"type", Json::string(argTypeName(arg.type)));
    if (arg.isOptional)
        o.add(u"optional", Json::boolean(true));
    if (arg.isNullable)
        o.add(u"nullable", Json::boolean(true));
    if (!arg.deprecated.isEmpty())
        o.add(u"deprecated", Json::string(arg.deprecated));
    switch (arg.type) {
    case ArgType::Literal:
        o.add(u"values", literals());
        break;
    case ArgType::Struct: {
        Json fields = Json::object();
        for (const ArgDef &field : arg.fields)
            fields.add(field.name, argJson(field));
        o.add(u"fields", std::move(fields));
        break;
    }
    case ArgType::Array:
    case ArgType::Record:
        // An element type is required in a file; the builder lets it out, meaning any JSON.
        o.add(arg.type == ArgType::Array ? u"element" : u"value",
              arg.element.empty() ? Json::string(u"json") : argJson(arg.element.front()));
        break;
    default:
        break;
    }
    return o;
}

// A default value as the Reader takes it for the column's type. A value that type cannot take
// in a file (a blob's bytes, a number for a text column) is written as the SQL literal the
// table's DDL has: the same default, though its hash differs.
Json columnDefaultJson(const ColumnDef &c)
{
    if (c.defaultKind == ColumnDef::DefaultKind::Sql)
        return Json::object().add(u"sql", Json::string(c.defaultSql));
    const QVariant &value = c.defaultValue;
    if (value.isNull() || value.typeId() == QMetaType::Nullptr)
        return Json::scalar("null");
    auto sqlDefault = [](const QString &literal) { return Json::object().add(u"sql", Json::string(literal)); };
    const QVariant encoded = Query::encodeValue(value, c.type);
    const int type = encoded.typeId();
    const bool isInteger = type == QMetaType::Int || type == QMetaType::UInt || type == QMetaType::LongLong
            || type == QMetaType::ULongLong;
    const bool isNumber = isInteger || type == QMetaType::Double || type == QMetaType::Float;
    switch (c.type) {
    case ColumnType::Json: {
        // Stored as JSON text: a string is a JSON string there, anything else the JSON it is.
        const QJsonValue json = QJsonValue::fromVariant(value);
        if (json.isObject() && json.toObject().size() == 1 && json.toObject().contains("sql"_L1))
            return sqlDefault(sql::quoteLiteral(sql::jsonText(value))); // {"sql": ...} would be SQL
        return Json::value(json);
    }
    case ColumnType::Text:
        if (type == QMetaType::QString)
            return Json::string(encoded.toString());
        break;
    case ColumnType::DateTime:
        // The Reader takes ISO-8601 with a UTC offset only.
        if (type == QMetaType::QString) {
            const QDateTime dateTime = sql::parseIsoDateTime(encoded.toString());
            if (dateTime.isValid() && dateTime.timeSpec() != Qt::LocalTime)
                return Json::string(encoded.toString());
        }
        break;
    case ColumnType::Integer:
    case ColumnType::DateTimeInteger:
        if (isInteger)
            return Json::scalar(QByteArray::number(encoded.toLongLong()));
        break;
    case ColumnType::Real:
        if (isNumber)
            return Json::scalar(json::write(encoded.toDouble()));
        break;
    case ColumnType::Boolean:
        if (isNumber || type == QMetaType::Bool)
            return Json::boolean(encoded.toBool());
        break;
    case ColumnType::Blob:
        if (type == QMetaType::QByteArray)
            return sqlDefault(u"X'"_s + QString::fromLatin1(encoded.toByteArray().toHex()) + u'\'');
        break;
    }
    if (isNumber)
        return sqlDefault(isInteger ? QString::number(encoded.toLongLong()) : QString::number(encoded.toDouble(), 'g', 17));
    return sqlDefault(sql::quoteLiteral(encoded.toString()));
}

Json tableJson(const TableDef &table)
{
    Json columns = Json::array();
    for (const ColumnDef &c : table.columns) {
        Json column = Json::object();
        column.add(u"name", Json::string(c.name));
        column.add(u"type", Json::string(columnTypeName(c.type)));
        if (c.isPrimaryKey)
            column.add(u"primaryKey", Json::boolean(true));
        if (c.isNullable)
            column.add(u"nullable", Json::boolean(true));
        if (c.isAutoIncrement)
            column.add(u"autoIncrement", Json::boolean(true));
        if (c.hasDefault())
            column.add(u"default", columnDefaultJson(c));
        if (c.jsonSchema && c.type == ColumnType::Json) // the Reader takes a shape on json columns only
            column.add(u"schema", argJson(*c.jsonSchema));
        columns.append(std::move(column));
    }
    Json o = Json::object();
    o.add(u"name", Json::string(table.name));
    o.add(u"columns", std::move(columns));
    if (!table.indexes.isEmpty()) {
        Json indexes = Json::array();
        for (const IndexDef &i : table.indexes) {
            Json names = Json::array();
            for (const QString &column : i.columns)
                names.append(Json::string(column));
            Json index = Json::object();
            index.add(u"name", Json::string(i.name)).add(u"columns", std::move(names));
            if (i.isUnique)
                index.add(u"unique", Json::boolean(true));
            indexes.append(std::move(index));
        }
        o.add(u"indexes", std::move(indexes));
    }
    return o;
}

Json clientDocumentJson(const ClientDocumentDef &document)
{
    Json o = Json::object();
    o.add(u"name", Json::string(document.name));
    if (document.valueSchema)
        o.add(u"schema", argJson(*document.valueSchema));
    o.add(u"default", Json::object()
                              .add(u"id", Json::string(document.defaultId))
                              .add(u"value", Json::value(document.defaultValue)));
    if (!document.partialSet)
        o.add(u"partialSet", Json::boolean(false));
    return o;
}

Json eventJson(const EventDef &event)
{
    Json o = Json::object();
    o.add(u"name", Json::string(event.name));
    if (event.isClientOnly)
        o.add(u"clientOnly", Json::boolean(true));
    if (!event.deprecated.isEmpty())
        o.add(u"deprecated", Json::string(event.deprecated));
    if (!event.args.isEmpty()) {
        Json args = Json::object();
        for (const ArgDef &arg : event.args)
            args.add(arg.name, argJson(arg));
        o.add(u"args", std::move(args));
    }
    // What materialize() runs: C++ first, then SQL.
    if (event.materializer || event.cppMaterializerMissing) {
        o.add(u"materializer", Json::object().add(u"cpp", Json::boolean(true)));
    } else if (event.sqlStatements.size() == 1) {
        o.add(u"materializer", Json::string(event.sqlStatements.constFirst()));
    } else {
        Json statements = Json::array();
        for (const QString &statement : event.sqlStatements)
            statements.append(Json::string(statement));
        o.add(u"materializer", std::move(statements));
    }
    return o;
}

} // namespace

QByteArray Schema::toJson(QJsonDocument::JsonFormat format) const
{
    Json root = Json::object();
    root.add(u"version", Json::scalar(QByteArray::number(SupportedFormatVersion)));
    // A callback is code: the file says what happens without it.
    root.add(u"unknownEventHandling", Json::string(unknownEventPolicy() == UnknownEventPolicy::Ignore ? u"ignore"
                                                   : unknownEventPolicy() == UnknownEventPolicy::Fail ? u"fail"
                                                                                                      : u"warn"));
    root.add(u"failedEventHandling", Json::string(failedEventPolicy() == FailedEventPolicy::Fail ? u"fail" : u"skip"));
    // A client document's table and Set event come with it.
    const QList<ClientDocumentDef> documents = clientDocuments();
    const auto isDocumentTable = [&documents](const QString &name) {
        return std::any_of(documents.cbegin(), documents.cend(),
                           [&name](const ClientDocumentDef &d) { return d.name == name; });
    };
    Json tableList = Json::array();
    for (const TableDef &table : tables()) {
        if (!isDocumentTable(table.name))
            tableList.append(tableJson(table));
    }
    Json documentList = Json::array();
    for (const ClientDocumentDef &document : documents)
        documentList.append(clientDocumentJson(document));
    Json eventList = Json::array();
    for (const EventDef &event : events()) {
        if (!event.isDerived)
            eventList.append(eventJson(event));
    }
    root.add(u"tables", std::move(tableList));
    root.add(u"clientDocuments", std::move(documentList));
    root.add(u"events", std::move(eventList));

    QByteArray out;
    if (format == QJsonDocument::Compact) {
        root.writeCompact(out);
    } else {
        root.writeIndented(out, 0, 0);
        out += '\n';
    }
    return out;
}

} // namespace LiveStore
