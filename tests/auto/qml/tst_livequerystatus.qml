// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

// LiveQuery's status and first row, its store's notify signal, and the warning for a LiveQuery
// that has no store.
TestCase {
    id: test
    name: "LiveQueryStatus"

    Store {
        id: store
        storeId: "qml-status"
        inMemory: true
        Table {
            name: "notes"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
            TableColumn { name: "body"; type: "text" }
        }
        EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string", body: "string" })
                          sql: "INSERT INTO notes (id, body) VALUES ($id, $body)" }
    }

    Component {
        id: queryComponent
        LiveQuery { sql: "SELECT * FROM notes ORDER BY id"; Component.onCompleted: modelTester.watch(this) }
    }

    function test_statusFirstAndStore() {
        const q = createTemporaryObject(queryComponent, test, { store: store })
        compare(q.status, LiveQuery.Ready)
        compare(q.first.id, undefined)
        verify(store.commit("v1.NoteAdded", { id: "a", body: "first" }))
        compare(q.first.body, "first")
        const spy = createTemporaryObject(signalSpyComponent, test, { target: q, signalName: "storeChanged" })
        q.store = null
        compare(spy.count, 1)
        compare(q.status, LiveQuery.Null)
        compare(q.count, 0)
        q.store = store
        compare(spy.count, 2)
        compare(q.status, LiveQuery.Ready)
        ignoreWarning(/live query failed|no such column/)
        q.sql = "SELECT nope FROM notes"
        compare(q.status, LiveQuery.Error)
    }

    function test_noStoreWarns() {
        ignoreWarning(/LiveQuery has no store/)
        const q = createTemporaryObject(queryComponent, test)
        compare(q.status, LiveQuery.Null)
    }

    Component { id: signalSpyComponent; SignalSpy {} }
}
