//! Interoperability with go-dqlite (Debian package go-dqlite 1.11.5): our client against
//! `dqlite-demo` (an independent server), and go-dqlite's `dqlite` shell against our
//! in-process node. Every child process is killed by its pid in a guard's `Drop`, waits are
//! bounded, ports are picked at run time and only 127.0.0.1 is used.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dqmig::client::proto::Value;
use dqmig::client::Connection;

use crate::support;

/// A child process that is killed (by its pid) and reaped when the guard drops, also when
/// the test fails.
struct ChildGuard {
    child: Child,
    what: &'static str,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChildGuard {
    /// Panic with the child's output if it already exited.
    fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let mut log = String::new();
            if let Some(mut e) = self.child.stderr.take() {
                let _ = e.read_to_string(&mut log);
            }
            panic!("{} exited early with {status}: {log}", self.what);
        }
    }
}

/// Start `dqlite-demo` on two free ports with its data under `dir`, and wait (bounded) until
/// its HTTP API answers, which it opens only after its node is ready and the `demo`
/// database has its `model` table.
fn start_demo(dir: &Path) -> (ChildGuard, String, String) {
    let api = format!("127.0.0.1:{}", support::free_port());
    let db = format!("127.0.0.1:{}", support::free_port());
    let child = Command::new("dqlite-demo")
        .args(["--api", &api, "--db", &db, "-D"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting dqlite-demo (package go-dqlite; run `make deps`)");
    let mut guard = ChildGuard {
        child,
        what: "dqlite-demo",
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&api).is_err() {
        guard.check_alive();
        assert!(
            Instant::now() < deadline,
            "dqlite-demo did not open its API on {api} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (guard, api, db)
}

/// Run go-dqlite's shell: `dqlite -s SERVER DATABASE STATEMENT`.
fn shell(server: &str, database: &str, statement: &str) -> Output {
    Command::new("dqlite")
        .args(["-s", server, database, statement])
        .stdin(Stdio::null())
        .output()
        .expect("running the dqlite shell (package go-dqlite; run `make deps`)")
}

/// Run the shell and return its stdout, failing the test on a non-zero exit.
fn shell_ok(server: &str, database: &str, statement: &str) -> String {
    let out = shell(server, database, statement);
    assert!(
        out.status.success(),
        "dqlite -s {server} {database} {statement:?} failed ({:?}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 request to dqlite-demo's API; returns the response body.
fn http(api: &str, method: &str, key: &str, body: &str) -> String {
    let mut s = TcpStream::connect(api).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} /{key} HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn our_client_against_dqlite_demo() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, api, db) = start_demo(dir.path());

    // Our client writes a table of its own; the go shell reads it back.
    let mut conn = Connection::open(&db, "interop").unwrap();
    conn.execute(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)",
        &[],
    )
    .unwrap();
    for (name, score) in [("alice", 1.5), ("bob", -2.0)] {
        let r = conn
            .execute(
                "INSERT INTO people (name, score) VALUES (?, ?)",
                &[&name, &score],
            )
            .unwrap();
        assert_eq!(r.rows_affected, 1);
    }
    let out = shell_ok(
        &db,
        "interop",
        "SELECT id, name, score FROM people ORDER BY id",
    );
    assert_eq!(out.trim(), "1|alice|1.5\n2|bob|-2", "dqlite shell output");

    // The demo writes through its HTTP API (table `model` of database `demo`); we read it.
    assert_eq!(
        http(&api, "PUT", "greeting", "hello from go").trim(),
        "done"
    );
    let mut demo = Connection::open(&db, "demo").unwrap();
    let rows = demo
        .query("SELECT key, value FROM model WHERE key = ?", &[&"greeting"])
        .unwrap();
    assert_eq!(rows.rows.len(), 1);
    assert_eq!(
        rows.rows[0].values(),
        &[
            Value::Text("greeting".into()),
            Value::Text("hello from go".into())
        ]
    );

    // And the demo reads what we wrote into its table.
    demo.execute(
        "INSERT OR REPLACE INTO model (key, value) VALUES (?, ?)",
        &[&"from-rust", &"hi go"],
    )
    .unwrap();
    assert_eq!(http(&api, "GET", "from-rust", "").trim(), "hi go");
}

#[test]
fn go_shell_against_our_node() {
    let node = support::start_node();
    let addr = node.address.as_str();

    // The shell wraps each command in BEGIN/COMMIT; DDL and DML work.
    shell_ok(
        addr,
        "app",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, qty INTEGER)",
    );
    shell_ok(
        addr,
        "app",
        "INSERT INTO items (label, qty) VALUES ('bolt', 10), ('nut', 25)",
    );

    let mut conn = Connection::open(addr, "app").unwrap();
    let rows = conn
        .query("SELECT id, label, qty FROM items ORDER BY id", &[])
        .unwrap();
    let got: Vec<&[Value]> = rows.rows.iter().map(|r| r.values()).collect();
    assert_eq!(
        got,
        vec![
            &[
                Value::Integer(1),
                Value::Text("bolt".into()),
                Value::Integer(10)
            ][..],
            &[
                Value::Integer(2),
                Value::Text("nut".into()),
                Value::Integer(25)
            ][..],
        ]
    );

    // What our client writes, the shell reads.
    conn.execute(
        "INSERT INTO items (label, qty) VALUES (?, ?)",
        &[&"washer", &7i64],
    )
    .unwrap();
    conn.execute(
        "UPDATE items SET qty = qty + ? WHERE label = ?",
        &[&1i64, &"bolt"],
    )
    .unwrap();
    let out = shell_ok(addr, "app", "SELECT label, qty FROM items ORDER BY id");
    assert_eq!(out.trim(), "bolt|11\nnut|25\nwasher|7");

    // Server errors reach the shell too (our node answers with a Failure it understands).
    let out = shell(addr, "app", "SELECT * FROM no_such_table");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such table: no_such_table"));
}
