//! Ops → SQL statements, up and down. This is the ONE place that decides what SQLite
//! 3.40's ALTER TABLE can do:
//!
//! - `RENAME TO` and `RENAME COLUMN` always (SQLite rewrites indexes, foreign keys,
//!   triggers and views that name them);
//! - `ADD COLUMN` when the column is appended last, is not STORED generated, its default is
//!   a constant (not CURRENT_TIME/DATE/TIMESTAMP, not an expression), and a NOT NULL
//!   column has a non-NULL default; a single-column foreign key on the new column (default
//!   NULL) and CHECKs that mention it ride along as column constraints; any other
//!   constraint change rebuilds;
//! - `DROP COLUMN` when the column is in no primary key, UNIQUE, foreign key (either side),
//!   index (column, expression or WHERE), CHECK, generated expression, view or trigger.
//!
//! Consecutive ops on one table form a group: all ALTERs when every op can be one, else one
//! table rebuild ([`super::rebuild`]) from the table before the group to the table after it.
//! A rebuild is marked with a [`REBUILD_MARKER`] line: the runner turns foreign keys off
//! around the step and runs `PRAGMA foreign_key_check` before COMMIT.

use super::deps::{dependents, mentions, words};
use super::lint::{lint, LintQuery, Warning};
use super::op::{invert, Op};
use super::rebuild::{rebuild, Origins};
use super::AutogenError;
use crate::schema::{DefaultValue, Ident, IndexTarget, Schema, Table};
use crate::script::comment_text;
use std::collections::BTreeSet;

/// The line that starts every table rebuild in a rendered script (the runner's directive,
/// owned by `script`): a section holding one runs with `PRAGMA foreign_keys=OFF`.
pub use crate::script::REBUILD_MARKER;

/// One SQL statement with the comment lines written before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// Full comment lines (`-- WARNING: ...`, the rebuild marker) before `comment`.
    pub notes: Vec<String>,
    /// What the statement does, one line (written as `-- {comment}`).
    pub comment: String,
    /// The statement, without the trailing `;`.
    pub sql: String,
}

impl Stmt {
    pub(crate) fn new(comment: impl Into<String>, sql: impl Into<String>) -> Stmt {
        Stmt {
            notes: Vec::new(),
            comment: comment.into(),
            sql: sql.into(),
        }
    }

    /// The statement as written in a revision file: notes, comment, SQL and `;`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for n in &self.notes {
            out.push_str(&comment_text(n));
            out.push('\n');
        }
        out.push_str("-- ");
        out.push_str(&comment_text(&self.comment));
        out.push('\n');
        out.push_str(&self.sql);
        out.push(';');
        out
    }
}

/// One direction of a migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    pub stmts: Vec<Stmt>,
    /// True when it rebuilds a table or drops a table others reference: run it with
    /// foreign keys off and `PRAGMA foreign_key_check` before COMMIT.
    pub needs_fk_off: bool,
    pub warnings: Vec<Warning>,
}

impl Script {
    /// The statements as revision-file text (each on its own lines, `;`-terminated).
    pub fn to_text(&self) -> String {
        self.stmts
            .iter()
            .map(|s| s.to_text() + "\n")
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The COUNT queries of the warnings, in order.
    pub fn lint_queries(&self) -> Vec<&LintQuery> {
        self.warnings
            .iter()
            .filter_map(|w| w.query.as_ref())
            .collect()
    }
}

/// The up and down scripts of a list of ops.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub up: Script,
    pub down: Script,
}

/// Renders `ops` (from `current`) as up SQL, and their inverses as down SQL.
pub fn render(ops: &[Op], current: &Schema) -> Result<Rendered, AutogenError> {
    let (up, after) = render_script(ops, current)?;
    let (down, _) = render_script(&invert(ops), &after)?;
    Ok(Rendered { up, down })
}

/// Renders one direction; returns the script and the schema it leads to.
pub fn render_script(ops: &[Op], start: &Schema) -> Result<(Script, Schema), AutogenError> {
    let mut state = start.clone();
    let mut script = Script::default();
    let mut i = 0;
    while i < ops.len() {
        if let Some(table) = ops[i].altered_table() {
            let mut j = i + 1;
            while j < ops.len() && ops[j].altered_table() == Some(table) {
                j += 1;
            }
            render_group(&ops[i..j], &mut state, &mut script)?;
            i = j;
        } else {
            render_single(&ops[i], &mut state, &mut script)?;
            i += 1;
        }
    }
    Ok((script, state))
}

fn push(script: &mut Script, mut stmts: Vec<Stmt>, warnings: Vec<Warning>) {
    if let Some(first) = stmts.first_mut() {
        let lines: Vec<String> = warnings
            .iter()
            .map(|w| format!("-- WARNING: {}", w.message))
            .collect();
        first.notes.splice(0..0, lines);
    }
    script.warnings.extend(warnings);
    script.stmts.extend(stmts);
}

fn render_single(op: &Op, state: &mut Schema, script: &mut Script) -> Result<(), AutogenError> {
    let warnings = lint(op, state);
    let stmts =
        match op {
            Op::CreateTable(t) => {
                let mut v = vec![Stmt::new(
                    format!("create table {}", t.name.quoted()),
                    t.create_table_sql(),
                )];
                for i in t.indexes.values() {
                    v.push(Stmt::new(
                        format!("create index {} on {}", i.name.quoted(), t.name.quoted()),
                        i.create_sql(),
                    ));
                }
                v
            }
            Op::DropTable(t) => {
                // With foreign keys on, dropping a table others still reference deletes from
                // it first (cascading or failing): such a step needs them off.
                if state.tables.values().any(|o| {
                    o.name != t.name && o.foreign_keys.iter().any(|f| f.ref_table == t.name)
                }) {
                    script.needs_fk_off = true;
                }
                vec![Stmt::new(
                    format!(
                        "drop table {} with its indexes and triggers",
                        t.name.quoted()
                    ),
                    format!("DROP TABLE {}", t.name.quoted()),
                )]
            }
            Op::RenameTable { from, to } => vec![Stmt::new(
                format!("rename table {} to {}", from.quoted(), to.quoted()),
                format!("ALTER TABLE {} RENAME TO {}", from.quoted(), to.quoted()),
            )],
            Op::CreateIndex(i) => vec![Stmt::new(
                format!("create index {} on {}", i.name.quoted(), i.table.quoted()),
                i.create_sql(),
            )],
            Op::DropIndex(i) => {
                vec![Stmt::new(
                    format!("drop index {} on {}", i.name.quoted(), i.table.quoted()),
                    format!("DROP INDEX {}", i.name.quoted()),
                )]
            }
            Op::CreateView(v) => vec![Stmt::new(
                format!("create view {}", v.name.quoted()),
                v.create_sql(),
            )],
            Op::DropView(v) => vec![Stmt::new(
                format!("drop view {}", v.name.quoted()),
                format!("DROP VIEW {}", v.name.quoted()),
            )],
            Op::CreateTrigger(t) => {
                vec![Stmt::new(
                    format!("create trigger {} on {}", t.name.quoted(), t.table.quoted()),
                    t.create_sql(),
                )]
            }
            Op::DropTrigger(t) => {
                vec![Stmt::new(
                    format!("drop trigger {} on {}", t.name.quoted(), t.table.quoted()),
                    format!("DROP TRIGGER {}", t.name.quoted()),
                )]
            }
            other => {
                return Err(AutogenError::OpDoesNotFit {
                    op: other.describe(),
                    problem: "not a whole-object op".into(),
                })
            }
        };
    op.apply(state)?;
    push(script, stmts, warnings);
    Ok(())
}

fn render_group(ops: &[Op], state: &mut Schema, script: &mut Script) -> Result<(), AutogenError> {
    let Some(name) = ops.first().and_then(Op::altered_table).cloned() else {
        return Ok(());
    };
    let before = state
        .tables
        .get(&name)
        .cloned()
        .ok_or_else(|| AutogenError::OpDoesNotFit {
            op: ops[0].describe(),
            problem: "no such table".into(),
        })?;
    let mut scratch = state.clone();
    let mut origins = Origins::of(&before);
    let mut alters: Vec<(Stmt, Vec<Warning>, usize)> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    let riders = riders(ops);
    for (k, op) in ops.iter().enumerate() {
        let w = lint(op, &scratch);
        if let Some(host) = riders[k] {
            // Written as a column constraint of an earlier ADD COLUMN (see `riders`).
            if let Some(entry) = alters.iter_mut().find(|(_, _, h)| *h == host) {
                entry.1.extend(w.clone());
            }
        } else {
            let extra: Vec<&Op> = ops
                .iter()
                .enumerate()
                .filter(|(j, _)| riders[*j] == Some(k))
                .map(|(_, o)| o)
                .collect();
            match alter_stmt(op, &scratch).and_then(|stmt| with_column_constraints(stmt, &extra)) {
                Ok(stmt) => alters.push((stmt, w.clone(), k)),
                Err(reason) => {
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
        }
        warnings.extend(w);
        origins.follow(op);
        op.apply(&mut scratch)?;
    }
    if reasons.is_empty() {
        for (stmt, w, _) in alters {
            push(script, vec![stmt], w);
        }
    } else {
        let after =
            scratch
                .tables
                .get(&name)
                .cloned()
                .ok_or_else(|| AutogenError::OpDoesNotFit {
                    op: ops[0].describe(),
                    problem: "the table is gone after its alters".into(),
                })?;
        // Column renames go first as native RENAME COLUMN: SQLite then rewrites what other
        // tables say of the column (their foreign keys), which a rebuild cannot do.
        let (renames, before) = native_renames(ops, state, &before);
        for (stmt, _) in &renames {
            push(script, vec![stmt.clone()], Vec::new());
        }
        for (_, (from, to)) in &renames {
            origins.rename_source(from, to);
        }
        let (stmts, extra) = rebuild(&before, &after, &origins, &scratch, &reasons);
        warnings.extend(extra);
        script.needs_fk_off = true;
        push(script, stmts, warnings);
    }
    *state = scratch;
    Ok(())
}

/// A native `RENAME COLUMN` statement with the column's old and new name.
type NativeRename = (Stmt, (Ident, Ident));

/// The column renames of a group that is rebuilt, as native `RENAME COLUMN` statements run
/// before the rebuild, with the table they leave (the rebuild's starting point). Renames
/// that do not apply in that order (a name still taken before the group's other ops) stay
/// inside the rebuild, as do all of them when one does not fit.
fn native_renames(ops: &[Op], state: &Schema, before: &Table) -> (Vec<NativeRename>, Table) {
    let mut scratch = state.clone();
    let mut out = Vec::new();
    for op in ops {
        let Op::RenameColumn { from, to, .. } = op else {
            continue;
        };
        let Ok(stmt) = alter_stmt(op, &scratch) else {
            return (Vec::new(), before.clone());
        };
        if op.apply(&mut scratch).is_err() {
            return (Vec::new(), before.clone());
        }
        out.push((stmt, (from.clone(), to.clone())));
    }
    match scratch.tables.get(&before.name) {
        Some(t) if !out.is_empty() => (out, t.clone()),
        _ => (Vec::new(), before.clone()),
    }
}

/// Constraint ops of a group that SQLite can take as column constraints of an earlier
/// `ADD COLUMN`: a single-column foreign key on the new column when its default is NULL
/// (SQLite's rule for REFERENCES in ADD COLUMN), and a CHECK that mentions the new column
/// and no column added after it (SQLite 3.37+ tests it against the existing rows). For
/// each op, the index of the AddColumn it rides on.
fn riders(ops: &[Op]) -> Vec<Option<usize>> {
    let mut out = vec![None; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        let Op::AddColumn { column, .. } = op else {
            continue;
        };
        let one: BTreeSet<Ident> = [column.name.clone()].into_iter().collect();
        let later_columns: BTreeSet<Ident> = ops[i + 1..]
            .iter()
            .filter_map(|o| match o {
                Op::AddColumn { column, .. } => Some(column.name.clone()),
                _ => None,
            })
            .collect();
        let null_default = matches!(column.default, None | Some(DefaultValue::Null));
        let mut has_fk = false;
        for j in i + 1..ops.len() {
            if out[j].is_some() {
                continue;
            }
            match &ops[j] {
                Op::AddForeignKey { fk, .. }
                    if !has_fk
                        && null_default
                        && fk.columns.len() == 1
                        && fk.columns[0] == column.name
                        && fk.ref_columns.len() == 1 =>
                {
                    out[j] = Some(i);
                    has_fk = true;
                }
                Op::AddCheck { check, .. }
                    if mentions(check.expr.text(), &one)
                        && !mentions(check.expr.text(), &later_columns) =>
                {
                    out[j] = Some(i)
                }
                _ => {}
            }
        }
    }
    out
}

/// Appends rider constraints (see [`riders`]) to an `ADD COLUMN` statement.
fn with_column_constraints(mut stmt: Stmt, extra: &[&Op]) -> Result<Stmt, String> {
    for op in extra {
        match op {
            Op::AddCheck { check, .. } => {
                let name = check
                    .name
                    .as_ref()
                    .map(|n| format!("CONSTRAINT {} ", n.quoted()))
                    .unwrap_or_default();
                stmt.sql.push_str(&format!(" {name}CHECK ({})", check.expr));
                stmt.comment.push_str(" with its CHECK");
            }
            Op::AddForeignKey { fk, .. } => {
                // The table-level form minus `FOREIGN KEY (col) ` is the column-level one.
                let name = fk
                    .name
                    .as_ref()
                    .map(|n| format!("CONSTRAINT {} ", n.quoted()))
                    .unwrap_or_default();
                let cols: Vec<String> = fk.columns.iter().map(Ident::quoted).collect();
                let table_form = fk.constraint_sql();
                let rest = table_form
                    .strip_prefix(&format!("{name}FOREIGN KEY ({}) ", cols.join(", ")))
                    .ok_or_else(|| "a foreign key on a new column".to_string())?;
                stmt.sql.push_str(&format!(" {name}{rest}"));
                stmt.comment
                    .push_str(&format!(" referencing {}", fk.ref_table.quoted()));
            }
            _ => return Err("a constraint on a new column".into()),
        }
    }
    Ok(stmt)
}

/// The ALTER TABLE statement for `op` on `state`, or why it needs a rebuild.
fn alter_stmt(op: &Op, state: &Schema) -> Result<Stmt, String> {
    let table = op
        .altered_table()
        .and_then(|n| state.tables.get(n))
        .ok_or_else(|| "unknown table".to_string())?;
    let t = table.name.quoted();
    match op {
        Op::RenameColumn { from, to, .. } => Ok(Stmt::new(
            format!("rename column {t}.{} to {}", from.quoted(), to.quoted()),
            format!(
                "ALTER TABLE {t} RENAME COLUMN {} TO {}",
                from.quoted(),
                to.quoted()
            ),
        )),
        Op::AddColumn {
            column, position, ..
        } => {
            let c = column.name.quoted();
            if *position < table.columns.len() {
                return Err(format!("column {c} goes before existing columns"));
            }
            if column.generated.as_ref().is_some_and(|g| g.stored) {
                return Err(format!("column {c} is STORED generated"));
            }
            match &column.default {
                Some(
                    DefaultValue::CurrentTime
                    | DefaultValue::CurrentDate
                    | DefaultValue::CurrentTimestamp
                    | DefaultValue::Expr(_),
                ) => return Err(format!("column {c} has a non-constant default")),
                None | Some(DefaultValue::Null)
                    if !column.nullable && column.generated.is_none() =>
                {
                    return Err(format!("column {c} is NOT NULL without a default"))
                }
                _ => {}
            }
            Ok(Stmt::new(
                format!("add column {t}.{c}"),
                format!("ALTER TABLE {t} ADD COLUMN {}", column.definition_sql()),
            ))
        }
        Op::DropColumn { column, .. } => {
            let c = column.name.quoted();
            if let Some(why) = drop_column_blocker(table, &column.name, state) {
                return Err(format!("column {c} {why}"));
            }
            Ok(Stmt::new(
                format!("drop column {t}.{c}"),
                format!("ALTER TABLE {t} DROP COLUMN {c}"),
            ))
        }
        Op::AlterColumn { before, after, .. } => Err(format!(
            "column {} changes ({})",
            after.name.quoted(),
            super::op::column_change(before, after)
        )),
        Op::ReorderColumns { .. } => Err("the column order changes".into()),
        Op::SetPrimaryKey { .. } => Err("the primary key changes".into()),
        Op::AddUnique { .. } | Op::DropUnique { .. } => Err("a UNIQUE constraint changes".into()),
        Op::AddForeignKey { .. } | Op::DropForeignKey { .. } => Err("a foreign key changes".into()),
        Op::AddCheck { .. } | Op::DropCheck { .. } => Err("a CHECK constraint changes".into()),
        Op::SetTableOptions { .. } => Err("STRICT or WITHOUT ROWID changes".into()),
        _ => Err("not a table alter".into()),
    }
}

/// Why SQLite 3.40 refuses `ALTER TABLE ... DROP COLUMN` for this column, if it does.
fn drop_column_blocker(table: &Table, col: &Ident, state: &Schema) -> Option<&'static str> {
    let one: BTreeSet<Ident> = [col.clone()].into_iter().collect();
    if table
        .primary_key
        .as_ref()
        .is_some_and(|p| p.columns.contains(col))
    {
        return Some("is in the primary key");
    }
    if table.uniques.iter().any(|u| u.columns.contains(col)) {
        return Some("is in a UNIQUE constraint");
    }
    if table.foreign_keys.iter().any(|f| f.columns.contains(col)) {
        return Some("is in a foreign key");
    }
    if state.tables.values().any(|o| {
        o.foreign_keys
            .iter()
            .any(|f| f.ref_table == table.name && f.ref_columns.contains(col))
    }) {
        return Some("is referenced by a foreign key");
    }
    for i in table.indexes.values() {
        let in_parts = i.parts.iter().any(|p| match &p.target {
            IndexTarget::Column(c) => c == col,
            IndexTarget::Expr(e) => mentions(e.text(), &one),
        });
        if in_parts
            || i.predicate
                .as_ref()
                .is_some_and(|p| mentions(p.text(), &one))
        {
            return Some("is used by an index");
        }
    }
    if table.checks.iter().any(|c| mentions(c.expr.text(), &one)) {
        return Some("is used by a CHECK constraint");
    }
    if table.columns.iter().any(|c| {
        c.generated
            .as_ref()
            .is_some_and(|g| mentions(g.expr.text(), &one))
    }) {
        return Some("is used by a generated column");
    }
    if table.columns.len() <= 1 {
        return Some("is the only column");
    }
    let tname: BTreeSet<Ident> = [table.name.clone()].into_iter().collect();
    let (views, triggers) = dependents(state, &tname);
    let uses = |sql: &str| words(sql).contains(&col.folded());
    if views
        .iter()
        .filter_map(|v| state.views.get(v))
        .any(|v| uses(v.query.text()))
        || triggers
            .iter()
            .filter_map(|t| state.triggers.get(t))
            .any(|t| uses(t.sql.text()))
    {
        return Some("is used by a view or trigger");
    }
    None
}
