// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_SEQUENCENUMBER_H
#define LIVESTORE_SEQUENCENUMBER_H

#include "livestore_export.h"

#include <QtCore/qstring.h>

#include <compare>
#include <optional>

namespace LiveStore {

// An event's position in the eventlog, as LiveStore numbers it: `global` is the position in the
// backend's total order, `client` counts client-only events between two global positions, and
// `rebaseGeneration` grows each time a pending event is renumbered by a rebase.
struct LIVESTORE_EXPORT SequenceNumber
{
    qint64 global = 0;
    qint64 client = 0;
    qint64 rebaseGeneration = 0;

    static constexpr SequenceNumber root() { return {}; }

    // The number the next event gets when committed on top of this one.
    constexpr SequenceNumber next(bool clientOnly) const
    {
        return clientOnly ? SequenceNumber{global, client + 1, rebaseGeneration}
                          : SequenceNumber{global + 1, 0, rebaseGeneration};
    }
    // The parent that the event numbered `next(clientOnly)` records.
    constexpr SequenceNumber parentForNext(bool clientOnly) const
    {
        return clientOnly ? *this : SequenceNumber{global, 0, rebaseGeneration};
    }

    // Ordering is (global, client); the generation only breaks ties.
    friend constexpr std::strong_ordering operator<=>(const SequenceNumber &a,
                                                      const SequenceNumber &b)
    {
        if (auto c = a.global <=> b.global; c != 0)
            return c;
        if (auto c = a.client <=> b.client; c != 0)
            return c;
        return a.rebaseGeneration <=> b.rebaseGeneration;
    }
    friend constexpr bool operator==(const SequenceNumber &, const SequenceNumber &) = default;

    // "e5", "e5.2", "e3r1", "e5.2r1"
    QString toString() const;
    static std::optional<SequenceNumber> fromString(QStringView text);
};

} // namespace LiveStore

#endif // LIVESTORE_SEQUENCENUMBER_H
