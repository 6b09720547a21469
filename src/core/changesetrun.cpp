// SPDX-License-Identifier: BSD-3-Clause
#include "changesetrun_p.h"

#include "rowchanges_p.h"

#include <QtCore/qendian.h>

#include <sqlite3.h>

#include <cstring>

namespace LiveStore::detail {

namespace {

constexpr char Magic[4] = {'L', 'S', 'R', '1'};
constexpr qsizetype HeaderSize = sizeof(Magic) + 3 * sizeof(qint64);

int stateTablesOnly(void *, const char *table)
{
    return std::strncmp(table, "__livestore_", 12) != 0;
}

} // namespace

QByteArray runChangesetBlob(const SequenceNumber &runFirst, QByteArrayView changeset)
{
    QByteArray blob(HeaderSize + changeset.size(), Qt::Uninitialized);
    char *out = blob.data();
    std::memcpy(out, Magic, sizeof(Magic));
    qToBigEndian<qint64>(runFirst.global, out + 4);
    qToBigEndian<qint64>(runFirst.client, out + 12);
    qToBigEndian<qint64>(runFirst.rebaseGeneration, out + 20);
    if (!changeset.isEmpty())
        std::memcpy(out + HeaderSize, changeset.data(), changeset.size());
    return blob;
}

bool readRunChangesetBlob(QByteArrayView blob, SequenceNumber *runFirst, QByteArray *changeset)
{
    if (blob.size() < HeaderSize || std::memcmp(blob.data(), Magic, sizeof(Magic)) != 0)
        return false;
    const char *in = blob.data();
    *runFirst = {qFromBigEndian<qint64>(in + 4), qFromBigEndian<qint64>(in + 12),
                 qFromBigEndian<qint64>(in + 20)};
    *changeset = blob.sliced(HeaderSize).toByteArray();
    return true;
}

RunSession::~RunSession()
{
    if (m_session)
        sqlite3session_delete(m_session);
}

bool RunSession::start(sqlite3 *db)
{
    if (sqlite3session_create(db, "main", &m_session) != SQLITE_OK) {
        m_session = nullptr;
        return false;
    }
    sqlite3session_table_filter(m_session, stateTablesOnly, nullptr);
    if (sqlite3session_attach(m_session, nullptr) != SQLITE_OK) {
        sqlite3session_delete(m_session);
        m_session = nullptr;
        return false;
    }
    return true;
}

bool RunSession::finish(QByteArray *changeset)
{
    return m_session && takeChangeset(&m_session, changeset);
}

} // namespace LiveStore::detail
