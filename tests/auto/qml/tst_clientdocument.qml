// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "ClientDocument"

    // Bindings that read fields before anything is complete: they must see the fields.
    Text { id: label; text: ui.filter === "active" ? "Active" : "All" }
    Text { id: draft; text: ui.newTodoText }

    Store {
        id: store
        storeId: "qml-document"
        inMemory: true
        schema: Qt.resolvedUrl("data/notes.json")
        ClientDocument { id: ui; document: "uiState"; property string filter; property string newTodoText }
    }

    SignalSpy { id: valueSpy; target: ui; signalName: "contentChanged" }

    function test_1_defaults() {
        compare(ui.filter, "all")
        compare(ui.newTodoText, "")
        compare(ui.value.filter, "all")
        compare(label.text, "All")
        compare(ui.store, store)
    }

    function test_2_setBindsThrough() {
        valueSpy.clear()
        verify(ui.set({ filter: "active" }))
        compare(ui.filter, "active")
        compare(label.text, "Active")
        compare(ui.newTodoText, "")
        compare(valueSpy.count, 1)
        // Stored as a client-only event in the eventlog.
        const rows = store.query("SELECT name FROM __livestore_eventlog WHERE name = 'uiStateSet'")
        compare(rows.length, 1)
    }

    function test_3_assignmentCommits() {
        ui.newTodoText = "hello"
        compare(ui.newTodoText, "hello")
        compare(draft.text, "hello")
        compare(ui.filter, "active") // merged, not replaced
        const stored = store.query("SELECT value FROM uiState")[0].value
        compare(stored.newTodoText, "hello")
        compare(stored.filter, "active")
    }

    function test_4_outsideTheStore() {
        // Declared outside the store: bindings on its fields update once it has one.
        const d = Qt.createQmlObject('import LiveStore; ClientDocument { document: "uiState"; property string filter; property string newTodoText }', test)
        const label = Qt.createQmlObject('import QtQuick; Text { }', test)
        label.text = Qt.binding(() => d.newTodoText)
        d.store = store
        compare(d.filter, "active")
        compare(d.newTodoText, "hello")
        compare(label.text, "hello")
        label.destroy()
        d.destroy()
    }

    Store {
        id: typedStore
        storeId: "qml-document-typed"
        inMemory: true
        Table { name: "t"; TableColumn { name: "id"; type: "text"; primaryKey: true } }
        ClientDocumentDefinition {
            name: "prefs"
            schema: ({ type: "struct", fields: { filter: ["all", "active"] } })
            defaultValue: ({ filter: "all" })
        }
        ClientDocument { id: prefs; document: "prefs"; property string filter }
    }
    SignalSpy { id: prefsContent; target: prefs; signalName: "contentChanged" }

    // A refused assignment puts the stored value back into the field without a change of
    // `value`, and says why each time.
    function test_6_refusedAssignment() {
        prefsContent.clear()
        const refused = /argument "value.filter" must be one of "all", "active", got "bogus"/
        ignoreWarning(refused)
        prefs.filter = "bogus"
        compare(prefs.filter, "all")
        compare(prefs.value.filter, "all")
        compare(prefsContent.count, 0)
        verify(refused.test(prefs.errorString))
        ignoreWarning(refused) // the same failure again: warned again
        prefs.filter = "bogus"
        compare(prefs.filter, "all")
        compare(prefsContent.count, 0)
        prefs.filter = "active"
        compare(prefs.value.filter, "active")
        compare(prefsContent.count, 1)
    }

    function test_7_setTakesAnObject_data() {
        return [
            { tag: "null", fields: null, kind: "null" },
            { tag: "undefined", fields: undefined, kind: "undefined" },
            { tag: "string", fields: "active", kind: "a string" },
            { tag: "array", fields: ["active"], kind: "an array" },
            { tag: "number", fields: 1, kind: "a number" },
        ]
    }
    function test_7_setTakesAnObject(data) {
        const message = "set: takes an object of the fields to change, as {filter: \"all\"}, not " + data.kind
        ignoreWarning(new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        verify(!prefs.set(data.fields))
        compare(prefs.errorString, message)
        verify(prefs.set({ filter: "all" }))
        compare(prefs.filter, "all")
    }

    function test_5_unknownDocument() {
        ignoreWarning(/unknown client document "nope"/)
        const d = Qt.createQmlObject('import LiveStore; ClientDocument { document: "nope" }', test)
        d.store = store
        verify(d.errorString.indexOf("unknown client document") === 0)
        d.destroy()
    }
}
