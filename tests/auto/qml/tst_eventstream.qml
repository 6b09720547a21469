// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

// EventStream: a Store's events in order from a cursor, in batches, then live; filters; a
// confirmed-only stream of a Store that syncs.
Item {
    Store {
        id: store
        storeId: "qml-eventstream"
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

    Component {
        id: streamOf
        EventStream {
            property var seen: []
            property var batches: []
            property var rebases: []
            onReceived: (events) => {
                batches = batches.concat([events.length])
                seen = seen.concat(events)
            }
            onRebasedTo: (cursor) => { rebases = rebases.concat([cursor]) }
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

    TestCase {
        id: test
        name: "EventStream"

        function seqNums(events) { return events.map(e => e.seqNum) }

        function test_historyThenLive() {
            const events = []
            for (let i = 0; i < 10; ++i)
                events.push({ name: i % 4 == 3 ? "v1.NoteRemoved" : "v1.NoteAdded", args: { id: "n" + i } })
            const from = store.head // the tests share the store
            verify(store.commitAll(events))
            const stream = createTemporaryObject(streamOf, test, { store: store, batchSize: 4, cursor: from })
            verify(stream.active)
            tryVerify(() => stream.caughtUp, 10000)
            verify(stream.running)
            compare(stream.seen.length, 10)
            compare(stream.batches, [4, 4, 2])
            const first = Number(from.substring(1)) + 1
            compare(seqNums(stream.seen), [...Array(10).keys()].map(i => "e" + (first + i)))
            compare(stream.seen[3].name, "v1.NoteRemoved")
            compare(stream.seen[3].args.id, "n3")
            compare(stream.seen[3].argsJson, "{\"id\":\"n3\"}")
            compare(stream.seen[3].clientId, store.clientId)
            compare(stream.seen[3].sessionId, store.sessionId)
            compare(stream.seen[3].clientOnly, false)
            compare(stream.cursor, store.head)

            verify(store.commit("v1.NoteAdded", { id: "live" }))
            tryVerify(() => stream.seen.length === 11, 10000)
            compare(stream.seen[10].args.id, "live")
            compare(stream.cursor, store.head)
        }

        function test_filtersAndCursor() {
            const from = store.head
            verify(store.commitAll([{ name: "v1.NoteAdded", args: { id: "f1" } },
                                    { name: "v1.NoteRemoved", args: { id: "f1" } },
                                    { name: "v1.NoteAdded", args: { id: "f2" } }]))
            const removals = createTemporaryObject(streamOf, test, { store: store, cursor: from,
                                                                   names: ["v1.NoteRemoved"] })
            tryVerify(() => removals.caughtUp, 10000)
            compare(removals.seen.length, 1)
            compare(removals.seen[0].args.id, "f1")
            const other = createTemporaryObject(streamOf, test, { store: store, cursor: from,
                                                                clientId: "someone-else" })
            tryVerify(() => other.caughtUp, 10000)
            compare(other.seen.length, 0)
            compare(other.cursor, store.head) // read past what it left out

            // Inactive: nothing until it is switched on, then from its cursor.
            const later = createTemporaryObject(streamOf, test, { store: store, cursor: from, active: false })
            wait(0)
            compare(later.running, false)
            compare(later.seen.length, 0)
            later.active = true
            tryVerify(() => later.seen.length === 3, 10000)
            compare(later.seen[0].args.id, "f1")
        }

        function test_pullOnDemand() {
            const stream = createTemporaryObject(streamOf, test, { store: store, autoFetch: false, batchSize: 2 })
            wait(0)
            compare(stream.seen.length, 0)
            stream.fetchMore()
            tryVerify(() => stream.seen.length === 2, 10000)
            wait(0)
            compare(stream.batches, [2])
        }

        function test_confirmedOnly() {
            // Two clients of one store through the test's sync server: the confirmed-only stream of
            // a shows b's event once pulled, and a's own once the server confirms it.
            const id = "qml-eventstream-sync-" + Date.now()
            const a = createTemporaryObject(syncedStore, test, { storeId: id })
            const b = createTemporaryObject(syncedStore, test, { storeId: id })
            compare(a.status, Store.Ready)
            compare(b.status, Store.Ready)
            const confirmed = createTemporaryObject(streamOf, test, { store: a, confirmedOnly: true })
            const all = createTemporaryObject(streamOf, test, { store: a })
            verify(b.commit("noted", { id: "from-b" }))
            tryVerify(() => confirmed.seen.length === 1, 10000)
            compare(confirmed.seen[0].clientId, b.clientId)
            verify(a.commit("noted", { id: "from-a" }))
            tryVerify(() => confirmed.seen.length === 2, 10000)
            compare(confirmed.seen[1].clientId, a.clientId)
            compare(seqNums(confirmed.seen), ["e1", "e2"])
            compare(confirmed.rebases, [])
            tryVerify(() => all.seen.length === 2, 10000)
            compare(seqNums(all.seen), ["e1", "e2"])
        }
    }
}
