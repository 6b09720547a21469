// SPDX-License-Identifier: BSD-3-Clause
// Runs the built livestore-sync-server as a child process and finds out its port.
#ifndef LIVESTORE_SERVERPROCESS_H
#define LIVESTORE_SERVERPROCESS_H

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qstringlist.h>

#include <functional>

#ifdef Q_OS_LINUX
#  include <csignal>
#  include <sys/prctl.h>
#endif

class ServerProcess
{
public:
    ~ServerProcess() { stop(); }

    // Starts `livestore-sync-server --port 0 <args>` and waits for its "listening on" line.
    bool start(const QStringList &args, int timeoutMs = 15000)
    {
        return launch(args, timeoutMs) && waitListening(timeoutMs);
    }

    // start() in two steps, to start several servers at once.
    bool launch(const QStringList &args, int timeoutMs = 15000)
    {
        stdoutText.clear();
        port = 0;
        process.setProgram(QStringLiteral(LIVESTORE_SYNC_SERVER_PATH));
        process.setArguments(QStringList{QStringLiteral("--port"), QStringLiteral("0")} + args);
#ifdef Q_OS_LINUX
        // A test that crashes must not leave servers behind.
        process.setChildProcessModifier([setup = childSetup] {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (setup)
                setup();
        });
#endif
        process.start();
        return process.waitForStarted(timeoutMs);
    }

    bool waitListening(int timeoutMs = 15000)
    {
        static const QRegularExpression listening(QStringLiteral("listening on (wss?)://[^:]+:(\\d+)"));
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            stdoutText += QString::fromUtf8(process.readAllStandardOutput());
            const auto match = listening.match(stdoutText);
            if (match.hasMatch()) {
                port = match.captured(2).toUShort();
                return true;
            }
            if (process.state() == QProcess::NotRunning)
                return false;
            process.waitForReadyRead(100);
        }
        return false;
    }

    // SIGKILL: a crash.
    void kill()
    {
        if (process.state() == QProcess::NotRunning)
            return;
        process.kill();
        process.waitForFinished(5000);
        stderrText += QString::fromUtf8(process.readAllStandardError());
    }

    // SIGTERM, then the exit code (-1 if it had to be killed).
    int stop(int timeoutMs = 10000)
    {
        if (process.state() == QProcess::NotRunning)
            return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        process.terminate();
        if (!process.waitForFinished(timeoutMs)) {
            process.kill();
            process.waitForFinished(5000);
            return -1;
        }
        stderrText += QString::fromUtf8(process.readAllStandardError());
        return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    }

    QString allStderr()
    {
        stderrText += QString::fromUtf8(process.readAllStandardError());
        return stderrText;
    }

    QProcess process;
    // Runs in the child before the server starts (e.g. to lower a resource limit); only
    // async-signal-safe calls.
    std::function<void()> childSetup;
    quint16 port = 0;
    QString stdoutText;
    QString stderrText;
};

#endif // LIVESTORE_SERVERPROCESS_H
