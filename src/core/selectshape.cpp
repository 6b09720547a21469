// SPDX-License-Identifier: BSD-3-Clause
#include "selectshape_p.h"

#include "sqlutil_p.h"

using namespace Qt::StringLiterals;

namespace LiveStore::detail {

namespace {

struct Token
{
    enum Kind { Word, QuotedName, Literal, Parameter, Symbol, End };
    Kind kind = End;
    qsizetype start = 0;
    qsizetype end = 0;
    QString text; // Word: as written; QuotedName: unquoted; Parameter: as written; Symbol: the char
};

bool isWordStart(QChar c) { return c.isLetter() || c == u'_' || c.unicode() >= 0x80; }
bool isWordChar(QChar c) { return isWordStart(c) || c.isDigit() || c == u'$'; }

// SQLite's lexical rules, as far as they matter for finding clause boundaries: comments, quoted
// names and strings (with doubled quotes), parameters. Returns nothing for text it cannot read.
std::optional<QList<Token>> tokenize(const QString &sql)
{
    QList<Token> tokens;
    const qsizetype n = sql.size();
    qsizetype i = 0;
    while (i < n) {
        const QChar c = sql.at(i);
        if (c.isSpace()) {
            ++i;
            continue;
        }
        if (c == u'-' && i + 1 < n && sql.at(i + 1) == u'-') {
            while (i < n && sql.at(i) != u'\n')
                ++i;
            continue;
        }
        if (c == u'/' && i + 1 < n && sql.at(i + 1) == u'*') {
            const qsizetype close = sql.indexOf(u"*/"_s, i + 2);
            if (close < 0)
                return std::nullopt;
            i = close + 2;
            continue;
        }
        Token t;
        t.start = i;
        if (c == u'\'' || ((c == u'x' || c == u'X') && i + 1 < n && sql.at(i + 1) == u'\'')) {
            qsizetype j = c == u'\'' ? i + 1 : i + 2;
            for (;;) {
                if (j >= n)
                    return std::nullopt;
                if (sql.at(j) == u'\'') {
                    if (j + 1 < n && sql.at(j + 1) == u'\'') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            t.kind = Token::Literal;
            t.end = j + 1;
        } else if (c == u'"' || c == u'`' || c == u'[') {
            const QChar close = c == u'[' ? u']' : c;
            qsizetype j = i + 1;
            QString name;
            for (;;) {
                if (j >= n)
                    return std::nullopt;
                if (sql.at(j) == close) {
                    if (close != u']' && j + 1 < n && sql.at(j + 1) == close) {
                        name += close;
                        j += 2;
                        continue;
                    }
                    break;
                }
                name += sql.at(j++);
            }
            t.kind = Token::QuotedName;
            t.text = name;
            t.end = j + 1;
        } else if (c.isDigit() || (c == u'.' && i + 1 < n && sql.at(i + 1).isDigit())) {
            qsizetype j = i;
            while (j < n && (sql.at(j).isLetterOrNumber() || sql.at(j) == u'.'
                             || ((sql.at(j) == u'+' || sql.at(j) == u'-') && j > i
                                 && (sql.at(j - 1) == u'e' || sql.at(j - 1) == u'E')))) {
                ++j;
            }
            t.kind = Token::Literal;
            t.end = j;
            t.text = sql.mid(i, j - i);
        } else if (c == u'?' || c == u':' || c == u'@' || c == u'$') {
            qsizetype j = i + 1;
            if (c == u'?') {
                while (j < n && sql.at(j).isDigit())
                    ++j;
            } else {
                while (j < n && isWordChar(sql.at(j)))
                    ++j;
                if (j == i + 1)
                    return std::nullopt;
            }
            t.kind = Token::Parameter;
            t.end = j;
            t.text = sql.mid(i, j - i);
        } else if (isWordStart(c)) {
            qsizetype j = i + 1;
            while (j < n && isWordChar(sql.at(j)))
                ++j;
            t.kind = Token::Word;
            t.end = j;
            t.text = sql.mid(i, j - i);
        } else {
            t.kind = Token::Symbol;
            t.end = i + 1;
            t.text = c;
        }
        i = t.end;
        tokens.append(t);
    }
    Token end;
    end.start = end.end = n;
    tokens.append(end);
    return tokens;
}

class Parser
{
public:
    Parser(const QString &sql, QList<Token> tokens) : m_sql(sql), m_tokens(std::move(tokens)) { }

    std::optional<SelectShape> parse();

private:
    const Token &peek(qsizetype ahead = 0) const
    {
        return m_tokens.at(std::min(m_at + ahead, m_tokens.size() - 1));
    }
    bool isWord(const Token &t, QLatin1StringView word) const
    {
        return t.kind == Token::Word && t.text.compare(word, Qt::CaseInsensitive) == 0;
    }
    bool isSymbol(const Token &t, char16_t symbol) const
    {
        return t.kind == Token::Symbol && t.text.at(0) == symbol;
    }
    bool acceptWord(QLatin1StringView word)
    {
        if (!isWord(peek(), word))
            return false;
        ++m_at;
        return true;
    }
    bool acceptSymbol(char16_t symbol)
    {
        if (!isSymbol(peek(), symbol))
            return false;
        ++m_at;
        return true;
    }
    // A column or table name: a word that is not a keyword ending the clause, or a quoted name.
    std::optional<QString> name()
    {
        const Token &t = peek();
        if (t.kind == Token::QuotedName) {
            ++m_at;
            return t.text;
        }
        static const QLatin1StringView reserved[] = {
            "select"_L1, "from"_L1, "where"_L1, "order"_L1, "by"_L1, "limit"_L1, "offset"_L1,
            "group"_L1, "having"_L1, "window"_L1, "union"_L1, "except"_L1, "intersect"_L1,
            "join"_L1, "as"_L1, "on"_L1, "using"_L1, "natural"_L1, "left"_L1, "inner"_L1,
            "cross"_L1, "distinct"_L1, "all"_L1, "asc"_L1, "desc"_L1, "collate"_L1, "nulls"_L1,
            "indexed"_L1, "not"_L1, "values"_L1};
        if (t.kind != Token::Word)
            return std::nullopt;
        for (QLatin1StringView word : reserved) {
            if (isWord(t, word))
                return std::nullopt;
        }
        ++m_at;
        return t.text;
    }
    // Counts a parameter the way Database::bind() numbers positional binds.
    std::optional<QString> rewriteParameter(const Token &t, SelectShape::LimitSource *source)
    {
        if (t.text == u"?"_s) {
            if (m_sawNumbered)
                return std::nullopt; // `?` and `?NNN` mixed: numbering too subtle to splice
            m_sawPlain = true;
            const int index = m_plainCount++;
            if (source)
                source->bindIndex = index;
            return u"?"_s + QString::number(index + 1);
        }
        if (t.text.startsWith(u'?')) {
            if (m_sawPlain)
                return std::nullopt;
            m_sawNumbered = true;
            if (source)
                source->bindIndex = t.text.mid(1).toInt() - 1;
            return t.text;
        }
        if (source)
            source->bindName = t.text.mid(1);
        return t.text;
    }

    const QString &m_sql;
    QList<Token> m_tokens;
    qsizetype m_at = 0;
    int m_plainCount = 0;
    bool m_sawPlain = false;
    bool m_sawNumbered = false;
};

std::optional<SelectShape> Parser::parse()
{
    SelectShape shape;
    if (!acceptWord("select"_L1))
        return std::nullopt;
    acceptWord("all"_L1);
    if (acceptSymbol(u'*')) {
        shape.allColumns = true;
    } else if (isWord(peek(), "count"_L1) && isSymbol(peek(1), u'(') && isSymbol(peek(2), u'*')
               && isSymbol(peek(3), u')')) {
        m_at += 4;
        shape.kind = SelectShape::Count;
        if (acceptWord("as"_L1) && !name())
            return std::nullopt;
    } else {
        do {
            const auto column = name();
            if (!column)
                return std::nullopt;
            shape.columns.append(*column);
        } while (acceptSymbol(u','));
    }
    if (!acceptWord("from"_L1))
        return std::nullopt;
    const auto table = name();
    if (!table)
        return std::nullopt;
    shape.table = *table;
    shape.selectFrom = m_sql.left(m_tokens.at(m_at - 1).end);

    if (acceptWord("where"_L1)) {
        const qsizetype whereStart = peek().start;
        qsizetype copiedTo = whereStart;
        int depth = 0;
        QString where;
        for (;;) {
            const Token &t = peek();
            if (t.kind == Token::End)
                break;
            if (depth == 0
                && (isSymbol(t, u';') || isWord(t, "order"_L1) || isWord(t, "limit"_L1)
                    || isWord(t, "group"_L1) || isWord(t, "having"_L1) || isWord(t, "window"_L1)
                    || isWord(t, "union"_L1) || isWord(t, "except"_L1) || isWord(t, "intersect"_L1)))
                break;
            // A subquery could read other tables; its results are not a function of the row.
            if (isWord(t, "select"_L1))
                return std::nullopt;
            if (isSymbol(t, u'('))
                ++depth;
            else if (isSymbol(t, u')') && --depth < 0)
                return std::nullopt;
            if (t.kind == Token::Parameter) {
                const auto rewritten = rewriteParameter(t, nullptr);
                if (!rewritten)
                    return std::nullopt;
                where += QStringView(m_sql).mid(copiedTo, t.start - copiedTo) + *rewritten;
                copiedTo = t.end;
            } else if (t.kind == Token::Word || t.kind == Token::QuotedName) {
                shape.whereIdentifiers.append(sql::foldedName(t.text));
            }
            ++m_at;
        }
        if (depth != 0)
            return std::nullopt;
        where += QStringView(m_sql).mid(copiedTo, peek().start - copiedTo);
        shape.where = where.trimmed();
        if (shape.where.isEmpty())
            return std::nullopt;
    }

    if (acceptWord("order"_L1)) {
        if (!acceptWord("by"_L1))
            return std::nullopt;
        do {
            const auto column = name();
            if (!column)
                return std::nullopt;
            SelectShape::OrderTerm term{*column, false};
            if (acceptWord("desc"_L1))
                term.descending = true;
            else
                acceptWord("asc"_L1);
            shape.orderBy.append(term);
        } while (acceptSymbol(u','));
    }
    shape.beforeLimit = m_sql.left(m_tokens.at(m_at - 1).end);

    if (isWord(peek(), "limit"_L1)) {
        const qsizetype limitStart = peek().start;
        ++m_at;
        SelectShape::LimitSource source;
        const Token &t = peek();
        if (t.kind == Token::Literal) {
            bool ok = false;
            source.literal = t.text.toLongLong(&ok);
            if (!ok)
                return std::nullopt;
        } else if (t.kind == Token::Parameter) {
            if (!rewriteParameter(t, &source))
                return std::nullopt;
        } else {
            return std::nullopt;
        }
        ++m_at;
        shape.limit = source;
        shape.limitClause = u' ' + m_sql.mid(limitStart, t.end - limitStart);
    }
    acceptSymbol(u';');
    if (peek().kind != Token::End)
        return std::nullopt; // OFFSET, GROUP BY, a second statement...
    if (shape.kind == SelectShape::Count && (!shape.orderBy.isEmpty() || shape.limit))
        return std::nullopt;
    return shape;
}

} // namespace

std::optional<SelectShape> SelectShape::parse(const QString &sql)
{
    auto tokens = tokenize(sql);
    if (!tokens)
        return std::nullopt;
    Parser parser(sql, std::move(*tokens));
    return parser.parse();
}

} // namespace LiveStore::detail
