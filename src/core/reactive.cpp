// SPDX-License-Identifier: BSD-3-Clause
#include "reactive_p.h"

#include "logging_p.h"

#include <QtCore/qelapsedtimer.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace LiveStore {

// ---------------------------------------------------------------------------------------------
// Subscription
// ---------------------------------------------------------------------------------------------

Subscription::Subscription(std::shared_ptr<detail::Node> node, quint64 id)
    : m_node(std::move(node)), m_id(id)
{
}

Subscription::Subscription(Subscription &&other) noexcept
    : m_node(std::move(other.m_node)), m_id(std::exchange(other.m_id, 0))
{
}

Subscription &Subscription::operator=(Subscription &&other) noexcept
{
    if (this != &other) {
        unsubscribe();
        m_node = std::move(other.m_node);
        m_id = std::exchange(other.m_id, 0);
    }
    return *this;
}

Subscription::~Subscription()
{
    unsubscribe();
}

void Subscription::unsubscribe()
{
    if (m_node)
        m_node->unsubscribe(m_id);
    m_node.reset();
    m_id = 0;
}

bool Subscription::isActive() const
{
    return m_node && m_node->subscribers.count(m_id) > 0;
}

// ---------------------------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------------------------

QueryResult LiveQuery::result() const
{
    if (!d)
        return QueryResult::failure(u"null live query"_s);
    d->ensureFresh();
    return d->result;
}

Subscription LiveQuery::subscribe(std::function<void(const QueryResult &)> callback,
                                  SubscribeOptions options) const
{
    if (!d)
        return {};
    detail::Node *node = d.get();
    return d->subscribe([node, callback = std::move(callback)] { callback(node->result); },
                        options);
}

QStringList LiveQuery::tables() const
{
    return d ? d->tables : QStringList();
}

int LiveQuery::runCount() const
{
    return d ? d->runs : 0;
}

LiveQueryInfo LiveQuery::info() const
{
    return d ? detail::Graph::infoOf(d.get()) : LiveQueryInfo();
}

bool LiveQuery::canFetchMore() const
{
    if (!d)
        return false;
    d->ensureFresh();
    return d->plan && d->plan->canFetchMore();
}

void LiveQuery::fetchMore(int rows) const
{
    if (d && rows > 0)
        d->fetchMore(rows);
}

bool LiveQuery::isIncremental() const
{
    if (!d)
        return false;
    d->ensureFresh();
    return d->plan != nullptr;
}

QVariant Computed::value() const
{
    if (!d)
        return {};
    d->ensureFresh();
    return d->value;
}

Subscription Computed::subscribe(std::function<void(const QVariant &)> callback,
                                 SubscribeOptions options) const
{
    if (!d)
        return {};
    detail::Node *node = d.get();
    return d->subscribe([node, callback = std::move(callback)] { callback(node->value); },
                        options);
}

int Computed::runCount() const
{
    return d ? d->runs : 0;
}

QVariant ReactiveValue::value() const
{
    return d ? d->value : QVariant();
}

void ReactiveValue::set(const QVariant &value) const
{
    if (!d)
        return;
    if (d->graph)
        d->graph->setValue(d.get(), value);
    else
        d->value = value;
}

Subscription ReactiveValue::subscribe(std::function<void(const QVariant &)> callback,
                                      SubscribeOptions options) const
{
    if (!d)
        return {};
    detail::Node *node = d.get();
    return d->subscribe([node, callback = std::move(callback)] { callback(node->value); },
                        options);
}

QueryResult Getter::operator()(const LiveQuery &query)
{
    if (!query.d)
        return QueryResult::failure(u"null live query"_s);
    m_reader->recordRead(query.d.get());
    return query.d->result;
}

QVariant Getter::operator()(const Computed &computed)
{
    if (!computed.d)
        return {};
    m_reader->recordRead(computed.d.get());
    return computed.d->value;
}

QVariant Getter::operator()(const ReactiveValue &value)
{
    if (!value.d)
        return {};
    m_reader->recordRead(value.d.get());
    return value.d->value;
}

namespace detail {

// ---------------------------------------------------------------------------------------------
// Node
// ---------------------------------------------------------------------------------------------

Node::~Node()
{
    for (const auto &dependency : dependencies)
        dependency->dependents.remove(this);
    if (graph)
        graph->forget(this);
}

void Node::ensureFresh()
{
    if (dirty && graph && kind != ValueNode) {
        graph->beforeRead();
        if (dirty && graph) // what it completed may have refreshed this node
            recompute();
    }
}

void Node::recordRead(Node *dependency)
{
    if (dependency == this || dependency->computing) {
        qCWarning(lcQuery, "a computed value reads itself (a dependency cycle); the read returns "
                           "the previous value");
        return;
    }
    dependency->ensureFresh();
    const auto known = std::find_if(dependencies.begin(), dependencies.end(),
                                    [dependency](const auto &p) { return p.get() == dependency; });
    if (known == dependencies.end())
        dependencies.push_back(dependency->shared_from_this());
    dependency->dependents.insert(this);
    level = std::max(level, dependency->level + 1);
}

bool Node::recompute()
{
    if (kind == ValueNode || !graph) {
        dirty = false;
        return false;
    }
    // Dependencies are recorded afresh by every run; keep the old ones alive until the run ends
    // so shared inputs are not destroyed and rebuilt in between.
    std::vector<std::shared_ptr<Node>> previous;
    previous.swap(dependencies);
    level = 1;
    computing = true;
    bool changed = false;
    Getter get(this);
    QElapsedTimer timer; // devtools' durations (queryInfo())
    if (kind == QueryNode)
        timer.start();
    if (kind == QueryNode) {
        if (!queryFunction && !planConsidered) {
            planConsidered = true;
            plan = graph->plan(query, window);
        }
        bool handled = false;
        bool rerun = false;
        if (const RowChanges *rows = std::exchange(pendingChanges, nullptr); rows && plan && everComputed) {
            switch (plan->apply(*rows, result, &delta)) {
            case IncrementalPlan::Unchanged:
                handled = true;
                break;
            case IncrementalPlan::Changed:
                handled = changed = true;
                ++version;
                deltaVersion = version;
                break;
            case IncrementalPlan::Rerun:
                rerun = true; // the result was changed in place part of the way
                break;
            }
        }
        if (!handled) {
            ++runs;
            const Query q = queryFunction ? queryFunction(get) : plan ? plan->executedQuery() : query;
            QStringList readTables;
            QueryResult fresh = graph->execute(q, &readTables);
            lastQuery = q;
            graph->setTables(this, readTables);
            if (plan && !plan->readsOnly(readTables))
                plan.reset();
            changed = !everComputed || rerun || fresh != result;
            if (changed) {
                result = std::move(fresh);
                ++version;
            }
            delta.clear();
            if (plan)
                plan->reset(result);
        }
        ++updates;
        constexpr int kept = 32;
        if (recentNanos.size() < kept)
            recentNanos.append(timer.nsecsElapsed());
        else
            recentNanos[nextRecent] = timer.nsecsElapsed();
        nextRecent = (nextRecent + 1) % kept;
    } else {
        ++runs;
        QVariant fresh = computeFunction(get);
        changed = !everComputed || fresh != value;
        if (changed) {
            value = std::move(fresh);
            ++version;
        }
    }
    computing = false;
    everComputed = true;
    dirty = false;
    for (const auto &old : previous) {
        const bool stillRead = std::any_of(dependencies.begin(), dependencies.end(),
                                           [&old](const auto &p) { return p == old; });
        if (!stillRead)
            old->dependents.remove(this);
    }
    return changed;
}

void Node::fetchMore(int rows)
{
    if (graph)
        graph->beforeRead();
    ensureFresh();
    if (!plan || !plan->canFetchMore() || !graph)
        return;
    switch (plan->fetchMore(rows, result, &delta)) {
    case IncrementalPlan::Unchanged:
        return;
    case IncrementalPlan::Changed:
        ++version;
        deltaVersion = version;
        break;
    case IncrementalPlan::Rerun:
        delta.clear();
        recompute();
        ++version; // the result may have changed in place before the failure
        break;
    }
    notifyInRounds({weak_from_this()});
}

Subscription Node::subscribe(std::function<void()> callback, const SubscribeOptions &options)
{
    ensureFresh();
    const quint64 subscriptionId = nextSubscriptionId++;
    subscribers.emplace(subscriptionId, Subscriber{callback, version, options.early});
    if (!options.skipInitialRun)
        callback(); // a copy: the callback may unsubscribe itself
    return Subscription(shared_from_this(), subscriptionId);
}

void Node::notifySubscribers(bool early)
{
    // Copy the ids: callbacks may subscribe or unsubscribe, and may commit (which can notify
    // this node again, with a newer value, before this loop reaches a later subscriber).
    std::vector<quint64> ids;
    ids.reserve(subscribers.size());
    for (const auto &[id, subscriber] : subscribers) {
        if (subscriber.early == early)
            ids.push_back(id);
    }
    for (quint64 id : ids) {
        auto it = subscribers.find(id);
        if (it == subscribers.end() || it->second.deliveredVersion == version)
            continue;
        it->second.deliveredVersion = version;
        auto callback = it->second.callback;
        callback();
    }
}

void notifyInRounds(const QList<std::weak_ptr<Node>> &nodes)
{
    for (const bool early : {true, false}) {
        for (const auto &weak : nodes) {
            if (auto n = weak.lock())
                n->notifySubscribers(early);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Graph
// ---------------------------------------------------------------------------------------------

Graph::~Graph()
{
    // Handles may outlive the store: they keep their last value and stop updating.
    for (Node *node : std::as_const(m_nodes))
        node->graph = nullptr;
}

std::shared_ptr<Node> Graph::makeQuery(const Query &query)
{
    const QString key = query.key();
    if (auto existing = m_dedup.value(key).lock())
        return existing;
    auto node = std::make_shared<Node>(this, Node::QueryNode, m_nextId++);
    node->query = query;
    node->dedupKey = key;
    m_nodes.insert(node.get());
    m_dedup.insert(key, node);
    return node;
}

std::shared_ptr<Node> Graph::makeWindowedQuery(const Query &query, int window)
{
    auto node = std::make_shared<Node>(this, Node::QueryNode, m_nextId++);
    node->query = query;
    node->window = window;
    m_nodes.insert(node.get());
    return node;
}

std::shared_ptr<Node> Graph::makeQuery(std::function<Query(Getter &)> build)
{
    auto node = std::make_shared<Node>(this, Node::QueryNode, m_nextId++);
    node->queryFunction = std::move(build);
    m_nodes.insert(node.get());
    return node;
}

std::shared_ptr<Node> Graph::makeComputed(std::function<QVariant(Getter &)> compute)
{
    auto node = std::make_shared<Node>(this, Node::ComputedNode, m_nextId++);
    node->computeFunction = std::move(compute);
    m_nodes.insert(node.get());
    return node;
}

std::shared_ptr<Node> Graph::makeValue(const QVariant &initial)
{
    auto node = std::make_shared<Node>(this, Node::ValueNode, m_nextId++);
    node->value = initial;
    node->dirty = false;
    node->everComputed = true;
    m_nodes.insert(node.get());
    return node;
}

void Graph::setTables(Node *node, const QStringList &tables)
{
    if (node->tables == tables)
        return;
    for (const QString &t : std::as_const(node->tables))
        m_byTable[t].remove(node);
    node->tables = tables;
    for (const QString &t : tables)
        m_byTable[t].insert(node);
}

void Graph::forget(Node *node)
{
    for (const QString &t : std::as_const(node->tables))
        m_byTable[t].remove(node);
    m_nodes.remove(node);
    // The node's level may have changed since it was queued: find it by identity.
    for (auto it = m_queue.begin(); it != m_queue.end();) {
        if (it->second == node)
            it = m_queue.erase(it);
        else
            ++it;
    }
    if (!node->dedupKey.isEmpty()) {
        auto it = m_dedup.find(node->dedupKey);
        if (it != m_dedup.end() && it->expired())
            m_dedup.erase(it);
    }
}

void Graph::markDirty(Node *node)
{
    node->dirty = true;
    m_queue.emplace(std::pair{node->level, node->id}, node);
}

void Graph::tablesChanged(const QSet<QString> &tables, const RowChanges *rows)
{
    QList<std::weak_ptr<Node>> following;
    for (const QString &t : tables) {
        const auto it = m_byTable.constFind(t);
        if (it == m_byTable.cend())
            continue;
        for (Node *node : *it) {
            // Row changes apply only to a result that was current before this commit; a nested
            // commit (from a subscriber while settling) re-runs instead.
            const bool follow = rows && !m_settling && node->plan && rows->covers(node->plan->table())
                    && (!node->dirty || node->pendingChanges == rows);
            node->pendingChanges = follow ? rows : nullptr;
            if (follow)
                following.append(node->weak_from_this());
            markDirty(node);
        }
    }
    settle();
    // Nodes nobody observes stayed dirty: they re-run when read, long after `rows` is gone.
    for (const auto &weak : std::as_const(following)) {
        if (auto node = weak.lock())
            node->pendingChanges = nullptr;
    }
}

QSet<QString> Graph::trackedTables() const
{
    QSet<QString> tables;
    for (Node *node : m_nodes) {
        if (node->plan && node->isObserved())
            tables.insert(node->plan->table());
    }
    return tables;
}

void Graph::setValue(Node *node, const QVariant &value)
{
    if (node->value == value && node->value.typeId() == value.typeId())
        return;
    node->value = value;
    ++node->version;
    for (Node *dependent : std::as_const(node->dependents))
        markDirty(dependent);
    QList<std::weak_ptr<Node>> notify;
    if (!node->subscribers.empty())
        notify.append(node->weak_from_this());
    if (!m_settling)
        settle(&notify);
    else
        notifyInRounds(notify);
}

LiveQueryInfo Graph::infoOf(const Node *node)
{
    LiveQueryInfo info;
    info.id = node->id;
    const Query shown = node->lastQuery.isNull() ? node->query : node->lastQuery;
    info.sql = shown.isNull() ? QString() : shown.compile().sql;
    info.tables = node->tables;
    info.rowCount = node->result.rowCount();
    info.runCount = node->runs;
    info.updateCount = node->updates;
    info.incremental = node->plan != nullptr;
    info.subscriberCount = int(node->subscribers.size());
    info.dependentCount = int(node->dependents.size());
    info.errorString = node->result.errorString();
    if (const qsizetype n = node->recentNanos.size(); n > 0) {
        info.lastMs = node->recentNanos.at((node->nextRecent + n - 1) % n) / 1e6;
        QList<qint64> sorted = node->recentNanos;
        std::sort(sorted.begin(), sorted.end());
        info.medianMs = (n % 2 ? sorted.at(n / 2) : (sorted.at(n / 2 - 1) + sorted.at(n / 2)) / 2) / 1e6;
    }
    return info;
}

QList<LiveQueryInfo> Graph::queryInfo() const
{
    QList<const Node *> nodes;
    for (const Node *node : m_nodes) {
        if (node->kind == Node::QueryNode)
            nodes.append(node);
    }
    std::sort(nodes.begin(), nodes.end(), [](const Node *a, const Node *b) { return a->id < b->id; });
    QList<LiveQueryInfo> infos;
    infos.reserve(nodes.size());
    for (const Node *node : std::as_const(nodes))
        infos.append(infoOf(node));
    return infos;
}

void Graph::settle(QList<std::weak_ptr<Node>> *alsoNotify)
{
    if (m_settling)
        return; // the outer settle() picks up what was marked
    m_settling = true;
    QList<std::weak_ptr<Node>> notify;
    if (alsoNotify)
        notify = *alsoNotify;
    while (!m_queue.empty()) {
        auto first = m_queue.begin();
        Node *node = first->second;
        m_queue.erase(first);
        if (!node->dirty || !node->isObserved())
            continue; // lazily recomputed when read
        // Keep it alive: a subscriber elsewhere could drop the last handle meanwhile.
        std::shared_ptr<Node> keep = node->shared_from_this();
        if (!node->recompute())
            continue;
        for (Node *dependent : std::as_const(node->dependents))
            markDirty(dependent);
        if (!node->subscribers.empty())
            notify.append(keep);
    }
    m_settling = false;
    // Subscribers run after the graph settled; one of them committing starts a fresh settle().
    notifyInRounds(notify);
}

} // namespace detail
} // namespace LiveStore
