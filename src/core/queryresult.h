// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QUERYRESULT_H
#define LIVESTORE_QUERYRESULT_H

#include "livestore_export.h"

#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>

#include <utility>

namespace LiveStore {

namespace detail {
class IncrementalPlan;
}

// The rows a query returned, typed by the schema: boolean columns come back as bool, JSON columns
// as QVariantMap/QVariantList, date-time columns as QDateTime, NULL as a null QVariant.
// Copies are cheap (the lists are implicitly shared).
class LIVESTORE_EXPORT QueryResult
{
public:
    QueryResult() = default;
    static QueryResult failure(const QString &error);

    bool isValid() const { return m_error.isEmpty(); }
    QString errorString() const { return m_error; }

    // On a temporary the lists are moved out rather than referred to, so that
    // `for (const QVariantList &row : store.query(sql).rows())` never reads a destroyed result
    // (a range-for keeps the temporary only if its expression is the temporary itself).
    const QStringList &columns() const & { return m_columns; }
    QStringList columns() && { return std::move(m_columns); }
    const QList<QVariantList> &rows() const & { return m_rows; }
    QList<QVariantList> rows() && { return std::move(m_rows); }
    qsizetype rowCount() const { return m_rows.size(); }
    qsizetype columnCount() const { return m_columns.size(); }
    bool isEmpty() const { return m_rows.isEmpty(); }

    int columnIndex(QStringView column) const;
    QVariant value(qsizetype row, qsizetype column) const;
    QVariant value(qsizetype row, QStringView column) const;
    // The first column of the first row (for count() and other single-value queries).
    QVariant scalar() const;
    QVariantMap rowMap(qsizetype row) const;
    QVariantList toMaps() const;

    // Rows changed by a write, when the query was one.
    qint64 rowsAffected() const { return m_rowsAffected; }

    friend bool operator==(const QueryResult &a, const QueryResult &b)
    {
        return a.m_error == b.m_error && a.m_columns == b.m_columns && a.m_rows == b.m_rows;
    }
    friend bool operator!=(const QueryResult &a, const QueryResult &b) { return !(a == b); }

private:
    friend class Database;
    friend class detail::IncrementalPlan; // updates a live query's rows in place
    QStringList m_columns;
    QList<QVariantList> m_rows;
    QString m_error;
    qint64 m_rowsAffected = 0;
};

} // namespace LiveStore

Q_DECLARE_METATYPE(LiveStore::QueryResult)

#endif // LIVESTORE_QUERYRESULT_H
