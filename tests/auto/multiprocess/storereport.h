// SPDX-License-Identifier: BSD-3-Clause
// What a process of a shared store reports of it, the same in tst_multiprocess and storechild:
// its head, a digest of its eventlog, a digest of its state, and whether it verifies.
#ifndef LIVESTORE_TESTS_STOREREPORT_H
#define LIVESTORE_TESTS_STOREREPORT_H

#include <store.h>

#include <QtCore/qcryptographichash.h>
#include <QtCore/qstringlist.h>

namespace LiveStoreTest {

// The eventlog: numbers, parents, names, arguments, client and session ids, in order.
inline QByteArray historyDigest(const LiveStore::Store &store)
{
    QCryptographicHash hash(QCryptographicHash::Sha1);
    for (const LiveStore::EventRecord &e : store.events()) {
        hash.addData(QByteArray(e.seqNum.toString().toUtf8() + ' ' + e.parentSeqNum.toString().toUtf8() + ' '
                                + e.name.toUtf8() + ' ' + e.argsJson + ' ' + e.clientId.toUtf8() + ' '
                                + e.sessionId.toUtf8() + '\n'));
    }
    return hash.result().toHex();
}

// "head SEQ", "history SHA1", "state SHA256", "verify ok" (or "verify " and the error).
inline QStringList storeReport(LiveStore::Store &store)
{
    using namespace Qt::StringLiterals;
    QStringList out{u"head "_s + store.head().toString(),
                    u"history "_s + QString::fromLatin1(historyDigest(store)),
                    u"state "_s + QString::fromLatin1(store.stateDigest().toHex())};
    out.append(store.verify() ? u"verify ok"_s : u"verify "_s + store.errorString().simplified());
    return out;
}

} // namespace LiveStoreTest

#endif // LIVESTORE_TESTS_STOREREPORT_H
