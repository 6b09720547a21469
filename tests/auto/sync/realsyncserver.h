// SPDX-License-Identifier: BSD-3-Clause
// The real sync-cf 0.4.0 server under wrangler dev, from an installed interop harness (tests/interop,
// see interopharness.h): its start-server.sh runs it on 127.0.0.1 in a process group of its own
// with a state folder of its own; stop-server.sh ends that group, always, also from the destructor.
#ifndef LIVESTORE_TESTS_REALSYNCSERVER_H
#define LIVESTORE_TESTS_REALSYNCSERVER_H

#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qurl.h>
#include <QtNetwork/qtcpserver.h>

#include <utility>

class RealSyncServer
{
public:
    // `harness`: the installed harness folder (with node_modules).
    explicit RealSyncServer(const QString &harness) : m_harness(harness) { }
    ~RealSyncServer() { stop(); }

    // Starts it on a free 127.0.0.1 port, with its state and log in `workDir`/sync-cf, at the
    // server's log level `logLevel` ("log" shows every push). Empty on success, else why not.
    QString start(const QString &workDir, const QString &logLevel = QStringLiteral("log"))
    {
        QTcpServer probe; // a free port, released again for wrangler
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return QStringLiteral("no free port");
        m_port = probe.serverPort();
        probe.close();
        m_state = workDir + QStringLiteral("/sync-cf");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LOG_LEVEL"), logLevel);
        QProcess p;
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(m_harness);
        p.setProcessChannelMode(QProcess::MergedChannels);
        // The scripts are bash (pipefail, SECONDS); /bin/sh may be dash.
        p.start(QStringLiteral("bash"), {m_harness + QStringLiteral("/start-server.sh"), m_state,
                                         QString::number(m_port)});
        m_started = true; // even a failed start may leave a process group behind for stop()
        // start-server.sh gives up after 90 s itself.
        if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return QStringLiteral("start-server.sh: ") + QString::fromUtf8(p.readAll());
        return {};
    }
    void stop()
    {
        if (!std::exchange(m_started, false))
            return;
        QProcess p;
        p.setWorkingDirectory(m_harness);
        p.start(QStringLiteral("bash"), {m_harness + QStringLiteral("/stop-server.sh"), m_state});
        p.waitForFinished(30000);
    }
    QString log() const
    {
        QFile f(m_state + QStringLiteral("/server.log"));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }
    QString url() const { return QStringLiteral("ws://127.0.0.1:%1").arg(m_port); }

private:
    QString m_harness;
    QString m_state;
    quint16 m_port = 0;
    bool m_started = false;
};

#endif // LIVESTORE_TESTS_REALSYNCSERVER_H
