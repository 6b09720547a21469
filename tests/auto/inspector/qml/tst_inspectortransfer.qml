// SPDX-License-Identifier: BSD-3-Clause
// The Eventlog view's Export… and Import…, through its buttons and path field: an app's events
// exported to a file and imported into an empty store give the same state; an import into a store
// that holds events shows the store's error inline; a store opened read-only from disk has Import…
// disabled, with the reason as its tooltip.
import QtQuick
import QtQuick.Controls
import QtTest
import LiveStore
import LiveStore.Inspector

Item {
    id: root
    width: 1100
    height: 700

    readonly property url todos: Qt.resolvedUrl("../../../../examples/schemas/todos.json")

    Store { id: source; storeId: "transfersource"; inMemory: true; schema: root.todos }
    Store { id: target; storeId: "transfertarget"; inMemory: true; schema: root.todos }
    // On disk, for the inspector to open read-only beside it.
    Store { id: onDisk; storeId: "transferdisk"; directory: tempDirectory + "/transferdisk"; schema: root.todos }

    Inspector { id: sourceInspector; anchors.fill: parent; store: source }
    Inspector { id: targetInspector; anchors.fill: parent; store: target; visible: false }
    Component {
        id: readOnlyInspector
        Inspector { anchors.fill: parent; directory: tempDirectory + "/transferdisk" }
    }

    SignalSpy { id: transferSpy; signalName: "transferChanged" }

    TestCase {
        name: "InspectorTransfer"
        when: windowShown

        function initTestCase() {
            tryCompare(source, "status", Store.Ready)
            tryCompare(target, "status", Store.Ready)
            tryCompare(onDisk, "status", Store.Ready)
            for (let i = 1; i <= 4; ++i)
                verify(source.commit("v1.TodoCreated", { id: "t" + i, text: "todo " + i }))
            verify(source.commit("v1.TodoCompleted", { id: "t3" }))
        }

        // Export… asks for the path, Export writes it; the result line counts the events.
        function exportThroughTheView(inspector, path) {
            mouseClick(findChild(inspector, "exportButton"))
            const field = findChild(inspector, "transferPath")
            tryVerify(() => field.visible)
            field.text = path
            transferSpy.target = inspector.inspected
            transferSpy.clear()
            mouseClick(findChild(inspector, "transferRun"))
            transferSpy.wait(3000)
            // An export writes in slices: done when it no longer transfers.
            tryVerify(() => !inspector.inspected.transferring, 3000)
            return findChild(inspector, "transferResult").text
        }

        function importThroughTheView(inspector, path) {
            const button = findChild(inspector, "importButton")
            verify(button.enabled, button.refusal)
            mouseClick(button)
            const field = findChild(inspector, "transferPath")
            tryVerify(() => field.visible)
            field.text = path
            transferSpy.target = inspector.inspected
            transferSpy.clear()
            mouseClick(findChild(inspector, "transferRun"))
            const result = findChild(inspector, "transferResult")
            compare(result.text, "Importing…") // while it waits for a frame to show this
            transferSpy.wait(3000)
            // A store on disk imports on a worker thread: done when `transferring` drops.
            tryVerify(() => !inspector.inspected.transferring, 10000, result.text)
            return result
        }

        function test_exportThenImport() {
            const file = tempDirectory + "/todos.jsonl"
            const text = exportThroughTheView(sourceInspector, file)
            compare(text, "Exported 5 events to " + file + ".")
            compare(sourceInspector.inspected.transferredCount, 5)
            verify(!sourceInspector.inspected.transferFailed)
            verify(!findChild(sourceInspector, "transferPath").visible) // done: the path row goes

            // Read back: imported into an empty store, the file gives the same events and state.
            sourceInspector.visible = false
            targetInspector.visible = true
            const result = importThroughTheView(targetInspector, file)
            compare(result.text, "Imported 5 events from " + file + ".")
            compare(target.query("SELECT id, completed FROM todos ORDER BY id"),
                    source.query("SELECT id, completed FROM todos ORDER BY id"))
            compare(targetInspector.inspected.head, "e5")

            // Again: the store holds events now, and says so inline.
            const again = importThroughTheView(targetInspector, file)
            verify(targetInspector.inspected.transferFailed)
            verify(again.visible)
            verify(again.text.indexOf("Import: ") === 0, again.text)
            verify(Qt.colorEqual(again.color, "#b00020"))
            compare(target.query("SELECT count(*) AS n FROM todos")[0].n, 4)
            targetInspector.visible = false
            sourceInspector.visible = true
        }

        function test_exportToAFolderThatIsNot() {
            mouseClick(findChild(sourceInspector, "exportButton"))
            const field = findChild(sourceInspector, "transferPath")
            field.text = tempDirectory + "/no/such/folder/x.jsonl"
            transferSpy.target = sourceInspector.inspected
            transferSpy.clear()
            mouseClick(findChild(sourceInspector, "transferRun"))
            transferSpy.wait(3000)
            const result = findChild(sourceInspector, "transferResult")
            verify(sourceInspector.inspected.transferFailed)
            verify(result.text.indexOf("Export: cannot write") === 0, result.text)
            verify(field.visible) // the path stays, to correct it
        }

        function test_importRefusedReadOnly() {
            sourceInspector.visible = false
            const inspector = createTemporaryObject(readOnlyInspector, root)
            tryVerify(() => inspector.inspected.status === InspectedStore.Ready, 3000, inspector.inspected.errorString)
            verify(inspector.inspected.readOnly)
            const button = findChild(inspector, "importButton")
            verify(!button.enabled)
            verify(button.refusal.indexOf("read-only") > 0, button.refusal)
            verify(button.parent.ToolTip.text.indexOf("--write") > 0, button.parent.ToolTip.text)
            verify(!inspector.inspected.importEventlog(tempDirectory + "/todos.jsonl"))
            verify(inspector.inspected.transferMessage.indexOf("read-only") > 0)
            // Export works read-only.
            const file = tempDirectory + "/readonly.jsonl"
            compare(exportThroughTheView(inspector, file), "Exported 0 events to " + file + ".")
            sourceInspector.visible = true
        }
    }
}
