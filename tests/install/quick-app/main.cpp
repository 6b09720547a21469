// Loads the QML file it is given (offscreen), fails on any QML warning or error, and ends with the
// code the QML passes to Qt.exit(), or with 0 after two seconds when it calls none.
#include <QtCore/qtimer.h>
#include <QtGui/qguiapplication.h>
#include <QtQml/qqmlapplicationengine.h>

#include <cstdio>

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: installed_quick_app FILE.qml\n");
        return 2;
    }
    QQmlApplicationEngine engine;
    bool warned = false;
    QObject::connect(&engine, &QQmlApplicationEngine::warnings, &app, [&](const QList<QQmlError> &warnings) {
        for (const QQmlError &w : warnings)
            std::fprintf(stderr, "QML: %s\n", qPrintable(w.toString()));
        warned = true;
    });
    QObject::connect(&engine, &QQmlEngine::exit, &app, &QCoreApplication::exit);
    engine.load(QUrl::fromLocalFile(QString::fromLocal8Bit(argv[1])));
    if (engine.rootObjects().isEmpty())
        return 1;
    QTimer::singleShot(2000, &app, [] { QCoreApplication::exit(0); });
    const int code = app.exec();
    return warned ? 1 : code;
}
