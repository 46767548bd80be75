//! Applying steps in Raft-committed transactions (BEGIN, the step, the version
//! compare-and-swap, the history row, COMMIT), replay-safe.
//!
//! One attempt at a group of steps (one step, or every step with `--transaction all`):
//! `PRAGMA foreign_keys=OFF` when a step rebuilds a table, `BEGIN IMMEDIATE`, the first
//! version-table write guarded to change a row only if the table holds exactly the heads
//! before; when it changes none the table is read: if it already holds the heads after the
//! group, the group landed earlier (a replay after a lost connection or an unknown commit
//! outcome): nothing is done; if it holds anything but the heads before, another migrator
//! moved it: [`RunError::Conflict`]. Then each step's statements (one request), the rest
//! of its compare-and-swap, its history row, `PRAGMA foreign_key_check` when foreign keys
//! are off, COMMIT (sent with the last history row), and foreign keys back ON (in `Drop`,
//! so also on errors). The first step's statements travel with BEGIN (they run before the
//! check and are rolled back when it fails; if they fail, the attempt is re-run reading the
//! version table first, one statement per request), so a plain step is three requests. A
//! section with a statement that may return rows (`Statement::returns_rows`) always goes
//! one statement per request, those statements through `Connection::run` with their rows
//! discarded: the batch request (ExecSQL) refuses statements that return rows.
//!
//! Each step's statements run between `SAVEPOINT "dqmig_step"` and `RELEASE "dqmig_step"`
//! (in the same request), and nothing is written to dqmig's tables before that RELEASE
//! succeeded: statements that ended the transaction (revision files may not contain
//! transaction control, but a conflict clause or trigger can still roll back) make it fail,
//! so such a step is never recorded. When statements fail, `ROLLBACK TO` the savepoint tells
//! whether dqmig's transaction is still open: only then is the step reported rolled back;
//! otherwise [`RunError::TransactionEnded`] says the outcome is not known.
//!
//! Around attempts, as the client's [`client::Error::retry_kind`] says: busy (code 5) is
//! retried with backoff; a lost leader, a broken socket before COMMIT or a COMMIT refused by
//! raft reconnects (`Connection::reconnect`) and replays; an unknown commit outcome (10506,
//! or the socket breaking while COMMIT was in flight) reconnects and lets the next attempt's
//! read of the version table decide whether it landed (the runner's only addition to the
//! client's rule). All within [`RetryPolicy`], pausing by its [`Backoff`]. Calling [`Runner::apply_step`] again on a fresh
//! connection is therefore always safe: a step is never applied twice.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::tables::{self, HistoryRow, Sql};
use super::{FkViolation, RunError, Runner};
use crate::client::{self, Backoff, Connection, Phase, RetryKind, ToValue, Value};
use crate::script::{Direction, RevId, Revision, Section, Statement, Step};

/// How often and how patiently a step is retried after busy or leader-loss errors.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per step (or per group) before giving up (default 8). Reconnects after a
    /// lost leader also stop once the time without one passes the connection's
    /// `ConnectOptions::leader_timeout` (`--timeout`).
    pub max_attempts: u32,
    /// First pause between attempts (default 20 ms), doubling up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest pause (default 1 s).
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The pauses between attempts: `initial_backoff` doubling to `max_backoff`, jittered;
    /// bounded by `max_attempts` rather than by a deadline.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.initial_backoff, self.max_backoff).with_deadline(None)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_secs(1),
        }
    }
}

/// What one call did with a step (or group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Applied by this call; milliseconds per step, in order.
    Applied(Vec<u64>),
    /// The version table already held the heads after it: another migrator applied it.
    /// Nothing was done.
    AlreadyApplied,
    /// This call's COMMIT had an unknown outcome (the leader was lost while committing);
    /// the new leader's version table told what happened: `landed` (it had committed after
    /// all; `durations` are then 0) or not (the step was run again and committed once).
    InDoubt { landed: bool, durations: Vec<u64> },
}

/// Why an attempt failed.
pub(crate) enum Failure {
    /// Give up now.
    Fatal(RunError),
    /// Try again: the transaction is gone. `reconnect` when the connection is unusable or
    /// the leader moved; `unknown` when the COMMIT's outcome is unknown.
    Retry {
        source: Box<client::Error>,
        reconnect: bool,
        unknown: bool,
        action: String,
    },
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Failure {
        Failure::Fatal(e)
    }
}

/// Sorts a client error by the client's [`client::Error::retry_kind`]: busy is retried on
/// the same connection; a lost leader, a broken connection or a refused COMMIT reconnect and
/// replay; an unknown commit outcome reconnects too, and the replay's read of the version
/// table (in every attempt) decides whether the step landed. The rest is fatal through
/// `fatal`. `phase`: whether the failed request carried COMMIT.
pub(crate) fn classify(
    e: client::Error,
    action: &str,
    phase: Phase,
    fatal: impl FnOnce(client::Error) -> RunError,
) -> Failure {
    // A failed request that carried COMMIT leaves the step in doubt whatever the error
    // says: libdqlite 1.11.1 can report a COMMIT as refused or not-leader while the old
    // leader had already replicated the entry and the new one commits it. The version table
    // decides; `unknown` only says the step's COMMIT was this run's, if it turns out applied.
    let in_doubt = phase == Phase::Commit;
    let (reconnect, unknown) = match e.retry_kind(phase) {
        RetryKind::InPlace => (false, in_doubt),
        RetryKind::Reconnect => (true, in_doubt),
        RetryKind::OutcomeUnknown => (true, true),
        RetryKind::Fatal => return Failure::Fatal(fatal(e)),
    };
    Failure::Retry {
        source: Box::new(e),
        reconnect,
        unknown,
        action: action.to_string(),
    }
}

/// [`classify`] for a request that could not commit, fatal errors as [`RunError::Db`].
pub(crate) fn db_fail(action: &str) -> impl Fn(client::Error) -> Failure + '_ {
    fail_at(action, Phase::BeforeCommit)
}

/// [`classify`] for a request that carried COMMIT, fatal errors as [`RunError::Db`].
pub(crate) fn commit_fail(action: &str) -> impl Fn(client::Error) -> Failure + '_ {
    fail_at(action, Phase::Commit)
}

fn fail_at(action: &str, phase: Phase) -> impl Fn(client::Error) -> Failure + '_ {
    move |e| {
        classify(e, action, phase, |source| RunError::Db {
            action: action.to_string(),
            source: Box::new(source),
        })
    }
}

/// Runs `attempt` under `policy`: pauses with doubling backoff, reconnects when told to
/// (all reconnects of one call together within the connection's leader timeout).
/// Returns the result and whether an earlier attempt ended with an unknown commit outcome.
pub(crate) fn with_retry<T>(
    conn: &mut Connection,
    policy: &RetryPolicy,
    mut attempt: impl FnMut(&mut Connection) -> Result<T, Failure>,
) -> Result<(T, bool), RunError> {
    let mut backoff = policy.backoff();
    let mut unknown_before = false;
    let mut tries = 0;
    // When this call began looking for a leader without finding one (reset on success).
    let mut leaderless_since: Option<Instant> = None;
    loop {
        tries += 1;
        let (source, reconnect, unknown, action) = match attempt(conn) {
            Ok(v) => return Ok((v, unknown_before)),
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry {
                source,
                reconnect,
                unknown,
                action,
            }) => (source, reconnect, unknown, action),
        };
        unknown_before |= unknown;
        if tries >= policy.max_attempts.max(1) {
            return Err(RunError::GaveUp {
                action,
                attempts: tries,
                source,
            });
        }
        // No deadline: `max_attempts` bounds the loop.
        let pause = backoff.next_delay().unwrap_or(policy.max_backoff);
        tracing::info!(
            %action,
            reason = %source,
            attempt = tries,
            delay_ms = pause.as_millis() as u64,
            reconnect = reconnect || conn.is_broken(),
            outcome_unknown = unknown,
            "retrying"
        );
        std::thread::sleep(pause);
        if reconnect || conn.is_broken() {
            // A failed reconnect counts as an attempt; the next one tries again, as long as
            // the time spent without a leader stays within the connection's leader timeout
            // (one search's worth, not one per attempt: a node that stopped answering is
            // given up after it, not after every attempt's own search).
            let since = *leaderless_since.get_or_insert_with(Instant::now);
            match conn.reconnect() {
                Ok(()) => leaderless_since = None,
                Err(e) => {
                    let limit = conn.options().leader_timeout;
                    if tries + 1 >= policy.max_attempts.max(1) || since.elapsed() >= limit {
                        return Err(RunError::GaveUp {
                            action: format!(
                                "{action}, then reconnecting to the leader ({} s without one; the limit is the leader timeout, {} s)",
                                since.elapsed().as_secs(),
                                limit.as_secs()
                            ),
                            attempts: tries + 1,
                            source: Box::new(e),
                        });
                    }
                    tries += 1;
                }
            }
        }
    }
}

/// Turns foreign keys off on a connection and back on when dropped (if it still works; a
/// replacement connection starts with them on anyway).
struct FkOff<'c> {
    conn: &'c mut Connection,
    off: bool,
}

impl<'c> FkOff<'c> {
    fn new(conn: &'c mut Connection, off: bool) -> Result<FkOff<'c>, Failure> {
        if off {
            conn.execute_batch("PRAGMA foreign_keys=OFF")
                .map_err(db_fail("turning foreign keys off for a table rebuild"))?;
        }
        Ok(FkOff { conn, off })
    }
}

impl Deref for FkOff<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for FkOff<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Drop for FkOff<'_> {
    fn drop(&mut self) {
        if self.off && !self.conn.is_broken() {
            let _ = self.conn.execute_batch("PRAGMA foreign_keys=ON");
        }
    }
}

/// An open `BEGIN IMMEDIATE` transaction of one attempt, rolled back when dropped unless
/// it was committed (or its COMMIT's outcome is unknown: then nothing is sent, the retry
/// reconnects and reads the version table to learn whether it landed).
struct OpenTx<'c> {
    conn: &'c mut Connection,
    open: bool,
}

impl<'c> OpenTx<'c> {
    /// `begin` is [`Runner::begin_sql`]'s text.
    fn begin(conn: &'c mut Connection, begin: &str, action: &str) -> Result<OpenTx<'c>, Failure> {
        conn.execute_batch(begin).map_err(db_fail(action))?;
        Ok(OpenTx { conn, open: true })
    }

    /// `BEGIN IMMEDIATE;` followed by `sql` (a step's [`step_text`]) in one request. On
    /// failure any transaction the request opened is rolled back; the error is sorted by
    /// [`statements_failed`].
    fn begin_with(
        conn: &'c mut Connection,
        sql: &str,
        action: &str,
        at: &At<'_>,
    ) -> Result<OpenTx<'c>, Failure> {
        match conn.execute_batch(sql) {
            Ok(_) => Ok(OpenTx { conn, open: true }),
            Err(e) => {
                let failure = statements_failed(conn, e, action, at);
                conn.abandon_transaction();
                Err(failure)
            }
        }
    }

    /// Sends statements of a step (see [`statements_failed`] for errors).
    fn statements(&mut self, sql: &str, action: &str, at: &At<'_>) -> Result<(), Failure> {
        match self.conn.execute_batch(sql) {
            Ok(_) => Ok(()),
            Err(e) => Err(statements_failed(self.conn, e, action, at)),
        }
    }

    /// Sends one statement that may return rows (ExecSQL refuses those): as a query or an
    /// exec, as the server says; the rows are discarded. Errors as [`OpenTx::statements`].
    fn rows(&mut self, sql: &str, action: &str, at: &At<'_>) -> Result<(), Failure> {
        match self.conn.run(sql, &[]) {
            Ok(_) => Ok(()),
            Err(e) => Err(statements_failed(self.conn, e, action, at)),
        }
    }

    /// Runs `sql` (whose last statement is COMMIT) with `values` bound to its first
    /// statement, and returns how many rows that first statement changed (COMMIT does not
    /// change `changes()`). The transaction is over once this returns Ok.
    fn finish(&mut self, sql: &str, values: &[Value], action: &str) -> Result<u64, Failure> {
        match self.conn.execute_batch_with(sql, &refs(values)) {
            Ok(r) => {
                self.open = false;
                Ok(r.rows_affected)
            }
            Err(e) => {
                if e.retry_kind(Phase::Commit) == RetryKind::OutcomeUnknown
                    || !e.connection_usable()
                {
                    self.open = false;
                    self.conn.abandon_transaction();
                }
                Err(commit_fail(action)(e))
            }
        }
    }
}

impl Deref for OpenTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for OpenTx<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Drop for OpenTx<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        self.conn.abandon_transaction();
    }
}

/// The savepoint around each step's own statements. dqmig writes a step's version and
/// history rows only after `RELEASE` of it succeeded, which it can only inside the
/// transaction the statements ran in: statements that ended that transaction (and maybe
/// committed part of the step) can never be recorded as the step.
const SAVEPOINT: &str = "SAVEPOINT \"dqmig_step\";";
const RELEASE: &str = "RELEASE \"dqmig_step\";";
const ROLLBACK_TO: &str = "ROLLBACK TO \"dqmig_step\"";

/// A step's statements as one request: `SAVEPOINT`, the statements, `RELEASE`. Every
/// statement but a section's last ends with `;` (that is where the file was split), so
/// newlines keep them apart; the last gets a `;` on a line of its own when it has none (it
/// may end in a comment).
fn step_text(statements: &[Statement]) -> String {
    let mut text = String::from(SAVEPOINT);
    for s in statements {
        text.push('\n');
        text.push_str(&s.sql);
    }
    if statements.last().is_some_and(|s| !s.terminated) {
        text.push_str("\n;");
    }
    text.push('\n');
    text.push_str(RELEASE);
    text
}

/// A step's statements in their file, for errors about them.
#[derive(Clone, Copy)]
struct At<'a> {
    revision: &'a str,
    direction: &'static str,
    file: &'a str,
    /// The failing statement's line, or the first statement's.
    line: usize,
}

impl<'a> At<'a> {
    fn new(step: &'a Step, rev: &'a Revision) -> At<'a> {
        let section = Runner::section(rev, step);
        At {
            revision: step.revision.as_str(),
            direction: tables::direction_name(step.direction),
            file: &rev.file,
            line: section
                .statements
                .first()
                .map(|s| s.line)
                .unwrap_or(section.line),
        }
    }

    fn failed(&self, source: client::Error) -> RunError {
        RunError::Statement {
            revision: self.revision.to_string(),
            direction: self.direction,
            file: self.file.to_string(),
            line: self.line,
            source: Box::new(source),
        }
    }

    fn ended(&self, source: client::Error) -> RunError {
        RunError::TransactionEnded {
            revision: self.revision.to_string(),
            direction: self.direction,
            file: self.file.to_string(),
            line: self.line,
            source: Box::new(source),
        }
    }
}

/// Sorts the error `e` of a request carrying a step's statements. Retryable errors stay
/// retryable. Otherwise `ROLLBACK TO` the step's savepoint asks whether dqmig's transaction
/// is still open: if it is, the statements are undone (the whole transaction is rolled back
/// next) and the step failed ([`RunError::Statement`]); if not, the statements ended it, and
/// what they did is not known to be rolled back ([`RunError::TransactionEnded`]).
fn statements_failed(
    conn: &mut Connection,
    e: client::Error,
    action: &str,
    at: &At<'_>,
) -> Failure {
    let failure = classify(e, action, Phase::BeforeCommit, |source| at.failed(source));
    let Failure::Fatal(RunError::Statement { source, .. }) = failure else {
        return failure;
    };
    match conn.execute_batch(ROLLBACK_TO) {
        Ok(_) => Failure::Fatal(at.failed(*source)),
        Err(probe)
            if matches!(
                probe.retry_kind(Phase::BeforeCommit),
                RetryKind::InPlace | RetryKind::Fatal
            ) =>
        {
            Failure::Fatal(at.ended(*source))
        }
        // The connection is gone, and with it the transaction (the node rolls it back).
        Err(probe) => classify(
            probe,
            &format!("{action}, then {ROLLBACK_TO}"),
            Phase::BeforeCommit,
            |probe| at.ended(probe),
        ),
    }
}

/// Binds `Value`s to the client's parameter slice.
pub(crate) fn refs(values: &[Value]) -> Vec<&dyn ToValue> {
    values.iter().map(|v| v as &dyn ToValue).collect()
}

/// Reads the version table (it must exist).
pub(crate) fn read_heads(
    conn: &mut Connection,
    t: &tables::TableNames,
) -> Result<Vec<RevId>, Failure> {
    let action = format!("reading the version table {}", t.version);
    let rows = conn
        .query(&tables::select_heads(t), &[])
        .map_err(db_fail(&action))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        let value: String = row.get(0).map_err(|source| {
            Failure::Fatal(RunError::Db {
                action: action.clone(),
                source: Box::new(source),
            })
        })?;
        let id = RevId::parse(&value).map_err(|_| {
            Failure::Fatal(RunError::BadVersionRow {
                table: t.version.clone(),
                value: value.clone(),
            })
        })?;
        out.push(id);
    }
    Ok(out)
}

/// Runs one built statement, checking how many rows it changed.
pub(crate) fn exec_checked(
    conn: &mut Connection,
    sql: &Sql,
    revision: &str,
    direction: &'static str,
) -> Result<(), Failure> {
    let (text, values) = sql.bound();
    let action = format!("{direction} revision {revision}: {}", sql.literal());
    let r = conn
        .execute(&text, &refs(&values))
        .map_err(db_fail(&action))?;
    if let Some(expected) = sql.expect_rows {
        if r.rows_affected != expected {
            return Err(Failure::Fatal(RunError::VersionCas {
                revision: revision.to_string(),
                direction,
                sql: sql.literal(),
                expected,
                changed: r.rows_affected,
            }));
        }
    }
    Ok(())
}

pub(crate) fn shown(heads: &[RevId]) -> String {
    if heads.is_empty() {
        "base (no revision)".to_string()
    } else {
        heads
            .iter()
            .map(|h| h.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Runner<'_> {
    fn revision(&self, step: &Step) -> Result<&Revision, RunError> {
        self.graph
            .get(&step.revision)
            .ok_or_else(|| RunError::UnknownRevision {
                revision: step.revision.to_string(),
            })
    }

    fn section<'r>(rev: &'r Revision, step: &Step) -> &'r Section {
        match step.direction {
            Direction::Up => &rev.up,
            Direction::Down => &rev.down,
        }
    }

    /// Applies one step in its own transaction, replay-safe (see the module docs): if the
    /// version table already shows the step's result, nothing is done
    /// ([`StepOutcome::AlreadyApplied`]); if it shows anything but the step's starting
    /// heads, [`RunError::Conflict`]. Call it again after any error to resume.
    pub fn apply_step(&self, conn: &mut Connection, step: &Step) -> Result<StepOutcome, RunError> {
        self.apply_group(conn, std::slice::from_ref(step))
    }

    /// Applies `steps` (consecutive: each starts at the heads the previous ends at) in ONE
    /// transaction, replay-safe like [`Runner::apply_step`].
    pub fn apply_group(
        &self,
        conn: &mut Connection,
        steps: &[Step],
    ) -> Result<StepOutcome, RunError> {
        if steps.is_empty() {
            return Ok(StepOutcome::Applied(Vec::new()));
        }
        for s in steps {
            self.revision(s)?;
        }
        // Each step's statements go to the server as one request, the first step's together
        // with BEGIN IMMEDIATE (before the version check). When they fail, the attempt was
        // rolled back; it runs again checking the version table first and sending one
        // statement per request, so a replay or another migrator's move is told apart from
        // a real failure, and the error names the statement's line (a failure that does not
        // repeat simply applies).
        // Whether any attempt (of either pass) ended with this group's COMMIT in doubt: a
        // replay of a batch that had landed fails on its statements before the version
        // check, and the second pass must still know the COMMIT was this run's.
        let in_doubt = std::cell::Cell::new(false);
        let run = |conn: &mut Connection, batch: bool| {
            with_retry(conn, &self.options.retry, |conn| {
                let r = self.attempt(conn, steps, batch);
                if matches!(r, Err(Failure::Retry { unknown: true, .. })) {
                    in_doubt.set(true);
                }
                r
            })
        };
        let (outcome, _) = match run(conn, true) {
            Err(RunError::Statement { .. }) => run(conn, false)?,
            other => other?,
        };
        let unknown_before = in_doubt.get();
        Ok(match outcome {
            // Our own earlier COMMIT landed after all.
            StepOutcome::AlreadyApplied if unknown_before => StepOutcome::InDoubt {
                landed: true,
                durations: vec![0; steps.len()],
            },
            // It had not landed: this run applied it on a later attempt.
            StepOutcome::Applied(durations) if unknown_before => StepOutcome::InDoubt {
                landed: false,
                durations,
            },
            other => other,
        })
    }

    /// Where the version table's `heads` put the group `first..=last`: already applied (a
    /// replay), moved elsewhere by another migrator (an error), or at its start (`None`).
    fn check_heads(
        heads: &[RevId],
        first: &Step,
        last: &Step,
    ) -> Result<Option<StepOutcome>, Failure> {
        if heads == last.heads_after.as_slice() && heads != first.heads_before.as_slice() {
            return Ok(Some(StepOutcome::AlreadyApplied));
        }
        if heads != first.heads_before.as_slice() {
            return Err(Failure::Fatal(RunError::Conflict {
                revision: first.revision.to_string(),
                direction: tables::direction_name(first.direction),
                expected: shown(&first.heads_before),
                found: shown(heads),
            }));
        }
        Ok(None)
    }

    /// A step's statements one request each (so a failure names its line), between
    /// `SAVEPOINT` and `RELEASE` like [`step_text`]. A statement that may return rows goes
    /// through [`OpenTx::rows`]: that is why a section holding one always runs here.
    fn one_by_one(
        tx: &mut OpenTx<'_>,
        statements: &[Statement],
        at: &At<'_>,
    ) -> Result<(), Failure> {
        let action = format!("{} revision {}: {SAVEPOINT}", at.direction, at.revision);
        tx.execute_batch(SAVEPOINT).map_err(db_fail(&action))?;
        for stmt in statements {
            let action = format!(
                "{} revision {} ({}:{})",
                at.direction, at.revision, at.file, stmt.line
            );
            let at = At {
                line: stmt.line,
                ..*at
            };
            if stmt.returns_rows {
                tx.rows(&stmt.sql, &action, &at)?;
            } else {
                tx.statements(&stmt.sql, &action, &at)?;
            }
        }
        let action = format!("{} revision {}: {RELEASE}", at.direction, at.revision);
        tx.statements(RELEASE, &action, at)
    }

    /// One attempt at `steps` in one transaction: BEGIN IMMEDIATE (with `batch`, together
    /// with the first step's statements; without, followed by a read of the version table
    /// and then the statements), the guarded first version write (the version table is read
    /// only when it changes no row), each step's statements (one request per step with
    /// `batch`, else one per statement; always inside the step's savepoint, released before
    /// any version write), the rest of its compare-and-swap and its
    /// history row, then COMMIT — sent together with the last
    /// history row unless foreign keys are off (`PRAGMA foreign_key_check` first).
    /// `BEGIN IMMEDIATE`, after the page-cache limit of the options (same request): the
    /// limit is per connection, and a replay may run on a new one.
    ///
    /// The version and history tables are created (if missing) inside that transaction, so
    /// a first step that fails leaves the database as it was, without dqmig's tables.
    fn begin_sql(&self) -> String {
        let mut text = match self.options.cache_size_kib {
            0 => "BEGIN IMMEDIATE".to_string(),
            kib => format!("{};\nBEGIN IMMEDIATE", client::cache_size_pragma(kib)),
        };
        for ddl in tables::create_tables(&self.options.tables) {
            text.push_str(";\n");
            text.push_str(&ddl);
        }
        text
    }

    fn attempt(
        &self,
        conn: &mut Connection,
        steps: &[Step],
        batch: bool,
    ) -> Result<StepOutcome, Failure> {
        let t = &self.options.tables;
        let first = &steps[0];
        let last = &steps[steps.len() - 1];
        let dir = tables::direction_name(first.direction);
        let mut revs = Vec::with_capacity(steps.len());
        for s in steps {
            revs.push(self.revision(s)?);
        }
        let fk_off = steps
            .iter()
            .zip(&revs)
            .any(|(s, r)| Self::section(r, s).needs_fk_off());
        // A step's duration runs from before its transaction's BEGIN (the first step's
        // statements travel with it) or the end of the previous step of the group, to when
        // its history row is written: that row is part of the transaction, so it cannot hold
        // the COMMIT's own round trip.
        let mut started = Instant::now();
        let mut guard = FkOff::new(conn, fk_off)?;
        let first_at = At::new(first, revs[0]);
        // dqlite runs a batch with ExecSQL, which refuses statements that return rows: a
        // section holding one goes one statement per request (and, for the first step, after
        // the read of the version table, as without `batch`).
        let batched = |section: &Section| batch && !section.returns_rows();
        let mut tx = if batched(Self::section(revs[0], first)) {
            let action = format!(
                "{dir} revision {}: BEGIN IMMEDIATE and the statements of {} from line {}",
                first.revision, first_at.file, first_at.line
            );
            let text = format!(
                "{};\n{}",
                self.begin_sql(),
                step_text(&Self::section(revs[0], first).statements)
            );
            OpenTx::begin_with(&mut guard, &text, &action, &first_at)?
        } else {
            let begin = format!("{dir} revision {}: BEGIN IMMEDIATE", first.revision);
            let mut tx = OpenTx::begin(&mut guard, &self.begin_sql(), &begin)?;
            // Where the database is, before the statements: a statement that fails because
            // the step already ran (a replay) or another migrator moved on is not the step's
            // failure.
            let heads = read_heads(&mut tx, t)?;
            if let Some(outcome) = Self::check_heads(&heads, first, last)? {
                return Ok(outcome);
            }
            Self::one_by_one(
                &mut tx,
                &Self::section(revs[0], first).statements,
                &first_at,
            )?;
            tx
        };
        // The first version write also checks that the table holds exactly the heads the
        // group starts from: under the write lock that is the compare-and-swap and the read
        // of where the database is in one request. Only when it changes no row is the table
        // read, to tell a replay (already applied) from another migrator's move.
        let mut first_writes =
            tables::guarded_version_writes(t, &first.heads_before, &first.heads_after).into_iter();
        let guarded = first_writes.next();
        let changed = match &guarded {
            Some(w) => {
                let (text, values) = w.bound();
                let action = format!("{dir} revision {}: {}", first.revision, w.literal());
                tx.execute(&text, &refs(&values))
                    .map_err(db_fail(&action))?
                    .rows_affected
            }
            None => 0,
        };
        if changed != 1 {
            let heads = read_heads(&mut tx, t)?;
            if let Some(outcome) = Self::check_heads(&heads, first, last)? {
                return Ok(outcome);
            }
            if let Some(w) = &guarded {
                return Err(Failure::Fatal(RunError::VersionCas {
                    revision: first.revision.to_string(),
                    direction: dir,
                    sql: w.literal(),
                    expected: 1,
                    changed,
                }));
            }
        }
        let mut durations = Vec::with_capacity(steps.len());
        let mut last_history = None;
        for (step, rev) in steps.iter().zip(&revs) {
            let d = tables::direction_name(step.direction);
            if !std::ptr::eq(step, first) {
                let statements = &Self::section(rev, step).statements;
                let at = At::new(step, rev);
                if batched(Self::section(rev, step)) {
                    let action = format!(
                        "{d} revision {} ({}:{} and on)",
                        step.revision, rev.file, at.line
                    );
                    tx.statements(&step_text(statements), &action, &at)?;
                } else {
                    Self::one_by_one(&mut tx, statements, &at)?;
                }
            }
            let writes: Vec<_> = if std::ptr::eq(step, first) {
                first_writes.by_ref().collect()
            } else {
                tables::version_writes(t, &step.heads_before, &step.heads_after)
            };
            for w in writes {
                exec_checked(&mut tx, &w, step.revision.as_str(), d)?;
            }
            let ms = started.elapsed().as_millis() as u64;
            started = Instant::now();
            let row = HistoryRow {
                revision: step.revision.as_str(),
                direction: d,
                checksum: &rev.checksum,
                file: &rev.file,
                heads_before: &step.heads_before,
                heads_after: &step.heads_after,
                duration_ms: Some(ms as i64),
            };
            let history = tables::insert_history(t, &row);
            durations.push(ms);
            if std::ptr::eq(step, last) && !fk_off {
                last_history = Some(history);
            } else {
                exec_checked(&mut tx, &history, step.revision.as_str(), d)?;
            }
        }
        if fk_off {
            let action = format!(
                "{dir} revision {}: PRAGMA foreign_key_check",
                first.revision
            );
            let rows = tx
                .query("PRAGMA foreign_key_check", &[])
                .map_err(db_fail(&action))?;
            if !rows.is_empty() {
                let violations = rows
                    .iter()
                    .map(|r| FkViolation {
                        table: r.get::<String>(0).unwrap_or_default(),
                        rowid: r.get::<Option<i64>>(1).unwrap_or(None),
                        parent: r.get::<String>(2).unwrap_or_default(),
                    })
                    .collect();
                let rev = revs
                    .iter()
                    .zip(steps)
                    .find(|(r, s)| Self::section(r, s).needs_fk_off())
                    .map(|(r, _)| *r)
                    .unwrap_or(revs[0]);
                return Err(Failure::Fatal(RunError::ForeignKeys {
                    revision: rev.id().to_string(),
                    direction: dir,
                    file: rev.file.clone(),
                    violations,
                }));
            }
        }
        match last_history {
            Some(history) => {
                let (text, values) = history.bound();
                let action = format!(
                    "{dir} revision {}: writing the history row and COMMIT",
                    last.revision
                );
                let changed = tx.finish(&format!("{text}; COMMIT"), &values, &action)?;
                if Some(changed) != history.expect_rows {
                    // Not reachable for a plain INSERT; kept so the check is never skipped.
                    return Err(Failure::Fatal(RunError::VersionCas {
                        revision: last.revision.to_string(),
                        direction: dir,
                        sql: history.literal(),
                        expected: history.expect_rows.unwrap_or(1),
                        changed,
                    }));
                }
            }
            None => {
                let commit = format!("{dir} revision {}: COMMIT", last.revision);
                tx.finish("COMMIT", &[], &commit)?;
            }
        }
        Ok(StepOutcome::Applied(durations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error the client makes of a Failure reply with `code`.
    fn server(code: u64, message: &str) -> client::Error {
        client::Error::from_failure(
            code,
            message.to_string(),
            Some("COMMIT"),
            "committing".to_string(),
            "127.0.0.1:9001",
        )
    }

    const B: Phase = Phase::BeforeCommit;
    const C: Phase = Phase::Commit;

    fn fatal(e: client::Error) -> RunError {
        RunError::Db {
            action: "test".to_string(),
            source: Box::new(e),
        }
    }

    #[test]
    fn a_refused_commit_is_replayed_on_a_new_connection_and_left_in_doubt() {
        // libdqlite 1.11.1 answers a COMMIT refused by raft during a transfer with code 7;
        // around a leader kill such a COMMIT can still land on the new leader, so the step is
        // in doubt until the version table says (a request without COMMIT never is).
        let f = classify(
            server(7, "no more rows available"),
            "committing",
            Phase::Commit,
            fatal,
        );
        assert!(matches!(
            f,
            Failure::Retry {
                reconnect: true,
                unknown: true,
                ..
            }
        ));
        let f = classify(
            server(10250, "not leader"),
            "statements",
            Phase::BeforeCommit,
            fatal,
        );
        assert!(matches!(
            f,
            Failure::Retry {
                reconnect: true,
                unknown: false,
                ..
            }
        ));
    }

    #[test]
    fn busy_is_retried_in_place_and_sql_errors_are_fatal() {
        let busy = classify(server(5, "database is locked"), "stepping", B, fatal);
        assert!(matches!(
            busy,
            Failure::Retry {
                reconnect: false,
                ..
            }
        ));
        let syntax = classify(
            server(1, "near \"SELEC\": syntax error"),
            "stepping",
            B,
            fatal,
        );
        assert!(matches!(syntax, Failure::Fatal(_)));
        let unique = classify(
            server(2067, "UNIQUE constraint failed: t.k"),
            "stepping",
            B,
            fatal,
        );
        assert!(matches!(unique, Failure::Fatal(_)));
    }

    #[test]
    fn a_lost_leader_and_an_unknown_outcome_reconnect() {
        let lost = classify(server(10250, "not leader"), "stepping", B, fatal);
        assert!(matches!(
            lost,
            Failure::Retry {
                reconnect: true,
                unknown: false,
                ..
            }
        ));
        let unknown = classify(server(10506, "disk I/O error"), "committing", C, fatal);
        assert!(matches!(
            unknown,
            Failure::Retry {
                reconnect: true,
                unknown: true,
                ..
            }
        ));
    }

    #[test]
    fn a_socket_broken_during_commit_is_an_unknown_outcome_and_before_it_a_replay() {
        let broken = || client::Error::Io {
            action: "reading a reply from".to_string(),
            address: "127.0.0.1:9001".to_string(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        };
        let at_commit = classify(broken(), "committing", C, fatal);
        assert!(matches!(
            at_commit,
            Failure::Retry {
                reconnect: true,
                unknown: true,
                ..
            }
        ));
        let before = classify(broken(), "stepping", B, fatal);
        assert!(matches!(
            before,
            Failure::Retry {
                reconnect: true,
                unknown: false,
                ..
            }
        ));
        // Raw code 7 means a refused raft entry only for a request that could commit.
        let seven = classify(server(7, "out of memory"), "stepping", B, fatal);
        assert!(matches!(seven, Failure::Fatal(_)));
    }
}
