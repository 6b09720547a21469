// SPDX-License-Identifier: BSD-3-Clause
// The inspector: one tab per view of a store. Either embedded in an app, on the app's own Store
// element (`store: appStore`: its live queries, its sync), or on a store directory
// (`directory: "/path/to/store"`, read-only unless `writable`), as livestore-inspector does.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore
import LiveStore.Inspector

Pane {
    id: root

    // Embedded: the app's Store element.
    property Store store: null
    // Standalone: a store directory, opened by the inspector.
    property string directory
    property bool writable: false
    // Optional: an object with saveFileName(title, suggested) and openFileName(title) returning a
    // local path ("" when cancelled), such as livestore-inspector's QFileDialog. Without it the
    // Eventlog view's Export… and Import… ask for the path in a text field.
    property var fileChooser: null
    // The tab shown: 0 Eventlog, 1 Tables, 2 SQL, 3 Live queries, 4 Sync, 5 Schema, 6 Time travel.
    property alias currentIndex: tabs.currentIndex
    readonly property InspectedStore inspected: inspectedStore

    padding: 0

    InspectedStore {
        id: inspectedStore
        store: root.store
        directory: root.directory
        writable: root.writable
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Label {
            objectName: "storeTitle"
            Layout.fillWidth: true
            Layout.margins: 6
            elide: Text.ElideMiddle
            textFormat: Text.StyledText
            text: inspectedStore.status === InspectedStore.Ready
                  ? "<b>" + inspectedStore.storeId + "</b>" + (inspectedStore.embedded ? "" : "  " + inspectedStore.location)
                    + "  ·  " + qsTr("head %1 · %2 pending · %3").arg(inspectedStore.head).arg(inspectedStore.pendingCount)
                      .arg(inspectedStore.embedded ? qsTr("embedded") : inspectedStore.readOnly ? qsTr("read-only") : qsTr("writable"))
                  : inspectedStore.status === InspectedStore.Error ? qsTr("Cannot open the store") : qsTr("No store")
        }

        Label {
            objectName: "storeError"
            visible: inspectedStore.errorString.length > 0
            text: inspectedStore.errorString
            color: "#b00020"
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            Layout.margins: 6
        }

        TabBar {
            id: tabs
            Layout.fillWidth: true
            TabButton { text: qsTr("Eventlog") }
            TabButton { text: qsTr("Tables") }
            TabButton { text: qsTr("SQL") }
            TabButton { text: qsTr("Live queries") }
            TabButton { text: qsTr("Sync") }
            TabButton { text: qsTr("Schema") }
            TabButton { text: qsTr("Time travel") }
        }

        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: tabs.currentIndex

            EventLogView { source: inspectedStore; fileChooser: root.fileChooser }
            TablesView { source: inspectedStore; active: visible }
            SqlView { source: inspectedStore }
            LiveQueriesView { source: inspectedStore; active: visible }
            SyncView { source: inspectedStore }
            SchemaView { source: inspectedStore }
            TimeTravelView { source: inspectedStore; active: visible }
        }
    }
}
