// SPDX-License-Identifier: BSD-3-Clause
#include "qmlclientdocument.h"

#include "qmlstore.h"

#include <store.h>

#include <QtCore/qjsonobject.h>
#include <QtQml/qqmlinfo.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

QmlClientDocument::QmlClientDocument(QObject *parent) : QQmlPropertyMap(this, parent) { }

QmlClientDocument::~QmlClientDocument()
{
    QObject::disconnect(m_statusConnection);
}

void QmlClientDocument::setStore(QmlStore *store)
{
    if (m_store == store)
        return;
    QObject::disconnect(m_statusConnection);
    m_store = store;
    if (store)
        m_statusConnection = connect(store, &QmlStore::statusChanged, this, &QmlClientDocument::restart);
    Q_EMIT storeChanged();
    restart();
}

void QmlClientDocument::setDocument(const QString &document)
{
    if (m_document == document)
        return;
    m_document = document;
    Q_EMIT documentChanged();
    restart();
}

void QmlClientDocument::setDocumentId(const QString &id)
{
    if (m_documentId == id)
        return;
    m_documentId = id;
    Q_EMIT documentIdChanged();
    restart();
}

void QmlClientDocument::classBegin() { }

void QmlClientDocument::componentComplete()
{
    m_complete = true;
    restart();
}

void QmlClientDocument::setError(const QString &error)
{
    if (m_error == error)
        return;
    m_error = error;
    Q_EMIT errorStringChanged();
    if (!error.isEmpty())
        qmlWarning(this) << error;
}

void QmlClientDocument::restart()
{
    m_subscription.unsubscribe();
    m_live = {};
    if (!m_store || m_document.isEmpty())
        return;
    if (!m_store->store()) {
        // Bindings to fields are set up before any element is complete, and a binding to a field
        // that does not exist yet would never update. So create the fields now, with their
        // defaults, from the schema as declared so far.
        if (m_value.isEmpty()) {
            if (const auto def = m_store->clientDocumentDefinition(m_document))
                applyValue(def->defaultValue.toVariantMap());
        }
        return;
    }
    if (!m_complete)
        return;
    Store *store = m_store->store();
    const ClientDocumentDef *def = store->schema().clientDocument(m_document);
    if (!def) {
        setError(u"unknown client document \"%1\" (declare it in the schema)"_s.arg(m_document));
        return;
    }
    setError(QString());
    const QString id = m_documentId.isEmpty() ? def->effectiveDefaultId(store->sessionId()) : m_documentId;
    const QVariantMap defaults = def->defaultValue.toVariantMap();
    m_live = store->liveQuery(Query::from(m_document).select({u"value"_s}).where(u"id"_s, id));
    m_subscription = m_live.subscribe([this, defaults](const QueryResult &result) {
        QVariantMap merged = defaults;
        const QVariantMap stored = result.scalar().toMap();
        for (auto it = stored.cbegin(); it != stored.cend(); ++it)
            merged.insert(it.key(), it.value());
        applyValue(merged);
    });
}

void QmlClientDocument::applyValue(const QVariantMap &value)
{
    if (value == m_value)
        return;
    const QVariantMap old = m_value;
    m_value = value;
    // insert() notifies only bindings on that key; do it only for fields that changed.
    for (auto it = value.cbegin(); it != value.cend(); ++it) {
        if (!old.contains(it.key()) || old.value(it.key()) != it.value())
            insert(it.key(), it.value());
    }
    for (auto it = old.cbegin(); it != old.cend(); ++it) {
        if (!value.contains(it.key()))
            clear(it.key());
    }
    Q_EMIT contentChanged();
}

bool QmlClientDocument::set(const QVariantMap &fields)
{
    if (!m_store || !m_store->store()) {
        setError(u"set: the store is not ready"_s);
        return false;
    }
    Store *store = m_store->store();
    if (!store->setClientDocument(m_document, QJsonObject::fromVariantMap(fields), m_documentId)) {
        setError(store->errorString());
        return false;
    }
    return true;
}

QVariant QmlClientDocument::updateValue(const QString &key, const QVariant &input)
{
    // A field assigned from QML becomes a committed event; the property then takes the
    // materialized value (at once: local commits materialize synchronously).
    set({{key, input}});
    return m_value.value(key);
}

} // namespace LiveStore
