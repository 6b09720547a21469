// SPDX-License-Identifier: BSD-3-Clause
// Committing: events checked, numbered and encoded, materialized (SQL or C++ materializers),
// written to the eventlog with their changesets, and the live queries told. Replays apply the
// eventlog's events through the same materialize() (storereplay.cpp).
#include "store.h"

#include "changesetrun_p.h"
#include "jsonwriter_p.h"
#include "logging_p.h"
#include "sqlutil_p.h"
#include "store_p.h"

#include <QtCore/qcryptographichash.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qmutex.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvarlengtharray.h>

#include <sqlite3.h>

#include <cstring>
#include <exception>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

constexpr const char *EventlogTable = "__livestore_eventlog";

// Deprecation warnings are per process, as in LiveStore: once per event name or field.
QSet<QString> &warnedDeprecations()
{
    static QSet<QString> warned;
    return warned;
}
QMutex warnedMutex;

} // namespace

void StorePrivate::buildEventRuntime()
{
    eventRuntime.clear();
    for (const EventDef &e : schema.events()) {
        const EventDef *def = schema.event(e.name); // points into the store's own schema copy
        QList<QByteArray> argKeys;
        argKeys.reserve(def->args.size());
        for (const ArgDef &a : def->args) {
            QByteArray key;
            json::appendString(key, a.name);
            key += ':';
            argKeys.append(key);
        }
        eventRuntime.insert(e.name, {def, def->hash(), e.name.toUtf8(), argKeys});
    }
}

namespace {

// def.argsJson(args) for arguments that are all scalars (the common case), written with the keys
// made at open into `out`, whose capacity is reused. The bytes are the ones argsJson() writes:
// declared arguments in declared order, each value through json::appendValue(). Nested values
// (maps, lists), which argsJson() orders by the definition and the given text, and arguments the
// definition does not declare, return false.
bool writeScalarArgsJson(const StorePrivate::EventRuntime &runtime, const QVariantMap &args,
                         QByteArray *out)
{
    const QList<ArgDef> &declared = runtime.def->args;
    out->truncate(0);
    *out += '{';
    qsizetype written = 0;
    for (qsizetype i = 0; i < declared.size(); ++i) {
        const auto it = args.constFind(declared.at(i).name);
        if (it == args.cend())
            continue;
        const int type = it->typeId();
        if (type == QMetaType::QVariantMap || type == QMetaType::QVariantList)
            return false;
        if (written++)
            *out += ',';
        *out += runtime.argKeys.at(i);
        json::appendValue(*out, *it);
    }
    if (written != args.size())
        return false;
    *out += '}';
    return true;
}

} // namespace

const StorePrivate::EventRuntime *StorePrivate::prepareEvent(const Event &event, EventRecord *record,
                                                             bool reuseBuffers)
{
    const EventRuntime *runtime = findEvent(event.name);
    if (!runtime) {
        fail(u"unknown event \"%1\": it is not defined in the schema"_s.arg(event.name));
        return nullptr;
    }
    const EventDef *def = runtime->def;
    QString argError;
    auto args = def->encodeArgs(event.args, &argError);
    if (!args) {
        fail(argError);
        return nullptr;
    }
    EventRecord &r = *record;
    r.name = event.name;
    r.args = std::move(*args);
    if (reuseBuffers) {
        // The record is written and dropped before the next event reuses it: its own buffer
        // serves, with no allocation once it has grown.
        if (!writeScalarArgsJson(*runtime, r.args, &r.argsJson))
            r.argsJson = def->argsJson(r.args, event.argsJson);
    } else if (writeScalarArgsJson(*runtime, r.args, &jsonScratch)) {
        // The record outlives the commit: its text is allocated at its exact size, once.
        r.argsJson = QByteArray(jsonScratch.constData(), jsonScratch.size());
    } else {
        r.argsJson = def->argsJson(r.args, event.argsJson);
    }
    r.clientId = clientId;
    r.sessionId = sessionId;
    r.schemaHash = runtime->hash;
    return runtime;
}

bool StorePrivate::commit(const QList<Event> &events)
{
    if (!checkWritable())
        return false;
    if (events.isEmpty())
        return true;
    // The records are kept for committed()'s slots (a sync client, an eventlog model). With none
    // connected, every event's record is built in the same place and dropped once written, so a
    // commit of any size needs memory for one event only. A slot connected while this commit
    // notifies its live queries gets the next commit's records, not this one's.
    const bool keepRecords = q->isSignalConnected(QMetaMethod::fromSignal(&Store::committed));
    QList<EventRecord> records;
    if (keepRecords)
        records.reserve(events.size());
    EventRecord reused;

    QSet<QString> touched;
    // The rows this commit changes in the tables of live queries that follow rows.
    detail::RowChanges rowChanges;
    bool haveRowChanges = false;
    SequenceNumber at; // the last event numbered; from the head, once other processes are seen
    {
        Transaction tx(db);
        if (!tx.isActive())
            return fail(u"cannot begin a transaction: "_s + db.lastError());
        // Numbered only now: another process may have committed up to the moment this
        // transaction began, and no other can commit until it ends.
        if (!noticeOtherProcesses())
            return false;
        at = head;
        detail::RowChangeRecorder recorder;
        if (graph)
            recorder.start(db, graph->trackedTables());
        // The changes of several events are kept as one run (changesetrun_p.h): one capture and
        // one changeset instead of one per event.
        detail::RunCapture run;
        const bool asRun = options.recordChangesets && events.size() > 1;
        if (asRun && !run.start(db))
            return fail(u"cannot record the changes of the commit: "_s + run.errorString());
        SequenceNumber runFirst;
        for (qsizetype i = 0; i < events.size(); ++i) {
            // An event that is unknown or has wrong arguments fails the commit here, and the
            // transaction's end rolls back the events before it.
            EventRecord &r = keepRecords ? records.emplaceBack() : reused;
            const EventRuntime *runtime = prepareEvent(events.at(i), &r, !keepRecords);
            if (!runtime)
                return false;
            const EventDef &def = *runtime->def;
            r.seqNum = at.next(def.isClientOnly);
            r.parentSeqNum = at.parentForNext(def.isClientOnly);
            at = r.seqNum;
            if (i == 0)
                runFirst = r.seqNum;
            QByteArray changeset;
            if (!materialize(db, r, def, &touched, options.recordChangesets && !asRun ? &changeset : nullptr)
                || !insertEventRecord(r, runtime)
                || (options.recordChangesets
                    && !insertChangeset(r.seqNum, asRun ? detail::runChangesetBlob(runFirst, {}) : changeset)))
                return false; // rolled back by tx
        }
        if (asRun) {
            QByteArray changeset;
            if (!run.finish(&changeset))
                return fail(u"cannot record the changes of the commit: "_s + run.errorString());
            if (!insertChangeset(at, detail::runChangesetBlob(runFirst, changeset)))
                return false;
        }
        haveRowChanges = recorder.isActive() && recorder.finish(&rowChanges);
        if (!tx.commit())
            return fail(u"commit failed: "_s + db.lastError());
    }
    head = at;
    // The eventlog itself is readable by live queries (devtools-like views).
    touched.insert(QString::fromLatin1(EventlogTable));
    // Commits of other processes seen by this one: every table re-read, since their rows are not
    // known here (otherprocesses.cpp).
    const OthersChanges others = takeOthersChanges(&touched);
    // Live queries first, so that slots connected to committed() see them current.
    if (graph)
        graph->tablesChanged(touched, haveRowChanges && !others.tables ? &rowChanges : nullptr);
    const QPointer<Store> store(q); // a slot below may delete the Store, and this with it
    if (others.any)
        Q_EMIT q->eventlogChanged(others.rewrote);
    if (store && keepRecords)
        Q_EMIT store->committed(records);
    if (store)
        Q_EMIT store->eventsCommitted(events.size());
    return true;
}

bool StorePrivate::ensureChangesetTable()
{
    // Created on demand: stores that never sync never carry it.
    if (!db.exec("CREATE TABLE IF NOT EXISTS __livestore_session_changeset ("
                 "seqNumGlobal INTEGER NOT NULL, seqNumClient INTEGER NOT NULL, "
                 "seqNumRebaseGeneration INTEGER NOT NULL, changeset BLOB NOT NULL, "
                 "PRIMARY KEY (seqNumGlobal, seqNumClient, seqNumRebaseGeneration)) WITHOUT ROWID, STRICT"))
        return fail(u"cannot create the changeset table: "_s + db.lastError());
    return true;
}

bool StorePrivate::insertChangeset(const SequenceNumber &seqNum, const QByteArray &changeset)
{
    Database::Statement *s = db.prepare(
            u"INSERT OR REPLACE INTO __livestore_session_changeset (seqNumGlobal, seqNumClient, "
             "seqNumRebaseGeneration, changeset) VALUES (?, ?, ?, ?)"_s);
    if (!s || !db.execute(s, {seqNum.global, seqNum.client, seqNum.rebaseGeneration, changeset}))
        return fail(u"cannot keep the changes of event %1: %2"_s.arg(seqNum.toString(), db.lastError()));
    return true;
}

bool StorePrivate::insertEventRecord(const EventRecord &r, const EventRuntime *runtime)
{
    if (!insertEventStatement) {
        static constexpr char insertSql[] =
                "INSERT INTO __livestore_eventlog (seqNumGlobal, seqNumClient, seqNumRebaseGeneration, "
                "parentSeqNumGlobal, parentSeqNumClient, parentSeqNumRebaseGeneration, name, argsJson, "
                "clientId, sessionId, schemaHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        if (sqlite3_prepare_v3(db.handle(), insertSql, -1, SQLITE_PREPARE_PERSISTENT,
                               &insertEventStatement, nullptr) != SQLITE_OK) {
            sqlite3_finalize(insertEventStatement);
            insertEventStatement = nullptr;
            return fail(u"cannot write the eventlog: "_s + db.sqliteError());
        }
    }
    sqlite3_stmt *st = insertEventStatement;
    bindEventNumbers(st, r);
    // UTF-8 binds: the eventlog stores UTF-8, and our own names and ids are converted once, at
    // open. Every text outlives the step below, so SQLite need not copy it (SQLITE_STATIC); all
    // eleven parameters are bound anew for each row, so none ever points at bytes gone since.
    if (!runtime)
        runtime = findEvent(r.name);
    // Converted here only for a name or an id this store does not know (a pulled event).
    QByteArray converted[3];
    const QByteArray &name = runtime ? runtime->nameUtf8 : (converted[0] = r.name.toUtf8());
    const QByteArray &client = r.clientId == clientId ? clientIdUtf8 : (converted[1] = r.clientId.toUtf8());
    const QByteArray &session = r.sessionId == sessionId ? sessionIdUtf8 : (converted[2] = r.sessionId.toUtf8());
    sqlite3_bind_text(st, 7, name.constData(), int(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r.argsJson.constData(), int(r.argsJson.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 9, client.constData(), int(client.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 10, session.constData(), int(session.size()), SQLITE_STATIC);
    sqlite3_bind_int(st, 11, r.schemaHash);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return fail(u"event %1 (%2) is already in the eventlog"_s.arg(r.seqNum.toString(), r.name));
        return fail(u"cannot write event %1 to the eventlog: %2"_s.arg(r.seqNum.toString(), db.sqliteError()));
    }
    return true;
}

void StorePrivate::warnDeprecations(const EventRecord &event, const EventDef &def)
{
    if (def.deprecated.isEmpty()
        && std::none_of(def.args.cbegin(), def.args.cend(),
                        [](const ArgDef &a) { return !a.deprecated.isEmpty(); }))
        return;
    QMutexLocker locker(&warnedMutex);
    QSet<QString> &warned = warnedDeprecations();
    if (!def.deprecated.isEmpty() && !warned.contains(def.name)) {
        warned.insert(def.name);
        qCWarning(lcSchema, "event \"%s\" is deprecated: %s", qUtf8Printable(def.name),
                  qUtf8Printable(def.deprecated));
    }
    for (const ArgDef &a : def.args) {
        const QString key = def.name + u'.' + a.name;
        if (a.deprecated.isEmpty() || warned.contains(key) || !event.args.contains(a.name))
            continue;
        warned.insert(key);
        qCWarning(lcSchema, "argument \"%s\" of event \"%s\" is deprecated: %s", qUtf8Printable(a.name),
                  qUtf8Printable(def.name), qUtf8Printable(a.deprecated));
    }
}

bool StorePrivate::materialize(Database &target, const EventRecord &event, const EventDef &def,
                               QSet<QString> *touched, QByteArray *changeset)
{
    if (!def.materializer && def.cppMaterializerMissing)
        return fail(missingMaterializerMessage(event));
    warnDeprecations(event, def);
    if (options.checkDeterminism && !checkDeterminism(target, event, def)) {
        // A bug in the schema this debug aid exists to report, never a reason to skip the event.
        determinismFailed = true;
        return false;
    }

    // A run of one event (changesetrun_p.h): the capture covers the state tables it may write.
    detail::RunCapture capture;
    if (changeset && !capture.start(target))
        return fail(u"cannot record the changes of event %1: %2"_s.arg(event.seqNum.toString(),
                                                                     capture.errorString()));
    bool ok;
    if (def.materializer) {
        try {
            MaterializerContext context(this, &target, event);
            const Writes writes = def.materializer(event, context);
            ok = runWrites(target, event, writes, touched);
        } catch (const std::exception &e) {
            ok = fail(u"materializer of event \"%1\" (%2) threw: %3"_s.arg(
                    event.name, event.seqNum.toString(), QString::fromUtf8(e.what())));
        } catch (...) {
            ok = fail(u"materializer of event \"%1\" (%2) threw an exception"_s.arg(
                    event.name, event.seqNum.toString()));
        }
    } else {
        ok = runSqlMaterializer(target, event, def, touched);
    }
    if (ok && changeset && !capture.finish(changeset))
        ok = fail(u"cannot record the changes of event %1: %2"_s.arg(event.seqNum.toString(),
                                                                   capture.errorString()));
    return ok;
}

bool StorePrivate::runWrites(Database &target, const EventRecord &event, const Writes &writes,
                             QSet<QString> *touched)
{
    const auto where = [&] {
        return u"materializer of event \"%1\" (%2)"_s.arg(event.name, event.seqNum.toString());
    };
    for (const Query &w : writes) {
        const Query::Compiled c = w.compile(&schema);
        if (!c.error.isEmpty())
            return fail(where() + u": "_s + c.error);
        Database::Statement *s = target.prepare(c.sql);
        if (!s)
            return fail(where() + u": "_s + target.lastError());
        if (w.kind() == Query::Select || w.kind() == Query::Count)
            return fail(where() + u": returned a read query; materializers return writes"_s);
        if (s->controlsConnection)
            return fail(where() + u": materializers cannot control transactions or attach databases"_s);
        if (!s->outsideState.isEmpty())
            return fail(where() + u": materializers may change only the schema's tables, and "_s + s->outsideState);
        if (!target.execute(s, c.binds, c.namedBinds))
            return fail(where() + u" failed: "_s + target.lastError());
        if (touched) {
            for (const QString &t : std::as_const(s->writeTables))
                touched->insert(t);
        }
    }
    return true;
}

bool StorePrivate::runSqlMaterializer(Database &target, const EventRecord &event, const EventDef &def,
                                      QSet<QString> *touched)
{
    for (qsizetype i = 0; i < def.sqlStatements.size(); ++i) {
        Database::Statement *s = target.prepare(def.sqlStatements.at(i));
        // Built only on failure: formatting it for every statement cost ~2% of a commit.
        auto where = [&] {
            return u"materializer of event \"%1\" (%2), statement %3"_s.arg(
                    event.name, event.seqNum.toString()).arg(i + 1);
        };
        if (!s)
            return fail(where() + u": "_s + target.lastError());
        if (!s->outsideState.isEmpty())
            return fail(where() + u": materializers may change only the schema's tables, and "_s + s->outsideState);
        sqlite3_reset(s->stmt);
        // The UTF-8 of text arguments, written one after the other into bindScratch and bound
        // once all are there (its bytes do not move after that) and until the statement ran:
        // SQLite need not copy them. Unbound afterwards, so that the cached statement never
        // points at bytes that changed.
        struct TextBind
        {
            int index;
            qsizetype start, size;
        };
        QVarLengthArray<TextBind, 4> texts;
        bindScratch.truncate(0);
        const auto unbindTexts = qScopeGuard([&] {
            if (!texts.isEmpty())
                sqlite3_clear_bindings(s->stmt);
        });
        static const QVariant absent;
        for (int p = 0; p < s->parameterKeys.size(); ++p) {
            const QString &name = s->parameterKeys.at(p);
            const auto found = event.args.constFind(name);
            const QVariant &v = found == event.args.cend() ? absent : *found;
            const ArgDef *arg = def.findArg(name);
            int rc = SQLITE_OK;
            const bool isNull = v.typeId() == QMetaType::UnknownType || v.typeId() == QMetaType::Nullptr;
            if (arg && !isNull
                && (arg->type == ArgType::Json || arg->type == ArgType::Struct || arg->type == ArgType::Array
                    || arg->type == ArgType::Record
                    || (arg->type == ArgType::Literal && v.typeId() == QMetaType::QVariantMap))) {
                const QByteArray text = def.argJson(name, v, event.argsJson);
                rc = sqlite3_bind_text(s->stmt, p + 1, text.constData(), int(text.size()), SQLITE_TRANSIENT);
                if (rc != SQLITE_OK)
                    return fail(where() + u": "_s + target.sqliteError());
                continue;
            }
            switch (v.typeId()) {
            case QMetaType::UnknownType:
            case QMetaType::Nullptr:
                rc = sqlite3_bind_null(s->stmt, p + 1);
                break;
            case QMetaType::Double:
                // JSON has one number type; the argument's declared type decides the SQL one.
                if (arg && arg->type == ArgType::Integer)
                    rc = sqlite3_bind_int64(s->stmt, p + 1, qint64(v.toDouble()));
                else
                    rc = sqlite3_bind_double(s->stmt, p + 1, v.toDouble());
                break;
            case QMetaType::QVariantMap:
            case QMetaType::QVariantList: {
                const QByteArray text = json::write(v);
                rc = sqlite3_bind_text(s->stmt, p + 1, text.constData(), int(text.size()), SQLITE_TRANSIENT);
                break;
            }
            case QMetaType::QString: {
                const QString &text = *static_cast<const QString *>(v.constData());
                if (text.isNull()) {
                    rc = sqlite3_bind_null(s->stmt, p + 1); // as Database::bindValue() binds it
                    break;
                }
                const qsizetype start = bindScratch.size();
                json::appendUtf8(bindScratch, text); // what Database::bindValue() binds
                texts.append({p + 1, start, bindScratch.size() - start});
                break;
            }
            default:
                rc = Database::bindValue(s->stmt, p + 1, v) ? SQLITE_OK : SQLITE_ERROR;
                break;
            }
            if (rc != SQLITE_OK)
                return fail(where() + u": "_s + target.sqliteError());
        }
        for (const TextBind &t : std::as_const(texts)) {
            // Up to a U+0000, as Database::bindValue() binds text (and LiveStore's SQLite does).
            const char *bytes = bindScratch.constData() + t.start;
            const void *nul = std::memchr(bytes, 0, size_t(t.size));
            const qsizetype size = nul ? static_cast<const char *>(nul) - bytes : t.size;
            if (sqlite3_bind_text(s->stmt, t.index, bytes, int(size), SQLITE_STATIC) != SQLITE_OK)
                return fail(where() + u": "_s + target.sqliteError());
        }
        int rc;
        while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) { }
        sqlite3_reset(s->stmt);
        if (rc != SQLITE_DONE)
            return fail(where() + u" failed: "_s + target.sqliteError());
        if (touched) {
            for (const QString &t : std::as_const(s->writeTables))
                touched->insert(t);
        }
    }
    return true;
}

bool StorePrivate::checkDeterminism(Database &target, const EventRecord &event, const EventDef &def)
{
    const QString where = u"materializer of event \"%1\" (%2) is not deterministic: "_s.arg(
            event.name, event.seqNum.toString());
    if (def.materializer) {
        // The writes a C++ materializer emits must not depend on anything but event and state.
        auto hashWrites = [&](QString *out) {
            try {
                MaterializerContext context(this, &target, event);
                QCryptographicHash h(QCryptographicHash::Sha256);
                for (const Query &w : def.materializer(event, context))
                    h.addData(w.key().toUtf8());
                *out = QString::fromLatin1(h.result().toHex());
                return true;
            } catch (...) {
                return false;
            }
        };
        QString a, b;
        if (hashWrites(&a) && hashWrites(&b) && a != b)
            return fail(where + u"two runs emitted different writes"_s);
    }
    // And the effect of those writes (SQL can call random() or read the clock): compare the
    // changesets of two runs, rolled back in between.
    if (!target.exec("SAVEPOINT livestore_determinism"))
        return fail(target.lastError());
    QByteArray first, second;
    QSet<QString> ignored;
    StoreOptions saved = options;
    options.checkDeterminism = false;
    bool ok = materialize(target, event, def, &ignored, &first);
    target.exec("ROLLBACK TO livestore_determinism");
    if (ok)
        ok = materialize(target, event, def, &ignored, &second);
    target.exec("ROLLBACK TO livestore_determinism");
    target.exec("RELEASE livestore_determinism");
    options.checkDeterminism = saved.checkDeterminism;
    if (!ok)
        return false;
    if (first != second)
        return fail(where + u"two runs changed the state differently"_s);
    return true;
}

bool StorePrivate::handleUnknownEvent(const EventRecord &event, const QString &reason)
{
    switch (schema.unknownEventPolicy()) {
    case UnknownEventPolicy::Ignore:
        return true;
    case UnknownEventPolicy::Warn: {
        QMutexLocker locker(&warnedMutex);
        if (!warnedDeprecations().contains(u"unknown:"_s + event.name)) {
            warnedDeprecations().insert(u"unknown:"_s + event.name);
            qCWarning(lcSchema, "event \"%s\" (%s) is not defined in the schema; it stays in the "
                                "eventlog and is not materialized", qUtf8Printable(event.name),
                      qUtf8Printable(event.seqNum.toString()));
        }
        return true;
    }
    case UnknownEventPolicy::Fail:
        return fail(u"event \"%1\" (%2) is not defined in the schema (unknown event policy: fail)"_s.arg(
                event.name, event.seqNum.toString()));
    case UnknownEventPolicy::Callback:
        if (schema.unknownEventCallback())
            schema.unknownEventCallback()({event, reason});
        return true;
    }
    return true;
}

} // namespace LiveStore
