//! The `models.toml` loader (format: docs/models.md). serde with `toml::Spanned` keeps the
//! byte span of every value, so each problem is reported at its line and column; unknown
//! keys are rejected by `deny_unknown_fields` with the list of expected keys.

use super::builder::{Builder, TablePos};
use super::{LoadError, Pos, RenamedFrom};
use crate::schema::{
    Check, Column, DefaultValue, FkAction, ForeignKey, Generated, Ident, Index, IndexPart,
    IndexTarget, PrimaryKey, SqlExpr, Table, Trigger, Unique, View,
};
use crate::types::{DeclaredType, SqlType};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    tables: BTreeMap<S<String>, S<TableDef>>,
    #[serde(default)]
    views: BTreeMap<S<String>, S<ViewDef>>,
    #[serde(default)]
    triggers: BTreeMap<S<String>, S<TriggerDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDef {
    #[serde(default)]
    columns: Vec<S<ColumnDef>>,
    primary_key: Option<S<Vec<S<String>>>>,
    primary_key_name: Option<S<String>>,
    #[serde(default)]
    uniques: Vec<S<UniqueDef>>,
    #[serde(default)]
    foreign_keys: Vec<S<ForeignKeyDef>>,
    #[serde(default)]
    checks: Vec<S<CheckDef>>,
    #[serde(default)]
    indexes: Vec<S<IndexDef>>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    without_rowid: bool,
    renamed_from: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnDef {
    name: S<String>,
    #[serde(rename = "type")]
    ty: Option<S<String>>,
    sql_type: Option<S<String>>,
    nullable: Option<bool>,
    #[serde(default)]
    primary_key: bool,
    #[serde(default)]
    autoincrement: bool,
    #[serde(default)]
    unique: bool,
    default: Option<S<toml::Value>>,
    default_expr: Option<S<String>>,
    collate: Option<S<String>>,
    check: Option<S<String>>,
    references: Option<S<String>>,
    on_delete: Option<S<String>>,
    on_update: Option<S<String>>,
    #[serde(default)]
    deferred: bool,
    generated: Option<S<String>>,
    #[serde(default)]
    stored: bool,
    renamed_from: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UniqueDef {
    name: Option<S<String>>,
    columns: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForeignKeyDef {
    name: Option<S<String>>,
    columns: Vec<S<String>>,
    references: S<String>,
    #[serde(default)]
    referenced_columns: Vec<S<String>>,
    on_delete: Option<S<String>>,
    on_update: Option<S<String>>,
    #[serde(default)]
    deferred: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDef {
    name: Option<S<String>>,
    expr: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexDef {
    name: S<String>,
    columns: Vec<S<toml::Value>>,
    #[serde(default)]
    unique: bool,
    #[serde(rename = "where")]
    predicate: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewDef {
    query: S<String>,
    #[serde(default)]
    columns: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerDef {
    sql: S<String>,
}

struct Loader<'a> {
    text: &'a str,
    b: Builder<'a>,
    renames: Vec<RenamedFrom>,
}

/// Loads models TOML from `text`; `file` names it in messages.
pub fn load_toml_str(file: &str, text: &str) -> Result<crate::schema::Schema, LoadError> {
    load_toml_with_renames(file, text).map(|(schema, _)| schema)
}

/// [`load_toml_str`] that also returns the `renamed_from` hints of tables and columns.
pub fn load_toml_with_renames(
    file: &str,
    text: &str,
) -> Result<(crate::schema::Schema, Vec<RenamedFrom>), LoadError> {
    let def: FileDef = toml::from_str(text).map_err(|e| {
        let pos = e
            .span()
            .map(|s| Pos::from_offset(text, s.start))
            .unwrap_or(Pos { line: 1, column: 1 });
        LoadError::at(file, pos, toml_message(&e))
    })?;
    let mut l = Loader {
        text,
        b: Builder::new(file),
        renames: Vec::new(),
    };
    let mut tables: Vec<_> = def.tables.into_iter().collect();
    tables.sort_by_key(|(k, _)| k.span().start);
    for (name, table) in tables {
        l.table(name, table)?;
    }
    let mut views: Vec<_> = def.views.into_iter().collect();
    views.sort_by_key(|(k, _)| k.span().start);
    for (name, view) in views {
        let pos = l.pos(&name);
        let query = l.query(&view.get_ref().query)?;
        let columns = view
            .get_ref()
            .columns
            .iter()
            .map(|c| Ident::new(c.get_ref().as_str()))
            .collect();
        l.b.add_view(
            View {
                name: Ident::new(name.into_inner()),
                columns,
                query,
            },
            pos,
        )?;
    }
    let mut triggers: Vec<_> = def.triggers.into_iter().collect();
    triggers.sort_by_key(|(k, _)| k.span().start);
    for (name, trigger) in triggers {
        let pos = l.pos(&name);
        let sql = &trigger.get_ref().sql;
        let (parsed, table) =
            super::sql::parse_trigger(sql.get_ref()).map_err(|m| l.err(sql, m))?;
        if parsed != Ident::new(name.get_ref().as_str()) {
            return Err(l.err(sql, format!("the statement creates trigger `{parsed}` but is filed under `[triggers.{}]`; use the same name", name.get_ref())));
        }
        l.b.add_trigger(
            Trigger {
                name: parsed,
                table,
                sql: super::sql::trigger_text(sql.get_ref()),
            },
            pos,
        )?;
    }
    let renames = std::mem::take(&mut l.renames);
    Ok((l.b.finish()?, renames))
}

/// toml's messages carry their own excerpt on several lines; keep the first line.
fn toml_message(e: &toml::de::Error) -> String {
    let msg = e.message().trim();
    let msg = msg.lines().next().unwrap_or(msg).to_string();
    if msg.starts_with("unknown field") {
        format!("{msg} (unknown key; see docs/models.md for the keys)")
    } else {
        format!("{msg}; fix the TOML there (docs/models.md describes the format)")
    }
}

impl<'a> Loader<'a> {
    fn pos<T>(&self, s: &S<T>) -> Pos {
        Pos::from_offset(self.text, s.span().start)
    }

    fn err<T>(&self, s: &S<T>, message: impl Into<String>) -> LoadError {
        self.b.err(self.pos(s), message)
    }

    fn expr(&self, s: &S<String>, what: &str) -> Result<SqlExpr, LoadError> {
        SqlExpr::parse(s.get_ref()).map_err(|e| {
            self.err(
                s,
                format!(
                    "{what} `{}` is not a valid SQL expression: {e}",
                    s.get_ref()
                ),
            )
        })
    }

    fn query(&self, s: &S<String>) -> Result<SqlExpr, LoadError> {
        super::sql::parse_query(s.get_ref())
            .map_err(|e| self.err(s, format!("view query is not a valid SELECT: {e}")))
    }

    /// A `renamed_from` value: a non-empty name other than the object's own.
    fn rename_source(&self, r: &S<String>, name: &Ident) -> Result<Ident, LoadError> {
        let from = Ident::new(r.get_ref().trim());
        if from.as_str().is_empty() {
            return Err(self.err(r, "renamed_from is empty; give the old name"));
        }
        if &from == name {
            return Err(self.err(r, format!("renamed_from = `{from}` is the name itself; give the old name or remove the key")));
        }
        Ok(from)
    }

    fn action(&self, s: &Option<S<String>>) -> Result<FkAction, LoadError> {
        match s {
            None => Ok(FkAction::NoAction),
            Some(a) => FkAction::parse(a.get_ref()).ok_or_else(|| {
                self.err(a, format!("unknown foreign key action `{}`; expected one of: cascade, restrict, set null, set default, no action", a.get_ref()))
            }),
        }
    }

    fn table(&mut self, name: S<String>, def: S<TableDef>) -> Result<(), LoadError> {
        let table_pos = self.pos(&name);
        let tname = Ident::new(name.get_ref().as_str());
        let def = def.into_inner();
        let mut table = Table::new(tname.clone());
        if let Some(r) = &def.renamed_from {
            self.renames.push(RenamedFrom {
                table: tname.clone(),
                column: None,
                from: self.rename_source(r, &tname)?,
            });
        }
        table.strict = def.strict;
        table.without_rowid = def.without_rowid;
        let mut pos = TablePos {
            table: table_pos,
            ..TablePos::default()
        };
        let mut pk_cols: Vec<Ident> = Vec::new();
        let mut pk_pos = None;
        let mut autoincrement = false;

        for cdef in &def.columns {
            let c = cdef.get_ref();
            let cname = Ident::new(c.name.get_ref().as_str());
            let cpos = self.pos(&c.name);
            if let Some(r) = &c.renamed_from {
                let from = self.rename_source(r, &cname)?;
                self.renames.push(RenamedFrom {
                    table: tname.clone(),
                    column: Some(cname.clone()),
                    from,
                });
            }
            if let Some(t) = c.ty.as_ref().or(c.sql_type.as_ref()) {
                pos.types.push(self.pos(t));
            } else {
                pos.types.push(cpos);
            }
            let (sql_type, declared) = match (&c.ty, &c.sql_type) {
                (Some(t), None) => {
                    let d = DeclaredType::parse(t.get_ref()).map_err(|e| self.err(t, e.to_string()))?;
                    (d.sql_type(), Some(d))
                }
                (None, Some(t)) => {
                    crate::schema::lex::check_written_type(t.get_ref())
                        .map_err(|e| self.err(t, format!("column `{cname}`: sql_type {e}")))?;
                    (SqlType::new(t.get_ref()), None)
                }
                (Some(_), Some(t)) => return Err(self.err(t, format!("column `{cname}` has both `type` and `sql_type`; give one"))),
                (None, None) => {
                    return Err(self.err(cdef, format!("column `{cname}` has no `type`; expected e.g. type = \"integer\" (see docs/models.md)")))
                }
            };
            if c.primary_key {
                pk_cols.push(cname.clone());
                pk_pos.get_or_insert(cpos);
            }
            autoincrement |= c.autoincrement;
            if c.autoincrement && !c.primary_key {
                return Err(self.b.err(cpos, format!("column `{cname}` has autoincrement but is not the primary key; add primary_key = true")));
            }
            let default = match (&c.default, &c.default_expr) {
                (Some(_), Some(e)) => {
                    return Err(self.err(
                        e,
                        format!("column `{cname}` has both `default` and `default_expr`; give one"),
                    ))
                }
                (Some(v), None) => Some(self.default_value(v)?),
                (None, Some(e)) => {
                    Some(DefaultValue::from_sql(self.expr(e, "default_expr")?.text()))
                }
                (None, None) => None,
            };
            let generated = match &c.generated {
                Some(g) => Some(Generated {
                    expr: self.expr(g, "generated expression")?,
                    stored: c.stored,
                }),
                None if c.stored => {
                    return Err(self.b.err(
                        cpos,
                        format!("column `{cname}` has stored = true but no `generated` expression"),
                    ))
                }
                None => None,
            };
            if c.unique {
                table.uniques.push(Unique {
                    columns: vec![cname.clone()],
                    name: None,
                });
                pos.uniques.push(cpos);
            }
            if let Some(check) = &c.check {
                table.checks.push(Check {
                    expr: self.expr(check, "check")?,
                    name: None,
                });
            }
            if let Some(d) = &declared {
                if let Some(check) = d.check_sql(cname.as_str()) {
                    table.checks.push(Check {
                        expr: SqlExpr::parse(&check).map_err(|m| self.b.err(cpos, m))?,
                        name: None,
                    });
                }
            }
            if let Some(r) = &c.references {
                let (ref_table, ref_col) = split_reference(r.get_ref()).ok_or_else(|| {
                    self.err(
                        r,
                        format!(
                            "references = `{}` is not `table.column` or `table(column)`; write it as e.g. `users.id`",
                            r.get_ref()
                        ),
                    )
                })?;
                table.foreign_keys.push(ForeignKey {
                    columns: vec![cname.clone()],
                    ref_table,
                    ref_columns: vec![ref_col],
                    on_delete: self.action(&c.on_delete)?,
                    on_update: self.action(&c.on_update)?,
                    deferred: c.deferred,
                    name: None,
                });
                pos.foreign_keys.push(self.pos(r));
            } else if let Some(a) = c.on_delete.as_ref().or(c.on_update.as_ref()) {
                return Err(self.err(
                    a,
                    format!(
                        "column `{cname}` has an on_delete/on_update action but no `references`"
                    ),
                ));
            }
            let collation = match c.collate.as_ref() {
                Some(s) => Some(collation(s.get_ref()).map_err(|m| self.err(s, m))?),
                None => None,
            };
            table.columns.push(Column {
                name: cname,
                sql_type,
                nullable: c.nullable.unwrap_or(!c.primary_key),
                default,
                collation,
                generated,
            });
            pos.columns.push(cpos);
        }

        if let Some(pk) = &def.primary_key {
            if !pk_cols.is_empty() {
                return Err(self.err(pk, format!("table `{tname}` sets primary_key both on columns and on the table; use one")));
            }
            pk_cols = pk
                .get_ref()
                .iter()
                .map(|c| Ident::new(c.get_ref().as_str()))
                .collect();
            pk_pos = Some(self.pos(pk));
            // Columns of a table-level key default to NOT NULL like column-level ones,
            // unless `nullable` was given explicitly.
            for (col, cdef) in table.columns.iter_mut().zip(&def.columns) {
                if pk_cols.contains(&col.name) && cdef.get_ref().nullable.is_none() {
                    col.nullable = false;
                }
            }
        }
        if !pk_cols.is_empty() {
            table.primary_key = Some(PrimaryKey {
                name: def
                    .primary_key_name
                    .as_ref()
                    .map(|n| Ident::new(n.get_ref().as_str())),
                columns: pk_cols,
                autoincrement,
            });
            pos.primary_key = pk_pos;
        } else if let Some(n) = &def.primary_key_name {
            return Err(self.err(
                n,
                format!("table `{tname}` has primary_key_name but no primary key"),
            ));
        }
        for u in &def.uniques {
            let ud = u.get_ref();
            table.uniques.push(Unique {
                columns: ud
                    .columns
                    .iter()
                    .map(|c| Ident::new(c.get_ref().as_str()))
                    .collect(),
                name: ud.name.as_ref().map(|n| Ident::new(n.get_ref().as_str())),
            });
            pos.uniques.push(self.pos(u));
        }
        for f in &def.foreign_keys {
            let fd = f.get_ref();
            table.foreign_keys.push(ForeignKey {
                columns: fd
                    .columns
                    .iter()
                    .map(|c| Ident::new(c.get_ref().as_str()))
                    .collect(),
                ref_table: Ident::new(fd.references.get_ref().as_str()),
                ref_columns: fd
                    .referenced_columns
                    .iter()
                    .map(|c| Ident::new(c.get_ref().as_str()))
                    .collect(),
                on_delete: self.action(&fd.on_delete)?,
                on_update: self.action(&fd.on_update)?,
                deferred: fd.deferred,
                name: fd.name.as_ref().map(|n| Ident::new(n.get_ref().as_str())),
            });
            pos.foreign_keys.push(self.pos(f));
        }
        for ch in &def.checks {
            let cd = ch.get_ref();
            table.checks.push(Check {
                expr: self.expr(&cd.expr, "check")?,
                name: cd.name.as_ref().map(|n| Ident::new(n.get_ref().as_str())),
            });
        }
        let mut indexes = Vec::new();
        for idx in &def.indexes {
            let id = idx.get_ref();
            let mut parts = Vec::new();
            for p in &id.columns {
                parts.push(self.index_part(p)?);
            }
            if parts.is_empty() {
                return Err(self.err(
                    idx,
                    format!(
                        "index `{}` has no columns; list at least one",
                        id.name.get_ref()
                    ),
                ));
            }
            let predicate = match &id.predicate {
                Some(w) => Some(self.expr(w, "index where")?),
                None => None,
            };
            indexes.push((
                Index {
                    name: Ident::new(id.name.get_ref().as_str()),
                    table: tname.clone(),
                    unique: id.unique,
                    parts,
                    predicate,
                },
                self.pos(&id.name),
            ));
        }
        self.b.add_table(table, pos)?;
        for (index, p) in indexes {
            self.b.add_index(index, p)?;
        }
        Ok(())
    }

    /// `"name"`, or `{ column = "name", collate = "NOCASE", desc = true }`, or
    /// `{ expr = "lower(name)" }`.
    fn index_part(&self, p: &S<toml::Value>) -> Result<IndexPart, LoadError> {
        match p.get_ref() {
            toml::Value::String(s) => Ok(IndexPart { target: IndexTarget::Column(Ident::new(s.as_str())), collation: None, desc: false }),
            toml::Value::Table(t) => {
                for key in t.keys() {
                    if !matches!(key.as_str(), "column" | "expr" | "collate" | "desc") {
                        return Err(self.err(p, format!("unknown key `{key}` in an index column; expected `column`, `expr`, `collate` or `desc`")));
                    }
                }
                let string = |k: &str| -> Result<Option<String>, LoadError> {
                    match t.get(k) {
                        None => Ok(None),
                        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                        Some(_) => Err(self.err(p, format!("`{k}` in an index column must be a string"))),
                    }
                };
                let target = match (string("column")?, string("expr")?) {
                    (Some(c), None) => IndexTarget::Column(Ident::new(c)),
                    (None, Some(e)) => {
                        let expr = SqlExpr::parse(&e).map_err(|m| self.err(p, format!("index expression `{e}` is not a valid SQL expression: {m}")))?;
                        // A lone name is a column, as SQLite (and the schema.sql loader) reads it.
                        match crate::schema::lex::tokens(&e).as_deref() {
                            Ok([t]) if t.kind == crate::schema::lex::Kind::QuotedWord
                                || (t.kind == crate::schema::lex::Kind::Word
                                    && !["NULL", "TRUE", "FALSE", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"]
                                        .iter()
                                        .any(|k| t.is_keyword(&e, k))) => {
                                IndexTarget::Column(Ident::new(crate::schema::lex::unquote(t.text(&e))))
                            }
                            _ => IndexTarget::Expr(expr),
                        }
                    }
                    _ => return Err(self.err(p, "an index column needs exactly one of `column` or `expr`")),
                };
                let desc = match t.get("desc") {
                    None => false,
                    Some(toml::Value::Boolean(b)) => *b,
                    Some(_) => return Err(self.err(p, "`desc` in an index column must be true or false")),
                };
                let collation = match string("collate")? {
                    Some(c) => Some(collation(&c).map_err(|m| self.err(p, m))?),
                    None => None,
                };
                Ok(IndexPart { target, collation, desc })
            }
            _ => Err(self.err(p, "an index column must be a column name or a table like { column = \"name\", desc = true }")),
        }
    }

    /// TOML strings are literal text (except the keywords CURRENT_TIMESTAMP, CURRENT_DATE,
    /// CURRENT_TIME and NULL); integers, floats and booleans are numbers.
    fn default_value(&self, v: &S<toml::Value>) -> Result<DefaultValue, LoadError> {
        Ok(match v.get_ref() {
            toml::Value::String(s) => match s.to_ascii_uppercase().as_str() {
                "CURRENT_TIMESTAMP" => DefaultValue::CurrentTimestamp,
                "CURRENT_DATE" => DefaultValue::CurrentDate,
                "CURRENT_TIME" => DefaultValue::CurrentTime,
                "NULL" => DefaultValue::Null,
                _ => DefaultValue::Text(s.clone()),
            },
            toml::Value::Integer(i) => DefaultValue::Integer(*i),
            toml::Value::Float(f) if f.is_finite() => DefaultValue::Real(crate::schema::Real(*f)),
            toml::Value::Boolean(b) => DefaultValue::Integer(i64::from(*b)),
            _ => return Err(self.err(v, "default must be a string, a number or a boolean (use default_expr for an SQL expression)")),
        })
    }
}

/// A `collate` value: a collation name is one word (letters, digits, `_`, not starting with
/// a digit); dqlite nodes have BINARY, NOCASE and RTRIM. schema.sql's `COLLATE` names pass
/// the same check, so every schema loaded renders as models TOML that loads.
pub(crate) fn collation(name: &str) -> Result<Ident, String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(Ident::new(name))
    } else {
        Err(format!(
            "collation {name:?} is not a collation name (one word, e.g. NOCASE, BINARY or RTRIM)"
        ))
    }
}

/// `users.id` (split at the last dot) or `users(id)`.
pub(crate) fn split_reference(r: &str) -> Option<(Ident, Ident)> {
    let r = r.trim();
    if let Some(inner) = r.strip_suffix(')') {
        let (t, c) = inner.split_once('(')?;
        let (t, c) = (t.trim(), c.trim());
        return (!t.is_empty() && !c.is_empty()).then(|| (Ident::new(t), Ident::new(c)));
    }
    let (t, c) = r.rsplit_once('.')?;
    (!t.is_empty() && !c.is_empty()).then(|| (Ident::new(t), Ident::new(c)))
}
