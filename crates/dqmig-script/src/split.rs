//! Splitting SQL text into statements with sqlparser's tokenizer (SQLite dialect), so a `;`
//! inside a string, a quoted identifier or a comment never splits, and a
//! `CREATE TRIGGER ... BEGIN ...; END;` stays one statement (the rule of SQLite's own
//! `sqlite3_complete`: inside a trigger only `; END ;` ends it, so `CASE ... END` in a
//! body is harmless).
//!
//! Each statement keeps its exact text from the file: its leading comment lines, the code,
//! the `;`, and a comment on the same line after the `;`. `-- dqmig:NAME` comments are
//! directives for the runner (see [`Directive`]).

use super::classify::{self, Class};
use super::ScriptError;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

/// The comment the autogen renderer writes before a step that rebuilds a table: the runner
/// must run that section with `PRAGMA foreign_keys=OFF` (set before BEGIN, checked with
/// `PRAGMA foreign_key_check` before COMMIT), or dropping the old table would cascade.
pub const REBUILD_MARKER: &str = "-- dqmig:rebuild";

/// A `-- dqmig:NAME [args]` comment: an instruction to the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `-- dqmig:rebuild [anything]`: the statement rebuilds a table; run its section with
    /// foreign keys off and check them before COMMIT.
    Rebuild,
}

const DIRECTIVES: &str = "dqmig:rebuild";

/// One SQL statement of a section, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Exact text: leading comments, code, `;` (when written) and a same-line trailing
    /// comment; trailing (ASCII) whitespace removed.
    pub sql: String,
    /// 1-based line of the first code token (where SQLite errors should point).
    pub line: usize,
    /// Whether the statement ends with its own `;` (only the last one of a section may
    /// not): text sent after it needs a `;` first.
    pub terminated: bool,
    /// Directives found in the statement's comments.
    pub directives: Vec<Directive>,
    /// The statement may return rows (`SELECT`, `VALUES`, `EXPLAIN`, `WITH ... SELECT`, a
    /// pragma that reads): dqlite refuses those in a batch of statements, so the runner
    /// sends it on its own and discards its rows.
    pub returns_rows: bool,
}

/// A token with its byte offset and 1-based line/column in the file text.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub token: Token,
    pub start: usize,
    pub line: usize,
    pub column: usize,
}

impl Tok {
    pub fn is_blank(&self) -> bool {
        matches!(
            self.token,
            Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
        )
    }
    pub fn is_comment(&self) -> bool {
        matches!(
            self.token,
            Token::Whitespace(
                Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
            )
        )
    }
    /// The text of a `--` comment after the `--`, trimmed.
    pub fn line_comment(&self) -> Option<&str> {
        match &self.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, prefix })
                if prefix == "--" =>
            {
                Some(comment.trim())
            }
            _ => None,
        }
    }
    fn keyword(&self) -> Option<Keyword> {
        match &self.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
            _ => None,
        }
    }
}

/// Tokenizes a whole file, with byte offsets.
pub(crate) fn tokenize(file: &str, text: &str) -> Result<Vec<Tok>, ScriptError> {
    // dqlite cannot carry a NUL in any text (it would cut the statement there), and the
    // client's statement counter and sqlparser read the bytes after one differently.
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        return Err(ScriptError::at(
            file,
            line,
            column,
            "a NUL byte; SQL text sent to dqlite cannot hold one",
        ));
    }
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .map_err(|e| {
            ScriptError::at(
                file,
                e.location.line.max(1) as usize,
                e.location.column.max(1) as usize,
                format!("cannot read the SQL here: {}; fix the statement (a quote, comment or bracket left open?)", e.message),
            )
        })?;
    let lines: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = Vec::with_capacity(tokens.len());
    // Tokens come in file order, so a cursor (line, column, byte offset) that only moves
    // forward finds each token's byte offset: linear in the file even when one statement
    // fills a line of megabytes (counting from the line's start for every token was
    // quadratic).
    let mut cursor = Cursor {
        line: 1,
        column: 1,
        at: 0,
    };
    for t in tokens {
        if t.token == Token::EOF {
            continue;
        }
        let line = (t.span.start.line.max(1) as usize).min(lines.len());
        let column = t.span.start.column.max(1) as usize;
        // sqlparser reads `]]` inside `[...]` as an escaped `]`; SQLite ends the name at the
        // first `]` (and then refuses the stray one), so the two would see different
        // statements: a `;` after `]]` would hide from the splitter.
        if let Token::Word(w) = &t.token {
            if w.quote_style == Some('[') && w.value.contains(']') {
                return Err(ScriptError::at(
                    file,
                    line,
                    column,
                    "a `[...]` name ends at its first `]` in SQLite (`]]` is not an escaped `]`); quote a name that holds `]` with double quotes",
                ));
            }
        }
        if line != cursor.line || column < cursor.column {
            cursor = Cursor {
                line,
                column: 1,
                at: lines[line - 1],
            };
        }
        let start = cursor.advance(text, column);
        // sqlparser reads a malformed blob (`x'zz'`, odd length) and a `\'` inside one;
        // SQLite refuses the blob, and its strings have no backslash escapes.
        if let Token::HexStringLiteral(h) = &t.token {
            // (sqlparser also reads the integer `0x10` as one: only `X'...'` is a blob.)
            let blob = text[start..].starts_with("x'") || text[start..].starts_with("X'");
            if blob && (h.len() % 2 != 0 || !h.bytes().all(|c| c.is_ascii_hexdigit())) {
                return Err(ScriptError::at(
                    file,
                    line,
                    column,
                    "a blob literal X'...' holds an even number of hexadecimal digits and nothing else",
                ));
            }
        }
        out.push(Tok {
            token: t.token,
            start,
            line,
            column,
        });
    }
    for (k, t) in out.iter().enumerate() {
        let end = out.get(k + 1).map_or(text.len(), |n| n.start);
        if !sqlite_reads_alike(&t.token, &text[t.start..end], &text[end..]) {
            return Err(ScriptError::at(
                file,
                t.line,
                t.column,
                format!(
                    "`{}` is not an SQLite operator; SQLite reads this text differently (fix the statement)",
                    text[t.start..end].trim_end()
                ),
            ));
        }
    }
    Ok(out)
}

/// SQLite's operators and punctuation (`tokenize.c`), each one token.
const SQLITE_OPERATORS: &[&str] = &[
    "-", "(", ")", ";", "+", "*", "/", "%", "=", "==", "<", "<=", "<>", "<<", ">", ">=", ">>",
    "!=", ",", "&", "~", "|", "||", ".", "->", "->>",
];

/// Whether SQLite reads the sqlparser token `token`, spelled `spelled` and followed by
/// `rest`, as the same one token. sqlparser knows other dialects' operators, which take in
/// characters SQLite reads on their own: `#-` and `|/` would hide the `--` or `/*` that
/// starts a comment in SQLite (and in the client's statement counter), so the splitter and
/// SQLite would see different statements. Anything that is not a word, literal, blank,
/// comment or parameter must be one of SQLite's operators; `#`, `@`, `:` and `$` only start
/// a parameter name (`#name`), as in SQLite.
fn sqlite_reads_alike(token: &Token, spelled: &str, rest: &str) -> bool {
    match token {
        Token::Word(_)
        | Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::HexStringLiteral(_)
        | Token::Placeholder(_)
        | Token::SemiColon => true,
        // SQLite's blanks are ASCII (space, tab, CR, LF, form feed); sqlparser also reads a
        // vertical tab as one, SQLite refuses it (a U+2001 is a name character to both).
        Token::Whitespace(Whitespace::Space) => spelled.bytes().all(|c| c.is_ascii_whitespace()),
        Token::Whitespace(_) => true,
        _ => {
            let is_id_char =
                |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii();
            SQLITE_OPERATORS.contains(&spelled)
                || (matches!(spelled, "#" | "@" | ":" | "$")
                    && rest.chars().next().is_some_and(is_id_char))
        }
    }
}

/// A position in the text: 1-based line and column (in characters) and its byte offset.
struct Cursor {
    line: usize,
    column: usize,
    at: usize,
}

impl Cursor {
    /// Moves forward on the current line to `column` (not past a newline or the end of the
    /// text) and returns the byte offset reached.
    fn advance(&mut self, text: &str, column: usize) -> usize {
        let mut chars = text[self.at..].chars();
        while self.column < column {
            match chars.next() {
                Some(c) if c != '\n' => {
                    self.at += c.len_utf8();
                    self.column += 1;
                }
                _ => break,
            }
        }
        self.at
    }
}

/// The directive in a comment token, if it is one; unknown `dqmig:` names are an error.
pub(crate) fn directive(file: &str, tok: &Tok) -> Result<Option<Directive>, ScriptError> {
    let Some(c) = tok.line_comment() else {
        return Ok(None);
    };
    let Some(rest) = c.strip_prefix("dqmig:") else {
        return Ok(None);
    };
    let name = rest.split_whitespace().next().unwrap_or("");
    match name {
        "rebuild" => Ok(Some(Directive::Rebuild)),
        _ => Err(ScriptError::at(
            file,
            tok.line,
            tok.column,
            format!("unknown directive `dqmig:{name}`; known: {DIRECTIVES} (write plain comments without the `dqmig:` prefix)"),
        )),
    }
}

#[derive(PartialEq)]
enum Trigger {
    No,
    Body,
    Semi,
    End,
}

/// Splits the tokens `toks` (a slice of the file's tokens) of `text` into statements, each
/// with how the runner must treat it ([`classify`]: transaction control and some pragmas are
/// errors here).
pub(crate) fn split(
    file: &str,
    text: &str,
    toks: &[Tok],
) -> Result<Vec<(Statement, Class)>, ScriptError> {
    let end_of = |i: usize| toks.get(i + 1).map(|t| t.start).unwrap_or(text.len());
    let mut out = Vec::new();
    let mut start: Option<usize> = None; // index of the statement's first non-blank token
    let mut code: Option<usize> = None; // index of its first code token
    let mut words: Vec<Keyword> = Vec::new(); // its first code keywords
    let mut trigger = Trigger::No;
    let mut directives = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.is_blank() {
            i += 1;
            continue;
        }
        if t.is_comment() {
            if let Some(d) = directive(file, t)? {
                directives.push(d);
            }
            start.get_or_insert(i);
            i += 1;
            continue;
        }
        if t.token == Token::SemiColon && code.is_none() {
            // A stray `;` (empty statement): nothing to run.
            start = None;
            i += 1;
            continue;
        }
        start.get_or_insert(i);
        code.get_or_insert(i);
        if words.len() < 3 {
            words.push(t.keyword().unwrap_or(Keyword::NoKeyword));
            if trigger == Trigger::No && is_create_trigger(&words) {
                trigger = Trigger::Body;
            }
        }
        let ends = match (&trigger, &t.token) {
            (Trigger::No, Token::SemiColon) => true,
            (Trigger::End, Token::SemiColon) => true,
            (_, Token::SemiColon) => {
                trigger = Trigger::Semi;
                false
            }
            (Trigger::Semi, _) if t.keyword() == Some(Keyword::END) => {
                trigger = Trigger::End;
                false
            }
            (Trigger::No, _) => false,
            _ => {
                trigger = Trigger::Body;
                false
            }
        };
        if ends {
            // Take a comment on the same line after the `;` along.
            let mut last = i;
            let mut j = i + 1;
            while j < toks.len()
                && matches!(
                    toks[j].token,
                    Token::Whitespace(Whitespace::Space | Whitespace::Tab)
                )
            {
                j += 1;
            }
            if j < toks.len() && toks[j].line_comment().is_some() {
                if let Some(d) = directive(file, &toks[j])? {
                    directives.push(d);
                }
                last = j;
                j += 1;
            }
            let c = code.unwrap_or(i);
            out.push((
                statement(
                    text,
                    toks,
                    start.unwrap_or(i),
                    end_of(last),
                    c,
                    true,
                    std::mem::take(&mut directives),
                ),
                class(file, text, &toks[c..=i], end_of(i))?,
            ));
            start = None;
            code = None;
            words.clear();
            trigger = Trigger::No;
            i = j;
            continue;
        }
        i += 1;
    }
    if let Some(c) = code {
        if matches!(trigger, Trigger::Body | Trigger::Semi) {
            let t = &toks[c];
            return Err(ScriptError::at(
                file,
                t.line,
                t.column,
                "this CREATE TRIGGER has no `END;` before the end of its section; end the trigger body with `END;`",
            ));
        }
        let last = toks
            .iter()
            .rposition(|t| !t.is_blank() && !t.is_comment())
            .unwrap_or(c);
        out.push((
            statement(
                text,
                toks,
                start.unwrap_or(c),
                end_of(last),
                c,
                false,
                directives,
            ),
            class(file, text, &toks[c..=last], end_of(last))?,
        ));
    }
    Ok(out)
}

/// Classifies the statement made of `toks` (its code with blanks and comments in between,
/// ending before byte `end` of `text`), and refuses `RETURNING` in it.
fn class(file: &str, text: &str, toks: &[Tok], end: usize) -> Result<Class, ScriptError> {
    let code: Vec<&Tok> = toks
        .iter()
        .filter(|t| !t.is_blank() && !t.is_comment())
        .collect();
    let class = classify::classify(file, &code)?;
    if let Some(first) = toks.first() {
        classify::refuse_returning(file, &text[first.start..end], first.start, &code)?;
    }
    Ok(class)
}

fn is_create_trigger(words: &[Keyword]) -> bool {
    matches!(
        words,
        [Keyword::CREATE, Keyword::TRIGGER, ..]
            | [
                Keyword::CREATE,
                Keyword::TEMP | Keyword::TEMPORARY,
                Keyword::TRIGGER
            ]
    )
}

fn statement(
    text: &str,
    toks: &[Tok],
    start: usize,
    end: usize,
    code: usize,
    terminated: bool,
    directives: Vec<Directive>,
) -> Statement {
    Statement {
        sql: text[toks[start].start..end]
            .trim_end_matches(|c: char| c.is_ascii_whitespace())
            .to_string(),
        line: toks[code].line,
        terminated,
        directives,
        returns_rows: false,
    }
}
