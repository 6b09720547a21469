// SPDX-License-Identifier: BSD-3-Clause
#include "serverlogging_p.h"

// Info and above by default; QT_LOGGING_RULES="livestore.server*.debug=true" shows every push,
// pull and frame. Messages are `key=value` pairs after a short verb, so that logs can be grepped
// and parsed.

namespace LiveStore {
Q_LOGGING_CATEGORY(lcServer, "livestore.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWire, "livestore.server.wire", QtInfoMsg)
}
