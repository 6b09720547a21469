// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLCLIENTDOCUMENT_H
#define LIVESTORE_QMLCLIENTDOCUMENT_H

#include <reactive.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtQml/qqmlpropertymap.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlStore;

// `ClientDocument` in QML: a client document's fields as properties that bind and notify.
//
//     ClientDocument { id: ui; store: store; document: "uiState" }
//     TextField { text: ui.newTodoText; onTextEdited: ui.newTodoText = text }
//     visible: ui.filter === "active"
//
// Reading gives the stored value merged over the declared default. Assigning a field, or calling
// set({...}), commits the document's Set event with just those fields (merged field by field).
// Avoid fields named like the element's own properties (store, document, documentId, value,
// errorString): such a field hides the property. Every field is also in `value`.
//
// QML sets up bindings before any element is complete, and a binding to a field that does not
// exist yet never updates. So the fields are created, with their defaults, as soon as the element
// knows its store and document: declare it inside the Store (or give the Store a schema file),
// and bindings to `ui.field` work from the start. `value.field` always works.
class QmlClientDocument : public QQmlPropertyMap, public QQmlParserStatus
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

    // Commits a partial update: only the given fields change.
    Q_INVOKABLE bool set(const QVariantMap &fields);

    void classBegin() override;
    void componentComplete() override;

Q_SIGNALS:
    void storeChanged();
    void documentChanged();
    void documentIdChanged();
    // `value` changed (QQmlPropertyMap's own valueChanged(key, value) is for writes from QML).
    void contentChanged();
    void errorStringChanged();

protected:
    QVariant updateValue(const QString &key, const QVariant &input) override;

private:
    void restart();
    void applyValue(const QVariantMap &value);
    void setError(const QString &error);

    QPointer<QmlStore> m_store;
    QString m_document;
    QString m_documentId;
    QVariantMap m_value;
    QString m_error;
    bool m_complete = false;
    LiveQuery m_live;
    Subscription m_subscription;
    QMetaObject::Connection m_statusConnection;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLCLIENTDOCUMENT_H
