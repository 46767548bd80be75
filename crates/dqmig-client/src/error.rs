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
/// `RAFT_NOTLEADER`: libdqlite 1.11.1 answers a COMMIT (or auto-commit write) whose raft
/// entry was refused with this raw raft code (see [`Error::is_commit_refused`]).
pub const CODE_RAFT_NOT_LEADER: u64 = 7;

/// libdqlite's own messages that only come as text, where the code alone is ambiguous. The
/// only place the client looks at a server message to decide anything.
mod libdqlite_text {
    /// Code 12 (`SQLITE_NOTFOUND`) also means "no statement with the given id"; only "no
    /// database opened" says the server closed the connection's database, which it does
    /// after a leadership change (libdqlite 1.11 answers such a request with code 12).
    pub(super) fn no_database(code: u64, message: &str) -> bool {
        code == 12 && message.contains("no database opened")
    }

    /// Code 1 with "not an error": Query/QuerySQL on a statement without result columns,
    /// refused without running it. Code 1 is also every SQL error.
    pub(super) fn no_result_columns(code: u64, message: &str) -> bool {
        code == 1 && message == "not an error"
    }
}

/// Errors of the dqlite client. Every message says what was being done; server errors carry
/// the extended SQLite code. After a guard-rail, conversion or server error the connection
/// stays usable; after `Io`, `Protocol` or `Broken` it must be dropped and reopened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a Failure (any code not covered by a more specific variant).
    #[error("{action}: {message} (SQLite code {code}){}", server_hint(*code, message))]
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
    #[error("no dqlite leader found; tried: {}.{}", format_tried(.tried), if *.tls_refused { "" } else { " Check that a dqlite node runs at that address and that it is the address the node advertises" })]
    NoLeader {
        /// Each address asked, and why it gave no leader (the last round's reasons).
        tried: Vec<(String, String)>,
        /// Every seed was a malformed address or a peer that is not a dqlite node: waiting
        /// will not help ([`Error::retry_kind`] says [`RetryKind::Fatal`]).
        hopeless: bool,
        /// Every seed refused the connection at the TLS layer: the nodes run, and each
        /// reason in `tried` says what to fix, so the message does not advise checking
        /// that a node runs at the address.
        tls_refused: bool,
    },

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

    /// The TLS layer refused the connection, on our side or the node's: `refusal` says which
    /// case it is and what to do, `detail` is the TLS library's own words.
    #[error("{address}: {refusal} ({detail})")]
    Tls {
        address: String,
        refusal: TlsRefusal,
        detail: String,
    },

    // ---- guard rails (requests that corrupt results or crash a 1.11 node): checked before
    // anything is sent ----
    /// More than 255 parameters: dqlite 1.11 would silently bind NULLs.
    #[error("{action}: {count} parameters given; dqlite 1.11 accepts at most 255 per statement (split the statement or bind fewer values)")]
    TooManyParams { count: usize, action: String },

    /// RETURNING makes a dqlite 1.11 node abort on the next write.
    #[error("{action}: RETURNING is refused because it crashes dqlite 1.11 nodes; run the statement without RETURNING and read the row back with a SELECT (e.g. by last_insert_id)")]
    Returning { sql: String, action: String },

    /// A database name libdqlite 1.11.1 cannot open as a replicated database: the empty name,
    /// `:memory:` and SQLite URI names (`file:...`) crash the node or fail; refused before
    /// sending ([`crate::check_database_name`]).
    #[error("opening database {name:?}: the name {reason}")]
    DatabaseName { name: String, reason: &'static str },

    /// Setting `journal_mode`, `page_size` or `locking_mode` aborts a libdqlite 1.11.1 node
    /// (it manages its own WAL, page size and locks); refused before sending.
    #[error("{action}: `PRAGMA {pragma}` with a value is refused because it aborts dqlite 1.11 nodes (the node manages the journal, page size and locking itself); remove the statement (reading the pragma, without a value, is allowed)")]
    CrashingPragma { pragma: String, action: String },

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

    /// A float parameter that is NaN: SQLite would store NULL instead (or fail a NOT NULL
    /// constraint that names no NaN).
    #[error("{action}: parameter {index} is NaN (not a number), which SQLite stores as NULL; bind NULL (None) deliberately, or a number")]
    NanParameter { index: usize, action: String },

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

/// Whether a failed request could have committed something: a `COMMIT` (alone or at the end
/// of a batch), or a write outside an explicit transaction (its own auto-commit). Decides
/// what a broken connection means in [`Error::retry_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The request could not commit anything: BEGIN, statements inside a transaction,
    /// reads, admin requests, connecting.
    BeforeCommit,
    /// The request could commit: COMMIT, or an auto-commit write.
    Commit,
}

/// What a retry loop may do after an error ([`Error::retry_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryKind {
    /// Nothing happened and the connection is fine (busy): pause and send the request (or
    /// replay the transaction) again on the same connection.
    InPlace,
    /// Nothing was committed but the connection no longer reaches the leader (leader
    /// changed, socket broke before COMMIT, the COMMIT's raft entry was refused): reconnect
    /// (leader discovery) and replay the whole transaction.
    Reconnect,
    /// The commit may or may not have landed (leadership lost mid-commit, or the connection
    /// broke while COMMIT was in flight): reconnect and read the data to find out; never
    /// replay blindly.
    OutcomeUnknown,
    /// Retrying cannot help: SQL, constraint and guard-rail errors, bad addresses.
    Fatal,
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
            | Error::Tls { .. }
            | Error::TooManyParams { .. }
            | Error::Returning { .. }
            | Error::CrashingPragma { .. }
            | Error::DatabaseName { .. }
            | Error::StatementNotLive { .. }
            | Error::DescribeFormat { .. }
            | Error::NulInText { .. }
            | Error::NanParameter { .. }
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

    /// `SQLITE_BUSY` (primary code 5, with its extended codes such as 261 and 517): another
    /// connection holds the write lock, or a membership change is in progress.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Server { code, .. } if code & 0xff == 5)
    }

    /// The connection lost (or never reached) the leader: not-leader replies, "no database
    /// opened" (the server closes the database after a leadership change), socket errors.
    /// Reconnect with leader discovery and replay the whole transaction. Retry loops use
    /// [`Error::retry_kind`], which also covers the other broken-connection errors.
    pub fn is_leader_lost(&self) -> bool {
        match self {
            Error::NotLeader { .. } | Error::Io { .. } | Error::Broken { .. } => true,
            Error::Server { code, message, .. } => libdqlite_text::no_database(*code, message),
            _ => false,
        }
    }

    /// A COMMIT whose Raft entry was refused outright, so nothing was committed and the
    /// transaction can be replayed on the leader. libdqlite 1.11.1 answers such a COMMIT (e.g.
    /// while leadership is being transferred) with the raw raft code as the failure code: 7
    /// (`RAFT_NOTLEADER`, [`CODE_RAFT_NOT_LEADER`]), with a stale SQLite message such as "no
    /// more rows available"; the frames are aborted before anything is appended to the log
    /// (`leaderExecV2` in leader.c). Observed in the pool test during a transfer. Only
    /// meaningful for an error of a request that could commit ([`Phase::Commit`]).
    pub fn is_commit_refused(&self) -> bool {
        matches!(
            self,
            Error::Server {
                code: CODE_RAFT_NOT_LEADER,
                ..
            }
        )
    }

    /// Whether the statement was refused because it has no result columns: libdqlite answers
    /// a Query/QuerySQL of such a statement (CREATE, INSERT, ...) without running it. The
    /// caller may send it again as an Exec.
    pub fn is_no_result_columns(&self) -> bool {
        matches!(self, Error::Server { code, message, .. } if libdqlite_text::no_result_columns(*code, message))
    }

    /// What a retry loop may do after this error: the client's one replay-safety rule
    /// used by the busy retry, `transaction_with_retry`,
    /// leader discovery, the migration runner and node joining. `phase` says whether the
    /// failed request could have committed something.
    ///
    /// | error | [`Phase::BeforeCommit`] | [`Phase::Commit`] |
    /// |---|---|---|
    /// | busy (primary code 5: 5, 261, 517, ...) | `InPlace` | `InPlace` |
    /// | not leader (10250, 8202), "no database opened" (12) | `Reconnect` | `Reconnect` |
    /// | raft refused the entry (raw code 7) | `Fatal` | `Reconnect` |
    /// | leadership lost mid-commit (10506, 8458) | `OutcomeUnknown` | `OutcomeUnknown` |
    /// | broken socket, read timeout, undecodable or out-of-step reply | `Reconnect` | `OutcomeUnknown` |
    /// | no leader found (yet), a member that does not answer | `Reconnect` | `Reconnect` |
    /// | no leader found, every seed malformed or not dqlite | `Fatal` | `Fatal` |
    /// | not a dqlite node, bad address, guard rails, SQL errors, conversions | `Fatal` | `Fatal` |
    pub fn retry_kind(&self, phase: Phase) -> RetryKind {
        match self {
            Error::Server { code, .. } => {
                if self.is_busy() {
                    RetryKind::InPlace
                } else if self.is_leader_lost()
                    || (*code == CODE_RAFT_NOT_LEADER && phase == Phase::Commit)
                {
                    RetryKind::Reconnect
                } else {
                    RetryKind::Fatal
                }
            }
            Error::NoLeader { hopeless: true, .. } => RetryKind::Fatal,
            Error::NotLeader { .. } | Error::NoLeader { .. } | Error::NoAnswer { .. } => {
                RetryKind::Reconnect
            }
            Error::OutcomeUnknown { .. } => RetryKind::OutcomeUnknown,
            Error::Io { .. }
            | Error::Protocol { .. }
            | Error::UnexpectedResponse { .. }
            | Error::Broken { .. } => match phase {
                Phase::BeforeCommit => RetryKind::Reconnect,
                // The request may have reached the leader and been replicated before the
                // connection failed.
                Phase::Commit => RetryKind::OutcomeUnknown,
            },
            Error::NotDqlite { .. }
            | Error::BadAddress { .. }
            | Error::Tls { .. }
            | Error::TooManyParams { .. }
            | Error::Returning { .. }
            | Error::CrashingPragma { .. }
            | Error::DatabaseName { .. }
            | Error::StatementNotLive { .. }
            | Error::DescribeFormat { .. }
            | Error::NulInText { .. }
            | Error::NanParameter { .. }
            | Error::MultipleStatements { .. }
            | Error::EmptyStatement { .. }
            | Error::Conversion { .. }
            | Error::NoSuchColumn { .. }
            | Error::NoRows { .. } => RetryKind::Fatal,
        }
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
                | Error::Tls { .. }
        )
    }

    /// The error the client makes of a server's Failure reply with `code` (10506 and 8458
    /// become [`Error::OutcomeUnknown`], 10250 and 8202 [`Error::NotLeader`], the rest
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

/// Which TLS refusal an [`Error::Tls`] is. Each one's message says what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsRefusal {
    /// The node requires a client certificate and this connection presented none.
    ClientCertRequired,
    /// The node refused our client certificate: not signed by the CA it trusts (or
    /// otherwise invalid: expired, wrong key usage).
    ClientCertRejected,
    /// The node's certificate is not signed by our CA (`tls-ca`).
    ServerCertUntrusted,
    /// The node's certificate is signed by our CA but not issued for the name or IP
    /// address we dialled.
    ServerNameMismatch,
    /// The node speaks plain TCP: it closed the connection (or answered something else)
    /// when it got our TLS hello.
    NotTls,
    /// The node speaks TLS and this connection has no TLS configured.
    TlsRequired,
    /// Any other TLS failure (expired certificate, no common protocol version, ...).
    Other,
}

impl std::fmt::Display for TlsRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsRefusal::ClientCertRequired => "the node requires a client certificate and none was given: set tls-cert and tls-key (dqmig.toml [tls], the URL's ?tls-cert=...&tls-key=..., or --tls-cert/--tls-key)",
            TlsRefusal::ClientCertRejected => "the node refused our client certificate: it is not signed by the CA the node trusts; use a certificate signed by the cluster's CA (dqmig node gen-cert)",
            TlsRefusal::ServerCertUntrusted => "the node's certificate is not signed by our CA (tls-ca): point tls-ca at the cluster's CA certificate",
            TlsRefusal::ServerNameMismatch => "the node's certificate is signed by our CA but not issued for the address dialled: add that IP or name to the node's certificate, or set tls-server-name to a name it holds",
            TlsRefusal::NotTls => "the node speaks plain TCP, not TLS: remove the TLS settings to talk to it, or start the node with --tls-cert/--tls-key/--tls-ca",
            TlsRefusal::TlsRequired => "the node speaks TLS and this connection has none configured: set tls-ca, tls-cert and tls-key (dqmig.toml [tls], the URL's ?tls-ca=...&tls-cert=...&tls-key=..., or --tls-ca/--tls-cert/--tls-key)",
            TlsRefusal::Other => "the TLS handshake with the node failed",
        })
    }
}

/// How a peer that does not speak dqlite is described in messages.
pub const NOT_DQLITE: &str = "not a dqlite node";

/// What a server code means when SQLite's message does not say it.
fn server_hint(code: u64, message: &str) -> &'static str {
    if libdqlite_text::no_result_columns(code, message) {
        return ": the statement returns no rows, so it cannot be queried; run it with execute (or run, which takes either kind)";
    }
    match code {
        // SQLITE_IOERR_SHORT_READ
        522 => ": on libdqlite 1.11.1 this means the transaction changed more pages than the connection's page cache holds (a WAL short read once the cache spills); raise the cache before the transaction (Connection::set_cache_size_kib, or PRAGMA cache_size) or split the work into smaller transactions",
        // SQLITE_IOERR_*, SQLITE_FULL, SQLITE_READONLY_*: the node cannot write its files.
        c if matches!(c & 0xff, 8 | 10 | 13) => ": the node could not write its data; check that the disk holding its data dir is not full and that the data dir is writable, then run again",
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

    fn server(code: u64, message: &str) -> Error {
        Error::from_failure(
            code,
            message.into(),
            Some("COMMIT"),
            "committing".into(),
            "127.0.0.1:9001",
        )
    }

    fn io(kind: std::io::ErrorKind) -> Error {
        Error::Io {
            action: "reading a reply from".into(),
            address: "127.0.0.1:9001".into(),
            source: std::io::Error::new(kind, "test"),
        }
    }

    #[test]
    fn retry_kind_table() {
        use Phase::{BeforeCommit as B, Commit as C};
        use RetryKind::*;
        let cases: Vec<(&str, Error, RetryKind, RetryKind)> = vec![
            ("busy 5", server(5, "database is locked"), InPlace, InPlace),
            (
                "busy recovery 261",
                server(261, "database is locked"),
                InPlace,
                InPlace,
            ),
            (
                "busy snapshot 517",
                server(517, "database is locked"),
                InPlace,
                InPlace,
            ),
            (
                "membership change busy",
                server(5, "a configuration change is already in progress"),
                InPlace,
                InPlace,
            ),
            (
                "not leader 10250",
                server(10250, "not leader"),
                Reconnect,
                Reconnect,
            ),
            (
                "legacy not leader 8202",
                server(8202, "not leader"),
                Reconnect,
                Reconnect,
            ),
            (
                "no database opened 12",
                server(12, "no database opened"),
                Reconnect,
                Reconnect,
            ),
            (
                "unknown statement id 12",
                server(12, "no statement with the given id"),
                Fatal,
                Fatal,
            ),
            (
                "raft refused 7",
                server(7, "no more rows available"),
                Fatal,
                Reconnect,
            ),
            (
                "leadership lost 10506",
                server(10506, "disk I/O error"),
                OutcomeUnknown,
                OutcomeUnknown,
            ),
            (
                "legacy leadership lost 8458",
                server(8458, "disk I/O error"),
                OutcomeUnknown,
                OutcomeUnknown,
            ),
            (
                "broken socket",
                io(std::io::ErrorKind::BrokenPipe),
                Reconnect,
                OutcomeUnknown,
            ),
            (
                "connection reset",
                io(std::io::ErrorKind::ConnectionReset),
                Reconnect,
                OutcomeUnknown,
            ),
            (
                "read timeout",
                io(std::io::ErrorKind::WouldBlock),
                Reconnect,
                OutcomeUnknown,
            ),
            (
                "read timeout (timed out)",
                io(std::io::ErrorKind::TimedOut),
                Reconnect,
                OutcomeUnknown,
            ),
            (
                "broken",
                Error::Broken {
                    address: "a".into(),
                    cause: "x".into(),
                },
                Reconnect,
                OutcomeUnknown,
            ),
            (
                "out of step",
                Error::UnexpectedResponse {
                    action: "a".into(),
                    address: "a".into(),
                    expected: "Result",
                    found: "Rows".into(),
                },
                Reconnect,
                OutcomeUnknown,
            ),
            (
                "no leader",
                Error::NoLeader {
                    tried: vec![],
                    hopeless: false,
                    tls_refused: false,
                },
                Reconnect,
                Reconnect,
            ),
            (
                "no leader, every seed hopeless",
                Error::NoLeader {
                    tried: vec![],
                    hopeless: true,
                    tls_refused: false,
                },
                Fatal,
                Fatal,
            ),
            (
                "no answer",
                Error::NoAnswer {
                    address: "a".into(),
                    waited: std::time::Duration::from_secs(1),
                },
                Reconnect,
                Reconnect,
            ),
            (
                "not dqlite",
                Error::NotDqlite {
                    address: "a".into(),
                    detail: "HTTP".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "bad address",
                Error::BadAddress {
                    address: "x".into(),
                    reason: "no port".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "syntax 1",
                server(1, "near \"SELEC\": syntax error"),
                Fatal,
                Fatal,
            ),
            (
                "no result columns 1",
                server(1, "not an error"),
                Fatal,
                Fatal,
            ),
            (
                "unique 2067",
                server(2067, "UNIQUE constraint failed: t.k"),
                Fatal,
                Fatal,
            ),
            (
                "foreign key 787",
                server(787, "FOREIGN KEY constraint failed"),
                Fatal,
                Fatal,
            ),
            (
                "short read 522",
                server(522, "disk I/O error"),
                Fatal,
                Fatal,
            ),
            ("raft I/O 10", server(10, "disk I/O error"), Fatal, Fatal),
            ("shutdown abort 4", server(4, "abort"), Fatal, Fatal),
            (
                "membership id in use 1",
                server(1, "server ID already in use"),
                Fatal,
                Fatal,
            ),
            (
                "too many params",
                Error::TooManyParams {
                    count: 300,
                    action: "a".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "returning",
                Error::Returning {
                    sql: "x".into(),
                    action: "a".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "stale statement",
                Error::StatementNotLive {
                    id: 1,
                    action: "a".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "describe format",
                Error::DescribeFormat { format: 1 },
                Fatal,
                Fatal,
            ),
            (
                "nul",
                Error::NulInText {
                    position: 0,
                    action: "a".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "several statements",
                Error::MultipleStatements {
                    sql: "x".into(),
                    action: "a".into(),
                },
                Fatal,
                Fatal,
            ),
            (
                "empty",
                Error::EmptyStatement { action: "a".into() },
                Fatal,
                Fatal,
            ),
            (
                "no rows",
                Error::NoRows { action: "a".into() },
                Fatal,
                Fatal,
            ),
        ];
        for (what, e, before, at_commit) in cases {
            assert_eq!(e.retry_kind(B), before, "{what} before COMMIT");
            assert_eq!(e.retry_kind(C), at_commit, "{what} at COMMIT");
        }
    }

    #[test]
    fn libdqlite_text_checks_need_the_code_too() {
        assert!(server(1, "not an error").is_no_result_columns());
        assert!(!server(1005, "not an error").is_no_result_columns());
        assert!(!server(12, "no statement with the given id").is_leader_lost());
        assert!(!server(1, "no database opened").is_leader_lost());
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
            hopeless: false,
            tried: vec![("127.0.0.1:1".into(), "connection refused".into())],
            tls_refused: false,
        };
        assert!(e.to_string().contains("127.0.0.1:1 (connection refused)"));
        assert!(e.to_string().contains("Check that a dqlite node runs"));
        let e = Error::NoLeader {
            hopeless: true,
            tried: vec![("127.0.0.1:1".into(), "a TLS refusal".into())],
            tls_refused: true,
        };
        assert!(
            !e.to_string().contains("Check that a dqlite node runs"),
            "{e}"
        );
    }
}
