// SPDX-License-Identifier: BSD-3-Clause
// Live queries: every live query and model of the store (embedded: the app's), with its SQL, the
// tables whose commits re-run it, its rows, how often it ran and how long that took.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    property bool active: false
    readonly property LiveQueriesModel model: queries

    LiveQueriesModel {
        id: queries
        source: root.source
        active: root.active
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 6

        Label {
            text: qsTr("%1 live queries (the inspector's own views count too)").arg(queries.count)
            opacity: 0.75
        }

        ListView {
            objectName: "liveQueryList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: queries
            spacing: 4
            ScrollBar.vertical: ScrollBar { }
            delegate: Frame {
                id: queryRow
                required property string sql
                required property string tables
                required property int rowCount
                required property int runCount
                required property int updateCount
                required property double lastMs
                required property double medianMs
                required property bool incremental
                required property int subscriberCount
                required property string errorString
                width: ListView.view.width
                ColumnLayout {
                    anchors.left: parent.left
                    anchors.right: parent.right
                    Label {
                        text: queryRow.sql
                        font.family: "monospace"
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }
                    Label {
                        text: qsTr("triggered by: %1").arg(queryRow.tables.length ? queryRow.tables : qsTr("(no table)"))
                        color: "#1a5fb4"
                    }
                    Label {
                        text: qsTr("%1 rows · SQL ran %2× · refreshed %3× · last %4 ms · median %5 ms · %6 subscribers%7")
                              .arg(queryRow.rowCount).arg(queryRow.runCount).arg(queryRow.updateCount)
                              .arg(queryRow.lastMs.toFixed(2)).arg(queryRow.medianMs.toFixed(2))
                              .arg(queryRow.subscriberCount)
                              .arg(queryRow.incremental ? qsTr(" · follows rows (commits update it without re-running)") : "")
                        opacity: 0.75
                    }
                    Label {
                        visible: queryRow.errorString.length > 0
                        text: queryRow.errorString
                        color: "#b00020"
                    }
                }
            }
        }
    }
}
