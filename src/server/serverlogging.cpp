// SPDX-License-Identifier: BSD-3-Clause
#include "serverlogging_p.h"

#include <QtCore/qregularexpression.h>

using namespace Qt::StringLiterals;

// Info and above by default; QT_LOGGING_RULES="livestore.server*.debug=true" shows every push,
// pull and frame. Messages are `key=value` pairs after a short verb, so that logs can be grepped
// and parsed.

namespace LiveStore {
Q_LOGGING_CATEGORY(lcServer, "livestore.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWire, "livestore.server.wire", QtInfoMsg)

namespace {

constexpr qsizetype MaxIdChars = 64;
constexpr qsizetype MaxTextChars = 300;
constexpr QLatin1StringView Redacted("<redacted>");

QString cut(const QString &text, qsizetype max)
{
    if (text.size() <= max)
        return text;
    return text.left(max) + u"…("_s + QString::number(text.size()) + u" chars)"_s;
}

} // namespace

QString logId(QStringView id)
{
    return cut(id.toString(), MaxIdChars);
}

QString logTarget(QByteArrayView target)
{
    const qsizetype q = target.indexOf('?');
    const QByteArrayView path = q < 0 ? target : target.first(q);
    QString out = cut(QString::fromLatin1(path), MaxIdChars);
    if (q < 0)
        return out;
    out += u'?';
    bool first = true;
    for (QByteArrayView part : QByteArray::fromRawData(target.data() + q + 1, target.size() - q - 1).split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        const QString name = cut(QString::fromUtf8(QByteArray::fromPercentEncoding(
                                         (eq < 0 ? part : part.first(eq)).toByteArray())),
                                 MaxIdChars);
        if (!first)
            out += u'&';
        first = false;
        out += name;
        if (eq < 0)
            continue;
        const QByteArrayView value = part.sliced(eq + 1);
        // Store ids and transports are not secret and tell which client it was; anything else
        // (payload, authToken, parameters of other tools) may be.
        if (name == "storeId"_L1 || name == "transport"_L1)
            out += u'=' + cut(QString::fromLatin1(value), MaxIdChars);
        else
            out += u'=' + Redacted;
    }
    return out;
}

QString logRedacted(const QString &text, const QString &secret)
{
    // A member whose name mentions a secret, with a string value (possibly cut short by the
    // quoting function that produced the text) or any other value up to the next delimiter.
    static const QRegularExpression member(
            uR"re(("[^"]*(?:token|auth|password|passwd|secret|key|payload|cookie)[^"]*"\s*:\s*)("(?:[^"\\]|\\.)*"?|\{[^}]*\}?|\[[^\]]*\]?|[^,}\]\s]+))re"_s,
            QRegularExpression::CaseInsensitiveOption);
    QString out = text;
    out.replace(member, u"\\1\""_s + Redacted + u'"');
    if (!secret.isEmpty())
        out.replace(secret, Redacted);
    return cut(out, MaxTextChars);
}

} // namespace LiveStore
