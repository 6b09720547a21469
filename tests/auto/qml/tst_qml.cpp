// SPDX-License-Identifier: BSD-3-Clause
// Runs the tst_*.qml files of this folder (QtQuickTest), with `import LiveStore` from the build.
#include <QtQuickTest/quicktest.h>

QUICK_TEST_MAIN(livestore_qml)
