//! Writes across leader changes: a writer keeps inserting while the leader is
//! SIGKILLed, and every acknowledged row is there exactly once afterwards, outcome-unknown
//! writes reported, never retried; a leadership transfer while a transaction is open fails
//! that transaction cleanly and `transaction_with_retry` commits it exactly once.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dqmig::client::{Behavior, Connection, Error, ErrorClass, TxRetry};
use dqmig::params;

use crate::harness::{Cluster, WAIT};

/// Waits (bounded) until `cond` holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn acknowledged_writes_survive_a_leader_kill_exactly_once() {
    let mut c = Cluster::start(3);
    let old = c.wait_leader();
    let seeds = c.seeds();
    crate::harness::open(&seeds, "w")
        .execute_batch("CREATE TABLE w (id INTEGER NOT NULL)")
        .unwrap();

    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, seeds) = (Arc::clone(&acked), Arc::clone(&stop), seeds.clone());
        std::thread::spawn(move || {
            let mut conn = crate::harness::open(&seeds, "w");
            let (mut ok, mut unknown) = (BTreeSet::new(), BTreeSet::new());
            let mut id = 0i64;
            while !stop.load(Ordering::SeqCst) {
                id += 1;
                // No unique key: a write applied twice would show as a duplicate row.
                match conn.transaction_with_retry(|tx| {
                    tx.execute("INSERT INTO w (id) VALUES (?)", params![id])
                }) {
                    Ok(_) => {
                        ok.insert(id);
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if e.class() == ErrorClass::OutcomeUnknown => {
                        unknown.insert(id);
                        // The connection may be gone: the next write reconnects.
                        let _ = conn.reconnect();
                    }
                    Err(e) => panic!("write {id} failed with an undocumented error: {e}"),
                }
            }
            (ok, unknown)
        })
    };

    wait_until("50 acknowledged writes", || {
        acked.load(Ordering::SeqCst) >= 50
    });
    c.nodes[old].kill();
    let at_kill = acked.load(Ordering::SeqCst);
    wait_until("50 more writes acknowledged by the new leader", || {
        acked.load(Ordering::SeqCst) >= at_kill + 50
    });
    stop.store(true, Ordering::SeqCst);
    let (ok, unknown) = writer.join().expect("writer thread");
    let new = c.wait_leader();
    assert_ne!(new, old, "the killed node cannot lead");

    let mut conn = crate::harness::open(&seeds, "w");
    let rows = conn
        .query(
            "SELECT id, count(*) FROM w GROUP BY id ORDER BY id",
            params![],
        )
        .unwrap();
    let mut present = BTreeSet::new();
    for row in &rows.rows {
        let (id, n) = (row.get::<i64>(0).unwrap(), row.get::<i64>(1).unwrap());
        assert_eq!(n, 1, "row {id} present {n} times");
        present.insert(id);
    }
    for id in &ok {
        assert!(
            present.contains(id),
            "acknowledged write {id} lost (unknown: {unknown:?})"
        );
    }
    for id in &present {
        assert!(
            ok.contains(id) || unknown.contains(id),
            "row {id} present but never acknowledged nor reported unknown"
        );
    }
    eprintln!(
        "{} acknowledged, outcome unknown: {unknown:?}, of those present: {:?}",
        ok.len(),
        unknown.intersection(&present).collect::<Vec<_>>()
    );
}

#[test]
fn transfer_during_a_transaction_fails_it_cleanly_and_the_retry_commits_once() {
    let mut c = Cluster::start(3);
    let leader = c.wait_leader();
    let other = c.nodes[(leader + 1) % 3].id;
    let seeds = c.seeds();
    let mut conn = crate::harness::open(&seeds, "t");
    conn.execute_batch("CREATE TABLE t (x INTEGER NOT NULL)")
        .unwrap();

    // A plain transaction: leadership moves between INSERT and COMMIT.
    let mut tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (1)", params![]).unwrap();
    Connection::connect_leader(&seeds, &crate::harness::client_options())
        .unwrap()
        .transfer(other)
        .unwrap();
    let err = tx.commit().unwrap_err();
    // 10250 (or 12) from a follower; 7 if raft refused the entry while the transfer was
    // still in progress. Never an unknown outcome: nothing was in flight.
    assert!(
        matches!(
            err,
            Error::NotLeader { .. }
                | Error::Server { code: 12, .. }
                | Error::Server { code: 7, .. }
        ),
        "{err}"
    );
    assert_ne!(err.class(), ErrorClass::OutcomeUnknown);

    // The same through transaction_with_retry: the first run is lost, the replay commits.
    let mut runs = 0;
    let admin_seeds = seeds.clone();
    conn.transaction_with_retry(|tx| {
        runs += 1;
        tx.execute("INSERT INTO t VALUES (2)", params![])?;
        if runs == 1 {
            let mut admin =
                Connection::connect_leader(&admin_seeds, &crate::harness::client_options())?;
            let me = admin.leader()?.map(|l| l.id).unwrap_or(0);
            let next = c.nodes.iter().map(|p| p.id).find(|id| *id != me).unwrap();
            admin.transfer(next)?;
        }
        tx.execute("INSERT INTO t VALUES (3)", params![])?;
        Ok(())
    })
    .unwrap();
    assert!(runs >= 2, "the closure is replayed after the transfer");
    let rows = conn.query("SELECT x FROM t ORDER BY x", params![]).unwrap();
    let xs: Vec<i64> = rows.rows.iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(
        xs,
        vec![2, 3],
        "the lost transaction left nothing; the replay committed once"
    );
}

#[test]
fn transaction_with_retry_waits_out_a_busy_writer_within_its_bound_and_never_replays_sql_errors() {
    let node = crate::support::start_node();
    let mut holder = crate::harness::open(&node.address, "busy");
    holder.execute_batch("CREATE TABLE b (x)").unwrap();
    let mut other = Connection::open_with(
        &node.address,
        "busy",
        &dqmig::client::ConnectOptions {
            busy_timeout: Duration::ZERO,
            ..Default::default()
        },
    )
    .unwrap();

    // The write lock is held: a short bound gives up with busy (5).
    let lock = holder.transaction_with(Behavior::Immediate).unwrap();
    let short = TxRetry {
        timeout: Duration::from_millis(100),
        ..TxRetry::default()
    };
    let mut runs = 0;
    let err = other
        .transaction_with_retry_opts(&short, |tx| {
            runs += 1;
            tx.execute("INSERT INTO b VALUES (1)", params![])
                .map(|_| ())
        })
        .unwrap_err();
    assert!(err.is_busy(), "{err}");
    assert_eq!(
        runs, 0,
        "BEGIN IMMEDIATE never got the lock, so the body never ran"
    );
    lock.commit().unwrap();

    // Released while the retry waits: it commits once.
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let release = std::thread::spawn(move || {
        let lock = holder.transaction_with(Behavior::Immediate).unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        lock.commit().unwrap();
    });
    locked.recv().unwrap();
    let mut runs = 0;
    other
        .transaction_with_retry(|tx| {
            runs += 1;
            tx.execute("INSERT INTO b VALUES (2)", params![])
                .map(|_| ())
        })
        .unwrap();
    assert_eq!(runs, 1);
    release.join().unwrap();
    let n: i64 = other
        .query_row("SELECT count(*) FROM b", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(n, 1);

    // An SQL error is the caller's: returned at once, the body ran once, nothing committed.
    let mut runs = 0;
    let err = other
        .transaction_with_retry(|tx| {
            runs += 1;
            tx.execute("INSERT INTO b VALUES (3)", params![])?;
            tx.execute("INSERT INTO nosuch VALUES (1)", params![])
                .map(|_| ())
        })
        .unwrap_err();
    assert_eq!(runs, 1, "{err}");
    assert_eq!(err.class(), ErrorClass::Programming, "{err}");
    let n: i64 = other
        .query_row("SELECT count(*) FROM b", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(n, 1, "the failed transaction was rolled back");
}
