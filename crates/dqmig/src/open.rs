//! Open a database by URL. The cluster form only connects. The embedded
//! form `dqlite:///ADDRESS/DATA_DIR/DB` means "the node that owns DATA_DIR":
//!
//! - nobody holds DATA_DIR's lock: a node answering at ADDRESS is another project's, and is
//!   refused ([`OpenError::ForeignNode`]); otherwise this call starts a node there (the lock
//!   marked as held for one command) and stops it when the [`Database`] closes;
//! - a long-running node holds it (`dqmig node start`, an app's node) and serves ADDRESS:
//!   this call connects to it as a client, after checking (through `/proc`, where it can)
//!   that the process listening at ADDRESS is that node's; a lock naming another address is
//!   refused ([`OpenError::ServedElsewhere`]);
//! - another command's node holds it (another `dqmig` process on the same URL): this call
//!   waits, bounded by [`OpenOptions::lock_wait`] and reporting who it waits for, until that
//!   command is done, then starts its own node. Commands on one embedded URL therefore run
//!   one after the other and never stop a node another one uses.
//!
//! `Database` owns both the connection and the node it may have started, and closes the
//! connection before stopping the node.
//!
//! Logging (`tracing`, target `dqmig::open`): INFO "connected" (`addresses`,
//! `leader`, `database`), "started an embedded node" (`address`, `data_dir`, `database`,
//! `elapsed_ms`), "using a running node" (`address`, `data_dir`, `pid`) and "waiting for
//! another process" (`data_dir`, `owner`, `transient`, `waited_s`).

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::time::Duration;
#[cfg(feature = "embedded")]
use std::{path::Path, time::Instant};

use crate::client::{self, ConnectOptions, Connection};
#[cfg(feature = "embedded")]
use crate::node::{self, DataDirLock, LockOwner, NodeConfig};

/// The node a [`Database`] may own (none exists without the `embedded` feature).
#[cfg(feature = "embedded")]
pub use crate::node::Node;
/// Why stopping the embedded node failed.
#[cfg(feature = "embedded")]
pub use crate::node::NodeError;
/// The node a [`Database`] may own (none exists without the `embedded` feature).
#[cfg(not(feature = "embedded"))]
#[derive(Debug)]
pub enum Node {}
/// Why stopping the embedded node failed (never, without the `embedded` feature).
#[cfg(not(feature = "embedded"))]
pub type NodeError = std::convert::Infallible;
use crate::url::{DbUrl, UrlError};

/// How long the probe for an already running node may take (connect, handshake, Leader).
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// How long to wait for a freshly started embedded node to elect itself leader.
pub const LEADER_WAIT: Duration = Duration::from_secs(10);
/// The default of [`OpenOptions::lock_wait`]: how long an open waits for another command
/// that holds the embedded URL's data dir (or for a long-running owner's node to answer).
pub const LOCKED_WAIT: Duration = Duration::from_secs(60);
/// How often a wait for another command is reported.
/// How long an open waits for the embedded URL's port to be free when no node answers there
/// but binding it fails (a socket of a stopped node still held by a child process).
#[cfg(feature = "embedded")]
const BIND_WAIT: Duration = Duration::from_secs(5);
#[cfg(feature = "embedded")]
const NOTICE_EVERY: Duration = Duration::from_secs(5);

/// Options of [`open_with`].
#[non_exhaustive]
pub struct OpenOptions {
    /// How long to wait for another command that holds the embedded URL's data dir before
    /// failing with [`OpenError::Busy`]. Default [`LOCKED_WAIT`].
    pub lock_wait: Duration,
    /// Called with a one-line message when the open waits for another process (at the
    /// start of the wait, then every few seconds). Default: nothing.
    pub on_wait: Option<WaitHook>,
    /// The options of the connection opened (timeouts, the leader-wait hook); default
    /// [`ConnectOptions::default`].
    pub connect: ConnectOptions,
}

/// The callback of [`OpenOptions::on_wait`].
pub type WaitHook = Box<dyn Fn(&str) + Send + Sync>;

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            lock_wait: LOCKED_WAIT,
            on_wait: None,
            connect: ConnectOptions::default(),
        }
    }
}

impl OpenOptions {
    /// Sets [`OpenOptions::lock_wait`].
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Sets [`OpenOptions::on_wait`].
    pub fn on_wait(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_wait = Some(Box::new(f));
        self
    }

    #[cfg(feature = "embedded")]
    fn notify(&self, msg: &str) {
        if let Some(f) = &self.on_wait {
            f(msg);
        }
    }
}
/// Pause between looks at the address (and the lock) while waiting.
#[cfg(feature = "embedded")]
const LOCKED_POLL: Duration = Duration::from_millis(50);
/// The id of an embedded node: 1 bootstraps a one-voter cluster on an empty data dir.
pub const EMBEDDED_NODE_ID: u64 = 1;

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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

    /// An embedded `dqlite:///` URL in a build without the `embedded` feature.
    #[error("{url} asks for an embedded dqlite node, and this build of dqmig has none (the `embedded` feature is off): use a dqlite://HOST:PORT/DATABASE URL of a running node, or enable the feature")]
    NoEmbedded { url: String },

    /// No node answered at the address and starting one there failed.
    #[cfg(feature = "embedded")]
    #[error("no dqlite node answers at {address}, and starting an embedded one on {} failed: {source}", data_dir.display())]
    StartNode {
        address: String,
        data_dir: PathBuf,
        #[source]
        source: NodeError,
    },

    /// The embedded node started but did not become reachable as leader in time.
    #[cfg(feature = "embedded")]
    #[error("the embedded dqlite node at {address} started but opening database {database:?} on it failed within {}s: {source}", LEADER_WAIT.as_secs())]
    EmbeddedNotReady {
        address: String,
        database: String,
        #[source]
        source: Box<client::Error>,
    },

    /// A dqlite node answers at the embedded URL's address but does not own its data dir:
    /// it belongs to something else, and nothing is read or written on it.
    #[error("a dqlite node answers at {address}, but it is not the node of the data dir {} ({why}); dqmig does not use another project's node through an embedded URL: choose another address (`dqmig init --address`, or edit the URL), or use a dqlite://{address}/DATABASE URL to talk to that node deliberately", data_dir.display())]
    ForeignNode {
        address: String,
        data_dir: PathBuf,
        why: String,
    },

    /// The data dir is owned by a running node that serves another address.
    #[error("the data dir {} belongs to a running dqlite node (pid {}) that serves {owner_address}, not {address}: use {owner_address} in the URL, or stop that node", data_dir.display(), pid.map_or("unknown".to_string(), |p| p.to_string()))]
    ServedElsewhere {
        address: String,
        data_dir: PathBuf,
        pid: Option<u32>,
        owner_address: String,
    },

    /// Another command kept the data dir (or its node did not answer) for longer than the
    /// wait allowed.
    #[error("the data dir {} is in use by {who} and was not free within {} s; wait for that process to finish (or stop it) and try again", data_dir.display(), waited.as_secs())]
    Busy {
        data_dir: PathBuf,
        who: String,
        waited: Duration,
    },

    /// The URL's TLS settings (query, or as merged by the caller) could not be loaded.
    #[error("TLS settings of {url}: {source}")]
    Tls {
        url: String,
        #[source]
        source: crate::client::TlsError,
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
            #[cfg(feature = "embedded")]
            Some(mut n) => n.stop(),
            #[cfg(not(feature = "embedded"))]
            Some(n) => match n {},
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
///
/// # Errors
/// [`OpenError::Url`] for a malformed URL; otherwise as [`open`].
pub fn open_str(url: &str) -> Result<Database, OpenError> {
    open(&url.parse()?)
}

/// [`open_with`] with the default options.
///
/// # Errors
/// As [`open_with`].
pub fn open(url: &DbUrl) -> Result<Database, OpenError> {
    open_with(url, &OpenOptions::default())
}

/// Open the database named by `url` (see [`DbUrl`] and the module docs for what an
/// embedded URL may use). A relative embedded data dir is resolved against the current
/// directory.
///
/// # Errors
/// [`OpenError::ForeignNode`], [`OpenError::ServedElsewhere`] and [`OpenError::Busy`] for
/// the ownership rules of the module docs; [`OpenError::StartNode`] and
/// [`OpenError::EmbeddedNotReady`] when the embedded node cannot be started or does not
/// lead in time; [`OpenError::Connect`] when connecting to a running node fails.
pub fn open_with(url: &DbUrl, opts: &OpenOptions) -> Result<Database, OpenError> {
    let resolved = resolve_against_cwd(url)?;
    let tls = resolved.tls().load().map_err(|source| OpenError::Tls {
        url: url.to_string(),
        source,
    })?;
    let mut connect_opts = opts.connect.clone();
    if tls.is_some() {
        connect_opts.tls = tls;
    }
    match resolved {
        DbUrl::Cluster {
            addresses,
            database,
            ..
        } => connect(&addresses.join(","), &database, &connect_opts),
        DbUrl::Embedded {
            address,
            data_dir,
            database,
            ..
        } => {
            #[cfg(feature = "embedded")]
            return open_embedded(&address, &data_dir, &database, opts, &connect_opts);
            #[cfg(not(feature = "embedded"))]
            {
                let _ = (address, data_dir, database, opts, connect_opts);
                Err(OpenError::NoEmbedded {
                    url: url.to_string(),
                })
            }
        }
    }
}

fn resolve_against_cwd(url: &DbUrl) -> Result<DbUrl, OpenError> {
    let relative_tls = [&url.tls().ca, &url.tls().cert, &url.tls().key]
        .iter()
        .any(|p| p.as_ref().is_some_and(|p| p.is_relative()));
    match url {
        DbUrl::Embedded { data_dir, .. } if data_dir.is_relative() || relative_tls => {
            let cwd = std::env::current_dir().map_err(|source| OpenError::CurrentDir {
                url: url.to_string(),
                data_dir: data_dir.clone(),
                source,
            })?;
            Ok(url.resolve_relative(&cwd))
        }
        DbUrl::Cluster { .. } if relative_tls => {
            let cwd = std::env::current_dir().map_err(|source| OpenError::CurrentDir {
                url: url.to_string(),
                data_dir: PathBuf::from("."),
                source,
            })?;
            Ok(url.resolve_relative(&cwd))
        }
        other => Ok(other.clone()),
    }
}

fn connect(addresses: &str, database: &str, opts: &ConnectOptions) -> Result<Database, OpenError> {
    let conn =
        Connection::open_with(addresses, database, opts).map_err(|source| OpenError::Connect {
            addresses: addresses.to_string(),
            database: database.to_string(),
            source: Box::new(source),
        })?;
    tracing::info!(%addresses, leader = %conn.address(), %database, "connected");
    Ok(Database { conn, node: None })
}

#[cfg(feature = "embedded")]
/// Whether a dqlite node answers a Leader request at `address` within `PROBE_TIMEOUT`
/// (over TLS when `base` has it; a TLS refusal counts as an answer: something listens).
fn node_answers(address: &str, base: &ConnectOptions) -> bool {
    let opts = ConnectOptions {
        dial_timeout: PROBE_TIMEOUT,
        handshake_timeout: PROBE_TIMEOUT,
        read_timeout: Some(PROBE_TIMEOUT),
        write_timeout: Some(PROBE_TIMEOUT),
        tls: base.tls.clone(),
        ..ConnectOptions::default()
    };
    match Connection::connect(address, &opts) {
        Ok(mut c) => match c.leader() {
            Ok(_) | Err(client::Error::Tls { .. }) => true,
            Err(_) => false,
        },
        Err(client::Error::Tls { .. }) => true,
        Err(_) => false,
    }
}

#[cfg(feature = "embedded")]
/// Who holds `data_dir`'s lock right now (`None`: nobody, or no data dir yet).
fn lock_owner(address: &str, data_dir: &Path) -> Result<Option<LockOwner>, OpenError> {
    if !data_dir.join(node::LOCK_FILE).exists() {
        return Ok(None);
    }
    match DataDirLock::acquire(data_dir) {
        Ok(lock) => {
            drop(lock);
            Ok(None)
        }
        Err(NodeError::DataDirInUse { owner, .. }) => Ok(Some(owner)),
        Err(source) => Err(OpenError::StartNode {
            address: address.to_string(),
            data_dir: data_dir.to_path_buf(),
            source,
        }),
    }
}

#[cfg(feature = "embedded")]
fn who(owner: &LockOwner) -> String {
    match owner.pid {
        Some(p) if p == std::process::id() => format!("this process (pid {p})"),
        Some(p) => format!("pid {p}"),
        None => "another process".to_string(),
    }
}

#[cfg(feature = "embedded")]
/// The embedded URL's rules (module docs), in a bounded loop.
fn open_embedded(
    address: &str,
    data_dir: &Path,
    database: &str,
    opts: &OpenOptions,
    connect_opts: &ConnectOptions,
) -> Result<Database, OpenError> {
    let started = Instant::now();
    let mut poll = client::Backoff::fixed(LOCKED_POLL).with_budget(opts.lock_wait);
    let mut next_notice = started;
    loop {
        let waiting_for = match lock_owner(address, data_dir)? {
            None => {
                if node_answers(address, connect_opts) {
                    return Err(OpenError::ForeignNode {
                        address: address.to_string(),
                        data_dir: data_dir.to_path_buf(),
                        why: "no process holds that data dir".to_string(),
                    });
                }
                match start_embedded(address, data_dir.to_path_buf(), database, connect_opts) {
                    // Taken by another process between the look and the start: look again.
                    Err(OpenError::StartNode {
                        source: NodeError::DataDirInUse { owner, .. },
                        ..
                    }) => owner,
                    // The port is still bound although no node answers there (a node that
                    // just stopped, or its socket inherited by a child process that has not
                    // exited yet): wait for it within the same budget.
                    Err(
                        e @ OpenError::StartNode {
                            source: NodeError::Bind { .. },
                            ..
                        },
                    ) => {
                        if started.elapsed() >= BIND_WAIT {
                            return Err(e);
                        }
                        let Some(pause) = poll.next_delay() else {
                            return Err(e);
                        };
                        let now = Instant::now();
                        if now >= next_notice {
                            opts.notify(&format!(
                                "waiting for {address} to be free: no dqlite node answers there, but the port is still bound ({} s of at most {} s)",
                                now.duration_since(started).as_secs(),
                                opts.lock_wait.as_secs()
                            ));
                            next_notice = now + NOTICE_EVERY;
                        }
                        std::thread::sleep(pause);
                        continue;
                    }
                    other => return other,
                }
            }
            Some(owner) if owner.transient => owner,
            Some(owner) => {
                match owner.address.as_deref() {
                    Some(a) if a != address => {
                        return Err(OpenError::ServedElsewhere {
                            address: address.to_string(),
                            data_dir: data_dir.to_path_buf(),
                            pid: owner.pid,
                            owner_address: a.to_string(),
                        })
                    }
                    _ => {}
                }
                if node_answers(address, connect_opts) {
                    if let Some(false) = owner.pid.and_then(|p| node::listens(address, p)) {
                        return Err(OpenError::ForeignNode {
                            address: address.to_string(),
                            data_dir: data_dir.to_path_buf(),
                            why: format!("the data dir's node runs in {}, which does not listen at {address}", who(&owner)),
                        });
                    }
                    tracing::info!(%address, data_dir = %data_dir.display(), pid = owner.pid, "using a running node");
                    let left = poll.remaining().unwrap_or_default().max(PROBE_TIMEOUT);
                    let with_wait = ConnectOptions {
                        leader_timeout: left,
                        ..connect_opts.clone()
                    };
                    return connect(address, database, &with_wait);
                }
                owner
            }
        };
        let Some(pause) = poll.next_delay() else {
            return Err(OpenError::Busy {
                data_dir: data_dir.to_path_buf(),
                who: who(&waiting_for),
                waited: opts.lock_wait,
            });
        };
        let now = Instant::now();
        if now >= next_notice {
            tracing::info!(
                data_dir = %data_dir.display(),
                owner = %who(&waiting_for),
                transient = waiting_for.transient,
                waited_s = now.duration_since(started).as_secs(),
                "waiting for another process"
            );
            let what = if waiting_for.transient {
                "which runs the embedded node for another command"
            } else {
                "whose node does not answer yet"
            };
            opts.notify(&format!(
                "waiting for {} {what} on {} ({} s of at most {} s)",
                who(&waiting_for),
                data_dir.display(),
                now.duration_since(started).as_secs(),
                opts.lock_wait.as_secs()
            ));
            next_notice = now + NOTICE_EVERY;
        }
        std::thread::sleep(pause);
    }
}

#[cfg(feature = "embedded")]
fn start_embedded(
    address: &str,
    data_dir: PathBuf,
    database: &str,
    base: &ConnectOptions,
) -> Result<Database, OpenError> {
    let started = Instant::now();
    let mut cfg = NodeConfig::new(EMBEDDED_NODE_ID, address, data_dir.clone()).transient();
    // The embedded node serves over TLS with the connection's own certificate.
    cfg.tls = base.tls.clone();
    let node = node::start(cfg).map_err(|source| OpenError::StartNode {
        address: address.to_string(),
        data_dir,
        source,
    })?;
    // `open_with` retries leader discovery until `leader_timeout`: that is the bounded wait
    // for the fresh node to elect itself.
    let opts = ConnectOptions {
        leader_timeout: LEADER_WAIT.max(base.leader_timeout),
        ..base.clone()
    };
    let conn = Connection::open_with(address, database, &opts).map_err(|source| {
        OpenError::EmbeddedNotReady {
            address: address.to_string(),
            database: database.to_string(),
            source: Box::new(source),
        }
    })?;
    tracing::info!(
        %address,
        data_dir = %node.data_dir().display(),
        %database,
        elapsed_ms = started.elapsed().as_micros() as f64 / 1000.0,
        "started an embedded node"
    );
    Ok(Database {
        conn,
        node: Some(node),
    })
}
