// SPDX-License-Identifier: BSD-3-Clause
#ifndef TODOWINDOW_H
#define TODOWINDOW_H

#include <reactive.h>

#include <QtWidgets/qmainwindow.h>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
QT_END_NAMESPACE

namespace LiveStore {
class LiveQueryModel;
class Query;
class Store;
class SyncClient;
}

// The TodoMVC window. It never edits the table or the labels itself: every user action commits an
// event, and the table (a LiveQueryModel) and the counts (subscriptions) follow from the store.
// The widgets have object names so that tests can find them.
class TodoWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum Filter { All, Active, Completed }; // the filter box's items, in this order

    // `store` must be open and outlive the window.
    explicit TodoWindow(LiveStore::Store *store, QWidget *parent = nullptr);
    ~TodoWindow() override;

    // The query behind the table for a filter: the visible todos in creation order.
    static LiveStore::Query todosQuery(Filter filter);

    // Shows the sync state in the status bar ("synced", "syncing 2…", "offline…"). Others'
    // changes need nothing from the window: the table and the counts follow the store.
    void showSyncStatus(LiveStore::SyncClient *sync);

private:
    void addTodo();
    void toggleSelected();
    void deleteSelected();
    void clearCompleted();
    void setFilter(int filter);
    void setUpColumns();
    void updateActions();
    void showItemsLeft(qint64 count);
    bool commit(const QString &name, const QVariantMap &args);
    int selectedRow() const;

    LiveStore::Store *m_store;
    LiveStore::LiveQueryModel *m_model;
    QLineEdit *m_newTodo;
    QPushButton *m_add;
    QTableView *m_view;
    QPushButton *m_toggle;
    QPushButton *m_delete;
    QPushButton *m_clearCompleted;
    QComboBox *m_filter;
    QLabel *m_itemsLeft;
    QLabel *m_syncStatus = nullptr;
    qint64 m_completedCount = 0;
    // Alive as long as the window: each unsubscribes when destroyed.
    LiveStore::Subscription m_itemsLeftSubscription;
    LiveStore::Subscription m_completedSubscription;
};

#endif // TODOWINDOW_H
