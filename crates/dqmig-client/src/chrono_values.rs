//! `ToValue`/`FromValue` for chrono's date and time types (feature `chrono`): written as
//! SQLite's own date-time text, read from the texts and Unix times SQLite and common
//! writers produce.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::value::mismatch;
use crate::{FromValue, ToValue, Value, ValueError};

/// `YYYY-MM-DD HH:MM:SS[.fraction]` — SQLite's own date-time text form (what
/// `CURRENT_TIMESTAMP` writes), so stored values sort and compare with it.
impl ToValue for NaiveDateTime {
    fn to_value(&self) -> Value {
        Value::Text(self.format("%Y-%m-%d %H:%M:%S%.f").to_string())
    }
}

/// Written in UTC as `YYYY-MM-DD HH:MM:SS[.fraction]+00:00`.
impl ToValue for DateTime<Utc> {
    fn to_value(&self) -> Value {
        Value::Text(self.format("%Y-%m-%d %H:%M:%S%.f+00:00").to_string())
    }
}

/// `YYYY-MM-DD`.
impl ToValue for NaiveDate {
    fn to_value(&self) -> Value {
        Value::Text(self.format("%Y-%m-%d").to_string())
    }
}

/// Parses the date-time texts SQLite and common writers produce: `T` or space separator,
/// optional fraction, optional `Z`/`±HH:MM` offset (converted to UTC).
fn parse_datetime_text(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(Utc.from_utc_datetime(&dt));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    }
    None
}

impl FromValue for DateTime<Utc> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::UnixTime(t) | Value::Integer(t) => match DateTime::from_timestamp(*t, 0) {
                Some(dt) => Ok(dt),
                None => mismatch("a date-time (seconds since the epoch in range)", value),
            },
            Value::Text(s) | Value::Iso8601(s) => match parse_datetime_text(s) {
                Some(dt) => Ok(dt),
                None => mismatch("an ISO 8601 date-time", value),
            },
            other => mismatch("a date-time", other),
        }
    }
}

impl FromValue for NaiveDateTime {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        DateTime::<Utc>::from_value(value).map(|dt| dt.naive_utc())
    }
}

impl FromValue for NaiveDate {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        DateTime::<Utc>::from_value(value)
            .map(|dt| dt.date_naive())
            .map_err(|e| ValueError {
                expected: "a date",
                ..e
            })
    }
}
