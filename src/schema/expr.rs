//! SQL fragments kept as text (CHECK and generated expressions, index expressions and
//! `WHERE`s, view queries, trigger statements) and column defaults, each with one normal
//! form.
//!
//! `SqlExpr::text` is sqlparser's canonical rendering of the parsed fragment (used for DDL);
//! `SqlExpr::key` is that text tokenized with whitespace dropped and every word (keyword or
//! identifier, quoted or not) ASCII-lowercased without its quotes. Expressions compare by
//! `key`, so `CHECK ("Age" > 0)` equals `check (age>0)`, while string literals still compare
//! exactly.

use sqlparser::ast::{Expr, UnaryOperator, Value as AstValue};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A SQL fragment with its comparison key (module docs).
#[derive(Debug, Clone)]
pub struct SqlExpr {
    text: String,
    key: String,
}

impl SqlExpr {
    /// Wraps already-canonical text (sqlparser's Display of an AST node).
    pub fn from_text(text: impl Into<String>) -> SqlExpr {
        let text = text.into();
        let key = normal_key(&text);
        SqlExpr { text, key }
    }

    pub fn from_ast(expr: &Expr) -> SqlExpr {
        SqlExpr::from_text(expr.to_string())
    }

    /// Parses one SQL expression (the whole input must be the expression).
    pub fn parse(text: &str) -> Result<SqlExpr, String> {
        parse_expr(text).map(|e| SqlExpr::from_ast(&e))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for SqlExpr {
    fn eq(&self, other: &SqlExpr) -> bool {
        self.key == other.key
    }
}
impl Eq for SqlExpr {}
impl Ord for SqlExpr {
    fn cmp(&self, other: &SqlExpr) -> Ordering {
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for SqlExpr {
    fn partial_cmp(&self, other: &SqlExpr) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Hash for SqlExpr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state)
    }
}
impl fmt::Display for SqlExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses a whole string as one SQL expression with the SQLite dialect.
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    let dialect = SQLiteDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text).map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| e.to_string())?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!("unexpected `{}` after the expression", next.token));
    }
    Ok(expr)
}

fn normal_key(text: &str) -> String {
    let dialect = SQLiteDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, text).tokenize() else {
        return text.to_ascii_lowercase();
    };
    let mut parts: Vec<String> = Vec::with_capacity(tokens.len());
    for token in tokens {
        match token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::Word(w) => parts.push(w.value.to_ascii_lowercase()),
            other => parts.push(other.to_string()),
        }
    }
    parts.join(" ")
}

/// An f64 with total equality and order (defaults must be `Eq`).
#[derive(Debug, Clone, Copy)]
pub struct Real(pub f64);

impl PartialEq for Real {
    fn eq(&self, other: &Real) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Real {}
impl Ord for Real {
    fn cmp(&self, other: &Real) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl PartialOrd for Real {
    fn partial_cmp(&self, other: &Real) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Hash for Real {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state)
    }
}

/// A column default. Literals are normalized by the column's affinity when the table is
/// normalized (SQLite stores `DEFAULT '1'` in an INTEGER column as the integer 1), so
/// spellings SQLite treats the same compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DefaultValue {
    Null,
    Integer(i64),
    Real(Real),
    Text(String),
    Blob(Vec<u8>),
    CurrentTime,
    CurrentDate,
    CurrentTimestamp,
    /// Any other expression; rendered in parentheses.
    Expr(SqlExpr),
}

impl DefaultValue {
    /// Classifies a parsed default expression.
    pub fn from_ast(expr: &Expr) -> DefaultValue {
        match expr {
            Expr::Value(v) => match &v.value {
                AstValue::Null => DefaultValue::Null,
                AstValue::Boolean(b) => DefaultValue::Integer(i64::from(*b)),
                AstValue::Number(n, _) => number(n, false).unwrap_or_else(|| DefaultValue::Expr(SqlExpr::from_ast(expr))),
                AstValue::SingleQuotedString(s) => DefaultValue::Text(s.clone()),
                AstValue::HexStringLiteral(h) => match decode_hex(h) {
                    Some(bytes) => DefaultValue::Blob(bytes),
                    None => DefaultValue::Expr(SqlExpr::from_ast(expr)),
                },
                _ => DefaultValue::Expr(SqlExpr::from_ast(expr)),
            },
            Expr::UnaryOp { op: UnaryOperator::Minus, expr: inner } => match inner.as_ref() {
                Expr::Value(v) => match &v.value {
                    AstValue::Number(n, _) => number(n, true).unwrap_or_else(|| DefaultValue::Expr(SqlExpr::from_ast(expr))),
                    _ => DefaultValue::Expr(SqlExpr::from_ast(expr)),
                },
                _ => DefaultValue::Expr(SqlExpr::from_ast(expr)),
            },
            Expr::UnaryOp { op: UnaryOperator::Plus, expr: inner } => DefaultValue::from_ast(inner),
            Expr::Nested(inner) => match DefaultValue::from_ast(inner) {
                // `DEFAULT (1)` is the literal 1; keep only literal folding through parens.
                DefaultValue::Expr(_) => DefaultValue::Expr(SqlExpr::from_ast(inner)),
                lit => lit,
            },
            Expr::Function(f) if matches!(f.args, sqlparser::ast::FunctionArguments::None) && f.name.0.len() == 1 => {
                let name = f.name.to_string().to_ascii_uppercase();
                match name.as_str() {
                    "CURRENT_TIMESTAMP" => DefaultValue::CurrentTimestamp,
                    "CURRENT_DATE" => DefaultValue::CurrentDate,
                    "CURRENT_TIME" => DefaultValue::CurrentTime,
                    _ => DefaultValue::Expr(SqlExpr::from_ast(expr)),
                }
            }
            Expr::Identifier(id) if id.quote_style.is_none() => {
                match id.value.to_ascii_uppercase().as_str() {
                    "CURRENT_TIMESTAMP" => DefaultValue::CurrentTimestamp,
                    "CURRENT_DATE" => DefaultValue::CurrentDate,
                    "CURRENT_TIME" => DefaultValue::CurrentTime,
                    "TRUE" => DefaultValue::Integer(1),
                    "FALSE" => DefaultValue::Integer(0),
                    _ => DefaultValue::Expr(SqlExpr::from_ast(expr)),
                }
            }
            _ => DefaultValue::Expr(SqlExpr::from_ast(expr)),
        }
    }

    /// Applies SQLite's affinity conversion to a literal default.
    pub fn with_affinity(self, affinity: crate::types::Affinity) -> DefaultValue {
        use crate::types::Affinity;
        match (affinity, self) {
            (Affinity::Text, DefaultValue::Integer(i)) => DefaultValue::Text(i.to_string()),
            (Affinity::Text, DefaultValue::Real(r)) => DefaultValue::Text(real_text(r.0)),
            (Affinity::Integer | Affinity::Numeric, DefaultValue::Text(s)) => match number(s.trim(), false) {
                Some(n) => n.with_affinity(affinity),
                None => DefaultValue::Text(s),
            },
            (Affinity::Integer | Affinity::Numeric, DefaultValue::Real(r)) => {
                if r.0.fract() == 0.0 && r.0.abs() < 9.0e18 {
                    DefaultValue::Integer(r.0 as i64)
                } else {
                    DefaultValue::Real(r)
                }
            }
            (Affinity::Real, DefaultValue::Integer(i)) => DefaultValue::Real(Real(i as f64)),
            (Affinity::Real, DefaultValue::Text(s)) => match number(s.trim(), false) {
                Some(DefaultValue::Integer(i)) => DefaultValue::Real(Real(i as f64)),
                Some(DefaultValue::Real(r)) => DefaultValue::Real(r),
                _ => DefaultValue::Text(s),
            },
            (_, other) => other,
        }
    }

    /// The DDL after `DEFAULT`.
    pub fn to_sql(&self) -> String {
        match self {
            DefaultValue::Null => "NULL".to_string(),
            DefaultValue::Integer(i) if *i < 0 => format!("({i})"),
            DefaultValue::Integer(i) => i.to_string(),
            DefaultValue::Real(r) if r.0 < 0.0 => format!("({})", real_text(r.0)),
            DefaultValue::Real(r) => real_text(r.0),
            DefaultValue::Text(s) => super::quote_literal(s),
            DefaultValue::Blob(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
                format!("X'{hex}'")
            }
            DefaultValue::CurrentTime => "CURRENT_TIME".to_string(),
            DefaultValue::CurrentDate => "CURRENT_DATE".to_string(),
            DefaultValue::CurrentTimestamp => "CURRENT_TIMESTAMP".to_string(),
            DefaultValue::Expr(e) => format!("({e})"),
        }
    }
}

/// A decimal literal as SQLite reads it: an integer when it has no `.`/exponent and fits.
fn number(text: &str, negative: bool) -> Option<DefaultValue> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return None;
    }
    let signed = if negative { format!("-{text}") } else { text.to_string() };
    if let Ok(i) = signed.parse::<i64>() {
        return Some(DefaultValue::Integer(i));
    }
    match signed.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(DefaultValue::Real(Real(f))),
        _ => None,
    }
}

fn real_text(f: f64) -> String {
    format!("{f:?}")
}

fn decode_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| h.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Affinity;

    fn dflt(sql: &str) -> DefaultValue {
        DefaultValue::from_ast(&parse_expr(sql).unwrap())
    }

    #[test]
    fn keys_ignore_quoting_case_and_spacing_but_not_literals() {
        assert_eq!(SqlExpr::parse("\"Age\" > 0").unwrap(), SqlExpr::parse("age>0").unwrap());
        assert_eq!(SqlExpr::parse("[Age] > 0").unwrap(), SqlExpr::parse("`age` > 0").unwrap());
        assert_ne!(SqlExpr::parse("a = 'X'").unwrap(), SqlExpr::parse("a = 'x'").unwrap());
        assert_ne!(SqlExpr::parse("a > 0").unwrap(), SqlExpr::parse("a >= 0").unwrap());
        assert!(SqlExpr::parse("a >").is_err());
        assert!(SqlExpr::parse("a > 0 b").unwrap_err().contains("after the expression"));
    }

    #[test]
    fn default_spellings() {
        let cases: &[(&str, Affinity, DefaultValue)] = &[
            ("1", Affinity::Integer, DefaultValue::Integer(1)),
            ("'1'", Affinity::Integer, DefaultValue::Integer(1)),
            ("'1'", Affinity::Text, DefaultValue::Text("1".into())),
            ("1", Affinity::Text, DefaultValue::Text("1".into())),
            ("'1'", Affinity::Blob, DefaultValue::Text("1".into())),
            ("1", Affinity::Blob, DefaultValue::Integer(1)),
            ("1.0", Affinity::Integer, DefaultValue::Integer(1)),
            ("1.5", Affinity::Numeric, DefaultValue::Real(Real(1.5))),
            ("'2.5'", Affinity::Real, DefaultValue::Real(Real(2.5))),
            ("2", Affinity::Real, DefaultValue::Real(Real(2.0))),
            ("-3", Affinity::Integer, DefaultValue::Integer(-3)),
            ("(-3)", Affinity::Integer, DefaultValue::Integer(-3)),
            ("TRUE", Affinity::Integer, DefaultValue::Integer(1)),
            ("false", Affinity::Integer, DefaultValue::Integer(0)),
            ("NULL", Affinity::Text, DefaultValue::Null),
            ("CURRENT_TIMESTAMP", Affinity::Text, DefaultValue::CurrentTimestamp),
            ("current_date", Affinity::Text, DefaultValue::CurrentDate),
            ("X'0aFF'", Affinity::Blob, DefaultValue::Blob(vec![0x0a, 0xff])),
            ("'abc'", Affinity::Integer, DefaultValue::Text("abc".into())),
        ];
        for (sql, aff, want) in cases {
            assert_eq!(&dflt(sql).with_affinity(*aff), want, "{sql} with {aff}");
        }
        let e = dflt("(datetime('now'))");
        assert!(matches!(&e, DefaultValue::Expr(x) if x.text() == "datetime('now')"), "{e:?}");
    }

    #[test]
    fn default_rendering_reparses_to_itself() {
        for sql in ["1", "-1", "'it''s'", "1.5", "-2.5", "NULL", "CURRENT_TIME", "X'00FF'", "(lower('A'))"] {
            let d = dflt(sql);
            assert_eq!(dflt(&d.to_sql()), d, "{sql} -> {}", d.to_sql());
        }
    }
}
