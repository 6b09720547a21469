// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_POSTGRESSYNCSTORAGE_H
#define LIVESTORE_POSTGRESSYNCSTORAGE_H

#include "syncstorage.h"

#include <memory>

namespace LiveStore {

// Storage in a PostgreSQL database, through Qt SQL's QPSQL driver, for several server processes
// sharing one database. Same tables as SqliteSyncStorage (`stores`, `events`); see
// docs/sync-server.md.
//
// The head check is the database's: append() moves the head with a conditional UPDATE in a
// transaction, so two processes can never both accept a push on the same head. Every process
// LISTENs on the channel `livestore_events`; an append NOTIFYs it (delivered on commit), and the
// other processes emit storeAdvanced() so that their live pulls fetch the new events.
//
// A lost connection (a database restart) fails the calls in flight (errorString(),
// AppendResult::Failed) and is re-established on the next call, or by a timer within about a
// second; notifications missed meanwhile are made good by storesMayHaveAdvanced().
//
// Qt SQL is synchronous: every call blocks the server's thread for its round trips.
class LIVESTORESYNCSERVER_EXPORT PostgresSyncStorage : public SyncStorage
{
    Q_OBJECT
public:
    explicit PostgresSyncStorage(QObject *parent = nullptr);
    ~PostgresSyncStorage() override;

    // `postgresql://user:password@host:port/database?option=value&...` (or `postgres://`): user,
    // password, host, port and database may each be left out (libpq's defaults and PGPASSWORD or
    // ~/.pgpass apply); query items are libpq connection parameters (sslmode, connect_timeout,
    // options, host=/unix/socket/dir, ...). Connects, and creates the tables if they are missing.
    // Fails when the database cannot be reached or holds tables of another kind.
    bool open(const QString &connectionUrl);
    void close();
    // Configured by a successful open() (the connection itself may be down for a while).
    bool isOpen() const;
    bool isConnected() const;

    std::optional<StoreInfo> store(const QString &storeId) override;
    std::optional<StoreInfo> findStore(const QString &storeId) override;
    AppendResult append(const QString &storeId, const QList<Wire::Event> &batch,
                        const QString &createdAt) override;
    std::optional<QList<StoredEvent>> read(const QString &storeId, qint64 after, qint64 upTo,
                                           int limit) override;
    std::optional<qint64> count(const QString &storeId, qint64 after, qint64 upTo) override;
    // "PostgreSQL host:port/database"; never the password.
    QString description() const override;

    // The channel appends are announced on.
    static QString notificationChannel();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace LiveStore

#endif // LIVESTORE_POSTGRESSYNCSTORAGE_H
