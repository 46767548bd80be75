//! Values and their type codes; parameter tuples (schema 0) and row headers.
//! (dqlite-facts.md §4.1–§4.3.)

/// A value as it travels on the wire. `UnixTime`, `Iso8601` and `Boolean` are what the
/// server sends for columns declared DATETIME/DATE/TIMESTAMP/BOOLEAN (§4.6).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Float(f64),
    Text(String),
    Blob(Vec<u8>),
    /// Seconds since the epoch. Not accepted as a parameter by 1.11.1 (Failure 1005).
    UnixTime(i64),
    Iso8601(String),
    Boolean(bool),
}

/// Wire type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ValueType {
    Integer = 1,
    Float = 2,
    Text = 3,
    Blob = 4,
    Null = 5,
    UnixTime = 9,
    Iso8601 = 10,
    Boolean = 11,
}
