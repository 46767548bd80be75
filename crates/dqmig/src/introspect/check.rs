//! Cross-checks the schema parsed from the CREATE statements against what SQLite itself
//! reports through the pragmas: column names, order, types, NOT NULL, defaults, generated
//! columns, the primary key, indexes, UNIQUE constraints, foreign keys, STRICT and WITHOUT
//! ROWID. The statements carry more (CHECK, AUTOINCREMENT, collations, names, deferrable),
//! the pragmas are SQLite's own reading; a disagreement means dqmig misread a statement, and
//! is reported instead of returning a wrong schema.

use super::catalog::{Catalog, ColumnInfo, IndexInfo, Object};
use super::IntrospectError;
use crate::schema::{DefaultValue, FkAction, Ident, IndexTarget, Schema, Table};
use crate::types::SqlType;

/// Checks every table of `schema` against the catalog.
pub(crate) fn cross_check(
    schema: &Schema,
    catalog: &Catalog,
    objects: &[&Object],
) -> Result<(), IntrospectError> {
    let table_objects: std::collections::BTreeMap<&Ident, &Object> = objects
        .iter()
        .filter(|o| o.kind == "table")
        .map(|o| (&o.name, *o))
        .collect();
    for table in schema.tables.values() {
        let fail = |detail: String| IntrospectError::Inconsistent {
            table: table.name.to_string(),
            detail,
        };
        if let Some(o) = table_objects.get(&table.name) {
            if o.strict != table.strict || o.without_rowid != table.without_rowid {
                return Err(fail(format!(
                    "the statement reads as STRICT={} WITHOUT ROWID={}, SQLite reports STRICT={} WITHOUT ROWID={}",
                    table.strict, table.without_rowid, o.strict, o.without_rowid
                )));
            }
        }
        let empty = Vec::new();
        columns(table, catalog.columns.get(&table.name).unwrap_or(&empty)).map_err(fail)?;
        let none = Default::default();
        indexes(table, catalog.indexes.get(&table.name).unwrap_or(&none)).map_err(fail)?;
        foreign_keys(schema, table, catalog).map_err(fail)?;
    }
    Ok(())
}

fn columns(table: &Table, infos: &[ColumnInfo]) -> Result<(), String> {
    let parsed: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let reported: Vec<&str> = infos.iter().map(|c| c.name.as_str()).collect();
    if parsed.len() != reported.len()
        || table
            .columns
            .iter()
            .zip(infos)
            .any(|(c, i)| c.name != Ident::new(i.name.as_str()))
    {
        return Err(format!(
            "the statement has columns {parsed:?}, SQLite reports {reported:?}"
        ));
    }
    let alias = table.rowid_alias().cloned();
    let pk_cols: Vec<Ident> = table
        .primary_key
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    for (col, info) in table.columns.iter().zip(infos) {
        let what = |detail: String| format!("column `{}`: {detail}", col.name);
        let reported_type = SqlType::new(&info.decl_type);
        if reported_type != col.sql_type {
            return Err(what(format!(
                "the statement declares type `{}`, SQLite reports `{}`",
                col.sql_type, reported_type
            )));
        }
        let implied = alias.as_ref() == Some(&col.name)
            || (table.without_rowid && pk_cols.contains(&col.name));
        if info.not_null == col.nullable && !implied {
            return Err(what(format!(
                "the statement reads as nullable={}, SQLite reports NOT NULL={}",
                col.nullable, info.not_null
            )));
        }
        let generated = match info.hidden {
            2 => Some(false),
            3 => Some(true),
            _ => None,
        };
        if generated != col.generated.as_ref().map(|g| g.stored) {
            return Err(what(format!(
                "the statement reads as generated={:?}, SQLite reports hidden={} (2 virtual, 3 stored)",
                col.generated.as_ref().map(|g| if g.stored { "stored" } else { "virtual" }),
                info.hidden
            )));
        }
        if col.generated.is_none() {
            let reported = info
                .default
                .as_deref()
                .map(|text| DefaultValue::from_sql(text).with_affinity(col.sql_type.affinity()));
            if reported != col.default {
                return Err(what(format!(
                    "the statement reads as default {:?}, SQLite reports {:?}",
                    col.default, info.default
                )));
            }
        }
    }
    let mut reported_pk: Vec<(i64, Ident)> = infos
        .iter()
        .filter(|i| i.pk > 0)
        .map(|i| (i.pk, Ident::new(i.name.as_str())))
        .collect();
    reported_pk.sort();
    let reported_pk: Vec<Ident> = reported_pk.into_iter().map(|(_, n)| n).collect();
    if reported_pk != pk_cols {
        return Err(format!(
            "the statement has primary key {pk_cols:?}, SQLite reports {reported_pk:?}"
        ));
    }
    Ok(())
}

fn indexes(
    table: &Table,
    infos: &std::collections::BTreeMap<Ident, IndexInfo>,
) -> Result<(), String> {
    let created = infos.iter().filter(|(_, i)| i.origin == "c").count();
    if created != table.indexes.len() {
        let names: Vec<&str> = infos
            .iter()
            .filter(|(_, i)| i.origin == "c")
            .map(|(n, _)| n.as_str())
            .collect();
        return Err(format!(
            "the statements create indexes {:?}, SQLite reports {names:?}",
            table.indexes.keys().map(Ident::as_str).collect::<Vec<_>>()
        ));
    }
    let plain_cols = |info: &IndexInfo| -> Vec<Ident> {
        info.columns
            .iter()
            .map(|c| Ident::new(c.name.clone().unwrap_or_default()))
            .collect()
    };
    for (name, info) in infos {
        match info.origin.as_str() {
            "c" => {
                let Some(index) = table.indexes.get(name) else {
                    return Err(format!(
                        "SQLite reports index `{name}`, which the statements do not create"
                    ));
                };
                if index.unique != info.unique
                    || index.predicate.is_some() != info.partial
                    || index.parts.len() != info.columns.len()
                {
                    return Err(format!(
                        "index `{name}`: the statement reads as unique={} partial={} with {} part(s), SQLite reports unique={} partial={} with {}",
                        index.unique,
                        index.predicate.is_some(),
                        index.parts.len(),
                        info.unique,
                        info.partial,
                        info.columns.len()
                    ));
                }
                for (part, c) in index.parts.iter().zip(&info.columns) {
                    let (target_ok, column_coll) = match &part.target {
                        IndexTarget::Column(col) => (
                            c.cid >= 0 && c.name.as_deref().is_some_and(|n| Ident::new(n) == *col),
                            table.column(col).and_then(|c| c.collation.clone()),
                        ),
                        IndexTarget::Expr(_) => (c.cid == -2, None),
                    };
                    let coll = part
                        .collation
                        .clone()
                        .or(column_coll)
                        .unwrap_or_else(|| Ident::new("BINARY"));
                    let reported_coll =
                        Ident::new(c.collation.clone().unwrap_or_else(|| "BINARY".into()));
                    if !target_ok || part.desc != c.desc || coll != reported_coll {
                        return Err(format!(
                            "index `{name}`: the statement reads a part as {:?} desc={} collate {coll}, SQLite reports column {:?} (cid {}) desc={} collate {reported_coll}",
                            part.target, part.desc, c.name, c.cid, c.desc
                        ));
                    }
                }
            }
            "u" => {
                let cols = plain_cols(info);
                if !table.uniques.iter().any(|u| u.columns == cols) {
                    return Err(format!("SQLite reports a UNIQUE constraint on {cols:?}, which the statement does not have"));
                }
            }
            _ => {}
        }
    }
    for u in &table.uniques {
        let found = infos
            .values()
            .any(|i| matches!(i.origin.as_str(), "u" | "pk") && plain_cols(i) == u.columns);
        if !found {
            return Err(format!(
                "the statement has a UNIQUE constraint on {:?}, which SQLite does not report",
                u.columns
            ));
        }
    }
    Ok(())
}

type FkKey = (Vec<Ident>, Ident, Vec<Ident>, FkAction, FkAction);

fn foreign_keys(schema: &Schema, table: &Table, catalog: &Catalog) -> Result<(), String> {
    let mut parsed: Vec<FkKey> = table
        .foreign_keys
        .iter()
        .map(|f| {
            (
                f.columns.clone(),
                f.ref_table.clone(),
                f.ref_columns.clone(),
                f.on_delete,
                f.on_update,
            )
        })
        .collect();
    let mut reported: Vec<FkKey> = Vec::new();
    for info in catalog
        .foreign_keys
        .get(&table.name)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let ref_table = Ident::new(info.table.as_str());
        let ref_columns: Vec<Ident> = if info.to.iter().all(Option::is_none) {
            schema
                .tables
                .get(&ref_table)
                .and_then(|t| t.primary_key.as_ref())
                .map(|p| p.columns.clone())
                .unwrap_or_default()
        } else {
            info.to
                .iter()
                .map(|t| Ident::new(t.clone().unwrap_or_default()))
                .collect()
        };
        let action = |a: &str| {
            FkAction::parse(a)
                .ok_or_else(|| format!("SQLite reports the unknown foreign key action `{a}`"))
        };
        reported.push((
            info.from.iter().map(|f| Ident::new(f.as_str())).collect(),
            ref_table,
            ref_columns,
            action(&info.on_delete)?,
            action(&info.on_update)?,
        ));
    }
    parsed.sort();
    reported.sort();
    if parsed != reported {
        return Err(format!(
            "the statement has foreign keys {parsed:?}, SQLite reports {reported:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::catalog::{ForeignKeyInfo, IndexColumnInfo};
    use super::*;
    use crate::models::load_sql_str;

    const DDL: &str =
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x' UNIQUE) STRICT;
        CREATE TABLE c (pid INTEGER REFERENCES p ON DELETE CASCADE, v TEXT COLLATE NOCASE);
        CREATE INDEX c_v ON c (v DESC);";

    fn col(name: &str, ty: &str, not_null: bool, default: Option<&str>, pk: i64) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            decl_type: ty.into(),
            not_null,
            default: default.map(Into::into),
            pk,
            hidden: 0,
        }
    }

    fn obj(name: &str, strict: bool) -> Object {
        Object {
            kind: "table".into(),
            name: Ident::new(name),
            table: Ident::new(name),
            sql: Some(String::new()),
            without_rowid: false,
            strict,
        }
    }

    /// What SQLite reports for `DDL`.
    fn catalog() -> (Schema, Catalog, Vec<Object>) {
        let schema = load_sql_str("t.sql", DDL).unwrap();
        let mut cat = Catalog::default();
        cat.columns.insert(
            Ident::new("p"),
            vec![
                col("id", "INTEGER", false, None, 1),
                col("name", "TEXT", true, Some("'x'"), 0),
            ],
        );
        cat.columns.insert(
            Ident::new("c"),
            vec![
                col("pid", "INTEGER", false, None, 0),
                col("v", "TEXT", false, None, 0),
            ],
        );
        let unique = IndexInfo {
            unique: true,
            origin: "u".into(),
            partial: false,
            columns: vec![IndexColumnInfo {
                cid: 1,
                name: Some("name".into()),
                desc: false,
                collation: Some("BINARY".into()),
            }],
        };
        cat.indexes.insert(
            Ident::new("p"),
            [(Ident::new("sqlite_autoindex_p_1"), unique)]
                .into_iter()
                .collect(),
        );
        let idx = IndexInfo {
            unique: false,
            origin: "c".into(),
            partial: false,
            columns: vec![IndexColumnInfo {
                cid: 1,
                name: Some("v".into()),
                desc: true,
                collation: Some("NOCASE".into()),
            }],
        };
        cat.indexes.insert(
            Ident::new("c"),
            [(Ident::new("c_v"), idx)].into_iter().collect(),
        );
        cat.foreign_keys.insert(
            Ident::new("c"),
            vec![ForeignKeyInfo {
                table: "p".into(),
                from: vec!["pid".into()],
                to: vec![None],
                on_update: "NO ACTION".into(),
                on_delete: "CASCADE".into(),
            }],
        );
        (schema, cat, vec![obj("p", true), obj("c", false)])
    }

    fn check(schema: &Schema, cat: &Catalog, objects: &[Object]) -> Result<(), String> {
        let refs: Vec<&Object> = objects.iter().collect();
        cross_check(schema, cat, &refs).map_err(|e| e.to_string())
    }

    #[test]
    fn a_matching_report_passes() {
        let (schema, cat, objects) = catalog();
        check(&schema, &cat, &objects).unwrap();
    }

    #[test]
    fn every_disagreement_is_reported_with_the_table_and_the_detail() {
        type Tamper = fn(&mut Catalog, &mut Vec<Object>);
        let cases: &[(&str, Tamper, &str)] = &[
            (
                "type",
                |c, _| c.columns.get_mut(&Ident::new("p")).unwrap()[1].decl_type = "INT".into(),
                "column `name`",
            ),
            (
                "not null",
                |c, _| c.columns.get_mut(&Ident::new("c")).unwrap()[1].not_null = true,
                "column `v`",
            ),
            (
                "default",
                |c, _| c.columns.get_mut(&Ident::new("p")).unwrap()[1].default = Some("'y'".into()),
                "default",
            ),
            (
                "generated",
                |c, _| c.columns.get_mut(&Ident::new("c")).unwrap()[1].hidden = 3,
                "generated",
            ),
            (
                "pk",
                |c, _| c.columns.get_mut(&Ident::new("c")).unwrap()[0].pk = 1,
                "primary key",
            ),
            (
                "column order",
                |c, _| c.columns.get_mut(&Ident::new("c")).unwrap().reverse(),
                "columns",
            ),
            ("strict", |_, o| o[0].strict = false, "STRICT"),
            (
                "index order",
                |c, _| {
                    c.indexes
                        .get_mut(&Ident::new("c"))
                        .unwrap()
                        .values_mut()
                        .for_each(|i| i.columns[0].desc = false)
                },
                "index `c_v`",
            ),
            (
                "index collation",
                |c, _| {
                    c.indexes
                        .get_mut(&Ident::new("c"))
                        .unwrap()
                        .values_mut()
                        .for_each(|i| i.columns[0].collation = None)
                },
                "collate",
            ),
            (
                "missing unique",
                |c, _| {
                    c.indexes.remove(&Ident::new("p"));
                },
                "UNIQUE",
            ),
            (
                "fk action",
                |c, _| {
                    c.foreign_keys.get_mut(&Ident::new("c")).unwrap()[0].on_delete =
                        "SET NULL".into()
                },
                "foreign keys",
            ),
            (
                "missing fk",
                |c, _| {
                    c.foreign_keys.clear();
                },
                "foreign keys",
            ),
        ];
        for (what, tamper, want) in cases {
            let (schema, mut cat, mut objects) = catalog();
            tamper(&mut cat, &mut objects);
            let err = check(&schema, &cat, &objects).expect_err(what);
            assert!(
                err.contains("introspecting table `") && err.contains(want),
                "{what}: {err}"
            );
        }
    }
}
