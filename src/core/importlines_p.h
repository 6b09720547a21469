// SPDX-License-Identifier: BSD-3-Clause
// Internal: reading an export (JSON lines, as `livestore export` writes them) for an import, in
// bounded memory and without Qt's JSON classes on the common path.
//
// Why: an import of a million events spent a quarter of its time in malloc/free and another
// quarter in QJsonDocument and string conversions, and read the whole file first. The reader
// below hands out one line at a time from a fixed block; the parser reads a line straight into an
// EventRecord. The parser is a strict JSON reader for the shape an export has: whatever it does
// not take on (escaped keys, numbers whose type Qt might decide otherwise, lone surrogates,
// duplicate keys, any error at all) goes to EventRecord::fromJsonLine(), so the record and the
// error message are always the ones fromJsonLine() gives. Exported for tests and fuzzing (private
// API, not installed).
#ifndef LIVESTORE_IMPORTLINES_P_H
#define LIVESTORE_IMPORTLINES_P_H

#include "livestore_export.h"
#include "schema.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <optional>

QT_BEGIN_NAMESPACE
class QIODevice;
QT_END_NAMESPACE

namespace LiveStore {

// Lines of a device, read in blocks: memory is the block (or the longest line), whatever the
// size of the input. Lines end at '\n'; a last line without one counts. Each line is handed out
// without surrounding whitespace (as QByteArray::trimmed()), empty lines are skipped but counted.
class LIVESTORE_EXPORT JsonLinesReader
{
public:
    // A line longer than `maxLineBytes` (0: no limit) ends the reading with an error.
    explicit JsonLinesReader(QIODevice *device, qsizetype blockSize = 256 * 1024, qint64 maxLineBytes = 0);

    // The next non-empty line and its number (from 1). The view stays valid until the next call.
    // False at the end of the input, or after a read error (errorString() is then set).
    bool next(QByteArrayView *line, qint64 *lineNumber);
    qint64 bytesRead() const { return m_bytesRead; }
    QString errorString() const { return m_error; }
    // The reading ended at a line over the limit (errorString() says so): line number
    // lineNumber() + 1.
    bool lineTooLong() const { return m_lineTooLong; }
    qint64 lineNumber() const { return m_lineNumber; }

private:
    bool fill();
    void tooLong();

    QIODevice *m_device;
    QByteArray m_buffer;
    qsizetype m_start = 0; // the first byte not handed out yet
    qsizetype m_end = 0;   // the end of the bytes read
    qint64 m_lineNumber = 0;
    qint64 m_bytesRead = 0;
    bool m_atEnd = false;
    bool m_lineTooLong = false;
    qint64 m_maxLineBytes = 0;
    QString m_error;
};

// One line of an export into an EventRecord: the result (record or error message) of
// EventRecord::fromJsonLine(), in about a seventh of its instructions for the lines an export
// holds. Keeps the strings that repeat from line to line (names, ids, argument keys) and hands
// out shared copies.
class LIVESTORE_EXPORT EventLineParser
{
public:
    EventLineParser();
    ~EventLineParser();
    EventLineParser(const EventLineParser &) = delete;
    EventLineParser &operator=(const EventLineParser &) = delete;

    std::optional<EventRecord> parse(QByteArrayView line, QString *errorString);
    // An event's arguments as the eventlog stores them (argsJson, a JSON object): what
    // QJsonDocument::fromJson(json).object().toVariantMap() gives, or nullopt for whatever the
    // strict reader does not take on (then ask Qt, which also words any error). Argument keys
    // are shared from call to call, as parse() shares them.
    std::optional<QVariantMap> parseArgs(QByteArrayView json);

    // After a successful parse(): true when the record's argsJson is already the text
    // def.argsJson(record.args, record.argsJson) writes (compact, scalar arguments the definition
    // declares, in its order, strings without escapes), so that an import can keep it as it is.
    bool argsJsonIsCanonical(const EventDef &def) const;
    // After parse(): whether the line took the fast path (false: fromJsonLine() read it).
    bool lastWasFast() const { return m_fast; }

    struct Interner
    {
        struct Entry
        {
            QByteArray utf8;
            QString text;
        };
        QList<Entry> entries;
        qsizetype capacity = 32;
        qsizetype next = 0;    // the entry to replace when full
        qsizetype lastHit = 0; // the entry found last
        QString get(QByteArrayView utf8);
    };

private:
    friend struct FastLineReader;
    bool m_fast = false;
    bool m_argsCanonical = false; // compact, scalar, unescaped: see argsJsonIsCanonical()
    QList<QString> m_argKeys;     // the args' keys in line order
    Interner m_keys;              // argument keys (and nested object keys)
    Interner m_names;             // event names
    Interner m_clientIds;
    Interner m_sessionIds;
};

} // namespace LiveStore

#endif // LIVESTORE_IMPORTLINES_P_H
