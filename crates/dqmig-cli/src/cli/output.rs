//! How `dqmig` prints query results: a table with named columns for people, or JSON for
//! programs. Blobs are printed as hexadecimal: `x'0102ff'` (an SQL literal) in tables and
//! a plain lower-case hex string (`"0102ff"`) in JSON. NULL is `NULL` in tables and `null`
//! in JSON; dqlite's boolean values are `true`/`false` in both.

use std::io::{self, Write};

use comfy_table::{presets, Table};
use serde_json::{Map, Number, Value as Json};

use dqmig::client::proto::Value;

/// A value as a table cell.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Integer(i) | Value::UnixTime(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Text(s) | Value::Iso8601(s) => s.clone(),
        Value::Blob(b) => format!("x'{}'", hex::encode(b)),
        Value::Boolean(b) => b.to_string(),
    }
}

/// A value as JSON. Non-finite floats (which JSON cannot hold) become the strings
/// `"NaN"`, `"inf"`, `"-inf"`.
pub fn json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(i) | Value::UnixTime(i) => Json::from(*i),
        Value::Float(f) => {
            Number::from_f64(*f).map_or_else(|| Json::String(f.to_string()), Json::Number)
        }
        Value::Text(s) | Value::Iso8601(s) => Json::String(s.clone()),
        Value::Blob(b) => Json::String(hex::encode(b)),
        Value::Boolean(b) => Json::Bool(*b),
    }
}

/// JSON object keys for `columns`: a name that repeats (`SELECT 1 AS a, 2 AS a`) gets the
/// suffix `:2`, `:3`, ... so no value is lost.
pub fn json_keys(columns: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(columns.len());
    for name in columns {
        let mut key = name.clone();
        let mut n = 1;
        while keys.contains(&key) {
            n += 1;
            key = format!("{name}:{n}");
        }
        keys.push(key);
    }
    keys
}

/// The most characters a table cell shows; `--json` prints whole values.
pub const MAX_CELL_CHARS: usize = 1000;

/// `text` cut to [`MAX_CELL_CHARS`] characters, saying how many were left out: the table
/// layout costs time quadratic in a cell's length (a 96 KB revision message took 40 s to
/// print), and no terminal shows such a cell usefully.
fn fit(text: String) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        None => text,
        Some((at, _)) => {
            let left_out = text[at..].chars().count();
            format!(
                "{}... ({left_out} more characters; --json prints the whole value)",
                &text[..at]
            )
        }
    }
}

/// Print rows as a table with the column names as header.
pub fn write_table<'r>(
    out: &mut dyn Write,
    columns: &[String],
    rows: impl IntoIterator<Item = &'r [Value]>,
) -> io::Result<()> {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_FULL_CONDENSED);
    table.set_header(columns.iter().map(String::as_str));
    for row in rows {
        table.add_row(row.iter().map(|v| fit(cell(v))));
    }
    writeln!(out, "{table}")
}

/// Print rows as a JSON array of objects keyed by column name, one line.
pub fn write_json_rows<'r>(
    out: &mut dyn Write,
    columns: &[String],
    rows: impl IntoIterator<Item = &'r [Value]>,
) -> io::Result<()> {
    let keys = json_keys(columns);
    let array: Vec<Json> = rows
        .into_iter()
        .map(|row| {
            let object: Map<String, Json> =
                keys.iter().cloned().zip(row.iter().map(json)).collect();
            Json::Object(object)
        })
        .collect();
    serde_json::to_writer(&mut *out, &Json::Array(array))?;
    writeln!(out)
}

/// Print the outcome of a statement without rows.
pub fn write_exec(
    out: &mut dyn Write,
    rows_affected: u64,
    last_insert_id: i64,
    as_json: bool,
) -> io::Result<()> {
    if as_json {
        let object =
            serde_json::json!({ "rows_affected": rows_affected, "last_insert_id": last_insert_id });
        serde_json::to_writer(&mut *out, &object)?;
        writeln!(out)
    } else {
        writeln!(out, "{rows_affected} rows affected")
    }
}

/// Print text rows as a table with `headers` (the format of every listing command).
pub fn write_text_table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> io::Result<()> {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_FULL_CONDENSED);
    table.set_header(headers.iter().copied());
    for row in rows {
        table.add_row(row.into_iter().map(fit));
    }
    writeln!(out, "{table}")
}

/// Print any serializable value as one line of JSON.
pub fn write_json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<String>, Vec<Vec<Value>>) {
        let columns = vec![
            "id".to_owned(),
            "name".to_owned(),
            "data".to_owned(),
            "id".to_owned(),
        ];
        let rows = vec![
            vec![
                Value::Integer(1),
                Value::Text("alice".into()),
                Value::Blob(vec![1, 2, 0xff]),
                Value::Float(1.5),
            ],
            vec![
                Value::Integer(2),
                Value::Null,
                Value::Boolean(true),
                Value::Float(f64::INFINITY),
            ],
        ];
        (columns, rows)
    }

    #[test]
    fn cells() {
        assert_eq!(cell(&Value::Null), "NULL");
        assert_eq!(cell(&Value::Float(1.0)), "1.0");
        assert_eq!(cell(&Value::Blob(vec![0, 0xab])), "x'00ab'");
        assert_eq!(cell(&Value::Iso8601("2026-01-01".into())), "2026-01-01");
        assert_eq!(cell(&Value::UnixTime(7)), "7");
    }

    #[test]
    fn json_rows_keep_column_order_and_duplicates() {
        let (columns, rows) = sample();
        let mut out = Vec::new();
        write_json_rows(&mut out, &columns, rows.iter().map(Vec::as_slice)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "[{\"id\":1,\"name\":\"alice\",\"data\":\"0102ff\",\"id:2\":1.5},\
             {\"id\":2,\"name\":null,\"data\":true,\"id:2\":\"inf\"}]\n"
        );
    }

    #[test]
    fn json_empty_result_is_empty_array() {
        let mut out = Vec::new();
        write_json_rows(&mut out, &["a".to_owned()], std::iter::empty()).unwrap();
        assert_eq!(out, b"[]\n");
    }

    #[test]
    fn table_has_header_and_cells() {
        let (columns, rows) = sample();
        let mut out = Vec::new();
        write_table(&mut out, &columns, rows.iter().map(Vec::as_slice)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let header = text.lines().nth(1).unwrap();
        assert!(
            header.contains("id") && header.contains("name") && header.contains("data"),
            "{text}"
        );
        assert!(
            text.contains("alice") && text.contains("x'0102ff'") && text.contains("NULL"),
            "{text}"
        );
    }

    /// A long cell (a 96 KB revision message, a big text value) is cut, in both table
    /// writers, and says how much is left out; short cells are whole.
    #[test]
    fn long_cells_are_cut_and_say_so() {
        let long = "wörd ".repeat(20_000);
        let mut out = Vec::new();
        write_text_table(
            &mut out,
            &["message"],
            vec![vec![long.clone()], vec!["short".into()]],
        )
        .unwrap();
        write_table(
            &mut out,
            &["v".to_owned()],
            [[Value::Text(long)].as_slice()],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.len() < 20 * MAX_CELL_CHARS, "{} bytes", text.len());
        assert_eq!(
            text.matches("99000 more characters; --json prints the whole value")
                .count(),
            2,
            "{text}"
        );
        assert!(text.contains("| short"), "{text}");
    }

    #[test]
    fn exec_outcome() {
        let mut out = Vec::new();
        write_exec(&mut out, 1, 5, false).unwrap();
        write_exec(&mut out, 3, 9, false).unwrap();
        write_exec(&mut out, 2, 7, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1 rows affected\n3 rows affected\n{\"rows_affected\":2,\"last_insert_id\":7}\n"
        );
    }
}
