//! Revision ids and branch labels: what a valid one looks like, and how new ids are made.
//!
//! Rules (documented for users in the CLI help of `revision --rev-id`):
//! - A revision id is 1 to 64 characters of `a-z`, `0-9` and `_`, and is none of the target
//!   words `head`, `heads`, `base`. Generated ids are 12 lowercase hex digits (48 random
//!   bits). Ids never contain `-`, `+`, `@`, `:` or `,`, so `rev-2`, `label@head` and
//!   `a:b` targets and comma-separated headers stay unambiguous, and they are safe in file
//!   names on every platform.
//! - A branch label is 1 to 64 characters of `A-Z`, `a-z`, `0-9`, `_` and `.`, starts with
//!   a letter or `_`, and is none of `head`, `heads`, `base`.
//!
//! Ids come from an injected source of random numbers: the core never draws randomness
//! itself, so that everything it produces is reproducible in tests.

use super::ScriptError;
use std::fmt;

/// Words that are targets, never ids or labels.
pub const RESERVED: [&str; 3] = ["head", "heads", "base"];

const MAX_LEN: usize = 64;

/// A validated revision id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevId(String);

impl RevId {
    /// Checks `id` against the id rules.
    pub fn parse(id: &str) -> Result<RevId, ScriptError> {
        let bad = |reason: &str| ScriptError::BadRevId {
            id: id.to_string(),
            reason: reason.to_string(),
        };
        if id.is_empty() {
            return Err(bad("it is empty; use 1 to 64 characters of a-z, 0-9 and _"));
        }
        if id.len() > MAX_LEN {
            return Err(bad("it is longer than 64 characters"));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
        {
            return Err(bad(&format!("it contains {c:?}; use only a-z, 0-9 and _ (ids are file names and appear in targets like `rev-1`)")));
        }
        if RESERVED.contains(&id) {
            return Err(bad(
                "it is a target word (head, heads, base); choose another id",
            ));
        }
        Ok(RevId(id.to_string()))
    }

    /// A new 12-hex-digit id from `random` (only its low 48 bits are used), drawing again
    /// while `taken` says the id exists. Gives up (error) after 64 draws, which only a
    /// broken random source can cause.
    pub fn generate(
        mut random: impl FnMut() -> u64,
        taken: impl Fn(&RevId) -> bool,
    ) -> Result<RevId, ScriptError> {
        for _ in 0..64 {
            let id = RevId(format!("{:012x}", random() & 0xffff_ffff_ffff));
            if !taken(&id) {
                return Ok(id);
            }
        }
        Err(ScriptError::BadRevId {
            id: String::new(),
            reason: "64 generated ids in a row were already taken; the random source is broken, or pass --rev-id".into(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RevId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RevId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Checks a branch label against the label rules.
pub fn validate_label(label: &str) -> Result<(), ScriptError> {
    let bad = |reason: &str| ScriptError::BadLabel {
        label: label.to_string(),
        reason: reason.to_string(),
    };
    let Some(first) = label.chars().next() else {
        return Err(bad("it is empty"));
    };
    if label.len() > MAX_LEN {
        return Err(bad("it is longer than 64 characters"));
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err(bad("it must start with a letter or _"));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(bad(&format!("it contains {c:?}; use only letters, digits, _ and . (labels appear in targets like `label@head`)")));
    }
    if RESERVED.contains(&label) {
        return Err(bad(
            "it is a target word (head, heads, base); choose another label",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["3f2a9c1b7d4e", "a", "init_0001", "0"] {
            assert_eq!(RevId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "Abc",
            "a-b",
            "a+b",
            "a@b",
            "a:b",
            "a,b",
            "a b",
            "head",
            "heads",
            "base",
            "é",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(RevId::parse(bad), Err(ScriptError::BadRevId { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn generated_ids_are_12_hex_and_skip_taken() {
        let mut n = 0u64;
        let id = RevId::generate(
            || {
                n += 1;
                0xdead_0000_0000_0000 | n
            },
            |id| id.as_str() == "000000000001",
        )
        .unwrap();
        assert_eq!(id.as_str(), "000000000002");
        assert!(RevId::parse(id.as_str()).is_ok());
        assert!(RevId::generate(|| 7, |_| true).is_err());
    }

    #[test]
    fn labels() {
        for ok in ["shop", "Shop_2", "_x", "v1.2"] {
            validate_label(ok).unwrap();
        }
        for bad in ["", "2x", "a-b", "a@b", "a b", "head", "a:b", "a,b"] {
            assert!(validate_label(bad).is_err(), "{bad:?} accepted");
        }
    }
}
