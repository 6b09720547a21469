// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

// One commit is one consistent update: when a client document announces its new value, every
// LiveQuery of the store already shows the same commit, so a binding that combines them (the
// selected note's row) is right the first time, whichever object QML created first.
TestCase {
    id: test
    name: "GlitchFree"

    // Declared before the store and the query: its binding is evaluated (and connected) first.
    property int selectedRow: notes.indexOf(ui.value.selected === undefined ? "" : ui.value.selected)
    property var rowsSeenBySelection: []

    Store {
        id: store
        storeId: "qml-glitchfree"
        inMemory: true
        Table {
            name: "notes"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
        }
        EventDefinition {
            name: "v1.NoteAdded"
            args: ({ id: "string" })
            sql: "INSERT INTO notes (id) VALUES ($id)"
        }
        ClientDocumentDefinition { name: "ui"; defaultValue: ({ selected: "" }) }
        ClientDocument { id: ui; document: "ui" }
    }

    LiveQuery {
        id: notes
        store: store
        sql: "SELECT id FROM notes ORDER BY id"
        Component.onCompleted: modelTester.watch(this)
    }

    Connections {
        target: ui
        function onContentChanged() { test.rowsSeenBySelection.push(notes.count) }
    }

    function test_commitAllIsAtomic() {
        compare(selectedRow, -1)
        rowsSeenBySelection = []
        verify(store.commitAll([
            { name: "v1.NoteAdded", args: { id: "a" } },
            { name: "uiSet", args: { value: { selected: "a" } } }
        ]))
        compare(notes.count, 1)
        compare(selectedRow, 0)
        // The document's change was announced once, with the note already in the query.
        compare(rowsSeenBySelection, [1])
    }
}
