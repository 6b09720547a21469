// SPDX-License-Identifier: BSD-3-Clause
import QtQuick.Controls
import QtQuick.Layouts

// A text field with a button: Enter or the button submits the text. The owner decides whether the
// text was acceptable and then clears the field, so a rejected entry stays for correcting.
RowLayout {
    id: root
    property alias placeholderText: field.placeholderText
    property alias buttonText: button.text
    property alias text: field.text
    signal submitted(string text)

    function clear() { field.clear() }

    spacing: 6

    TextField {
        id: field
        objectName: "field"
        Layout.fillWidth: true
        selectByMouse: true
        onAccepted: root.submitted(text)
    }
    Button {
        id: button
        objectName: "button"
        enabled: field.text.trim().length > 0
        onClicked: root.submitted(field.text)
    }
}
