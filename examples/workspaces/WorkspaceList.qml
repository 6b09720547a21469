// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls

// The workspaces the user created or joined, from the user store; the selected one highlighted.
ListView {
    id: list
    property string selectedId
    signal selectRequested(string id)
    signal leaveRequested(string id)

    clip: true
    spacing: 2
    delegate: WorkspaceDelegate {
        width: list.width
        selected: id === list.selectedId
        onSelectRequested: list.selectRequested(id)
        onLeaveRequested: list.leaveRequested(id)
    }

    Label {
        anchors.centerIn: parent
        width: parent.width - 24
        visible: list.count === 0
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        color: "#868e96"
        text: qsTr("No workspaces yet: create one below, or join one by its id.")
    }
}
