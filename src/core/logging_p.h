// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_LOGGING_P_H
#define LIVESTORE_LOGGING_P_H

#include <QtCore/qloggingcategory.h>

namespace LiveStore {
Q_DECLARE_LOGGING_CATEGORY(lcStore)
Q_DECLARE_LOGGING_CATEGORY(lcQuery)
Q_DECLARE_LOGGING_CATEGORY(lcSchema)
}

#endif // LIVESTORE_LOGGING_P_H
