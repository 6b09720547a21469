// SPDX-License-Identifier: BSD-3-Clause
// A SyncStorage that forwards every call to another one and counts the calls, so that a test can
// tell which requests reached the storage at all. It can also hold back storeAdvanced()
// notifications, to give the server a stale view of a shared database on purpose.
#ifndef LIVESTORE_TESTS_COUNTINGSYNCSTORAGE_H
#define LIVESTORE_TESTS_COUNTINGSYNCSTORAGE_H

#include <syncstorage.h>

#include <QtCore/qlist.h>

#include <utility>

class CountingSyncStorage : public LiveStore::SyncStorage
{
public:
    explicit CountingSyncStorage(LiveStore::SyncStorage *inner) : m_inner(inner)
    {
        connect(inner, &SyncStorage::storeAdvanced, this, [this](const QString &storeId, qint64 head) {
            if (holdNotifications)
                held.append({storeId, head});
            else
                Q_EMIT storeAdvanced(storeId, head);
        });
        connect(inner, &SyncStorage::storesMayHaveAdvanced, this, &SyncStorage::storesMayHaveAdvanced);
    }

    struct Calls
    {
        int store = 0;
        int findStore = 0;
        int append = 0;
        int read = 0;
        int count = 0;
        int total() const { return store + findStore + append + read + count; }
    };
    Calls calls;

    // While set, storeAdvanced() of the inner storage is kept in `held` instead of passed on.
    bool holdNotifications = false;
    QList<std::pair<QString, qint64>> held;

    void releaseNotifications()
    {
        holdNotifications = false;
        for (const auto &[storeId, head] : std::exchange(held, {}))
            Q_EMIT storeAdvanced(storeId, head);
    }

    std::optional<StoreInfo> store(const QString &storeId) override
    {
        ++calls.store;
        return keepError(m_inner->store(storeId));
    }
    std::optional<StoreInfo> findStore(const QString &storeId) override
    {
        ++calls.findStore;
        return keepError(m_inner->findStore(storeId));
    }
    AppendResult append(const QString &storeId, const QList<LiveStore::Wire::Event> &batch,
                        const QString &createdAt) override
    {
        ++calls.append;
        const AppendResult result = m_inner->append(storeId, batch, createdAt);
        setErrorString(m_inner->errorString());
        return result;
    }
    std::optional<QList<StoredEvent>> read(const QString &storeId, qint64 after, qint64 upTo,
                                           int limit) override
    {
        ++calls.read;
        return keepError(m_inner->read(storeId, after, upTo, limit));
    }
    std::optional<qint64> count(const QString &storeId, qint64 after, qint64 upTo) override
    {
        ++calls.count;
        return keepError(m_inner->count(storeId, after, upTo));
    }
    QString description() const override { return m_inner->description(); }

private:
    template<typename T>
    T keepError(T value)
    {
        setErrorString(m_inner->errorString());
        return value;
    }

    LiveStore::SyncStorage *m_inner;
};

#endif // LIVESTORE_TESTS_COUNTINGSYNCSTORAGE_H
