// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QUERY_H
#define LIVESTORE_QUERY_H

#include "livestore_export.h"

#include <QtCore/qlist.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>

namespace LiveStore {

class Schema;
enum class ColumnType;

// A read or a write, either built (table + where + order ...) or raw SQL with bind values.
// Queries are immutable values; every builder call returns a new query.
//
//     Query::from(u"todos"_s).where(u"completed"_s, false).orderBy(u"id"_s, Query::Desc).limit(100)
//     Query::sql(u"SELECT * FROM todos WHERE text > ?"_s, {u"m"_s})
//     Query::insert(u"todos"_s, {{u"id"_s, id}, {u"text"_s, text}})
class LIVESTORE_EXPORT Query
{
public:
    enum Kind { RawSql, Select, Count, Insert, Update, Delete };
    enum Op { Eq, Ne, Lt, Gt, Le, Ge, Like, NotLike, In, NotIn };
    enum Order { Asc, Desc };
    enum ConflictAction { NoConflictClause, Ignore, Replace, DoUpdate };

    // The SQL form a query compiles to, with its bind values already encoded for SQLite.
    struct Compiled
    {
        QString sql;
        QVariantList binds;      // positional
        QVariantMap namedBinds;  // for raw SQL with $name / :name / @name parameters
        QString table;           // the builder's table (empty for raw SQL)
        QString error;           // non-empty when the query does not fit the schema
    };

    Query();
    Query(const Query &);
    Query &operator=(const Query &);
    ~Query();

    static Query sql(const QString &sql, const QVariantList &binds = {});
    static Query sql(const QString &sql, const QVariantMap &namedBinds);
    static Query from(const QString &table);
    static Query insert(const QString &table, const QVariantMap &values);
    static Query update(const QString &table, const QVariantMap &values);
    static Query remove(const QString &table);

    Query select(const QStringList &columns) const;
    Query where(const QString &column, const QVariant &value) const; // = (IS NULL for null)
    Query where(const QString &column, Op op, const QVariant &value) const;
    Query whereNull(const QString &column, bool isNull = true) const;
    Query orderBy(const QString &column, Order order = Asc) const;
    Query limit(qint64 count) const;
    Query offset(qint64 count) const;
    Query count() const;
    Query first() const;
    // For inserts: ON CONFLICT(target) DO NOTHING / REPLACE / DO UPDATE SET updates.
    Query onConflict(const QStringList &target, ConflictAction action,
                     const QVariantMap &updates = {}) const;
    Query returning(const QStringList &columns) const;

    Kind kind() const;
    bool isWrite() const;
    bool isNull() const;
    QString tableName() const;

    // Compiles to SQL. With a schema, tables and columns are checked and values are encoded for the
    // column they are compared with or written to.
    Compiled compile(const Schema *schema = nullptr) const;

    // A stable text identifying the query (SQL + binds): equal queries have equal keys.
    QString key() const;

    friend bool operator==(const Query &a, const Query &b) { return a.key() == b.key(); }

    // Encodes a Qt value the way it is stored in SQLite: bool as 0/1, date-time as ISO-8601 text,
    // maps and lists as JSON text.
    static QVariant encodeValue(const QVariant &value);
    // As stored in a column of `type`: a QDateTime (or ISO-8601 text) becomes epoch milliseconds
    // for a datetimeInteger column, anything but text becomes JSON text for a json column.
    static QVariant encodeValue(const QVariant &value, ColumnType type);

private:
    struct Data;
    QExplicitlySharedDataPointer<Data> d;
    Query(Data *data);
    Query modified() const;
};

} // namespace LiveStore

#endif // LIVESTORE_QUERY_H
