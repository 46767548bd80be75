//! Measurement, not a test of speed (ignored by default; nothing is asserted on time): the
//! go-dqlite benchmark's key-value loop — one INSERT OR REPLACE and one SELECT per iteration —
//! with and without the statement cache. Run:
//! `cargo test --release --test it client_bench -- --ignored --nocapture`

use std::time::{Duration, Instant};

use dqmig::client::{ConnectOptions, Connection};
use dqmig::params;

use crate::support::start_node;

/// Returns (time in INSERT OR REPLACE, time in SELECT).
fn kv_loop(c: &mut Connection, iterations: i64) -> (Duration, Duration) {
    let (mut w, mut r) = (Duration::ZERO, Duration::ZERO);
    for i in 0..iterations {
        // Like dqlite-benchmark's kvreadwrite defaults: 32-byte keys, 1024-byte values.
        let key = format!("{:032}", i % 1000);
        let value = vec![(i % 251) as u8; 1024];
        let start = Instant::now();
        c.execute(
            "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)",
            params![key, value],
        )
        .unwrap();
        let mid = Instant::now();
        let v: Vec<u8> = c
            .query_row("SELECT v FROM kv WHERE k = ?", params![key])
            .unwrap()
            .get(0)
            .unwrap();
        r += mid.elapsed();
        w += mid - start;
        assert_eq!(v, value);
    }
    (w, r)
}

#[test]
#[ignore = "measurement; run explicitly with --ignored --nocapture"]
fn kv_loop_with_and_without_statement_cache() {
    let t = start_node();
    let mut setup = Connection::open(&t.address, "bench").unwrap();
    setup
        .execute_batch("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)")
        .unwrap();
    let n = 3000;
    for round in 0..3 {
        for cache in [0usize, 64] {
            let opts = ConnectOptions {
                statement_cache: cache,
                ..ConnectOptions::default()
            };
            let mut c = Connection::open_with(&t.address, "bench", &opts).unwrap();
            let (w, r) = kv_loop(&mut c, n);
            let us = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
            println!(
                "round {round} statement_cache={cache:>2}: {n} iterations, {:.1} µs per INSERT OR REPLACE, {:.1} µs per SELECT",
                us(w),
                us(r)
            );
        }
    }
}
