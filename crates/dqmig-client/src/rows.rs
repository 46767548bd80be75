//! Query results: buffered [`Rows`] and one [`Row`] with typed access by index or column
//! name. The streaming iterator over Rows messages lives in `conn` next to the connection it
//! borrows (`RowIter`).

use std::sync::Arc;

use super::error::{Error, Result};
use super::value::{FromValue, Value};

/// A whole buffered result.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub columns: Arc<[String]>,
    pub rows: Vec<Row>,
}

/// One result row; shares the column names with its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Row> {
        self.rows.iter()
    }

    /// Index of the first column called `name` (exact match, then ASCII case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        column_index(&self.columns, name)
    }
}

impl IntoIterator for Rows {
    type Item = Row;
    type IntoIter = std::vec::IntoIter<Row>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = &'a Row;
    type IntoIter = std::slice::Iter<'a, Row>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

fn column_index(columns: &[String], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    /// The value of column `idx` converted to `T`.
    pub fn get<T: FromValue>(&self, idx: usize) -> Result<T> {
        let value = self.value(idx)?;
        T::from_value(value).map_err(|e| Error::Conversion {
            column: self.column_label(idx),
            expected: e.expected,
            found: e.found,
        })
    }

    /// The value of the first column called `name` converted to `T`.
    pub fn get_by_name<T: FromValue>(&self, name: &str) -> Result<T> {
        match column_index(&self.columns, name) {
            Some(idx) => self.get(idx),
            None => Err(Error::NoSuchColumn {
                column: format!("{name:?}"),
                available: self.columns.join(", "),
            }),
        }
    }

    /// The raw value of column `idx`.
    pub fn value(&self, idx: usize) -> Result<&Value> {
        self.values.get(idx).ok_or_else(|| Error::NoSuchColumn {
            column: format!("#{idx}"),
            available: self.columns.join(", "),
        })
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn column_label(&self, idx: usize) -> String {
        match self.columns.get(idx) {
            Some(name) => format!("{idx} ({name:?})"),
            None => format!("{idx}"),
        }
    }
}

/// Splits a row-major batch into rows.
pub(crate) fn push_rows(columns: &Arc<[String]>, values: Vec<Value>, out: &mut Vec<Row>) {
    let width = columns.len();
    if width == 0 {
        return;
    }
    out.reserve(values.len() / width);
    let mut it = values.into_iter();
    loop {
        let row: Vec<Value> = it.by_ref().take(width).collect();
        if row.len() < width {
            break;
        }
        out.push(Row::new(columns.clone(), row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Rows {
        let columns: Arc<[String]> = vec!["id".to_string(), "Name".to_string()].into();
        let mut rows = Vec::new();
        push_rows(
            &columns,
            vec![
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Integer(2),
                Value::Null,
            ],
            &mut rows,
        );
        Rows { columns, rows }
    }

    #[test]
    fn typed_access() {
        let rows = sample();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows.rows[0].get::<i64>(0).unwrap(), 1);
        assert_eq!(rows.rows[0].get_by_name::<String>("name").unwrap(), "a");
        assert_eq!(
            rows.rows[1].get_by_name::<Option<String>>("Name").unwrap(),
            None
        );
        let err = rows.rows[1].get::<String>(1).unwrap_err();
        assert!(matches!(err, Error::Conversion { .. }));
        assert!(err.to_string().contains("\"Name\""), "{err}");
        assert!(matches!(
            rows.rows[0].get::<i64>(5),
            Err(Error::NoSuchColumn { .. })
        ));
        assert!(matches!(
            rows.rows[0].get_by_name::<i64>("nope"),
            Err(Error::NoSuchColumn { .. })
        ));
    }
}
