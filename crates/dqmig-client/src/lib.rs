//! The dqlite client: a sans-I/O codec (`proto`) and a blocking connection over TCP or a
//! Linux abstract unix socket, with leader discovery, guard rails for dqlite 1.11.1's crash
//! traps, busy retries, a statement cache, transactions and admin requests. Depends on
//! nothing else in dqmig.
//!
//! ```no_run
//! use dqmig_client::{params, Connection, Error, ErrorClass};
//!
//! # fn main() -> Result<(), Error> {
//! // Leader discovery through any member (or a comma-separated list), then Open.
//! let mut conn = Connection::open("127.0.0.1:9001", "app.db")?;
//! conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER)", params![])?;
//!
//! let mut tx = conn.transaction()?; // ROLLBACK on drop unless committed
//! tx.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", params!["a", 1])?;
//! tx.commit()?;
//!
//! for row in conn.query_iter("SELECT k, v FROM kv WHERE v > ?", params![0])? {
//!     let row = row?;
//!     println!("{} = {}", row.get::<String>(0)?, row.get::<i64>(1)?);
//! }
//!
//! match conn.execute("INSERT INTO kv (k, v) VALUES ('a', 2)", params![]) {
//!     Err(e) if e.class() == ErrorClass::Integrity => println!("duplicate: {e}"),
//!     other => { other?; }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Refused before sending (each its own [`Error`] variant; the connection stays usable):
//! more than 255 parameters, `RETURNING`, setting `journal_mode`, `page_size` or
//! `locking_mode` (each aborts a 1.11.1 node; [`NODE_CRASHING_PRAGMAS`]), statement ids
//! that are not live, Describe format ≠ 0, NaN parameters, NUL in text, and several
//! statements in one query/prepare text.
//!
//! Logging: the client emits [`tracing`](https://docs.rs/tracing) events under targets
//! starting with `dqmig_client` and installs no subscriber; an app opts in with its own.
//! DEBUG: each statement sent ("statement": `sql`, `params`, `prepared`, `elapsed_ms`,
//! `address`, `ok`), leader discovery, busy retries, pool connections; INFO: a leader change
//! on reconnect and a transaction replayed after the leader was lost. With no subscriber (or
//! DEBUG off) a statement costs one cached level check: no clock read, no formatting.

mod admin;
mod backoff;
#[cfg(feature = "chrono")]
mod chrono_values;
mod conn;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod iter;
mod leader;
mod options;
mod pool;
pub mod proto;
mod raw;
mod retry;
mod rows;
mod scan;
pub use scan::NODE_CRASHING_PRAGMAS;
mod stmt;
#[cfg(feature = "tls")]
pub mod tls;
mod transport;
mod tx;
mod value;

pub use conn::{Connection, ExecResult, Outcome};

/// The page-cache limit (KiB, here 1 GiB) for connections that run big transactions.
///
/// libdqlite 1.11.1 fails a transaction with `disk I/O error` (SQLite code 522, a WAL short
/// read) once SQLite's page cache spills to the WAL before COMMIT, which happens as soon as
/// a transaction dirties more pages than the connection's cache holds (SQLite's default is
/// about 2 MiB). A cache larger than the transaction avoids it; it is a limit, not an
/// allocation: the node's memory grows with the pages the transaction touches. The
/// migration runner and `dqmig sql` set it before their transactions; apps that write
/// many rows in one transaction call [`Connection::set_cache_size_kib`] with it.
pub const BIG_TRANSACTION_CACHE_KIB: u32 = 1 << 20;

/// Checks a database name before it is sent: the empty name, `:memory:` and names starting
/// with `file:` (SQLite URI names, `file::memory:` among them) crash a libdqlite 1.11.1 node
/// (SIGSEGV) or fail on every statement, so they are refused. Any other name is a file name
/// in the node's replicated store (`app.db`).
///
/// # Errors
/// Why the name is refused, as a phrase that follows the name ("is empty; ..."), saying what
/// to write instead.
pub fn check_database_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        Err("is empty; give a file name such as app.db")
    } else if name == ":memory:" || name.starts_with("file:") {
        Err("is not a file name: dqlite databases are replicated files, and `:memory:` or a SQLite URI name (`file:...`) crashes a libdqlite 1.11 node; give a file name such as app.db")
    } else if name.contains('\0') {
        Err("contains a NUL byte; give a file name such as app.db")
    } else {
        Ok(())
    }
}

/// The `PRAGMA` that sets a connection's page-cache limit to `kib` KiB (SQLite reads a
/// negative `cache_size` as KiB).
pub fn cache_size_pragma(kib: u32) -> String {
    format!("PRAGMA cache_size=-{kib}")
}

/// How many SQL statements `sql` holds, counted the way the client's guard rails count them
/// (`;` inside strings, quoted names and comments does not split; blank and comment-only
/// texts hold none). `Connection::execute`, `query` and `run` accept exactly one.
pub fn count_statements(sql: &str) -> usize {
    scan::scan(sql).statements
}

/// Whether `sql` holds a statement that opens or ends a transaction (`BEGIN`, `SAVEPOINT`,
/// `COMMIT`, `END`, `ROLLBACK` without `TO`), found the way the client tracks a connection's
/// transaction state (strings, quoted names, comments and trigger bodies do not count).
pub fn controls_transaction(sql: &str) -> bool {
    scan::scan(sql)
        .effects
        .iter()
        .any(|e| *e != scan::TxEffect::None)
}

/// The byte offset in `sql` of the first `RETURNING` used as a keyword (not in a string, a
/// quoted name, a comment, a parameter or after a `.`), found the way the client's guard
/// rails find it: `Connection` refuses such SQL before sending it (`Error::Returning`,
/// libdqlite 1.11 mishandles it). Lets a caller refuse it earlier, e.g. when a file is read.
pub fn find_returning(sql: &str) -> Option<usize> {
    scan::scan(sql).returning_at
}
pub use backoff::{
    Backoff, DEFAULT_BACKOFF_BUDGET, DEFAULT_BACKOFF_FACTOR, DEFAULT_BACKOFF_INITIAL,
    DEFAULT_BACKOFF_MAX,
};
pub use error::{
    classify_code, Error, ErrorClass, Phase, Result, RetryKind, TlsRefusal, CODE_LEADERSHIP_LOST,
    CODE_LEADERSHIP_LOST_LEGACY, CODE_NOT_LEADER, CODE_NOT_LEADER_LEGACY, CODE_RAFT_NOT_LEADER,
    NOT_DQLITE,
};
pub use iter::RowIter;
pub use leader::LeaderWait;
pub use options::{
    ConnectOptions, LeaderWaitHook, DEFAULT_DIAL_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
};
pub use pool::{Pool, PoolError, PoolOptions, PoolStatus, PooledConnection};
pub use proto::{DumpFile, NodeInfo, Request, Response, Role, Value};
pub use retry::TxRetry;
pub use rows::{Row, Rows};
pub use stmt::Statement;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};
pub use tx::{Behavior, Transaction};
pub use value::{describe as describe_value, FromValue, ToValue, ValueError};
