// SPDX-License-Identifier: BSD-3-Clause
#include "todoschema.h"

#include <store.h>

#include <QtCore/qbuffer.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qsysinfo.h>
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

    // eventsCommitted(): once per successful commit or import, with its number of events, after
    // committed().
    void eventsCommittedOncePerCommitOrImport()
    {
        QTemporaryDir dir;
        Store store;
        QVERIFY(store.open(options(dir.path())));
        QList<qint64> counts;
        connect(&store, &Store::eventsCommitted, this, [&](qint64 n) { counts.append(n); });
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        QVERIFY(store.commit(QList<Event>{{u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}},
                                          {u"v1.TodoCompleted"_s, {{u"id"_s, u"b"_s}}}}));
        QVERIFY(!store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, 1}})); // refused: not announced
        QVERIFY(store.commit(QList<Event>{})); // nothing committed: not announced
        QCOMPARE(counts, (QList<qint64>{1, 2}));

        // Imports (into empty stores): after their committed(), once each.
        const QList<EventRecord> log = store.events();
        QByteArray lines; // an export
        for (const EventRecord &e : log)
            lines += QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact) + '\n';
        for (const bool fromLines : {false, true}) {
            QTemporaryDir otherDir;
            Store other;
            QVERIFY(other.open(options(otherDir.path())));
            QStringList order;
            connect(&other, &Store::committed, this, [&] { order.append(u"committed"_s); });
            connect(&other, &Store::eventsCommitted, this, [&](qint64 n) {
                order.append(u"eventsCommitted %1"_s.arg(n));
            });
            if (fromLines) {
                QBuffer in(&lines);
                QVERIFY(in.open(QIODevice::ReadOnly));
                QVERIFY2(other.importJsonLines(&in), qPrintable(other.errorString()));
            } else {
                QVERIFY2(other.importEvents(log), qPrintable(other.errorString()));
            }
            QCOMPARE(order, (QStringList{u"committed"_s, u"eventsCommitted 3"_s}));
            QCOMPARE(other.eventCount(), 3);
            QVERIFY(!other.importEvents(log)); // refused (not empty): not announced
            QCOMPARE(order.size(), 2);
        }
    }

    // A commit keeps its records only for committed()'s slots; without any it reuses one record
    // for every event. Both ways must write the same eventlog and state, and a bad event in the
    // middle of a batch must leave nothing behind either way.
    void batchWithAndWithoutCommittedSlots_data()
    {
        QTest::addColumn<bool>("listening");
        QTest::addColumn<bool>("cpp");        // C++ materializers instead of SQL ones
        QTest::addColumn<bool>("changesets"); // the commit recorded as one run of changes
        for (const bool listening : {true, false}) {
            const char *who = listening ? "committed() connected" : "nobody listening";
            QTest::addRow("%s, SQL", who) << listening << false << false;
            QTest::addRow("%s, C++", who) << listening << true << false;
            QTest::addRow("%s, SQL, changesets", who) << listening << false << true;
        }
    }
    void batchWithAndWithoutCommittedSlots()
    {
        QFETCH(bool, listening);
        QFETCH(bool, cpp);
        QFETCH(bool, changesets);
        QTemporaryDir dir;
        Store store;
        StoreOptions o = options(dir.path(), cpp);
        o.recordChangesets = changesets;
        QVERIFY(store.open(o));
        QList<QList<EventRecord>> delivered;
        if (listening)
            connect(&store, &Store::committed, this, [&](const QList<EventRecord> &r) { delivered.append(r); });

        // Scalars of every kind the fast path writes, a text that needs escaping, a nested value
        // (the client document's struct, written by the general path) and a client-only event
        // between synced ones.
        const QList<Event> batch{
                {u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"quote \" tab \t \u00e9 \U0001F600"_s}}, {}},
                {u"uiStateSet"_s, {{u"id"_s, store.sessionId()},
                                   {u"value"_s, QVariantMap{{u"newTodoText"_s, u"x"_s}, {u"filter"_s, u"active"_s}}}}, {}},
                {u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, QString(300, u'y')}}, {}},
                {u"v1.TodoDeleted"_s, {{u"id"_s, u"a"_s}, {u"deletedAt"_s, Q_INT64_C(1700000000123)}}, {}},
                {u"v1.TodoCompleted"_s, {{u"id"_s, u"b"_s}}, {}},
        };
        QVERIFY2(store.commit(batch), qPrintable(store.errorString()));
        QCOMPARE(store.head(), (SequenceNumber{4, 0, 0}));
        const QList<EventRecord> written = store.events();
        QCOMPARE(written.size(), batch.size());
        const QList<QByteArray> expectedArgs{
                "{\"id\":\"a\",\"text\":\"quote \\\" tab \\t \u00e9 \U0001F600\"}", // escaped as json::appendValue does
                "{\"id\":\"" + store.sessionId().toUtf8() + "\",\"value\":{\"filter\":\"active\",\"newTodoText\":\"x\"}}",
                "{\"id\":\"b\",\"text\":\"" + QByteArray(300, 'y') + "\"}",
                "{\"id\":\"a\",\"deletedAt\":1700000000123}",
                "{\"id\":\"b\"}",
        };
        const QList<SequenceNumber> expectedNumbers{{1, 0, 0}, {1, 1, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}};
        // A synced event's parent is the last synced one, past the client-only event between.
        const QList<SequenceNumber> expectedParents{SequenceNumber::root(), {1, 0, 0}, {1, 0, 0}, {2, 0, 0}, {3, 0, 0}};
        for (qsizetype i = 0; i < written.size(); ++i) {
            QCOMPARE(written.at(i).name, batch.at(i).name);
            QCOMPARE(written.at(i).argsJson, expectedArgs.at(i));
            QCOMPARE(written.at(i).seqNum, expectedNumbers.at(i));
            QCOMPARE(written.at(i).parentSeqNum, expectedParents.at(i));
        }
        QCOMPARE(store.query(u"SELECT id, completed, deletedAt IS NOT NULL AS deleted FROM todos ORDER BY id"_s)
                         .toMaps(),
                 (QVariantList{QVariantMap{{u"id"_s, u"a"_s}, {u"completed"_s, 0}, {u"deleted"_s, 1}},
                               QVariantMap{{u"id"_s, u"b"_s}, {u"completed"_s, 1}, {u"deleted"_s, 0}}}));
        QCOMPARE(store.clientDocument(u"uiState"_s, store.sessionId()).value(u"filter"_s).toString(), u"active"_s);
        if (changesets) {
            // A row per event; the batch's changes are one run, kept under its last event, the
            // others name the run's first event.
            const QueryResult runs = store.query(u"SELECT seqNumGlobal, seqNumClient, length(changeset) "
                                                 "FROM __livestore_session_changeset ORDER BY 1, 2"_s);
            QCOMPARE(runs.rowCount(), written.size());
            for (qsizetype i = 0; i < runs.rowCount(); ++i) {
                QCOMPARE(runs.value(i, 0).toLongLong(), expectedNumbers.at(i).global);
                QCOMPARE(runs.value(i, 1).toLongLong(), expectedNumbers.at(i).client);
                if (i + 1 < runs.rowCount())
                    QVERIFY(runs.value(i, 2).toLongLong() < runs.value(runs.rowCount() - 1, 2).toLongLong());
            }
        }
        if (listening) {
            QCOMPARE(delivered.size(), 1);
            QCOMPARE(delivered.at(0).size(), written.size());
            for (qsizetype i = 0; i < written.size(); ++i) {
                QCOMPARE(delivered.at(0).at(i).seqNum, written.at(i).seqNum);
                QCOMPARE(delivered.at(0).at(i).argsJson, written.at(i).argsJson);
                QCOMPARE(delivered.at(0).at(i).args, written.at(i).args);
            }
        }

        // The fourth event of the next batch is bad: the three before it are rolled back.
        const QList<Event> bad{
                {u"v1.TodoCreated"_s, {{u"id"_s, u"c"_s}, {u"text"_s, u"c"_s}}, {}},
                {u"v1.TodoUncompleted"_s, {{u"id"_s, u"b"_s}}, {}},
                {u"v1.TodoCreated"_s, {{u"id"_s, u"d"_s}, {u"text"_s, u"d"_s}}, {}},
                {u"v1.TodoCreated"_s, {{u"id"_s, 5}, {u"text"_s, u"e"_s}}, {}},
                {u"v1.TodoCreated"_s, {{u"id"_s, u"f"_s}, {u"text"_s, u"f"_s}}, {}},
        };
        QVERIFY(!store.commit(bad));
        QCOMPARE(store.errorString(), u"event \"v1.TodoCreated\": argument \"id\" must be a string, got an integer"_s);
        QCOMPARE(store.eventCount(), written.size());
        QCOMPARE(store.head(), (SequenceNumber{4, 0, 0}));
        QCOMPARE(todoCount(store), 2);
        QCOMPARE(store.query(u"SELECT completed FROM todos WHERE id = 'b'"_s).scalar().toInt(), 1);
        QCOMPARE(delivered.size(), listening ? 1 : 0);

        // And the store goes on numbering from where it was.
        QVERIFY(store.commit(bad.mid(0, 3)));
        QCOMPARE(store.head(), (SequenceNumber{7, 0, 0}));
        QCOMPARE(store.events().constLast().parentSeqNum, (SequenceNumber{6, 0, 0}));
        QCOMPARE(todoCount(store), 4);
        if (changesets)
            QCOMPARE(store.query(u"SELECT count(*) FROM __livestore_session_changeset"_s).scalar().toInt(), 8);
        QVERIFY(store.verify());
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
    // empty lock: the next open takes it over (nobody holds it; with QLockFile, where there is
    // no flock(), once it is old enough to belong to no live opener).
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

    // store.lock is an flock() on Unix; an older build takes it with QLockFile, which creates the
    // file exclusively and also flock()s it. Each refuses the other.
    void lockBesideQLockFile()
    {
        QTemporaryDir dir;
        const QString lockPath = dir.filePath(u"store.lock"_s);
        {
            QLockFile legacy(lockPath);
            legacy.setStaleLockTime(0);
            QVERIFY(legacy.tryLock(0));
            Store store;
            QVERIFY(!store.open(options(dir.path())));
            QVERIFY2(store.errorString().contains(u"is already open in this process"_s), qPrintable(store.errorString()));
        }
        QVERIFY(!QFile::exists(lockPath));
        Store store;
        QVERIFY2(store.open(options(dir.path())), qPrintable(store.errorString()));
        QLockFile legacy(lockPath);
        legacy.setStaleLockTime(0);
        QVERIFY(!legacy.tryLock(0)); // names a live process of this application: not stale
        QCOMPARE(legacy.error(), QLockFile::LockFailedError);
        qint64 pid = 0;
        QString host, app;
        QVERIFY(legacy.getLockInfo(&pid, &host, &app));
        QCOMPARE(pid, QCoreApplication::applicationPid());
        store.close();
        QVERIFY(!QFile::exists(lockPath)); // removed on close
        QVERIFY(legacy.tryLock(0));
    }

#ifdef Q_OS_LINUX
    // A lock file that names a process: taken over when that process is gone; refused while it
    // runs the application the file names, even without an flock() on the file (an older build
    // on a file system without flock(), which holds it by the file alone, as QLockFile does).
    void lockFileNamingAProcess()
    {
        QTemporaryDir dir;
        const QString lockPath = dir.filePath(u"store.lock"_s);
        const auto writeLock = [&](qint64 pid, const QString &app) {
            QFile lockFile(lockPath);
            QVERIFY(lockFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
            lockFile.write(QByteArray::number(pid) + '\n' + app.toUtf8() + '\n'
                           + QSysInfo::machineHostName().toUtf8() + '\n');
        };
        QProcess sleeper;
        sleeper.start(u"sleep"_s, {u"30"_s});
        QVERIFY(sleeper.waitForStarted());
        writeLock(sleeper.processId(), u"sleep"_s);
        {
            Store store;
            QVERIFY(!store.open(options(dir.path())));
            QVERIFY2(store.errorString().contains(u"is in use by another process (pid %1, sleep)"_s.arg(sleeper.processId())),
                     qPrintable(store.errorString()));
        }
        writeLock(sleeper.processId(), u"another-app"_s); // the pid runs something else now
        {
            Store store;
            QVERIFY2(store.open(options(dir.path())), qPrintable(store.errorString()));
        }
        const qint64 gone = sleeper.processId();
        sleeper.kill();
        QVERIFY(sleeper.waitForFinished());
        writeLock(gone, u"sleep"_s);
        Store store;
        QVERIFY2(store.open(options(dir.path())), qPrintable(store.errorString()));
        QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
    }
#endif

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

    // The store records the schema it is opened with (Schema::fromStore()); opened with the
    // recorded schema, read-only or not, it has the same state and answers the same queries.
    void recordsItsSchema()
    {
        QTemporaryDir dir;
        QByteArray digest;
        {
            Store store;
            QVERIFY2(store.open(options(dir.path())), qPrintable(store.errorString()));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}));
            QVERIFY(store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"a"_s}}));
            QVERIFY(store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}));
            digest = store.stateDigest();
        }
        QString error = u"untouched"_s;
        const Schema recorded = Schema::fromStore(dir.path(), &error);
        QVERIFY2(recorded.isValid(), qPrintable(error));
        QVERIFY(error.isEmpty());
        QCOMPARE(recorded.toJson(), todoSchema().toJson());
        QCOMPARE(recorded.stateHash(), todoSchema().stateHash());

        for (const bool readOnly : {true, false}) {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = recorded;
            o.readOnly = readOnly;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QCOMPARE(store.stateDigest(), digest);
            QCOMPARE(todoCount(store), 2);
            QCOMPARE(store.query(Query::from(u"todos"_s).where(u"completed"_s, true).select({u"id"_s})).scalar(), QVariant(u"a"_s));
            QCOMPARE(store.clientDocument(u"uiState"_s).value(u"filter"_s).toString(), u"active"_s);
            QCOMPARE(store.eventCount(), 4);
            QVERIFY2(store.verify(), qPrintable(store.errorString()));
            if (readOnly)
                continue;
            // Its SQL materializers are in the record: it commits as the app does.
            QVERIFY2(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"c"_s}, {u"text"_s, u"z"_s}}), qPrintable(store.errorString()));
            QVERIFY2(store.setClientDocument(u"uiState"_s, {{u"newTodoText"_s, u"n"_s}}), qPrintable(store.errorString()));
            QCOMPARE(todoCount(store), 3);
        }
        // An in-memory store has no directory to read it from, and a directory may hold no store.
        QVERIFY(!Schema::fromStore(dir.filePath(u"nothing"_s), &error).isValid());
        QCOMPARE(error, u"there is no store in %1 (no store.db)"_s.arg(dir.filePath(u"nothing"_s)));
    }

    // Opening a store with the schema it records writes nothing, whether that schema came from
    // the app or from the record.
    void openingWithTheRecordedSchemaWritesNothing()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        }
        // A write while the store is open would leave frames in the log (rewriting a row with the
        // same bytes too, which the file itself would not show after the checkpoint at close).
        const QString file = QDir(dir.path()).filePath(u"store.db"_s);
        const QByteArray before = readAll(file);
        QVERIFY(!before.isEmpty());
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            QCOMPARE(QFileInfo(file + u"-wal"_s).size(), 0);
        }
        QVERIFY(readAll(file) == before);
        {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = Schema::fromStore(dir.path());
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QCOMPARE(QFileInfo(file + u"-wal"_s).size(), 0);
            // (A commit is what the log is for.)
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}));
            QVERIFY(QFileInfo(file + u"-wal"_s).size() > 0);
        }
    }

    // A changed schema replaces the record when the store is opened for writing; a read-only
    // open records nothing.
    void recordedSchemaFollowsChanges()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        }
        {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = widerTodoSchema(); // a table change: the state is rebuilt
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
        }
        Schema recorded = Schema::fromStore(dir.path());
        QVERIFY2(recorded.isValid(), qPrintable(recorded.errorString()));
        QCOMPARE(recorded.toJson(), widerTodoSchema().toJson());
        QVERIFY(recorded.table(u"todos")->findColumn(u"priority"));
        {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = recorded;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QCOMPARE(store.query(u"SELECT priority FROM todos"_s).scalar().toInt(), 3);
        }

        // An event more, same tables: a read-only open works with it, and records nothing.
        Schema more = widerTodoSchema();
        more.addEvent(EventDef::synced(u"v1.TodoRenamed"_s)
                              .arg(u"id"_s, ArgType::String)
                              .arg(u"text"_s, ArgType::String)
                              .materializeSql({u"UPDATE todos SET text = $text WHERE id = $id"_s}));
        {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = more;
            o.readOnly = true;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
        }
        QCOMPARE(Schema::fromStore(dir.path()).toJson(), widerTodoSchema().toJson());
        {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = more;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
        }
        recorded = Schema::fromStore(dir.path());
        QCOMPARE(recorded.toJson(), more.toJson());
        QCOMPARE(recorded.event(u"v1.TodoRenamed")->sqlStatements, QStringList{u"UPDATE todos SET text = $text WHERE id = $id"_s});
    }

    // A store last written before stores recorded their schema: fromStore() says so, a read-only
    // open records nothing, the next open for writing records it.
    void storeWithoutARecordedSchema()
    {
        QTemporaryDir dir;
        {
            Store store;
            QVERIFY(store.open(options(dir.path())));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
        }
        const QString file = QDir(dir.path()).filePath(u"store.db"_s);
        QVERIFY(execSql(file, "DELETE FROM __livestore_meta WHERE key = 'schema'"));
        const QString legacy = u"the store in %1 records no schema: it was last opened for writing by a version that "
                               "did not record it. Open it for writing once with its schema, which records it"_s.arg(dir.path());
        QString error;
        Schema recorded = Schema::fromStore(dir.path(), &error);
        QVERIFY(!recorded.isValid());
        QCOMPARE(error, legacy);
        QCOMPARE(recorded.errorString(), legacy);
        QCOMPARE(recorded.validate(), legacy);
        {
            // What cannot load cannot open a store, and says why.
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = recorded;
            QVERIFY(!store.open(o));
            QCOMPARE(store.errorString(), u"invalid schema: "_s + legacy);
        }
        {
            Store store;
            StoreOptions o = options(dir.path());
            o.readOnly = true;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
        }
        QVERIFY(!Schema::fromStore(dir.path()).isValid());
        {
            Store store;
            QVERIFY2(store.open(options(dir.path())), qPrintable(store.errorString()));
        }
        recorded = Schema::fromStore(dir.path(), &error);
        QVERIFY2(recorded.isValid(), qPrintable(error));
        QCOMPARE(recorded.toJson(), todoSchema().toJson());

        // A record that does not load, and a file that is no store.
        QVERIFY(execSql(file, "UPDATE __livestore_meta SET value = '{\"tables\": 1}' WHERE key = 'schema'"));
        QVERIFY(!Schema::fromStore(dir.path(), &error).isValid());
        QCOMPARE(error, u"the schema recorded in %1 cannot be loaded: tables: expected an array, got a number"_s.arg(file));
        QTemporaryDir other;
        const QString otherFile = QDir(other.path()).filePath(u"store.db"_s);
        QVERIFY(execSql(otherFile, "CREATE TABLE t (x)"));
        QVERIFY(!Schema::fromStore(other.path(), &error).isValid());
        QCOMPARE(error, u"%1 is not a LiveStore store"_s.arg(otherFile));
    }

    // A schema with C++ materializers is recorded with their names; opened with the record, the
    // store reads, commits what has SQL, and refuses, naming the event, to commit, import or
    // replay what needs the C++ code. The app's own schema then works as before.
    void recordedCppMaterializers()
    {
        QTemporaryDir dir;
        QByteArray digest;
        QList<EventRecord> events;
        {
            Store store;
            QVERIFY(store.open(options(dir.path(), true)));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"a"_s}, {u"text"_s, u"x"_s}}));
            QVERIFY(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"b"_s}, {u"text"_s, u"y"_s}}));
            QVERIFY(store.commit(u"v1.TodoCompleted"_s, {{u"id"_s, u"a"_s}}));
            digest = store.stateDigest();
            events = store.events();
        }
        QString error;
        const Schema recorded = Schema::fromStore(dir.path(), &error);
        QVERIFY2(recorded.isValid(), qPrintable(error));
        QCOMPARE(recorded.toJson(), todoSchema(true).toJson());
        for (const char *name : {"v1.TodoCreated", "v1.TodoCompleted", "v1.TodoUncompleted", "v1.TodoDeleted"})
            QVERIFY2(recorded.event(QString::fromLatin1(name))->cppMaterializerMissing, name);
        QVERIFY(!recorded.event(u"v1.TodoClearedCompleted")->cppMaterializerMissing);
        QVERIFY(recorded.event(u"uiStateSet")->materializer); // comes with the client document

        {
            Store store;
            StoreOptions o = options(dir.path());
            o.schema = recorded;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QCOMPARE(store.stateDigest(), digest);
            QCOMPARE(todoCount(store), 2);
            QVERIFY(!store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"c"_s}, {u"text"_s, u"z"_s}}));
            const QString refused = u"cannot materialize event \"v1.TodoCreated\" (e4): its materializer is C++ code, "
                                    "which this schema (loaded from a schema file or the store's record) names but "
                                    "does not hold; it can read the store, but not commit, import or rematerialize "
                                    "\"v1.TodoCreated\" events. Open the store with the app's own schema for that"_s;
            QCOMPARE(store.errorString(), refused);
            QCOMPARE(store.eventCount(), 3);
            // What has SQL, and the client documents, still commit.
            QVERIFY2(store.commit(u"v1.TodoClearedCompleted"_s, {{u"deletedAt"_s, 5}}), qPrintable(store.errorString()));
            QVERIFY2(store.setClientDocument(u"uiState"_s, {{u"filter"_s, u"active"_s}}), qPrintable(store.errorString()));
            // A replay needs every materializer: it fails, naming the first event it cannot apply,
            // and leaves the state as it was.
            const QByteArray before = store.stateDigest();
            QVERIFY(!store.rematerialize());
            QVERIFY2(store.errorString().contains(u"cannot materialize event \"v1.TodoCreated\" (e1)"_s), qPrintable(store.errorString()));
            QVERIFY(!store.verify());
            QVERIFY2(store.errorString().contains(u"cannot materialize event \"v1.TodoCreated\" (e1)"_s), qPrintable(store.errorString()));
            QCOMPARE(store.stateDigest(), before);
            QCOMPARE(store.query(u"SELECT deletedAt FROM todos WHERE id = 'a'"_s).scalar().toInt(), 5);
        }
        {
            // An import into a fresh store with it, likewise.
            QTemporaryDir fresh;
            Store store;
            StoreOptions o = options(fresh.path());
            o.schema = recorded;
            QVERIFY2(store.open(o), qPrintable(store.errorString()));
            QVERIFY(!store.importEvents(events));
            QVERIFY2(store.errorString().contains(u"cannot materialize event \"v1.TodoCreated\" (e1)"_s), qPrintable(store.errorString()));
            QCOMPARE(store.eventCount(), 0);
        }
        // The record still names the C++ materializers, and the app's schema works as before.
        QCOMPARE(Schema::fromStore(dir.path()).toJson(), todoSchema(true).toJson());
        Store store;
        QVERIFY2(store.open(options(dir.path(), true)), qPrintable(store.errorString()));
        QVERIFY2(store.commit(u"v1.TodoCreated"_s, {{u"id"_s, u"c"_s}, {u"text"_s, u"z"_s}}), qPrintable(store.errorString()));
        QVERIFY2(store.verify(), qPrintable(store.errorString()));
    }

private:
    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    // Runs SQL on a store's file behind its back.
    static bool execSql(const QString &path, const char *statement)
    {
        sqlite3 *db = nullptr;
        const bool ok = sqlite3_open(QFile::encodeName(path).constData(), &db) == SQLITE_OK
                && sqlite3_exec(db, statement, nullptr, nullptr, nullptr) == SQLITE_OK;
        sqlite3_close(db);
        return ok;
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
