// SPDX-License-Identifier: BSD-3-Clause
#include "schemamodel.h"

#include "inspectedstore.h"

#include <schema.h>
#include <store.h>

#include <QtCore/qjsondocument.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

QString hashText(qint32 hash)
{
    return QString::number(hash);
}

} // namespace

SchemaModel::SchemaModel(QObject *parent) : QAbstractListModel(parent) { }

void SchemaModel::setSource(InspectedStore *source)
{
    if (m_source == source)
        return;
    QObject::disconnect(m_storeConnection);
    m_source = source;
    if (source)
        m_storeConnection = connect(source, &InspectedStore::storeChanged, this, &SchemaModel::reload);
    Q_EMIT sourceChanged();
    reload();
}

void SchemaModel::reload()
{
    // Another store, another schema: nothing of the old list carries over.
    beginResetModel();
    m_rows.clear();
    m_stateHash.clear();
    m_tables = m_events = m_documents = 0;
    if (const Store *store = m_source ? m_source->store() : nullptr)
        build(store->schema());
    endResetModel();
    Q_EMIT countChanged();
}

void SchemaModel::build(const Schema &schema)
{
    m_stateHash = hashText(schema.stateHash());
    QStringList documentTables;
    const QList<ClientDocumentDef> documents = schema.clientDocuments();
    for (const ClientDocumentDef &d : documents)
        documentTables.append(d.tableDef().name);
    const QList<TableDef> tables = schema.tables();
    for (const TableDef &t : tables) {
        ++m_tables;
        const bool document = documentTables.contains(t.name);
        m_rows.append({u"table"_s, t.name, document ? u"client document table"_s : u"table"_s,
                       u"%1 columns, primary key (%2)"_s.arg(t.columns.size()).arg(t.primaryKey().join(u", "_s)),
                       hashText(t.hash()), 0});
        for (const ColumnDef &c : t.columns) {
            QStringList traits;
            if (c.isPrimaryKey)
                traits.append(u"primary key"_s);
            if (c.isAutoIncrement)
                traits.append(u"autoincrement"_s);
            if (c.isNullable)
                traits.append(u"nullable"_s);
            if (c.defaultKind == ColumnDef::DefaultKind::Sql)
                traits.append(u"default "_s + c.defaultSql);
            else if (c.defaultKind == ColumnDef::DefaultKind::Value)
                traits.append(u"default "_s + QString::fromUtf8(QJsonDocument::fromVariant(QVariantList{c.defaultValue}).toJson(QJsonDocument::Compact)).mid(1).chopped(1));
            m_rows.append({u"column"_s, c.name, columnTypeName(c.type), traits.join(u", "_s), {}, 1});
        }
        for (const IndexDef &i : t.indexes)
            m_rows.append({u"index"_s, i.name, i.isUnique ? u"unique index"_s : u"index"_s,
                           i.columns.join(u", "_s), {}, 1});
    }
    const QList<EventDef> events = schema.events();
    for (const EventDef &e : events) {
        ++m_events;
        QStringList traits;
        traits.append(e.isClientOnly ? u"client-only"_s : u"synced"_s);
        if (e.isDerived)
            traits.append(u"derived"_s);
        if (e.cppMaterializerMissing || e.materializer)
            traits.append(u"C++ materializer"_s);
        else if (e.hasSqlMaterializer)
            traits.append(e.sqlStatements.join(u"; "_s));
        if (!e.deprecated.isEmpty())
            traits.append(u"deprecated: "_s + e.deprecated);
        m_rows.append({u"event"_s, e.name, u"event"_s, traits.join(u" · "_s), hashText(e.hash()), 0});
        for (const ArgDef &a : e.args) {
            QString type = a.typeDescription();
            if (a.isOptional)
                type += u'?';
            if (a.isNullable)
                type += u" | null"_s;
            m_rows.append({u"arg"_s, a.name, type, a.deprecated.isEmpty() ? QString() : u"deprecated: "_s + a.deprecated, {}, 1});
        }
    }
    for (const ClientDocumentDef &d : documents) {
        ++m_documents;
        m_rows.append({u"document"_s, d.name, u"client document"_s,
                       u"default id %1, default %2"_s.arg(d.defaultId, QString::fromUtf8(QJsonDocument(d.defaultValue).toJson(QJsonDocument::Compact))),
                       {}, 0});
    }
}

QVariantMap SchemaModel::get(int row) const
{
    QVariantMap map;
    if (row < 0 || row >= m_rows.size())
        return map;
    const QHash<int, QByteArray> roles = roleNames();
    for (auto it = roles.cbegin(); it != roles.cend(); ++it)
        map.insert(QString::fromLatin1(it.value()), data(index(row), it.key()));
    return map;
}

int SchemaModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant SchemaModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return r.name;
    case KindRole: return r.kind;
    case TypeRole: return r.type;
    case DetailRole: return r.detail;
    case HashRole: return r.hash;
    case DepthRole: return r.depth;
    default: return {};
    }
}

QHash<int, QByteArray> SchemaModel::roleNames() const
{
    return {{Qt::DisplayRole, "display"}, {KindRole, "kind"},     {NameRole, "name"},
            {TypeRole, "type"},           {DetailRole, "detail"}, {HashRole, "hash"},
            {DepthRole, "depth"}};
}

} // namespace LiveStore
