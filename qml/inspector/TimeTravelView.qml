// SPDX-License-Identifier: BSD-3-Clause
// Time travel: the state as of event N (replayed off the GUI thread), and the rows event N changed.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    property bool active: false
    readonly property TimeTravel timeTravel: travel

    TimeTravel {
        id: travel
        objectName: "timeTravel"
        source: root.source
        active: root.active
        position: slider.value
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 6

        RowLayout {
            Layout.fillWidth: true
            Label { text: qsTr("Event") }
            Slider {
                id: slider
                objectName: "timeSlider"
                from: 0
                to: Math.max(1, travel.eventCount)
                stepSize: 1
                snapMode: Slider.SnapAlways
                Layout.fillWidth: true
            }
            SpinBox {
                from: 0
                to: travel.eventCount
                value: slider.value
                editable: true
                onValueModified: slider.value = value
            }
            Label { text: qsTr("of %1").arg(travel.eventCount) }
            BusyIndicator {
                running: travel.busy
                Layout.preferredWidth: 28
                Layout.preferredHeight: 28
            }
        }

        Label {
            objectName: "timeEvent"
            text: travel.shownPosition <= 0 ? qsTr("The state before the first event.")
                  : qsTr("As of %1 %2 (%3 ms to replay) · state digest %4").arg(travel.eventSeqNum).arg(travel.eventName)
                    .arg(travel.elapsedMs.toFixed(0)).arg(travel.digest.substring(0, 16))
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
        Label {
            visible: travel.errorString.length > 0
            text: travel.errorString
            color: "#b00020"
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }

        Label {
            text: qsTr("Rows event %1 changed (%2)").arg(travel.shownPosition).arg(travel.changesModel.count)
            font.bold: true
        }
        DataTable {
            objectName: "timeChanges"
            Layout.fillWidth: true
            Layout.preferredHeight: 150
            model: travel.changesModel
            columnWidth: 140
            stretchLastColumn: true
        }
        RowLayout {
            Label { text: qsTr("State table"); font.bold: true }
            ComboBox {
                id: tableBox
                model: travel.tableNames
                onActivated: travel.currentTable = tableBox.currentText
                Layout.preferredWidth: 200
            }
            Label { text: qsTr("%1 rows shown").arg(travel.tableModel.count); opacity: 0.75 }
        }
        DataTable {
            objectName: "timeTable"
            Layout.fillWidth: true
            Layout.fillHeight: true
            model: travel.tableModel
        }
    }
}
