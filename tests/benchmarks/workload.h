// SPDX-License-Identifier: BSD-3-Clause
// The work both sides do, in plain C++ types so that the bare-SQLite side needs nothing from the
// library: todo ids and texts, the event sequences, the queries.
#ifndef LIVESTORE_BENCH_WORKLOAD_H
#define LIVESTORE_BENCH_WORKLOAD_H

#include <string>
#include <vector>

namespace Bench::Workload {

struct TodoEvent
{
    enum Kind { Created, Completed };
    Kind kind = Created;
    std::string id;
    std::string text; // Created only
};

// "t0000042": zero-padded, so that a todo created later sorts after all earlier ones (the latency
// scenario relies on new todos entering the `ORDER BY id DESC LIMIT 100` list).
std::string todoId(int index);
// A short text whose first letter varies, so that `text > ?` selects different ranges. Needs no
// JSON escaping.
std::string todoText(int index);

TodoEvent created(int index);
TodoEvent completed(const std::string &id);

// `count` TodoCreated events for todos 0..count-1.
std::vector<TodoEvent> createdEvents(int count);
// `todos` todos, every second one (odd indexes) completed: 1.5 × todos events.
std::vector<TodoEvent> seedEvents(int todos);
// The history behind boot and rematerialize: "create, create, complete the first of the two",
// repeated, cut at `count` events.
std::vector<TodoEvent> historyEvents(int count);

// The varying bind value of the list-100 query.
std::string textBound(int run);

// The queries, the same text on both sides.
inline constexpr char CountOpenSql[] = "SELECT count(*) FROM todos WHERE completed = 0";
inline constexpr char LatestOpenSql[] =
        "SELECT * FROM todos WHERE completed = 0 ORDER BY id DESC LIMIT 100";
inline constexpr char OpenByTextSql[] =
        "SELECT * FROM todos WHERE completed = 0 AND text > ? ORDER BY text LIMIT 100";
inline constexpr char AllOpenSql[] = "SELECT * FROM todos WHERE completed = 0";

} // namespace Bench::Workload

#endif // LIVESTORE_BENCH_WORKLOAD_H
