// SPDX-License-Identifier: BSD-3-Clause
// Internal: the server-wide limit on bytes held in memory for peers.
#ifndef LIVESTORE_BUFFERBUDGET_P_H
#define LIVESTORE_BUFFERBUDGET_P_H

#include <QtCore/qhash.h>
#include <QtCore/qobject.h>

#include <functional>

namespace LiveStore {

// What the server holds in memory on behalf of its peers: output that slow readers have not taken
// yet (WebSocket frames, HTTP responses) and HTTP bodies still arriving. Per-peer limits alone do
// not bound it (a thousand peers each under their own limit still add up), so every holder reports
// what it holds here, against one limit for the whole server:
//
// - whoever could make a peer wait asks hasRoom() first (a catch-up page, an HTTP body): it waits
//   (or is refused) rather than adding to a full budget;
// - what cannot wait (live updates) is added anyway, and enforce() then cuts off the peers holding
//   the most until the total is back under the limit: they are the ones not reading.
class BufferBudget : public QObject
{
    Q_OBJECT
public:
    using Shed = std::function<void()>;

    explicit BufferBudget(QObject *parent = nullptr) : QObject(parent) { }

    void setLimit(qint64 bytes) { m_limit = bytes; } // 0: no limit
    qint64 limit() const { return m_limit; }
    qint64 total() const { return m_total; }

    // Whether `bytes` more fit. A false answer makes a note that someone waits for room, and
    // roomAvailable() follows once there is some again.
    bool hasRoom(qint64 bytes = 0);

    // What `owner` holds now; 0 forgets it. `shed`, when given, frees the owner's buffers (it is
    // called at most once, after the entry was removed) when enforce() picks it.
    void set(const void *owner, qint64 bytes, Shed shed = {});
    void remove(const void *owner) { set(owner, 0); }
    qint64 heldBy(const void *owner) const { return m_entries.value(owner).bytes; }

    // Over the limit: sheds the holders that hold the most until it is not (or none is left
    // that can be shed).
    void enforce();

Q_SIGNALS:
    // The total fell back to where a page of output fits, after hasRoom() had said no.
    void roomAvailable();

private:
    struct Entry
    {
        qint64 bytes = 0;
        Shed shed;
    };
    QHash<const void *, Entry> m_entries;
    qint64 m_total = 0;
    qint64 m_limit = 0;
    qint64 m_wanted = -1; // what the last refused hasRoom() asked for; -1: nobody waits
};

} // namespace LiveStore

#endif // LIVESTORE_BUFFERBUDGET_P_H
