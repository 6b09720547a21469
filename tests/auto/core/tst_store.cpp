// SPDX-License-Identifier: BSD-3-Clause
#include "todoschema.h"

#include <store.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <sqlite3.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

class tst_Store : public QObject
{
    Q_OBJECT

private:
    StoreOptions options(const QString &dir, bool cpp = false)
    {
        StoreOptions o;
        o.storeId = u"todos-test"_s;
        o.schema = todoSchema(cpp);
        o.directory = dir;
        return o;
    }
    static qint64 todoCount(Store &store)
    {
        return store.query(Query::from(u"todos"_s).count()).scalar().toLongLong();
    }

private Q_SLOTS:
    void commitAndQuery_data()
    {
        QTest::addColumn<bool>("cpp");
        QTest::newRow("sql materializers") << false;
        QTest::newRow("c++ materializers") << true;
    }
    void commitAndQuery()
    {
        QFETCH(bool, cpp);
        QTemporaryDir dir;
        Store store;
        QVERIFY2(store.open(options(dir.path(), cpp)), qPrintable(store.errorString()));
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"Buy milk"_s}}));
        QVERIFY(store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"a"_s}}));
        const QueryResult r = store.query(Query::from(u"todos"_s));
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.rowCount(), 1);
        QCOMPARE(r.value(0, u"text"), QVariant(u"Buy milk"_s));
        // Boolean columns come back as bool, nullable NULL as a null QVariant.
        QCOMPARE(r.value(0, u"completed").typeId(), QMetaType::Bool);
        QCOMPARE(r.value(0, u"completed").toBool(), true);
        QVERIFY(r.value(0, u"deletedAt").isNull());
        QCOMPARE(store.head(), (SequenceNumber{2, 0, 0}));
        QCOMPARE(store.eventCount(), 2);
        const QList<EventRecord> events = store.events();
        QCOMPARE(events.size(), 2);
        QCOMPARE(events.at(0).name, u"v1.TodoCreated"_s);
        QCOMPARE(events.at(0).seqNum, (SequenceNumber{1, 0, 0}));
        QCOMPARE(events.at(0).parentSeqNum, SequenceNumber::root());
        QCOMPARE(events.at(1).parentSeqNum, (SequenceNumber{1, 0, 0}));
        QCOMPARE(events.at(0).clientId, store.clientId());
        QVERIFY(store.verify());
    }

    void batchIsAtomic()
    {
        QTemporaryDir dir;
        Store store;
        QVERIFY(store.open(options(dir.path())));
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        // The second event collides with the first todo: the whole batch is rejected.
        const bool ok = store.commit(QList<Event>{
                {u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}},
                {u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"dup"_s}}}});
        QVERIFY(!ok);
        QVERIFY2(store.errorString().contains(u"UNIQUE constraint failed: todos.id"_s), qPrintable(store.errorString()));
        QVERIFY(store.errorString().contains(u"v1.TodoCreated"_s));
        QCOMPARE(todoCount(store), 1);
        QCOMPARE(store.eventCount(), 1);
        QCOMPARE(store.head(), (SequenceNumber{1, 0, 0}));
        // Still usable, and numbering continues without a gap.
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}));
        QCOMPARE(store.head(), (SequenceNumber{2, 0, 0}));
        QVERIFY(store.verify());
    }

    void badEvents_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QVariantMap>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("unknown event") << u"v1.Nope"_s << QVariantMap{}
                                       << u"unknown event \"v1.Nope\": it is not defined in the schema"_s;
        QTest::newRow("missing arg") << u"v1.TodoCreated"_s << QVariantMap{{u"id"_s, u"a"_s}}
                                     << u"event \"v1.TodoCreated\": missing argument \"text\" (string)"_s;
        QTest::newRow("wrong type") << u"v1.TodoCreated"_s
                                    << QVariantMap{{u"id"_s, 5}, {u"text"_s, u"x"_s}}
                                    << u"event \"v1.TodoCreated\": argument \"id\" must be a string, got an integer"_s;
        QTest::newRow("unknown arg") << u"v1.TodoCompleted"_s
                                     << QVariantMap{{u"id"_s, u"a"_s}, {u"when"_s, 1}}
                                     << u"event \"v1.TodoCompleted\": unknown argument \"when\" (arguments: id)"_s;
        QTest::newRow("fractional integer") << u"v1.TodoDeleted"_s
                                            << QVariantMap{{u"id"_s, u"a"_s}, {u"deletedAt"_s, 1.5}}
                                            << u"event \"v1.TodoDeleted\": argument \"deletedAt\" must be an integer, got a number"_s;
        QTest::newRow("null not nullable") << u"v1.TodoCompleted"_s
                                           << QVariantMap{{u"id"_s, QVariant::fromValue(nullptr)}}
                                           << u"event \"v1.TodoCompleted\": argument \"id\" must not be null"_s;
    }
    void badEvents()
    {
        QFETCH(QString, name);
        QFETCH(QVariantMap, args);
        QFETCH(QString, error);
        QTemporaryDir dir;
        Store store;
        QVERIFY(store.open(options(dir.path())));
        QSignalSpy committed(&store, &Store::committed);
        QVERIFY(!store.commit(name, args));
        QCOMPARE(store.errorString(), error);
        QCOMPARE(store.eventCount(), 0);
        QCOMPARE(todoCount(store), 0);
        QCOMPARE(committed.size(), 0);
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
    }

    void persistsAcrossReopen()
    {
        QTemporaryDir dir;
        QString clientId;
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            clientId = store.clientId();
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
            QVERIFY(store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
        }
        Store store;
        QVERIFY(store.open(options(dir.path())));
        QCOMPARE(store.clientId(), clientId);
        QCOMPARE(todoCount(store), 1);
        // The client-only Set event numbers e1.1 on top of e1.
        QCOMPARE(store.head(), (SequenceNumber{1, 1, 0}));
        const QJsonObject ui = store.clientDocument(u"uiState"_s);
        QCOMPARE(ui.value(u"filter"_s).toString(), u"active"_s);
        QCOMPARE(ui.value(u"newTodoText"_s).toString(), u""_s);
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}));
        QCOMPARE(store.head(), (SequenceNumber{2, 0, 0}));
        const QList<EventRecord> events = store.events();
        QCOMPARE(events.at(2).parentSeqNum, (SequenceNumber{1, 0, 0}));
    }

    void clientDocumentPartialMerge()
    {
        Store store;
        StoreOptions o = options({});
        o.inMemory = true;
        QVERIFY(store.open(o));
        QCOMPARE(store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"all"_s);
        QVERIFY(store.setClientDocument(u"uiState"_s, {{u"newTodoText"_s, u"hel"_s}}));
        QVERIFY(store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"completed"_s}}));
        const QJsonObject ui = store.clientDocument(u"uiState"_s);
        QCOMPARE(ui.value(u"newTodoText"_s).toString(), u"hel"_s);
        QCOMPARE(ui.value(u"filter"_s).toString(), u"completed"_s);
        QVERIFY(!store.setClientDocument(u"nope"_s, {}));
        QCOMPARE(store.errorString(), u"unknown client document \"nope\""_s);
    }

    void refusesForeignFiles()
    {
        QTemporaryDir dir;
        // Not SQLite at all.
        QFile garbage(dir.filePath(u"store.db"_s));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write(QByteArray(8192, 'x'));
        garbage.close();
        Store store;
        QVERIFY(!store.open(options(dir.path())));
        QVERIFY2(store.errorString().contains(u"is not a LiveStore store"_s), qPrintable(store.errorString()));
        QFile check(dir.filePath(u"store.db"_s));
        QVERIFY(check.open(QIODevice::ReadOnly));
        QCOMPARE(check.readAll(), QByteArray(8192, 'x'));
    }

    void refusesOtherSqliteDatabase()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"store.db"_s);
        sqlite3 *raw = nullptr;
        QCOMPARE(sqlite3_open(path.toUtf8().constData(), &raw), SQLITE_OK);
        QCOMPARE(sqlite3_exec(raw, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x')",
                              nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);
        const QByteArray before = readAll(path);
        Store store;
        QVERIFY(!store.open(options(dir.path())));
        QVERIFY2(store.errorString().contains(u"is not a LiveStore store (it is an SQLite database of another application)"_s),
                 qPrintable(store.errorString()));
        QCOMPARE(readAll(path), before);
        QVERIFY(!QFile::exists(path + u"-wal"_s));

        // An empty file is an empty SQLite database: a store may be created in it.
        QTemporaryDir empty;
        {
            QFile f(empty.filePath(u"store.db"_s));
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        QVERIFY2(store.open(options(empty.path())), qPrintable(store.errorString()));
    }

    void refusesNewerFormat()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        }
        // Bump the format version behind the store's back.
        QVERIFY(setUserVersion(dir.filePath(u"store.db"_s), 99));
        const QByteArray before = readAll(dir.filePath(u"store.db"_s));
        Store store;
        QVERIFY(!store.open(options(dir.path())));
        QVERIFY2(store.errorString().contains(u"storage format 99, newer than this build reads (1)"_s),
                 qPrintable(store.errorString()));
        QCOMPARE(readAll(dir.filePath(u"store.db"_s)), before);
    }

    void storeIdIsChecked()
    {
        QTemporaryDir dir;
        Store store;
        StoreOptions o = options(dir.path());
        o.storeId = u"bad id!"_s;
        QVERIFY(!store.open(o));
        QCOMPARE(store.errorString(), u"invalid store id \"bad id!\": use letters, digits, '_' and '-' only"_s);
        o.storeId = u"one"_s;
        QVERIFY(store.open(o));
        store.close();
        o.storeId = u"two"_s;
        QVERIFY(!store.open(o));
        QVERIFY2(store.errorString().contains(u"holds store \"one\", not \"two\""_s), qPrintable(store.errorString()));
    }

    void secondProcessIsLockedOut()
    {
        QTemporaryDir dir;
        Store first;
        QVERIFY(first.open(options(dir.path())));
        Store second;
        QVERIFY(!second.open(options(dir.path())));
        QVERIFY2(second.errorString().contains(u"is already open in this process"_s), qPrintable(second.errorString()));
        QVERIFY(first.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
    }

    // A process killed between creating its lock file and writing its pid into it leaves an
    // empty lock: the next open removes it once it is old enough to belong to no live opener.
    void emptyLockFileOfAKilledProcess()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        }
        for (const bool old : {true, false}) {
            QFile lockFile(dir.filePath(u"store.lock"_s));
            QVERIFY(lockFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
            if (old)
                QVERIFY(lockFile.setFileTime(QDateTime::currentDateTime().addSecs(-60),
                                             QFileDevice::FileModificationTime));
            lockFile.close();
            Store store;
            QVERIFY2(store.open(options(dir.path())), qPrintable(store.errorString()));
            QCOMPARE(store.eventCount(), 1);
        }
        // A lock that names a live owner still refuses.
        Store first;
        QVERIFY(first.open(options(dir.path())));
        Store second;
        QVERIFY(!second.open(options(dir.path())));
    }

    void queriesOnlyRead()
    {
        Store store;
        StoreOptions o = options({});
        o.inMemory = true;
        QVERIFY(store.open(o));
        const QueryResult r = store.query(u"DELETE FROM todos"_s);
        QVERIFY(!r.isValid());
        QCOMPARE(r.errorString(), u"queries only read; change the state by committing events"_s);
        const QueryResult bad = store.query(Query::from(u"todos"_s).where(u"nope"_s, 1));
        QCOMPARE(bad.errorString(), u"unknown column \"nope\" in table \"todos\""_s);
        const QueryResult syntax = store.query(u"SELEC 1"_s);
        QVERIFY(!syntax.isValid());
        QVERIFY(syntax.errorString().contains(u"syntax error"_s));
    }

private:
    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    static bool setUserVersion(const QString &path, int version)
    {
        // Header bytes 60..63 hold user_version (big-endian).
        QFile f(path);
        if (!f.open(QIODevice::ReadWrite))
            return false;
        f.seek(60);
        const char bytes[4] = {char(version >> 24), char(version >> 16), char(version >> 8), char(version)};
        return f.write(bytes, 4) == 4;
    }
};

QTEST_GUILESS_MAIN(tst_Store)
#include "tst_store.moc"
