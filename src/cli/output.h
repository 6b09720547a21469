// SPDX-License-Identifier: BSD-3-Clause
// How the livestore tool prints values, rows and events: readable text for people, JSON lines for
// scripts.
#ifndef LIVESTORE_CLI_OUTPUT_H
#define LIVESTORE_CLI_OUTPUT_H

#include <schema.h>
#include <queryresult.h>

#include <QtCore/qstring.h>
#include <QtCore/qtextstream.h>
#include <QtCore/qvariant.h>

namespace Output {

// The tool's streams. Everything goes through these two, the Qt message handler included, so that
// the order of what is printed is the order it happened in.
QTextStream &out();
QTextStream &err();

// `livestore: <message>` on stderr.
void error(const QString &message);

// A value as a table cell: NULL, true/false, numbers, JSON for maps and lists, ISO-8601 for
// date-times, x'…' for blobs; control characters escaped so that a cell stays on one line.
QString cellText(const QVariant &value);

// A value as compact JSON (blobs as base64 text, date-times as ISO-8601 text).
QString jsonText(const QVariant &value);

// A row as one compact JSON object whose keys keep the column order (a QJsonObject would sort
// them, and would drop a repeated column name).
QString rowJson(const QStringList &columns, const QVariantList &row);

// An aligned table with a header row, a separator and a "(N rows)" footer; numbers right-aligned.
void printTable(QTextStream &stream, const LiveStore::QueryResult &result);

// One eventlog line: `e3     v1.TodoCreated  {"id":"a"}  client=abc123`, the name padded to
// `nameWidth` so that a listing lines up even when printed in pages.
QString eventLine(const LiveStore::EventRecord &event, qsizetype nameWidth);

// A record as one compact JSON line (EventRecord::toJson), without the newline.
QString eventJson(const LiveStore::EventRecord &event);

} // namespace Output

#endif // LIVESTORE_CLI_OUTPUT_H
