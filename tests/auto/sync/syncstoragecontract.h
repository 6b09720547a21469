// SPDX-License-Identifier: BSD-3-Clause
// What every SyncStorage promises, as Qt Test functions shared by the storage tests: a test class
// derives from SyncStorageContract, says how to make an empty storage and how to open the same
// data again, and adds the tests of its own kind. The contract: store creation and backend ids,
// the atomic head check, reads and counts, args kept byte for byte, persistence, no
// storeAdvanced() for a storage's own writes. appendThroughput prints (does not assert) how fast
// appends are.
#ifndef LIVESTORE_SYNCSTORAGECONTRACT_H
#define LIVESTORE_SYNCSTORAGECONTRACT_H

#include <syncstorage.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qregularexpression.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

namespace StorageTest {

inline LiveStore::Wire::Event ev(qint64 seq, const QByteArray &args = R"({"n":1})",
                                 const QString &clientId = QStringLiteral("c"))
{
    LiveStore::Wire::Event e;
    e.name = QStringLiteral("v1.Test");
    e.argsJson = args;
    e.seqNum = seq;
    e.parentSeqNum = seq - 1;
    e.clientId = clientId;
    e.sessionId = QStringLiteral("s");
    return e;
}

inline QList<LiveStore::Wire::Event> chain(qint64 first, int count,
                                           const QString &clientId = QStringLiteral("c"))
{
    QList<LiveStore::Wire::Event> out;
    for (int i = 0; i < count; ++i)
        out.append(ev(first + i, R"({"n":1})", clientId));
    return out;
}

// JSON texts a client may send, each to come back exactly: no normalization of whitespace, key
// order, number spelling or escapes, and nothing that trips SQL quoting.
inline QList<QByteArray> awkwardArgs()
{
    return {
        R"({"z":1, "a":[1.50,2e3]})",
        "null",
        {}, // no args at all
        "\"\xc3\xa9\\u00e9\"",
        R"({"big":123456789012345678901234567890,"neg":-0.0,"tiny":1e-400,"huge":1E+400})",
        R"({"quote":"it's","sql":"'); DROP TABLE events; --","dollar":"$$ $1 ?","semi":";"})",
        R"({"backslash":"a\\b\\'c\"d","escapes":"\n\t\r\b\f\/\u0000\u001f"})",
        "{\"cjk\":\"\xe6\x97\xa5\xe6\x9c\xac\",\"emoji\":\"\xf0\x9f\x98\x80\",\"sep\":\"\xe2\x80\xa8\"}",
        R"({"lone":"\ud800","pair":"\ud83d\ude00"})",
        "  {\n\t\"spaced\" :  [ 1 , 2 ]\r\n}  ",
        "{}",
        "[]",
        "\"\"",
        "0",
        "true",
        "{\"long\":\"" + QByteArray(200'000, 'x') + "\"}",
    };
}

} // namespace StorageTest

class SyncStorageContract : public QObject
{
    Q_OBJECT
protected:
    // An empty storage of its own (a fresh directory or database); nullptr after a failure, with
    // the reason in m_setupError.
    virtual std::unique_ptr<LiveStore::SyncStorage> createStorage() = 0;
    // The data of the last createStorage() opened again (that storage has been destroyed).
    virtual std::unique_ptr<LiveStore::SyncStorage> reopenStorage() = 0;
    virtual QString kind() const = 0;

    QString m_setupError;

private Q_SLOTS:
    void storesAndBackendIds()
    {
        const auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        const auto a = storage->store(QStringLiteral("a"));
        QVERIFY2(a, qPrintable(storage->errorString()));
        QCOMPARE(a->head, 0);
        QVERIFY(QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]{21}$")).match(a->backendId).hasMatch());
        QCOMPARE(storage->store(QStringLiteral("a"))->backendId, a->backendId);
        QVERIFY(storage->store(QStringLiteral("b"))->backendId != a->backendId);
        QVERIFY(LiveStore::SyncStorage::newBackendId() != LiveStore::SyncStorage::newBackendId());
    }

    void findStoreCreatesNothing()
    {
        auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        // Not there: reported with the id it will get, and still not there afterwards.
        const auto unknown = storage->findStore(QStringLiteral("u"));
        QVERIFY2(unknown, qPrintable(storage->errorString()));
        QCOMPARE(unknown->exists, false);
        QCOMPARE(unknown->head, 0);
        QVERIFY(QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]{21}$")).match(unknown->backendId).hasMatch());
        QCOMPARE(unknown->backendId, storage->backendIdFor(QStringLiteral("u")));
        QCOMPARE(storage->findStore(QStringLiteral("u"))->exists, false);
        QVERIFY(storage->findStore(QStringLiteral("v"))->backendId != unknown->backendId);
        // Created with exactly that id.
        const auto created = storage->store(QStringLiteral("u"));
        QVERIFY(created);
        QVERIFY(created->exists);
        QCOMPARE(created->backendId, unknown->backendId);
        QCOMPARE(storage->findStore(QStringLiteral("u"))->exists, true);
        // The same ids after a restart: a client that pulled an unknown store before the restart
        // pushes to it afterwards with the id it got.
        const QString before = storage->findStore(QStringLiteral("w"))->backendId;
        storage.reset();
        storage = reopenStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        QCOMPARE(storage->findStore(QStringLiteral("w"))->backendId, before);
        QCOMPARE(storage->findStore(QStringLiteral("w"))->exists, false);
        QCOMPARE(storage->findStore(QStringLiteral("u"))->backendId, created->backendId);
        // Another database derives other ids.
        storage.reset();
        const auto other = createStorage();
        QVERIFY2(other, qPrintable(m_setupError));
        QVERIFY(other->findStore(QStringLiteral("w"))->backendId != before);
    }

    void appendChecksHead()
    {
        using Status = LiveStore::SyncStorage::AppendResult::Status;
        using StorageTest::chain;
        const auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        QVERIFY(storage->store(QStringLiteral("s")));
        auto r = storage->append(QStringLiteral("s"), chain(1, 3), QStringLiteral("2026-01-01T00:00:00.000Z"));
        QCOMPARE(r.status, Status::Appended);
        QCOMPARE(r.head, 3);
        // Stale and future parents change nothing.
        r = storage->append(QStringLiteral("s"), chain(2, 2), QStringLiteral("t"));
        QCOMPARE(r.status, Status::ServerAhead);
        QCOMPARE(r.head, 3);
        r = storage->append(QStringLiteral("s"), chain(7, 1), QStringLiteral("t"));
        QCOMPARE(r.status, Status::ServerAhead);
        QCOMPARE(r.head, 3);
        QCOMPARE(storage->store(QStringLiteral("s"))->head, 3);
        QCOMPARE(*storage->count(QStringLiteral("s"), 0, 100), 3);
        // Stores do not see each other's heads.
        QVERIFY(storage->store(QStringLiteral("t")));
        QCOMPARE(storage->append(QStringLiteral("t"), chain(1, 1), QStringLiteral("t")).status,
                 Status::Appended);
        QCOMPARE(storage->store(QStringLiteral("s"))->head, 3);
        // An append to a store that does not exist changes nothing and creates nothing (the
        // server creates the store first, when the push may start its log).
        r = storage->append(QStringLiteral("fresh"), chain(1, 2), QStringLiteral("t"));
        QCOMPARE(r.status, Status::ServerAhead);
        QCOMPARE(r.head, 0);
        QCOMPARE(storage->findStore(QStringLiteral("fresh"))->exists, false);
        QVERIFY(storage->store(QStringLiteral("fresh")));
        QCOMPARE(storage->append(QStringLiteral("fresh"), chain(1, 2), QStringLiteral("t")).status,
                 Status::Appended);
        QCOMPARE(storage->store(QStringLiteral("fresh"))->head, 2);
    }

    void readAndCount()
    {
        using Status = LiveStore::SyncStorage::AppendResult::Status;
        using StorageTest::chain;
        const auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        const QString s = QStringLiteral("s");
        QVERIFY(storage->store(s));
        for (int first = 1; first <= 300; first += 100)
            QCOMPARE(storage->append(s, chain(first, 100), QStringLiteral("t%1").arg(first)).status,
                     Status::Appended);
        const auto page = storage->read(s, 50, 300, 10);
        QVERIFY(page);
        QCOMPARE(page->size(), 10);
        QCOMPARE(page->first().event.seqNum, 51);
        QCOMPARE(page->first().event.parentSeqNum, 50);
        QCOMPARE(page->last().event.seqNum, 60);
        QCOMPARE(page->first().createdAt, QStringLiteral("t1"));
        QCOMPARE(page->first().event, StorageTest::ev(51));
        const auto bounded = storage->read(s, 250, 255, 100);
        QCOMPARE(bounded->size(), 5);
        QCOMPARE(bounded->last().event.seqNum, 255);
        QCOMPARE(bounded->last().createdAt, QStringLiteral("t201"));
        const auto all = storage->read(s, 0, 300, 1000);
        QCOMPARE(all->size(), 300);
        for (qsizetype i = 0; i < all->size(); ++i)
            QCOMPARE(all->at(i).event.seqNum, i + 1);
        QCOMPARE(*storage->count(s, 0, 300), 300);
        QCOMPARE(*storage->count(s, 100, 150), 50);
        QCOMPARE(*storage->count(s, 300, 1000), 0);
        QCOMPARE(storage->read(QStringLiteral("unknown"), 0, 10, 10)->size(), 0);
        QCOMPARE(*storage->count(QStringLiteral("unknown"), 0, 10), 0);
    }

    void argsKeptExactly()
    {
        const auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        QVERIFY(storage->store(QStringLiteral("s")));
        QList<LiveStore::Wire::Event> batch;
        const QList<QByteArray> args = StorageTest::awkwardArgs();
        for (const QByteArray &a : args)
            batch.append(StorageTest::ev(batch.size() + 1, a));
        // The other text columns too: quotes, backslashes, non-ASCII, empty.
        batch[0].name = QStringLiteral("v1.It's \"quoted\" \\ é 日本 😀");
        batch[0].clientId = QStringLiteral("client-'; --");
        batch[0].sessionId = QStringLiteral(""); // empty, as the wire decodes "" (not null)
        batch[1].clientId = QStringLiteral("\\x27");
        QCOMPARE(storage->append(QStringLiteral("s"), batch, QStringLiteral("t")).status,
                 LiveStore::SyncStorage::AppendResult::Status::Appended);
        const auto back = storage->read(QStringLiteral("s"), 0, 100, 100);
        QVERIFY(back);
        QCOMPARE(back->size(), batch.size());
        for (qsizetype i = 0; i < batch.size(); ++i) {
            QCOMPARE(back->at(i).event.argsJson, batch.at(i).argsJson);
            QCOMPARE(back->at(i).event, batch.at(i));
        }
        QVERIFY(!back->at(2).event.hasArgs());
        QVERIFY(back->at(1).event.hasArgs());
        QVERIFY(back->at(0).event.sessionId.isEmpty());
    }

    void persistsAcrossReopen()
    {
        using Status = LiveStore::SyncStorage::AppendResult::Status;
        QString backendId;
        {
            const auto storage = createStorage();
            QVERIFY2(storage, qPrintable(m_setupError));
            backendId = storage->store(QStringLiteral("s"))->backendId;
            QCOMPARE(storage->append(QStringLiteral("s"), StorageTest::chain(1, 5), QStringLiteral("t")).status,
                     Status::Appended);
        }
        const auto storage = reopenStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        QCOMPARE(storage->store(QStringLiteral("s"))->backendId, backendId);
        QCOMPARE(storage->store(QStringLiteral("s"))->head, 5);
        QCOMPARE(storage->append(QStringLiteral("s"), StorageTest::chain(6, 1), QStringLiteral("t")).status,
                 Status::Appended);
        QCOMPARE(storage->read(QStringLiteral("s"), 0, 10, 10)->size(), 6);
    }

    void ownWritesNotAnnounced()
    {
        // storeAdvanced() is for what others wrote: the server publishes its own pushes itself.
        const auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        QSignalSpy advanced(storage.get(), &LiveStore::SyncStorage::storeAdvanced);
        QVERIFY(storage->store(QStringLiteral("s")));
        QCOMPARE(storage->append(QStringLiteral("s"), StorageTest::chain(1, 3), QStringLiteral("t")).status,
                 LiveStore::SyncStorage::AppendResult::Status::Appended);
        QTest::qWait(200);
        QCOMPARE(advanced.size(), 0);
    }

    void appendThroughput_data()
    {
        QTest::addColumn<int>("batchSize");
        QTest::newRow("batch 1") << 1;
        QTest::newRow("batch 10") << 10;
        QTest::newRow("batch 100") << 100;
    }

    void appendThroughput()
    {
        QFETCH(int, batchSize);
        const auto storage = createStorage();
        QVERIFY2(storage, qPrintable(m_setupError));
        QVERIFY(storage->store(QStringLiteral("bench")));
        // Events of a realistic size (a todo), appended for a fixed time.
        constexpr qint64 BudgetMs = 400;
        qint64 head = 0;
        int appends = 0;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < BudgetMs) {
            QList<LiveStore::Wire::Event> batch;
            for (int i = 0; i < batchSize; ++i) {
                ++head;
                batch.append(StorageTest::ev(
                        head, R"({"id":"todo-)" + QByteArray::number(head)
                                      + R"(","text":"Buy milk, eggs and bread before the shop closes"})"));
            }
            const auto r = storage->append(QStringLiteral("bench"), batch, QStringLiteral("t"));
            QCOMPARE(r.status, LiveStore::SyncStorage::AppendResult::Status::Appended);
            ++appends;
        }
        const double seconds = timer.nsecsElapsed() / 1e9;
        qInfo("%s append, batches of %d: %.0f events/s (%.0f appends/s, %.2f ms each)",
              qPrintable(kind()), batchSize, head / seconds, appends / seconds,
              seconds * 1000 / appends);
        QCOMPARE(*storage->count(QStringLiteral("bench"), 0, head), head);
    }
};

#endif // LIVESTORE_SYNCSTORAGECONTRACT_H
