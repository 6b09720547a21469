// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtQuick.Controls
import QtTest
import LiveStore

// A Store on disk that rebuilds its state (a table changed) opens on a worker thread: the window
// keeps drawing frames and a ProgressBar bound to `progress` moves while the eventlog replays.
Item {
    id: root
    width: 300
    height: 200

    // Something that changes every frame, so that frames are drawn whenever the GUI thread is free.
    Rectangle {
        width: 20; height: 20; color: "steelblue"
        RotationAnimation on rotation { from: 0; to: 360; duration: 500; loops: Animation.Infinite }
    }

    ProgressBar {
        id: bar
        anchors.centerIn: parent
        from: 0
        to: 1
    }

    Component {
        id: storeComponent
        Store {
            storeId: "progress"
            directory: storesDirectory + "/progress"
            property bool stars: false
            Table {
                name: "notes"
                TableColumn { name: "id"; type: "text"; primaryKey: true }
                TableColumn { name: "body"; type: "text" }
            }
            EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string", body: "string" })
                              sql: "INSERT INTO notes (id, body) VALUES ($id, $body)" }
        }
    }
    // The same store after an app update: a new column, so the state is rebuilt on open.
    Component {
        id: updatedStoreComponent
        Store {
            storeId: "progress"
            directory: storesDirectory + "/progress"
            Table {
                name: "notes"
                TableColumn { name: "id"; type: "text"; primaryKey: true }
                TableColumn { name: "body"; type: "text" }
                TableColumn { name: "stars"; type: "integer"; defaultValue: 0 }
            }
            EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string", body: "string" })
                              sql: "INSERT INTO notes (id, body) VALUES ($id, $body)" }
        }
    }

    TestCase {
        id: test
        name: "OpenProgress"
        when: windowShown

        property int frames: 0
        Connections {
            target: root.Window.window
            function onFrameSwapped() { test.frames++ }
        }

        function test_framesDuringRebuild() {
            // 60,000 notes written through a store that opens at once.
            const writer = createTemporaryObject(storeComponent, root, { asynchronous: false })
            compare(writer.status, Store.Ready)
            for (let chunk = 0; chunk < 60; ++chunk) {
                const events = []
                for (let i = 0; i < 1000; ++i) {
                    const n = chunk * 1000 + i
                    events.push({ name: "v1.NoteAdded", args: { id: "n" + n, body: "note " + n } })
                }
                verify(writer.commitAll(events), writer.errorString)
            }
            writer.destroy()
            wait(50) // the store closes with the element

            frames = 0
            const values = []
            const store = createTemporaryObject(updatedStoreComponent, root)
            bar.value = Qt.binding(() => store.progress)
            store.bootStatusChanged.connect(() => values.push({ value: bar.value, frames: test.frames }))
            // The element is complete, the store is not open yet: the open runs elsewhere.
            compare(store.status, Store.Loading)
            tryCompare(store, "status", Store.Ready, 60000)
            compare(store.query("SELECT count(*) AS n FROM notes")[0].n, 60000)
            compare(bar.value, 1)

            // Progress went up in steps, and frames were drawn between the first step and the last.
            const inside = values.filter(v => v.value > 0 && v.value < 1)
            verify(inside.length >= 3, "progress steps inside the rebuild: " + inside.length)
            for (let i = 1; i < values.length; ++i)
                verify(values[i].value >= values[i - 1].value, "progress went back at step " + i)
            const framesDuring = inside[inside.length - 1].frames - inside[0].frames
            verify(framesDuring >= 2, "frames drawn during the rebuild: " + framesDuring
                   + " (over " + inside.length + " progress steps)")
        }

        // Run after test_framesDuringRebuild (functions run in name order): its store exists.
        function test_switchingAwayCancelsTheRebuild() {
            // Another table change; the element switches to another store mid-rebuild (as an app
            // switching documents), which cancels it and rolls it back.
            const store = createTemporaryObject(storeComponent, root)
            tryVerify(() => store.progress > 0 && store.progress < 1, 60000, "the rebuild started")
            const progressAtSwitch = store.progress
            store.storeId = "elsewhere"
            store.directory = storesDirectory + "/elsewhere"
            tryCompare(store, "status", Store.Ready, 60000)
            compare(store.query("SELECT count(*) AS n FROM notes")[0].n, 0)
            verify(progressAtSwitch < 1)

            // Back on the first store: the rolled-back rebuild runs again, completely.
            store.storeId = "progress"
            store.directory = storesDirectory + "/progress"
            tryCompare(store, "status", Store.Ready, 60000)
            compare(store.query("SELECT count(*) AS n FROM notes")[0].n, 60000)
        }
    }
}
