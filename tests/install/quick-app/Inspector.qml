import QtQuick
import LiveStore
import LiveStore.Inspector

// `import LiveStore.Inspector` from the installed module: the inspector embedded on an app's Store
// shows its store and its one event. Qt.exit(0) when all is right.
Item {
    width: 800
    height: 600

    Store {
        id: store
        storeId: "inspected"
        inMemory: true
        Table {
            name: "notes"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
        }
        EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string" }); sql: "INSERT INTO notes (id) VALUES ($id)" }
    }
    Inspector { id: inspector; anchors.fill: parent; store: store }

    Component.onCompleted: {
        const committed = store.commit("v1.NoteAdded", { id: "a" })
        const inspected = inspector.inspected
        const ok = committed && inspected.status === InspectedStore.Ready && inspected.embedded
                && inspected.storeId === "inspected" && inspected.tables.indexOf("notes") >= 0
        if (!ok)
            console.error("installed inspector failed:", committed, inspected.status, inspected.errorString,
                          inspected.tables)
        Qt.exit(ok ? 0 : 1)
    }
}
