// SPDX-License-Identifier: BSD-3-Clause
#include "changesetrun_p.h"

#include "database_p.h"

#include <QtCore/qendian.h>

#include <cstring>

namespace LiveStore::detail {

namespace {

constexpr char Magic[4] = {'L', 'S', 'R', '1'};
constexpr qsizetype HeaderSize = sizeof(Magic) + 3 * sizeof(qint64);

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

bool RunCapture::start(Database &db)
{
    CaptureHub *hub = db.captureHub();
    return hub && m_capture.start(hub, {}, true);
}

bool RunCapture::finish(QByteArray *changeset)
{
    return m_capture.finish(changeset);
}

} // namespace LiveStore::detail
