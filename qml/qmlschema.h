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

#include <QtCore/qjsonobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>
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
public:
    using QObject::QObject;
    QJsonObject toJson() const;
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
    QQmlListProperty<QObject> data() { return {this, &m_data}; }
    QJsonObject toJson(QString *error) const;
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    QList<QObject *> m_data;
};

class QmlEventDefinition : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(EventDefinition)
    Q_PROPERTY(QString name MEMBER m_name NOTIFY changed FINAL)
    Q_PROPERTY(bool clientOnly MEMBER m_clientOnly NOTIFY changed FINAL)
    Q_PROPERTY(QString deprecated MEMBER m_deprecated NOTIFY changed FINAL)
    // name -> type ("string", "integer", "real", "boolean", "datetime", "json"; "?" = optional)
    Q_PROPERTY(QVariantMap args MEMBER m_args NOTIFY changed FINAL)
    // One SQL statement, or a list of them, with $name parameters bound from the arguments.
    Q_PROPERTY(QVariant sql MEMBER m_sql NOTIFY changed FINAL)
public:
    using QObject::QObject;
    QJsonObject toJson() const;
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    bool m_clientOnly = false;
    QString m_deprecated;
    QVariantMap m_args;
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
public:
    using QObject::QObject;
    QJsonObject toJson() const;
Q_SIGNALS:
    void changed();

private:
    QString m_name;
    QString m_defaultId = QStringLiteral("default");
    QVariantMap m_defaultValue;
    bool m_partialSet = true;
};

// Adds the inline elements among `children` to a schema file's JSON form. Returns false with a
// message when an element is not a schema element.
bool appendInlineSchema(QJsonObject *schemaJson, const QList<QObject *> &children, QString *error);

} // namespace LiveStore

#endif // LIVESTORE_QMLSCHEMA_H
