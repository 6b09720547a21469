// SPDX-License-Identifier: BSD-3-Clause
#include "qmlstore.h"

#include "qmlclientdocument.h"
#include "qmllogging_p.h"
#include "qmlschema.h"
#include "qmlstoreregistry.h"
#include "qmlvalues_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qstandardpaths.h>
#include <QtQml/qqmlinfo.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

QmlStore::QmlStore(QObject *parent) : QObject(parent) { }

QmlStore::~QmlStore()
{
    QObject::disconnect(m_committedConnection);
}

void QmlStore::setStoreId(const QString &storeId)
{
    if (m_storeId == storeId)
        return;
    m_storeId = storeId;
    Q_EMIT storeIdChanged();
    reopen();
}

void QmlStore::setSchema(const QUrl &schema)
{
    if (m_schema == schema)
        return;
    m_schema = schema;
    Q_EMIT schemaChanged();
    reopen();
}

void QmlStore::setDirectory(const QString &directory)
{
    if (m_directory == directory)
        return;
    m_directory = directory;
    Q_EMIT directoryChanged();
    reopen();
}

void QmlStore::setInMemory(bool inMemory)
{
    if (m_inMemory == inMemory)
        return;
    m_inMemory = inMemory;
    Q_EMIT inMemoryChanged();
    reopen();
}

void QmlStore::setRegistry(QmlStoreRegistry *registry)
{
    if (m_registry == registry)
        return;
    m_registry = registry;
    Q_EMIT registryChanged();
    reopen();
}

QQmlListProperty<QObject> QmlStore::data()
{
    // A ClientDocument declared inside the Store belongs to it from its creation on, before any
    // binding runs: its fields exist when the first binding reads them.
    return QQmlListProperty<QObject>(
            this, &m_data,
            [](QQmlListProperty<QObject> *list, QObject *object) {
                auto *self = static_cast<QmlStore *>(list->object);
                self->m_data.append(object);
                if (auto *document = qobject_cast<QmlClientDocument *>(object)) {
                    if (!document->store())
                        document->setStore(self);
                }
            },
            [](QQmlListProperty<QObject> *list) { return static_cast<QmlStore *>(list->object)->m_data.size(); },
            [](QQmlListProperty<QObject> *list, qsizetype i) { return static_cast<QmlStore *>(list->object)->m_data.at(i); },
            [](QQmlListProperty<QObject> *list) { static_cast<QmlStore *>(list->object)->m_data.clear(); });
}

QString QmlStore::head() const
{
    return m_store ? m_store->head().toString() : QString();
}

QString QmlStore::clientId() const
{
    return m_store ? m_store->clientId() : QString();
}

QString QmlStore::sessionId() const
{
    return m_store ? m_store->sessionId() : QString();
}

void QmlStore::classBegin() { }

void QmlStore::componentComplete()
{
    m_complete = true;
    reopen();
}

void QmlStore::setStatus(Status status)
{
    if (m_status == status)
        return;
    m_status = status;
    Q_EMIT statusChanged();
}

void QmlStore::setError(const QString &error)
{
    if (m_error == error)
        return;
    m_error = error;
    Q_EMIT errorStringChanged();
}

bool QmlStore::loadSchema(Schema *schema)
{
    QJsonObject json;
    if (!m_schema.isEmpty()) {
        // Qt resources come as qrc:/x or :/x; everything else must be a local file.
        QString path = m_schema.isLocalFile() ? m_schema.toLocalFile() : m_schema.toString();
        if (m_schema.scheme() == u"qrc"_s)
            path = u':' + m_schema.path();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            setError(u"cannot read the schema %1: %2"_s.arg(m_schema.toString(), file.errorString()));
            return false;
        }
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            // Let the loader phrase it (with the position).
            QString loaderError;
            file.seek(0);
            Schema::fromJson(file.readAll(), &loaderError);
            setError(u"%1: %2"_s.arg(m_schema.toString(), loaderError));
            return false;
        }
        json = doc.object();
    }
    QString inlineError;
    if (!appendInlineSchema(&json, m_data, &inlineError)) {
        setError(inlineError);
        return false;
    }
    if (json.isEmpty()) {
        setError(u"no schema: set `schema` to a schema file or declare Table and EventDefinition elements"_s);
        return false;
    }
    QString error;
    auto loaded = Schema::fromJson(QJsonDocument(json).toJson(QJsonDocument::Compact), &error);
    if (!loaded) {
        setError(m_schema.isEmpty() ? error : u"%1: %2"_s.arg(m_schema.toString(), error));
        return false;
    }
    *schema = std::move(*loaded);
    return true;
}

std::optional<ClientDocumentDef> QmlStore::clientDocumentDefinition(const QString &name)
{
    if (m_store) {
        const ClientDocumentDef *def = m_store->schema().clientDocument(name);
        return def ? std::optional<ClientDocumentDef>(*def) : std::nullopt;
    }
    // Not open yet: read the schema as declared so far, quietly (opening reports errors).
    const QString error = m_error;
    Schema schema;
    const bool ok = loadSchema(&schema);
    setError(error);
    if (!ok)
        return std::nullopt;
    const ClientDocumentDef *def = schema.clientDocument(name);
    return def ? std::optional<ClientDocumentDef>(*def) : std::nullopt;
}

void QmlStore::onBootStatus(const BootStatus &status)
{
    switch (status.stage) {
    case BootStatus::Loading: m_bootStage = BootLoading; break;
    case BootStatus::Migrating: m_bootStage = BootMigrating; break;
    case BootStatus::Rematerializing: m_bootStage = BootRematerializing; break;
    case BootStatus::Done: m_bootStage = BootDone; break;
    }
    m_progress = status.stage == BootStatus::Done ? 1.0
            : status.total > 0                    ? qreal(status.done) / qreal(status.total)
                                                  : 0.0;
    Q_EMIT bootStatusChanged();
}

void QmlStore::attach(std::shared_ptr<Store> store)
{
    QObject::disconnect(m_committedConnection);
    m_store = std::move(store);
    if (!m_store)
        return;
    m_committedConnection = connect(m_store.get(), &Store::committed, this,
                                    [this](const QList<EventRecord> &events) {
                                        QVariantList list;
                                        for (const EventRecord &e : events) {
                                            list.append(QVariantMap{{u"name"_s, e.name},
                                                                    {u"args"_s, e.args},
                                                                    {u"seqNum"_s, e.seqNum.toString()}});
                                        }
                                        Q_EMIT headChanged();
                                        Q_EMIT committed(list);
                                    });
}

void QmlStore::reopen()
{
    if (!m_complete)
        return; // property order in QML must not matter: open once everything is set
    attach(nullptr);
    setError(QString());
    if (m_storeId.isEmpty()) {
        setStatus(Null);
        return;
    }
    setStatus(Loading);
    StoreOptions options;
    options.storeId = m_storeId;
    if (!loadSchema(&options.schema)) {
        qmlWarning(this) << m_error;
        setStatus(Error);
        return;
    }
    options.inMemory = m_inMemory;
    // The store may outlive this element (a registry keeps it): never call back into a dead one.
    options.onBootStatus = [self = QPointer<QmlStore>(this)](const BootStatus &s) {
        if (self)
            self->onBootStatus(s);
    };
    std::shared_ptr<Store> store;
    if (m_registry && !m_inMemory) {
        if (!m_directory.isEmpty())
            options.directory = m_directory;
        store = m_registry->getOrLoad(options);
        if (!store)
            setError(m_registry->errorString());
    } else {
        if (!m_inMemory) {
            options.directory = m_directory.isEmpty()
                    ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
                            + u"/livestore/"_s + m_storeId
                    : m_directory;
        }
        store = std::make_shared<Store>();
        if (!store->open(options)) {
            setError(store->errorString());
            store.reset();
        }
    }
    if (!store) {
        qmlWarning(this) << m_error;
        setStatus(Error);
        return;
    }
    onBootStatus({BootStatus::Done, 0, 0}); // a registry store may have booted for someone else
    attach(std::move(store));
    setStatus(Ready);
    Q_EMIT headChanged();
}

bool QmlStore::commit(const QString &name, const QVariantMap &args)
{
    return commitAll({QVariantMap{{u"name"_s, name}, {u"args"_s, args}}});
}

bool QmlStore::commitAll(const QVariantList &events)
{
    if (!m_store) {
        // Keep the reason the store did not open visible: it is what the user must fix.
        qmlWarning(this) << "commit: the store is not open" << (m_error.isEmpty() ? QString() : u" ("_s + m_error + u')');
        return false;
    }
    QList<Event> list;
    for (const QVariant &v : events) {
        const QVariantMap e = v.toMap();
        if (!e.value(u"name"_s).canConvert<QString>() || e.value(u"name"_s).toString().isEmpty()) {
            setError(u"commitAll: each event needs a name, as {name: \"v1.Event\", args: {...}}"_s);
            qmlWarning(this) << m_error;
            return false;
        }
        list.append({e.value(u"name"_s).toString(), e.value(u"args"_s).toMap()});
    }
    if (!m_store->commit(list)) {
        setError(m_store->errorString());
        qmlWarning(this) << m_error;
        return false;
    }
    return true;
}

QVariantList QmlStore::query(const QString &sql, const QVariant &jsBinds)
{
    const QVariant binds = plainValue(jsBinds);
    if (!m_store) {
        qmlWarning(this) << "query: the store is not open" << (m_error.isEmpty() ? QString() : u" ("_s + m_error + u')');
        return {};
    }
    const Query q = binds.typeId() == QMetaType::QVariantMap ? Query::sql(sql, binds.toMap())
            : binds.isValid()                                 ? Query::sql(sql, binds.toList())
                                                              : Query::sql(sql);
    const QueryResult r = m_store->query(q);
    if (!r.isValid()) {
        setError(r.errorString());
        qmlWarning(this) << "query failed: " << r.errorString();
        return {};
    }
    return r.toMaps();
}

} // namespace LiveStore
