// SPDX-License-Identifier: BSD-3-Clause
// The work both sides do, in plain C++ types so that the bare-SQLite side needs nothing from the
// library: todo ids and texts, the event sequences, the queries.
#ifndef LIVESTORE_BENCH_WORKLOAD_H
#define LIVESTORE_BENCH_WORKLOAD_H

#include <functional>
#include <string>
#include <vector>

namespace Bench::Workload {

struct TodoEvent
{
    enum Kind { Created, Completed, Uncompleted, Edited };
    Kind kind = Created;
    std::string id;
    std::string text; // Created and Edited only
};

// "t0000042": zero-padded, so that a todo created later sorts after all earlier ones (the latency
// scenario relies on new todos entering the `ORDER BY id DESC LIMIT 100` list).
std::string todoId(int index);
// A short text whose first letter varies, so that `text > ?` selects different ranges. Needs no
// JSON escaping.
std::string todoText(int index);

TodoEvent created(int index);
TodoEvent completed(const std::string &id);
TodoEvent uncompleted(const std::string &id);
// v1.TodoEdited (UPDATE todos SET text = $text WHERE id = $id): a text no todo had before.
TodoEvent edited(const std::string &id, int run);

// `count` TodoCreated events for todos 0..count-1.
std::vector<TodoEvent> createdEvents(int count);
// `todos` todos, every second one (odd indexes) completed: 1.5 × todos events.
std::vector<TodoEvent> seedEvents(int todos);
// The same state in slices of todos first..first+count-1 (creations, then completions), so that
// a million todos need not be in memory as events at once.
std::vector<TodoEvent> seedEvents(int first, int count);
// How many todos a seed slice holds.
inline constexpr int SeedSlice = 20'000;
// The history behind boot and rematerialize: "create, create, complete the first of the two",
// repeated, cut at `count` events.
std::vector<TodoEvent> historyEvents(int count);

// The varying bind value of the list-100 query.
std::string textBound(int run);

// The one-row updates of the model scenarios, the same sequence on both sides. The row an update
// aims at steps through the model (row 37 × n modulo the row count), and the caller says which
// todo is shown there.
//  - Edit: edits that todo's text. The model keeps its rows: one row changes (one dataChanged).
//  - Toggle: completes that todo, then uncompletes it with the next update. In a list of open
//    todos the row leaves and the next open todo enters at the end, then the reverse.
class ModelUpdates
{
public:
    enum Kind { Edit, Toggle };
    explicit ModelUpdates(Kind kind) : m_kind(kind) { }
    TodoEvent next(int rows, const std::function<std::string(int row)> &idAt);

private:
    Kind m_kind;
    int m_run = 0;
    std::string m_completed; // Toggle: the todo the previous update completed
};

// The queries, the same text on both sides.
inline constexpr char CountOpenSql[] = "SELECT count(*) FROM todos WHERE completed = 0";
inline constexpr char LatestOpenSql[] =
        "SELECT * FROM todos WHERE completed = 0 ORDER BY id DESC LIMIT 100";
inline constexpr char OpenByTextSql[] =
        "SELECT * FROM todos WHERE completed = 0 AND text > ? ORDER BY text LIMIT 100";
inline constexpr char AllOpenSql[] = "SELECT * FROM todos WHERE completed = 0";
// The model scenarios: a page of open todos, and every todo.
inline constexpr char ModelPageSql[] =
        "SELECT * FROM todos WHERE completed = 0 ORDER BY id LIMIT 100";
inline constexpr char ModelAllSql[] = "SELECT * FROM todos ORDER BY id";

} // namespace Bench::Workload

#endif // LIVESTORE_BENCH_WORKLOAD_H
