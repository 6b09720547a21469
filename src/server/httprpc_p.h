// SPDX-License-Identifier: BSD-3-Clause
// Internal: the HTTP transport of the sync RPCs (`?transport=http`).
#ifndef LIVESTORE_HTTPRPC_P_H
#define LIVESTORE_HTTPRPC_P_H

#include "synchooks.h"

#include <QtCore/qbytearray.h>

namespace LiveStore {

class StoreHubRegistry;

struct HttpRpcLimits
{
    int maxFrames = 16;                  // frames in one body; 0: no limit
    qint64 maxResponseBytes = 8ll << 20; // a pull stops adding pages beyond this; 0: no limit
};

struct HttpRpcResponse
{
    int status = 200;
    QByteArray body; // a JSON array of response frames
};

// Runs the RPC request(s) of one POST body (a Request frame, or an array of at most
// `limits.maxFrames` frames) and returns every response frame in one JSON array:
// SyncHttpRpc.Ping answers SyncMessage.Pong, Push as over WebSocket, Pull sends the pages up to
// the head (HTTP has no Ack) and never goes live; LiveStore's HTTP client polls instead. A pull
// stops adding pages once the response would pass `limits.maxResponseBytes` (its first page
// always goes): its last page then says MoreKnown, and the client's next poll goes on from there.
HttpRpcResponse handleHttpRpc(QByteArrayView body, const RequestInfo &info,
                              StoreHubRegistry *registry, const HttpRpcLimits &limits);

} // namespace LiveStore

#endif // LIVESTORE_HTTPRPC_P_H
