// SPDX-License-Identifier: BSD-3-Clause
#include "wirejson_p.h"

#include "wireprotocol.h"

#include <QtCore/qjsondocument.h>

#include <limits>

using namespace Qt::StringLiterals;

namespace LiveStore::Wire::detail {

std::optional<QJsonObject> parseObject(QByteArrayView json, QString *errorString,
                                       const QString &what)
{
    QJsonParseError pe;
    const QJsonDocument doc =
            QJsonDocument::fromJson(QByteArray::fromRawData(json.data(), json.size()), &pe);
    if (pe.error != QJsonParseError::NoError) {
        setError(errorString, u"%1 is not valid JSON (at offset %2: %3)"_s.arg(
                                      what, QString::number(pe.offset), pe.errorString()));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        setError(errorString, u"%1 is not a JSON object"_s.arg(what));
        return std::nullopt;
    }
    return doc.object();
}

// Integers arrive as JSON numbers; only whole numbers that fit qint64 count.
bool readInteger(const QJsonValue &value, qint64 *out)
{
    if (!value.isDouble())
        return false;
    constexpr qint64 Invalid = std::numeric_limits<qint64>::min();
    const qint64 i = value.toInteger(Invalid);
    if (i == Invalid)
        return false;
    *out = i;
    return true;
}

QString describeJson(const QJsonValue &value)
{
    if (value.isUndefined())
        return u"nothing"_s;
    QString text = QString::fromUtf8(sql::jsonBytes(value));
    if (text.size() > 60)
        text = text.left(57) + u"..."_s;
    return text;
}

QString quoted(QLatin1StringView key)
{
    return u'"' + QString(key) + u'"';
}

QString normalizedRequestId(QStringView id)
{
    qsizetype i = 0;
    while (i + 1 < id.size() && id[i] == u'0')
        ++i;
    return id.mid(i).toString();
}

// Reads a request id field ("id" or "requestId"): a string of a decimal integer.
bool readRequestId(const QJsonObject &o, QLatin1StringView key, const QString &frame, QString *out,
                   QString *errorString)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return setError(errorString, u"%1 frame has no \"%2\""_s.arg(frame, key));
    if (!v.isString())
        return setError(errorString,
                        u"%1.%2 must be a string of a decimal integer, got %3"_s.arg(
                                frame, key, describeJson(v)));
    const QString id = v.toString();
    if (!isValidRequestId(id))
        return setError(errorString, u"%1.%2 \"%3\" is not a decimal integer"_s.arg(
                                             frame, key, id.left(MaxRequestIdLength + 10)));
    *out = normalizedRequestId(id);
    return true;
}

bool readString(const QJsonObject &o, QLatin1StringView key, QString *out, QString *errorString,
                const Where &path)
{
    const QJsonValue v = o.value(key);
    if (v.isString()) {
        *out = v.toString();
        return true;
    }
    const QString where = path.isEmpty() ? quoted(key) : QString(path.text() + u'.' + key);
    if (v.isUndefined())
        return setError(errorString, where + u" is missing"_s);
    if (!v.isString())
        return setError(errorString, u"%1 must be a string, got %2"_s.arg(where, describeJson(v)));
    *out = v.toString();
    return true;
}

bool readIntegerField(const QJsonObject &o, QLatin1StringView key, qint64 *out,
                      QString *errorString, const Where &path)
{
    const QJsonValue v = o.value(key);
    if (readInteger(v, out))
        return true;
    const QString where = path.isEmpty() ? quoted(key) : QString(path.text() + u'.' + key);
    if (v.isUndefined())
        return setError(errorString, where + u" is missing"_s);
    if (!readInteger(v, out))
        return setError(errorString,
                        u"%1 must be an integer, got %2"_s.arg(where, describeJson(v)));
    return true;
}

} // namespace LiveStore::Wire::detail
