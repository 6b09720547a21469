// SPDX-License-Identifier: BSD-3-Clause
// Workspaces on LiveStore for Qt: a user store lists the workspaces the user created or joined;
// each workspace is a store of its own, opened through a store registry when it is selected and
// closed a while after it no longer is.
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qdir.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtimer.h>
#include <QtGui/qguiapplication.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    app.setOrganizationName(u"LiveStore for Qt"_s);
    app.setApplicationName(u"workspaces"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Workspaces on LiveStore for Qt: a user store and one store per workspace."_s);
    parser.addHelpOption();
    const QCommandLineOption dataOption(u"data"_s,
            u"Keep the stores in <dir>, one folder per store (default: the app's data folder)."_s, u"dir"_s);
    const QCommandLineOption userOption(u"user"_s, u"The user's name; their store is user-<name> (default: me)."_s,
                                        u"name"_s, u"me"_s);
    const QCommandLineOption cacheOption(u"unused-cache-time"_s,
            u"Close a workspace store <ms> milliseconds after it was last shown (default: 5000)."_s, u"ms"_s, u"5000"_s);
    const QCommandLineOption screenshotOption(u"screenshot"_s, u"Save a picture of the window to <file> and quit."_s, u"file"_s);
    // For the README's screenshot: fills an empty user store with two workspaces and their todos.
    QCommandLineOption demoOption(u"demo"_s, u"Seed demo workspaces."_s);
    demoOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({dataOption, userOption, cacheOption, screenshotOption, demoOption});
    parser.process(app);

    const QString dataDirectory = parser.isSet(dataOption)
            ? QDir(parser.value(dataOption)).absolutePath()
            : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/livestore"_s;
    bool cacheTimeOk = false;
    const int unusedCacheTime = parser.value(cacheOption).toInt(&cacheTimeOk);
    if (!cacheTimeOk) {
        qWarning("--unused-cache-time takes a number of milliseconds");
        return 2;
    }

    QQmlApplicationEngine engine;
    if (QDir(QStringLiteral(LIVESTORE_BUILD_QML_DIR)).exists())
        engine.addImportPath(QStringLiteral(LIVESTORE_BUILD_QML_DIR));
    engine.setInitialProperties({
        {u"dataDirectory"_s, dataDirectory},
        {u"userName"_s, parser.value(userOption)},
        {u"unusedCacheTime"_s, unusedCacheTime},
        {u"demo"_s, parser.isSet(demoOption)},
    });
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app,
                     [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(u"qrc:/Workspaces/Main.qml"_s)); // loadFromModule() is Qt 6.5
    if (engine.rootObjects().isEmpty())
        return 1;

    if (parser.isSet(screenshotOption)) {
        auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
        const QString file = parser.value(screenshotOption);
        // Give the scene a few frames to lay out and render before grabbing it.
        QTimer::singleShot(500, window, [window, file] {
            const bool saved = window->grabWindow().save(file);
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    return app.exec();
}
