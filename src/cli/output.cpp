// SPDX-License-Identifier: BSD-3-Clause
#include "output.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qlocale.h>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace Output {

namespace {

bool isNumber(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Float:
        return true;
    default:
        return false;
    }
}

QString numberText(const QVariant &value)
{
    if (value.typeId() == QMetaType::Double || value.typeId() == QMetaType::Float)
        return QString::number(value.toDouble(), 'g', QLocale::FloatingPointShortest);
    return value.toString();
}

// Only a JSON array or object can be a QJsonDocument; a scalar is written as the one element of an
// array, brackets cut off.
QString compactJson(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(wrapped.mid(1, wrapped.size() - 2));
}

QJsonValue toJsonValue(const QVariant &value)
{
    if (value.isNull() && value.typeId() != QMetaType::QString)
        return QJsonValue::Null;
    switch (value.typeId()) {
    case QMetaType::QByteArray:
        return QString::fromLatin1(value.toByteArray().toBase64());
    case QMetaType::QDateTime:
        return value.toDateTime().toString(Qt::ISODateWithMs);
    default:
        return QJsonValue::fromVariant(value);
    }
}

QString escapeControl(const QString &text)
{
    QString escaped;
    escaped.reserve(text.size());
    for (const QChar c : text) {
        if (c == u'\n')
            escaped += u"\\n"_s;
        else if (c == u'\r')
            escaped += u"\\r"_s;
        else if (c == u'\t')
            escaped += u"\\t"_s;
        else if (c.unicode() < 0x20)
            escaped += u"\\x"_s + QString::number(c.unicode(), 16).rightJustified(2, u'0');
        else
            escaped += c;
    }
    return escaped;
}

} // namespace

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

void error(const QString &message)
{
    out().flush();
    err() << "livestore: " << message << Qt::endl;
}

QString cellText(const QVariant &value)
{
    if (value.isNull() && value.typeId() != QMetaType::QString)
        return u"NULL"_s;
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QMetaType::QByteArray:
        return u"x'"_s + QString::fromLatin1(value.toByteArray().toHex()) + u"'"_s;
    case QMetaType::QDateTime:
        return value.toDateTime().toString(Qt::ISODateWithMs);
    case QMetaType::QVariantMap:
    case QMetaType::QVariantList:
        return escapeControl(jsonText(value));
    default:
        if (isNumber(value))
            return numberText(value);
        return escapeControl(value.toString());
    }
}

QString jsonText(const QVariant &value)
{
    return compactJson(toJsonValue(value));
}

QString rowJson(const QStringList &columns, const QVariantList &row)
{
    QString line = u"{"_s;
    for (qsizetype c = 0; c < columns.size(); ++c) {
        if (c > 0)
            line += u',';
        line += compactJson(columns.at(c)) + u':' + jsonText(row.value(c));
    }
    return line + u'}';
}

void printTable(QTextStream &stream, const LiveStore::QueryResult &result)
{
    const QStringList &columns = result.columns();
    QList<qsizetype> widths;
    for (const QString &c : columns)
        widths.append(c.size());
    QList<QStringList> cells;
    cells.reserve(result.rowCount());
    QList<QList<bool>> rightAligned;
    for (const QVariantList &row : result.rows()) {
        QStringList texts;
        QList<bool> right;
        for (qsizetype c = 0; c < columns.size(); ++c) {
            const QVariant v = row.value(c);
            texts.append(cellText(v));
            right.append(isNumber(v));
            widths[c] = std::max(widths[c], texts.constLast().size());
        }
        cells.append(texts);
        rightAligned.append(right);
    }

    // No padding after the last column: trailing blanks only get in the way of diff and grep.
    auto printRow = [&](const QStringList &texts, const QList<bool> &right) {
        QString line;
        for (qsizetype c = 0; c < texts.size(); ++c) {
            const bool last = c == texts.size() - 1;
            if (c > 0)
                line += u" | "_s;
            if (right.value(c))
                line += texts.at(c).rightJustified(widths.at(c));
            else
                line += last ? texts.at(c) : texts.at(c).leftJustified(widths.at(c));
        }
        stream << line << '\n';
    };
    if (!columns.isEmpty()) {
        printRow(columns, {});
        QString separator;
        for (qsizetype c = 0; c < columns.size(); ++c) {
            if (c > 0)
                separator += u"-+-"_s;
            separator += QString(widths.at(c), u'-');
        }
        stream << separator << '\n';
        for (qsizetype r = 0; r < cells.size(); ++r)
            printRow(cells.at(r), rightAligned.at(r));
    }
    stream << '(' << result.rowCount() << (result.rowCount() == 1 ? " row)" : " rows)") << '\n';
}

QString eventLine(const LiveStore::EventRecord &event, qsizetype nameWidth)
{
    const QString args = event.argsJson.isEmpty() ? compactJson(QJsonObject::fromVariantMap(event.args))
                                                   : QString::fromUtf8(event.argsJson);
    return event.seqNum.toString().leftJustified(6) + u' ' + event.name.leftJustified(nameWidth)
            + u"  "_s + args + u"  client="_s + event.clientId;
}

QString eventJson(const LiveStore::EventRecord &event)
{
    if (event.argsJson.isEmpty())
        return compactJson(event.toJson());
    // The args as stored, not re-serialized: a QJsonObject would sort a record's keys, and an
    // import of this line would then store other bytes than this store and its peers hold.
    QJsonObject rest = event.toJson();
    rest.remove(u"args"_s);
    return u"{\"args\":"_s + QString::fromUtf8(event.argsJson) + u',' + compactJson(rest).mid(1);
}

} // namespace Output
