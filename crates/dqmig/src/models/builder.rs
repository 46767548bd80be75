//! The schema builder both file loaders feed: it remembers where each object was written,
//! rejects duplicate names as they arrive, and on `finish` checks every reference (keys,
//! foreign keys, indexes, triggers) and the dqlite type rules, then normalizes.

use super::{LoadError, Pos};
use crate::schema::{ForeignKey, Ident, Index, IndexTarget, Schema, Table, Trigger, View};
use crate::types::REMAPPED_BY_DQLITE;
use std::collections::BTreeMap;

/// Where the parts of one table were written; vectors run parallel to the table's.
#[derive(Debug, Default)]
pub(crate) struct TablePos {
    pub table: Pos,
    pub columns: Vec<Pos>,
    /// Where each column's type was written, when the loader knows it.
    pub types: Vec<Pos>,
    pub primary_key: Option<Pos>,
    pub uniques: Vec<Pos>,
    pub foreign_keys: Vec<Pos>,
}

pub(crate) struct Builder<'a> {
    file: &'a str,
    schema: Schema,
    /// Tables, views and indexes share one namespace in SQLite.
    names: BTreeMap<Ident, (&'static str, Pos)>,
    tables: Vec<(Table, TablePos)>,
    indexes: Vec<(Index, Pos)>,
    triggers: Vec<(Trigger, Pos)>,
    /// Accept columns declared DATETIME/DATE/TIMESTAMP/BOOLEAN (reading a live database
    /// that already has them); model files never may.
    pub allow_remapped_types: bool,
}

impl<'a> Builder<'a> {
    pub fn new(file: &'a str) -> Builder<'a> {
        Builder {
            file,
            schema: Schema::default(),
            names: BTreeMap::new(),
            tables: Vec::new(),
            indexes: Vec::new(),
            triggers: Vec::new(),
            allow_remapped_types: false,
        }
    }

    pub fn err(&self, pos: Pos, message: impl Into<String>) -> LoadError {
        LoadError::at(self.file, pos, message)
    }

    /// A name holds no NUL character: dqlite cuts text at one, so the object would get
    /// another name than the one written (a models.toml `"x\u0000y"`).
    fn no_nul(&self, name: &Ident, kind: &str, pos: Pos) -> Result<(), LoadError> {
        if name.as_str().contains('\0') {
            return Err(self.err(pos, format!("{kind} name {:?} contains a NUL character (\\u0000), which dqlite cuts text at; remove it", name.as_str())));
        }
        Ok(())
    }

    fn reserved(&self, name: &Ident, kind: &str, pos: Pos) -> Result<(), LoadError> {
        self.no_nul(name, kind, pos)?;
        if name.folded().starts_with("sqlite_") {
            return Err(self.err(pos, format!("{kind} name `{name}` starts with `sqlite_`, which SQLite reserves for internal objects; choose another name")));
        }
        Ok(())
    }

    fn claim(&mut self, name: &Ident, kind: &'static str, pos: Pos) -> Result<(), LoadError> {
        self.reserved(name, kind, pos)?;
        if let Some((other, at)) = self.names.get(name) {
            return Err(self.err(
                pos,
                format!("duplicate name `{name}`: a {other} with this name is already defined at {at}; names of tables, views and indexes must be unique (case-insensitively)"),
            ));
        }
        self.names.insert(name.clone(), (kind, pos));
        Ok(())
    }

    pub fn add_table(&mut self, table: Table, pos: TablePos) -> Result<(), LoadError> {
        self.claim(&table.name, "table", pos.table)?;
        self.tables.push((table, pos));
        Ok(())
    }

    pub fn add_index(&mut self, index: Index, pos: Pos) -> Result<(), LoadError> {
        self.claim(&index.name, "index", pos)?;
        self.indexes.push((index, pos));
        Ok(())
    }

    pub fn add_view(&mut self, view: View, pos: Pos) -> Result<(), LoadError> {
        self.claim(&view.name, "view", pos)?;
        self.schema.views.insert(view.name.clone(), view);
        Ok(())
    }

    pub fn add_trigger(&mut self, trigger: Trigger, pos: Pos) -> Result<(), LoadError> {
        self.reserved(&trigger.name, "trigger", pos)?;
        if let Some((_, at)) = self.triggers.iter().find(|(t, _)| t.name == trigger.name) {
            return Err(self.err(
                pos,
                format!("duplicate trigger name `{}`: already defined at {at}; trigger names must be unique", trigger.name),
            ));
        }
        self.triggers.push((trigger, pos));
        Ok(())
    }

    /// Checks every table, then every reference, then normalizes.
    pub fn finish(mut self) -> Result<Schema, LoadError> {
        for (table, pos) in &self.tables {
            self.check_table(table, pos)?;
        }
        let tables = std::mem::take(&mut self.tables);
        for (table, pos) in &tables {
            for (fk, at) in table.foreign_keys.iter().zip(&pos.foreign_keys) {
                self.check_foreign_key(&tables, table, fk, *at)?;
            }
        }
        for (table, _) in tables {
            self.schema.tables.insert(table.name.clone(), table);
        }
        for (index, pos) in std::mem::take(&mut self.indexes) {
            let Some(table) = self.schema.tables.get_mut(&index.table) else {
                return Err(LoadError::at(
                    self.file,
                    pos,
                    format!("index `{}` is on table `{}`, which is not defined; define the table or fix the name", index.name, index.table),
                ));
            };
            for part in &index.parts {
                if let IndexTarget::Column(c) = &part.target {
                    if table.column(c).is_none() {
                        return Err(LoadError::at(
                            self.file,
                            pos,
                            format!("index `{}` names column `{c}`, which table `{}` does not have; expected one of: {}", index.name, table.name, column_list(table)),
                        ));
                    }
                }
            }
            table.indexes.insert(index.name.clone(), index);
        }
        for (trigger, pos) in std::mem::take(&mut self.triggers) {
            if !self.schema.tables.contains_key(&trigger.table)
                && !self.schema.views.contains_key(&trigger.table)
            {
                return Err(self.err(
                    pos,
                    format!(
                        "trigger `{}` is on `{}`, which is not a defined table or view",
                        trigger.name, trigger.table
                    ),
                ));
            }
            self.schema.triggers.insert(trigger.name.clone(), trigger);
        }
        self.schema.normalize();
        Ok(self.schema)
    }

    fn check_table(&self, table: &Table, pos: &TablePos) -> Result<(), LoadError> {
        if table.columns.is_empty() {
            return Err(self.err(
                pos.table,
                format!(
                    "table `{}` has no columns; define at least one column",
                    table.name
                ),
            ));
        }
        for (i, col) in table.columns.iter().enumerate() {
            let at = pos.columns.get(i).copied().unwrap_or(pos.table);
            self.no_nul(&col.name, "column", at)?;
            if let Some(first) = table.columns[..i].iter().position(|c| c.name == col.name) {
                let first_at = pos.columns.get(first).copied().unwrap_or(pos.table);
                return Err(self.err(
                    at,
                    format!("duplicate column `{}` in table `{}` (first defined at {first_at}); column names must be unique (case-insensitively)", col.name, table.name),
                ));
            }
            let type_at = pos.types.get(i).copied().unwrap_or(at);
            if col.sql_type.is_remapped_by_dqlite() && !self.allow_remapped_types {
                return Err(self.err(
                    type_at,
                    format!(
                        "column `{}` of table `{}` is declared {}; dqlite 1.11 rewrites values of columns declared {} and can abort the node, so declare TEXT (ISO 8601 dates, or type = \"datetime\" in models.toml) or INTEGER (0/1 booleans) instead",
                        col.name, table.name, col.sql_type, REMAPPED_BY_DQLITE.join("/")
                    ),
                ));
            }
            if table.strict
                && !matches!(
                    col.sql_type.as_str(),
                    "INT" | "INTEGER" | "REAL" | "TEXT" | "BLOB" | "ANY"
                )
            {
                return Err(self.err(
                    type_at,
                    format!("column `{}` of STRICT table `{}` has type `{}`; STRICT tables allow only INT, INTEGER, REAL, TEXT, BLOB or ANY (use text/integer/float/blob types)", col.name, table.name, col.sql_type),
                ));
            }
        }
        if let Some(pk) = &table.primary_key {
            let at = pos.primary_key.unwrap_or(pos.table);
            for c in &pk.columns {
                if table.column(c).is_none() {
                    return Err(self.err(
                        at,
                        format!("primary key of table `{}` names column `{c}`, which the table does not have; expected one of: {}", table.name, column_list(table)),
                    ));
                }
            }
            if pk.autoincrement && table.rowid_alias().is_none() {
                return Err(self.err(at, format!("AUTOINCREMENT on table `{}` needs a single INTEGER primary key column of a rowid table", table.name)));
            }
        } else if table.without_rowid {
            return Err(self.err(
                pos.table,
                format!(
                    "WITHOUT ROWID table `{}` has no primary key; declare one",
                    table.name
                ),
            ));
        }
        for (u, at) in table.uniques.iter().zip(&pos.uniques) {
            for c in &u.columns {
                if table.column(c).is_none() {
                    return Err(self.err(
                        *at,
                        format!("unique constraint of table `{}` names column `{c}`, which the table does not have; expected one of: {}", table.name, column_list(table)),
                    ));
                }
            }
        }
        for (fk, at) in table.foreign_keys.iter().zip(&pos.foreign_keys) {
            for c in &fk.columns {
                if table.column(c).is_none() {
                    return Err(self.err(
                        *at,
                        format!("foreign key of table `{}` uses column `{c}`, which the table does not have; expected one of: {}", table.name, column_list(table)),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_foreign_key(
        &self,
        tables: &[(Table, TablePos)],
        table: &Table,
        fk: &ForeignKey,
        at: Pos,
    ) -> Result<(), LoadError> {
        let Some((target, _)) = tables.iter().find(|(t, _)| t.name == fk.ref_table) else {
            let known: Vec<&str> = tables.iter().map(|(t, _)| t.name.as_str()).collect();
            return Err(self.err(
                at,
                format!("foreign key of table `{}` references table `{}`, which is not defined; expected one of: {}", table.name, fk.ref_table, known.join(", ")),
            ));
        };
        let ref_columns: Vec<Ident> = if fk.ref_columns.is_empty() {
            match &target.primary_key {
                Some(pk) => pk.columns.clone(),
                None => {
                    return Err(self.err(
                        at,
                        format!("foreign key of table `{}` references table `{}` without naming columns, but that table has no primary key; name the referenced columns", table.name, target.name),
                    ))
                }
            }
        } else {
            fk.ref_columns.clone()
        };
        for c in &ref_columns {
            if target.column(c).is_none() {
                return Err(self.err(
                    at,
                    format!("foreign key of table `{}` references column `{}.{c}`, which does not exist; expected one of: {}", table.name, target.name, column_list(target)),
                ));
            }
        }
        if ref_columns.len() != fk.columns.len() {
            return Err(self.err(
                at,
                format!("foreign key of table `{}` has {} column(s) but references {} column(s) of `{}`; the counts must match", table.name, fk.columns.len(), ref_columns.len(), target.name),
            ));
        }
        Ok(())
    }
}

fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}
