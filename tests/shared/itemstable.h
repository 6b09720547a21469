// SPDX-License-Identifier: BSD-3-Clause
// The `items` table of the live-query tests (tst_incrementalmodel, fuzz_livequery): a text key,
// a text and a nullable integer that make ties and NULLs, a real, a boolean and a group.
#ifndef LIVESTORE_TEST_ITEMSTABLE_H
#define LIVESTORE_TEST_ITEMSTABLE_H

#include <schema.h>

namespace LiveStoreTest {

inline LiveStore::TableDef itemsTable()
{
    using namespace LiveStore;
    using namespace Qt::StringLiterals;
    return TableDef{u"items"_s}
            .column(ColumnDef::text(u"id"_s).primaryKey())
            .column(ColumnDef::text(u"title"_s).withDefault(u""_s))
            .column(ColumnDef::integer(u"rank"_s).nullable())
            .column(ColumnDef::real(u"score"_s).withDefault(0.0))
            .column(ColumnDef::boolean(u"done"_s).withDefault(false))
            .column(ColumnDef::text(u"grp"_s).withDefault(u"a"_s));
}

} // namespace LiveStoreTest

#endif // LIVESTORE_TEST_ITEMSTABLE_H
