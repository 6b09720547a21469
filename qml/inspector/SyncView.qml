// SPDX-License-Identifier: BSD-3-Clause
// Sync: what the store records about syncing (upstream head, backend id, pending events) and,
// embedded in an app that syncs, its sync client's live status and push/pull counters.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    readonly property SyncStatus sync: root.source ? root.source.sync : null

    function statusText(): string {
        if (!root.sync)
            return root.source && root.source.embedded ? qsTr("not syncing (the Store has no syncUrl)")
                                                      : qsTr("not syncing here (opened from disk; the app syncs)")
        switch (root.sync.status) {
        case SyncStatus.Disconnected: return qsTr("disconnected")
        case SyncStatus.Connecting: return qsTr("connecting")
        case SyncStatus.Connected: return root.sync.caughtUp ? qsTr("connected, caught up")
                                                             : qsTr("connected, catching up (%1%)").arg(Math.round(root.sync.catchUpProgress * 100))
        case SyncStatus.Error: return qsTr("error")
        case SyncStatus.Standby: return qsTr("standby (another process syncs)")
        }
        return ""
    }

    GridLayout {
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 12
        columns: 2
        columnSpacing: 24
        rowSpacing: 8

        Label { text: qsTr("Status"); font.bold: true }
        Label { objectName: "syncStatus"; text: root.statusText() }
        Label { text: qsTr("Server"); font.bold: true }
        Label { text: root.sync ? String(root.sync.url) : "—" }
        Label { text: qsTr("Pending events"); font.bold: true }
        Label {
            objectName: "syncPending"
            text: root.sync ? String(root.sync.pendingCount) : root.source ? String(root.source.pendingCount) : "—"
        }
        Label { text: qsTr("Local head"); font.bold: true }
        Label { objectName: "syncLocalHead"; text: root.source ? root.source.head : "—" }
        Label { text: qsTr("Upstream head"); font.bold: true }
        Label {
            objectName: "syncUpstreamHead"
            text: root.source ? "e" + root.source.upstreamHead : "—"
        }
        Label { text: qsTr("Backend id"); font.bold: true }
        Label { text: root.source && root.source.backendId.length ? root.source.backendId : qsTr("(none yet)") }
        Label { text: qsTr("Last error"); font.bold: true }
        Label {
            text: root.sync && root.sync.lastError.length ? root.sync.lastError : qsTr("(none)")
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        // The sync client's counters, since it was created (SyncClient::pushCount() and the rest).
        Label { text: qsTr("Pushed"); font.bold: true }
        Label {
            objectName: "syncPushed"
            text: root.sync ? qsTr("%1 events in %2 pushes").arg(root.sync.pushedEventCount).arg(root.sync.pushCount) : "—"
        }
        Label { text: qsTr("Pulled"); font.bold: true }
        Label {
            objectName: "syncPulled"
            text: root.sync ? qsTr("%1 events (others' and the echoes of ours)").arg(root.sync.pulledEventCount) : "—"
        }
        Label { text: qsTr("Skipped events"); font.bold: true }
        Label {
            text: root.sync ? String(root.sync.skippedEventCount) + (root.sync.lastSkippedEvent.length ? " (" + root.sync.lastSkippedEvent + ")" : "")
                            : "—"
        }
        Label { text: qsTr("Eventlog changes seen"); font.bold: true }
        Label { text: root.source ? String(root.source.changeCount) : "—" }
    }
}
