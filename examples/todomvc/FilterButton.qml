// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls

// One of All / Active / Completed; selected when the UI state's filter is its value.
AbstractButton {
    id: button
    required property string value
    property bool selected: false
    padding: 6
    contentItem: Text {
        text: button.text
        color: "#4d4d4d"
        font.pixelSize: 14
        horizontalAlignment: Text.AlignHCenter
    }
    background: Rectangle {
        radius: 3
        color: "transparent"
        border.width: 1
        border.color: button.selected ? "#cfa2a2" : (button.hovered ? "#efd5d5" : "transparent")
    }
}
