//! Process harness for cluster tests: `dqmig node start` processes on loopback ports chosen
//! at run time, data dirs in one temp dir, stderr captured per process, bounded waits with
//! messages that include the node logs, and every process killed by its own pid on drop
//! (SIGKILL for failover, SIGTERM for a clean stop).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dqmig::client::{ConnectOptions, Connection};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::support::free_port;

/// Bounded wait for a node to print its ready line or for a leader to appear.
pub const WAIT: Duration = Duration::from_secs(60);

/// Raft latency hint given to every node: heartbeat 150 ms, election timeout 1.5 s (short
/// failovers, yet few spurious elections on a loaded machine).
pub const LATENCY_MS: u32 = 100;

/// Client options for cluster tests. The read timeout matters: libdqlite 1.11.1 can leave
/// a request unanswered across a leadership change (a barrier whose callback never fires;
/// fixed upstream in dqlite PR #761), and without a timeout the client would wait forever.
/// A timeout breaks the connection, which the retry paths handle like any lost leader.
pub fn client_options() -> ConnectOptions {
    ConnectOptions {
        read_timeout: Some(Duration::from_secs(15)),
        leader_timeout: Duration::from_secs(20),
        ..ConnectOptions::default()
    }
}

/// Opens `db` through `seeds` with [`client_options`].
pub fn open(seeds: &str, db: &str) -> Connection {
    Connection::open_with(seeds, db, &client_options())
        .unwrap_or_else(|e| panic!("opening {db} through {seeds}: {e}"))
}

/// One `dqmig node start` process.
pub struct NodeProc {
    pub id: u64,
    pub address: String,
    pub data_dir: PathBuf,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
}

impl NodeProc {
    /// Spawns `dqmig node start` (not waiting for it to be ready).
    pub fn spawn(id: u64, address: &str, data_dir: PathBuf, join: &[String]) -> NodeProc {
        NodeProc::spawn_with(id, address, data_dir, join, &[])
    }

    /// [`NodeProc::spawn`] with extra arguments (e.g. the `--tls-*` flags).
    pub fn spawn_with(
        id: u64,
        address: &str,
        data_dir: PathBuf,
        join: &[String],
        extra: &[String],
    ) -> NodeProc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dqmig"));
        cmd.args([
            "node",
            "start",
            "--id",
            &id.to_string(),
            "--address",
            address,
        ])
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--network-latency-ms", &LATENCY_MS.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if !join.is_empty() {
            cmd.args(["--join", &join.join(",")]);
        }
        cmd.args(extra);
        let mut child = cmd.spawn().expect("spawning dqmig node start");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        NodeProc {
            id,
            address: address.to_string(),
            data_dir,
            child: Some(child),
            log,
        }
    }

    /// Everything the process wrote on stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Waits for the ready line; Err with the log if the process exits or `WAIT` passes.
    pub fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.log().contains(" ready: ") {
                return Ok(());
            }
            if !self.running() {
                // Let the reader thread catch the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Err(format!(
                    "node {} at {} exited before it was ready; its log:\n{}",
                    self.id,
                    self.address,
                    self.log()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "node {} at {} not ready after {WAIT:?}; its log:\n{}",
                    self.id,
                    self.address,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&mut self, sig: Signal) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let pid = Pid::from_raw(child.id() as i32);
        if matches!(child.try_wait(), Ok(None)) {
            let _ = kill(pid, sig);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = kill(pid, Signal::SIGKILL);
                    return child.wait().ok();
                }
            }
        }
    }

    /// SIGSTOP: the process stays, its port still accepts connections, nothing answers.
    pub fn freeze(&self) {
        if let Some(c) = &self.child {
            kill(Pid::from_raw(c.id() as i32), Signal::SIGSTOP).expect("SIGSTOP to a node");
        }
    }

    /// SIGCONT after [`NodeProc::freeze`].
    pub fn thaw(&self) {
        if let Some(c) = &self.child {
            kill(Pid::from_raw(c.id() as i32), Signal::SIGCONT).expect("SIGCONT to a node");
        }
    }

    /// SIGKILL (a crash) and reap.
    pub fn kill(&mut self) {
        self.signal(Signal::SIGKILL);
    }

    /// SIGTERM and wait (bounded; SIGKILL after 30 s). Returns the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.signal(Signal::SIGTERM)
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}

/// A cluster of `dqmig node` processes sharing one temp dir.
pub struct Cluster {
    pub nodes: Vec<NodeProc>,
    // Dropped after the nodes (field order): data dirs outlive the processes.
    pub dir: tempfile::TempDir,
    /// How nodes are started: their host and extra arguments, and the client options
    /// that reach them (TLS).
    pub setup: ClusterSetup,
}

/// How [`Cluster::start_with`] starts its nodes.
#[derive(Clone)]
pub struct ClusterSetup {
    /// The IP the nodes listen on: `127.0.0.1` or `[::1]`.
    pub host: String,
    /// Extra `dqmig node start` arguments.
    pub args: Vec<String>,
    /// Client options that reach the nodes (TLS settings).
    pub client: ConnectOptions,
}

impl Default for ClusterSetup {
    fn default() -> Self {
        ClusterSetup {
            host: "127.0.0.1".into(),
            args: Vec::new(),
            client: ConnectOptions::default(),
        }
    }
}

/// Spawns a fresh node on a free port, retrying with another port if it could not bind.
fn spawn_fresh(id: u64, data_dir: PathBuf, join: &[String], setup: &ClusterSetup) -> NodeProc {
    let mut last = String::new();
    for _ in 0..10 {
        let address = format!("{}:{}", setup.host, free_port());
        let mut p = NodeProc::spawn_with(id, &address, data_dir.clone(), join, &setup.args);
        match p.wait_ready() {
            Ok(()) => return p,
            Err(e) if e.contains("binding") => {
                last = e;
                drop(p);
                let _ = std::fs::remove_dir_all(&data_dir);
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("no free port for node {id} after 10 attempts; last:\n{last}")
}

impl Cluster {
    /// Node 1 bootstraps, nodes 2..=n join one after the other; each waited for.
    pub fn start(n: usize) -> Cluster {
        Cluster::start_with(n, ClusterSetup::default())
    }

    /// [`Cluster::start`] with the nodes' host, extra arguments and client options.
    pub fn start_with(n: usize, setup: ClusterSetup) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir for a cluster");
        let mut nodes: Vec<NodeProc> = Vec::new();
        for id in 1..=n as u64 {
            let join: Vec<String> = nodes.iter().map(|p| p.address.clone()).collect();
            let data_dir = dir.path().join(format!("node{id}"));
            nodes.push(spawn_fresh(id, data_dir, &join, &setup));
        }
        Cluster { nodes, dir, setup }
    }

    /// Starts one more node with `id` that joins through every current member (default
    /// role); returns its index.
    pub fn join_new(&mut self, id: u64) -> usize {
        let join: Vec<String> = self.nodes.iter().map(|p| p.address.clone()).collect();
        let data_dir = self.dir.path().join(format!("node{id}"));
        self.nodes
            .push(spawn_fresh(id, data_dir, &join, &self.setup));
        self.nodes.len() - 1
    }

    /// Every node's address, comma-separated (a seed list).
    pub fn seeds(&self) -> String {
        self.nodes
            .iter()
            .map(|p| p.address.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A cluster URL for `database`.
    pub fn url(&self, database: &str) -> String {
        format!("dqlite://{}/{database}", self.seeds())
    }

    /// Index of the node that leads, waiting (bounded) until a running node reports
    /// itself as leader.
    pub fn wait_leader(&mut self) -> usize {
        let deadline = Instant::now() + WAIT;
        let opts = ConnectOptions {
            dial_timeout: Duration::from_secs(2),
            leader_timeout: Duration::from_secs(2),
            read_timeout: Some(Duration::from_secs(10)),
            ..self.setup.client.clone()
        };
        let mut last = String::new();
        while Instant::now() < deadline {
            let live: Vec<String> = self
                .nodes
                .iter_mut()
                .filter_map(|p| p.running().then(|| p.address.clone()))
                .collect();
            match Connection::connect_leader(&live.join(","), &opts) {
                Ok(c) => {
                    if let Some(i) = self.nodes.iter().position(|p| p.address == c.address()) {
                        return i;
                    }
                    last = format!("leader at unknown address {}", c.address());
                }
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "no leader among the running nodes after {WAIT:?} ({last}); logs:\n{}",
            self.logs()
        )
    }

    /// Restarts node `i` (which must have been stopped or killed) on its data dir and address.
    pub fn restart(&mut self, i: usize) {
        let (id, address, data_dir) = {
            let p = &mut self.nodes[i];
            assert!(!p.running(), "node {} still runs", p.id);
            (p.id, p.address.clone(), p.data_dir.clone())
        };
        // The port was this node's; the kernel may need a moment to release it (bounded).
        let mut last = String::new();
        for _ in 0..20 {
            let mut p = NodeProc::spawn_with(id, &address, data_dir.clone(), &[], &self.setup.args);
            match p.wait_ready() {
                Ok(()) => {
                    self.nodes[i] = p;
                    return;
                }
                Err(e) if e.contains("binding") => {
                    last = e;
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => panic!("{e}"),
            }
        }
        panic!("restarting node {id} on {address}: {last}")
    }

    /// All nodes' logs, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|p| format!("--- node {} ({}):\n{}", p.id, p.address, p.log()))
            .collect()
    }
}
