// SPDX-License-Identifier: BSD-3-Clause
#include "sequencenumber.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

QString SequenceNumber::toString() const
{
    QString s = u'e' + QString::number(global);
    if (client != 0)
        s += u'.' + QString::number(client);
    if (rebaseGeneration != 0)
        s += u'r' + QString::number(rebaseGeneration);
    return s;
}

std::optional<SequenceNumber> SequenceNumber::fromString(QStringView text)
{
    if (!text.startsWith(u'e'))
        return std::nullopt;
    text = text.mid(1);
    SequenceNumber n;
    auto takeNumber = [&text](qint64 &out) {
        qsizetype i = 0;
        while (i < text.size() && text[i].isDigit())
            ++i;
        if (i == 0)
            return false;
        bool ok = false;
        out = text.left(i).toLongLong(&ok);
        text = text.mid(i);
        return ok;
    };
    if (!takeNumber(n.global))
        return std::nullopt;
    if (text.startsWith(u'.')) {
        text = text.mid(1);
        if (!takeNumber(n.client))
            return std::nullopt;
    }
    if (text.startsWith(u'r')) {
        text = text.mid(1);
        if (!takeNumber(n.rebaseGeneration))
            return std::nullopt;
    }
    if (!text.isEmpty())
        return std::nullopt;
    return n;
}

} // namespace LiveStore
