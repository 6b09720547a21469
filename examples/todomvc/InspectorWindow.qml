// SPDX-License-Identifier: BSD-3-Clause
// The devtools inspector on the app's store (F12 in Main.qml), in a window of its own.
import QtQuick
import LiveStore
import LiveStore.Inspector

Window {
    id: inspectorWindow
    required property Store store

    width: 1100
    height: 700
    visible: true
    title: qsTr("Inspector: %1").arg(inspectorWindow.store.storeId)

    Inspector {
        anchors.fill: parent
        // Hidden, it reads nothing: its models let go of the store until it is shown again.
        store: inspectorWindow.visible ? inspectorWindow.store : null
    }
}
