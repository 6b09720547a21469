// SPDX-License-Identifier: BSD-3-Clause
// A LiveQuery with batchSize: a ListView over a long table holds what it shows, asks for more
// when scrolled to the end, and the rows it holds follow commits row by row.
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "WindowedQuery"
    when: windowShown
    width: 200
    height: 200

    Store {
        id: store
        storeId: "qml-windowed"
        inMemory: true
        Table {
            name: "items"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
            TableColumn { name: "rank"; type: "integer" }
        }
        EventDefinition { name: "created"; args: ({ id: "string", rank: "integer" }); sql: "INSERT INTO items (id, rank) VALUES ($id, $rank)" }
        EventDefinition { name: "reranked"; args: ({ id: "string", rank: "integer" }); sql: "UPDATE items SET rank = $rank WHERE id = $id" }
        EventDefinition { name: "deleted"; args: ({ id: "string" }); sql: "DELETE FROM items WHERE id = $id" }
    }

    LiveQuery {
        id: items
        store: store
        sql: "SELECT * FROM items ORDER BY rank"
        batchSize: 50
        Component.onCompleted: modelTester.watch(this)
    }

    ListView {
        id: view
        width: 200; height: 200
        model: items
        delegate: Text { required property string id; text: id; height: 20 }
    }

    SignalSpy { id: resetSpy; target: items; signalName: "modelReset" }

    function initTestCase() {
        compare(store.status, Store.Ready)
        for (let i = 0; i < 1000; ++i)
            verify(store.commit("created", { id: "i" + i, rank: i }))
    }

    function test_window() {
        compare(items.count, 50)
        compare(view.count, 50)
        verify(items.canFetchMore(items.index(-1, -1)))

        resetSpy.clear() // the first rows came with the columns: a reset; nothing since may

        // Scrolled to its end, the view asks for the next batch.
        view.positionViewAtEnd()
        tryVerify(() => items.count > 50)
        compare(items.get(50).id, "i50")

        // Rows held follow commits; a row leaving makes the next one move up.
        const held = items.count
        verify(store.commit("reranked", { id: "i0", rank: 5000 }))
        compare(items.count, held)
        compare(items.get(0).id, "i1")
        verify(store.commit("deleted", { id: "i1" }))
        compare(items.count, held)
        compare(items.get(0).id, "i2")
        compare(resetSpy.count, 0)
    }
}
