// SPDX-License-Identifier: BSD-3-Clause
#include "logging_p.h"

namespace LiveStore {
Q_LOGGING_CATEGORY(lcStore, "livestore.store")
Q_LOGGING_CATEGORY(lcQuery, "livestore.query")
Q_LOGGING_CATEGORY(lcSchema, "livestore.schema")
}
