// SPDX-License-Identifier: BSD-3-Clause
#include "incrementalplan_p.h"

#include "database_p.h"
#include "schema.h"
#include "sqlutil_p.h"

#include <QtCore/qdatetime.h>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace LiveStore::detail {

namespace {

int storageRank(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        return 0;
    case QMetaType::QString:
        return 2;
    case QMetaType::QByteArray:
        return 3;
    default:
        return 1;
    }
}

// UTF-16 code units in code point order: surrogates (code points above U+FFFF) after U+E000-FFFF.
char16_t codePointOrder(char16_t c)
{
    if (c < 0xD800)
        return c;
    return c >= 0xE000 ? char16_t(c - 0x800) : char16_t(c + 0x2000);
}

int compareText(const QString &a, const QString &b)
{
    const qsizetype n = std::min(a.size(), b.size());
    const char16_t *pa = reinterpret_cast<const char16_t *>(a.constData());
    const char16_t *pb = reinterpret_cast<const char16_t *>(b.constData());
    for (qsizetype i = 0; i < n; ++i) {
        if (pa[i] != pb[i])
            return codePointOrder(pa[i]) < codePointOrder(pb[i]) ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// A result value (typed by the schema) as SQLite stores it, for the column types a key may have.
QVariant storedForm(const QVariant &value, ColumnType type)
{
    if (type == ColumnType::Boolean && value.typeId() == QMetaType::Bool)
        return qlonglong(value.toBool() ? 1 : 0);
    if (type == ColumnType::DateTimeInteger && value.typeId() == QMetaType::QDateTime)
        return qlonglong(value.toDateTime().toMSecsSinceEpoch());
    return value;
}

bool sameValue(const QVariant &a, const QVariant &b)
{
    return a.typeId() == b.typeId() && a == b;
}

QString keyParameter(int i) { return u"__ls_k"_s + QString::number(i); }

} // namespace

int compareStorageValues(const QVariant &a, const QVariant &b)
{
    const int ra = storageRank(a);
    const int rb = storageRank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (ra) {
    case 0:
        return 0;
    case 1: {
        const bool aInt = a.typeId() != QMetaType::Double && a.typeId() != QMetaType::Float;
        const bool bInt = b.typeId() != QMetaType::Double && b.typeId() != QMetaType::Float;
        if (aInt && bInt) {
            const qlonglong x = a.toLongLong(), y = b.toLongLong();
            return x == y ? 0 : (x < y ? -1 : 1);
        }
        const double x = a.toDouble(), y = b.toDouble();
        return x == y ? 0 : (x < y ? -1 : 1);
    }
    case 2:
        return compareText(*static_cast<const QString *>(a.constData()),
                           *static_cast<const QString *>(b.constData()));
    default: {
        const QByteArray &x = *static_cast<const QByteArray *>(a.constData());
        const QByteArray &y = *static_cast<const QByteArray *>(b.constData());
        const int c = std::memcmp(x.constData(), y.constData(), size_t(std::min(x.size(), y.size())));
        if (c != 0)
            return c < 0 ? -1 : 1;
        return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
    }
    }
}

std::unique_ptr<IncrementalPlan> IncrementalPlan::make(Database &db, const Schema &schema, const Query &query,
                                                       int window)
{
    if (query.kind() != Query::RawSql && query.kind() != Query::Select && query.kind() != Query::Count)
        return nullptr;
    const Query::Compiled compiled = query.compile(&schema);
    if (!compiled.error.isEmpty() || (!compiled.binds.isEmpty() && !compiled.namedBinds.isEmpty()))
        return nullptr;
    auto shape = SelectShape::parse(compiled.sql);
    if (!shape)
        return nullptr;

    std::unique_ptr<IncrementalPlan> plan(new IncrementalPlan);
    plan->m_db = &db;
    plan->m_binds = compiled.binds;
    plan->m_namedBinds = compiled.namedBinds;
    plan->m_table = sql::foldedName(shape->table);
    sqlite3 *handle = db.handle();

    // The table's columns, primary key and strictness, from SQLite itself (a view or a table
    // outside the schema is judged the same way).
    struct TableColumn
    {
        QString name;
        QString type;
        bool notNull = false;
        int primaryKeyPosition = 0;
    };
    QList<TableColumn> columns;
    bool strict = false;
    {
        sqlite3_stmt *info = nullptr;
        if (sqlite3_prepare_v2(handle, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1, 'main')",
                               -1, &info, nullptr) != SQLITE_OK) {
            sqlite3_finalize(info);
            return nullptr;
        }
        const QByteArray table = shape->table.toUtf8();
        sqlite3_bind_text(info, 1, table.constData(), int(table.size()), SQLITE_TRANSIENT);
        while (sqlite3_step(info) == SQLITE_ROW) {
            TableColumn c;
            c.name = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(info, 0)));
            c.type = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(info, 1))).toUpper();
            c.notNull = sqlite3_column_int(info, 2) != 0;
            c.primaryKeyPosition = sqlite3_column_int(info, 3);
            columns.append(c);
        }
        sqlite3_finalize(info);
        sqlite3_stmt *list = nullptr;
        if (sqlite3_prepare_v2(handle, "SELECT type, strict FROM pragma_table_list(?1) WHERE schema = 'main'", -1,
                               &list, nullptr) == SQLITE_OK) {
            sqlite3_bind_text(list, 1, table.constData(), int(table.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(list) == SQLITE_ROW) {
                if (qstrcmp(reinterpret_cast<const char *>(sqlite3_column_text(list, 0)), "table") != 0)
                    columns.clear(); // a view: changes to it are not recorded
                strict = sqlite3_column_int(list, 1) != 0;
            } else {
                columns.clear();
            }
        }
        sqlite3_finalize(list);
    }
    if (columns.isEmpty())
        return nullptr;
    auto tableIndex = [&](const QString &name) -> int {
        for (qsizetype i = 0; i < columns.size(); ++i) {
            if (sql::sameName(columns.at(i).name, name))
                return int(i);
        }
        return -1;
    };
    for (qsizetype i = 0; i < columns.size(); ++i) {
        plan->m_tableColumns.append(columns.at(i).name);
        if (columns.at(i).primaryKeyPosition > 0)
            plan->m_primaryKeyColumns.append(int(i));
    }
    if (plan->m_primaryKeyColumns.isEmpty())
        return nullptr; // captures ignore tables without a declared primary key
    // A capture does not record rows whose key holds a NULL: the key's columns must not be
    // nullable, unless the key is a lone INTEGER PRIMARY KEY (the rowid, never NULL).
    const bool rowidKey = plan->m_primaryKeyColumns.size() == 1
            && columns.at(plan->m_primaryKeyColumns.constFirst()).type == u"INTEGER"_s;
    for (int pk : std::as_const(plan->m_primaryKeyColumns)) {
        if (!columns.at(pk).notNull && !rowidKey)
            return nullptr;
    }

    QStringList pkConditions;
    for (int i = 0; i < plan->m_primaryKeyColumns.size(); ++i) {
        pkConditions.append(sql::quoteIdentifier(columns.at(plan->m_primaryKeyColumns.at(i)).name)
                            + u" = :"_s + keyParameter(i));
    }
    const QString pkCondition = pkConditions.join(u" AND "_s);
    plan->m_matchingSql = shape->selectFrom
            + (shape->where.isEmpty() ? u" WHERE "_s : u" WHERE ("_s + shape->where + u") AND "_s)
            + pkCondition;
    plan->m_storedSql = u"SELECT * FROM "_s + sql::quoteIdentifier(shape->table) + u" WHERE "_s + pkCondition;

    // The schema's types of the columns, under the names SQLite takes for them.
    const QList<TableDef> tableDefs = schema.tables();
    const auto tableDef = std::find_if(tableDefs.cbegin(), tableDefs.cend(),
                                       [&](const TableDef &t) { return sql::sameName(t.name, shape->table); });
    auto columnType = [&](const QString &name) {
        if (tableDef == tableDefs.cend())
            return ColumnType::Text;
        const auto c = std::find_if(tableDef->columns.cbegin(), tableDef->columns.cend(),
                                    [&](const ColumnDef &c) { return sql::sameName(c.name, name); });
        return c != tableDef->columns.cend() ? c->type : ColumnType::Text;
    };

    QString executedSql = compiled.sql;
    if (shape->kind == SelectShape::Rows) {
        // The result's columns, to find the key columns in each row.
        Database::Statement *statement = db.prepare(compiled.sql);
        if (!statement || !statement->isReadOnly)
            return nullptr;
        const QStringList resultColumns = statement->columnNames;
        auto resultIndex = [&](const QString &name) -> int {
            if (!shape->allColumns
                && std::none_of(shape->columns.cbegin(), shape->columns.cend(),
                                [&name](const QString &c) { return sql::sameName(c, name); }))
                return -1;
            for (qsizetype i = 0; i < resultColumns.size(); ++i) {
                if (sql::sameName(resultColumns.at(i), name))
                    return int(i);
            }
            return -1;
        };
        if (shape->orderBy.isEmpty())
            return nullptr; // no defined order to keep: re-run (see docs/performance.md)
        auto addKey = [&](const QString &name, bool descending) {
            KeyColumn key;
            key.tableIndex = tableIndex(name);
            key.resultIndex = resultIndex(name);
            key.descending = descending;
            key.type = columnType(name);
            if (key.tableIndex < 0 || key.resultIndex < 0)
                return false;
            // Keys are compared as stored: types whose decoded value does not give back the
            // stored one (JSON, ISO date-time text) are not keys.
            if (key.type == ColumnType::Json || key.type == ColumnType::DateTime)
                return false;
            const char *collation = nullptr;
            if (sqlite3_table_column_metadata(handle, "main", shape->table.toUtf8().constData(),
                                              columns.at(key.tableIndex).name.toUtf8().constData(),
                                              nullptr, &collation, nullptr, nullptr, nullptr) != SQLITE_OK
                || !collation || qstricmp(collation, "BINARY") != 0)
                return false;
            plan->m_keys.append(key);
            return true;
        };
        for (const SelectShape::OrderTerm &term : std::as_const(shape->orderBy)) {
            if (!addKey(term.column, term.descending))
                return nullptr;
        }
        QStringList tieBreaks;
        for (int pk : std::as_const(plan->m_primaryKeyColumns)) {
            const bool ordered = std::any_of(plan->m_keys.cbegin(), plan->m_keys.cend(),
                                             [pk](const KeyColumn &k) { return k.tableIndex == pk; });
            if (ordered)
                continue;
            if (!addKey(columns.at(pk).name, false))
                return nullptr;
            tieBreaks.append(sql::quoteIdentifier(columns.at(pk).name));
        }
        plan->m_orderedSql = shape->beforeLimit;
        if (!tieBreaks.isEmpty()) {
            plan->m_orderedSql += u", "_s + tieBreaks.join(u", "_s);
            executedSql = plan->m_orderedSql + shape->limitClause;
        }
        plan->m_windowed = window > 0 && !shape->limit;
        if (shape->limit) {
            const SelectShape::LimitSource &source = *shape->limit;
            QVariant limit = source.literal;
            if (source.bindIndex >= 0)
                limit = plan->m_binds.value(source.bindIndex);
            else if (!source.bindName.isEmpty())
                limit = plan->m_namedBinds.value(source.bindName);
            bool ok = false;
            plan->m_limit = limit.toLongLong(&ok);
            if (!ok)
                return nullptr;
            if (plan->m_limit < 0)
                plan->m_limit = -1; // SQLite: a negative limit is none
        }
    } else if (!shape->where.isEmpty()) {
        // Counting needs to know whether a row's old values matched: they are probed as a row of
        // a one-row subquery, which compares like the table only when every column's type is
        // exact (a STRICT table).
        if (!strict)
            return nullptr;
        QStringList values;
        for (qsizetype i = 0; i < columns.size(); ++i) {
            const QString &type = columns.at(i).type;
            // Numbered after the query's own positional binds: a named parameter here would
            // take the number a `?N` of the WHERE (written after it) refers to.
            const QString parameter = u'?' + QString::number(plan->m_binds.size() + 1 + i);
            const QString value = (type == u"INTEGER"_s || type == u"REAL"_s || type == u"TEXT"_s)
                    ? u"CAST("_s + parameter + u" AS "_s + type + u')'
                    : parameter;
            values.append(value + u" AS "_s + sql::quoteIdentifier(columns.at(i).name));
        }
        plan->m_probeSql = u"SELECT count(*) FROM (SELECT "_s + values.join(u", "_s) + u") AS "_s
                + sql::quoteIdentifier(shape->table) + u" WHERE ("_s + shape->where + u')';
    }
    plan->m_executed = plan->m_namedBinds.isEmpty() ? Query::sql(executedSql, plan->m_binds)
                                                    : Query::sql(executedSql, plan->m_namedBinds);
    plan->m_shape = std::move(*shape);
    if (plan->m_windowed)
        plan->setWindow(window);
    return plan;
}

void IncrementalPlan::setWindow(qint64 rows)
{
    m_limit = rows;
    const QString sql = m_orderedSql + u" LIMIT "_s + QString::number(rows);
    m_executed = m_namedBinds.isEmpty() ? Query::sql(sql, m_binds) : Query::sql(sql, m_namedBinds);
}

bool IncrementalPlan::readAfter(const QList<QVariantList> &rows, int count, QList<QVariantList> *next)
{
    // The rows after the last one held: for each key column, the rows equal on the columns
    // before it and after it on this one (NULL first in ascending order, last in descending).
    QString after;
    QVariantList values;
    if (!rows.isEmpty()) {
        const QVariantList last = keyOf(rows.constLast());
        QStringList alternatives;
        QStringList equalSoFar;
        for (qsizetype i = 0; i < m_keys.size(); ++i) {
            const KeyColumn &k = m_keys.at(i);
            const QString column = sql::quoteIdentifier(m_tableColumns.at(k.tableIndex));
            const QVariant &value = last.at(i);
            const QString parameter = u'?' + QString::number(m_binds.size() + values.size() + 1);
            QString beyond;
            if (!value.isValid() || value.isNull()) {
                beyond = k.descending ? QString() : column + u" IS NOT NULL"_s;
            } else {
                values.append(value);
                beyond = k.descending ? QString(u"("_s + column + u" < "_s + parameter + u" OR "_s + column + u" IS NULL)"_s)
                                      : QString(column + u" > "_s + parameter);
            }
            if (!beyond.isEmpty())
                alternatives.append(u'(' + (equalSoFar + QStringList{beyond}).join(u" AND "_s) + u')');
            if (!value.isValid() || value.isNull()) {
                equalSoFar.append(column + u" IS NULL"_s);
            } else {
                const QString same = u'?' + QString::number(m_binds.size() + values.size() + 1);
                values.append(value);
                equalSoFar.append(column + u" = "_s + same);
            }
        }
        after = alternatives.isEmpty() ? u"0"_s : alternatives.join(u" OR "_s);
    }
    QStringList order;
    for (const KeyColumn &k : std::as_const(m_keys))
        order.append(sql::quoteIdentifier(m_tableColumns.at(k.tableIndex)) + (k.descending ? u" DESC"_s : u""_s));
    QStringList conditions;
    if (!m_shape.where.isEmpty())
        conditions.append(u'(' + m_shape.where + u')');
    if (!after.isEmpty())
        conditions.append(u'(' + after + u')');
    const QString sql = m_shape.selectFrom + (conditions.isEmpty() ? QString() : u" WHERE "_s + conditions.join(u" AND "_s))
            + u" ORDER BY "_s + order.join(u", "_s) + u" LIMIT "_s + QString::number(count);
    Database::Statement *s = m_db->prepare(sql);
    if (!s)
        return false;
    // Without a WHERE and a last row, nothing of the query's own binds is used (its LIMIT's is not).
    const bool bound = sqlite3_bind_parameter_count(s->stmt) > 0;
    const QueryResult read = m_db->run(s, bound ? m_binds + values : QVariantList(), bound ? m_namedBinds : QVariantMap());
    if (!read.isValid())
        return false;
    *next = read.rows();
    return true;
}

IncrementalPlan::Outcome IncrementalPlan::appendAfter(QList<QVariantList> &rows, int count,
                                                      QList<RowDelta> *delta)
{
    QList<QVariantList> next;
    if (!readAfter(rows, count, &next))
        return Rerun;
    for (const QVariantList &row : std::as_const(next)) {
        rows.append(row);
        delta->append({RowDelta::Insert, -1, int(rows.size()) - 1, row, {}});
    }
    m_mayHaveMore = next.size() == count;
    return Changed;
}

IncrementalPlan::Outcome IncrementalPlan::fetchMore(int rows, QueryResult &result, QList<RowDelta> *delta)
{
    delta->clear();
    if (!canFetchMore() || rows <= 0 || !result.isValid())
        return Unchanged;
    if (appendAfter(result.m_rows, rows, delta) == Rerun)
        return Rerun;
    setWindow(m_limit + rows);
    return delta->isEmpty() ? Unchanged : Changed;
}

bool IncrementalPlan::readsOnly(const QStringList &tables) const
{
    return tables.size() == 1 && sql::foldedName(tables.constFirst()) == m_table;
}

void IncrementalPlan::reset(const QueryResult &result)
{
    m_mayHaveMore = m_limit >= 0 && result.rowCount() >= m_limit;
}

QVariantMap IncrementalPlan::keyBinds(const QVariantList &primaryKey) const
{
    QVariantMap binds = m_namedBinds;
    for (int i = 0; i < primaryKey.size(); ++i)
        binds.insert(keyParameter(i), primaryKey.at(i));
    return binds;
}

int IncrementalPlan::fetchMatching(const QVariantList &primaryKey, QVariantList *row)
{
    Database::Statement *s = m_db->prepare(m_matchingSql);
    if (!s)
        return -1;
    const QueryResult r = m_db->run(s, m_binds, keyBinds(primaryKey));
    if (!r.isValid())
        return -1;
    if (r.isEmpty())
        return 0;
    *row = r.rows().constFirst();
    return 1;
}

bool IncrementalPlan::fetchStored(const QVariantList &primaryKey, QVariantList *values)
{
    Database::Statement *s = m_db->prepare(m_storedSql);
    if (!s || !m_db->bind(s, {}, keyBinds(primaryKey)))
        return false;
    const bool found = sqlite3_step(s->stmt) == SQLITE_ROW;
    if (found) {
        values->clear();
        for (int c = 0; c < sqlite3_column_count(s->stmt); ++c)
            values->append(storageValue(sqlite3_column_value(s->stmt, c)));
    }
    sqlite3_reset(s->stmt);
    return found;
}

int IncrementalPlan::probe(const QVariantList &values)
{
    Database::Statement *s = m_db->prepare(m_probeSql);
    if (!s)
        return -1;
    const QueryResult r = m_db->run(s, m_binds + values, m_namedBinds);
    if (!r.isValid() || r.isEmpty())
        return -1;
    return r.scalar().toLongLong() > 0 ? 1 : 0;
}

bool IncrementalPlan::whereReads(const RowChange &change) const
{
    for (qsizetype c = 0; c < change.changed.size(); ++c) {
        if (change.changed.at(c) && m_shape.whereIdentifiers.contains(sql::foldedName(m_tableColumns.value(c))))
            return true;
    }
    return false;
}

QVariantList IncrementalPlan::keyOf(const QVariantList &row) const
{
    QVariantList key;
    key.reserve(m_keys.size());
    for (const KeyColumn &k : m_keys)
        key.append(storedForm(row.value(k.resultIndex), k.type));
    return key;
}

int IncrementalPlan::compareKeys(const QVariantList &a, const QVariantList &b) const
{
    for (qsizetype i = 0; i < m_keys.size(); ++i) {
        const int c = compareStorageValues(a.at(i), b.at(i));
        if (c != 0)
            return m_keys.at(i).descending ? -c : c;
    }
    return 0;
}

qsizetype IncrementalPlan::lowerBound(const QList<QVariantList> &rows, const QVariantList &key) const
{
    qsizetype low = 0, high = rows.size();
    while (low < high) {
        const qsizetype mid = low + (high - low) / 2;
        if (compareKeys(keyOf(rows.at(mid)), key) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

IncrementalPlan::Outcome IncrementalPlan::apply(const RowChanges &changes, QueryResult &result,
                                                QList<RowDelta> *delta)
{
    delta->clear();
    if (!changes.covers(m_table) || !result.isValid())
        return Rerun;
    const auto it = changes.byTable.constFind(m_table);
    if (it == changes.byTable.cend())
        return Unchanged;
    // Each changed row costs a read and may move a row of a big list in memory; past this many a
    // re-run is cheaper (a bulk update, a clear).
    if (it->size() > MaxFollowedRows)
        return Rerun;
    return m_shape.kind == SelectShape::Count ? applyCount(*it, result.m_rows, delta)
                                              : applyRows(*it, result.m_rows, delta);
}

IncrementalPlan::Outcome IncrementalPlan::applyRows(const QList<RowChange> &changes,
                                                    QList<QVariantList> &rows, QList<RowDelta> *delta)
{
    for (const RowChange &change : changes) {
        QVariantList fresh;
        int matches = 0;
        if (change.op != RowChange::Delete) {
            matches = fetchMatching(change.primaryKey, &fresh);
            if (matches < 0)
                return Rerun;
        }

        // Where the row was: its old sort key, from the changeset where a key column changed or
        // the row went, else as it is now.
        int oldPosition = -1;
        if (change.op != RowChange::Insert) {
            QVariantList oldKey;
            QVariantList stored;
            bool haveStored = false;
            for (const KeyColumn &k : std::as_const(m_keys)) {
                if (change.hasOldValue.value(k.tableIndex)) {
                    oldKey.append(change.oldValues.at(k.tableIndex));
                } else if (matches) {
                    oldKey.append(storedForm(fresh.at(k.resultIndex), k.type));
                } else {
                    if (!haveStored && !(haveStored = fetchStored(change.primaryKey, &stored)))
                        return Rerun;
                    oldKey.append(stored.value(k.tableIndex));
                }
            }
            const qsizetype at = lowerBound(rows, oldKey);
            if (at < rows.size() && compareKeys(keyOf(rows.at(at)), oldKey) == 0)
                oldPosition = int(at);
        }

        if (!matches) {
            if (oldPosition >= 0) {
                rows.remove(oldPosition);
                delta->append({RowDelta::Remove, oldPosition, -1, {}, {}});
            }
            continue;
        }

        const QVariantList newKey = keyOf(fresh);
        QList<int> changedColumns;
        if (oldPosition >= 0) {
            const QVariantList &old = rows.at(oldPosition);
            for (int c = 0; c < fresh.size(); ++c) {
                if (c >= old.size() || !sameValue(old.at(c), fresh.at(c)))
                    changedColumns.append(c);
            }
            if (compareKeys(keyOf(old), newKey) == 0) {
                if (!changedColumns.isEmpty()) {
                    rows[oldPosition] = fresh;
                    delta->append({RowDelta::Change, oldPosition, oldPosition, fresh, changedColumns});
                }
                continue;
            }
            rows.remove(oldPosition);
        }
        const qsizetype to = lowerBound(rows, newKey);
        if (m_limit >= 0 && m_mayHaveMore && to >= rows.size()) {
            // Past the last row held, with rows beyond it that are not held: where it belongs
            // among those is not known here. It stays out; if the window has room, the refill
            // below reads the rows after the last held one, and it among them if it is there.
            if (oldPosition >= 0)
                delta->append({RowDelta::Remove, oldPosition, -1, {}, {}});
            continue;
        }
        rows.insert(to, fresh);
        if (oldPosition >= 0)
            delta->append({RowDelta::Move, oldPosition, int(to), fresh, changedColumns});
        else
            delta->append({RowDelta::Insert, -1, int(to), fresh, {}});
        if (m_limit >= 0 && rows.size() > m_limit) {
            rows.removeLast();
            delta->append({RowDelta::Remove, int(rows.size()), -1, {}, {}});
            m_mayHaveMore = true;
        }
    }
    if (m_limit >= 0 && m_mayHaveMore && rows.size() < m_limit) {
        // The window lost rows: the next ones move up into it.
        if (appendAfter(rows, int(m_limit - rows.size()), delta) == Rerun)
            return Rerun;
    }
    return delta->isEmpty() ? Unchanged : Changed;
}

IncrementalPlan::Outcome IncrementalPlan::applyCount(const QList<RowChange> &changes,
                                                     QList<QVariantList> &rows, QList<RowDelta> *delta)
{
    if (rows.size() != 1 || rows.constFirst().size() != 1)
        return Rerun;
    const qlonglong before = rows.constFirst().constFirst().toLongLong();
    qlonglong count = before;
    for (const RowChange &change : changes) {
        bool now = change.op != RowChange::Delete;
        bool was = change.op != RowChange::Insert;
        if (!m_shape.where.isEmpty()) {
            if (now) {
                QVariantList row;
                const int m = fetchMatching(change.primaryKey, &row);
                if (m < 0)
                    return Rerun;
                now = m > 0 && row.value(0).toLongLong() > 0;
            }
            if (change.op == RowChange::Update && !whereReads(change)) {
                was = now;
            } else if (was) {
                QVariantList old;
                if (change.op == RowChange::Delete) {
                    old = change.oldValues;
                } else {
                    if (!fetchStored(change.primaryKey, &old))
                        return Rerun;
                    for (qsizetype c = 0; c < old.size(); ++c) {
                        if (change.hasOldValue.value(c))
                            old[c] = change.oldValues.at(c);
                    }
                }
                const int m = probe(old);
                if (m < 0)
                    return Rerun;
                was = m > 0;
            }
        }
        count += int(now) - int(was);
    }
    if (count == before)
        return Unchanged;
    rows.first().first() = count;
    delta->append({RowDelta::Change, 0, 0, rows.constFirst(), {0}});
    return Changed;
}

} // namespace LiveStore::detail
