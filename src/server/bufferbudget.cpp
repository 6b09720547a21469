// SPDX-License-Identifier: BSD-3-Clause
#include "bufferbudget_p.h"

namespace LiveStore {

bool BufferBudget::hasRoom(qint64 bytes)
{
    if (m_limit <= 0 || m_total + bytes <= m_limit)
        return true;
    m_wanted = qMax(m_wanted, bytes);
    return false;
}

void BufferBudget::set(const void *owner, qint64 bytes, Shed shed)
{
    qint64 before = 0;
    if (bytes <= 0) {
        const auto it = m_entries.constFind(owner);
        if (it == m_entries.cend())
            return;
        before = it->bytes;
        m_entries.erase(it);
    } else {
        Entry &entry = m_entries[owner];
        before = entry.bytes;
        entry.bytes = bytes;
        if (shed)
            entry.shed = std::move(shed);
    }
    m_total += qMax<qint64>(bytes, 0) - before;
    if (bytes < before && m_wanted >= 0 && (m_limit <= 0 || m_total + m_wanted <= m_limit)) {
        m_wanted = -1;
        Q_EMIT roomAvailable();
    }
}

void BufferBudget::enforce()
{
    while (m_limit > 0 && m_total > m_limit) {
        auto largest = m_entries.end();
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            if (it->shed && (largest == m_entries.end() || it->bytes > largest->bytes))
                largest = it;
        }
        if (largest == m_entries.end())
            return;
        const Shed shed = std::move(largest->shed);
        m_total -= largest->bytes;
        m_entries.erase(largest);
        shed();
    }
}

} // namespace LiveStore
