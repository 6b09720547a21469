// SPDX-License-Identifier: BSD-3-Clause
// Eventlog: every event, oldest first, in a ListView that reads pages as it scrolls (a log of
// millions is never loaded whole), with filters and the selected event's arguments; Export… and
// Import… of the eventlog as JSON lines (as `livestore export` and `import`), their result inline.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    // See Inspector.fileChooser: file dialogs, or null for a path typed into a field.
    property var fileChooser: null
    readonly property InspectorEventLog model: eventLog
    readonly property ListView listView: list

    // "export" or "import" while its path is asked for or it runs; "" otherwise.
    property string transferMode: ""
    // Starting (the turn before it runs), or an export writing its pages.
    property bool transferStarting: false
    readonly property bool transferRunning: transferStarting || (source !== null && source.transferring)

    function beginTransfer(mode: string) {
        if (root.fileChooser) {
            const path = mode === "export"
                    ? root.fileChooser.saveFileName(qsTr("Export the eventlog"),
                                                    (root.source ? root.source.storeId : "eventlog") + ".jsonl")
                    : root.fileChooser.openFileName(qsTr("Import an eventlog"))
            if (!path)
                return
            transferPath.text = path
            root.transferMode = mode
            root.runTransfer()
            return
        }
        root.transferMode = mode
        transferPath.forceActiveFocus()
    }

    // Runs a turn of the event loop later, so that "Exporting…" is on screen while it works (a
    // long log takes a while, on this thread: the store lives here).
    function runTransfer() {
        if (!root.source || transferPath.text.length === 0)
            return
        root.transferStarting = true
        transferTimer.restart()
    }

    // A pause rather than a Timer: qmllint resolves QtQuick's types here, not QtQml's.
    PauseAnimation {
        id: transferTimer
        duration: 30
        onFinished: {
            const ok = root.transferMode === "export" ? root.source.exportEventlog(transferPath.text)
                                                      : root.source.importEventlog(transferPath.text)
            root.transferStarting = false
            if (ok)
                root.transferMode = ""
        }
    }

    InspectorEventLog {
        id: eventLog
        source: root.source
        name: nameFilter.currentIndex > 0 ? nameFilter.currentText : ""
        clientId: clientFilter.text
        sessionId: sessionFilter.text
        text: textFilter.text
        fromSeqNum: Number(fromFilter.text) || 0
        toSeqNum: Number(toFilter.text) || 0
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 6

        RowLayout {
            Layout.fillWidth: true
            ComboBox {
                id: nameFilter
                objectName: "eventNameFilter"
                model: eventLog.nameChoices
                Layout.preferredWidth: 220
            }
            TextField {
                id: textFilter
                objectName: "eventTextFilter"
                placeholderText: qsTr("Text in name or args")
                Layout.fillWidth: true
            }
            TextField {
                id: clientFilter
                placeholderText: qsTr("Client")
                Layout.preferredWidth: 110
            }
            TextField {
                id: sessionFilter
                placeholderText: qsTr("Session")
                Layout.preferredWidth: 110
            }
            TextField {
                id: fromFilter
                objectName: "eventFromFilter"
                placeholderText: qsTr("From e#")
                validator: IntValidator { bottom: 0 }
                Layout.preferredWidth: 80
            }
            TextField {
                id: toFilter
                objectName: "eventToFilter"
                placeholderText: qsTr("To e#")
                validator: IntValidator { bottom: 0 }
                Layout.preferredWidth: 80
            }
            ToolSeparator { }
            Button {
                objectName: "exportButton"
                text: qsTr("Export…")
                enabled: root.source !== null && root.source.status === InspectedStore.Ready && !root.transferRunning
                onClicked: root.beginTransfer("export")
            }
            // A disabled button gets no hover events: the item around it shows why it is disabled.
            Item {
                implicitWidth: importButton.implicitWidth
                implicitHeight: importButton.implicitHeight
                ToolTip.visible: importHover.hovered && !importButton.enabled && importButton.refusal.length > 0
                ToolTip.text: importButton.refusal
                ToolTip.delay: 300
                HoverHandler { id: importHover }
                Button {
                    id: importButton
                    objectName: "importButton"
                    readonly property string refusal: root.source ? root.source.importRefusal : ""
                    anchors.fill: parent
                    text: qsTr("Import…")
                    enabled: root.source !== null && root.source.canImport && !root.transferRunning
                    onClicked: root.beginTransfer("import")
                }
            }
        }

        // The path of an export or import (without file dialogs), and how the last one ended.
        RowLayout {
            Layout.fillWidth: true
            visible: root.transferMode.length > 0 && !root.fileChooser
            Label {
                text: root.transferMode === "export" ? qsTr("Export the eventlog as JSON lines to")
                                                     : qsTr("Import the events of")
            }
            TextField {
                id: transferPath
                objectName: "transferPath"
                placeholderText: qsTr("/path/to/file.jsonl")
                selectByMouse: true
                Layout.fillWidth: true
                onAccepted: root.runTransfer()
            }
            Button {
                objectName: "transferRun"
                text: root.transferMode === "export" ? qsTr("Export") : qsTr("Import")
                enabled: transferPath.text.length > 0 && !root.transferRunning
                onClicked: root.runTransfer()
            }
            Button {
                text: qsTr("Cancel")
                flat: true
                enabled: !root.transferRunning
                onClicked: root.transferMode = ""
            }
        }
        Label {
            objectName: "transferResult"
            Layout.fillWidth: true
            visible: text.length > 0
            wrapMode: Text.Wrap
            text: root.transferStarting ? (root.transferMode === "export" ? qsTr("Exporting…") : qsTr("Importing…"))
                                        : root.source ? root.source.transferMessage : ""
            color: !root.transferRunning && root.source && root.source.transferFailed ? "#b00020" : palette.windowText
        }

        SplitView {
            Layout.fillWidth: true
            Layout.fillHeight: true

            ListView {
                id: list
                objectName: "eventList"
                SplitView.fillWidth: true
                SplitView.minimumWidth: 300
                clip: true
                model: eventLog
                reuseItems: true
                boundsBehavior: Flickable.StopAtBounds
                currentIndex: -1
                ScrollBar.vertical: ScrollBar { }
                // The next page when the end of what is loaded comes into view (the view's own
                // fetchMore() does not come again when a page arrives during a flick), and a few
                // screens ahead so that a flick does not stop at the end of a page.
                onContentYChanged: {
                    if (eventLog.hasMore && list.contentY + list.height > list.contentHeight - 3 * list.height)
                        Qt.callLater(eventLog.loadMore)
                }
                onCountChanged: {
                    if (eventLog.hasMore && list.contentHeight - list.contentY < 4 * list.height)
                        Qt.callLater(eventLog.loadMore)
                }
                delegate: ItemDelegate {
                    id: eventRow
                    required property int index
                    required property string seqNum
                    required property string name
                    required property string args
                    required property string clientId
                    required property string sessionId
                    required property bool pending
                    required property bool clientOnly
                    width: ListView.view.width
                    highlighted: ListView.isCurrentItem
                    onClicked: eventRow.ListView.view.currentIndex = eventRow.index
                    contentItem: RowLayout {
                        spacing: 10
                        Label {
                            text: eventRow.seqNum
                            font.family: "monospace"
                            Layout.preferredWidth: 70
                        }
                        Label {
                            text: eventRow.pending ? qsTr("pending") : qsTr("confirmed")
                            color: eventRow.pending ? "#a15c00" : "#2e7d32"
                            Layout.preferredWidth: 70
                        }
                        Label {
                            text: eventRow.name
                            font.bold: true
                            Layout.preferredWidth: 200
                            elide: Text.ElideRight
                        }
                        Label {
                            text: eventRow.args
                            font.family: "monospace"
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            text: eventRow.clientId + "/" + eventRow.sessionId + (eventRow.clientOnly ? qsTr(" · client-only") : "")
                            opacity: 0.6
                        }
                    }
                }
            }

            ScrollView {
                SplitView.preferredWidth: 300
                TextArea {
                    objectName: "eventDetails"
                    readOnly: true
                    font.family: "monospace"
                    wrapMode: TextEdit.Wrap
                    text: {
                        if (list.currentIndex < 0)
                            return qsTr("Select an event to see its arguments.")
                        const e = eventLog.get(list.currentIndex)
                        return e.seqNum + "  " + e.name + "\n" + qsTr("parent ") + e.parentSeqNum + "\n"
                                + qsTr("client ") + e.clientId + ", " + qsTr("session ") + e.sessionId + "\n"
                                + (e.pending ? qsTr("pending") : qsTr("confirmed")) + "\n\n" + e.prettyArgs
                    }
                }
            }
        }

        Label {
            objectName: "eventLogStatus"
            text: qsTr("%1 events loaded%2 · head %3").arg(eventLog.count)
                  .arg(eventLog.hasMore ? qsTr(" (more as you scroll)") : "").arg(root.source ? root.source.head : "")
            opacity: 0.75
        }
    }
}
