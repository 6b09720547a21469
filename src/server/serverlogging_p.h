// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SERVERLOGGING_P_H
#define LIVESTORE_SERVERLOGGING_P_H

#include <QtCore/qloggingcategory.h>

namespace LiveStore {
// Connections, pushes, pulls, storage: what an operator wants in the log.
Q_DECLARE_LOGGING_CATEGORY(lcServer)
// Frame-level detail and protocol errors of individual clients.
Q_DECLARE_LOGGING_CATEGORY(lcWire)
}

#endif // LIVESTORE_SERVERLOGGING_P_H
