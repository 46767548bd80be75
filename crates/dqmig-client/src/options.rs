//! `ConnectOptions`: timeouts, busy handling, statement cache size and message size limit of
//! a connection, with the documented defaults.

use std::time::Duration;

use super::transport::{TransportOptions, DEFAULT_MAX_MESSAGE};

/// Connection settings. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Per-address TCP connect timeout (default 5 s).
    pub dial_timeout: Duration,
    /// Socket read timeout; `None` waits forever (default). A timeout breaks the connection.
    pub read_timeout: Option<Duration>,
    /// Socket write timeout; `None` waits forever (default).
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
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            dial_timeout: Duration::from_secs(5),
            read_timeout: None,
            write_timeout: None,
            leader_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(5),
            statement_cache: 64,
            max_message_size: DEFAULT_MAX_MESSAGE,
        }
    }
}

impl ConnectOptions {
    pub(crate) fn transport(&self) -> TransportOptions {
        TransportOptions {
            dial_timeout: self.dial_timeout,
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
            max_message: self.max_message_size,
        }
    }
}
