// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SQLITESYNCSTORAGE_H
#define LIVESTORE_SQLITESYNCSTORAGE_H

#include "syncstorage.h"

#include <memory>

namespace LiveStore {

// The default storage: one SQLite database, <directory>/sync.db, through Qt SQL's QSQLITE driver.
// All stores share it: a `stores` table (storeId, backendId, head) and an `events` table keyed by
// (storeId, seqNum). See docs/sync-server.md for the layout.
//
// One process per directory: open() takes <directory>/sync.lock. Writes use WAL with
// synchronous=FULL, so an accepted push survives a power loss: clients treat events they pulled as
// confirmed for good, and a server that lost them would refuse those clients' later pushes forever.
class LIVESTORESYNCSERVER_EXPORT SqliteSyncStorage : public SyncStorage
{
    Q_OBJECT
public:
    explicit SqliteSyncStorage(QObject *parent = nullptr);
    ~SqliteSyncStorage() override;

    // Creates the directory and the database as needed. Fails (see errorString()) when another
    // process holds the directory, or when sync.db is not a sync database of this format.
    bool open(const QString &directory);
    void close();
    bool isOpen() const;
    QString databasePath() const;

    std::optional<StoreInfo> store(const QString &storeId) override;
    std::optional<StoreInfo> findStore(const QString &storeId) override;
    AppendResult append(const QString &storeId, const QList<Wire::Event> &batch,
                        const QString &createdAt) override;
    std::optional<QList<StoredEvent>> read(const QString &storeId, qint64 after, qint64 upTo,
                                           int limit) override;
    std::optional<qint64> count(const QString &storeId, qint64 after, qint64 upTo) override;
    QString description() const override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace LiveStore

#endif // LIVESTORE_SQLITESYNCSTORAGE_H
