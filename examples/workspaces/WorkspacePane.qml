// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore

// The shown workspace: its name and id and its todos, all from the workspace's own store. The pane
// does not know which workspace that is: when the Store element switches stores, the queries
// follow it.
Rectangle {
    id: pane
    required property Store store
    // What the user store calls it: shown until the workspace's own store says otherwise.
    property string listedName

    color: "white"

    LiveQuery {
        id: info
        store: pane.store
        sql: "SELECT id, name FROM workspace"
    }
    LiveQuery {
        id: todos
        objectName: "todos"
        store: pane.store
        sql: "SELECT id, text, completed FROM todos ORDER BY createdAt, rowid"
    }
    LiveQuery {
        id: counts
        store: pane.store
        sql: "SELECT count(*) AS total, coalesce(sum(completed = 0), 0) AS open FROM todos"
        readonly property int total: rows.length > 0 ? rows[0].total : 0
        readonly property int open: rows.length > 0 ? rows[0].open : 0
    }

    function addTodo(text) {
        const trimmed = text.trim()
        if (trimmed.length === 0)
            return false
        const id = Date.now().toString(36) + Math.random().toString(36).slice(2, 8)
        return pane.store.commit("v1.TodoAdded", { id: id, text: trimmed, at: Date.now() })
    }

    Label {
        anchors.centerIn: parent
        visible: pane.store.status === Store.Null
        color: "#868e96"
        font.pixelSize: 16
        text: qsTr("Select, create or join a workspace.")
    }
    Label {
        anchors.centerIn: parent
        visible: pane.store.status === Store.Loading
        color: "#868e96"
        font.pixelSize: 16
        text: qsTr("Opening the workspace…")
    }
    Label {
        anchors.centerIn: parent
        width: parent.width - 48
        visible: pane.store.status === Store.Error
        wrapMode: Text.Wrap
        color: "#c92a2a"
        text: qsTr("The workspace store could not open: %1").arg(pane.store.errorString)
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 24
        spacing: 12
        visible: pane.store.status === Store.Ready

        Label {
            objectName: "workspaceName"
            Layout.fillWidth: true
            text: info.count > 0 ? info.rows[0].name : pane.listedName
            font.pixelSize: 28
            font.weight: Font.DemiBold
            color: "#212529"
            elide: Text.ElideRight
        }
        RowLayout {
            spacing: 6
            Label { text: qsTr("Workspace id:"); color: "#868e96" }
            // Selectable, so it can be copied and given to "Join workspace" (here, or as another
            // --user on this machine).
            TextEdit {
                objectName: "workspaceId"
                text: pane.store.storeId.replace(/^workspace-/, "")
                readOnly: true
                selectByMouse: true
                font.family: "monospace"
                color: "#495057"
            }
        }

        ActionField {
            id: newTodo
            objectName: "newTodo"
            Layout.fillWidth: true
            placeholderText: qsTr("What needs to be done here?")
            buttonText: qsTr("Add")
            onSubmitted: (text) => { if (pane.addTodo(text)) newTodo.clear() }
        }

        ListView {
            id: list
            objectName: "todoList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: todos
            // The delegate reaches the pane's store through the attached Store.store (the pane's
            // `store` property is the nearest store) and the view through ListView.view: both
            // checked by tools, unlike this file's ids seen from inside a delegate.
            delegate: TodoRow {
                id: todo
                width: ListView.view.width
                onToggled: Store.store.commit("v1.TodoToggled", { id: todo.id })
                onRemoved: Store.store.commit("v1.TodoRemoved", { id: todo.id })
            }
            Label {
                anchors.centerIn: parent
                visible: list.count === 0
                color: "#adb5bd"
                text: qsTr("Nothing to do in this workspace.")
            }
        }

        Label {
            objectName: "todoCount"
            color: "#868e96"
            text: qsTr("%1 of %2 open").arg(counts.open).arg(counts.total)
        }
    }
}
