// SPDX-License-Identifier: BSD-3-Clause
// livestore-sync-server: a LiveStore sync backend speaking @livestore/sync-cf's protocol, with
// its data in SQLite (`livestore-sync-server --port 8787 --data DIR` is all it takes) or in a
// PostgreSQL database shared by several server processes (`--postgres URL`).

#include "postgressyncstorage.h"
#include "sqlitesyncstorage.h"
#include "syncserver.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qfile.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtextstream.h>
#ifndef QT_NO_SSL
#include <QtNetwork/qsslcertificate.h>
#include <QtNetwork/qsslkey.h>
#include <QtNetwork/qsslsocket.h>
#endif

#include <csignal>
#include <limits>
#include <cstdio>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace LiveStore;

namespace {

constexpr auto Description = R"(A LiveStore sync server. Unmodified LiveStore 0.4.0 clients connect to it with
makeWsSync({ url: 'ws://HOST:PORT' }) from @livestore/sync-cf, as they would to the Cloudflare
sync backend: same WebSocket protocol, same HTTP transport, same `GET /` health text.

Endpoints (any path; the query decides):
  ?storeId=ID&transport=ws   WebSocket upgrade (without Upgrade: websocket: 426)
  ?storeId=ID&transport=http HTTP RPC, POST
  GET /                      200 "Info: Sync backend endpoint for @livestore/sync-cf."
  anything else              400 "Invalid path"
Store ids use letters, digits, '_' and '-' only.

Data: DIR/sync.db (SQLite, WAL), locked by DIR/sync.lock (one server per directory); or,
with --postgres URL (or the environment variable LIVESTORE_DATABASE_URL, which keeps the
password out of the process list), a PostgreSQL database that several servers share: each
serves its own clients, and a push through one reaches the live pulls of all (LISTEN/NOTIFY).
The tables are created on first use. A lost database connection fails the requests meanwhile
(clients retry) and is re-established by itself.
Limits (--max-*; 0 switches one off) bound what peers can make the server hold: connections
(503/429 beyond), running pulls (TooManyPulls), bytes buffered for slow readers and arriving
bodies (catch-up waits, 503, the biggest non-readers are cut off), store id length (400), HTTP
frames per request (400) and bytes per response (the pull continues on the next poll).
Logging: Qt logging categories livestore.server and livestore.server.wire (QT_LOGGING_RULES
overrides --log-level); payloads and tokens are redacted. SIGINT/SIGTERM: stop accepting, close
clients with 1001, exit 0. See docs/sync-server.md and docs/security.md.)";

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    // Only async-signal-safe calls here: the event loop does the rest.
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

bool installSignalHandlers()
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return false;
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

void fail(const QString &message)
{
    QTextStream(stderr) << "livestore-sync-server: " << message << Qt::endl;
}

// Every connection is a file descriptor, and the soft limit is often 1024, close to the default
// --max-connections: use what the hard limit allows (the server never select()s).
void raiseFileLimit()
{
    struct rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// A non-negative number option; false (with the message printed) when it is not one.
template<typename Int>
bool readLimit(const QCommandLineParser &parser, const QCommandLineOption &option, Int *out)
{
    bool ok = false;
    const qint64 value = parser.value(option).toLongLong(&ok);
    if (!ok || value < 0 || value > std::numeric_limits<Int>::max()) {
        fail(u"--%1 must be a number from 0 to %2"_s.arg(option.names().constFirst(),
                                                         QString::number(std::numeric_limits<Int>::max())));
        return false;
    }
    *out = Int(value);
    return true;
}

#ifndef QT_NO_SSL
std::optional<QSslConfiguration> loadTls(const QString &certPath, const QString &keyPath,
                                         QString *error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = u"TLS is not available (no TLS backend: %1)"_s.arg(
                QSslSocket::sslLibraryVersionString());
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certPath, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = u"no PEM certificate in %1"_s.arg(certPath);
        return std::nullopt;
    }
    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(keyPath, keyFile.errorString());
        return std::nullopt;
    }
    const QByteArray pem = keyFile.readAll();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = u"no unencrypted PEM private key (RSA, EC or DSA) in %1"_s.arg(keyPath);
        return std::nullopt;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // clients are not asked for certificates
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    return tls;
}
#endif

} // namespace

int main(int argc, char *argv[])
{
    // Qt's own event loop instead of GLib's: with GLib, every socket notifier switched on or off
    // and every posted event (QWebSocket reads through one) writes to the loop's eventfd, a system
    // call for each message in and out; Qt's loop coalesces them. Under contention that was about
    // a third of the server's system calls. The server needs nothing from GLib. QT_NO_GLIB set to
    // an empty value in the environment keeps GLib.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"livestore-sync-server"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LIVESTORE_VERSION));
    qSetMessagePattern(u"%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}debug%{endif}%{if-info}info%{endif}"
                       u"%{if-warning}warning%{endif}%{if-critical}critical%{endif}%{if-fatal}fatal%{endif}"
                       u" %{category}: %{message}"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(Description));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption hostOption(
            u"host"_s, u"Address to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)."_s,
            u"address"_s, u"127.0.0.1"_s);
    const QCommandLineOption portOption(
            u"port"_s, u"Port to listen on (default 8787, as wrangler dev; 0 picks a free one)."_s,
            u"port"_s, u"8787"_s);
    const QCommandLineOption dataOption(
            u"data"_s, u"Data directory, created if needed (default ./livestore-sync-data)."_s,
            u"dir"_s, u"livestore-sync-data"_s);
    const QCommandLineOption postgresOption(
            u"postgres"_s,
            u"Keep the data in PostgreSQL instead of --data: postgresql://USER:PASSWORD@HOST:PORT/"
            u"DATABASE (postgres:// too; query items are libpq parameters, e.g. ?sslmode=require). "
            u"Default: the environment variable LIVESTORE_DATABASE_URL, when set and --data is "
            u"not given. Without a password in the URL, PGPASSWORD or ~/.pgpass apply."_s,
            u"url"_s);
    const QCommandLineOption tokenOption(
            u"token"_s,
            u"Shared-token auth: clients must send the sync payload {\"authToken\": \"<token>\"} "
            u"(createStore({ syncPayload })); others get HTTP 400 \"Invalid auth token\"."_s,
            u"token"_s);
    const QCommandLineOption tokenFileOption(
            u"token-file"_s,
            u"As --token, with the token read from a file (first line), so it stays out of the "
            u"process list."_s,
            u"file"_s);
    const QCommandLineOption certOption(
            u"tls-cert"_s, u"PEM certificate (chain) for wss:// and https://; needs --tls-key."_s,
            u"file"_s);
    const QCommandLineOption keyOption(u"tls-key"_s,
                                       u"PEM private key (unencrypted) for --tls-cert."_s, u"file"_s);
    const QCommandLineOption maxFrameOption(
            u"max-frame-bytes"_s,
            u"Largest WebSocket message or HTTP body accepted (default 1048576). Larger ones "
            u"close the socket with 1009 \"Message is too large\" (HTTP: 413)."_s,
            u"bytes"_s, u"1048576"_s);
    const QCommandLineOption idleOption(
            u"idle-timeout"_s,
            u"Close WebSockets silent for this many seconds (default 60; clients ping every 10 s; "
            u"0 never)."_s,
            u"seconds"_s, u"60"_s);
    const SyncServerOptions defaults;
    const QCommandLineOption maxConnectionsOption(
            u"max-connections"_s,
            u"TCP connections at once, WebSockets and HTTP requests (default %1); more are "
            u"answered 503 and closed. Keep it below the file descriptor limit."_s.arg(defaults.maxConnections),
            u"n"_s, QString::number(defaults.maxConnections));
    const QCommandLineOption maxPerIpOption(
            u"max-connections-per-ip"_s,
            u"Connections from one IP address (default %1); more are answered 429. Behind a "
            u"reverse proxy all clients share its address: raise it, or 0."_s.arg(defaults.maxConnectionsPerIp),
            u"n"_s, QString::number(defaults.maxConnectionsPerIp));
    const QCommandLineOption maxPullsOption(
            u"max-pulls"_s,
            u"Pull RPCs running at once on the whole server, live ones included (default %1); "
            u"more fail with UnknownError TooManyPulls."_s.arg(defaults.maxPulls),
            u"n"_s, QString::number(defaults.maxPulls));
    const QCommandLineOption maxBufferedOption(
            u"max-buffered-bytes"_s,
            u"Bytes held for peers server-wide: output slow readers have not taken, HTTP bodies "
            u"still arriving (default %1). When full, catch-up pages wait, new bodies get 503 "
            u"and the connections holding the most unread output are cut off."_s.arg(defaults.maxBufferedBytes),
            u"bytes"_s, QString::number(defaults.maxBufferedBytes));
    const QCommandLineOption maxStoreIdOption(
            u"max-store-id-length"_s,
            u"Longest store id accepted (default %1); longer ones get 400."_s.arg(defaults.maxStoreIdLength),
            u"chars"_s, QString::number(defaults.maxStoreIdLength));
    const QCommandLineOption maxHttpFramesOption(
            u"max-http-frames"_s,
            u"RPC frames in one HTTP transport request (default %1); more get 400."_s.arg(
                    defaults.maxHttpFramesPerRequest),
            u"n"_s, QString::number(defaults.maxHttpFramesPerRequest));
    const QCommandLineOption maxHttpResponseOption(
            u"max-http-response-bytes"_s,
            u"Bytes of one HTTP transport response (default %1): a pull stops there and the "
            u"client's next poll continues."_s.arg(defaults.maxHttpResponseBytes),
            u"bytes"_s, QString::number(defaults.maxHttpResponseBytes));
    const QCommandLineOption corsOption(
            u"cors"_s, u"Answer CORS preflights and add Access-Control-Allow-* headers."_s);
    const QCommandLineOption logLevelOption(
            u"log-level"_s, u"debug (every push, pull and frame), info (default) or warning."_s,
            u"level"_s, u"info"_s);
    const QCommandLineOption quietOption(u"quiet"_s, u"Same as --log-level warning."_s);
    parser.addOptions({hostOption, portOption, dataOption, postgresOption, tokenOption,
                       tokenFileOption, certOption, keyOption, maxFrameOption, idleOption,
                       maxConnectionsOption, maxPerIpOption, maxPullsOption, maxBufferedOption,
                       maxStoreIdOption, maxHttpFramesOption, maxHttpResponseOption, corsOption,
                       logLevelOption, quietOption});
    parser.process(app);
    if (!parser.positionalArguments().isEmpty()) {
        fail(u"unexpected argument %1 (see --help)"_s.arg(parser.positionalArguments().first()));
        return 1;
    }

    const QString level = parser.isSet(quietOption) ? u"warning"_s : parser.value(logLevelOption);
    if (level == "debug"_L1)
        QLoggingCategory::setFilterRules(u"livestore.*.debug=true"_s);
    else if (level == "warning"_L1)
        QLoggingCategory::setFilterRules(u"livestore.*.info=false"_s);
    else if (level != "info"_L1) {
        fail(u"--log-level must be debug, info or warning"_s);
        return 1;
    }

    SyncServerOptions options;
    if (!options.host.setAddress(parser.value(hostOption))) {
        fail(u"--host: %1 is not an IP address"_s.arg(parser.value(hostOption)));
        return 1;
    }
    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535) {
        fail(u"--port must be a number from 0 to 65535"_s);
        return 1;
    }
    options.port = quint16(port);
    options.maxMessageBytes = parser.value(maxFrameOption).toLongLong(&ok);
    if (!ok || options.maxMessageBytes < 1024) {
        fail(u"--max-frame-bytes must be a number of at least 1024"_s);
        return 1;
    }
    const int idle = parser.value(idleOption).toInt(&ok);
    if (!ok || idle < 0 || idle > 24 * 3600) {
        fail(u"--idle-timeout must be a number of seconds from 0 to 86400"_s);
        return 1;
    }
    options.idleTimeoutMs = idle * 1000;
    if (!readLimit(parser, maxConnectionsOption, &options.maxConnections)
        || !readLimit(parser, maxPerIpOption, &options.maxConnectionsPerIp)
        || !readLimit(parser, maxPullsOption, &options.maxPulls)
        || !readLimit(parser, maxBufferedOption, &options.maxBufferedBytes)
        || !readLimit(parser, maxStoreIdOption, &options.maxStoreIdLength)
        || !readLimit(parser, maxHttpFramesOption, &options.maxHttpFramesPerRequest)
        || !readLimit(parser, maxHttpResponseOption, &options.maxHttpResponseBytes))
        return 1;
    raiseFileLimit();
    options.enableCors = parser.isSet(corsOption);
    if (parser.isSet(tokenOption) && parser.isSet(tokenFileOption)) {
        fail(u"give --token or --token-file, not both"_s);
        return 1;
    }
    if (parser.isSet(tokenOption))
        options.authToken = parser.value(tokenOption);
    if (parser.isSet(tokenFileOption)) {
        QFile file(parser.value(tokenFileOption));
        if (!file.open(QIODevice::ReadOnly)) {
            fail(u"cannot read %1: %2"_s.arg(file.fileName(), file.errorString()));
            return 1;
        }
        options.authToken = QString::fromUtf8(file.readLine()).trimmed();
    }
    if ((parser.isSet(tokenOption) || parser.isSet(tokenFileOption)) && options.authToken.isEmpty()) {
        fail(u"the auth token is empty"_s);
        return 1;
    }
    if (parser.isSet(certOption) != parser.isSet(keyOption)) {
        fail(u"--tls-cert and --tls-key go together"_s);
        return 1;
    }
    if (parser.isSet(certOption)) {
#ifndef QT_NO_SSL
        QString error;
        options.tls = loadTls(parser.value(certOption), parser.value(keyOption), &error);
        if (!options.tls) {
            fail(error);
            return 1;
        }
#else
        fail(u"this build has no TLS support"_s);
        return 1;
#endif
    }

    if (parser.isSet(postgresOption) && parser.isSet(dataOption)) {
        fail(u"give --postgres or --data, not both"_s);
        return 1;
    }
    // The command line wins over the environment: --data runs SQLite even where
    // LIVESTORE_DATABASE_URL is set.
    QString postgresUrl = parser.value(postgresOption);
    if (!parser.isSet(postgresOption) && !parser.isSet(dataOption))
        postgresUrl = qEnvironmentVariable("LIVESTORE_DATABASE_URL");
    if (parser.isSet(postgresOption) && postgresUrl.isEmpty()) {
        fail(u"--postgres needs a URL"_s);
        return 1;
    }
    SqliteSyncStorage sqlite;
    PostgresSyncStorage postgres;
    SyncStorage *storage = nullptr;
    if (!postgresUrl.isEmpty()) {
        if (!postgres.open(postgresUrl)) {
            fail(postgres.errorString());
            return 1;
        }
        storage = &postgres;
    } else {
        if (!sqlite.open(parser.value(dataOption))) {
            fail(sqlite.errorString());
            return 1;
        }
        storage = &sqlite;
    }
    SyncServer server(storage);
    server.setOptions(options);
    if (!server.listen()) {
        fail(server.errorString());
        return 1;
    }
    // Before the "listening on" line: a script may send SIGTERM as soon as it reads it, and
    // without the handler that would kill the process instead of stopping it gracefully.
    if (!installSignalHandlers()) {
        fail(u"cannot install signal handlers"_s);
        return 1;
    }
    // On stdout whatever the log level, for scripts (and --port 0).
    QTextStream(stdout) << "listening on " << server.url().toString() << Qt::endl;

    QSocketNotifier notifier(signalPipe[0], QSocketNotifier::Read);
    int signalCount = 0;
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char c;
        [[maybe_unused]] const ssize_t n = ::read(signalPipe[0], &c, 1);
        if (++signalCount > 1) {
            // A second signal: stop waiting for clients.
            QCoreApplication::exit(0);
            return;
        }
        server.close();
    });
    QObject::connect(&server, &SyncServer::closed, &app, [] { QCoreApplication::exit(0); });

    const int code = app.exec();
    sqlite.close();
    postgres.close();
    return code;
}
