// SPDX-License-Identifier: BSD-3-Clause
// The schema: type names, tables and their DDL, event definitions and their hashes, client
// documents, and the Schema that holds them and checks itself (validate()). Event arguments are
// eventargs.cpp; the schema file is schemafile.cpp and schemafilewriter.cpp.
#include "schema.h"

#include "materializercontext.h"
#include "sqlutil_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qvarlengtharray.h>

#include <algorithm>

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

// sql::javaStringHash() of the compact JSON that QJsonDocument writes, computed as the text goes
// by: no QJsonObject, no document, no string. Opening a store hashes every table and every event
// definition (docs/performance.md, boot). Only text that JSON writes as it is (printable ASCII
// other than '"' and '\\') is hashed here; anything else marks the hash not plain, and the caller
// takes the QJsonDocument path, whose bytes these match (tst_schema hashesMatchTheirDocuments).
class JsonHash
{
public:
    JsonHash &raw(const char *ascii)
    {
        for (; *ascii; ++ascii)
            m_hash = m_hash * 31u + uchar(*ascii);
        return *this;
    }
    JsonHash &string(QStringView text)
    {
        raw("\"");
        for (const QChar c : text) {
            const char16_t unit = c.unicode();
            if (unit < 0x20 || unit > 0x7e || unit == u'"' || unit == u'\\')
                m_plain = false;
            m_hash = m_hash * 31u + unit;
        }
        return raw("\"");
    }
    JsonHash &boolean(bool value) { return raw(value ? "true" : "false"); }
    JsonHash &integer(qint64 value) { return raw(QByteArray::number(value).constData()); }
    void markNotPlain() { m_plain = false; }
    bool isPlain() const { return m_plain; }
    qint32 value() const { return qint32(m_hash); }

private:
    quint32 m_hash = 0;
    bool m_plain = true;
};

// The "default" member of a column's JSON, as defaultJson() makes it, for the plain values.
void hashDefault(const ColumnDef &c, JsonHash &h)
{
    switch (c.defaultKind) {
    case ColumnDef::DefaultKind::None:
        return;
    case ColumnDef::DefaultKind::Sql:
        h.raw(",\"default\":{\"sql\":").string(c.defaultSql).raw("}");
        return;
    case ColumnDef::DefaultKind::Value:
        break;
    }
    h.raw(",\"default\":");
    if (c.type == ColumnType::Json && !c.defaultValue.isNull()) {
        h.string(sql::jsonText(c.defaultValue));
        return;
    }
    const QVariant v = Query::encodeValue(c.defaultValue, c.type);
    switch (v.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        h.raw("null");
        return;
    case QMetaType::QString:
        h.string(v.toString());
        return;
    case QMetaType::Bool:
        h.boolean(v.toBool());
        return;
    case QMetaType::Int:
    case QMetaType::LongLong:
        h.integer(v.toLongLong());
        return;
    default: // numbers with a fraction, ...: QJsonDocument's own formatting
        h.markNotPlain();
        return;
    }
}

// TableDef::toJson()'s document; QJsonObject orders the keys by name.
void hashTable(const TableDef &t, JsonHash &h)
{
    h.raw("{\"columns\":[");
    for (qsizetype i = 0; i < t.columns.size(); ++i) {
        const ColumnDef &c = t.columns.at(i);
        h.raw(i ? ",{\"autoIncrement\":" : "{\"autoIncrement\":").boolean(c.isAutoIncrement);
        hashDefault(c, h);
        h.raw(",\"name\":").string(c.name);
        h.raw(",\"nullable\":").boolean(c.isNullable);
        h.raw(",\"primaryKey\":").boolean(c.isPrimaryKey);
        h.raw(",\"type\":").string(columnTypeName(c.type)).raw("}");
    }
    h.raw("],\"indexes\":[");
    for (qsizetype i = 0; i < t.indexes.size(); ++i) {
        const IndexDef &index = t.indexes.at(i);
        h.raw(i ? ",{\"columns\":[" : "{\"columns\":[");
        for (qsizetype k = 0; k < index.columns.size(); ++k)
            h.raw(k ? "," : "").string(index.columns.at(k));
        h.raw("],\"name\":").string(index.name);
        h.raw(",\"unique\":").boolean(index.isUnique).raw("}");
    }
    h.raw("],\"name\":").string(t.name).raw("}");
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
    JsonHash plain;
    hashTable(*this, plain);
    if (plain.isPlain())
        return plain.value();
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
    // argsSchemaJson()'s document, for arguments of the simple types with distinct names.
    QVarLengthArray<const ArgDef *, 16> sorted;
    bool simple = true;
    for (const ArgDef &a : args) {
        simple = simple && a.type != ArgType::Literal && a.type != ArgType::Struct
                && a.type != ArgType::Array && a.type != ArgType::Record;
        sorted.append(&a);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const ArgDef *a, const ArgDef *b) { return a->name < b->name; });
    JsonHash plain;
    plain.raw("{");
    for (qsizetype i = 0; simple && i < sorted.size(); ++i) {
        const ArgDef &a = *sorted.at(i);
        if (i && a.name == sorted.at(i - 1)->name)
            simple = false; // QJsonObject keeps the last one
        plain.raw(i ? "," : "").string(a.name);
        plain.raw(":{\"nullable\":").boolean(a.isNullable);
        plain.raw(",\"optional\":").boolean(a.isOptional);
        plain.raw(",\"type\":").string(argTypeName(a.type)).raw("}");
    }
    plain.raw("}");
    if (simple && plain.isPlain())
        return plain.value();
    return sql::javaStringHash(
            QString::fromUtf8(QJsonDocument(argsSchemaJson()).toJson(QJsonDocument::Compact)));
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
    JsonHash plain;
    plain.raw("[");
    for (qsizetype i = 0; i < sorted.size(); ++i)
        hashTable(*sorted.at(i), plain.raw(i ? "," : ""));
    plain.raw("]");
    if (plain.isPlain())
        return plain.value();
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
    // SQLite keeps tables and indexes in one namespace: checked once every table is known.
    QList<std::pair<const TableDef *, const IndexDef *>> indexes;
    QHash<QString, QString> foldedTableNames; // SQLite's names ignore case: "todos" is "TODOS"
    for (const TableDef &t : d->tables) {
        // Messages are built only for a problem: QString::arg() reads Qt's Unicode tables (see
        // sql::foldedName()).
        const auto problem = [&problems, &t](const QString &text) {
            problems.append(u"table \"%1\": "_s.arg(t.name) + text);
        };
        if (t.name.isEmpty())
            problems.append(u"a table has no name"_s);
        const QString folded = sql::foldedName(t.name);
        if (const QString other = foldedTableNames.value(folded); !other.isEmpty() && other != t.name)
            problem(u"the same table as \"%1\" for SQLite, which ignores case in names"_s.arg(other));
        foldedTableNames.insert(folded, t.name);
        // SQLite compares identifiers case-insensitively.
        if (folded.startsWith(u"__livestore"_s) || folded.startsWith(u"sqlite_"_s))
            problem(u"the name is reserved"_s);
        if (t.columns.isEmpty())
            problem(u"no columns"_s);
        QSet<QString> names;
        const QStringList keys = t.primaryKey();
        for (const ColumnDef &c : t.columns) {
            if (c.name.isEmpty())
                problem(u"a column has no name"_s);
            const QString foldedColumn = sql::foldedName(c.name);
            if (names.contains(foldedColumn))
                problem(u"duplicate column \"%1\""_s.arg(c.name));
            names.insert(foldedColumn);
            if (c.isPrimaryKey && c.isNullable)
                problem(u"primary key column \"%1\" cannot be nullable"_s.arg(c.name));
            if (c.isAutoIncrement && (keys.size() != 1 || !c.isPrimaryKey || c.type != ColumnType::Integer))
                problem(u"autoIncrement needs a single integer primary key column (\"%1\")"_s.arg(c.name));
            if (c.defaultKind == ColumnDef::DefaultKind::Value && c.defaultValue.isNull() && !c.isNullable)
                problem(u"column \"%1\" defaults to null but is not nullable"_s.arg(c.name));
            if (c.defaultKind == ColumnDef::DefaultKind::Sql && c.defaultSql.trimmed().isEmpty())
                problem(u"column \"%1\" has an empty SQL default"_s.arg(c.name));
        }
        for (const IndexDef &i : t.indexes) {
            if (i.name.isEmpty())
                problem(u"an index has no name"_s);
            const QString foldedIndex = sql::foldedName(i.name);
            if (indexNames.contains(foldedIndex))
                problem(u"duplicate index name \"%1\""_s.arg(i.name));
            indexNames.insert(foldedIndex);
            indexes.append({&t, &i});
            if (foldedIndex.startsWith(u"__livestore"_s) || foldedIndex.startsWith(u"sqlite_"_s))
                problem(u"index \"%1\": the name is reserved"_s.arg(i.name));
            if (i.columns.isEmpty())
                problem(u"index \"%1\" has no columns"_s.arg(i.name));
            for (const QString &c : i.columns) {
                if (std::none_of(t.columns.cbegin(), t.columns.cend(),
                                 [&c](const ColumnDef &column) { return sql::sameName(column.name, c); }))
                    problem(u"index \"%1\" names unknown column \"%2\""_s.arg(i.name, c));
            }
        }
    }
    for (const auto &[table, index] : std::as_const(indexes)) {
        if (const QString other = foldedTableNames.value(sql::foldedName(index->name)); !other.isEmpty()) {
            problems.append(u"table \"%1\": index \"%2\" has the name of the table \"%3\" (SQLite "
                            "keeps tables and indexes in one namespace)"_s.arg(table->name, index->name, other));
        }
    }
    for (const ClientDocumentDef &doc : d->documents) {
        if (!doc.valueSchema)
            continue;
        const auto problem = [&problems, &doc](const QString &text) {
            problems.append(u"client document \"%1\": "_s.arg(doc.name) + text);
        };
        if (doc.valueSchema->type != ArgType::Struct && doc.valueSchema->type != ArgType::Record
            && doc.valueSchema->type != ArgType::Json)
            problem(u"the value schema must be a struct, a record or json (a document is an object), not "_s
                    + doc.valueSchema->typeDescription());
        // The default is what a document holds before its first set: it must fit in full.
        EventDef check = EventDef::clientOnly(doc.setEventName());
        ArgDef value = *doc.valueSchema;
        value.name = u"value"_s;
        value.isOptional = false;
        check.arg(value);
        QString error;
        if (!check.validateEncodedArgs({{u"value"_s, doc.defaultValue.toVariantMap()}}, &error))
            problem(u"the default value does not fit the value schema: "_s + error);
    }
    for (const EventDef &e : d->events) {
        const auto problem = [&problems, &e](const QString &text) {
            problems.append(u"event \"%1\": "_s.arg(e.name) + text);
        };
        if (e.name.isEmpty())
            problems.append(u"an event has no name"_s);
        if (!e.hasMaterializer())
            problem(u"no materializer"_s);
        QSet<QString> names;
        for (const ArgDef &a : e.args) {
            if (a.name.isEmpty())
                problem(u"an argument has no name"_s);
            if (names.contains(a.name))
                problem(u"duplicate argument \"%1\""_s.arg(a.name));
            names.insert(a.name);
        }
    }
    return problems.join(u"; "_s);
}

} // namespace LiveStore
