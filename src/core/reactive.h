// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_REACTIVE_H
#define LIVESTORE_REACTIVE_H

#include "livestore_export.h"
#include "query.h"
#include "queryresult.h"

#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>

#include <functional>
#include <memory>

namespace LiveStore {

namespace detail {
class Node;
class Graph;
}
class Getter;

// Keeps a subscription alive; unsubscribes when destroyed. Move-only.
class LIVESTORE_EXPORT Subscription
{
public:
    Subscription() = default;
    Subscription(Subscription &&other) noexcept;
    Subscription &operator=(Subscription &&other) noexcept;
    Subscription(const Subscription &) = delete;
    Subscription &operator=(const Subscription &) = delete;
    ~Subscription();

    void unsubscribe();
    bool isActive() const;

private:
    friend class detail::Node;
    Subscription(std::shared_ptr<detail::Node> node, quint64 id);
    std::shared_ptr<detail::Node> m_node;
    quint64 m_id = 0;
};

struct SubscribeOptions
{
    bool skipInitialRun = false; // do not call the callback with the current value right away
    // After a commit, subscribers are called in two rounds: first the early ones, then all others.
    // Early is for objects that other code reads while reacting, such as models
    // (LiveQueryModel applies its rows in the early round): by the time any ordinary subscriber
    // runs, every model of the store already shows the commit. Early callbacks should update
    // their own state and not read other models.
    bool early = false;
};

// What devtools show about one live query of a store (Store::liveQueryInfo()): a read-only
// snapshot of a node of the reactive graph, taken when asked for.
struct LIVESTORE_EXPORT LiveQueryInfo
{
    quint64 id = 0;        // stable while the live query exists
    QString sql;           // the SQL of its last run (for a query built by a function, the last one built)
    QStringList tables;    // the tables whose commits refresh it (its place in the reactivity graph)
    qsizetype rowCount = 0;
    int runCount = 0;      // how often the SQL ran
    int updateCount = 0;   // how often it was refreshed: runs and row-by-row updates (isIncremental())
    double lastMs = 0;     // the last refresh, in milliseconds
    double medianMs = 0;   // over the last 32 refreshes
    bool incremental = false;
    int subscriberCount = 0;
    int dependentCount = 0; // computeds and queries built from it
    QString errorString;    // the last run's error, if it failed
};

// A query kept up to date: after a commit that wrote a table it reads, it re-runs, and its
// subscribers are called only if the result changed. Handles share one live instance; it is
// dropped with the last handle.
//
// A query of one table with plain columns (or count(*)), a WHERE, ORDER BY columns and a LIMIT
// is not re-run after commits and sync merges: its result is updated from the rows they changed
// (isIncremental()). Ties in its ORDER BY are then ordered by the table's primary key.
class LIVESTORE_EXPORT LiveQuery
{
public:
    LiveQuery() = default;
    bool isNull() const { return !d; }

    QueryResult result() const;
    Subscription subscribe(std::function<void(const QueryResult &)> callback,
                           SubscribeOptions options = {}) const;
    // Tables the query read on its last run.
    QStringList tables() const;
    // How often the SQL ran (for tests and devtools).
    int runCount() const;
    // Devtools: the query's SQL, tables, runs and durations (as Store::liveQueryInfo() lists it).
    LiveQueryInfo info() const;
    // Whether commits and sync merges update the result row by row instead of re-running the query.
    bool isIncremental() const;
    // A windowed query (Store::windowedQuery): whether rows may follow the ones it holds, and
    // reading `rows` more of them (subscribers are notified; a model sees rows inserted).
    bool canFetchMore() const;
    void fetchMore(int rows) const;

private:
    friend class detail::Graph;
    friend class Getter;
    std::shared_ptr<detail::Node> d;
};

// A value derived from live queries, reactive values and other computeds (LiveStore's `computed`).
class LIVESTORE_EXPORT Computed
{
public:
    Computed() = default;
    bool isNull() const { return !d; }

    QVariant value() const;
    Subscription subscribe(std::function<void(const QVariant &)> callback,
                           SubscribeOptions options = {}) const;
    int runCount() const;

private:
    friend class detail::Graph;
    friend class Getter;
    std::shared_ptr<detail::Node> d;
};

// A plain in-memory reactive value (LiveStore's `signal`). Live queries built from a function and
// computeds that read it update when it is set.
class LIVESTORE_EXPORT ReactiveValue
{
public:
    ReactiveValue() = default;
    bool isNull() const { return !d; }

    QVariant value() const;
    void set(const QVariant &value) const;
    Subscription subscribe(std::function<void(const QVariant &)> callback,
                           SubscribeOptions options = {}) const;

private:
    friend class detail::Graph;
    friend class Getter;
    std::shared_ptr<detail::Node> d;
};

// Passed to computeds and query functions: reading through it records a dependency.
class LIVESTORE_EXPORT Getter
{
public:
    QueryResult operator()(const LiveQuery &query);
    QVariant operator()(const Computed &computed);
    QVariant operator()(const ReactiveValue &value);

private:
    friend class detail::Node;
    explicit Getter(detail::Node *reader) : m_reader(reader) { }
    detail::Node *m_reader;
};

} // namespace LiveStore

#endif // LIVESTORE_REACTIVE_H
