// SPDX-License-Identifier: BSD-3-Clause
// TodoMVC on LiveStore for Qt. Every change is an event; the list, the counter and the filter are
// live queries and a client document over the local store, which persists across restarts.
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qdir.h>
#include <QtCore/qtimer.h>
#include <QtGui/qguiapplication.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    app.setOrganizationName(u"LiveStore for Qt"_s);
    app.setApplicationName(u"todomvc"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"TodoMVC on LiveStore for Qt."_s);
    parser.addHelpOption();
    const QCommandLineOption storeOption(u"store"_s, u"Keep the store in <dir> (default: the app's data folder)."_s, u"dir"_s);
    const QCommandLineOption memoryOption(u"in-memory"_s, u"Keep the store in memory only."_s);
    const QCommandLineOption screenshotOption(u"screenshot"_s, u"Save a picture of the window to <file> and quit."_s, u"file"_s);
    const QCommandLineOption syncUrlOption(u"sync-url"_s, u"Sync with the LiveStore sync server at <url> (ws:// or wss://)."_s, u"url"_s);
    const QCommandLineOption syncTokenOption(u"sync-token"_s, u"Send {\"authToken\": <token>} to the sync server."_s, u"token"_s);
    parser.addOptions({storeOption, memoryOption, screenshotOption, syncUrlOption, syncTokenOption});
    parser.process(app);

    QQmlApplicationEngine engine;
    if (QDir(QStringLiteral(LIVESTORE_BUILD_QML_DIR)).exists())
        engine.addImportPath(QStringLiteral(LIVESTORE_BUILD_QML_DIR));
    engine.setInitialProperties({
        {u"storeDirectory"_s, parser.isSet(storeOption) ? QDir(parser.value(storeOption)).absolutePath() : QString()},
        {u"inMemory"_s, parser.isSet(memoryOption)},
        {u"syncUrl"_s, QUrl(parser.value(syncUrlOption))},
        {u"syncPayload"_s, parser.isSet(syncTokenOption)
                 ? QVariant(QVariantMap{{u"authToken"_s, parser.value(syncTokenOption)}}) : QVariant()},
    });
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app,
                     [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(u"qrc:/TodoMVC/Main.qml"_s)); // loadFromModule() is Qt 6.5
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
