// SPDX-License-Identifier: BSD-3-Clause
// Our interop harness (tests/interop) from the C++ tests: real LiveStore 0.4.0 Node clients, the
// real sync-cf server under wrangler dev, wire-check.mjs.
//
// The harness is installed at test time from the npm registry into the build (<build>/interop,
// or $LIVESTORE_INTEROP_DIR): its files are copied there and `npm ci` runs, again only when
// package.json or package-lock.json changed. Nothing is written into the source tree.
//
// A test that needs it starts with LIVESTORE_REQUIRE_INTEROP(harness). Without node or npm it
// skips, saying so loudly. With them, a harness that cannot be installed or run fails the test
// in CI (CI=true: CI has node and npm, so a skip there would hide a broken harness) and skips
// loudly elsewhere (a developer offline, say).
#ifndef LIVESTORE_TESTS_INTEROPHARNESS_H
#define LIVESTORE_TESTS_INTEROPHARNESS_H

#include "realsyncserver.h"

#include <QtCore/qcryptographichash.h>
#include <QtCore/qdebug.h>
#include <QtCore/qdir.h>
#include <QtCore/qdiriterator.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>

#include <optional>

namespace Interop {

using namespace Qt::StringLiterals;

// CI runs `bash .ci/run` with CI=true.
inline bool inCi()
{
    const QString ci = qEnvironmentVariable("CI").toLower();
    return ci == u"true" || ci == u"1" || ci == u"yes";
}

struct Run
{
    int exitCode = -1; // -1: did not start, crashed or timed out
    QString output;    // stdout and stderr, merged
};

inline Run run(const QString &program, const QStringList &args, const QString &workDir, int timeoutMs,
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setWorkingDirectory(workDir);
    p.setProcessEnvironment(env);
    p.start(program, args);
    Run r;
    if (!p.waitForStarted(10000)) {
        r.output = p.errorString();
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.output = QString::fromUtf8(p.readAll()) + u"\n(killed after %1 s)"_s.arg(timeoutMs / 1000);
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.output = QString::fromUtf8(p.readAll());
    return r;
}

struct Availability
{
    enum Status {
        Ready,
        ToolsMissing, // node or npm not on PATH: always a skip
        Broken,       // they are there, the harness is not usable: a failure in CI
    };
    Status status = Broken;
    QString message;
};

class Harness
{
public:
    Harness()
        : m_source(QStringLiteral(LIVESTORE_INTEROP_SOURCE_DIR)),
          m_dir(qEnvironmentVariableIsEmpty("LIVESTORE_INTEROP_DIR")
                        ? QStringLiteral(LIVESTORE_INTEROP_DIR)
                        : qEnvironmentVariable("LIVESTORE_INTEROP_DIR"))
    {
    }

    // Finds node and npm and installs the harness when needed. The first call does the work; later
    // calls in the process return its answer.
    const Availability &prepare()
    {
        if (!m_availability)
            m_availability = findAndInstall();
        return *m_availability;
    }

    QString node() const { return m_node; }
    QString npm() const { return m_npm; }
    QString dir() const { return m_dir; } // the installed harness
    QString script(const QString &name) const { return m_dir + u'/' + name; }

    // Starts `node <script> <args>` in the harness folder, for processes that run side by side.
    void start(QProcess &p, const QString &scriptName, const QStringList &args,
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment()) const
    {
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.setWorkingDirectory(m_dir);
        p.setProcessEnvironment(env);
        p.start(m_node, QStringList{script(scriptName)} + args);
    }

    Run runScript(const QString &scriptName, const QStringList &args, int timeoutMs,
                  const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment()) const
    {
        return run(m_node, QStringList{script(scriptName)} + args, m_dir, timeoutMs, env);
    }

private:
    Availability findAndInstall()
    {
        m_node = QStandardPaths::findExecutable(u"node"_s);
        m_npm = QStandardPaths::findExecutable(u"npm"_s);
        if (m_node.isEmpty() || m_npm.isEmpty()) {
            const QString missing = m_node.isEmpty() && m_npm.isEmpty() ? u"node and npm were"_s
                    : m_node.isEmpty()                                  ? u"node was"_s
                                                                        : u"npm was"_s;
            return {Availability::ToolsMissing,
                    u"NOT RUN: %1 not found on PATH. The interop tests against real LiveStore 0.4.0 "
                     "(tests/interop: wire-check.mjs, real Node clients, the real sync-cf server) "
                     "need Node.js 20 and npm."_s.arg(missing)};
        }
        const Run version = run(m_node, {u"--version"_s}, QDir::tempPath(), 30000);
        // "v20.20.2": LiveStore 0.4.0 and wrangler 4 need Node 20 or later.
        if (version.exitCode != 0 || version.output.trimmed().mid(1).section(u'.', 0, 0).toInt() < 20)
            return broken(u"%1 is not Node.js 20 or later (node --version: %2)"_s
                                  .arg(m_node, version.output.trimmed()));
        if (const QString why = install(); !why.isEmpty())
            return broken(why);
        return {Availability::Ready, {}};
    }

    Availability broken(const QString &why) const
    {
        return {Availability::Broken,
                u"the interop harness (tests/interop, installed into %1) is not usable: %2"_s.arg(m_dir, why)};
    }

    // Empty on success, else why not.
    QString install()
    {
        if (!QFile::exists(m_source + u"/package-lock.json"_s))
            return u"no package-lock.json in "_s + m_source;
        if (!QDir().mkpath(m_dir))
            return u"cannot create "_s + m_dir;
        // One install at a time: tests run in parallel (ctest -j) share the folder.
        QLockFile lock(m_dir + u"/.install.lock"_s);
        lock.setStaleLockTime(0); // only a dead holder's lock is stale, however long npm ci takes
        if (!lock.tryLock(10 * 60 * 1000))
            return u"timed out waiting for another process's install (%1/.install.lock)"_s.arg(m_dir);

        // The scripts are copied every time, so an edited script runs without a new install.
        if (const QString why = copySources(); !why.isEmpty())
            return why;

        const QString stampFile = m_dir + u"/.installed-from"_s;
        const QByteArray stamp = manifestHash();
        QFile stampIn(stampFile);
        if (stampIn.open(QIODevice::ReadOnly) && stampIn.readAll() == stamp && installedFilesPresent())
            return {};
        stampIn.close();
        QFile::remove(stampFile);

        QElapsedTimer timer;
        timer.start();
        // --ignore-scripts: npm 11 skips the install scripts of sharp, workerd and esbuild unless
        // approved, npm 10 (Node 20's) would run them; the harness needs none of them (the
        // workerd and esbuild binaries come as prebuilt optional packages), so both behave alike.
        const Run ci = run(m_npm, {u"ci"_s, u"--no-audit"_s, u"--no-fund"_s, u"--ignore-scripts"_s},
                           m_dir, 5 * 60 * 1000);
        const double seconds = timer.elapsed() / 1000.0;
        if (ci.exitCode != 0)
            return u"`npm ci` in %1 failed (exit code %2, %3 s):\n%4"_s.arg(m_dir).arg(ci.exitCode).arg(seconds).arg(
                    ci.output.right(3000));
        if (!installedFilesPresent())
            return u"`npm ci` in %1 succeeded but LiveStore, wrangler or ws is missing:\n%2"_s.arg(m_dir, ci.output.right(3000));
        QFile stampOut(stampFile);
        if (!stampOut.open(QIODevice::WriteOnly) || stampOut.write(stamp) != stamp.size())
            return u"cannot write "_s + stampFile;
        qInfo().noquote() << u"interop harness installed into %1 with npm ci in %2 s"_s.arg(m_dir).arg(seconds);
        return {};
    }

    // What the install is made from; another value means npm ci again.
    QByteArray manifestHash() const
    {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        for (const QString name : {u"package.json"_s, u"package-lock.json"_s}) {
            QFile f(m_source + u'/' + name);
            if (f.open(QIODevice::ReadOnly))
                hash.addData(f.readAll());
            hash.addData(QByteArrayView("\0", 1)); // file boundary
        }
        return hash.result().toHex();
    }

    bool installedFilesPresent() const
    {
        for (const QString path : {u"node_modules/@livestore/adapter-node/package.json"_s,
                                   u"node_modules/@livestore/sync-cf/package.json"_s,
                                   u"node_modules/.bin/wrangler"_s, u"node_modules/ws/package.json"_s}) {
            if (!QFile::exists(m_dir + u'/' + path))
                return false;
        }
        return true;
    }

    QString copySources() const
    {
        QDirIterator it(m_source, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        const QDir source(m_source);
        while (it.hasNext()) {
            const QString from = it.next();
            const QString relative = source.relativeFilePath(from);
            // What a manual `npm ci` or a run in the source folder may have left there.
            if (relative.startsWith(u"node_modules/"_s) || relative.startsWith(u".wrangler/"_s)
                || relative.startsWith(u"data/"_s) || relative.contains(u"/.wrangler/"_s))
                continue;
            const QString to = m_dir + u'/' + relative;
            QDir().mkpath(QFileInfo(to).absolutePath());
            QFile::remove(to);
            if (!QFile::copy(from, to))
                return u"cannot copy %1 to %2"_s.arg(from, to);
            // A read-only checkout gives read-only copies, which the next run could not replace.
            QFile::setPermissions(to, QFile::permissions(from) | QFile::WriteOwner);
        }
        return {};
    }

    QString m_source;
    QString m_dir;
    QString m_node;
    QString m_npm;
    std::optional<Availability> m_availability;
};

} // namespace Interop

// For a harness that is there but does not work (it did not install, the real server did not
// start): a failure in CI, a loud skip elsewhere. Use inside a test function.
#define LIVESTORE_INTEROP_UNUSABLE(message)                                                              \
    do {                                                                                                 \
        const QString interopMessage_ = (message);                                                      \
        if (Interop::inCi())                                                                             \
            QFAIL(qPrintable(interopMessage_ + QStringLiteral(" (a failure because CI is set)")));      \
        qWarning().noquote() << "INTEROP TEST NOT RUN:" << interopMessage_                              \
                             << "(skipped outside CI; with CI=true this fails)";                        \
        QSKIP(qPrintable(interopMessage_));                                                              \
    } while (false)

// First line of a test function that needs the harness: returns from it (skip or fail) unless the
// harness is installed and node can run it.
#define LIVESTORE_REQUIRE_INTEROP(harness)                                                               \
    do {                                                                                                 \
        const Interop::Availability &interopAvailability_ = (harness).prepare();                        \
        if (interopAvailability_.status == Interop::Availability::ToolsMissing) {                        \
            qWarning().noquote() << interopAvailability_.message;                                        \
            QSKIP(qPrintable(interopAvailability_.message));                                             \
        }                                                                                                \
        if (interopAvailability_.status == Interop::Availability::Broken)                                \
            LIVESTORE_INTEROP_UNUSABLE(interopAvailability_.message);                                    \
    } while (false)

#endif // LIVESTORE_TESTS_INTEROPHARNESS_H
