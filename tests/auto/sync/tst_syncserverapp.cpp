// SPDX-License-Identifier: BSD-3-Clause
// The livestore-sync-server executable as operators run it: --help, argument errors, the health
// endpoint, a client served, graceful shutdown on SIGTERM, one server per data directory.

#include "serverprocess.h"

#include <QtCore/qfile.h>
#include <QtCore/qtemporarydir.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qtest.h>
#include <QtWebSockets/qwebsocket.h>

#include <memory>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run run(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(LIVESTORE_SYNC_SERVER_PATH), args);
    Run r;
    if (!p.waitForFinished(15000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// CPU seconds (user and system) a process has used so far.
double cpuSeconds(qint64 pid)
{
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    // Fields after the command name (which may hold spaces) in parentheses.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(::sysconf(_SC_CLK_TCK));
}

QByteArray healthCheck(quint16 port, int timeoutMs)
{
    QTcpSocket http;
    http.connectToHost(QHostAddress::LocalHost, port);
    if (!http.waitForConnected(timeoutMs))
        return {};
    http.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray response;
    while (http.waitForReadyRead(timeoutMs))
        response += http.readAll();
    return response;
}

} // namespace

class tst_SyncServerApp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpDocumentsEveryOption();
    void badArguments_data();
    void badArguments();
    void servesAndShutsDownOnSigterm();
    void dataDirectoryInUse();
    void postgresArguments();
    void limitOptions();
    void outOfDescriptorsPausesAccepting();
};

void tst_SyncServerApp::helpDocumentsEveryOption()
{
    const Run r = run({u"--help"_s});
    QCOMPARE(r.exitCode, 0);
    for (const char *option : {"--host", "--port", "--data", "--postgres", "LIVESTORE_DATABASE_URL", "--token ", "--token-file", "--tls-cert",
                               "--tls-key", "--max-frame-bytes", "--idle-timeout", "--cors",
                               "--log-level", "--quiet", "--help", "--version"})
        QVERIFY2(r.out.contains(QLatin1StringView(option)), option);
    QVERIFY(r.out.contains(u"{\"authToken\": \"<token>\"}"_s));
    QVERIFY(r.out.contains(u"default 127.0.0.1"_s));
    QVERIFY(r.out.contains(u"Info: Sync backend endpoint for @livestore/sync-cf."_s));
}

void tst_SyncServerApp::badArguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("port") << QStringList{u"--port"_s, u"http"_s} << u"--port must be"_s;
    QTest::newRow("host") << QStringList{u"--host"_s, u"localhost.example"_s} << u"not an IP address"_s;
    QTest::newRow("cert without key") << QStringList{u"--tls-cert"_s, u"c.pem"_s} << u"go together"_s;
    QTest::newRow("missing cert") << QStringList{u"--tls-cert"_s, u"/nonexistent.pem"_s, u"--tls-key"_s, u"/nonexistent.key"_s}
                                  << u"no PEM certificate"_s;
    QTest::newRow("log level") << QStringList{u"--log-level"_s, u"loud"_s} << u"--log-level must be"_s;
    QTest::newRow("frame size") << QStringList{u"--max-frame-bytes"_s, u"12"_s} << u"at least 1024"_s;
    QTest::newRow("empty token") << QStringList{u"--token"_s, u""_s} << u"token is empty"_s;
    QTest::newRow("positional") << QStringList{u"extra"_s} << u"unexpected argument"_s;
    QTest::newRow("unknown option") << QStringList{u"--nope"_s} << u"nope"_s;
}

void tst_SyncServerApp::badArguments()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QTemporaryDir dir;
    // The defaults first: for an option given twice, the last one counts.
    const Run r = run(QStringList{u"--port"_s, u"0"_s, u"--data"_s, dir.path()} + args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

void tst_SyncServerApp::servesAndShutsDownOnSigterm()
{
    QTemporaryDir dir;
    ServerProcess server;
    QVERIFY2(server.start({u"--data"_s, dir.path()}), qPrintable(server.allStderr()));
    QVERIFY(server.port > 0);
    QVERIFY(server.stdoutText.startsWith(u"listening on ws://127.0.0.1:"_s));

    QTcpSocket http;
    http.connectToHost(QHostAddress::LocalHost, server.port);
    QVERIFY(http.waitForConnected(5000));
    http.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray response;
    while (http.waitForReadyRead(5000))
        response += http.readAll();
    QVERIFY2(response.startsWith("HTTP/1.1 200 OK"), response.constData());
    QVERIFY(response.endsWith("Info: Sync backend endpoint for @livestore/sync-cf."));

    QWebSocket client;
    QList<QString> frames;
    connect(&client, &QWebSocket::textMessageReceived, this, [&](const QString &t) { frames.append(t); });
    client.open(QUrl(u"ws://127.0.0.1:%1/?storeId=app&transport=ws"_s.arg(server.port)));
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::ConnectedState, 5000);
    client.sendTextMessage(uR"({"_tag":"Request","id":"0","tag":"SyncWsRpc.Pull","payload":{"storeId":"app","live":true,"cursor":{"_tag":"None"}},"headers":[]})"_s);
    QTRY_COMPARE_WITH_TIMEOUT(frames.size(), 1, 5000);
    QVERIFY(frames.first().contains(u"\"NoMore\""_s));

    // SIGTERM: the client is told the server is going away, the process exits cleanly.
    QCOMPARE(server.stop(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 5000);
    QCOMPARE(int(client.closeCode()), 1001);
    const QString log = server.allStderr();
    QVERIFY2(log.contains(u"livestore.server: closing:"_s), qPrintable(log));
    QVERIFY2(log.contains(u"livestore.server: closed"_s), qPrintable(log));
    QVERIFY(QFile::exists(dir.filePath(u"sync.db"_s)));
}

void tst_SyncServerApp::dataDirectoryInUse()
{
    QTemporaryDir dir;
    ServerProcess first;
    QVERIFY(first.start({u"--data"_s, dir.path()}));
    const Run second = run({u"--port"_s, u"0"_s, u"--data"_s, dir.path()});
    QCOMPARE(second.exitCode, 1);
    QVERIFY2(second.err.contains(u"in use by another process"_s), qPrintable(second.err));
    QCOMPARE(first.stop(), 0);
}

void tst_SyncServerApp::postgresArguments()
{
    // Without a database to talk to: what the options mean and how failures read. (Serving from
    // PostgreSQL is tst_syncnodes' business.)
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"LIVESTORE_DATABASE_URL"_s);
    QTemporaryDir dir;
    Run r = run({u"--port"_s, u"0"_s, u"--postgres"_s, u"mysql://localhost/db"_s}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(u"bad PostgreSQL URL"_s), qPrintable(r.err));
    r = run({u"--port"_s, u"0"_s, u"--postgres"_s, u""_s}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(u"--postgres needs a URL"_s), qPrintable(r.err));
    r = run({u"--port"_s, u"0"_s, u"--postgres"_s, u"postgresql://127.0.0.1:1/db"_s, u"--data"_s, dir.path()}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(u"not both"_s), qPrintable(r.err));
    // Port 1: refused at once. The password shows nowhere.
    r = run({u"--port"_s, u"0"_s, u"--postgres"_s, u"postgresql://u:sekret@127.0.0.1:1/db"_s}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(u"cannot connect to PostgreSQL 127.0.0.1:1/db"_s), qPrintable(r.err));
    QVERIFY(!r.err.contains(u"sekret"_s));

    // The environment variable stands in for --postgres, but --data wins over it.
    env.insert(u"LIVESTORE_DATABASE_URL"_s, u"postgresql://u:sekret@127.0.0.1:1/fromenv"_s);
    r = run({u"--port"_s, u"0"_s}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(u"127.0.0.1:1/fromenv"_s), qPrintable(r.err));
    QVERIFY(!r.err.contains(u"sekret"_s));
    ServerProcess sqlite;
    sqlite.process.setProcessEnvironment(env);
    QVERIFY2(sqlite.start({u"--data"_s, dir.path()}), qPrintable(sqlite.allStderr()));
    QCOMPARE(sqlite.stop(), 0);
    QVERIFY2(sqlite.allStderr().contains(u"storage=SQLite "_s), qPrintable(sqlite.allStderr()));
}

void tst_SyncServerApp::limitOptions()
{
    const Run help = run({u"--help"_s});
    for (const char *option : {"--max-connections ", "--max-connections-per-ip", "--max-pulls",
                               "--max-buffered-bytes", "--max-store-id-length", "--max-http-frames",
                               "--max-http-response-bytes"})
        QVERIFY2(help.out.contains(QLatin1StringView(option)), option);
    QTemporaryDir dir;
    for (const QString &option : {u"--max-connections"_s, u"--max-pulls"_s, u"--max-buffered-bytes"_s}) {
        const Run r = run({u"--port"_s, u"0"_s, u"--data"_s, dir.path(), option, u"-1"_s});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(option + u" must be a number from 0"_s), qPrintable(r.err));
    }
    // The options take effect: one connection per address.
    ServerProcess server;
    QVERIFY2(server.start({u"--data"_s, dir.path(), u"--max-connections-per-ip"_s, u"1"_s}),
             qPrintable(server.allStderr()));
    QTcpSocket first;
    first.connectToHost(QHostAddress::LocalHost, server.port);
    QVERIFY(first.waitForConnected(5000));
    QTest::qWait(200);
    const QByteArray second = healthCheck(server.port, 5000);
    QVERIFY2(second.startsWith("HTTP/1.1 429"), second.constData());
    first.close();
    QTRY_VERIFY_WITH_TIMEOUT(healthCheck(server.port, 5000).startsWith("HTTP/1.1 200"), 5000);
    QCOMPARE(server.stop(), 0);
}

void tst_SyncServerApp::outOfDescriptorsPausesAccepting()
{
    // A server with few file descriptors, and more connections than it has. It must stop
    // accepting before they run out (accept() failing with EMFILE made Qt retry it in a loop,
    // eating a core, and the server never served again), and serve again once connections
    // have gone.
    QTemporaryDir dir;
    ServerProcess server;
    server.childSetup = [] {
        struct rlimit limit = {48, 48};
        ::setrlimit(RLIMIT_NOFILE, &limit);
    };
    QVERIFY2(server.start({u"--data"_s, dir.path()}), qPrintable(server.allStderr()));
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 80; ++i) {
        idle.push_back(std::make_unique<QTcpSocket>());
        idle.back()->connectToHost(QHostAddress::LocalHost, server.port);
    }
    QTRY_VERIFY2_WITH_TIMEOUT(server.allStderr().contains(u"pausing accepting, near the file descriptor limit"_s),
                              qPrintable(server.allStderr()), 5000);
    // Not a spin: over 1.5 s the server uses a small fraction of a core (a spinning accept loop
    // used two thirds of one).
    const qint64 pid = server.process.processId();
    const double before = cpuSeconds(pid);
    QTest::qWait(1500);
    const double used = cpuSeconds(pid) - before;
    QVERIFY2(before >= 0 && used < 0.5, qPrintable(QString::number(used)));
    idle.clear();
    // Served again once descriptors are free.
    QTRY_VERIFY_WITH_TIMEOUT(healthCheck(server.port, 2000).startsWith("HTTP/1.1 200"), 10000);
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(tst_SyncServerApp)
#include "tst_syncserverapp.moc"
