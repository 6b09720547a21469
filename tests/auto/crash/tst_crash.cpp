// SPDX-License-Identifier: BSD-3-Clause
// Kill -9 at random moments: after each kill the store opens, its state equals a replay of its
// eventlog, and every commit that had returned is in it.
#include "todoschema.h"

#include <store.h>

#include <QtCore/qprocess.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtTest/qtest.h>

#include <csignal>

using namespace LiveStore;
using namespace Qt::StringLiterals;

class tst_Crash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killAtRandomMoments()
    {
        const int trials = qEnvironmentVariableIntValue("LIVESTORE_CRASH_TRIALS") > 0
                ? qEnvironmentVariableIntValue("LIVESTORE_CRASH_TRIALS")
                : 60;
        QTemporaryDir dir;
        QRandomGenerator rng(qEnvironmentVariableIntValue("LIVESTORE_CRASH_SEED") + 7);
        bool wide = false;
        int killedDuringRebuild = 0;
        for (int trial = 0; trial < trials; ++trial) {
            // Every fifth trial flips the table definitions, so the child's open rebuilds the
            // state from the eventlog and the kill may land in the middle of that.
            if (trial % 5 == 4)
                wide = !wide;
            QProcess child;
            child.setProgram(QStringLiteral(LIVESTORE_CRASH_CHILD));
            child.setArguments({dir.path(), wide ? u"wide"_s : u"base"_s, QString::number(rng.generate())});
            child.start();
            QVERIFY2(child.waitForStarted(), qPrintable(child.errorString()));
            QThread::msleep(rng.bounded(5, 120));
            ::kill(pid_t(child.processId()), SIGKILL);
            QVERIFY(child.waitForFinished(10'000));
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);
            // The child reports failures on stderr; the one note it may log is that it cleared the
            // empty lock file a child killed while taking the lock left behind.
            QStringList errors = QString::fromUtf8(child.readAllStandardError()).split(u'\n', Qt::SkipEmptyParts);
            errors.removeIf([](const QString &line) { return line.contains(u"removing a lock file without owner"_s); });
            QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));

            SequenceNumber lastReturned;
            bool opened = false;
            const QStringList lines = QString::fromUtf8(child.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts);
            for (const QString &line : lines) {
                if (line.startsWith(u"open "_s))
                    opened = true;
                if (line.startsWith(u"head "_s))
                    lastReturned = *SequenceNumber::fromString(line.mid(5));
            }
            if (!opened && trial % 5 == 4)
                ++killedDuringRebuild;

            StoreOptions options;
            options.storeId = u"crash"_s;
            options.schema = wide ? LiveStoreTest::widerTodoSchema() : LiveStoreTest::todoSchema();
            options.directory = dir.path();
            Store store;
            QVERIFY2(store.open(options), qPrintable(u"trial %1: "_s.arg(trial) + store.errorString()));
            QVERIFY2(store.head() >= lastReturned,
                     qPrintable(u"trial %1: commit %2 had returned, but the store's head is %3"_s.arg(trial).arg(
                             lastReturned.toString(), store.head().toString())));
            QVERIFY2(store.verify(), qPrintable(u"trial %1: "_s.arg(trial) + store.errorString()));
        }
        qInfo("%d trials, %d killed before the child's open (and its rebuild) finished", trials,
              killedDuringRebuild);
    }
};

QTEST_GUILESS_MAIN(tst_Crash)
#include "tst_crash.moc"
