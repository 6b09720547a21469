// SPDX-License-Identifier: BSD-3-Clause
// The livestore tool's --sync-url and `sync` command against the built livestore-sync-server,
// everything run as separate processes as users run them.

#include "clirun.h"
#include "serverprocess.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;

namespace {

QJsonObject parseObject(const QString &line)
{
    return QJsonDocument::fromJson(line.toUtf8()).object();
}

qint64 globalSeq(const QJsonObject &event)
{
    return event.value(u"seqNum"_s).toObject().value(u"global"_s).toInteger();
}

} // namespace


class tst_CliSync : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString m_schema;
    ServerProcess m_server;
    int m_storeCounter = 0;

    QString url() const { return u"ws://127.0.0.1:%1"_s.arg(m_server.port); }

    // A fresh store directory name per test, all of one store id per test.
    QString dir(const QString &client) const
    {
        return m_tmp.filePath(u"t%1/%2/todos"_s.arg(m_storeCounter).arg(client));
    }
    QStringList at(const QString &client, bool sync = true) const
    {
        QStringList args{u"--store"_s, dir(client), u"--schema"_s, m_schema,
                         u"--store-id"_s, u"cli-sync-%1"_s.arg(m_storeCounter)};
        if (sync)
            args << u"--sync-url"_s << url();
        return args;
    }



private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // The schema of the LiveStore harness's clients (tests/shared/harness-todos.json).
        m_schema = QStringLiteral(LIVESTORE_HARNESS_SCHEMA);
        QVERIFY2(m_server.start({u"--data"_s, m_tmp.filePath(u"server"_s)}), qPrintable(m_server.allStderr()));
    }

    void init() { ++m_storeCounter; }

    void commitIsPushedAndPulledByOthers()
    {
        const Run commit = runCli(at(u"a"_s) << u"commit"_s << u"v1.TodoCreated"_s << QString::fromUtf8("{\"id\":\"1\",\"text\":\"hëllo \\\"q\\\"\"}"));
        QCOMPARE_EXIT(commit, 0);
        QCOMPARE(commit.out, u"committed e1\n"_s);
        // Quiet on success: the connection chatter is for `sync`.
        QCOMPARE(commit.err, QString());

        // Another store (it does not exist yet: syncing creates it) reads it from the server.
        const Run query = runCli(at(u"b"_s) << u"query"_s << u"SELECT id, text FROM todos"_s << u"--json"_s);
        QCOMPARE_EXIT(query, 0);
        QCOMPARE(query.out, QString::fromUtf8("{\"id\":\"1\",\"text\":\"hëllo \\\"q\\\"\"}") + u'\n');
        const Run events = runCli(at(u"b"_s, false) << u"events"_s << u"--json"_s);
        QCOMPARE_EXIT(events, 0);
        const QJsonObject e1 = parseObject(events.out.trimmed());
        QCOMPARE(globalSeq(e1), 1);
        const Run infoA = runCli(at(u"a"_s, false) << u"info"_s);
        QVERIFY2(infoA.out.contains(e1.value(u"clientId"_s).toString()), qPrintable(infoA.out));
    }

    // Commits made without --sync-url go out with the next synced command; a store with its own
    // unsynced events is rebased on top of what the server has.
    void offlineCommitsAreRebasedAndPushedLater()
    {
        for (const QString &id : {u"a1"_s, u"a2"_s})
            QCOMPARE_EXIT(runCli(at(u"a"_s) << u"commit"_s << u"v1.TodoCreated"_s << u"{\"id\":\"%1\",\"text\":\"A\"}"_s.arg(id)), 0);
        // B commits offline: its event is e1 locally, but the server already has e1 and e2.
        const Run offline = runCli(at(u"b"_s, false) << u"commit"_s << u"v1.TodoCreated"_s << QString::fromUtf8("{\"id\":\"b1\",\"text\":\"B\"}"));
        QCOMPARE_EXIT(offline, 0);
        QCOMPARE(offline.out, u"committed e1\n"_s);

        const Run synced = runCli(at(u"b"_s) << u"query"_s << u"SELECT id FROM todos ORDER BY id"_s << u"--json"_s);
        QCOMPARE_EXIT(synced, 0);
        QCOMPARE(synced.out, u"{\"id\":\"a1\"}\n{\"id\":\"a2\"}\n{\"id\":\"b1\"}\n"_s);
        const Run events = runCli(at(u"b"_s, false) << u"events"_s);
        QCOMPARE_EXIT(events, 0);
        const QStringList lines = events.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        // Rebased once (e1 became e3, rebase generation 1), then confirmed by the server. B's
        // store kept no changesets when it committed: the rebase replayed its eventlog instead.
        QVERIFY2(lines.at(2).startsWith(u"e3r1 "_s) && lines.at(2).contains(u"b1"_s), qPrintable(events.out));

        // A sees B's event after its next sync; verify() holds on both.
        const Run a = runCli(at(u"a"_s) << u"verify"_s);
        QCOMPARE_EXIT(a, 0);
        QCOMPARE(a.out, u"OK: state matches a replay of 3 events\n"_s);
        QCOMPARE_EXIT(runCli(at(u"b"_s, false) << u"verify"_s), 0);
    }

    void syncCommandPrintsCatchUpThenLiveEvents()
    {
        QCOMPARE_EXIT(runCli(at(u"a"_s) << u"commit"_s << u"v1.TodoCreated"_s << QString::fromUtf8("{\"id\":\"1\",\"text\":\"one\"}")), 0);
        const Run once = runCli(at(u"b"_s) << u"sync"_s << u"--exit-when-synced"_s);
        QCOMPARE_EXIT(once, 0);
        QStringList lines = once.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(parseObject(lines.at(0)).value(u"args"_s).toObject().value(u"text"_s).toString(), u"one"_s);
        // Nothing new: nothing printed.
        const Run again = runCli(at(u"b"_s) << u"sync"_s << u"--exit-when-synced"_s);
        QCOMPARE_EXIT(again, 0);
        QCOMPARE(again.out, QString());

        // Following: each event arrives as a line while the command runs.
        QProcess follower;
        startCli(&follower, at(u"b"_s) << u"sync"_s);
        QVERIFY(follower.waitForStarted());
        QByteArray followerErr;
        QTRY_VERIFY2_WITH_TIMEOUT((followerErr += follower.readAllStandardError(), followerErr.contains("connected to")),
                                  followerErr.constData(), 20000);
        QCOMPARE_EXIT(runCli(at(u"a"_s) << u"commit"_s << u"v1.TodoCreated"_s << QString::fromUtf8("{\"id\":\"2\",\"text\":\"two\"}")), 0);
        QCOMPARE_EXIT(runCli(at(u"a"_s) << u"commit"_s << u"v1.TodoCompleted"_s << QString::fromUtf8("{\"id\":\"2\"}")), 0);
        QString out;
        QTRY_VERIFY_WITH_TIMEOUT((out += QString::fromUtf8(follower.readAllStandardOutput()),
                                  out.count(u'\n') >= 2), 20000);
        lines = out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(globalSeq(parseObject(lines.at(0))), 2);
        QCOMPARE(parseObject(lines.at(1)).value(u"name"_s).toString(), u"v1.TodoCompleted"_s);
        QCOMPARE(globalSeq(parseObject(lines.at(1))), 3);
        follower.terminate(); // SIGTERM: a clean exit
        QVERIFY(follower.waitForFinished(10000));
        QCOMPARE(follower.exitStatus(), QProcess::NormalExit);
        QCOMPARE(follower.exitCode(), 0);
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("http url") << QStringList{u"--sync-url"_s, u"http://127.0.0.1:1/"_s, u"info"_s} << 2
                                  << u"invalid --sync-url \"http://127.0.0.1:1/\": a ws:// or wss:// URL is expected"_s;
        QTest::newRow("bad payload") << QStringList{u"--sync-url"_s, u"ws://127.0.0.1:1"_s, u"--sync-payload"_s,
                                                    u"{token"_s, u"info"_s}
                                     << 2 << u"invalid --sync-payload: not one JSON value"_s;
        QTest::newRow("bad timeout") << QStringList{u"--sync-url"_s, u"ws://127.0.0.1:1"_s, u"--sync-timeout"_s,
                                                    u"soon"_s, u"info"_s}
                                     << 2 << u"invalid --sync-timeout \"soon\""_s;
        QTest::newRow("payload without url") << QStringList{u"--sync-payload"_s, u"{}"_s, u"info"_s} << 2
                                             << u"--sync-payload and --sync-timeout need --sync-url"_s;
        QTest::newRow("sync without url") << QStringList{u"sync"_s} << 2 << u"sync: --sync-url URL is required"_s;
        QTest::newRow("unreachable") << QStringList{u"--sync-url"_s, u"ws://127.0.0.1:1"_s, u"--sync-timeout"_s,
                                                    u"1"_s, u"info"_s}
                                     << 1 << u"sync with ws://127.0.0.1:1 failed before the command: not in sync after 1 s"_s;
    }

    void errors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const Run r = runCli(at(u"a"_s, false) + args);
        QCOMPARE_EXIT(r, exitCode);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.out, QString());
    }

    // A refused token: the command fails with the server's reason, and the commit made offline
    // before is kept for later.
    void badTokenKeepsPendingEvents()
    {
        ServerProcess guarded;
        QVERIFY(guarded.start({u"--data"_s, m_tmp.filePath(u"guarded"_s), u"--token"_s, u"s3cret"_s}));
        const QString guardedUrl = u"ws://127.0.0.1:%1"_s.arg(guarded.port);
        QCOMPARE_EXIT(runCli(at(u"a"_s, false) << u"commit"_s << u"v1.TodoCreated"_s << QString::fromUtf8("{\"id\":\"1\",\"text\":\"x\"}")), 0);
        const Run refused = runCli(at(u"a"_s, false) << u"--sync-url"_s << guardedUrl << u"--sync-payload"_s
                                                  << QString::fromUtf8("{\"authToken\":\"wrong\"}") << u"--sync-timeout"_s << u"2"_s
                                                  << u"info"_s);
        QCOMPARE_EXIT(refused, 1);
        QVERIFY2(refused.err.contains(u"failed before the command"_s), qPrintable(refused.err));
        QVERIFY2(refused.err.contains(u"1 local event not pushed yet"_s), qPrintable(refused.err));
        const Run accepted = runCli(at(u"a"_s, false) << u"--sync-url"_s << guardedUrl << u"--sync-payload"_s
                                                   << QString::fromUtf8("{\"authToken\":\"s3cret\"}") << u"info"_s);
        QCOMPARE_EXIT(accepted, 0);
        QVERIFY2(accepted.out.contains(u"head:        e1"_s), qPrintable(accepted.out));
    }
};

QTEST_GUILESS_MAIN(tst_CliSync)
#include "tst_clisync.moc"
