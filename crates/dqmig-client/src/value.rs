//! Conversions between Rust values and wire [`Value`]s: `ToValue` for parameters,
//! `FromValue` for columns, and the `params!` macro. Date-times travel as ISO 8601 TEXT
//! (1.11.1 rejects UNIXTIME parameters) and are read back from whatever the server sends for
//! DATETIME-declared columns (UNIXTIME, ISO8601 — empty ISO8601 is NULL; dqlite
//! rewrites the values of columns declared DATETIME, DATE or TIMESTAMP on output).

pub use crate::proto::Value;

/// A Rust value that can be bound as a statement parameter.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

/// Why a wire value could not become the requested Rust type (the row adds the column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {found} as {expected}")]
pub struct ValueError {
    pub expected: &'static str,
    pub found: String,
}

/// A Rust type that can be read from a column value.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

/// Short description of a value for error messages (type and a bounded preview).
pub fn describe(value: &Value) -> String {
    fn clip(s: &str) -> String {
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s.to_string()
        }
    }
    match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(i) => format!("INTEGER {i}"),
        Value::Float(f) => format!("REAL {f}"),
        Value::Text(s) => format!("TEXT {:?}", clip(s)),
        Value::Blob(b) => format!("BLOB of {} bytes", b.len()),
        Value::UnixTime(t) => format!("UNIXTIME {t}"),
        Value::Iso8601(s) if s.is_empty() => "NULL (empty ISO8601)".to_string(),
        Value::Iso8601(s) => format!("ISO8601 {:?}", clip(s)),
        Value::Boolean(b) => format!("BOOLEAN {b}"),
    }
}

pub(crate) fn mismatch<T>(expected: &'static str, value: &Value) -> Result<T, ValueError> {
    Err(ValueError {
        expected,
        found: describe(value),
    })
}

// ---------------------------------------------------------------- ToValue

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
        }
    )*};
}
int_to_value!(i64, i32, i16, i8, u32, u16, u8);

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        Value::Float(f64::from(*self))
    }
}

/// Booleans are stored as INTEGER 0/1, as the seed's boolean type renders.
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

// ---------------------------------------------------------------- FromValue

impl FromValue for Value {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        Ok(value.clone())
    }
}

/// NULL, and the empty ISO8601 string the server sends for NULL in DATETIME columns, read
/// as `None`.
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            Value::Iso8601(s) if s.is_empty() => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Integer(i) | Value::UnixTime(i) => Ok(*i),
            Value::Boolean(b) => Ok(i64::from(*b)),
            other => mismatch("an integer", other),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty => $name:literal),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                let i = i64::from_value(value).map_err(|e| ValueError { expected: $name, ..e })?;
                <$t>::try_from(i).map_err(|_| ValueError {
                    expected: $name,
                    found: format!("INTEGER {i} (out of range)"),
                })
            }
        }
    )*};
}
int_from_value!(i32 => "an i32", i16 => "an i16", i8 => "an i8", u64 => "a u64",
    u32 => "a u32", u16 => "a u16", u8 => "a u8", usize => "a usize");

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Float(f) => Ok(*f),
            // i64 → f64 may round above 2^53, as in SQLite's own REAL conversion.
            Value::Integer(i) => Ok(*i as f64),
            other => mismatch("a float", other),
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        f64::from_value(value)
            .map(|f| f as f32)
            .map_err(|e| ValueError {
                expected: "an f32",
                ..e
            })
    }
}

/// BOOLEAN values, and integers (0 = false, anything else = true).
impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Boolean(b) => Ok(*b),
            Value::Integer(i) => Ok(*i != 0),
            other => mismatch("a boolean", other),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Text(s) | Value::Iso8601(s) => Ok(s.clone()),
            other => mismatch("text", other),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            other => mismatch("a blob", other),
        }
    }
}

/// Builds a `&[&dyn ToValue]` parameter list: `conn.execute(sql, params![1, "x", None::<i64>])`.
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::ToValue]
    };
    ($($v:expr),+ $(,)?) => {
        &[$(&$v as &dyn $crate::ToValue),+] as &[&dyn $crate::ToValue]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(u8::from_value(&Value::Integer(255)), Ok(255));
        assert!(u8::from_value(&Value::Integer(256)).is_err());
        assert!(u64::from_value(&Value::Integer(-1))
            .unwrap_err()
            .found
            .contains("out of range"));
        assert_eq!(i32::from_value(&Value::Boolean(true)), Ok(1));
        assert!(i64::from_value(&Value::Float(1.5)).is_err());
        assert!(
            i64::from_value(&Value::Text("1".into()))
                .unwrap_err()
                .expected
                == "an integer"
        );
    }

    #[test]
    fn options_and_iso_null() {
        assert_eq!(
            Option::<String>::from_value(&Value::Iso8601(String::new())),
            Ok(None)
        );
        assert_eq!(Option::<i64>::from_value(&Value::Null), Ok(None));
        assert_eq!(Option::<i64>::from_value(&Value::Integer(3)), Ok(Some(3)));
        assert!(String::from_value(&Value::Null).is_err());
        assert_eq!(None::<i64>.to_value(), Value::Null);
        assert_eq!(Some("x").to_value(), Value::Text("x".into()));
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn datetimes_round_trip_through_text() {
        use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
        let dt = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        let v = dt.to_value();
        assert_eq!(v, Value::Text("2023-11-14 22:13:20.123456+00:00".into()));
        assert_eq!(DateTime::<Utc>::from_value(&v), Ok(dt));
        let whole = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            whole.to_value(),
            Value::Text("2023-11-14 22:13:20+00:00".into())
        );
        assert_eq!(
            DateTime::<Utc>::from_value(&Value::UnixTime(1_700_000_000)),
            Ok(whole)
        );
        assert_eq!(
            DateTime::<Utc>::from_value(&Value::Iso8601("2023-11-14T22:13:20Z".into())),
            Ok(whole)
        );
        assert_eq!(
            DateTime::<Utc>::from_value(&Value::Text("2023-11-15 00:13:20+02:00".into())),
            Ok(whole)
        );
        let naive = whole.naive_utc();
        assert_eq!(naive.to_value(), Value::Text("2023-11-14 22:13:20".into()));
        assert_eq!(NaiveDateTime::from_value(&naive.to_value()), Ok(naive));
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(d.to_value(), Value::Text("2024-02-29".into()));
        assert_eq!(NaiveDate::from_value(&d.to_value()), Ok(d));
        assert!(NaiveDate::from_value(&Value::Text("yesterday".into())).is_err());
        assert!(DateTime::<Utc>::from_value(&Value::Float(1.0)).is_err());
    }

    #[test]
    fn params_macro_builds_values() {
        let p = crate::params![1, "a", None::<i64>, 2.5, true, vec![1u8, 2]];
        let vals: Vec<Value> = p.iter().map(|v| v.to_value()).collect();
        assert_eq!(
            vals,
            vec![
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Null,
                Value::Float(2.5),
                Value::Integer(1),
                Value::Blob(vec![1, 2])
            ]
        );
        assert!(crate::params![].is_empty());
    }
}
