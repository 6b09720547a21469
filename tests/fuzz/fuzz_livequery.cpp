// SPDX-License-Identifier: BSD-3-Clause
// A live query's SQL, as an app or the QML `sql` property hands it over: SelectShape reads it
// (queries of some shapes follow rows instead of re-running), and whatever it decides, the live
// result after commits that insert, change, move and delete rows must equal a fresh run of the
// SQL the live query runs. Nothing may crash, whatever the text.
#include "fuzztarget.h"
#include "itemstable.h"

#include <incrementalplan_p.h>
#include <reactive_p.h>
#include <selectshape_p.h>
#include <store.h>

#include <QtCore/qcoreapplication.h>

#include <cstdio>
#include <cstdlib>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

Schema itemSchema()
{
    Schema s;
    s.addTable(LiveStoreTest::itemsTable());
    s.addEvent(EventDef::synced(u"created"_s)
                       .arg(u"id"_s, ArgType::String).arg(u"title"_s, ArgType::String).arg(u"rank"_s, ArgType::Integer)
                       .materializeSql({u"INSERT INTO items (id, title, rank) VALUES ($id, $title, $rank)"_s}));
    s.addEvent(EventDef::synced(u"changed"_s)
                       .arg(u"id"_s, ArgType::String).arg(u"title"_s, ArgType::String).arg(u"rank"_s, ArgType::Integer)
                       .materializeSql({u"UPDATE items SET title = $title, rank = $rank, done = 1 - done WHERE id = $id"_s}));
    s.addEvent(EventDef::synced(u"deleted"_s)
                       .arg(u"id"_s, ArgType::String)
                       .materializeSql({u"DELETE FROM items WHERE id = $id"_s}));
    return s;
}

Store &store()
{
    static Store *s = [] {
        static int argc = 1;
        static char name[] = "fuzz_livequery";
        static char *argv[] = {name, nullptr};
        static QCoreApplication app(argc, argv);
        auto *opened = new Store;
        if (!opened->open({.storeId = u"fuzz"_s, .schema = itemSchema(), .inMemory = true}))
            std::abort();
        for (int i = 0; i < 30; ++i) {
            opened->commit(u"created"_s, {{u"id"_s, u"i%1"_s.arg(i)}, {u"title"_s, u"t%1"_s.arg(i % 7)},
                                          {u"rank"_s, i % 5}});
        }
        return opened;
    }();
    return *s;
}

[[noreturn]] void mismatch(const QString &sql, const char *what)
{
    std::fprintf(stderr, "live query differs from a fresh run (%s) for: %s\n", what, qPrintable(sql));
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QString sql = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    (void)detail::SelectShape::parse(sql);

    Store &s = store();
    const LiveQuery live = s.liveQuery(Query::sql(sql));
    const Subscription observed = live.subscribe([](const QueryResult &) { });
    if (!live.result().isValid())
        return 0;
    const detail::Node *node = detail::Graph::nodeOf(live);
    const Query executed = node->plan ? node->plan->executedQuery() : Query::sql(sql);

    // A new row, a change that moves a row and flips `done` (twice), and the new row gone again:
    // the table keeps its 30 rows from input to input.
    static int run = 0;
    const QString id = u"n%1"_s.arg(run++);
    const QString moved = u"i%1"_s.arg(run % 30);
    const QList<std::pair<QString, QVariantMap>> steps = {
        {u"created"_s, {{u"id"_s, id}, {u"title"_s, u"t%1"_s.arg(run % 9)}, {u"rank"_s, run % 6}}},
        {u"changed"_s, {{u"id"_s, moved}, {u"title"_s, u"t%1"_s.arg((run + 3) % 7)}, {u"rank"_s, (run + 1) % 5}}},
        {u"deleted"_s, {{u"id"_s, id}}},
        {u"changed"_s, {{u"id"_s, moved}, {u"title"_s, u"t%1"_s.arg(run % 7)}, {u"rank"_s, run % 5}}},
    };
    for (const auto &[name, args] : steps) {
        if (!s.commit(name, args))
            std::abort();
        const QueryResult fresh = s.query(executed);
        const QueryResult followed = live.result();
        if (fresh.isValid() != followed.isValid())
            mismatch(sql, "validity");
        if (fresh.isValid() && (fresh.columns() != followed.columns() || fresh.rows() != followed.rows()))
            mismatch(sql, qPrintable(name));
    }
    return 0;
}
