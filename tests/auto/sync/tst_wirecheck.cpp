// SPDX-License-Identifier: BSD-3-Clause
// Our server against outside judges, run with Node from our interop harness (tests/interop,
// installed with npm ci into the build at test time; interopharness.h):
//  - wire-check.mjs, the black-box protocol checker that passes against the real sync-cf server;
//  - real LiveStore 0.4.0 clients (adapter-node with makeWsSync from @livestore/sync-cf), two of
//    them syncing concurrently through our server, then one reconnecting from its own data;
//  - our client (the livestore tool, which syncs through LiveStore::SyncClient) and a real
//    LiveStore client through the real sync-cf server, run by wrangler dev on 127.0.0.1.
// Without node or npm the tests skip, loudly. With them, a harness that cannot be installed or
// run fails the tests in CI (CI=true) and skips them, loudly, elsewhere.

#include "interopharness.h"
#include "serverprocess.h"

#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;

class tst_WireCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wireCheck();
    void realLiveStoreClients();
    void ourClientThroughTheRealServer();

private:
    Interop::Harness m_harness; // installed by the first test that runs
};

void tst_WireCheck::wireCheck()
{
    LIVESTORE_REQUIRE_INTEROP(m_harness);

    QTemporaryDir data;
    ServerProcess server;
    QVERIFY2(server.start({u"--data"_s, data.path()}), qPrintable(server.allStderr()));
    const Interop::Run check = m_harness.runScript(u"wire-check.mjs"_s,
                                                   {u"http://127.0.0.1:%1"_s.arg(server.port)}, 120000);
    const QStringList lines = check.output.split(u'\n', Qt::SkipEmptyParts);
    const qsizetype passes = std::count_if(lines.cbegin(), lines.cend(),
                                           [](const QString &l) { return l.startsWith(u"PASS "_s); });
    const qsizetype failures = std::count_if(lines.cbegin(), lines.cend(),
                                             [](const QString &l) { return l.startsWith(u"FAIL "_s); });
    qInfo().noquote() << "wire-check.mjs:" << passes << "PASS," << failures << "FAIL";
    QVERIFY2(check.exitCode == 0, qPrintable(check.output + u"\n--- server log:\n"_s + server.allStderr()));
    QCOMPARE(failures, 0);
    QVERIFY2(passes >= 25, qPrintable(check.output));
    QVERIFY(check.output.contains(u"ALL PASS"_s));
    QCOMPARE(server.stop(), 0);
}

void tst_WireCheck::realLiveStoreClients()
{
    LIVESTORE_REQUIRE_INTEROP(m_harness);

    QTemporaryDir data;
    ServerProcess server;
    // Token mode too: the clients send their syncPayload in the URL, double-encoded.
    QVERIFY2(server.start({u"--data"_s, data.path() + u"/server"_s, u"--token"_s, u"tok en&/é"_s}),
             qPrintable(server.allStderr()));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"SYNC_URL"_s, u"ws://127.0.0.1:%1"_s.arg(server.port));
    env.insert(u"STORE_ID"_s, u"qt-real-clients"_s);
    env.insert(u"DATA_DIR"_s, data.path() + u"/clients"_s);
    env.insert(u"TIMEOUT_MS"_s, u"60000"_s);
    env.insert(u"SYNC_PAYLOAD"_s, uR"({"authToken":"tok en&/é"})"_s);

    // Two clients commit concurrently: one of them meets ServerAheadError, rebases, pushes again.
    auto start = [&](QProcess &p, const QStringList &args) { m_harness.start(p, u"client.mjs"_s, args, env); };
    QProcess a, b;
    start(a, {u"A"_s, u"25"_s, u"50"_s});
    start(b, {u"B"_s, u"25"_s, u"50"_s});
    QVERIFY(a.waitForFinished(120000));
    QVERIFY(b.waitForFinished(120000));
    const QString outA = QString::fromUtf8(a.readAll());
    const QString outB = QString::fromUtf8(b.readAll());
    QVERIFY2(a.exitCode() == 0 && outA.contains(u"[A] sees 50 row(s)"_s),
             qPrintable(outA.right(2000) + u"\n--- server:\n"_s + server.allStderr().right(3000)));
    QVERIFY2(b.exitCode() == 0 && outB.contains(u"[B] sees 50 row(s)"_s),
             qPrintable(outB.right(2000) + u"\n--- server:\n"_s + server.allStderr().right(3000)));

    // A comes back with its local data: it resumes from its cursor and adds one more.
    QProcess again;
    start(again, {u"A"_s, u"1"_s, u"51"_s});
    QVERIFY(again.waitForFinished(120000));
    const QString outAgain = QString::fromUtf8(again.readAll());
    QVERIFY2(again.exitCode() == 0 && outAgain.contains(u"[A] sees 51 row(s)"_s),
             qPrintable(outAgain.right(2000)));
    qInfo() << "real LiveStore 0.4.0 clients: A and B converged on 50 todos, A resumed to 51";
    QCOMPARE(server.stop(), 0);
}

void tst_WireCheck::ourClientThroughTheRealServer()
{
    LIVESTORE_REQUIRE_INTEROP(m_harness);

    QTemporaryDir data;
    RealSyncServer server(m_harness.dir());
    if (const QString why = server.start(data.path()); !why.isEmpty())
        LIVESTORE_INTEROP_UNUSABLE(u"the real sync-cf server did not start: "_s + why);
    // The harness's schemas/todos.mjs in our JSON format: the same events and table.
    const QString schema = QStringLiteral(LIVESTORE_HARNESS_SCHEMA);
    const QString storeId = u"qt-and-node"_s;
    auto ours = [&](const QString &name, const QStringList &args, bool sync = true) {
        QStringList all{u"--store"_s, data.filePath(u"ours/"_s + name), u"--schema"_s, schema,
                        u"--store-id"_s, storeId};
        if (sync)
            all << u"--sync-url"_s << server.url();
        return Interop::run(QStringLiteral(LIVESTORE_CLI_PATH), all + args, data.path(), 60000);
    };
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"SYNC_URL"_s, server.url());
    env.insert(u"STORE_ID"_s, storeId);
    env.insert(u"DATA_DIR"_s, data.path() + u"/node"_s);
    env.insert(u"TIMEOUT_MS"_s, u"60000"_s);
    auto startNode = [&](QProcess &p, const QStringList &args) { m_harness.start(p, u"client.mjs"_s, args, env); };

    // A follower of ours prints what the server delivers, live, from the start.
    QProcess follower;
    follower.setWorkingDirectory(data.path());
    follower.start(QStringLiteral(LIVESTORE_CLI_PATH),
                   {u"--store"_s, data.filePath(u"ours/follower"_s), u"--schema"_s, schema, u"--store-id"_s,
                    storeId, u"--sync-url"_s, server.url(), u"sync"_s});
    QVERIFY(follower.waitForStarted());

    // Our store commits three todos offline; the Node client pushes its three first, so ours are
    // rebased on top of them when we sync.
    for (int i = 1; i <= 3; ++i) {
        const Interop::Run commit = ours(u"q"_s, {u"commit"_s, u"v1.TodoCreated"_s,
                                                  u"{\"id\":\"qt-%1\",\"text\":\"todo %1 from Qt é\\\"\"}"_s.arg(i)},
                                         false);
        QVERIFY2(commit.exitCode == 0, qPrintable(commit.output));
    }
    QProcess node;
    startNode(node, {u"N"_s, u"3"_s, u"6"_s});
    QString nodeOut;
    QTRY_VERIFY2_WITH_TIMEOUT(
            (nodeOut += QString::fromUtf8(node.readAll()), nodeOut.contains(u"[N] committed 3 event(s)"_s)),
            qPrintable(nodeOut), 60000);
    // Wait until its push has landed: a store of ours with nothing to push reads the server.
    QTRY_VERIFY_WITH_TIMEOUT(ours(u"probe"_s, {u"query"_s, u"SELECT count(*) AS n FROM todos"_s, u"--json"_s})
                                     .output.trimmed().endsWith(u"{\"n\":3}"_s),
                             60000);

    const Interop::Run synced = ours(u"q"_s, {u"query"_s, u"SELECT count(*) AS n FROM todos"_s, u"--json"_s});
    QVERIFY2(synced.exitCode == 0, qPrintable(synced.output + u"\n--- server:\n"_s + server.log().right(3000)));
    // (stdout and stderr merged: the rebase logs that it replayed our offline commits)
    QVERIFY2(synced.output.trimmed().endsWith(u"\n{\"n\":6}"_s), qPrintable(synced.output));
    QVERIFY(node.waitForFinished(90000));
    nodeOut += QString::fromUtf8(node.readAll());
    QVERIFY2(node.exitCode() == 0 && nodeOut.contains(u"[N] sees 6 row(s)"_s),
             qPrintable(nodeOut.right(2000) + u"\n--- server:\n"_s + server.log().right(3000)));
    QVERIFY2(nodeOut.contains(u"todo 3 from Qt é\""_s), qPrintable(nodeOut.right(2000)));

    // Ours ended in the server's order: Node's e1..e3, then ours rebased to e4..e6.
    const Interop::Run events = ours(u"q"_s, {u"events"_s}, false);
    QVERIFY2(events.exitCode == 0, qPrintable(events.output));
    const QStringList lines = events.output.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 6);
    for (int i = 0; i < 3; ++i) {
        QVERIFY2(lines.at(i).contains(u"client=client-N"_s), qPrintable(events.output));
        QVERIFY2(lines.at(i + 3).contains(u"qt-%1"_s.arg(i + 1)), qPrintable(events.output));
    }
    const Interop::Run verify = ours(u"q"_s, {u"verify"_s}, false);
    QVERIFY2(verify.exitCode == 0, qPrintable(verify.output));

    // The follower saw all six, in order, once each.
    QByteArray followed;
    QTRY_VERIFY_WITH_TIMEOUT((followed += follower.readAllStandardOutput(), followed.count('\n') >= 6), 30000);
    const QList<QByteArray> followedLines = followed.trimmed().split('\n');
    QCOMPARE(followedLines.size(), 6);
    for (int i = 0; i < 6; ++i)
        QVERIFY2(followedLines.at(i).contains(u"\"seqNum\":{\"client\":0,\"global\":%1,"_s.arg(i + 1).toUtf8()),
                 followedLines.at(i).constData());
    follower.terminate();
    QVERIFY(follower.waitForFinished(10000));
    QCOMPARE(follower.exitCode(), 0);

    // A new real client pulls everything, ours included, and takes them as its own kind.
    QProcess fresh;
    startNode(fresh, {u"C"_s, u"0"_s, u"6"_s});
    QVERIFY(fresh.waitForFinished(90000));
    const QString freshOut = QString::fromUtf8(fresh.readAll());
    QVERIFY2(fresh.exitCode() == 0 && freshOut.contains(u"[C] sees 6 row(s)"_s), qPrintable(freshOut.right(2000)));
    qInfo() << "our client and a real LiveStore 0.4.0 client converged through the real sync-cf server";
}

QTEST_GUILESS_MAIN(tst_WireCheck)
#include "tst_wirecheck.moc"
