// SPDX-License-Identifier: BSD-3-Clause
// Internal: small pure helpers shared by the query builder, the schema and the store.
#ifndef LIVESTORE_SQLUTIL_P_H
#define LIVESTORE_SQLUTIL_P_H

#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <algorithm>
#include <optional>

namespace LiveStore::sql {

inline QString quoteIdentifier(const QString &name)
{
    QString escaped = name;
    escaped.replace(QLatin1Char('"'), QLatin1StringView("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

// A name as SQLite compares names (of tables, columns, indexes): it ignores the case of ASCII
// letters, and of no others ("Ärger" and "ärger" are two tables). Not QString::toCaseFolded() or
// Qt::CaseInsensitive, which fold the others too, looking every character up in Qt's Unicode
// tables (pages a process first touches when it opens a store: a page fault each).
inline char16_t foldedNameChar(char16_t c)
{
    return c >= u'A' && c <= u'Z' ? char16_t(c + (u'a' - u'A')) : c;
}

inline QString foldedName(const QString &name)
{
    // Most names have no capital letter: those are shared, not copied (a live query's plan folds
    // the columns of every row a commit changes).
    const auto isCapital = [](QChar c) { return foldedNameChar(c.unicode()) != c.unicode(); };
    if (std::none_of(name.cbegin(), name.cend(), isCapital))
        return name;
    QString folded = name;
    for (QChar &c : folded)
        c = QChar(foldedNameChar(c.unicode()));
    return folded;
}

inline bool sameName(QStringView a, QStringView b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](QChar x, QChar y) {
        return foldedNameChar(x.unicode()) == foldedNameChar(y.unicode());
    });
}

inline QString quoteLiteral(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\''), QLatin1StringView("''"));
    return QLatin1Char('\'') + escaped + QLatin1Char('\'');
}

// JavaScript's Date covers ±8.64e15 ms around the epoch (±100,000,000 days).
constexpr qint64 maxJsDateMs = 8640000000000000;

// Days since 1970-01-01 of a proleptic Gregorian date with astronomical years (year 0 exists,
// as in ISO 8601 and JavaScript; QDate has no year 0, so it cannot be used for this).
constexpr qint64 daysFromCivil(qint64 y, int m, int d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const qint64 yoe = y - era * 400;
    const qint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const qint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

constexpr void civilFromDays(qint64 z, qint64 *y, int *m, int *d)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const qint64 doe = z - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    *d = int(doy - (153 * mp + 2) / 5 + 1);
    *m = int(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

// Date.prototype.toISOString() of epoch milliseconds: "2024-05-01T12:00:00.000Z", and outside
// years 0..9999 the extended form with sign and six digits ("+010000-01-01T00:00:00.000Z",
// "-000001-01-01T00:00:00.000Z"). Empty outside JavaScript's range.
inline QString formatJsDate(qint64 ms)
{
    if (ms < -maxJsDateMs || ms > maxJsDateMs)
        return {};
    qint64 days = ms / 86400000;
    qint64 rest = ms % 86400000;
    if (rest < 0) {
        rest += 86400000;
        --days;
    }
    qint64 y;
    int m, d;
    civilFromDays(days, &y, &m, &d);
    const QString year = y >= 0 && y <= 9999
            ? QString::number(y).rightJustified(4, QLatin1Char('0'))
            : (y < 0 ? QLatin1Char('-') : QLatin1Char('+')) + QString::number(qAbs(y)).rightJustified(6, QLatin1Char('0'));
    auto two = [](qint64 n) { return QString::number(n).rightJustified(2, QLatin1Char('0')); };
    return year + QLatin1Char('-') + two(m) + QLatin1Char('-') + two(d) + QLatin1Char('T')
            + two(rest / 3600000) + QLatin1Char(':') + two(rest / 60000 % 60) + QLatin1Char(':')
            + two(rest / 1000 % 60) + QLatin1Char('.')
            + QString::number(rest % 1000).rightJustified(3, QLatin1Char('0')) + QLatin1Char('Z');
}

// Epoch milliseconds of the date-time forms JavaScript's Date parses without guessing: a date
// ("2024-05-01", also with an extended year "+010000-01-01"), or a date and time with Z or an
// offset ("2024-05-01T12:00:00.000Z", "-000001-01-01T00:00:00+02:00"). nullopt for anything
// else, including dates out of JavaScript's range and "-000000".
inline std::optional<qint64> parseJsDate(QStringView s)
{
    qsizetype i = 0;
    auto digits = [&](int count, qint64 *out) {
        if (i + count > s.size())
            return false;
        qint64 v = 0;
        for (int k = 0; k < count; ++k) {
            const QChar c = s.at(i + k);
            if (c < QLatin1Char('0') || c > QLatin1Char('9'))
                return false;
            v = v * 10 + (c.unicode() - '0');
        }
        i += count;
        *out = v;
        return true;
    };
    auto take = [&](char c) {
        if (i < s.size() && s.at(i) == QLatin1Char(c)) {
            ++i;
            return true;
        }
        return false;
    };
    qint64 year = 0;
    if (i < s.size() && (s.at(i) == QLatin1Char('+') || s.at(i) == QLatin1Char('-'))) {
        const bool negative = s.at(i) == QLatin1Char('-');
        ++i;
        if (!digits(6, &year) || (negative && year == 0))
            return std::nullopt;
        if (negative)
            year = -year;
    } else if (!digits(4, &year)) {
        return std::nullopt;
    }
    qint64 month = 1, day = 1, hour = 0, minute = 0, second = 0, milli = 0;
    if (take('-')) {
        if (!digits(2, &month))
            return std::nullopt;
        if (take('-') && !digits(2, &day))
            return std::nullopt;
    }
    qint64 offsetMinutes = 0;
    if (take('T')) {
        if (!digits(2, &hour) || !take(':') || !digits(2, &minute))
            return std::nullopt;
        if (take(':')) {
            if (!digits(2, &second))
                return std::nullopt;
            if (take('.')) {
                // Milliseconds; further digits are cut off, as V8 does.
                const qsizetype start = i;
                while (i < s.size() && s.at(i) >= QLatin1Char('0') && s.at(i) <= QLatin1Char('9'))
                    ++i;
                if (i == start)
                    return std::nullopt;
                const QString frac = s.mid(start, std::min<qsizetype>(3, i - start)).toString();
                milli = frac.leftJustified(3, QLatin1Char('0')).toLongLong();
            }
        }
        if (take('Z')) {
        } else if (i < s.size() && (s.at(i) == QLatin1Char('+') || s.at(i) == QLatin1Char('-'))) {
            const int sign = s.at(i) == QLatin1Char('-') ? -1 : 1;
            ++i;
            qint64 oh = 0, om = 0;
            if (!digits(2, &oh) || !take(':') || !digits(2, &om) || oh > 23 || om > 59)
                return std::nullopt;
            offsetMinutes = sign * (oh * 60 + om);
        } else {
            return std::nullopt; // local time: left to QDateTime
        }
    }
    if (i != s.size())
        return std::nullopt;
    static constexpr int monthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > monthDays[month - 1] || (month == 2 && day == 29 && !leap)
        || minute > 59 || second > 59 || hour > 24 || (hour == 24 && (minute || second || milli)))
        return std::nullopt;
    const qint64 ms = daysFromCivil(year, int(month), int(day)) * 86400000
            + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + milli;
    if (ms < -maxJsDateMs || ms > maxJsDateMs)
        return std::nullopt;
    return ms;
}

// An ISO-8601 text as JavaScript's Date.prototype.toISOString() writes it (see formatJsDate()).
inline QString isoDateTime(const QDateTime &dt)
{
    return formatJsDate(dt.toMSecsSinceEpoch());
}

// Parses an ISO-8601 date-time (with offset or Z, over JavaScript's whole range, or a local
// time as Qt reads it); an invalid QDateTime when it is not one.
inline QDateTime parseIsoDateTime(const QString &text)
{
    if (const std::optional<qint64> ms = parseJsDate(text))
        return QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC);
    QDateTime dt = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!dt.isValid())
        dt = QDateTime::fromString(text, Qt::ISODate);
    if (dt.isValid() && qAbs(dt.toMSecsSinceEpoch()) > maxJsDateMs)
        return {};
    return dt;
}

// UTF-8 as JavaScript engines and SQLite's wasm build write a string: a lone surrogate (which
// JSON's "\ud800" can produce) becomes U+FFFD. QString::toUtf8() would write '?' instead, and
// our state and eventlog would differ from a LiveStore client's.
inline QByteArray toUtf8(QStringView text)
{
    const bool anySurrogate = std::any_of(text.cbegin(), text.cend(), [](QChar c) { return c.isSurrogate(); });
    if (!anySurrogate)
        return text.toUtf8();
    QString fixed;
    fixed.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            fixed += c;
            fixed += text.at(++i);
        } else if (c.isSurrogate()) {
            fixed += QChar(QChar::ReplacementCharacter);
        } else {
            fixed += c;
        }
    }
    return fixed.toUtf8();
}

inline QByteArray jsonBytes(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Object:
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    case QJsonValue::Array:
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    default: {
        // QJsonDocument only serializes containers: wrap the scalar and strip the brackets.
        QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        return wrapped.mid(1, wrapped.size() - 2);
    }
    }
}

inline QString jsonText(const QVariant &value)
{
    return QString::fromUtf8(jsonBytes(QJsonValue::fromVariant(value)));
}

// LiveStore's table hash: Java's String.hashCode over UTF-16 code units, as a signed 32-bit int.
inline qint32 javaStringHash(const QString &text)
{
    quint32 h = 0;
    for (QChar c : text)
        h = h * 31u + c.unicode();
    return qint32(h);
}

} // namespace LiveStore::sql

#endif // LIVESTORE_SQLUTIL_P_H
