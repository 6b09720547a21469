// SPDX-License-Identifier: BSD-3-Clause
#include "importlines_p.h"

#include <QtCore/qiodevice.h>

#include <charconv>
#include <cmath>
#include <cstring>

using namespace Qt::StringLiterals;

namespace LiveStore {

// ---------------------------------------------------------------------------------------------
// JsonLinesReader
// ---------------------------------------------------------------------------------------------

JsonLinesReader::JsonLinesReader(QIODevice *device, qsizetype blockSize, qint64 maxLineBytes)
    : m_device(device), m_maxLineBytes(maxLineBytes)
{
    m_buffer.resize(std::max<qsizetype>(blockSize, 16));
}

static bool isTrimmedSpace(char c)
{
    // What QByteArray::trimmed() removes.
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static QByteArrayView trimmedView(const char *begin, const char *end)
{
    while (begin < end && isTrimmedSpace(*begin))
        ++begin;
    while (end > begin && isTrimmedSpace(end[-1]))
        --end;
    return QByteArrayView(begin, end - begin);
}

void JsonLinesReader::tooLong()
{
    m_lineTooLong = true;
    m_error = u"a line longer than %1 bytes: not an event of an export"_s.arg(m_maxLineBytes);
}

bool JsonLinesReader::fill()
{
    // Keep the unfinished line: move it to the front, or grow the buffer if it fills it.
    if (m_start > 0) {
        std::memmove(m_buffer.data(), m_buffer.constData() + m_start, size_t(m_end - m_start));
        m_end -= m_start;
        m_start = 0;
    }
    if (m_end == m_buffer.size()) {
        // The buffer holds one unfinished line only.
        if (m_maxLineBytes > 0 && m_end >= m_maxLineBytes) {
            tooLong();
            return false;
        }
        m_buffer.resize(m_maxLineBytes > 0 ? std::min<qsizetype>(m_buffer.size() * 2, qsizetype(m_maxLineBytes) + 1)
                                           : m_buffer.size() * 2);
    }
    for (;;) {
        const qint64 n = m_device->read(m_buffer.data() + m_end, m_buffer.size() - m_end);
        if (n < 0) {
            m_error = m_device->errorString();
            if (m_error.isEmpty())
                m_error = u"read error"_s;
            return false;
        }
        if (n > 0) {
            m_end += qsizetype(n);
            m_bytesRead += n;
            return true;
        }
        // Nothing now: a file or buffer is at its end; a pipe or socket may still deliver.
        if (!m_device->waitForReadyRead(-1)) {
            m_atEnd = true;
            return true;
        }
    }
}

bool JsonLinesReader::next(QByteArrayView *line, qint64 *lineNumber)
{
    for (;;) {
        const char *begin = m_buffer.constData() + m_start;
        const char *end = m_buffer.constData() + m_end;
        const char *newline = static_cast<const char *>(std::memchr(begin, '\n', size_t(end - begin)));
        if (!newline && m_atEnd) {
            if (begin == end)
                return false;
            newline = end; // the last line, without '\n'
        }
        if (newline) {
            // (One that fits the buffer as it is: a longer one stops fill().)
            if (m_maxLineBytes > 0 && newline - begin > m_maxLineBytes) {
                tooLong();
                return false;
            }
            m_start = qsizetype(std::min(newline + 1, end) - m_buffer.constData());
            ++m_lineNumber;
            const QByteArrayView trimmed = trimmedView(begin, newline);
            if (trimmed.isEmpty())
                continue;
            *line = trimmed;
            *lineNumber = m_lineNumber;
            return true;
        }
        if (!fill())
            return false;
    }
}

// ---------------------------------------------------------------------------------------------
// EventLineParser
// ---------------------------------------------------------------------------------------------

QString EventLineParser::Interner::get(QByteArrayView utf8)
{
    const auto matches = [&utf8](const Entry &e) {
        return e.utf8.size() == utf8.size() && std::memcmp(e.utf8.constData(), utf8.data(), size_t(utf8.size())) == 0;
    };
    // Lines repeat: the string found last time, or the one after it (keys in a line's order),
    // comes first.
    if (!entries.isEmpty()) {
        if (matches(entries.at(lastHit)))
            return entries.at(lastHit).text;
        const qsizetype after = (lastHit + 1) % entries.size();
        if (matches(entries.at(after))) {
            lastHit = after;
            return entries.at(after).text;
        }
    }
    for (qsizetype i = 0; i < entries.size(); ++i) {
        if (matches(entries.at(i))) {
            lastHit = i;
            return entries.at(i).text;
        }
    }
    QString text = QString::fromUtf8(utf8);
    if (entries.size() < capacity) {
        lastHit = entries.size();
        entries.append({utf8.toByteArray(), text});
    } else {
        lastHit = next;
        entries[next] = {utf8.toByteArray(), text};
        next = (next + 1) % capacity;
    }
    return text;
}

namespace {

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). Stricter than or as
// strict as Qt's decoder: anything it refuses goes to fromJsonLine(), which says why.
bool isValidUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const auto *end = p + bytes.size();
    while (p < end) {
        // Eight ASCII bytes at a time: the common case.
        while (end - p >= 8) {
            quint64 word;
            std::memcpy(&word, p, 8);
            if (word & 0x8080808080808080ull)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int extra;
        unsigned char min2 = 0x80, max2 = 0xbf; // the allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            if (c == 0xe0)
                min2 = 0xa0; // overlong
            else if (c == 0xed)
                max2 = 0x9f; // surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            if (c == 0xf0)
                min2 = 0x90; // overlong
            else if (c == 0xf4)
                max2 = 0x8f; // above U+10FFFF
        } else {
            return false;
        }
        if (end - p <= extra)
            return false;
        if (p[1] < min2 || p[1] > max2)
            return false;
        for (int i = 2; i <= extra; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
        }
        p += extra + 1;
    }
    return true;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The bytes a string scan stops at: '"', '\\' and the control characters.
struct StopTable
{
    bool stops[256] = {};
    constexpr StopTable()
    {
        for (int c = 0; c < 0x20; ++c)
            stops[c] = true;
        stops[int('"')] = true;
        stops[int('\\')] = true;
    }
};
constexpr StopTable StringStops;

// A key compared with a literal: inlined, unlike QByteArrayView's operator==.
template<qsizetype N>
inline bool keyIs(QByteArrayView key, const char (&literal)[N])
{
    return key.size() == N - 1 && std::memcmp(key.data(), literal, N - 1) == 0;
}

constexpr qint64 MaxSafeInteger = 9007199254740991; // 2^53 - 1
constexpr int MaxDepth = 64;

} // namespace

// The fast path. Every function returns false to give the line up to fromJsonLine(): that is
// never an error of its own, only "not sure to read this exactly as Qt would".
struct FastLineReader
{
    EventLineParser &parser;
    const char *p;
    const char *end;
    qint64 skippedSpace = 0; // whitespace between tokens seen so far (args must be compact)

    void skipSpace()
    {
        const char *start = p;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            ++p;
        skippedSpace += p - start;
    }
    bool take(char c)
    {
        skipSpace();
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
    bool peek(char c)
    {
        skipSpace();
        return p < end && *p == c;
    }

    // A string at p (its opening quote): the bytes between the quotes, checked. Escapes are
    // limited to the ones JSON defines, without surrogates (\ud800 pairs go to Qt).
    bool scanString(QByteArrayView *raw, bool *escaped)
    {
        if (p >= end || *p != '"')
            return false;
        ++p;
        const char *start = p;
        bool anyEscape = false;
        while (p < end) {
            // Plain bytes in one tight loop: a quote, a backslash or a control character stops it.
            while (p < end && !StringStops.stops[static_cast<unsigned char>(*p)])
                ++p;
            if (p >= end)
                break;
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"') {
                *raw = QByteArrayView(start, p - start);
                *escaped = anyEscape;
                ++p;
                return true;
            }
            if (c < 0x20)
                return false; // Qt takes raw control characters; leave them to it
            if (c == '\\') {
                anyEscape = true;
                if (end - p < 2)
                    return false;
                switch (p[1]) {
                case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                    p += 2;
                    break;
                case 'u': {
                    if (end - p < 6)
                        return false;
                    int code = 0;
                    for (int i = 2; i < 6; ++i) {
                        const int h = hexValue(p[i]);
                        if (h < 0)
                            return false;
                        code = code * 16 + h;
                    }
                    if (code >= 0xd800 && code <= 0xdfff)
                        return false;
                    p += 6;
                    break;
                }
                default:
                    return false;
                }
                continue;
            }
            ++p;
        }
        return false;
    }

    static QString unescape(QByteArrayView raw)
    {
        QString out;
        out.reserve(raw.size());
        const char *q = raw.data();
        const char *e = q + raw.size();
        while (q < e) {
            const char *run = q;
            while (q < e && *q != '\\')
                ++q;
            if (q > run)
                out += QString::fromUtf8(QByteArrayView(run, q - run));
            if (q >= e)
                break;
            const char c = q[1];
            q += 2;
            switch (c) {
            case 'b': out += QChar(0x8); break;
            case 'f': out += QChar(0xc); break;
            case 'n': out += QChar(0xa); break;
            case 'r': out += QChar(0xd); break;
            case 't': out += QChar(0x9); break;
            case 'u': {
                int code = 0;
                for (int i = 0; i < 4; ++i)
                    code = code * 16 + hexValue(q[i]);
                q += 4;
                out += QChar(char16_t(code));
                break;
            }
            default: out += QLatin1Char(c); break; // " \ /
            }
        }
        return out;
    }

    bool readString(QString *out, EventLineParser::Interner *interner = nullptr, bool *plain = nullptr)
    {
        QByteArrayView raw;
        bool escaped = false;
        if (!scanString(&raw, &escaped))
            return false;
        if (plain)
            *plain = !escaped;
        if (escaped)
            *out = unescape(raw);
        else
            *out = interner ? interner->get(raw) : QString::fromUtf8(raw);
        return true;
    }

    enum class Number { Integer, Double };
    // A number as Qt's parser stores it: an integer literal that fits in 18 digits is a qint64;
    // a non-integral finite value is a double. Whatever Qt could store either way (1.0, 1e2,
    // huge literals) or refuses (1e999) goes to Qt.
    bool readNumber(Number *kind, qint64 *integer, double *real, bool *negativeZero = nullptr)
    {
        const char *start = p;
        if (p < end && *p == '-')
            ++p;
        if (p >= end)
            return false;
        if (*p == '0') {
            ++p;
        } else if (*p >= '1' && *p <= '9') {
            while (p < end && *p >= '0' && *p <= '9')
                ++p;
        } else {
            return false;
        }
        const char *intEnd = p;
        bool fraction = false;
        if (p < end && *p == '.') {
            ++p;
            if (p >= end || *p < '0' || *p > '9')
                return false;
            while (p < end && *p >= '0' && *p <= '9')
                ++p;
            fraction = true;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            ++p;
            if (p < end && (*p == '+' || *p == '-'))
                ++p;
            if (p >= end || *p < '0' || *p > '9')
                return false;
            while (p < end && *p >= '0' && *p <= '9')
                ++p;
            fraction = true;
        }
        if (!fraction) {
            const bool negative = *start == '-';
            const qsizetype digits = intEnd - start - (negative ? 1 : 0);
            if (digits > 18)
                return false;
            qint64 n = 0;
            for (const char *d = start + (negative ? 1 : 0); d < intEnd; ++d)
                n = n * 10 + (*d - '0');
            *kind = Number::Integer;
            *integer = negative ? -n : n;
            if (negativeZero)
                *negativeZero = negative && n == 0;
            return true;
        }
        double d = 0;
        const auto result = std::from_chars(start, p, d, std::chars_format::general);
        if (result.ec != std::errc() || result.ptr != p || !std::isfinite(d) || d == std::trunc(d))
            return false;
        *kind = Number::Double;
        *real = d;
        return true;
    }

    // A sequence number part: a whole number from 0 to 2^53 - 1, written as an integer.
    bool readPart(qint64 *out)
    {
        skipSpace();
        Number kind;
        qint64 n = 0;
        double d;
        if (!readNumber(&kind, &n, &d) || kind != Number::Integer || n < 0 || n > MaxSafeInteger)
            return false;
        *out = n;
        return true;
    }

    bool readSequenceNumber(SequenceNumber *out)
    {
        skipSpace();
        if (p >= end)
            return false;
        if (*p == '"') {
            QString text;
            if (!readString(&text))
                return false;
            const auto parsed = SequenceNumber::fromString(text);
            if (!parsed)
                return false;
            *out = *parsed;
            return true;
        }
        if (*p != '{') {
            *out = SequenceNumber{};
            return readPart(&out->global); // LiveStore's global wire form: a plain integer
        }
        ++p;
        *out = SequenceNumber{};
        int seen = 0;
        if (take('}'))
            return false; // no "global": an error, worded by fromJson()
        do {
            skipSpace();
            QByteArrayView key;
            bool escaped;
            if (!scanString(&key, &escaped) || escaped || !take(':'))
                return false;
            int bit = 0;
            qint64 *field = nullptr;
            if (keyIs(key, "global"))
                bit = 1, field = &out->global;
            else if (keyIs(key, "client"))
                bit = 2, field = &out->client;
            else if (keyIs(key, "rebaseGeneration"))
                bit = 4, field = &out->rebaseGeneration;
            if (field) {
                if ((seen & bit) || !readPart(field))
                    return false;
                seen |= bit;
            } else if (!skipValue(1)) {
                return false;
            }
        } while (take(','));
        return take('}') && (seen & 1);
    }

    // Any value, checked and passed over.
    bool skipValue(int depth)
    {
        QVariant ignored;
        return readValue(&ignored, depth, nullptr);
    }

    // A value as QJsonValue::toVariant() gives it. `simple`, when given, says whether it is a
    // scalar that json::appendValue() writes back as the same bytes.
    bool readValue(QVariant *out, int depth, bool *simple)
    {
        if (depth > MaxDepth)
            return false;
        skipSpace();
        if (p >= end)
            return false;
        switch (*p) {
        case '"': {
            QString text;
            bool plain = false;
            if (!readString(&text, nullptr, &plain))
                return false;
            if (simple)
                *simple = plain;
            *out = std::move(text);
            return true;
        }
        case '{': {
            ++p;
            QVariantMap map;
            if (!take('}')) {
                do {
                    skipSpace();
                    QString key;
                    QVariant value;
                    if (!readString(&key, &parser.m_keys) || !take(':') || !readValue(&value, depth + 1, nullptr))
                        return false;
                    const qsizetype before = map.size();
                    map.insert(key, value);
                    if (map.size() == before)
                        return false; // a repeated key: Qt decides which one counts
                } while (take(','));
                if (!take('}'))
                    return false;
            }
            if (simple)
                *simple = false;
            *out = std::move(map);
            return true;
        }
        case '[': {
            ++p;
            QVariantList list;
            if (!take(']')) {
                do {
                    QVariant value;
                    if (!readValue(&value, depth + 1, nullptr))
                        return false;
                    list.append(std::move(value));
                } while (take(','));
                if (!take(']'))
                    return false;
            }
            if (simple)
                *simple = false;
            *out = std::move(list);
            return true;
        }
        case 't':
            if (end - p < 4 || std::memcmp(p, "true", 4) != 0)
                return false;
            p += 4;
            *out = true;
            break;
        case 'f':
            if (end - p < 5 || std::memcmp(p, "false", 5) != 0)
                return false;
            p += 5;
            *out = false;
            break;
        case 'n':
            if (end - p < 4 || std::memcmp(p, "null", 4) != 0)
                return false;
            p += 4;
            *out = QVariant::fromValue(nullptr);
            break;
        default: {
            Number kind;
            qint64 n = 0;
            double d = 0;
            bool negativeZero = false;
            if (!readNumber(&kind, &n, &d, &negativeZero))
                return false;
            if (kind == Number::Integer) {
                *out = n;
                if (simple)
                    *simple = !negativeZero; // "-0" is written back as 0
                return true;
            }
            *out = d;
            if (simple)
                *simple = false; // a double's shortest form may differ from the text
            return true;
        }
        }
        if (simple)
            *simple = true;
        return true;
    }

    // The args object: the map, its keys in order, and whether its text is canonical.
    bool readArgs(QVariantMap *args, QByteArrayView *rawText)
    {
        const char *open = p; // at '{'
        ++p;
        const qint64 spaceBefore = skippedSpace;
        bool canonical = true;
        parser.m_argKeys.clear();
        if (!take('}')) {
            do {
                skipSpace();
                QString key;
                bool plainKey = false;
                QVariant value;
                bool simple = false;
                if (!readString(&key, &parser.m_keys, &plainKey) || !take(':') || !readValue(&value, 2, &simple))
                    return false;
                const qsizetype before = args->size();
                QVariant &slot = (*args)[key];
                if (args->size() == before)
                    return false;
                slot = std::move(value);
                canonical = canonical && plainKey && simple;
                parser.m_argKeys.append(std::move(key));
            } while (take(','));
            if (!take('}'))
                return false;
        }
        *rawText = QByteArrayView(open, p - open);
        parser.m_argsCanonical = canonical && skippedSpace == spaceBefore;
        return true;
    }

    bool readLine(EventRecord *r)
    {
        if (!take('{'))
            return false;
        enum : int { Args = 1, ClientId = 2, Name = 4, Parent = 8, Seq = 16, SessionId = 32 };
        int seen = 0;
        if (take('}'))
            return false;
        do {
            skipSpace();
            QByteArrayView key;
            bool escaped;
            if (!scanString(&key, &escaped) || escaped || !take(':'))
                return false;
            skipSpace();
            int bit = 0;
            bool ok = true;
            if (keyIs(key, "args")) {
                bit = Args;
                QByteArrayView rawText;
                ok = p < end && *p == '{' && !(seen & Args) && readArgs(&r->args, &rawText);
                if (ok)
                    r->argsJson = rawText.toByteArray();
            } else if (keyIs(key, "seqNum")) {
                bit = Seq;
                ok = !(seen & Seq) && readSequenceNumber(&r->seqNum);
            } else if (keyIs(key, "parentSeqNum")) {
                bit = Parent;
                ok = !(seen & Parent) && readSequenceNumber(&r->parentSeqNum);
            } else if (keyIs(key, "name")) {
                bit = Name;
                ok = !(seen & Name) && readString(&r->name, &parser.m_names) && !r->name.isEmpty();
            } else if (keyIs(key, "clientId")) {
                bit = ClientId;
                ok = !(seen & ClientId) && readString(&r->clientId, &parser.m_clientIds);
            } else if (keyIs(key, "sessionId")) {
                bit = SessionId;
                ok = !(seen & SessionId) && readString(&r->sessionId, &parser.m_sessionIds);
            } else {
                ok = skipValue(1);
            }
            if (!ok)
                return false;
            seen |= bit;
        } while (take(','));
        if (!take('}'))
            return false;
        skipSpace();
        // Without args, or without a field whose absence is an error: Qt's reader words it.
        return p == end && (seen & (Seq | Parent | Name | Args)) == (Seq | Parent | Name | Args);
    }
};

EventLineParser::EventLineParser()
{
    m_clientIds.capacity = 16;
    m_sessionIds.capacity = 16;
}

EventLineParser::~EventLineParser() = default;

std::optional<EventRecord> EventLineParser::parse(QByteArrayView line, QString *errorString)
{
    if (isValidUtf8(line)) {
        EventRecord r;
        FastLineReader reader{*this, line.data(), line.data() + line.size()};
        if (reader.readLine(&r)) {
            m_fast = true;
            return r;
        }
    }
    m_fast = false;
    m_argsCanonical = false;
    return EventRecord::fromJsonLine(line, errorString);
}

std::optional<QVariantMap> EventLineParser::parseArgs(QByteArrayView json)
{
    m_fast = false; // argsJsonIsCanonical() is about parse()
    m_argsCanonical = false;
    if (!isValidUtf8(json))
        return std::nullopt;
    FastLineReader reader{*this, json.data(), json.data() + json.size()};
    QVariantMap args;
    QByteArrayView rawText;
    if (!reader.peek('{') || !reader.readArgs(&args, &rawText))
        return std::nullopt;
    reader.skipSpace();
    if (reader.p != reader.end)
        return std::nullopt;
    return args;
}

bool EventLineParser::argsJsonIsCanonical(const EventDef &def) const
{
    if (!m_fast || !m_argsCanonical)
        return false;
    // def.argsJson() writes the declared arguments in declared order and the others after them:
    // the line's keys must be declared ones, in that order.
    qsizetype next = 0;
    for (const QString &key : m_argKeys) {
        while (next < def.args.size() && def.args.at(next).name != key)
            ++next;
        if (next == def.args.size())
            return false;
        ++next;
    }
    return true;
}

} // namespace LiveStore
