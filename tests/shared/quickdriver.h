// SPDX-License-Identifier: BSD-3-Clause
// Driving a Qt Quick window as a user would, for the examples' end-to-end tests.
#ifndef LIVESTORE_TESTS_QUICKDRIVER_H
#define LIVESTORE_TESTS_QUICKDRIVER_H

#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

namespace LiveStoreTest {

// Walks the visual item tree: delegates have no QObject parent, so findChild() misses them.
// Only visible items count (an editor hidden behind its label is not "there").
inline QQuickItem *findItem(QQuickItem *from, const QString &name)
{
    if (!from)
        return nullptr;
    if (from->objectName() == name && from->isVisible())
        return from;
    const QList<QQuickItem *> children = from->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = findItem(child, name))
            return found;
    }
    return nullptr;
}

inline QPoint center(QQuickItem *item)
{
    return item->mapToScene(QPointF(item->width() / 2, item->height() / 2)).toPoint();
}

// QTest::keyClicks() exists for widgets only: one key event pair per character.
inline void typeText(QWindow *window, const QString &text)
{
    for (QChar c : text)
        QTest::keyClick(window, c.toLatin1());
}

} // namespace LiveStoreTest

#endif // LIVESTORE_TESTS_QUICKDRIVER_H
