// SPDX-License-Identifier: BSD-3-Clause
// What the sync server's HTTP front reads from a TCP connection: the request head, a body, the
// RPC frames of an HTTP transport POST (pulls and pushes against a real store), or a WebSocket
// handshake. The input goes, as it is, to a server running in this process on 127.0.0.1, whose
// answer is read until it closes the connection or goes quiet.
#include "fuzztarget.h"

#include <sqlitesyncstorage.h>
#include <syncserver.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qtemporarydir.h>
#include <QtNetwork/qtcpsocket.h>

#include <memory>

using namespace LiveStore;

namespace {

struct Server
{
    std::unique_ptr<QCoreApplication> app; // libFuzzer's main has none; the smoke runner has one
    QTemporaryDir dir;
    SqliteSyncStorage storage;
    std::unique_ptr<SyncServer> server;

    Server()
    {
        if (!QCoreApplication::instance()) {
            static int argc = 1;
            static char name[] = "fuzz_httpfront";
            static char *argv[] = {name, nullptr};
            app = std::make_unique<QCoreApplication>(argc, argv);
        }
        if (!storage.open(dir.path()))
            qFatal("cannot open the storage: %s", qPrintable(storage.errorString()));
        server = std::make_unique<SyncServer>(&storage);
        SyncServerOptions options;
        options.port = 0;
        options.host = QHostAddress(QHostAddress::LocalHost);
        server->setOptions(options);
        if (!server->listen())
            qFatal("cannot listen: %s", qPrintable(server->errorString()));
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static Server s;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, s.server->serverPort());
    QDeadlineTimer connecting(2000);
    while (socket.state() != QAbstractSocket::ConnectedState && !connecting.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    socket.write(reinterpret_cast<const char *>(data), qint64(size));
    // Read the answer until the server closes, or 30 ms pass without a byte (a request it is
    // still waiting to complete), at most a second.
    QDeadlineTimer overall(1000);
    QDeadlineTimer quiet(30);
    while (socket.state() == QAbstractSocket::ConnectedState && !quiet.hasExpired() && !overall.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        if (socket.bytesAvailable() > 0) {
            socket.readAll();
            quiet.setRemainingTime(30);
        }
    }
    socket.abort();
    QCoreApplication::processEvents(); // let the server see the close
    return 0;
}
