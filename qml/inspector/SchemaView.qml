// SPDX-License-Identifier: BSD-3-Clause
// Schema: the tables and their columns, the events and their arguments' types, the client
// documents, with the hashes LiveStore compares when a store opens.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import LiveStore.Inspector

Item {
    id: root

    property InspectedStore source
    readonly property SchemaModel model: schema

    SchemaModel {
        id: schema
        source: root.source
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 6

        Label {
            objectName: "schemaSummary"
            text: qsTr("%1 tables · %2 events · %3 client documents · state hash %4")
                  .arg(schema.tableCount).arg(schema.eventCount).arg(schema.documentCount).arg(schema.stateHash)
            opacity: 0.75
        }

        ListView {
            objectName: "schemaList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: schema
            ScrollBar.vertical: ScrollBar { }
            delegate: RowLayout {
                id: schemaRow
                required property string kind
                required property string name
                required property string type
                required property string detail
                required property string hash
                required property int depth
                width: ListView.view.width
                spacing: 12
                Item { Layout.preferredWidth: schemaRow.depth * 24 }
                Label {
                    text: schemaRow.name
                    font.bold: schemaRow.depth === 0
                    Layout.preferredWidth: 220 - schemaRow.depth * 24
                    elide: Text.ElideRight
                    topPadding: schemaRow.depth === 0 ? 8 : 1
                }
                Label {
                    text: schemaRow.type
                    color: schemaRow.kind === "event" || schemaRow.kind === "table" ? "#1a5fb4" : "#5e5c64"
                    Layout.preferredWidth: 160
                    topPadding: schemaRow.depth === 0 ? 8 : 1
                }
                Label {
                    text: schemaRow.detail
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                    opacity: 0.8
                    topPadding: schemaRow.depth === 0 ? 8 : 1
                }
                Label {
                    visible: schemaRow.hash.length > 0
                    text: "#" + schemaRow.hash
                    font.family: "monospace"
                    opacity: 0.6
                    topPadding: schemaRow.depth === 0 ? 8 : 1
                }
            }
        }
    }
}
