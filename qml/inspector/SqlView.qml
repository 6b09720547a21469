// SPDX-License-Identifier: BSD-3-Clause
// SQL playground: a read query, run live (it re-runs when a commit changes a table it reads),
// with its timing, its query plan and its error inline.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    readonly property SqlPlayground playground: pg

    SqlPlayground {
        id: pg
        source: root.source
        sql: editor.text
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 6

        RowLayout {
            Layout.fillWidth: true
            ScrollView {
                Layout.fillWidth: true
                Layout.preferredHeight: 90
                TextArea {
                    id: editor
                    objectName: "sqlEditor"
                    font.family: "monospace"
                    placeholderText: qsTr("SELECT … (Ctrl+Return runs)")
                    text: root.source && root.source.tables.length > 0 ? "SELECT * FROM " + root.source.tables[0] : ""
                    Keys.onPressed: event => {
                        if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                && (event.modifiers & Qt.ControlModifier)) {
                            pg.run()
                            event.accepted = true
                        }
                    }
                }
            }
            ColumnLayout {
                Button {
                    objectName: "sqlRun"
                    text: qsTr("Run")
                    highlighted: true
                    onClicked: pg.run()
                }
                Button {
                    text: qsTr("Stop")
                    enabled: pg.active
                    onClicked: pg.stop()
                }
            }
        }

        Label {
            objectName: "sqlStatus"
            visible: pg.active && pg.errorString.length === 0
            text: qsTr("%1 rows · %2 ms (median %3 ms) · ran %4× · re-runs on commits to: %5")
                  .arg(pg.rowCount).arg(pg.elapsedMs.toFixed(2)).arg(pg.medianMs.toFixed(2)).arg(pg.runCount)
                  .arg(pg.tables.length > 0 ? pg.tables : qsTr("(no table)"))
            opacity: 0.8
        }
        Label {
            objectName: "sqlError"
            visible: pg.errorString.length > 0
            text: pg.errorString
            color: "#b00020"
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        Label {
            objectName: "sqlPlan"
            visible: pg.plan.length > 0
            text: qsTr("Query plan:") + "\n" + pg.plan
            font.family: "monospace"
            Layout.fillWidth: true
        }

        DataTable {
            Layout.fillWidth: true
            Layout.fillHeight: true
            model: pg.model
        }
    }
}
