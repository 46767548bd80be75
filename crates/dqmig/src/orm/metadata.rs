//! `MetaData`: the models an app declares, turned into the same [`Schema`] the models.toml
//! loader builds (through the loaders' shared builder, so the same checks and the same
//! normal form apply), and written as models TOML for `models_command` in dqmig.toml.

use super::{ColumnDef, ColumnRef, Model, OrmError, Relation, TableDef};
use crate::client::Connection;
use crate::models::{Builder, Pos, TablePos};
use crate::schema::{
    Check, Column, DefaultValue, FkAction, ForeignKey, Ident, Index, IndexPart, IndexTarget,
    PrimaryKey, Schema, SqlExpr, Table, Unique,
};
use crate::types::DeclaredType;

/// A collection of models: `MetaData::new().model::<User>().model::<Post>()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaData {
    tables: Vec<TableDef>,
    /// Foreign keys relationships declare: (referencing column, referenced column, on_delete).
    relation_keys: Vec<(ColumnRef, ColumnRef, Option<&'static str>)>,
}

impl MetaData {
    pub fn new() -> MetaData {
        MetaData::default()
    }

    /// Adds model `M` (builder style); adding a model twice keeps one.
    #[must_use]
    pub fn model<M: Model>(mut self) -> MetaData {
        self.add::<M>();
        self
    }

    /// Adds model `M`; adding a model twice keeps one.
    pub fn add<M: Model>(&mut self) -> &mut MetaData {
        if !self.tables.contains(&M::TABLE) {
            self.tables.push(M::TABLE);
        }
        self
    }

    /// Adds the foreign keys of a relationship (with its `on_delete`) to the schema (builder
    /// style): a column already declared `references` the same column keeps its declaration
    /// (the relationship's `on_delete` fills one left unset); another target is an error of
    /// [`MetaData::schema`]. The models must be added too.
    #[must_use]
    pub fn relation<F: Model, T: Model + Clone>(mut self, rel: Relation<F, T>) -> MetaData {
        for fk in rel.foreign_keys() {
            if !self.relation_keys.contains(&fk) {
                self.relation_keys.push(fk);
            }
        }
        self
    }

    /// The models' tables, in the order they were added.
    pub fn tables(&self) -> &[TableDef] {
        &self.tables
    }

    /// The schema the models declare, checked and normalized as models.toml is.
    ///
    /// # Errors
    /// [`OrmError::Metadata`]: an unknown `sql_type` or one that stores values differently
    /// from the field's Rust type, a `default` that is not an SQL expression, two models
    /// with one table name, a reference to a table or column no model declares.
    pub fn schema(&self) -> Result<Schema, OrmError> {
        let mut b = Builder::new("models");
        for def in &self.tables {
            let (mut table, indexes) = table(def)?;
            self.add_relation_keys(def, &mut table)?;
            let n = |len: usize| vec![Pos::default(); len];
            let pos = TablePos {
                table: Pos::default(),
                columns: n(table.columns.len()),
                types: n(table.columns.len()),
                primary_key: None,
                uniques: n(table.uniques.len()),
                foreign_keys: n(table.foreign_keys.len()),
            };
            b.add_table(table, pos).map_err(|e| meta_err(def, e))?;
            for index in indexes {
                b.add_index(index, Pos::default())
                    .map_err(|e| meta_err(def, e))?;
            }
        }
        b.finish().map_err(|e| OrmError::Metadata {
            model: "models".to_string(),
            message: load_message(e),
        })
    }

    /// Creates the models' tables and indexes that do not exist yet, in one transaction
    /// (SQLAlchemy's `metadata.create_all`). For apps and tests without migrations; an app
    /// with migrations autogenerates a revision from the models instead.
    ///
    /// # Errors
    /// As [`MetaData::schema`], and the database's errors.
    pub fn create_all(&self, conn: &mut Connection) -> Result<(), OrmError> {
        let schema = self.schema()?;
        let mut tx = conn
            .transaction()
            .map_err(|e| OrmError::db("creating the models' tables", e))?;
        for table in schema.tables.values() {
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    crate::params![table.name.as_str()],
                )
                .map_err(|e| OrmError::db("creating the models' tables", e))?;
            if exists.is_some() {
                continue;
            }
            let action = format!("creating table {}", table.name);
            tx.execute_batch(&table.create_table_sql())
                .map_err(|e| OrmError::db(action.clone(), e))?;
            for index in table.indexes.values() {
                tx.execute_batch(&index.create_sql())
                    .map_err(|e| OrmError::db(action.clone(), e))?;
            }
        }
        tx.commit()
            .map_err(|e| OrmError::db("creating the models' tables", e))
    }

    /// The models as models TOML (what `dqmig inspect --format toml` writes), which loads
    /// back to the same schema: print it from the program `models_command` runs.
    ///
    /// # Errors
    /// As [`MetaData::schema`].
    pub fn to_toml(&self) -> Result<String, OrmError> {
        Ok(crate::models::to_toml(&self.schema()?))
    }
}

impl MetaData {
    fn add_relation_keys(&self, def: &TableDef, table: &mut Table) -> Result<(), OrmError> {
        for (from, to, on_delete) in self.relation_keys.iter().filter(|k| k.0.table == def.name) {
            let on_delete = match on_delete {
                Some(a) => FkAction::parse(a).ok_or_else(|| OrmError::Metadata {
                    model: format!("model {}", def.rust_name),
                    message: format!(
                        "relationship {}.{} -> {}.{}: unknown on_delete action `{a}` (cascade, set null, set default, restrict, no action)",
                        from.table, from.name, to.table, to.name
                    ),
                })?,
                None => FkAction::NoAction,
            };
            let column = Ident::new(from.name);
            match table.foreign_keys.iter_mut().find(|fk| fk.columns == [column.clone()]) {
                Some(fk) if fk.ref_table == Ident::new(to.table) && fk.ref_columns == [Ident::new(to.name)] => {
                    if fk.on_delete == FkAction::NoAction {
                        fk.on_delete = on_delete;
                    } else if on_delete != FkAction::NoAction && fk.on_delete != on_delete {
                        return Err(OrmError::Metadata {
                            model: format!("model {}", def.rust_name),
                            message: format!(
                                "column `{}`: the relationship's on_delete differs from the field's `on_delete`; declare it in one place",
                                from.name
                            ),
                        });
                    }
                }
                Some(fk) => {
                    return Err(OrmError::Metadata {
                        model: format!("model {}", def.rust_name),
                        message: format!(
                            "column `{}` references {}.{} but a relationship says {}.{}; make them agree",
                            from.name,
                            fk.ref_table,
                            fk.ref_columns.first().map(|c| c.to_string()).unwrap_or_default(),
                            to.table,
                            to.name
                        ),
                    })
                }
                None => table.foreign_keys.push(ForeignKey {
                    columns: vec![column],
                    ref_table: Ident::new(to.table),
                    ref_columns: vec![Ident::new(to.name)],
                    on_delete,
                    on_update: FkAction::NoAction,
                    deferred: false,
                    name: None,
                }),
            }
        }
        Ok(())
    }
}

fn load_message(e: crate::models::LoadError) -> String {
    match e {
        crate::models::LoadError::Invalid { message, .. } => message,
        other => other.to_string(),
    }
}

fn meta_err(def: &TableDef, e: crate::models::LoadError) -> OrmError {
    OrmError::Metadata {
        model: format!("model {}", def.rust_name),
        message: load_message(e),
    }
}

fn declared(def: &TableDef, col: &ColumnDef) -> Result<DeclaredType, OrmError> {
    let err = |message: String| OrmError::Metadata {
        model: format!("model {}", def.rust_name),
        message,
    };
    let own = DeclaredType::parse(col.rust_type)
        .map_err(|e| err(format!("field `{}`: {e}", col.field)))?;
    let Some(over) = col.sql_type else {
        return Ok(own);
    };
    let d = DeclaredType::parse(over)
        .map_err(|e| err(format!("field `{}`: sql_type: {e}", col.field)))?;
    if d.wire_type() != own.wire_type() {
        return Err(err(format!(
            "field `{}`: sql_type = \"{over}\" stores {:?} values but the field's Rust type is stored as {:?} ({}); choose a declared type of the same kind",
            col.field,
            d.wire_type(),
            own.wire_type(),
            own
        )));
    }
    Ok(d)
}

/// The schema table of one model, and its `index` columns' indexes.
fn table(def: &TableDef) -> Result<(Table, Vec<Index>), OrmError> {
    let err = |message: String| OrmError::Metadata {
        model: format!("model {}", def.rust_name),
        message,
    };
    let tname = Ident::new(def.name);
    let mut table = Table::new(tname.clone());
    let mut indexes = Vec::new();
    let mut key = Vec::new();
    for col in def.columns {
        let cname = Ident::new(col.name);
        let d = declared(def, col)?;
        let default = match col.default {
            Some(text) => {
                let expr = SqlExpr::parse(text).map_err(|m| {
                    err(format!(
                        "field `{}`: default = \"{text}\" is not an SQL expression: {m}",
                        col.field
                    ))
                })?;
                Some(DefaultValue::from_sql(expr.text()))
            }
            None => None,
        };
        if col.primary_key {
            key.push(cname.clone());
        }
        if col.unique {
            table.uniques.push(Unique {
                columns: vec![cname.clone()],
                name: None,
            });
        }
        if col.index {
            indexes.push(Index {
                name: Ident::new(format!("ix_{}_{}", def.name, col.name)),
                table: tname.clone(),
                unique: false,
                parts: vec![IndexPart {
                    target: IndexTarget::Column(cname.clone()),
                    collation: None,
                    desc: false,
                }],
                predicate: None,
            });
        }
        if let Some(check) = d.check_sql(col.name) {
            table.checks.push(Check {
                expr: SqlExpr::parse(&check).map_err(err)?,
                name: None,
            });
        }
        if let Some(r) = col.references {
            let (ref_table, ref_col) = crate::models::split_reference(r).ok_or_else(|| {
                err(format!(
                    "field `{}`: references = \"{r}\" is not `table.column`",
                    col.field
                ))
            })?;
            let action = |a: Option<&str>| -> Result<FkAction, OrmError> {
                match a {
                    None => Ok(FkAction::NoAction),
                    Some(a) => FkAction::parse(a).ok_or_else(|| {
                        err(format!(
                            "field `{}`: unknown foreign key action `{a}`",
                            col.field
                        ))
                    }),
                }
            };
            table.foreign_keys.push(ForeignKey {
                columns: vec![cname.clone()],
                ref_table,
                ref_columns: vec![ref_col],
                on_delete: action(col.on_delete)?,
                on_update: action(col.on_update)?,
                deferred: false,
                name: None,
            });
        }
        table.columns.push(Column {
            name: cname,
            sql_type: d.sql_type(),
            nullable: col.nullable && !col.primary_key,
            default,
            collation: None,
            generated: None,
        });
    }
    if !key.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: key,
            autoincrement: false,
        });
    }
    Ok((table, indexes))
}
