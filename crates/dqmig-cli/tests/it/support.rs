//! Shared helpers for the integration tests: free loopback ports and in-process dqlite
//! nodes on temp dirs (id 1, so each bootstraps a one-node cluster and leads it).

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use dqmig::node::{self, Node, NodeConfig, NodeError};

/// How many fresh ports `start_node` tries before giving up.
const PORT_ATTEMPTS: usize = 20;

/// A running node with its temp data dir (deleted on drop, after the node stopped: fields
/// drop in declaration order).
pub struct TestNode {
    pub node: Node,
    pub dir: tempfile::TempDir,
    pub address: String,
}

/// Lowest port handed out to tests.
const FIRST_TEST_PORT: u32 = 20_000;

/// A loopback port that was free a moment ago, never handed out before in this process.
///
/// Ports come from below the kernel's ephemeral range (`ip_local_port_range`), which the
/// kernel uses for `bind(0)` and outgoing connections. So a port freed by a stopped node
/// is not taken over by a parallel test's listener or client socket, and tests can assert
/// that a stopped node freed its port. The start is spread by pid so that concurrent test
/// processes rarely probe the same ports.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static START: OnceLock<(u32, u32)> = OnceLock::new();
    let (start, span) = *START.get_or_init(|| {
        let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|t| t.split_whitespace().next()?.parse::<u32>().ok())
            .unwrap_or(32_768);
        let span = low.saturating_sub(FIRST_TEST_PORT).max(1_000);
        ((std::process::id().wrapping_mul(7_919)) % span, span)
    });
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (FIRST_TEST_PORT + (start + n) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free loopback port in {FIRST_TEST_PORT}..{}",
        FIRST_TEST_PORT + span
    );
}

/// Start a node with id 1 on a fresh temp dir and a free loopback port, retrying with a new
/// port if another test grabbed it in between.
pub fn start_node() -> TestNode {
    let dir = tempfile::tempdir().expect("creating a temp dir for a test node");
    let (node, address) = start_on_free_port(1, dir.path());
    TestNode { node, dir, address }
}

/// Start a node with `id` on `data_dir` on a free loopback port (bounded retries).
pub fn start_on_free_port(id: u64, data_dir: &Path) -> (Node, String) {
    let mut last = None;
    for _ in 0..PORT_ATTEMPTS {
        let address = format!("127.0.0.1:{}", free_port());
        match node::start(NodeConfig::new(id, address.clone(), data_dir)) {
            Ok(n) => return (n, address),
            Err(e @ NodeError::Bind { .. }) => last = Some(e),
            Err(e) => panic!("starting a test node on {address}: {e}"),
        }
    }
    panic!("no free port after {PORT_ATTEMPTS} attempts; last error: {last:?}")
}

/// Stop and drop the node, then start a new one on the same data dir, id and address.
pub fn restart(t: TestNode) -> TestNode {
    let TestNode { node, dir, address } = t;
    let id = node.id();
    drop(node);
    let mut last = None;
    // The port was ours a moment ago; another test could only take it by chance. Retry
    // briefly (bounded) in case the kernel has not released it yet.
    for _ in 0..50 {
        match node::start(NodeConfig::new(id, address.clone(), dir.path())) {
            Ok(node) => return TestNode { node, dir, address },
            Err(e @ NodeError::Bind { .. }) => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("restarting the test node on {address}: {e}"),
        }
    }
    panic!("restarting the test node on {address}: port stayed busy: {last:?}")
}

/// The built `dqmig` binary with a clean environment: no `DQMIG_URL`, no `RUST_LOG` (log
/// events only with -v), no colour.
pub fn dqmig_bin() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dqmig"));
    cmd.env_remove("DQMIG_URL")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs a command to the end and requires exit 0, showing its stderr otherwise.
pub trait RunOk {
    fn run_ok(&mut self) -> std::process::Output;
}

impl RunOk for std::process::Command {
    fn run_ok(&mut self) -> std::process::Output {
        let out = self.output().expect("running the command");
        assert!(
            out.status.success(),
            "{:?} failed ({}): {}",
            self.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// Waits (at most 10 s) until `address` can be bound again, and panics naming `what`
/// otherwise. The wait covers a child process spawned by a parallel test in the instant a
/// node's socket existed before it was marked close-on-exec: the child holds the port until
/// it exits. A node that never frees its port still fails.
pub fn wait_port_free(address: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match TcpListener::bind(address) {
            Ok(_) => return,
            Err(e) if std::time::Instant::now() >= deadline => {
                panic!("{what}: {address} is still taken after 10 s: {e}")
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}
