// SPDX-License-Identifier: BSD-3-Clause
// The todo schema used across tests and the benchmark, declared with the C++ builder API.
#ifndef LIVESTORE_TESTS_TODOSCHEMA_H
#define LIVESTORE_TESTS_TODOSCHEMA_H

#include <schema.h>

namespace LiveStoreTest {

using namespace LiveStore;

// Table todos(id text pk, text text, completed boolean, deletedAt integer nullable) and the
// v1.Todo* events, with SQL materializers (as a schema file would have them) or C++ ones.
inline Schema todoSchema(bool cppMaterializers = false)
{
    using namespace Qt::StringLiterals;
    Schema schema;
    schema.addTable(TableDef{u"todos"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::text(u"text"_s).withDefault(u""_s))
                            .column(ColumnDef::boolean(u"completed"_s).withDefault(false))
                            .column(ColumnDef::integer(u"deletedAt"_s).nullable()));
    schema.addClientDocument({u"uiState"_s, u"default"_s,
                              QJsonObject{{u"newTodoText"_s, u""_s}, {u"filter"_s, u"all"_s}}});
    if (cppMaterializers) {
        schema.addEvent(EventDef::synced(u"v1.TodoCreated"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"text"_s, ArgType::String)
                                .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::insert(u"todos"_s, {{u"id"_s, e.arg(u"id"_s)},
                                                                       {u"text"_s, e.arg(u"text"_s)}})};
                                }));
        schema.addEvent(EventDef::synced(u"v1.TodoCompleted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::update(u"todos"_s, {{u"completed"_s, true}})
                                                    .where(u"id"_s, e.arg(u"id"_s))};
                                }));
        schema.addEvent(EventDef::synced(u"v1.TodoUncompleted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::update(u"todos"_s, {{u"completed"_s, false}})
                                                    .where(u"id"_s, e.arg(u"id"_s))};
                                }));
        schema.addEvent(EventDef::synced(u"v1.TodoDeleted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"deletedAt"_s, ArgType::Integer)
                                .materialize([](const EventRecord &e, MaterializerContext &) -> Writes {
                                    return {Query::update(u"todos"_s, {{u"deletedAt"_s, e.arg(u"deletedAt"_s)}})
                                                    .where(u"id"_s, e.arg(u"id"_s))};
                                }));
    } else {
        schema.addEvent(EventDef::synced(u"v1.TodoCreated"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"text"_s, ArgType::String)
                                .materializeSql({u"INSERT INTO todos (id, text) VALUES ($id, $text)"_s}));
        schema.addEvent(EventDef::synced(u"v1.TodoCompleted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materializeSql({u"UPDATE todos SET completed = 1 WHERE id = $id"_s}));
        schema.addEvent(EventDef::synced(u"v1.TodoUncompleted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .materializeSql({u"UPDATE todos SET completed = 0 WHERE id = $id"_s}));
        schema.addEvent(EventDef::synced(u"v1.TodoDeleted"_s)
                                .arg(u"id"_s, ArgType::String)
                                .arg(u"deletedAt"_s, ArgType::Integer)
                                .materializeSql({u"UPDATE todos SET deletedAt = $deletedAt WHERE id = $id"_s}));
    }
    schema.addEvent(EventDef::synced(u"v1.TodoClearedCompleted"_s)
                            .arg(u"deletedAt"_s, ArgType::Integer)
                            .materializeSql({u"UPDATE todos SET deletedAt = $deletedAt WHERE completed = 1 AND deletedAt IS NULL"_s}));
    return schema;
}

// LiveStore's TodoMVC schema, as examples/schemas/todos.json declares it (without its extension
// v1.TodoEdited): dates travel as ISO-8601 text (Schema.Date) and todos.deletedAt holds epoch
// milliseconds (datetimeInteger, LiveStore's integer column with Schema.DateFromNumber); uiState
// has a per-session default id. With C++ materializers, the query builder turns the ISO text into
// milliseconds for the datetimeInteger column; the SQL ones say epoch_ms($deletedAt).
inline Schema todoMvcSchema(bool cppMaterializers = false)
{
    using namespace Qt::StringLiterals;
    Schema schema;
    schema.addTable(TableDef{u"todos"_s}
                            .column(ColumnDef::text(u"id"_s).primaryKey())
                            .column(ColumnDef::text(u"text"_s).withDefault(u""_s))
                            .column(ColumnDef::boolean(u"completed"_s).withDefault(false))
                            .column(ColumnDef::dateTimeInteger(u"deletedAt"_s).nullable()));
    ClientDocumentDef uiState{u"uiState"_s, ClientDocumentDef::sessionIdDefault(),
                              QJsonObject{{u"newTodoText"_s, u""_s}, {u"filter"_s, u"all"_s}}};
    uiState.valueSchema = ArgDef::structOf({}, {ArgDef{u"newTodoText"_s, ArgType::String},
                                                ArgDef::literal(u"filter"_s, {u"all"_s, u"active"_s, u"completed"_s})});
    schema.addClientDocument(uiState);
    auto sqlOrCpp = [cppMaterializers](EventDef def, const QString &sql, Materializer cpp) {
        return cppMaterializers ? def.materialize(std::move(cpp)) : def.materializeSql({sql});
    };
    auto update = [](const QVariantMap &values, const QString &column, const QVariant &value) {
        return Writes{Query::update(u"todos"_s, values).where(column, value)};
    };
    schema.addEvent(sqlOrCpp(EventDef::synced(u"v1.TodoCreated"_s).arg(u"id"_s, ArgType::String).arg(u"text"_s, ArgType::String),
                             u"INSERT INTO todos (id, text, completed) VALUES ($id, $text, 0)"_s,
                             [](const EventRecord &e, MaterializerContext &) -> Writes {
                                 return {Query::insert(u"todos"_s, {{u"id"_s, e.arg(u"id"_s)}, {u"text"_s, e.arg(u"text"_s)},
                                                                    {u"completed"_s, false}})};
                             }));
    schema.addEvent(sqlOrCpp(EventDef::synced(u"v1.TodoCompleted"_s).arg(u"id"_s, ArgType::String),
                             u"UPDATE todos SET completed = 1 WHERE id = $id"_s,
                             [update](const EventRecord &e, MaterializerContext &) {
                                 return update({{u"completed"_s, true}}, u"id"_s, e.arg(u"id"_s));
                             }));
    schema.addEvent(sqlOrCpp(EventDef::synced(u"v1.TodoUncompleted"_s).arg(u"id"_s, ArgType::String),
                             u"UPDATE todos SET completed = 0 WHERE id = $id"_s,
                             [update](const EventRecord &e, MaterializerContext &) {
                                 return update({{u"completed"_s, false}}, u"id"_s, e.arg(u"id"_s));
                             }));
    schema.addEvent(sqlOrCpp(EventDef::synced(u"v1.TodoDeleted"_s).arg(u"id"_s, ArgType::String).arg(u"deletedAt"_s, ArgType::DateTime),
                             u"UPDATE todos SET deletedAt = epoch_ms($deletedAt) WHERE id = $id"_s,
                             [update](const EventRecord &e, MaterializerContext &) {
                                 return update({{u"deletedAt"_s, e.arg(u"deletedAt"_s)}}, u"id"_s, e.arg(u"id"_s));
                             }));
    schema.addEvent(sqlOrCpp(EventDef::synced(u"v1.TodoClearedCompleted"_s).arg(u"deletedAt"_s, ArgType::DateTime),
                             u"UPDATE todos SET deletedAt = epoch_ms($deletedAt) WHERE completed = 1"_s,
                             [update](const EventRecord &e, MaterializerContext &) {
                                 return update({{u"deletedAt"_s, e.arg(u"deletedAt"_s)}}, u"completed"_s, true);
                             }));
    return schema;
}

// The same events with one more column in todos: a table change, so opening a store made with
// todoSchema() rebuilds its state.
inline Schema widerTodoSchema()
{
    using namespace Qt::StringLiterals;
    const Schema base = todoSchema();
    Schema s;
    s.addTable(TableDef{*base.table(u"todos")}.column(ColumnDef::integer(u"priority"_s).withDefault(3)));
    for (const ClientDocumentDef &doc : base.clientDocuments())
        s.addClientDocument(doc);
    for (const EventDef &e : base.events()) {
        if (!e.isDerived)
            s.addEvent(e);
    }
    return s;
}

} // namespace LiveStoreTest

#endif // LIVESTORE_TESTS_TODOSCHEMA_H
