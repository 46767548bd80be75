//! Test-only helpers shared by the codec's unit tests: hex literals (whitespace and `|`
//! between fields, as wire dumps are usually written), padded text, and proptest strategies for values.

use proptest::prelude::*;

use super::{Role, Value};

/// Bytes from a hex literal; whitespace and `|` separators are ignored.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '|')
        .collect();
    hex::decode(s).expect("a well-formed hex literal")
}

/// A text field as the document writes it (`"abc\0"` plus padding).
pub(crate) fn txt(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
    v
}

/// Text without NUL (what the codec accepts).
pub(crate) fn text() -> impl Strategy<Value = String> {
    "[^\\x00]{0,20}"
}

/// Any finite-or-infinite non-NaN float (NaN breaks `PartialEq`).
pub(crate) fn float() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("NaN", |f| !f.is_nan())
}

pub(crate) fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        float().prop_map(Value::Float),
        text().prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Blob),
        any::<i64>().prop_map(Value::UnixTime),
        text().prop_map(Value::Iso8601),
        any::<bool>().prop_map(Value::Boolean),
    ]
}

pub(crate) fn params() -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec(value(), 0..12)
}

pub(crate) fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Voter), Just(Role::Standby), Just(Role::Spare)]
}
