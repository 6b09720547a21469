// SPDX-License-Identifier: BSD-3-Clause
// `livestore events --follow` (and --confirmed): the history, then events as they reach the log,
// until SIGTERM or --limit; beside writers in other processes (--read-only).
#include "clirun.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qdir.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;

namespace {

constexpr int Timeout = 20'000;

// A follower's stdout, line by line, as it prints them.
struct Follower
{
    explicit Follower(const QStringList &args) { startCli(&process, args); }
    ~Follower()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
    // Waits until `count` lines have come (or the timeout); returns them all.
    QStringList waitForLines(qsizetype count)
    {
        const QDeadlineTimer deadline(Timeout);
        while (lines.size() < count && !deadline.hasExpired()) {
            if (process.state() == QProcess::NotRunning && !process.bytesAvailable())
                break;
            process.waitForReadyRead(100);
            while (process.canReadLine())
                lines.append(QString::fromUtf8(process.readLine()).chopped(1));
        }
        return lines;
    }
    QString seqNumOf(qsizetype line) const
    {
        const QJsonObject seq = QJsonDocument::fromJson(lines.value(line).toUtf8()).object().value(u"seqNum"_s).toObject();
        return u"e%1"_s.arg(seq.value(u"global"_s).toInteger());
    }
    QString idOf(qsizetype line) const
    {
        return QJsonDocument::fromJson(lines.value(line).toUtf8()).object().value(u"args"_s).toObject().value(u"id"_s).toString();
    }
    QProcess process;
    QStringList lines;
};

} // namespace

class tst_CliFollow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void followsOtherProcesses();
    void cursorAndNames();
    void limitEnds();
    void confirmedWithoutSync();
    void usage();

private:
    QStringList storeArgs(const QString &name) const
    {
        return {u"--store"_s, m_dir.filePath(name), u"--schema"_s, QStringLiteral(LIVESTORE_HARNESS_SCHEMA)};
    }
    bool commit(const QString &store, const QString &id)
    {
        const Run r = runCli(storeArgs(store) + QStringList{u"commit"_s, u"v1.TodoCreated"_s,
                                                            u"{\"id\":\"%1\",\"text\":\"t\"}"_s.arg(id)});
        if (r.exitCode != 0)
            qWarning() << r.err;
        return r.exitCode == 0;
    }
    QTemporaryDir m_dir;
};

void tst_CliFollow::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void tst_CliFollow::followsOtherProcesses()
{
    // A follower beside the app (--read-only) prints what is there, then what other processes
    // commit, in order; SIGTERM ends it cleanly. (Other processes' commits reach a Store through
    // its watch of the database: see StoreOptions::watchInterval.)
    QVERIFY(commit(u"shared"_s, u"a"_s));
    QVERIFY(commit(u"shared"_s, u"b"_s));
    Follower follower(storeArgs(u"shared"_s) + QStringList{u"--read-only"_s, u"events"_s, u"--follow"_s, u"--json"_s});
    QCOMPARE(follower.waitForLines(2).size(), 2);
    QCOMPARE(follower.idOf(0), u"a"_s);
    QCOMPARE(follower.seqNumOf(1), u"e2"_s);
    QVERIFY(commit(u"shared"_s, u"c"_s));
    QVERIFY(commit(u"shared"_s, u"d"_s));
    QCOMPARE(follower.waitForLines(4).size(), 4);
    QCOMPARE(follower.idOf(2), u"c"_s);
    QCOMPARE(follower.idOf(3), u"d"_s);
    QCOMPARE(follower.seqNumOf(3), u"e4"_s);
    follower.process.terminate(); // SIGTERM
    QVERIFY(follower.process.waitForFinished(Timeout));
    QCOMPARE(follower.process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(follower.process.exitCode(), 0);
    QCOMPARE(follower.waitForLines(5).size(), 4); // nothing more, nothing cut
}

void tst_CliFollow::cursorAndNames()
{
    for (const QString &id : {u"x1"_s, u"x2"_s, u"x3"_s})
        QVERIFY(commit(u"cursor"_s, id));
    QVERIFY(runCli(storeArgs(u"cursor"_s) + QStringList{u"commit"_s, u"v1.TodoCompleted"_s, u"{\"id\":\"x1\"}"_s}).exitCode == 0);
    // Resuming after e1: the rest, then live.
    Follower follower(storeArgs(u"cursor"_s) + QStringList{u"--read-only"_s, u"events"_s, u"--follow"_s, u"--json"_s,
                                                           u"--after"_s, u"e1"_s, u"--name"_s, u"v1.TodoCreated"_s});
    QCOMPARE(follower.waitForLines(2).size(), 2);
    QCOMPARE(follower.idOf(0), u"x2"_s);
    QCOMPARE(follower.idOf(1), u"x3"_s);
    QVERIFY(commit(u"cursor"_s, u"x4"_s));
    QCOMPARE(follower.waitForLines(3).size(), 3);
    QCOMPARE(follower.seqNumOf(2), u"e5"_s); // e4, a TodoCompleted, left out
    follower.process.terminate();
    QVERIFY(follower.process.waitForFinished(Timeout));
    QCOMPARE(follower.process.exitCode(), 0);
}

void tst_CliFollow::limitEnds()
{
    for (const QString &id : {u"l1"_s, u"l2"_s})
        QVERIFY(commit(u"limit"_s, id));
    // Two there, a third to wait for: it exits once it printed it.
    Follower follower(storeArgs(u"limit"_s) + QStringList{u"events"_s, u"--follow"_s, u"--limit"_s, u"3"_s});
    QCOMPARE(follower.waitForLines(2).size(), 2);
    QVERIFY(follower.lines.at(0).contains(u"v1.TodoCreated"_s));
    QCOMPARE(follower.process.state(), QProcess::Running);
    follower.process.terminate();
    QVERIFY(follower.process.waitForFinished(Timeout));
    QCOMPARE(follower.process.exitCode(), 0);

    const Run r = runCli(storeArgs(u"limit"_s) + QStringList{u"events"_s, u"--follow"_s, u"--limit"_s, u"1"_s, u"--json"_s});
    QCOMPARE_EXIT(r, 0);
    QCOMPARE(r.out.count(u'\n'), 1);
    QVERIFY(r.out.contains(u"\"l1\""_s));
}

void tst_CliFollow::confirmedWithoutSync()
{
    // Without --follow, --confirmed lists and exits; a store that never synced has none.
    QVERIFY(commit(u"unsynced"_s, u"u1"_s));
    const Run r = runCli(storeArgs(u"unsynced"_s) + QStringList{u"events"_s, u"--confirmed"_s});
    QCOMPARE_EXIT(r, 0);
    QCOMPARE(r.out, QString());
}

void tst_CliFollow::usage()
{
    const Run help = runCli({u"events"_s, u"--help"_s});
    QCOMPARE_EXIT(help, 0);
    QVERIFY2(help.out.contains(u"--follow"_s) && help.out.contains(u"--confirmed"_s), qPrintable(help.out));
    const Run bad = runCli(storeArgs(u"unsynced"_s) + QStringList{u"events"_s, u"--follow"_s, u"--after"_s, u"later"_s});
    QCOMPARE_EXIT(bad, 2);
}

QTEST_GUILESS_MAIN(tst_CliFollow)
#include "tst_clifollow.moc"
