//! What a revision statement would do to the transaction the runner wraps each step in
//! (BEGIN, the step's statements, the version update, the history row, COMMIT), decided when the file is read so that every command that reads revisions
//! (`upgrade`, `downgrade`, `--sql`, `show`, `revision`) refuses the same files, naming file
//! and line.
//!
//! The runner owns the transaction: it sends BEGIN, the statements, the version-table
//! compare-and-swap and the history row, then COMMIT. So:
//! - transaction control (`BEGIN`, `COMMIT`, `END`, `ROLLBACK`, `SAVEPOINT`, `RELEASE`, any
//!   form) is refused: it would commit part of a step, or the version write without it;
//! - `PRAGMA foreign_keys = <off>` is honoured the way dqmig's own rebuilds are (foreign keys
//!   off before BEGIN, `PRAGMA foreign_key_check` before COMMIT, back on after): inside a
//!   transaction SQLite ignores it, so the statement itself is never sent;
//! - other pragmas are decided one by one (see [`decide`]): reads and settings that live in
//!   the transaction run as written; settings of the connection or of dqlite's storage are
//!   refused, because they cannot work inside the step's transaction or would stay on the
//!   connection for later steps.
//!
//! - statements that cannot run inside a transaction or change the connection (`ATTACH`,
//!   `DETACH`, `VACUUM`) are refused, and so is `RETURNING` (the client refuses to send it:
//!   libdqlite 1.11 mishandles it), found by the client's own scanner;
//! - statements that may return rows (`SELECT`, `VALUES`, `EXPLAIN`, `WITH ... SELECT`, a
//!   pragma that reads) are [`Class::Rows`]: dqlite's ExecSQL refuses a statement that
//!   returns a row, so the runner sends each of them on its own and discards the rows.
//!
//! Only the first code tokens of a statement matter (the splitter already keeps a
//! `CREATE TRIGGER ... BEGIN ... END;` in one statement), so `BEGIN`/`END` in a trigger body,
//! `CASE ... END`, strings and comments are never mistaken for transaction control.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::split::Tok;
use super::ScriptError;

/// How the runner treats one statement of a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Sent as written.
    Plain,
    /// Sent as written, on its own (it may return rows; they are discarded).
    Rows,
    /// `PRAGMA foreign_keys = <value>`: not sent; `off` makes its section run with foreign
    /// keys off around the transaction, like a rebuild; `on` is what the runner restores.
    ForeignKeys { off: bool },
}

/// Pragmas whose argument says what to read; they change nothing.
const READS: &[&str] = &[
    "collation_list",
    "compile_options",
    "data_version",
    "database_list",
    "foreign_key_check",
    "foreign_key_list",
    "freelist_count",
    "function_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "module_list",
    "page_count",
    "pragma_list",
    "quick_check",
    "table_info",
    "table_list",
    "table_xinfo",
];

/// Settings that are part of the transaction: rolled back with it (stored in the database
/// header) or reset by SQLite at its end.
const IN_TRANSACTION: &[&str] = &["application_id", "defer_foreign_keys", "user_version"];

/// Pragmas of the storage dqlite manages (WAL journal, synchronous off, its own checkpoints,
/// page size fixed at 4096): they cannot change inside a transaction or would break the node.
const STORAGE: &[&str] = &[
    "auto_vacuum",
    "busy_timeout",
    "cache_size",
    "cache_spill",
    "encoding",
    "incremental_vacuum",
    "journal_mode",
    "journal_size_limit",
    "locking_mode",
    "mmap_size",
    "page_size",
    "shrink_memory",
    "synchronous",
    "temp_store",
    "wal_autocheckpoint",
    "wal_checkpoint",
];

/// Pragmas that act even without a value (so they are not reads).
const ACTS_WITHOUT_VALUE: &[&str] = &["incremental_vacuum", "shrink_memory", "wal_checkpoint"];

/// Pragmas that can corrupt the database.
const UNSAFE: &[&str] = &["schema_version", "writable_schema"];

/// What dqmig does with `PRAGMA name` (`with_value`: `= value` or `(value)` given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Sent as written.
    Run,
    /// `foreign_keys` with a value: handled around the transaction.
    ForeignKeys,
    /// Refused, for this reason.
    Refuse(Refusal),
}

/// Why a pragma is refused (the README's table says which pragma falls where).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `schema_version`, `writable_schema`.
    Corrupts,
    /// The storage dqlite manages (`journal_mode`, `page_size`, `synchronous`, ...).
    Storage,
    /// Any other setting: it changes the connection.
    Connection,
}

impl Refusal {
    /// The reason, worded for a revision (run inside the step's transaction).
    fn in_revision(self) -> &'static str {
        match self {
            Refusal::Corrupts => "it can corrupt the database",
            Refusal::Storage => {
                "dqlite manages the storage itself (WAL journal, synchronous off, its own checkpoints); \
                 this cannot change inside the step's transaction and must not change on a dqlite connection"
            }
            Refusal::Connection => {
                "it changes the connection, not the transaction: SQLite ignores or refuses it inside the \
                 step's transaction, or it would stay set for later steps and dqmig's own statements"
            }
        }
    }

    /// The reason, worded for one statement sent on a connection of its own (`dqmig sql`).
    fn on_its_own(self) -> &'static str {
        match self {
            Refusal::Corrupts => "it can corrupt the database",
            Refusal::Storage => {
                "dqlite manages the storage itself (WAL journal, page size 4096, synchronous off, its own \
                 checkpoints); changing it can crash the node (journal_mode, page_size and locking_mode do \
                 on libdqlite 1.11)"
            }
            Refusal::Connection => {
                "it changes only the connection, and the statement runs on a connection of its own, \
                 closed after it, so it would do nothing"
            }
        }
    }
}

/// The per-pragma rule (the README's table is this function).
pub(crate) fn decide(name: &str, with_value: bool) -> Decision {
    let name = name.to_ascii_lowercase();
    let is = |list: &[&str]| list.contains(&name.as_str());
    if name == "foreign_keys" {
        if with_value {
            Decision::ForeignKeys
        } else {
            Decision::Run
        }
    } else if is(READS) || is(IN_TRANSACTION) {
        Decision::Run
    } else if is(UNSAFE) {
        Decision::Refuse(Refusal::Corrupts)
    } else if is(STORAGE) && (with_value || is(ACTS_WITHOUT_VALUE)) {
        Decision::Refuse(Refusal::Storage)
    } else if with_value {
        Decision::Refuse(Refusal::Connection)
    } else {
        // Reading a setting.
        Decision::Run
    }
}

/// Classifies the statement whose code tokens (no blanks, no comments) are `code`.
pub(crate) fn classify(file: &str, code: &[&Tok]) -> Result<Class, ScriptError> {
    let Some(first) = code.first() else {
        return Ok(Class::Plain);
    };
    let at = |message: String| ScriptError::at(file, first.line, first.column, message);
    match keyword(first) {
        Some(
            Keyword::BEGIN
            | Keyword::COMMIT
            | Keyword::END
            | Keyword::ROLLBACK
            | Keyword::SAVEPOINT
            | Keyword::RELEASE,
        ) => {
            let words: Vec<String> = code
                .iter()
                .take(2)
                .take_while(|t| keyword(t).is_some())
                .map(|t| t.token.to_string().to_uppercase())
                .collect();
            Err(at(format!(
                "`{}` in a revision: dqmig runs each step in its own transaction, together with the version-table \
                 update, so a revision may not begin, end, or split it (BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE); \
                 remove the statement (to rebuild a table with foreign keys off, write `PRAGMA foreign_keys=OFF;`: \
                 dqmig turns them off before the step's transaction and checks them before its COMMIT)",
                words.join(" ")
            )))
        }
        Some(Keyword::PRAGMA) => pragma(code, at),
        Some(k @ (Keyword::ATTACH | Keyword::DETACH)) => Err(at(format!(
            "`{k:?}` in a revision is refused: it changes the connection, not the step's transaction (the \
             database would stay attached for later steps and dqmig's own statements), and dqlite replicates \
             only the main database, so writes to an attached one are not part of the step; remove it"
        ))),
        Some(Keyword::VACUUM) => Err(at(
            "`VACUUM` in a revision is refused: SQLite cannot vacuum inside a transaction, and dqmig runs each \
             step in one; remove it (dqlite manages the database file itself)"
                .to_string(),
        )),
        Some(Keyword::EXPLAIN) => {
            if let Some(refusal) = explained_pragma_with_value(code) {
                return Err(at(format!("{refusal} from the revision")));
            }
            // What the explained statement may not do, it may not do explained either.
            match explained(code) {
                Some(inner) if !inner.is_empty() => classify(file, inner).map(|_| Class::Rows),
                _ => Ok(Class::Rows),
            }
        }
        Some(Keyword::SELECT | Keyword::VALUES) => Ok(Class::Rows),
        Some(Keyword::WITH) => Ok(with(code)),
        _ => Ok(Class::Plain),
    }
}

/// `WITH ... <verb>`: the verb after the common table expressions (the first keyword
/// outside parentheses among SELECT, VALUES, INSERT, REPLACE, UPDATE, DELETE) decides.
fn with(code: &[&Tok]) -> Class {
    let mut depth = 0usize;
    for t in code {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ => match keyword(t) {
                Some(Keyword::SELECT | Keyword::VALUES) => return Class::Rows,
                Some(Keyword::INSERT | Keyword::REPLACE | Keyword::UPDATE | Keyword::DELETE) => {
                    return Class::Plain
                }
                _ => {}
            },
        }
    }
    // Not a statement SQLite reads either: sent on its own, SQLite says what is wrong.
    Class::Rows
}

/// Refuses `RETURNING` used as a keyword in `sql` (a statement's text, starting at byte
/// `base` of the file, whose code tokens are `code`), found the way the client finds it
/// (it refuses to send such SQL), at the line of the keyword.
pub(crate) fn refuse_returning(
    file: &str,
    sql: &str,
    base: usize,
    code: &[&Tok],
) -> Result<(), ScriptError> {
    let Some(at) = dqmig_client::find_returning(sql) else {
        return Ok(());
    };
    let Some(tok) = code.iter().find(|t| t.start == base + at).or(code.first()) else {
        return Ok(());
    };
    Err(ScriptError::at(
        file,
        tok.line,
        tok.column,
        "`RETURNING` in a revision is refused: libdqlite 1.11 mishandles it, so dqmig never sends it; \
         write the statement without RETURNING (read what it would return with a SELECT after it)",
    ))
}

/// The name (lowercased) and value tokens (after `=` or `(`) of `PRAGMA [schema.]name
/// [= value | (value)]` whose code tokens are `code`; `None` when SQLite would not read it
/// as a pragma either (it fails there).
#[allow(clippy::type_complexity)]
fn pragma_parts<'a, 'b>(code: &'a [&'b Tok]) -> Option<(String, Option<&'a [&'b Tok]>)> {
    let mut rest = &code[1..];
    if let [_, dot, tail @ ..] = rest {
        if dot.token == Token::Period {
            rest = tail;
        }
    }
    let name = rest.first().and_then(|t| word(t))?;
    let value = match &rest[1..] {
        []
        | [Tok {
            token: Token::SemiColon,
            ..
        }] => None,
        [eq, v @ ..] if eq.token == Token::Eq => Some(v),
        [open, v @ ..] if open.token == Token::LParen => Some(v),
        _ => return None,
    };
    Some((name, value))
}

/// Why the one statement `sql` must not be sent on a dqlite connection of its own (what
/// `dqmig sql` does): `VACUUM`, and every pragma a revision may not contain (the README's
/// table, the same rule), each with the reason worded for a statement run alone (a
/// storage pragma such as `journal_mode` or `page_size` can crash a libdqlite 1.11 node).
/// `None` for any other statement, and for text this tokenizer cannot read (SQLite reports
/// it). Transaction control, `ATTACH`/`DETACH` and `RETURNING` are left to the caller,
/// which knows what they would do there.
///
/// The message names the statement (`` `PRAGMA journal_mode` ``, `` `VACUUM` ``) and why.
pub fn refuse_alone(sql: &str) -> Option<String> {
    let toks = super::split::tokenize("", sql).ok()?;
    let code: Vec<&Tok> = toks
        .iter()
        .filter(|t| !t.is_blank() && !t.is_comment())
        .collect();
    if let Some(refusal) = explained_pragma_with_value(&code) {
        return Some(refusal);
    }
    match keyword(code.first()?)? {
        Keyword::VACUUM => Some(
            "`VACUUM` is refused: dqlite manages the database file itself (it keeps the database in \
             memory and replicates its pages), so there is nothing to vacuum and the request can break the node"
                .to_string(),
        ),
        Keyword::PRAGMA => {
            let (name, value) = pragma_parts(&code)?;
            let refusal = match decide(&name, value.is_some()) {
                Decision::Refuse(r) => r,
                Decision::ForeignKeys => Refusal::Connection,
                Decision::Run => return None,
            };
            Some(format!(
                "`PRAGMA {name}` is refused: {}",
                refusal.on_its_own()
            ))
        }
        _ => None,
    }
}

/// `PRAGMA [schema.]name [= value | (value)]`.
fn pragma(code: &[&Tok], at: impl Fn(String) -> ScriptError) -> Result<Class, ScriptError> {
    let Some((name, value)) = pragma_parts(code) else {
        return Ok(Class::Plain); // Not a pragma SQLite understands either: let it fail there.
    };
    match decide(&name, value.is_some()) {
        // A pragma without a value reads a setting; a read with an argument reads it.
        Decision::Run if value.is_none() || READS.contains(&name.as_str()) => Ok(Class::Rows),
        Decision::Run => Ok(Class::Plain),
        Decision::Refuse(refusal) => Err(at(format!(
            "`PRAGMA {name}` in a revision is refused: {}; remove it (the README section \
             \"Statements a revision may not contain\" lists how each pragma is handled)",
            refusal.in_revision()
        ))),
        Decision::ForeignKeys => {
            let v = value.map(value_text).unwrap_or_default();
            match boolean(&v) {
                Some(on) => Ok(Class::ForeignKeys { off: !on }),
                None => Err(at(format!(
                    "`PRAGMA foreign_keys = {v}`: dqmig reads only 0 or 1, off or on, false or true, no or yes \
                     (quoted or not); write `PRAGMA foreign_keys=OFF;` (dqmig turns foreign keys off before the \
                     step's transaction and back on after it)"
                ))),
            }
        }
    }
}

/// The value tokens up to `)`/`;`, as text (`-0` stays `-0`; quotes dropped).
fn value_text(v: &[&Tok]) -> String {
    v.iter()
        .take_while(|t| !matches!(t.token, Token::RParen | Token::SemiColon))
        .map(|t| match &t.token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s.clone(),
            Token::Word(w) => w.value.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The values dqmig reads for `PRAGMA foreign_keys` (case-insensitive, quotes already
/// dropped): `0`, `off`, `false`, `no` and `1`, `on`, `true`, `yes`. Anything else is
/// `None`, refused: SQLite would read it too (any non-zero number, `-1` included, as on;
/// `full` as on; most other words as off), but a revision should say plainly what it does.
pub(crate) fn boolean(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Some(true),
        "0" | "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// The statement after `EXPLAIN [QUERY PLAN]` when `code` starts with it. SQLite prepares
/// that statement, and a pragma with a value acts while it is prepared (`EXPLAIN PRAGMA
/// journal_mode=DELETE` aborts a 1.11.1 node; `EXPLAIN PRAGMA foreign_keys=OFF` turns the
/// checks off), so what is refused alone is refused explained too.
fn explained<'a, 'b>(code: &'a [&'b Tok]) -> Option<&'a [&'b Tok]> {
    if keyword(code.first()?)? != Keyword::EXPLAIN {
        return None;
    }
    let plan = code.len() > 2
        && keyword(code[1]) == Some(Keyword::QUERY)
        && keyword(code[2]) == Some(Keyword::PLAN);
    Some(&code[if plan { 3 } else { 1 }..])
}

/// The refusal of an explained pragma that sets a value (see [`explained`]).
fn explained_pragma_with_value(code: &[&Tok]) -> Option<String> {
    let inner = explained(code)?;
    let (name, value) = (keyword(inner.first()?)? == Keyword::PRAGMA)
        .then(|| pragma_parts(inner))
        .flatten()?;
    value.map(|_| {
        format!(
            "`EXPLAIN PRAGMA {name}` with a value is refused: SQLite applies the pragma while it prepares \
             the statement (explaining it sets it; a storage pragma such as journal_mode aborts a \
             libdqlite 1.11 node); remove the statement"
        )
    })
}

fn keyword(t: &Tok) -> Option<Keyword> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() && w.keyword != Keyword::NoKeyword => {
            Some(w.keyword)
        }
        _ => None,
    }
}

/// An identifier (quoted or not), lowercased.
fn word(t: &Tok) -> Option<String> {
    match &t.token {
        Token::Word(w) => Some(w.value.to_ascii_lowercase()),
        Token::DoubleQuotedString(s) | Token::SingleQuotedString(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}
