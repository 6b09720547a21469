// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore

// One user store (the workspaces this user created or joined, and which one is selected) and one
// store per workspace (its todos). All of them open through one StoreRegistry, which keeps a
// workspace store open a while after it stops being shown and then closes it.
ApplicationWindow {
    id: window
    // Set by main.cpp (and by the test).
    required property string dataDirectory
    required property string userName
    property int unusedCacheTime: 5000
    property bool demo: false

    width: 880
    height: 560
    visible: true
    title: qsTr("Workspaces: %1").arg(userName)
    color: "#f8f9fa"

    StoreRegistry {
        id: storeRegistry
        objectName: "registry"
        baseDirectory: window.dataDirectory  // each store in <dataDirectory>/<storeId>
        unusedCacheTime: window.unusedCacheTime
    }

    Store {
        id: userStore
        objectName: "userStore"
        registry: storeRegistry
        storeId: "user-" + window.userName
        schema: "qrc:/user.json"
        // The store opens on a worker thread; with --demo, the sample data goes in once it is up.
        onStatusChanged: {
            if (status !== Store.Ready || !window.demo)
                return
            // query() gives [] when it fails (with a warning): no rows, no seeding.
            const counted = userStore.query("SELECT count(*) AS n FROM workspaces")
            if (counted.length === 1 && counted[0].n === 0)
                window.seedDemo()
        }
        // Inside its Store, the store property is set for it.
        ClientDocument {
            id: ui; objectName: "ui"; document: "uiState"
            property string selectedWorkspace // a field of the document, as a property
        }
    }

    LiveQuery {
        id: workspaces
        objectName: "workspaces"
        store: userStore
        sql: "SELECT id, name FROM workspaces ORDER BY joinedAt, rowid"
    }

    // The shown workspace. Changing the selection changes the storeId: the element lets go of the
    // old store (the registry closes it after unusedCacheTime unless it is selected again) and
    // takes the new one from the registry (opening it if it is not open yet).
    Store {
        id: workspaceStore
        objectName: "workspaceStore"
        registry: storeRegistry
        storeId: ui.selectedWorkspace !== "" ? "workspace-" + ui.selectedWorkspace : ""
        schema: "qrc:/workspace.json"
    }

    // For writing to a workspace that is not (yet) shown: created, used and destroyed at once.
    // It opens synchronously (a workspace store is small, and the caller needs it at once);
    // stores that are shown open on a worker thread. The registry is handed in by createObject():
    // inside the component, this file's ids are out of the component's scope for tools.
    Component {
        id: workspaceStoreComponent
        Store { schema: "qrc:/workspace.json"; asynchronous: false }
    }

    function newId() {
        return Date.now().toString(36) + Math.random().toString(36).slice(2, 8)
    }
    // A workspace id becomes part of a store id and a folder name.
    function isValidWorkspaceId(id) {
        return /^[A-Za-z0-9_-]+$/.test(id)
    }
    // Runs job(store) on the workspace's store; undefined if the store does not open.
    function withWorkspaceStore(id, job) {
        const store = workspaceStoreComponent.createObject(window, { storeId: "workspace-" + id,
                                                                      registry: storeRegistry }) as Store
        const result = store.status === Store.Ready ? job(store) : undefined
        store.destroy()
        return result
    }

    function createWorkspace(name) {
        const trimmed = name.trim()
        if (trimmed.length === 0)
            return ""
        const id = newId()
        if (!userStore.commit("v1.WorkspaceCreated", { id: id, name: trimmed, at: Date.now() }))
            return ""
        // The workspace knows its own name, so whoever joins it later finds it there.
        withWorkspaceStore(id, store => store.commit("v1.WorkspaceInitialized", { id: id, name: trimmed }))
        ui.selectedWorkspace = id
        return id
    }

    // There is no sync yet: joining opens the workspace's store on this machine, which holds what
    // was written there before (by this or another --user), or starts an empty one of that id.
    property string joinError
    function joinWorkspace(text) {
        const id = text.trim()
        if (!isValidWorkspaceId(id)) {
            joinError = qsTr("A workspace id has only letters, digits, '_' and '-'.")
            return false
        }
        joinError = ""
        if (workspaces.indexOf(id) >= 0) {
            ui.selectedWorkspace = id
            return true
        }
        const rows = withWorkspaceStore(id, store => store.query("SELECT name FROM workspace"))
        if (rows === undefined) {
            joinError = qsTr("The workspace store could not open.")
            return false
        }
        const name = rows.length > 0 ? rows[0].name : id
        return userStore.commitAll([
            { name: "v1.WorkspaceJoined", args: { id: id, name: name, at: Date.now() } },
            { name: "uiStateSet", args: { value: { selectedWorkspace: id } } }
        ])
    }

    // Leaving only removes the workspace from the user's list: its store stays on disk, so
    // joining it again by id brings its todos back.
    function leaveWorkspace(id) {
        const events = [{ name: "v1.WorkspaceLeft", args: { id: id } }]
        if (ui.selectedWorkspace === id) {
            const next = userStore.query("SELECT id FROM workspaces WHERE id <> ? ORDER BY joinedAt, rowid LIMIT 1", [id])
            events.push({ name: "uiStateSet", args: { value: { selectedWorkspace: next.length > 0 ? next[0].id : "" } } })
        }
        userStore.commitAll(events)
    }

    // --demo (for the README's screenshot): two workspaces with a few todos, on an empty user store.
    function seedDemo() {
        const todo = text => ({ name: "v1.TodoAdded", args: { id: newId(), text: text, at: Date.now() } })
        const home = createWorkspace("Home")
        withWorkspaceStore(home, store => store.commitAll([todo("Water the plants"), todo("Fix the bike")]))
        const launch = createWorkspace("Product launch")
        withWorkspaceStore(launch, store => {
            const first = todo("Write the announcement")
            store.commitAll([first, todo("Record the demo video"), todo("Update the website"),
                             { name: "v1.TodoToggled", args: { id: first.args.id } }])
        })
    }

    Label {
        anchors.centerIn: parent
        width: parent.width - 48
        visible: userStore.status === Store.Error
        wrapMode: Text.Wrap
        color: "#c92a2a"
        text: qsTr("The user store could not open: %1").arg(userStore.errorString)
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        visible: userStore.status === Store.Ready

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            // Left: the user's workspaces.
            ColumnLayout {
                Layout.fillWidth: false // layouts fill by default; the workspace pane takes the rest
                Layout.preferredWidth: 300
                Layout.fillHeight: true
                Layout.margins: 16
                spacing: 10

                Label {
                    text: qsTr("Workspaces")
                    font.pixelSize: 22
                    font.weight: Font.DemiBold
                    color: "#212529"
                }
                Label {
                    text: qsTr("Signed in as %1").arg(window.userName)
                    color: "#868e96"
                }
                WorkspaceList {
                    objectName: "workspaceList"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    model: workspaces
                    selectedId: ui.selectedWorkspace
                    onSelectRequested: (id) => ui.selectedWorkspace = id
                    onLeaveRequested: (id) => window.leaveWorkspace(id)
                }
                ActionField {
                    id: createField
                    objectName: "create"
                    Layout.fillWidth: true
                    placeholderText: qsTr("New workspace name")
                    buttonText: qsTr("Create workspace")
                    onSubmitted: (text) => { if (window.createWorkspace(text) !== "") createField.clear() }
                }
                ActionField {
                    id: joinField
                    objectName: "join"
                    Layout.fillWidth: true
                    placeholderText: qsTr("Workspace id")
                    buttonText: qsTr("Join workspace")
                    onSubmitted: (text) => { if (window.joinWorkspace(text)) joinField.clear() }
                }
                Label {
                    objectName: "joinHint"
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    font.pixelSize: 12
                    color: window.joinError !== "" ? "#c92a2a" : "#868e96"
                    text: window.joinError !== "" ? window.joinError
                        : qsTr("No sync yet: joining opens that workspace's store on this machine (one you "
                               + "left, or another user's here), or starts an empty one with that id.")
                }
            }

            Rectangle { Layout.fillHeight: true; implicitWidth: 1; color: "#dee2e6" }

            // Right: the selected workspace.
            WorkspacePane {
                objectName: "workspacePane"
                Layout.fillWidth: true
                Layout.fillHeight: true
                store: workspaceStore
                // Reads `rows` (not indexOf()) so the binding follows the list as well as the
                // selection: a join changes both, in either order.
                listedName: {
                    const row = workspaces.rows.find(w => w.id === ui.selectedWorkspace)
                    return row ? row.name : ""
                }
            }
        }

        // The registry at work: the stores open right now. A workspace store stays open for
        // unusedCacheTime after it was last shown, so switching back is instant, then closes.
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 30
            color: "#e9ecef"
            Label {
                objectName: "status"
                anchors.fill: parent
                anchors.leftMargin: 16
                anchors.rightMargin: 16
                verticalAlignment: Text.AlignVCenter
                elide: Text.ElideRight
                font.pixelSize: 12
                color: "#495057"
                text: qsTr("%1 open: %2 · unused workspace stores close after %3 s")
                        .arg(storeRegistry.count === 1 ? qsTr("1 store") : qsTr("%1 stores").arg(storeRegistry.count))
                        .arg(Array.from(storeRegistry.storeIds).join(", "))
                        .arg(window.unusedCacheTime / 1000)
            }
        }
    }
}
