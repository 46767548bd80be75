//! Rename hints and rename candidates. A schema diff cannot tell a rename from a drop plus
//! an add; the user can: by `renamed_from` in the models, by `--rename old=new` /
//! `--rename table.old=new`, or by answering the prompt the CLI builds from
//! [`rename_candidates`]. Without a hint, a rename is a drop plus an add.

use super::AutogenError;
use crate::schema::{Ident, Schema, Table};
use std::collections::{BTreeMap, BTreeSet};

/// Renames the user asserted. Table renames map the old name to the new one; column
/// renames are keyed by the table's name in the *target* schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenameHints {
    /// old table name -> new table name.
    pub tables: BTreeMap<Ident, Ident>,
    /// (target table name, old column name) -> new column name.
    pub columns: BTreeMap<(Ident, Ident), Ident>,
}

/// A plausible rename among a set of drops and adds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RenameCandidate {
    Table {
        from: Ident,
        to: Ident,
    },
    /// `table` is the table's name in the target schema.
    Column {
        table: Ident,
        from: Ident,
        to: Ident,
    },
}

impl RenameCandidate {
    /// The `--rename` flag value that selects this candidate.
    pub fn flag(&self) -> String {
        match self {
            RenameCandidate::Table { from, to } => format!("{from}={to}"),
            RenameCandidate::Column { table, from, to } => format!("{table}.{from}={to}"),
        }
    }
}

impl RenameHints {
    pub fn new() -> RenameHints {
        RenameHints::default()
    }

    /// Adds one `--rename` value: `old=new` (a table) or `table.old=new` (a column of the
    /// table named `table` in the models; the last `.` before `=` splits).
    pub fn add_flag(&mut self, value: &str) -> Result<(), AutogenError> {
        let bad = |problem: &str| AutogenError::BadRenameFlag {
            value: value.to_string(),
            problem: problem.to_string(),
        };
        let (left, new) = value
            .split_once('=')
            .ok_or_else(|| bad("there is no `=`"))?;
        let (left, new) = (left.trim(), new.trim());
        if new.is_empty() || left.is_empty() {
            return Err(bad("a name is empty"));
        }
        match left.rsplit_once('.') {
            Some((table, old)) if !table.is_empty() && !old.is_empty() => {
                self.columns
                    .insert((Ident::new(table), Ident::new(old)), Ident::new(new));
            }
            Some(_) => return Err(bad("a name is empty")),
            None => {
                self.tables.insert(Ident::new(left), Ident::new(new));
            }
        }
        Ok(())
    }

    /// Adds a candidate the user accepted.
    pub fn accept(&mut self, c: &RenameCandidate) {
        match c {
            RenameCandidate::Table { from, to } => {
                self.tables.insert(from.clone(), to.clone());
            }
            RenameCandidate::Column { table, from, to } => {
                self.columns
                    .insert((table.clone(), from.clone()), to.clone());
            }
        }
    }

    /// Adds the `renamed_from` hints of model files.
    pub fn add_models(&mut self, renames: &[crate::models::RenamedFrom]) {
        for r in renames {
            match &r.column {
                None => {
                    self.tables.insert(r.from.clone(), r.table.clone());
                }
                Some(col) => {
                    self.columns
                        .insert((r.table.clone(), r.from.clone()), col.clone());
                }
            }
        }
    }

    /// Table renames that fit: the old name exists only in `current`, the new one only in
    /// `target`.
    pub(crate) fn table_renames(&self, current: &Schema, target: &Schema) -> Vec<(Ident, Ident)> {
        let mut used = BTreeSet::new();
        self.tables
            .iter()
            .filter(|(old, new)| {
                current.tables.contains_key(*old)
                    && !target.tables.contains_key(*old)
                    && target.tables.contains_key(*new)
                    && !current.tables.contains_key(*new)
                    && used.insert((*new).clone())
            })
            .map(|(o, n)| (o.clone(), n.clone()))
            .collect()
    }

    /// Column renames of one table that fit (`cur` after table renames, `tgt` the target).
    pub(crate) fn column_renames(&self, cur: &Table, tgt: &Table) -> Vec<(Ident, Ident)> {
        let mut used = BTreeSet::new();
        self.columns
            .iter()
            .filter(|((table, old), new)| {
                table == &tgt.name
                    && cur.column(old).is_some()
                    && tgt.column(old).is_none()
                    && tgt.column(new).is_some()
                    && cur.column(new).is_none()
                    && used.insert((*new).clone())
            })
            .map(|((_, o), n)| (o.clone(), n.clone()))
            .collect()
    }

    /// Hints that name nothing the two schemas drop and add (for a warning or an error in
    /// the CLI: a stale `renamed_from` or a mistyped flag).
    pub fn unused(&self, current: &Schema, target: &Schema) -> Vec<String> {
        let tables = self.table_renames(current, target);
        let mut out: Vec<String> = self
            .tables
            .iter()
            .filter(|(o, n)| !tables.iter().any(|(a, b)| a == *o && b == *n))
            .map(|(o, n)| format!("{o}={n}"))
            .collect();
        let mut renamed = current.clone();
        for (o, n) in &tables {
            if let Some(mut t) = renamed.tables.remove(o) {
                t.name = n.clone();
                renamed.tables.insert(n.clone(), t);
            }
        }
        for ((table, old), new) in &self.columns {
            let fits = match (renamed.tables.get(table), target.tables.get(table)) {
                (Some(c), Some(t)) => self
                    .column_renames(c, t)
                    .iter()
                    .any(|(a, b)| a == old && b == new),
                _ => false,
            };
            if !fits {
                out.push(format!("{table}.{old}={new}"));
            }
        }
        out
    }
}

/// Plausible renames among what `diff(current, target, hints)` would drop and add: a
/// dropped and an added table with the same column types in the same order, and, in each
/// table both keep, a dropped and an added column of the same type and nullability.
/// Deterministic order.
pub fn rename_candidates(
    current: &Schema,
    target: &Schema,
    hints: &RenameHints,
) -> Vec<RenameCandidate> {
    let mut out = Vec::new();
    let table_renames = hints.table_renames(current, target);
    let dropped: Vec<&Table> = current
        .tables
        .values()
        .filter(|t| {
            !target.tables.contains_key(&t.name) && !table_renames.iter().any(|(o, _)| o == &t.name)
        })
        .collect();
    let added: Vec<&Table> = target
        .tables
        .values()
        .filter(|t| {
            !current.tables.contains_key(&t.name)
                && !table_renames.iter().any(|(_, n)| n == &t.name)
        })
        .collect();
    let shape = |t: &Table| {
        t.columns
            .iter()
            .map(|c| (c.sql_type.clone(), c.nullable))
            .collect::<Vec<_>>()
    };
    for d in &dropped {
        for a in &added {
            if shape(d) == shape(a) {
                out.push(RenameCandidate::Table {
                    from: d.name.clone(),
                    to: a.name.clone(),
                });
            }
        }
    }
    for tgt in target.tables.values() {
        let cur_name = table_renames
            .iter()
            .find(|(_, n)| n == &tgt.name)
            .map(|(o, _)| o.clone())
            .unwrap_or(tgt.name.clone());
        let Some(cur) = current.tables.get(&cur_name) else {
            continue;
        };
        let mut cur = cur.clone();
        cur.name = tgt.name.clone();
        let hinted = hints.column_renames(&cur, tgt);
        for d in cur
            .columns
            .iter()
            .filter(|c| tgt.column(&c.name).is_none() && !hinted.iter().any(|(o, _)| o == &c.name))
        {
            for a in tgt.columns.iter().filter(|c| {
                cur.column(&c.name).is_none() && !hinted.iter().any(|(_, n)| n == &c.name)
            }) {
                if d.sql_type == a.sql_type && d.nullable == a.nullable {
                    out.push(RenameCandidate::Column {
                        table: tgt.name.clone(),
                        from: d.name.clone(),
                        to: a.name.clone(),
                    });
                }
            }
        }
    }
    out
}
