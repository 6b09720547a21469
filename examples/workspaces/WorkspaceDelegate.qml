// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One workspace in the user's list. It only reports what the user did; the window commits.
Rectangle {
    id: row
    // Roles of the user store's `workspaces` query.
    required property string id
    required property string name
    required property int index
    property bool selected: false
    signal selectRequested()
    signal leaveRequested()

    objectName: "workspace-" + index
    height: 44
    radius: 6
    color: selected ? "#dbe4ff" : hover.hovered ? "#e9ecef" : "transparent"

    // The accent bar makes the selection readable even where the tint is faint.
    Rectangle {
        width: 4
        height: parent.height - 12
        anchors.verticalCenter: parent.verticalCenter
        radius: 2
        color: "#3b5bdb"
        visible: row.selected
    }

    MouseArea {
        anchors.fill: parent
        onClicked: row.selectRequested()
    }
    HoverHandler { id: hover }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 14
        anchors.rightMargin: 4
        Label {
            objectName: "name"
            Layout.fillWidth: true
            text: row.name
            font.pixelSize: 15
            font.bold: row.selected
            color: "#212529"
            elide: Text.ElideRight
        }
        ToolButton {
            objectName: "leave"
            text: qsTr("Leave")
            font.pixelSize: 12
            // Always clickable, only prominent where the pointer is: the list stays calm.
            opacity: hover.hovered || row.selected ? 1 : 0.35
            onClicked: row.leaveRequested()
        }
    }
}
