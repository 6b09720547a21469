// SPDX-License-Identifier: BSD-3-Clause
// StoreOptions::readOnly: a second Store reads a store another one has open for writing (as a
// tool beside a running app), without a lock and without writing anything.
#include "todoschema.h"

#include <store.h>

#include <QtCore/qcryptographichash.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace LiveStoreTest;
using namespace Qt::StringLiterals;

class tst_ReadOnly : public QObject
{
    Q_OBJECT

    static StoreOptions options(const QString &dir, bool readOnly)
    {
        StoreOptions o;
        o.storeId = u"todos"_s;
        o.schema = todoSchema();
        o.directory = dir;
        o.readOnly = readOnly;
        return o;
    }

    static bool add(Store &store, const QString &id)
    {
        return store.commit(u"v1.TodoCreated"_s, QVariantMap{{u"id"_s, id}, {u"text"_s, QString(u"todo "_s + id)}});
    }

    static QByteArray fileHash(const QString &path)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
    }

private Q_SLOTS:
    void besideAWriter()
    {
        QTemporaryDir dir;
        Store writer;
        QVERIFY2(writer.open(options(dir.path(), false)), qPrintable(writer.errorString()));
        QVERIFY(add(writer, u"a"_s) && add(writer, u"b"_s) && add(writer, u"c"_s));

        // Another writer is refused (the lock); a reader is not.
        Store second;
        QVERIFY(!second.open(options(dir.path(), false)));
        QVERIFY2(second.errorString().contains(u"already open"_s), qPrintable(second.errorString()));
        Store reader;
        QVERIFY2(reader.open(options(dir.path(), true)), qPrintable(reader.errorString()));
        QCOMPARE(reader.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 3);
        QCOMPARE(reader.eventCount(), 3);
        QCOMPARE(reader.head(), writer.head());
        QCOMPARE(reader.clientId(), writer.clientId());

        // It reads what the writer commits later.
        QVERIFY(add(writer, u"d"_s));
        QCOMPARE(reader.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 4);
        QCOMPARE(reader.events().size(), 4);
        QCOMPARE(reader.stateDigest(), writer.stateDigest());
        QVERIFY2(reader.verify(), qPrintable(reader.errorString()));

        // And writes nothing.
        QVERIFY(!add(reader, u"x"_s));
        QCOMPARE(reader.errorString(), u"the store is open read-only"_s);
        QVERIFY(!reader.setClientDocument(u"uiState"_s, {{u"newTodoText"_s, u"x"_s}}));
        QVERIFY(!reader.rematerialize());
        QCOMPARE(reader.errorString(), u"the store is open read-only"_s);
        QCOMPARE(writer.query(u"SELECT count(*) FROM todos"_s).scalar().toInt(), 4);
        QVERIFY(add(writer, u"e"_s)); // the writer is not disturbed
    }

    void leavesTheFilesAlone()
    {
        QTemporaryDir dir;
        {
            Store writer;
            QVERIFY(writer.open(options(dir.path(), false)));
            QVERIFY(add(writer, u"a"_s));
        }
        const QStringList before = QDir(dir.path()).entryList(QDir::Files, QDir::Name);
        const QByteArray hash = fileHash(QDir(dir.path()).filePath(u"store.db"_s));
        {
            Store reader;
            StoreOptions o = options(dir.path(), true);
            o.clientId = u"reader"_s; // given ids are used, not recorded
            o.sessionId = u"s"_s;
            QVERIFY2(reader.open(o), qPrintable(reader.errorString()));
            QCOMPARE(reader.clientId(), u"reader"_s);
            QCOMPARE(reader.query(u"SELECT text FROM todos"_s).scalar().toString(), u"todo a"_s);
            QVERIFY(!QFile::exists(QDir(dir.path()).filePath(u"store.lock"_s)));
        }
        QCOMPARE(fileHash(QDir(dir.path()).filePath(u"store.db"_s)), hash);
        QStringList after = QDir(dir.path()).entryList(QDir::Files, QDir::Name);
        // SQLite may leave its shared-memory index of the WAL; nothing else appears.
        after.removeAll(u"store.db-shm"_s);
        after.removeAll(u"store.db-wal"_s);
        QStringList expected = before;
        expected.removeAll(u"store.db-shm"_s);
        expected.removeAll(u"store.db-wal"_s);
        QCOMPARE(after, expected);
        Store writer;
        QVERIFY(writer.open(options(dir.path(), false)));
        QVERIFY(writer.clientId() != u"reader"_s);
    }

    void refusals()
    {
        QTemporaryDir dir;
        Store reader;
        QVERIFY(!reader.open(options(dir.filePath(u"none"_s), true)));
        QVERIFY2(reader.errorString().contains(u"there is no store in"_s), qPrintable(reader.errorString()));
        QVERIFY(!QFileInfo::exists(dir.filePath(u"none"_s))); // nothing created

        // A store.db of 0 bytes (a failed copy) holds no store: said so, and left as it is.
        const QString empty = dir.filePath(u"empty"_s);
        QVERIFY(QDir().mkpath(empty));
        QFile emptyFile(empty + u"/store.db"_s);
        QVERIFY(emptyFile.open(QIODevice::WriteOnly));
        emptyFile.close();
        QVERIFY(!reader.open(options(empty, true)));
        QVERIFY2(reader.errorString().contains(u"holds no store (it is empty)"_s), qPrintable(reader.errorString()));
        QCOMPARE(QFileInfo(empty + u"/store.db"_s).size(), 0);

        StoreOptions memory = options(QString(), true);
        memory.inMemory = true;
        QVERIFY(!reader.open(memory));
        QVERIFY2(reader.errorString().contains(u"in-memory"_s), qPrintable(reader.errorString()));

        {
            Store writer;
            QVERIFY(writer.open(options(dir.path(), false)));
            QVERIFY(add(writer, u"a"_s));
        }
        // A schema of other tables would need a rebuild, which only a writer may do.
        StoreOptions other = options(dir.path(), true);
        TableDef todos = *todoSchema().table(u"todos");
        todos.column(ColumnDef::text(u"note"_s).nullable());
        Schema changed;
        changed.addTable(todos);
        for (const EventDef &e : todoSchema().events())
            if (!e.isDerived)
                changed.addEvent(e);
        other.schema = changed;
        QVERIFY(!reader.open(other));
        QVERIFY2(reader.errorString().contains(u"cannot rebuild"_s), qPrintable(reader.errorString()));
        Store writer;
        QVERIFY(writer.open(options(dir.path(), false))); // untouched: no rebuild happened
        QVERIFY(writer.migrationReport().isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_ReadOnly)
#include "tst_readonly.moc"
