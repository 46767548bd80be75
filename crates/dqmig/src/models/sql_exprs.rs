//! Expression bodies in schema.sql (and in `sqlite_master`'s DDL) kept as the source text.
//! sqlparser neither reads all of SQLite's expression syntax (`NOT GLOB`, `ISNULL`, `0X10`,
//! ...) nor renders what it reads faithfully (`0x10` becomes the blob `X'10'`). So before
//! parsing, every expression body — CHECK, DEFAULT and generated-column expressions, index
//! expressions and `WHERE`s, view queries, a trigger's `WHEN` and body — is folded into one
//! marked quoted word that holds the source text as written; the loader unfolds it into an
//! [`SqlExpr`](crate::schema::SqlExpr). sqlparser then parses only the statement around it.
//! A trigger's body is replaced by `SELECT 1;` for the parser, since the loader keeps the
//! whole statement's source text anyway.

use sqlparser::ast::{Expr, Query, SelectItem, SetExpr};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Word};

/// Marks a folded expression word (a quoted identifier a user writes never starts with it).
pub(crate) const MARK: char = '\u{2}';

/// Byte offsets of the `Location`s (1-based line and character column) of one text.
pub(crate) struct SourceMap<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceMap<'a> {
    pub(crate) fn new(source: &'a str) -> SourceMap<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap {
            source,
            line_starts,
        }
    }

    /// The byte offset of `loc`; the end of the text for an empty location (EOF).
    pub(crate) fn offset(&self, loc: Location) -> usize {
        let Some(&line_start) = usize::try_from(loc.line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| self.line_starts.get(l))
        else {
            return self.source.len();
        };
        let column = usize::try_from(loc.column).unwrap_or(1).saturating_sub(1);
        let line = &self.source[line_start..];
        line_start
            + line
                .char_indices()
                .nth(column)
                .map_or(line.len(), |(i, _)| i)
    }

    /// The source text from the start of `from` to the end of `to`.
    fn text(&self, from: Span, to: Span) -> &'a str {
        let (a, b) = (self.offset(from.start), self.offset(to.end));
        self.source.get(a..b.max(a)).unwrap_or("")
    }

    /// The source text from `from` up to (not including) `to`.
    pub(crate) fn between(&self, from: Location, to: Location) -> &'a str {
        let (a, b) = (self.offset(from), self.offset(to));
        self.source.get(a..b.max(a)).unwrap_or("")
    }
}

/// The source text of a folded expression word, if `e` is one.
pub(crate) fn unfold(e: &Expr) -> Option<&str> {
    match e {
        Expr::Identifier(id) if id.quote_style == Some('"') => id.value.strip_prefix(MARK),
        _ => None,
    }
}

/// The source text of a folded view query (`SELECT <folded word>`), if `q` is one.
pub(crate) fn unfold_query(q: &Query) -> Option<&str> {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(e)] => unfold(e),
        _ => None,
    }
}

fn word_is(t: &Token, keyword: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == keyword)
}

fn is_space(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_))
}

/// Folds the expression bodies of every statement in `tokens` (see the module docs).
pub(crate) fn fold_expressions(
    map: &SourceMap<'_>,
    tokens: Vec<TokenWithSpan>,
) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let end = statement_end(&tokens, i);
        let stmt = &tokens[i..end];
        let words: Vec<&Token> = stmt
            .iter()
            .map(|t| &t.token)
            .filter(|t| !is_space(t))
            .take(4)
            .collect();
        let kind = |k: Keyword| words.iter().skip(1).take(2).any(|t| word_is(t, k));
        if words.first().is_some_and(|t| word_is(t, Keyword::CREATE)) {
            if kind(Keyword::TABLE) {
                fold_table(map, stmt, &mut out);
            } else if kind(Keyword::INDEX) {
                fold_index(map, stmt, &mut out);
            } else if kind(Keyword::VIEW) {
                fold_view(map, stmt, &mut out);
            } else if kind(Keyword::TRIGGER) {
                fold_trigger(map, stmt, &mut out);
            } else {
                out.extend_from_slice(stmt);
            }
        } else {
            out.extend_from_slice(stmt);
        }
        i = end;
    }
    out
}

/// The index after the statement starting at `i` (after its `;`, or the end). A trigger's
/// body holds `;`s: it ends at an `END` that follows a `;`.
fn statement_end(tokens: &[TokenWithSpan], i: usize) -> usize {
    let mut in_trigger_body = false;
    let mut words = 0;
    let mut is_trigger = false;
    let mut last: Option<&Token> = None;
    for (k, t) in tokens.iter().enumerate().skip(i) {
        if is_space(&t.token) {
            continue;
        }
        if words < 3 {
            is_trigger |= word_is(&t.token, Keyword::TRIGGER);
            words += 1;
        }
        if is_trigger && word_is(&t.token, Keyword::BEGIN) {
            in_trigger_body = true;
        }
        if in_trigger_body
            && word_is(&t.token, Keyword::END)
            && matches!(last, Some(Token::SemiColon))
        {
            in_trigger_body = false;
        }
        if matches!(t.token, Token::SemiColon) && !in_trigger_body {
            return k + 1;
        }
        last = Some(&t.token);
    }
    tokens.len()
}

/// One marked word holding the source text of `tokens` (trimmed of whitespace).
fn folded(map: &SourceMap<'_>, tokens: &[TokenWithSpan]) -> Option<TokenWithSpan> {
    let first = tokens.iter().position(|t| !is_space(&t.token))?;
    let last = tokens.iter().rposition(|t| !is_space(&t.token))?;
    let (from, to) = (tokens[first].span, tokens[last].span);
    let text = map.text(from, to);
    Some(TokenWithSpan {
        token: Token::Word(Word {
            value: format!("{MARK}{text}"),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        }),
        span: Span::new(from.start, to.end),
    })
}

/// Pushes `tokens` folded into one word (nothing when they are all whitespace).
fn push_folded(map: &SourceMap<'_>, tokens: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) {
    if let Some(t) = folded(map, tokens) {
        out.push(t);
    }
}

/// The index of the `)` closing the `(` at `open`, or the end.
fn close_of(tokens: &[TokenWithSpan], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The next non-whitespace index at or after `i`.
fn skip_space(tokens: &[TokenWithSpan], mut i: usize) -> usize {
    while i < tokens.len() && is_space(&tokens[i].token) {
        i += 1;
    }
    i
}

/// CREATE TABLE: `CHECK (..)`, `AS (..)` (generated) and `DEFAULT ..` in the column list.
fn fold_table(map: &SourceMap<'_>, stmt: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) {
    let mut depth = 0usize;
    let mut prev_set = false;
    let mut i = 0;
    while i < stmt.len() {
        let t = &stmt[i].token;
        let body_paren = depth >= 1 && (word_is(t, Keyword::CHECK) || word_is(t, Keyword::AS));
        if body_paren {
            let open = skip_space(stmt, i + 1);
            if matches!(stmt.get(open).map(|t| &t.token), Some(Token::LParen)) {
                let close = close_of(stmt, open).min(stmt.len());
                out.extend_from_slice(&stmt[i..=open]);
                push_folded(map, &stmt[open + 1..close], out);
                out.extend(stmt.get(close).cloned());
                i = close + 1;
                prev_set = false;
                continue;
            }
        }
        if depth >= 1 && word_is(t, Keyword::DEFAULT) && !prev_set {
            out.push(stmt[i].clone());
            let from = skip_space(stmt, i + 1);
            let to = default_end(map, stmt, from);
            push_folded(map, &stmt[from..to], out);
            i = to;
            continue;
        }
        match t {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !is_space(t) {
            prev_set = word_is(t, Keyword::SET);
        }
        out.push(stmt[i].clone());
        i += 1;
    }
}

/// Where the default starting at `from` ends: after its `(..)`, or after an optionally signed
/// literal, measured with SQLite's lexer on the source (sqlparser splits `0XfF` in two).
fn default_end(map: &SourceMap<'_>, stmt: &[TokenWithSpan], from: usize) -> usize {
    match stmt.get(from).map(|t| &t.token) {
        None => from,
        Some(Token::LParen) => (close_of(stmt, from) + 1).min(stmt.len()),
        Some(_) => {
            let start = map.offset(stmt[from].span.start);
            let rest = map.source.get(start..).unwrap_or("");
            let Ok(lexemes) = crate::schema::lex::tokens(rest) else {
                return from + 1;
            };
            let take = match lexemes.as_slice() {
                [sign, _, ..] if matches!(sign.text(rest), "-" | "+") => 2,
                _ => 1,
            };
            let end = start + lexemes.get(take - 1).map_or(0, |l| l.end);
            let mut k = from;
            while k < stmt.len() && map.offset(stmt[k].span.start) < end {
                k += 1;
            }
            k.max(from + 1)
        }
    }
}

/// CREATE INDEX: each indexed expression (not a plain column) and the `WHERE`.
fn fold_index(map: &SourceMap<'_>, stmt: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) {
    let Some(on) = stmt.iter().position(|t| word_is(&t.token, Keyword::ON)) else {
        out.extend_from_slice(stmt);
        return;
    };
    let Some(open) = stmt
        .iter()
        .skip(on)
        .position(|t| matches!(t.token, Token::LParen))
        .map(|p| p + on)
    else {
        out.extend_from_slice(stmt);
        return;
    };
    let close = close_of(stmt, open).min(stmt.len());
    out.extend_from_slice(&stmt[..=open]);
    let mut part_start = open + 1;
    let mut depth = 0usize;
    for k in open + 1..=close {
        let t = stmt.get(k).map(|t| &t.token);
        match t {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) if depth > 0 => depth -= 1,
            Some(Token::Comma) if depth == 0 => {
                fold_index_part(map, &stmt[part_start..k], out);
                out.push(stmt[k].clone());
                part_start = k + 1;
            }
            _ if k == close => fold_index_part(map, &stmt[part_start..k], out),
            _ => {}
        }
    }
    let Some(close_token) = stmt.get(close) else {
        return;
    };
    out.push(close_token.clone());
    let mut i = close + 1;
    while i < stmt.len() {
        if word_is(&stmt[i].token, Keyword::WHERE) {
            out.push(stmt[i].clone());
            let end = stmt
                .iter()
                .rposition(|t| matches!(t.token, Token::SemiColon))
                .filter(|&e| e > i)
                .unwrap_or(stmt.len());
            push_folded(map, &stmt[i + 1..end], out);
            out.extend_from_slice(&stmt[end..]);
            return;
        }
        out.push(stmt[i].clone());
        i += 1;
    }
}

/// One index part: `expr [COLLATE name] [ASC|DESC]`; the expression is folded unless it is a
/// plain (maybe parenthesized) column name.
fn fold_index_part(map: &SourceMap<'_>, part: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..part.len())
        .filter(|&k| !is_space(&part[k].token))
        .collect();
    let mut expr_end = solid.len();
    if expr_end > 0
        && (word_is(&part[solid[expr_end - 1]].token, Keyword::ASC)
            || word_is(&part[solid[expr_end - 1]].token, Keyword::DESC))
    {
        expr_end -= 1;
    }
    if expr_end >= 2 && word_is(&part[solid[expr_end - 2]].token, Keyword::COLLATE) {
        expr_end -= 2;
    }
    if expr_end == 0 {
        out.extend_from_slice(part);
        return;
    }
    // `((a + b))` indexes `a + b`, and `((a))` the column `a`: look inside outer parentheses.
    let (mut lo, mut hi) = (0, expr_end - 1);
    while lo < hi
        && matches!(part[solid[lo]].token, Token::LParen)
        && close_of(part, solid[lo]) == solid[hi]
    {
        lo += 1;
        hi -= 1;
    }
    let column = |t: &Token| {
        matches!(t, Token::Word(w) if w.quote_style.is_some()
            || !matches!(w.keyword, Keyword::NULL | Keyword::TRUE | Keyword::FALSE | Keyword::CURRENT_DATE | Keyword::CURRENT_TIME | Keyword::CURRENT_TIMESTAMP))
    };
    if lo > hi || (lo == hi && column(&part[solid[lo]].token)) {
        out.extend_from_slice(part);
        return;
    }
    let (first, last) = (solid[lo], solid[hi]);
    out.extend_from_slice(&part[..first]);
    push_folded(map, &part[first..=last], out);
    out.extend_from_slice(&part[last + 1..]);
}

/// CREATE VIEW: the query after `AS` becomes `SELECT <folded query>`.
fn fold_view(map: &SourceMap<'_>, stmt: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) {
    let mut depth = 0usize;
    for (k, t) in stmt.iter().enumerate() {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth == 0 && word_is(&t.token, Keyword::AS) => {
                out.extend_from_slice(&stmt[..=k]);
                let end = stmt
                    .iter()
                    .rposition(|t| matches!(t.token, Token::SemiColon))
                    .filter(|&e| e > k)
                    .unwrap_or(stmt.len());
                if let Some(word) = folded(map, &stmt[k + 1..end]) {
                    out.push(TokenWithSpan {
                        token: Token::make_keyword("SELECT"),
                        span: word.span,
                    });
                    out.push(TokenWithSpan {
                        token: Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                        span: word.span,
                    });
                    out.push(word);
                }
                out.extend_from_slice(&stmt[end..]);
                return;
            }
            _ => {}
        }
    }
    out.extend_from_slice(stmt);
}

/// CREATE TRIGGER: the `WHEN` expression is folded and the body becomes `SELECT 1;` (the
/// loader keeps the statement's source text; the parser only reads its head).
fn fold_trigger(map: &SourceMap<'_>, stmt: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) {
    let Some(begin) = stmt.iter().position(|t| word_is(&t.token, Keyword::BEGIN)) else {
        out.extend_from_slice(stmt);
        return;
    };
    let Some(end) = stmt
        .iter()
        .rposition(|t| word_is(&t.token, Keyword::END))
        .filter(|&e| e > begin)
    else {
        out.extend_from_slice(stmt);
        return;
    };
    match stmt[..begin]
        .iter()
        .position(|t| word_is(&t.token, Keyword::WHEN))
    {
        Some(when) => {
            out.extend_from_slice(&stmt[..=when]);
            push_folded(map, &stmt[when + 1..begin], out);
            out.push(TokenWithSpan {
                token: Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                span: stmt[begin].span,
            });
        }
        None => out.extend_from_slice(&stmt[..begin]),
    }
    let span = stmt[begin].span;
    out.push(stmt[begin].clone());
    let space = || TokenWithSpan {
        token: Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
        span,
    };
    out.push(space());
    out.push(TokenWithSpan {
        token: Token::make_keyword("SELECT"),
        span,
    });
    out.push(space());
    out.push(TokenWithSpan {
        token: Token::Number("1".to_string(), false),
        span,
    });
    out.push(TokenWithSpan {
        token: Token::SemiColon,
        span,
    });
    out.push(space());
    out.extend_from_slice(&stmt[end..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::SQLiteDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn folded_texts(sql: &str) -> Vec<String> {
        let tokens = Tokenizer::new(&SQLiteDialect {}, sql)
            .tokenize_with_location()
            .unwrap();
        fold_expressions(&SourceMap::new(sql), tokens)
            .into_iter()
            .filter_map(|t| match t.token {
                Token::Word(w) => w.value.strip_prefix(MARK).map(str::to_string),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn folds_every_expression_body_as_written() {
        assert_eq!(
            folded_texts(
                "CREATE TABLE t (a INT DEFAULT 0XfF CHECK (a & 0x10 = 0), b TEXT DEFAULT -0x1 REFERENCES u ON DELETE SET DEFAULT,\n\
                 c AS (a  ISNULL), d DEFAULT (lower('é')), CONSTRAINT k CHECK (b NOT GLOB '*[^0-9]*'));\n\
                 CREATE INDEX i ON t (a, lower(b) COLLATE nocase DESC, (c)) WHERE a NOTNULL;\n\
                 CREATE VIEW v (x) AS SELECT a FROM t WHERE a IS NOT DISTINCT FROM 1;\n\
                 CREATE TRIGGER tr AFTER INSERT ON t WHEN new.a > 0x1 BEGIN UPDATE t SET b = 'x;' WHERE a = CASE WHEN 1 THEN 2 END; END;\n\
                 CREATE TABLE w (x)"
            ),
            [
                "0XfF",
                "a & 0x10 = 0",
                "-0x1",
                "a  ISNULL",
                "(lower('é'))",
                "b NOT GLOB '*[^0-9]*'",
                "lower(b)",
                "a NOTNULL",
                "SELECT a FROM t WHERE a IS NOT DISTINCT FROM 1",
                "new.a > 0x1",
            ]
        );
    }
}
