//! Values and their type codes; parameter tuples (schema 0) and row values.
//! Everything is padded to whole 8-byte words: a tuple starts with its values' type codes
//! (a byte each in parameters, after a count; four bits each in rows), then the values.
//!
//! Values are encoded straight into the output buffer and decoded straight from the body;
//! only Text/Iso8601/Blob contents allocate.

use super::wire::{check_text, put_blob, put_pad, put_text_unchecked, put_u64, round8, Reader};
use super::{ProtoError, MAX_PARAMS};

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

impl ValueType {
    /// The type for a wire code, `None` for codes 1.11.1 does not define.
    pub fn from_code(code: u8) -> Option<ValueType> {
        Some(match code {
            1 => ValueType::Integer,
            2 => ValueType::Float,
            3 => ValueType::Text,
            4 => ValueType::Blob,
            5 => ValueType::Null,
            9 => ValueType::UnixTime,
            10 => ValueType::Iso8601,
            11 => ValueType::Boolean,
            _ => return None,
        })
    }

    /// The wire code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl Value {
    /// The wire type this value is sent as.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Null => ValueType::Null,
            Value::Integer(_) => ValueType::Integer,
            Value::Float(_) => ValueType::Float,
            Value::Text(_) => ValueType::Text,
            Value::Blob(_) => ValueType::Blob,
            Value::UnixTime(_) => ValueType::UnixTime,
            Value::Iso8601(_) => ValueType::Iso8601,
            Value::Boolean(_) => ValueType::Boolean,
        }
    }
}

/// Fails with `NulInText` if a text value contains a NUL.
#[inline]
pub(crate) fn check_value(v: &Value, what: &'static str) -> Result<(), ProtoError> {
    match v {
        Value::Text(s) | Value::Iso8601(s) => check_text(s, what),
        _ => Ok(()),
    }
}

/// Appends one value body (no type code). Text must have been checked with [`check_value`].
#[inline]
pub(crate) fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => put_u64(out, 0),
        Value::Integer(i) | Value::UnixTime(i) => put_u64(out, *i as u64),
        Value::Float(f) => put_u64(out, f.to_bits()),
        Value::Text(s) | Value::Iso8601(s) => put_text_unchecked(out, s),
        Value::Blob(b) => put_blob(out, b),
        Value::Boolean(b) => put_u64(out, u64::from(*b)),
    }
}

/// Reads one value body of type `t`.
#[inline]
pub(crate) fn read_value(r: &mut Reader<'_>, t: ValueType) -> Result<Value, ProtoError> {
    Ok(match t {
        ValueType::Integer => Value::Integer(r.i64("integer value")?),
        ValueType::Float => Value::Float(f64::from_bits(r.u64("float value")?)),
        ValueType::Text => Value::Text(r.string("text value")?),
        ValueType::Blob => Value::Blob(r.blob("blob value")?.to_vec()),
        ValueType::Null => {
            r.u64("null value")?;
            Value::Null
        }
        ValueType::UnixTime => Value::UnixTime(r.i64("unixtime value")?),
        ValueType::Iso8601 => Value::Iso8601(r.string("iso8601 value")?),
        ValueType::Boolean => Value::Boolean(r.u64("boolean value")? != 0),
    })
}

/// Checks the parameter count and every text parameter before anything is written.
#[inline]
pub(crate) fn check_params(params: &[Value]) -> Result<(), ProtoError> {
    if params.len() > MAX_PARAMS {
        return Err(ProtoError::TooManyParams {
            count: params.len(),
        });
    }
    for (i, p) in params.iter().enumerate() {
        if matches!(p, Value::Float(f) if f.is_nan()) {
            return Err(ProtoError::NanParameter { index: i + 1 });
        }
        check_value(p, "text parameter")?;
    }
    Ok(())
}

/// Appends a schema-0 parameter tuple; nothing at all for no parameters (go-dqlite style).
/// The caller must have run [`check_params`].
#[inline]
pub(crate) fn put_params_unchecked(out: &mut Vec<u8>, params: &[Value]) {
    if params.is_empty() {
        return;
    }
    out.push(params.len() as u8);
    out.extend(params.iter().map(|p| p.value_type().code()));
    put_pad(out, 1 + params.len());
    for p in params {
        put_value(out, p);
    }
}

/// Reads a schema-0 parameter tuple up to the end of the body; an exhausted body means no
/// parameters.
pub(crate) fn read_params(r: &mut Reader<'_>) -> Result<Vec<Value>, ProtoError> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let n = r.bytes(1, "parameter count")?[0] as usize;
    let codes = r.bytes(n, "parameter types")?;
    r.skip_pad(1 + n, "parameter header padding")?;
    let mut params = Vec::with_capacity(n);
    for &code in codes {
        let t = ValueType::from_code(code).ok_or(ProtoError::UnknownValueType {
            code,
            what: "parameter tuple",
        })?;
        params.push(read_value(r, t)?);
    }
    Ok(params)
}

/// Appends a row: the 4-bit type header (first column in the low nibble, padded to a word),
/// then the values. Text must have been checked.
pub(crate) fn put_row_unchecked(out: &mut Vec<u8>, row: &[Value]) {
    let hdr_len = row.len().div_ceil(2);
    let start = out.len();
    out.resize(start + round8(hdr_len), 0);
    for (i, v) in row.iter().enumerate() {
        out[start + i / 2] |= v.value_type().code() << ((i % 2) * 4);
    }
    for v in row {
        put_value(out, v);
    }
}

/// Reads one row of `columns` values, appending them to `values`.
#[inline]
pub(crate) fn read_row(
    r: &mut Reader<'_>,
    columns: usize,
    values: &mut Vec<Value>,
) -> Result<(), ProtoError> {
    let hdr_len = columns.div_ceil(2);
    let hdr = r.bytes(round8(hdr_len), "row header")?;
    for i in 0..columns {
        let code = (hdr[i / 2] >> ((i % 2) * 4)) & 0x0f;
        let t = ValueType::from_code(code).ok_or(ProtoError::UnknownValueType {
            code,
            what: "row header",
        })?;
        values.push(read_value(r, t)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::hex;
    use super::*;

    #[test]
    fn type_codes_round_trip() {
        for code in 0..=255u8 {
            if let Some(t) = ValueType::from_code(code) {
                assert_eq!(t.code(), code);
            }
        }
        let known: Vec<u8> = (0..=255u8)
            .filter(|c| ValueType::from_code(*c).is_some())
            .collect();
        assert_eq!(known, [1, 2, 3, 4, 5, 9, 10, 11]);
        assert_eq!(Value::Boolean(true).value_type(), ValueType::Boolean);
        assert_eq!(Value::UnixTime(0).value_type(), ValueType::UnixTime);
        assert_eq!(
            Value::Iso8601(String::new()).value_type(),
            ValueType::Iso8601
        );
    }

    /// A parameter tuple, byte for byte as libdqlite 1.11.1 reads it: `[7, "hi", NULL, true, 0.5]`.
    #[test]
    fn parameter_tuple_example_bytes() {
        let params = vec![
            Value::Integer(7),
            Value::Text("hi".into()),
            Value::Null,
            Value::Boolean(true),
            Value::Float(0.5),
        ];
        let expected = hex(
            "05 01 03 05 0b 02 00 00 | 0700000000000000 | 6869000000000000 | 0000000000000000 \
             | 0100000000000000 | 000000000000e03f",
        );
        check_params(&params).unwrap();
        let mut out = Vec::new();
        put_params_unchecked(&mut out, &params);
        assert_eq!(out, expected);
        let mut r = Reader::new(&expected);
        assert_eq!(read_params(&mut r).unwrap(), params);
        assert!(r.is_empty());
    }

    #[test]
    fn empty_params_write_nothing_and_c_style_header_reads_as_none() {
        let mut out = Vec::new();
        put_params_unchecked(&mut out, &[]);
        assert!(out.is_empty());
        let zero = [0u8; 8];
        let mut r = Reader::new(&zero);
        assert_eq!(read_params(&mut r).unwrap(), vec![]);
        assert!(r.is_empty());
    }

    /// §4.3: BOOLEAN + UNIXTIME columns give the row header byte 0x9b.
    #[test]
    fn boolean_unixtime_row_header_byte() {
        let mut out = Vec::new();
        put_row_unchecked(
            &mut out,
            &[Value::Boolean(true), Value::UnixTime(1_700_000_000)],
        );
        assert_eq!(out[..8], hex("9b00000000000000")[..]);
        assert_eq!(out[8..16], 1u64.to_le_bytes());
        assert_eq!(out[16..24], 1_700_000_000i64.to_le_bytes());
        let mut vals = Vec::new();
        read_row(&mut Reader::new(&out), 2, &mut vals).unwrap();
        assert_eq!(vals, [Value::Boolean(true), Value::UnixTime(1_700_000_000)]);
    }

    #[test]
    fn boolean_decodes_any_nonzero_as_true() {
        let body = hex("0b00000000000000 0700000000000000");
        let mut vals = Vec::new();
        read_row(&mut Reader::new(&body), 1, &mut vals).unwrap();
        assert_eq!(vals, [Value::Boolean(true)]);
    }

    #[test]
    fn nan_parameters_refused() {
        assert_eq!(
            check_params(&[Value::Integer(1), Value::Float(f64::NAN)]),
            Err(ProtoError::NanParameter { index: 2 })
        );
        assert!(check_params(&[Value::Float(f64::INFINITY), Value::Float(-0.0)]).is_ok());
    }

    #[test]
    fn too_many_params_and_nul_refused() {
        let many = vec![Value::Null; 256];
        assert_eq!(
            check_params(&many),
            Err(ProtoError::TooManyParams { count: 256 })
        );
        assert!(check_params(&vec![Value::Null; 255]).is_ok());
        assert_eq!(
            check_params(&[Value::Iso8601("x\0".into())]),
            Err(ProtoError::NulInText {
                what: "text parameter",
                position: 1
            })
        );
    }

    #[test]
    fn unknown_type_code_in_row_is_an_error() {
        let body = hex("0600000000000000 0000000000000000");
        let mut vals = Vec::new();
        assert_eq!(
            read_row(&mut Reader::new(&body), 1, &mut vals),
            Err(ProtoError::UnknownValueType {
                code: 6,
                what: "row header"
            })
        );
    }
}
