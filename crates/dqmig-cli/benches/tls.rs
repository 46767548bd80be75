//! TLS overhead: point reads and single-row writes over mutual TLS against plain TCP, in
//! the same run. Two embedded nodes in this process (one plain, one behind the node's TLS
//! front, certificates made by rcgen in memory), one connection each; the two are measured
//! in alternating rounds so that load from elsewhere on the machine hits both alike.
//!
//! - point read: `SELECT value FROM model WHERE key = ?` on one of 1000 rows (1 KiB values);
//! - single-row write: `INSERT OR REPLACE INTO model(key, value) VALUES(?, ?)`, autocommit
//!   (one Raft commit each).
//!
//! Environment: `DQMIG_BENCH_SECS` (default 2) seconds per op kind, transport and round;
//! `DQMIG_BENCH_ROUNDS` (default 3).

use std::time::{Duration, Instant};

use dqmig::client::{params, ConnectOptions, Connection, TlsConfig};
use dqmig::node::{self, Node, NodeConfig};

const ROWS: usize = 1000;
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS model (key TEXT PRIMARY KEY, value TEXT)";
const READ_SQL: &str = "SELECT value FROM model WHERE key = ?";
const WRITE_SQL: &str = "INSERT OR REPLACE INTO model(key, value) VALUES(?, ?)";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("finding a free port")
        .port()
}

/// A CA and one certificate (127.0.0.1) signed by it, used by node and client alike.
fn tls_config() -> TlsConfig {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("certificate");
    TlsConfig::from_pem(
        ca_cert.pem().as_bytes(),
        Some((cert.pem().as_bytes(), key.serialize_pem().as_bytes())),
    )
    .expect("loading the generated certificates")
}

fn start(dir: &std::path::Path, tls: Option<TlsConfig>) -> (Node, Connection) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut cfg = NodeConfig::new(1, addr.clone(), dir);
    cfg.tls = tls.clone();
    let node = node::start(cfg).unwrap_or_else(|e| panic!("starting a node at {addr}: {e}"));
    let opts = ConnectOptions::default().tls(tls);
    let mut conn = Connection::open_with(&addr, "bench", &opts)
        .unwrap_or_else(|e| panic!("opening bench at {addr}: {e}"));
    conn.execute(SCHEMA, params![]).expect("creating the table");
    let mut tx = conn.transaction().expect("BEGIN");
    for i in 0..ROWS {
        tx.execute(WRITE_SQL, params![format!("k{i}"), "v".repeat(1024)])
            .expect("filling the table");
    }
    tx.commit().expect("COMMIT");
    (node, conn)
}

/// Runs `op` for `secs` seconds; latencies in microseconds.
fn measure(secs: u64, mut op: impl FnMut(usize)) -> Vec<f64> {
    let end = Instant::now() + Duration::from_secs(secs);
    let mut lat = Vec::new();
    let mut i = 0;
    while Instant::now() < end {
        let t = Instant::now();
        op(i);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        i += 1;
    }
    lat
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((p / 100.0) * (v.len() - 1) as f64).round() as usize]
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

fn main() {
    let secs = env_number("DQMIG_BENCH_SECS", 2);
    let rounds = env_number("DQMIG_BENCH_ROUNDS", 3);
    let (plain_dir, tls_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_plain_node, mut plain) = start(plain_dir.path(), None);
    let (_tls_node, mut tls) = start(tls_dir.path(), Some(tls_config()));
    let value = "w".repeat(1024);

    // [read plain, read tls, write plain, write tls]
    let mut lat: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        for (slot, conn) in [(0, &mut plain), (1, &mut tls)] {
            lat[slot].extend(measure(secs, |i| {
                let row = conn
                    .query_row(READ_SQL, params![format!("k{}", (i * 7919) % ROWS)])
                    .expect("point read");
                assert!(!row.get::<String>(0).expect("value").is_empty());
            }));
        }
        for (slot, conn) in [(2, &mut plain), (3, &mut tls)] {
            lat[slot].extend(measure(secs, |i| {
                conn.execute(WRITE_SQL, params![format!("k{}", i % ROWS), value.as_str()])
                    .expect("single-row write");
            }));
        }
    }
    let total = (secs * rounds) as f64;
    println!(
        "TLS overhead ({rounds} rounds x {secs} s per op kind and transport, one connection, 1 KiB values)"
    );
    println!(
        "{:<30} {:>10} {:>10} {:>10} {:>10}",
        "op / transport", "ops/s", "p50 µs", "p99 µs", "overhead"
    );
    for (name, plain_i, tls_i) in [("point read", 0, 1), ("single-row write", 2, 3)] {
        let plain_p50 = pct(&mut lat[plain_i], 50.0);
        for (label, i) in [("plain TCP", plain_i), ("mutual TLS", tls_i)] {
            let n = lat[i].len() as f64;
            let (p50, p99) = (pct(&mut lat[i], 50.0), pct(&mut lat[i], 99.0));
            let overhead = if i == tls_i {
                format!("{:+.1}%", (p50 / plain_p50 - 1.0) * 100.0)
            } else {
                "-".to_string()
            };
            println!(
                "{:<30} {:>10.0} {:>10.1} {:>10.1} {:>10}",
                format!("{name}, {label}"),
                n / total,
                p50,
                p99,
                overhead
            );
        }
    }
}
