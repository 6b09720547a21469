// SPDX-License-Identifier: BSD-3-Clause
#include "syncquery_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

QString decodeComponent(QByteArrayView raw, bool plusIsSpace)
{
    QByteArray bytes = raw.toByteArray();
    if (plusIsSpace)
        bytes.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(bytes));
}

} // namespace

SyncQuery parseSyncQuery(QByteArrayView query)
{
    SyncQuery result;
    bool haveTransport = false;
    for (QByteArrayView part : QByteArray::fromRawData(query.data(), query.size()).split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        const QString name = decodeComponent(eq < 0 ? part : part.first(eq), true);
        const QByteArrayView rawValue = eq < 0 ? QByteArrayView() : part.sliced(eq + 1);
        if (name == "storeId"_L1 && !result.storeId) {
            result.storeId = decodeComponent(rawValue, true);
        } else if (name == "payload"_L1 && !result.payload) {
            // encodeURIComponent on the client: undo it once more (no '+' rule this time).
            result.payload = decodeComponent(decodeComponent(rawValue, true).toUtf8(), false);
        } else if (name == "transport"_L1 && !haveTransport) {
            haveTransport = true;
            result.transport = decodeComponent(rawValue, true);
        }
    }
    return result;
}

std::optional<QJsonValue> parsePayloadJson(const QString &text, QString *errorString)
{
    // QJsonDocument only parses containers: wrap, so that scalars (a bare token string) work too.
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson('[' + text.toUtf8() + ']', &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1) {
        if (errorString)
            *errorString = u"the payload is not valid JSON"_s;
        return std::nullopt;
    }
    return doc.array().at(0);
}

} // namespace LiveStore
