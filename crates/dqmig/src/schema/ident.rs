//! SQL identifiers: `Ident` keeps the spelling for rendering and compares, orders and hashes
//! by ASCII case folding, as SQLite does; `quote_ident` is THE identifier quoting helper
//! (every renderer in dqmig uses it) and `quote_literal` the string-literal one.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// An identifier as written (without quotes). `Users` and `"users"` are equal.
#[derive(Debug, Clone, Default)]
pub struct Ident(String);

impl Ident {
    pub fn new(name: impl Into<String>) -> Ident {
        Ident(name.into())
    }

    /// The spelling as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ASCII-folded form identifiers are compared by.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The identifier double-quoted for SQL.
    pub fn quoted(&self) -> String {
        quote_ident(&self.0)
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Ident) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for Ident {}

impl Ord for Ident {
    fn cmp(&self, other: &Ident) -> Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}
impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Ident) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Ident {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Ident {
    fn from(s: &str) -> Ident {
        Ident::new(s)
    }
}

/// Double-quotes an identifier, doubling embedded double quotes: `a"b` → `"a""b"`.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Single-quotes a string literal, doubling embedded single quotes: `it's` → `'it''s'`.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn case_insensitive_ascii_only() {
        assert_eq!(Ident::new("Users"), Ident::new("users"));
        assert_ne!(Ident::new("Ä"), Ident::new("ä")); // SQLite folds ASCII only
        assert_ne!(Ident::new("a b"), Ident::new("ab"));
        let set: BTreeSet<Ident> = ["b", "A", "a", "C"].into_iter().map(Ident::new).collect();
        let names: Vec<String> = set.iter().map(Ident::folded).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(""), "''");
    }
}
