//! The logical schema operations autogenerate produces. Each `Op`
//! carries everything needed to undo it (a drop carries the whole dropped object, an alter
//! carries before and after), so [`Op::inverse`] needs no schema and the down migration is
//! the reversed list of inverses. [`Op::apply`] is the model of what an op does to a
//! [`Schema`]: diff is checked against it, and the renderer tracks the schema with it.
//!
//! Ops say *what* changes, never *how*: whether SQLite's ALTER TABLE can do it or the table
//! must be rebuilt is decided only in the renderer.

use super::AutogenError;
use crate::schema::{
    Check, Column, ForeignKey, Ident, Index, PrimaryKey, Schema, Table, Trigger, Unique, View,
};

/// The options of a table that only a rebuild can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableOptions {
    pub strict: bool,
    pub without_rowid: bool,
}

impl TableOptions {
    pub fn of(t: &Table) -> TableOptions {
        TableOptions {
            strict: t.strict,
            without_rowid: t.without_rowid,
        }
    }
}

/// One logical schema change. Table-scoped ops name the table by its name at the point of
/// the op in the list (after earlier renames).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// A new table with its indexes.
    CreateTable(Table),
    /// A dropped table with its indexes (all of it, for the inverse).
    DropTable(Table),
    RenameTable {
        from: Ident,
        to: Ident,
    },
    /// A column inserted at `position` (its index in the table afterwards).
    AddColumn {
        table: Ident,
        column: Column,
        position: usize,
    },
    /// A column removed from `position` (its index in the table before).
    DropColumn {
        table: Ident,
        column: Column,
        position: usize,
    },
    RenameColumn {
        table: Ident,
        from: Ident,
        to: Ident,
    },
    /// Type, nullability, default, collation or generated expression of one column.
    AlterColumn {
        table: Ident,
        before: Column,
        after: Column,
    },
    /// The same columns in another order (names in order).
    ReorderColumns {
        table: Ident,
        before: Vec<Ident>,
        after: Vec<Ident>,
    },
    SetPrimaryKey {
        table: Ident,
        before: Option<PrimaryKey>,
        after: Option<PrimaryKey>,
    },
    AddUnique {
        table: Ident,
        unique: Unique,
    },
    DropUnique {
        table: Ident,
        unique: Unique,
    },
    AddForeignKey {
        table: Ident,
        fk: ForeignKey,
    },
    DropForeignKey {
        table: Ident,
        fk: ForeignKey,
    },
    AddCheck {
        table: Ident,
        check: Check,
    },
    DropCheck {
        table: Ident,
        check: Check,
    },
    SetTableOptions {
        table: Ident,
        before: TableOptions,
        after: TableOptions,
    },
    CreateIndex(Index),
    DropIndex(Index),
    CreateView(View),
    DropView(View),
    CreateTrigger(Trigger),
    DropTrigger(Trigger),
}

impl Op {
    /// The op that undoes this one.
    pub fn inverse(&self) -> Op {
        match self.clone() {
            Op::CreateTable(t) => Op::DropTable(t),
            Op::DropTable(t) => Op::CreateTable(t),
            Op::RenameTable { from, to } => Op::RenameTable { from: to, to: from },
            Op::AddColumn {
                table,
                column,
                position,
            } => Op::DropColumn {
                table,
                column,
                position,
            },
            Op::DropColumn {
                table,
                column,
                position,
            } => Op::AddColumn {
                table,
                column,
                position,
            },
            Op::RenameColumn { table, from, to } => Op::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Op::AlterColumn {
                table,
                before,
                after,
            } => Op::AlterColumn {
                table,
                before: after,
                after: before,
            },
            Op::ReorderColumns {
                table,
                before,
                after,
            } => Op::ReorderColumns {
                table,
                before: after,
                after: before,
            },
            Op::SetPrimaryKey {
                table,
                before,
                after,
            } => Op::SetPrimaryKey {
                table,
                before: after,
                after: before,
            },
            Op::AddUnique { table, unique } => Op::DropUnique { table, unique },
            Op::DropUnique { table, unique } => Op::AddUnique { table, unique },
            Op::AddForeignKey { table, fk } => Op::DropForeignKey { table, fk },
            Op::DropForeignKey { table, fk } => Op::AddForeignKey { table, fk },
            Op::AddCheck { table, check } => Op::DropCheck { table, check },
            Op::DropCheck { table, check } => Op::AddCheck { table, check },
            Op::SetTableOptions {
                table,
                before,
                after,
            } => Op::SetTableOptions {
                table,
                before: after,
                after: before,
            },
            Op::CreateIndex(i) => Op::DropIndex(i),
            Op::DropIndex(i) => Op::CreateIndex(i),
            Op::CreateView(v) => Op::DropView(v),
            Op::DropView(v) => Op::CreateView(v),
            Op::CreateTrigger(t) => Op::DropTrigger(t),
            Op::DropTrigger(t) => Op::CreateTrigger(t),
        }
    }

    /// The table a table-scoped op changes in place (not create/drop/rename of a table).
    pub fn altered_table(&self) -> Option<&Ident> {
        match self {
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::ReorderColumns { table, .. }
            | Op::SetPrimaryKey { table, .. }
            | Op::AddUnique { table, .. }
            | Op::DropUnique { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::DropForeignKey { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. }
            | Op::SetTableOptions { table, .. } => Some(table),
            _ => None,
        }
    }

    /// A one-line human description (used in comments and `dqmig check`).
    pub fn describe(&self) -> String {
        match self {
            Op::CreateTable(t) => format!("create table {}", t.name.quoted()),
            Op::DropTable(t) => format!("drop table {}", t.name.quoted()),
            Op::RenameTable { from, to } => {
                format!("rename table {} to {}", from.quoted(), to.quoted())
            }
            Op::AddColumn { table, column, .. } => {
                format!("add column {}.{}", table.quoted(), column.name.quoted())
            }
            Op::DropColumn { table, column, .. } => {
                format!("drop column {}.{}", table.quoted(), column.name.quoted())
            }
            Op::RenameColumn { table, from, to } => {
                format!(
                    "rename column {}.{} to {}",
                    table.quoted(),
                    from.quoted(),
                    to.quoted()
                )
            }
            Op::AlterColumn {
                table,
                before,
                after,
            } => {
                format!(
                    "alter column {}.{}: {}",
                    table.quoted(),
                    after.name.quoted(),
                    column_change(before, after)
                )
            }
            Op::ReorderColumns { table, .. } => {
                format!("reorder the columns of {}", table.quoted())
            }
            Op::SetPrimaryKey {
                table,
                after: Some(pk),
                ..
            } => {
                format!(
                    "set the primary key of {} to ({})",
                    table.quoted(),
                    idents(&pk.columns)
                )
            }
            Op::SetPrimaryKey {
                table, after: None, ..
            } => format!("remove the primary key of {}", table.quoted()),
            Op::AddUnique { table, unique } => format!(
                "add UNIQUE ({}) on {}",
                idents(&unique.columns),
                table.quoted()
            ),
            Op::DropUnique { table, unique } => format!(
                "drop UNIQUE ({}) on {}",
                idents(&unique.columns),
                table.quoted()
            ),
            Op::AddForeignKey { table, fk } => {
                format!(
                    "add foreign key {}({}) -> {}",
                    table.quoted(),
                    idents(&fk.columns),
                    fk.ref_table.quoted()
                )
            }
            Op::DropForeignKey { table, fk } => {
                format!(
                    "drop foreign key {}({}) -> {}",
                    table.quoted(),
                    idents(&fk.columns),
                    fk.ref_table.quoted()
                )
            }
            Op::AddCheck { table, check } => {
                format!("add CHECK ({}) on {}", check.expr, table.quoted())
            }
            Op::DropCheck { table, check } => {
                format!("drop CHECK ({}) on {}", check.expr, table.quoted())
            }
            Op::SetTableOptions { table, after, .. } => format!(
                "make {} {}STRICT, {}WITHOUT ROWID",
                table.quoted(),
                if after.strict { "" } else { "not " },
                if after.without_rowid { "" } else { "not " }
            ),
            Op::CreateIndex(i) => {
                format!("create index {} on {}", i.name.quoted(), i.table.quoted())
            }
            Op::DropIndex(i) => format!("drop index {} on {}", i.name.quoted(), i.table.quoted()),
            Op::CreateView(v) => format!("create view {}", v.name.quoted()),
            Op::DropView(v) => format!("drop view {}", v.name.quoted()),
            Op::CreateTrigger(t) => {
                format!("create trigger {} on {}", t.name.quoted(), t.table.quoted())
            }
            Op::DropTrigger(t) => {
                format!("drop trigger {} on {}", t.name.quoted(), t.table.quoted())
            }
        }
    }

    /// Applies the op to `schema`, as the database would. Fails when the op does not fit the
    /// schema (an unknown table or column, a name already taken).
    pub fn apply(&self, schema: &mut Schema) -> Result<(), AutogenError> {
        match self {
            Op::CreateTable(t) => {
                if schema.tables.contains_key(&t.name) {
                    return Err(misfit(self, "the table already exists"));
                }
                schema.tables.insert(t.name.clone(), t.clone());
            }
            Op::DropTable(t) => {
                if schema.tables.remove(&t.name).is_none() {
                    return Err(misfit(self, "no such table"));
                }
            }
            Op::RenameTable { from, to } => {
                if schema.tables.contains_key(to) && from != to {
                    return Err(misfit(self, "the new name is taken"));
                }
                let mut t = schema
                    .tables
                    .remove(from)
                    .ok_or_else(|| misfit(self, "no such table"))?;
                t.name = to.clone();
                for i in t.indexes.values_mut() {
                    i.table = to.clone();
                }
                schema.tables.insert(to.clone(), t);
                // SQLite (3.26+, legacy_alter_table off) rewrites references to the table.
                for other in schema.tables.values_mut() {
                    for fk in &mut other.foreign_keys {
                        if &fk.ref_table == from {
                            fk.ref_table = to.clone();
                        }
                    }
                    other.foreign_keys.sort();
                }
                for trig in schema.triggers.values_mut() {
                    if &trig.table == from {
                        trig.table = to.clone();
                    }
                }
            }
            Op::RenameColumn { table, from, to } => {
                let t = table_mut(schema, table, self)?;
                if t.column(to).is_some() && from != to {
                    return Err(misfit(self, "the new column name is taken"));
                }
                let col = t
                    .columns
                    .iter_mut()
                    .find(|c| &c.name == from)
                    .ok_or_else(|| misfit(self, "no such column"))?;
                col.name = to.clone();
                let swap = |list: &mut Vec<Ident>| {
                    for n in list.iter_mut() {
                        if n == from {
                            *n = to.clone();
                        }
                    }
                };
                if let Some(pk) = &mut t.primary_key {
                    swap(&mut pk.columns);
                }
                for u in &mut t.uniques {
                    swap(&mut u.columns);
                }
                for fk in &mut t.foreign_keys {
                    swap(&mut fk.columns);
                }
                for i in t.indexes.values_mut() {
                    for p in &mut i.parts {
                        if let crate::schema::IndexTarget::Column(c) = &mut p.target {
                            if c == from {
                                *c = to.clone();
                            }
                        }
                    }
                }
                t.uniques.sort();
                for other in schema.tables.values_mut() {
                    for fk in &mut other.foreign_keys {
                        if &fk.ref_table == table {
                            swap(&mut fk.ref_columns);
                        }
                    }
                    other.foreign_keys.sort();
                }
            }
            Op::AddColumn {
                table,
                column,
                position,
            } => {
                let t = table_mut(schema, table, self)?;
                if t.column(&column.name).is_some() {
                    return Err(misfit(self, "the column already exists"));
                }
                let at = (*position).min(t.columns.len());
                t.columns.insert(at, column.clone());
            }
            Op::DropColumn { table, column, .. } => {
                let t = table_mut(schema, table, self)?;
                let at = t
                    .columns
                    .iter()
                    .position(|c| c.name == column.name)
                    .ok_or_else(|| misfit(self, "no such column"))?;
                t.columns.remove(at);
            }
            Op::AlterColumn { table, after, .. } => {
                let t = table_mut(schema, table, self)?;
                let col = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name == after.name)
                    .ok_or_else(|| misfit(self, "no such column"))?;
                *col = after.clone();
            }
            Op::ReorderColumns { table, after, .. } => {
                let t = table_mut(schema, table, self)?;
                let mut cols = Vec::with_capacity(after.len());
                for name in after {
                    let c = t
                        .column(name)
                        .ok_or_else(|| misfit(self, "no such column"))?;
                    cols.push(c.clone());
                }
                if cols.len() != t.columns.len() {
                    return Err(misfit(self, "the new order does not list every column"));
                }
                t.columns = cols;
            }
            Op::SetPrimaryKey { table, after, .. } => {
                table_mut(schema, table, self)?.primary_key = after.clone();
            }
            Op::AddUnique { table, unique } => {
                let t = table_mut(schema, table, self)?;
                t.uniques.push(unique.clone());
                t.uniques.sort();
            }
            Op::DropUnique { table, unique } => {
                let t = table_mut(schema, table, self)?;
                remove_one(&mut t.uniques, unique)
                    .ok_or_else(|| misfit(self, "no such UNIQUE constraint"))?;
            }
            Op::AddForeignKey { table, fk } => {
                let t = table_mut(schema, table, self)?;
                t.foreign_keys.push(fk.clone());
                t.foreign_keys.sort();
            }
            Op::DropForeignKey { table, fk } => {
                let t = table_mut(schema, table, self)?;
                remove_one(&mut t.foreign_keys, fk)
                    .ok_or_else(|| misfit(self, "no such foreign key"))?;
            }
            Op::AddCheck { table, check } => {
                let t = table_mut(schema, table, self)?;
                t.checks.push(check.clone());
                t.checks.sort();
            }
            Op::DropCheck { table, check } => {
                let t = table_mut(schema, table, self)?;
                remove_one(&mut t.checks, check)
                    .ok_or_else(|| misfit(self, "no such CHECK constraint"))?;
            }
            Op::SetTableOptions { table, after, .. } => {
                let t = table_mut(schema, table, self)?;
                t.strict = after.strict;
                t.without_rowid = after.without_rowid;
            }
            Op::CreateIndex(i) => {
                if schema.index(&i.name).is_some() {
                    return Err(misfit(self, "an index with this name exists"));
                }
                table_mut(schema, &i.table, self)?
                    .indexes
                    .insert(i.name.clone(), i.clone());
            }
            Op::DropIndex(i) => {
                let t = table_mut(schema, &i.table, self)?;
                t.indexes
                    .remove(&i.name)
                    .ok_or_else(|| misfit(self, "no such index"))?;
            }
            Op::CreateView(v) => {
                if schema.views.contains_key(&v.name) {
                    return Err(misfit(self, "the view already exists"));
                }
                schema.views.insert(v.name.clone(), v.clone());
            }
            Op::DropView(v) => {
                schema
                    .views
                    .remove(&v.name)
                    .ok_or_else(|| misfit(self, "no such view"))?;
            }
            Op::CreateTrigger(t) => {
                if schema.triggers.contains_key(&t.name) {
                    return Err(misfit(self, "the trigger already exists"));
                }
                schema.triggers.insert(t.name.clone(), t.clone());
            }
            Op::DropTrigger(t) => {
                schema
                    .triggers
                    .remove(&t.name)
                    .ok_or_else(|| misfit(self, "no such trigger"))?;
            }
        }
        Ok(())
    }
}

/// Applies `ops` in order to a copy of `schema`.
pub fn apply_all(schema: &Schema, ops: &[Op]) -> Result<Schema, AutogenError> {
    let mut s = schema.clone();
    for op in ops {
        op.apply(&mut s)?;
    }
    Ok(s)
}

/// The down list of an up list: the inverses, in reverse order.
pub fn invert(ops: &[Op]) -> Vec<Op> {
    ops.iter().rev().map(Op::inverse).collect()
}

fn table_mut<'a>(
    schema: &'a mut Schema,
    name: &Ident,
    op: &Op,
) -> Result<&'a mut Table, AutogenError> {
    schema
        .tables
        .get_mut(name)
        .ok_or_else(|| misfit(op, "no such table"))
}

fn remove_one<T: PartialEq>(list: &mut Vec<T>, item: &T) -> Option<T> {
    let at = list.iter().position(|x| x == item)?;
    Some(list.remove(at))
}

fn misfit(op: &Op, problem: &str) -> AutogenError {
    AutogenError::OpDoesNotFit {
        op: op.describe(),
        problem: problem.to_string(),
    }
}

fn idents(list: &[Ident]) -> String {
    list.iter()
        .map(Ident::quoted)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What differs between two versions of a column, in words.
pub(crate) fn column_change(before: &Column, after: &Column) -> String {
    let mut parts = Vec::new();
    if before.sql_type != after.sql_type {
        parts.push(format!(
            "type {} -> {}",
            show_type(before),
            show_type(after)
        ));
    }
    if before.nullable != after.nullable {
        parts.push(if after.nullable {
            "drop NOT NULL".to_string()
        } else {
            "set NOT NULL".to_string()
        });
    }
    if before.default != after.default {
        let d = |c: &Column| {
            c.default
                .as_ref()
                .map(|d| d.to_sql())
                .unwrap_or_else(|| "none".to_string())
        };
        parts.push(format!("default {} -> {}", d(before), d(after)));
    }
    if before.collation != after.collation {
        let c = |c: &Column| {
            c.collation
                .as_ref()
                .map(|c| c.as_str().to_string())
                .unwrap_or_else(|| "BINARY".to_string())
        };
        parts.push(format!("collation {} -> {}", c(before), c(after)));
    }
    if before.generated != after.generated {
        parts.push("generated expression".to_string());
    }
    parts.join(", ")
}

fn show_type(c: &Column) -> String {
    if c.sql_type.is_empty() {
        "(none)".to_string()
    } else {
        c.sql_type.as_str().to_string()
    }
}
