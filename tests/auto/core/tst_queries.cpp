// SPDX-License-Identifier: BSD-3-Clause
// Queries: the builder, raw SQL with binds, how values are encoded for and decoded from each
// column type, QueryResult, errors, compiled SQL and keys, and the writes C++ materializers return.
#include <materializercontext.h>
#include <store.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtTest/qtest.h>

#include <memory>
#include <stdexcept>

using namespace LiveStore;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(LiveStore::Query)

namespace {

QDateTime utc(int y, int mo, int d, int h, int mi, int s = 0, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::UTC);
}

QDateTime withOffset(int y, int mo, int d, int h, int mi, int offsetSeconds)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi), Qt::OffsetFromUTC, offsetSeconds);
}

// What the counter materializers read through MaterializerContext, in order.
QList<QVariant> &counterReads()
{
    static QList<QVariant> reads;
    return reads;
}

// What a materializer got back when it tried to run transaction control through its context.
QueryResult &rollbackResult()
{
    static QueryResult result;
    return result;
}

QVariantMap kvValues(const EventRecord &e)
{
    QVariantMap values{{u"id"_s, e.arg(u"id"_s)}, {u"a"_s, e.arg(u"a"_s)}, {u"b"_s, e.arg(u"b"_s)}};
    if (e.args.contains(u"c"_s))
        values.insert(u"c"_s, e.arg(u"c"_s));
    return values;
}

EventDef kvEvent(const QString &name)
{
    return EventDef::synced(name)
            .arg(u"id"_s, ArgType::String)
            .arg(u"a"_s, ArgType::String)
            .arg(u"b"_s, ArgType::Integer)
            .arg(ArgDef{u"c"_s, ArgType::Integer}.optional().nullable());
}

// items: every column type. kv: a small table for the write tests. counters: read-then-write.
Schema querySchema()
{
    Schema schema;
    schema.addTable(TableDef{u"items"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::text(u"title"_s))
                            .column(ColumnDef::integer(u"qty"_s).withDefault(0))
                            .column(ColumnDef::real(u"price"_s).withDefault(0.0))
                            .column(ColumnDef::boolean(u"done"_s).withDefault(false))
                            .column(ColumnDef::json(u"meta"_s).withDefault(QVariantMap{}))
                            .column(ColumnDef::dateTime(u"at"_s))
                            .column(ColumnDef::blob(u"data"_s).nullable())
                            .column(ColumnDef::integer(u"rank"_s).nullable()));
    schema.addTable(TableDef{u"kv"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::text(u"a"_s))
                            .column(ColumnDef::integer(u"b"_s))
                            .column(ColumnDef::integer(u"c"_s).nullable()));
    schema.addTable(TableDef{u"counters"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::integer(u"value"_s).withDefault(0)));

    // items, with a C++ materializer (the blob comes as hex text: events have no blob type) ...
    schema.addEvent(EventDef::synced(u"item.Added"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"title"_s, ArgType::String)
                            .arg(u"qty"_s, ArgType::Integer)
                            .arg(u"price"_s, ArgType::Real)
                            .arg(u"done"_s, ArgType::Boolean)
                            .arg(u"meta"_s, ArgType::Json)
                            .arg(u"at"_s, ArgType::DateTime)
                            .arg(ArgDef{u"dataHex"_s, ArgType::String}.optional().nullable())
                            .arg(ArgDef{u"rank"_s, ArgType::Integer}.optional().nullable())
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                QVariantMap values;
                                for (const QString &name : {u"id"_s, u"title"_s, u"qty"_s, u"price"_s,
                                                            u"done"_s, u"meta"_s, u"at"_s, u"rank"_s})
                                    values.insert(name, e.arg(name));
                                const QVariant hex = e.arg(u"dataHex"_s);
                                if (hex.typeId() == QMetaType::QString)
                                    values.insert(u"data"_s, QByteArray::fromHex(hex.toString().toLatin1()));
                                return {Query::insert(u"items"_s, values)};
                            }));
    // ... and SQL materializers.
    schema.addEvent(EventDef::synced(u"item.AddedSql"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"title"_s, ArgType::String)
                            .arg(u"qty"_s, ArgType::Integer)
                            .arg(u"price"_s, ArgType::Real)
                            .arg(u"done"_s, ArgType::Boolean)
                            .arg(u"meta"_s, ArgType::Json)
                            .arg(u"at"_s, ArgType::DateTime)
                            .arg(ArgDef{u"rank"_s, ArgType::Integer}.optional().nullable())
                            .materializeSql({u"INSERT INTO items (id, title, qty, price, done, meta, at, rank) "
                                             "VALUES ($id, $title, $qty, $price, $done, $meta, $at, $rank)"_s}));
    schema.addEvent(EventDef::synced(u"item.Renamed"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"title"_s, ArgType::String)
                            .materializeSql({u"UPDATE items SET title = $title WHERE id = $id"_s}));
    schema.addEvent(EventDef::synced(u"item.DoneSet"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"done"_s, ArgType::Boolean)
                            .materializeSql({u"UPDATE items SET done = $done WHERE id = $id"_s}));
    schema.addEvent(EventDef::synced(u"item.MetaText"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"text"_s, ArgType::String)
                            .materializeSql({u"UPDATE items SET meta = $text WHERE id = $id"_s}));
    schema.addEvent(EventDef::synced(u"item.Moved"_s)
                            .arg(u"from"_s, ArgType::String)
                            .arg(u"to"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO items (id, title, qty, price, done, meta, at, data, rank) "
                                             "SELECT $to, title, qty, price, done, meta, at, data, rank "
                                             "FROM items WHERE id = $from"_s,
                                             u"DELETE FROM items WHERE id = $from"_s}));

    // kv: the builder's writes.
    schema.addEvent(kvEvent(u"kv.Put"_s).materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
        return {Query::insert(u"kv"_s, kvValues(e))};
    }));
    schema.addEvent(kvEvent(u"kv.PutIgnore"_s).materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
        return {Query::insert(u"kv"_s, kvValues(e)).onConflict({u"id"_s}, Query::Ignore)};
    }));
    schema.addEvent(kvEvent(u"kv.PutReplace"_s).materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
        return {Query::insert(u"kv"_s, kvValues(e)).onConflict({}, Query::Replace)};
    }));
    schema.addEvent(kvEvent(u"kv.PutUpdateB"_s).materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
        return {Query::insert(u"kv"_s, kvValues(e))
                        .onConflict({u"id"_s}, Query::DoUpdate, {{u"b"_s, e.arg(u"b"_s)}})};
    }));
    schema.addEvent(kvEvent(u"kv.PutUpdateAll"_s).materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
        return {Query::insert(u"kv"_s, kvValues(e)).onConflict({u"id"_s}, Query::DoUpdate)};
    }));
    schema.addEvent(EventDef::synced(u"kv.SetB"_s)
                            .arg(u"id"_s, ArgType::String)
                            .arg(u"b"_s, ArgType::Integer)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                return {Query::update(u"kv"_s, {{u"b"_s, e.arg(u"b"_s)}})
                                                .where(u"id"_s, e.arg(u"id"_s))};
                            }));
    schema.addEvent(EventDef::synced(u"kv.Remove"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                return {Query::remove(u"kv"_s).where(u"id"_s, e.arg(u"id"_s))};
                            }));
    // Several writes, in order: two inserts, an update of both, a delete of another row.
    schema.addEvent(EventDef::synced(u"kv.Multi"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                const QString id = e.arg(u"id"_s).toString();
                                return {Query::insert(u"kv"_s, {{u"id"_s, QString(id + u"-1"_s)}, {u"a"_s, u"multi"_s}, {u"b"_s, 1}}),
                                        Query::insert(u"kv"_s, {{u"id"_s, QString(id + u"-2"_s)}, {u"a"_s, u"multi"_s}, {u"b"_s, 2}}),
                                        Query::update(u"kv"_s, {{u"c"_s, 99}}).where(u"a"_s, u"multi"_s),
                                        Query::remove(u"kv"_s).where(u"id"_s, Query::In, QVariantList{u"pre"_s})};
                            }));

    // counters: materializers that read the state first.
    schema.addEvent(EventDef::synced(u"counter.Bump"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &ctx) -> Writes {
                                const QString id = e.arg(u"id"_s).toString();
                                const QueryResult current = ctx.query(
                                        Query::from(u"counters"_s).select({u"value"_s}).where(u"id"_s, id));
                                if (!current.isValid())
                                    throw std::runtime_error(current.errorString().toStdString());
                                counterReads().append(current.scalar());
                                if (current.isEmpty())
                                    return {Query::insert(u"counters"_s, {{u"id"_s, id}, {u"value"_s, 1}})};
                                return {Query::update(u"counters"_s, {{u"value"_s, current.scalar().toLongLong() + 1}})
                                                .where(u"id"_s, id)};
                            }));
    schema.addEvent(EventDef::synced(u"counter.Double"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materialize([](const EventRecord &e, MaterializerContext &ctx) -> Writes {
                                const QString id = e.arg(u"id"_s).toString();
                                const QueryResult current =
                                        ctx.query(u"SELECT value FROM counters WHERE id = ?"_s, {id});
                                if (!current.isValid())
                                    throw std::runtime_error(current.errorString().toStdString());
                                counterReads().append(current.scalar());
                                return {Query::update(u"counters"_s, {{u"value"_s, current.scalar().toLongLong() * 2}})
                                                .where(u"id"_s, id)};
                            }));

    // Materializers that get it wrong.
    schema.addEvent(EventDef::synced(u"bad.Read"_s).materialize([](const EventRecord &, MaterializerContext &) -> Writes {
        return {Query::from(u"kv"_s)};
    }));
    schema.addEvent(EventDef::synced(u"bad.Count"_s).materialize([](const EventRecord &, MaterializerContext &) -> Writes {
        return {Query::from(u"kv"_s).count()};
    }));
    schema.addEvent(EventDef::synced(u"bad.Column"_s).materialize([](const EventRecord &, MaterializerContext &) -> Writes {
        return {Query::insert(u"kv"_s, {{u"id"_s, u"n"_s}, {u"nope"_s, 1}})};
    }));
    schema.addEvent(EventDef::synced(u"bad.Rollback"_s).materialize([](const EventRecord &, MaterializerContext &ctx) -> Writes {
        rollbackResult() = ctx.query(u"ROLLBACK"_s);
        return {Query::insert(u"kv"_s, {{u"id"_s, u"leak"_s}, {u"a"_s, u"x"_s}, {u"b"_s, 1}})};
    }));
    return schema;
}

// The rows the read tests run against:
//   id  title        qty price done  meta                              at (UTC)                  data  rank
//   a   Apple          5  1.25 true  {"color":"red","tags":["fruit"]}  2024-01-01T10:00:00.000   0102  1
//   b   banana        12  0.5  false {"color":"yellow"}                2024-02-15T08:30:00.000   NULL  NULL
//   c   Cherry pie     0  7.75 true  [1,2,3]                           2024-03-01T00:00:00.000   00ff  3
//   d   date          12  3.0  false {}                                2023-12-31T23:59:59.999   NULL  2    (SQL)
//   e   Elderberry     7  2.5  false {"color":"purple"}                2024-06-30T12:00:00.000   NULL  NULL (SQL)
QList<Event> seedEvents()
{
    return {
        {u"item.Added"_s, {{u"id"_s, u"a"_s}, {u"title"_s, u"Apple"_s}, {u"qty"_s, 5}, {u"price"_s, 1.25},
                           {u"done"_s, true},
                           {u"meta"_s, QVariantMap{{u"color"_s, u"red"_s}, {u"tags"_s, QVariantList{u"fruit"_s}}}},
                           {u"at"_s, utc(2024, 1, 1, 10, 0)}, {u"dataHex"_s, u"0102"_s}, {u"rank"_s, 1}}},
        {u"item.Added"_s, {{u"id"_s, u"b"_s}, {u"title"_s, u"banana"_s}, {u"qty"_s, 12}, {u"price"_s, 0.5},
                           {u"done"_s, false}, {u"meta"_s, QVariantMap{{u"color"_s, u"yellow"_s}}},
                           {u"at"_s, utc(2024, 2, 15, 8, 30)}, {u"dataHex"_s, QVariant::fromValue(nullptr)},
                           {u"rank"_s, QVariant::fromValue(nullptr)}}},
        {u"item.Added"_s, {{u"id"_s, u"c"_s}, {u"title"_s, u"Cherry pie"_s}, {u"qty"_s, 0}, {u"price"_s, 7.75},
                           {u"done"_s, true}, {u"meta"_s, QVariantList{1, 2, 3}},
                           {u"at"_s, utc(2024, 3, 1, 0, 0)}, {u"dataHex"_s, u"00ff"_s}, {u"rank"_s, 3}}},
        {u"item.AddedSql"_s, {{u"id"_s, u"d"_s}, {u"title"_s, u"date"_s}, {u"qty"_s, 12}, {u"price"_s, 3.0},
                              {u"done"_s, false}, {u"meta"_s, QVariantMap{}},
                              {u"at"_s, utc(2023, 12, 31, 23, 59, 59, 999)}, {u"rank"_s, 2}}},
        {u"item.AddedSql"_s, {{u"id"_s, u"e"_s}, {u"title"_s, u"Elderberry"_s}, {u"qty"_s, 7}, {u"price"_s, 2.5},
                              {u"done"_s, false}, {u"meta"_s, QVariantMap{{u"color"_s, u"purple"_s}}},
                              {u"at"_s, utc(2024, 6, 30, 12, 0)}}},
    };
}

const QStringList AllIds{u"a"_s, u"b"_s, u"c"_s, u"d"_s, u"e"_s};

std::unique_ptr<Store> newStore(bool seeded)
{
    auto store = std::make_unique<Store>();
    StoreOptions o;
    o.storeId = u"q"_s;
    o.schema = querySchema();
    o.inMemory = true;
    if (!store->open(o)) {
        qWarning("cannot open the store: %s", qPrintable(store->errorString()));
        return nullptr;
    }
    if (seeded && !store->commit(seedEvents())) {
        qWarning("cannot seed the store: %s", qPrintable(store->errorString()));
        return nullptr;
    }
    return store;
}

QStringList idsOf(const QueryResult &r)
{
    QStringList ids;
    const int column = r.columnIndex(u"id");
    for (qsizetype i = 0; i < r.rowCount(); ++i)
        ids.append(column < 0 ? u"<no id column>"_s : r.value(i, column).toString());
    return ids;
}

QList<int> typeIds(const QVariantList &values)
{
    QList<int> ids;
    for (const QVariant &v : values)
        ids.append(v.typeId());
    return ids;
}

QVariantMap kvRow(Store &store, const QString &id)
{
    return store.query(Query::from(u"kv"_s).where(u"id"_s, id)).rowMap(0);
}

QVariantMap kvMap(const QString &id, const QString &a, qint64 b, const QVariant &c)
{
    return {{u"id"_s, id}, {u"a"_s, a}, {u"b"_s, b}, {u"c"_s, c}};
}

Event kvPut(const QString &name, const QString &id, const QString &a, qint64 b, const QVariant &c = {})
{
    QVariantMap args{{u"id"_s, id}, {u"a"_s, a}, {u"b"_s, b}};
    if (c.isValid())
        args.insert(u"c"_s, c);
    return {name, args};
}

qint64 rowCount(Store &store, const QString &table)
{
    const QueryResult r = store.query(Query::from(table).count());
    return r.isValid() ? r.scalar().toLongLong() : -1;
}

} // namespace

class tst_Queries : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Store> m_store; // seeded, read-only for the tests that share it

private Q_SLOTS:
    void initTestCase()
    {
        m_store = newStore(true);
        QVERIFY(m_store);
        QCOMPARE(rowCount(*m_store, u"items"_s), 5);
    }

    // -----------------------------------------------------------------------------------------
    // Builder reads
    // -----------------------------------------------------------------------------------------

    void builderReads_data()
    {
        QTest::addColumn<Query>("query");
        QTest::addColumn<QStringList>("ids");
        const Query items = Query::from(u"items"_s);
        const QDateTime march1 = withOffset(2024, 3, 1, 1, 0, 3600); // 2024-03-01T00:00:00Z
        auto row = [](const char *name, const Query &q, const QStringList &ids) {
            QTest::newRow(name) << q << ids;
        };
        const QStringList none;

        row("all", items.orderBy(u"id"_s), AllIds);
        row("= text", items.where(u"title"_s, u"banana"_s), {u"b"_s});
        row("= text is case-sensitive", items.where(u"title"_s, u"apple"_s), none);
        row("!=", items.where(u"qty"_s, Query::Ne, 12).orderBy(u"id"_s), {u"a"_s, u"c"_s, u"e"_s});
        row("<", items.where(u"qty"_s, Query::Lt, 7).orderBy(u"id"_s), {u"a"_s, u"c"_s});
        row(">", items.where(u"qty"_s, Query::Gt, 7).orderBy(u"id"_s), {u"b"_s, u"d"_s});
        row("<=", items.where(u"qty"_s, Query::Le, 7).orderBy(u"id"_s), {u"a"_s, u"c"_s, u"e"_s});
        row(">=", items.where(u"qty"_s, Query::Ge, 12).orderBy(u"id"_s), {u"b"_s, u"d"_s});
        row("real >", items.where(u"price"_s, Query::Gt, 2.5).orderBy(u"id"_s), {u"c"_s, u"d"_s});
        row("real <=", items.where(u"price"_s, Query::Le, 0.5), {u"b"_s});
        row("in", items.where(u"id"_s, Query::In, QVariantList{u"c"_s, u"a"_s, u"zz"_s}).orderBy(u"id"_s),
            {u"a"_s, u"c"_s});
        row("in integers", items.where(u"qty"_s, Query::In, QVariantList{0, 7}).orderBy(u"id"_s),
            {u"c"_s, u"e"_s});
        row("in booleans", items.where(u"done"_s, Query::In, QVariantList{true}).orderBy(u"id"_s),
            {u"a"_s, u"c"_s});
        row("not in", items.where(u"id"_s, Query::NotIn, QVariantList{u"a"_s, u"c"_s}).orderBy(u"id"_s),
            {u"b"_s, u"d"_s, u"e"_s});
        row("in empty list", items.where(u"id"_s, Query::In, QVariantList{}), none);
        row("not in empty list", items.where(u"id"_s, Query::NotIn, QVariantList{}).orderBy(u"id"_s), AllIds);
        row("is null (null QVariant)", items.where(u"rank"_s, QVariant()).orderBy(u"id"_s), {u"b"_s, u"e"_s});
        row("is null (nullptr)", items.where(u"rank"_s, QVariant::fromValue(nullptr)).orderBy(u"id"_s),
            {u"b"_s, u"e"_s});
        row("is null (Eq op)", items.where(u"rank"_s, Query::Eq, QVariant()).orderBy(u"id"_s),
            {u"b"_s, u"e"_s});
        row("is not null (Ne op)", items.where(u"rank"_s, Query::Ne, QVariant()).orderBy(u"id"_s),
            {u"a"_s, u"c"_s, u"d"_s});
        row("whereNull", items.whereNull(u"data"_s).orderBy(u"id"_s), {u"b"_s, u"d"_s, u"e"_s});
        row("whereNull false", items.whereNull(u"rank"_s, false).orderBy(u"id"_s), {u"a"_s, u"c"_s, u"d"_s});
        row("like", items.where(u"title"_s, Query::Like, u"%e%"_s).orderBy(u"id"_s),
            {u"a"_s, u"c"_s, u"d"_s, u"e"_s});
        row("like prefix", items.where(u"title"_s, Query::Like, u"b%"_s), {u"b"_s});
        row("like ignores ASCII case", items.where(u"title"_s, Query::Like, u"APPLE"_s), {u"a"_s});
        row("not like", items.where(u"title"_s, Query::NotLike, u"%e%"_s), {u"b"_s});
        row("two conditions", items.where(u"done"_s, false).where(u"qty"_s, Query::Ge, 10).orderBy(u"id"_s),
            {u"b"_s, u"d"_s});
        row("three conditions",
            items.where(u"done"_s, true).where(u"price"_s, Query::Lt, 5.0).whereNull(u"rank"_s, false),
            {u"a"_s});
        row("contradiction", items.where(u"qty"_s, Query::Gt, 5).where(u"qty"_s, Query::Lt, 5), none);
        row("boolean true", items.where(u"done"_s, true).orderBy(u"id"_s), {u"a"_s, u"c"_s});
        row("boolean false", items.where(u"done"_s, false).orderBy(u"id"_s), {u"b"_s, u"d"_s, u"e"_s});
        row("boolean != true", items.where(u"done"_s, Query::Ne, true).orderBy(u"id"_s),
            {u"b"_s, u"d"_s, u"e"_s});
        row("datetime <", items.where(u"at"_s, Query::Lt, utc(2024, 2, 1, 0, 0)).orderBy(u"id"_s),
            {u"a"_s, u"d"_s});
        row("datetime >= (offset converted to UTC)", items.where(u"at"_s, Query::Ge, march1).orderBy(u"id"_s),
            {u"c"_s, u"e"_s});
        row("datetime = (offset)", items.where(u"at"_s, march1), {u"c"_s});
        row("datetime = (milliseconds)", items.where(u"at"_s, utc(2023, 12, 31, 23, 59, 59, 999)), {u"d"_s});
        row("datetime = (other millisecond)", items.where(u"at"_s, utc(2023, 12, 31, 23, 59, 59, 998)), none);
        row("datetime <=", items.where(u"at"_s, Query::Le, utc(2024, 2, 15, 8, 30)).orderBy(u"id"_s),
            {u"a"_s, u"b"_s, u"d"_s});
        row("json = map", items.where(u"meta"_s, QVariantMap{{u"color"_s, u"yellow"_s}}), {u"b"_s});
        row("json = nested map",
            items.where(u"meta"_s, QVariantMap{{u"tags"_s, QVariantList{u"fruit"_s}}, {u"color"_s, u"red"_s}}),
            {u"a"_s});
        row("json = list", items.where(u"meta"_s, QVariantList{1, 2, 3}), {u"c"_s});
        row("json = empty map (SQL materializer)", items.where(u"meta"_s, QVariantMap{}), {u"d"_s});
        row("json = map (SQL materializer)", items.where(u"meta"_s, QVariantMap{{u"color"_s, u"purple"_s}}),
            {u"e"_s});
        row("json = QJsonObject", items.where(u"meta"_s, QJsonObject{{u"color"_s, u"yellow"_s}}), {u"b"_s});
        row("json = JSON text", items.where(u"meta"_s, u"{\"color\":\"red\",\"tags\":[\"fruit\"]}"_s), {u"a"_s});
        row("json in", items.where(u"meta"_s, Query::In, QVariantList{QVariantList{1, 2, 3}, QVariantMap{}})
                               .orderBy(u"id"_s),
            {u"c"_s, u"d"_s});
        row("blob =", items.where(u"data"_s, QByteArray("\x01\x02")), {u"a"_s});
        row("blob in", items.where(u"data"_s, Query::In, QVariantList{QByteArray("\x00\xff", 2)}), {u"c"_s});
        row("order desc, then asc", items.orderBy(u"qty"_s, Query::Desc).orderBy(u"id"_s),
            {u"b"_s, u"d"_s, u"e"_s, u"a"_s, u"c"_s});
        row("order by boolean desc, then text (binary collation)",
            items.orderBy(u"done"_s, Query::Desc).orderBy(u"title"_s, Query::Asc),
            {u"a"_s, u"c"_s, u"e"_s, u"b"_s, u"d"_s});
        row("order by real", items.orderBy(u"price"_s), {u"b"_s, u"a"_s, u"e"_s, u"d"_s, u"c"_s});
        row("order by datetime desc", items.orderBy(u"at"_s, Query::Desc),
            {u"e"_s, u"c"_s, u"b"_s, u"a"_s, u"d"_s});
        row("order by nullable (nulls first)", items.orderBy(u"rank"_s).orderBy(u"id"_s),
            {u"b"_s, u"e"_s, u"a"_s, u"d"_s, u"c"_s});
        row("limit", items.orderBy(u"id"_s).limit(2), {u"a"_s, u"b"_s});
        row("limit 0", items.orderBy(u"id"_s).limit(0), none);
        row("offset", items.orderBy(u"id"_s).offset(3), {u"d"_s, u"e"_s});
        row("offset past the end", items.orderBy(u"id"_s).offset(10), none);
        row("limit and offset", items.orderBy(u"id"_s).limit(2).offset(1), {u"b"_s, u"c"_s});
        row("where, order, limit", items.where(u"done"_s, false).orderBy(u"qty"_s, Query::Desc)
                                           .orderBy(u"id"_s, Query::Desc).limit(2),
            {u"d"_s, u"b"_s});
        row("first", items.orderBy(u"price"_s, Query::Desc).first(), {u"c"_s});
        row("first beats limit", items.orderBy(u"id"_s).limit(3).first(), {u"a"_s});
        row("first with offset", items.orderBy(u"id"_s).offset(2).first(), {u"c"_s});
        row("first of nothing", items.where(u"id"_s, u"zz"_s).first(), none);
    }
    void builderReads()
    {
        QFETCH(Query, query);
        QFETCH(QStringList, ids);
        const QueryResult r = m_store->query(query);
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.columnCount(), 9); // SELECT *
        QCOMPARE(idsOf(r), ids);
    }

    void builderSelectColumns()
    {
        const QueryResult r = m_store->query(Query::from(u"items"_s)
                                                     .select({u"title"_s, u"id"_s, u"done"_s})
                                                     .where(u"qty"_s, 12)
                                                     .orderBy(u"id"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.columns(), (QStringList{u"title"_s, u"id"_s, u"done"_s}));
        QCOMPARE(r.rows(), (QList<QVariantList>{{u"banana"_s, u"b"_s, false}, {u"date"_s, u"d"_s, false}}));
        QCOMPARE(r.value(1, u"done").typeId(), QMetaType::Bool);

        const QueryResult all = m_store->query(Query::from(u"items"_s).first());
        QCOMPARE(all.columns(), (QStringList{u"id"_s, u"title"_s, u"qty"_s, u"price"_s, u"done"_s,
                                             u"meta"_s, u"at"_s, u"data"_s, u"rank"_s}));
    }

    // A range-for straight over a query's rows: the temporary result hands its rows out (the
    // AddressSanitizer run reads this as a use after scope if it hands out a reference).
    void rowsOfATemporaryResult()
    {
        QStringList ids;
        for (const QVariantList &row : m_store->query(Query::from(u"items"_s).select({u"id"_s}).orderBy(u"id"_s)).rows())
            ids.append(row.value(0).toString());
        QCOMPARE(ids, (QStringList{u"a"_s, u"b"_s, u"c"_s, u"d"_s, u"e"_s}));
        QStringList columns;
        for (const QString &column : m_store->query(u"SELECT id, title FROM items"_s).columns())
            columns.append(column);
        QCOMPARE(columns, (QStringList{u"id"_s, u"title"_s}));
        // On an lvalue the rows stay where they are.
        const QueryResult kept = m_store->query(u"SELECT id FROM items"_s);
        for (const QVariantList &row : kept.rows())
            Q_UNUSED(row);
        QCOMPARE(kept.rowCount(), 5);
    }

    void builderCount_data()
    {
        QTest::addColumn<Query>("query");
        QTest::addColumn<qint64>("count");
        const Query items = Query::from(u"items"_s);
        QTest::newRow("all") << items.count() << qint64(5);
        QTest::newRow("where") << items.where(u"done"_s, true).count() << qint64(2);
        QTest::newRow("two conditions") << items.where(u"done"_s, false).where(u"qty"_s, 12).count() << qint64(2);
        QTest::newRow("is null") << items.whereNull(u"rank"_s).count() << qint64(2);
        QTest::newRow("like") << items.where(u"title"_s, Query::Like, u"%e%"_s).count() << qint64(4);
        QTest::newRow("in empty") << items.where(u"id"_s, Query::In, QVariantList{}).count() << qint64(0);
        QTest::newRow("not in empty") << items.where(u"id"_s, Query::NotIn, QVariantList{}).count() << qint64(5);
        QTest::newRow("ignores order, limit, offset, first")
                << items.orderBy(u"id"_s).limit(1).offset(2).first().count() << qint64(5);
        QTest::newRow("count then where") << items.count().where(u"qty"_s, Query::Lt, 6) << qint64(2);
        QTest::newRow("empty table") << Query::from(u"kv"_s).count() << qint64(0);
    }
    void builderCount()
    {
        QFETCH(Query, query);
        QFETCH(qint64, count);
        const QueryResult r = m_store->query(query);
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.columns(), QStringList{u"count"_s});
        QCOMPARE(r.rowCount(), 1);
        QCOMPARE(r.scalar().typeId(), QMetaType::LongLong);
        QCOMPARE(r.scalar().toLongLong(), count);
    }

    // -----------------------------------------------------------------------------------------
    // Typed values out
    // -----------------------------------------------------------------------------------------

    void typedColumns_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("column");
        QTest::addColumn<QVariant>("expected");
        QTest::addColumn<int>("type");
        auto row = [](const char *name, const QString &id, const QString &column, const QVariant &v, int type) {
            QTest::newRow(name) << id << column << v << type;
        };
        row("text", u"c"_s, u"title"_s, u"Cherry pie"_s, QMetaType::QString);
        row("integer", u"a"_s, u"qty"_s, qint64(5), QMetaType::LongLong);
        row("integer 0", u"c"_s, u"qty"_s, qint64(0), QMetaType::LongLong);
        row("integer (SQL materializer)", u"d"_s, u"qty"_s, qint64(12), QMetaType::LongLong);
        row("real", u"a"_s, u"price"_s, 1.25, QMetaType::Double);
        row("whole real (SQL materializer)", u"d"_s, u"price"_s, 3.0, QMetaType::Double);
        row("boolean true", u"a"_s, u"done"_s, true, QMetaType::Bool);
        row("boolean false", u"b"_s, u"done"_s, false, QMetaType::Bool);
        row("boolean false (SQL materializer)", u"e"_s, u"done"_s, false, QMetaType::Bool);
        row("json object", u"a"_s, u"meta"_s,
            QVariantMap{{u"color"_s, u"red"_s}, {u"tags"_s, QVariantList{u"fruit"_s}}}, QMetaType::QVariantMap);
        row("json array", u"c"_s, u"meta"_s, QVariantList{1, 2, 3}, QMetaType::QVariantList);
        row("json empty object (SQL materializer)", u"d"_s, u"meta"_s, QVariantMap{}, QMetaType::QVariantMap);
        row("json object (SQL materializer)", u"e"_s, u"meta"_s, QVariantMap{{u"color"_s, u"purple"_s}},
            QMetaType::QVariantMap);
        row("datetime", u"a"_s, u"at"_s, utc(2024, 1, 1, 10, 0), QMetaType::QDateTime);
        row("datetime with milliseconds (SQL materializer)", u"d"_s, u"at"_s,
            utc(2023, 12, 31, 23, 59, 59, 999), QMetaType::QDateTime);
        row("blob", u"a"_s, u"data"_s, QByteArray("\x01\x02"), QMetaType::QByteArray);
        row("blob with a zero byte", u"c"_s, u"data"_s, QByteArray("\x00\xff", 2), QMetaType::QByteArray);
        row("null blob", u"b"_s, u"data"_s, QVariant(), QMetaType::UnknownType);
        row("nullable integer", u"d"_s, u"rank"_s, qint64(2), QMetaType::LongLong);
        row("null integer (passed as nullptr)", u"b"_s, u"rank"_s, QVariant(), QMetaType::UnknownType);
        row("null integer (argument left out, SQL)", u"e"_s, u"rank"_s, QVariant(), QMetaType::UnknownType);
    }
    void typedColumns()
    {
        QFETCH(QString, id);
        QFETCH(QString, column);
        QFETCH(QVariant, expected);
        QFETCH(int, type);
        const QueryResult r = m_store->query(Query::from(u"items"_s).select({column}).where(u"id"_s, id));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowCount(), 1);
        const QVariant v = r.value(0, column);
        QCOMPARE(v.typeId(), type);
        QCOMPARE(v, expected);
        if (type == QMetaType::QDateTime) {
            QCOMPARE(v.toDateTime().toUTC().toString(Qt::ISODateWithMs),
                     expected.toDateTime().toString(Qt::ISODateWithMs));
        }
    }

    void typedWholeRow()
    {
        const QueryResult r = m_store->query(Query::from(u"items"_s).where(u"id"_s, u"a"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        const QVariantMap expected{
            {u"id"_s, u"a"_s}, {u"title"_s, u"Apple"_s}, {u"qty"_s, qint64(5)}, {u"price"_s, 1.25},
            {u"done"_s, true},
            {u"meta"_s, QVariantMap{{u"color"_s, u"red"_s}, {u"tags"_s, QVariantList{u"fruit"_s}}}},
            {u"at"_s, utc(2024, 1, 1, 10, 0)}, {u"data"_s, QByteArray("\x01\x02")}, {u"rank"_s, qint64(1)}};
        QCOMPARE(r.rowMap(0), expected);
        QCOMPARE(r.toMaps(), QVariantList{expected});

        const QVariantMap b = m_store->query(Query::from(u"items"_s).where(u"id"_s, u"b"_s)).rowMap(0);
        QCOMPARE(b.size(), 9);
        QVERIFY(b.contains(u"rank"_s));
        QVERIFY(!b.value(u"rank"_s).isValid());
        QVERIFY(!b.value(u"data"_s).isValid());
    }

    // How values are stored (read back through expressions, which are not decoded) and how
    // raw SQL results are typed: table columns by their declared type, expressions by SQLite's
    // storage class.
    void rawTyped_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QVariant>("expected");
        QTest::addColumn<int>("type");
        auto row = [](const char *name, const QString &sql, const QVariant &v, int type) {
            QTest::newRow(name) << sql << v << type;
        };
        row("1+1", u"SELECT 1+1"_s, qint64(2), QMetaType::LongLong);
        row("concatenation", u"SELECT 'a'||'b'"_s, u"ab"_s, QMetaType::QString);
        row("real arithmetic", u"SELECT 0.5 * 3"_s, 1.5, QMetaType::Double);
        row("null literal", u"SELECT NULL"_s, QVariant(), QMetaType::UnknownType);
        row("blob literal", u"SELECT x'00ff'"_s, QByteArray("\x00\xff", 2), QMetaType::QByteArray);
        row("count(*)", u"SELECT count(*) FROM items"_s, qint64(5), QMetaType::LongLong);
        row("boolean column", u"SELECT done FROM items WHERE id = 'a'"_s, true, QMetaType::Bool);
        row("aliased boolean column", u"SELECT done AS finished FROM items WHERE id = 'c'"_s, true,
            QMetaType::Bool);
        row("expression over a boolean column", u"SELECT done + 0 FROM items WHERE id = 'a'"_s, qint64(1),
            QMetaType::LongLong);
        row("aggregate over a boolean column", u"SELECT max(done) FROM items"_s, qint64(1), QMetaType::LongLong);
        row("json column", u"SELECT meta FROM items WHERE id = 'b'"_s,
            QVariantMap{{u"color"_s, u"yellow"_s}}, QMetaType::QVariantMap);
        row("json column through a subquery", u"SELECT m FROM (SELECT meta AS m FROM items WHERE id = 'c')"_s,
            QVariantList{1, 2, 3}, QMetaType::QVariantList);
        row("datetime column", u"SELECT at FROM items WHERE id = 'd'"_s, utc(2023, 12, 31, 23, 59, 59, 999),
            QMetaType::QDateTime);
        row("integer column", u"SELECT qty FROM items WHERE id = 'b'"_s, qint64(12), QMetaType::LongLong);
        row("stored boolean", u"SELECT typeof(done) || ':' || done FROM items WHERE id = 'a'"_s,
            u"integer:1"_s, QMetaType::QString);
        row("stored boolean (SQL materializer)", u"SELECT typeof(done) || ':' || done FROM items WHERE id = 'd'"_s,
            u"integer:0"_s, QMetaType::QString);
        row("stored datetime", u"SELECT typeof(at) || ':' || at FROM items WHERE id = 'a'"_s,
            u"text:2024-01-01T10:00:00.000Z"_s, QMetaType::QString);
        row("stored datetime (SQL materializer)", u"SELECT at || '' FROM items WHERE id = 'd'"_s,
            u"2023-12-31T23:59:59.999Z"_s, QMetaType::QString);
        row("stored json", u"SELECT typeof(meta) || ':' || meta FROM items WHERE id = 'a'"_s,
            u"text:{\"color\":\"red\",\"tags\":[\"fruit\"]}"_s, QMetaType::QString);
        row("stored json array", u"SELECT meta || '' FROM items WHERE id = 'c'"_s, u"[1,2,3]"_s,
            QMetaType::QString);
        row("stored json (SQL materializer)", u"SELECT meta || '' FROM items WHERE id = 'e'"_s,
            u"{\"color\":\"purple\"}"_s, QMetaType::QString);
        row("stored real", u"SELECT typeof(price) FROM items WHERE id = 'd'"_s, u"real"_s, QMetaType::QString);
        row("stored blob", u"SELECT typeof(data) || ':' || hex(data) FROM items WHERE id = 'c'"_s,
            u"blob:00FF"_s, QMetaType::QString);
    }
    void rawTyped()
    {
        QFETCH(QString, sql);
        QFETCH(QVariant, expected);
        QFETCH(int, type);
        const QueryResult r = m_store->query(Query::sql(sql));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowCount(), 1);
        QCOMPARE(r.columnCount(), 1);
        QCOMPARE(r.scalar().typeId(), type);
        QCOMPARE(r.scalar(), expected);
    }

    // -----------------------------------------------------------------------------------------
    // Raw SQL
    // -----------------------------------------------------------------------------------------

    void rawPositional_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QVariantList>("binds");
        QTest::addColumn<QStringList>("ids");
        QTest::newRow("int and bool") << u"SELECT id FROM items WHERE qty > ? AND done = ? ORDER BY id"_s
                                      << QVariantList{4, true} << QStringList{u"a"_s};
        QTest::newRow("bool false") << u"SELECT id FROM items WHERE done = ? ORDER BY id"_s
                                    << QVariantList{false} << QStringList{u"b"_s, u"d"_s, u"e"_s};
        QTest::newRow("datetime") << u"SELECT id FROM items WHERE at < ? ORDER BY id"_s
                                  << QVariantList{utc(2024, 2, 1, 0, 0)} << QStringList{u"a"_s, u"d"_s};
        QTest::newRow("datetime with offset") << u"SELECT id FROM items WHERE at = ?"_s
                                              << QVariantList{withOffset(2024, 3, 1, 1, 0, 3600)}
                                              << QStringList{u"c"_s};
        QTest::newRow("map as JSON") << u"SELECT id FROM items WHERE meta = ?"_s
                                     << QVariantList{QVariantMap{{u"color"_s, u"yellow"_s}}}
                                     << QStringList{u"b"_s};
        QTest::newRow("blob") << u"SELECT id FROM items WHERE data = ?"_s
                              << QVariantList{QByteArray("\x01\x02")} << QStringList{u"a"_s};
        QTest::newRow("?NNN") << u"SELECT id FROM items WHERE qty = ?2 OR id = ?1 ORDER BY id"_s
                              << QVariantList{u"a"_s, 12} << QStringList{u"a"_s, u"b"_s, u"d"_s};
        QTest::newRow("null") << u"SELECT id FROM items WHERE rank IS ? ORDER BY id"_s
                              << QVariantList{QVariant()} << QStringList{u"b"_s, u"e"_s};
        QTest::newRow("reals, lower case") << u"select id from items where price between ? and ? order by price"_s
                                           << QVariantList{1.0, 3.0}
                                           << QStringList{u"a"_s, u"e"_s, u"d"_s};
        QTest::newRow("no binds") << u"SELECT id FROM items WHERE title LIKE 'c%'"_s << QVariantList{}
                                  << QStringList{u"c"_s};
    }
    void rawPositional()
    {
        QFETCH(QString, sql);
        QFETCH(QVariantList, binds);
        QFETCH(QStringList, ids);
        const QueryResult viaOverload = m_store->query(sql, binds);
        QVERIFY2(viaOverload.isValid(), qPrintable(viaOverload.errorString()));
        QCOMPARE(idsOf(viaOverload), ids);
        const QueryResult viaQuery = m_store->query(Query::sql(sql, binds));
        QVERIFY(viaQuery == viaOverload);
    }

    void rawNamed_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QVariantMap>("binds");
        QTest::addColumn<QStringList>("ids");
        const QVariantMap q12{{u"q"_s, 12}};
        QTest::newRow("$name") << u"SELECT id FROM items WHERE qty = $q ORDER BY id"_s << q12
                               << QStringList{u"b"_s, u"d"_s};
        QTest::newRow(":name") << u"SELECT id FROM items WHERE qty = :q ORDER BY id"_s << q12
                               << QStringList{u"b"_s, u"d"_s};
        QTest::newRow("@name") << u"SELECT id FROM items WHERE qty = @q ORDER BY id"_s << q12
                               << QStringList{u"b"_s, u"d"_s};
        QTest::newRow("mixed prefixes")
                << u"SELECT id FROM items WHERE done = :done AND (qty >= $min OR title = @title) ORDER BY id"_s
                << QVariantMap{{u"done"_s, false}, {u"min"_s, 12}, {u"title"_s, u"Elderberry"_s}}
                << QStringList{u"b"_s, u"d"_s, u"e"_s};
        QTest::newRow("one name used twice") << u"SELECT id FROM items WHERE qty = $v OR rank = $v"_s
                                             << QVariantMap{{u"v"_s, 3}} << QStringList{u"c"_s};
        QTest::newRow("bool") << u"SELECT id FROM items WHERE done = @d ORDER BY id"_s
                              << QVariantMap{{u"d"_s, true}} << QStringList{u"a"_s, u"c"_s};
        QTest::newRow("datetime") << u"SELECT id FROM items WHERE at >= :t ORDER BY id"_s
                                  << QVariantMap{{u"t"_s, withOffset(2024, 3, 1, 1, 0, 3600)}}
                                  << QStringList{u"c"_s, u"e"_s};
        QTest::newRow("list as JSON") << u"SELECT id FROM items WHERE meta = $m"_s
                                      << QVariantMap{{u"m"_s, QVariantList{1, 2, 3}}} << QStringList{u"c"_s};
        QTest::newRow("unused extra names") << u"SELECT id FROM items WHERE id = $id"_s
                                            << QVariantMap{{u"id"_s, u"e"_s}, {u"other"_s, 1}}
                                            << QStringList{u"e"_s};
    }
    void rawNamed()
    {
        QFETCH(QString, sql);
        QFETCH(QVariantMap, binds);
        QFETCH(QStringList, ids);
        const QueryResult r = m_store->query(Query::sql(sql, binds));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(idsOf(r), ids);
    }

    // -----------------------------------------------------------------------------------------
    // QueryResult
    // -----------------------------------------------------------------------------------------

    void queryResultHelpers()
    {
        const Query q = Query::from(u"items"_s).select({u"id"_s, u"qty"_s}).orderBy(u"id"_s).limit(2);
        const QueryResult r = m_store->query(q);
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.errorString(), QString());
        QCOMPARE(r.columns(), (QStringList{u"id"_s, u"qty"_s}));
        QCOMPARE(r.columnCount(), 2);
        QCOMPARE(r.rowCount(), 2);
        QVERIFY(!r.isEmpty());
        QCOMPARE(r.columnIndex(u"id"), 0);
        QCOMPARE(r.columnIndex(u"qty"), 1);
        QCOMPARE(r.columnIndex(u"nope"), -1);
        QCOMPARE(r.columnIndex(u"QTY"), -1);
        QCOMPARE(r.value(1, u"qty"), QVariant(qint64(12)));
        QCOMPARE(r.value(0, 1), QVariant(qint64(5)));
        QCOMPARE(r.value(1, 0), QVariant(u"b"_s));
        QVERIFY(!r.value(2, 0).isValid());
        QVERIFY(!r.value(-1, 0).isValid());
        QVERIFY(!r.value(0, 2).isValid());
        QVERIFY(!r.value(0, u"nope").isValid());
        QCOMPARE(r.scalar(), QVariant(u"a"_s));
        QCOMPARE(r.rows(), (QList<QVariantList>{{u"a"_s, qint64(5)}, {u"b"_s, qint64(12)}}));
        const QVariantMap a{{u"id"_s, u"a"_s}, {u"qty"_s, qint64(5)}};
        const QVariantMap b{{u"id"_s, u"b"_s}, {u"qty"_s, qint64(12)}};
        QCOMPARE(r.rowMap(0), a);
        QCOMPARE(r.rowMap(1), b);
        QVERIFY(r.rowMap(2).isEmpty());
        QVERIFY(r.rowMap(-1).isEmpty());
        QCOMPARE(r.toMaps(), (QVariantList{a, b}));
        QCOMPARE(r.rowsAffected(), 0);

        const QueryResult none = m_store->query(q.where(u"id"_s, u"zz"_s));
        QVERIFY2(none.isValid(), qPrintable(none.errorString()));
        QVERIFY(none.isEmpty());
        QCOMPARE(none.rowCount(), 0);
        QCOMPARE(none.columns(), (QStringList{u"id"_s, u"qty"_s}));
        QVERIFY(!none.scalar().isValid());
        QVERIFY(none.toMaps().isEmpty());

        // Equality: same columns and rows.
        QVERIFY(m_store->query(q) == r);
        QVERIFY(!(m_store->query(q) != r));
        QVERIFY(r != none);
        QVERIFY(r != m_store->query(q.offset(1)));
        QVERIFY(r != m_store->query(Query::from(u"items"_s).select({u"id"_s, u"price"_s}).orderBy(u"id"_s).limit(2)));
        const QueryResult renamed = m_store->query(u"SELECT id, qty AS quantity FROM items ORDER BY id LIMIT 2"_s);
        QCOMPARE(renamed.rows(), r.rows());
        QVERIFY(renamed != r); // same rows, other column names
        QVERIFY(m_store->query(u"SELECT id, qty FROM items ORDER BY id LIMIT 2"_s) == r);

        const QueryResult failed = QueryResult::failure(u"boom"_s);
        QVERIFY(!failed.isValid());
        QCOMPARE(failed.errorString(), u"boom"_s);
        QVERIFY(failed.isEmpty());
        QVERIFY(failed == QueryResult::failure(u"boom"_s));
        QVERIFY(failed != QueryResult::failure(u"bang"_s));
        QVERIFY(failed != QueryResult());
        QVERIFY(QueryResult().isValid());
    }

    // -----------------------------------------------------------------------------------------
    // Errors
    // -----------------------------------------------------------------------------------------

    void readErrors_data()
    {
        QTest::addColumn<Query>("query");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("exact");
        const Query items = Query::from(u"items"_s);
        const QString unknownColumn = u"unknown column \"nope\" in table \"items\""_s;
        const QString readOnly = u"queries only read; change the state by committing events"_s;
        QTest::newRow("unknown table") << Query::from(u"x"_s) << u"unknown table \"x\""_s << true;
        QTest::newRow("unknown table, count") << Query::from(u"x"_s).count() << u"unknown table \"x\""_s << true;
        QTest::newRow("unknown column in where") << items.where(u"nope"_s, 1) << unknownColumn << true;
        QTest::newRow("unknown column in select") << items.select({u"id"_s, u"nope"_s}) << unknownColumn << true;
        QTest::newRow("unknown column in order") << items.orderBy(u"nope"_s) << unknownColumn << true;
        QTest::newRow("unknown column in whereNull") << items.whereNull(u"nope"_s) << unknownColumn << true;
        QTest::newRow("unknown column in In") << items.where(u"nope"_s, Query::In, QVariantList{})
                                              << unknownColumn << true;
        QTest::newRow("unknown column in count") << items.where(u"nope"_s, 1).count() << unknownColumn << true;
        QTest::newRow("first unknown column wins")
                << items.select({u"first"_s}).where(u"second"_s, 1)
                << u"unknown column \"first\" in table \"items\""_s << true;
        QTest::newRow("syntax error") << Query::sql(u"SELEC id FROM items"_s) << u"syntax error"_s << false;
        QTest::newRow("no such table") << Query::sql(u"SELECT * FROM nope"_s) << u"no such table: nope"_s << false;
        QTest::newRow("no such column") << Query::sql(u"SELECT nope FROM items"_s)
                                        << u"no such column: nope"_s << false;
        QTest::newRow("too few positional binds")
                << Query::sql(u"SELECT id FROM items WHERE qty > ? AND price < ?"_s, {1})
                << u"missing bind value 2 (the statement has 2 parameters, 1 values given)"_s << true;
        QTest::newRow("no positional binds") << Query::sql(u"SELECT id FROM items WHERE qty > ?"_s)
                                             << u"missing bind value 1 (the statement has 1 parameters, 0 values given)"_s
                                             << true;
        QTest::newRow("too many positional binds")
                << Query::sql(u"SELECT 1"_s, {1})
                << u"too many bind values: the statement has 0 parameters, 1 values given"_s << true;
        QTest::newRow("missing named bind") << Query::sql(u"SELECT id FROM items WHERE qty = $x"_s,
                                                          QVariantMap{{u"y"_s, 1}})
                                            << u"missing bind value for parameter $x"_s << true;
        QTest::newRow("named bind key with its prefix")
                << Query::sql(u"SELECT id FROM items WHERE qty = $x"_s, QVariantMap{{u"$x"_s, 1}})
                << u"missing bind value for parameter $x"_s << true;
        QTest::newRow("named parameter, positional binds")
                << Query::sql(u"SELECT id FROM items WHERE qty = $x"_s, QVariantList{1})
                << u"missing bind value for parameter $x"_s << true;
        QTest::newRow("raw delete") << Query::sql(u"DELETE FROM items"_s) << readOnly << true;
        QTest::newRow("raw insert") << Query::sql(u"INSERT INTO kv (id, a, b) VALUES ('z', 'z', 1)"_s)
                                    << readOnly << true;
        QTest::newRow("raw update") << Query::sql(u"UPDATE items SET qty = 0"_s) << readOnly << true;
        QTest::newRow("raw drop") << Query::sql(u"DROP TABLE items"_s) << readOnly << true;
        QTest::newRow("builder insert") << Query::insert(u"kv"_s, {{u"id"_s, u"z"_s}, {u"a"_s, u"z"_s}, {u"b"_s, 1}})
                                        << readOnly << true;
        QTest::newRow("builder update") << Query::update(u"items"_s, {{u"title"_s, u"x"_s}}) << readOnly << true;
        QTest::newRow("builder delete") << Query::remove(u"items"_s) << readOnly << true;
        QTest::newRow("builder delete returning") << Query::remove(u"items"_s).returning({u"id"_s})
                                                  << readOnly << true;
        QTest::newRow("two statements") << Query::sql(u"SELECT 1; DELETE FROM items"_s)
                                        << u"only one SQL statement is allowed here"_s << false;
        // SQLite would run "SELECT id FROM items" and drop the rest.
        QTest::newRow("NUL in the text")
                << Query::sql(u"SELECT id FROM items "_s + QChar(0) + u" WHERE qty = 12 ORDER BY id"_s)
                << u"the SQL text has a NUL character (U+0000) at 21, where SQLite would end it"_s << true;
        QTest::newRow("empty query") << Query() << u"empty query"_s << true;
        QTest::newRow("update without values") << Query::update(u"items"_s, {})
                                               << u"update of \"items\" sets no column"_s << true;
    }
    void readErrors()
    {
        QFETCH(Query, query);
        QFETCH(QString, error);
        QFETCH(bool, exact);
        const QueryResult r = m_store->query(query);
        QVERIFY(!r.isValid());
        QCOMPARE(r.rowCount(), 0);
        if (exact)
            QCOMPARE(r.errorString(), error);
        else
            QVERIFY2(r.errorString().contains(error), qPrintable(r.errorString()));
        // Nothing was written, and the store answers the next query.
        QCOMPARE(rowCount(*m_store, u"items"_s), 5);
        QCOMPARE(rowCount(*m_store, u"kv"_s), 0);
        QCOMPARE(idsOf(m_store->query(Query::from(u"items"_s).where(u"qty"_s, 12).orderBy(u"id"_s))),
                 (QStringList{u"b"_s, u"d"_s}));
        QCOMPARE(m_store->eventCount(), 5);
    }

    void errorsLeaveTheStoreWorking()
    {
        auto store = newStore(true);
        QVERIFY(store);
        QVERIFY(!store->query(Query::sql(u"SELECT id FROM items WHERE qty > ? AND price < ?"_s, {1})).isValid());
        // The same statement (from the cache) with enough binds.
        const QueryResult again = store->query(Query::sql(u"SELECT id FROM items WHERE qty > ? AND price < ?"_s,
                                                          {4, 3.0}));
        QVERIFY2(again.isValid(), qPrintable(again.errorString()));
        QCOMPARE(idsOf(again), (QStringList{u"a"_s, u"b"_s, u"e"_s}));
        QVERIFY(!store->query(Query::sql(u"DELETE FROM kv"_s)).isValid());
        QVERIFY(!store->query(Query::from(u"nope"_s)).isValid());
        QVERIFY(!store->query(Query::sql(u"SELEC"_s)).isValid());
        QVERIFY2(store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"after"_s, 1)), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"x"_s), kvMap(u"x"_s, u"after"_s, 1, QVariant()));
        QCOMPARE(store->eventCount(), 6);
    }

    // BEGIN, SAVEPOINT (and COMMIT/ROLLBACK) are "read-only" to sqlite3_stmt_readonly(), so the
    // read-only check of Store::query() lets them through and they open a transaction on the
    // store's connection, after which no commit can begin its own.
    void transactionControlIsNotAQuery_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::newRow("BEGIN") << u"BEGIN"_s;
        QTest::newRow("BEGIN IMMEDIATE") << u"BEGIN IMMEDIATE"_s;
        QTest::newRow("SAVEPOINT") << u"SAVEPOINT sp"_s;
    }
    void transactionControlIsNotAQuery()
    {
        QFETCH(QString, sql);
        auto store = newStore(false);
        QVERIFY(store);
        const QueryResult r = store->query(Query::sql(sql));
        const bool committed = store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"a"_s, 1));
        QVERIFY2(committed, qPrintable(store->errorString()));
        QCOMPARE(rowCount(*store, u"kv"_s), 1);
        QVERIFY2(!r.isValid(), "transaction control must be rejected by Store::query()");
    }

    // A materializer that ends the commit's transaction through its context: the writes after it
    // and the event are then written outside any transaction, and the commit reports a failure
    // for changes that stay.
    void transactionControlInMaterializer()
    {
        auto store = newStore(false);
        QVERIFY(store);
        rollbackResult() = QueryResult();
        const bool committed = store->commit(u"bad.Rollback"_s, {});
        const qint64 rows = rowCount(*store, u"kv"_s);
        const qint64 events = store->eventCount();
        // All or nothing, and the answer matches what happened.
        if (committed) {
            QCOMPARE(rows, 1);
            QCOMPARE(events, 1);
        } else {
            QCOMPARE(rows, 0);
            QCOMPARE(events, 0);
        }
        QVERIFY2(!rollbackResult().isValid(), "ROLLBACK through MaterializerContext::query() must be rejected");
    }

    // -----------------------------------------------------------------------------------------
    // Compiled SQL, keys, kinds
    // -----------------------------------------------------------------------------------------

    void compile_data()
    {
        QTest::addColumn<Query>("query");
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QVariantList>("binds");
        const Query items = Query::from(u"items"_s);
        const QVariantMap kvInsert{{u"id"_s, u"x"_s}, {u"a"_s, u"hello"_s}, {u"b"_s, 3}};
        const QString insertKv = uR"(INSERT INTO "kv" ("a", "b", "id") VALUES (?, ?, ?))"_s;
        const QVariantList kvBinds{u"hello"_s, 3, u"x"_s};
        auto row = [](const char *name, const Query &q, const QString &sql, const QVariantList &binds) {
            QTest::newRow(name) << q << sql << binds;
        };

        row("select *", items, uR"(SELECT * FROM "items")"_s, {});
        row("select with where, order, limit, offset",
            items.select({u"id"_s, u"title"_s}).where(u"done"_s, true).where(u"qty"_s, Query::Ge, 5)
                    .orderBy(u"price"_s, Query::Desc).orderBy(u"id"_s).limit(10).offset(20),
            uR"(SELECT "id", "title" FROM "items" WHERE "done" = ? AND "qty" >= ? ORDER BY "price" DESC, "id" ASC LIMIT ? OFFSET ?)"_s,
            {1, 5, qint64(10), qint64(20)});
        row("offset without limit", items.offset(3), uR"(SELECT * FROM "items" LIMIT ? OFFSET ?)"_s,
            {qint64(-1), qint64(3)});
        row("first", items.limit(7).first(), uR"(SELECT * FROM "items" LIMIT ?)"_s, {qint64(1)});
        row("null checks", items.where(u"rank"_s, QVariant()).whereNull(u"data"_s, false),
            uR"(SELECT * FROM "items" WHERE "rank" IS NULL AND "data" IS NOT NULL)"_s, {});
        row("all operators",
            items.where(u"qty"_s, Query::Ne, 1).where(u"qty"_s, Query::Lt, 2).where(u"qty"_s, Query::Gt, 3)
                    .where(u"qty"_s, Query::Le, 4).where(u"title"_s, Query::Like, u"%x%"_s)
                    .where(u"title"_s, Query::NotLike, u"y%"_s),
            uR"(SELECT * FROM "items" WHERE "qty" != ? AND "qty" < ? AND "qty" > ? AND "qty" <= ? AND "title" LIKE ? AND "title" NOT LIKE ?)"_s,
            {1, 2, 3, 4, u"%x%"_s, u"y%"_s});
        row("in and empty not in",
            items.where(u"id"_s, Query::In, QVariantList{u"a"_s, u"b"_s})
                    .where(u"qty"_s, Query::NotIn, QVariantList{}),
            uR"(SELECT * FROM "items" WHERE "id" IN (?, ?) AND 1 = 1)"_s, {u"a"_s, u"b"_s});
        row("empty in", items.where(u"id"_s, Query::In, QVariantList{}).where(u"qty"_s, 5),
            uR"(SELECT * FROM "items" WHERE 0 = 1 AND "qty" = ?)"_s, {5});
        row("not in booleans", items.where(u"done"_s, Query::NotIn, QVariantList{true, false}),
            uR"(SELECT * FROM "items" WHERE "done" NOT IN (?, ?))"_s, {1, 0});
        row("count", items.where(u"done"_s, false).orderBy(u"id"_s).limit(3).count(),
            uR"(SELECT COUNT(*) AS "count" FROM "items" WHERE "done" = ?)"_s, {0});
        row("datetime as UTC ISO text", items.where(u"at"_s, Query::Lt, withOffset(2024, 5, 1, 14, 0, 7200)),
            uR"(SELECT * FROM "items" WHERE "at" < ?)"_s, {u"2024-05-01T12:00:00.000Z"_s});
        row("json map", items.where(u"meta"_s, QVariantMap{{u"b"_s, 1}, {u"a"_s, true}}),
            uR"(SELECT * FROM "items" WHERE "meta" = ?)"_s, {u"{\"a\":true,\"b\":1}"_s});
        row("json scalars", items.where(u"meta"_s, 5).where(u"meta"_s, Query::In, QVariantList{true, u"x"_s}),
            uR"(SELECT * FROM "items" WHERE "meta" = ? AND "meta" IN (?, ?))"_s, {u"5"_s, u"true"_s, u"x"_s});
        row("blob", items.where(u"data"_s, QByteArray("\x01")), uR"(SELECT * FROM "items" WHERE "data" = ?)"_s,
            {QByteArray("\x01")});
        row("insert", Query::insert(u"kv"_s, kvInsert), insertKv, kvBinds);
        row("insert, on conflict ignore", Query::insert(u"kv"_s, kvInsert).onConflict({u"id"_s}, Query::Ignore),
            insertKv + uR"( ON CONFLICT ("id") DO NOTHING)"_s, kvBinds);
        row("insert, on conflict ignore without target", Query::insert(u"kv"_s, kvInsert).onConflict({}, Query::Ignore),
            insertKv + u" ON CONFLICT DO NOTHING"_s, kvBinds);
        row("insert, on conflict replace", Query::insert(u"kv"_s, kvInsert).onConflict({u"id"_s}, Query::Replace),
            uR"(INSERT OR REPLACE INTO "kv" ("a", "b", "id") VALUES (?, ?, ?))"_s, kvBinds);
        row("insert, on conflict update given columns",
            Query::insert(u"kv"_s, kvInsert)
                    .onConflict({u"id"_s}, Query::DoUpdate, {{u"c"_s, QVariant()}, {u"b"_s, 9}}),
            insertKv + uR"( ON CONFLICT ("id") DO UPDATE SET "b" = ?, "c" = ?)"_s,
            kvBinds + QVariantList{9, QVariant()});
        row("insert, on conflict update all", Query::insert(u"kv"_s, kvInsert).onConflict({u"id"_s}, Query::DoUpdate),
            insertKv + uR"( ON CONFLICT ("id") DO UPDATE SET "a" = excluded."a", "b" = excluded."b", "id" = excluded."id")"_s,
            kvBinds);
        row("insert, two-column conflict target",
            Query::insert(u"kv"_s, kvInsert).onConflict({u"id"_s, u"a"_s}, Query::Ignore),
            insertKv + uR"( ON CONFLICT ("id", "a") DO NOTHING)"_s, kvBinds);
        row("insert default values", Query::insert(u"counters"_s, {}),
            uR"(INSERT INTO "counters" DEFAULT VALUES)"_s, {});
        row("insert encodes by column",
            Query::insert(u"items"_s, {{u"at"_s, utc(2024, 5, 1, 12, 0)}, {u"done"_s, true},
                                       {u"meta"_s, QVariantList{1, u"x"_s}}, {u"id"_s, u"z"_s}, {u"rank"_s, QVariant()}}),
            uR"(INSERT INTO "items" ("at", "done", "id", "meta", "rank") VALUES (?, ?, ?, ?, ?))"_s,
            {u"2024-05-01T12:00:00.000Z"_s, 1, u"z"_s, u"[1,\"x\"]"_s, QVariant()});
        row("insert returning", Query::insert(u"kv"_s, {{u"id"_s, u"x"_s}}).returning({u"id"_s, u"b"_s}),
            uR"(INSERT INTO "kv" ("id") VALUES (?) RETURNING "id", "b")"_s, {u"x"_s});
        row("upsert returning",
            Query::insert(u"kv"_s, {{u"id"_s, u"x"_s}, {u"b"_s, 1}})
                    .onConflict({u"id"_s}, Query::DoUpdate, {{u"b"_s, 2}}).returning({u"b"_s}),
            uR"(INSERT INTO "kv" ("b", "id") VALUES (?, ?) ON CONFLICT ("id") DO UPDATE SET "b" = ? RETURNING "b")"_s,
            {1, u"x"_s, 2});
        row("update with where", Query::update(u"kv"_s, {{u"a"_s, u"z"_s}, {u"c"_s, QVariant()}}).where(u"id"_s, u"x"_s),
            uR"(UPDATE "kv" SET "a" = ?, "c" = ? WHERE "id" = ?)"_s, {u"z"_s, QVariant(), u"x"_s});
        row("update encodes", Query::update(u"items"_s, {{u"done"_s, true}}).where(u"qty"_s, Query::Lt, 3),
            uR"(UPDATE "items" SET "done" = ? WHERE "qty" < ?)"_s, {1, 3});
        row("update everything", Query::update(u"kv"_s, {{u"b"_s, 0}}), uR"(UPDATE "kv" SET "b" = ?)"_s, {0});
        row("update returning", Query::update(u"kv"_s, {{u"b"_s, 1}}).where(u"id"_s, u"x"_s).returning({u"b"_s}),
            uR"(UPDATE "kv" SET "b" = ? WHERE "id" = ? RETURNING "b")"_s, {1, u"x"_s});
        row("delete with where", Query::remove(u"kv"_s).where(u"b"_s, Query::Gt, 2).whereNull(u"c"_s),
            uR"(DELETE FROM "kv" WHERE "b" > ? AND "c" IS NULL)"_s, {2});
        row("delete everything", Query::remove(u"kv"_s), uR"(DELETE FROM "kv")"_s, {});
        row("delete returning", Query::remove(u"kv"_s).where(u"id"_s, u"x"_s).returning({u"id"_s}),
            uR"(DELETE FROM "kv" WHERE "id" = ? RETURNING "id")"_s, {u"x"_s});
        row("raw SQL encodes binds",
            Query::sql(u"SELECT ?, ?, ?, ?"_s, {true, utc(2024, 5, 1, 12, 0), QVariantMap{{u"k"_s, 1}}, 2.5}),
            u"SELECT ?, ?, ?, ?"_s, {1, u"2024-05-01T12:00:00.000Z"_s, u"{\"k\":1}"_s, 2.5});
    }
    void compile()
    {
        QFETCH(Query, query);
        QFETCH(QString, sql);
        QFETCH(QVariantList, binds);
        const Schema schema = querySchema();
        const Query::Compiled c = query.compile(&schema);
        QCOMPARE(c.error, QString());
        QCOMPARE(c.sql, sql);
        QCOMPARE(c.binds, binds);
        QCOMPARE(typeIds(c.binds), typeIds(binds));
        QVERIFY(c.namedBinds.isEmpty());
        QCOMPARE(c.table, query.tableName());
    }

    void compileNamedAndSchemaless()
    {
        const Query::Compiled named =
                Query::sql(u"SELECT id FROM items WHERE done = :d AND at > $t"_s,
                           QVariantMap{{u"d"_s, true}, {u"t"_s, utc(2024, 5, 1, 12, 0)}, {u"m"_s, QVariantList{1}}})
                        .compile();
        QCOMPARE(named.error, QString());
        QCOMPARE(named.sql, u"SELECT id FROM items WHERE done = :d AND at > $t"_s);
        QVERIFY(named.binds.isEmpty());
        QCOMPARE(named.table, QString());
        QCOMPARE(named.namedBinds, (QVariantMap{{u"d"_s, 1}, {u"t"_s, u"2024-05-01T12:00:00.000Z"_s},
                                                {u"m"_s, u"[1]"_s}}));
        QCOMPARE(named.namedBinds.value(u"d"_s).typeId(), QMetaType::Int);

        // Without a schema nothing is checked, and values get only the column-independent encoding.
        const Query::Compiled loose = Query::from(u"x"_s).where(u"y"_s, 5).where(u"z"_s, true).compile();
        QCOMPARE(loose.error, QString());
        QCOMPARE(loose.sql, uR"(SELECT * FROM "x" WHERE "y" = ? AND "z" = ?)"_s);
        QCOMPARE(loose.binds, (QVariantList{5, 1}));
        QCOMPARE(loose.binds.at(0).typeId(), QMetaType::Int); // a json column would make it "5"
        QCOMPARE(loose.table, u"x"_s);

        // Identifiers are quoted, quotes doubled.
        QCOMPARE(Query::from(u"we\"ird"_s).select({u"a b"_s}).compile().sql,
                 uR"(SELECT "a b" FROM "we""ird")"_s);
    }

    void compileErrors_data()
    {
        QTest::addColumn<Query>("query");
        QTest::addColumn<QString>("error");
        const QString nope = u"unknown column \"nope\" in table \"kv\""_s;
        const QVariantMap values{{u"id"_s, u"x"_s}, {u"a"_s, u"y"_s}, {u"b"_s, 1}};
        QTest::newRow("insert, unknown table") << Query::insert(u"x"_s, values) << u"unknown table \"x\""_s;
        QTest::newRow("insert, unknown column") << Query::insert(u"kv"_s, {{u"nope"_s, 1}}) << nope;
        QTest::newRow("conflict target") << Query::insert(u"kv"_s, values).onConflict({u"nope"_s}, Query::Ignore)
                                         << nope;
        QTest::newRow("conflict update")
                << Query::insert(u"kv"_s, values).onConflict({u"id"_s}, Query::DoUpdate, {{u"nope"_s, 1}}) << nope;
        QTest::newRow("returning") << Query::insert(u"kv"_s, values).returning({u"nope"_s}) << nope;
        QTest::newRow("update set") << Query::update(u"kv"_s, {{u"nope"_s, 1}}) << nope;
        QTest::newRow("update where") << Query::update(u"kv"_s, {{u"b"_s, 1}}).where(u"nope"_s, 1) << nope;
        QTest::newRow("delete where") << Query::remove(u"kv"_s).where(u"nope"_s, 1) << nope;
        QTest::newRow("delete, unknown table") << Query::remove(u"x"_s) << u"unknown table \"x\""_s;
        QTest::newRow("update without values") << Query::update(u"kv"_s, {}) << u"update of \"kv\" sets no column"_s;
        QTest::newRow("empty query") << Query() << u"empty query"_s;
    }
    void compileErrors()
    {
        QFETCH(Query, query);
        QFETCH(QString, error);
        const Schema schema = querySchema();
        QCOMPARE(query.compile(&schema).error, error);
    }

    void keysEqual_data()
    {
        QTest::addColumn<Query>("a");
        QTest::addColumn<Query>("b");
        const Query items = Query::from(u"items"_s);
        QTest::newRow("same builder query")
                << items.where(u"id"_s, u"a"_s).orderBy(u"id"_s).limit(3)
                << Query::from(u"items"_s).where(u"id"_s, u"a"_s).orderBy(u"id"_s).limit(3);
        QTest::newRow("same SQL, built in another order")
                << items.orderBy(u"id"_s).where(u"qty"_s, 1) << items.where(u"qty"_s, 1).orderBy(u"id"_s);
        QTest::newRow("copy") << items.where(u"done"_s, true) << Query(items.where(u"done"_s, true));
        QTest::newRow("same raw SQL") << Query::sql(u"SELECT ?"_s, {1}) << Query::sql(u"SELECT ?"_s, {1});
        QTest::newRow("same named binds") << Query::sql(u"SELECT $a, $b"_s, QVariantMap{{u"a"_s, 1}, {u"b"_s, u"x"_s}})
                                          << Query::sql(u"SELECT $a, $b"_s, QVariantMap{{u"b"_s, u"x"_s}, {u"a"_s, 1}});
        QTest::newRow("same datetime") << items.where(u"at"_s, utc(2024, 3, 1, 0, 0))
                                       << items.where(u"at"_s, withOffset(2024, 3, 1, 1, 0, 3600));
        QTest::newRow("same insert") << Query::insert(u"kv"_s, {{u"id"_s, u"x"_s}, {u"b"_s, 1}})
                                     << Query::insert(u"kv"_s, {{u"b"_s, 1}, {u"id"_s, u"x"_s}});
    }
    void keysEqual()
    {
        QFETCH(Query, a);
        QFETCH(Query, b);
        QCOMPARE(a.key(), b.key());
        QVERIFY(a == b);
        QVERIFY(!a.key().isEmpty());
    }

    void keysDiffer_data()
    {
        QTest::addColumn<Query>("a");
        QTest::addColumn<Query>("b");
        const Query items = Query::from(u"items"_s);
        QTest::newRow("bind value") << items.where(u"id"_s, u"a"_s) << items.where(u"id"_s, u"b"_s);
        QTest::newRow("bind type") << items.where(u"title"_s, 1) << items.where(u"title"_s, u"1"_s);
        QTest::newRow("column") << items.where(u"id"_s, u"a"_s) << items.where(u"title"_s, u"a"_s);
        QTest::newRow("operator") << items.where(u"qty"_s, Query::Lt, 1) << items.where(u"qty"_s, Query::Le, 1);
        QTest::newRow("table") << Query::from(u"items"_s) << Query::from(u"kv"_s);
        QTest::newRow("limit") << items.limit(1) << items.limit(2);
        QTest::newRow("order") << items.orderBy(u"id"_s) << items.orderBy(u"id"_s, Query::Desc);
        QTest::newRow("null or empty") << items.where(u"title"_s, QVariant()) << items.where(u"title"_s, u""_s);
        QTest::newRow("count") << items << items.count();
        QTest::newRow("millisecond") << items.where(u"at"_s, utc(2024, 1, 1, 0, 0, 0, 1))
                                     << items.where(u"at"_s, utc(2024, 1, 1, 0, 0, 0, 2));
        QTest::newRow("raw bind") << Query::sql(u"SELECT ?"_s, {1}) << Query::sql(u"SELECT ?"_s, {2});
        QTest::newRow("named bind") << Query::sql(u"SELECT $a"_s, QVariantMap{{u"a"_s, 1}})
                                    << Query::sql(u"SELECT $a"_s, QVariantMap{{u"a"_s, 2}});
        QTest::newRow("named bind name") << Query::sql(u"SELECT $a"_s, QVariantMap{{u"a"_s, 1}})
                                         << Query::sql(u"SELECT $a"_s, QVariantMap{{u"b"_s, 1}});
        QTest::newRow("insert value") << Query::insert(u"kv"_s, {{u"id"_s, u"x"_s}})
                                      << Query::insert(u"kv"_s, {{u"id"_s, u"y"_s}});
        // Blobs that are not UTF-8: QVariant::toString() turns both into U+FFFD.
        QTest::newRow("blob bind") << items.where(u"data"_s, QByteArray("\xff"))
                                   << items.where(u"data"_s, QByteArray("\xfe"));
        // Binds are joined with a separator that a string bind may itself contain.
        const QString sep = QChar(0x1f) + u"10:"_s;
        QTest::newRow("separator inside a string bind")
                << items.where(u"id"_s, Query::In, QVariantList{QString(u"a"_s + sep + u"b"_s), u"c"_s})
                << items.where(u"id"_s, Query::In, QVariantList{u"a"_s, QString(u"b"_s + sep + u"c"_s)});
    }
    void keysDiffer()
    {
        QFETCH(Query, a);
        QFETCH(Query, b);
        QVERIFY2(a.key() != b.key(), qPrintable(a.key()));
        QVERIFY(!(a == b));
    }

    void kinds_data()
    {
        QTest::addColumn<Query>("query");
        QTest::addColumn<int>("kind");
        QTest::addColumn<bool>("isWrite");
        QTest::addColumn<QString>("table");
        auto row = [](const char *name, const Query &q, Query::Kind kind, bool isWrite, const QString &table) {
            QTest::newRow(name) << q << int(kind) << isWrite << table;
        };
        const QString items = u"items"_s;
        const QString kv = u"kv"_s;
        row("from", Query::from(items), Query::Select, false, items);
        row("from, refined", Query::from(items).where(u"id"_s, 1).first(), Query::Select, false, items);
        row("count", Query::from(items).count(), Query::Count, false, items);
        row("insert", Query::insert(kv, {{u"id"_s, u"x"_s}}), Query::Insert, true, kv);
        row("upsert", Query::insert(kv, {{u"id"_s, u"x"_s}}).onConflict({u"id"_s}, Query::DoUpdate),
            Query::Insert, true, kv);
        row("update", Query::update(kv, {{u"b"_s, 1}}).where(u"id"_s, u"x"_s), Query::Update, true, kv);
        row("remove", Query::remove(kv), Query::Delete, true, kv);
        row("raw select", Query::sql(u"SELECT 1"_s), Query::RawSql, false, QString());
        row("raw select, lower case, indented", Query::sql(u"  \n select 1"_s), Query::RawSql, false, QString());
        row("raw with", Query::sql(u"WITH c AS (SELECT 1) SELECT * FROM c"_s), Query::RawSql, false, QString());
        row("raw values", Query::sql(u"VALUES (1)"_s), Query::RawSql, false, QString());
        row("raw pragma", Query::sql(u"PRAGMA table_info(items)"_s), Query::RawSql, false, QString());
        row("raw insert", Query::sql(u"INSERT INTO kv VALUES ('a', 'b', 1, NULL)"_s), Query::RawSql, true, QString());
        row("raw update", Query::sql(u"update kv set b = 1"_s), Query::RawSql, true, QString());
        row("raw delete", Query::sql(u"DELETE FROM kv"_s), Query::RawSql, true, QString());
        row("raw replace", Query::sql(u"REPLACE INTO kv VALUES ('a', 'b', 1, NULL)"_s), Query::RawSql, true,
            QString());
    }
    void kinds()
    {
        QFETCH(Query, query);
        QFETCH(int, kind);
        QFETCH(bool, isWrite);
        QFETCH(QString, table);
        QCOMPARE(int(query.kind()), kind);
        QCOMPARE(query.isWrite(), isWrite);
        QCOMPARE(query.tableName(), table);
        QVERIFY(!query.isNull());
    }

    void nullQuery()
    {
        const Query q;
        QVERIFY(q.isNull());
        QCOMPARE(q.kind(), Query::RawSql);
        QVERIFY(!q.isWrite());
        QCOMPARE(q.tableName(), QString());
        QCOMPARE(q.compile().error, u"empty query"_s);
        // Refining a null query gives a real one.
        QVERIFY(!q.limit(1).isNull());
    }

    // -----------------------------------------------------------------------------------------
    // C++ materializers writing through the builder
    // -----------------------------------------------------------------------------------------

    void materializerInsert()
    {
        auto store = newStore(false);
        QVERIFY(store);
        QVERIFY2(store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"hello"_s, 1, 7)), qPrintable(store->errorString()));
        QVERIFY2(store->commit(kvPut(u"kv.Put"_s, u"y"_s, u"world"_s, 2)), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"x"_s), kvMap(u"x"_s, u"hello"_s, 1, qint64(7)));
        QCOMPARE(kvRow(*store, u"y"_s), kvMap(u"y"_s, u"world"_s, 2, QVariant()));

        // A plain insert of an existing key fails the commit and changes nothing.
        QVERIFY(!store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"again"_s, 5)));
        QVERIFY2(store->errorString().contains(u"UNIQUE constraint failed: kv.id"_s), qPrintable(store->errorString()));
        QVERIFY2(store->errorString().contains(u"materializer of event \"kv.Put\""_s), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"x"_s), kvMap(u"x"_s, u"hello"_s, 1, qint64(7)));
        QCOMPARE(store->eventCount(), 2);

        // Into every column type, as the seed does.
        QVERIFY2(store->commit(seedEvents()), qPrintable(store->errorString()));
        QCOMPARE(rowCount(*store, u"items"_s), 5);
    }

    void materializerOnConflict_data()
    {
        QTest::addColumn<QString>("event");
        QTest::addColumn<QVariantMap>("afterConflict");
        QTest::newRow("ignore") << u"kv.PutIgnore"_s << kvMap(u"x"_s, u"old"_s, 1, qint64(7));
        QTest::newRow("replace") << u"kv.PutReplace"_s << kvMap(u"x"_s, u"new"_s, 2, QVariant());
        QTest::newRow("update given columns") << u"kv.PutUpdateB"_s << kvMap(u"x"_s, u"old"_s, 2, qint64(7));
        QTest::newRow("update inserted columns") << u"kv.PutUpdateAll"_s << kvMap(u"x"_s, u"new"_s, 2, qint64(7));
    }
    void materializerOnConflict()
    {
        QFETCH(QString, event);
        QFETCH(QVariantMap, afterConflict);
        auto store = newStore(false);
        QVERIFY(store);
        QVERIFY2(store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"old"_s, 1, 7)), qPrintable(store->errorString()));
        QVERIFY2(store->commit(kvPut(u"kv.Put"_s, u"w"_s, u"other"_s, 4, 8)), qPrintable(store->errorString()));
        // The conflicting insert succeeds ...
        QVERIFY2(store->commit(kvPut(event, u"x"_s, u"new"_s, 2)), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"x"_s), afterConflict);
        // ... leaves other rows alone ...
        QCOMPARE(kvRow(*store, u"w"_s), kvMap(u"w"_s, u"other"_s, 4, qint64(8)));
        // ... and without a conflict it is a plain insert.
        QVERIFY2(store->commit(kvPut(event, u"y"_s, u"fresh"_s, 3, 5)), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"y"_s), kvMap(u"y"_s, u"fresh"_s, 3, qint64(5)));
        QCOMPARE(rowCount(*store, u"kv"_s), 3);
        QCOMPARE(store->eventCount(), 4);
    }

    void materializerUpdateAndRemove()
    {
        auto store = newStore(false);
        QVERIFY(store);
        QVERIFY(store->commit(QList<Event>{kvPut(u"kv.Put"_s, u"x"_s, u"one"_s, 1),
                                           kvPut(u"kv.Put"_s, u"y"_s, u"two"_s, 2, 20),
                                           kvPut(u"kv.Put"_s, u"z"_s, u"three"_s, 3)}));
        QVERIFY2(store->commit(u"kv.SetB"_s, {{u"id"_s, u"y"_s}, {u"b"_s, 42}}), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"y"_s), kvMap(u"y"_s, u"two"_s, 42, qint64(20)));
        QCOMPARE(kvRow(*store, u"x"_s), kvMap(u"x"_s, u"one"_s, 1, QVariant()));
        QCOMPARE(kvRow(*store, u"z"_s), kvMap(u"z"_s, u"three"_s, 3, QVariant()));
        // Updating a missing row is no error and changes nothing.
        QVERIFY2(store->commit(u"kv.SetB"_s, {{u"id"_s, u"nope"_s}, {u"b"_s, 0}}), qPrintable(store->errorString()));
        QCOMPARE(rowCount(*store, u"kv"_s), 3);

        QVERIFY2(store->commit(u"kv.Remove"_s, {{u"id"_s, u"x"_s}}), qPrintable(store->errorString()));
        QCOMPARE(idsOf(store->query(Query::from(u"kv"_s).orderBy(u"id"_s))), (QStringList{u"y"_s, u"z"_s}));
        QVERIFY2(store->commit(u"kv.Remove"_s, {{u"id"_s, u"x"_s}}), qPrintable(store->errorString()));
        QCOMPARE(rowCount(*store, u"kv"_s), 2);
        QCOMPARE(store->eventCount(), 7);
    }

    void materializerSeveralWrites()
    {
        auto store = newStore(false);
        QVERIFY(store);
        QVERIFY(store->commit(kvPut(u"kv.Put"_s, u"pre"_s, u"p"_s, 0)));
        QVERIFY(store->commit(kvPut(u"kv.Put"_s, u"keep"_s, u"k"_s, 0)));
        QVERIFY2(store->commit(u"kv.Multi"_s, {{u"id"_s, u"m"_s}}), qPrintable(store->errorString()));
        const QueryResult r = store->query(Query::from(u"kv"_s).orderBy(u"id"_s));
        QCOMPARE(r.toMaps(), (QVariantList{kvMap(u"keep"_s, u"k"_s, 0, QVariant()),
                                           kvMap(u"m-1"_s, u"multi"_s, 1, qint64(99)),
                                           kvMap(u"m-2"_s, u"multi"_s, 2, qint64(99))}));
        // The writes run in one transaction: when the second insert fails, the first is undone.
        QVERIFY(store->commit(u"kv.Remove"_s, {{u"id"_s, u"m-1"_s}}));
        const QueryResult before = store->query(Query::from(u"kv"_s).orderBy(u"id"_s));
        QCOMPARE(idsOf(before), (QStringList{u"keep"_s, u"m-2"_s}));
        QVERIFY(!store->commit(u"kv.Multi"_s, {{u"id"_s, u"m"_s}}));
        QVERIFY2(store->errorString().contains(u"UNIQUE constraint failed: kv.id"_s), qPrintable(store->errorString()));
        QVERIFY(store->query(Query::from(u"kv"_s).orderBy(u"id"_s)) == before);
    }

    void materializerReadsEarlierEventsOfTheCommit()
    {
        auto store = newStore(false);
        QVERIFY(store);
        counterReads().clear();
        const Event bumpA{u"counter.Bump"_s, {{u"id"_s, u"a"_s}}};
        const Event bumpB{u"counter.Bump"_s, {{u"id"_s, u"b"_s}}};
        const Event doubleA{u"counter.Double"_s, {{u"id"_s, u"a"_s}}};
        QVERIFY2(store->commit(QList<Event>{bumpA, bumpA, bumpB, bumpA}), qPrintable(store->errorString()));
        QCOMPARE(counterReads(), (QList<QVariant>{QVariant(), qint64(1), QVariant(), qint64(2)}));
        QCOMPARE(counterReads().at(1).typeId(), QMetaType::LongLong);
        const QueryResult counters = store->query(Query::from(u"counters"_s).orderBy(u"id"_s));
        QCOMPARE(counters.rows(), (QList<QVariantList>{{u"a"_s, qint64(3)}, {u"b"_s, qint64(1)}}));

        // Raw SQL reads through the context too, and see the previous commit.
        counterReads().clear();
        QVERIFY2(store->commit(QList<Event>{doubleA, bumpA, doubleA}), qPrintable(store->errorString()));
        QCOMPARE(counterReads(), (QList<QVariant>{qint64(3), qint64(6), qint64(7)}));
        QCOMPARE(store->query(u"SELECT value FROM counters WHERE id = 'a'"_s).scalar(), QVariant(qint64(14)));

        // A failed commit's reads are undone with its writes.
        counterReads().clear();
        QVERIFY(!store->commit(QList<Event>{bumpA, {u"bad.Read"_s, {}}}));
        QCOMPARE(counterReads(), QList<QVariant>{qint64(14)});
        QCOMPARE(store->query(u"SELECT value FROM counters WHERE id = 'a'"_s).scalar(), QVariant(qint64(14)));
    }

    void materializerReturnsRead_data()
    {
        QTest::addColumn<QString>("event");
        QTest::newRow("select") << u"bad.Read"_s;
        QTest::newRow("count") << u"bad.Count"_s;
    }
    void materializerReturnsRead()
    {
        QFETCH(QString, event);
        auto store = newStore(false);
        QVERIFY(store);
        QVERIFY(!store->commit(QList<Event>{kvPut(u"kv.Put"_s, u"x"_s, u"a"_s, 1), {event, {}}}));
        const QString error = store->errorString();
        QVERIFY2(error.contains(u"returned a read query; materializers return writes"_s), qPrintable(error));
        QVERIFY2(error.contains(u"materializer of event \"%1\""_s.arg(event)), qPrintable(error));
        // The whole batch was rejected.
        QCOMPARE(rowCount(*store, u"kv"_s), 0);
        QCOMPARE(store->eventCount(), 0);
        QCOMPARE(store->head(), SequenceNumber::root());
        // And the store goes on.
        QVERIFY2(store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"a"_s, 1)), qPrintable(store->errorString()));
        QCOMPARE(kvRow(*store, u"x"_s), kvMap(u"x"_s, u"a"_s, 1, QVariant()));
        QCOMPARE(store->head(), (SequenceNumber{1, 0, 0}));
    }

    void materializerUnknownColumn()
    {
        auto store = newStore(false);
        QVERIFY(store);
        QVERIFY(!store->commit(u"bad.Column"_s, {}));
        QVERIFY2(store->errorString().contains(u"unknown column \"nope\" in table \"kv\""_s),
                 qPrintable(store->errorString()));
        QVERIFY2(store->errorString().contains(u"materializer of event \"bad.Column\""_s),
                 qPrintable(store->errorString()));
        QCOMPARE(store->eventCount(), 0);
        QVERIFY(store->commit(kvPut(u"kv.Put"_s, u"x"_s, u"a"_s, 1)));
    }

    // -----------------------------------------------------------------------------------------
    // SQL materializers
    // -----------------------------------------------------------------------------------------

    void sqlMaterializers()
    {
        auto store = newStore(true);
        QVERIFY(store);
        QVERIFY2(store->commit(u"item.Renamed"_s, {{u"id"_s, u"a"_s}, {u"title"_s, u"Apricot"_s}}),
                 qPrintable(store->errorString()));
        QCOMPARE(store->query(Query::from(u"items"_s).select({u"title"_s}).where(u"id"_s, u"a"_s)).scalar(),
                 QVariant(u"Apricot"_s));
        QVERIFY2(store->commit(u"item.DoneSet"_s, {{u"id"_s, u"e"_s}, {u"done"_s, true}}),
                 qPrintable(store->errorString()));
        QCOMPARE(idsOf(store->query(Query::from(u"items"_s).where(u"done"_s, true).orderBy(u"id"_s))),
                 (QStringList{u"a"_s, u"c"_s, u"e"_s}));
        QCOMPARE(store->query(u"SELECT typeof(done) || ':' || done FROM items WHERE id = 'e'"_s).scalar(),
                 QVariant(u"integer:1"_s));

        // Two statements: copy c to z, then delete c.
        const QVariantMap c = store->query(Query::from(u"items"_s).where(u"id"_s, u"c"_s)).rowMap(0);
        QVERIFY2(store->commit(u"item.Moved"_s, {{u"from"_s, u"c"_s}, {u"to"_s, u"z"_s}}),
                 qPrintable(store->errorString()));
        QVERIFY(store->query(Query::from(u"items"_s).where(u"id"_s, u"c"_s)).isEmpty());
        QVariantMap z = store->query(Query::from(u"items"_s).where(u"id"_s, u"z"_s)).rowMap(0);
        QCOMPARE(z.value(u"id"_s), QVariant(u"z"_s));
        z.insert(u"id"_s, u"c"_s);
        QCOMPARE(z, c);
        QCOMPARE(z.value(u"data"_s), QVariant(QByteArray("\x00\xff", 2)));
        QCOMPARE(rowCount(*store, u"items"_s), 5);
    }

    // Text written to a json column by raw SQL: JSON is decoded, anything else comes back as the
    // text it is (docs/cpp-api.md, "How values are encoded").
    void jsonColumnText_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QVariant>("expected");
        QTest::newRow("object") << u"{\"k\":[1,2]}"_s << QVariant(QVariantMap{{u"k"_s, QVariantList{1, 2}}});
        QTest::newRow("array") << u"[true,\"s\"]"_s << QVariant(QVariantList{true, u"s"_s});
        QTest::newRow("number") << u"42"_s << QVariant(qint64(42));
        QTest::newRow("real") << u"2.5"_s << QVariant(2.5);
        QTest::newRow("JSON string") << u"\"hi\""_s << QVariant(u"hi"_s);
        QTest::newRow("true") << u"true"_s << QVariant(true);
        QTest::newRow("not JSON") << u"hello"_s << QVariant(u"hello"_s);
        QTest::newRow("broken object") << u"{oops"_s << QVariant(u"{oops"_s);
        QTest::newRow("object and more") << u"[1] x"_s << QVariant(u"[1] x"_s);
        QTest::newRow("two values") << u"1,2"_s << QVariant(u"1,2"_s);
        QTest::newRow("two strings") << u"\"a\",\"b\""_s << QVariant(u"\"a\",\"b\""_s);
        QTest::newRow("empty text") << u""_s << QVariant(u""_s);
    }
    void jsonColumnText()
    {
        QFETCH(QString, text);
        QFETCH(QVariant, expected);
        auto store = newStore(true);
        QVERIFY(store);
        QVERIFY2(store->commit(u"item.MetaText"_s, {{u"id"_s, u"a"_s}, {u"text"_s, text}}),
                 qPrintable(store->errorString()));
        QCOMPARE(store->query(u"SELECT meta || '' FROM items WHERE id = 'a'"_s).scalar(), QVariant(text));
        const QVariant v = store->query(Query::from(u"items"_s).select({u"meta"_s}).where(u"id"_s, u"a"_s)).scalar();
        QCOMPARE(v.typeId(), expected.typeId());
        QCOMPARE(v, expected);
    }
};

QTEST_GUILESS_MAIN(tst_Queries)
#include "tst_queries.moc"
