//! `Pool`: a thread-safe pool of [`Connection`]s to one database of one cluster, with the
//! seed's knobs (SQLAlchemy's QueuePool): `pool_size` connections kept, up to
//! `max_overflow` more opened under load and closed when returned, `timeout` to wait for a
//! free one, `recycle` age after which a connection is replaced, `pre_ping` to test a
//! connection before handing it out. Broken connections (and, with `pre_ping`, connections
//! to a node that lost leadership) are discarded, never handed out again. The pool counts
//! the connections it has open, so leaks show.
//!
//! A connection that returned a leader-lost error (10250, 12, socket error) is useless
//! until reconnected: call [`PooledConnection::discard`], use `transaction_with_retry`
//! (which reconnects in place), or enable `pre_ping`. On a cluster, set
//! `connect.read_timeout`: libdqlite 1.11.1 can leave a request unanswered across a
//! leadership change (fixed upstream in dqlite PR #761), and only a timeout turns that into
//! a broken connection instead of a thread waiting forever.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::conn::Connection;
use super::error::Error;
use super::options::ConnectOptions;

/// Pool settings. `Default` gives SQLAlchemy's defaults (5, 10, 30 s, no recycle, no ping).
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Connections kept open when idle.
    pub pool_size: usize,
    /// Extra connections opened when all `pool_size` are in use; closed when returned.
    pub max_overflow: usize,
    /// How long `get` waits for a free connection before [`PoolError::Timeout`].
    pub timeout: Duration,
    /// Replace connections older than this when they are checked out or returned.
    pub recycle: Option<Duration>,
    /// Run `SELECT 1` before handing out an idle connection; discard it if that fails.
    pub pre_ping: bool,
    /// Options of each connection.
    pub connect: ConnectOptions,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            pool_size: 5,
            max_overflow: 10,
            timeout: Duration::from_secs(30),
            recycle: None,
            pre_ping: false,
            connect: ConnectOptions::default(),
        }
    }
}

/// Errors of [`Pool::get`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Every connection stayed checked out for the whole wait.
    #[error("no free connection to {database:?} after waiting {waited:?}: all {limit} (pool_size {pool_size} + max_overflow {max_overflow}) are in use; return connections sooner, or raise pool_size, max_overflow or timeout")]
    Timeout {
        database: String,
        waited: Duration,
        limit: usize,
        pool_size: usize,
        max_overflow: usize,
    },
    /// Opening a new connection failed.
    #[error("opening a pooled connection to {database:?}")]
    Connect {
        database: String,
        #[source]
        source: Error,
    },
}

struct Idle {
    conn: Connection,
    created: Instant,
}

#[derive(Default)]
struct State {
    idle: Vec<Idle>,
    /// Connections open: idle plus checked out plus being opened.
    open: usize,
    /// Total connections discarded (broken, failed ping, recycled).
    discarded: u64,
}

struct Inner {
    address: String,
    database: String,
    opts: PoolOptions,
    state: Mutex<State>,
    freed: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // State stays consistent across a panic in a user thread: every change is one step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expired(&self, created: Instant) -> bool {
        self.opts
            .recycle
            .is_some_and(|age| created.elapsed() >= age)
    }

    /// A connection is gone for good: count it and wake one waiter (it may open a new one).
    fn forget(&self, discarded: bool) {
        let mut st = self.lock();
        st.open = st.open.saturating_sub(1);
        if discarded {
            st.discarded += 1;
        }
        drop(st);
        self.freed.notify_one();
    }
}

/// A thread-safe connection pool; clones share the pool.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

/// What a pool holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open (idle + checked out).
    pub open: usize,
    /// Idle connections.
    pub idle: usize,
    /// Connections discarded so far (broken, failed pre-ping, recycled, returned mid-transaction).
    pub discarded: u64,
}

impl Pool {
    /// A pool for `database` through `address` (one address or a comma-separated seed list).
    /// No connection is opened until `get`.
    pub fn new(address: &str, database: &str, opts: PoolOptions) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                address: address.to_string(),
                database: database.to_string(),
                opts,
                state: Mutex::new(State::default()),
                freed: Condvar::new(),
            }),
        }
    }

    /// The pool's settings.
    pub fn options(&self) -> &PoolOptions {
        &self.inner.opts
    }

    /// Counts of open, idle and discarded connections.
    pub fn status(&self) -> PoolStatus {
        let st = self.inner.lock();
        PoolStatus {
            open: st.open,
            idle: st.idle.len(),
            discarded: st.discarded,
        }
    }

    /// Checks out a connection: an idle one (recycled/pinged as configured), a new one while
    /// fewer than `pool_size + max_overflow` are open, or the next one returned within
    /// `timeout`.
    pub fn get(&self) -> Result<PooledConnection, PoolError> {
        let inner = &self.inner;
        let limit = inner.opts.pool_size + inner.opts.max_overflow;
        let start = Instant::now();
        let deadline = start + inner.opts.timeout;
        let mut st = inner.lock();
        loop {
            if let Some(idle) = st.idle.pop() {
                drop(st);
                if let Some(conn) = self.check_idle(idle) {
                    return Ok(conn);
                }
                st = inner.lock();
                continue;
            }
            if st.open < limit.max(1) {
                st.open += 1;
                drop(st);
                return match Connection::open_with(
                    &inner.address,
                    &inner.database,
                    &inner.opts.connect,
                ) {
                    Ok(conn) => {
                        tracing::debug!(address = %conn.address(), database = %inner.database, "pool opened a connection");
                        Ok(self.wrap(conn, Instant::now()))
                    }
                    Err(source) => {
                        inner.forget(false);
                        Err(PoolError::Connect {
                            database: inner.database.clone(),
                            source,
                        })
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(PoolError::Timeout {
                    database: inner.database.clone(),
                    waited: now - start,
                    limit,
                    pool_size: inner.opts.pool_size,
                    max_overflow: inner.opts.max_overflow,
                });
            }
            st = inner
                .freed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// An idle connection passes if it is not broken, not too old and (with pre_ping)
    /// answers `SELECT 1`; otherwise it is closed and counted out.
    fn check_idle(&self, idle: Idle) -> Option<PooledConnection> {
        let Idle { mut conn, created } = idle;
        let reason = if conn.is_broken() {
            Some("broken")
        } else if self.inner.expired(created) {
            Some("expired")
        } else if self.inner.opts.pre_ping && conn.query("SELECT 1", &[]).is_err() {
            Some("failed the pre-ping")
        } else {
            None
        };
        if let Some(reason) = reason {
            tracing::debug!(address = %conn.address(), reason, "closing an idle pooled connection");
            drop(conn);
            self.inner.forget(true);
            None
        } else {
            Some(self.wrap(conn, created))
        }
    }

    fn wrap(&self, conn: Connection, created: Instant) -> PooledConnection {
        PooledConnection {
            conn: Some(conn),
            created,
            pool: Arc::clone(&self.inner),
        }
    }
}

/// A checked-out connection; derefs to [`Connection`] and goes back to the pool on drop.
pub struct PooledConnection {
    conn: Option<Connection>,
    created: Instant,
    pool: Arc<Inner>,
}

impl PooledConnection {
    /// Closes this connection instead of returning it (e.g. after a leader-lost error).
    pub fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
            self.pool.forget(true);
        }
    }
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Only `discard` and `drop` take the connection, and both consume the guard.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let inner = &self.pool;
        if conn.in_transaction() && !conn.is_broken() && conn.execute_batch("ROLLBACK").is_err() {
            drop(conn);
            inner.forget(true);
            return;
        }
        if conn.is_broken() || conn.in_transaction() || inner.expired(self.created) {
            drop(conn);
            inner.forget(true);
            return;
        }
        let mut st = inner.lock();
        if st.idle.len() >= inner.opts.pool_size {
            // An overflow connection: closed on return.
            st.open = st.open.saturating_sub(1);
            drop(st);
            drop(conn);
            inner.freed.notify_one();
            return;
        }
        st.idle.push(Idle {
            conn,
            created: self.created,
        });
        drop(st);
        inner.freed.notify_one();
    }
}
