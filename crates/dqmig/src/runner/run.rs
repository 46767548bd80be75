//! `Runner`: plans and runs upgrades and downgrades against a connection, stamps, and reads
//! the current heads, the history and edited files. A run re-plans from the version table
//! when another migrator moved it (for targets that do not depend on where the database
//! is), so concurrent runs finish the work between them without doing any step twice.

use std::collections::BTreeMap;

use super::step::{
    commit_fail, db_fail, read_heads, refs, shown, with_retry, Failure, RetryPolicy, StepOutcome,
};
use super::tables::{self, HistoryRow, TableNames};
use super::{EditedFile, RunError, RunObserver};
use crate::client::{self, Behavior, Connection};
use crate::config::{Config, TransactionMode};
use crate::script::{Direction, Graph, RevId, Step, Target};

/// The history table's direction for a row that accepted an edited applied file's new
/// checksum ([`Runner::accept_edits`]).
pub const ACCEPT_DIRECTION: &str = "accept";

/// How a [`Runner`] runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub tables: TableNames,
    pub transaction: TransactionMode,
    /// Run even when applied revision files changed since (`--allow-edited`).
    pub allow_edited: bool,
    pub retry: RetryPolicy,
    /// The page cache (KiB) the runner's connection asks for before each transaction, so a
    /// step that changes many pages does not spill it (libdqlite 1.11.1 fails such a
    /// transaction with 522, see [`client::BIG_TRANSACTION_CACHE_KIB`]). A limit, not an
    /// allocation: the node uses what the step touches. `0` leaves the node's default.
    pub cache_size_kib: u32,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            tables: TableNames::default(),
            transaction: TransactionMode::default(),
            allow_edited: false,
            retry: RetryPolicy::default(),
            cache_size_kib: client::BIG_TRANSACTION_CACHE_KIB,
        }
    }
}

impl RunOptions {
    /// The table names and transaction mode of a `dqmig.toml`.
    pub fn from_config(cfg: &Config) -> RunOptions {
        RunOptions {
            tables: TableNames {
                version: cfg.version_table.clone(),
                history: cfg.history_table.clone(),
            },
            transaction: cfg.transaction,
            ..RunOptions::default()
        }
    }
}

/// One step a run applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppliedStep {
    pub revision: String,
    pub direction: &'static str,
    pub file: String,
    pub duration_ms: u64,
    /// Set when this run's COMMIT of the step had an unknown outcome (a leader lost while
    /// committing) and the new leader's version table resolved it: `"landed"` (it had
    /// committed after all) or `"replayed"` (it had not; the step ran again, once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_in_doubt: Option<&'static str>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Steps this run applied, in order.
    pub applied: Vec<AppliedStep>,
    /// Revisions of this run's plan that another migrator applied first.
    pub skipped: Vec<String>,
    /// The version table's rows at the end.
    pub heads: Vec<String>,
}

/// What a stamp did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StampReport {
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub revision: String,
    /// `up`, `down` or `stamp`.
    pub direction: String,
    pub checksum: String,
    pub file: String,
    pub heads_before: String,
    pub heads_after: String,
    /// UTC, ISO 8601 with milliseconds (the leader's clock).
    pub applied_at: String,
    /// `None` for rows written by an offline script.
    pub duration_ms: Option<i64>,
}

/// Runs migrations of one revision graph.
pub struct Runner<'g> {
    pub(crate) graph: &'g Graph,
    pub(crate) options: RunOptions,
}

fn direction_label(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

/// INFO per step of a finished transaction: applied (with its duration) or found applied.
fn log_outcome(group: &[Step], outcome: &StepOutcome) {
    match outcome {
        StepOutcome::InDoubt { landed, .. } => {
            for s in group {
                tracing::info!(
                    revision = %s.revision,
                    direction = tables::direction_name(s.direction),
                    landed = *landed,
                    "step's COMMIT outcome was unknown; resolved through the version table"
                );
            }
        }
        StepOutcome::Applied(ms) => {
            for (s, d) in group.iter().zip(ms) {
                tracing::info!(
                    revision = %s.revision,
                    direction = tables::direction_name(s.direction),
                    duration_ms = *d,
                    "step applied"
                );
            }
        }
        StepOutcome::AlreadyApplied => {
            for s in group {
                tracing::info!(
                    revision = %s.revision,
                    direction = tables::direction_name(s.direction),
                    "step already applied by another migrator, skipped"
                );
            }
        }
    }
}

fn strings(ids: &[RevId]) -> Vec<String> {
    ids.iter().map(|i| i.to_string()).collect()
}

impl<'g> Runner<'g> {
    pub fn new(graph: &'g Graph, options: RunOptions) -> Runner<'g> {
        Runner { graph, options }
    }

    pub fn graph(&self) -> &Graph {
        self.graph
    }

    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// Creates the version and history tables if missing.
    pub fn ensure_tables(&self, conn: &mut Connection) -> Result<(), RunError> {
        let ddl = tables::create_tables(&self.options.tables);
        // One request and one transaction (one Raft entry when anything is created, none
        // when both exist; deferred, so existing tables take no write lock). A failure
        // rolls back whatever the request opened.
        let ddl = format!("BEGIN;\n{};\nCOMMIT", ddl.join(";\n"));
        let action = "creating dqmig's version and history tables";
        with_retry(conn, &self.options.retry, |conn| {
            match conn.execute_batch(&ddl) {
                Ok(_) => Ok(()),
                Err(e) => {
                    conn.abandon_transaction();
                    Err(commit_fail(action)(e))
                }
            }
        })?;
        Ok(())
    }

    /// Creates the version and history tables if missing inside the caller's open
    /// transaction, so that a command that fails leaves a database without them as it was.
    fn create_tables_in(&self, tx: &mut Connection, action: &str) -> Result<(), Failure> {
        let ddl = tables::create_tables(&self.options.tables).join(";\n");
        tx.execute_batch(&ddl).map(|_| ()).map_err(db_fail(&format!(
            "{action}: creating dqmig's version and history tables"
        )))
    }

    fn table_exists(&self, conn: &mut Connection, name: &str) -> Result<bool, RunError> {
        let (n, _) = with_retry(conn, &self.options.retry, |conn| {
            let row = conn
                .query_row(tables::version_table_exists_sql(), &[&name])
                .map_err(db_fail("looking for dqmig's tables"))?;
            row.get::<i64>(0)
                .map_err(db_fail("looking for dqmig's tables"))
        })?;
        Ok(n > 0)
    }

    /// The version table's rows (sorted); empty when the table does not exist yet.
    pub fn current(&self, conn: &mut Connection) -> Result<Vec<RevId>, RunError> {
        if !self.table_exists(conn, &self.options.tables.version)? {
            return Ok(Vec::new());
        }
        self.read_current(conn)
    }

    /// The version table's rows; the table must exist.
    fn read_current(&self, conn: &mut Connection) -> Result<Vec<RevId>, RunError> {
        Ok(with_retry(conn, &self.options.retry, |conn| {
            read_heads(conn, &self.options.tables)
        })?
        .0)
    }

    /// Every history row, oldest first; empty when the table does not exist yet.
    pub fn history(&self, conn: &mut Connection) -> Result<Vec<HistoryEntry>, RunError> {
        if !self.table_exists(conn, &self.options.tables.history)? {
            return Ok(Vec::new());
        }
        self.read_history(conn)
    }

    /// Every history row; the table must exist.
    fn read_history(&self, conn: &mut Connection) -> Result<Vec<HistoryEntry>, RunError> {
        Ok(with_retry(conn, &self.options.retry, |conn| self.history_rows(conn))?.0)
    }

    /// Every history row, in one query (no retry: also used inside a transaction).
    fn history_rows(&self, conn: &mut Connection) -> Result<Vec<HistoryEntry>, Failure> {
        let sql = tables::select_history(&self.options.tables);
        let action = format!("reading the history table {}", self.options.tables.history);
        let rows = conn.query(&sql, &[]).map_err(db_fail(&action))?;
        let mut out = Vec::with_capacity(rows.len());
        let bad = |source| {
            Failure::Fatal(RunError::Db {
                action: action.clone(),
                source: Box::new(source),
            })
        };
        for r in rows.iter() {
            out.push(HistoryEntry {
                id: r.get(0).map_err(bad)?,
                revision: r.get(1).map_err(bad)?,
                direction: r.get(2).map_err(bad)?,
                checksum: r.get(3).map_err(bad)?,
                file: r.get(4).map_err(bad)?,
                heads_before: r.get(5).map_err(bad)?,
                heads_after: r.get(6).map_err(bad)?,
                applied_at: r.get(7).map_err(bad)?,
                duration_ms: r.get(8).map_err(bad)?,
            });
        }
        Ok(out)
    }

    /// Applied revisions (per the heads `current`) whose file's checksum differs from the
    /// one the history table recorded when each was last applied. Revisions with no `up`
    /// row (stamped, or applied by another tool) are not checked.
    pub fn edited(
        &self,
        conn: &mut Connection,
        current: &[RevId],
    ) -> Result<Vec<EditedFile>, RunError> {
        let history = self.history(conn)?;
        self.edited_in(&history, current)
    }

    /// [`Runner::edited`] against history rows already read.
    fn edited_in(
        &self,
        history: &[HistoryEntry],
        current: &[RevId],
    ) -> Result<Vec<EditedFile>, RunError> {
        let applied = self.graph.applied(current)?;
        // The checksum of the last `up` (when the file ran) or `accept` (when its edits were
        // accepted, see `accept_edits`) row of each revision.
        let mut last_up: BTreeMap<&str, &str> = BTreeMap::new();
        for h in history {
            if h.direction == "up" || h.direction == ACCEPT_DIRECTION {
                last_up.insert(&h.revision, &h.checksum);
            }
        }
        let mut out = Vec::new();
        for id in &applied {
            let (Some(rev), Some(recorded)) = (self.graph.get(id), last_up.get(id.as_str())) else {
                continue;
            };
            if *recorded != rev.checksum {
                out.push(EditedFile {
                    revision: id.to_string(),
                    file: rev.file.clone(),
                    applied_checksum: recorded.to_string(),
                    current_checksum: rev.checksum.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Records the current checksum of applied revision files that changed since they were
    /// applied (after a review: a comment added, a statement reformatted), so that later runs
    /// stop refusing them; like Flyway's `repair`. Only `only`'s revisions when given (each
    /// must be an edited applied file). One `accept` history row per file, written in one
    /// transaction; no migration runs. Returns the files accepted (empty: nothing differed).
    ///
    /// # Errors
    /// [`RunError::NotEdited`] when a revision of `only` is not an edited applied file;
    /// database errors as for the other runner calls.
    pub fn accept_edits(
        &self,
        conn: &mut Connection,
        only: Option<&[RevId]>,
    ) -> Result<Vec<EditedFile>, RunError> {
        let t = &self.options.tables;
        let (files, _) = with_retry(conn, &self.options.retry, |conn| {
            let mut tx = conn
                .transaction_with(Behavior::Immediate)
                .map_err(db_fail("accepting edited revision files: BEGIN IMMEDIATE"))?;
            self.create_tables_in(&mut tx, "accepting edited revision files")?;
            let heads = read_heads(&mut tx, t)?;
            let history = self.history_rows(&mut tx)?;
            let mut files = self.edited_in(&history, &heads).map_err(Failure::Fatal)?;
            if let Some(only) = only {
                if let Some(missing) = only
                    .iter()
                    .find(|id| !files.iter().any(|f| f.revision == id.as_str()))
                {
                    return Err(Failure::Fatal(RunError::NotEdited {
                        revision: missing.to_string(),
                        edited: files
                            .iter()
                            .map(|f| f.revision.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }));
                }
                files.retain(|f| only.iter().any(|id| f.revision == id.as_str()));
            }
            for f in &files {
                let row = HistoryRow {
                    revision: &f.revision,
                    direction: ACCEPT_DIRECTION,
                    checksum: &f.current_checksum,
                    file: &f.file,
                    heads_before: &heads,
                    heads_after: &heads,
                    duration_ms: Some(0),
                };
                let (sql, values) = tables::insert_history(t, &row).bound();
                tx.execute(&sql, &refs(&values)).map_err(db_fail(
                    "accepting edited revision files: writing the history table",
                ))?;
            }
            tx.commit()
                .map_err(commit_fail("accepting edited revision files: COMMIT"))?;
            Ok(files)
        })?;
        Ok(files)
    }

    /// Upgrades to `target`.
    pub fn upgrade(&self, conn: &mut Connection, target: &Target) -> Result<RunReport, RunError> {
        self.upgrade_with(conn, target, &mut ())
    }

    /// Downgrades to `target`.
    pub fn downgrade(&self, conn: &mut Connection, target: &Target) -> Result<RunReport, RunError> {
        self.downgrade_with(conn, target, &mut ())
    }

    /// Upgrades to `target`, telling `observer` what happens as it happens.
    pub fn upgrade_with(
        &self,
        conn: &mut Connection,
        target: &Target,
        observer: &mut dyn RunObserver,
    ) -> Result<RunReport, RunError> {
        self.run(conn, target, Direction::Up, observer)
    }

    /// Downgrades to `target`, telling `observer` what happens as it happens.
    pub fn downgrade_with(
        &self,
        conn: &mut Connection,
        target: &Target,
        observer: &mut dyn RunObserver,
    ) -> Result<RunReport, RunError> {
        self.run(conn, target, Direction::Down, observer)
    }

    /// Plans against the version table and runs, re-planning when another migrator moved
    /// it (unless the target is relative to where the database is: then the conflict is
    /// returned). Checks edited files first unless `allow_edited`.
    fn run(
        &self,
        conn: &mut Connection,
        target: &Target,
        direction: Direction,
        observer: &mut dyn RunObserver,
    ) -> Result<RunReport, RunError> {
        // dqmig's tables are made by the first step's transaction (see `begin_sql`), not
        // here: a run that plans nothing or fails changes nothing.
        let mut report = RunReport::default();
        let replannable = !matches!(target, Target::Relative(_));
        let max_replans = self.graph.len() + 3;
        let mut replans = 0;
        let mut checked = self.options.allow_edited;
        loop {
            let current = self.current(conn)?;
            tracing::debug!(current = ?strings(&current), "planning");
            observer.planning(&current);
            if !checked {
                let history = self.history(conn)?;
                let files = self.edited_in(&history, &current)?;
                if !files.is_empty() {
                    return Err(RunError::Edited { files });
                }
                checked = true;
            }
            let steps = match direction {
                Direction::Up => self.graph.plan_upgrade(&current, target)?,
                Direction::Down => self.graph.plan_downgrade(&current, target)?,
            };
            tracing::info!(
                direction = direction_label(direction),
                from = ?strings(&current),
                target = %target,
                steps = steps.len(),
                "planned"
            );
            observer.planned(&steps);
            let Some(last) = steps.last() else {
                report.heads = strings(&current);
                return Ok(report);
            };
            let end = strings(&last.heads_after);
            match self.apply_observed(conn, &steps, &mut report, observer) {
                Ok(()) => {
                    report.heads = end;
                    return Ok(report);
                }
                Err(RunError::Conflict { found, .. }) if replannable && replans < max_replans => {
                    replans += 1;
                    tracing::info!(found = %found, replans, "another migrator moved the version table, planning again");
                    observer.replanning(&found);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Applies a fixed plan (per step, or in one transaction), recording into `report`.
    /// Stops at the first conflict.
    pub fn apply_steps(
        &self,
        conn: &mut Connection,
        steps: &[Step],
        report: &mut RunReport,
    ) -> Result<(), RunError> {
        self.apply_observed(conn, steps, report, &mut ())
    }

    /// [`Runner::apply_steps`], telling `observer` about each step and transaction.
    fn apply_observed(
        &self,
        conn: &mut Connection,
        steps: &[Step],
        report: &mut RunReport,
        observer: &mut dyn RunObserver,
    ) -> Result<(), RunError> {
        let record = |report: &mut RunReport, group: &[Step], outcome: StepOutcome| {
            let (ms, in_doubt) = match outcome {
                StepOutcome::Applied(ms) => (ms, None),
                StepOutcome::InDoubt { landed, durations } => {
                    (durations, Some(if landed { "landed" } else { "replayed" }))
                }
                StepOutcome::AlreadyApplied => {
                    report
                        .skipped
                        .extend(group.iter().map(|s| s.revision.to_string()));
                    return;
                }
            };
            for (s, d) in group.iter().zip(ms) {
                report.applied.push(AppliedStep {
                    revision: s.revision.to_string(),
                    direction: tables::direction_name(s.direction),
                    file: self
                        .graph
                        .get(&s.revision)
                        .map(|r| r.file.clone())
                        .unwrap_or_default(),
                    duration_ms: d,
                    commit_in_doubt: in_doubt,
                });
            }
        };
        let groups: Vec<&[Step]> = match self.options.transaction {
            TransactionMode::All => vec![steps],
            TransactionMode::PerStep => steps.chunks(1).collect(),
        };
        for group in groups {
            for s in group {
                tracing::debug!(
                    revision = %s.revision,
                    direction = tables::direction_name(s.direction),
                    "running step"
                );
                observer.step_started(s);
            }
            let outcome = self.apply_group(conn, group)?;
            log_outcome(group, &outcome);
            let skipped = outcome == StepOutcome::AlreadyApplied;
            record(report, group, outcome);
            if let Some(last) = group.last() {
                report.heads = strings(&last.heads_after);
            }
            observer.group_finished(group, skipped);
            observer.progress(report);
        }
        Ok(())
    }

    /// Sets the version table to what `target` names without running any migration (see
    /// [`Graph::stamp_heads`]); with `purge` the current rows are replaced whatever they
    /// hold. Records a `stamp` history row.
    pub fn stamp(
        &self,
        conn: &mut Connection,
        target: &Target,
        purge: bool,
    ) -> Result<StampReport, RunError> {
        let t = &self.options.tables;
        let (report, _) = with_retry(conn, &self.options.retry, |conn| {
            let mut tx = conn
                .transaction_with(Behavior::Immediate)
                .map_err(db_fail("stamp: BEGIN IMMEDIATE"))?;
            self.create_tables_in(&mut tx, "stamp")?;
            let before = if purge {
                // Rows may name revisions no file defines: read them as plain text.
                let rows = tx
                    .query(&tables::select_heads(t), &[])
                    .map_err(db_fail("stamp: reading the version table"))?;
                rows.iter()
                    .filter_map(|r| r.get::<String>(0).ok())
                    .filter_map(|s| RevId::parse(&s).ok())
                    .collect()
            } else {
                read_heads(&mut tx, t)?
            };
            let after = self
                .graph
                .stamp_heads(&before, target, purge)
                .map_err(|e| Failure::Fatal(e.into()))?;
            let writes = if purge {
                let mut w = vec![tables::purge_versions(t)];
                w.extend(tables::version_writes(t, &[], &after));
                w
            } else {
                tables::version_writes(t, &before, &after)
            };
            for w in &writes {
                let (sql, values) = w.bound();
                let r = tx
                    .execute(&sql, &refs(&values))
                    .map_err(db_fail("stamp: writing the version table"))?;
                if let Some(expected) = w.expect_rows.filter(|e| *e != r.rows_affected) {
                    return Err(Failure::Fatal(RunError::VersionCas {
                        revision: shown(&after),
                        direction: "stamp",
                        sql: w.literal(),
                        expected,
                        changed: r.rows_affected,
                    }));
                }
            }
            let label = target.to_string();
            let row = HistoryRow {
                revision: &label,
                direction: "stamp",
                checksum: "",
                file: "",
                heads_before: &before,
                heads_after: &after,
                duration_ms: Some(0),
            };
            let (sql, values) = tables::insert_history(t, &row).bound();
            tx.execute(&sql, &refs(&values))
                .map_err(db_fail("stamp: writing the history table"))?;
            tx.commit().map_err(commit_fail("stamp: COMMIT"))?;
            Ok(StampReport {
                before: strings(&before),
                after: strings(&after),
            })
        })?;
        Ok(report)
    }
}
