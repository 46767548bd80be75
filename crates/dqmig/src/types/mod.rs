//! The type mapper: declared model types (`integer`, `string(100)`,
//! `enum(a,b)`, ...) to the SQL type dqmig renders, the SQLite affinity values are stored
//! with, the dqlite wire type they travel as, and the Rust type they round-trip through.
//!
//! Canonical renderings (the table is [`DeclaredType::sql_type`]):
//!
//! | declared            | SQL type       | affinity | wire    | Rust                |
//! |---------------------|----------------|----------|---------|---------------------|
//! | integer             | INTEGER        | INTEGER  | INTEGER | i64                 |
//! | biginteger          | BIGINT         | INTEGER  | INTEGER | i64                 |
//! | smallinteger        | SMALLINT       | INTEGER  | INTEGER | i16                 |
//! | boolean             | INTEGER        | INTEGER  | INTEGER | bool (0/1)          |
//! | string / string(n)  | VARCHAR, VARCHAR(n) | TEXT     | TEXT    | String              |
//! | text                | TEXT           | TEXT     | TEXT    | String              |
//! | float               | REAL           | REAL     | FLOAT   | f64                 |
//! | numeric, numeric(p), numeric(p,s) | NUMERIC, NUMERIC(p), NUMERIC(p,s) | NUMERIC  | FLOAT   | f64                 |
//! | date                | TEXT           | TEXT     | TEXT    | chrono::NaiveDate   |
//! | datetime            | TEXT           | TEXT     | TEXT    | chrono::NaiveDateTime (ISO 8601) |
//! | time                | TEXT           | TEXT     | TEXT    | chrono::NaiveTime   |
//! | blob / largebinary  | BLOB           | BLOB     | BLOB    | `Vec<u8>`           |
//! | json                | TEXT           | TEXT     | TEXT    | serde_json::Value   |
//! | uuid                | TEXT           | TEXT     | TEXT    | String (hyphenated) |
//! | enum(a,b,...)       | TEXT + CHECK ("col" IN ('a','b',...)) | TEXT | TEXT | String |
//!
//! dqmig never renders DATETIME, DATE, TIMESTAMP or BOOLEAN: dqlite 1.11 rewrites values of
//! columns declared exactly so and aborts the node on some storage classes
//! (DATETIME, DATE, TIMESTAMP, BOOLEAN). Several declared types therefore share one SQL type, and a
//! live database only remembers the SQL type: schemas are compared by the rendered SQL type
//! (and so by its affinity), never by the declared name. [`DeclaredType::from_sql_type`]
//! maps a rendered type back to the one declared type that owns it (INTEGER → integer,
//! TEXT → text, ...), so boolean reads back as integer and datetime as text.

pub(crate) mod sql_type;

pub use sql_type::{Affinity, SqlType, REMAPPED_BY_DQLITE};

use crate::client::proto::ValueType;
use std::fmt;

/// Errors of the type mapper: a declared type name it does not know or cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    #[error("unknown type `{name}`; expected one of {}", EXPECTED)]
    Unknown { name: String },
    #[error("bad type `{name}`: {problem}")]
    BadArguments { name: String, problem: String },
}

const EXPECTED: &str = "integer, biginteger, smallinteger, boolean, string, string(n), text, \
float, numeric, numeric(p), numeric(p,s), date, datetime, time, blob, largebinary, json, uuid, \
enum(a,b,...)";

/// A declared model type (the seed's SQLAlchemy set).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclaredType {
    Integer,
    BigInteger,
    SmallInteger,
    Boolean,
    String(Option<u32>),
    Text,
    Float,
    Numeric(Option<(u32, Option<u32>)>),
    Date,
    DateTime,
    Time,
    Blob,
    Json,
    Uuid,
    Enum(Vec<String>),
}

/// The Rust type a column's values round-trip through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RustType {
    I64,
    I16,
    Bool,
    String,
    F64,
    NaiveDate,
    NaiveDateTime,
    NaiveTime,
    Bytes,
    Json,
}

impl RustType {
    /// The Rust spelling, for generated code and messages.
    pub fn name(self) -> &'static str {
        match self {
            RustType::I64 => "i64",
            RustType::I16 => "i16",
            RustType::Bool => "bool",
            RustType::String => "String",
            RustType::F64 => "f64",
            RustType::NaiveDate => "chrono::NaiveDate",
            RustType::NaiveDateTime => "chrono::NaiveDateTime",
            RustType::NaiveTime => "chrono::NaiveTime",
            RustType::Bytes => "Vec<u8>",
            RustType::Json => "serde_json::Value",
        }
    }
}

impl DeclaredType {
    /// Parses a models.toml type name such as `string(100)`, `numeric(10,2)` or
    /// `enum(draft, 'in review')` (names are case-insensitive).
    pub fn parse(text: &str) -> Result<DeclaredType, TypeError> {
        let trimmed = text.trim();
        let (head, args) = match trimmed.find('(') {
            Some(open) => {
                let Some(inner) = trimmed[open + 1..].strip_suffix(')') else {
                    return Err(bad(text, "missing the closing `)`"));
                };
                (trimmed[..open].trim(), Some(inner))
            }
            None => (trimmed, None),
        };
        let head = head.to_ascii_lowercase();
        let no_args = |t: DeclaredType| match args {
            None => Ok(t),
            Some(_) => Err(bad(text, "takes no arguments")),
        };
        match head.as_str() {
            "integer" => no_args(DeclaredType::Integer),
            "biginteger" => no_args(DeclaredType::BigInteger),
            "smallinteger" => no_args(DeclaredType::SmallInteger),
            "boolean" => no_args(DeclaredType::Boolean),
            "text" => no_args(DeclaredType::Text),
            "float" => no_args(DeclaredType::Float),
            "date" => no_args(DeclaredType::Date),
            "datetime" => no_args(DeclaredType::DateTime),
            "time" => no_args(DeclaredType::Time),
            "blob" | "largebinary" => no_args(DeclaredType::Blob),
            "json" => no_args(DeclaredType::Json),
            "uuid" => no_args(DeclaredType::Uuid),
            "string" => match args {
                None => Ok(DeclaredType::String(None)),
                Some(a) => Ok(DeclaredType::String(Some(number(text, a)?))),
            },
            "numeric" => match args {
                None => Ok(DeclaredType::Numeric(None)),
                Some(a) => {
                    let parts: Vec<&str> = a.split(',').collect();
                    match parts.as_slice() {
                        [p] => Ok(DeclaredType::Numeric(Some((number(text, p)?, None)))),
                        [p, s] => Ok(DeclaredType::Numeric(Some((
                            number(text, p)?,
                            Some(number(text, s)?),
                        )))),
                        _ => Err(bad(
                            text,
                            "expected numeric(precision) or numeric(precision, scale)",
                        )),
                    }
                }
            },
            "enum" => match args {
                None => Err(bad(
                    text,
                    "expected the allowed values, e.g. enum(draft, published)",
                )),
                Some(a) => Ok(DeclaredType::Enum(enum_values(text, a)?)),
            },
            _ => Err(TypeError::Unknown {
                name: text.to_string(),
            }),
        }
    }

    /// The SQL type rendered in DDL (see the table in the module docs).
    pub fn sql_type(&self) -> SqlType {
        SqlType::new(&match self {
            DeclaredType::Integer | DeclaredType::Boolean => "INTEGER".to_string(),
            DeclaredType::BigInteger => "BIGINT".to_string(),
            DeclaredType::SmallInteger => "SMALLINT".to_string(),
            DeclaredType::String(None) => "VARCHAR".to_string(),
            DeclaredType::String(Some(n)) => format!("VARCHAR({n})"),
            DeclaredType::Float => "REAL".to_string(),
            DeclaredType::Numeric(None) => "NUMERIC".to_string(),
            DeclaredType::Numeric(Some((p, None))) => format!("NUMERIC({p})"),
            DeclaredType::Numeric(Some((p, Some(s)))) => format!("NUMERIC({p},{s})"),
            DeclaredType::Blob => "BLOB".to_string(),
            DeclaredType::Text
            | DeclaredType::Date
            | DeclaredType::DateTime
            | DeclaredType::Time
            | DeclaredType::Json
            | DeclaredType::Uuid
            | DeclaredType::Enum(_) => "TEXT".to_string(),
        })
    }

    pub fn affinity(&self) -> Affinity {
        self.sql_type().affinity()
    }

    /// The dqlite wire type values are bound and read as. Never UNIXTIME, ISO8601 or
    /// BOOLEAN: no rendered type is one dqlite remaps.
    pub fn wire_type(&self) -> ValueType {
        match self.affinity() {
            Affinity::Integer => ValueType::Integer,
            Affinity::Text => ValueType::Text,
            Affinity::Blob => ValueType::Blob,
            Affinity::Real | Affinity::Numeric => ValueType::Float,
        }
    }

    pub fn rust_type(&self) -> RustType {
        match self {
            DeclaredType::Integer | DeclaredType::BigInteger => RustType::I64,
            DeclaredType::SmallInteger => RustType::I16,
            DeclaredType::Boolean => RustType::Bool,
            DeclaredType::String(_)
            | DeclaredType::Text
            | DeclaredType::Uuid
            | DeclaredType::Enum(_) => RustType::String,
            DeclaredType::Float | DeclaredType::Numeric(_) => RustType::F64,
            DeclaredType::Date => RustType::NaiveDate,
            DeclaredType::DateTime => RustType::NaiveDateTime,
            DeclaredType::Time => RustType::NaiveTime,
            DeclaredType::Blob => RustType::Bytes,
            DeclaredType::Json => RustType::Json,
        }
    }

    /// The CHECK expression a column of this type carries (enum only), with the column
    /// name quoted by the one identifier helper.
    pub fn check_sql(&self, column: &str) -> Option<String> {
        match self {
            DeclaredType::Enum(values) => {
                let list: Vec<String> = values
                    .iter()
                    .map(|v| crate::schema::quote_literal(v))
                    .collect();
                Some(format!(
                    "{} IN ({})",
                    crate::schema::quote_ident(column),
                    list.join(", ")
                ))
            }
            _ => None,
        }
    }

    /// The declared type that owns a rendered SQL type, if any (module docs): only one
    /// whose own SQL type is exactly `t` (`VARCHAR(05)` has none: `string(5)` would render
    /// `VARCHAR(5)`, another type to the differ).
    pub fn from_sql_type(t: &SqlType) -> Option<DeclaredType> {
        Self::owner(t).filter(|d| d.sql_type() == *t)
    }

    fn owner(t: &SqlType) -> Option<DeclaredType> {
        let s = t.as_str();
        let (head, args) = match s.find('(') {
            Some(open) => (&s[..open], s[open + 1..].strip_suffix(')')),
            None => (s, None),
        };
        let num = |a: &str| a.parse::<u32>().ok();
        Some(match (head, args) {
            ("INTEGER", None) => DeclaredType::Integer,
            ("BIGINT", None) => DeclaredType::BigInteger,
            ("SMALLINT", None) => DeclaredType::SmallInteger,
            ("VARCHAR", None) => DeclaredType::String(None),
            ("VARCHAR", Some(a)) => DeclaredType::String(Some(num(a)?)),
            ("TEXT", None) => DeclaredType::Text,
            ("REAL", None) => DeclaredType::Float,
            ("NUMERIC", None) => DeclaredType::Numeric(None),
            ("NUMERIC", Some(a)) => match a.split_once(',') {
                None => DeclaredType::Numeric(Some((num(a)?, None))),
                Some((p, sc)) => DeclaredType::Numeric(Some((num(p)?, Some(num(sc)?)))),
            },
            ("BLOB", None) => DeclaredType::Blob,
            _ => return None,
        })
    }
}

impl fmt::Display for DeclaredType {
    /// The models.toml spelling, which [`DeclaredType::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclaredType::Integer => f.write_str("integer"),
            DeclaredType::BigInteger => f.write_str("biginteger"),
            DeclaredType::SmallInteger => f.write_str("smallinteger"),
            DeclaredType::Boolean => f.write_str("boolean"),
            DeclaredType::String(None) => f.write_str("string"),
            DeclaredType::String(Some(n)) => write!(f, "string({n})"),
            DeclaredType::Text => f.write_str("text"),
            DeclaredType::Float => f.write_str("float"),
            DeclaredType::Numeric(None) => f.write_str("numeric"),
            DeclaredType::Numeric(Some((p, None))) => write!(f, "numeric({p})"),
            DeclaredType::Numeric(Some((p, Some(s)))) => write!(f, "numeric({p},{s})"),
            DeclaredType::Date => f.write_str("date"),
            DeclaredType::DateTime => f.write_str("datetime"),
            DeclaredType::Time => f.write_str("time"),
            DeclaredType::Blob => f.write_str("blob"),
            DeclaredType::Json => f.write_str("json"),
            DeclaredType::Uuid => f.write_str("uuid"),
            DeclaredType::Enum(values) => {
                let list: Vec<String> = values
                    .iter()
                    .map(|v| crate::schema::quote_literal(v))
                    .collect();
                write!(f, "enum({})", list.join(","))
            }
        }
    }
}

fn bad(name: &str, problem: &str) -> TypeError {
    TypeError::BadArguments {
        name: name.to_string(),
        problem: problem.to_string(),
    }
}

fn number(name: &str, text: &str) -> Result<u32, TypeError> {
    text.trim().parse::<u32>().map_err(|_| {
        bad(
            name,
            &format!(
                "`{}` is not a whole number; give a length such as string(100)",
                text.trim()
            ),
        )
    })
}

/// Splits `a, 'b c', 'it''s'` into values; quotes are optional for plain words.
fn enum_values(name: &str, args: &str) -> Result<Vec<String>, TypeError> {
    let mut values = Vec::new();
    let mut chars = args.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        value.push('\'');
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(bad(name, "unterminated quoted enum value")),
                }
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
            if value.is_empty() {
                return Err(bad(name, "empty enum value; quote it as '' if it is meant"));
            }
        }
        if values.contains(&value) {
            return Err(bad(name, &format!("enum value `{value}` is listed twice")));
        }
        values.push(value);
        match chars.next() {
            None => return Ok(values),
            Some(',') => {}
            Some(c) => {
                return Err(bad(
                    name,
                    &format!("unexpected `{c}` after an enum value; expected `,` or `)`"),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
