// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLSTOREATTACHED_H
#define LIVESTORE_QMLSTOREATTACHED_H

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlStore;

// The attached property `Store.store`: the nearest Store, for code that cannot name the store by
// id without qmllint's "unqualified access" (a delegate, a component in its own file):
//
//     delegate: TodoDelegate {
//         onRemoved: Store.store.commit("v1.TodoDeleted", { id: id })
//     }
//
// "Nearest" walks up from the object the property is attached to, through visual parents
// (an item's `parent`) and then object parents, and stops at the first object that
//  - is a Store,
//  - has a `store` property of type Store (a pane showing a store it is given, as in
//    `required property Store store`): that store, even while it is null,
//  - or has Stores among its direct children (a Store next to the items, as in
//    `ApplicationWindow { Store {} ColumnLayout { ... } }`): the one Store; with several, null
//    and a warning.
// Off that path (a Popup, an object outside the visual tree) the one Store in the window or in
// the file's root object is taken. The value follows reparenting (delegates get their parent
// after creation), a pane's `store` and a Store's destruction.
class QmlStoreAttached : public QObject
{
    Q_OBJECT
    QML_ANONYMOUS
    Q_PROPERTY(LiveStore::QmlStore *store READ store NOTIFY storeChanged FINAL)

public:
    explicit QmlStoreAttached(QObject *owner);

    QmlStore *store() const { return m_store; }

Q_SIGNALS:
    void storeChanged();

private Q_SLOTS:
    // Parents settle as a whole (a view reparents, then completes): look once they have.
    void resolveLater();

private:
    enum class Scan { PathOnly, PathAndWindow };
    // True when the path gave the answer (possibly none).
    bool resolve(Scan scan);
    void warnAmbiguous(const QObject *where);

    QPointer<QmlStore> m_store;
    QList<QMetaObject::Connection> m_watches; // parent changes on the path, the store's death
    bool m_warned = false;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLSTOREATTACHED_H
