//! `FieldType`: the Rust types a model field may have, each with the declared type
//! (the type mapper) its column gets and its conversion to and from wire values.
//! The conversions are the client's `ToValue`/`FromValue` where it has them; `NaiveTime`,
//! `serde_json::Value` (stored as JSON text), `uuid::Uuid` (feature `uuid`) and
//! `rust_decimal::Decimal` (feature `decimal`) are converted here. Fieldless Rust enums get
//! their implementation from `#[derive(DbEnum)]`.

use crate::client::{FromValue, ToValue, Value, ValueError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// A Rust type a `#[derive(Model)]` field can have. Implemented for `i64`, `i32`, `i16`,
/// `bool`, `f64`, `String`, `Vec<u8>`, chrono's `NaiveDate`, `NaiveTime`, `NaiveDateTime`
/// and `DateTime<Utc>`, `serde_json::Value`, `uuid::Uuid` (feature `uuid`),
/// `rust_decimal::Decimal` (feature `decimal`), fieldless enums with
/// `#[derive(DbEnum)]`, and `Option<T>` of each (a nullable column).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column type a dqmig model supports",
    label = "unsupported model field type",
    note = "supported field types: i64, i32, i16, bool, f64, String, Vec<u8>, chrono::NaiveDate, chrono::NaiveTime, chrono::NaiveDateTime, chrono::DateTime<Utc>, serde_json::Value, uuid::Uuid (feature `uuid`), rust_decimal::Decimal (feature `decimal`), a fieldless enum with #[derive(dqmig::orm::DbEnum)], and Option<T> of these (nullable); `sql_type = \"...\"` only changes the declared type"
)]
pub trait FieldType: Sized {
    /// The declared type (models.toml spelling) of a column of this type.
    const DECLARED: &'static str;
    /// Whether the column is nullable (`Option<T>`).
    const NULLABLE: bool = false;
    /// The value bound for this field.
    fn to_value(&self) -> Value;
    /// Reads the field from a column value.
    ///
    /// # Errors
    /// The value has a storage class or text this type cannot read.
    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

macro_rules! via_client {
    ($($t:ty => $declared:literal),* $(,)?) => {$(
        impl FieldType for $t {
            const DECLARED: &'static str = $declared;
            fn to_value(&self) -> Value {
                ToValue::to_value(self)
            }
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                <$t as FromValue>::from_value(value)
            }
        }
    )*};
}

via_client!(
    i64 => "integer",
    i32 => "integer",
    i16 => "smallinteger",
    bool => "boolean",
    f64 => "float",
    String => "text",
    Vec<u8> => "blob",
    NaiveDate => "date",
);

/// Written as the client writes it (`YYYY-MM-DD HH:MM:SS[.fraction]`); read by a fast path
/// for that form and by the client's parser for every other form it accepts. The fast paths
/// matter to the ORM's point reads: chrono's format strings are parsed on every call.
impl FieldType for NaiveDateTime {
    const DECLARED: &'static str = "datetime";
    fn to_value(&self) -> Value {
        fast_format(self, "").map_or_else(|| ToValue::to_value(self), Value::Text)
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        if let Value::Text(s) = value {
            if let Some((dt, "")) = fast_datetime(s) {
                return Ok(dt);
            }
        }
        <NaiveDateTime as FromValue>::from_value(value)
    }
}

/// Written as the client writes it (`YYYY-MM-DD HH:MM:SS[.fraction]+00:00`); read as for
/// `NaiveDateTime` (a text without offset is UTC, as the client reads it).
impl FieldType for DateTime<Utc> {
    const DECLARED: &'static str = "datetime";
    fn to_value(&self) -> Value {
        fast_format(&self.naive_utc(), "+00:00")
            .map_or_else(|| ToValue::to_value(self), Value::Text)
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        if let Value::Text(s) = value {
            if let Some((dt, "" | "+00:00" | "Z")) = fast_datetime(s) {
                return Ok(dt.and_utc());
            }
        }
        <DateTime<Utc> as FromValue>::from_value(value)
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]+suffix` as chrono's `%Y-%m-%d %H:%M:%S%.f` writes it
/// (no fraction, or 3, 6 or 9 digits); `None` (use chrono) outside years 0..=9999 and for
/// leap seconds.
fn fast_format(dt: &NaiveDateTime, suffix: &str) -> Option<String> {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let (year, nanos) = (dt.year(), dt.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut s = String::with_capacity(26 + suffix.len());
    let (mo, d, h, mi, sec) = (dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second());
    write!(s, "{year:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02}").ok()?;
    if nanos == 0 {
    } else if nanos % 1_000_000 == 0 {
        write!(s, ".{:03}", nanos / 1_000_000).ok()?;
    } else if nanos % 1_000 == 0 {
        write!(s, ".{:06}", nanos / 1_000).ok()?;
    } else {
        write!(s, ".{nanos:09}").ok()?;
    }
    s.push_str(suffix);
    Some(s)
}

/// Reads `YYYY-MM-DD HH:MM:SS[.1-9 digits]` (space or `T` between), returning the rest of
/// the text; `None` for any other shape or an invalid date or time.
fn fast_datetime(s: &str) -> Option<(NaiveDateTime, &str)> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut rest = &s[19..];
    let mut nanos = 0;
    if rest.starts_with('.') {
        let digits = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(20, 20 + digits)? * 10u32.pow(9 - digits as u32);
        rest = &s[20 + digits..];
    }
    Some((date.and_hms_nano_opt(h, mi, sec, nanos)?, rest))
}

/// `HH:MM:SS[.fraction]`, SQLite's own time text.
impl FieldType for NaiveTime {
    const DECLARED: &'static str = "time";
    fn to_value(&self) -> Value {
        Value::Text(self.format("%H:%M:%S%.f").to_string())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        let text = match value {
            Value::Text(s) | Value::Iso8601(s) => s.trim(),
            other => return mismatch("a time", other),
        };
        ["%H:%M:%S%.f", "%H:%M"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(text, f).ok())
            .map_or_else(|| mismatch("a time (HH:MM:SS)", value), Ok)
    }
}

/// Stored as JSON text (`json` declared type); a JSON `null` is the text `null`, not SQL NULL
/// (use `Option<serde_json::Value>` for a nullable column).
impl FieldType for serde_json::Value {
    const DECLARED: &'static str = "json";
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Text(s) => serde_json::from_str(s).or_else(|_| mismatch("JSON text", value)),
            other => mismatch("JSON text", other),
        }
    }
}

/// Stored as hyphenated lowercase text (`uuid` declared type, a TEXT column, as the type
/// mapper stores uuids); reads the hyphenated, simple, braced and URN forms.
#[cfg(feature = "uuid")]
impl FieldType for uuid::Uuid {
    const DECLARED: &'static str = "uuid";
    fn to_value(&self) -> Value {
        Value::Text(self.hyphenated().to_string())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Text(s) => {
                uuid::Uuid::parse_str(s.trim()).or_else(|_| mismatch("a UUID", value))
            }
            other => mismatch("a UUID", other),
        }
    }
}

/// Stored as its decimal text (`text` declared type, a TEXT column), digits and scale exactly
/// as given (`1.10` stays `1.10`). Not `numeric`: a NUMERIC column converts every
/// number-looking text to REAL (keeping 15 significant digits) or INTEGER, so a decimal
/// would go through `f64` there. A TEXT column sorts and compares by text, not by value:
/// `ORDER BY` such a column needs `CAST(col AS REAL)` (approximate) or fixed-width values.
#[cfg(feature = "decimal")]
impl FieldType for rust_decimal::Decimal {
    const DECLARED: &'static str = "text";
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        const EXPECTED: &str = "a decimal (text)";
        match value {
            Value::Text(s) => s
                .trim()
                .parse::<rust_decimal::Decimal>()
                .or_else(|_| mismatch(EXPECTED, value)),
            // Written by something else than the ORM: exact for integers.
            Value::Integer(i) => Ok(rust_decimal::Decimal::from(*i)),
            other => mismatch(EXPECTED, other),
        }
    }
}

/// A nullable column: `None` is NULL.
impl<T: FieldType> FieldType for Option<T> {
    const DECLARED: &'static str = T::DECLARED;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            Value::Iso8601(s) if s.is_empty() => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// The error of a value a field type cannot read (used by `#[derive(DbEnum)]`).
#[doc(hidden)]
pub fn mismatch<T>(expected: &'static str, value: &Value) -> Result<T, ValueError> {
    Err(ValueError {
        expected,
        found: crate::client::describe_value(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast paths write what the client writes and read what they write.
    #[test]
    fn fast_datetime_paths_agree_with_the_client() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for dt in [
            date(1, 1, 1).and_hms_opt(0, 0, 0).unwrap(),
            date(1899, 12, 31)
                .and_hms_micro_opt(23, 59, 59, 999_999)
                .unwrap(),
            date(2026, 11, 30).and_hms_milli_opt(9, 5, 7, 120).unwrap(),
            date(2262, 4, 11)
                .and_hms_nano_opt(23, 47, 16, 854_775_807)
                .unwrap(),
            date(9999, 12, 31).and_hms_nano_opt(23, 59, 59, 1).unwrap(),
        ] {
            assert_eq!(FieldType::to_value(&dt), ToValue::to_value(&dt));
            assert_eq!(
                <NaiveDateTime as FieldType>::from_value(&FieldType::to_value(&dt)),
                Ok(dt)
            );
            let utc = dt.and_utc();
            assert_eq!(FieldType::to_value(&utc), ToValue::to_value(&utc));
            assert_eq!(
                <DateTime<Utc> as FieldType>::from_value(&FieldType::to_value(&utc)),
                Ok(utc)
            );
        }
        // Other forms go to the client's parser; bad dates fail.
        let t = |s: &str| <NaiveDateTime as FieldType>::from_value(&Value::Text(s.into()));
        assert_eq!(t("2026-01-02T03:04:05"), t("2026-01-02 03:04:05"));
        assert_eq!(t("2026-01-02 03:04"), t("2026-01-02 03:04:00"));
        assert!(t("2026-02-30 00:00:00").is_err());
        assert!(t("2026-01-02 03:04:05.").is_err());
        let u = |s: &str| <DateTime<Utc> as FieldType>::from_value(&Value::Text(s.into()));
        assert_eq!(u("2026-01-02 05:04:05+02:00"), u("2026-01-02 03:04:05Z"));
        assert_eq!(u("2026-01-02 03:04:05"), u("2026-01-02T03:04:05+00:00"));
    }

    #[test]
    fn time_and_json_round_trip() {
        let t = NaiveTime::from_hms_micro_opt(23, 59, 58, 250_000).unwrap();
        assert_eq!(FieldType::to_value(&t), Value::Text("23:59:58.250".into()));
        assert_eq!(
            <NaiveTime as FieldType>::from_value(&FieldType::to_value(&t)),
            Ok(t)
        );
        assert!(<NaiveTime as FieldType>::from_value(&Value::Integer(3)).is_err());
        let j = serde_json::json!({"a": [1, "é", null]});
        assert_eq!(serde_json::Value::from_value(&j.to_value()), Ok(j));
        assert!(serde_json::Value::from_value(&Value::Text("{".into())).is_err());
        assert_eq!(
            <Option<i64> as FieldType>::from_value(&Value::Null),
            Ok(None)
        );
        assert_eq!(<Option<i16> as FieldType>::DECLARED, "smallinteger");
        const { assert!(<Option<bool> as FieldType>::NULLABLE) };
    }
}
