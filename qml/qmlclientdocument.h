// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLCLIENTDOCUMENT_H
#define LIVESTORE_QMLCLIENTDOCUMENT_H

#include <reactive.h>

#include <QtCore/qpointer.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlStore;

// `ClientDocument` in QML: a client document whose fields are ordinary QML properties, declared
// on the element, so that they bind and notify and tools (qmllint, qmlls, Qt Creator) know them.
//
//     ClientDocument { id: ui; document: "uiState"
//                      property string newTodoText; property string filter }
//     TextField { text: ui.newTodoText; onTextEdited: ui.newTodoText = text }
//     visible: ui.filter === "active"
//
// Every property declared on the element is a field: it holds the stored value merged over the
// declared default, and assigning it commits the document's Set event with just that field (the
// property then takes the materialized value). `value` holds the whole document, declared fields
// or not; set({...}) commits several fields at once. The element's own properties (store,
// document, documentId, value, errorString) cannot be fields: read such a field as `value.x`.
class QmlClientDocument : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_MOC_INCLUDE("qmlstore.h")
    QML_NAMED_ELEMENT(ClientDocument)
    Q_INTERFACES(QQmlParserStatus)
    Q_PROPERTY(LiveStore::QmlStore *store READ store WRITE setStore NOTIFY storeChanged FINAL)
    Q_PROPERTY(QString document READ document WRITE setDocument NOTIFY documentChanged FINAL)
    Q_PROPERTY(QString documentId READ documentId WRITE setDocumentId NOTIFY documentIdChanged FINAL)
    Q_PROPERTY(QVariantMap value READ value NOTIFY contentChanged FINAL)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged FINAL)
public:
    explicit QmlClientDocument(QObject *parent = nullptr);
    ~QmlClientDocument() override;

    QmlStore *store() const { return m_store; }
    void setStore(QmlStore *store);
    QString document() const { return m_document; }
    void setDocument(const QString &document);
    QString documentId() const { return m_documentId; }
    void setDocumentId(const QString &id);
    QVariantMap value() const { return m_value; }
    QString errorString() const { return m_error; }

    // Commits a partial update: only the given fields change. `fields` is a JavaScript object;
    // anything else is refused with errorString().
    Q_INVOKABLE bool set(const QJSValue &fields);

    void classBegin() override;
    void componentComplete() override;

Q_SIGNALS:
    void storeChanged();
    void documentChanged();
    void documentIdChanged();
    void contentChanged(); // `value` changed
    void errorStringChanged();

private Q_SLOTS:
    void fieldWritten();

private:
    void restart();
    void applyValue(const QVariantMap &value);
    void writeFields();
    bool setFields(const QVariantMap &fields);
    void setError(const QString &error);
    void watchFields();

    QPointer<QmlStore> m_store;
    QString m_document;
    QString m_documentId;
    QVariantMap m_value;
    QString m_error;
    bool m_complete = false;
    bool m_applying = false;                   // writing the document into the fields
    QHash<int, int> m_fieldBySignal;           // notify signal index -> declared property index
    LiveQuery m_live;
    Subscription m_subscription;
    QMetaObject::Connection m_statusConnection;
    QMetaObject::Connection m_destroyedConnection;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLCLIENTDOCUMENT_H
