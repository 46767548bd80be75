//! Blocking byte transport for one dqlite connection: dials TCP (`127.0.0.1:9001`,
//! `[::1]:9001`, TCP_NODELAY; with mutual TLS when `ConnectOptions::tls` is set) or a Linux abstract unix socket (`@name`) or a socket path (`/path`), writes
//! the protocol handshake, and moves whole messages: one `write_all` per request from a reused
//! write buffer, and header-then-exact-body reads into a reused read buffer
//! (an 8-byte header, then the body it announces). Any I/O or decoding failure marks the transport broken, because the
//! byte stream can no longer be trusted to be at a message boundary.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::proto::{
    self, Header, ProtoError, Request, Response, ResponseHint, RowsEnd, HEADER_LEN,
};

/// Size of the input buffer kept between replies; larger messages grow it for their read.
const READ_CHUNK: usize = 64 * 1024;

/// The error of a reply that keeps arriving but not whole within the read timeout.
const TOO_SLOW: &str = "the reply arrives too slowly: part of it came, but not the rest within the read timeout (ConnectOptions::read_timeout, 30 s by default; --read-timeout of the dqmig CLI); the peer is stalled or not a dqlite node; the connection is closed, and a request in flight may or may not have run";

/// Default refusal threshold for one incoming message body.
pub const DEFAULT_MAX_MESSAGE: usize = 1 << 31;

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn set_timeouts(&self, read: Option<Duration>, write: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(read)?;
                s.set_write_timeout(write)
            }
            Stream::Unix(s) => {
                s.set_read_timeout(read)?;
                s.set_write_timeout(write)
            }
            #[cfg(feature = "tls")]
            Stream::Tls(s) => {
                s.sock.set_read_timeout(read)?;
                s.sock.set_write_timeout(write)
            }
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(buf),
            Stream::Unix(s) => s.write_all(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => {
                s.write_all(buf)?;
                s.flush()
            }
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }

    fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        if let Stream::Tls(_) = self {
            return true;
        }
        false
    }

    /// Makes the kernel send the ACK it is delaying now, and acknowledge the next segments
    /// at once. A 1.11.1 node writes multi-batch results with Nagle's algorithm on: while one
    /// batch is unacknowledged, the next (smaller than a segment) waits for our ACK, which
    /// Linux delays by up to 40 ms, so every result longer than one 4 KiB batch paid that
    /// stall. Called after each batch that says another follows (setting TCP_QUICKACK
    /// flushes a pending delayed ACK); single-message replies never pay the extra syscall.
    fn ack_now(&self) {
        #[cfg(target_os = "linux")]
        {
            let tcp = match self {
                Stream::Tcp(s) => s,
                #[cfg(feature = "tls")]
                Stream::Tls(s) => &s.sock,
                Stream::Unix(_) => return,
            };
            // Best effort: a failure only costs latency, never correctness.
            let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
        }
    }
}

/// Socket options the transport needs.
#[derive(Debug, Clone)]
pub(crate) struct TransportOptions {
    pub dial_timeout: Duration,
    /// Read timeout for the first reply (see `ConnectOptions::handshake_timeout`).
    pub handshake_timeout: Duration,
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
    pub max_message: usize,
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsConfig>,
}

pub(crate) struct Transport {
    stream: Stream,
    address: String,
    wbuf: Vec<u8>,
    /// Bytes read from the socket: `rbuf[rstart..rend]` is not consumed yet. One `read`
    /// usually brings a whole reply (header and body), and a node pushing several Rows
    /// messages may leave the start of the next one here.
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    max_message: usize,
    /// The socket's read timeout, also the time one message has to arrive whole.
    read_timeout: Option<Duration>,
    broken: Option<String>,
    /// Requests written so far (the handshake not counted).
    sent: u64,
}

fn io_err(action: &str, address: &str, source: std::io::Error) -> Error {
    #[cfg(feature = "tls")]
    if source
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return crate::tls::io_error(address, action, source, false);
    }
    let source = match source.kind() {
        // An end of stream in the middle of a reply: say what it means for a dqlite node.
        std::io::ErrorKind::UnexpectedEof => std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection (node stopped or restarted, or it could not decode the request)",
        ),
        // A socket read timeout (no message of ours inside): say which setting bounds it.
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            if source.get_ref().is_none() =>
        {
            std::io::Error::new(
            source.kind(),
            "no reply within the read timeout (ConnectOptions::read_timeout, 30 s by default, or per connection Connection::set_read_timeout; --read-timeout of the dqmig CLI): raise it for statements known to run longer; the connection is closed, and a request in flight may or may not have run",
        )
        }
        _ => source,
    };
    Error::Io {
        action: action.to_string(),
        address: address.to_string(),
        source,
    }
}

fn dial_stream(address: &str, opts: &TransportOptions) -> Result<Stream> {
    if let Some(name) = address.strip_prefix('@') {
        return dial_abstract(address, name);
    }
    if address.starts_with('/') {
        return UnixStream::connect(address)
            .map(Stream::Unix)
            .map_err(|e| io_err("connecting to", address, e));
    }
    let addrs: Vec<_> = match address.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            return Err(Error::BadAddress {
                address: address.to_string(),
                reason: format!("{e}; expected HOST:PORT (e.g. 127.0.0.1:9001), [IPv6]:PORT (e.g. [::1]:9001), @abstract-name or a socket path"),
            })
        }
    };
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, opts.dial_timeout) {
            Ok(s) => {
                s.set_nodelay(true)
                    .map_err(|e| io_err("setting TCP_NODELAY on", address, e))?;
                #[cfg(feature = "tls")]
                if let Some(tls) = &opts.tls {
                    return tls_handshake(tls, address, s, opts);
                }
                return Ok(Stream::Tcp(s));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => io_err("connecting to", address, e),
        None => Error::BadAddress {
            address: address.to_string(),
            reason: "resolves to no address".into(),
        },
    })
}

/// The client side of the TLS handshake on a fresh TCP connection, bounded by the
/// handshake timeout.
#[cfg(feature = "tls")]
fn tls_handshake(
    tls: &crate::tls::TlsConfig,
    address: &str,
    mut tcp: TcpStream,
    opts: &TransportOptions,
) -> Result<Stream> {
    let bound = Some(opts.handshake_timeout);
    tcp.set_read_timeout(bound)
        .and_then(|()| tcp.set_write_timeout(bound))
        .map_err(|e| io_err("setting socket timeouts on", address, e))?;
    let conn = tls
        .client_handshake(address, &mut tcp)
        .map_err(|e| match e {
            Error::Io { source, .. }
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Error::NoAnswer {
                    address: address.to_string(),
                    waited: opts.handshake_timeout,
                }
            }
            other => other,
        })?;
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
}

/// Whether `bytes` (the start of the first reply) is a TLS alert record: what a TLS node
/// answers a plain dqlite handshake with (content type 21, version 3.x).
fn is_tls_alert(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x15 && bytes[1] == 0x03
}

#[cfg(target_os = "linux")]
fn dial_abstract(address: &str, name: &str) -> Result<Stream> {
    use std::os::linux::net::SocketAddrExt;
    let addr =
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).map_err(|e| {
            Error::BadAddress {
                address: address.to_string(),
                reason: e.to_string(),
            }
        })?;
    UnixStream::connect_addr(&addr)
        .map(Stream::Unix)
        .map_err(|e| io_err("connecting to", address, e))
}

#[cfg(not(target_os = "linux"))]
fn dial_abstract(address: &str, _name: &str) -> Result<Stream> {
    Err(Error::BadAddress {
        address: address.to_string(),
        reason: "abstract unix sockets exist only on Linux".into(),
    })
}

impl Transport {
    /// Connects and writes the protocol-version handshake (the server replies nothing).
    pub fn dial(address: &str, opts: &TransportOptions) -> Result<Transport> {
        let mut stream = dial_stream(address, opts)?;
        stream
            .set_timeouts(opts.read_timeout, opts.write_timeout)
            .map_err(|e| io_err("setting socket timeouts on", address, e))?;
        stream
            .write_all(&proto::PROTOCOL_VERSION.to_le_bytes())
            .map_err(|e| io_err("sending the protocol handshake to", address, e))?;
        Ok(Transport {
            stream,
            address: address.to_string(),
            wbuf: Vec::with_capacity(4096),
            rbuf: vec![0; READ_CHUNK],
            rstart: 0,
            rend: 0,
            max_message: opts.max_message,
            read_timeout: opts.read_timeout,
            broken: None,
            sent: 0,
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// Changes the socket read timeout (`None`: wait forever).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.read_timeout = timeout;
        let address = self.address.clone();
        match &self.stream {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_read_timeout(timeout),
        }
        .map_err(|e| io_err("setting the read timeout on", &address, e))
    }

    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Requests written so far.
    pub fn requests_sent(&self) -> u64 {
        self.sent
    }

    fn check(&self) -> Result<()> {
        match &self.broken {
            Some(cause) => Err(Error::Broken {
                address: self.address.clone(),
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Records that the stream is out of step; returns `err` for chaining.
    pub fn poison(&mut self, err: Error) -> Error {
        if self.broken.is_none() {
            self.broken = Some(err.to_string());
        }
        err
    }

    /// Encodes a request and writes it in one `write_all`.
    pub fn send(&mut self, req: &Request, action: &str) -> Result<()> {
        self.send_with(action, |out| proto::encode_request(req, out))
    }

    /// Lets `encode` append one whole message to the reused buffer, then writes it.
    pub fn send_with(
        &mut self,
        action: &str,
        encode: impl FnOnce(&mut Vec<u8>) -> std::result::Result<(), ProtoError>,
    ) -> Result<()> {
        self.check()?;
        self.wbuf.clear();
        if let Err(source) = encode(&mut self.wbuf) {
            // Nothing was written: the connection is still in step.
            return Err(match source {
                ProtoError::NulInText { what, position } => Error::NulInText {
                    position,
                    action: format!("{action} ({what})"),
                },
                ProtoError::NanParameter { index } => Error::NanParameter {
                    index,
                    action: action.to_string(),
                },
                ProtoError::TooManyParams { count } => Error::TooManyParams {
                    count,
                    action: action.to_string(),
                },
                ProtoError::DescribeFormat { format } => Error::DescribeFormat { format },
                source => Error::Protocol {
                    action: action.to_string(),
                    address: self.address.clone(),
                    source,
                },
            });
        }
        if let Err(e) = self.stream.write_all(&self.wbuf) {
            let err = io_err(&format!("{action}: writing to"), &self.address, e);
            return Err(self.poison(err));
        }
        self.sent += 1;
        if self.wbuf.capacity() > (1 << 24) {
            self.wbuf = Vec::with_capacity(4096);
        }
        Ok(())
    }

    /// Makes sure `rbuf[rstart..]` holds at least `n` bytes, reading as much as the socket
    /// has (up to the buffer's size) per call. The buffer grows with the bytes that actually
    /// arrive (at most doubling per step), never to a length a header only announces: a
    /// peer that claims a 2 GiB body and sends 8 bytes costs 64 KiB, not 2 GiB.
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        if self.rend - self.rstart >= n {
            return Ok(());
        }
        if self.rbuf.len() - self.rstart < n {
            // Move what is left to the front.
            self.rbuf.copy_within(self.rstart..self.rend, 0);
            self.rend -= self.rstart;
            self.rstart = 0;
        }
        // The read timeout bounds each read and, from the first part on, the whole of what
        // is missing: a peer trickling a byte per read would otherwise hold the connection
        // (and the caller) for as long as it likes.
        let mut deadline: Option<Instant> = None;
        while self.rend - self.rstart < n {
            if self.rend == self.rbuf.len() {
                let grown = (self.rbuf.len() * 2).min(self.rstart + n);
                self.rbuf.resize(grown, 0);
            }
            match self.stream.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(k) => {
                    self.rend += k;
                    if let (true, Some(limit)) = (self.rend - self.rstart < n, self.read_timeout) {
                        let now = Instant::now();
                        match deadline {
                            None => deadline = now.checked_add(limit),
                            Some(d) if now >= d => {
                                return Err(std::io::Error::new(
                                    std::io::ErrorKind::TimedOut,
                                    TOO_SLOW,
                                ))
                            }
                            Some(_) => {}
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads one whole message and decodes it.
    pub fn recv(&mut self, hint: ResponseHint, action: &str) -> Result<Response> {
        self.check()?;
        let filled = self.fill(HEADER_LEN);
        if self.sent <= 2
            && !self.stream.is_tls()
            && is_tls_alert(&self.rbuf[self.rstart..self.rend])
        {
            let err = Error::Tls {
                address: self.address.clone(),
                refusal: crate::error::TlsRefusal::TlsRequired,
                detail: "it answered the dqlite handshake with a TLS alert".into(),
            };
            return Err(self.poison(err));
        }
        if let Err(e) = filled {
            let err = io_err(&format!("{action}: reading a reply from"), &self.address, e);
            return Err(self.poison(err));
        }
        let mut hdr = [0u8; HEADER_LEN];
        hdr.copy_from_slice(&self.rbuf[self.rstart..self.rstart + HEADER_LEN]);
        let header = Header::decode(&hdr);
        let len = header.body_len();
        if len > self.max_message {
            let err = Error::Protocol {
                action: action.to_string(),
                address: self.address.clone(),
                source: ProtoError::TooLarge { len },
            };
            return Err(self.poison(err));
        }
        if let Err(e) = self.fill(HEADER_LEN + len) {
            let err = io_err(
                &format!("{action}: reading a {len}-byte reply body from"),
                &self.address,
                e,
            );
            return Err(self.poison(err));
        }
        let body = self.rstart + HEADER_LEN..self.rstart + HEADER_LEN + len;
        let decoded = proto::decode_response(header.mtype, &self.rbuf[body.clone()], hint);
        self.rstart = body.end;
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
            if self.rbuf.len() > (1 << 24) {
                self.rbuf = vec![0; READ_CHUNK];
            }
        }
        match decoded {
            Ok(resp) => {
                if matches!(&resp, Response::Rows(b) if b.end == RowsEnd::Part) {
                    self.stream.ack_now();
                }
                Ok(resp)
            }
            Err(source) => {
                let err = Error::Protocol {
                    action: action.to_string(),
                    address: self.address.clone(),
                    source,
                };
                Err(self.poison(err))
            }
        }
    }
}
