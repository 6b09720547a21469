// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

// The attached property Store.store: delegates and components reach the nearest Store without
// naming it by id (which qmllint reports as unqualified access from inside a delegate).
Item {
    id: root
    width: 200
    height: 400

    Store {
        id: store
        storeId: "qml-attached"
        inMemory: true
        Table {
            name: "notes"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
            TableColumn { name: "done"; type: "boolean"; defaultValue: false }
        }
        EventDefinition { name: "v1.NoteAdded"; args: ({ id: "string" })
                          sql: "INSERT INTO notes (id) VALUES ($id)" }
        EventDefinition { name: "v1.NoteDone"; args: ({ id: "string" })
                          sql: "UPDATE notes SET done = 1 WHERE id = $id" }
    }

    LiveQuery {
        id: notes
        store: store
        sql: "SELECT id, done FROM notes ORDER BY id"
        Component.onCompleted: modelTester.watch(this)
    }

    ListView {
        id: list
        anchors.fill: parent
        model: notes
        delegate: Rectangle {
            id: row
            required property string id
            required property bool done
            objectName: "row-" + id
            width: ListView.view.width
            height: 20
            // What an example delegate does: commit through the nearest store.
            function finish() { return Store.store.commit("v1.NoteDone", { id: row.id }) }
            property QtObject found: Store.store
            Item {
                objectName: "inner-" + row.id
                property QtObject found: Store.store
            }
        }
    }

    // A second Store elsewhere: the nearest one on the path wins.
    Item {
        id: other
        Store {
            id: otherStore
            storeId: "qml-attached-other"
            inMemory: true
            Table { name: "t"; TableColumn { name: "id"; type: "text"; primaryKey: true } }
        }
        Item { id: nested; property QtObject found: Store.store }
    }

    // A pane that shows a store it is given: everything inside it gets that store, even though
    // two Stores sit next to each other in `siblings`.
    Item {
        id: siblings
        Store {
            id: first
            storeId: "qml-attached-first"
            inMemory: true
            Table { name: "t"; TableColumn { name: "id"; type: "text"; primaryKey: true } }
        }
        Store {
            id: second
            storeId: "qml-attached-second"
            inMemory: true
            Table { name: "t"; TableColumn { name: "id"; type: "text"; primaryKey: true } }
        }
        Item {
            id: pane
            property Store store: null
            Item { id: inPane; property QtObject found: Store.store }
        }
    }

    Component {
        id: floating
        Item { property QtObject found: Store.store }
    }

    TestCase {
        name: "StoreAttached"
        when: store.status === Store.Ready

        function findChild(parentItem, name) {
            for (let i = 0; i < parentItem.children.length; ++i) {
                const c = parentItem.children[i]
                if (c.objectName === name)
                    return c
                const deeper = findChild(c, name)
                if (deeper)
                    return deeper
            }
            return null
        }

        function test_delegateReachesItsStore() {
            verify(store.commit("v1.NoteAdded", { id: "a" }))
            verify(store.commit("v1.NoteAdded", { id: "b" }))
            tryCompare(list, "count", 2)
            list.forceLayout()
            const a = findChild(list.contentItem, "row-a")
            verify(a, "no delegate row-a among " + Array.from(list.contentItem.children, c => c.objectName + ":" + c.width + "x" + c.height))
            tryCompare(a, "found", store)
            compare(findChild(a, "inner-a").found, store)
            verify(a.finish())
            compare(notes.get(0).done, true)
        }

        function test_nearestWins() {
            compare(nested.found, otherStore)
        }

        function test_paneGivesItsStore() {
            compare(inPane.found, null) // the pane claims the store it shows, none yet
            pane.store = second
            tryCompare(inPane, "found", second)
            pane.store = first
            tryCompare(inPane, "found", first)
        }

        function test_severalSiblingsAreAmbiguous() {
            ignoreWarning(/several stores in/)
            const item = floating.createObject(siblings)
            wait(0)
            compare(item.found, null)
            item.destroy()
        }

        function test_followsReparenting() {
            // Made without a parent: no store on its path, two stores in the file, so null,
            // with a warning; a parent with a store nearby gives it one.
            ignoreWarning(/several stores in/)
            const item = floating.createObject(null)
            wait(0)
            compare(item.found, null)
            item.parent = other
            tryCompare(item, "found", otherStore)
            item.parent = list
            tryCompare(item, "found", store)
            item.destroy()
        }
    }
}
