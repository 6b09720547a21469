// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SYNCHOOKS_H
#define LIVESTORE_SYNCHOOKS_H

#include "livestoresyncserver_export.h"

#include <LiveStore/wireprotocol.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtNetwork/qhostaddress.h>

#include <functional>
#include <optional>
#include <utility>

namespace LiveStore {

// Who is asking: taken from the WebSocket upgrade request (or the HTTP request) that opened the
// connection.
struct LIVESTORESYNCSERVER_EXPORT RequestInfo
{
    QString storeId;
    // The client's syncPayload from the URL (`?payload=`); Undefined when there was none.
    QJsonValue payload = QJsonValue::Undefined;
    QString transport;   // "ws" or "http"
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    quint64 connectionId = 0; // unique per server; 0 for HTTP requests
    // The request headers, names in lower case (as forwardHeaders would give them).
    QList<std::pair<QByteArray, QByteArray>> headers;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
};

// Server-side rules, as C++ callbacks. Each is optional. They run in the server's thread and must
// not block for long: every store of the server waits while one runs.
//
// A returned string rejects; std::nullopt lets the request through.
struct LIVESTORESYNCSERVER_EXPORT SyncHooks
{
    // Every WebSocket upgrade and every HTTP request, before anything else (after the built-in
    // shared-token check, if one is configured). A rejection answers HTTP 400 with the message as
    // the body, like sync-cf's validatePayload; the client treats it as being offline and retries.
    std::function<std::optional<QString>(const QJsonValue &payload, const RequestInfo &info)>
            validatePayload;

    // Every non-empty push, before the backend id and head checks (as sync-cf runs onPush), so it
    // also sees pushes that are then refused as stale. A rejection fails the push with
    // UnknownError{cause: {name: "PushRejected", message: <reason>}}; LiveStore clients retry such
    // pushes with backoff, so reject only what a later retry could get through, or what should stall.
    std::function<std::optional<QString>(const Wire::PushRequest &push, const RequestInfo &info)>
            onPush;

    // Every pull, before its first page. A rejection fails the pull with
    // UnknownError{cause: {name: "PullRejected", message: <reason>}}.
    std::function<std::optional<QString>(const Wire::PullRequest &pull, const RequestInfo &info)>
            onPull;

    // After a batch has been stored, before it is sent to live pulls. For metrics or webhooks;
    // cannot veto.
    std::function<void(const QString &storeId, const QList<Wire::Event> &batch)> onPushAccepted;
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCHOOKS_H
