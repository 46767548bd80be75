//! SQLite's tokenizer, for the SQL fragments dqmig keeps as text (CHECK, DEFAULT and
//! generated expressions, index expressions and `WHERE`s, view queries, trigger statements).
//!
//! sqlparser's tokenizer is not SQLite's: it reads `0x10` as the blob `X'10'`, does not read
//! `0X10` as a number at all, and its parser rejects valid SQLite (`NOT GLOB`, `ISNULL`, ...).
//! dqmig therefore never re-renders a fragment from sqlparser's AST: it keeps the source text
//! and uses this lexer — the rules of SQLite 3.40's `tokenize.c` — for everything it needs
//! from a fragment: the normalized text it writes back (token spellings untouched, only
//! whitespace and comments normalized), the key it compares by, and the literal a DEFAULT is.

use thiserror::Error;

/// What a lexeme is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Whitespace or a comment.
    Space,
    /// An unquoted identifier or keyword.
    Word,
    /// A `"..."`, `` `...` `` or `[...]` identifier.
    QuotedWord,
    /// A `'...'` string.
    String,
    /// An `X'...'` blob.
    Blob,
    /// A decimal number (`1`, `1.5`, `.5`, `1e3`).
    Number,
    /// A hexadecimal integer (`0x10`, `0XfF`).
    HexNumber,
    /// `?`, `?1`, `:a`, `@a`, `$a`.
    Variable,
    LParen,
    RParen,
    Comma,
    Semi,
    /// Any other operator (`||`, `->>`, `==`, `.`, ...).
    Op,
}

/// One token: its kind and where it is in the text (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lexeme {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Lexeme {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        sql.get(self.start..self.end).unwrap_or("")
    }

    /// True for an unquoted word equal to `keyword` (ASCII case-insensitive).
    pub fn is_keyword(&self, sql: &str, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text(sql).eq_ignore_ascii_case(keyword)
    }
}

/// Text SQLite's tokenizer refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message} at byte {at}")]
#[non_exhaustive]
pub struct LexError {
    /// Byte offset of the offending token.
    pub at: usize,
    pub message: String,
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Splits `sql` into lexemes, whitespace and comments included, the way SQLite does.
///
/// # Errors
/// An unterminated string, quoted identifier or blob, a malformed number or blob, or a
/// character SQLite does not accept outside strings.
pub(crate) fn lex(sql: &str) -> Result<Vec<Lexeme>, LexError> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, message: &str| LexError {
        at,
        message: message.to_string(),
    };
    // dqlite cannot carry a NUL in any text (it would cut the statement there).
    if let Some(at) = sql.find('\0') {
        return Err(err(
            at,
            "unexpected NUL byte (not allowed anywhere in SQL for dqlite)",
        ));
    }
    while i < b.len() {
        let start = i;
        let c = b[i];
        let next = b.get(i + 1).copied();
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
                    i += 1;
                }
                Kind::Space
            }
            b'-' if next == Some(b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                Kind::Space
            }
            b'/' if next == Some(b'*') => {
                i = match sql[i + 2..].find("*/") {
                    Some(p) => i + 2 + p + 2,
                    None => b.len(), // SQLite accepts an unterminated comment at the end
                };
                Kind::Space
            }
            b'(' => {
                i += 1;
                Kind::LParen
            }
            b')' => {
                i += 1;
                Kind::RParen
            }
            b',' => {
                i += 1;
                Kind::Comma
            }
            b';' => {
                i += 1;
                Kind::Semi
            }
            b'\'' | b'"' | b'`' => {
                i = quoted_end(b, i, c).ok_or_else(|| err(start, "unterminated quoted text"))?;
                if c == b'\'' {
                    Kind::String
                } else {
                    Kind::QuotedWord
                }
            }
            b'[' => {
                i = sql[i..]
                    .find(']')
                    .map(|p| i + p + 1)
                    .ok_or_else(|| err(start, "unterminated `[` identifier"))?;
                Kind::QuotedWord
            }
            b'x' | b'X' if next == Some(b'\'') => {
                i = quoted_end(b, i + 1, b'\'')
                    .ok_or_else(|| err(start, "unterminated blob literal"))?;
                let digits = &b[start + 2..i - 1];
                if !digits.len().is_multiple_of(2) || !digits.iter().all(u8::is_ascii_hexdigit) {
                    return Err(err(
                        start,
                        "malformed blob literal (an even number of hex digits expected)",
                    ));
                }
                Kind::Blob
            }
            b'0'..=b'9' | b'.' if c != b'.' || next.is_some_and(|n| n.is_ascii_digit()) => {
                let kind = if c == b'0'
                    && matches!(next, Some(b'x' | b'X'))
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                {
                    i += 2;
                    while i < b.len() && b[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                    Kind::HexNumber
                } else {
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    if b.get(i) == Some(&b'.') {
                        i += 1;
                        while i < b.len() && b[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                    let exp_digit = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
                    if matches!(b.get(i), Some(b'e' | b'E'))
                        && (exp_digit(i + 1)
                            || (matches!(b.get(i + 1), Some(b'+' | b'-')) && exp_digit(i + 2)))
                    {
                        i += 2;
                        while i < b.len() && b[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                    Kind::Number
                };
                if sql[i..].chars().next().is_some_and(is_id_char) {
                    return Err(err(start, "malformed number"));
                }
                kind
            }
            b'?' => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                Kind::Variable
            }
            b':' | b'@' | b'$' | b'#' if sql[i + 1..].chars().next().is_some_and(is_id_char) => {
                i += 1;
                while let Some(ch) = sql[i..].chars().next().filter(|ch| is_id_char(*ch)) {
                    i += ch.len_utf8();
                }
                Kind::Variable
            }
            _ if sql[i..]
                .chars()
                .next()
                .is_some_and(|ch| is_id_char(ch) && !ch.is_ascii_digit() && ch != '$') =>
            {
                while let Some(ch) = sql[i..].chars().next().filter(|ch| is_id_char(*ch)) {
                    i += ch.len_utf8();
                }
                Kind::Word
            }
            _ => {
                let rest = &sql[i..];
                let op = ["->>", "->", "||", "<=", ">=", "<>", "<<", ">>", "==", "!="]
                    .into_iter()
                    .find(|op| rest.starts_with(op))
                    .or_else(|| {
                        ["-", "+", "*", "/", "%", "=", "<", ">", "&", "|", "~", "."]
                            .into_iter()
                            .find(|op| rest.starts_with(op))
                    });
                match op {
                    Some(op) => {
                        i += op.len();
                        Kind::Op
                    }
                    None => {
                        let ch = rest.chars().next().unwrap_or('?');
                        return Err(err(start, &format!("unexpected character {ch:?}")));
                    }
                }
            }
        };
        out.push(Lexeme {
            kind,
            start,
            end: i,
        });
    }
    Ok(out)
}

/// The end (exclusive) of a quoted token opened by `quote` at `i`; a doubled quote is part
/// of the text.
fn quoted_end(b: &[u8], i: usize, quote: u8) -> Option<usize> {
    let mut k = i + 1;
    while k < b.len() {
        if b[k] == quote {
            if b.get(k + 1) == Some(&quote) {
                k += 2;
                continue;
            }
            return Some(k + 1);
        }
        k += 1;
    }
    None
}

/// The lexemes of `sql` without whitespace and comments.
pub(crate) fn tokens(sql: &str) -> Result<Vec<Lexeme>, LexError> {
    Ok(lex(sql)?
        .into_iter()
        .filter(|l| l.kind != Kind::Space)
        .collect())
}

/// `sql` with its tokens exactly as written, comments dropped and each run of whitespace or
/// comments between two tokens turned into one space. Text that does not lex is trimmed only.
pub(crate) fn normalize(sql: &str) -> String {
    let Ok(lexemes) = lex(sql) else {
        return sql.trim().to_string();
    };
    let mut out = String::with_capacity(sql.len());
    let mut space = false;
    for l in lexemes {
        if l.kind == Kind::Space {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push_str(l.text(sql));
    }
    out
}

/// The comparison key of `sql`: tokens separated by one space, words (quoted or not) without
/// quotes and ASCII-lowercased, numbers and blobs lowercased, `==` as `=` and `!=` as `<>`;
/// strings exactly as written. Two fragments with one key mean the same to SQLite.
pub(crate) fn key(sql: &str) -> String {
    let Ok(tokens) = tokens(sql) else {
        return sql.trim().to_ascii_lowercase();
    };
    let parts: Vec<String> = tokens
        .iter()
        .map(|t| {
            let text = t.text(sql);
            match t.kind {
                Kind::Word | Kind::Number | Kind::HexNumber | Kind::Blob => {
                    text.to_ascii_lowercase()
                }
                Kind::QuotedWord => unquote(text).to_ascii_lowercase(),
                Kind::Op if text == "==" => "=".to_string(),
                Kind::Op if text == "!=" => "<>".to_string(),
                _ => text.to_string(),
            }
        })
        .collect();
    parts.join(" ")
}

/// The value of a quoted token (`'it''s'` is `it's`, `[a b]` is `a b`).
pub(crate) fn unquote(text: &str) -> String {
    let Some(first) = text.chars().next() else {
        return String::new();
    };
    let close = match first {
        '[' => {
            return text
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string()
        }
        '\'' | '"' | '`' => first,
        _ => return text.to_string(),
    };
    let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
    let doubled: String = [close, close].iter().collect();
    inner.replace(&doubled, &close.to_string())
}

/// Words after which no expression or query ends.
const DANGLING: &[&str] = &[
    "AND", "OR", "NOT", "IS", "IN", "LIKE", "GLOB", "REGEXP", "MATCH", "BETWEEN", "ESCAPE",
    "COLLATE", "CASE", "WHEN", "THEN", "ELSE", "SELECT", "FROM", "WHERE", "ON", "BY", "JOIN",
    "HAVING", "DISTINCT",
];

/// dqmig reads schema.sql, and the SQL it renders from models.toml, with sqlparser, whose
/// tokenizer refuses a few texts SQLite's takes (`a & ._b`, where SQLite reads `.` and `_b`)
/// and reads others across SQLite's token boundaries (`|/` and `#-` are operators of other
/// dialects to it, so in `a |/* c */ b` it reads `|/`, `*`, `c` where SQLite reads `|` and a
/// comment). A fragment a user writes must tokenize in both, with every SQLite token starting
/// a sqlparser token and every sqlparser token inside a SQLite token (splitting one, as
/// sqlparser does `0X10`, is harmless: the loader keeps a fragment's source text), or the SQL
/// rendered from it would not load or would load as something else. `tokens` are SQLite's
/// ([`tokens`] of `sql`).
fn sqlparser_reads(sql: &str, tokens: &[Lexeme]) -> Result<(), String> {
    use sqlparser::dialect::SQLiteDialect;
    use sqlparser::tokenizer::Token;
    let theirs = sqlparser::tokenizer::Tokenizer::new(&SQLiteDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| {
            format!(
                "{} at column {} cannot be read; write the text another way (e.g. a space after `.`)",
                e.message, e.location.column
            )
        })?;
    let mut places = theirs
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| (t.span.start.line, t.span.start.column))
        .peekable();
    // Their token starts as byte offsets (they count lines and characters from 1).
    let mut starts = Vec::new();
    let (mut line, mut column) = (1u64, 1u64);
    for (at, c) in sql.char_indices() {
        while places.peek() == Some(&(line, column)) {
            starts.push(at);
            places.next();
        }
        (line, column) = if c == '\n' {
            (line + 1, 1)
        } else {
            (line, column + 1)
        };
    }
    let differ = |at: usize| {
        let column = sql[..at].chars().rev().take_while(|&c| c != '\n').count() + 1;
        format!(
            "the text at column {column} is read differently by SQLite and by dqmig's SQL reader \
             (an operator of another SQL dialect such as `|/` or `#-` next to a comment?); write it \
             another way (spaces around operators and comments)"
        )
    };
    if let Some(t) = tokens
        .iter()
        .find(|t| starts.binary_search(&t.start).is_err())
    {
        return Err(differ(t.start));
    }
    let inside = |at: usize| {
        let k = tokens.partition_point(|t| t.end <= at);
        tokens.get(k).is_some_and(|t| t.start <= at)
    };
    match starts.iter().find(|&&at| !inside(at)) {
        Some(&at) => Err(differ(at)),
        None => Ok(()),
    }
}

/// A word that needs an operand after it.
fn dangles(sql: &str, t: &Lexeme) -> bool {
    DANGLING.iter().any(|w| t.is_keyword(sql, w))
}

/// The checks dqmig makes on a fragment a user wrote (SQLite checks the rest when the DDL
/// runs): non-empty, balanced parentheses, no `;`, neither the text nor a parenthesized group
/// ending in an operator, a `,` or a word that needs an operand; with `one_expression`, no `,`
/// outside parentheses.
///
/// # Errors
/// A message saying what is wrong.
pub(crate) fn check_shape(
    sql: &str,
    tokens: &[Lexeme],
    one_expression: bool,
) -> Result<(), String> {
    let Some(last) = tokens.last() else {
        return Err("the text is empty".to_string());
    };
    sqlparser_reads(sql, tokens)?;
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate() {
        match t.kind {
            // `()` is only a call's empty argument list (`random()`), never an expression.
            Kind::LParen
                if tokens.get(k + 1).map(|n| n.kind) == Some(Kind::RParen)
                    && !k
                        .checked_sub(1)
                        .and_then(|p| tokens.get(p))
                        .is_some_and(|p| matches!(p.kind, Kind::Word | Kind::QuotedWord)) =>
            {
                return Err("empty parentheses `()` outside a function call".to_string())
            }
            Kind::LParen => depth += 1,
            Kind::RParen => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "a `)` closes nothing".to_string())?;
                // What a group ends with, as the text's end below: `(a * <)` is no more an
                // expression than `a * <` (and a default's outer parentheses are dropped).
                let prev = &tokens[k.saturating_sub(1)];
                let count_star = prev.text(sql) == "*"
                    && k.checked_sub(2)
                        .and_then(|p| tokens.get(p))
                        .is_some_and(|p| p.kind == Kind::LParen);
                if k > 0
                    && ((prev.kind == Kind::Op && !count_star)
                        || prev.kind == Kind::Comma
                        || dangles(sql, prev))
                {
                    return Err(format!("`{}` before a `)`", prev.text(sql)));
                }
            }
            Kind::Semi => return Err("unexpected `;`".to_string()),
            Kind::Comma if depth == 0 && one_expression => {
                return Err("unexpected `,` (give one expression)".to_string())
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("a `(` is not closed".to_string());
    }
    if last.kind == Kind::Op || dangles(sql, last) {
        return Err(format!("the text ends with `{}`", last.text(sql)));
    }
    Ok(())
}

/// The words that end a column's type in `CREATE TABLE`: the column constraints. SQLite
/// takes none of them as a type word, and a type holding one (`INT NOT NULL`) would be read
/// back as a type and a constraint.
pub(crate) const TYPE_ENDING_WORDS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// Checks a declared column type written by a user (models.toml `sql_type`) against
/// SQLite's grammar for one: empty, or one or more names (words, quoted names or strings)
/// optionally followed by `(N)` or `(N, M)` with signed numbers, no comment. Anything else
/// would be pasted into `CREATE TABLE` as more than a type (`INT, "x" TEXT` adds a column).
///
/// # Errors
/// A message saying what is wrong.
pub(crate) fn check_type_name(sql: &str) -> Result<(), String> {
    check_type_grammar(sql)?;
    // A type starting with a quoted token is kept by SQLite as that token's value (and
    // rendered so by dqmig): the value must be a type name itself (`"INT, x TEXT"` is not).
    let trimmed = sql.trim_ascii();
    let kept = crate::types::sql_type::dequoted(trimmed);
    if kept != trimmed {
        if kept.contains(['\'', '"', '`', '[', ']']) {
            return Err(format!(
                "SQLite keeps `{kept}` as the type of `{}`, which holds a quote character and cannot be written without its quotes; write the type without quote characters",
                sql.trim()
            ));
        }
        check_type_grammar(&kept).map_err(|e| format!("inside its quotes, {e}"))?;
        // Written without quotes, the value must stay itself (`"""x"""` keeps `"x"`, which
        // SQLite would read as `x` once rendered).
        if crate::types::sql_type::dequoted(&kept) != kept {
            return Err(format!(
                "`{}` keeps a quoted type inside its quotes, which SQLite would unquote again; write the type without nested quotes",
                sql.trim()
            ));
        }
    }
    Ok(())
}

/// [`check_type_name`] for a type a user writes in models.toml (`sql_type`): also refuses a
/// leading quoted word followed by more words, of which SQLite keeps only the first
/// (`"my" "int"` is the type `my`), instead of cutting the type silently.
pub(crate) fn check_written_type(sql: &str) -> Result<(), String> {
    check_type_name(sql)?;
    let trimmed = sql.trim_ascii();
    let kept = crate::types::sql_type::dequoted(trimmed);
    if kept != trimmed && tokens(trimmed).is_ok_and(|t| t.len() > 1) {
        return Err(format!(
            "SQLite keeps only the first quoted word of `{trimmed}` as the type (`{kept}`) and drops the rest; write `{kept}`, or the words without quotes"
        ));
    }
    Ok(())
}

/// [`check_type_name`] without the look inside a leading quoted token.
fn check_type_grammar(sql: &str) -> Result<(), String> {
    // A comment in a type is kept in the type's text, and a `--` one would hide the rest of
    // the rendered column definition.
    let all = lex(sql).map_err(|e| e.to_string())?;
    let code: Vec<Lexeme> = all
        .iter()
        .copied()
        .filter(|l| l.kind != Kind::Space)
        .collect();
    sqlparser_reads(sql, &code)?;
    if all
        .iter()
        .any(|l| l.kind == Kind::Space && !l.text(sql).bytes().all(|c| c.is_ascii_whitespace()))
    {
        return Err(format!(
            "`{}` holds a comment; a SQL type name cannot (write the type alone)",
            sql.trim()
        ));
    }
    let tokens: Vec<Lexeme> = all.into_iter().filter(|l| l.kind != Kind::Space).collect();
    if let Some(word) = tokens
        .iter()
        .find(|t| TYPE_ENDING_WORDS.iter().any(|w| t.is_keyword(sql, w)))
    {
        return Err(format!(
            "`{}` holds `{}`, which starts a column constraint, not a type word; give the type alone \
             (nullable, default, collate and references have keys of their own in models.toml)",
            sql.trim(),
            word.text(sql)
        ));
    }
    let names = tokens
        .iter()
        .take_while(|t| matches!(t.kind, Kind::Word | Kind::QuotedWord | Kind::String))
        .count();
    let rest = &tokens[names..];
    if rest.is_empty() {
        return Ok(());
    }
    let bad = || {
        Err(format!(
            "`{}` is not a SQL type name: write names, optionally followed by (N) or (N, M)",
            sql.trim()
        ))
    };
    if names == 0
        || rest[0].kind != Kind::LParen
        || rest.last().map(|t| t.kind) != Some(Kind::RParen)
    {
        return bad();
    }
    // Between the parentheses: one or two signed numbers, separated by a comma.
    let inner = &rest[1..rest.len() - 1];
    let mut numbers = 0;
    let mut k = 0;
    while k < inner.len() {
        if inner[k].kind == Kind::Op && matches!(inner[k].text(sql), "+" | "-") {
            k += 1;
        }
        if !inner
            .get(k)
            .is_some_and(|t| matches!(t.kind, Kind::Number | Kind::HexNumber))
        {
            return bad();
        }
        numbers += 1;
        k += 1;
        if k < inner.len() {
            if inner[k].kind != Kind::Comma {
                return bad();
            }
            k += 1;
            if k == inner.len() {
                return bad();
            }
        }
    }
    if numbers == 0 || numbers > 2 {
        return bad();
    }
    Ok(())
}

/// Where the `(` at `open` in `tokens` is closed, if it is.
pub(crate) fn matching_paren(tokens: &[Lexeme], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_sqlites_grammar() {
        for ok in [
            "",
            "INTEGER",
            "CHAR(10)",
            "decimal(10, 2)",
            "UNSIGNED BIG INT",
            "\"my type\"",
            "[DECIMAL(10, 2)]",
            "VARCHAR(+5)",
            "x(-1,0x10)",
            "'str' [br]",
        ] {
            assert_eq!(check_type_name(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "INT, \"x\" TEXT",
            "\"INT, x TEXT\"",
            "'a -- b'",
            "INT); DROP TABLE t; --",
            "DECIMAL(\u{1},1)",
            "(10)",
            "CHAR(10",
            "CHAR(a)",
            "CHAR(1,2,3)",
            "CHAR()",
            "CHAR(1,)",
            "INT PRIMARY KEY (1) x",
            "INT NOT NULL",
            "'x CLOB DEFAULT y' TEXT",
            "\"\"\"x\"\"\"",
            "INT -- hides the rest",
            "UNSIGNED /* c */ INT",
        ] {
            assert!(check_type_name(bad).is_err(), "{bad:?}");
        }
    }

    fn kinds(sql: &str) -> Vec<(Kind, &str)> {
        tokens(sql)
            .unwrap()
            .into_iter()
            .map(|l| (l.kind, l.text(sql)))
            .collect()
    }

    #[test]
    fn numbers_as_sqlite_reads_them() {
        use Kind::*;
        assert_eq!(
            kinds("0x10 0XfF X'10' x'' 1e3 1.5e-2 .5 5."),
            [
                (HexNumber, "0x10"),
                (HexNumber, "0XfF"),
                (Blob, "X'10'"),
                (Blob, "x''"),
                (Number, "1e3"),
                (Number, "1.5e-2"),
                (Number, ".5"),
                (Number, "5."),
            ]
        );
        assert!(
            lex("1e").is_err(),
            "SQLite reads `1e` as a malformed number"
        );
        assert!(lex("0x").is_err());
        assert!(lex("X'123'").is_err());
        assert!(lex("'open").is_err());
    }

    #[test]
    fn operators_strings_and_comments() {
        use Kind::*;
        assert_eq!(
            kinds("a->>'$.x' || b -- c\n != [d e] /* f */ \"g\"\"h\""),
            [
                (Word, "a"),
                (Op, "->>"),
                (String, "'$.x'"),
                (Op, "||"),
                (Word, "b"),
                (Op, "!="),
                (QuotedWord, "[d e]"),
                (QuotedWord, "\"g\"\"h\""),
            ]
        );
        assert_eq!(
            normalize("  a  >\n -- x\n 0x10 /* y */ AND  b "),
            "a > 0x10 AND b"
        );
        assert_eq!(normalize("f(a,b)"), "f(a,b)");
        assert_eq!(key("\"Age\" == 0XfF"), key("age = 0xff"));
        assert_eq!(key("a != b"), key("A<>B"));
        assert_ne!(key("a = 'X'"), key("a = 'x'"));
        assert_ne!(key("0x10"), key("X'10'"));
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("`a``b`"), "a`b");
    }
}
