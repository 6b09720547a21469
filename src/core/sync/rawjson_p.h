// SPDX-License-Identifier: BSD-3-Clause
// Internal: reads spans of raw JSON text, keeping values exactly as they were written.
//
// Why: QJsonDocument sorts object keys and re-prints numbers, so it cannot hand back an event's
// `args` as received. The codec validates a frame with QJsonDocument first and then uses these
// helpers to cut the raw text of the values it must keep verbatim. They are bounds-checked and
// return nothing on malformed input, but they do not validate: only use them on accepted JSON.
// Exported for the sync server (private API, not installed).
#ifndef LIVESTORE_RAWJSON_P_H
#define LIVESTORE_RAWJSON_P_H

#include "livestore_export.h"

#include <QtCore/qbytearrayview.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <optional>
#include <utility>

namespace LiveStore::Wire::RawJson {

// The raw text of member `key` of the object `object` (the last one if the key repeats, as
// QJsonDocument keeps the last), without surrounding whitespace; nullopt if absent.
LIVESTORE_EXPORT std::optional<QByteArrayView> member(QByteArrayView object, QLatin1StringView key);

// The raw text of each element of the array `array`; nullopt if `array` is not an array.
LIVESTORE_EXPORT std::optional<QList<QByteArrayView>> elements(QByteArrayView array);

// The members of the object `object` in the order they are written: each key (unescaped) with
// the raw text of its value. A repeated key is listed where it first appears, with its last value
// (as JSON.parse and QJsonDocument keep the last). nullopt if `object` is not an object.
LIVESTORE_EXPORT std::optional<QList<std::pair<QString, QByteArrayView>>> members(QByteArrayView object);

// `text` without leading and trailing JSON whitespace.
LIVESTORE_EXPORT QByteArrayView trimmed(QByteArrayView text);

} // namespace LiveStore::Wire::RawJson

#endif // LIVESTORE_RAWJSON_P_H
