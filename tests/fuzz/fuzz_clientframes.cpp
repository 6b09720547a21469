// SPDX-License-Identifier: BSD-3-Clause
// What a sync server reads from a client: a frame, and a pull or push request inside it, with
// the pushed events' arguments.
#include "fuzztarget.h"

#include <sync/wireprotocol.h>

#include <QtCore/qbytearrayview.h>

using namespace LiveStore;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const auto frame = Wire::parseClientFrame(input, &error);
    if (!frame || frame->type != Wire::ClientFrame::Type::Request)
        return 0;
    if (const auto pull = Wire::decodePullRequest(frame->request, &error))
        (void)pull->storeId;
    if (const auto push = Wire::decodePushRequest(frame->request, &error)) {
        for (const Wire::Event &e : push->batch)
            (void)Wire::encodeEvent(e);
    }
    return 0;
}
