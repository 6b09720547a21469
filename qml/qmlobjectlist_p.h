// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLOBJECTLIST_P_H
#define LIVESTORE_QMLOBJECTLIST_P_H

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtQml/qqmllist.h>

#include <functional>

namespace LiveStore {

// The objects of a `data` list property (the default property of Store and Table). QML lets an
// app push an object it created into the list and destroy it later, and a plain QQmlListProperty
// over a QList<QObject *> would keep the freed pointer: this list forgets an object when it is
// destroyed, so that what reads the list later (the schema, at the next open) never sees it.
class QmlObjectList
{
public:
    // `owner` is the object whose property this is; `appended` (may be empty) is called for each
    // object added, once it is in the list.
    explicit QmlObjectList(QObject *owner, std::function<void(QObject *)> appended = {})
        : m_owner(owner), m_appended(std::move(appended))
    {
    }
    Q_DISABLE_COPY_MOVE(QmlObjectList)

    QQmlListProperty<QObject> property()
    {
        return QQmlListProperty<QObject>(
                m_owner, this,
                [](QQmlListProperty<QObject> *list, QObject *object) {
                    static_cast<QmlObjectList *>(list->data)->append(object);
                },
                [](QQmlListProperty<QObject> *list) {
                    return static_cast<QmlObjectList *>(list->data)->m_objects.size();
                },
                [](QQmlListProperty<QObject> *list, qsizetype i) {
                    return static_cast<QmlObjectList *>(list->data)->m_objects.value(i);
                },
                [](QQmlListProperty<QObject> *list) { static_cast<QmlObjectList *>(list->data)->clear(); });
    }

    const QList<QObject *> &objects() const { return m_objects; }

private:
    void append(QObject *object)
    {
        if (!object)
            return; // `data.push(null)`: nothing to keep
        m_objects.append(object);
        // With the owner as context: the connection ends with the list.
        m_connections.append(QObject::connect(object, &QObject::destroyed, m_owner,
                                              [this](QObject *gone) { m_objects.removeAll(gone); }));
        if (m_appended)
            m_appended(object);
    }

    void clear()
    {
        for (const QMetaObject::Connection &connection : std::as_const(m_connections))
            QObject::disconnect(connection);
        m_connections.clear();
        m_objects.clear();
    }

    QObject *const m_owner;
    const std::function<void(QObject *)> m_appended;
    QList<QObject *> m_objects;
    QList<QMetaObject::Connection> m_connections;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLOBJECTLIST_P_H
