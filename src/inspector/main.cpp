// SPDX-License-Identifier: BSD-3-Clause
// livestore-inspector [--write] [STORE_DIR]: the inspector's views on a store directory, read-only
// unless --write, beside the app that writes the store. Without STORE_DIR a folder dialog asks.
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qtimer.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qfiledialog.h>

#include <cstdio>
#include <functional>

using namespace Qt::StringLiterals;

namespace {

// The file dialogs of the Eventlog view's Export… and Import… (Debian's Qt 6.4 ships no
// QtQuick.Dialogs module): the app hands this to the Inspector as its `fileChooser`. Embedded in
// an app without one, the view asks for the path in a text field instead.
class FileChooser : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // The file to write an export to; empty when cancelled.
    Q_INVOKABLE QString saveFileName(const QString &title, const QString &suggested)
    {
        return QFileDialog::getSaveFileName(nullptr, title, suggested, u"JSON lines (*.jsonl);;All files (*)"_s);
    }
    // The export to import; empty when cancelled.
    Q_INVOKABLE QString openFileName(const QString &title)
    {
        return QFileDialog::getOpenFileName(nullptr, title, QString(), u"JSON lines (*.jsonl);;All files (*)"_s);
    }
};

void printErr(const QString &text)
{
    std::fputs(qPrintable(text + u'\n'), stderr);
}

QQuickItem *findItem(QQuickItem *from, const QString &name)
{
    if (!from)
        return nullptr;
    if (from->objectName() == name)
        return from;
    const QList<QQuickItem *> children = from->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = findItem(child, name))
            return found;
    }
    return nullptr;
}

// --screenshots DIR: each view, grabbed once it has settled, as DIR/inspector-<view>.png.
void takeScreenshots(QQuickWindow *window, const QString &dir, std::function<void(int)> done)
{
    static const QStringList views{u"eventlog"_s, u"tables"_s, u"sql"_s, u"livequeries"_s,
                                   u"sync"_s, u"schema"_s, u"timetravel"_s};
    auto step = std::make_shared<std::function<void(int)>>();
    *step = [=](int index) {
        if (index == views.size()) {
            done(0);
            return;
        }
        window->setProperty("currentIndex", index);
        if (views.at(index) == u"sql") {
            if (QQuickItem *editor = findItem(window->contentItem(), u"sqlEditor"_s)) {
                const QStringList tables = window->property("inspected").value<QObject *>()->property("tables").toStringList();
                editor->setProperty("text", u"SELECT * FROM %1 WHERE completed = 1 ORDER BY text"_s.arg(tables.value(0)));
            }
            if (QQuickItem *run = findItem(window->contentItem(), u"sqlRun"_s))
                QMetaObject::invokeMethod(run, "clicked");
        }
        QObject *travel = window->findChild<QObject *>(u"timeTravel"_s);
        const bool timeTravel = views.at(index) == u"timetravel" && travel;
        // Time travel: once the log's length is known, to two thirds of it, and the grab once
        // that replay is done.
        auto grab = std::make_shared<std::function<void()>>();
        auto waitIdle = [=](std::function<void()> then) {
            auto poll = std::make_shared<std::function<void()>>();
            *poll = [=] {
                if (travel && travel->property("busy").toBool())
                    QTimer::singleShot(100, window, *poll);
                else
                    then();
            };
            QTimer::singleShot(400, window, *poll);
        };
        *grab = [=] {
            const QString file = QDir(dir).filePath(u"inspector-%1.png"_s.arg(views.at(index)));
            if (!window->grabWindow().save(file)) {
                printErr(u"livestore-inspector: cannot write %1"_s.arg(file));
                done(1);
                return;
            }
            std::printf("%s\n", qPrintable(file));
            (*step)(index + 1);
        };
        if (!timeTravel) {
            QTimer::singleShot(400, window, *grab);
            return;
        }
        waitIdle([=] {
            if (QQuickItem *slider = findItem(window->contentItem(), u"timeSlider"_s))
                slider->setProperty("value", qMax(1, travel->property("eventCount").toInt() * 2 / 3));
            waitIdle(*grab);
        });
    };
    (*step)(0);
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    // --help and --version print and quit: they need no display, so they work on a headless
    // terminal too (QApplication would fail without one before the options are read).
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView arg(argv[i]);
        if ((arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "-v" || arg == "--version")
            && !qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
        }
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"livestore-inspector"_s);
    QApplication::setApplicationVersion(QStringLiteral(LIVESTORE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Inspect a LiveStore store: its eventlog, state tables, SQL, sync "
                                     "status, schema and its state as of any event."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption write(u"write"_s, u"Open the store for writing (import); default: read-only, "
                                               "beside the app that has it open."_s);
    const QCommandLineOption tab(u"tab"_s, u"The view to show first: eventlog, tables, sql, livequeries, "
                                           "sync, schema or timetravel."_s, u"VIEW"_s);
    const QCommandLineOption screenshots(u"screenshots"_s, u"Save each view as DIR/inspector-<view>.png "
                                                           "and quit (for the docs)."_s, u"DIR"_s);
    const QCommandLineOption timing(u"timing"_s, u"Print how long the first screen took and quit."_s);
    const QCommandLineOption scroll(u"scroll"_s, u"With --timing: then scroll the eventlog until N events are "
                                                 "loaded, and print the time and the peak memory."_s, u"N"_s);
    parser.addOptions({write, tab, screenshots, timing, scroll});
    parser.addPositionalArgument(u"STORE_DIR"_s, u"The store's directory (the one holding store.db)."_s);
    parser.process(app);

    QString directory = parser.positionalArguments().value(0);
    if (parser.positionalArguments().size() > 1) {
        printErr(u"livestore-inspector: one store directory at most"_s);
        return 2;
    }
    if (directory.isEmpty()) {
        directory = QFileDialog::getExistingDirectory(nullptr, u"Open a LiveStore store"_s);
        if (directory.isEmpty())
            return 0;
    }
    directory = QDir(directory).absolutePath();
    static const QStringList views{u"eventlog"_s, u"tables"_s, u"sql"_s, u"livequeries"_s,
                                   u"sync"_s, u"schema"_s, u"timetravel"_s};
    const int firstView = parser.isSet(tab) ? int(views.indexOf(parser.value(tab))) : 0;
    if (firstView < 0) {
        printErr(u"livestore-inspector: unknown view \"%1\" (views: %2)"_s.arg(parser.value(tab), views.join(u", "_s)));
        return 2;
    }

    QQmlApplicationEngine engine;
    // An install's QML modules (relative to this program), else the build tree's: an installed
    // program uses its own copy even where the build tree it came from is still there.
    for (const QString &dir : {QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral(LIVESTORE_INSTALLED_QML_DIR)),
                               QStringLiteral(LIVESTORE_BUILD_QML_DIR)}) {
        if (QFileInfo::exists(QDir(dir).filePath(u"LiveStore/Inspector/qmldir"_s))) {
            engine.addImportPath(QDir(dir).canonicalPath());
            break;
        }
    }
    FileChooser fileChooser;
    engine.setInitialProperties({{u"directory"_s, directory}, {u"writable"_s, parser.isSet(write)},
                                 {u"fileChooser"_s, QVariant::fromValue<QObject *>(&fileChooser)}});
    engine.load(QUrl(u"qrc:/Main.qml"_s));
    auto *window = engine.rootObjects().isEmpty() ? nullptr : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window)
        return 1;
    window->setProperty("currentIndex", firstView);

    // InspectedStore's status: Null, Ready, Error. The store opened while the QML loaded.
    enum { Ready = 1, Error = 2 };
    QObject *inspected = window->property("inspected").value<QObject *>();
    const int status = inspected ? inspected->property("status").toInt() : Error;
    if (status == Error)
        printErr(u"livestore-inspector: "_s + (inspected ? inspected->property("errorString").toString() : u"cannot load the inspector"_s));
    if (status != Ready && (parser.isSet(timing) || parser.isSet(screenshots)))
        return 1;

    if (parser.isSet(timing)) {
        // The first frame that shows the opened store (the window's first frame, since the store
        // opens while the QML loads).
        QObject::connect(window, &QQuickWindow::frameSwapped, &app, [&sinceStart, inspected] {
            std::printf("first screen: %.1f ms (opening the store: %.1f ms)\n", sinceStart.nsecsElapsed() / 1e6,
                        inspected->property("openMs").toDouble());
            std::fflush(stdout);
            QTimer::singleShot(0, qApp, [] { QCoreApplication::exit(0); });
        }, Qt::SingleShotConnection);
    }
    if (parser.isSet(timing) && parser.isSet(scroll)) {
        // Flicks the list to its end, a page at a time as a user dragging the scroll bar would:
        // the model reads the next page each time the view reaches the end.
        QQuickItem *list = findItem(window->contentItem(), u"eventList"_s);
        const int wanted = parser.value(scroll).toInt();
        QObject::disconnect(window, &QQuickWindow::frameSwapped, nullptr, nullptr);
        auto timer = new QTimer(&app);
        QElapsedTimer scrolling;
        scrolling.start();
        QObject::connect(timer, &QTimer::timeout, &app, [=] {
            if (list->property("count").toInt() >= wanted) {
                timer->stop();
                QFile status(u"/proc/self/status"_s);
                QByteArray peak;
                if (status.open(QIODevice::ReadOnly)) {
                    for (const QByteArray &line : status.readAll().split('\n'))
                        if (line.startsWith("VmHWM:"))
                            peak = line.mid(6).trimmed();
                }
                std::printf("scrolled to %d events in %.0f ms; peak RSS %s\n", list->property("count").toInt(),
                            scrolling.nsecsElapsed() / 1e6, peak.constData());
                QCoreApplication::exit(0);
                return;
            }
            QMetaObject::invokeMethod(list, "positionViewAtEnd");
        });
        timer->start(16); // a frame per step
    }
    if (parser.isSet(screenshots)) {
        const QString dir = parser.value(screenshots);
        QDir().mkpath(dir);
        QTimer::singleShot(500, window, [window, dir] {
            takeScreenshots(window, dir, [](int code) { QCoreApplication::exit(code); });
        });
    }
    return app.exec();
}

#include "main.moc"
