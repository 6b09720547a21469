// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLLIVEQUERY_H
#define LIVESTORE_QMLLIVEQUERY_H

#include <livequerymodel.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlStore;

// `LiveQuery` in QML: a LiveQueryModel bound to a Store element. Runs once the element is complete
// and the store is ready; re-runs when its binds (or any other property) change.
//
//     ListView {
//         model: LiveQuery {
//             store: store
//             sql: "SELECT * FROM todos WHERE completed = ? ORDER BY id"
//             binds: [showCompleted]
//         }
//         delegate: Text { text: model.text }
//     }
class QmlLiveQuery : public LiveStore::LiveQueryModel, public QQmlParserStatus
{
    Q_OBJECT
    Q_MOC_INCLUDE("qmlstore.h")
    QML_NAMED_ELEMENT(LiveQuery)
    Q_INTERFACES(QQmlParserStatus)
    // Notifies through the model's storeChanged(), so that `onStoreChanged` is this property's
    // handler (it also runs when the element's store reopens).
    Q_PROPERTY(LiveStore::QmlStore *store READ qmlStore WRITE setQmlStore NOTIFY storeChanged FINAL)
public:
    explicit QmlLiveQuery(QObject *parent = nullptr);

    QmlStore *qmlStore() const { return m_qmlStore; }
    void setQmlStore(QmlStore *store);

    void classBegin() override;
    void componentComplete() override;

protected:
    QVariant plainBinds(const QVariant &binds) const override;

private:
    void storeStatusChanged();
    QPointer<QmlStore> m_qmlStore;
    QMetaObject::Connection m_statusConnection;
    QMetaObject::Connection m_destroyedConnection;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLLIVEQUERY_H
