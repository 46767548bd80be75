//! Transactions across requests and busy handling on a real node: isolation until COMMIT,
//! ROLLBACK of DDL, rollback on drop, and SQLITE_BUSY between two connections — surfaced inside
//! an explicit transaction, retried outside one until the lock holder commits, surfaced after
//! a short busy timeout.

use std::sync::mpsc;
use std::time::Duration;

use dqmig::client::{Behavior, ConnectOptions, Connection, ErrorClass};
use dqmig::params;

use crate::client::open;
use crate::support::start_node;

fn count(c: &mut Connection, table: &str) -> i64 {
    c.query_row(&format!("SELECT count(*) FROM {table}"), params![])
        .unwrap()
        .get(0)
        .unwrap()
}

fn table_exists(c: &mut Connection, name: &str) -> bool {
    c.query_opt(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
        params![name],
    )
    .unwrap()
    .is_some()
}

#[test]
fn commit_is_visible_to_others_only_after_commit() {
    let t = start_node();
    let mut a = open(&t);
    let mut b = open(&t);
    a.execute_batch("CREATE TABLE acct (id INTEGER PRIMARY KEY, v INTEGER)")
        .unwrap();
    let mut tx = a.transaction().unwrap();
    assert!(tx.in_transaction());
    tx.execute("INSERT INTO acct (v) VALUES (?)", params![10])
        .unwrap();
    tx.execute("INSERT INTO acct (v) VALUES (?)", params![20])
        .unwrap();
    assert_eq!(
        count(&mut tx, "acct"),
        2,
        "the transaction sees its own writes"
    );
    assert_eq!(count(&mut b, "acct"), 0, "others do not before COMMIT");
    tx.commit().unwrap();
    assert!(!a.in_transaction());
    assert_eq!(count(&mut b, "acct"), 2);

    // Raw BEGIN/COMMIT statements are tracked too.
    a.execute("BEGIN", params![]).unwrap();
    assert!(a.in_transaction());
    a.execute("INSERT INTO acct (v) VALUES (30)", params![])
        .unwrap();
    assert_eq!(count(&mut b, "acct"), 2);
    a.execute("COMMIT", params![]).unwrap();
    assert!(!a.in_transaction());
    assert_eq!(count(&mut b, "acct"), 3);
}

#[test]
fn rollback_undoes_create_table_and_drop_rolls_back() {
    let t = start_node();
    let mut a = open(&t);
    let mut b = open(&t);
    let mut tx = a.transaction().unwrap();
    tx.execute_batch("CREATE TABLE ghost (x); INSERT INTO ghost VALUES (1)")
        .unwrap();
    assert!(table_exists(&mut tx, "ghost"));
    assert!(
        !table_exists(&mut b, "ghost"),
        "uncommitted DDL is invisible to others"
    );
    tx.rollback().unwrap();
    assert!(!table_exists(&mut a, "ghost"));
    assert!(!table_exists(&mut b, "ghost"));

    {
        let mut tx = a.transaction_with(Behavior::Immediate).unwrap();
        tx.execute_batch("CREATE TABLE ghost2 (x)").unwrap();
        // dropped without commit
    }
    assert!(!a.in_transaction());
    assert!(!table_exists(&mut a, "ghost2"));
    // The write lock was released: the other connection can write at once.
    b.execute_batch("CREATE TABLE real (x)").unwrap();
    assert!(table_exists(&mut a, "real"));
}

#[test]
fn failed_commit_rolls_back_and_releases_the_lock() {
    let t = start_node();
    let mut a = open(&t);
    a.execute_batch(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE c (pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .unwrap();
    let mut tx = a.transaction().unwrap();
    tx.execute("INSERT INTO c (pid) VALUES (?)", params![99])
        .unwrap();
    let err = tx.commit().unwrap_err();
    assert_eq!(err.code(), Some(787), "{err}");
    assert_eq!(err.class(), ErrorClass::Integrity);
    assert!(!a.in_transaction());
    assert_eq!(count(&mut a, "c"), 0);
    let mut b = open(&t);
    b.execute("INSERT INTO p (id) VALUES (1)", params![])
        .unwrap();
}

#[test]
fn busy_inside_an_explicit_transaction_surfaces_at_once() {
    let t = start_node();
    let mut a = open(&t);
    let mut b = open(&t);
    a.execute_batch("CREATE TABLE k (x)").unwrap();
    let tx_a = a.transaction_with(Behavior::Immediate).unwrap();

    let mut tx_b = b.transaction().unwrap();
    let err = tx_b
        .execute("INSERT INTO k (x) VALUES (?)", params![1])
        .unwrap_err();
    assert_eq!(err.code(), Some(5), "{err}");
    assert!(err.is_busy());
    assert_eq!(err.class(), ErrorClass::Operational);
    assert!(err.to_string().contains("database is locked"), "{err}");
    drop(tx_b);
    tx_a.commit().unwrap();
    b.execute("INSERT INTO k (x) VALUES (?)", params![2])
        .unwrap();
}

#[test]
fn busy_outside_a_transaction_is_retried_until_the_holder_commits() {
    let t = start_node();
    let mut a = open(&t);
    a.execute_batch("CREATE TABLE w (id INTEGER PRIMARY KEY, who TEXT)")
        .unwrap();
    let mut tx = a.transaction_with(Behavior::Immediate).unwrap();
    tx.execute("INSERT INTO w (who) VALUES (?)", params!["a"])
        .unwrap();

    let address = t.address.clone();
    let (ready_tx, ready_rx) = mpsc::channel();
    let writer = std::thread::spawn(move || {
        let opts = ConnectOptions {
            busy_timeout: Duration::from_secs(30),
            ..ConnectOptions::default()
        };
        let mut b = Connection::open_with(&address, "test", &opts).unwrap();
        ready_tx.send(()).unwrap();
        b.execute("INSERT INTO w (who) VALUES (?)", params!["b"])
    });
    ready_rx.recv().unwrap();
    // Give the writer time to hit the lock at least once (not asserted on time).
    std::thread::sleep(Duration::from_millis(100));
    tx.commit().unwrap();
    let r = writer
        .join()
        .unwrap()
        .expect("the retried insert succeeds after the commit");
    // A's row got id 1 at COMMIT time; B's insert could only happen after it.
    assert_eq!(r.last_insert_id, 2);
    let who: Vec<String> = a
        .query("SELECT who FROM w ORDER BY id", params![])
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    assert_eq!(who, ["a", "b"]);
}

#[test]
fn short_busy_timeout_surfaces_busy() {
    let t = start_node();
    let mut a = open(&t);
    a.execute_batch("CREATE TABLE s (x)").unwrap();
    let opts = ConnectOptions {
        busy_timeout: Duration::from_millis(30),
        ..ConnectOptions::default()
    };
    let mut b = Connection::open_with(&t.address, "test", &opts).unwrap();
    let tx = a.transaction_with(Behavior::Immediate).unwrap();
    let err = b
        .execute("INSERT INTO s (x) VALUES (?)", params![1])
        .unwrap_err();
    assert!(err.is_busy(), "{err}");
    assert_eq!(err.primary_code(), Some(5));
    // BEGIN IMMEDIATE itself is busy too, and leaves no transaction open.
    let err = match b.transaction_with(Behavior::Immediate) {
        Err(e) => e,
        Ok(_) => panic!("BEGIN IMMEDIATE succeeded while another connection holds the write lock"),
    };
    assert!(err.is_busy(), "{err}");
    assert!(!b.in_transaction());
    // Readers are not blocked (WAL).
    assert_eq!(count(&mut b, "s"), 0);
    tx.commit().unwrap();
    b.execute("INSERT INTO s (x) VALUES (?)", params![1])
        .unwrap();
    let mut tx_b = b.transaction_with(Behavior::Immediate).unwrap();
    tx_b.execute("INSERT INTO s (x) VALUES (?)", params![2])
        .unwrap();
    tx_b.commit().unwrap();
    assert_eq!(count(&mut a, "s"), 2);
}
