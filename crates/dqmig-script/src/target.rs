//! The grammar of migration targets (what `upgrade`, `downgrade`, `stamp` and `show` take),
//! parsed without looking at any graph:
//!
//! | text          | meaning                                                          |
//! |---------------|------------------------------------------------------------------|
//! | `head`        | the single head (an error when there are several)                |
//! | `heads`       | every head                                                       |
//! | `base`        | before the first revision                                        |
//! | `ID`, `PREFIX`, `LABEL` | a revision by full id, unique id prefix, or branch label |
//! | `+N`, `-N`    | N revisions after / before the current single head               |
//! | `REV+N`, `REV-N` | N revisions after / before REV (an id, prefix or label)       |
//! | `LABEL@head`, `LABEL@base` | the head of the branch LABEL (or REV) leads to / its first revision |
//! | `A:B`         | a range (history, `--sql`); either side may be empty             |
//!
//! N is a whole number from 1.

use super::ScriptError;
use std::fmt;

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Head,
    Heads,
    Base,
    /// A full id, a unique id prefix, or a branch label.
    Rev(String),
    /// `+N` (positive) or `-N` (negative) from the current single head.
    Relative(i64),
    /// `REV+N` / `REV-N`.
    FromRev(String, i64),
    /// `X@head`: the one head reachable from X.
    BranchHead(String),
    /// `X@base`: the labelled revision X itself as the first of its branch (as a downgrade
    /// target: undo X and everything after it).
    BranchBase(String),
}

impl Target {
    /// Parses one target (not a range).
    pub fn parse(text: &str) -> Result<Target, ScriptError> {
        let bad = |reason: &str| ScriptError::BadTarget {
            target: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim();
        match t {
            "" => {
                return Err(bad(
                    "it is empty; use head, heads, base, a revision id, +N or -N",
                ))
            }
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            "base" => return Ok(Target::Base),
            _ => {}
        }
        if t.contains(':') {
            return Err(bad(
                "a range `a:b` is not allowed here; give a single target",
            ));
        }
        if let Some((name, point)) = t.split_once('@') {
            check_name(text, name)?;
            return match point {
                "head" => Ok(Target::BranchHead(name.to_string())),
                "base" => Ok(Target::BranchBase(name.to_string())),
                _ => Err(bad("after `@` write head or base, as in `shop@head`")),
            };
        }
        if let Some(i) = t.rfind(['+', '-']) {
            let n: i64 = t[i + 1..]
                .parse()
                .ok()
                .filter(|n| *n >= 1 && *n <= 1_000_000)
                .ok_or_else(|| {
                    bad("a relative step is `+N` or `-N` with N a whole number from 1")
                })?;
            let n = if t.as_bytes()[i] == b'-' { -n } else { n };
            return if i == 0 {
                Ok(Target::Relative(n))
            } else {
                check_name(text, &t[..i])?;
                Ok(Target::FromRev(t[..i].to_string(), n))
            };
        }
        check_name(text, t)?;
        Ok(Target::Rev(t.to_string()))
    }

    /// Parses `A:B`, `A:`, `:B` (a missing side is `None`: from the base / to the heads).
    pub fn parse_range(text: &str) -> Result<(Option<Target>, Option<Target>), ScriptError> {
        let Some((a, b)) = text.split_once(':') else {
            return Err(ScriptError::BadTarget {
                target: text.to_string(),
                reason: "a range is `a:b`, `a:` or `:b`".into(),
            });
        };
        let side = |s: &str| {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                Target::parse(s).map(Some)
            }
        };
        Ok((side(a)?, side(b)?))
    }
}

fn check_name(target: &str, name: &str) -> Result<(), ScriptError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ScriptError::BadTarget {
            target: target.to_string(),
            reason: format!(
                "`{name}` is not a revision id, prefix or branch label (letters, digits, _ and .)"
            ),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Heads => f.write_str("heads"),
            Target::Base => f.write_str("base"),
            Target::Rev(r) => f.write_str(r),
            Target::Relative(n) => write!(f, "{n:+}"),
            Target::FromRev(r, n) => write!(f, "{r}{n:+}"),
            Target::BranchHead(r) => write!(f, "{r}@head"),
            Target::BranchBase(r) => write!(f, "{r}@base"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        let cases: &[(&str, Target)] = &[
            ("head", Target::Head),
            ("heads", Target::Heads),
            ("base", Target::Base),
            ("3f2a", Target::Rev("3f2a".into())),
            ("shop.v2", Target::Rev("shop.v2".into())),
            ("+2", Target::Relative(2)),
            ("-1", Target::Relative(-1)),
            ("ae10+2", Target::FromRev("ae10".into(), 2)),
            ("ae10-3", Target::FromRev("ae10".into(), -3)),
            ("shop@head", Target::BranchHead("shop".into())),
            ("shop@base", Target::BranchBase("shop".into())),
            (" head ", Target::Head),
        ];
        for (text, want) in cases {
            let got = Target::parse(text).unwrap();
            assert_eq!(&got, want, "{text}");
            assert_eq!(Target::parse(&got.to_string()).unwrap(), got);
        }
        for bad in [
            "",
            "+0",
            "-x",
            "+",
            "a+",
            "a-0",
            "@head",
            "shop@tail",
            "a:b",
            "a b",
            "a/b",
            "+99999999999",
            "é",
        ] {
            assert!(
                matches!(Target::parse(bad), Err(ScriptError::BadTarget { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(
            Target::parse_range("a:b").unwrap(),
            (Some(Target::Rev("a".into())), Some(Target::Rev("b".into())))
        );
        assert_eq!(
            Target::parse_range(":head").unwrap(),
            (None, Some(Target::Head))
        );
        assert_eq!(
            Target::parse_range("base:").unwrap(),
            (Some(Target::Base), None)
        );
        assert_eq!(
            Target::parse_range("-2:").unwrap(),
            (Some(Target::Relative(-2)), None)
        );
        assert!(Target::parse_range("ab").is_err());
        assert!(Target::parse_range("a:b:c").is_err());
    }
}
