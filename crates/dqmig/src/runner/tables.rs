//! dqmig's own tables: the version table (one row per head) and the
//! append-only history table. Owns their DDL, the statements that read and change them, and
//! the compare-and-swap writes a step makes on the version table. Each statement is built
//! once as [`Sql`] parts, so the online runner binds the values and the offline `--sql`
//! renderer prints the very same statement with literals.

use std::collections::BTreeSet;

use crate::client::Value;
use crate::config::{history_table_for, DEFAULT_VERSION_TABLE};
use crate::schema::{quote_ident, quote_literal};
use crate::script::{Direction, RevId};

/// The names of the version and history tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub version: String,
    pub history: String,
}

impl Default for TableNames {
    fn default() -> Self {
        TableNames::for_version(DEFAULT_VERSION_TABLE)
    }
}

impl TableNames {
    /// The version table `version` and its history table (see [`history_table_for`]).
    pub fn for_version(version: &str) -> TableNames {
        TableNames {
            version: version.to_string(),
            history: history_table_for(version),
        }
    }
}

/// One piece of a statement: SQL text, or a value (bound online, a literal offline).
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Value(Value),
}

/// A statement built from parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub parts: Vec<Part>,
    /// Rows the statement must change (`None`: not checked).
    pub expect_rows: Option<u64>,
}

impl Sql {
    fn new() -> Sql {
        Sql {
            parts: Vec::new(),
            expect_rows: None,
        }
    }
    fn text(mut self, s: &str) -> Sql {
        self.parts.push(Part::Text(s.to_string()));
        self
    }
    fn value(mut self, v: Value) -> Sql {
        self.parts.push(Part::Value(v));
        self
    }
    fn expect_rows(mut self, n: u64) -> Sql {
        self.expect_rows = Some(n);
        self
    }

    /// The statement with `?` placeholders, and the values to bind.
    pub fn bound(&self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => sql.push_str(t),
                Part::Value(v) => {
                    sql.push('?');
                    values.push(v.clone());
                }
            }
        }
        (sql, values)
    }

    /// The statement with every value written as an SQL literal (offline scripts).
    pub fn literal(&self) -> String {
        let mut sql = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => sql.push_str(t),
                Part::Value(Value::Integer(i)) => sql.push_str(&i.to_string()),
                Part::Value(Value::Text(s)) => sql.push_str(&quote_literal(s)),
                Part::Value(_) => sql.push_str("NULL"),
            }
        }
        sql
    }
}

/// `CREATE TABLE IF NOT EXISTS` for both tables. Declared types are TEXT and INTEGER only
/// (never DATETIME, whose values dqlite 1.11 rewrites on output).
pub fn create_tables(t: &TableNames) -> Vec<String> {
    vec![
        format!("CREATE TABLE IF NOT EXISTS {} (\"version_num\" TEXT NOT NULL PRIMARY KEY)", quote_ident(&t.version)),
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\"id\" INTEGER PRIMARY KEY, \"revision\" TEXT NOT NULL, \"direction\" TEXT NOT NULL, \
             \"checksum\" TEXT NOT NULL, \"file\" TEXT NOT NULL, \"heads_before\" TEXT NOT NULL, \"heads_after\" TEXT NOT NULL, \
             \"applied_at\" TEXT NOT NULL, \"duration_ms\" INTEGER)",
            quote_ident(&t.history)
        ),
    ]
}

/// Whether the version table exists (one query; `?1` is the table name).
pub fn version_table_exists_sql() -> &'static str {
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
}

/// Reads the version table's rows, sorted.
pub fn select_heads(t: &TableNames) -> String {
    format!(
        "SELECT \"version_num\" FROM {} ORDER BY \"version_num\"",
        quote_ident(&t.version)
    )
}

/// The compare-and-swap writes that move the version table from `before` to `after`, each
/// changing exactly one row: an UPDATE for each head replaced by another, a DELETE for each
/// head that goes, an INSERT for each head that comes (the PRIMARY KEY refuses a duplicate).
pub fn version_writes(t: &TableNames, before: &[RevId], after: &[RevId]) -> Vec<Sql> {
    let before: BTreeSet<&RevId> = before.iter().collect();
    let after: BTreeSet<&RevId> = after.iter().collect();
    let mut gone: Vec<&RevId> = before.difference(&after).copied().collect();
    let mut come: Vec<&RevId> = after.difference(&before).copied().collect();
    let table = quote_ident(&t.version);
    let mut out = Vec::new();
    while let (Some(old), Some(new)) = (gone.first().copied(), come.first().copied()) {
        gone.remove(0);
        come.remove(0);
        out.push(
            Sql::new()
                .text(&format!("UPDATE {table} SET \"version_num\" = "))
                .value(Value::Text(new.to_string()))
                .text(" WHERE \"version_num\" = ")
                .value(Value::Text(old.to_string()))
                .expect_rows(1),
        );
    }
    for old in gone {
        out.push(
            Sql::new()
                .text(&format!("DELETE FROM {table} WHERE \"version_num\" = "))
                .value(Value::Text(old.to_string()))
                .expect_rows(1),
        );
    }
    for new in come {
        out.push(
            Sql::new()
                .text(&format!("INSERT INTO {table} (\"version_num\") VALUES ("))
                .value(Value::Text(new.to_string()))
                .text(")")
                .expect_rows(1),
        );
    }
    out
}

/// [`version_writes`] with the first write also checking, in the same statement, that the
/// table holds exactly `before` (so it changes no row otherwise). Run first in a step's
/// transaction, it is the compare-and-swap and the check of where the database is in one
/// request; a write that changes no row means "look at the table" (already applied, or
/// moved by another migrator). Empty when nothing changes.
pub fn guarded_version_writes(t: &TableNames, before: &[RevId], after: &[RevId]) -> Vec<Sql> {
    let mut writes = version_writes(t, before, after);
    let Some(first) = writes.first_mut() else {
        return writes;
    };
    let table = quote_ident(&t.version);
    let k = before.len() as i64;
    let mut guard = Sql::new()
        .text(&format!("(SELECT count(*) FROM {table}) = "))
        .value(Value::Integer(k));
    if k > 0 {
        guard = guard.text(&format!(
            " AND (SELECT count(*) FROM {table} WHERE \"version_num\" IN ("
        ));
        for (i, b) in before.iter().enumerate() {
            if i > 0 {
                guard = guard.text(", ");
            }
            guard = guard.value(Value::Text(b.to_string()));
        }
        guard = guard.text(")) = ").value(Value::Integer(k));
    }
    let is_insert = matches!(first.parts.first(), Some(Part::Text(s)) if s.starts_with("INSERT"));
    let guarded = if is_insert {
        // INSERT INTO v ("version_num") VALUES (?)  ->  INSERT INTO v ("version_num") SELECT ? WHERE guard
        let new = first
            .parts
            .iter()
            .find_map(|p| match p {
                Part::Value(v) => Some(v.clone()),
                Part::Text(_) => None,
            })
            .unwrap_or(Value::Null);
        Sql::new()
            .text(&format!("INSERT INTO {table} (\"version_num\") SELECT "))
            .value(new)
            .text(" WHERE ")
    } else {
        let mut s = Sql::new();
        s.parts = first.parts.clone();
        s.text(" AND ")
    };
    let mut guarded = guarded.expect_rows(1);
    guarded.parts.extend(guard.parts);
    *first = guarded;
    writes
}

/// `DELETE FROM` the version table (stamp --purge).
pub fn purge_versions(t: &TableNames) -> Sql {
    Sql::new().text(&format!("DELETE FROM {}", quote_ident(&t.version)))
}

/// How a history row names its direction.
pub fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// Comma-separated heads ("" for none).
pub fn join_heads(heads: &[RevId]) -> String {
    heads
        .iter()
        .map(|h| h.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// What one history row records.
pub struct HistoryRow<'a> {
    pub revision: &'a str,
    /// `up`, `down` or `stamp`.
    pub direction: &'a str,
    pub checksum: &'a str,
    pub file: &'a str,
    pub heads_before: &'a [RevId],
    pub heads_after: &'a [RevId],
    /// `None` offline.
    pub duration_ms: Option<i64>,
}

/// The INSERT of one history row; `applied_at` is the database's clock at that moment
/// (UTC, ISO 8601 with milliseconds).
pub fn insert_history(t: &TableNames, row: &HistoryRow<'_>) -> Sql {
    Sql::new()
        .text(&format!(
            "INSERT INTO {} (\"revision\", \"direction\", \"checksum\", \"file\", \"heads_before\", \"heads_after\", \"applied_at\", \"duration_ms\") VALUES (",
            quote_ident(&t.history)
        ))
        .value(Value::Text(row.revision.to_string()))
        .text(", ")
        .value(Value::Text(row.direction.to_string()))
        .text(", ")
        .value(Value::Text(row.checksum.to_string()))
        .text(", ")
        .value(Value::Text(row.file.to_string()))
        .text(", ")
        .value(Value::Text(join_heads(row.heads_before)))
        .text(", ")
        .value(Value::Text(join_heads(row.heads_after)))
        .text(", strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ")
        .value(row.duration_ms.map(Value::Integer).unwrap_or(Value::Null))
        .text(")")
        .expect_rows(1)
}

/// Every history row, oldest first.
pub fn select_history(t: &TableNames) -> String {
    format!(
        "SELECT \"id\", \"revision\", \"direction\", \"checksum\", \"file\", \"heads_before\", \"heads_after\", \"applied_at\", \"duration_ms\" FROM {} ORDER BY \"id\"",
        quote_ident(&t.history)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<RevId> {
        v.iter().map(|s| RevId::parse(s).unwrap()).collect()
    }

    #[test]
    fn cas_writes_change_one_row_each() {
        let t = TableNames::default();
        let lits = |b: &[&str], a: &[&str]| {
            version_writes(&t, &ids(b), &ids(a))
                .iter()
                .map(|s| s.literal())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lits(&[], &["a1"]),
            vec!["INSERT INTO \"dqmig_version\" (\"version_num\") VALUES ('a1')"]
        );
        assert_eq!(
            lits(&["a1"], &["b2"]),
            vec![
                "UPDATE \"dqmig_version\" SET \"version_num\" = 'b2' WHERE \"version_num\" = 'a1'"
            ]
        );
        assert_eq!(
            lits(&["a1", "b2"], &["m3"]),
            vec![
                "UPDATE \"dqmig_version\" SET \"version_num\" = 'm3' WHERE \"version_num\" = 'a1'",
                "DELETE FROM \"dqmig_version\" WHERE \"version_num\" = 'b2'"
            ]
        );
        assert_eq!(
            lits(&["a1"], &[]),
            vec!["DELETE FROM \"dqmig_version\" WHERE \"version_num\" = 'a1'"]
        );
        assert!(version_writes(&t, &ids(&["a1"]), &ids(&["a1"])).is_empty());
        let (sql, values) = version_writes(&t, &ids(&["a1"]), &ids(&["b2"]))[0].bound();
        assert_eq!(
            sql,
            "UPDATE \"dqmig_version\" SET \"version_num\" = ? WHERE \"version_num\" = ?"
        );
        assert_eq!(
            values,
            vec![Value::Text("b2".into()), Value::Text("a1".into())]
        );
    }

    #[test]
    fn guarded_first_write_checks_the_whole_table() {
        let t = TableNames::default();
        let lits = |b: &[&str], a: &[&str]| {
            guarded_version_writes(&t, &ids(b), &ids(a))
                .iter()
                .map(|s| s.literal())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lits(&[], &["a1"]),
            vec!["INSERT INTO \"dqmig_version\" (\"version_num\") SELECT 'a1' WHERE (SELECT count(*) FROM \"dqmig_version\") = 0"]
        );
        assert_eq!(
            lits(&["a1", "b2"], &["m3"]),
            vec![
                "UPDATE \"dqmig_version\" SET \"version_num\" = 'm3' WHERE \"version_num\" = 'a1' AND (SELECT count(*) FROM \"dqmig_version\") = 2 AND (SELECT count(*) FROM \"dqmig_version\" WHERE \"version_num\" IN ('a1', 'b2')) = 2",
                "DELETE FROM \"dqmig_version\" WHERE \"version_num\" = 'b2'"
            ]
        );
        let all = guarded_version_writes(&t, &ids(&["a1"]), &ids(&["b2"]));
        assert!(all.iter().all(|w| w.expect_rows == Some(1)));
        let (sql, values) = all[0].bound();
        assert_eq!(sql.matches('?').count(), values.len());
    }

    #[test]
    fn names_are_quoted_and_literals_escaped() {
        let t = TableNames::for_version("my\"v_version");
        assert_eq!(t.history, "my\"v_history");
        assert!(create_tables(&t)[0].contains("\"my\"\"v_version\""));
        let row = HistoryRow {
            revision: "a",
            direction: "up",
            checksum: "c",
            file: "it's.sql",
            heads_before: &[],
            heads_after: &[],
            duration_ms: None,
        };
        let lit = insert_history(&t, &row).literal();
        assert!(
            lit.contains("'it''s.sql'") && lit.ends_with(", NULL)"),
            "{lit}"
        );
    }
}
