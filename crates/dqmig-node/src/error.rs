//! `NodeError`: the one error type of the embedded-node layer. Every variant names what was
//! being done (validating, locking, creating, binding, starting, stopping) and what to do.

use std::path::PathBuf;

/// What can go wrong while configuring, starting or stopping an embedded dqlite node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// A configuration value was rejected before libdqlite saw it.
    #[error("invalid node {field} {value:?}: expected {expected}")]
    InvalidConfig {
        /// Which setting (`id`, `address`, `bind address`, `data dir`, ...).
        field: &'static str,
        /// The value as given.
        value: String,
        /// What would have been accepted.
        expected: String,
    },

    /// The data directory did not exist and could not be created.
    #[error(
        "creating the node data directory {path}: {source}; check the path and its permissions"
    )]
    CreateDataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The lock file in the data directory could not be opened, read or written.
    #[error(
        "locking the node data directory with {path}: {source}; check the directory's permissions"
    )]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Another node (in this or another process) holds the data directory's lock.
    #[error("{}", in_use_message(path, *pid))]
    DataDirInUse {
        /// The data directory.
        path: PathBuf,
        /// The pid written in the lock file by the owner, if readable.
        pid: Option<u32>,
        /// Everything the lock file says of its owner.
        owner: super::LockOwner,
    },

    /// `dqlite_node_create` failed. The code may be a raw raft code (19 = data dir not
    /// found); there is no node, so libdqlite has no message to add.
    /// libdqlite 1.11.1 frees the node but leaves its SQLite VFS registered, so the process
    /// cannot safely create another node afterwards (see `CreateRefused`).
    #[error("creating the dqlite node {id} at {address} on {}: libdqlite returned code {code} ({}); fix or empty the data directory and restart the process (after a failed create libdqlite 1.11 cannot create further nodes in this process)", data_dir.display(), create_code_hint(*code))]
    Create {
        id: u64,
        address: String,
        data_dir: PathBuf,
        code: i32,
    },

    /// An earlier `dqlite_node_create` failed in this process: libdqlite 1.11.1 then leaves
    /// a freed VFS in SQLite's global list, and the next create can loop forever, so it is
    /// not attempted.
    #[error("creating the dqlite node {id} at {address}: refused because an earlier node creation in this process failed ({earlier}), which leaves libdqlite 1.11 unable to create nodes safely; restart the process")]
    CreateRefused {
        id: u64,
        address: String,
        /// The earlier failure.
        earlier: String,
    },

    /// The node could not listen on its bind address (usually: port already in use).
    #[error("binding the dqlite node to {address}: {reason}; choose a free address or stop whatever listens there")]
    Bind {
        address: String,
        /// libdqlite's return code.
        code: i32,
        /// The OS-level reason if it could be found, otherwise the libdqlite code.
        reason: String,
    },

    /// A setter (latency, snapshot params, failure domain) was refused by libdqlite.
    #[error("setting the dqlite node's {setting} to {value}: libdqlite returned code {code}")]
    Setting {
        setting: &'static str,
        value: String,
        code: i32,
    },

    /// `dqlite_node_start` failed.
    #[error("starting the dqlite node {id} at {address}: {message} (libdqlite code {code}); check the data directory and the logs above")]
    Start {
        id: u64,
        address: String,
        code: i32,
        /// `dqlite_node_errmsg`, or a note that libdqlite gave none.
        message: String,
    },

    /// `start` called on a node that already runs or already stopped.
    #[error("starting the dqlite node {id}: it {state}; create a new Node on the same data dir to run it again")]
    BadState { id: u64, state: &'static str },

    /// `dqlite_node_stop` failed.
    #[error("stopping the dqlite node {id} at {address}: libdqlite returned code {code}")]
    Stop { id: u64, address: String, code: i32 },
}

fn in_use_message(path: &std::path::Path, pid: Option<u32>) -> String {
    let who = match pid {
        Some(p) if p == std::process::id() => format!("another node in this process (pid {p})"),
        Some(p) => format!("another process (pid {p})"),
        None => "another process".to_string(),
    };
    format!(
        "data directory {} is in use: {who} runs a dqlite node on it; stop it or choose another data directory",
        path.display()
    )
}

fn create_code_hint(code: i32) -> &'static str {
    // 1..=3 are DQLITE_* codes; larger ones are raw raft codes (raft.h of libraft 0.15).
    match code {
        1 => "DQLITE_ERROR",
        2 => "DQLITE_MISUSE: an argument was refused",
        3 => "DQLITE_NOMEM: out of memory",
        6 => "raft MALFORMED: the raft files in the data directory are malformed",
        12 => "raft CORRUPT: the raft files in the data directory are corrupt",
        18 => "raft IOERR: reading or writing the data directory failed",
        19 => "raft NOTFOUND: the data directory does not exist",
        21 => "raft UNAUTHORIZED: no permission to use the data directory",
        22 => "raft NOSPACE: not enough disk space for the data directory",
        _ => "a raft error code; check the data directory",
    }
}
