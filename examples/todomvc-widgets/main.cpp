// SPDX-License-Identifier: BSD-3-Clause
// TodoMVC on LiveStore for Qt, with Qt Widgets. Every change is an event committed to a local
// store; the table and the counter are live queries over it and update by themselves.
#include "screenshot.h"
#include "todowindow.h"

#include <LiveStore/Store>
#include <LiveStore/SyncClient>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qstandardpaths.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qmessagebox.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("main", text);
}

// Shown in a dialog: a GUI app started from a menu has no terminal to print to.
int fail(const QString &message)
{
    QMessageBox::critical(nullptr, tr("Todos"), message);
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(u"LiveStore for Qt"_s);
    QApplication::setApplicationName(u"todomvc-widgets"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(tr("TodoMVC on LiveStore for Qt, with Qt Widgets."));
    parser.addHelpOption();
    const QCommandLineOption storeOption(u"store"_s, tr("Keep the store in <dir>."), u"dir"_s);
    const QCommandLineOption memoryOption(u"in-memory"_s, tr("Keep the store in memory only."));
    // For the docs' picture: an in-memory store with sample todos, saved to <file>, then exit.
    QCommandLineOption screenshotOption(u"screenshot"_s, tr("Save a screenshot to <file>."), u"file"_s);
    screenshotOption.setFlags(QCommandLineOption::HiddenFromHelp);
    const QCommandLineOption syncUrlOption(u"sync-url"_s, tr("Sync with the LiveStore sync server at <url> (ws:// or wss://)."), u"url"_s);
    const QCommandLineOption syncTokenOption(u"sync-token"_s, tr("Send {\"authToken\": <token>} to the sync server."), u"token"_s);
    parser.addOptions({storeOption, memoryOption, screenshotOption, syncUrlOption, syncTokenOption});
    parser.process(app);

    const Schema schema = Schema::fromFile(u":/todos.json"_s);
    if (!schema.isValid())
        return fail(tr("The schema is invalid:\n%1").arg(schema.errorString()));

    const bool screenshot = parser.isSet(screenshotOption);
    StoreOptions options;
    options.storeId = u"todomvc-widgets"_s;
    options.schema = schema;
    options.inMemory = screenshot || parser.isSet(memoryOption);
    if (!options.inMemory) {
        options.directory = parser.isSet(storeOption)
                ? parser.value(storeOption)
                : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/livestore/todomvc-widgets"_s;
    }

    const bool syncing = parser.isSet(syncUrlOption) && !screenshot;
    options.recordChangesets = syncing; // a synced store must be able to roll pending events back

    Store store; // declared before the window, so it outlives it
    if (!store.open(options))
        return fail(tr("Cannot open the store:\n%1").arg(store.errorString()));

    TodoWindow window(&store);
    SyncClient sync(&store);
    if (syncing) {
        sync.setUrl(QUrl(parser.value(syncUrlOption)));
        if (parser.isSet(syncTokenOption))
            sync.setPayload(QJsonObject{{u"authToken"_s, parser.value(syncTokenOption)}});
        window.showSyncStatus(&sync);
        sync.start();
    }
    if (screenshot)
        return saveScreenshot(&store, &window, parser.value(screenshotOption)) ? 0 : 1;
    window.show();
    return app.exec();
}
