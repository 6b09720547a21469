// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore

ApplicationWindow {
    id: window
    // Set by main.cpp: where the store lives (empty: the app's data folder) or in memory.
    required property string storeDirectory
    required property bool inMemory
    property url schemaUrl: "qrc:/todos.json"
    // Set by main.cpp from --sync-url / --sync-token: a LiveStore sync server to share the list.
    property url syncUrl
    property var syncPayload

    width: 560
    height: 680
    visible: true
    title: qsTr("todos")
    color: "#f5f5f5"

    Store {
        id: store
        objectName: "store"
        storeId: "todomvc"
        schema: window.schemaUrl
        directory: window.storeDirectory
        inMemory: window.inMemory
        syncUrl: window.syncUrl
        syncPayload: window.syncPayload
        // The UI state (the new todo's text, the filter) is a client document: local to this
        // client, kept across restarts.
        ClientDocument {
            id: ui; objectName: "ui"; document: "uiState"
            property string newTodoText  // the document's fields, as properties
            property string filter
        }
    }

    LiveQuery {
        id: todos
        objectName: "todos"
        store: store
        sql: "SELECT id, text, completed FROM todos WHERE deletedAt IS NULL"
             + (ui.filter === "active" ? " AND completed = 0" : ui.filter === "completed" ? " AND completed = 1" : "")
             + " ORDER BY rowid"
    }
    LiveQuery {
        id: counts
        store: store
        sql: "SELECT count(*) AS total, coalesce(sum(completed = 0), 0) AS active FROM todos WHERE deletedAt IS NULL"
        readonly property int total: rows.length > 0 ? rows[0].total : 0
        readonly property int active: rows.length > 0 ? rows[0].active : 0
    }

    function newId() {
        return Date.now().toString(36) + Math.random().toString(36).slice(2, 8)
    }
    function addTodo(text) {
        const trimmed = text.trim()
        if (trimmed.length === 0)
            return
        store.commitAll([
            { name: "v1.TodoCreated", args: { id: newId(), text: trimmed } },
            { name: "uiStateSet", args: { value: { newTodoText: "" } } }
        ])
    }
    function toggleAll() {
        // All completed: uncomplete all; else complete the active ones. One atomic commit.
        const all = store.query("SELECT id, completed FROM todos WHERE deletedAt IS NULL")
        const target = counts.active > 0
        const events = []
        for (const t of all)
            if (t.completed !== target)
                events.push({ name: target ? "v1.TodoCompleted" : "v1.TodoUncompleted", args: { id: t.id } })
        if (events.length > 0)
            store.commitAll(events)
    }

    // The store opens on a worker thread; after an update that changed a table it replays its
    // eventlog first, and this shows how far it is while the window stays responsive.
    Column {
        objectName: "opening"
        anchors.centerIn: parent
        spacing: 8
        visible: store.status === Store.Loading
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            color: "#777"
            text: store.bootStage === Store.BootRematerializing
                  ? qsTr("Updating your todos… %1%").arg(Math.round(store.progress * 100))
                  : qsTr("Opening…")
        }
        ProgressBar {
            width: 240
            value: store.progress
        }
    }

    Item {
        anchors.fill: parent
        visible: store.status === Store.Error
        Label {
            anchors.centerIn: parent
            width: parent.width - 40
            wrapMode: Text.Wrap
            color: "#b83f45"
            text: qsTr("The store could not open: %1").arg(store.errorString)
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 24
        spacing: 0
        visible: store.status === Store.Ready

        Label {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: "todos"
            font.pixelSize: 72
            font.weight: Font.Thin
            color: "#b83f45"
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.topMargin: 16
            implicitHeight: 62
            color: "white"
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 12
                spacing: 8
                CheckBox {
                    objectName: "toggleAll"
                    visible: counts.total > 0
                    checked: counts.total > 0 && counts.active === 0
                    onClicked: window.toggleAll()
                    ToolTip.text: qsTr("Mark all as complete")
                }
                TextField {
                    id: newTodo
                    objectName: "newTodo"
                    Layout.fillWidth: true
                    placeholderText: qsTr("What needs to be done?")
                    font.pixelSize: 22
                    focus: true
                    background: null
                    text: ui.newTodoText
                    onTextEdited: ui.newTodoText = text
                    Keys.onReturnPressed: window.addTodo(text)
                    Keys.onEnterPressed: window.addTodo(text)
                }
            }
        }

        ListView {
            id: list
            objectName: "todoList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: todos
            // A delegate is a component of its own: it reaches the store through the attached
            // Store.store (the nearest Store) and the view through ListView.view, which tools
            // can check, rather than by the ids of this file.
            delegate: TodoDelegate {
                id: todo
                width: ListView.view.width
                onToggled: Store.store.commit(todo.completed ? "v1.TodoUncompleted" : "v1.TodoCompleted", { id: todo.id })
                onRemoved: Store.store.commit("v1.TodoDeleted", { id: todo.id, deletedAt: new Date() })
                // An emptied todo is deleted, as TodoMVC does.
                onEdited: (text) => text.length > 0
                          ? Store.store.commit("v1.TodoEdited", { id: todo.id, text: text })
                          : Store.store.commit("v1.TodoDeleted", { id: todo.id, deletedAt: new Date() })
            }
        }

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 44
            visible: counts.total > 0
            color: "white"
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 15
                anchors.rightMargin: 15
                Label {
                    objectName: "itemsLeft"
                    text: counts.active === 1 ? qsTr("1 item left") : qsTr("%1 items left").arg(counts.active)
                    color: "#777"
                }
                Item { Layout.fillWidth: true }
                FilterButton {
                    objectName: "filter-all"
                    value: "all"
                    text: qsTr("All")
                    selected: ui.filter === value
                    onClicked: ui.filter = value
                }
                FilterButton {
                    objectName: "filter-active"
                    value: "active"
                    text: qsTr("Active")
                    selected: ui.filter === value
                    onClicked: ui.filter = value
                }
                FilterButton {
                    objectName: "filter-completed"
                    value: "completed"
                    text: qsTr("Completed")
                    selected: ui.filter === value
                    onClicked: ui.filter = value
                }
                Item { Layout.fillWidth: true }
                AbstractButton {
                    objectName: "clearCompleted"
                    visible: counts.total > counts.active
                    contentItem: Text { text: qsTr("Clear completed"); color: "#777" }
                    onClicked: store.commit("v1.TodoClearedCompleted", { deletedAt: new Date() })
                }
            }
        }

        // Only with a sync server: whether this window's changes have reached it.
        Label {
            objectName: "syncStatus"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            Layout.topMargin: 8
            visible: store.sync !== null
            color: "#777"
            font.pixelSize: 12
            text: !store.sync ? ""
                : store.sync.status === SyncStatus.Connected
                  ? (store.sync.pendingCount > 0 ? qsTr("syncing %1…").arg(store.sync.pendingCount) : qsTr("synced"))
                : store.sync.status === SyncStatus.Error ? qsTr("sync stopped: %1").arg(store.sync.lastError)
                : store.sync.status === SyncStatus.Standby ? qsTr("synced by another process of this store")
                : qsTr("offline: changes are kept and sync later")
        }
    }

    // F12: the devtools inspector on this window's store (docs/devtools.md), in a window of its
    // own, made the first time it is asked for; F12 again (or closing it) hides it, and a hidden
    // inspector lets go of the store (InspectorWindow.qml).
    Shortcut {
        sequence: "F12"
        onActivated: {
            const shown = inspector.item as InspectorWindow
            if (shown)
                shown.visible = !shown.visible
            else
                inspector.setSource("InspectorWindow.qml", { store: store })
        }
    }
    Loader {
        id: inspector
        objectName: "inspector"
    }
}
