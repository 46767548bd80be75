//! The table rebuild for what ALTER TABLE cannot do (sqlite.org/lang_altertable.html,
//! "other kinds of table schema changes"), written out as statements:
//!
//! 1. drop the triggers and views that mention the table (they would break the rename,
//!    and triggers on it go with it anyway);
//! 2. create the new shape under a free temporary name;
//! 3. copy the rows through the column map (renamed columns from their old name; new
//!    columns left to their DEFAULT; a column that becomes NOT NULL gets its default where
//!    it was NULL; the rowid kept when neither shape has a rowid alias; an AUTOINCREMENT
//!    table keeps its sequence, so ids are never reused);
//! 4. drop the old table; 5. rename the new one to the old name;
//! 6. recreate the table's indexes, then the views and triggers from step 1.
//!
//! Values are copied as they are: the new column's affinity converts them on insert where
//! SQLite can do so without loss (and a STRICT table refuses the rest), which keeps data a
//! CAST would destroy (`CAST('abc' AS INTEGER)` is 0). The runner runs the whole step with
//! foreign keys off, so dropping the old table cascades nowhere, and checks them before
//! COMMIT.

use super::deps::{dependents, view_order};
use super::lint::Warning;
use super::op::Op;
use super::render::{Stmt, REBUILD_MARKER};
use crate::schema::{quote_ident, quote_literal, DefaultValue, Ident, Schema, Table};
use std::collections::BTreeSet;

/// For each column of the table as a group of ops leaves it, the column of the table
/// before the group its values come from (`None` for a new column).
#[derive(Debug, Clone)]
pub(crate) struct Origins(Vec<(Ident, Option<Ident>)>);

impl Origins {
    pub fn of(t: &Table) -> Origins {
        Origins(
            t.columns
                .iter()
                .map(|c| (c.name.clone(), Some(c.name.clone())))
                .collect(),
        )
    }

    /// Tracks one op of the group.
    pub fn follow(&mut self, op: &Op) {
        match op {
            Op::AddColumn {
                column, position, ..
            } => {
                let at = (*position).min(self.0.len());
                self.0.insert(at, (column.name.clone(), None));
            }
            Op::DropColumn { column, .. } => self.0.retain(|(n, _)| n != &column.name),
            Op::RenameColumn { from, to, .. } => {
                for (n, _) in &mut self.0 {
                    if n == from {
                        *n = to.clone();
                    }
                }
            }
            Op::ReorderColumns { after, .. } => {
                let old = std::mem::take(&mut self.0);
                self.0 = after
                    .iter()
                    .filter_map(|a| old.iter().find(|(n, _)| n == a).cloned())
                    .collect();
            }
            _ => {}
        }
    }

    /// The source column `from` of the table before the group is called `to` now (a
    /// native rename ran before the rebuild).
    pub fn rename_source(&mut self, from: &Ident, to: &Ident) {
        for (_, src) in &mut self.0 {
            if src.as_ref() == Some(from) {
                *src = Some(to.clone());
            }
        }
    }

    fn source(&self, name: &Ident) -> Option<&Ident> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, o)| o.as_ref())
    }
}

/// A name for the new table that nothing in `state` uses.
fn temp_name(table: &Ident, state: &Schema) -> Ident {
    let taken = |n: &Ident| {
        state.tables.contains_key(n) || state.views.contains_key(n) || state.index(n).is_some()
    };
    let base = format!("_dqmig_new_{}", table.as_str());
    let mut candidate = Ident::new(base.clone());
    let mut k = 2;
    while taken(&candidate) {
        candidate = Ident::new(format!("{base}_{k}"));
        k += 1;
    }
    candidate
}

fn is_rowid_name(n: &Ident) -> bool {
    matches!(n.folded().as_str(), "rowid" | "_rowid_" | "oid")
}

/// True when both shapes have the same AUTOINCREMENT key column (so the old sequence
/// still fits the copied ids).
fn keeps_autoincrement(before: &Table, after: &Table, origins: &Origins) -> bool {
    match (&before.primary_key, &after.primary_key) {
        (Some(b), Some(a)) if b.autoincrement && a.autoincrement => {
            match (b.columns.as_slice(), a.columns.as_slice()) {
                ([bc], [ac]) => origins.source(ac) == Some(bc),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The statements that rebuild `before` into `after`; `state` is the schema after the
/// group (its views and triggers are the ones to keep). Also returns warnings.
pub(crate) fn rebuild(
    before: &Table,
    after: &Table,
    origins: &Origins,
    state: &Schema,
    reasons: &[String],
) -> (Vec<Stmt>, Vec<Warning>) {
    let name = &after.name;
    let q = name.quoted();
    let tmp = temp_name(name, state);
    let mut warnings = Vec::new();
    let mut stmts = Vec::new();

    let names: BTreeSet<Ident> = [name.clone()].into_iter().collect();
    let (views, triggers) = dependents(state, &names);
    for t in triggers.iter().filter_map(|t| state.triggers.get(t)) {
        stmts.push(Stmt::new(
            format!(
                "drop trigger {} for the rebuild of {q} (recreated below)",
                t.name.quoted()
            ),
            format!("DROP TRIGGER {}", t.name.quoted()),
        ));
    }
    let view_list = view_order(state, &views);
    for v in view_list.iter().rev().filter_map(|v| state.views.get(v)) {
        stmts.push(Stmt::new(
            format!(
                "drop view {} for the rebuild of {q} (recreated below)",
                v.name.quoted()
            ),
            format!("DROP VIEW {}", v.name.quoted()),
        ));
    }

    let mut shape = after.clone();
    shape.name = tmp.clone();
    shape.indexes.clear();
    stmts.push(Stmt::new(
        format!("create the new shape of {q} as {}", tmp.quoted()),
        shape.create_table_sql(),
    ));

    let mut into = Vec::new();
    let mut from = Vec::new();
    let keep_rowid = !before.without_rowid
        && !after.without_rowid
        && before.rowid_alias().is_none()
        && after.rowid_alias().is_none()
        && !before
            .columns
            .iter()
            .chain(&after.columns)
            .any(|c| is_rowid_name(&c.name));
    if keep_rowid {
        into.push("rowid".to_string());
        from.push("rowid".to_string());
    }
    for col in after.columns.iter().filter(|c| c.generated.is_none()) {
        let Some(src) = origins.source(&col.name) else {
            continue;
        };
        let Some(old) = before.column(src) else {
            continue;
        };
        let mut expr = src.quoted();
        if old.nullable && !col.nullable {
            if let Some(d) = col
                .default
                .as_ref()
                .filter(|d| !matches!(d, DefaultValue::Null))
            {
                expr = format!("coalesce({expr}, {})", d.to_sql());
            }
        }
        into.push(col.name.quoted());
        from.push(expr);
    }
    if into.is_empty() {
        warnings.push(Warning {
            message: format!("rebuilding {q} keeps no column: its rows are not copied"),
            query: None,
        });
    } else {
        stmts.push(Stmt::new(
            format!("copy the rows of {q} into {}", tmp.quoted()),
            format!(
                "INSERT INTO {} ({}) SELECT {} FROM {q}",
                tmp.quoted(),
                into.join(", "),
                from.join(", ")
            ),
        ));
    }
    if keeps_autoincrement(before, after, origins) {
        // The copy set the new table's sequence to the highest id copied; the old one
        // remembers the highest ever used. Keep that one (the rename below carries it).
        let (old, new) = (quote_literal(name.as_str()), quote_literal(tmp.as_str()));
        let seq = quote_ident("sqlite_sequence");
        stmts.push(Stmt::new(
            format!(
                "forget the sequence of {} (the old one is kept)",
                tmp.quoted()
            ),
            format!("DELETE FROM {seq} WHERE name = {new}"),
        ));
        stmts.push(Stmt::new(
            format!(
                "keep the AUTOINCREMENT sequence of {q} for {}",
                tmp.quoted()
            ),
            format!("UPDATE {seq} SET name = {new} WHERE name = {old}"),
        ));
    }
    stmts.push(Stmt::new(
        format!("drop the old {q}"),
        format!("DROP TABLE {q}"),
    ));
    stmts.push(Stmt::new(
        format!("rename {} to {q}", tmp.quoted()),
        format!("ALTER TABLE {} RENAME TO {q}", tmp.quoted()),
    ));
    for i in after.indexes.values() {
        stmts.push(Stmt::new(
            format!("recreate index {} on {q}", i.name.quoted()),
            i.create_sql(),
        ));
    }
    for v in view_list.iter().filter_map(|v| state.views.get(v)) {
        stmts.push(Stmt::new(
            format!("recreate view {}", v.name.quoted()),
            v.create_sql(),
        ));
    }
    for t in triggers.iter().filter_map(|t| state.triggers.get(t)) {
        stmts.push(Stmt::new(
            format!(
                "recreate trigger {} on {}",
                t.name.quoted(),
                t.table.quoted()
            ),
            t.create_sql(),
        ));
    }
    if let Some(first) = stmts.first_mut() {
        first
            .notes
            .push(format!("{REBUILD_MARKER} {q}: {}", reasons.join("; ")));
    }
    (stmts, warnings)
}
