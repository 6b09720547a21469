// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_STOREREGISTRY_H
#define LIVESTORE_STOREREGISTRY_H

#include "livestore_export.h"
#include "store.h"

#include <QtCore/qobject.h>

#include <memory>

namespace LiveStore {

class StoreRegistryPrivate;

// Many stores open at once (a user store plus one per workspace, say), keyed by storeId. A store
// opens on first use and stays open while anyone holds the shared pointer getOrLoad() returned;
// after the last one is dropped it closes once `unusedCacheTime` has passed without new users.
class LIVESTORE_EXPORT StoreRegistry : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StoreRegistry)
    Q_PROPERTY(QString baseDirectory READ baseDirectory WRITE setBaseDirectory NOTIFY baseDirectoryChanged FINAL)
    Q_PROPERTY(int unusedCacheTime READ unusedCacheTime WRITE setUnusedCacheTime NOTIFY unusedCacheTimeChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
public:
    static constexpr int DefaultUnusedCacheTime = 60'000;

    explicit StoreRegistry(QObject *parent = nullptr);
    ~StoreRegistry() override;

    // Stores whose options name no directory (and are not in memory) live in
    // <baseDirectory>/<storeId>.
    QString baseDirectory() const;
    void setBaseDirectory(const QString &directory);

    // Milliseconds an unused store stays open; negative keeps it open until dispose().
    int unusedCacheTime() const;
    void setUnusedCacheTime(int milliseconds);

    // The open store for options.storeId, opening it if needed. Null on failure, with the reason
    // in errorString(). Asking again for an open store with a schema of other tables fails.
    std::shared_ptr<Store> getOrLoad(const StoreOptions &options);
    // As getOrLoad(), but a store that is not open yet opens on a worker thread
    // (Store::openAsync()): it comes back at once, isOpening() until its openFinished(), and
    // storeOpened() follows. A failed open leaves the registry again; its holders keep the closed
    // store with its errorString(). A later getOrLoad() of the same store takes the open over and
    // returns it open. Null only for what fails at once, with errorString().
    std::shared_ptr<Store> getOrLoadAsync(const StoreOptions &options);
    // The store if it is open; never opens one.
    std::shared_ptr<Store> get(const QString &storeId) const;
    // Opens the store without holding it: it closes after unusedCacheTime unless used.
    bool preload(const StoreOptions &options);

    bool isLoaded(const QString &storeId) const;
    QStringList storeIds() const;
    int count() const;
    // Closes every store nobody holds right now and forgets all others (they close with their
    // last holder).
    void dispose();

    QString errorString() const;

Q_SIGNALS:
    void baseDirectoryChanged();
    void unusedCacheTimeChanged();
    void countChanged();
    void storeOpened(const QString &storeId);
    void storeClosed(const QString &storeId);

private:
    friend class StoreRegistryPrivate;
    std::unique_ptr<StoreRegistryPrivate> d;
};

} // namespace LiveStore

#endif // LIVESTORE_STOREREGISTRY_H
