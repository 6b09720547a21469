// SPDX-License-Identifier: BSD-3-Clause
// Internal: recognizes the SELECT statements a live query can keep up to date row by row, without
// re-running them: one table, plain columns or count(*), an optional WHERE, ORDER BY plain columns
// and LIMIT. Anything else (joins, subqueries, expressions in the result or the order, GROUP BY,
// OFFSET, DISTINCT...) is not a shape, and such queries are simply re-run after a commit.
#ifndef LIVESTORE_SELECTSHAPE_P_H
#define LIVESTORE_SELECTSHAPE_P_H

#include "livestore_export.h"

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <optional>

namespace LiveStore::detail {

struct LIVESTORE_EXPORT SelectShape
{
    enum Kind { Rows, Count };
    struct OrderTerm
    {
        QString column;
        bool descending = false;
    };
    // Where the LIMIT's value comes from: a literal, a positional bind (index into the bind
    // list) or a named bind.
    struct LimitSource
    {
        qint64 literal = -1;
        int bindIndex = -1;
        QString bindName;
    };

    Kind kind = Rows;
    QString table;
    bool allColumns = false; // SELECT *
    QStringList columns;     // else the plain columns, in order (Rows only)
    // The WHERE expression's text, with every positional `?` written as `?N` (N: its place among
    // the statement's positional parameters, from 1), so that it can be spliced into other
    // statements and bound with the same bind list. Empty without WHERE.
    QString where;
    // The identifiers in the WHERE, folded (sql::foldedName()): a change to no other column cannot change whether a
    // row matches.
    QStringList whereIdentifiers;
    QList<OrderTerm> orderBy;
    std::optional<LimitSource> limit;
    // The statement up to and including the table name ("SELECT ... FROM t"), to splice WHERE
    // clauses onto; and everything before LIMIT, to append order terms to.
    QString selectFrom;
    QString beforeLimit;
    QString limitClause; // " LIMIT ..." as written, or empty

    static std::optional<SelectShape> parse(const QString &sql);
};

} // namespace LiveStore::detail

#endif // LIVESTORE_SELECTSHAPE_P_H
