// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLLOGGING_P_H
#define LIVESTORE_QMLLOGGING_P_H

#include <QtCore/qloggingcategory.h>

namespace LiveStore {
Q_DECLARE_LOGGING_CATEGORY(lcQml)
}

#endif // LIVESTORE_QMLLOGGING_P_H
