// SPDX-License-Identifier: BSD-3-Clause
#include "todoschema.h"

#include <storeregistry.h>

#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

class tst_Registry : public QObject
{
    Q_OBJECT

private:
    static StoreOptions options(const QString &storeId)
    {
        StoreOptions o;
        o.storeId = storeId;
        o.schema = todoSchema();
        return o;
    }

private Q_SLOTS:
    void storesLiveUnderTheBaseDirectory()
    {
        QTemporaryDir dir;
        StoreRegistry registry;
        registry.setBaseDirectory(dir.path());
        QSignalSpy opened(&registry, &StoreRegistry::storeOpened);
        auto user = registry.getOrLoad(options(u"user"_s));
        auto work = registry.getOrLoad(options(u"workspace-a"_s));
        QVERIFY2(user && work, qPrintable(registry.errorString()));
        QCOMPARE(user->directory(), dir.filePath(u"user"_s));
        QCOMPARE(registry.count(), 2);
        QCOMPARE(opened.size(), 2);
        QVERIFY(work->commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        QCOMPARE(user->eventCount(), 0); // isolated stores
        // Asking again gives the same instance, without opening anything.
        QCOMPARE(registry.getOrLoad(options(u"workspace-a"_s)).get(), work.get());
        QCOMPARE(registry.get(u"user"_s).get(), user.get());
        QVERIFY(!registry.get(u"nope"_s));
        QCOMPARE(opened.size(), 2);
    }

    void asyncLoads()
    {
        QTemporaryDir dir;
        StoreRegistry registry;
        registry.setBaseDirectory(dir.path());
        QSignalSpy opened(&registry, &StoreRegistry::storeOpened);
        auto store = registry.getOrLoadAsync(options(u"user"_s));
        QVERIFY2(store, qPrintable(registry.errorString()));
        QVERIFY(store->isOpening());
        QCOMPARE(registry.count(), 1);
        QCOMPARE(opened.size(), 0);
        // A second asker gets the same store, still opening.
        QCOMPARE(registry.getOrLoadAsync(options(u"user"_s)).get(), store.get());
        QSignalSpy finished(store.get(), &Store::openFinished);
        QVERIFY(finished.wait(10'000));
        QVERIFY(store->isOpen());
        QCOMPARE(opened.size(), 1);
        QCOMPARE(opened.constFirst().constFirst().toString(), u"user"_s);

        // A synchronous asker takes an open in flight over and gets it open.
        auto other = registry.getOrLoadAsync(options(u"workspace"_s));
        QVERIFY(other && other->isOpening());
        QSignalSpy otherFinished(other.get(), &Store::openFinished);
        auto now = registry.getOrLoad(options(u"workspace"_s));
        QCOMPARE(now.get(), other.get());
        QVERIFY(now->isOpen());
        QCOMPARE(otherFinished.size(), 1);
        QCOMPARE(otherFinished.constFirst().constFirst().toBool(), true);
        QVERIFY(now->commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));

        // A failed open leaves the registry; its holder keeps the reason.
        QFile blocker(dir.filePath(u"broken"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly)); // a file where the store's folder would be
        blocker.close();
        auto broken = registry.getOrLoadAsync(options(u"broken"_s));
        QVERIFY(broken);
        QCOMPARE(registry.count(), 3);
        QSignalSpy brokenFinished(broken.get(), &Store::openFinished);
        QVERIFY(brokenFinished.wait(10'000));
        QVERIFY(!broken->isOpen());
        QVERIFY2(broken->errorString().contains(u"not a directory"_s), qPrintable(broken->errorString()));
        QCOMPARE(registry.count(), 2);
        QVERIFY(!registry.isLoaded(u"broken"_s));
    }

    void unusedStoresCloseAfterTheCacheTime()
    {
        QTemporaryDir dir;
        StoreRegistry registry;
        registry.setBaseDirectory(dir.path());
        registry.setUnusedCacheTime(50);
        QSignalSpy closed(&registry, &StoreRegistry::storeClosed);
        auto a = registry.getOrLoad(options(u"a"_s));
        auto a2 = a;
        a.reset();
        QTest::qWait(120);
        QCOMPARE(closed.size(), 0); // still held by a2
        a2.reset();
        QVERIFY(registry.isLoaded(u"a"_s)); // not at once: within the cache time it can be reused
        auto again = registry.getOrLoad(options(u"a"_s));
        again.reset();
        QTRY_COMPARE(closed.size(), 1);
        QCOMPARE(closed.first().first().toString(), u"a"_s);
        QVERIFY(!registry.isLoaded(u"a"_s));
        // Closed means the directory is free again for another opener.
        Store direct;
        StoreOptions o = options(u"a"_s);
        o.directory = dir.filePath(u"a"_s);
        QVERIFY2(direct.open(o), qPrintable(direct.errorString()));
    }

    void reuseCancelsTheClose()
    {
        QTemporaryDir dir;
        StoreRegistry registry;
        registry.setBaseDirectory(dir.path());
        registry.setUnusedCacheTime(80);
        QSignalSpy closed(&registry, &StoreRegistry::storeClosed);
        registry.getOrLoad(options(u"a"_s)).reset();
        QTest::qWait(30);
        auto held = registry.getOrLoad(options(u"a"_s));
        QTest::qWait(150);
        QCOMPARE(closed.size(), 0);
        QVERIFY(held->isOpen());
    }

    void negativeCacheTimeKeepsStoresOpen()
    {
        QTemporaryDir dir;
        StoreRegistry registry;
        registry.setBaseDirectory(dir.path());
        registry.setUnusedCacheTime(-1);
        QVERIFY(registry.preload(options(u"a"_s)));
        QTest::qWait(50);
        QVERIFY(registry.isLoaded(u"a"_s));
        registry.dispose();
        QCOMPARE(registry.count(), 0);
    }

    void storesOutliveTheRegistry()
    {
        QTemporaryDir dir;
        std::shared_ptr<Store> kept;
        {
            StoreRegistry registry;
            registry.setBaseDirectory(dir.path());
            kept = registry.getOrLoad(options(u"a"_s));
        }
        QVERIFY(kept->commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
    }

    void errors()
    {
        QTemporaryDir dir;
        StoreRegistry registry;
        QVERIFY(!registry.getOrLoad(options(u"a"_s)));
        QCOMPARE(registry.errorString(), u"store \"a\" has no directory and the registry has no base directory"_s);
        registry.setBaseDirectory(dir.path());
        QVERIFY(!registry.getOrLoad(options(u"../escape"_s)));
        QCOMPARE(registry.errorString(), u"invalid store id \"../escape\": use letters, digits, '_' and '-' only"_s);
        auto a = registry.getOrLoad(options(u"a"_s));
        QVERIFY(a);
        StoreOptions other = options(u"a"_s);
        other.schema = widerTodoSchema();
        QVERIFY(!registry.getOrLoad(other));
        QCOMPARE(registry.errorString(), u"store \"a\" is already open with a schema of other tables"_s);
        QCOMPARE(registry.count(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_Registry)
#include "tst_registry.moc"
