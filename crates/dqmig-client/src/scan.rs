//! A small SQL scanner for the client's guard rails: finds `RETURNING` used as a keyword,
//! counts statements and reads each statement's leading keywords (for transaction tracking),
//! skipping string literals, quoted identifiers, comments and parameters. It is not a
//! parser; it only needs to be right about the tokens that decide what is safe to send to a
//! dqlite 1.11 node (a RETURNING clause can return wrong results or crash it) and to track
//! transaction state.

/// What the scanner learned about one SQL text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlInfo {
    /// `RETURNING` appears as a bare keyword somewhere.
    pub returning: bool,
    /// Byte offset of the first such `RETURNING`.
    pub returning_at: Option<usize>,
    /// Number of non-empty statements.
    pub statements: usize,
    /// Transaction effect of each statement, in order.
    pub effects: Vec<TxEffect>,
    /// The first statement that sets a pragma that aborts a libdqlite 1.11.1 node
    /// ([`NODE_CRASHING_PRAGMAS`]), as its pragma name in lower case.
    pub crashing_pragma: Option<String>,
}

/// Pragmas that abort a libdqlite 1.11.1 node when set (`PRAGMA journal_mode=DELETE`,
/// `PRAGMA page_size=8192`, `PRAGMA locking_mode=EXCLUSIVE`, with or without a schema name,
/// in either the `=` or the call form): the node manages its own WAL, page size and locking.
/// Reading them (no value) is harmless.
pub const NODE_CRASHING_PRAGMAS: [&str; 3] = ["journal_mode", "page_size", "locking_mode"];

/// What a statement does to the connection's transaction state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxEffect {
    None,
    /// BEGIN (any behavior) or SAVEPOINT (opens a transaction when none is open).
    Begin,
    /// COMMIT, END, or ROLLBACK without TO.
    End,
}

impl SqlInfo {
    /// The transaction state after running all statements successfully, starting from `in_tx`.
    pub fn apply(&self, mut in_tx: bool) -> bool {
        for e in &self.effects {
            match e {
                TxEffect::Begin => in_tx = true,
                TxEffect::End => in_tx = false,
                TxEffect::None => {}
            }
        }
        in_tx
    }

    /// The first statement starts a transaction (BEGIN/SAVEPOINT).
    pub fn begins(&self) -> bool {
        self.effects.first() == Some(&TxEffect::Begin)
    }
}

/// Per-statement state while scanning.
#[derive(Default)]
struct Stmt {
    words: Vec<String>,
    tokens: usize,
    /// The statement is `CREATE [TEMP|TEMPORARY] TRIGGER ...`: as in SQLite's
    /// `sqlite3_complete` (and dqmig-script's splitter), only `; END ;` ends it.
    trigger: bool,
    /// In a trigger: the last token was a `;`.
    after_semi: bool,
    /// In a trigger: the last tokens were `;` and `END`.
    after_semi_end: bool,
    /// The first tokens: words and quoted names upper-cased and unquoted, punctuation as
    /// itself, anything else `?` (enough to read `EXPLAIN QUERY PLAN PRAGMA [schema.]name =`).
    head: Vec<String>,
}

impl Stmt {
    fn effect(&self) -> TxEffect {
        let first = self.words.first().map(String::as_str);
        match first {
            Some("BEGIN") | Some("SAVEPOINT") => TxEffect::Begin,
            Some("COMMIT") | Some("END") => TxEffect::End,
            Some("ROLLBACK") if !self.words.iter().any(|w| w == "TO") => TxEffect::End,
            _ => TxEffect::None,
        }
    }

    /// Keeps the first tokens only while the statement can still be a pragma (every
    /// statement is scanned before it is sent: the others cost one token here).
    fn push_head(&mut self, token: impl FnOnce() -> String) {
        let may_be_pragma = self
            .head
            .first()
            .is_none_or(|t| t == "PRAGMA" || t == "EXPLAIN");
        if self.head.len() < 8 && may_be_pragma {
            self.head.push(token());
        }
    }

    /// The pragma this statement sets, when it is one of [`NODE_CRASHING_PRAGMAS`].
    fn crashing_pragma(&self) -> Option<String> {
        let h: Vec<&str> = self.head.iter().map(String::as_str).collect();
        // `EXPLAIN [QUERY PLAN] PRAGMA ...` prepares the pragma too, and aborts the node alike.
        let h = match h[..] {
            ["EXPLAIN", "QUERY", "PLAN", ref rest @ ..] | ["EXPLAIN", ref rest @ ..] => rest,
            ref all => all,
        };
        let name = match h[..] {
            ["PRAGMA", _, ".", name, "=" | "(", ..] | ["PRAGMA", name, "=" | "(", ..] => name,
            _ => return None,
        };
        let name = name.to_ascii_lowercase();
        NODE_CRASHING_PRAGMAS
            .contains(&name.as_str())
            .then_some(name)
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Scans `sql`. Never fails: unterminated literals or comments just end the text.
pub fn scan(sql: &str) -> SqlInfo {
    let mut info = SqlInfo::default();
    let mut cur = Stmt::default();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut prev_dot = false;
    let finish = |cur: &mut Stmt, info: &mut SqlInfo| {
        if cur.tokens > 0 {
            info.statements += 1;
            info.effects.push(cur.effect());
            if info.crashing_pragma.is_none() {
                info.crashing_pragma = cur.crashing_pragma();
            }
        }
        *cur = Stmt::default();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Every token but `;` (whitespace and comments are none) ends a `;` or `; END` run.
        let was_semi = cur.after_semi;
        if !(c.is_ascii_whitespace()
            || c == ';'
            || (c == '-' && next == Some('-'))
            || (c == '/' && next == Some('*')))
        {
            cur.after_semi = false;
            cur.after_semi_end = false;
        }
        match c {
            // SQLite's blanks are ASCII only (a U+2001 is a name character to it).
            c if c.is_ascii_whitespace() => i += 1,
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '\'' | '"' | '`' => {
                // Quoted literal or identifier; a doubled quote is an escaped quote.
                let (q, start) = (c, i);
                i += 1;
                loop {
                    match chars.get(i) {
                        None => break,
                        Some(&ch) if ch == q => {
                            if chars.get(i + 1) == Some(&q) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                // SQLite takes a string as a name where a name is expected (a pragma's).
                cur.push_head(|| {
                    let inner: String = chars
                        [(start + 1).min(i)..i.saturating_sub(1).max(start + 1).min(i)]
                        .iter()
                        .collect();
                    inner
                        .replace(&format!("{q}{q}"), &q.to_string())
                        .to_ascii_uppercase()
                });
                cur.tokens += 1;
                prev_dot = false;
            }
            '[' => {
                let start = i + 1;
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                cur.push_head(|| {
                    chars[start.min(i)..i]
                        .iter()
                        .collect::<String>()
                        .to_ascii_uppercase()
                });
                i += 1;
                cur.tokens += 1;
                prev_dot = false;
            }
            ':' | '@' | '$' | '?' => {
                // Parameter: its name is not a keyword.
                i += 1;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                cur.push_head(|| "?".to_string());
                cur.tokens += 1;
                prev_dot = false;
            }
            ';' => {
                i += 1;
                if cur.trigger && !cur.after_semi_end {
                    cur.after_semi = true;
                    continue;
                }
                finish(&mut cur, &mut info);
                prev_dot = false;
            }
            c if is_ident_char(c) => {
                let start = i;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                cur.tokens += 1;
                if c.is_ascii_digit() {
                    cur.push_head(|| "?".to_string());
                    prev_dot = false;
                    continue;
                }
                let word: String = chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase();
                cur.push_head(|| word.clone());
                // `sqlite3_complete` reads CREATE [TEMP] TRIGGER and `; END` as keywords even
                // next to a `.` (`CREATE TRIGGER.x ...` is still a trigger to it and to the
                // splitter), so those two rules come before the `.name` test.
                if word == "TRIGGER"
                    && cur.tokens == cur.words.len() + 1
                    && matches!(
                        cur.words.iter().map(String::as_str).collect::<Vec<_>>()[..],
                        ["CREATE"] | ["CREATE", "TEMP"] | ["CREATE", "TEMPORARY"]
                    )
                {
                    cur.trigger = true;
                }
                cur.after_semi_end = word == "END" && was_semi;
                let is_name = prev_dot || chars.get(i) == Some(&'.');
                prev_dot = false;
                if is_name {
                    continue;
                }
                if word == "RETURNING" {
                    info.returning = true;
                    // A char index for now; made a byte offset at the end.
                    info.returning_at.get_or_insert(start);
                }
                if cur.words.len() < 8 {
                    cur.words.push(word);
                }
            }
            '.' => {
                i += 1;
                cur.push_head(|| ".".to_string());
                cur.tokens += 1;
                prev_dot = true;
            }
            _ => {
                cur.push_head(|| c.to_string());
                i += 1;
                cur.tokens += 1;
                prev_dot = false;
            }
        }
    }
    finish(&mut cur, &mut info);
    info.returning_at = info
        .returning_at
        .and_then(|c| sql.char_indices().nth(c).map(|(b, _)| b));
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returning_as_keyword_only() {
        assert!(scan("INSERT INTO t(x) VALUES (1) RETURNING id").returning);
        assert!(scan("insert into t(x) values (1)\nreturning\t*").returning);
        assert!(scan("UPDATE t SET x = 1 /* c */ ReTuRnInG x").returning);
        assert!(!scan("INSERT INTO t(x) VALUES ('returning')").returning);
        assert!(!scan("SELECT \"returning\" FROM t").returning);
        assert!(!scan("SELECT `returning`, [returning] FROM t").returning);
        assert!(!scan("SELECT 1 -- returning\n").returning);
        assert!(!scan("SELECT 1 /* returning */").returning);
        assert!(!scan("SELECT :returning, @returning, $returning").returning);
        assert!(!scan("SELECT t.returning FROM t").returning);
        assert!(!scan("SELECT 'it''s returning' FROM t").returning);
        assert!(!scan("SELECT returning_count FROM t").returning);
    }

    #[test]
    fn pragmas_that_abort_a_node_when_set() {
        for sql in [
            "PRAGMA journal_mode=DELETE",
            "pragma Journal_Mode = wal",
            "PRAGMA main.page_size = 8192",
            "PRAGMA \"main\".\"page_size\"(8192)",
            "PRAGMA [locking_mode] = EXCLUSIVE",
            "PRAGMA 'journal_mode' = 'off'",
            "/* c */ PRAGMA -- x\n journal_mode\n=\nDELETE",
            "SELECT 1; PRAGMA locking_mode=NORMAL",
            "EXPLAIN PRAGMA journal_mode=DELETE",
            "explain query plan pragma main.page_size = 8192",
        ] {
            let name = scan(sql).crashing_pragma;
            assert!(
                name.as_deref()
                    .is_some_and(|n| super::NODE_CRASHING_PRAGMAS.contains(&n)),
                "{sql}: {name:?}"
            );
        }
        for sql in [
            "PRAGMA journal_mode",
            "PRAGMA main.page_size",
            "PRAGMA cache_size = -2000",
            "PRAGMA foreign_keys = OFF",
            "SELECT * FROM pragma_journal_mode",
            "SELECT 'PRAGMA journal_mode=DELETE'",
            "INSERT INTO t (journal_mode) VALUES (1)",
            "PRAGMA table_info(journal_mode)",
        ] {
            assert_eq!(scan(sql).crashing_pragma, None, "{sql}");
        }
    }

    #[test]
    fn returning_position_is_a_byte_offset() {
        assert_eq!(scan("SELECT 1").returning_at, None);
        let sql = "INSERT INTO t(x) VALUES ('é') -- returning\n RETURNING id, returning";
        let at = scan(sql).returning_at.unwrap();
        assert_eq!(&sql[at..at + 9], "RETURNING");
        assert_eq!(crate::find_returning(sql), Some(at));
    }

    #[test]
    fn counts_statements() {
        assert_eq!(scan("").statements, 0);
        assert_eq!(scan("  -- only a comment\n").statements, 0);
        assert_eq!(scan("SELECT 1").statements, 1);
        assert_eq!(scan("SELECT 1;").statements, 1);
        assert_eq!(scan("SELECT 1; ;  ").statements, 1);
        assert_eq!(scan("SELECT ';'; SELECT 2").statements, 2);
        // TRIGGER and END next to a `.` are still keywords to sqlite3_complete (fuzz split).
        assert_eq!(
            scan("CREATE TRIGGER.t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END").statements,
            1
        );
        assert_eq!(
            scan("CREATE TABLE a(x); INSERT INTO a VALUES (1);").statements,
            2
        );
        let trig = "CREATE TRIGGER tr AFTER INSERT ON a BEGIN \
                    UPDATE b SET y = CASE WHEN new.x > 0 THEN 1 ELSE 0 END; DELETE FROM c; END; SELECT 1";
        assert_eq!(scan(trig).statements, 2);
        // The rule of sqlite3_complete (and of dqmig-script's splitter): in a trigger only
        // `; END ;` ends the statement, also before BEGIN; TRIGGER counts only right after
        // CREATE [TEMP|TEMPORARY].
        assert_eq!(
            scan("CREATE TEMP TRIGGER t2 BEFOR, x FROM t; SELEC; END; SELECT 1").statements,
            2
        );
        assert_eq!(
            scan("CREATE TRIGGER t BEGIN SELECT 1; END -- c\n; SELECT 2").statements,
            2
        );
        assert_eq!(scan("CREATE TABLE trigger (a); SELECT 1").statements, 2);
        // Only ASCII blanks are blanks in SQLite: a U+2001 after the `;` is a name.
        assert_eq!(scan("SELECT 1;\u{2001}").statements, 2);
        assert_eq!(scan("SELECT 1;\n\t\r\x0c ").statements, 1);
        assert_eq!(
            scan("CREATE TRIGGER t BEGIN SELECT 1; \"END\"; END; SELECT 2").statements,
            2
        );
        assert_eq!(
            scan("CREATE TRIGGER t BEGIN SELECT 1; x.END; END").statements,
            1
        );
    }

    #[test]
    fn transaction_effects() {
        assert!(scan("BEGIN IMMEDIATE").begins());
        assert!(scan("begin").apply(false));
        assert!(!scan("COMMIT").apply(true));
        assert!(!scan("END TRANSACTION").apply(true));
        assert!(!scan("ROLLBACK").apply(true));
        assert!(scan("ROLLBACK TO SAVEPOINT s").apply(true));
        assert!(scan("SAVEPOINT s").apply(false));
        assert!(!scan("BEGIN; INSERT INTO t VALUES (1); COMMIT").apply(false));
        assert!(scan("INSERT INTO t VALUES (1)").apply(true));
        assert!(!scan("SELECT 'BEGIN'").apply(false));
        assert!(!scan("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END").apply(false));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_quoted_returning_is_a_name(s in "\\PC{0,64}", q in "['\"`]") {
            let _ = scan(&s);
            let quoted = format!("SELECT {q}returning{q}");
            proptest::prop_assert!(!scan(&quoted).returning);
        }
    }
}
