//! The client never hangs on a peer that is not a (working) dqlite node: the CLI pointed at
//! a TCP listener that never answers, or at an HTTP server, fails with exit 2 within the
//! documented timeouts (leader search 10 s, each probe 2 s), naming the address and what it
//! found.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dqmig::client::{ConnectOptions, DEFAULT_HANDSHAKE_TIMEOUT};

use crate::support::dqmig_bin;

/// A listener on a free loopback port serving each connection with `serve` on its own
/// thread, until dropped.
pub(crate) struct Peer {
    pub(crate) address: String,
    stop: Arc<AtomicBool>,
}

impl Peer {
    pub(crate) fn start(serve: fn(TcpStream)) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        std::thread::spawn(move || serve(s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Peer { address, stop }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Accepts and never answers (holds the socket for a minute).
pub(crate) fn silent(s: TcpStream) {
    std::thread::sleep(Duration::from_secs(60));
    drop(s);
}

/// Answers whatever comes with an HTTP error, like a web server on the port.
pub(crate) fn http(mut s: TcpStream) {
    let mut buf = [0u8; 64];
    let _ = s.read(&mut buf);
    let _ =
        s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

/// Waits for `child` at most `limit`; kills it and fails if it is still running then.
fn wait_bounded(mut child: Child, limit: Duration) -> (i32, String, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code().unwrap_or(-1), err, start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dqmig still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sql_against(address: &str) -> Child {
    dqmig_bin()
        .args([
            "sql",
            "SELECT 1",
            "--url",
            &format!("dqlite://{address}/app.db"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_silent_listener_and_an_http_server_fail_within_the_timeouts() {
    let documented = ConnectOptions::default().leader_timeout + DEFAULT_HANDSHAKE_TIMEOUT;
    // Slack for a loaded machine; the point is that it ends by itself.
    let limit = documented + Duration::from_secs(15);

    let quiet = Peer::start(silent);
    let (code, err, took) = wait_bounded(sql_against(&quiet.address), limit);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{} gave no answer within 2000 ms", quiet.address)),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    println!("silent listener: failed after {took:?} (documented bound {documented:?})");

    let web = Peer::start(http);
    let (code, err, took) = wait_bounded(sql_against(&web.address), limit);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{} is not a dqlite node", web.address)),
        "{err}"
    );
    // Not a dqlite node does not get better by waiting: no retry until the deadline.
    assert!(took < documented, "took {took:?}");
    println!("HTTP server: failed after {took:?}");
}

#[test]
fn a_read_timeout_and_a_query_of_a_statement_without_rows_say_what_to_do() {
    let quiet = Peer::start(silent);
    let opts = ConnectOptions {
        read_timeout: Some(Duration::from_millis(300)),
        ..ConnectOptions::default()
    };
    let mut conn = dqmig::client::Connection::connect(&quiet.address, &opts).unwrap();
    let err = conn.leader().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("no reply within the read timeout") && msg.contains("set_read_timeout"),
        "{msg}"
    );

    let node = crate::support::start_node();
    let mut conn = dqmig::client::Connection::open(&node.address, "app.db").unwrap();
    let err = conn.query("CREATE TABLE t (x)", &[]).unwrap_err();
    assert!(
        err.to_string().contains(
            "the statement returns no rows, so it cannot be queried; run it with execute"
        ),
        "{err}"
    );
}
