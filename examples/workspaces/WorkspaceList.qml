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
    // The delegate is a component of its own: it reaches this list through the attached
    // ListView.view (typed here with `as`), which tools can check, rather than by the id `list`.
    delegate: WorkspaceDelegate {
        id: workspace
        readonly property WorkspaceList view: ListView.view as WorkspaceList
        width: view ? view.width : 0
        selected: view !== null && workspace.id === view.selectedId
        onSelectRequested: view.selectRequested(workspace.id)
        onLeaveRequested: view.leaveRequested(workspace.id)
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
