// SPDX-License-Identifier: BSD-3-Clause
// Runs the built livestore tool as a user would, and checks how it ended.
#ifndef LIVESTORE_TESTS_CLIRUN_H
#define LIVESTORE_TESTS_CLIRUN_H

#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>

struct Run
{
    int exitCode = -1; // -1: did not start, crashed or timed out
    QString out;
    QString err;
};

// Starts the tool without waiting (for commands that keep running, such as `sync`).
inline void startCli(QProcess *process, const QStringList &args)
{
    process->setProgram(QStringLiteral(LIVESTORE_CLI_PATH));
    process->setArguments(args);
    process->start();
}

// Runs the tool to its end with `input` on stdin.
inline Run runCli(const QStringList &args, const QByteArray &input = {})
{
    QProcess process;
    startCli(&process, args);
    Run result;
    if (!process.waitForStarted())
        return result;
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(120000)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    if (process.exitStatus() == QProcess::NormalExit)
        result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

// Checks a run's exit code, printing its stderr when it is not the expected one.
#define QCOMPARE_EXIT(result, code) \
    do { \
        const Run &checked_ = (result); \
        QVERIFY2(checked_.exitCode == (code), \
                 qPrintable(QStringLiteral("exit code %1, expected %2; stderr: %3") \
                                    .arg(checked_.exitCode).arg(code).arg(checked_.err))); \
    } while (false)

#endif // LIVESTORE_TESTS_CLIRUN_H
