// SPDX-License-Identifier: BSD-3-Clause
#include "syncstorage.h"

#include <QtCore/qmessageauthenticationcode.h>
#include <QtCore/qrandom.h>

#include <iterator>

namespace LiveStore {

SyncStorage::SyncStorage(QObject *parent) : QObject(parent) { }

SyncStorage::~SyncStorage() = default;

QString SyncStorage::errorString() const
{
    return m_errorString;
}

void SyncStorage::setErrorString(const QString &message)
{
    m_errorString = message;
}

namespace {

constexpr char16_t Alphabet[] = u"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
static_assert(std::size(Alphabet) == 65); // 64 symbols and the terminator
constexpr int BackendIdLength = 21;       // as nanoid(): 126 bits

} // namespace

QString SyncStorage::newBackendId()
{
    QString id(BackendIdLength, Qt::Uninitialized);
    auto *rng = QRandomGenerator::system();
    for (QChar &c : id)
        c = QChar(Alphabet[rng->bounded(64)]);
    return id;
}

QString SyncStorage::backendIdFor(const QString &storeId) const
{
    Q_ASSERT(!m_backendIdKey.isEmpty());
    const QByteArray mac = QMessageAuthenticationCode::hash(storeId.toUtf8(), m_backendIdKey,
                                                            QCryptographicHash::Sha256);
    QString id(BackendIdLength, Qt::Uninitialized);
    for (int i = 0; i < BackendIdLength; ++i)
        id[i] = QChar(Alphabet[static_cast<unsigned char>(mac.at(i)) & 63]);
    return id;
}

QString SyncStorage::keyRowId()
{
    // '#' is outside the store id alphabet: the row can never be mistaken for a store.
    return QStringLiteral("#backend-id-key");
}

void SyncStorage::setBackendIdKey(const QString &key)
{
    m_backendIdKey = key.toUtf8();
}

} // namespace LiveStore
