//! Schema → models TOML (what `dqmig inspect --format toml` writes). What it writes loads
//! back with [`load_toml_str`](super::load_toml_str) to an equal `Schema`. Columns get a
//! declared `type` when their SQL type has an owner (DeclaredType::from_sql_type), else a raw
//! `sql_type`; keys, uniques, foreign keys and checks are written in their table-level forms
//! (single-column primary keys on the column, where AUTOINCREMENT lives).
//!
//! The layout is the documented one: a `[tables.NAME]` section per table and one inline
//! table per line for each column, unique, foreign key, check and index. The `toml` crate's
//! document serializer would write those lists as `[[tables.NAME.columns]]` sections, so the
//! layout (section headers and list brackets) is written here, and every value in it is
//! encoded by the `toml` crate: each list entry is a serde struct serialized to an inline
//! table by [`toml::ser::ValueSerializer`], and section keys are encoded by `toml_writer`
//! (bare when they can be). Strings get the most readable encoding TOML allows (basic,
//! literal, or multi-line when the text has a line break).

use serde::Serialize;
use toml_writer::ToTomlKey;

use crate::schema::{DefaultValue, FkAction, Ident, IndexTarget, Schema, Table};
use crate::types::DeclaredType;

/// `value` as one TOML value (an inline table for a struct).
fn value<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    match value.serialize(toml::ser::ValueSerializer::new(&mut out)) {
        Ok(_) => out,
        // Not reached: the values below are strings, integers, floats, booleans, arrays and
        // structs of those, with absent fields skipped. Written as a string so that loading
        // the file fails at this place, naming the problem.
        Err(e) => {
            tracing::error!(error = %e, "a models TOML value could not be encoded");
            let mut out = String::new();
            let _ = toml::Value::String(format!("<not encodable as TOML: {e}>"))
                .serialize(toml::ser::ValueSerializer::new(&mut out));
            out
        }
    }
}

fn names(list: &[Ident]) -> Vec<&str> {
    list.iter().map(Ident::as_str).collect()
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `key = [` then one entry per line, then `]`.
fn list<T: Serialize>(out: &mut String, key: &str, entries: impl IntoIterator<Item = T>) {
    out.push_str(key);
    out.push_str(" = [\n");
    for entry in entries {
        out.push_str("  ");
        out.push_str(&value(&entry));
        out.push_str(",\n");
    }
    out.push_str("]\n");
}

fn line<T: Serialize + ?Sized>(out: &mut String, key: &str, v: &T) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(&value(v));
    out.push('\n');
}

fn header(out: &mut String, section: &str, name: &Ident) {
    out.push('[');
    out.push_str(section);
    out.push('.');
    out.push_str(&name.as_str().to_toml_key());
    out.push_str("]\n");
}

/// A `default` value: TOML integer, float or string.
#[derive(Serialize)]
#[serde(untagged)]
enum Literal<'a> {
    Integer(i64),
    Real(f64),
    Text(&'a str),
}

#[derive(Serialize)]
struct ColumnEntry<'a> {
    name: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    declared: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sql_type: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    primary_key: bool,
    #[serde(skip_serializing_if = "is_false")]
    autoincrement: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    nullable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<Literal<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_expr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    collate: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generated: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    stored: bool,
}

#[derive(Serialize)]
struct UniqueEntry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    columns: Vec<&'a str>,
}

#[derive(Serialize)]
struct ForeignKeyEntry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    columns: Vec<&'a str>,
    references: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    referenced_columns: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_delete: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_update: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    deferred: bool,
}

#[derive(Serialize)]
struct CheckEntry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    expr: &'a str,
}

/// An index part: a plain column name, or a table when it has an expression, a collation or
/// a direction.
#[derive(Serialize)]
#[serde(untagged)]
enum IndexPart<'a> {
    Column(&'a str),
    Detailed {
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expr: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        collate: Option<&'a str>,
        #[serde(skip_serializing_if = "is_false")]
        desc: bool,
    },
}

#[derive(Serialize)]
struct IndexEntry<'a> {
    name: &'a str,
    columns: Vec<IndexPart<'a>>,
    #[serde(skip_serializing_if = "is_false")]
    unique: bool,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    predicate: Option<&'a str>,
}

/// Renders the whole schema as models TOML.
pub fn to_toml(schema: &Schema) -> String {
    let mut out = String::new();
    for table in schema.tables.values() {
        write_table(&mut out, table);
    }
    for view in schema.views.values() {
        header(&mut out, "views", &view.name);
        if !view.columns.is_empty() {
            line(&mut out, "columns", &names(&view.columns));
        }
        line(&mut out, "query", view.query.text());
        out.push('\n');
    }
    for trigger in schema.triggers.values() {
        header(&mut out, "triggers", &trigger.name);
        line(&mut out, "sql", trigger.sql.text());
        out.push('\n');
    }
    out
}

fn write_table(out: &mut String, table: &Table) {
    header(out, "tables", &table.name);
    if table.strict {
        line(out, "strict", &true);
    }
    if table.without_rowid {
        line(out, "without_rowid", &true);
    }
    let pk = table.primary_key.as_ref();
    let single_pk = pk.filter(|p| p.columns.len() == 1).map(|p| &p.columns[0]);
    if let Some(p) = pk.filter(|p| p.columns.len() > 1) {
        line(out, "primary_key", &names(&p.columns));
    }
    if let Some(n) = pk.and_then(|p| p.name.as_ref()) {
        line(out, "primary_key_name", n.as_str());
    }
    list(
        out,
        "columns",
        table.columns.iter().map(|col| {
            let declared = DeclaredType::from_sql_type(&col.sql_type);
            let in_pk = pk.is_some_and(|p| p.columns.contains(&col.name));
            let is_single_pk = single_pk == Some(&col.name);
            let (default, default_expr) = match &col.default {
                Some(d) => default_fields(d),
                None => (None, None),
            };
            ColumnEntry {
                name: col.name.as_str(),
                sql_type: declared.is_none().then(|| col.sql_type.as_str()),
                declared: declared.map(|t| t.to_string()),
                primary_key: is_single_pk,
                autoincrement: is_single_pk && pk.is_some_and(|p| p.autoincrement),
                nullable: (col.nullable == in_pk).then_some(col.nullable),
                default,
                default_expr,
                collate: col.collation.as_ref().map(Ident::as_str),
                generated: col.generated.as_ref().map(|g| g.expr.text()),
                stored: col.generated.as_ref().is_some_and(|g| g.stored),
            }
        }),
    );
    if !table.uniques.is_empty() {
        list(
            out,
            "uniques",
            table.uniques.iter().map(|u| UniqueEntry {
                name: u.name.as_ref().map(Ident::as_str),
                columns: names(&u.columns),
            }),
        );
    }
    if !table.foreign_keys.is_empty() {
        let action =
            |a: FkAction| (a != FkAction::NoAction).then(|| a.as_sql().to_ascii_lowercase());
        list(
            out,
            "foreign_keys",
            table.foreign_keys.iter().map(|fk| ForeignKeyEntry {
                name: fk.name.as_ref().map(Ident::as_str),
                columns: names(&fk.columns),
                references: fk.ref_table.as_str(),
                referenced_columns: names(&fk.ref_columns),
                on_delete: action(fk.on_delete),
                on_update: action(fk.on_update),
                deferred: fk.deferred,
            }),
        );
    }
    if !table.checks.is_empty() {
        list(
            out,
            "checks",
            table.checks.iter().map(|c| CheckEntry {
                name: c.name.as_ref().map(Ident::as_str),
                expr: c.expr.text(),
            }),
        );
    }
    if !table.indexes.is_empty() {
        list(
            out,
            "indexes",
            table.indexes.values().map(|idx| IndexEntry {
                name: idx.name.as_str(),
                columns: idx
                    .parts
                    .iter()
                    .map(|p| match &p.target {
                        IndexTarget::Column(c) if p.collation.is_none() && !p.desc => {
                            IndexPart::Column(c.as_str())
                        }
                        target => IndexPart::Detailed {
                            column: match target {
                                IndexTarget::Column(c) => Some(c.as_str()),
                                IndexTarget::Expr(_) => None,
                            },
                            expr: match target {
                                IndexTarget::Expr(e) => Some(e.text()),
                                IndexTarget::Column(_) => None,
                            },
                            collate: p.collation.as_ref().map(Ident::as_str),
                            desc: p.desc,
                        },
                    })
                    .collect(),
                unique: idx.unique,
                predicate: idx.predicate.as_ref().map(|w| w.text()),
            }),
        );
    }
    out.push('\n');
}

/// The `default` or `default_expr` field of a column default.
fn default_fields(d: &DefaultValue) -> (Option<Literal<'_>>, Option<String>) {
    match d {
        DefaultValue::Integer(i) => (Some(Literal::Integer(*i)), None),
        DefaultValue::Real(r) => (Some(Literal::Real(r.0)), None),
        DefaultValue::Text(t) => {
            let keyword = matches!(
                t.to_ascii_uppercase().as_str(),
                "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME" | "NULL"
            );
            if keyword {
                (None, Some(crate::schema::quote_literal(t)))
            } else {
                (Some(Literal::Text(t)), None)
            }
        }
        DefaultValue::Null => (Some(Literal::Text("NULL")), None),
        DefaultValue::CurrentTimestamp => (Some(Literal::Text("CURRENT_TIMESTAMP")), None),
        DefaultValue::CurrentDate => (Some(Literal::Text("CURRENT_DATE")), None),
        DefaultValue::CurrentTime => (Some(Literal::Text("CURRENT_TIME")), None),
        DefaultValue::Blob(_) => (None, Some(d.to_sql())),
        DefaultValue::Expr(e) => (None, Some(e.text().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{load_sql_str, load_toml_str};

    #[test]
    fn layout_is_one_section_per_table_and_one_line_per_entry() {
        let sql = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, \
                   note TEXT DEFAULT 'it''s \"quoted\"', score REAL DEFAULT 1.5, \
                   UNIQUE (name));\n\
                   CREATE TABLE \"odd name\" (id INTEGER PRIMARY KEY, \
                   user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, \
                   CHECK (user_id > 0));\n\
                   CREATE INDEX idx_users_name ON users (name DESC, lower(note));";
        let schema = load_sql_str("s.sql", sql).unwrap();
        let toml = to_toml(&schema);
        let expected = r##"[tables."odd name"]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "user_id", type = "integer" },
]
foreign_keys = [
  { columns = ["user_id"], references = "users", referenced_columns = ["id"], on_delete = "cascade" },
]
checks = [
  { expr = "user_id > 0" },
]

[tables.users]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "string(100)", nullable = false },
  { name = "note", type = "text", default = """it's "quoted"""" },
  { name = "score", type = "float", default = 1.5 },
]
uniques = [
  { columns = ["name"] },
]
indexes = [
  { name = "idx_users_name", columns = [{ column = "name", desc = true }, { expr = "lower(note)" }] },
]

"##;
        assert_eq!(toml, expected);
        assert_eq!(load_toml_str("w.toml", &toml).unwrap(), schema);
    }

    #[test]
    fn awkward_names_and_texts_load_back() {
        let sql = "CREATE TABLE \"a\nb\" (\"x'\ty\" TEXT DEFAULT 'line\nbreak', \"\\\" TEXT, \
                   \"é\" TEXT DEFAULT 'NULL');\n\
                   CREATE VIEW \"v.1\" AS SELECT 1 AS one,\n  2 AS two;";
        let schema = load_sql_str("s.sql", sql).unwrap();
        let toml = to_toml(&schema);
        assert_eq!(load_toml_str("w.toml", &toml).unwrap(), schema, "{toml}");
    }
}
