// SPDX-License-Identifier: BSD-3-Clause
// End to end, through the views: the Inspector on a store directory, read-only as
// livestore-inspector opens it, while another process (inspector_writer) commits to the store.
// Keys and the views' own controls drive it; what the views show must follow the writer, filter
// as typed, and time travel must show the digest of a replay.
#include "quickdriver.h"

#include <store.h>

#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using namespace LiveStore;
using namespace LiveStoreTest;

namespace {

constexpr int Timeout = 15'000;

// The state digest of the first `count` events of the store in `directory`, replayed into a
// store of its own.
QString replayDigest(const QString &directory, int count)
{
    const Schema schema = Schema::fromStore(directory);
    StoreOptions source;
    source.storeId = u"todos"_s;
    source.schema = schema;
    source.directory = directory;
    source.readOnly = true;
    Store original;
    if (!original.open(source))
        return u"cannot open: "_s + original.errorString();
    EventFilter first;
    first.limit = count;
    StoreOptions replay;
    replay.storeId = u"todos"_s;
    replay.schema = schema;
    replay.inMemory = true;
    Store replayed;
    if (!replayed.open(replay) || !replayed.importEvents(original.events(first)))
        return u"cannot replay: "_s + replayed.errorString();
    return QString::fromLatin1(replayed.stateDigest().toHex());
}

} // namespace

class tst_InspectorApp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void followsAnotherProcess()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"todos"_s);
        // 40 todos, every third completed in the same commit, 25 ms apart: about a second of
        // commits while the views are open.
        QProcess writer;
        writer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        writer.start(QStringLiteral(LIVESTORE_INSPECTOR_WRITER), {path, u"40"_s, u"25"_s});
        QVERIFY(writer.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(writer.canReadLine(), Timeout); // "ready": the store exists

        QQmlApplicationEngine engine;
        engine.addImportPath(QStringLiteral(LIVESTORE_BUILD_QML_DIR));
        engine.setInitialProperties({{u"directory"_s, path}});
        engine.loadData(R"(
            import QtQuick
            import LiveStore.Inspector
            Window {
                id: window
                required property string directory
                width: 1100; height: 700; visible: true
                Inspector { objectName: "inspector"; anchors.fill: parent; directory: window.directory }
            })");
        QVERIFY(!engine.rootObjects().isEmpty());
        auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
        QVERIFY(window);
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QObject *inspector = window->findChild<QObject *>(u"inspector"_s);
        QVERIFY(inspector);
        QQuickItem *list = findItem(window->contentItem(), u"eventList"_s);
        QVERIFY(list);

        // The eventlog follows the writer to its last event: 40 + 13 completions.
        QTRY_VERIFY_WITH_TIMEOUT(list->property("count").toInt() > 0, Timeout);
        QVERIFY(writer.waitForFinished(Timeout));
        QCOMPARE(writer.exitCode(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(list->property("count").toInt(), 53, Timeout);
        QQuickItem *title = findItem(window->contentItem(), u"storeTitle"_s);
        QVERIFY(title);
        QTRY_VERIFY2_WITH_TIMEOUT(title->property("text").toString().contains(u"e53"_s),
                                  qPrintable(title->property("text").toString()), Timeout);
        QVERIFY2(title->property("text").toString().contains(u"read-only"_s),
                 qPrintable(title->property("text").toString()));

        // Typing into the text filter narrows the list; clearing it brings everything back.
        QQuickItem *filter = findItem(window->contentItem(), u"eventTextFilter"_s);
        QVERIFY(filter);
        QTest::mouseClick(window, Qt::LeftButton, {}, center(filter));
        QTRY_VERIFY(filter->hasActiveFocus());
        typeText(window, u"another process 37"_s);
        QTRY_COMPARE_WITH_TIMEOUT(list->property("count").toInt(), 1, Timeout);
        QTest::keyClick(window, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClick(window, Qt::Key_Backspace);
        QTRY_COMPARE_WITH_TIMEOUT(list->property("count").toInt(), 53, Timeout);

        // The todos table shows every todo the writer made.
        inspector->setProperty("currentIndex", 1);
        QQuickItem *rows = findItem(window->contentItem(), u"tableRowCount"_s);
        QVERIFY(rows);
        QTRY_VERIFY2_WITH_TIMEOUT(rows->property("text").toString().startsWith(u"40"_s),
                                  qPrintable(rows->property("text").toString()), Timeout);

        // Time travel to event 20: the digest shown is a replay's of the first 20 events.
        inspector->setProperty("currentIndex", 6);
        QQuickItem *slider = findItem(window->contentItem(), u"timeSlider"_s);
        QVERIFY(slider);
        QTRY_VERIFY_WITH_TIMEOUT(slider->property("to").toDouble() >= 53, Timeout);
        slider->setProperty("value", 20);
        QQuickItem *shown = findItem(window->contentItem(), u"timeEvent"_s);
        QVERIFY(shown);
        const QString digest = replayDigest(path, 20);
        QCOMPARE(digest.size(), 64);
        QTRY_VERIFY2_WITH_TIMEOUT(shown->property("text").toString().contains(u"As of e20 "_s)
                                          && shown->property("text").toString().contains(digest.left(16)),
                                  qPrintable(shown->property("text").toString() + u" / "_s + digest), Timeout);
    }
};

QTEST_MAIN(tst_InspectorApp)
#include "tst_inspectorapp.moc"
