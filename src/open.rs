//! Open a database by URL (DESIGN.md §3.1). The embedded form connects as a client when a
//! dqlite node already answers at its address and otherwise starts an embedded node on the
//! data dir (created, locked) and waits until it leads; the cluster form only connects.
//! When several processes open one embedded URL at once, one starts the node and the others
//! (finding the data dir locked) wait for that node to answer and connect to it as clients.
//! `Database` owns both the connection and the node it may have started, and closes the
//! connection before stopping the node.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::client::{self, ConnectOptions, Connection};
use crate::node::{self, Node, NodeConfig, NodeError};
use crate::url::{DbUrl, UrlError};

/// How long the probe for an already running node may take (connect, handshake, Leader).
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// How long to wait for a freshly started embedded node to elect itself leader.
pub const LEADER_WAIT: Duration = Duration::from_secs(10);
/// How long an open that finds the data dir locked by another process waits for that
/// process's node to answer at the URL's address before failing with "data directory ... is
/// in use".
pub const LOCKED_WAIT: Duration = Duration::from_secs(10);
/// Pause between looks at the address (and the lock) while waiting.
const LOCKED_POLL: Duration = Duration::from_millis(50);
/// The id of an embedded node: 1 bootstraps a one-voter cluster on an empty data dir.
pub const EMBEDDED_NODE_ID: u64 = 1;

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Url(#[from] UrlError),

    /// The current directory was needed to resolve a relative data dir.
    #[error("resolving the relative data dir {data_dir} of {url}: cannot read the current directory: {source}")]
    CurrentDir {
        url: String,
        data_dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// No node answered at the address and starting one there failed.
    #[error("no dqlite node answers at {address}, and starting an embedded one on {} failed: {source}", data_dir.display())]
    StartNode {
        address: String,
        data_dir: PathBuf,
        #[source]
        source: NodeError,
    },

    /// The embedded node started but did not become reachable as leader in time.
    #[error("the embedded dqlite node at {address} started but opening database {database:?} on it failed within {}s: {source}", LEADER_WAIT.as_secs())]
    EmbeddedNotReady {
        address: String,
        database: String,
        #[source]
        source: Box<client::Error>,
    },

    /// Connecting to running node(s) failed.
    #[error("opening database {database:?} on the dqlite node(s) at {addresses}: {source}")]
    Connect {
        addresses: String,
        database: String,
        #[source]
        source: Box<client::Error>,
    },
}

/// An open database: the connection, and the embedded node if this call started one.
/// Derefs to [`Connection`]. On drop the connection is closed first (fields drop in
/// declaration order), then the node is stopped and its data dir unlocked.
pub struct Database {
    /// The client connection to the leader, with the database open.
    pub conn: Connection,
    node: Option<Node>,
}

impl Database {
    /// Whether this `Database` started (and owns) an embedded node.
    pub fn embedded(&self) -> bool {
        self.node.is_some()
    }

    /// The embedded node, if one was started.
    pub fn node(&self) -> Option<&Node> {
        self.node.as_ref()
    }

    /// Close the connection, then stop the embedded node (if any), reporting a failed stop
    /// instead of ignoring it as `Drop` does.
    pub fn close(self) -> Result<(), NodeError> {
        let Database { conn, node } = self;
        drop(conn);
        match node {
            Some(mut n) => n.stop(),
            None => Ok(()),
        }
    }
}

impl Deref for Database {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for Database {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Parse `url` and [`open`] it.
pub fn open_str(url: &str) -> Result<Database, OpenError> {
    open(&url.parse()?)
}

/// Open the database named by `url` (see [`DbUrl`]). A relative embedded data dir is
/// resolved against the current directory.
///
/// Embedded form: a node answering at the address is used as a client. Otherwise a node is
/// started on the data dir. If another process holds the data dir's lock (typically it is
/// starting the node for the same URL right now), this waits up to [`LOCKED_WAIT`] for a
/// node to answer at the address and connects to it as a client ([`Database::embedded`] is
/// then false); if the lock is released meanwhile it starts the node itself; otherwise it
/// fails with [`NodeError::DataDirInUse`]. Caveat: a node joined this way belongs to the
/// other process, which stops it when it finishes, so this connection then breaks (requests
/// fail as a lost connection) even though this `Database` is still open.
pub fn open(url: &DbUrl) -> Result<Database, OpenError> {
    match resolve_against_cwd(url)? {
        DbUrl::Cluster {
            addresses,
            database,
        } => connect(&addresses.join(","), &database),
        DbUrl::Embedded {
            address,
            data_dir,
            database,
        } => {
            if node_answers(&address) {
                return connect(&address, &database);
            }
            start_or_join(&address, data_dir, &database)
        }
    }
}

fn resolve_against_cwd(url: &DbUrl) -> Result<DbUrl, OpenError> {
    match url {
        DbUrl::Embedded { data_dir, .. } if data_dir.is_relative() => {
            let cwd = std::env::current_dir().map_err(|source| OpenError::CurrentDir {
                url: url.to_string(),
                data_dir: data_dir.clone(),
                source,
            })?;
            Ok(url.resolve_relative(&cwd))
        }
        other => Ok(other.clone()),
    }
}

fn connect(addresses: &str, database: &str) -> Result<Database, OpenError> {
    let conn = Connection::open(addresses, database).map_err(|source| OpenError::Connect {
        addresses: addresses.to_string(),
        database: database.to_string(),
        source: Box::new(source),
    })?;
    Ok(Database { conn, node: None })
}

/// Whether a dqlite node answers a Leader request at `address` within `PROBE_TIMEOUT`.
fn node_answers(address: &str) -> bool {
    let opts = ConnectOptions {
        dial_timeout: PROBE_TIMEOUT,
        read_timeout: Some(PROBE_TIMEOUT),
        write_timeout: Some(PROBE_TIMEOUT),
        ..ConnectOptions::default()
    };
    match Connection::connect(address, &opts) {
        Ok(mut c) => c.leader().is_ok(),
        Err(_) => false,
    }
}

/// Starts the embedded node, or (while another process holds the data dir's lock) waits,
/// bounded by [`LOCKED_WAIT`], for that process's node to answer at `address` and joins it.
fn start_or_join(address: &str, data_dir: PathBuf, database: &str) -> Result<Database, OpenError> {
    let deadline = Instant::now() + LOCKED_WAIT;
    loop {
        let err = match start_embedded(address, data_dir.clone(), database) {
            Err(
                e @ OpenError::StartNode {
                    source: NodeError::DataDirInUse { .. },
                    ..
                },
            ) => e,
            other => return other,
        };
        if node_answers(address) {
            let opts = ConnectOptions {
                leader_timeout: deadline
                    .saturating_duration_since(Instant::now())
                    .max(PROBE_TIMEOUT),
                ..ConnectOptions::default()
            };
            let conn = Connection::open_with(address, database, &opts).map_err(|source| {
                OpenError::Connect {
                    addresses: address.to_string(),
                    database: database.to_string(),
                    source: Box::new(source),
                }
            })?;
            return Ok(Database { conn, node: None });
        }
        if Instant::now() >= deadline {
            return Err(err);
        }
        std::thread::sleep(LOCKED_POLL);
    }
}

fn start_embedded(address: &str, data_dir: PathBuf, database: &str) -> Result<Database, OpenError> {
    let cfg = NodeConfig::new(EMBEDDED_NODE_ID, address, data_dir.clone());
    let node = node::start(cfg).map_err(|source| OpenError::StartNode {
        address: address.to_string(),
        data_dir,
        source,
    })?;
    // `open_with` retries leader discovery until `leader_timeout`: that is the bounded wait
    // for the fresh node to elect itself.
    let opts = ConnectOptions {
        leader_timeout: LEADER_WAIT,
        ..ConnectOptions::default()
    };
    let conn = Connection::open_with(address, database, &opts).map_err(|source| {
        OpenError::EmbeddedNotReady {
            address: address.to_string(),
            database: database.to_string(),
            source: Box::new(source),
        }
    })?;
    Ok(Database {
        conn,
        node: Some(node),
    })
}
