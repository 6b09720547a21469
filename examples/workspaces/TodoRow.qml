// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One todo of the shown workspace: toggle, text, remove. Raised to the pane, which commits.
Rectangle {
    id: row
    required property string id
    required property string text
    required property bool completed
    required property int index
    signal toggled()
    signal removed()

    objectName: "todo-" + index
    height: 46
    color: "white"

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 8
        anchors.rightMargin: 8
        spacing: 8
        CheckBox {
            objectName: "toggle"
            checked: row.completed
            onClicked: row.toggled()
        }
        Label {
            objectName: "label"
            Layout.fillWidth: true
            text: row.text
            font.pixelSize: 16
            font.strikeout: row.completed
            color: row.completed ? "#adb5bd" : "#343a40"
            elide: Text.ElideRight
        }
        ToolButton {
            objectName: "remove"
            text: "×"
            font.pixelSize: 18
            opacity: hover.hovered ? 1 : 0.3
            onClicked: row.removed()
        }
    }
    HoverHandler { id: hover }
    Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: "#f1f3f5" }
}
