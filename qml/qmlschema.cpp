// SPDX-License-Identifier: BSD-3-Clause
#include "qmlschema.h"

#include "qmlvalues_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtQml/qjsvalueiterator.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

QJsonObject QmlColumn::toJson() const
{
    QJsonObject o{{u"name"_s, m_name}, {u"type"_s, m_type}};
    if (m_primaryKey)
        o.insert(u"primaryKey"_s, true);
    if (m_nullable)
        o.insert(u"nullable"_s, true);
    if (m_autoIncrement)
        o.insert(u"autoIncrement"_s, true);
    if (!m_defaultSql.isEmpty())
        o.insert(u"default"_s, QJsonObject{{u"sql"_s, m_defaultSql}});
    else if (m_defaultValue.isValid())
        o.insert(u"default"_s, QJsonValue::fromVariant(plainValue(m_defaultValue)));
    return o;
}

QJsonObject QmlIndex::toJson() const
{
    return {{u"name"_s, m_name}, {u"columns"_s, QJsonArray::fromStringList(m_columns)}, {u"unique"_s, m_unique}};
}

namespace {

// One JSON scalar (or any JSON value) as compact text.
QByteArray jsonText(const QJsonValue &value)
{
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

// A JavaScript object as a JSON object, its keys in JavaScript's property order (a QVariantMap
// or QJsonObject would sort them), each value written by `appendValue(out, name, value)`, which
// may refuse (false).
template<typename AppendValue>
bool appendObject(QByteArray &out, const QJSValue &object, AppendValue appendValue)
{
    out += '{';
    bool first = true;
    QJSValueIterator it(object);
    while (it.hasNext()) {
        it.next();
        if (!first)
            out += ',';
        first = false;
        out += jsonText(it.name());
        out += ':';
        if (!appendValue(out, it.name(), it.value()))
            return false;
    }
    out += '}';
    return true;
}

// A JavaScript value as JSON text, objects with their keys in JavaScript's property order.
void appendJs(QByteArray &out, const QJSValue &value, int depth = 0)
{
    if (depth > 64) {
        out += "null"; // the loader reports the nesting long before this
        return;
    }
    if (value.isArray()) {
        out += '[';
        const quint32 length = value.property(u"length"_s).toUInt();
        for (quint32 i = 0; i < length; ++i) {
            if (i)
                out += ',';
            appendJs(out, value.property(i), depth + 1);
        }
        out += ']';
    } else if (value.isObject() && !value.isCallable() && !value.isQObject() && !value.isVariant()) {
        appendObject(out, value, [depth](QByteArray &o, const QString &, const QJSValue &v) {
            appendJs(o, v, depth + 1);
            return true;
        });
    } else if (value.isString()) {
        out += jsonText(value.toString());
    } else if (value.isNumber()) {
        out += jsonText(value.toNumber());
    } else if (value.isBool()) {
        out += value.toBool() ? "true" : "false";
    } else if (value.isNull() || value.isUndefined()) {
        out += "null";
    } else {
        out += jsonText(QJsonValue::fromVariant(plainValue(value.toVariant())));
    }
}

bool appendMembers(QByteArray &out, const QJSValue &members, const QString &where, QString *error, int depth);

// An argument type: a type name, a list of literals, or an object whose `fields` may be a list.
bool appendType(QByteArray &out, const QJSValue &type, const QString &where, QString *error, int depth,
                bool skipName = false)
{
    if (!type.isObject() || type.isArray() || type.isQObject() || type.isVariant()) {
        appendJs(out, type, depth);
        return true;
    }
    out += '{';
    bool first = true;
    QJSValueIterator it(type);
    while (it.hasNext()) {
        it.next();
        const QString key = it.name();
        if (skipName && key == u"name")
            continue;
        if (!first)
            out += ',';
        first = false;
        out += jsonText(key);
        out += ':';
        bool ok = true;
        if (key == u"fields")
            ok = appendMembers(out, it.value(), where + u".fields"_s, error, depth + 1);
        else if (key == u"element" || key == u"value")
            ok = appendType(out, it.value(), where + u'.' + key, error, depth + 1);
        else
            appendJs(out, it.value(), depth + 1);
        if (!ok)
            return false;
    }
    out += '}';
    return true;
}

// Arguments or struct fields: an object name -> type, or a list of {name, type, ...}.
bool appendMembers(QByteArray &out, const QJSValue &members, const QString &where, QString *error, int depth)
{
    if (members.isUndefined() || members.isNull()) {
        out += "{}";
        return true;
    }
    if (!members.isArray()) {
        if (!members.isObject())
            return appendJs(out, members, depth), true; // the loader says what is wrong with it
        return appendObject(out, members, [&](QByteArray &o, const QString &name, const QJSValue &v) {
            return appendType(o, v, where + u'.' + name, error, depth + 1);
        });
    }
    out += '{';
    const quint32 length = members.property(u"length"_s).toUInt();
    for (quint32 i = 0; i < length; ++i) {
        const QJSValue member = members.property(i);
        const QJSValue name = member.property(u"name"_s);
        if (!member.isObject() || !name.isString() || name.toString().isEmpty()) {
            *error = u"%1[%2]: expected {name: \"...\", type: \"...\"}"_s.arg(where).arg(i);
            return false;
        }
        if (i)
            out += ',';
        out += jsonText(name.toString());
        out += ':';
        if (!appendType(out, member, where + u'.' + name.toString(), error, depth + 1, true))
            return false;
    }
    out += '}';
    return true;
}

} // namespace

QByteArray QmlColumn::toJsonText(const QString &table, QString *error) const
{
    QByteArray out = jsonText(toJson());
    if (m_schema.isUndefined() || m_schema.isNull())
        return out;
    // The shape as text, so that a struct's field order survives.
    out.chop(1);
    out += ",\"schema\":";
    if (!appendType(out, m_schema, u"table \"%1\", column \"%2\": schema"_s.arg(table, m_name), error, 0))
        return {};
    out += '}';
    return out;
}

QByteArray QmlTable::toJsonText(QString *error) const
{
    QByteArrayList columns;
    QJsonArray indexes;
    for (QObject *child : m_data.objects()) {
        if (auto *c = qobject_cast<QmlColumn *>(child)) {
            columns.append(c->toJsonText(m_name, error));
            if (!error->isEmpty())
                return {};
        } else if (auto *i = qobject_cast<QmlIndex *>(child)) {
            indexes.append(i->toJson());
        } else if (error && error->isEmpty()) {
            *error = u"table \"%1\": only TableColumn and TableIndex elements may be declared inside a Table, not %2"_s.arg(
                    m_name, QString::fromLatin1(child->metaObject()->className()));
            return {};
        }
    }
    QByteArray out = "{\"name\":" + jsonText(m_name) + ",\"columns\":[" + columns.join(',') + ']';
    if (!indexes.isEmpty())
        out += ",\"indexes\":" + jsonText(indexes);
    out += '}';
    return out;
}

QByteArray QmlEventDefinition::toJsonText(QString *error) const
{
    const QString where = u"EventDefinition \"%1\": args"_s.arg(m_name);
    QByteArray out = "{\"name\":" + jsonText(m_name) + ",\"args\":";
    if (!appendMembers(out, m_args, where, error, 0))
        return {};
    if (m_clientOnly)
        out += ",\"clientOnly\":true";
    if (!m_deprecated.isEmpty())
        out += ",\"deprecated\":" + jsonText(m_deprecated);
    // A string, or a list of statements; anything else is passed on for the loader to reject.
    if (m_sql.isValid())
        out += ",\"materializer\":" + jsonText(QJsonValue::fromVariant(plainValue(m_sql)));
    out += '}';
    return out;
}

QByteArray QmlClientDocumentDefinition::toJsonText(QString *error) const
{
    QByteArray out = "{\"name\":" + jsonText(m_name) + ",\"default\":"
            + jsonText(QJsonObject{{u"id"_s, m_defaultId}, {u"value"_s, QJsonObject::fromVariantMap(m_defaultValue)}})
            + ",\"partialSet\":" + (m_partialSet ? "true" : "false");
    if (!m_schema.isUndefined() && !m_schema.isNull()) {
        out += ",\"schema\":";
        if (!appendType(out, m_schema, u"ClientDocumentDefinition \"%1\": schema"_s.arg(m_name), error, 0))
            return {};
    }
    out += '}';
    return out;
}

bool inlineSchemaJson(const QList<QObject *> &children, QByteArray *json, bool *any, QString *error)
{
    QByteArrayList tables, events, documents;
    for (QObject *child : children) {
        if (auto *t = qobject_cast<QmlTable *>(child)) {
            tables.append(t->toJsonText(error));
        } else if (auto *e = qobject_cast<QmlEventDefinition *>(child)) {
            events.append(e->toJsonText(error));
        } else if (auto *d = qobject_cast<QmlClientDocumentDefinition *>(child)) {
            documents.append(d->toJsonText(error));
        } else {
            continue; // other children (Timers, helpers) are the app's business
        }
        if (!error->isEmpty())
            return false;
    }
    *any = !tables.isEmpty() || !events.isEmpty() || !documents.isEmpty();
    *json = "{\"tables\":[" + tables.join(',') + "],\"events\":[" + events.join(',')
            + "],\"clientDocuments\":[" + documents.join(',') + "]}";
    return true;
}

bool mergeSchema(Schema *schema, const Schema &extra, QString *error)
{
    const QList<ClientDocumentDef> documents = extra.clientDocuments();
    auto isDocumentTable = [&](const QString &name) {
        return std::any_of(documents.cbegin(), documents.cend(), [&](const ClientDocumentDef &d) { return d.name == name; });
    };
    for (const TableDef &t : extra.tables()) {
        if (!isDocumentTable(t.name))
            schema->addTable(t);
    }
    for (const ClientDocumentDef &d : documents)
        schema->addClientDocument(d);
    for (const EventDef &e : extra.events()) {
        if (!e.isDerived) // the client documents' Set events come with them
            schema->addEvent(e);
    }
    *error = schema->validate();
    return error->isEmpty();
}

} // namespace LiveStore
