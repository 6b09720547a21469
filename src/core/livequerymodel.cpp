// SPDX-License-Identifier: BSD-3-Clause
#include "livequerymodel.h"

#include "logging_p.h"
#include "reactive_p.h"
#include "rowdiff_p.h"
#include "store.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

constexpr int FirstColumnRole = Qt::UserRole + 1;

// SQL NULL as JavaScript null (an invalid QVariant would arrive in QML as undefined).
QVariant nullAware(const QVariant &v)
{
    return v.isValid() ? v : QVariant::fromValue(nullptr);
}

// Keys compare by type and text, so the integer 1 and the string "1" stay apart. Text keys (the
// usual id column) are the shared string itself: no allocation per row.
QString keyText(const QVariant &value)
{
    if (value.typeId() == QMetaType::QString)
        return *static_cast<const QString *>(value.constData());
    return u'\x01' + QString::number(value.typeId()) + u':' + value.toString();
}

} // namespace

LiveQueryModel::LiveQueryModel(QObject *parent) : QAbstractListModel(parent) { }

LiveQueryModel::LiveQueryModel(Store *store, const Query &query, QObject *parent)
    : QAbstractListModel(parent), m_query(query)
{
    setStore(store);
    if (!store)
        restart();
}

LiveQueryModel::~LiveQueryModel() = default;

Store *LiveQueryModel::store() const { return m_store; }

void LiveQueryModel::setStore(Store *store)
{
    if (m_store == store)
        return;
    QObject::disconnect(m_openFinished);
    QObject::disconnect(m_storeDestroyed);
    m_store = store;
    // A store still opening (Store::openAsync) gets its query once it is open.
    if (store) {
        m_openFinished = connect(store, &Store::openFinished, this, [this](bool success) {
            if (success)
                restart();
        });
        // A store deleted under the model: its rows are gone, as with setStore(nullptr). (The
        // QPointer is null by now; the live query's node outlived the store's graph safely.)
        m_storeDestroyed = connect(store, &QObject::destroyed, this, [this] {
            QObject::disconnect(m_openFinished);
            Q_EMIT storeChanged();
            restart();
        });
    }
    Q_EMIT storeChanged();
    restart();
}

Query LiveQueryModel::query() const { return m_query; }

void LiveQueryModel::setQuery(const Query &query)
{
    if (m_query.isNull() && query.isNull())
        return;
    if (!m_query.isNull() && !query.isNull() && m_query == query)
        return;
    m_query = query;
    Q_EMIT queryChanged();
    restart();
}

#define LIVESTORE_MODEL_SETTER(Type, member, setter, signal) \
    void LiveQueryModel::setter(Type value)                   \
    {                                                         \
        if (member == value)                                  \
            return;                                           \
        member = value;                                       \
        Q_EMIT signal();                                      \
        restart();                                            \
    }

QString LiveQueryModel::sql() const { return m_sql; }
LIVESTORE_MODEL_SETTER(const QString &, m_sql, setSql, sqlChanged)
QVariant LiveQueryModel::binds() const { return m_binds; }
void LiveQueryModel::setBinds(const QVariant &binds)
{
    // A JavaScript array or object arrives as a QJSValue, and no two of those compare equal: a
    // binding that evaluates to the same values again must not re-run the query.
    if (plainBinds(m_binds) == plainBinds(binds) && m_binds.isValid() == binds.isValid())
        return;
    m_binds = binds;
    Q_EMIT bindsChanged();
    restart();
}
QString LiveQueryModel::table() const { return m_table; }
LIVESTORE_MODEL_SETTER(const QString &, m_table, setTable, tableChanged)
QVariantMap LiveQueryModel::filter() const { return m_filter; }
LIVESTORE_MODEL_SETTER(const QVariantMap &, m_filter, setFilter, filterChanged)
QString LiveQueryModel::orderBy() const { return m_orderBy; }
LIVESTORE_MODEL_SETTER(const QString &, m_orderBy, setOrderBy, orderByChanged)
int LiveQueryModel::limit() const { return m_limit; }
LIVESTORE_MODEL_SETTER(int, m_limit, setLimit, limitChanged)
QString LiveQueryModel::keyColumn() const { return m_keyColumn; }
LIVESTORE_MODEL_SETTER(const QString &, m_keyColumn, setKeyColumn, keyColumnChanged)
int LiveQueryModel::batchSize() const { return m_batchSize; }
LIVESTORE_MODEL_SETTER(int, m_batchSize, setBatchSize, batchSizeChanged)

#undef LIVESTORE_MODEL_SETTER

int LiveQueryModel::count() const { return int(m_rows.size()); }
QStringList LiveQueryModel::columns() const { return m_columns; }
QString LiveQueryModel::errorString() const { return m_error; }

QVariantList LiveQueryModel::rows() const
{
    QVariantList list;
    list.reserve(m_rows.size());
    for (int r = 0; r < int(m_rows.size()); ++r)
        list.append(get(r));
    return list;
}

QVariant LiveQueryModel::value() const
{
    return m_rows.isEmpty() ? QVariant() : nullAware(m_rows.constFirst().value(0));
}

QVariantMap LiveQueryModel::first() const
{
    return m_rows.isEmpty() ? QVariantMap() : get(0);
}

void LiveQueryModel::setStatus(Status status)
{
    if (m_status == status)
        return;
    m_status = status;
    Q_EMIT statusChanged();
}

void LiveQueryModel::setDeferred(bool deferred)
{
    m_deferred = deferred;
    if (!deferred)
        restart();
}

void LiveQueryModel::setError(const QString &error)
{
    if (m_error == error)
        return;
    m_error = error;
    Q_EMIT errorStringChanged();
    if (!error.isEmpty())
        setStatus(Error);
    if (!error.isEmpty()) {
        qCWarning(lcQuery, "live query failed: %s", qUtf8Printable(error));
        Q_EMIT errorOccurred(error);
    }
}

Query LiveQueryModel::describedQuery(QString *error) const
{
    if (!m_sql.isEmpty()) {
        const QVariant binds = plainBinds(m_binds);
        switch (binds.typeId()) {
        case QMetaType::UnknownType:
            return Query::sql(m_sql);
        case QMetaType::QVariantMap:
            return Query::sql(m_sql, binds.toMap());
        case QMetaType::QVariantList:
        case QMetaType::QStringList:
            return Query::sql(m_sql, binds.toList());
        default:
            return Query::sql(m_sql, QVariantList{binds}); // a single value is the one bind
        }
    }
    if (m_table.isEmpty())
        return {};
    Query q = Query::from(m_table);
    for (auto it = m_filter.cbegin(); it != m_filter.cend(); ++it) {
        const QVariant &v = it.value();
        if (v.typeId() == QMetaType::QVariantList || v.typeId() == QMetaType::QStringList)
            q = q.where(it.key(), Query::In, v.toList());
        else
            q = q.where(it.key(), v);
    }
    const QStringList orderParts = m_orderBy.split(u',', Qt::SkipEmptyParts);
    for (const QString &part : orderParts) {
        const QStringList words = part.simplified().split(u' ');
        const QString direction = words.value(1).toLower();
        if (words.size() > 2 || (!direction.isEmpty() && direction != u"asc"_s && direction != u"desc"_s)) {
            *error = u"orderBy: cannot read \"%1\" (expected \"column\", \"column asc\" or \"column desc\")"_s.arg(part.trimmed());
            return {};
        }
        q = q.orderBy(words.first(), direction == u"desc"_s ? Query::Desc : Query::Asc);
    }
    if (m_limit >= 0)
        q = q.limit(m_limit);
    return q;
}

void LiveQueryModel::restart()
{
    m_subscription.unsubscribe();
    m_notifySubscription.unsubscribe();
    m_live = {};
    if (m_deferred)
        return;
    QString error;
    const Query q = m_query.isNull() ? describedQuery(&error) : m_query;
    if (!error.isEmpty()) {
        setError(error);
        return;
    }
    if (!m_store || !m_store->isOpen() || q.isNull()) {
        // Nothing to show: empty the model (fine-grained, columns stay).
        if (!m_rows.isEmpty()) {
            beginRemoveRows(QModelIndex(), 0, int(m_rows.size()) - 1);
            m_rows.clear();
            m_keys.clear();
            m_rawKeys.clear();
            m_keysValid = false;
            endRemoveRows();
            Q_EMIT countChanged();
            Q_EMIT resultChanged();
        }
        setError(QString());
        setStatus(Null);
        return;
    }
    m_live = m_batchSize > 0 ? m_store->windowedQuery(q, m_batchSize) : m_store->liveQuery(q);
    m_shownVersion = 0;
    // Rows change in the early round, so that whoever reacts to the commit finds every model of
    // the store showing it; count and result notify in the late round, with everyone else.
    m_subscription = m_live.subscribe(
            [this](const QueryResult &result) {
                m_holdNotifications = true;
                m_applying = true;
                apply(result);
                m_applying = false;
                m_holdNotifications = false;
            },
            {.early = true});
    m_notifySubscription = m_live.subscribe([this](const QueryResult &) { flushNotifications(); },
                                            {.skipInitialRun = true});
    flushNotifications();
}

void LiveQueryModel::notifyLater(Notification n)
{
    m_pending |= n;
    if (!m_holdNotifications)
        flushNotifications();
}

void LiveQueryModel::flushNotifications()
{
    const Notifications pending = std::exchange(m_pending, {});
    if (pending & ColumnsNotification)
        Q_EMIT columnsChanged();
    if (pending & CountNotification)
        Q_EMIT countChanged();
    if (pending & ResultNotification)
        Q_EMIT resultChanged();
}

QList<QString> LiveQueryModel::uniqueKeys(const QList<QString> &rawKeys)
{
    // Duplicate keys (a key column that is not unique) still need distinct identities.
    QHash<QString, int> seen;
    QList<QString> keys;
    keys.reserve(rawKeys.size());
    for (const QString &key : rawKeys) {
        const int n = seen[key]++;
        keys.append(n ? key + u'#' + QString::number(n) : key);
    }
    return keys;
}

void LiveQueryModel::applyDelta(const QList<detail::RowDelta> &delta)
{
    const int oldCount = int(m_rows.size());
    // Row identities are only needed to diff a re-run result; made again then.
    m_keysValid = false;
    m_keys = {};
    m_rawKeys = {};
    auto changed = [this](int row, const QList<int> &columns) {
        QList<int> roles{Qt::DisplayRole, Qt::EditRole};
        for (int c : columns)
            roles.append(FirstColumnRole + c);
        Q_EMIT dataChanged(index(row, columns.constFirst()), index(row, columns.constLast()), roles);
    };
    for (const detail::RowDelta &step : delta) {
        switch (step.kind) {
        case detail::RowDelta::Insert:
            beginInsertRows(QModelIndex(), step.to, step.to);
            m_rows.insert(step.to, step.row);
            endInsertRows();
            break;
        case detail::RowDelta::Remove:
            beginRemoveRows(QModelIndex(), step.from, step.from);
            m_rows.remove(step.from);
            endRemoveRows();
            break;
        case detail::RowDelta::Move:
            if (step.from != step.to) {
                // beginMoveRows counts the destination before the row is taken out.
                const int destination = step.to > step.from ? step.to + 1 : step.to;
                if (beginMoveRows(QModelIndex(), step.from, step.from, QModelIndex(), destination)) {
                    m_rows.move(step.from, step.to);
                    endMoveRows();
                }
            }
            if (!step.columns.isEmpty()) {
                m_rows[step.to] = step.row;
                changed(step.to, step.columns);
            }
            break;
        case detail::RowDelta::Change:
            m_rows[step.from] = step.row;
            changed(step.from, step.columns);
            break;
        }
    }
    if (oldCount != m_rows.size())
        notifyLater(CountNotification);
    if (!delta.isEmpty())
        notifyLater(ResultNotification);
}

QList<QString> LiveQueryModel::rowKeys(const QList<QVariantList> &rows, int keyIndex) const
{
    QList<QString> keys;
    keys.reserve(rows.size());
    for (const QVariantList &row : rows) {
        if (keyIndex >= 0) {
            keys.append(keyText(row.value(keyIndex)));
        } else {
            QString key;
            for (const QVariant &v : row)
                key += keyText(v) + u'\x1f';
            keys.append(key);
        }
    }
    return keys;
}

void LiveQueryModel::apply(const QueryResult &result)
{
    if (!result.isValid()) {
        setError(result.errorString());
        return;
    }
    setError(QString());
    setStatus(Ready);
    const int oldCount = int(m_rows.size());

    // A query that follows rows hands over the steps from the version shown to this one.
    const detail::Node *node = detail::Graph::nodeOf(m_live);
    const quint64 version = node ? node->version : 0;
    const bool stepwise = node && m_shownVersion != 0 && node->deltaVersion == version
            && version == m_shownVersion + 1 && result.columns() == m_columns;
    m_shownVersion = version;
    if (stepwise) {
        // A copy (shared, not copied): a slot may make the query change again meanwhile.
        const QList<detail::RowDelta> steps = node->delta;
        applyDelta(steps);
        return;
    }

    const QString keyName = m_keyColumn.isEmpty() ? u"id"_s : m_keyColumn;
    const int keyIndex = result.columnIndex(keyName);
    if (!m_keyColumn.isEmpty() && keyIndex < 0)
        qCWarning(lcQuery, "keyColumn \"%s\" is not a column of the result; rows are matched by "
                           "their whole content", qUtf8Printable(m_keyColumn));

    if (result.columns() != m_columns) {
        // New columns mean new roles: the one case a reset is right for.
        beginResetModel();
        m_columns = result.columns();
        m_rows = result.rows();
        m_keysValid = false;
        endResetModel();
        notifyLater(ColumnsNotification);
        if (oldCount != m_rows.size())
            notifyLater(CountNotification);
        notifyLater(ResultNotification);
        return;
    }
    if (m_rows.isEmpty()) {
        // The first rows (or rows after none): one insert, no keys to match.
        if (!result.isEmpty()) {
            beginInsertRows(QModelIndex(), 0, int(result.rowCount()) - 1);
            m_rows = result.rows();
            m_keysValid = false;
            endInsertRows();
            notifyLater(CountNotification);
            notifyLater(ResultNotification);
        }
        return;
    }

    if (!m_keysValid) {
        m_rawKeys = rowKeys(m_rows, keyIndex);
        m_keys = uniqueKeys(m_rawKeys);
        m_keysValid = true;
    }
    QList<QString> rawKeys = rowKeys(result.rows(), keyIndex);
    // Same keys in the same order: already made unique last time.
    QList<QString> newKeys = rawKeys == m_rawKeys ? m_keys : uniqueKeys(rawKeys);
    m_rawKeys = std::move(rawKeys);

    const QList<QVariantList> &fresh = result.rows();
    auto changedColumns = [&](int oldRow, int newRow) {
        QList<int> changed;
        const QVariantList &a = m_rows.at(oldRow);
        const QVariantList &b = fresh.at(newRow);
        if (a == b)
            return changed;
        for (int c = 0; c < int(b.size()); ++c) {
            if (c >= a.size() || a.at(c) != b.at(c) || a.at(c).typeId() != b.at(c).typeId())
                changed.append(c);
        }
        return changed;
    };
    QList<RowOperation> ops;
    if (newKeys == m_keys) {
        // The common case (an update in place): no row came, went or moved, so skip the diff's
        // hashing and compare row by row.
        for (int r = 0; r < int(fresh.size()); ++r) {
            QList<int> columns = changedColumns(r, r);
            if (!columns.isEmpty())
                ops.append({RowOperation::Change, r, r, 0, 0, std::move(columns)});
        }
    } else {
        ops = diffRows(m_keys, newKeys, changedColumns);
    }

    for (const RowOperation &op : ops) {
        switch (op.kind) {
        case RowOperation::Remove:
            beginRemoveRows(QModelIndex(), op.first, op.last);
            m_rows.remove(op.first, op.last - op.first + 1);
            m_keys.remove(op.first, op.last - op.first + 1);
            endRemoveRows();
            break;
        case RowOperation::Insert:
            beginInsertRows(QModelIndex(), op.first, op.last);
            for (int i = 0; i <= op.last - op.first; ++i) {
                m_rows.insert(op.first + i, fresh.at(op.source + i));
                m_keys.insert(op.first + i, newKeys.at(op.source + i));
            }
            endInsertRows();
            break;
        case RowOperation::Move: {
            if (!beginMoveRows(QModelIndex(), op.first, op.first, QModelIndex(), op.destination))
                break;
            const int to = op.first < op.destination ? op.destination - 1 : op.destination;
            m_rows.move(op.first, to);
            m_keys.move(op.first, to);
            endMoveRows();
            break;
        }
        case RowOperation::Change: {
            m_rows[op.first] = fresh.at(op.first);
            QList<int> roles{Qt::DisplayRole, Qt::EditRole};
            for (int c : op.columns)
                roles.append(FirstColumnRole + c);
            Q_EMIT dataChanged(index(op.first, op.columns.constFirst()),
                               index(op.first, op.columns.constLast()), roles);
            break;
        }
        }
    }
    if (oldCount != m_rows.size())
        notifyLater(CountNotification);
    if (!ops.isEmpty())
        notifyLater(ResultNotification);
}

QVariantMap LiveQueryModel::get(int row) const
{
    QVariantMap map;
    if (row < 0 || row >= m_rows.size())
        return map;
    const QVariantList &values = m_rows.at(row);
    for (qsizetype c = 0; c < m_columns.size(); ++c)
        map.insert(m_columns.at(c), nullAware(values.value(c)));
    return map;
}

int LiveQueryModel::indexOf(const QVariant &key) const
{
    const QString keyName = m_keyColumn.isEmpty() ? u"id"_s : m_keyColumn;
    const qsizetype column = m_columns.indexOf(keyName);
    if (column < 0)
        return -1;
    for (qsizetype r = 0; r < m_rows.size(); ++r) {
        const QVariant &v = m_rows.at(r).at(column);
        // Loose on type: QML hands integers over as doubles.
        if (v == key || v.toString() == key.toString())
            return int(r);
    }
    return -1;
}

int LiveQueryModel::roleForColumn(const QString &column) const
{
    const qsizetype c = m_columns.indexOf(column);
    return c < 0 ? -1 : FirstColumnRole + int(c);
}

int LiveQueryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LiveQueryModel::columnCount(const QModelIndex &parent) const
{
    // A list model with columns too, so QTableView shows every result column.
    return parent.isValid() ? 0 : std::max(1, int(m_columns.size()));
}

QVariant LiveQueryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QVariantList &row = m_rows.at(index.row());
    if (role == Qt::DisplayRole || role == Qt::EditRole)
        return row.value(index.column());
    const int column = role - FirstColumnRole;
    if (column >= 0 && column < row.size())
        return nullAware(row.at(column));
    return {};
}

QVariant LiveQueryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section < m_columns.size())
        return m_titles.value(m_columns.at(section), m_columns.at(section));
    return QAbstractListModel::headerData(section, orientation, role);
}

bool LiveQueryModel::setHeaderData(int section, Qt::Orientation orientation, const QVariant &value, int role)
{
    if (orientation != Qt::Horizontal || (role != Qt::EditRole && role != Qt::DisplayRole)
        || section < 0 || section >= m_columns.size())
        return false;
    setColumnTitle(m_columns.at(section), value.toString());
    return true;
}

void LiveQueryModel::setColumnTitle(const QString &column, const QString &title)
{
    m_titles.insert(column, title);
    const qsizetype section = m_columns.indexOf(column);
    if (section >= 0)
        Q_EMIT headerDataChanged(Qt::Horizontal, int(section), int(section));
}

QHash<int, QByteArray> LiveQueryModel::roleNames() const
{
    QHash<int, QByteArray> names;
    if (!m_columns.contains(u"display"_s))
        names.insert(Qt::DisplayRole, "display");
    for (qsizetype c = 0; c < m_columns.size(); ++c)
        names.insert(FirstColumnRole + int(c), m_columns.at(c).toUtf8());
    return names;
}

bool LiveQueryModel::canFetchMore(const QModelIndex &parent) const
{
    // Not while a result is being applied: its steps count on the result they were made for.
    return !parent.isValid() && m_batchSize > 0 && !m_applying && m_live.canFetchMore();
}

void LiveQueryModel::fetchMore(const QModelIndex &parent)
{
    // The rows arrive through the subscription, as after a commit (rowsInserted at the end).
    if (!parent.isValid() && m_batchSize > 0 && !m_applying)
        m_live.fetchMore(m_batchSize);
}

Qt::ItemFlags LiveQueryModel::flags(const QModelIndex &index) const
{
    // Read-only: the state changes through events, not through the model.
    return index.isValid() ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren
                           : Qt::NoItemFlags;
}

} // namespace LiveStore
