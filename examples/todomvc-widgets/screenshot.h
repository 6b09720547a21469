// SPDX-License-Identifier: BSD-3-Clause
#ifndef SCREENSHOT_H
#define SCREENSHOT_H

#include <QtCore/qstring.h>

class TodoWindow;
namespace LiveStore {
class Store;
}

// For the docs: fills an empty store with a few todos, grabs the window into `fileName` (PNG).
// Deterministic, and works with QT_QPA_PLATFORM=offscreen.
bool saveScreenshot(LiveStore::Store *store, TodoWindow *window, const QString &fileName);

#endif // SCREENSHOT_H
