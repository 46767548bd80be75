//! `SqlType`: a column's declared SQL type in its one normal form, and the SQLite
//! affinity rules (<https://sqlite.org/datatype3.html> §3.1) that decide how values are stored.
//!
//! The normal form is what schemas are compared by: ASCII upper case, runs of whitespace
//! collapsed to one space, no space next to `(`, `)` or `,`. So `varchar( 100 )` and
//! `VARCHAR(100)` are the same type, while `INT` and `INTEGER` are not (only `INTEGER
//! PRIMARY KEY` makes a rowid alias).

use std::fmt;

/// The five SQLite column affinities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl fmt::Display for Affinity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Affinity::Integer => "INTEGER",
            Affinity::Text => "TEXT",
            Affinity::Blob => "BLOB",
            Affinity::Real => "REAL",
            Affinity::Numeric => "NUMERIC",
        })
    }
}

/// A declared SQL type in normal form. The empty type (a column declared without one) is
/// allowed, as in SQLite, and has BLOB affinity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SqlType(String);

/// The declared types dqlite 1.11 rewrites on output: a column
/// declared with exactly one of these names (case-insensitive) can abort the node when it
/// holds an unexpected storage class, so dqmig never renders or accepts them.
pub const REMAPPED_BY_DQLITE: [&str; 4] = ["DATETIME", "DATE", "TIMESTAMP", "BOOLEAN"];

impl SqlType {
    /// Normalizes `text` (see the module docs). Never fails: SQLite accepts any type name.
    pub fn new(text: &str) -> SqlType {
        // SQLite's whitespace is ASCII only: any other character is part of a name.
        let upper = dequoted(text.trim_ascii()).to_ascii_uppercase();
        let mut out = String::with_capacity(upper.len());
        let mut pending_space = false;
        for ch in upper.chars() {
            if ch.is_ascii_whitespace() {
                pending_space = !out.is_empty();
                continue;
            }
            if pending_space && !matches!(ch, '(' | ')' | ',') && !out.ends_with(['(', ',']) {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        }
        SqlType(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// SQLite's affinity rules, applied in SQLite's order.
    pub fn affinity(&self) -> Affinity {
        let t = &self.0;
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    /// True for the exact names dqlite 1.11 remaps ([`REMAPPED_BY_DQLITE`]).
    pub fn is_remapped_by_dqlite(&self) -> bool {
        REMAPPED_BY_DQLITE.contains(&self.0.as_str())
    }

    /// True when a single-column primary key of this type is an alias of the rowid.
    pub fn is_rowid_alias_type(&self) -> bool {
        self.0 == "INTEGER"
    }
}

/// The declared type as SQLite 3.40 (Debian 12's, under libdqlite 1.11) keeps it: a type
/// text that starts with a quote character (`'`, `"`, `` ` ``, `[`) is replaced by the value
/// of that first quoted token, and anything after it is dropped (`sqlite3Dequote` on the
/// type), so `"DATETIME"` is the type `DATETIME` (which dqlite remaps), `[my type]` is
/// `my type` and `"two" "words"` is `two`. Other types are kept as written.
pub(crate) fn dequoted(text: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = text.chars().peekable();
    let close = match chars.next() {
        Some('[') => ']',
        Some(q @ ('\'' | '"' | '`')) => q,
        _ => return text.into(),
    };
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if c == close {
            if close != ']' && chars.peek() == Some(&close) {
                chars.next();
            } else {
                break;
            }
        }
        value.push(c);
    }
    value.into()
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        let cases = [
            ("varchar( 100 )", "VARCHAR(100)"),
            ("  numeric (10 , 2)", "NUMERIC(10,2)"),
            ("double   precision", "DOUBLE PRECISION"),
            ("Integer", "INTEGER"),
            ("", ""),
            ("unsigned big int", "UNSIGNED BIG INT"),
            // SQLite drops the quotes of a type written as one quoted token.
            ("\"DATETIME\"", "DATETIME"),
            ("[my  type]", "MY TYPE"),
            ("'x'", "X"),
            ("\"a\" \"b\"", "A"),
            ("'it''s'", "IT'S"),
            ("CHAR'7'", "CHAR'7'"),
        ];
        for (input, want) in cases {
            assert_eq!(SqlType::new(input).as_str(), want, "{input:?}");
        }
    }

    #[test]
    fn affinity_rules() {
        let cases = [
            ("INTEGER", Affinity::Integer),
            ("TINYINT", Affinity::Integer),
            ("POINT", Affinity::Integer), // "INT" in "POINT": SQLite's rule, on purpose
            ("VARCHAR(10)", Affinity::Text),
            ("CLOB", Affinity::Text),
            ("TEXT", Affinity::Text),
            ("BLOB", Affinity::Blob),
            ("", Affinity::Blob),
            ("REAL", Affinity::Real),
            ("FLOAT", Affinity::Real),
            ("DOUBLE PRECISION", Affinity::Real),
            ("NUMERIC(10,2)", Affinity::Numeric),
            ("DECIMAL", Affinity::Numeric),
            ("BOOLEAN", Affinity::Numeric),
            ("DATETIME", Affinity::Numeric),
            ("CHARINT", Affinity::Integer), // INT wins over CHAR
        ];
        for (t, want) in cases {
            assert_eq!(SqlType::new(t).affinity(), want, "{t}");
        }
    }

    #[test]
    fn remapped_names_are_exact_matches() {
        assert!(SqlType::new("datetime").is_remapped_by_dqlite());
        assert!(SqlType::new("Boolean").is_remapped_by_dqlite());
        assert!(SqlType::new("DATE").is_remapped_by_dqlite());
        assert!(SqlType::new("timestamp").is_remapped_by_dqlite());
        assert!(!SqlType::new("DATETIME(6)").is_remapped_by_dqlite());
        assert!(!SqlType::new("TEXT").is_remapped_by_dqlite());
        assert!(!SqlType::new("BOOL").is_remapped_by_dqlite());
    }
}
