// SPDX-License-Identifier: BSD-3-Clause
// The Inspector embedded in an app (`store: appStore`): its views follow the app's commits.
import QtQuick
import QtQuick.Controls
import QtTest
import LiveStore
import LiveStore.Inspector

Item {
    id: root
    width: 1100
    height: 700

    Store {
        id: appStore
        storeId: "inspectorviews"
        inMemory: true
        schema: Qt.resolvedUrl("../../../../examples/schemas/todos.json")
    }

    Inspector {
        id: inspector
        anchors.fill: parent
        store: appStore
    }

    TestCase {
        name: "InspectorViews"
        when: windowShown

        function initTestCase() {
            tryCompare(appStore, "status", Store.Ready)
            tryCompare(inspector.inspected, "status", InspectedStore.Ready)
            verify(inspector.inspected.embedded)
            for (let i = 1; i <= 5; ++i)
                verify(appStore.commit("v1.TodoCreated", { id: "q" + i, text: "todo " + i }))
            verify(appStore.commit("v1.TodoCompleted", { id: "q2" }))
        }

        function test_eventlog() {
            inspector.currentIndex = 0
            const list = findChild(inspector, "eventList")
            verify(list)
            tryCompare(list, "count", 6)
            verify(appStore.commit("v1.TodoCompleted", { id: "q3" }))
            tryCompare(list, "count", 7)
            const status = findChild(inspector, "eventLogStatus")
            verify(status.text.indexOf("7 events") === 0, status.text)
            // Filtering by text in the arguments.
            const filter = findChild(inspector, "eventTextFilter")
            filter.text = "todo 4"
            tryCompare(list, "count", 1)
            filter.text = ""
            tryCompare(list, "count", 7)
        }

        function test_tables() {
            inspector.currentIndex = 1
            const rowCount = findChild(inspector, "tableRowCount")
            tryVerify(() => rowCount.text.indexOf("5") === 0, 2000, rowCount.text)
            verify(appStore.commit("v1.TodoCreated", { id: "q6", text: "sixth" }))
            tryVerify(() => rowCount.text.indexOf("6") === 0, 2000, rowCount.text)
            const filter = findChild(inspector, "tableFilter")
            filter.text = "q6"   // the first column, id, is filtered by default
            tryVerify(() => rowCount.text.indexOf("1") === 0, 2000, rowCount.text)
            filter.text = ""
        }

        function test_sql() {
            inspector.currentIndex = 2
            const editor = findChild(inspector, "sqlEditor")
            editor.text = "SELECT count(*) AS n FROM todos WHERE completed = 1"
            mouseClick(findChild(inspector, "sqlRun"))
            const status = findChild(inspector, "sqlStatus")
            tryVerify(() => status.visible && status.text.indexOf("1 rows") === 0, 2000, status.text)
            verify(status.text.indexOf("ran 1×") > 0, status.text)
            verify(appStore.commit("v1.TodoCompleted", { id: "q1" }))
            tryVerify(() => status.text.indexOf("ran 2×") > 0, 2000, status.text)
            verify(findChild(inspector, "sqlPlan").text.indexOf("todos") > 0)
            editor.text = "DELETE FROM todos"
            mouseClick(findChild(inspector, "sqlRun"))
            const error = findChild(inspector, "sqlError")
            tryVerify(() => error.visible && error.text.length > 0)
        }

        // The app's Store has no syncUrl: the view says so, and has no counters to show.
        function test_sync() {
            inspector.currentIndex = 4
            verify(findChild(inspector, "syncStatus").text.indexOf("not syncing") === 0)
            compare(findChild(inspector, "syncPushed").text, "—")
            compare(findChild(inspector, "syncPulled").text, "—")
        }

        function test_schema() {
            inspector.currentIndex = 5
            const summary = findChild(inspector, "schemaSummary")
            verify(summary.text.indexOf("2 tables") === 0, summary.text)
        }

        function test_timetravel() {
            inspector.currentIndex = 6
            const travel = findChild(inspector, "timeTravel")
            verify(travel.active)
            tryVerify(() => !travel.busy && travel.eventCount > 0, 5000)
            const slider = findChild(inspector, "timeSlider")
            slider.value = 2
            tryCompare(travel, "shownPosition", 2, 5000)
            compare(travel.eventName, "v1.TodoCreated")
            compare(travel.changesModel.count, 1)
            compare(travel.tableModel.count, 2)
        }
    }
}
