// SPDX-License-Identifier: BSD-3-Clause
// Tables: every state table, its rows in a TableView that reads a window at a time, sorted by a
// header click, filtered by the text in one column; the row count of the (filtered) table.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    // Reads nothing until first shown: a long table's count is no cost of the first screen.
    property bool active: false
    property bool shown: false
    onActiveChanged: if (root.active) root.shown = true
    readonly property StateTableModel model: stateTable
    property alias currentTable: stateTable.tableName

    StateTableModel {
        id: stateTable
        source: root.source
        tableName: root.shown && root.source && tableList.currentIndex >= 0 && tableList.currentIndex < root.source.tables.length
                   ? root.source.tables[tableList.currentIndex] : ""
        filterColumn: filterColumnBox.currentText
        filterText: filterField.text
    }

    SplitView {
        anchors.fill: parent
        anchors.margins: 6

        ListView {
            id: tableList
            objectName: "tableList"
            SplitView.preferredWidth: 180
            clip: true
            model: root.source ? root.source.tables : []
            currentIndex: 0
            delegate: ItemDelegate {
                id: tableRow
                required property int index
                required property string modelData
                width: ListView.view.width
                text: tableRow.modelData
                highlighted: ListView.isCurrentItem
                onClicked: tableRow.ListView.view.currentIndex = tableRow.index
            }
        }

        ColumnLayout {
            SplitView.fillWidth: true

            RowLayout {
                Layout.fillWidth: true
                Label { text: qsTr("Filter") }
                ComboBox {
                    id: filterColumnBox
                    model: stateTable.tableColumns
                    Layout.preferredWidth: 160
                }
                TextField {
                    id: filterField
                    objectName: "tableFilter"
                    placeholderText: qsTr("contains…")
                    Layout.fillWidth: true
                }
                Label {
                    objectName: "tableRowCount"
                    text: qsTr("%n row(s)", "", stateTable.totalCount)
                }
            }

            Label {
                visible: stateTable.errorString.length > 0
                text: stateTable.errorString
                color: "#b00020"
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }

            DataTable {
                id: grid
                objectName: "tableGrid"
                Layout.fillWidth: true
                Layout.fillHeight: true
                model: stateTable
            }
        }
    }
}
