//! `Connection`: one blocking client connection to a dqlite leader with one open database.
//! Owns opening (leader discovery, Client, Open), the statement calls with the guard rails
//! that keep a 1.11.1 node alive (no RETURNING, at most 255 parameters, no stale statement ids), busy retries outside transactions,
//! transaction-state tracking and the statement cache. Raw requests are in `raw`, the
//! streaming iterator in `iter`.
//!
//! Logging (`tracing`, target `dqmig_client::conn`): each Exec/Query request is a DEBUG
//! event "statement" with `sql`, `params`, `prepared`, `elapsed_ms`, `address` and `ok`,
//! built only when a subscriber wants it (no clock read, no formatting otherwise); busy
//! retries are DEBUG "busy, retrying"; a reconnect is INFO "leader changed" (with
//! `old_address` and `new_address`) or DEBUG "reconnected" to the same address.

use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::error::{sql_action, Error, Phase, Result, RetryKind};
use super::iter::RowIter;
use super::leader;
use super::options::ConnectOptions;
use super::proto::{self, Request, Response, ResponseHint, RowsBatch};
use super::rows::{Row, Rows};
use super::scan::{self, SqlInfo};
use super::stmt::{new_generation, Cache, Registry, Statement};
use super::transport::Transport;
use super::value::{ToValue, Value};

/// First pause after "database is locked". The lock is held for one Raft commit (a few
/// tenths of a millisecond on one machine), so waiting longer only leaves it idle.
const BUSY_FIRST_DELAY: Duration = Duration::from_micros(100);
/// Longest pause between busy retries: short enough that a freed lock is taken within
/// a few commits' time, long enough that waiting writers do not flood the leader.
const BUSY_MAX_DELAY: Duration = Duration::from_millis(2);

/// The busy retry's schedule: [`BUSY_FIRST_DELAY`] doubling to [`BUSY_MAX_DELAY`], jittered,
/// for at most `busy_timeout`.
fn busy_backoff(busy_timeout: Duration) -> Backoff {
    Backoff::new(BUSY_FIRST_DELAY, BUSY_MAX_DELAY).with_budget(busy_timeout)
}

/// Result of a statement that returns no rows. Both values are SQLite's connection-wide
/// `last_insert_rowid`/`changes`, so they repeat the previous statement's values after e.g.
/// BEGIN or COMMIT (the server reports the connection's counters, not the statement's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecResult {
    pub last_insert_id: i64,
    pub rows_affected: u64,
}

/// What `run` produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Rows(Rows),
    Exec(ExecResult),
}

/// Where a statement is sent: a cached/prepared statement id, or the SQL text itself.
#[derive(Debug, Clone, Copy)]
enum Target {
    Id { id: u32, params: u64 },
    Text,
}

/// The checked plan for one statement call.
struct Plan {
    target: Target,
    info: SqlInfo,
    /// Whether the target came from the cache (evict it on failure).
    cached: bool,
}

/// One connection to a dqlite node.
pub struct Connection {
    pub(crate) t: Transport,
    opts: ConnectOptions,
    database: Option<String>,
    /// Addresses `open` was given (for `reconnect`).
    seeds: Vec<String>,
    generation: u64,
    pub(crate) registry: Registry,
    cache: Cache,
    pub(crate) in_tx: bool,
}

pub(crate) fn to_values(params: &[&dyn ToValue]) -> Vec<Value> {
    params.iter().map(|p| p.to_value()).collect()
}

fn check_nul(text: &str, action: impl FnOnce() -> String) -> Result<()> {
    match text.find('\0') {
        Some(position) => Err(Error::NulInText {
            position,
            action: action(),
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_params(count: usize, action: impl FnOnce() -> String) -> Result<()> {
    if count > proto::MAX_PARAMS {
        return Err(Error::TooManyParams {
            count,
            action: action(),
        });
    }
    Ok(())
}

/// Guard rails for SQL text; returns what the scanner learned.
pub(crate) fn check_sql(sql: &str, verb: &str) -> Result<SqlInfo> {
    check_nul(sql, || sql_action(verb, sql))?;
    let info = scan::scan(sql);
    if info.returning {
        return Err(Error::Returning {
            sql: sql.to_string(),
            action: sql_action(verb, sql),
        });
    }
    if let Some(pragma) = info.crashing_pragma.clone() {
        return Err(Error::CrashingPragma {
            pragma,
            action: sql_action(verb, sql),
        });
    }
    Ok(info)
}

/// [`check_sql`] for a call that runs exactly one statement: none or several are refused
/// before anything is sent.
pub(crate) fn check_one(sql: &str, verb: &str) -> Result<SqlInfo> {
    let info = check_sql(sql, verb)?;
    match info.statements {
        1 => Ok(info),
        0 => Err(Error::EmptyStatement {
            action: sql_action(verb, sql),
        }),
        _ => Err(Error::MultipleStatements {
            sql: sql.to_string(),
            action: sql_action(verb, sql),
        }),
    }
}

pub(crate) fn unexpected(
    t: &mut Transport,
    action: &str,
    expected: &'static str,
    found: &Response,
) -> Error {
    let err = Error::UnexpectedResponse {
        action: action.to_string(),
        address: t.address().to_string(),
        expected,
        found: short_kind(found),
    };
    t.poison(err)
}

fn short_kind(r: &Response) -> String {
    match r {
        Response::Rows(_) => "Rows".into(),
        Response::Files { .. } => "Files".into(),
        other => format!("{other:?}").chars().take(120).collect(),
    }
}

impl Connection {
    /// Connects to one node and writes the handshake; no leader check, no database.
    /// Enough for admin requests (`leader`, `cluster`, `describe`, ...).
    pub fn connect(address: &str, opts: &ConnectOptions) -> Result<Connection> {
        let t = Transport::dial(address, &opts.transport())?;
        Ok(Connection::from_transport(t, opts))
    }

    /// Finds the leader through `address` (or a comma-separated list of seeds) and opens
    /// `database` there, creating it if needed. Uses default options.
    pub fn open(address: &str, database: &str) -> Result<Connection> {
        Connection::open_with(address, database, &ConnectOptions::default())
    }

    /// Like [`Connection::open`] with explicit options.
    pub fn open_with(address: &str, database: &str, opts: &ConnectOptions) -> Result<Connection> {
        Connection::open_leader(address, database, opts, true)
    }

    /// [`Connection::open_with`]; `first_open`: a refused connection to a single address
    /// fails at once (a reconnect instead waits it out: the node may be restarting).
    fn open_leader(
        address: &str,
        database: &str,
        opts: &ConnectOptions,
        first_open: bool,
    ) -> Result<Connection> {
        check_nul(database, || format!("opening database {database:?}"))?;
        crate::check_database_name(database).map_err(|reason| Error::DatabaseName {
            name: database.to_string(),
            reason,
        })?;
        let mut conn = Connection::find_and_register(address, opts, first_open)?;
        let action = format!("opening database {database:?}");
        let req = Request::Open {
            name: database.to_string(),
            flags: 0,
            vfs: "volatile".to_string(),
        };
        match conn.roundtrip(&req, &action)? {
            Response::Db { .. } => {}
            Response::Failure { code, message } => {
                return Err(Error::from_failure(
                    code,
                    message,
                    None,
                    action,
                    conn.t.address(),
                ))
            }
            other => return Err(unexpected(&mut conn.t, &action, "Db", &other)),
        }
        conn.database = Some(database.to_string());
        Ok(conn)
    }

    /// Finds the leader through `address` (or a comma-separated list of seeds) and registers
    /// as a client there, without opening a database: enough for membership changes
    /// (`add`, `assign`, `remove`, `transfer`) and `cluster`.
    pub fn connect_leader(address: &str, opts: &ConnectOptions) -> Result<Connection> {
        // Membership changes go through a member that may be restarting: a refused
        // connection is waited out like any other (only opening a database fails fast).
        Connection::find_and_register(address, opts, false)
    }

    fn find_and_register(
        address: &str,
        opts: &ConnectOptions,
        first_open: bool,
    ) -> Result<Connection> {
        let seeds = leader::split_seeds(address);
        if seeds.is_empty() {
            return Err(Error::BadAddress {
                address: address.to_string(),
                reason: "no address given".into(),
            });
        }
        let hook = opts.on_leader_wait.as_ref().map(|h| &*h.0);
        let t = leader::find_leader_with(
            &seeds,
            &opts.transport(),
            opts.leader_timeout,
            first_open,
            hook,
        )?;
        let mut conn = Connection::from_transport(t, opts);
        conn.seeds = seeds;
        match conn.roundtrip(&Request::Client { id: 0 }, "registering the client")? {
            Response::Welcome { .. } => {}
            other => {
                return Err(unexpected(
                    &mut conn.t,
                    "registering the client",
                    "Welcome",
                    &other,
                ))
            }
        }
        Ok(conn)
    }

    fn from_transport(t: Transport, opts: &ConnectOptions) -> Connection {
        Connection {
            t,
            opts: opts.clone(),
            database: None,
            seeds: Vec::new(),
            generation: new_generation(),
            registry: Registry::default(),
            cache: Cache::new(opts.statement_cache),
            in_tx: false,
        }
    }

    /// Replaces this connection with a fresh one after a leader change or a broken socket:
    /// leader discovery over the original seeds plus the last address, then Open again. The
    /// server-side state of the old connection is gone: an open transaction was rolled back
    /// (replay it whole), prepared `Statement`s are refused from now on, the cache is empty.
    /// A connection made with `connect` just re-dials its address. The last leader is
    /// probed first: after a transfer it is alive and points at the new leader, and a dead
    /// one refuses at once.
    pub fn reconnect(&mut self) -> Result<()> {
        let fresh = match self.database.clone() {
            Some(database) => {
                let last = self.t.address().to_string();
                let mut seeds = vec![last.clone()];
                seeds.extend(self.seeds.iter().filter(|s| **s != last).cloned());
                let mut fresh =
                    Connection::open_leader(&seeds.join(","), &database, &self.opts, false)?;
                fresh.seeds = self.seeds.clone();
                fresh
            }
            None => Connection::connect(self.t.address(), &self.opts)?,
        };
        let old_address = self.t.address();
        let new_address = fresh.t.address();
        if old_address != new_address {
            tracing::info!(%old_address, %new_address, database = self.database.as_deref(), "leader changed");
        } else {
            tracing::debug!(address = %new_address, database = self.database.as_deref(), "reconnected");
        }
        *self = fresh;
        Ok(())
    }

    /// Changes how long this connection waits for each reply (`None`: for ever), e.g.
    /// around a statement known to run longer than [`ConnectOptions::read_timeout`]. Kept
    /// by [`Connection::reconnect`].
    ///
    /// # Errors
    /// [`Error::Io`] when the socket refuses the setting.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.t.set_read_timeout(timeout)?;
        self.opts.read_timeout = timeout;
        Ok(())
    }

    /// The address of the node this connection talks to.
    pub fn address(&self) -> &str {
        self.t.address()
    }

    /// The open database's name, if `open` was used.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// Whether an explicit transaction is open (tracked from BEGIN/COMMIT/ROLLBACK/END).
    pub fn in_transaction(&self) -> bool {
        self.in_tx
    }

    /// Whether an earlier I/O or protocol error made the connection unusable.
    pub fn is_broken(&self) -> bool {
        self.t.is_broken()
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }

    /// Requests written on this connection so far (every Prepare, Query, Exec, Interrupt,
    /// ...; the handshake not counted): lets tests count round trips.
    pub fn requests_sent(&self) -> u64 {
        self.t.requests_sent()
    }

    // ------------------------------------------------------------------ plumbing

    /// Sends one request and reads one reply message (Failure included, not mapped).
    pub(crate) fn roundtrip(&mut self, req: &Request, action: &str) -> Result<Response> {
        let hint = match req {
            Request::Cluster { format } => ResponseHint {
                cluster_format: *format,
                ..ResponseHint::default()
            },
            _ => ResponseHint::default(),
        };
        self.t.send(req, action)?;
        self.t.recv(hint, action)
    }

    pub(crate) fn failure(
        &self,
        code: u64,
        message: String,
        sql: Option<&str>,
        action: String,
    ) -> Error {
        Error::from_failure(code, message, sql, action, self.t.address())
    }

    /// Runs `attempt` again while it fails with SQLITE_BUSY ([`RetryKind::InPlace`]), with
    /// jittered exponential backoff (0.1 ms doubling to 2 ms) until the busy timeout.
    fn busy_retry<T>(
        &mut self,
        retry: bool,
        mut attempt: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let mut backoff: Option<Backoff> = None;
        loop {
            let e = match attempt(self) {
                // A single statement outside a transaction may auto-commit: it is a request
                // that could commit.
                Err(e) if retry && e.retry_kind(Phase::Commit) == RetryKind::InPlace => e,
                other => return other,
            };
            let busy_timeout = self.opts.busy_timeout;
            let Some(pause) = backoff
                .get_or_insert_with(|| busy_backoff(busy_timeout))
                .next_delay()
            else {
                return Err(e);
            };
            tracing::debug!(
                address = %self.t.address(),
                reason = %e,
                delay_us = pause.as_micros() as u64,
                "busy, retrying"
            );
            std::thread::sleep(pause);
        }
    }

    /// Busy retries are safe for one statement outside a transaction, or for BEGIN itself.
    fn may_retry(&self, info: &SqlInfo) -> bool {
        info.statements <= 1 && (!self.in_tx || info.begins())
    }

    fn finalize_id(&mut self, id: u32) -> Result<()> {
        let action = "finalizing a prepared statement";
        let resp = self.roundtrip(&Request::Finalize { db: 0, stmt: id }, action)?;
        self.registry.remove(id);
        match resp {
            Response::Empty => Ok(()),
            Response::Failure { code, message } => {
                Err(self.failure(code, message, None, action.to_string()))
            }
            other => Err(unexpected(&mut self.t, action, "Empty", &other)),
        }
    }

    fn prepare_id(&mut self, sql: &str, action: &str) -> Result<(u32, u64)> {
        let resp = self.roundtrip(
            &Request::Prepare {
                db: 0,
                sql: sql.to_string(),
            },
            action,
        )?;
        match resp {
            Response::Stmt { id, params, .. } => Ok((id, params)),
            Response::Failure { code, message } => {
                Err(self.failure(code, message, Some(sql), action.to_string()))
            }
            other => Err(unexpected(&mut self.t, action, "Stmt", &other)),
        }
    }

    /// Guard rails, then the cache: decides where `sql` goes. `single_only` refuses texts
    /// with several statements (QuerySQL/Prepare would silently drop the tail).
    fn plan(&mut self, sql: &str, nparams: usize, verb: &str, single_only: bool) -> Result<Plan> {
        check_params(nparams, || sql_action(verb, sql))?;
        if let Some(c) = self.cache.get(sql) {
            if self.registry.is_live(c.id, c.serial) {
                return Ok(Plan {
                    target: Target::Id {
                        id: c.id,
                        params: c.params,
                    },
                    info: c.info.clone(),
                    cached: true,
                });
            }
            // Finalized behind the cache's back (raw `request`): forget it, never send its id.
            self.cache.remove(sql);
        }
        let info = if single_only {
            check_one(sql, verb)?
        } else {
            check_sql(sql, verb)?
        };
        if info.statements > 1 {
            return Ok(Plan {
                target: Target::Text,
                info,
                cached: false,
            });
        }
        if info.statements == 0 || !self.cache.enabled() || !self.cache.seen_before(sql) {
            return Ok(Plan {
                target: Target::Text,
                info,
                cached: false,
            });
        }
        // Errors of the implicit Prepare say what the caller was doing.
        let action = sql_action(verb, sql);
        let (id, params) = self.prepare_id(sql, &action)?;
        let serial = self.registry.register(id);
        if let Some(old) = self.cache.insert(sql, id, serial, params, info.clone()) {
            if let Err(e) = self.finalize_id(old) {
                if !e.connection_usable() {
                    return Err(e);
                }
            }
        }
        Ok(Plan {
            target: Target::Id { id, params },
            info,
            cached: true,
        })
    }

    /// A cached statement failed on the server: drop it (its state is unknown, e.g. stepped
    /// to a row) so the next call prepares afresh.
    fn evict(&mut self, sql: &str) {
        if let Some(id) = self.cache.remove(sql) {
            if !self.t.is_broken() {
                let _ = self.finalize_id(id);
            } else {
                self.registry.remove(id);
            }
        }
    }

    /// Prepared statements keep old bindings: bind every parameter explicitly.
    fn pad(target: Target, mut values: Vec<Value>) -> Vec<Value> {
        let Target::Id { params, .. } = target else {
            return values;
        };
        while (values.len() as u64) < params && values.len() < proto::MAX_PARAMS {
            values.push(Value::Null);
        }
        values
    }

    /// Sends an Exec/ExecSQL and reads its Result; one "statement" event when enabled.
    fn exec_once(
        &mut self,
        target: Target,
        sql: &str,
        values: &[Value],
        action: &str,
    ) -> Result<ExecResult> {
        let timer = StatementTimer::start();
        let result = self.exec_request(target, sql, values, action);
        timer.finish(
            "exec",
            target,
            sql,
            values.len(),
            self.t.address(),
            result.is_ok(),
        );
        result
    }

    /// Sends an Exec/ExecSQL (borrowing encoders, no copies) and reads its Result.
    fn exec_request(
        &mut self,
        target: Target,
        sql: &str,
        values: &[Value],
        action: &str,
    ) -> Result<ExecResult> {
        self.t.send_with(action, |out| match target {
            Target::Id { id, .. } => proto::encode_exec(out, 0, id, values),
            Target::Text => proto::encode_exec_sql(out, 0, sql, values),
        })?;
        match self.t.recv(ResponseHint::default(), action)? {
            Response::Result {
                last_insert_id,
                rows_affected,
            } => Ok(ExecResult {
                last_insert_id: last_insert_id as i64,
                rows_affected,
            }),
            Response::Failure { code, message } => {
                Err(self.failure(code, message, Some(sql), action.to_string()))
            }
            other => Err(unexpected(&mut self.t, action, "Result", &other)),
        }
    }

    /// Sends a Query/QuerySQL and reads the first Rows batch; one "statement" event when
    /// enabled (its `elapsed_ms` runs to the first batch).
    fn query_once(
        &mut self,
        target: Target,
        sql: &str,
        values: &[Value],
        action: &str,
    ) -> Result<RowsBatch> {
        let timer = StatementTimer::start();
        let result = self.query_request(target, sql, values, action);
        timer.finish(
            "query",
            target,
            sql,
            values.len(),
            self.t.address(),
            result.is_ok(),
        );
        result
    }

    fn query_request(
        &mut self,
        target: Target,
        sql: &str,
        values: &[Value],
        action: &str,
    ) -> Result<RowsBatch> {
        self.t.send_with(action, |out| match target {
            Target::Id { id, .. } => proto::encode_query(out, 0, id, values),
            Target::Text => proto::encode_query_sql(out, 0, sql, values),
        })?;
        match self.t.recv(ResponseHint::default(), action)? {
            Response::Rows(batch) => Ok(batch),
            Response::Failure { code, message } => {
                Err(self.failure(code, message, Some(sql), action.to_string()))
            }
            other => Err(unexpected(&mut self.t, action, "Rows", &other)),
        }
    }

    fn exec_values(
        &mut self,
        sql: &str,
        values: Vec<Value>,
        single_only: bool,
    ) -> Result<ExecResult> {
        let plan = self.plan(sql, values.len(), "executing", single_only)?;
        let retry = self.may_retry(&plan.info);
        let action = sql_action("executing", sql);
        let values = Connection::pad(plan.target, values);
        let result = self.busy_retry(retry, |c| c.exec_once(plan.target, sql, &values, &action));
        self.after(&plan, sql, &result);
        result
    }

    /// Bookkeeping after a statement: transaction state on success, eviction on failure.
    fn after<T>(&mut self, plan: &Plan, sql: &str, result: &Result<T>) {
        match result {
            Ok(_) => self.in_tx = plan.info.apply(self.in_tx),
            Err(e) => {
                // A statement that failed on the server may be left stepped (e.g. 100
                // "another row available"): drop it so the next call prepares afresh. Busy
                // and "no result columns" leave it as it was.
                let keep = e.is_busy() || e.is_no_result_columns() || !e.connection_usable();
                if plan.cached && !keep {
                    self.evict(sql);
                }
            }
        }
    }

    fn start_query(&mut self, sql: &str, values: Vec<Value>) -> Result<RowIter<'_>> {
        let plan = self.plan(sql, values.len(), "querying", true)?;
        let retry = self.may_retry(&plan.info);
        let action = sql_action("querying", sql);
        let values = Connection::pad(plan.target, values);
        let first = self.busy_retry(retry, |c| c.query_once(plan.target, sql, &values, &action));
        self.after(&plan, sql, &first);
        Ok(RowIter::new(self, first?, action))
    }

    // ------------------------------------------------------------------ public API

    /// Runs one statement that returns no rows (ExecSQL, or a cached prepared statement).
    ///
    /// # Errors
    /// [`Error::MultipleStatements`] when `sql` holds more than one statement and
    /// [`Error::EmptyStatement`] when it holds none, both before anything is sent (use
    /// [`Connection::execute_batch`] for scripts); the guard-rail errors of the module docs;
    /// a server error (`Error::Server`) with SQLite's extended code; I/O errors.
    pub fn execute(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<ExecResult> {
        self.exec_values(sql, to_values(params), true)
    }

    /// Runs every statement of `sql` in one request, `params` bound to the first statement
    /// only, and returns the first statement's result. For callers that batch their own
    /// statements to save round trips (the migration runner sends a step's history row
    /// with its COMMIT); apps use `execute` or `execute_batch`. The transaction state is
    /// tracked from the statements' leading keywords; after a failure part way through a
    /// text that opened a transaction, call [`Connection::abandon_transaction`].
    ///
    /// # Errors
    /// As [`Connection::execute`], except that several statements are allowed.
    pub fn execute_batch_with(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<ExecResult> {
        self.exec_values(sql, to_values(params), false)
    }

    /// Sets this connection's SQLite page-cache limit on the leader to `kib` KiB (see
    /// [`super::BIG_TRANSACTION_CACHE_KIB`] for why big transactions on libdqlite 1.11.1 need
    /// it). Run it outside a transaction; a new connection (after a leader change) starts
    /// with the node's default again.
    ///
    /// # Errors
    /// As [`Connection::execute_batch`].
    pub fn set_cache_size_kib(&mut self, kib: u32) -> Result<()> {
        self.execute_batch(&super::cache_size_pragma(kib))
            .map(|_| ())
    }

    /// Runs every statement of `sql` (no parameters), e.g. a migration script.
    pub fn execute_batch(&mut self, sql: &str) -> Result<ExecResult> {
        let info = check_sql(sql, "executing")?;
        let retry = self.may_retry(&info);
        let action = sql_action("executing", sql);
        let result = self.busy_retry(retry, |c| c.exec_once(Target::Text, sql, &[], &action));
        if result.is_ok() {
            self.in_tx = info.apply(self.in_tx);
        }
        result
    }

    /// Runs a query and buffers every row.
    pub fn query(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Rows> {
        self.start_query(sql, to_values(params))?.collect_rows()
    }

    /// Streams a query's rows, one Rows message in memory at a time. Dropping the iterator
    /// before the end interrupts and drains the rest so the connection stays usable.
    pub fn query_iter(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<RowIter<'_>> {
        self.start_query(sql, to_values(params))
    }

    /// The first row of a query; `Error::NoRows` if there is none.
    pub fn query_row(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Row> {
        match self.query_opt(sql, params)? {
            Some(row) => Ok(row),
            None => Err(Error::NoRows {
                action: sql_action("querying", sql),
            }),
        }
    }

    /// The first row of a query, if any (the rest of the result is read and discarded).
    pub fn query_opt(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Option<Row>> {
        let mut it = self.start_query(sql, to_values(params))?;
        // Dropping the iterator interrupts and drains whatever is left.
        it.next().transpose()
    }

    /// Runs any single statement: rows if it has result columns, otherwise its exec result
    /// (the server refuses QuerySQL on such statements without running them).
    ///
    /// # Errors
    /// As [`Connection::execute`]: a text with no statement or with several is refused
    /// before anything is sent.
    pub fn run(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Outcome> {
        let values = to_values(params);
        check_params(values.len(), || sql_action("running", sql))?;
        let known = match self.cache.get(sql) {
            Some(c) => c.returns_rows,
            None => {
                check_one(sql, "running")?;
                None
            }
        };
        if known == Some(false) {
            return self.exec_values(sql, values, true).map(Outcome::Exec);
        }
        match self
            .start_query(sql, values.clone())
            .and_then(RowIter::collect_rows)
        {
            Err(e) if e.is_no_result_columns() => {
                self.cache.set_returns_rows(sql, false);
                self.exec_values(sql, values, true).map(Outcome::Exec)
            }
            Ok(rows) => {
                self.cache.set_returns_rows(sql, true);
                Ok(Outcome::Rows(rows))
            }
            Err(e) => Err(e),
        }
    }

    /// Prepares one statement on the server.
    pub fn prepare(&mut self, sql: &str) -> Result<Statement> {
        let info = check_one(sql, "preparing")?;
        let action = sql_action("preparing", sql);
        let (id, params) = self.prepare_id(sql, &action)?;
        let serial = self.registry.register(id);
        Ok(Statement {
            generation: self.generation,
            id,
            serial,
            params,
            sql: sql.to_string(),
            info,
        })
    }

    fn check_live(&self, stmt: &Statement, verb: &str) -> Result<()> {
        if stmt.generation != self.generation || !self.registry.is_live(stmt.id, stmt.serial) {
            return Err(Error::StatementNotLive {
                id: stmt.id,
                action: sql_action(verb, &stmt.sql),
            });
        }
        Ok(())
    }

    /// Executes a prepared statement.
    pub fn exec_prepared(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToValue],
    ) -> Result<ExecResult> {
        self.check_live(stmt, "executing")?;
        check_params(params.len(), || sql_action("executing", &stmt.sql))?;
        let retry = self.may_retry(&stmt.info);
        let action = sql_action("executing", &stmt.sql);
        let target = Target::Id {
            id: stmt.id,
            params: stmt.params,
        };
        let values = Connection::pad(target, to_values(params));
        let result = self.busy_retry(retry, |c| c.exec_once(target, &stmt.sql, &values, &action));
        if result.is_ok() {
            self.in_tx = stmt.info.apply(self.in_tx);
        }
        result
    }

    /// Runs a prepared query and buffers every row.
    pub fn query_prepared(&mut self, stmt: &Statement, params: &[&dyn ToValue]) -> Result<Rows> {
        self.check_live(stmt, "querying")?;
        check_params(params.len(), || sql_action("querying", &stmt.sql))?;
        let retry = self.may_retry(&stmt.info);
        let action = sql_action("querying", &stmt.sql);
        let target = Target::Id {
            id: stmt.id,
            params: stmt.params,
        };
        let values = Connection::pad(target, to_values(params));
        let first =
            self.busy_retry(retry, |c| c.query_once(target, &stmt.sql, &values, &action))?;
        RowIter::new(self, first, action).collect_rows()
    }

    /// Finalizes a prepared statement; the handle is consumed so it cannot be reused.
    pub fn finalize(&mut self, stmt: Statement) -> Result<()> {
        self.check_live(&stmt, "finalizing")?;
        self.finalize_id(stmt.id)
    }

    /// Number of prepared statements in the statement cache.
    pub fn cached_statements(&self) -> usize {
        self.cache.len()
    }

    /// Finalizes every cached statement (they are also freed when the connection closes).
    pub fn clear_statement_cache(&mut self) -> Result<()> {
        for id in self.cache.drain_ids() {
            self.finalize_id(id)?;
        }
        Ok(())
    }

    pub(crate) fn set_in_tx(&mut self, in_tx: bool) {
        self.in_tx = in_tx;
    }

    /// Ends whatever transaction a failed request may have left open: sends `ROLLBACK`
    /// when the connection still works (its "no transaction is active" error is ignored)
    /// and from then on treats the connection as outside any transaction. For callers of
    /// [`Connection::execute_batch_with`] or `execute_batch` whose multi-statement text
    /// held a `BEGIN` and failed part way, where the client cannot tell how far it got.
    pub fn abandon_transaction(&mut self) {
        if !self.t.is_broken() {
            let _ = self.exec_once(
                Target::Text,
                "ROLLBACK",
                &[],
                "rolling back an abandoned transaction",
            );
        }
        self.in_tx = false;
    }
}

/// The clock of one "statement" event: read only when a subscriber wants the event, so
/// that with none (or with DEBUG off) a statement costs one cached level check.
struct StatementTimer(Option<Instant>);

impl StatementTimer {
    fn start() -> StatementTimer {
        StatementTimer(tracing::enabled!(tracing::Level::DEBUG).then(Instant::now))
    }

    fn finish(
        self,
        kind: &'static str,
        target: Target,
        sql: &str,
        params: usize,
        address: &str,
        ok: bool,
    ) {
        let Some(start) = self.0 else { return };
        tracing::debug!(
            kind,
            sql,
            params,
            prepared = matches!(target, Target::Id { .. }),
            elapsed_ms = start.elapsed().as_micros() as f64 / 1000.0,
            address,
            ok,
            "statement"
        );
    }
}
