import QtQuick
import LiveStore

// Store, LiveQuery, ClientDocument and the attached Store.store from the installed module;
// Qt.exit(0) when all is right.
Item {
    Store {
        id: store
        storeId: "installed"
        inMemory: true
        Table {
            name: "notes"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
        }
        EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string" }); sql: "INSERT INTO notes (id) VALUES ($id)" }
        ClientDocumentDefinition { name: "ui"; defaultValue: ({ filter: "all" }) }
        ClientDocument { id: ui; document: "ui"; property string filter }
    }
    LiveQuery { id: notes; store: store; sql: "SELECT id FROM notes" }
    Item { id: inside; property QtObject nearest: Store.store }

    Component.onCompleted: {
        const ok = store.commit("v1.NoteAdded", { id: "a" }) && notes.count === 1
                && ui.filter === "all" && ui.set({ filter: "active" }) && ui.value.filter === "active"
                && ui.filter === "active" && (ui.filter = "completed", ui.value.filter === "completed")
                && inside.nearest === store
        if (!ok)
            console.error("installed QML app failed:", store.errorString, notes.count, ui.value.filter,
                          inside.nearest)
        Qt.exit(ok ? 0 : 1)
    }
}
