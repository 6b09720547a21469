// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SERVERLOGGING_P_H
#define LIVESTORE_SERVERLOGGING_P_H

#include <QtCore/qbytearrayview.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qstring.h>

namespace LiveStore {
// Connections, pushes, pulls, storage: what an operator wants in the log.
Q_DECLARE_LOGGING_CATEGORY(lcServer)
// Frame-level detail and protocol errors of individual clients.
Q_DECLARE_LOGGING_CATEGORY(lcWire)

// Everything a client sends may end up in a log line, and logs are read by more people (and
// kept longer) than the data. So what goes into them is cut and cleaned here:

// An id a client chose (a store id, a request id): at most 64 characters, then how long it was.
QString logId(QStringView id);

// A request target for the log: the path (cut) and of the query only `storeId` (cut) and
// `transport`; every other parameter keeps its name and loses its value (`payload=<redacted>`):
// the payload carries auth tokens.
QString logTarget(QByteArrayView target);

// Text derived from what a client sent (a decoding error quoting a bit of JSON, a refusal): the
// values of JSON members whose name suggests a secret ("authToken", "password", "payload", …) are
// masked, and so is `secret` (the server's own token) wherever it appears. Cut to 300 characters.
QString logRedacted(const QString &text, const QString &secret = {});
} // namespace LiveStore

#endif // LIVESTORE_SERVERLOGGING_P_H
