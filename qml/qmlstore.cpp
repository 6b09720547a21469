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
#include <QtCore/qmetaobject.h>
#include <QtCore/qstandardpaths.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmlengine.h>
#include <QtQml/qqmlinfo.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// A QML value as JSON: JS objects and arrays reach a QVariant property as QJSValue or as
// QVariantMap/QVariantList, depending on how they were written.
QJsonValue toJsonValue(const QVariant &value)
{
    if (!value.isValid())
        return QJsonValue(QJsonValue::Undefined);
    if (value.metaType() == QMetaType::fromType<QJSValue>())
        return QJsonValue::fromVariant(value.value<QJSValue>().toVariant());
    return QJsonValue::fromVariant(value);
}

} // namespace

QmlStore::QmlStore(QObject *parent)
    : QObject(parent),
      // A ClientDocument declared inside the Store belongs to it from its creation on, before
      // any binding runs: its fields exist when the first binding reads them.
      m_data(this,
             [this](QObject *object) {
                 if (auto *document = qobject_cast<QmlClientDocument *>(object); document && !document->store())
                     document->setStore(this);
             })
{
    m_initialSyncTimer.setSingleShot(true);
    connect(&m_initialSyncTimer, &QTimer::timeout, this, [this] {
        finishInitialSync(u"the initial sync did not finish within %1 ms"_s.arg(m_initialSyncTimeout));
    });
}

QmlStore::~QmlStore()
{
    QObject::disconnect(m_headConnection);
    QObject::disconnect(m_committedConnection);
    // The sync client may outlive us (a registry keeps its store): no more calls into this.
    if (m_sync)
        QObject::disconnect(m_sync, nullptr, this, nullptr);
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

void QmlStore::setAsynchronous(bool asynchronous)
{
    if (m_asynchronous == asynchronous)
        return;
    m_asynchronous = asynchronous;
    Q_EMIT asynchronousChanged(); // how the next open runs; the store open now stays
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

void QmlStore::setSyncUrl(const QUrl &url)
{
    if (m_syncUrl == url)
        return;
    const bool wasSyncing = !m_syncUrl.isEmpty();
    m_syncUrl = url;
    Q_EMIT syncUrlChanged();
    // Only a synced store records changesets (what rebasing rolls back): starting or ending sync
    // takes a reopen; another server is only a new connection.
    if (wasSyncing != !url.isEmpty())
        reopen();
    else if (m_sync)
        m_sync->setUrl(url);
}

void QmlStore::setSyncPayload(const QVariant &payload)
{
    // A JavaScript object arrives as a QJSValue, and no two of those compare equal.
    if (plainValue(m_syncPayload) == plainValue(payload) && m_syncPayload.isValid() == payload.isValid())
        return;
    m_syncPayload = payload;
    Q_EMIT syncPayloadChanged();
    if (m_sync)
        m_sync->setPayload(toJsonValue(payload));
}

void QmlStore::setInitialSync(InitialSync mode)
{
    if (m_initialSync == mode)
        return;
    m_initialSync = mode;
    Q_EMIT initialSyncChanged(); // it applies to the next open
}

void QmlStore::setInitialSyncTimeout(int msecs)
{
    if (m_initialSyncTimeout == msecs)
        return;
    m_initialSyncTimeout = msecs;
    Q_EMIT initialSyncTimeoutChanged();
}

QQmlListProperty<QObject> QmlStore::data()
{
    return m_data.property();
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
    // The file's text goes to the loader as it is: parsing it into a QJsonObject here would sort
    // the keys of its `args`, and the argument order is the order the args are written in.
    std::optional<Schema> loaded;
    QString error;
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
        Schema fromFile = Schema::fromJson(file.readAll());
        if (!fromFile.isValid()) {
            setError(u"%1: %2"_s.arg(m_schema.toString(), fromFile.errorString()));
            return false;
        }
        loaded = std::move(fromFile);
    }
    QByteArray inlineJson;
    bool anyInline = false;
    if (!inlineSchemaJson(m_data.objects(), &inlineJson, &anyInline, &error)) {
        setError(error);
        return false;
    }
    if (!loaded && !anyInline) {
        setError(u"no schema: set `schema` to a schema file or declare Table and EventDefinition elements"_s);
        return false;
    }
    if (anyInline) {
        Schema declared = Schema::fromJson(inlineJson);
        if (!declared.isValid()) {
            setError(declared.errorString());
            return false;
        }
        if (!loaded) {
            loaded = std::move(declared);
        } else if (!mergeSchema(&*loaded, declared, &error)) {
            setError(u"%1 with the inline elements: %2"_s.arg(m_schema.toString(), error));
            return false;
        }
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
    // One bar from 0 to 1 over the whole open: the replay is what takes time (creating tables is
    // quick), so progress follows it; it never goes back when the stage changes.
    m_progress = status.stage == BootStatus::Done ? 1.0
            : status.stage == BootStatus::Rematerializing && status.total > 0
            ? qreal(status.done) / qreal(status.total)
            : 0.0;
    Q_EMIT bootStatusChanged();
}

void QmlStore::setBootStage(BootStage stage, qreal progress)
{
    if (m_bootStage == stage && qFuzzyCompare(1.0 + m_progress, 1.0 + progress))
        return;
    m_bootStage = stage;
    m_progress = progress;
    Q_EMIT bootStatusChanged();
}

void QmlStore::startSync(Store *store)
{
    // One sync client per store, even when a registry shares the store between Store elements:
    // it lives with the store, as its child.
    SyncClient *client = store->findChild<SyncClient *>(QString(), Qt::FindDirectChildrenOnly);
    if (!client) {
        client = new SyncClient(store, store);
        client->setUrl(m_syncUrl);
        client->setPayload(toJsonValue(m_syncPayload));
    } else if (client->url() != m_syncUrl) {
        qmlWarning(this) << "store \"" << m_storeId << "\" already syncs with "
                         << client->url().toString() << "; " << m_syncUrl.toString()
                         << " is not used (one sync server per store)";
    }
    // The head moves when others' events arrive, not only on local commits.
    connect(client, &SyncClient::eventsPulled, this, &QmlStore::headChanged, Qt::QueuedConnection);
    client->start();
    m_sync = client;
    Q_EMIT syncChanged();
}

void QmlStore::waitForInitialSync(std::shared_ptr<Store> store)
{
    m_syncingStore = std::move(store);
    SyncClient *client = m_sync;
    setBootStage(BootSyncing, client->catchUpProgress());
    // Becoming Ready runs the app's handlers, which may reopen and so delete the store and its
    // client: that happens on the next turn of the event loop, not inside the client's signal.
    m_initialSyncConnections = {
        connect(client, &SyncClient::catchUpProgressChanged, this,
                [this, client] { setBootStage(BootSyncing, client->catchUpProgress()); }),
        connect(
                client, &SyncClient::caughtUpChanged, this,
                [this, client = QPointer<SyncClient>(client)] {
                    if (client && client->isCaughtUp())
                        finishInitialSync(QString());
                },
                Qt::QueuedConnection),
        connect(
                client, &SyncClient::statusChanged, this,
                [this, client = QPointer<SyncClient>(client)] {
                    if (client && client->status() == SyncClient::Error)
                        finishInitialSync(u"syncing stopped: "_s + client->lastError());
                    // Another process of the store syncs it: the store is as current as its
                    // sync, and this one will not catch up by itself.
                    else if (client && client->status() == SyncClient::Standby)
                        finishInitialSync(QString());
                },
                Qt::QueuedConnection),
    };
    if (m_initialSyncTimeout > 0)
        m_initialSyncTimer.start(m_initialSyncTimeout);
}

void QmlStore::finishInitialSync(const QString &why)
{
    for (const QMetaObject::Connection &c : std::as_const(m_initialSyncConnections))
        QObject::disconnect(c);
    m_initialSyncConnections.clear();
    m_initialSyncTimer.stop();
    if (!m_syncingStore)
        return;
    if (!why.isEmpty())
        qmlInfo(this) << why << ": the store opens with the local data and keeps syncing";
    becomeReady(std::exchange(m_syncingStore, nullptr));
}

void QmlStore::becomeReady(std::shared_ptr<Store> store)
{
    setBootStage(BootDone, 1.0);
    attach(std::move(store));
    setStatus(Ready);
    Q_EMIT headChanged();
}

void QmlStore::attach(std::shared_ptr<Store> store)
{
    QObject::disconnect(m_headConnection);
    QObject::disconnect(m_committedConnection);
    m_committedConnection = {};
    m_store = std::move(store);
    if (!m_store)
        return;
    m_headConnection = connect(m_store.get(), &Store::eventsCommitted, this, [this] {
        Q_EMIT headChanged();
        forwardCommitted(); // stops following committed() once nothing listens any more
    });
    forwardCommitted();
}

// Store::committed() is followed only while something listens to this element's committed():
// a connection to it makes every commit of the store keep its events' records, and each would
// be turned into JavaScript values here for nobody. Checked when the store is attached, before
// each commit through this element or a ClientDocument, after every commit of the store, and on
// the turn after something connects to committed(). receivers() counts QML handlers that are
// still there (isSignalConnected() keeps answering true for one that has gone, but its false is
// sure, and cheap: the usual case, an element nobody listens to, asks nothing more).
void QmlStore::forwardCommitted()
{
    const bool wanted = m_store && isSignalConnected(QMetaMethod::fromSignal(&QmlStore::committed))
            && receivers(SIGNAL(committed(QVariantList))) > 0;
    if (wanted == bool(m_committedConnection))
        return;
    if (!wanted) {
        QObject::disconnect(m_committedConnection);
        m_committedConnection = {};
        return;
    }
    m_committedConnection = connect(m_store.get(), &Store::committed, this,
                                    [this](const QList<EventRecord> &events) {
                                        QVariantList list;
                                        for (const EventRecord &e : events) {
                                            list.append(QVariantMap{{u"name"_s, e.name},
                                                                    {u"args"_s, e.args},
                                                                    {u"seqNum"_s, e.seqNum.toString()}});
                                        }
                                        Q_EMIT committed(list);
                                    });
}

void QmlStore::connectNotify(const QMetaMethod &signal)
{
    // Qt may call this with its own locks held, from any thread: nothing of QObject may be
    // called here, so the check is posted to this element's thread.
    if (signal == QMetaMethod::fromSignal(&QmlStore::committed))
        QMetaObject::invokeMethod(this, &QmlStore::forwardCommitted, Qt::QueuedConnection);
}

void QmlStore::reopen()
{
    if (!m_complete)
        return; // property order in QML must not matter: open once everything is set
    // An open still running is moot: dropping the last hold cancels it (its rebuild rolls back).
    QObject::disconnect(m_openConnection);
    m_openingStore.reset();
    m_syncingStore.reset(); // a wait that was running is moot: the old store never becomes Ready
    finishInitialSync(QString());
    // A store another element still opens through the registry keeps reporting to the callback
    // of this open: from now on, only the next open's reports count.
    ++m_openGeneration;
    // The old store lives until the elements that use it (LiveQuery, EventLog, ClientDocument,
    // EventStream) have seen the status change and let go of it: they empty their models and
    // stop their streams while it still exists.
    const std::shared_ptr<Store> previous = m_store;
    attach(nullptr);
    if (m_sync) {
        QObject::disconnect(m_sync, nullptr, this, nullptr);
        m_sync = nullptr;
        Q_EMIT syncChanged();
    }
    setError(QString());
    // Each open reports its own progress from the start.
    setBootStage(m_storeId.isEmpty() ? BootIdle : BootLoading, 0);
    setStatus(m_storeId.isEmpty() ? Null : Loading);
    if (previous)
        Q_EMIT headChanged(); // no store: no head
    if (m_storeId.isEmpty())
        return;
    StoreOptions options;
    options.storeId = m_storeId;
    if (!loadSchema(&options.schema)) {
        qmlWarning(this) << m_error;
        setStatus(Error);
        return;
    }
    options.inMemory = m_inMemory;
    options.recordChangesets = !m_syncUrl.isEmpty();
    // The store may outlive this element (a registry keeps it): never call back into a dead one.
    options.onBootStatus = [self = QPointer<QmlStore>(this), generation = m_openGeneration](const BootStatus &s) {
        if (self && self->m_openGeneration == generation)
            self->onBootStatus(s);
    };
    std::shared_ptr<Store> store;
    if (m_registry && !m_inMemory) {
        if (!m_directory.isEmpty())
            options.directory = m_directory;
        store = m_asynchronous ? m_registry->getOrLoadAsync(options) : m_registry->getOrLoad(options);
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
        // An in-memory store has no file to check and no log to replay: it opens at once, so
        // it is Ready when the element is complete. A store on disk opens on a worker thread.
        const bool now = m_inMemory || !m_asynchronous;
        if (now ? !store->open(options) : !store->openAsync(options)) {
            setError(store->errorString());
            store.reset();
        }
    }
    if (!store) {
        qmlWarning(this) << m_error;
        setStatus(Error);
        return;
    }
    // The open (and a rebuild) runs on a worker thread: the window keeps painting `progress`.
    if (store->isOpening()) {
        m_openingStore = store;
        m_openConnection = connect(store.get(), &Store::openFinished, this, [this] {
            QObject::disconnect(m_openConnection);
            opened(std::exchange(m_openingStore, nullptr));
        });
        return;
    }
    opened(std::move(store));
}

void QmlStore::opened(std::shared_ptr<Store> store)
{
    if (!store->isOpen()) {
        setError(store->errorString());
        qmlWarning(this) << m_error;
        setStatus(Error);
        return;
    }
    if (!m_syncUrl.isEmpty()) {
        startSync(store.get());
        if (m_initialSync == InitialSyncBlocking && !m_sync->isCaughtUp()
            && m_sync->status() != SyncClient::Error && m_sync->status() != SyncClient::Standby) {
            waitForInitialSync(std::move(store));
            return;
        }
    }
    becomeReady(std::move(store)); // a registry store may have booted for someone else
}

namespace {

// An event's arguments from JavaScript: as a map for the checks, and as JSON.stringify's text for
// the key order (JSON text also says what JSON.stringify says of a lone surrogate or a Date).
Event eventFromJs(QJSEngine *engine, const QString &name, const QJSValue &args)
{
    Event event{name, args.isUndefined() || args.isNull() ? QVariantMap() : args.toVariant().toMap()};
    if (engine && args.isObject() && !args.isArray()) {
        const QJSValue stringify = engine->globalObject().property(u"JSON"_s).property(u"stringify"_s);
        const QJSValue text = stringify.call({args});
        if (text.isString())
            event.argsJson = text.toString().toUtf8();
    }
    return event;
}

} // namespace

QString QmlStore::notReady(const char *what) const
{
    if (m_status == Loading)
        return u"%1: the store is still opening (wait for status Store.Ready)"_s.arg(QLatin1StringView(what));
    return u"%1: the store is not open%2"_s.arg(QLatin1StringView(what),
                                               m_error.isEmpty() ? QString() : u" ("_s + m_error + u')');
}

bool QmlStore::commit(const QString &name, const QJSValue &args)
{
    if (!m_store) {
        qmlWarning(this) << notReady("commit");
        return false;
    }
    if (!isArgsObject(args)) {
        setError(u"commit: the arguments of \"%1\" must be an object, as {id: \"a\"}, not %2"_s.arg(
                name, jsKind(args)));
        qmlWarning(this) << m_error;
        return false;
    }
    const QList<Event> list{eventFromJs(qmlEngine(this), name, args)};
    forwardCommitted(); // a handler connected this very turn hears this commit too
    if (!m_store->commit(list)) {
        setError(m_store->errorString());
        qmlWarning(this) << m_error;
        return false;
    }
    return true;
}

bool QmlStore::commitAll(const QJSValue &events)
{
    if (!m_store) {
        // Keep the reason the store did not open visible: it is what the user must fix.
        qmlWarning(this) << notReady("commit");
        return false;
    }
    const auto refuse = [this](const QString &error) {
        setError(error);
        qmlWarning(this) << m_error;
        return false;
    };
    // One event instead of a list of one would otherwise be an empty batch, committed as nothing.
    if (!events.isArray()) {
        return refuse(u"commitAll: takes an array of events, as [{name: \"v1.Event\", args: {...}}], "
                       "not %1"_s.arg(jsKind(events)));
    }
    QList<Event> list;
    const int count = events.property(u"length"_s).toInt();
    for (int i = 0; i < count; ++i) {
        const QJSValue e = events.property(quint32(i));
        const QJSValue name = e.property(u"name"_s);
        if (!e.isObject() || !name.isString() || name.toString().isEmpty())
            return refuse(u"commitAll: each event needs a name, as {name: \"v1.Event\", args: {...}}"_s);
        const QJSValue args = e.property(u"args"_s);
        if (!isArgsObject(args)) {
            return refuse(u"commitAll: the arguments of \"%1\" (event %2) must be an object, as "
                           "{id: \"a\"}, not %3"_s.arg(name.toString(), QString::number(i), jsKind(args)));
        }
        list.append(eventFromJs(qmlEngine(this), name.toString(), args));
    }
    forwardCommitted();
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
        qmlWarning(this) << notReady("query");
        return {};
    }
    // As LiveQuery reads its binds: an object names them, an array numbers them, and a single
    // value is the one bind.
    Query q;
    switch (binds.typeId()) {
    case QMetaType::UnknownType:
        q = Query::sql(sql);
        break;
    case QMetaType::QVariantMap:
        q = Query::sql(sql, binds.toMap());
        break;
    case QMetaType::QVariantList:
    case QMetaType::QStringList:
        q = Query::sql(sql, binds.toList());
        break;
    default:
        q = Query::sql(sql, QVariantList{binds});
        break;
    }
    const QueryResult r = m_store->query(q);
    if (!r.isValid()) {
        setError(r.errorString());
        qmlWarning(this) << "query failed: " << r.errorString();
        return {};
    }
    // SQL NULL as JavaScript null, as LiveQuery gives it (an invalid QVariant would be undefined).
    const QStringList &columns = r.columns();
    QVariantList rows;
    rows.reserve(r.rowCount());
    for (const QVariantList &values : r.rows()) {
        QVariantMap row;
        for (qsizetype c = 0; c < columns.size(); ++c) {
            const QVariant value = values.value(c);
            row.insert(columns.at(c), value.isValid() ? value : QVariant::fromValue(nullptr));
        }
        rows.append(row);
    }
    return rows;
}

} // namespace LiveStore
