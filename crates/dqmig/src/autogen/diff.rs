//! `diff(current, target, hints)`: the logical ops that turn `current` into `target`.
//!
//! Order (deterministic; names in their folded order unless said otherwise):
//! 1. drop triggers, then views (dependents first), that change, go away, or depend on a
//!    table that is renamed, dropped or loses or renames a column;
//! 2. drop indexes of kept tables that change or go away;
//! 3. rename tables (hints only);
//! 4. per kept table: rename columns, drop foreign keys / uniques / checks, drop columns,
//!    add columns, reorder, alter columns, primary key, table options, add uniques /
//!    checks / foreign keys;
//! 5. drop tables, children before parents;
//! 6. create tables with their indexes, parents before children;
//! 7. create indexes of kept tables, then views (dependencies first), then triggers.
//!
//! `apply_all(current, diff(current, target, h)) == target` holds for normalized schemas
//! (tested over the fixture corpus).

use super::deps::{dependents, fk_parents, topo_order, view_order};
use super::op::{Op, TableOptions};
use super::RenameHints;
use crate::schema::{Ident, Schema, Table};
use std::collections::BTreeSet;

/// The ops that turn `current` into `target` (module docs for the order).
pub fn diff(current: &Schema, target: &Schema, hints: &RenameHints) -> Vec<Op> {
    // Renames first, on a working copy, so that everything after compares like with like.
    let mut renamed = current.clone();
    let mut table_renames = Vec::new();
    for (from, to) in hints.table_renames(current, target) {
        let op = Op::RenameTable { from, to };
        if op.apply(&mut renamed).is_ok() {
            table_renames.push(op);
        }
    }
    let mut column_renames: Vec<(Ident, Vec<Op>)> = Vec::new();
    for tgt in target.tables.values() {
        let Some(cur) = renamed.tables.get(&tgt.name) else {
            continue;
        };
        let mut ops = Vec::new();
        for (from, to) in hints.column_renames(cur, tgt) {
            ops.push(Op::RenameColumn {
                table: tgt.name.clone(),
                from,
                to,
            });
        }
        for op in &ops {
            // Fits by construction (column_renames checked the names).
            let _ = op.apply(&mut renamed);
        }
        if !ops.is_empty() {
            column_renames.push((tgt.name.clone(), ops));
        }
    }

    // Per-table alters of kept tables.
    let mut alters: Vec<Op> = Vec::new();
    let mut shaken: BTreeSet<Ident> = BTreeSet::new(); // tables whose dependents must be recreated
    for tgt in target.tables.values() {
        let Some(cur) = renamed.tables.get(&tgt.name) else {
            continue;
        };
        let mut ops: Vec<Op> = column_renames
            .iter()
            .find(|(n, _)| n == &tgt.name)
            .map(|(_, o)| o.clone())
            .unwrap_or_default();
        ops.extend(table_alters(cur, tgt));
        if ops
            .iter()
            .any(|o| matches!(o, Op::RenameColumn { .. } | Op::DropColumn { .. }))
        {
            shaken.insert(tgt.name.clone());
        }
        alters.extend(ops);
    }
    for op in &table_renames {
        if let Op::RenameTable { from, to } = op {
            shaken.insert(from.clone());
            shaken.insert(to.clone());
        }
    }
    // Renamed tables appear in `current` under their old names.
    let mut shaken_current = shaken.clone();
    for op in &table_renames {
        if let Op::RenameTable { from, to } = op {
            if shaken.contains(to) {
                shaken_current.insert(from.clone());
            }
        }
    }

    let dropped: BTreeSet<Ident> = renamed
        .tables
        .keys()
        .filter(|n| !target.tables.contains_key(*n))
        .cloned()
        .collect();
    let created: BTreeSet<Ident> = target
        .tables
        .keys()
        .filter(|n| !renamed.tables.contains_key(*n))
        .cloned()
        .collect();
    shaken_current.extend(dropped.iter().cloned());

    // Views and triggers: changed ones, and those depending on shaken tables or views.
    let changed_views: BTreeSet<Ident> = current
        .views
        .values()
        .filter(|v| target.views.get(&v.name) != Some(v))
        .map(|v| v.name.clone())
        .collect();
    let mut reach = shaken_current.clone();
    reach.extend(changed_views.iter().cloned());
    let (dep_views, dep_triggers) = dependents(current, &reach);
    let drop_views: BTreeSet<Ident> = changed_views.union(&dep_views).cloned().collect();
    let drop_triggers: BTreeSet<Ident> = current
        .triggers
        .values()
        .filter(|t| target.triggers.get(&t.name) != Some(t) || dep_triggers.contains(&t.name))
        .map(|t| t.name.clone())
        .collect();

    let mut ops = Vec::new();
    for name in &drop_triggers {
        if let Some(t) = current.triggers.get(name) {
            ops.push(Op::DropTrigger(t.clone()));
        }
    }
    for name in view_order(current, &drop_views).into_iter().rev() {
        if let Some(v) = current.views.get(&name) {
            ops.push(Op::DropView(v.clone()));
        }
    }
    // Indexes of kept tables that change or go away (as they are in `current`).
    let mut create_indexes = Vec::new();
    for tgt in target.tables.values() {
        let Some(cur) = renamed.tables.get(&tgt.name) else {
            continue;
        };
        for idx in cur.indexes.values() {
            if tgt.indexes.get(&idx.name) != Some(idx) {
                if let Some(orig) = current.index(&idx.name) {
                    ops.push(Op::DropIndex(orig.clone()));
                }
            }
        }
        for idx in tgt.indexes.values() {
            if cur.indexes.get(&idx.name) != Some(idx) {
                create_indexes.push(Op::CreateIndex(idx.clone()));
            }
        }
    }
    ops.extend(table_renames);
    ops.extend(alters);
    let drop_order = topo_order(&dropped, |n| {
        renamed.tables.get(n).map(fk_parents).unwrap_or_default()
    });
    for name in drop_order.into_iter().rev() {
        if let Some(t) = renamed.tables.get(&name) {
            ops.push(Op::DropTable(t.clone()));
        }
    }
    for name in topo_order(&created, |n| {
        target.tables.get(n).map(fk_parents).unwrap_or_default()
    }) {
        if let Some(t) = target.tables.get(&name) {
            ops.push(Op::CreateTable(t.clone()));
        }
    }
    ops.extend(create_indexes);
    let create_views: BTreeSet<Ident> = target
        .views
        .values()
        .filter(|v| drop_views.contains(&v.name) || !current.views.contains_key(&v.name))
        .map(|v| v.name.clone())
        .collect();
    for name in view_order(target, &create_views) {
        if let Some(v) = target.views.get(&name) {
            ops.push(Op::CreateView(v.clone()));
        }
    }
    for t in target.triggers.values() {
        if drop_triggers.contains(&t.name) || !current.triggers.contains_key(&t.name) {
            ops.push(Op::CreateTrigger(t.clone()));
        }
    }
    ops
}

/// The alters of one kept table (renames already applied to `cur`), indexes excluded.
fn table_alters(cur: &Table, tgt: &Table) -> Vec<Op> {
    let name = &tgt.name;
    let mut ops = Vec::new();
    for fk in cur
        .foreign_keys
        .iter()
        .filter(|f| !tgt.foreign_keys.contains(f))
    {
        ops.push(Op::DropForeignKey {
            table: name.clone(),
            fk: fk.clone(),
        });
    }
    for u in cur.uniques.iter().filter(|u| !tgt.uniques.contains(u)) {
        ops.push(Op::DropUnique {
            table: name.clone(),
            unique: u.clone(),
        });
    }
    for c in cur.checks.iter().filter(|c| !tgt.checks.contains(c)) {
        ops.push(Op::DropCheck {
            table: name.clone(),
            check: c.clone(),
        });
    }
    let mut working = cur.columns.clone();
    while let Some(position) = working.iter().position(|c| tgt.column(&c.name).is_none()) {
        let column = working.remove(position);
        ops.push(Op::DropColumn {
            table: name.clone(),
            column,
            position,
        });
    }
    for (i, c) in tgt.columns.iter().enumerate() {
        if !working.iter().any(|w| w.name == c.name) {
            let position = i.min(working.len());
            working.insert(position, c.clone());
            ops.push(Op::AddColumn {
                table: name.clone(),
                column: c.clone(),
                position,
            });
        }
    }
    let order =
        |cols: &[crate::schema::Column]| cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if order(&working) != order(&tgt.columns) {
        ops.push(Op::ReorderColumns {
            table: name.clone(),
            before: order(&working),
            after: order(&tgt.columns),
        });
    }
    for c in &tgt.columns {
        if let Some(w) = working.iter().find(|w| w.name == c.name) {
            if w != c {
                ops.push(Op::AlterColumn {
                    table: name.clone(),
                    before: w.clone(),
                    after: c.clone(),
                });
            }
        }
    }
    if cur.primary_key != tgt.primary_key {
        ops.push(Op::SetPrimaryKey {
            table: name.clone(),
            before: cur.primary_key.clone(),
            after: tgt.primary_key.clone(),
        });
    }
    if TableOptions::of(cur) != TableOptions::of(tgt) {
        ops.push(Op::SetTableOptions {
            table: name.clone(),
            before: TableOptions::of(cur),
            after: TableOptions::of(tgt),
        });
    }
    for u in tgt.uniques.iter().filter(|u| !cur.uniques.contains(u)) {
        ops.push(Op::AddUnique {
            table: name.clone(),
            unique: u.clone(),
        });
    }
    for c in tgt.checks.iter().filter(|c| !cur.checks.contains(c)) {
        ops.push(Op::AddCheck {
            table: name.clone(),
            check: c.clone(),
        });
    }
    for fk in tgt
        .foreign_keys
        .iter()
        .filter(|f| !cur.foreign_keys.contains(f))
    {
        ops.push(Op::AddForeignKey {
            table: name.clone(),
            fk: fk.clone(),
        });
    }
    ops
}
