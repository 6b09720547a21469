// SPDX-License-Identifier: BSD-3-Clause
// A table model in a TableView with a header row: the header's `display` is the model's
// headerData; clicking a header sorts a model that has sortBy(column) (StateTableModel).
import QtQuick
import QtQuick.Controls

Item {
    id: root

    property alias model: table.model
    property alias rows: table.rows
    property alias columns: table.columns
    property int columnWidth: 160
    // The last column takes the width that is left (for a column of long values).
    property bool stretchLastColumn: false
    readonly property TableView tableView: table

    clip: true

    HorizontalHeaderView {
        id: header
        syncView: table
        anchors.left: table.left
        anchors.top: parent.top
        clip: true
        // A delegate is a component of its own: it reaches the table through the attached
        // TableView.view (this header) and its syncView, not by the ids of this file.
        delegate: Rectangle {
            id: headerCell
            required property string display
            required property int column
            implicitWidth: 160
            implicitHeight: headerLabel.implicitHeight + 10
            color: headerMouse.pressed ? "#d0d4da" : "#e8eaee"
            border.color: "#c4c8ce"
            Label {
                id: headerLabel
                anchors.fill: parent
                anchors.leftMargin: 6
                anchors.rightMargin: 6
                verticalAlignment: Text.AlignVCenter
                font.bold: true
                elide: Text.ElideRight
                text: headerCell.display
            }
            MouseArea {
                id: headerMouse
                anchors.fill: parent
                onClicked: {
                    // Models that sort (the Tables view's) sort by the clicked column.
                    const model = headerCell.TableView.view.syncView.model
                    if (model && typeof model.sortBy === "function")
                        model.sortBy(headerCell.column)
                }
            }
        }
    }

    TableView {
        id: table
        anchors.top: header.bottom
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        columnWidthProvider: function (column) {
            if (root.stretchLastColumn && column === table.columns - 1)
                return Math.max(root.columnWidth, table.width - column * root.columnWidth)
            return root.columnWidth
        }
        ScrollBar.vertical: ScrollBar { }
        ScrollBar.horizontal: ScrollBar { }
        delegate: Rectangle {
            id: cell
            required property string display
            required property int row
            implicitHeight: cellLabel.implicitHeight + 8
            color: cell.row % 2 ? "#f6f7f9" : "#ffffff"
            border.color: "#e4e6ea"
            Label {
                id: cellLabel
                anchors.fill: parent
                anchors.leftMargin: 6
                anchors.rightMargin: 6
                verticalAlignment: Text.AlignVCenter
                elide: Text.ElideRight
                text: cell.display
                font.family: "monospace"
            }
        }
    }
}
