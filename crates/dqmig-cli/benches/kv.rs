//! kv benchmark: this crate's client and embedded node against go-dqlite's own
//! `dqlite-benchmark`, on the same workloads, durations and worker counts.
//!
//! What go-dqlite 1.11.5 does (`benchmark/{benchmark,worker,tracker}.go`), replicated here:
//! - database `benchmark`, schema `CREATE TABLE IF NOT EXISTS model (key TEXT, value TEXT, UNIQUE(key))`;
//! - `kvwrite`: every op is `INSERT OR REPLACE INTO model(key, value) VALUES(?, ?)` with a
//!   fresh random key (32 letters from [a-zA-Z]) and a value of 512 copies of one random
//!   letter followed by 512 random letters (value size 1024);
//! - `kvreadwrite`: each op flips a coin; heads and at least one key written by this worker
//!   → `SELECT value FROM model WHERE key = ?` on a random key this worker wrote (one row
//!   scanned; no row is an error), else the write above;
//! - each worker loops until the duration ends, timing each op (failed writes do not add
//!   their key); per worker and op kind the go tool writes `results/<worker>-<exec|query>-<ts>`
//!   with `n`, `n_err`, and one `<start ns> <ms>` line per successful op, then `errors`.
//!
//! go's workers share one `database/sql` pool (max 500 connections), so each worker holds
//! its own connection; here each worker is a thread with its own `Connection`.
//!
//! Environment: `DQMIG_BENCH_SECS` (default 5) seconds per run, `DQMIG_BENCH_ROUNDS`
//! (default 4) pairs of runs per case; `DQMIG_BENCH_STMT_CACHE`
//! (default: the client's default) sets `ConnectOptions::statement_cache` for our side
//! (0 sends SQL text every time, as go-dqlite's driver does).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dqmig::client::{ConnectOptions, Connection};
use dqmig::node::{self, NodeConfig};

const KEY_SIZE: usize = 32;
const VALUE_SIZE: usize = 1024;
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS model (key TEXT, value TEXT, UNIQUE(key))";
const READ_SQL: &str = "SELECT value FROM model WHERE key = ?";
const WRITE_SQL: &str = "INSERT OR REPLACE INTO model(key, value) VALUES(?, ?)";
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    KvWrite,
    KvReadWrite,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::KvWrite => "kvwrite",
            Workload::KvReadWrite => "kvreadwrite",
        }
    }
}

/// What one side of one case measured.
#[derive(Debug, Default)]
struct Measured {
    /// Latency of every successful op, in milliseconds.
    latencies_ms: Vec<f64>,
    /// Latency of every successful read, in milliseconds (a subset of `latencies_ms`).
    reads_ms: Vec<f64>,
    /// How many successful ops were writes (the rest were reads).
    writes: usize,
    errors: usize,
    /// Errors whose message says "database is locked" (must be 0 for our client).
    locked: usize,
    first_error: Option<String>,
}

impl Measured {
    fn merge(&mut self, other: Measured) {
        self.latencies_ms.extend(other.latencies_ms);
        self.reads_ms.extend(other.reads_ms);
        self.writes += other.writes;
        self.errors += other.errors;
        self.locked += other.locked;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn ops_per_sec(&self, secs: u64) -> f64 {
        self.latencies_ms.len() as f64 / secs as f64
    }

    fn percentile(&mut self, p: f64) -> f64 {
        percentile(&mut self.latencies_ms, p)
    }

    /// Reads one connection can serve per second: 1 / mean read latency. This is the
    /// "read rate per connection", independent of how many writes were interleaved.
    fn read_rate(&self) -> f64 {
        if self.reads_ms.is_empty() {
            return f64::NAN;
        }
        1000.0 * self.reads_ms.len() as f64 / self.reads_ms.iter().sum::<f64>()
    }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let idx = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[idx]
}

/// xorshift64*: a small, seedable generator, enough to pick letters and coin flips.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| LETTERS[self.below(LETTERS.len())] as char)
            .collect()
    }
    fn value(&mut self) -> String {
        let c = self.letters(1);
        c.repeat(VALUE_SIZE / 2) + &self.letters(VALUE_SIZE / 2)
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binding 127.0.0.1:0 to find a free port");
    l.local_addr()
        .expect("local address of a bound listener")
        .port()
}

// ---------------------------------------------------------------------------------------
// go-dqlite side

fn run_go(workload: Workload, workers: usize, secs: u64) -> Measured {
    let dir = tempfile::tempdir().expect("creating a temp dir for dqlite-benchmark");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new("dqlite-benchmark")
        .args(["--db", &addr, "--driver", "--cluster", &addr])
        .args([
            "--duration",
            &secs.to_string(),
            "--workers",
            &workers.to_string(),
        ])
        .args([
            "--workload",
            workload.name(),
            "--cluster-timeout",
            "60",
            "-D",
        ])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting dqlite-benchmark (package go-dqlite; run `make deps`)");
    let deadline = Instant::now() + Duration::from_secs(secs + 120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for dqlite-benchmark") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "dqlite-benchmark did not finish within {} s; killed",
                secs + 120
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "dqlite-benchmark failed with {status}");
    // The tool runs its node in DIR/ADDR and writes DIR/ADDR/results/.
    parse_go_results(&dir.path().join(&addr).join("results"))
}

fn parse_go_results(dir: &Path) -> Measured {
    let mut total = Measured::default();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("listing results").path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "dqlite-benchmark wrote no result files in {}",
        dir.display()
    );
    for path in files {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        total.merge(parse_go_file(&text, &path));
    }
    total
}

/// One results file: `n N`, `n_err N`, avg/max/min lines, `measurements ...`, one
/// `<start ns> <ms>` per op, a blank line, `errors`, one `<start ns> <message>` per error.
fn parse_go_file(text: &str, path: &Path) -> Measured {
    let mut m = Measured::default();
    let mut section = "";
    let mut n = None;
    for line in text.lines() {
        if line.starts_with("measurements") {
            section = "measurements";
        } else if line == "errors" {
            section = "errors";
        } else if let Some(v) = line.strip_prefix("n ") {
            n = v.trim().parse::<usize>().ok();
        } else if line.trim().is_empty() {
            continue;
        } else if section == "measurements" {
            let ms = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok());
            m.latencies_ms
                .push(ms.unwrap_or_else(|| panic!("bad line {line:?} in {}", path.display())));
        } else if section == "errors" {
            m.errors += 1;
            if line.contains("database is locked") {
                m.locked += 1;
            }
            if m.first_error.is_none() {
                m.first_error = Some(line.split_once(' ').map_or(line, |(_, msg)| msg).to_owned());
            }
        }
    }
    assert_eq!(
        n,
        Some(m.latencies_ms.len()),
        "n does not match the measurements in {}",
        path.display()
    );
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains("-exec-") {
        m.writes = m.latencies_ms.len();
    } else {
        m.reads_ms = m.latencies_ms.clone();
    }
    m
}

// ---------------------------------------------------------------------------------------
// dqmig side

fn run_ours(workload: Workload, workers: usize, secs: u64) -> Measured {
    let dir = tempfile::tempdir().expect("creating a temp dir for the embedded node");
    let addr = format!("127.0.0.1:{}", free_port());
    let node = node::start(NodeConfig::new(1, addr.clone(), dir.path()))
        .unwrap_or_else(|e| panic!("starting the embedded node: {e}"));
    let mut setup =
        Connection::open(&addr, "benchmark").unwrap_or_else(|e| panic!("opening benchmark: {e}"));
    setup
        .execute(SCHEMA, &[])
        .unwrap_or_else(|e| panic!("creating the model table: {e}"));

    let opts = connect_options();
    let conns: Vec<Connection> = (0..workers)
        .map(|i| {
            Connection::open_with(&addr, "benchmark", &opts)
                .unwrap_or_else(|e| panic!("worker {i}: opening: {e}"))
        })
        .collect();
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, conn)| std::thread::spawn(move || worker(conn, workload, end, i as u64)))
        .collect();
    let mut total = Measured::default();
    for h in handles {
        total.merge(h.join().expect("a benchmark worker panicked"));
    }
    drop(setup);
    drop(node);
    total
}

fn connect_options() -> ConnectOptions {
    let mut opts = ConnectOptions::default();
    if let Ok(v) = std::env::var("DQMIG_BENCH_STMT_CACHE") {
        opts.statement_cache = v.parse().unwrap_or_else(|_| {
            panic!("DQMIG_BENCH_STMT_CACHE={v:?} is not a number of statements")
        });
    }
    opts
}

fn worker(mut conn: Connection, workload: Workload, end: Instant, seed: u64) -> Measured {
    let mut rng = Rng::new(seed + 1 + std::process::id() as u64);
    let mut keys: Vec<String> = Vec::new();
    let mut m = Measured::default();
    while Instant::now() < end {
        let read = workload == Workload::KvReadWrite && rng.below(2) == 0 && !keys.is_empty();
        let t0 = Instant::now();
        let result: Result<(), String> = if read {
            let key = &keys[rng.below(keys.len())];
            match conn.query(READ_SQL, &[&key.as_str()]) {
                Ok(rows) if rows.rows.len() == 1 => Ok(()),
                Ok(rows) => Err(format!("read of {key} returned {} rows", rows.rows.len())),
                Err(e) => Err(e.to_string()),
            }
        } else {
            let key = rng.letters(KEY_SIZE);
            let value = rng.value();
            let r = conn
                .execute(WRITE_SQL, &[&key.as_str(), &value.as_str()])
                .map(|_| ())
                .map_err(|e| e.to_string());
            if r.is_ok() {
                keys.push(key);
            }
            r
        };
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(()) => {
                m.latencies_ms.push(ms);
                if read {
                    m.reads_ms.push(ms);
                } else {
                    m.writes += 1;
                }
            }
            Err(e) => {
                m.errors += 1;
                if e.contains("database is locked") {
                    m.locked += 1;
                }
                m.first_error.get_or_insert(e);
            }
        }
    }
    m
}

// ---------------------------------------------------------------------------------------

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A non-negative integer from the environment, or `default` when unset.
fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a non-negative integer")),
        Err(_) => default,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects cases by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let secs = env_number("DQMIG_BENCH_SECS", 5).max(1);
    let rounds = env_number("DQMIG_BENCH_ROUNDS", 4).max(1);
    println!(
        "kv benchmark: {rounds} pairs of runs (go, dqmig) of {secs} s per case; key {KEY_SIZE} B, \
         value {VALUE_SIZE} B; one node on 127.0.0.1; load average {}",
        loadavg()
    );
    println!(
        "op/s: successful ops (reads and writes) per s; wr/s: successful writes per s; \
         rd/c: reads one connection serves per s (1 / mean read latency); err: failed ops; \
         op x, wr x, rd x: dqmig/go, median over the pairs"
    );
    println!(
        "{:<12} {:>2} | {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} | {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} | {:>5} {:>5} {:>5}",
        "workload", "w", "go op/s", "wr/s", "rd/c", "p50ms", "p99ms", "err",
        "our op/s", "wr/s", "rd/c", "p50ms", "p99ms", "err", "op x", "wr x", "rd x"
    );
    let mut locked_reached_us = 0;
    for workload in [Workload::KvWrite, Workload::KvReadWrite] {
        for workers in [1usize, 4] {
            let case = format!("{}/{workers}", workload.name());
            if filter.as_deref().is_some_and(|f| !case.contains(f)) {
                continue;
            }
            // Runs come in pairs (one go, one dqmig, who starts alternates); the ratios are
            // the median of the per-pair ratios, so a burst of load from other processes on
            // a shared machine spoils one pair, not the figure.
            let (mut go, mut ours) = (Measured::default(), Measured::default());
            let (mut op_ratios, mut wr_ratios, mut rd_ratios) =
                (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                let (g, o) = if round % 2 == 0 {
                    let g = run_go(workload, workers, secs);
                    (g, run_ours(workload, workers, secs))
                } else {
                    let o = run_ours(workload, workers, secs);
                    (run_go(workload, workers, secs), o)
                };
                op_ratios.push(o.latencies_ms.len() as f64 / g.latencies_ms.len() as f64);
                wr_ratios.push(o.writes as f64 / g.writes as f64);
                if workload == Workload::KvReadWrite {
                    rd_ratios.push(o.read_rate() / g.read_rate());
                }
                go.merge(g);
                ours.merge(o);
            }
            let total = secs * rounds;
            let (go_ops, our_ops) = (go.ops_per_sec(total), ours.ops_per_sec(total));
            let (go_wr, our_wr) = (
                go.writes as f64 / total as f64,
                ours.writes as f64 / total as f64,
            );
            println!(
                "{:<12} {:>2} | {:>7.0} {:>6.0} {:>6.0} {:>6.2} {:>6.2} {:>6} | {:>7.0} {:>6.0} {:>6.0} {:>6.2} {:>6.2} {:>6} | {:>5.2} {:>5.2} {:>5.2}",
                workload.name(),
                workers,
                go_ops,
                go_wr,
                go.read_rate(),
                go.percentile(50.0),
                go.percentile(99.0),
                go.errors,
                our_ops,
                our_wr,
                ours.read_rate(),
                ours.percentile(50.0),
                ours.percentile(99.0),
                ours.errors,
                median(&mut op_ratios),
                median(&mut wr_ratios),
                median(&mut rd_ratios)
            );
            for (who, m) in [("go", &go), ("dqmig", &ours)] {
                if let Some(e) = &m.first_error {
                    println!(
                        "    {who}: {} errors ({} 'database is locked'), first: {e}",
                        m.errors, m.locked
                    );
                }
            }
            locked_reached_us += ours.locked;
        }
    }
    println!("load average at the end: {}", loadavg());
    if locked_reached_us > 0 {
        eprintln!("FAIL: {locked_reached_us} 'database is locked' errors reached our caller");
        std::process::exit(1);
    }
}
