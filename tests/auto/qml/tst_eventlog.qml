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

    EventLog { id: all; store: store; pageSize: 50 }
    EventLog { id: removals; store: store; names: ["v1.NoteRemoved"] }

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

    TestCase {
        name: "EventLog"
        when: windowShown

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
