// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SYNCSTORAGE_H
#define LIVESTORE_SYNCSTORAGE_H

#include "livestoresyncserver_export.h"

#include <LiveStore/wireprotocol.h>

#include <QtCore/qobject.h>

#include <optional>

namespace LiveStore {

// Where the sync server keeps each store's events, head and backend id.
//
// The interface is shaped so that the head check is the storage's job, not the caller's: append()
// must check "the batch's first parent is the head" and write the batch in one atomic step. With
// SQLite in one process that is a transaction; with a database shared by several server processes
// (PostgresSyncStorage) it is the same conditional head update inside a transaction:
//     UPDATE stores SET head = <last seqNum> WHERE storeId = $s AND head = <first parentSeqNum>
//     -- 0 rows: ServerAhead; 1 row: INSERT the events, COMMIT
// so no in-memory head cache can make two servers accept conflicting pushes. (The server's hubs
// keep one only to refuse pushes below it without a transaction: heads only move forward, so a
// cached head may lag the storage's but never leads it, and a push it cannot refuse comes here.)
//
// Storages live in the server's thread. Functions report failure with nullopt (or
// AppendResult::Failed) and errorString().
class LIVESTORESYNCSERVER_EXPORT SyncStorage : public QObject
{
    Q_OBJECT
public:
    struct StoreInfo
    {
        QString backendId;
        qint64 head = 0;     // seqNum of the last event; 0 for an empty store
        bool exists = true;  // false: no such store yet (findStore() only)
    };

    struct StoredEvent
    {
        Wire::Event event;
        QString createdAt; // ISO time of the push that stored it
    };

    struct AppendResult
    {
        enum class Status { Appended, ServerAhead, Failed };
        Status status = Status::Failed;
        qint64 head = 0;  // the head after appending, or the head that refused the batch
        QString error;    // Failed: why
    };

    explicit SyncStorage(QObject *parent = nullptr);
    ~SyncStorage() override;

    // The store's backend id and head. A store is created on first use, with the backend id
    // backendIdFor(storeId) (so concurrent first uses, in any process, agree on it).
    virtual std::optional<StoreInfo> store(const QString &storeId) = 0;

    // As store(), but a store that does not exist is not created: it is reported with
    // exists == false, head 0 and the backend id it will be created with. The server answers
    // pulls of unknown stores with this, so that a pull leaves nothing behind in the storage (any
    // peer can pull any store id); the first push creates the store.
    virtual std::optional<StoreInfo> findStore(const QString &storeId) = 0;

    // Atomically: if batch[0].parentSeqNum equals the head, stores the batch with `createdAt` and
    // moves the head to the batch's last seqNum; otherwise changes nothing and reports
    // ServerAhead with the current head. The caller has checked that the batch is non-empty and
    // contiguous.
    virtual AppendResult append(const QString &storeId, const QList<Wire::Event> &batch,
                                const QString &createdAt) = 0;

    // Events with after < seqNum <= upTo, ascending, at most `limit`.
    virtual std::optional<QList<StoredEvent>> read(const QString &storeId, qint64 after,
                                                   qint64 upTo, int limit) = 0;

    // How many events have after < seqNum <= upTo.
    virtual std::optional<qint64> count(const QString &storeId, qint64 after, qint64 upTo) = 0;

    // For logs: "SQLite /var/lib/livestore/sync.db".
    virtual QString description() const = 0;

    QString errorString() const;

    // A fresh backend id: 21 random characters of [A-Za-z0-9_-], like nanoid().
    static QString newBackendId();

    // The backend id a store gets when it is created: 21 characters of [A-Za-z0-9_-] derived
    // (HMAC-SHA-256) from the store id and a random key the storage keeps with the data. So a
    // store that does not exist yet has the same id in every server process sharing the data and
    // after every restart (a client that pulled it before its first push finds it unchanged),
    // while another database, or the same one after its key row was deleted, hands out others.
    QString backendIdFor(const QString &storeId) const;

    // The row of the `stores` table that holds that key (its backendId column). Not a valid store
    // id, so no client can name it.
    static QString keyRowId();

Q_SIGNALS:
    // The head of `storeId` moved because of a write this process did not make (another server
    // sharing the database). The server then sends the new events to its live pulls. Storages that
    // cannot be shared never emit it.
    void storeAdvanced(const QString &storeId, qint64 head);

    // storeAdvanced() may have been missed (the connection to the shared database was lost and
    // is back): the server re-reads the head of every store it serves. Emitted from the event
    // loop, never from inside a storage call.
    void storesMayHaveAdvanced();

protected:
    void setErrorString(const QString &message);
    // Implementations load the key (creating it on first use) whenever they (re)connect.
    void setBackendIdKey(const QString &key);

private:
    QString m_errorString;
    QByteArray m_backendIdKey;
};

} // namespace LiveStore

#endif // LIVESTORE_SYNCSTORAGE_H
