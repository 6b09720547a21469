// SPDX-License-Identifier: BSD-3-Clause
#include "qmllogging_p.h"

namespace LiveStore {
Q_LOGGING_CATEGORY(lcQml, "livestore.qml", QtInfoMsg)
}
