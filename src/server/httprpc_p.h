// SPDX-License-Identifier: BSD-3-Clause
// Internal: the HTTP transport of the sync RPCs (`?transport=http`).
#ifndef LIVESTORE_HTTPRPC_P_H
#define LIVESTORE_HTTPRPC_P_H

#include "synchooks.h"

#include <QtCore/qbytearray.h>

namespace LiveStore {

class StoreHubRegistry;

struct HttpRpcResponse
{
    int status = 200;
    QByteArray body; // a JSON array of response frames
};

// Runs the RPC request(s) of one POST body (a Request frame, or an array of frames) and returns
// every response frame in one JSON array: SyncHttpRpc.Ping answers SyncMessage.Pong, Push as over
// WebSocket, Pull sends all pages up to the head at once (HTTP has no Ack) and never goes live;
// LiveStore's HTTP client polls instead.
HttpRpcResponse handleHttpRpc(QByteArrayView body, const RequestInfo &info,
                              StoreHubRegistry *registry);

} // namespace LiveStore

#endif // LIVESTORE_HTTPRPC_P_H
