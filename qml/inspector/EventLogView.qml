// SPDX-License-Identifier: BSD-3-Clause
// Eventlog: every event, oldest first, in a ListView that reads pages as it scrolls (a log of
// millions is never loaded whole), with filters and the selected event's arguments.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    readonly property InspectorEventLog model: eventLog
    readonly property ListView listView: list

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
