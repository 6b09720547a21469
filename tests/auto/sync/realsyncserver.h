// SPDX-License-Identifier: BSD-3-Clause
// The real sync-cf 0.4.0 server under wrangler dev, from an installed livestore-node harness
// (its bg-server.sh in its own process group and state folder; stop-server.sh always after).
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
    explicit RealSyncServer(const QString &harness) : m_harness(harness) { }
    ~RealSyncServer() { stop(); }

    // Starts it on a free 127.0.0.1 port with its state and log in `stateDir`; the server's own
    // log level ("log" shows every push). Empty on success, else why not.
    QString start(const QString &stateDir, const QString &logLevel = QStringLiteral("log"))
    {
        QTcpServer probe; // a free port, released again for wrangler
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return QStringLiteral("no free port");
        m_port = probe.serverPort();
        probe.close();
        m_log = stateDir + QStringLiteral("/sync-cf.log");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PORT"), QString::number(m_port));
        env.insert(QStringLiteral("STATE_DIR"), stateDir + QStringLiteral("/sync-cf-state"));
        env.insert(QStringLiteral("SERVER_LOG"), m_log);
        env.insert(QStringLiteral("LOG_LEVEL"), logLevel);
        QProcess p;
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(m_harness);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("bash"), {m_harness + QStringLiteral("/bg-server.sh")});
        m_started = true;
        if (!p.waitForFinished(90000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return QStringLiteral("bg-server.sh: ") + QString::fromUtf8(p.readAll()) + u'\n' + log().right(2000);
        return {};
    }
    void stop()
    {
        if (!std::exchange(m_started, false))
            return;
        QProcess p;
        p.setWorkingDirectory(m_harness);
        p.start(QStringLiteral("bash"), {m_harness + QStringLiteral("/stop-server.sh")});
        p.waitForFinished(20000);
    }
    QString log() const
    {
        QFile f(m_log);
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }
    QString url() const { return QStringLiteral("ws://127.0.0.1:%1").arg(m_port); }

private:
    QString m_harness;
    QString m_log;
    quint16 m_port = 0;
    bool m_started = false;
};

#endif // LIVESTORE_TESTS_REALSYNCSERVER_H
