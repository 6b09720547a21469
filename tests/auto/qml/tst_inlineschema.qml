// SPDX-License-Identifier: BSD-3-Clause
// An inline schema with LiveStore's types: arguments in their declared order (a JavaScript
// object's property order, or a list of {name, type}), literal, struct, array and record
// arguments checked on commit, a datetime written into a datetimeInteger column, and a client
// document with a declared value shape.
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "InlineSchema"

    Store {
        id: store
        storeId: "qml-inline-schema"
        inMemory: true
        Table {
            name: "samples"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
            TableColumn { name: "j"; type: "json"; nullable: true }
            // A declared shape (LiveStore's State.SQLite.json({schema})): checked when it loads.
            TableColumn {
                name: "meta"; type: "json"; nullable: true
                schema: ({ type: "struct", fields: [{ name: "zeta", type: "string" }, { name: "alpha", type: "real" }] })
            }
            TableColumn { name: "at"; type: "datetimeInteger"; nullable: true }
        }
        // Declared order zeta, alpha, id: not alphabetical, not the order commits give.
        EventDefinition {
            name: "v1.Ordered"
            args: ({ zeta: "string", alpha: "real", id: "string" })
            sql: "INSERT INTO samples (id, j) VALUES ($id, json_array($zeta, $alpha))"
        }
        EventDefinition {
            name: "v1.Listed"
            args: [
                { name: "id", type: "string" },
                { name: "point", type: "struct", fields: [{ name: "y", type: "real" }, { name: "x", type: "real", optional: true }] },
                { name: "tags", type: "array", element: "string" },
                { name: "scores", type: "record", value: "real" },
                { name: "kind", type: "literal", values: ["a", "b"] },
                { name: "note", type: "string", optional: true, nullable: true }
            ]
            sql: "INSERT INTO samples (id, j) VALUES ($id, json_array(json($point), json($tags), json($scores), $kind))"
        }
        EventDefinition {
            name: "v1.Dated"
            args: ({ id: "string", at: "datetime", filter: ["all", "active", "completed"] })
            sql: "INSERT INTO samples (id, at) VALUES ($id, epoch_ms($at))"
        }
        ClientDocumentDefinition {
            name: "ui"
            schema: ({ type: "struct", fields: { draft: "string", filter: ["all", "active", "completed"] } })
            defaultValue: ({ draft: "", filter: "all" })
        }
        ClientDocument { id: ui; document: "ui"; property string filter }
    }

    // LiveStore's TodoMVC schema from our example file: its argument order and uiState's shape.
    Component {
        id: todoMvc
        Store {
            storeId: "qml-inline-todomvc"
            inMemory: true
            schema: Qt.resolvedUrl("../../../examples/schemas/todos.json")
        }
    }

    Component {
        id: badDefault
        Store {
            storeId: "qml-inline-bad-default"
            inMemory: true
            ClientDocumentDefinition {
                name: "ui"
                schema: ({ type: "struct", fields: { filter: ["all", "active"] } })
                defaultValue: ({ filter: "none" })
            }
        }
    }

    Component {
        id: badColumnSchema
        Store {
            storeId: "qml-inline-bad-column-schema"
            inMemory: true
            Table {
                name: "t"
                TableColumn { name: "id"; type: "text"; primaryKey: true; schema: ({ type: "struct", fields: {} }) }
            }
        }
    }

    Component {
        id: badArgList
        Store {
            storeId: "qml-inline-bad-args"
            inMemory: true
            EventDefinition { name: "e"; args: [{ type: "string" }]; sql: [] }
        }
    }

    function argsOf(name) {
        return store.query("SELECT argsJson FROM __livestore_eventlog WHERE name = ? ORDER BY seqNumGlobal", [name])
                .map(r => r.argsJson)
    }

    function test_1_ready() {
        compare(store.errorString, "")
        compare(store.status, Store.Ready)
    }

    function test_2_declaredOrder() {
        verify(store.commit("v1.Ordered", { id: "o", alpha: 0.1, zeta: "z" }))
        compare(argsOf("v1.Ordered"), ['{"zeta":"z","alpha":0.1,"id":"o"}'])
        verify(store.commit("v1.Listed", { kind: "b", scores: { b: 2, "10": 10, "2": 2 }, tags: ["t"],
                                           point: { x: 1, y: 0.5 }, id: "l" }))
        // Struct fields in declared order (y, x), record keys in JavaScript's order (2, 10, b).
        compare(argsOf("v1.Listed"), ['{"id":"l","point":{"y":0.5,"x":1},"tags":["t"],"scores":{"2":2,"10":10,"b":2},"kind":"b"}'])
        compare(store.query("SELECT j || '' AS j FROM samples WHERE id = 'l'")[0].j,
                '[{"y":0.5,"x":1},["t"],{"2":2,"10":10,"b":2},"b"]')
    }

    function test_3_checkedOnCommit() {
        ignoreWarning(/must be one of "a", "b", got "c"/)
        verify(!store.commit("v1.Listed", { id: "x", point: { y: 1 }, tags: [], scores: {}, kind: "c" }))
        ignoreWarning(/argument "point.y" is missing/)
        verify(!store.commit("v1.Listed", { id: "x", point: { x: 1 }, tags: [], scores: {}, kind: "a" }))
        ignoreWarning(/argument "tags\[1\]" must be a string/)
        verify(!store.commit("v1.Listed", { id: "x", point: { y: 1 }, tags: ["a", 2], scores: {}, kind: "a" }))
        ignoreWarning(/argument "scores.q" must be a number/)
        verify(!store.commit("v1.Listed", { id: "x", point: { y: 1 }, tags: [], scores: { q: "1" }, kind: "a" }))
        ignoreWarning(/argument "filter" must be one of "all", "active", "completed", got "done"/)
        verify(!store.commit("v1.Dated", { id: "x", at: new Date(0), filter: "done" }))
        compare(store.query("SELECT count(*) AS n FROM samples WHERE id = 'x'")[0].n, 0)
    }

    function test_4_dateIntoDatetimeInteger() {
        verify(store.commit("v1.Dated", { id: "d", at: new Date(Date.UTC(2024, 4, 1, 12)), filter: "all" }))
        const row = store.query("SELECT at + 0 AS ms, typeof(at) AS t FROM samples WHERE id = 'd'")[0]
        compare(row.t, "integer")
        compare(row.ms, Date.UTC(2024, 4, 1, 12))
        // Far years, as JavaScript's Date writes them.
        verify(store.commit("v1.Dated", { id: "far", at: new Date(8.64e15), filter: "all" }))
        compare(argsOf("v1.Dated")[1], '{"id":"far","at":"+275760-09-13T00:00:00.000Z","filter":"all"}')
        compare(store.query("SELECT at + 0 AS ms FROM samples WHERE id = 'far'")[0].ms, 8.64e15)
    }

    function test_5_clientDocumentShape() {
        compare(ui.filter, "all")
        verify(ui.set({ filter: "active" }))
        compare(ui.filter, "active")
        ignoreWarning(/argument "value.filter" must be one of "all", "active", "completed", got "done"/)
        verify(!ui.set({ filter: "done" }))
        compare(ui.filter, "active")
        ignoreWarning(/has no field "colour"/)
        verify(!ui.set({ colour: "red" }))
    }

    function test_6_schemaErrors() {
        ignoreWarning(/the default value does not fit the value schema/)
        ignoreWarning(/EventDefinition "e": args\[0\]: expected/)
        const s = badDefault.createObject(test)
        tryCompare(s, "status", Store.Error)
        verify(s.errorString.indexOf("the default value does not fit the value schema") >= 0, s.errorString)
        s.destroy()
        ignoreWarning(/only a json column takes a schema/)
        const c = badColumnSchema.createObject(test)
        tryCompare(c, "status", Store.Error)
        verify(c.errorString.indexOf("tables[0].columns[0].schema: only a json column takes a schema") >= 0, c.errorString)
        c.destroy()
        const a = badArgList.createObject(test)
        tryCompare(a, "status", Store.Error)
        verify(a.errorString.indexOf('EventDefinition "e": args[0]: expected {name: "...", type: "..."}') >= 0, a.errorString)
        a.destroy()
    }

    function test_7_schemaFileOrder() {
        const s = todoMvc.createObject(test)
        tryCompare(s, "status", Store.Ready)
        verify(s.commit("v1.TodoCreated", { text: "t", id: "a" }))
        verify(s.commit("v1.TodoDeleted", { deletedAt: new Date(0), id: "a" }))
        compare(s.query("SELECT argsJson FROM __livestore_eventlog WHERE seqNumClient = 0 ORDER BY seqNumGlobal").map(r => r.argsJson),
                ['{"id":"a","text":"t"}', '{"id":"a","deletedAt":"1970-01-01T00:00:00.000Z"}'])
        verify(s.commit("uiStateSet", { value: { filter: "completed" } }))
        ignoreWarning(/argument "value.filter" must be one of "all", "active", "completed", got "done"/)
        verify(!s.commit("uiStateSet", { value: { filter: "done" } }))
        s.destroy()
    }
}
