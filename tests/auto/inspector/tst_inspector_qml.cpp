// SPDX-License-Identifier: BSD-3-Clause
// The inspector's views under QtQuickTest (qml/tst_*.qml). QML reads a temporary directory for the
// run as `tempDirectory` (stores on disk, exported files).
#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlcontext.h>
#include <QtQml/qqmlengine.h>
#include <QtQuickTest/quicktest.h>

using namespace Qt::StringLiterals;

class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->rootContext()->setContextProperty(u"tempDirectory"_s, m_dir.path());
    }

private:
    QTemporaryDir m_dir;
};

QUICK_TEST_MAIN_WITH_SETUP(inspector, Setup)

#include "tst_inspector_qml.moc"
