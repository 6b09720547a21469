// SPDX-License-Identifier: BSD-3-Clause
#include "qmlstoreattached.h"

#include "qmllogging_p.h"
#include "qmlstore.h"

#include <QtCore/qmetaobject.h>
#include <QtCore/qtimer.h>
#include <QtQml/qqml.h>
#include <QtQml/qqmlcontext.h>

namespace LiveStore {

namespace {

// An object property `name` whose type is `type` or derived from it; invalid otherwise. Read
// through the meta-object, so that this module needs no Qt Quick.
QMetaProperty objectProperty(const QObject *object, const char *name, const QMetaObject *type)
{
    const QMetaObject *meta = object->metaObject();
    const int index = meta->indexOfProperty(name);
    if (index < 0)
        return {};
    const QMetaProperty property = meta->property(index);
    const QMetaObject *propertyType = property.metaType().metaObject();
    if (!(property.metaType().flags() & QMetaType::PointerToQObject) || !propertyType
        || !propertyType->inherits(type))
        return {};
    return property;
}

// An item's visual parent: QQuickItem (and a Popup) declare `parent` as an object property with
// a change signal.
QMetaProperty visualParentProperty(const QObject *object)
{
    return objectProperty(object, "parent", &QObject::staticMetaObject);
}

// A `store` property holding a Store: an object that shows a store given to it from outside
// (`required property Store store` on a pane) provides that store to everything inside it.
QMetaProperty storeProperty(const QObject *object)
{
    return objectProperty(object, "store", &QmlStore::staticMetaObject);
}

QObject *up(const QObject *object)
{
    if (const QMetaProperty property = visualParentProperty(object); property.isValid()) {
        if (QObject *visual = property.read(object).value<QObject *>())
            return visual;
    }
    return object->parent();
}

enum class Children { None, One, Several };

Children storesAmongChildren(const QObject *object, QmlStore **store)
{
    *store = nullptr;
    for (QObject *child : object->children()) {
        if (auto *candidate = qobject_cast<QmlStore *>(child)) {
            if (*store) {
                *store = nullptr;
                return Children::Several;
            }
            *store = candidate;
        }
    }
    return *store ? Children::One : Children::None;
}

} // namespace

QmlStoreAttached::QmlStoreAttached(QObject *owner) : QObject(owner)
{
    // Attached objects are made while their owner is being created, often before a view gives
    // it its parent: without a store on the path yet, look again once that has happened. The
    // search of the whole window waits for that second look, so that a view creating a thousand
    // parentless delegates does not search the window a thousand times.
    if (!resolve(Scan::PathOnly))
        resolveLater();
}

void QmlStoreAttached::resolveLater()
{
    QTimer::singleShot(0, this, [this] { resolve(Scan::PathAndWindow); });
}

void QmlStoreAttached::warnAmbiguous(const QObject *where)
{
    if (m_warned)
        return;
    m_warned = true;
    qCWarning(lcQml).nospace() << "Store.store of " << parent() << ": several stores in " << where
                               << " and none nearer; give the store through a `store` property "
                                  "(a pane's `required property Store store`) or name it by id";
}

bool QmlStoreAttached::resolve(Scan scan)
{
    for (const QMetaObject::Connection &c : std::as_const(m_watches))
        QObject::disconnect(c);
    m_watches.clear();

    static const QMetaMethod later = staticMetaObject.method(staticMetaObject.indexOfSlot("resolveLater()"));
    auto watch = [&](QObject *object, const QMetaProperty &property) {
        if (property.isValid() && property.hasNotifySignal())
            m_watches.append(QObject::connect(object, property.notifySignal(), this, later));
    };

    QmlStore *found = nullptr;
    QObject *top = nullptr;
    bool decided = false; // a step on the path gave the answer (possibly none)
    // Bounded: a visual parent and an object parent could, in principle, point at each other.
    int steps = 0;
    for (QObject *object = parent(); object && !decided && steps < 256; object = up(object), ++steps) {
        top = object;
        // Whatever moves on the path may change the answer.
        watch(object, visualParentProperty(object));
        if ((found = qobject_cast<QmlStore *>(object))) {
            decided = true;
        } else if (const QMetaProperty property = storeProperty(object); property.isValid()) {
            watch(object, property);
            found = property.read(object).value<QmlStore *>();
            decided = true; // the object claims the store it shows, even while that is null
        } else {
            switch (storesAmongChildren(object, &found)) {
            case Children::None:
                break;
            case Children::One:
                decided = true;
                break;
            case Children::Several:
                warnAmbiguous(object);
                decided = true;
                break;
            }
        }
    }

    if (!decided && scan == Scan::PathAndWindow) {
        // Off the path: the one Store of the window, or of the file's root object.
        QList<QObject *> roots;
        if (top)
            roots.append(top);
        for (QQmlContext *context = qmlContext(parent()); context; context = context->parentContext()) {
            if (QObject *object = context->contextObject(); object && !roots.contains(object))
                roots.append(object);
        }
        for (QObject *root : std::as_const(roots)) {
            const QList<QmlStore *> stores = root->findChildren<QmlStore *>();
            if (stores.size() == 1) {
                found = stores.constFirst();
                break;
            }
            if (stores.size() > 1) {
                warnAmbiguous(root);
                break;
            }
        }
    }

    if (found) {
        m_watches.append(QObject::connect(found, &QObject::destroyed, this, [this] {
            m_store = nullptr;
            Q_EMIT storeChanged();
            resolveLater();
        }));
    }
    if (found != m_store) {
        m_store = found;
        Q_EMIT storeChanged();
    }
    return decided;
}

} // namespace LiveStore
