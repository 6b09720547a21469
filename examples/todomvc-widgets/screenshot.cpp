// SPDX-License-Identifier: BSD-3-Clause
#include "screenshot.h"

#include "todowindow.h"

#include <LiveStore/Store>

#include <QtCore/qcoreapplication.h>
#include <QtGui/qpixmap.h>
#include <QtWidgets/qtableview.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

bool saveScreenshot(Store *store, TodoWindow *window, const QString &fileName)
{
    // Committed like any user action would; the window shows them through its live queries.
    const QList<Event> events{
        {u"v1.TodoCreated"_s, {{u"id"_s, u"todo-1"_s}, {u"text"_s, u"Buy oat milk"_s}}},
        {u"v1.TodoCreated"_s, {{u"id"_s, u"todo-2"_s}, {u"text"_s, u"Read the LiveStore docs"_s}}},
        {u"v1.TodoCreated"_s, {{u"id"_s, u"todo-3"_s}, {u"text"_s, u"Port the app to Qt Widgets"_s}}},
        {u"v1.TodoCompleted"_s, {{u"id"_s, u"todo-2"_s}}},
    };
    if (!store->commit(events)) {
        qWarning("screenshot: %s", qUtf8Printable(store->errorString()));
        return false;
    }
    // A selected row shows the enabled Toggle and Delete buttons.
    window->findChild<QTableView *>(u"todos"_s)->selectRow(2);
    window->show();
    QCoreApplication::processEvents(); // let the layouts settle before grabbing
    if (!window->grab().save(fileName)) {
        qWarning("screenshot: cannot write %s", qUtf8Printable(fileName));
        return false;
    }
    return true;
}
