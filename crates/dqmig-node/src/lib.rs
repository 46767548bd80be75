//! Safe owner of one embedded dqlite node (libdqlite 1.11.1 through `dqlite-sys`).
//!
//! `Node::new` validates the config, creates and locks the data directory, creates the
//! node and applies every setting (always including the bind address: starting without one
//! aborts the C library). `start` runs it; `Drop` stops it if it runs, destroys it and only
//! then releases the data-dir lock. Lifecycle calls go through one process-wide mutex
//! because libdqlite registers a SQLite VFS per node with a non-thread-safe counter
//! (two nodes created at once in one process can collide).
//!
//! A node with [`NodeConfig::tls`] or an `[IPv6]:port` address runs libdqlite on an
//! abstract socket and serves its TCP address through an in-process front (mutual TLS
//! with the CA's certificates, or plain TCP over IPv6), and dials peers through
//! `dqlite_node_set_connect_func`, as go-dqlite's `app` package does.
//!
//! Logging: `tracing` events under the target `dqmig_node` at INFO, "node started" and
//! "node stopped" with the fields `id`, `address` and `data_dir`.

mod cloexec;
mod config;
mod error;
mod listener;
mod lock;
mod proxy;

use std::ffi::CStr;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

pub use config::{check_node_address, NodeConfig, LATENCY_MS_RANGE};
pub use error::NodeError;
pub use listener::listens;
pub use lock::{DataDirLock, LockOwner, LOCK_FILE};

/// Serializes create/start/stop/destroy across all nodes of the process. Holds the
/// description of a failed `dqlite_node_create`, if any: libdqlite 1.11.1 frees the node on
/// failure without unregistering its SQLite VFS, so SQLite's global VFS list keeps a dangling
/// entry and a later create can spin forever in `sqlite3_vfs_register` (observed). After one
/// failure no further node is created in this process.
static LIFECYCLE: Mutex<Option<String>> = Mutex::new(None);

fn lifecycle() -> MutexGuard<'static, Option<String>> {
    // The guarded value is only ever replaced whole: a poisoned lock holds no torn state.
    LIFECYCLE.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Created,
    Running,
    Stopped,
}

/// One embedded dqlite node. `Send` but not `Sync`.
#[derive(Debug)]
pub struct Node {
    raw: NonNull<dqlite_sys::dqlite_node>,
    cfg: NodeConfig,
    state: State,
    // Dropped after `Drop::drop` has stopped and destroyed the node.
    /// Socket descriptors before libdqlite opened any (see `cloexec`).
    sockets_before: cloexec::Sockets,
    /// The TCP/TLS front when libdqlite listens on an abstract socket (TLS, IPv6); dropped
    /// after the node was destroyed, like `dialer`, which libdqlite calls until then.
    front: Option<proxy::Front>,
    server_tls: Option<std::sync::Arc<dqmig_client::tls::rustls::ServerConfig>>,
    dialer: Option<Box<proxy::Dialer>>,
    _lock: DataDirLock,
}

// SAFETY: the dqlite_node handle is only used through `&mut self` (or `&self` for reading the
// bind address, which is immutable after creation); libdqlite's own loop thread is
// independent of the thread that owns the handle, and stop/destroy may run on any thread.
unsafe impl Send for Node {}

impl Node {
    /// Validate `cfg`, create and lock the data directory, create the node and apply its
    /// settings. The node does not run until `start`.
    pub fn new(cfg: NodeConfig) -> Result<Node, NodeError> {
        cfg.validate()?;
        std::fs::create_dir_all(&cfg.data_dir).map_err(|source| NodeError::CreateDataDir {
            path: cfg.data_dir.clone(),
            source,
        })?;
        let sockets_before = cloexec::Sockets::now();
        let lock = DataDirLock::acquire_as(&cfg.data_dir, Some(&cfg.address), cfg.transient)?;

        let address = config::c_string("address", &cfg.address)?;
        let data_dir = config::c_path(&cfg.data_dir)?;
        let front_mode = cfg.needs_front();
        let server_tls = match &cfg.tls {
            Some(tls) => Some(tls.server_config().map_err(|e| NodeError::InvalidConfig {
                field: "tls",
                value: "the given CA, certificate and key".into(),
                expected: e.to_string(),
            })?),
            None => None,
        };
        let front = if front_mode {
            let tcp = cfg.effective_bind_address();
            Some(proxy::Front::bind(tcp).map_err(|e| NodeError::Bind {
                address: tcp.to_string(),
                reason: e.to_string(),
                code: 0,
            })?)
        } else {
            None
        };
        let bind = config::c_string(
            "bind address",
            if front_mode {
                "@"
            } else {
                cfg.effective_bind_address()
            },
        )?;

        let mut raw: *mut dqlite_sys::dqlite_node = std::ptr::null_mut();
        let rc = {
            let mut failed_before = lifecycle();
            if let Some(earlier) = failed_before.as_ref() {
                return Err(NodeError::CreateRefused {
                    id: cfg.id,
                    address: cfg.address.clone(),
                    earlier: earlier.clone(),
                });
            }
            // SAFETY: both strings are valid NUL-terminated C strings that outlive the call
            // (libdqlite copies them); `raw` is a valid out-pointer.
            let rc = unsafe {
                dqlite_sys::dqlite_node_create(
                    cfg.id,
                    address.as_ptr(),
                    data_dir.as_ptr(),
                    &mut raw,
                )
            };
            if rc != 0 {
                *failed_before = Some(format!("code {rc} on data dir {}", cfg.data_dir.display()));
            }
            rc
        };
        // On failure 1.11.1 has already freed the node and set `raw` to NULL. Should a
        // non-NULL pointer ever come back with an error, it is leaked on purpose: destroying
        // an uninitialized node would free memory SQLite's VFS list still points to.
        let Some(raw) = NonNull::new(raw).filter(|_| rc == 0) else {
            return Err(NodeError::Create {
                id: cfg.id,
                address: cfg.address.clone(),
                data_dir: cfg.data_dir.clone(),
                code: rc,
            });
        };
        // From here on, Drop destroys the node on every error path.
        let dialer = front_mode.then(|| {
            Box::new(proxy::Dialer {
                tls: cfg.tls.clone(),
            })
        });
        let mut node = Node {
            raw,
            cfg,
            state: State::Created,
            sockets_before,
            front,
            server_tls,
            dialer: None,
            _lock: lock,
        };
        if let Some(d) = dialer {
            let arg = &*d as *const proxy::Dialer as *mut std::os::raw::c_void;
            node.dialer = Some(d);
            // SAFETY: live, not started node; `arg` points into the Box kept in
            // `node.dialer`, which is dropped only after the node is destroyed.
            let rc = unsafe {
                dqlite_sys::dqlite_node_set_connect_func(
                    node.raw.as_ptr(),
                    Some(proxy::connect_func),
                    arg,
                )
            };
            node.check_setting("connect function", "TLS/IPv6 dialer".into(), rc)?;
        }

        // SAFETY: `node.raw` is a live, not yet started node; `bind` is a valid C string.
        let rc =
            unsafe { dqlite_sys::dqlite_node_set_bind_address(node.raw.as_ptr(), bind.as_ptr()) };
        node.sockets_before.mark_new_cloexec();
        if rc != 0 {
            let address = bind.to_string_lossy().into_owned();
            return Err(NodeError::Bind {
                reason: bind_failure_reason(&address, rc),
                address,
                code: rc,
            });
        }
        if let Some(ms) = node.cfg.network_latency_ms {
            // SAFETY: live, not started node.
            let rc =
                unsafe { dqlite_sys::dqlite_node_set_network_latency_ms(node.raw.as_ptr(), ms) };
            node.check_setting("network latency", format!("{ms} ms"), rc)?;
        }
        if let Some((threshold, trailing)) = node.cfg.snapshot_params {
            // SAFETY: live, not started node.
            let rc = unsafe {
                dqlite_sys::dqlite_node_set_snapshot_params(node.raw.as_ptr(), threshold, trailing)
            };
            node.check_setting(
                "snapshot params",
                format!("threshold {threshold}, trailing {trailing}"),
                rc,
            )?;
        }
        if let Some(code) = node.cfg.failure_domain {
            // SAFETY: live, not started node.
            let rc = unsafe { dqlite_sys::dqlite_node_set_failure_domain(node.raw.as_ptr(), code) };
            node.check_setting("failure domain", code.to_string(), rc)?;
        }
        Ok(node)
    }

    fn check_setting(
        &self,
        setting: &'static str,
        value: String,
        rc: i32,
    ) -> Result<(), NodeError> {
        if rc == 0 {
            Ok(())
        } else {
            Err(NodeError::Setting {
                setting,
                value,
                code: rc,
            })
        }
    }

    /// Start the node's event loop thread. A node whose id is 1 bootstraps a one-voter
    /// cluster on an empty data dir and elects itself shortly after.
    pub fn start(&mut self) -> Result<(), NodeError> {
        match self.state {
            State::Created => {}
            State::Running => return Err(self.bad_state("is already running")),
            State::Stopped => return Err(self.bad_state("was stopped and cannot be restarted")),
        }
        let rc = {
            let _g = lifecycle();
            // SAFETY: live node, created and configured (bind address set), not started.
            unsafe { dqlite_sys::dqlite_node_start(self.raw.as_ptr()) }
        };
        if rc != 0 {
            // Not running: Drop must only destroy. A failed start cannot be retried.
            self.state = State::Stopped;
            return Err(NodeError::Start {
                id: self.cfg.id,
                address: self.cfg.address.clone(),
                code: rc,
                message: self.errmsg(),
            });
        }
        self.state = State::Running;
        self.sockets_before.mark_new_cloexec();
        if self.front.is_some() {
            let target = self.dqlite_bind_address();
            let target = target.strip_prefix('@').unwrap_or(&target).to_string();
            let address = self.cfg.effective_bind_address().to_string();
            let tls = self.server_tls.clone();
            if let Some(front) = self.front.as_mut() {
                if let Err(e) = front.serve(address.clone(), target, tls) {
                    let _ = self.stop();
                    return Err(NodeError::Bind {
                        address,
                        reason: format!("starting the TCP front: {e}"),
                        code: 0,
                    });
                }
            }
        }
        tracing::info!(
            id = self.cfg.id,
            address = %self.cfg.address,
            data_dir = %self.cfg.data_dir.display(),
            "node started"
        );
        Ok(())
    }

    /// Stop the node (closes client connections after in-flight requests, joins its thread).
    /// A no-op if the node is not running.
    pub fn stop(&mut self) -> Result<(), NodeError> {
        if self.state != State::Running {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let rc = {
            let _g = lifecycle();
            // SAFETY: the node was started successfully and not stopped yet.
            unsafe { dqlite_sys::dqlite_node_stop(self.raw.as_ptr()) }
        };
        self.state = State::Stopped;
        tracing::info!(
            id = self.cfg.id,
            address = %self.cfg.address,
            data_dir = %self.cfg.data_dir.display(),
            elapsed_ms = started.elapsed().as_micros() as f64 / 1000.0,
            ok = rc == 0,
            "node stopped"
        );
        if rc != 0 {
            return Err(NodeError::Stop {
                id: self.cfg.id,
                address: self.cfg.address.clone(),
                code: rc,
            });
        }
        Ok(())
    }

    /// The raft id.
    pub fn id(&self) -> u64 {
        self.cfg.id
    }

    /// The advertised address.
    pub fn address(&self) -> &str {
        &self.cfg.address
    }

    /// Where the node listens: its TCP address when the in-process front serves it (TLS,
    /// IPv6), else the address libdqlite reports (`@` becomes the picked name).
    pub fn bind_address(&self) -> String {
        if self.front.is_some() {
            return self.cfg.effective_bind_address().to_string();
        }
        self.dqlite_bind_address()
    }

    /// Whether clients and peers must speak TLS to this node.
    pub fn uses_tls(&self) -> bool {
        self.cfg.tls.is_some()
    }

    fn dqlite_bind_address(&self) -> String {
        // SAFETY: live node; the returned string is owned by the node and valid while it
        // lives (we copy it before returning). The bind address is set in `new`.
        let p = unsafe { dqlite_sys::dqlite_node_get_bind_address(self.raw.as_ptr()) };
        if p.is_null() {
            return self.cfg.effective_bind_address().to_string();
        }
        // SAFETY: non-null, NUL-terminated string owned by the live node.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    /// The raft data directory.
    pub fn data_dir(&self) -> &Path {
        &self.cfg.data_dir
    }

    /// The configuration the node was created with.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// Whether `start` succeeded and `stop` has not been called.
    pub fn is_running(&self) -> bool {
        self.state == State::Running
    }

    fn bad_state(&self, state: &'static str) -> NodeError {
        NodeError::BadState {
            id: self.cfg.id,
            state,
        }
    }

    fn errmsg(&self) -> String {
        // SAFETY: live node; the message is owned by the node, copied before returning.
        let p = unsafe { dqlite_sys::dqlite_node_errmsg(self.raw.as_ptr()) };
        if p.is_null() {
            return "libdqlite gave no error message".to_string();
        }
        // SAFETY: non-null, NUL-terminated string owned by the live node.
        let msg = unsafe { CStr::from_ptr(p) }
            .to_string_lossy()
            .trim()
            .to_string();
        if msg.is_empty() {
            "libdqlite gave no error message".to_string()
        } else {
            msg
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.stop();
        let _g = lifecycle();
        // SAFETY: the node is live and not running (stopped above or never started); it is
        // never used again. The lock field is released after this, once the node is gone.
        unsafe { dqlite_sys::dqlite_node_destroy(self.raw.as_ptr()) };
    }
}

/// `Node::new` then `start`.
pub fn start(cfg: NodeConfig) -> Result<Node, NodeError> {
    let mut node = Node::new(cfg)?;
    node.start()?;
    Ok(node)
}

/// A random node id derived from `address` and the clock (libdqlite's
/// `dqlite_generate_node_id`; not reproducible). Bytes after a NUL in `address` are ignored.
pub fn generate_node_id(address: &str) -> u64 {
    let head = address.split('\0').next().unwrap_or_default();
    let c = std::ffi::CString::new(head).unwrap_or_default();
    // SAFETY: `c` is a valid C string for the duration of the call.
    unsafe { dqlite_sys::dqlite_generate_node_id(c.as_ptr()) }
}

/// Why binding `address` failed: the OS error from binding it ourselves, if any.
fn bind_failure_reason(address: &str, code: i32) -> String {
    if !address.starts_with('@') {
        if let Err(e) = std::net::TcpListener::bind(address) {
            return format!("{e} (libdqlite code {code})");
        }
    } else {
        return format!("the abstract socket name may be taken (libdqlite code {code})");
    }
    format!("libdqlite refused the address (code {code})")
}
