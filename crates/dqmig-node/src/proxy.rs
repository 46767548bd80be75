//! The TCP front of a node that libdqlite cannot serve itself: mutual TLS, and IPv6
//! (libdqlite 1.11 binds only `IPv4:port` or an abstract unix socket, and speaks no TLS).
//! Done the way go-dqlite's `app` package does it: libdqlite listens on an abstract socket
//! (`@` + a name it picks), which accepts connections only from this process, and
//!
//! - [`Front`] listens on the node's TCP address (`127.0.0.1:9001`, `[::1]:9001`), runs the
//!   server side of the TLS handshake (a client certificate signed by the CA is required)
//!   and copies bytes both ways between the TLS stream and a fresh connection to the
//!   abstract socket. Clients and peers alike come in through it;
//! - [`Dialer`] is libdqlite's connect function (`dqlite_node_set_connect_func`) for
//!   raft connections to peers: it dials the peer's TCP address, runs the client side of
//!   the handshake with the node's own certificate, and hands libdqlite one end of a
//!   socket pair whose other end a thread copies to and from the TLS stream. Without TLS
//!   it hands over the TCP socket itself.
//!
//! Logging (`tracing`, target `dqmig_node::proxy`): WARN "refused a connection" (`peer`,
//! `address`, `reason`) for each client or peer the TLS handshake turned away; DEBUG
//! "dial to peer failed" (`address`, `error`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use dqmig_client::tls::{rustls, TlsConfig};

/// How long a TLS handshake (either side) and a dial to a peer may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Plaintext read from the TLS side and not yet taken by the other side, past which the
/// pump stops reading the TLS side.
const MAX_PENDING: usize = 1 << 20;
/// `RAFT_NOCONNECTION` (raft.h): what the connect function returns when it cannot dial.
const RAFT_NOCONNECTION: c_int = 16;

/// What a server-side handshake failure means, in the words of a node's log line.
fn refusal_reason(e: &std::io::Error, first_byte: Option<u8>) -> String {
    if first_byte.is_some_and(|b| b != 0x16) {
        return "plain TCP, not TLS (the client has no TLS configured)".into();
    }
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::NoCertificatesPresented) => {
            "the client presented no certificate".into()
        }
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer | rustls::CertificateError::BadSignature,
        )) => "the client certificate is not signed by the cluster CA".into(),
        Some(rustls::Error::AlertReceived(a)) => {
            format!("the client refused our certificate (alert {a:?}): it does not trust our CA, or the certificate is not issued for the address it dialled")
        }
        Some(other) => format!("TLS handshake failed: {other}"),
        None => format!("TLS handshake failed: {e}"),
    }
}

/// Connects to libdqlite's abstract listening socket `@name`.
fn connect_abstract(name: &str) -> std::io::Result<UnixStream> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    UnixStream::connect_addr(&addr)
}

/// The TCP (and TLS) listener in front of a node's abstract socket.
#[derive(Debug)]
pub(crate) struct Front {
    listener: TcpListener,
    accept: Option<JoinHandle<()>>,
}

impl Front {
    /// Binds `address` (`IPv4:port` or `[IPv6]:port`) now, so that a taken port is an
    /// error of `Node::new`; serving starts with [`Front::serve`].
    pub(crate) fn bind(address: &str) -> std::io::Result<Front> {
        Ok(Front {
            listener: TcpListener::bind(address)?,
            accept: None,
        })
    }

    /// Accepts connections on a thread, each proxied to `@target` (TLS when `tls` is set)
    /// on its own thread, until the front is dropped.
    pub(crate) fn serve(
        &mut self,
        address: String,
        target: String,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<()> {
        let listener = self.listener.try_clone()?;
        let handle = std::thread::Builder::new()
            .name("dqmig-node-front".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    let tcp = match conn {
                        Ok(t) => t,
                        // Shut down by Drop (EINVAL), or the process is out of descriptors.
                        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => break,
                        Err(_) => {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                    };
                    let (address, target, tls) = (address.clone(), target.clone(), tls.clone());
                    let spawned = std::thread::Builder::new()
                        .name("dqmig-node-conn".into())
                        .spawn(move || serve_one(tcp, &address, &target, tls));
                    if spawned.is_err() {
                        continue;
                    }
                }
            })?;
        self.accept = Some(handle);
        Ok(())
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        // SAFETY: shutdown on our own listening socket only wakes the blocked accept
        // (Linux returns EINVAL from it); the descriptor stays owned by `listener`.
        unsafe { libc::shutdown(self.listener.as_raw_fd(), libc::SHUT_RDWR) };
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// One accepted connection: the TLS handshake (refusals logged), then the copy loop.
fn serve_one(
    mut tcp: TcpStream,
    address: &str,
    target: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let peer = tcp
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "unknown".into());
    let _ = tcp.set_nodelay(true);
    let Some(config) = tls else {
        if let Ok(local) = connect_abstract(target) {
            pump_plain(tcp, local);
        }
        return;
    };
    let _ = tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(HANDSHAKE_TIMEOUT));
    let mut first = [0u8; 1];
    let first_byte = match tcp.peek(&mut first) {
        Ok(1) => Some(first[0]),
        _ => None,
    };
    let mut conn = match rustls::ServerConnection::new(config) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(%peer, %address, error = %e, "TLS setup failed");
            return;
        }
    };
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            let reason = refusal_reason(&e, first_byte);
            tracing::warn!(%peer, %address, %reason, "refused a connection");
            return;
        }
    }
    let _ = tcp.set_read_timeout(None);
    let _ = tcp.set_write_timeout(None);
    let Ok(mut local) = connect_abstract(target) else {
        return;
    };
    let _ = pump_tls(&mut conn, &mut tcp, &mut local);
}

/// Copies both ways between a TCP and a unix socket until either side closes.
fn pump_plain(tcp: TcpStream, local: UnixStream) {
    let (Ok(mut tcp_w), Ok(mut local_w)) = (tcp.try_clone(), local.try_clone()) else {
        return;
    };
    let (mut tcp_r, mut local_r) = (tcp, local);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut tcp_r, &mut local_w);
        let _ = local_w.shutdown(Shutdown::Both);
    });
    let _ = std::io::copy(&mut local_r, &mut tcp_w);
    let _ = tcp_w.shutdown(Shutdown::Both);
    let _ = up.join();
}

fn would_block(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
    )
}

/// Copies plaintext both ways between an established TLS connection over `tcp` and the
/// unix socket `local`, on one thread (non-blocking sockets and `poll`), until either side
/// closes. Reads from one side only while the other has taken what came before.
fn pump_tls<D>(
    conn: &mut rustls::ConnectionCommon<D>,
    tcp: &mut TcpStream,
    local: &mut UnixStream,
) -> std::io::Result<()> {
    tcp.set_nonblocking(true)?;
    local.set_nonblocking(true)?;
    conn.set_buffer_limit(None);
    let mut to_local: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut tcp_done, mut local_done) = (false, false);
    loop {
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => {
                    tcp_done = true;
                    break;
                }
                Ok(n) => to_local.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    tcp_done = true;
                    break;
                }
            }
        }
        while !to_local.is_empty() {
            match local.write(&to_local) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    to_local.drain(..n);
                }
                Err(e) if would_block(&e) => break,
                Err(e) => return Err(e),
            }
        }
        while conn.wants_write() {
            match conn.write_tls(tcp) {
                Ok(_) => {}
                Err(e) if would_block(&e) => break,
                Err(e) => return Err(e),
            }
        }
        if (tcp_done && to_local.is_empty()) || (local_done && !conn.wants_write()) {
            return Ok(());
        }
        let tcp_events = (if !tcp_done && to_local.len() < MAX_PENDING {
            libc::POLLIN
        } else {
            0
        }) | (if conn.wants_write() { libc::POLLOUT } else { 0 });
        let local_events = (if !local_done && !conn.wants_write() {
            libc::POLLIN
        } else {
            0
        }) | (if to_local.is_empty() {
            0
        } else {
            libc::POLLOUT
        });
        let mut fds = [
            libc::pollfd {
                fd: if tcp_events == 0 { -1 } else { tcp.as_raw_fd() },
                events: tcp_events,
                revents: 0,
            },
            libc::pollfd {
                fd: if local_events == 0 {
                    -1
                } else {
                    local.as_raw_fd()
                },
                events: local_events,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd for the duration of the call.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let readable = libc::POLLIN | libc::POLLHUP | libc::POLLERR;
        if fds[0].revents & readable != 0 && !tcp_done {
            match conn.read_tls(tcp) {
                Ok(0) => tcp_done = true,
                Ok(_) => {
                    if let Err(e) = conn.process_new_packets() {
                        let _ = conn.write_tls(tcp);
                        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
                    }
                }
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if fds[1].revents & readable != 0 && !local_done {
            match local.read(&mut buf) {
                Ok(0) => {
                    local_done = true;
                    conn.send_close_notify();
                }
                Ok(n) => conn.writer().write_all(&buf[..n])?,
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// libdqlite's connect function for raft connections to peers (see the module docs).
/// Owned by the node; must outlive it.
#[derive(Debug)]
pub(crate) struct Dialer {
    pub(crate) tls: Option<TlsConfig>,
}

impl Dialer {
    /// Dials `address` and returns the descriptor libdqlite is to use.
    fn dial(&self, address: &str) -> Result<c_int, String> {
        let addrs: Vec<SocketAddr> = address
            .to_socket_addrs()
            .map_err(|e| format!("resolving {address}: {e}"))?
            .collect();
        let mut last = format!("{address} resolves to no address");
        let mut tcp = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, HANDSHAKE_TIMEOUT) {
                Ok(t) => {
                    tcp = Some(t);
                    break;
                }
                Err(e) => last = format!("connecting to {address}: {e}"),
            }
        }
        let mut tcp = tcp.ok_or(last)?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return Ok(tcp.into_raw_fd());
        };
        tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT))
            .and_then(|()| tcp.set_write_timeout(Some(HANDSHAKE_TIMEOUT)))
            .map_err(|e| e.to_string())?;
        let mut conn = tls
            .client_handshake(address, &mut tcp)
            .map_err(|e| e.to_string())?;
        tcp.set_read_timeout(None)
            .and_then(|()| tcp.set_write_timeout(None))
            .map_err(|e| e.to_string())?;
        let (ours, theirs) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
        let mut ours = ours;
        std::thread::Builder::new()
            .name("dqmig-node-peer".into())
            .spawn(move || {
                let _ = pump_tls(&mut conn, &mut tcp, &mut ours);
            })
            .map_err(|e| format!("starting the peer connection thread: {e}"))?;
        Ok(theirs.into_raw_fd())
    }
}

/// The C entry point: `arg` is the node's `Dialer`.
pub(crate) unsafe extern "C" fn connect_func(
    arg: *mut c_void,
    address: *const c_char,
    fd: *mut c_int,
) -> c_int {
    let dialed = std::panic::catch_unwind(|| {
        // SAFETY: `arg` is the `Dialer` the node owns; it is dropped only after the node was
        // destroyed, so it outlives every call. It is only read (shared across threads).
        let dialer = unsafe { &*(arg as *const Dialer) };
        // SAFETY: libdqlite passes a NUL-terminated address string valid for the call.
        let address = unsafe { std::ffi::CStr::from_ptr(address) }
            .to_string_lossy()
            .into_owned();
        let r = dialer.dial(&address);
        if let Err(error) = &r {
            tracing::debug!(%address, %error, "dial to peer failed");
        }
        r
    });
    match dialed {
        Ok(Ok(raw)) => {
            // SAFETY: `fd` is libdqlite's valid out-pointer for this call.
            unsafe { *fd = raw };
            0
        }
        _ => RAFT_NOCONNECTION,
    }
}
