// SPDX-License-Identifier: BSD-3-Clause
#include "qmlclientdocument.h"

#include "qmlstore.h"
#include "qmlvalues_p.h"

#include <store.h>

#include <QtCore/qjsonobject.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qscopedvaluerollback.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmlinfo.h>

#include <utility>

using namespace Qt::StringLiterals;

namespace LiveStore {

QmlClientDocument::QmlClientDocument(QObject *parent) : QObject(parent) { }

QmlClientDocument::~QmlClientDocument()
{
    QObject::disconnect(m_statusConnection);
    QObject::disconnect(m_destroyedConnection);
}

void QmlClientDocument::setStore(QmlStore *store)
{
    if (m_store == store)
        return;
    QObject::disconnect(m_statusConnection);
    QObject::disconnect(m_destroyedConnection);
    m_store = store;
    if (store) {
        m_statusConnection = connect(store, &QmlStore::statusChanged, this, &QmlClientDocument::restart);
        // The element destroyed (the QPointer is null by now): `store` is null.
        m_destroyedConnection = connect(store, &QObject::destroyed, this, [this] {
            Q_EMIT storeChanged();
            restart();
        });
    }
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
    watchFields();
    restart();
}

void QmlClientDocument::watchFields()
{
    // The properties QML declared on this element come after the C++ class's own.
    const QMetaObject *meta = metaObject();
    const QMetaMethod written = staticMetaObject.method(staticMetaObject.indexOfSlot("fieldWritten()"));
    for (int i = staticMetaObject.propertyCount(); i < meta->propertyCount(); ++i) {
        const QMetaProperty field = meta->property(i);
        if (!field.hasNotifySignal())
            continue;
        m_fieldBySignal.insert(field.notifySignalIndex(), i);
        connect(this, field.notifySignal(), this, written);
    }
    // Fields already hold what the document says, if it was read before they were watched.
    if (!m_value.isEmpty()) {
        const QVariantMap current = std::exchange(m_value, {});
        applyValue(current);
    }
}

void QmlClientDocument::fieldWritten()
{
    if (m_applying)
        return;
    const int index = m_fieldBySignal.value(senderSignalIndex(), -1);
    if (index < 0)
        return;
    const QMetaProperty field = metaObject()->property(index);
    QVariant v = field.read(this);
    if (v.metaType() == QMetaType::fromType<QJSValue>())
        v = v.value<QJSValue>().toVariant();
    const QString name = QString::fromLatin1(field.name());
    if (m_value.value(name) == v)
        return;
    // A field assigned from QML becomes a committed event; the field then shows the
    // materialized value (at once: local commits materialize synchronously).
    if (!setFields({{name, v}}))
        writeFields(); // refused: the field shows the stored value again, which did not change
}

void QmlClientDocument::setError(const QString &error)
{
    if (!error.isEmpty())
        qmlWarning(this) << error; // every failure, also one like the last
    if (m_error == error)
        return;
    m_error = error;
    Q_EMIT errorStringChanged();
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
    m_value = value;
    writeFields();
    Q_EMIT contentChanged();
}

void QmlClientDocument::writeFields()
{
    // Declared fields take the document's values; a field the document lacks keeps its own.
    const QScopedValueRollback applying(m_applying, true);
    for (auto it = m_fieldBySignal.cbegin(); it != m_fieldBySignal.cend(); ++it) {
        const QMetaProperty field = metaObject()->property(it.value());
        const QString name = QString::fromLatin1(field.name());
        if (m_value.contains(name) && field.read(this) != m_value.value(name))
            field.write(this, m_value.value(name));
    }
}

bool QmlClientDocument::set(const QJSValue &fields)
{
    if (fields.isUndefined() || fields.isNull() || !isArgsObject(fields)) {
        setError(u"set: takes an object of the fields to change, as {filter: \"all\"}, not %1"_s.arg(
                jsKind(fields)));
        return false;
    }
    return setFields(fields.toVariant().toMap());
}

bool QmlClientDocument::setFields(const QVariantMap &fields)
{
    if (!m_store || !m_store->store()) {
        setError(u"set: the store is not ready"_s);
        return false;
    }
    Store *store = m_store->store();
    m_store->forwardCommitted(); // as QmlStore::commit() does
    if (!store->setClientDocument(m_document, QJsonObject::fromVariantMap(fields), m_documentId)) {
        setError(store->errorString());
        return false;
    }
    return true;
}

} // namespace LiveStore
