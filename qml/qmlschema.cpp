// SPDX-License-Identifier: BSD-3-Clause
#include "qmlschema.h"

#include "qmlvalues_p.h"

#include <QtCore/qjsonarray.h>

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

QJsonObject QmlTable::toJson(QString *error) const
{
    QJsonArray columns, indexes;
    for (QObject *child : m_data) {
        if (auto *c = qobject_cast<QmlColumn *>(child))
            columns.append(c->toJson());
        else if (auto *i = qobject_cast<QmlIndex *>(child))
            indexes.append(i->toJson());
        else if (error && error->isEmpty())
            *error = u"table \"%1\": only TableColumn and TableIndex elements may be declared inside a Table, not %2"_s.arg(
                    m_name, QString::fromLatin1(child->metaObject()->className()));
    }
    QJsonObject o{{u"name"_s, m_name}, {u"columns"_s, columns}};
    if (!indexes.isEmpty())
        o.insert(u"indexes"_s, indexes);
    return o;
}

QJsonObject QmlEventDefinition::toJson() const
{
    QJsonObject o{{u"name"_s, m_name}, {u"args"_s, QJsonObject::fromVariantMap(m_args)}};
    if (m_clientOnly)
        o.insert(u"clientOnly"_s, true);
    if (!m_deprecated.isEmpty())
        o.insert(u"deprecated"_s, m_deprecated);
    // A string, or a list of statements; anything else is passed on for the loader to reject.
    if (m_sql.isValid())
        o.insert(u"materializer"_s, QJsonValue::fromVariant(plainValue(m_sql)));
    return o;
}

QJsonObject QmlClientDocumentDefinition::toJson() const
{
    return {{u"name"_s, m_name},
            {u"default"_s, QJsonObject{{u"id"_s, m_defaultId}, {u"value"_s, QJsonObject::fromVariantMap(m_defaultValue)}}},
            {u"partialSet"_s, m_partialSet}};
}

bool appendInlineSchema(QJsonObject *schemaJson, const QList<QObject *> &children, QString *error)
{
    QJsonArray tables = schemaJson->value(u"tables"_s).toArray();
    QJsonArray events = schemaJson->value(u"events"_s).toArray();
    QJsonArray documents = schemaJson->value(u"clientDocuments"_s).toArray();
    bool any = false;
    for (QObject *child : children) {
        if (auto *t = qobject_cast<QmlTable *>(child)) {
            tables.append(t->toJson(error));
            if (!error->isEmpty())
                return false;
        } else if (auto *e = qobject_cast<QmlEventDefinition *>(child)) {
            events.append(e->toJson());
        } else if (auto *d = qobject_cast<QmlClientDocumentDefinition *>(child)) {
            documents.append(d->toJson());
        } else {
            continue; // other children (Timers, helpers) are the app's business
        }
        any = true;
    }
    if (!any)
        return true;
    schemaJson->insert(u"tables"_s, tables);
    schemaJson->insert(u"events"_s, events);
    if (!documents.isEmpty())
        schemaJson->insert(u"clientDocuments"_s, documents);
    return true;
}

} // namespace LiveStore
