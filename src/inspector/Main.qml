// SPDX-License-Identifier: BSD-3-Clause
import QtQuick.Controls
import LiveStore.Inspector

ApplicationWindow {
    id: window

    required property string directory
    property bool writable: false
    // The app's file dialogs (main.cpp's FileChooser), for the Eventlog view's Export… and Import….
    property var fileChooser: null
    property alias currentIndex: inspector.currentIndex
    readonly property InspectedStore inspected: inspector.inspected

    width: 1200
    height: 760
    visible: true
    title: qsTr("LiveStore Inspector — %1").arg(window.directory)

    Inspector {
        id: inspector
        anchors.fill: parent
        directory: window.directory
        writable: window.writable
        fileChooser: window.fileChooser
    }
}
