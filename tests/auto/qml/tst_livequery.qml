// SPDX-License-Identifier: BSD-3-Clause
import QtQuick
import QtTest
import LiveStore

TestCase {
    id: test
    name: "LiveQuery"
    when: windowShown

    Store {
        id: store
        storeId: "qml-livequery"
        inMemory: true
        Table {
            name: "todos"
            TableColumn { name: "id"; type: "text"; primaryKey: true }
            TableColumn { name: "text"; type: "text" }
            TableColumn { name: "completed"; type: "boolean"; defaultValue: false }
        }
        EventDefinition { name: "created"; args: ({ id: "string", text: "string" }); sql: "INSERT INTO todos (id, text) VALUES ($id, $text)" }
        EventDefinition { name: "completed"; args: ({ id: "string" }); sql: "UPDATE todos SET completed = 1 WHERE id = $id" }
        EventDefinition { name: "edited"; args: ({ id: "string", text: "string" }); sql: "UPDATE todos SET text = $text WHERE id = $id" }
    }

    property bool showCompleted: false

    LiveQuery {
        id: visible
        store: store
        sql: "SELECT id, text, completed FROM todos WHERE completed = ? ORDER BY text"
        binds: [test.showCompleted]
        Component.onCompleted: modelTester.watch(this)
    }

    LiveQuery {
        id: byTable
        store: store
        table: "todos"
        filter: ({ completed: false })
        orderBy: "id desc"
        limit: 2
        Component.onCompleted: modelTester.watch(this)
    }

    ListView {
        id: view
        width: 200; height: 400
        model: visible
        delegate: Text { objectName: "row-" + model.id; text: model.text; height: 20 }
    }

    SignalSpy { id: countSpy; target: visible; signalName: "countChanged" }
    SignalSpy { id: insertSpy; target: visible; signalName: "rowsInserted" }
    SignalSpy { id: resetSpy; target: visible; signalName: "modelReset" }

    function initTestCase() {
        compare(store.status, Store.Ready)
        verify(store.commit("created", { id: "b", text: "banana" }))
        verify(store.commit("created", { id: "a", text: "apple" }))
    }

    function test_1_rows() {
        compare(visible.count, 2)
        compare(visible.get(0).text, "apple")
        compare(visible.indexOf("b"), 1)
        compare(visible.columns, ["id", "text", "completed"])
        waitForRendering(view)
        compare(view.count, 2)
    }

    function test_2_updatesOnCommit() {
        countSpy.clear(); insertSpy.clear(); resetSpy.clear()
        verify(store.commit("created", { id: "c", text: "cherry" }))
        compare(visible.count, 3)
        compare(countSpy.count, 1)
        compare(insertSpy.count, 1)
        compare(resetSpy.count, 0)
        compare(visible.get(2).text, "cherry")
        tryCompare(view, "count", 3)
    }

    function test_3_bindsRerun() {
        verify(store.commit("completed", { id: "a" }))
        compare(visible.count, 2)
        resetSpy.clear()
        test.showCompleted = true
        compare(visible.count, 1)
        compare(visible.get(0).id, "a")
        compare(resetSpy.count, 0)
        test.showCompleted = false
        compare(visible.count, 2)
    }

    // The same values again (a binding that re-evaluates to an equal array) change nothing: no
    // bindsChanged, no re-run. Two QJSValues never compare equal, so what they hold is compared.
    function test_3b_equalBindsChangeNothing() {
        const q = Qt.createQmlObject('import LiveStore; LiveQuery { sql: "SELECT id FROM todos WHERE completed = ?"; binds: [true] }', test)
        let changes = 0
        q.bindsChanged.connect(() => ++changes)
        q.store = store
        compare(q.count, store.query("SELECT count(*) AS n FROM todos WHERE completed = 1")[0].n)
        q.binds = [true]
        q.binds = [1 === 1]
        compare(changes, 0)
        q.binds = [false]
        compare(changes, 1)
        compare(q.count, store.query("SELECT count(*) AS n FROM todos WHERE completed = 0")[0].n)
        q.binds = ({ a: 1 })
        q.binds = ({ a: 1 })
        compare(changes, 2)
        q.binds = undefined
        compare(changes, 3)
        q.destroy()
    }

    function test_4_builderProperties() {
        compare(byTable.count, 2)
        compare(byTable.get(0).id, "c")
        compare(byTable.get(1).id, "b")
    }

    function test_5_badSql() {
        ignoreWarning(/no such column: nope/)
        const q = Qt.createQmlObject('import LiveStore; LiveQuery { sql: "SELECT nope FROM todos" }', test)
        verify(modelTester.watch(q))
        q.store = store
        verify(q.errorString.indexOf("no such column: nope") >= 0)
        compare(q.count, 0)
        q.destroy()
    }
}
