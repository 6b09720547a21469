// SPDX-License-Identifier: BSD-3-Clause
#include "storeregistry.h"

#include "logging_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

// What a holder of a registry store really holds: the store plus a note to the registry when the
// last holder lets go. The store outlives the registry if someone still holds it.
struct Lease
{
    std::shared_ptr<Store> store;
    QPointer<StoreRegistry> registry;
    QString storeId;
    ~Lease();
};

} // namespace

class StoreRegistryPrivate
{
public:
    enum class Open { Now, OnWorker };
    std::shared_ptr<Store> load(StoreRegistry *q, const StoreOptions &options, Open how);

    struct Entry
    {
        std::shared_ptr<Store> store;
        StoreOptions options; // as opened (a synchronous caller may take over an async open)
        std::weak_ptr<Lease> lease;
        std::unique_ptr<QTimer> closeTimer;
    };

    std::shared_ptr<Store> hold(StoreRegistry *q, const QString &storeId, Entry &entry)
    {
        if (entry.closeTimer)
            entry.closeTimer->stop();
        std::shared_ptr<Lease> lease = entry.lease.lock();
        if (!lease) {
            lease = std::make_shared<Lease>();
            lease->store = entry.store;
            lease->registry = q;
            lease->storeId = storeId;
            entry.lease = lease;
        }
        return std::shared_ptr<Store>(lease, lease->store.get());
    }

    void released(StoreRegistry *q, const QString &storeId)
    {
        const auto it = entries.find(storeId);
        if (it == entries.end() || !it->second.lease.expired())
            return;
        if (unusedCacheTime < 0)
            return;
        Entry &entry = it->second;
        if (!entry.closeTimer) {
            entry.closeTimer = std::make_unique<QTimer>();
            entry.closeTimer->setSingleShot(true);
            QObject::connect(entry.closeTimer.get(), &QTimer::timeout, q,
                             [this, q, storeId] { closeIfUnused(q, storeId); });
        }
        entry.closeTimer->start(unusedCacheTime);
    }

    void closeIfUnused(StoreRegistry *q, const QString &storeId)
    {
        const auto it = entries.find(storeId);
        if (it == entries.end() || !it->second.lease.expired())
            return;
        qCDebug(lcStore) << "closing unused store" << storeId;
        // The entry owns the timer whose signal got us here: delete it later.
        if (it->second.closeTimer)
            it->second.closeTimer.release()->deleteLater();
        entries.erase(it);
        Q_EMIT q->storeClosed(storeId);
        Q_EMIT q->countChanged();
    }

    static void leaseReleased(StoreRegistry *q, const QString &storeId)
    {
        q->d->released(q, storeId);
    }

    QString baseDirectory;
    int unusedCacheTime = StoreRegistry::DefaultUnusedCacheTime;
    std::map<QString, Entry> entries;
    QString error;
};

Lease::~Lease()
{
    if (registry)
        StoreRegistryPrivate::leaseReleased(registry, storeId);
}

StoreRegistry::StoreRegistry(QObject *parent)
    : QObject(parent), d(std::make_unique<StoreRegistryPrivate>())
{
}

StoreRegistry::~StoreRegistry()
{
    for (auto &[id, entry] : d->entries) {
        if (entry.closeTimer)
            entry.closeTimer->stop();
    }
}

QString StoreRegistry::baseDirectory() const { return d->baseDirectory; }

void StoreRegistry::setBaseDirectory(const QString &directory)
{
    if (d->baseDirectory == directory)
        return;
    d->baseDirectory = directory;
    Q_EMIT baseDirectoryChanged();
}

int StoreRegistry::unusedCacheTime() const { return d->unusedCacheTime; }

void StoreRegistry::setUnusedCacheTime(int milliseconds)
{
    if (d->unusedCacheTime == milliseconds)
        return;
    d->unusedCacheTime = milliseconds;
    Q_EMIT unusedCacheTimeChanged();
}

std::shared_ptr<Store> StoreRegistry::getOrLoad(const StoreOptions &options)
{
    return d->load(this, options, StoreRegistryPrivate::Open::Now);
}

std::shared_ptr<Store> StoreRegistry::getOrLoadAsync(const StoreOptions &options)
{
    return d->load(this, options, StoreRegistryPrivate::Open::OnWorker);
}

std::shared_ptr<Store> StoreRegistryPrivate::load(StoreRegistry *q, const StoreOptions &options, Open how)
{
    error.clear();
    const auto existing = entries.find(options.storeId);
    if (existing != entries.end()) {
        Store *store = existing->second.store.get();
        if (store->schema().stateHash() != options.schema.stateHash()) {
            error = u"store \"%1\" is already open with a schema of other tables"_s.arg(options.storeId);
            return nullptr;
        }
        // A synchronous caller needs it open now: it takes over an open still running on a
        // worker (whose waiters hear the outcome through openFinished()).
        if (how == Open::Now && store->isOpening() && !store->open(existing->second.options)) {
            error = store->errorString();
            return nullptr;
        }
        return hold(q, options.storeId, existing->second);
    }
    StoreOptions effective = options;
    if (effective.directory.isEmpty() && !effective.inMemory) {
        if (baseDirectory.isEmpty()) {
            error = u"store \"%1\" has no directory and the registry has no base directory"_s.arg(options.storeId);
            return nullptr;
        }
        if (!isValidStoreId(options.storeId)) {
            error = u"invalid store id \"%1\": use letters, digits, '_' and '-' only"_s.arg(options.storeId);
            return nullptr;
        }
        effective.directory = QDir(baseDirectory).filePath(options.storeId);
    }
    auto store = std::make_shared<Store>();
    if (how == Open::Now ? !store->open(effective) : !store->openAsync(effective)) {
        error = store->errorString();
        return nullptr;
    }
    const QString storeId = options.storeId;
    if (how == Open::OnWorker) {
        // Announced once open; a failed open leaves the registry again (its holders keep the
        // closed store and its errorString()).
        QObject::connect(store.get(), &Store::openFinished, q, [this, q, storeId, raw = store.get()](bool ok) {
            const auto it = entries.find(storeId);
            if (it == entries.end() || it->second.store.get() != raw)
                return;
            if (ok) {
                Q_EMIT q->storeOpened(storeId);
            } else if (!raw->isOpening() && !raw->isOpen()) {
                if (it->second.closeTimer)
                    it->second.closeTimer.release()->deleteLater();
                entries.erase(it);
                Q_EMIT q->countChanged();
            }
        });
    }
    auto &entry = entries[storeId];
    entry.store = std::move(store);
    entry.options = effective;
    std::shared_ptr<Store> held = hold(q, storeId, entry);
    if (how == Open::Now)
        Q_EMIT q->storeOpened(storeId);
    Q_EMIT q->countChanged();
    return held;
}

std::shared_ptr<Store> StoreRegistry::get(const QString &storeId) const
{
    const auto it = d->entries.find(storeId);
    if (it == d->entries.end())
        return nullptr;
    return d->hold(const_cast<StoreRegistry *>(this), storeId, it->second);
}

bool StoreRegistry::preload(const StoreOptions &options)
{
    // Taking and dropping a hold starts the unused timer.
    return getOrLoad(options) != nullptr;
}

bool StoreRegistry::isLoaded(const QString &storeId) const
{
    return d->entries.count(storeId) > 0;
}

QStringList StoreRegistry::storeIds() const
{
    QStringList ids;
    for (const auto &[id, entry] : d->entries)
        ids.append(id);
    return ids;
}

int StoreRegistry::count() const
{
    return int(d->entries.size());
}

void StoreRegistry::dispose()
{
    const QStringList ids = storeIds();
    d->entries.clear();
    for (const QString &id : ids)
        Q_EMIT storeClosed(id);
    if (!ids.isEmpty())
        Q_EMIT countChanged();
}

QString StoreRegistry::errorString() const
{
    return d->error;
}

} // namespace LiveStore
