// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SCHEMA_H
#define LIVESTORE_SCHEMA_H

#include "livestore_export.h"
#include "query.h"
#include "sequencenumber.h"

#include <QtCore/qhash.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>

#include <functional>
#include <vector>
#include <memory>
#include <optional>

namespace LiveStore {

class MaterializerContext;

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

// DateTime stores ISO-8601 text (LiveStore's State.SQLite.datetime); DateTimeInteger stores epoch
// milliseconds in an INTEGER column (LiveStore's State.SQLite.datetime with integer storage, and an
// integer column with Schema.DateFromNumber). Both read back as QDateTime.
enum class ColumnType { Text, Integer, Real, Blob, Boolean, Json, DateTime, DateTimeInteger };

LIVESTORE_EXPORT QString columnTypeName(ColumnType type);
LIVESTORE_EXPORT std::optional<ColumnType> columnTypeFromName(QStringView name);

// A column of a state table. Build it with the named constructors and chain the options:
//     ColumnDef::text(u"id"_s).primaryKey()
//     ColumnDef::boolean(u"completed"_s).withDefault(false)
//     ColumnDef::integer(u"deletedAt"_s).nullable()
struct ArgDef;

struct LIVESTORE_EXPORT ColumnDef
{
    enum class DefaultKind { None, Value, Sql };

    QString name;
    ColumnType type = ColumnType::Text;
    bool isNullable = false;
    bool isPrimaryKey = false;
    bool isAutoIncrement = false;
    DefaultKind defaultKind = DefaultKind::None;
    QVariant defaultValue; // a null QVariant with DefaultKind::Value means `DEFAULT NULL`
    QString defaultSql;    // with DefaultKind::Sql, e.g. CURRENT_TIMESTAMP
    // A json column's declared shape (LiveStore's State.SQLite.json({schema})), an ArgDef; see
    // withSchema(). Shared because ArgDef is declared below.
    std::shared_ptr<const ArgDef> jsonSchema;

    static ColumnDef text(const QString &name) { return {name, ColumnType::Text}; }
    static ColumnDef integer(const QString &name) { return {name, ColumnType::Integer}; }
    static ColumnDef real(const QString &name) { return {name, ColumnType::Real}; }
    static ColumnDef blob(const QString &name) { return {name, ColumnType::Blob}; }
    static ColumnDef boolean(const QString &name) { return {name, ColumnType::Boolean}; }
    static ColumnDef json(const QString &name) { return {name, ColumnType::Json}; }
    static ColumnDef dateTime(const QString &name) { return {name, ColumnType::DateTime}; }
    static ColumnDef dateTimeInteger(const QString &name) { return {name, ColumnType::DateTimeInteger}; }

    ColumnDef &nullable(bool on = true) { isNullable = on; return *this; }
    ColumnDef &primaryKey(bool on = true) { isPrimaryKey = on; return *this; }
    ColumnDef &autoIncrement(bool on = true) { isAutoIncrement = on; return *this; }
    ColumnDef &withDefault(const QVariant &value)
    {
        defaultKind = DefaultKind::Value;
        defaultValue = value;
        return *this;
    }
    ColumnDef &withDefaultSql(const QString &sql)
    {
        defaultKind = DefaultKind::Sql;
        defaultSql = sql;
        return *this;
    }
    bool hasDefault() const { return defaultKind != DefaultKind::None; }
    // For a json column: the shape of its values, as an argument type (a struct, array, record,
    // literal ...). A value the query builder writes into it (Query::insert/update, so a C++
    // materializer's writes) is checked against it and written with the shape's key order (a
    // struct's fields as declared), as LiveStore encodes such a column. A QString is taken as
    // JSON text and written as it is. Defined after ArgDef.
    ColumnDef &withSchema(const ArgDef &shape);
};

struct LIVESTORE_EXPORT IndexDef
{
    QString name;
    QStringList columns;
    bool isUnique = false;
};

struct LIVESTORE_EXPORT TableDef
{
    QString name;
    QList<ColumnDef> columns;
    QList<IndexDef> indexes;

    TableDef &column(const ColumnDef &c) { columns.append(c); return *this; }
    TableDef &index(const QString &indexName, const QStringList &cols, bool unique = false)
    {
        indexes.append({indexName, cols, unique});
        return *this;
    }

    const ColumnDef *findColumn(QStringView columnName) const;
    QStringList primaryKey() const;
    // CREATE TABLE and CREATE INDEX statements, tables STRICT, identifiers quoted.
    QStringList ddl() const;
    // 32-bit hash over the table's definition (LiveStore's Java-style string hash of its JSON form).
    qint32 hash() const;
    QJsonObject toJson() const;
};

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

// Json is any JSON value, unchecked. Literal, Struct, Array and Record are checked like LiveStore's
// Schema.Literal (and unions of literals), Schema.Struct, Schema.Array and Schema.Record.
enum class ArgType { String, Integer, Real, Boolean, DateTime, Json, Literal, Struct, Array, Record };

LIVESTORE_EXPORT QString argTypeName(ArgType type);
LIVESTORE_EXPORT std::optional<ArgType> argTypeFromName(QStringView name);

// An event argument, or (inside a struct, array or record argument) a field, an element or a
// value type; for elements and values the name is not used.
struct LIVESTORE_EXPORT ArgDef
{
    QString name;
    ArgType type = ArgType::String;
    bool isOptional = false; // may be left out
    bool isNullable = false; // may be null
    QString deprecated;      // non-empty: warn (once) when an event carries a value for it
    QVariantList literals;        // Literal: the allowed values (strings, numbers, booleans, null)
    std::vector<ArgDef> fields;   // Struct: the fields, in the order their keys are written
    std::vector<ArgDef> element;  // Array: the element type; Record: the value type (one entry)

    ArgDef &optional(bool on = true) { isOptional = on; return *this; }
    ArgDef &nullable(bool on = true) { isNullable = on; return *this; }
    ArgDef &deprecate(const QString &reason) { deprecated = reason; return *this; }

    // ArgDef::literal(u"filter"_s, {u"all"_s, u"active"_s, u"completed"_s}): one of these values
    static ArgDef literal(const QString &name, const QVariantList &values);
    // ArgDef::structOf(u"point"_s, {ArgDef{u"x"_s, ArgType::Real}, ArgDef{u"y"_s, ArgType::Real}})
    static ArgDef structOf(const QString &name, const QList<ArgDef> &fields);
    // ArgDef::arrayOf(u"tags"_s, ArgDef{{}, ArgType::String})
    static ArgDef arrayOf(const QString &name, const ArgDef &element);
    // ArgDef::recordOf(u"scores"_s, ArgDef{{}, ArgType::Real}): an object with any string keys
    static ArgDef recordOf(const QString &name, const ArgDef &value);

    // "string", "literal", "struct" ...: for messages; typeDescription() says more
    QString typeDescription() const;
    QJsonValue typeJson() const; // the type as the schema file writes it (object form)
};

inline ColumnDef &ColumnDef::withSchema(const ArgDef &shape)
{
    jsonSchema = std::make_shared<const ArgDef>(shape);
    return *this;
}

// What a commit takes: an event name and its arguments in their decoded form (QDateTime for
// date-times, QVariantMap/QVariantList for JSON).
struct LIVESTORE_EXPORT Event
{
    QString name;
    QVariantMap args;
    // Optional: the same arguments as JSON text (as from JavaScript or a command line). A QVariantMap
    // sorts its keys; this text gives the key order that record and json arguments keep (struct
    // arguments are written in their declared field order, as LiveStore writes them).
    QByteArray argsJson;
};

// An event as the eventlog stores it: the arguments are encoded as LiveStore encodes them (dates as
// ISO-8601 strings, JSON arguments as maps and lists), which is also the form materializers read
// and sync sends.
struct LIVESTORE_EXPORT EventRecord
{
    SequenceNumber seqNum;
    SequenceNumber parentSeqNum;
    QString name;
    QVariantMap args;
    QString clientId;
    QString sessionId;
    qint32 schemaHash = 0; // the event definition's hash; -1 for an event unknown to the schema
    QByteArray argsJson;   // args exactly as stored (compact JSON)

    QVariant arg(const QString &argName) const { return args.value(argName); }
    // One argument's JSON text as the event stores it. For a C++ materializer that writes a
    // struct, record or json argument into a json column: arg() gives a QVariantMap, which sorts
    // its keys, while this text keeps the order LiveStore writes (declared for struct fields,
    // given for records), so the column holds the same text as on a LiveStore client:
    //     Query::insert(u"t"_s, {{u"j"_s, QString::fromUtf8(event.argJson(u"point"_s))}})
    // (a QString in a json column is stored as the JSON text it is). Empty if the argument is absent.
    QByteArray argJson(const QString &argName) const;
    QJsonObject toJson() const;
    static std::optional<EventRecord> fromJson(const QJsonObject &object, QString *errorString);
    // One line of an export (JSON lines, as `livestore export` writes them): UTF-8, then JSON,
    // then fromJson(). The error says which of these failed, and where. `argsJson` is the line's
    // `args` text, so that the key order it was written in is kept.
    static std::optional<EventRecord> fromJsonLine(QByteArrayView line, QString *errorString);
};

// A materializer turns an event into writes: query-builder writes or SQL with bind values.
using Writes = QList<Query>;
using Materializer = std::function<Writes(const EventRecord &event, MaterializerContext &context)>;

struct LIVESTORE_EXPORT EventDef
{
    QString name;
    QList<ArgDef> args;
    bool isClientOnly = false;
    bool isDerived = false; // defined by the framework (a client document's Set event)
    QString deprecated;
    Materializer materializer;  // a C++ materializer, or
    QStringList sqlStatements;  // SQL statements with $name parameters bound from the arguments
    bool hasSqlMaterializer = false; // set by materializeSql(); an empty list is a no-op
    // A C++ materializer this schema names but does not hold: the event came from a schema file
    // or a store's recorded schema (Schema::fromStore()) as `"materializer": {"cpp": true}`, for
    // code cannot be written to a file. A store opened with such a schema reads, but committing,
    // importing or replaying this event fails with an error naming it. materialize() (or
    // materializeSql()) supplies the materializer and clears it.
    bool cppMaterializerMissing = false;

    static EventDef synced(const QString &name) { return EventDef{name}; }
    static EventDef clientOnly(const QString &name)
    {
        EventDef def{name};
        def.isClientOnly = true;
        return def;
    }
    EventDef &arg(const QString &argName, ArgType type)
    {
        args.append({argName, type});
        return *this;
    }
    EventDef &arg(const ArgDef &def) { args.append(def); return *this; }
    EventDef &deprecate(const QString &reason) { deprecated = reason; return *this; }
    EventDef &materialize(Materializer fn)
    {
        materializer = std::move(fn);
        cppMaterializerMissing = false;
        return *this;
    }
    EventDef &materializeSql(const QStringList &statements)
    {
        sqlStatements = statements;
        hasSqlMaterializer = true;
        cppMaterializerMissing = false;
        return *this;
    }

    // Has a materializer, or names a C++ one it lacks (cppMaterializerMissing).
    bool hasMaterializer() const { return bool(materializer) || hasSqlMaterializer || cppMaterializerMissing; }
    const ArgDef *findArg(QStringView argName) const;
    // Hash of the argument schema; stored with every event of this definition.
    qint32 hash() const;
    QJsonObject argsSchemaJson() const;

    // Checks `args` against the definition and encodes them. On failure returns nullopt and says
    // why in `errorString` (naming the event and the argument).
    std::optional<QVariantMap> encodeArgs(const QVariantMap &args, QString *errorString) const;
    // The encoded arguments as LiveStore writes them: arguments and struct fields in declared order,
    // record and json objects in the order `orderFrom` (the arguments as JSON text, optional) gives
    // them, in JavaScript's property order (integer-like keys first, ascending).
    QByteArray argsJson(const QVariantMap &encodedArgs, QByteArrayView orderFrom = {}) const;
    // One argument's encoded value as JSON text, its objects' keys in the order of the event's
    // stored arguments (`argsJson`): what an SQL materializer binds for a json, struct, array or
    // record argument, so that the state keeps the key order every client sees.
    QByteArray argJson(const QString &argName, const QVariant &encoded, QByteArrayView argsJson) const;
    // Checks already-encoded arguments (from the eventlog, an import or sync).
    bool validateEncodedArgs(const QVariantMap &args, QString *errorString) const;
};

// ---------------------------------------------------------------------------------------------
// Client documents
// ---------------------------------------------------------------------------------------------

// A keyed JSON document (UI state and the like). It defines a table `name(id TEXT PRIMARY KEY,
// value TEXT)` and a client-only event `<name>Set` with args {id, value}. With `partialSet`, the
// value of a Set event may hold only some fields; they are merged field by field.
struct LIVESTORE_EXPORT ClientDocumentDef
{
    QString name;
    QString defaultId = QStringLiteral("default");
    QJsonObject defaultValue;
    bool partialSet = true;
    // The value's declared shape, as LiveStore's clientDocument `schema` (usually a struct, e.g.
    // {newTodoText: string, filter: literal "all"|"active"|"completed"}). When set, a Set event's
    // value is checked against it on commit (with partialSet, every field may be left out) and the
    // default value must fit it. Without it the value is any JSON object.
    std::optional<ArgDef> valueSchema;

    // A defaultId of "$sessionId" stands for the store's session id (LiveStore's SessionIdSymbol):
    // each session (a window, a process) gets a document of its own.
    static QString sessionIdDefault() { return QStringLiteral("$sessionId"); }
    QString effectiveDefaultId(const QString &sessionId) const
    {
        return defaultId == QLatin1StringView("$sessionId") ? sessionId : defaultId;
    }

    QString setEventName() const { return name + QStringLiteral("Set"); }
    TableDef tableDef() const;
    EventDef setEventDef() const;
};

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

enum class UnknownEventPolicy { Warn, Ignore, Fail, Callback };

struct LIVESTORE_EXPORT UnknownEvent
{
    EventRecord event;
    QString reason; // "event-definition-missing" or "materializer-missing"
};

// What happens to an event of the shared history (pulled from the sync server, or re-applied by
// a rebase or a replay) that cannot be applied: its arguments do not match the schema, or its
// materializer fails (a UNIQUE constraint on an event another client pushed twice, say). A local
// commit that fails is refused instead; this is about events the store cannot refuse. Every
// client of a schema must use the same policy, so that their states stay identical.
enum class FailedEventPolicy {
    Skip,     // the default: keep the event in the eventlog, undo its writes, warn (lcStore)
    Fail,     // stop: the pull fails (sync stays stuck on that event) and so does a replay
    Callback, // as Skip, and call the schema's failed-event callback
};

struct LIVESTORE_EXPORT FailedEvent
{
    EventRecord event;
    QString reason; // why it could not be applied
};

// The whole definition of a store: state tables, events with their materializers, client
// documents. Build it in C++ with addTable/addEvent/addClientDocument, or load a schema file with
// fromJson()/fromFile() (format: docs/schema.md).
class LIVESTORE_EXPORT Schema
{
public:
    Schema();
    Schema(const Schema &);
    Schema &operator=(const Schema &);
    Schema(Schema &&) noexcept;
    Schema &operator=(Schema &&) noexcept;
    ~Schema();

    Schema &addTable(const TableDef &table);
    Schema &addEvent(const EventDef &event);
    Schema &addClientDocument(const ClientDocumentDef &document);
    Schema &setUnknownEventPolicy(UnknownEventPolicy policy);
    Schema &setUnknownEventCallback(std::function<void(const UnknownEvent &)> callback);
    Schema &setFailedEventPolicy(FailedEventPolicy policy);
    Schema &setFailedEventCallback(std::function<void(const FailedEvent &)> callback);

    // All tables, client-document tables included, in declaration order.
    QList<TableDef> tables() const;
    QList<EventDef> events() const;
    QList<ClientDocumentDef> clientDocuments() const;
    UnknownEventPolicy unknownEventPolicy() const;
    const std::function<void(const UnknownEvent &)> &unknownEventCallback() const;
    FailedEventPolicy failedEventPolicy() const;
    const std::function<void(const FailedEvent &)> &failedEventCallback() const;

    const TableDef *table(QStringView name) const;
    const EventDef *event(QStringView name) const;
    const ClientDocumentDef *clientDocument(QStringView name) const;

    // Hash over all table definitions; a change rebuilds the state from the eventlog.
    qint32 stateHash() const;

    // Checks the schema as a whole: duplicate names, reserved names, a materializer for every event,
    // indexes naming existing columns. Empty when valid; a schema that failed to load (see
    // fromFile()) reports its load error here too. (SQL materializers are checked against
    // the tables and the event's arguments when a store opens: that needs SQLite.)
    QString validate() const;

    // The declarative schema file (JSON). See docs/schema.md. A file that cannot be read or is not
    // a valid schema gives an empty Schema whose isValid() is false and whose errorString() names
    // the file and the reason (also written to `errorString` when given). Store::open() refuses
    // such a schema with that error, so a load failure cannot go unnoticed.
    static Schema fromJson(const QByteArray &json, QString *errorString = nullptr);
    static Schema fromFile(const QString &path, QString *errorString = nullptr);
    // The schema a store records: the one it was last opened with for writing (Store::open()
    // records it when it differs from the recorded one), read from the store directory without
    // taking its lock and loaded as fromJson() loads a file. Fails, like fromFile(), when there is
    // no store in `directory`, when it records no schema (it was last written before stores
    // recorded theirs) or when the record cannot be loaded. Events with a C++ materializer come
    // back with EventDef::cppMaterializerMissing: a store opened with this schema reads them, but
    // cannot commit or replay them.
    static Schema fromStore(const QString &directory, QString *errorString = nullptr);

    // The schema as a schema file (docs/schema.md): the inverse of fromJson(), so that
    // fromJson(toJson()) gives a schema with the same tables, events, arguments (in declared
    // order), client documents, materializer SQL and hashes. What a file cannot hold is written
    // as its nearest form: a C++ materializer as `"materializer": {"cpp": true}`, the callback
    // policies as "warn" and "skip" (their callbacks are code). Indented: for people (two spaces,
    // short objects on one line); Compact: one line.
    QByteArray toJson(QJsonDocument::JsonFormat format = QJsonDocument::Indented) const;

    // False for a schema fromJson()/fromFile() could not load; schemas built in C++ are valid
    // here (validate() checks their content).
    bool isValid() const;
    // Why fromJson()/fromFile() failed; empty otherwise.
    QString errorString() const;

private:
    static Schema failedToLoad(const QString &error, QString *errorString);

    struct Data;
    std::shared_ptr<Data> d; // copy-on-write: schemas are shared by stores and copied rarely
    void detach();
};

} // namespace LiveStore

#endif // LIVESTORE_SCHEMA_H
