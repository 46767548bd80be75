//! `ConnectOptions`: timeouts, busy handling, statement cache size and message size limit of
//! a connection, with the documented defaults. Every wait is bounded by default: a node that
//! is frozen, partitioned or not a dqlite node at all costs at most the handshake timeout
//! while the leader is looked for, and at most the read timeout once a request is in flight.

use std::time::Duration;

use super::transport::{TransportOptions, DEFAULT_MAX_MESSAGE};

/// Connection settings. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Per-address TCP connect timeout (default [`DEFAULT_DIAL_TIMEOUT`], 5 s).
    pub dial_timeout: Duration,
    /// How long a freshly connected node may take to answer its first request, the
    /// leader probe (default [`DEFAULT_HANDSHAKE_TIMEOUT`], 2 s). A member that does not
    /// answer in time (frozen, partitioned, or a listener that is not dqlite) is skipped
    /// for the others; one that answers with something else than the dqlite protocol is
    /// reported as not a dqlite node.
    pub handshake_timeout: Duration,
    /// Socket read timeout for every reply after the handshake (default
    /// [`DEFAULT_READ_TIMEOUT`], 30 s); `None` waits forever. Once part of a reply has come,
    /// the rest must come within the same time (a peer trickling bytes cannot hold the
    /// connection longer: about twice this timeout per reply at most). A timeout breaks the
    /// connection (a request may then have run or not: transactions replay, COMMITs are
    /// checked). A statement known to run longer needs a longer one:
    /// [`crate::Connection::set_read_timeout`] per connection.
    pub read_timeout: Option<Duration>,
    /// Socket write timeout (default [`DEFAULT_READ_TIMEOUT`]); `None` waits forever.
    pub write_timeout: Option<Duration>,
    /// How long `open` keeps looking for a leader (default 10 s).
    pub leader_timeout: Duration,
    /// How long a statement outside an explicit transaction is retried while the database is
    /// locked by another connection (default 5 s). Zero disables the retry.
    pub busy_timeout: Duration,
    /// Prepared statements kept per connection for repeated SQL (default 64; 0 disables).
    pub statement_cache: usize,
    /// Largest reply body accepted, in bytes (default 2 GiB).
    pub max_message_size: usize,
    /// Told every few seconds while leader discovery finds no leader (how long it has
    /// waited, how long it may, which addresses it tried and why); default none. Kept by
    /// reconnects, so a migration waiting out a leader change can say so.
    pub on_leader_wait: Option<LeaderWaitHook>,
    /// Mutual TLS for TCP addresses (feature `tls`; default none: plain TCP). Abstract
    /// (`@name`) and path sockets stay plain. See [`crate::tls`].
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsConfig>,
}

/// The callback of [`ConnectOptions::on_leader_wait`].
#[derive(Clone)]
pub struct LeaderWaitHook(pub std::sync::Arc<dyn Fn(&crate::LeaderWait) + Send + Sync>);

impl std::fmt::Debug for LeaderWaitHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeaderWaitHook")
    }
}

/// Default [`ConnectOptions::dial_timeout`].
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`ConnectOptions::handshake_timeout`].
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);
/// Default [`ConnectOptions::read_timeout`] and [`ConnectOptions::write_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            write_timeout: Some(DEFAULT_READ_TIMEOUT),
            leader_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(5),
            statement_cache: 64,
            max_message_size: DEFAULT_MAX_MESSAGE,
            on_leader_wait: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ConnectOptions {
    /// Sets [`ConnectOptions::tls`].
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: Option<crate::tls::TlsConfig>) -> Self {
        self.tls = tls;
        self
    }

    pub(crate) fn transport(&self) -> TransportOptions {
        TransportOptions {
            dial_timeout: self.dial_timeout,
            handshake_timeout: self.handshake_timeout,
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
            max_message: self.max_message_size,
            #[cfg(feature = "tls")]
            tls: self.tls.clone(),
        }
    }
}
