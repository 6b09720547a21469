// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLEVENTLOG_H
#define LIVESTORE_QMLEVENTLOG_H

#include <eventlogmodel.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlStore;

// `EventLog` in QML: an EventLogModel of a Store element's eventlog, paged as the view scrolls.
//
//     ListView {
//         model: EventLog { store: store; names: ["v1.TodoCreated"] }
//         delegate: Label { required property string seqNum; required property string name
//                           text: seqNum + " " + name }
//     }
class QmlEventLog : public LiveStore::EventLogModel, public QQmlParserStatus
{
    Q_OBJECT
    Q_MOC_INCLUDE("qmlstore.h")
    QML_NAMED_ELEMENT(EventLog)
    Q_INTERFACES(QQmlParserStatus)
    Q_PROPERTY(LiveStore::QmlStore *store READ qmlStore WRITE setQmlStore NOTIFY storeChanged FINAL)

public:
    explicit QmlEventLog(QObject *parent = nullptr);

    QmlStore *qmlStore() const { return m_qmlStore; }
    void setQmlStore(QmlStore *store);

    void classBegin() override { }
    void componentComplete() override;

Q_SIGNALS:
    void storeChanged();

private:
    void storeStatusChanged();

    QPointer<QmlStore> m_qmlStore;
    QMetaObject::Connection m_statusConnection;
    QMetaObject::Connection m_destroyedConnection;
    QMetaObject::Connection m_confirmedConnection;
    bool m_complete = false;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLEVENTLOG_H
