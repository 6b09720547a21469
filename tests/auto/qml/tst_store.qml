// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "Store"

    Store {
        id: store
        storeId: "qml-store"
        inMemory: true
        Table {
            name: "todos"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
            TableColumn { name: "text"; type: "text"; defaultValue: "" }
            TableColumn { name: "completed"; type: "boolean"; defaultValue: false }
        }
        EventDefinition {
            name: "v1.TodoCreated"
            args: ({ id: "string", text: "string" })
            sql: "INSERT INTO todos (id, text) VALUES ($id, $text)"
        }
        EventDefinition {
            name: "v1.TodoCompleted"
            args: ({ id: "string" })
            sql: ["UPDATE todos SET completed = 1 WHERE id = $id"]
        }
    }

    Component {
        id: brokenStore
        Store { storeId: "broken"; inMemory: true; schema: "file:///nonexistent/schema.json" }
    }

    Component {
        id: badInline
        Store {
            storeId: "bad-inline"
            inMemory: true
            Table { name: "t"; TableColumn { name: "id"; type: "txt"; primaryKey: true } }
            EventDefinition { name: "e"; sql: "DELETE FROM t" }
        }
    }

    function test_1_ready() {
        compare(store.status, Store.Ready)
        compare(store.errorString, "")
        compare(store.head, "e0")
        compare(store.bootStage, Store.BootDone)
        compare(store.progress, 1)
        verify(store.clientId.length > 0)
    }

    function test_2_commitAndQuery() {
        verify(store.commit("v1.TodoCreated", { id: "a", text: "Write tests" }))
        verify(store.commit("v1.TodoCompleted", { id: "a" }))
        const rows = store.query("SELECT * FROM todos WHERE id = ?", ["a"])
        compare(rows.length, 1)
        compare(rows[0].text, "Write tests")
        compare(rows[0].completed, true)
        compare(store.head, "e2")
    }

    SignalSpy { id: headSpy; target: store; signalName: "headChanged" }
    Component {
        id: committedSpy
        SignalSpy { target: store; signalName: "committed" }
    }
    Component {
        id: committedHandler
        Connections {
            target: store
            property var received: []
            function onCommitted(events) { received.push(events) }
        }
    }

    // The element follows the store's committed() only while something listens to its own (a
    // connection there makes every commit keep its records); headChanged comes either way.
    function test_committedReachesItsListeners() {
        const heads = headSpy.count
        verify(store.commit("v1.TodoCreated", { id: "c1", text: "one" }))
        compare(headSpy.count, heads + 1)

        const spy = createTemporaryObject(committedSpy, test)
        const handler = createTemporaryObject(committedHandler, test)
        verify(store.commitAll([
            { name: "v1.TodoCreated", args: { id: "c2", text: "two" } },
            { name: "v1.TodoCompleted", args: { id: "c2" } }
        ]))
        compare(headSpy.count, heads + 2)
        compare(spy.count, 1)
        const events = spy.signalArguments[0][0]
        compare(events.length, 2)
        compare(events[0].name, "v1.TodoCreated")
        compare(events[0].args.text, "two")
        compare(events[1].name, "v1.TodoCompleted")
        compare(events[1].seqNum, store.head)
        compare(handler.received.length, 1)
        compare(handler.received[0].length, 2)

        spy.target = null // disconnects it
        verify(store.commit("v1.TodoCreated", { id: "c3", text: "three" }))
        compare(handler.received.length, 2) // the handler alone still gets them
        compare(handler.received[1][0].args.id, "c3")
        compare(headSpy.count, heads + 3)
    }

    function test_commitAllIsAtomic() {
        const before = store.query("SELECT count(*) AS n FROM todos")[0].n
        ignoreWarning(/UNIQUE constraint failed: todos\.id/)
        verify(!store.commitAll([
            { name: "v1.TodoCreated", args: { id: "x1", text: "one" } },
            { name: "v1.TodoCreated", args: { id: "x1", text: "dup" } }
        ]))
        compare(store.query("SELECT count(*) AS n FROM todos")[0].n, before)
        verify(store.commitAll([
            { name: "v1.TodoCreated", args: { id: "x2", text: "two" } },
            { name: "v1.TodoCreated", args: { id: "x3", text: "three" } }
        ]))
        compare(store.query("SELECT count(*) AS n FROM todos")[0].n, before + 2)
    }

    function test_badInput_data() {
        return [
            { tag: "unknown event", name: "v1.Nope", args: {}, error: "unknown event \"v1.Nope\": it is not defined in the schema" },
            { tag: "missing arg", name: "v1.TodoCreated", args: { id: "q" }, error: "event \"v1.TodoCreated\": missing argument \"text\" (string)" },
            { tag: "wrong type", name: "v1.TodoCreated", args: { id: 5, text: "t" }, error: "event \"v1.TodoCreated\": argument \"id\" must be a string, got an integer" },
            { tag: "args a string", name: "v1.TodoCreated", args: "hello", error: "commit: the arguments of \"v1.TodoCreated\" must be an object, as {id: \"a\"}, not a string" },
            { tag: "args an array", name: "v1.TodoCreated", args: ["q", "t"], error: "commit: the arguments of \"v1.TodoCreated\" must be an object, as {id: \"a\"}, not an array" },
            { tag: "args a number", name: "v1.TodoCompleted", args: 5, error: "commit: the arguments of \"v1.TodoCompleted\" must be an object, as {id: \"a\"}, not a number" },
            { tag: "args a Date", name: "v1.TodoCompleted", args: new Date(0), error: "commit: the arguments of \"v1.TodoCompleted\" must be an object, as {id: \"a\"}, not a Date" },
        ]
    }
    function test_badInput(data) {
        ignoreWarning(new RegExp(data.error.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        verify(!store.commit(data.name, data.args))
        compare(store.errorString, data.error)
        verify(store.commit("v1.TodoCreated", { id: "ok-" + data.tag, text: "still works" }))
    }

    // One event instead of a list of events, or anything else: refused, not an empty batch.
    function test_commitAllTakesAList_data() {
        const list = "commitAll: takes an array of events, as [{name: \"v1.Event\", args: {...}}], not "
        return [
            { tag: "one event", events: { name: "v1.TodoCreated", args: { id: "l1", text: "one" } }, error: list + "an object" },
            { tag: "a name", events: "v1.TodoCreated", error: list + "a string" },
            { tag: "undefined", events: undefined, error: list + "undefined" },
            { tag: "null", events: null, error: list + "null" },
            { tag: "args a string", events: [{ name: "v1.TodoCreated", args: { id: "l2", text: "two" } }, { name: "v1.TodoCompleted", args: "l2" }],
              error: "commitAll: the arguments of \"v1.TodoCompleted\" (event 1) must be an object, as {id: \"a\"}, not a string" },
            { tag: "an entry not an object", events: ["v1.TodoCreated"], error: "commitAll: each event needs a name, as {name: \"v1.Event\", args: {...}}" },
        ]
    }
    function test_commitAllTakesAList(data) {
        const before = store.head
        ignoreWarning(new RegExp(data.error.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        verify(!store.commitAll(data.events))
        compare(store.errorString, data.error)
        compare(store.head, before)
        verify(store.commitAll([])) // an empty list is an empty batch
        compare(store.head, before)
    }

    function test_queryBinds() {
        compare(store.query("SELECT ? AS x", 5)[0].x, 5)
        compare(store.query("SELECT ? AS x", true)[0].x, 1)
        compare(store.query("SELECT ? AS x", "a")[0].x, "a")
        compare(store.query("SELECT ? AS x, ? AS y", [1, "b"])[0].y, "b")
        compare(store.query("SELECT $v AS x", { v: 7 })[0].x, 7)
    }

    // SQL NULL is null, as in LiveQuery (and LiveStore's JavaScript), not undefined.
    function test_queryNull() {
        const row = store.query("SELECT NULL AS absent, 1 AS one")[0]
        verify(row.absent === null)
        verify("absent" in row)
        compare(JSON.stringify(row), "{\"absent\":null,\"one\":1}")
    }

    // Equal JavaScript values assigned again change nothing (two QJSValues never compare equal).
    SignalSpy { id: payloadSpy; target: store; signalName: "syncPayloadChanged" }
    function test_equalPayloadChangesNothing() {
        payloadSpy.clear()
        store.syncPayload = { token: "a", n: 1 }
        store.syncPayload = { token: "a", n: 1 }
        compare(payloadSpy.count, 1)
        store.syncPayload = { token: "b", n: 1 }
        compare(payloadSpy.count, 2)
        store.syncPayload = undefined
        compare(payloadSpy.count, 3)
    }

    function test_badQuery() {
        ignoreWarning(/query failed: .*no such table: nope/)
        compare(store.query("SELECT * FROM nope").length, 0)
        ignoreWarning(/query failed: queries only read/)
        compare(store.query("DELETE FROM todos").length, 0)
    }

    function test_missingSchemaFile() {
        ignoreWarning(/cannot read the schema file:\/\/\/nonexistent\/schema.json/)
        const s = createTemporaryObject(brokenStore, test)
        compare(s.status, Store.Error)
        verify(s.errorString.indexOf("cannot read the schema") === 0)
        ignoreWarning(/commit: the store is not open/)
        verify(!s.commit("anything", {}))
    }

    function test_badInlineSchema() {
        ignoreWarning(/unknown column type "txt"/)
        const s = createTemporaryObject(badInline, test)
        compare(s.status, Store.Error)
        verify(s.errorString.indexOf("unknown column type \"txt\"") >= 0, s.errorString)
    }
}
