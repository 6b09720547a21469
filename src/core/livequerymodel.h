// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_LIVEQUERYMODEL_H
#define LIVESTORE_LIVEQUERYMODEL_H

#include "livestore_export.h"
#include "query.h"
#include "reactive.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qpointer.h>

namespace LiveStore {

class Store;
namespace detail {
struct RowDelta;
}

// A list model over a live query: one row per result row, one role per result column (named like
// the column) and, for views with columns (QTableView), one column per result column.
//
// When a commit changes the result, the model applies a keyed diff: rows are matched by the key
// column (keyColumn, else a column named "id", else the whole row), and the model emits the fewest
// rowsRemoved/rowsInserted/rowsMoved and dataChanged (with only the changed roles). It resets only
// when the result's columns change.
//
// The query is either set in C++ (setQuery) or described by properties: `sql` with `binds`, or
// `table` with `filter`, `orderBy` and `limit`.
class LIVESTORE_EXPORT LiveQueryModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QString sql READ sql WRITE setSql NOTIFY sqlChanged FINAL)
    Q_PROPERTY(QVariant binds READ binds WRITE setBinds NOTIFY bindsChanged FINAL)
    Q_PROPERTY(QString table READ table WRITE setTable NOTIFY tableChanged FINAL)
    Q_PROPERTY(QVariantMap filter READ filter WRITE setFilter NOTIFY filterChanged FINAL)
    Q_PROPERTY(QString orderBy READ orderBy WRITE setOrderBy NOTIFY orderByChanged FINAL)
    Q_PROPERTY(int limit READ limit WRITE setLimit NOTIFY limitChanged FINAL)
    Q_PROPERTY(QString keyColumn READ keyColumn WRITE setKeyColumn NOTIFY keyColumnChanged FINAL)
    // 0 (the default): the model holds the whole result. N > 0: it holds the first N rows and
    // N more each time a view scrolls to its end (canFetchMore/fetchMore), for ordered queries
    // of one table that follow rows (LiveQuery::isIncremental) and have no LIMIT; other
    // queries hold their whole result. `count` is the number of rows held.
    Q_PROPERTY(int batchSize READ batchSize WRITE setBatchSize NOTIFY batchSizeChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
    Q_PROPERTY(QStringList columns READ columns NOTIFY columnsChanged FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged FINAL)
    // The whole result as a list of row objects, and its first value (first column of the first
    // row): for small results and aggregates, e.g. `counts.value` or `counts.rows[0].active`.
    // Both notify on every change of the result.
    Q_PROPERTY(QVariantList rows READ rows NOTIFY resultChanged FINAL)
    Q_PROPERTY(QVariant value READ value NOTIFY resultChanged FINAL)
    // The first row as an object (empty when there is none): single-row editors bind to
    // `note.first.text` instead of `note.rows.length ? note.rows[0].text : ""`.
    Q_PROPERTY(QVariantMap first READ first NOTIFY resultChanged FINAL)
    // Null (no store, no query, or the store not open yet), Ready (the rows are the query's
    // current result), Error (see errorString; the rows are the last good result).
    Q_PROPERTY(Status status READ status NOTIFY statusChanged FINAL)

public:
    enum Status { Null, Ready, Error };
    Q_ENUM(Status)

    explicit LiveQueryModel(QObject *parent = nullptr);
    LiveQueryModel(Store *store, const Query &query, QObject *parent = nullptr);
    ~LiveQueryModel() override;

    Store *store() const;
    void setStore(Store *store);

    // C++: any query. Overrides the property description until it is cleared with Query().
    Query query() const;
    void setQuery(const Query &query);

    QString sql() const;
    void setSql(const QString &sql);
    QVariant binds() const; // a list (positional) or a map (named)
    void setBinds(const QVariant &binds);
    QString table() const;
    void setTable(const QString &table);
    QVariantMap filter() const; // column -> value (null: IS NULL, a list: IN)
    void setFilter(const QVariantMap &filter);
    QString orderBy() const;    // "text", "completed, text desc"
    void setOrderBy(const QString &orderBy);
    int limit() const;          // -1: none
    void setLimit(int limit);
    QString keyColumn() const;
    void setKeyColumn(const QString &column);
    int batchSize() const;
    void setBatchSize(int rows);

    int count() const;
    QStringList columns() const;
    QVariantList rows() const;
    QVariant value() const;
    QVariantMap first() const;
    Status status() const { return m_status; }
    QString errorString() const;

    Q_INVOKABLE QVariantMap get(int row) const;
    Q_INVOKABLE int indexOf(const QVariant &key) const;
    // Role of a result column, -1 if there is none.
    Q_INVOKABLE int roleForColumn(const QString &column) const;
    // The horizontal header of a column in views (default: the column's name). Kept across
    // query changes, by column name.
    Q_INVOKABLE void setColumnTitle(const QString &column, const QString &title);

    // QAbstractItemModel
    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool setHeaderData(int section, Qt::Orientation orientation, const QVariant &value,
                       int role = Qt::EditRole) override;
    QHash<int, QByteArray> roleNames() const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool canFetchMore(const QModelIndex &parent = QModelIndex()) const override;
    void fetchMore(const QModelIndex &parent = QModelIndex()) override;

Q_SIGNALS:
    void storeChanged();
    void queryChanged();
    void sqlChanged();
    void bindsChanged();
    void tableChanged();
    void filterChanged();
    void orderByChanged();
    void limitChanged();
    void keyColumnChanged();
    void batchSizeChanged();
    void countChanged();
    void columnsChanged();
    void errorStringChanged();
    void statusChanged();
    // After the model applied a changed result (once per commit that changed it).
    void resultChanged();
    // The query failed (bad SQL, unknown column...); errorString() says why.
    void errorOccurred(const QString &errorString);

protected:
    // Binds as the query uses them: a list (positional) or a map (named). The QML subclass turns
    // JavaScript arrays and objects (QJSValue) into those.
    virtual QVariant plainBinds(const QVariant &binds) const { return binds; }

    // While deferred (QML: between classBegin and componentComplete) property changes do not run
    // the query; ending the deferral runs it once.
    void setDeferred(bool deferred);

private:
    void restart();
    Query describedQuery(QString *error) const;
    void apply(const QueryResult &result);
    void setError(const QString &error);
    QList<QString> rowKeys(const QList<QVariantList> &rows, int keyIndex) const;
    static QList<QString> uniqueKeys(const QList<QString> &rawKeys);
    void applyDelta(const QList<detail::RowDelta> &delta);
    // Property notifications of an update, held while the rows change in the commit's early
    // round and sent in its late round (SubscribeOptions::early).
    enum Notification { ColumnsNotification = 1, CountNotification = 2, ResultNotification = 4 };
    Q_DECLARE_FLAGS(Notifications, Notification)
    void notifyLater(Notification n);
    void flushNotifications();
    void setStatus(Status status);

    QPointer<Store> m_store;
    QMetaObject::Connection m_openFinished;
    QMetaObject::Connection m_storeDestroyed;
    Query m_query;
    QString m_sql;
    QVariant m_binds;
    QString m_table;
    QVariantMap m_filter;
    QString m_orderBy;
    int m_limit = -1;
    QString m_keyColumn;
    int m_batchSize = 0;
    bool m_applying = false; // inside apply(): no fetchMore() (a view's or a tester's)
    bool m_deferred = false;

    LiveQuery m_live;
    Subscription m_subscription;       // early: applies the rows
    Subscription m_notifySubscription; // late: sends the held notifications
    Notifications m_pending;
    bool m_holdNotifications = false;
    Status m_status = Null;
    QStringList m_columns;
    QHash<QString, QString> m_titles;
    QList<QVariantList> m_rows;
    QList<QString> m_keys;    // unique row identities, in row order
    QList<QString> m_rawKeys; // the key column's values before duplicates were told apart
    bool m_keysValid = false; // the two lists above match m_rows (made when a diff needs them)
    quint64 m_shownVersion = 0; // the live query's version the rows show
    QString m_error;
};

} // namespace LiveStore

#endif // LIVESTORE_LIVEQUERYMODEL_H
