//! The client layer's one error type, and how each error is classified (integrity,
//! operational, programming, unknown outcome) the way the seed's SQLAlchemy dialect did.
//! Owns the mapping from dqlite Failure codes (SQLite's extended result codes plus dqlite's
//! own, e.g. 10250 not leader, 10506 leadership lost during COMMIT) to variants, so callers
//! never compare raw numbers.

use super::proto::ProtoError;

/// Result alias of the client layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `SQLITE_IOERR_NOT_LEADER`: the request reached a node that is not (or no longer) leader.
pub const CODE_NOT_LEADER: u64 = 10250;
/// Pre-"replication4" value of [`CODE_NOT_LEADER`], still recognised.
pub const CODE_NOT_LEADER_LEGACY: u64 = 8202;
/// `SQLITE_IOERR_LEADERSHIP_LOST`: leadership lost while the commit was in flight.
pub const CODE_LEADERSHIP_LOST: u64 = 10506;
/// Pre-"replication4" value of [`CODE_LEADERSHIP_LOST`].
pub const CODE_LEADERSHIP_LOST_LEGACY: u64 = 8458;

/// Errors of the dqlite client. Every message says what was being done; server errors carry
/// the extended SQLite code. After a guard-rail, conversion or server error the connection
/// stays usable; after `Io`, `Protocol` or `Broken` it must be dropped and reopened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a Failure (any code not covered by a more specific variant).
    #[error("{action}: {message} (SQLite code {code}){}", server_hint(*code))]
    Server {
        code: u64,
        message: String,
        sql: Option<String>,
        action: String,
    },

    /// Leadership was lost while the commit was in flight (10506, legacy 8458): the change may
    /// or may not have been applied. Re-read the data on the new leader before retrying.
    #[error("{action}: leadership was lost while the change was being committed; it may or may not have been applied — reconnect and check before retrying (SQLite code {code}: {message})")]
    OutcomeUnknown {
        code: u64,
        message: String,
        sql: Option<String>,
        action: String,
    },

    /// The node is not (or no longer) the leader (10250, legacy 8202). Reconnect with
    /// `Connection::open` (leader discovery) and replay the whole transaction.
    #[error("{action}: node {address} is not the leader (SQLite code {code}: {message}); reconnect to find the new leader and replay the transaction")]
    NotLeader {
        code: u64,
        message: String,
        address: String,
        action: String,
    },

    /// Socket-level failure. The connection is no longer usable.
    #[error("{action} {address}: {source}")]
    Io {
        action: String,
        address: String,
        #[source]
        source: std::io::Error,
    },

    /// The server sent bytes the codec cannot decode, or a value cannot be encoded.
    #[error("{action} ({address}): {source}")]
    Protocol {
        action: String,
        address: String,
        #[source]
        source: ProtoError,
    },

    /// The server answered with a message type that makes no sense for the request.
    #[error("{action} ({address}): expected a {expected} reply, got {found}; the connection is out of step and was closed")]
    UnexpectedResponse {
        action: String,
        address: String,
        expected: &'static str,
        found: String,
    },

    /// An earlier I/O or protocol error left this connection out of step with the server.
    #[error("the connection to {address} is no longer usable after an earlier error ({cause}); open a new connection")]
    Broken { address: String, cause: String },

    /// No node reported itself as leader within the leader timeout.
    #[error("no dqlite leader found; tried: {}. Check that a dqlite node runs at that address and that it is the address the node advertises", format_tried(.tried))]
    NoLeader { tried: Vec<(String, String)> },

    /// The peer answered the first request with something that is not the dqlite protocol
    /// (an HTTP server, another service on the port).
    #[error("{address} is {}: it answered the leader request with something else ({detail}); check the address and port", NOT_DQLITE)]
    NotDqlite { address: String, detail: String },

    /// The peer accepted the connection but did not answer the first request in time (a
    /// frozen or partitioned node, or a listener that is not dqlite).
    #[error("{address} gave no answer within {} ms (a frozen, overloaded or partitioned node, or a listener that does not speak dqlite); the other members are tried, and ConnectOptions::handshake_timeout sets the wait", waited.as_millis())]
    NoAnswer {
        address: String,
        waited: std::time::Duration,
    },

    /// The address is neither `IPv4:port`/`host:port` nor `@abstract-name` nor a socket path.
    #[error("invalid dqlite address {address:?}: {reason}")]
    BadAddress { address: String, reason: String },

    // ---- guard rails (requests that corrupt results or crash a 1.11 node): checked before
    // anything is sent ----
    /// More than 255 parameters: dqlite 1.11 would silently bind NULLs.
    #[error("{action}: {count} parameters given; dqlite 1.11 accepts at most 255 per statement (split the statement or bind fewer values)")]
    TooManyParams { count: usize, action: String },

    /// RETURNING makes a dqlite 1.11 node abort on the next write.
    #[error("{action}: RETURNING is refused because it crashes dqlite 1.11 nodes; run the statement without RETURNING and read the row back with a SELECT (e.g. by last_insert_id)")]
    Returning { sql: String, action: String },

    /// The statement id is not live on this connection (finalized ids are reused by the server
    /// and executing a stale one crashes a 1.11 node).
    #[error("{action}: statement id {id} is not a live prepared statement of this connection (finalized, or prepared on another connection)")]
    StatementNotLive { id: u32, action: String },

    /// Describe with a format other than 0 aborts a 1.11 node.
    #[error("Describe format {format} would crash a dqlite 1.11 node; only format 0 exists")]
    DescribeFormat { format: u64 },

    /// Text containing NUL would be silently truncated by the server.
    #[error("{action}: the text contains a NUL byte at position {position}; dqlite would silently cut it there")]
    NulInText { position: usize, action: String },

    /// A text with more than one statement where one is expected (`execute`, `query`, `run`,
    /// `prepare`), refused before anything is sent: a query or prepare would silently run
    /// only the first, and parameters could bind to only one of them.
    #[error("{action}: the text holds more than one statement, and this call runs exactly one; send the statements one by one (or use execute_batch for a script without parameters)")]
    MultipleStatements { sql: String, action: String },

    /// A text with no statement at all (empty, blank or only comments).
    #[error("{action}: the text holds no SQL statement (it is empty, blank or only comments)")]
    EmptyStatement { action: String },

    // ---- values ----
    /// A column value could not be converted to the requested Rust type.
    #[error("column {column}: cannot read {found} as {expected}")]
    Conversion {
        column: String,
        expected: &'static str,
        found: String,
    },

    /// A column index or name that the result does not have.
    #[error("no column {column} in the result (columns: {available})")]
    NoSuchColumn { column: String, available: String },

    /// `query_row` on a query that returned no row.
    #[error("{action}: the query returned no row")]
    NoRows { action: String },
}

/// How an error should be handled, mirroring the DB-API classes the seed used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// A constraint was violated (UNIQUE, NOT NULL, CHECK, FOREIGN KEY, PRIMARY KEY).
    Integrity,
    /// Busy/locked, leader changes, I/O and connection problems: usually worth retrying.
    Operational,
    /// The request itself is wrong: syntax, unknown table, misuse, guard rails, conversions.
    Programming,
    /// The commit may or may not have happened (leadership lost mid-commit).
    OutcomeUnknown,
}

fn format_tried(tried: &[(String, String)]) -> String {
    if tried.is_empty() {
        return "no address".to_string();
    }
    tried
        .iter()
        .map(|(a, why)| format!("{a} ({why})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Class of a server Failure code (extended SQLite code or dqlite-specific code).
pub fn classify_code(code: u64) -> ErrorClass {
    match code {
        CODE_LEADERSHIP_LOST | CODE_LEADERSHIP_LOST_LEGACY => return ErrorClass::OutcomeUnknown,
        CODE_NOT_LEADER | CODE_NOT_LEADER_LEGACY => return ErrorClass::Operational,
        // dqlite-internal: DQLITE_PROTO 1001, DQLITE_NOTFOUND 1002 → operational;
        // DQLITE_PARSE 1005 is a bad parameter (e.g. a UNIXTIME value) → programming.
        1005 => return ErrorClass::Programming,
        1001..=1004 => return ErrorClass::Operational,
        _ => {}
    }
    match code & 0xff {
        19 => ErrorClass::Integrity, // SQLITE_CONSTRAINT and its extended codes
        // ERROR (syntax, no such table, "not an error"), INTERNAL? no: MISUSE, RANGE,
        // MISMATCH, ROW ("another row available"), 0 ("empty statement").
        0 | 1 | 20 | 21 | 25 | 100 | 101 => ErrorClass::Programming,
        // BUSY, LOCKED, ABORT, IOERR, CORRUPT, NOTFOUND, FULL, CANTOPEN, PROTOCOL, NOMEM,
        // READONLY, INTERRUPT, and anything unknown.
        _ => ErrorClass::Operational,
    }
}

impl Error {
    /// How to handle this error (see [`ErrorClass`]).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Server { code, .. } => classify_code(*code),
            Error::OutcomeUnknown { .. } => ErrorClass::OutcomeUnknown,
            Error::NotLeader { .. }
            | Error::Io { .. }
            | Error::Protocol { .. }
            | Error::UnexpectedResponse { .. }
            | Error::Broken { .. }
            | Error::NoLeader { .. }
            | Error::NotDqlite { .. }
            | Error::NoAnswer { .. } => ErrorClass::Operational,
            Error::BadAddress { .. }
            | Error::TooManyParams { .. }
            | Error::Returning { .. }
            | Error::StatementNotLive { .. }
            | Error::DescribeFormat { .. }
            | Error::NulInText { .. }
            | Error::MultipleStatements { .. }
            | Error::EmptyStatement { .. }
            | Error::Conversion { .. }
            | Error::NoSuchColumn { .. }
            | Error::NoRows { .. } => ErrorClass::Programming,
        }
    }

    /// The extended SQLite (or dqlite) code of a server error, if this is one.
    pub fn code(&self) -> Option<u64> {
        match self {
            Error::Server { code, .. }
            | Error::OutcomeUnknown { code, .. }
            | Error::NotLeader { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The primary SQLite result code (`code & 0xff`), if this is a server error.
    pub fn primary_code(&self) -> Option<u64> {
        self.code().map(|c| c & 0xff)
    }

    /// The server message of a server error.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Error::Server { message, .. }
            | Error::OutcomeUnknown { message, .. }
            | Error::NotLeader { message, .. } => Some(message),
            _ => None,
        }
    }

    /// `SQLITE_BUSY` (primary code 5): another connection holds the write lock.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Server { code, .. } if code & 0xff == 5)
    }

    /// The connection lost (or never reached) the leader: not-leader replies, "no database
    /// opened" (the server closes the database after a leadership change), socket errors.
    /// Reconnect with leader discovery and replay the whole transaction.
    pub fn is_leader_lost(&self) -> bool {
        match self {
            Error::NotLeader { .. } | Error::Io { .. } | Error::Broken { .. } => true,
            Error::Server {
                code: 12, message, ..
            } => message.contains("no database opened"),
            _ => false,
        }
    }

    /// A COMMIT whose Raft entry was refused outright, so nothing was committed and the
    /// transaction can be replayed on the leader. libdqlite 1.11.1 answers such a COMMIT (e.g.
    /// while leadership is being transferred) with the raw raft code as the failure code: 7
    /// (`RAFT_NOTLEADER`), with a stale SQLite message such as "no more rows available"; the
    /// frames are aborted before anything is appended to the log (`leaderExecV2` in leader.c).
    /// Observed in the pool test during a transfer. Only meaningful for an error of COMMIT.
    pub fn is_commit_refused(&self) -> bool {
        matches!(self, Error::Server { code: 7, .. })
    }

    /// Whether the connection can still be used after this error.
    pub fn connection_usable(&self) -> bool {
        !matches!(
            self,
            Error::Io { .. }
                | Error::Protocol { .. }
                | Error::UnexpectedResponse { .. }
                | Error::Broken { .. }
                | Error::NotDqlite { .. }
                | Error::NoAnswer { .. }
        )
    }

    /// The error the client makes of a server's Failure reply with `code` (10506 and 8458
    /// become [`Error::OutcomeUnknown`], 10250 and 8266 [`Error::NotLeader`], the rest
    /// [`Error::Server`]); `address` is the node that answered. Public so that code
    /// classifying client errors can be tested without a node.
    pub fn from_failure(
        code: u64,
        message: String,
        sql: Option<&str>,
        action: String,
        address: &str,
    ) -> Error {
        match code {
            CODE_LEADERSHIP_LOST | CODE_LEADERSHIP_LOST_LEGACY => Error::OutcomeUnknown {
                code,
                message,
                sql: sql.map(str::to_string),
                action,
            },
            CODE_NOT_LEADER | CODE_NOT_LEADER_LEGACY => Error::NotLeader {
                code,
                message,
                address: address.to_string(),
                action,
            },
            _ => Error::Server {
                code,
                message,
                sql: sql.map(str::to_string),
                action,
            },
        }
    }
}

/// Shortens SQL for messages: first line-ish 80 characters, whitespace collapsed.
pub(crate) fn snippet(sql: &str) -> String {
    const MAX: usize = 80;
    let collapsed: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX {
        collapsed
    } else {
        let mut s: String = collapsed.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

/// `verb "SQL…"`, the action text of SQL-carrying errors.
pub(crate) fn sql_action(verb: &str, sql: &str) -> String {
    format!("{verb} {:?}", snippet(sql))
}

/// How a peer that does not speak dqlite is described in messages.
pub const NOT_DQLITE: &str = "not a dqlite node";

/// What a server code means when SQLite's message does not say it.
fn server_hint(code: u64) -> &'static str {
    match code {
        // SQLITE_IOERR_SHORT_READ
        522 => ": on libdqlite 1.11.1 this means the transaction changed more pages than the connection's page cache holds (a WAL short read once the cache spills); raise the cache before the transaction (Connection::set_cache_size_kib, or PRAGMA cache_size) or split the work into smaller transactions",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases = [
            (1, ErrorClass::Programming),
            (2067, ErrorClass::Integrity),
            (1555, ErrorClass::Integrity),
            (1299, ErrorClass::Integrity),
            (275, ErrorClass::Integrity),
            (787, ErrorClass::Integrity),
            (19, ErrorClass::Integrity),
            (5, ErrorClass::Operational),
            (6, ErrorClass::Operational),
            (10, ErrorClass::Operational),
            (778, ErrorClass::Operational),
            (10250, ErrorClass::Operational),
            (8202, ErrorClass::Operational),
            (10506, ErrorClass::OutcomeUnknown),
            (8458, ErrorClass::OutcomeUnknown),
            (4, ErrorClass::Operational),
            (21, ErrorClass::Programming),
            (25, ErrorClass::Programming),
            (100, ErrorClass::Programming),
            (0, ErrorClass::Programming),
            (1005, ErrorClass::Programming),
            (12, ErrorClass::Operational),
        ];
        for (code, class) in cases {
            assert_eq!(classify_code(code), class, "code {code}");
        }
    }

    #[test]
    fn failure_mapping_and_helpers() {
        let e = Error::from_failure(
            10250,
            "not leader".into(),
            None,
            "querying".into(),
            "127.0.0.1:1",
        );
        assert!(matches!(e, Error::NotLeader { .. }));
        assert!(e.is_leader_lost());
        assert_eq!(e.primary_code(), Some(10));
        let e = Error::from_failure(
            10506,
            "disk I/O error".into(),
            Some("COMMIT"),
            "executing".into(),
            "a",
        );
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
        let e = Error::from_failure(
            5,
            "database is locked".into(),
            Some("INSERT"),
            "executing".into(),
            "a",
        );
        assert!(e.is_busy());
        assert!(!e.is_leader_lost());
        assert!(e.to_string().contains("database is locked") && e.to_string().contains("code 5"));
        let e = Error::from_failure(12, "no database opened".into(), None, "x".into(), "a");
        assert!(e.is_leader_lost());
    }

    #[test]
    fn snippet_truncates_on_char_boundary() {
        let long = "SELECT 'é' ".repeat(20);
        let s = snippet(&long);
        assert!(s.ends_with('…'));
        assert_eq!(s.chars().count(), 81);
        assert_eq!(snippet("SELECT\n  1"), "SELECT 1");
    }

    #[test]
    fn no_leader_lists_addresses() {
        let e = Error::NoLeader {
            tried: vec![("127.0.0.1:1".into(), "connection refused".into())],
        };
        assert!(e.to_string().contains("127.0.0.1:1 (connection refused)"));
    }
}
