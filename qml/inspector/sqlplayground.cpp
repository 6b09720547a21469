// SPDX-License-Identifier: BSD-3-Clause
#include "sqlplayground.h"

#include "inspectedstore.h"
#include "resulttablemodel.h"

#include <store.h>

#include <QtCore/qelapsedtimer.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// The result table: a LiveQueryModel whose `display` is the value as the inspector shows it.
class PlaygroundModel : public LiveQueryModel
{
public:
    using LiveQueryModel::LiveQueryModel;
    QVariant data(const QModelIndex &index, int role) const override
    {
        if (role == Qt::DisplayRole)
            return displayValue(LiveQueryModel::data(index, Qt::EditRole));
        return LiveQueryModel::data(index, role);
    }
};

} // namespace

SqlPlayground::SqlPlayground(QObject *parent) : QObject(parent), m_model(new PlaygroundModel(this)) { }

SqlPlayground::~SqlPlayground() = default;

QAbstractItemModel *SqlPlayground::model() const
{
    return m_model;
}

void SqlPlayground::setSource(InspectedStore *source)
{
    if (m_source == source)
        return;
    QObject::disconnect(m_storeConnection);
    m_source = source;
    if (source)
        m_storeConnection = connect(source, &InspectedStore::storeChanged, this, &SqlPlayground::stop);
    Q_EMIT sourceChanged();
    stop();
}

void SqlPlayground::setSql(const QString &sql)
{
    if (m_sql == sql)
        return;
    m_sql = sql;
    Q_EMIT sqlChanged();
}

void SqlPlayground::stop()
{
    m_subscription.unsubscribe();
    m_live = {};
    m_model->setQuery(Query());
    m_model->setStore(m_source ? m_source->store() : nullptr);
    m_error.clear();
    m_rowCount = 0;
    m_columns.clear();
    m_elapsedMs = m_medianMs = 0;
    m_runCount = 0;
    m_tables.clear();
    m_plan.clear();
    Q_EMIT resultChanged();
}

void SqlPlayground::run()
{
    stop();
    Store *store = m_source ? m_source->store() : nullptr;
    if (!store) {
        m_error = u"no store is open"_s;
        Q_EMIT resultChanged();
        return;
    }
    const QString text = m_sql.trimmed();
    if (text.isEmpty())
        return;
    const Query query = Query::sql(text);
    // The same query as the model's: live queries of equal SQL share one instance, so the model
    // and this handle see the same runs, and the SQL runs once per commit.
    m_live = store->liveQuery(query);
    m_firstUpdates = m_live.info().updateCount;
    m_live.result(); // runs it now (or reuses a fresh shared result)
    m_model->setQuery(query);
    m_subscription = m_live.subscribe([this](const QueryResult &result) { update(result); });
    explain();
    update(m_live.result());
}

void SqlPlayground::update(const QueryResult &result)
{
    const LiveQueryInfo info = m_live.info();
    m_error = result.errorString();
    m_rowCount = int(result.rowCount());
    m_columns = result.columns();
    m_elapsedMs = info.lastMs;
    m_medianMs = info.medianMs;
    // A shared live query that was already fresh did not run for us: count that as the one run.
    m_runCount = qMax(1, info.updateCount - m_firstUpdates);
    m_tables = info.tables;
    Q_EMIT resultChanged();
}

void SqlPlayground::explain()
{
    m_plan.clear();
    Store *store = m_source ? m_source->store() : nullptr;
    if (!store)
        return;
    // EXPLAIN QUERY PLAN never runs the statement; the store's read path refuses it anyway when
    // the statement itself would write.
    const QueryResult plan = store->query(u"EXPLAIN QUERY PLAN "_s + m_sql.trimmed());
    if (!plan.isValid())
        return;
    // Rows are (id, parent, notused, detail); a step is indented below its parent.
    QHash<int, int> depth;
    for (qsizetype r = 0; r < plan.rowCount(); ++r) {
        const int id = plan.value(r, 0).toInt();
        const int parent = plan.value(r, 1).toInt();
        const int d = parent == 0 ? 0 : depth.value(parent, 0) + 1;
        depth.insert(id, d);
        m_plan.append(QString(d * 2, u' ') + plan.value(r, 3).toString());
    }
}

} // namespace LiveStore
