// SPDX-License-Identifier: BSD-3-Clause
// Store.syncUrl, store.sync (SyncStatus) and the initial sync options, against the sync server
// tst_qml.cpp runs in-process (syncServerUrl).
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "Sync"

    // Each test gets stores of its own id, so the server's stores do not carry over.
    property int run: 0
    function storeIdFor(name) { return "qml-sync-" + name + "-" + Date.now() }

    Component {
        id: syncedStore
        Store {
            inMemory: true
            schema: Qt.resolvedUrl("data/notes.json")
            syncUrl: syncServerUrl
        }
    }
    Component {
        id: notesQuery
        LiveQuery { sql: "SELECT id FROM notes ORDER BY id"; Component.onCompleted: modelTester.watch(this) }
    }
    Component {
        id: progressLog
        QtObject {
            property var store
            property var stages: []
            property var values: []
            property Connections watch: Connections {
                target: store
                function onBootStatusChanged() {
                    stages.push(store.bootStage)
                    values.push(store.progress)
                }
            }
        }
    }

    function openStore(properties) {
        const store = createTemporaryObject(syncedStore, test, properties)
        verify(store)
        return store
    }

    // Another process of the store syncs it: this one stands by, is Ready at once even with a
    // blocking initial sync, and takes the lead when the other lets go.
    Component {
        id: storeOnDisk
        Store {
            schema: Qt.resolvedUrl("data/notes.json")
            syncUrl: syncServerUrl
            initialSync: Store.InitialSyncBlocking
            initialSyncTimeout: 60000
        }
    }

    function test_standbyWhileAnotherProcessSyncs() {
        const directory = storesDirectory + "/standby"
        verify(otherProcess.holdSyncLock(directory))
        const store = createTemporaryObject(storeOnDisk, test,
                                            { storeId: storeIdFor("standby"), directory: directory })
        verify(store)
        tryCompare(store, "status", Store.Ready) // long before the 60 s
        verify(store.sync !== null)
        compare(store.sync.status, SyncStatus.Standby)
        compare(store.sync.leader, false)
        verify(store.commit("noted", { id: "n1" }))
        compare(store.sync.pendingCount, 1)
        otherProcess.releaseSyncLock()
        tryCompare(store.sync, "leader", true, 3000)
        tryCompare(store.sync, "status", SyncStatus.Connected)
        tryCompare(store.sync, "pendingCount", 0)
    }

    function test_statusEnumsAndNoSync() {
        // Without a syncUrl there is no sync object, and SyncStatus' values are there for bindings.
        const store = createTemporaryObject(syncedStore, test, { storeId: storeIdFor("none"), syncUrl: "" })
        compare(store.status, Store.Ready)
        compare(store.sync, null)
        verify(SyncStatus.Connected !== SyncStatus.Disconnected)
        compare(Store.BootSyncing + 1, Store.BootDone)
    }

    function test_commitReachesTheOtherStoresModel() {
        const id = storeIdFor("ab")
        const a = openStore({ storeId: id })
        const b = openStore({ storeId: id })
        compare(a.status, Store.Ready)
        verify(a.sync !== null)
        tryCompare(a.sync, "status", SyncStatus.Connected)
        tryCompare(b.sync, "caughtUp", true)
        const model = createTemporaryObject(notesQuery, test, { store: b })
        compare(model.count, 0)

        verify(a.commit("noted", { id: "n1" }))
        compare(a.sync.pendingCount, 1)
        tryCompare(model, "count", 1)
        compare(model.get(0).id, "n1")
        tryCompare(a.sync, "pendingCount", 0)
        compare(a.sync.upstreamHead, 1)
        tryCompare(b.sync, "upstreamHead", 1)
        compare(b.head, "e1")
        compare(a.sync.lastError, "")

        // And back, several at once.
        verify(b.commitAll([{ name: "noted", args: { id: "n2" } }, { name: "noted", args: { id: "n3" } }]))
        tryCompare(a.sync, "upstreamHead", 3)
        compare(a.query("SELECT count(*) AS n FROM notes")[0].n, 3)
    }

    function test_blockingInitialSyncWaitsForTheServer() {
        const id = storeIdFor("blocking")
        const writer = openStore({ storeId: id })
        const events = []
        for (let i = 0; i < 250; ++i)
            events.push({ name: "noted", args: { id: "n" + String(i).padStart(3, "0") } })
        verify(writer.commitAll(events))
        tryCompare(writer.sync, "pendingCount", 0, 10000)

        // Created incomplete so the log sees every boot status change.
        const reader = syncedStore.createObject(test, { storeId: id, initialSync: Store.InitialSyncBlocking,
                                                        initialSyncTimeout: 20000 })
        verify(reader)
        try {
            // The store opened its local data but stays Loading until the catch-up is done.
            compare(reader.status, Store.Loading)
            compare(reader.bootStage, Store.BootSyncing)
            const log = createTemporaryObject(progressLog, test, { store: reader })
            tryCompare(reader, "status", Store.Ready, 10000)
            compare(reader.bootStage, Store.BootDone)
            compare(reader.progress, 1)
            // Ready means caught up: all 250 are there at once.
            compare(reader.query("SELECT count(*) AS n FROM notes")[0].n, 250)
            // Pages of at most 100 events: progress went up through the catch-up.
            const syncing = log.values.filter((v, i) => log.stages[i] === Store.BootSyncing)
            verify(syncing.length >= 1, JSON.stringify(log.values))
            for (let i = 1; i < syncing.length; ++i)
                verify(syncing[i] >= syncing[i - 1], JSON.stringify(syncing))
            verify(syncing[0] < 1, JSON.stringify(syncing))
        } finally {
            reader.destroy()
        }
    }

    function test_blockingInitialSyncTimesOutWithLocalData() {
        const store = syncedStore.createObject(test, { storeId: storeIdFor("timeout"), syncUrl: unreachableSyncUrl,
                                                       initialSync: Store.InitialSyncBlocking,
                                                       initialSyncTimeout: 300 })
        try {
            compare(store.status, Store.Loading)
            tryCompare(store, "status", Store.Ready, 5000)
            verify(store.sync.status !== SyncStatus.Connected)
            compare(store.sync.caughtUp, false)
            // Offline commits succeed and wait.
            verify(store.commit("noted", { id: "offline" }))
            compare(store.sync.pendingCount, 1)
            tryVerify(() => store.sync.lastError !== "", 5000)
        } finally {
            store.destroy()
        }
    }

    function test_badSyncUrlIsAnErrorButTheStoreWorks() {
        const store = openStore({ storeId: storeIdFor("badurl"), syncUrl: "http://127.0.0.1:1/" })
        compare(store.status, Store.Ready)
        compare(store.sync.status, SyncStatus.Error)
        verify(store.sync.lastError.indexOf("ws:// or wss://") >= 0, store.sync.lastError)
        verify(store.commit("noted", { id: "local" }))
        compare(store.query("SELECT count(*) AS n FROM notes")[0].n, 1)
        // Mended, it syncs: the local commit goes out.
        store.syncUrl = syncServerUrl
        tryCompare(store.sync, "status", SyncStatus.Connected)
        tryCompare(store.sync, "pendingCount", 0)
        compare(store.sync.lastError, "")
    }

    Component {
        id: reopeningStore
        Store {
            property string nextId
            property bool reopened: false
            inMemory: true
            schema: Qt.resolvedUrl("data/notes.json")
            syncUrl: syncServerUrl
            initialSync: Store.InitialSyncBlocking
            initialSyncTimeout: 10000
            // Becoming Ready after the catch-up reopens on another id: the first store, and the
            // sync client that reported the catch-up, are released in the middle of it.
            onStatusChanged: if (status === Store.Ready && !reopened) { reopened = true; storeId = nextId }
        }
    }

    function test_reopenWhenInitialSyncEnds() {
        const first = storeIdFor("reopen-a")
        const writer = openStore({ storeId: first })
        verify(writer.commit("noted", { id: "n1" }))
        tryCompare(writer.sync, "pendingCount", 0)
        const store = reopeningStore.createObject(test, { storeId: first, nextId: storeIdFor("reopen-b") })
        try {
            tryVerify(() => store.reopened, 10000)
            tryCompare(store, "status", Store.Ready, 10000)
            verify(store.storeId.indexOf("reopen-b") >= 0)
            tryCompare(store.sync, "caughtUp", true)
            compare(store.query("SELECT count(*) AS n FROM notes")[0].n, 0)
        } finally {
            store.destroy()
        }
    }

    // The push/pull counters bind: the writer's two events go out in one push and come back as
    // echoes; the reader pulls them and pushes nothing.
    function test_trafficCounters() {
        const id = storeIdFor("traffic")
        const writer = openStore({ storeId: id })
        tryCompare(writer.sync, "status", SyncStatus.Connected)
        compare(writer.sync.pushCount, 0)
        compare(writer.sync.pushedEventCount, 0)
        compare(writer.sync.pulledEventCount, 0)
        verify(writer.commitAll([{ name: "noted", args: { id: "n1" } }, { name: "noted", args: { id: "n2" } }]))
        tryCompare(writer.sync, "pendingCount", 0)
        tryCompare(writer.sync, "pulledEventCount", 2)
        compare(writer.sync.pushCount, 1)
        compare(writer.sync.pushedEventCount, 2)
        const reader = openStore({ storeId: id })
        tryCompare(reader.sync, "pulledEventCount", 2)
        compare(reader.sync.pushCount, 0)
        compare(reader.sync.pushedEventCount, 0)
    }

    function test_payloadAndUrlChangesReconnect() {
        const id = storeIdFor("payload")
        const store = openStore({ storeId: id, syncPayload: { authToken: "t1" } })
        tryCompare(store.sync, "status", SyncStatus.Connected)
        compare(store.sync.payload.authToken, "t1")
        store.syncPayload = { authToken: "t2" }
        compare(store.sync.payload.authToken, "t2")
        tryCompare(store.sync, "status", SyncStatus.Connected)
        // Switching servers keeps the same sync object; switching sync off drops it.
        const sync = store.sync
        store.syncUrl = unreachableSyncUrl
        compare(store.sync, sync)
        tryVerify(() => store.sync.status !== SyncStatus.Connected)
        store.syncUrl = ""
        compare(store.sync, null)
        compare(store.status, Store.Ready)
    }
}
