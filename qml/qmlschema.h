// SPDX-License-Identifier: BSD-3-Clause
// Schema elements declared inline in QML, as children of a Store. (TableColumn and TableIndex, so
// that they do not shadow QtQuick's Column positioner.)
//
//     Store {
//         Table { name: "todos"
//             TableColumn { name: "id"; type: "text"; primaryKey: true }
//             TableColumn { name: "completed"; type: "boolean"; defaultValue: false }
//         }
//         EventDefinition { name: "v1.TodoCreated"; args: ({ id: "string", text: "string" })
//                           sql: "INSERT INTO todos (id, text) VALUES ($id, $text)" }
//         ClientDocumentDefinition { name: "uiState"; defaultValue: ({ filter: "all" }) }
//     }
//
// They describe the same thing a schema file does and are turned into its JSON form, so the file
// loader's checks and error messages apply to both.
#ifndef LIVESTORE_QMLSCHEMA_H
#define LIVESTORE_QMLSCHEMA_H

#include <schema.h>

#include "qmlobjectlist_p.h"

#include <QtCore/qjsonobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmllist.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlColumn : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(TableColumn)
    Q_PROPERTY(QString name MEMBER m_name NOTIFY changed FINAL)
    Q_PROPERTY(QString type MEMBER m_type NOTIFY changed FINAL)
    Q_PROPERTY(bool primaryKey MEMBER m_primaryKey NOTIFY changed FINAL)
    Q_PROPERTY(bool nullable MEMBER m_nullable NOTIFY changed FINAL)
    Q_PROPERTY(bool autoIncrement MEMBER m_autoIncrement NOTIFY changed FINAL)
    Q_PROPERTY(QVariant defaultValue MEMBER m_defaultValue NOTIFY changed FINAL)
    Q_PROPERTY(QString defaultSql MEMBER m_defaultSql NOTIFY changed FINAL)
    // A json column's value shape, an argument type as in EventDefinition.args (LiveStore's
    // State.SQLite.json({schema})); the query builder checks what it writes there.
    Q_PROPERTY(QJSValue schema READ schema WRITE setSchema NOTIFY changed FINAL)
public:
    using QObject::QObject;
    QJsonObject toJson() const;
    QByteArray toJsonText(const QString &table, QString *error) const;
    QJSValue schema() const { return m_schema; }
    void setSchema(const QJSValue &schema)
    {
        m_schema = schema;
        Q_EMIT changed();
    }
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    QString m_type = QStringLiteral("text");
    bool m_primaryKey = false;
    bool m_nullable = false;
    bool m_autoIncrement = false;
    QVariant m_defaultValue;
    QString m_defaultSql;
    QJSValue m_schema;
};

class QmlIndex : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(TableIndex)
    Q_PROPERTY(QString name MEMBER m_name NOTIFY changed FINAL)
    Q_PROPERTY(QStringList columns MEMBER m_columns NOTIFY changed FINAL)
    Q_PROPERTY(bool unique MEMBER m_unique NOTIFY changed FINAL)
public:
    using QObject::QObject;
    QJsonObject toJson() const;
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    QStringList m_columns;
    bool m_unique = false;
};

class QmlTable : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Table)
    Q_PROPERTY(QString name MEMBER m_name NOTIFY changed FINAL)
    Q_PROPERTY(QQmlListProperty<QObject> data READ data FINAL)
    Q_CLASSINFO("DefaultProperty", "data")
public:
    using QObject::QObject;
    QQmlListProperty<QObject> data() { return m_data.property(); }
    QByteArray toJsonText(QString *error) const;
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    QmlObjectList m_data{this};
};

class QmlEventDefinition : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(EventDefinition)
    Q_PROPERTY(QString name MEMBER m_name NOTIFY changed FINAL)
    Q_PROPERTY(bool clientOnly MEMBER m_clientOnly NOTIFY changed FINAL)
    Q_PROPERTY(QString deprecated MEMBER m_deprecated NOTIFY changed FINAL)
    // The arguments, in the order their keys are written (LiveStore writes an event's arguments
    // in declared order), either as a JavaScript object, whose property order is kept:
    //     ({ id: "string", filter: ["all", "active"], point: { type: "struct", fields: { x: "real" } } })
    // or as a list of {name, type, ...} objects:
    //     [{ name: "id", type: "string" }, { name: "due", type: "datetime", optional: true }]
    // Types as in a schema file: string, integer, real, boolean, datetime, json, literal, struct,
    // array, record ("?" = optional and nullable; a list of values is a union of literals). A
    // struct's `fields` take either form too.
    Q_PROPERTY(QJSValue args READ args WRITE setArgs NOTIFY changed FINAL)
    // One SQL statement, or a list of them, with $name parameters bound from the arguments.
    Q_PROPERTY(QVariant sql MEMBER m_sql NOTIFY changed FINAL)
public:
    using QObject::QObject;
    // The element as a schema file's JSON text (text, so that the key order survives).
    QByteArray toJsonText(QString *error) const;
    QJSValue args() const { return m_args; }
    void setArgs(const QJSValue &args)
    {
        m_args = args;
        Q_EMIT changed();
    }
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    bool m_clientOnly = false;
    QString m_deprecated;
    QJSValue m_args;
    QVariant m_sql;
};

class QmlClientDocumentDefinition : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(ClientDocumentDefinition)
    Q_PROPERTY(QString name MEMBER m_name NOTIFY changed FINAL)
    Q_PROPERTY(QString defaultId MEMBER m_defaultId NOTIFY changed FINAL)
    Q_PROPERTY(QVariantMap defaultValue MEMBER m_defaultValue NOTIFY changed FINAL)
    Q_PROPERTY(bool partialSet MEMBER m_partialSet NOTIFY changed FINAL)
    // The value's shape, an argument type as in EventDefinition.args (usually a struct, e.g.
    // ({ type: "struct", fields: { newTodoText: "string", filter: ["all", "active", "completed"] } })).
    // Sets are checked against it. Unset: any object.
    Q_PROPERTY(QJSValue schema READ schema WRITE setSchema NOTIFY changed FINAL)
public:
    using QObject::QObject;
    QByteArray toJsonText(QString *error) const;
    QJSValue schema() const { return m_schema; }
    void setSchema(const QJSValue &schema)
    {
        m_schema = schema;
        Q_EMIT changed();
    }
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    QString m_defaultId = QStringLiteral("default");
    QVariantMap m_defaultValue;
    bool m_partialSet = true;
    QJSValue m_schema;
};

// The inline elements among `children` as a schema file's JSON text, in `json`; `any` says whether
// there were any. Returns false with a message when an element is not a schema element.
bool inlineSchemaJson(const QList<QObject *> &children, QByteArray *json, bool *any, QString *error);

// Adds the tables, events and client documents of `extra` (the inline ones) to `schema` (the
// file's), then checks the whole. A file and inline elements are loaded separately and merged
// here rather than merged as JSON: a QJsonObject would sort the keys of the file's `args`, and
// the order of arguments and struct fields is the order LiveStore writes them in.
bool mergeSchema(Schema *schema, const Schema &extra, QString *error);

} // namespace LiveStore

#endif // LIVESTORE_QMLSCHEMA_H
