// SPDX-License-Identifier: BSD-3-Clause
// Internal: compact JSON text for event arguments, on the commit path.
//
// Why not QJsonDocument: building a QJsonObject key by key and serializing it was a third of the
// cost of a batched commit (measured with callgrind: ~11k instructions per two-field event).
// Arguments are flat maps of strings, numbers, booleans and null almost always; nested JSON values
// (json-typed arguments) still go through QJsonDocument.
#ifndef LIVESTORE_JSONWRITER_P_H
#define LIVESTORE_JSONWRITER_P_H

#include <QtCore/qbytearray.h>
#include <QtCore/qvariant.h>

namespace LiveStore::json {

// Appends `value` as JSON. Numbers print as JavaScript prints them (integral values without a
// fraction), strings escape as JSON.stringify escapes them.
void appendValue(QByteArray &out, const QVariant &value);
void appendString(QByteArray &out, QStringView text);
// Appends `text` as UTF-8, as JavaScript engines and SQLite's wasm build encode it: a lone
// surrogate becomes U+FFFD (QString::toUtf8() writes '?'). What sql::toUtf8() gives, without a
// QByteArray of its own.
void appendUtf8(QByteArray &out, QStringView text);

QByteArray write(const QVariant &value);
// {"key":value,...} with keys in map order.
QByteArray writeObject(const QVariantMap &object);

} // namespace LiveStore::json

#endif // LIVESTORE_JSONWRITER_P_H
