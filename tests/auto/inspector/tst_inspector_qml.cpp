// SPDX-License-Identifier: BSD-3-Clause
// The inspector's views under QtQuickTest (qml/tst_*.qml).
#include <QtQuickTest/quicktest.h>

QUICK_TEST_MAIN(inspector)
