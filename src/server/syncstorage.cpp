// SPDX-License-Identifier: BSD-3-Clause
#include "syncstorage.h"

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

QString SyncStorage::newBackendId()
{
    static constexpr char16_t alphabet[] =
            u"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    static_assert(std::size(alphabet) == 65); // 64 symbols and the terminator
    QString id(21, Qt::Uninitialized);
    auto *rng = QRandomGenerator::system();
    for (QChar &c : id)
        c = QChar(alphabet[rng->bounded(64)]);
    return id;
}

} // namespace LiveStore
