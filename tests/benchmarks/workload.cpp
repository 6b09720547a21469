// SPDX-License-Identifier: BSD-3-Clause
#include "workload.h"

#include <cstdint>
#include <cstdio>
#include <utility>

namespace Bench::Workload {

std::string todoId(int index)
{
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "t%07d", index);
    return buffer;
}

std::string todoText(int index)
{
    static const char *const tasks[] = {
        "answer mail", "buy milk", "call mom", "dentist", "email bob", "fix bike", "groceries",
        "hang picture", "iron shirts", "jog", "knit scarf", "laundry", "mow lawn", "new tires",
        "order pizza", "pay rent", "quarterly taxes", "read book", "sweep floor", "tidy desk",
        "update os", "vacuum", "water plants", "xmas cards", "yoga", "zoo tickets",
    };
    // A multiplicative hash scatters the tasks, so neighbouring todos start with different letters.
    const std::uint32_t h = std::uint32_t(index) * 2654435761u;
    return std::string(tasks[(h >> 8) % 26]) + " #" + std::to_string(index);
}

TodoEvent created(int index)
{
    return {TodoEvent::Created, todoId(index), todoText(index)};
}

TodoEvent completed(const std::string &id)
{
    return {TodoEvent::Completed, id, {}};
}

TodoEvent uncompleted(const std::string &id)
{
    return {TodoEvent::Uncompleted, id, {}};
}

TodoEvent edited(const std::string &id, int run)
{
    return {TodoEvent::Edited, id, "edit " + std::to_string(run) + " of " + id};
}

std::vector<TodoEvent> createdEvents(int count)
{
    std::vector<TodoEvent> events;
    events.reserve(size_t(count));
    for (int i = 0; i < count; ++i)
        events.push_back(created(i));
    return events;
}

std::vector<TodoEvent> seedEvents(int todos)
{
    std::vector<TodoEvent> events = createdEvents(todos);
    for (int i = 1; i < todos; i += 2)
        events.push_back(completed(todoId(i)));
    return events;
}

std::vector<TodoEvent> seedEvents(int first, int count)
{
    std::vector<TodoEvent> events;
    events.reserve(size_t(count) * 3 / 2);
    for (int i = first; i < first + count; ++i)
        events.push_back(created(i));
    for (int i = first | 1; i < first + count; i += 2)
        events.push_back(completed(todoId(i)));
    return events;
}

std::vector<TodoEvent> historyEvents(int count)
{
    std::vector<TodoEvent> events;
    events.reserve(size_t(count));
    int next = 0;
    while (int(events.size()) < count) {
        if (events.size() % 3 == 2)
            events.push_back(completed(todoId(next - 2)));
        else
            events.push_back(created(next++));
    }
    return events;
}

std::string textBound(int run)
{
    // Steps through the alphabet so the bind (and the rows it selects) changes every run.
    return std::string(1, char('a' + (run * 7) % 26));
}

TodoEvent ModelUpdates::next(int rows, const std::function<std::string(int row)> &idAt)
{
    const int run = m_run++;
    if (m_kind == Toggle && !m_completed.empty())
        return uncompleted(std::exchange(m_completed, {}));
    const int row = int(std::int64_t(m_kind == Toggle ? run / 2 : run) * 37 % rows);
    const std::string id = idAt(row);
    if (m_kind == Edit)
        return edited(id, run);
    m_completed = id;
    return completed(id);
}

} // namespace Bench::Workload
