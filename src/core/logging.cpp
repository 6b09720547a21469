// SPDX-License-Identifier: BSD-3-Clause
#include "logging_p.h"

// Debug output is opt-in (QT_LOGGING_RULES="livestore.*.debug=true"); warnings are always on.

namespace LiveStore {
Q_LOGGING_CATEGORY(lcStore, "livestore.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcQuery, "livestore.query", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSchema, "livestore.schema", QtInfoMsg)
}
