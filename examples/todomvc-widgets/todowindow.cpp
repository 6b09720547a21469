// SPDX-License-Identifier: BSD-3-Clause
#include "todowindow.h"

#include "booldelegate.h"

#include <LiveStore/LiveQueryModel>
#include <LiveStore/Store>
#include <LiveStore/SyncClient>

#include <QtCore/qdatetime.h>
#include <QtCore/quuid.h>
#include <QtWidgets/qboxlayout.h>
#include <QtWidgets/qcombobox.h>
#include <QtWidgets/qheaderview.h>
#include <QtWidgets/qlabel.h>
#include <QtWidgets/qlineedit.h>
#include <QtWidgets/qpushbutton.h>
#include <QtWidgets/qstatusbar.h>
#include <QtWidgets/qtableview.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

// Active todos; with deletedAt IS NULL, what the "N items left" label counts.
Query activeCountQuery()
{
    return Query::from(u"todos"_s).where(u"completed"_s, false).whereNull(u"deletedAt"_s).count();
}

Query completedCountQuery()
{
    return Query::from(u"todos"_s).where(u"completed"_s, true).whereNull(u"deletedAt"_s).count();
}

} // namespace

TodoWindow::TodoWindow(Store *store, QWidget *parent) : QMainWindow(parent), m_store(store)
{
    setWindowTitle(tr("Todos — LiveStore for Qt"));

    m_newTodo = new QLineEdit;
    m_newTodo->setObjectName(u"newTodo"_s);
    m_newTodo->setPlaceholderText(tr("What needs to be done?"));
    m_newTodo->setClearButtonEnabled(true);
    m_add = new QPushButton(tr("&Add"));
    m_add->setObjectName(u"add"_s);

    // The model runs the query now and re-runs it after every commit that writes `todos`.
    m_model = new LiveQueryModel(store, todosQuery(All), this);
    m_view = new QTableView;
    m_view->setObjectName(u"todos"_s);
    m_view->setModel(m_model);
    m_view->setItemDelegate(new BoolDelegate(m_view));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setAlternatingRowColors(true);
    setUpColumns();

    m_toggle = new QPushButton(tr("&Toggle"));
    m_toggle->setObjectName(u"toggle"_s);
    m_delete = new QPushButton(tr("&Delete"));
    m_delete->setObjectName(u"delete"_s);
    m_clearCompleted = new QPushButton(tr("&Clear completed"));
    m_clearCompleted->setObjectName(u"clearCompleted"_s);
    m_filter = new QComboBox;
    m_filter->setObjectName(u"filter"_s);
    m_filter->addItems({tr("All"), tr("Active"), tr("Completed")});

    auto *form = new QHBoxLayout;
    form->addWidget(m_newTodo);
    form->addWidget(m_add);
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_toggle);
    actions->addWidget(m_delete);
    actions->addStretch();
    actions->addWidget(m_filter);
    actions->addWidget(m_clearCompleted);
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addLayout(form);
    layout->addWidget(m_view);
    layout->addLayout(actions);
    setCentralWidget(central);

    m_itemsLeft = new QLabel;
    m_itemsLeft->setObjectName(u"itemsLeft"_s);
    statusBar()->addPermanentWidget(m_itemsLeft);

    connect(m_newTodo, &QLineEdit::returnPressed, this, &TodoWindow::addTodo);
    connect(m_newTodo, &QLineEdit::textChanged, this, &TodoWindow::updateActions);
    connect(m_add, &QPushButton::clicked, this, &TodoWindow::addTodo);
    connect(m_toggle, &QPushButton::clicked, this, &TodoWindow::toggleSelected);
    connect(m_delete, &QPushButton::clicked, this, &TodoWindow::deleteSelected);
    connect(m_clearCompleted, &QPushButton::clicked, this, &TodoWindow::clearCompleted);
    // Double-click toggles too (the click before it selected the row).
    connect(m_view, &QTableView::doubleClicked, this, &TodoWindow::toggleSelected);
    connect(m_filter, &QComboBox::currentIndexChanged, this, &TodoWindow::setFilter);
    // The model updates rows in place, so the selection stays on its todo; it only goes away
    // when that todo leaves the table (deleted, cleared, filtered out).
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TodoWindow::updateActions);
    // Columns change only with a reset, which forgets hidden sections.
    connect(m_model, &LiveQueryModel::columnsChanged, this, &TodoWindow::setUpColumns);
    connect(m_model, &LiveQueryModel::errorOccurred, this,
            [this](const QString &error) { statusBar()->showMessage(tr("Query failed: %1").arg(error)); });

    // Called right away with the current counts, then after each commit that changes them.
    m_itemsLeftSubscription = m_store->subscribe(activeCountQuery(), [this](const QueryResult &result) {
        showItemsLeft(result.scalar().toLongLong());
    });
    m_completedSubscription = m_store->subscribe(completedCountQuery(), [this](const QueryResult &result) {
        m_completedCount = result.scalar().toLongLong();
        updateActions();
    });
    updateActions();
    resize(520, 400);
}

TodoWindow::~TodoWindow() = default;

Query TodoWindow::todosQuery(Filter filter)
{
    // Raw SQL for ORDER BY rowid (creation order; the builder only orders by declared columns).
    // `id` is selected for the model's keyed diff and hidden in the view.
    QString where = u"deletedAt IS NULL"_s;
    if (filter == Active)
        where += u" AND completed = 0"_s;
    else if (filter == Completed)
        where += u" AND completed = 1"_s;
    return Query::sql(u"SELECT id, completed, text FROM todos WHERE "_s + where + u" ORDER BY rowid"_s);
}

void TodoWindow::addTodo()
{
    const QString text = m_newTodo->text().trimmed();
    if (text.isEmpty())
        return;
    // Ids are made by the client, so that events can be created offline and merged later.
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (commit(u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, text}}))
        m_newTodo->clear(); // kept on failure, so nothing typed is lost
}

void TodoWindow::toggleSelected()
{
    const int row = selectedRow();
    if (row < 0)
        return;
    const QVariantMap todo = m_model->get(row);
    const QString event = todo.value(u"completed"_s).toBool() ? u"v1.TodoUncompleted"_s : u"v1.TodoCompleted"_s;
    commit(event, {{u"id"_s, todo.value(u"id"_s)}});
}

void TodoWindow::deleteSelected()
{
    const int row = selectedRow();
    if (row < 0)
        return;
    // A soft delete: the event keeps the todo in the eventlog, the state just hides it.
    commit(u"v1.TodoDeleted"_s, {{u"id"_s, m_model->get(row).value(u"id"_s)},
                                 {u"deletedAt"_s, QDateTime::currentDateTimeUtc()}});
}

void TodoWindow::clearCompleted()
{
    commit(u"v1.TodoClearedCompleted"_s, {{u"deletedAt"_s, QDateTime::currentDateTimeUtc()}});
}

void TodoWindow::setFilter(int filter)
{
    // Same columns, so the model diffs the old rows against the new ones instead of resetting:
    // todos in both lists keep their selection.
    m_model->setQuery(todosQuery(Filter(filter)));
}

void TodoWindow::setUpColumns()
{
    const QStringList columns = m_model->columns();
    for (int c = 0; c < columns.size(); ++c)
        m_view->setColumnHidden(c, columns.at(c) == u"id"_s || columns.at(c) == u"deletedAt"_s);
    const int completed = int(columns.indexOf(u"completed"_s));
    if (completed >= 0)
        m_view->horizontalHeader()->setSectionResizeMode(completed, QHeaderView::ResizeToContents);
}

void TodoWindow::updateActions()
{
    const bool hasSelection = selectedRow() >= 0;
    m_add->setEnabled(!m_newTodo->text().trimmed().isEmpty());
    m_toggle->setEnabled(hasSelection);
    m_delete->setEnabled(hasSelection);
    m_clearCompleted->setEnabled(m_completedCount > 0);
}

void TodoWindow::showItemsLeft(qint64 count)
{
    m_itemsLeft->setText(count == 1 ? tr("1 item left") : tr("%1 items left").arg(count));
}

bool TodoWindow::commit(const QString &name, const QVariantMap &args)
{
    if (m_store->commit(name, args))
        return true;
    // A rejected commit changed nothing; say why and let the user try again.
    statusBar()->showMessage(tr("Not saved: %1").arg(m_store->errorString()));
    return false;
}

int TodoWindow::selectedRow() const
{
    const QModelIndexList selected = m_view->selectionModel()->selectedRows();
    return selected.isEmpty() ? -1 : selected.constFirst().row(); // SingleSelection: at most one
}

void TodoWindow::showSyncStatus(SyncClient *sync)
{
    if (!m_syncStatus) {
        m_syncStatus = new QLabel;
        m_syncStatus->setObjectName(u"syncStatus"_s);
        statusBar()->addPermanentWidget(m_syncStatus);
    }
    auto update = [this, sync] {
        QString text;
        switch (sync->status()) {
        case SyncClient::Connected:
            text = sync->pendingCount() > 0 ? tr("syncing %1…").arg(sync->pendingCount()) : tr("synced");
            break;
        case SyncClient::Error:
            text = tr("sync stopped: %1").arg(sync->lastError());
            break;
        case SyncClient::Standby:
            text = tr("synced by another process of this store");
            break;
        case SyncClient::Connecting:
        case SyncClient::Disconnected:
            text = tr("offline: changes are kept and sync later");
            break;
        }
        m_syncStatus->setText(text);
        m_syncStatus->setToolTip(sync->lastError());
    };
    connect(sync, &SyncClient::statusChanged, m_syncStatus, update);
    connect(sync, &SyncClient::pendingCountChanged, m_syncStatus, update);
    connect(sync, &SyncClient::lastErrorChanged, m_syncStatus, update);
    update();
}
