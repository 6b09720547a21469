// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

// EventLog: a Store's eventlog as a paged model, filtered, following new commits.
Item {
    width: 300
    height: 200

    Store {
        id: store
        storeId: "qml-eventlog"
        inMemory: true
        Table {
            name: "notes"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
        }
        EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string" })
                          sql: "INSERT INTO notes (id) VALUES ($id)" }
        EventDefinition { name: "v1.NoteRemoved"; args: ({ id: "string" })
                          sql: "DELETE FROM notes WHERE id = $id" }
    }

    EventLog { id: all; store: store; pageSize: 50; Component.onCompleted: modelTester.watch(this) }
    EventLog {
        id: removals
        store: store
        names: ["v1.NoteRemoved"]
        Component.onCompleted: modelTester.watch(this)
    }

    ListView {
        id: view
        anchors.fill: parent
        model: all
        delegate: Text {
            required property string seqNum
            required property string name
            height: 10
            text: seqNum + " " + name
        }
    }

    Component {
        id: syncedStore
        Store {
            inMemory: true
            schema: Qt.resolvedUrl("data/notes.json")
            syncUrl: syncServerUrl
        }
    }
    Component {
        id: logOf
        EventLog { Component.onCompleted: modelTester.watch(this) }
    }

    TestCase {
        id: test
        name: "EventLog"
        when: windowShown

        function test_pulledEventsAppear() {
            // Two clients of one store through the test's sync server: what one commits shows in
            // the other's EventLog once it is pulled.
            const id = "qml-eventlog-sync-" + Date.now()
            const a = createTemporaryObject(syncedStore, test, { storeId: id })
            const b = createTemporaryObject(syncedStore, test, { storeId: id })
            compare(a.status, Store.Ready)
            compare(b.status, Store.Ready)
            const log = createTemporaryObject(logOf, test, { store: b })
            compare(log.count, 0)
            verify(a.commit("noted", { id: "from-a" }))
            tryCompare(log, "count", 1, 10000)
            compare(log.get(0).name, "noted")
            compare(log.get(0).clientId, a.clientId)
            compare(log.get(0).seqNum, "e1")
        }

        function test_pagesFiltersAndNewEvents() {
            const events = []
            for (let i = 0; i < 300; ++i)
                events.push({ name: "v1.NoteAdded", args: { id: "n" + i } })
            events.push({ name: "v1.NoteRemoved", args: { id: "n7" } })
            verify(store.commitAll(events))
            // The view reached the end of the first page: it asked for more as it was filled.
            verify(all.count >= 50)
            compare(removals.count, 1)
            compare(removals.get(0).args, "{\"id\":\"n7\"}")
            compare(removals.get(0).seqNum, "e301")

            // Scrolled to the end, the view asks for the next page (QQmlDelegateModel calls
            // fetchMore() when it creates the last delegate); again at the new end, and so on.
            const before = all.count
            tryVerify(() => { view.positionViewAtEnd(); return !all.hasMore }, 10000,
                      "the view scrolled through the whole log")
            verify(all.count > before)
            compare(all.count, 301)
            compare(all.get(300).name, "v1.NoteRemoved")

            verify(store.commit("v1.NoteRemoved", { id: "n8" }))
            compare(all.count, 302)
            compare(removals.count, 2)
        }
    }
}
