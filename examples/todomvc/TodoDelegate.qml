// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One todo row: toggle, text (double-click to edit: Enter saves, Escape cancels), delete.
Rectangle {
    id: row
    required property string id
    required property string text
    required property bool completed
    required property int index
    // Raised to the list: the row only says what the user did.
    signal toggled()
    signal removed()
    signal edited(string text)

    property bool editing: false
    objectName: "todo-" + index
    height: 58
    color: "white"

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 12
        spacing: 12
        visible: !row.editing

        CheckBox {
            objectName: "toggle"
            checked: row.completed
            onClicked: row.toggled()
        }
        Label {
            objectName: "label"
            Layout.fillWidth: true
            text: row.text
            font.pixelSize: 22
            color: row.completed ? "#d9d9d9" : "#4d4d4d"
            font.strikeout: row.completed
            elide: Text.ElideRight
            MouseArea {
                anchors.fill: parent
                onDoubleClicked: {
                    row.editing = true
                    editor.text = row.text
                    editor.forceActiveFocus()
                    editor.selectAll()
                }
            }
        }
        ToolButton {
            objectName: "remove"
            text: "×"
            font.pixelSize: 22
            opacity: hover.hovered ? 1 : 0.25
            onClicked: row.removed()
        }
    }

    TextField {
        id: editor
        objectName: "editor"
        anchors.fill: parent
        anchors.leftMargin: 52
        anchors.bottomMargin: editHint.height + editHint.anchors.bottomMargin
        visible: row.editing
        font.pixelSize: 22
        Keys.onReturnPressed: finish(true)
        Keys.onEnterPressed: finish(true)
        Keys.onEscapePressed: finish(false)
        onActiveFocusChanged: if (!activeFocus && row.editing) finish(true)
        function finish(save) {
            if (!row.editing)
                return
            row.editing = false
            if (save && editor.text.trim() !== row.text)
                row.edited(editor.text.trim())
        }
    }

    // v1.TodoEdited is our extension of LiveStore's TodoMVC schema: a LiveStore TodoMVC on the
    // same store skips it, so say so where the edit is made.
    Label {
        id: editHint
        objectName: "editHint"
        anchors.left: editor.left
        anchors.leftMargin: editor.leftPadding
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 3
        visible: row.editing
        text: qsTr("Edits show in Qt clients only: LiveStore's web TodoMVC has no edit event")
        font.pixelSize: 11
        color: "#999"
    }

    HoverHandler { id: hover }

    Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: "#ededed" }
}
