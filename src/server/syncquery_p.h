// SPDX-License-Identifier: BSD-3-Clause
// Internal: the query string of a sync request (`?storeId=…&payload=…&transport=ws`).
#ifndef LIVESTORE_SYNCQUERY_P_H
#define LIVESTORE_SYNCQUERY_P_H

#include <QtCore/qbytearrayview.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>

#include <optional>

namespace LiveStore {

struct SyncQuery
{
    std::optional<QString> storeId;
    std::optional<QString> payload; // the payload's JSON text, both encodings undone
    QString transport;              // "ws", "http", or empty when absent

    // What sync-cf's worker treats as a sync request rather than a plain HTTP request.
    bool isSyncRequest() const { return storeId.has_value(); }
};

// Decodes like the worker's URLSearchParams: '+' is a space, %XX escapes are UTF-8, the first
// occurrence of a name wins. The client encodes the payload twice (encodeURIComponent, then the
// query encoding), so the payload gets a second percent-decoding.
SyncQuery parseSyncQuery(QByteArrayView query);

// The payload's JSON text as a value (any JSON value, not only objects).
std::optional<QJsonValue> parsePayloadJson(const QString &text, QString *errorString);

} // namespace LiveStore

#endif // LIVESTORE_SYNCQUERY_P_H
