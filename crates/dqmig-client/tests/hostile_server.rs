//! A hostile or broken server cannot hurt the client. A small scripted fake server answers
//! the handshake like a dqlite node (Leader → itself, Client → Welcome, Open → Db,
//! Prepare → Stmt) and then answers the first query with a byte-level fault: a Rows message
//! claiming 2^32 columns, a blob claiming 2^60 bytes, a header announcing a 2 GiB body,
//! a body over the size limit, a truncated message, an unknown response type, or it stops
//! in the middle of a message. Each must end in a clear `Error` within the connection's
//! timeouts, without a large allocation. (Only these byte-level faults are faked:
//! everything about the engine is tested on real nodes.)
//!
//! A counting global allocator records the largest single allocation of the process;
//! the tests assert no fault made the client ask for more than [`ALLOCATION_LIMIT`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use dqmig_client::proto::{
    encode_response, request_type as rq, Header, Response, ResponseHint, HEADER_LEN,
};
use dqmig_client::{ConnectOptions, Connection, Error, Result};

/// Records the largest single allocation (or reallocation) requested.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// No fault may make the client allocate this much at once (every fault claims ≥ 1 GiB).
const ALLOCATION_LIMIT: usize = 64 << 20;

/// The read timeout of the client under test.
const READ_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a call may take before the test calls it a hang: the timeouts involved
/// (handshake 2 s, read 0.5 s) with ample slack for a loaded machine.
const HANG: Duration = Duration::from_secs(20);

/// What the fake server does after sending its fault bytes.
#[derive(Clone, Copy)]
enum After {
    /// Closes the connection.
    Close,
    /// Keeps the connection open and sends nothing more (a frozen server).
    Hold,
    /// Sends one zero byte every quarter of the read timeout, forever (a server trickling
    /// a reply: every socket read gets something, so no read ever times out).
    Trickle,
}

/// One response message: header + encoded body.
fn message(resp: &Response) -> Vec<u8> {
    let mut out = Vec::new();
    encode_response(resp, ResponseHint::default(), &mut out).unwrap();
    out
}

/// A header announcing `words` words of type `mtype`, then `body`.
fn raw(words: u32, mtype: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Header {
        words,
        mtype,
        schema: 0,
    }
    .to_bytes()
    .to_vec();
    out.extend_from_slice(body);
    out
}

fn word(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

/// A text field: bytes, NUL, zero padding to a word.
fn text(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v.resize(v.len().div_ceil(8) * 8, 0);
    v
}

/// Reads one request (header + body); `None` when the client closed the connection.
fn read_request(s: &mut TcpStream) -> Option<u8> {
    let mut hdr = [0u8; HEADER_LEN];
    s.read_exact(&mut hdr).ok()?;
    let header = Header::decode(&hdr);
    let mut body = vec![0u8; header.body_len().min(1 << 20)];
    s.read_exact(&mut body).ok()?;
    Some(header.mtype)
}

/// Serves one connection: the handshake like a node, `fault` as the answer to the first
/// query or exec, then `after`.
fn serve(mut s: TcpStream, address: String, fault: Vec<u8>, after: After) {
    let mut version = [0u8; 8];
    if s.read_exact(&mut version).is_err() {
        return;
    }
    while let Some(mtype) = read_request(&mut s) {
        let reply = match mtype {
            rq::LEADER => message(&Response::Server {
                id: 1,
                address: address.clone(),
            }),
            rq::CLIENT => message(&Response::Welcome {
                heartbeat_timeout_ms: 15_000,
            }),
            rq::OPEN => message(&Response::Db { id: 0 }),
            rq::PREPARE => message(&Response::Stmt {
                db: 0,
                id: 1,
                params: 0,
            }),
            rq::FINALIZE | rq::INTERRUPT => message(&Response::Empty),
            _ => {
                let _ = s.write_all(&fault);
                match after {
                    After::Close => return,
                    After::Trickle => {
                        while s.write_all(&[0]).is_ok() {
                            thread::sleep(READ_TIMEOUT / 4);
                        }
                        return;
                    }
                    After::Hold => {
                        // Hold the socket until the client gives up and closes it.
                        let mut sink = [0u8; 64];
                        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
                        return;
                    }
                }
            }
        };
        if s.write_all(&reply).is_err() {
            return;
        }
    }
}

/// Starts a fake server on a free loopback port that serves every connection with
/// `fault` and `after`; returns its address. Its threads end with the test process.
fn fake_server(fault: Vec<u8>, after: After) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let served = address.clone();
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            let (address, fault) = (served.clone(), fault.clone());
            thread::spawn(move || serve(s, address, fault, after));
        }
    });
    address
}

fn options() -> ConnectOptions {
    ConnectOptions {
        read_timeout: Some(READ_TIMEOUT),
        write_timeout: Some(READ_TIMEOUT),
        leader_timeout: Duration::from_secs(3),
        ..ConnectOptions::default()
    }
}

/// Opens a database on the fake server and runs `call`; fails the test if that takes
/// longer than [`HANG`], or if any allocation exceeded [`ALLOCATION_LIMIT`].
fn against(
    fault: Vec<u8>,
    after: After,
    opts: ConnectOptions,
    call: fn(&mut Connection) -> Result<()>,
) -> Error {
    let address = fake_server(fault, after);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let result = Connection::open_with(&address, "app.db", &opts).and_then(|mut c| {
            let r = call(&mut c);
            assert!(r.is_err() && c.is_broken(), "the connection must be closed");
            r
        });
        let _ = tx.send(result);
    });
    let result = rx
        .recv_timeout(HANG)
        .unwrap_or_else(|_| panic!("the client hung (or panicked) on a faulty server"));
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < ALLOCATION_LIMIT,
        "the client allocated {largest} bytes at once"
    );
    result.expect_err("a faulty server must give an error")
}

fn query(c: &mut Connection) -> Result<()> {
    c.query("SELECT x FROM t", &[]).map(drop)
}

fn execute(c: &mut Connection) -> Result<()> {
    c.execute("INSERT INTO t VALUES (1)", &[]).map(drop)
}

/// Asserts `err` is a protocol error whose message contains `what`.
fn assert_protocol(err: &Error, what: &str) {
    let text = err.to_string();
    assert!(
        matches!(err, Error::Protocol { .. }) && text.contains(what),
        "expected a protocol error about {what:?}, got {err:?}: {text}"
    );
}

#[test]
fn rows_claiming_two_to_the_32_columns() {
    let mut body = word(1 << 32).to_vec();
    body.extend(text("x"));
    let err = against(raw(2, 7, &body), After::Hold, options(), query);
    assert_protocol(&err, "column count");
}

#[test]
fn blob_claiming_two_to_the_60_bytes() {
    let mut body = word(1).to_vec();
    body.extend(text("data"));
    body.extend(word(4)); // row header: one blob
    body.extend(word(1 << 60));
    body.extend(word(u64::MAX));
    let words = (body.len() / 8) as u32;
    let err = against(raw(words, 7, &body), After::Hold, options(), query);
    assert_protocol(&err, "blob value");
}

#[test]
fn many_servers_claimed_in_a_small_message() {
    let mut body = word(u64::MAX >> 3).to_vec();
    body.extend(word(1));
    let err = against(raw(2, 3, &body), After::Hold, options(), execute);
    assert_protocol(&err, "server count");
}

/// A header announcing ~2 GiB (under the 2 GiB default limit) followed by 16 bytes, then
/// silence: the client must not reserve the announced size before the bytes arrive.
#[test]
fn header_announcing_two_gib_then_silence() {
    let words = ((1u64 << 31) / 8 - 1) as u32;
    let err = against(raw(words, 7, &[0; 16]), After::Hold, options(), query);
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Io { source, .. } if matches!(source.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut))
            && text.contains("read timeout"),
        "expected a read timeout naming the setting, got {err:?}: {text}"
    );
}

#[test]
fn body_over_the_size_limit_is_refused_before_reading_it() {
    let opts = ConnectOptions {
        max_message_size: 1 << 20,
        ..options()
    };
    let err = against(raw(1 << 20, 7, &[]), After::Hold, opts, query);
    assert_protocol(&err, "exceeds the protocol limit");
}

#[test]
fn truncated_message_then_close() {
    // A Result announced as 2 words, 1 sent, then the server closes.
    let err = against(raw(2, 6, &word(1)), After::Close, options(), execute);
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::UnexpectedEof)
            && text.contains("closed the connection"),
        "expected an end-of-stream error, got {err:?}: {text}"
    );
}

#[test]
fn server_stops_mid_header() {
    let err = against(vec![3, 0, 0], After::Hold, options(), execute);
    assert!(
        matches!(&err, Error::Io { .. }) && err.to_string().contains("read timeout"),
        "expected a read timeout, got {err:?}"
    );
}

/// A header announcing 1 KiB, then a byte per quarter read timeout: without a bound on the
/// whole reply, the client would wait 256 read timeouts.
#[test]
fn reply_trickling_a_byte_at_a_time() {
    let err = against(raw(128, 7, &[]), After::Trickle, options(), query);
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::TimedOut)
            && text.contains("arrives too slowly")
            && text.contains("read_timeout"),
        "expected a too-slow reply naming the setting, got {err:?}: {text}"
    );
}

/// The same before the header is whole: one byte of it, then a byte at a time.
#[test]
fn header_trickling_a_byte_at_a_time() {
    let err = against(vec![128], After::Trickle, options(), execute);
    assert!(
        err.to_string().contains("arrives too slowly"),
        "expected a too-slow reply, got {err:?}"
    );
}

#[test]
fn oversized_body_with_trailing_bytes() {
    // A Result with a third word nobody asked for.
    let mut body = word(1).to_vec();
    body.extend(word(1));
    body.extend(word(7));
    let err = against(raw(3, 6, &body), After::Hold, options(), execute);
    assert_protocol(&err, "unexpected bytes");
}

#[test]
fn unknown_response_type() {
    let err = against(raw(1, 200, &word(0)), After::Hold, options(), execute);
    assert_protocol(&err, "unknown message type 200");
}

#[test]
fn unterminated_text_in_a_failure() {
    let mut body = word(1).to_vec();
    body.extend_from_slice(b"no nul h");
    let err = against(raw(2, 0, &body), After::Hold, options(), execute);
    assert_protocol(&err, "no NUL terminator");
}

#[test]
fn wrong_response_for_the_request() {
    let err = against(
        message(&Response::Welcome {
            heartbeat_timeout_ms: 1,
        }),
        After::Hold,
        options(),
        query,
    );
    assert!(
        matches!(err, Error::UnexpectedResponse { .. }),
        "expected an unexpected-response error, got {err:?}"
    );
}

/// A peer that is not dqlite (it answers the Leader request with HTTP) is named as such
/// during the handshake, without waiting for the 10 GiB its first bytes announce.
#[test]
fn peer_that_is_not_dqlite() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                let _ = s.read(&mut buf);
            });
        }
    });
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(Connection::open_with(&address, "app.db", &options()).map(drop));
    });
    let err = rx
        .recv_timeout(HANG)
        .expect("the client hung on an HTTP server")
        .expect_err("an HTTP server is not a dqlite node");
    assert!(
        err.to_string().contains(dqmig_client::NOT_DQLITE),
        "expected {:?}, got {err}",
        dqmig_client::NOT_DQLITE
    );
}
