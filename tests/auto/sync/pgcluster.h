// SPDX-License-Identifier: BSD-3-Clause
// A private PostgreSQL cluster for one test process: initdb into a temporary directory, a server
// on 127.0.0.1 at a free port (its Unix socket in that directory too), stopped and deleted again
// by the destructor. Never touches a cluster of the system.
//
// The binaries are found through LIVESTORE_PG_BINDIR, else the newest of Debian's
// /usr/lib/postgresql/<version>/bin, else pg_ctl on the PATH. initdb refuses to run as root, so
// as root (CI) everything runs as the user `postgres` through runuser, in a directory given to
// that user. Without binaries the tests skip (available() is false); any other failure is an
// error (errorString()).
//
// A test process that dies leaves no server behind: a small shell reaper, started with the
// cluster, waits for the test process to go and then stops the server and removes the directory.
#ifndef LIVESTORE_PGCLUSTER_H
#define LIVESTORE_PGCLUSTER_H

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qversionnumber.h>
#include <QtNetwork/qtcpserver.h>

#include <csignal>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <memory>

class PgCluster
{
public:
    PgCluster()
    {
        m_binDir = findBinDir();
        if (m_binDir.isEmpty()) {
            m_error = QStringLiteral("no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL "
                                     "(Debian: the postgresql package) or set LIVESTORE_PG_BINDIR");
            return;
        }
        m_available = true;
        if (::geteuid() == 0) {
            const passwd *pw = ::getpwnam("postgres");
            m_runuser = QStandardPaths::findExecutable(QStringLiteral("runuser"));
            if (m_runuser.isEmpty()) {
                m_runuser = QStandardPaths::findExecutable(
                        QStringLiteral("runuser"), {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
            }
            if (!pw || m_runuser.isEmpty()) {
                m_available = false;
                m_error = QStringLiteral("running as root, but there is no user 'postgres' (or no runuser) "
                                         "to run PostgreSQL as; initdb refuses root");
                return;
            }
            m_uid = pw->pw_uid;
            m_gid = pw->pw_gid;
        }
        m_dir = std::make_unique<QTemporaryDir>();
        if (!m_dir->isValid()) {
            m_error = QStringLiteral("cannot create a temporary directory: ") + m_dir->errorString();
            return;
        }
        if (m_uid != uid_t(-1) && ::chown(QFile::encodeName(m_dir->path()).constData(), m_uid, m_gid) != 0) {
            m_error = QStringLiteral("cannot give %1 to the user postgres").arg(m_dir->path());
            return;
        }
        const QString out = run(QStringLiteral("initdb"),
                                {QStringLiteral("-D"), dataDir(), QStringLiteral("-A"), QStringLiteral("trust"),
                                 QStringLiteral("-U"), QStringLiteral("postgres"), QStringLiteral("-E"),
                                 QStringLiteral("UTF8"), QStringLiteral("--locale=C"), QStringLiteral("-N")});
        if (!m_lastOk) {
            m_error = QStringLiteral("initdb failed: ") + out;
            return;
        }
        // The port is free when we look; another process may take it before the server binds.
        for (int attempt = 0; attempt < 3 && !m_running; ++attempt) {
            m_port = freePort();
            start();
        }
        if (m_running)
            startReaper();
    }

    ~PgCluster()
    {
        stop();
        // A start that timed out may still have brought a postmaster up, and a stop may fail:
        // whatever runs on this data directory goes before the directory does.
        if (m_dir && QFile::exists(dataDir() + QStringLiteral("/postmaster.pid"))) {
            run(QStringLiteral("pg_ctl"), {QStringLiteral("-D"), dataDir(), QStringLiteral("-m"),
                                           QStringLiteral("immediate"), QStringLiteral("-w"),
                                           QStringLiteral("stop")});
            QFile pidFile(dataDir() + QStringLiteral("/postmaster.pid"));
            if (!m_lastOk && pidFile.open(QIODevice::ReadOnly)) {
                const pid_t pid = pid_t(pidFile.readLine().trimmed().toLongLong());
                if (pid > 1)
                    ::kill(pid, SIGKILL);
            }
        }
        // The directory goes with m_dir.
    }

    PgCluster(const PgCluster &) = delete;
    PgCluster &operator=(const PgCluster &) = delete;

    // Binaries found (else: skip).
    bool available() const { return m_available; }
    bool isRunning() const { return m_running; }
    QString errorString() const { return m_error; }
    quint16 port() const { return m_port; }
    QString binDir() const { return m_binDir; }

    QString url(const QString &database = QStringLiteral("postgres")) const
    {
        return QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2").arg(m_port).arg(database);
    }

    // Starts the server (again, after stop(): same data, same port).
    bool start()
    {
        if (m_running)
            return true;
        // fsync off: a test database need not survive a power loss, and the tests run faster.
        // synchronous_commit stays on, so that an immediate stop (a crash) loses no commit.
        const QString options =
                QStringLiteral("-k %1 -h 127.0.0.1 -p %2 -c fsync=off -c full_page_writes=off "
                               "-c shared_buffers=16MB -c max_connections=40")
                        .arg(m_dir->path())
                        .arg(m_port);
        const QString out = run(QStringLiteral("pg_ctl"),
                                {QStringLiteral("-D"), dataDir(), QStringLiteral("-l"), logFile(),
                                 QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"),
                                 QStringLiteral("-o"), options, QStringLiteral("start")});
        m_running = m_lastOk;
        if (!m_running)
            m_error = QStringLiteral("pg_ctl start failed: ") + out + QStringLiteral("\n") + log();
        return m_running;
    }

    // Immediate: as a crash; "fast" for a clean shutdown.
    bool stop(const QString &mode = QStringLiteral("immediate"))
    {
        if (!m_running)
            return true;
        const QString out = run(QStringLiteral("pg_ctl"), {QStringLiteral("-D"), dataDir(), QStringLiteral("-m"),
                                                           mode, QStringLiteral("-w"), QStringLiteral("stop")});
        m_running = !m_lastOk;
        if (!m_lastOk)
            m_error = QStringLiteral("pg_ctl stop failed: ") + out;
        return m_lastOk;
    }

    // Runs SQL through psql; the output unaligned, without headers. Empty and ok=false on error.
    QString psql(const QString &sql, const QString &database = QStringLiteral("postgres"),
                 bool *ok = nullptr)
    {
        QProcess p;
        p.start(QDir(m_binDir).filePath(QStringLiteral("psql")),
                {QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-A"), QStringLiteral("-t"),
                 QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-h"),
                 QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_port),
                 QStringLiteral("-U"), QStringLiteral("postgres"), QStringLiteral("-d"), database,
                 QStringLiteral("-c"), sql});
        const bool finished = p.waitForFinished(30000);
        const bool success = finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (ok)
            *ok = success;
        if (!success) {
            m_error = QString::fromUtf8(p.readAllStandardError());
            return {};
        }
        QString out = QString::fromUtf8(p.readAllStandardOutput());
        if (out.endsWith(u'\n'))
            out.chop(1);
        return out;
    }

    // A fresh database; its URL, or an empty string on failure (see errorString()).
    QString createDatabase(const QString &name)
    {
        bool ok = false;
        psql(QStringLiteral("CREATE DATABASE \"%1\"").arg(name), QStringLiteral("postgres"), &ok);
        return ok ? url(name) : QString();
    }

    QString log() const
    {
        QFile f(logFile());
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

private:
    static QString findBinDir()
    {
        auto usable = [](const QString &dir) {
            return !dir.isEmpty() && QFile::exists(QDir(dir).filePath(QStringLiteral("initdb")))
                    && QFile::exists(QDir(dir).filePath(QStringLiteral("pg_ctl")));
        };
        const QString fromEnv = qEnvironmentVariable("LIVESTORE_PG_BINDIR");
        if (!fromEnv.isEmpty())
            return usable(fromEnv) ? fromEnv : QString();
        // Debian keeps each major version apart; take the newest.
        const QDir versions(QStringLiteral("/usr/lib/postgresql"));
        QString best;
        QVersionNumber bestVersion;
        for (const QString &v : versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QString dir = versions.filePath(v + QStringLiteral("/bin"));
            const QVersionNumber version = QVersionNumber::fromString(v);
            if (usable(dir) && (best.isEmpty() || version > bestVersion)) {
                best = dir;
                bestVersion = version;
            }
        }
        if (!best.isEmpty())
            return best;
        const QString pgCtl = QStandardPaths::findExecutable(QStringLiteral("pg_ctl"));
        const QString dir = pgCtl.isEmpty() ? QString() : QFileInfo(pgCtl).absolutePath();
        return usable(dir) ? dir : QString();
    }

    static quint16 freePort()
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return probe.serverPort();
    }

    QString dataDir() const { return m_dir->filePath(QStringLiteral("data")); }
    QString logFile() const { return m_dir->filePath(QStringLiteral("server.log")); }

    // Runs a PostgreSQL tool, as the user postgres when we are root.
    QString run(const QString &tool, const QStringList &args)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.setWorkingDirectory(m_dir->path()); // readable by the user the tool runs as
        const QString program = QDir(m_binDir).filePath(tool);
        if (m_uid != uid_t(-1))
            p.start(m_runuser, QStringList{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"), program} + args);
        else
            p.start(program, args);
        const bool finished = p.waitForFinished(90000);
        if (!finished)
            p.kill();
        m_lastOk = finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        return QString::fromUtf8(p.readAll()).trimmed();
    }

    void startReaper()
    {
        // $1 test pid, $2 pg_ctl, $3 data directory, $4 temporary directory, $5.. the runuser prefix.
        static const QString script = QStringLiteral(
                "pid=$1; pgctl=$2; data=$3; dir=$4; shift 4; "
                "while kill -0 \"$pid\" 2>/dev/null; do sleep 1; done; "
                "\"$@\" \"$pgctl\" -D \"$data\" -m immediate -w stop >/dev/null 2>&1; rm -rf \"$dir\"");
        QStringList args{QStringLiteral("-c"), script, QStringLiteral("pgcluster-reaper"),
                         QString::number(::getpid()), QDir(m_binDir).filePath(QStringLiteral("pg_ctl")),
                         dataDir(), m_dir->path()};
        if (m_uid != uid_t(-1))
            args += {m_runuser, QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--")};
        QProcess reaper;
        reaper.setProgram(QStringLiteral("/bin/sh"));
        reaper.setArguments(args);
        // Not the test's own output: ctest would wait for the reaper to close it.
        reaper.setStandardInputFile(QProcess::nullDevice());
        reaper.setStandardOutputFile(QProcess::nullDevice());
        reaper.setStandardErrorFile(QProcess::nullDevice());
        reaper.startDetached();
    }

    QString m_binDir;
    QString m_runuser;
    uid_t m_uid = uid_t(-1);
    gid_t m_gid = gid_t(-1);
    std::unique_ptr<QTemporaryDir> m_dir;
    quint16 m_port = 0;
    bool m_available = false;
    bool m_running = false;
    bool m_lastOk = false;
    QString m_error;
};

#endif // LIVESTORE_PGCLUSTER_H
