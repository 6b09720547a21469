// SPDX-License-Identifier: BSD-3-Clause
// What happens to a Store's dependents when it reopens or goes away: models emptied while the old
// store still exists, `store` properties that become null with a signal, progress that belongs to
// the current open only, and `data` children the app destroys.
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "StoreLifetime"

    Component {
        id: storeComponent
        Store {
            inMemory: true
            Table {
                name: "todos"
                TableColumn { name: "id"; type: "text"; primaryKey: true }
                TableColumn { name: "text"; type: "text"; defaultValue: "" }
            }
            EventDefinition {
                name: "v1.TodoCreated"
                args: ({ id: "string", text: "string" })
                sql: "INSERT INTO todos (id, text) VALUES ($id, $text)"
            }
            ClientDocumentDefinition {
                name: "ui"
                schema: ({ type: "struct", fields: { filter: ["all", "active"] } })
                defaultValue: ({ filter: "all" })
            }
        }
    }
    Component {
        id: extraTable
        Table { name: "extra"; TableColumn { name: "id"; type: "text"; primaryKey: true } }
    }
    Component {
        id: queryComponent
        LiveQuery {
            sql: "SELECT id, text FROM todos ORDER BY id"
            Component.onCompleted: modelTester.watch(this)
        }
    }
    Component {
        id: logComponent
        EventLog { Component.onCompleted: modelTester.watch(this) }
    }
    Component {
        id: documentComponent
        ClientDocument { document: "ui"; property string filter }
    }
    Component {
        id: streamComponent
        EventStream { }
    }
    Component {
        id: spyComponent
        SignalSpy { }
    }

    function spyOn(target, signalName) {
        return createTemporaryObject(spyComponent, test, { target: target, signalName: signalName })
    }

    // A Table pushed into `data` and destroyed later is gone from the list: the next open reads
    // the schema without it (it read freed memory before).
    function test_destroyedDataChild() {
        const store = createTemporaryObject(storeComponent, test, { storeId: "lifetime-data" })
        compare(store.status, Store.Ready)
        const before = store.data.length
        const table = extraTable.createObject(null)
        store.data.push(table)
        compare(store.data.length, before + 1)
        store.storeId = "lifetime-data-2"
        compare(store.status, Store.Ready)
        compare(store.query("SELECT name FROM sqlite_schema WHERE name = 'extra'").length, 1)
        table.destroy()
        tryCompare(store.data, "length", before)
        store.storeId = "lifetime-data-3"
        compare(store.status, Store.Ready)
        compare(store.query("SELECT name FROM sqlite_schema WHERE name = 'extra'").length, 0)
    }

    // A reopen that fails: the models of the old store are emptied, row by row, and `head` says
    // there is no store any more.
    function test_reopenEmptiesDependents() {
        const store = createTemporaryObject(storeComponent, test, { storeId: "lifetime-reopen" })
        verify(store.commit("v1.TodoCreated", { id: "a", text: "A" }))
        const query = createTemporaryObject(queryComponent, test, { store: store })
        const log = createTemporaryObject(logComponent, test, { store: store })
        compare(query.count, 1)
        compare(query.status, LiveQuery.Ready)
        compare(log.count, 1)
        compare(store.head, "e1")
        const removed = spyOn(query, "rowsRemoved")
        const logRemoved = spyOn(log, "rowsRemoved")
        const heads = spyOn(store, "headChanged")

        ignoreWarning(/invalid store id "bad id"/)
        store.storeId = "bad id"
        compare(store.status, Store.Error)
        compare(query.count, 0)
        compare(query.status, LiveQuery.Null)
        compare(removed.count, 1)
        compare(log.count, 0)
        compare(logRemoved.count, 1)
        compare(store.head, "")
        compare(heads.count, 1)

        store.storeId = "lifetime-reopen-2"
        compare(store.status, Store.Ready)
        compare(query.status, LiveQuery.Ready)
        compare(query.count, 0) // a new in-memory store
        verify(store.commit("v1.TodoCreated", { id: "b", text: "B" }))
        compare(query.count, 1)
        compare(log.count, 1)
    }

    // An empty storeId: Null, and the boot state of an open that is not running.
    function test_emptyStoreIdResetsBootState() {
        const store = createTemporaryObject(storeComponent, test, { storeId: "lifetime-empty" })
        compare(store.bootStage, Store.BootDone)
        compare(store.progress, 1)
        store.storeId = ""
        compare(store.status, Store.Null)
        compare(store.bootStage, Store.BootIdle)
        compare(store.progress, 0)
        compare(store.head, "")
    }

    // The Store element destroyed: every element that named it has a null store (with
    // storeChanged) and empty models.
    function test_destroyedStore() {
        const store = storeComponent.createObject(test, { storeId: "lifetime-destroyed" })
        verify(store.commit("v1.TodoCreated", { id: "a", text: "A" }))
        const query = createTemporaryObject(queryComponent, test, { store: store })
        const log = createTemporaryObject(logComponent, test, { store: store })
        const document = createTemporaryObject(documentComponent, test, { store: store })
        const stream = createTemporaryObject(streamComponent, test, { store: store })
        compare(query.count, 1)
        compare(log.count, 1)
        compare(document.filter, "all")
        const spies = [spyOn(query, "storeChanged"), spyOn(log, "storeChanged"),
                       spyOn(document, "storeChanged"), spyOn(stream, "storeChanged")]
        store.destroy()
        tryVerify(() => query.store === null && log.store === null && document.store === null
                  && stream.store === null)
        for (const spy of spies)
            verify(spy.count >= 1, spy.target + " announced its store")
        compare(query.count, 0)
        compare(query.status, LiveQuery.Null)
        compare(log.count, 0)
        verify(!stream.running)
        ignoreWarning(/set: the store is not ready/)
        verify(!document.set({ filter: "active" }))
    }

    // A reopen stops an EventStream before its store goes: no "the store was destroyed" error,
    // and the stream goes on with the new store.
    function test_streamFollowsReopen() {
        const store = createTemporaryObject(storeComponent, test, { storeId: "lifetime-stream" })
        const stream = createTemporaryObject(streamComponent, test, { store: store })
        const errors = spyOn(stream, "errorOccurred")
        const received = []
        stream.received.connect(events => { for (const e of events) received.push(e.args.id) })
        verify(store.commit("v1.TodoCreated", { id: "a", text: "A" }))
        tryCompare(received, "length", 1)
        store.storeId = "lifetime-stream-2"
        compare(store.status, Store.Ready)
        // The new (in-memory) store's log starts again at e1; the stream goes on after its
        // cursor, e1, as documented.
        verify(store.commit("v1.TodoCreated", { id: "b", text: "B" }))
        verify(store.commit("v1.TodoCreated", { id: "c", text: "C" }))
        tryCompare(received, "length", 2)
        compare(received[1], "c")
        compare(errors.count, 0)
        compare(stream.errorString, "")
    }

    // Not `registry`: inside a Store, that name is the Store's own property.
    StoreRegistry { id: lifetimeRegistry; baseDirectory: storesDirectory + "/lifetime-registry" }
    Component {
        id: notesV1
        Store {
            // Not through the registry: it would keep this store, with this schema, open.
            directory: storesDirectory + "/lifetime-registry/" + storeId
            asynchronous: false
            Table {
                name: "notes"
                TableColumn { name: "id"; type: "text"; primaryKey: true }
                TableColumn { name: "body"; type: "text" }
            }
            EventDefinition {
                name: "v1.NoteAdded"
                args: ({ id: "string", body: "string" })
                sql: "INSERT INTO notes (id, body) VALUES ($id, $body)"
            }
        }
    }
    Component {
        id: notesV2 // one more column: opening a store of notesV1 rebuilds its state
        Store {
            registry: lifetimeRegistry
            Table {
                name: "notes"
                TableColumn { name: "id"; type: "text"; primaryKey: true }
                TableColumn { name: "body"; type: "text" }
                TableColumn { name: "stars"; type: "integer"; defaultValue: 0 }
            }
            EventDefinition {
                name: "v1.NoteAdded"
                args: ({ id: "string", body: "string" })
                sql: "INSERT INTO notes (id, body) VALUES ($id, $body)"
            }
        }
    }

    // An element that switched away from a store the registry goes on opening (for another
    // element) does not show that open's progress. (It switches to an in-memory store: one on
    // disk without the registry would go to the user's application data.)
    function test_progressOfTheCurrentOpenOnly() {
        const writer = notesV1.createObject(test, { storeId: "lifetime-boot" })
        compare(writer.status, Store.Ready)
        for (let chunk = 0; chunk < 20; ++chunk) {
            const events = []
            for (let i = 0; i < 1000; ++i) {
                const n = chunk * 1000 + i
                events.push({ name: "v1.NoteAdded", args: { id: "n" + n, body: "note " + n } })
            }
            verify(writer.commitAll(events))
        }
        writer.destroy()
        wait(0)

        const element = createTemporaryObject(notesV2, test, { storeId: "lifetime-boot" })
        compare(element.status, Store.Loading)
        // The same store, through the registry: it waits for the rebuild the first one started.
        const other = createTemporaryObject(notesV2, test, { storeId: "lifetime-boot" })
        compare(other.status, Store.Loading)
        element.inMemory = true
        element.storeId = "lifetime-boot-elsewhere"
        compare(element.status, Store.Ready)
        compare(element.bootStage, Store.BootDone)
        const reports = spyOn(element, "bootStatusChanged")
        tryCompare(other, "status", Store.Ready, 60000)
        compare(other.query("SELECT count(*) AS n FROM notes")[0].n, 20000)
        compare(reports.count, 0)
        compare(element.bootStage, Store.BootDone)
        compare(element.progress, 1)
    }
}
