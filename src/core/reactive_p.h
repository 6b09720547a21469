// SPDX-License-Identifier: BSD-3-Clause
// Internal: the reactive graph behind LiveQuery, Computed and ReactiveValue.
//
// Nodes are live queries (leaves that read tables), computeds and reactive values. A commit marks
// the query nodes reading a written table dirty; nodes that someone observes (a subscriber or a
// dependent node) are recomputed in level order, each once; a node whose value did not change stops
// the propagation there (equality cut-off). Subscribers are called after the whole graph settled,
// so none of them sees a half-updated state, and in two rounds: models first, then everyone else,
// so that no one reacting to a commit sees a model that does not show it yet. Unobserved nodes stay dirty and recompute on read.
#ifndef LIVESTORE_REACTIVE_P_H
#define LIVESTORE_REACTIVE_P_H

#include "incrementalplan_p.h"
#include "reactive.h"

#include <QtCore/qhash.h>
#include <QtCore/qset.h>

#include <map>
#include <vector>

namespace LiveStore::detail {

class Graph;

class Node : public std::enable_shared_from_this<Node>
{
public:
    enum Kind { QueryNode, ComputedNode, ValueNode };

    Node(Graph *graph, Kind kind, quint64 id) : graph(graph), kind(kind), id(id) { }
    ~Node();

    // Recomputes if dirty and still attached to a store.
    void ensureFresh();
    // Returns whether the value changed.
    bool recompute();
    bool isObserved() const { return !subscribers.empty() || !dependents.isEmpty(); }
    Subscription subscribe(std::function<void()> callback, const SubscribeOptions &options);
    void unsubscribe(quint64 subscriptionId) { subscribers.erase(subscriptionId); }
    void recordRead(Node *dependency);
    // A windowed query: reads `rows` more rows and notifies its subscribers.
    void fetchMore(int rows);

    Graph *graph;
    const Kind kind;
    const quint64 id;
    int level = 0;
    bool dirty = true;
    bool everComputed = false;
    bool computing = false;
    int runs = 0;

    Query query;
    std::function<Query(Getter &)> queryFunction;
    std::function<QVariant(Getter &)> computeFunction;

    QueryResult result;
    QVariant value;
    // A static query whose result follows commits row by row (incrementalplan_p.h), if its shape
    // allows; `pendingChanges` is set while a commit that recorded its table's rows settles.
    std::unique_ptr<IncrementalPlan> plan;
    bool planConsidered = false;
    int window = 0; // makeWindowedQuery()
    const RowChanges *pendingChanges = nullptr;
    // The steps from the previous version to `deltaVersion` (the current one when it equals
    // `version`): models apply them instead of diffing the whole result.
    QList<RowDelta> delta;
    quint64 deltaVersion = 0;
    QStringList tables;
    QString dedupKey;
    // For devtools (Graph::queryInfo()): what last ran, refreshes, and the last 32 durations.
    Query lastQuery;
    int updates = 0;
    QList<qint64> recentNanos;
    int nextRecent = 0;

    std::vector<std::shared_ptr<Node>> dependencies;
    QSet<Node *> dependents;
    struct Subscriber
    {
        std::function<void()> callback;
        quint64 deliveredVersion = 0; // so a nested refresh does not deliver one value twice
        bool early = false;
    };
    std::map<quint64, Subscriber> subscribers;
    quint64 nextSubscriptionId = 1;
    quint64 version = 0; // bumped whenever the value changes
    // Calls the subscribers of one round (SubscribeOptions::early) that have not seen this version.
    void notifySubscribers(bool early);
};

// Calls the subscribers of `nodes` in two rounds, early ones first (SubscribeOptions::early).
void notifyInRounds(const QList<std::weak_ptr<Node>> &nodes);

class Graph
{
public:
    // Runs a read for a query node and reports the tables it read.
    using Executor = std::function<QueryResult(const Query &, QStringList *tables)>;
    // Makes the plan that keeps a static query's result up to date row by row, or null.
    using Planner = std::function<std::unique_ptr<IncrementalPlan>(const Query &, int window)>;

    // Completes work that holds the store's connection between turns of the event loop (a merge
    // of pulled events in slices, upstreammerge_p.h), whose refresh must not land in the middle
    // of a node's own read: run before a node recomputes or fetches more rows.
    using BeforeRead = std::function<void()>;

    explicit Graph(Executor executor, Planner planner = {}, BeforeRead beforeRead = {})
        : m_execute(std::move(executor)), m_plan(std::move(planner)), m_beforeRead(std::move(beforeRead)) { }
    ~Graph();

    std::shared_ptr<Node> makeQuery(const Query &query);
    // A query that holds only its first `window` rows and grows by Node::fetchMore() (not shared:
    // each window is its holder's).
    std::shared_ptr<Node> makeWindowedQuery(const Query &query, int window);
    std::shared_ptr<Node> makeQuery(std::function<Query(Getter &)> build);
    std::shared_ptr<Node> makeComputed(std::function<QVariant(Getter &)> compute);
    std::shared_ptr<Node> makeValue(const QVariant &initial);

    template<typename Handle>
    static Handle wrap(std::shared_ptr<Node> node)
    {
        Handle h;
        h.d = std::move(node);
        return h;
    }

    // A commit (or rebase) wrote these tables: refresh what reads them, notify, once. With
    // `rows`, the rows it changed in the tables it watched (trackedTables()): queries that
    // follow rows apply those instead of re-running.
    void tablesChanged(const QSet<QString> &tables, const RowChanges *rows = nullptr);
    // The (lowercase) tables of the observed queries that follow rows: a commit records the rows
    // it changes in them.
    QSet<QString> trackedTables() const;
    static Node *nodeOf(const LiveQuery &query) { return query.d.get(); }
    void setValue(Node *node, const QVariant &value);
    // Every live query of the graph, oldest first (Store::liveQueryInfo()), and one of them.
    QList<LiveQueryInfo> queryInfo() const;
    static LiveQueryInfo infoOf(const Node *node);

    // Internal bookkeeping used by Node.
    void beforeRead()
    {
        if (m_beforeRead)
            m_beforeRead();
    }
    QueryResult execute(const Query &query, QStringList *tables) { return m_execute(query, tables); }
    std::unique_ptr<IncrementalPlan> plan(const Query &query, int window)
    {
        return m_plan ? m_plan(query, window) : nullptr;
    }
    void setTables(Node *node, const QStringList &tables);
    void forget(Node *node);
    void markDirty(Node *node);

private:
    // Recomputes what is dirty and observed, then notifies (with `alsoNotify`, those nodes too).
    void settle(QList<std::weak_ptr<Node>> *alsoNotify = nullptr);

    Executor m_execute;
    Planner m_plan;
    BeforeRead m_beforeRead;
    quint64 m_nextId = 1;
    QSet<Node *> m_nodes;
    QHash<QString, QSet<Node *>> m_byTable;
    QHash<QString, std::weak_ptr<Node>> m_dedup;
    std::map<std::pair<int, quint64>, Node *> m_queue; // (level, id): lowest level first
    bool m_settling = false;
};

} // namespace LiveStore::detail

#endif // LIVESTORE_REACTIVE_P_H
