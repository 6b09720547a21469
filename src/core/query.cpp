// SPDX-License-Identifier: BSD-3-Clause
#include "query.h"

#include "schema.h"
#include "sqlutil_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonvalue.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

struct Query::Data : QSharedData
{
    struct Condition
    {
        QString column;
        Op op = Eq;
        QVariant value;
        bool isNullCheck = false; // IS NULL / IS NOT NULL, op is Eq or Ne
    };

    Kind kind = RawSql;
    QString table;
    QString rawSql;
    QVariantList rawBinds;
    QVariantMap rawNamedBinds;
    QStringList columns;
    QList<Condition> conditions;
    QList<std::pair<QString, Order>> orderBy;
    qint64 limit = -1;
    qint64 offset = -1;
    bool first = false;
    QVariantMap values;
    QStringList conflictTarget;
    ConflictAction conflictAction = NoConflictClause;
    QVariantMap conflictUpdates;
    QStringList returning;
};

Query::Query() = default;
Query::Query(const Query &) = default;
Query &Query::operator=(const Query &) = default;
Query::~Query() = default;
Query::Query(Data *data) : d(data) { }

Query Query::modified() const
{
    Query copy;
    copy.d = new Data(d ? *d : Data{});
    return copy;
}

Query Query::sql(const QString &sql, const QVariantList &binds)
{
    auto *data = new Data;
    data->rawSql = sql;
    data->rawBinds = binds;
    return Query(data);
}

Query Query::sql(const QString &sql, const QVariantMap &namedBinds)
{
    auto *data = new Data;
    data->rawSql = sql;
    data->rawNamedBinds = namedBinds;
    return Query(data);
}

Query Query::from(const QString &table)
{
    auto *data = new Data;
    data->kind = Select;
    data->table = table;
    return Query(data);
}

Query Query::insert(const QString &table, const QVariantMap &values)
{
    auto *data = new Data;
    data->kind = Insert;
    data->table = table;
    data->values = values;
    return Query(data);
}

Query Query::update(const QString &table, const QVariantMap &values)
{
    auto *data = new Data;
    data->kind = Update;
    data->table = table;
    data->values = values;
    return Query(data);
}

Query Query::remove(const QString &table)
{
    auto *data = new Data;
    data->kind = Delete;
    data->table = table;
    return Query(data);
}

Query Query::select(const QStringList &columns) const
{
    Query q = modified();
    q.d->columns = columns;
    return q;
}

Query Query::where(const QString &column, const QVariant &value) const
{
    if (value.isNull())
        return whereNull(column, true);
    return where(column, Eq, value);
}

Query Query::where(const QString &column, Op op, const QVariant &value) const
{
    Query q = modified();
    if (value.isNull() && (op == Eq || op == Ne))
        q.d->conditions.append({column, op, {}, true});
    else
        q.d->conditions.append({column, op, value, false});
    return q;
}

Query Query::whereNull(const QString &column, bool isNull) const
{
    Query q = modified();
    q.d->conditions.append({column, isNull ? Eq : Ne, {}, true});
    return q;
}

Query Query::orderBy(const QString &column, Order order) const
{
    Query q = modified();
    q.d->orderBy.append({column, order});
    return q;
}

Query Query::limit(qint64 count) const
{
    Query q = modified();
    q.d->limit = count;
    return q;
}

Query Query::offset(qint64 count) const
{
    Query q = modified();
    q.d->offset = count;
    return q;
}

Query Query::count() const
{
    Query q = modified();
    q.d->kind = Count;
    return q;
}

Query Query::first() const
{
    Query q = modified();
    q.d->first = true;
    return q;
}

Query Query::onConflict(const QStringList &target, ConflictAction action,
                        const QVariantMap &updates) const
{
    Query q = modified();
    q.d->conflictTarget = target;
    q.d->conflictAction = action;
    q.d->conflictUpdates = updates;
    return q;
}

Query Query::returning(const QStringList &columns) const
{
    Query q = modified();
    q.d->returning = columns;
    return q;
}

Query::Kind Query::kind() const { return d ? d->kind : RawSql; }
bool Query::isNull() const { return !d; }
QString Query::tableName() const { return d ? d->table : QString(); }

bool Query::isWrite() const
{
    switch (kind()) {
    case Insert:
    case Update:
    case Delete:
        return true;
    case RawSql: {
        if (!d)
            return false;
        const QString head = d->rawSql.trimmed().left(7).toUpper();
        return !head.startsWith(u"SELECT"_s) && !head.startsWith(u"WITH"_s)
                && !head.startsWith(u"VALUES"_s) && !head.startsWith(u"PRAGMA"_s);
    }
    default:
        return false;
    }
}

QVariant Query::encodeValue(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? 1 : 0;
    case QMetaType::QDateTime:
        return sql::isoDateTime(value.toDateTime());
    case QMetaType::QDate:
        return value.toDate().toString(Qt::ISODate);
    case QMetaType::QVariantMap:
    case QMetaType::QVariantList:
    case QMetaType::QVariantHash:
    case QMetaType::QStringList:
    case QMetaType::QJsonObject:
    case QMetaType::QJsonArray:
    case QMetaType::QJsonValue:
    case QMetaType::QJsonDocument:
        return sql::jsonText(value);
    case QMetaType::Nullptr:
        return QVariant();
    default:
        return value;
    }
}

QVariant Query::encodeValue(const QVariant &value, ColumnType type)
{
    if (value.isNull())
        return encodeValue(value);
    switch (type) {
    case ColumnType::Json:
        if (value.typeId() != QMetaType::QString)
            return sql::jsonText(value);
        break;
    case ColumnType::DateTimeInteger:
        if (value.typeId() == QMetaType::QDateTime && value.toDateTime().isValid())
            return value.toDateTime().toMSecsSinceEpoch();
        // A datetime argument reaches a materializer as its ISO-8601 text.
        if (value.typeId() == QMetaType::QString) {
            if (const QDateTime dt = sql::parseIsoDateTime(value.toString()); dt.isValid())
                return dt.toMSecsSinceEpoch();
        }
        break;
    default:
        break;
    }
    return encodeValue(value);
}

namespace {

const char *opSql(Query::Op op)
{
    switch (op) {
    case Query::Eq: return " = ";
    case Query::Ne: return " != ";
    case Query::Lt: return " < ";
    case Query::Gt: return " > ";
    case Query::Le: return " <= ";
    case Query::Ge: return " >= ";
    case Query::Like: return " LIKE ";
    case Query::NotLike: return " NOT LIKE ";
    case Query::In: return " IN ";
    case Query::NotIn: return " NOT IN ";
    }
    return " = ";
}

// Encodes a value for the column it meets, so that `where(u"completed"_s, true)` compares with 1
// and a QDateTime with the stored ISO text.
QVariant encodeFor(const ColumnDef *column, const QVariant &value)
{
    return column ? Query::encodeValue(value, column->type) : Query::encodeValue(value);
}

// A value written into a column: for a json column that declares its shape, checked against it
// and written with the shape's key order (a struct's fields as declared), as LiveStore encodes it.
QVariant encodeWrite(const ColumnDef *column, const QVariant &value, const QString &table, QString *error)
{
    const int type = value.typeId();
    if (!column || !column->jsonSchema || type == QMetaType::UnknownType || type == QMetaType::Nullptr
        || type == QMetaType::QString)
        return encodeFor(column, value);
    ArgDef shape = *column->jsonSchema;
    shape.name = column->name;
    shape.isOptional = false;
    EventDef def = EventDef::synced(table);
    def.arg(shape);
    // QJsonValue and friends as plain maps and lists, which the checks know.
    const QVariant plain = QJsonValue::fromVariant(value).toVariant();
    QString why;
    const auto encoded = def.encodeArgs({{column->name, plain}}, &why);
    if (!encoded) {
        // "event "todos": argument "meta.x" must be ..." -> "column "todos.meta": "meta.x" must be ..."
        const QString prefix = u"event \"%1\": argument "_s.arg(table);
        if (why.startsWith(prefix))
            why = why.mid(prefix.size());
        if (error && error->isEmpty())
            *error = u"column \"%1.%2\" does not take this value: %3"_s.arg(table, column->name, why);
        return {};
    }
    return QString::fromUtf8(def.argJson(column->name, encoded->value(column->name), {}));
}

} // namespace

Query::Compiled Query::compile(const Schema *schema) const
{
    Compiled out;
    if (!d) {
        out.error = u"empty query"_s;
        return out;
    }
    if (d->kind == RawSql) {
        out.sql = d->rawSql;
        out.binds.reserve(d->rawBinds.size());
        for (const QVariant &v : d->rawBinds)
            out.binds.append(encodeValue(v));
        for (auto it = d->rawNamedBinds.cbegin(); it != d->rawNamedBinds.cend(); ++it)
            out.namedBinds.insert(it.key(), encodeValue(it.value()));
        return out;
    }

    out.table = d->table;
    const TableDef *table = schema ? schema->table(d->table) : nullptr;
    if (schema && !table) {
        out.error = u"unknown table \"%1\""_s.arg(d->table);
        return out;
    }
    auto column = [&](const QString &name) -> const ColumnDef * {
        if (!table)
            return nullptr;
        // State tables are rowid tables: insertion order is available for ordering.
        if (name.compare(u"rowid"_s, Qt::CaseInsensitive) == 0)
            return nullptr;
        const ColumnDef *c = table->findColumn(name);
        if (!c && out.error.isEmpty())
            out.error = u"unknown column \"%1\" in table \"%2\""_s.arg(name, d->table);
        return c;
    };

    QString sqlText;
    auto appendWhere = [&] {
        if (d->conditions.isEmpty())
            return;
        sqlText += u" WHERE "_s;
        bool firstCondition = true;
        for (const auto &c : d->conditions) {
            if (!firstCondition)
                sqlText += u" AND "_s;
            firstCondition = false;
            const ColumnDef *def = column(c.column);
            const QString quoted = sql::quoteIdentifier(c.column);
            if (c.isNullCheck) {
                sqlText += quoted + (c.op == Eq ? u" IS NULL"_s : u" IS NOT NULL"_s);
                continue;
            }
            if (c.op == In || c.op == NotIn) {
                const QVariantList list = c.value.toList();
                if (list.isEmpty()) {
                    // Nothing is IN an empty set; everything is NOT IN it.
                    sqlText += c.op == In ? u"0 = 1"_s : u"1 = 1"_s;
                    continue;
                }
                sqlText += quoted + QLatin1StringView(opSql(c.op)) + u'(';
                for (qsizetype i = 0; i < list.size(); ++i) {
                    sqlText += i ? u", ?"_s : u"?"_s;
                    out.binds.append(encodeFor(def, list.at(i)));
                }
                sqlText += u')';
                continue;
            }
            sqlText += quoted + QLatin1StringView(opSql(c.op)) + u'?';
            out.binds.append(encodeFor(def, c.value));
        }
    };
    auto appendReturning = [&] {
        if (d->returning.isEmpty())
            return;
        QStringList cols;
        for (const QString &c : d->returning) {
            column(c);
            cols.append(sql::quoteIdentifier(c));
        }
        sqlText += u" RETURNING "_s + cols.join(u", "_s);
    };

    const QString quotedTable = sql::quoteIdentifier(d->table);
    switch (d->kind) {
    case Select:
    case Count: {
        if (d->kind == Count) {
            sqlText = u"SELECT COUNT(*) AS \"count\" FROM "_s + quotedTable;
        } else if (d->columns.isEmpty()) {
            sqlText = u"SELECT * FROM "_s + quotedTable;
        } else {
            QStringList cols;
            for (const QString &c : d->columns) {
                column(c);
                cols.append(sql::quoteIdentifier(c));
            }
            sqlText = u"SELECT "_s + cols.join(u", "_s) + u" FROM "_s + quotedTable;
        }
        appendWhere();
        if (d->kind == Select) {
            if (!d->orderBy.isEmpty()) {
                QStringList parts;
                for (const auto &[name, order] : d->orderBy) {
                    column(name);
                    parts.append(sql::quoteIdentifier(name) + (order == Asc ? u" ASC"_s : u" DESC"_s));
                }
                sqlText += u" ORDER BY "_s + parts.join(u", "_s);
            }
            const qint64 limit = d->first ? 1 : d->limit;
            if (limit >= 0 || d->offset >= 0) {
                sqlText += u" LIMIT ?"_s;
                out.binds.append(limit >= 0 ? limit : qint64(-1));
                if (d->offset >= 0) {
                    sqlText += u" OFFSET ?"_s;
                    out.binds.append(d->offset);
                }
            }
        }
        break;
    }
    case Insert: {
        if (d->values.isEmpty()) {
            if (d->conflictAction != NoConflictClause) {
                out.error = u"insert into \"%1\" has no values, so it cannot have an ON CONFLICT clause"_s.arg(d->table);
                return out;
            }
            sqlText = u"INSERT INTO "_s + quotedTable + u" DEFAULT VALUES"_s;
        } else {
            QStringList cols, marks;
            for (auto it = d->values.cbegin(); it != d->values.cend(); ++it) {
                const ColumnDef *def = column(it.key());
                cols.append(sql::quoteIdentifier(it.key()));
                marks.append(u"?"_s);
                out.binds.append(encodeWrite(def, it.value(), d->table, &out.error));
            }
            const char *verb = d->conflictAction == Replace ? "INSERT OR REPLACE INTO " : "INSERT INTO ";
            sqlText = QLatin1StringView(verb) + quotedTable + u" ("_s + cols.join(u", "_s)
                    + u") VALUES ("_s + marks.join(u", "_s) + u')';
        }
        if (d->conflictAction == Ignore || d->conflictAction == DoUpdate) {
            QStringList target;
            for (const QString &c : d->conflictTarget) {
                column(c);
                target.append(sql::quoteIdentifier(c));
            }
            sqlText += u" ON CONFLICT"_s;
            if (!target.isEmpty())
                sqlText += u" ("_s + target.join(u", "_s) + u')';
            if (d->conflictAction == Ignore) {
                sqlText += u" DO NOTHING"_s;
            } else {
                // Without explicit updates, every inserted column takes the new value.
                QStringList sets;
                if (d->conflictUpdates.isEmpty()) {
                    for (auto it = d->values.cbegin(); it != d->values.cend(); ++it) {
                        const QString q = sql::quoteIdentifier(it.key());
                        sets.append(q + u" = excluded."_s + q);
                    }
                } else {
                    for (auto it = d->conflictUpdates.cbegin(); it != d->conflictUpdates.cend(); ++it) {
                        const ColumnDef *def = column(it.key());
                        sets.append(sql::quoteIdentifier(it.key()) + u" = ?"_s);
                        out.binds.append(encodeWrite(def, it.value(), d->table, &out.error));
                    }
                }
                if (sets.isEmpty())
                    sqlText += u" DO NOTHING"_s;
                else
                    sqlText += u" DO UPDATE SET "_s + sets.join(u", "_s);
            }
        }
        appendReturning();
        break;
    }
    case Update: {
        if (d->values.isEmpty()) {
            out.error = u"update of \"%1\" sets no column"_s.arg(d->table);
            return out;
        }
        QStringList sets;
        for (auto it = d->values.cbegin(); it != d->values.cend(); ++it) {
            const ColumnDef *def = column(it.key());
            sets.append(sql::quoteIdentifier(it.key()) + u" = ?"_s);
            out.binds.append(encodeWrite(def, it.value(), d->table, &out.error));
        }
        sqlText = u"UPDATE "_s + quotedTable + u" SET "_s + sets.join(u", "_s);
        appendWhere();
        appendReturning();
        break;
    }
    case Delete:
        sqlText = u"DELETE FROM "_s + quotedTable;
        appendWhere();
        appendReturning();
        break;
    case RawSql:
        break;
    }
    out.sql = sqlText;
    return out;
}

QString Query::key() const
{
    // Every part carries its length and type, so no value can imitate a separator, and blobs are
    // hex (their bytes are not text).
    auto part = [](const QVariant &v) -> QString {
        const QString text = v.typeId() == QMetaType::QByteArray ? QString::fromLatin1(v.toByteArray().toHex())
                                                                 : v.toString();
        return QString::number(v.typeId()) + u':' + QString::number(text.size()) + u':' + text;
    };
    const Compiled c = compile();
    QString k = QString::number(c.sql.size()) + u':' + c.sql;
    for (const QVariant &v : c.binds)
        k += u'|' + part(v);
    for (auto it = c.namedBinds.cbegin(); it != c.namedBinds.cend(); ++it)
        k += u'|' + QString::number(it.key().size()) + u':' + it.key() + u'=' + part(it.value());
    return k;
}

} // namespace LiveStore
