// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SQLPLAYGROUND_H
#define LIVESTORE_SQLPLAYGROUND_H

#include <livequerymodel.h>
#include <reactive.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class InspectedStore;

// The SQL playground: runs one read query on an InspectedStore as a live query, so that the
// result (`model`, a table model) follows commits to the tables it reads, and reports how long
// it took, how often it re-ran, its error inline and its query plan (EXPLAIN QUERY PLAN).
//
// Only reads run: the store's query path prepares the statement and refuses one that SQLite
// says writes (sqlite3_stmt_readonly()) or that controls the connection (BEGIN, ATTACH,
// PRAGMA ...=), and more than one statement; the refusal is the `errorString`.
class SqlPlayground : public QObject
{
    Q_OBJECT
    Q_MOC_INCLUDE("inspectedstore.h")
    QML_ELEMENT
    Q_PROPERTY(LiveStore::InspectedStore *source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    // The text run by run(); editing it does not run it.
    Q_PROPERTY(QString sql READ sql WRITE setSql NOTIFY sqlChanged FINAL)
    Q_PROPERTY(QAbstractItemModel *model READ model CONSTANT FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY resultChanged FINAL)
    Q_PROPERTY(int rowCount READ rowCount NOTIFY resultChanged FINAL)
    Q_PROPERTY(QStringList columns READ columns NOTIFY resultChanged FINAL)
    // The last run's duration and the median of the recent ones, in milliseconds.
    Q_PROPERTY(double elapsedMs READ elapsedMs NOTIFY resultChanged FINAL)
    Q_PROPERTY(double medianMs READ medianMs NOTIFY resultChanged FINAL)
    // How often the result was refreshed since run(): 1 after run(), +1 per commit that wrote a
    // table it reads (re-run, or updated row by row for a query that follows rows).
    Q_PROPERTY(int runCount READ runCount NOTIFY resultChanged FINAL)
    // The tables whose commits re-run it, comma-separated.
    Q_PROPERTY(QString tables READ tablesText NOTIFY resultChanged FINAL)
    // EXPLAIN QUERY PLAN, one line per step, indented by depth.
    Q_PROPERTY(QString plan READ planText NOTIFY resultChanged FINAL)
    Q_PROPERTY(bool active READ isActive NOTIFY resultChanged FINAL)

public:
    explicit SqlPlayground(QObject *parent = nullptr);
    ~SqlPlayground() override;

    InspectedStore *source() const { return m_source; }
    void setSource(InspectedStore *source);
    QString sql() const { return m_sql; }
    void setSql(const QString &sql);
    QAbstractItemModel *model() const;
    QString errorString() const { return m_error; }
    int rowCount() const { return m_rowCount; }
    QStringList columns() const { return m_columns; }
    double elapsedMs() const { return m_elapsedMs; }
    double medianMs() const { return m_medianMs; }
    int runCount() const { return m_runCount; }
    QStringList tables() const { return m_tables; }
    QStringList plan() const { return m_plan; }
    QString tablesText() const { return m_tables.join(u", "); }
    QString planText() const { return m_plan.join(u'\n'); }
    bool isActive() const { return !m_live.isNull(); }

    // Runs `sql` (and explains it); it then re-runs on the commits that change what it reads.
    Q_INVOKABLE void run();
    // Stops following commits and empties the result.
    Q_INVOKABLE void stop();

Q_SIGNALS:
    void sourceChanged();
    void sqlChanged();
    void resultChanged();

private:
    void update(const QueryResult &result);
    void explain();

    QPointer<InspectedStore> m_source;
    QMetaObject::Connection m_storeConnection;
    QString m_sql;
    LiveQueryModel *m_model;
    LiveQuery m_live;
    Subscription m_subscription;
    int m_firstUpdates = 0; // the live query's refreshes before this run() (it may be shared)
    QString m_error;
    int m_rowCount = 0;
    QStringList m_columns;
    double m_elapsedMs = 0;
    double m_medianMs = 0;
    int m_runCount = 0;
    QStringList m_tables;
    QStringList m_plan;
};

} // namespace LiveStore

#endif // LIVESTORE_SQLPLAYGROUND_H
