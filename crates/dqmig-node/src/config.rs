//! `NodeConfig`: everything needed to create an embedded node, and its validation. libdqlite
//! 1.11.1 aborts the process or answers with bare codes on bad input,
//! so every value is checked here first and rejected with a message that names it.

use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use super::NodeError;

/// Valid range of `dqlite_node_set_network_latency_ms` (libdqlite refuses values outside it).
pub const LATENCY_MS_RANGE: std::ops::RangeInclusive<u32> = 1..=3_600_000;

/// What `Node::new` needs. Only `id`, `address` and `data_dir` are required; `bind_address`
/// defaults to `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Non-zero raft id; id 1 bootstraps a one-node cluster on first start.
    pub id: u64,
    /// Advertised address: `IPv4:port` or `@name` (Linux abstract socket).
    pub address: String,
    /// Where the node listens; `None` = `address`. `@` picks an abstract socket name.
    pub bind_address: Option<String>,
    /// Raft state directory; created if missing and locked for the node's life.
    pub data_dir: PathBuf,
    /// Network latency hint in ms (1..=3_600_000); heartbeat = 1.5x, election = 15x.
    pub network_latency_ms: Option<u32>,
    /// `(threshold, trailing)`: trailing >= 4 and trailing >= threshold.
    pub snapshot_params: Option<(u32, u32)>,
    /// Any tag reported by Describe.
    pub failure_domain: Option<u64>,
    /// The node lives for one command (an embedded `dqlite:///` URL) and stops when it is
    /// done: a process that finds the data dir locked by it waits for it to finish instead
    /// of using it. Default `false`: the node serves until stopped, and other processes may
    /// connect to it as clients.
    pub transient: bool,
    /// Mutual TLS for clients and peers (default none: plain TCP). With it, libdqlite
    /// listens on an abstract socket and the node's TCP address is served by a TLS proxy
    /// in this process that requires a client certificate signed by the CA; raft
    /// connections to peers go out over TLS with the same certificate. Plain TCP is then
    /// refused. Needs a TCP address and a certificate with its key.
    pub tls: Option<dqmig_client::TlsConfig>,
}

impl NodeConfig {
    /// A config with defaults for everything optional.
    pub fn new(id: u64, address: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        NodeConfig {
            id,
            address: address.into(),
            bind_address: None,
            data_dir: data_dir.into(),
            network_latency_ms: None,
            snapshot_params: None,
            failure_domain: None,
            transient: false,
            tls: None,
        }
    }

    /// Mark the node as living for one command (see [`NodeConfig::transient`]).
    pub fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// Serve clients and peers only over mutual TLS (see [`NodeConfig::tls`]).
    pub fn tls(mut self, tls: dqmig_client::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Whether the node needs the in-process TCP front (TLS, or an IPv6 address that
    /// libdqlite 1.11 cannot bind): libdqlite then listens on an abstract socket.
    pub fn needs_front(&self) -> bool {
        self.tls.is_some() || self.effective_bind_address().starts_with('[')
    }

    /// Listen on `bind` instead of the advertised address.
    pub fn bind_address(mut self, bind: impl Into<String>) -> Self {
        self.bind_address = Some(bind.into());
        self
    }

    /// Set the network latency hint in milliseconds.
    pub fn network_latency_ms(mut self, ms: u32) -> Self {
        self.network_latency_ms = Some(ms);
        self
    }

    /// Set the snapshot threshold and trailing entry counts.
    pub fn snapshot_params(mut self, threshold: u32, trailing: u32) -> Self {
        self.snapshot_params = Some((threshold, trailing));
        self
    }

    /// Set the failure domain tag.
    pub fn failure_domain(mut self, code: u64) -> Self {
        self.failure_domain = Some(code);
        self
    }

    /// The address the node will listen on.
    pub fn effective_bind_address(&self) -> &str {
        self.bind_address.as_deref().unwrap_or(&self.address)
    }

    /// Check every value the way libdqlite would, but with messages; also what libdqlite
    /// accepts but cannot work: a wildcard advertised `address` (`0.0.0.0:PORT`,
    /// `[::]:PORT`; a wildcard bind address is fine) and a data dir that exists and is not
    /// a directory.
    ///
    /// # Errors
    /// [`NodeError::InvalidConfig`] naming the setting, its value and what is expected.
    pub fn validate(&self) -> Result<(), NodeError> {
        if self.id == 0 {
            return Err(invalid(
                "id",
                "0",
                "a non-zero id (1 bootstraps a new cluster)",
            ));
        }
        check_address_field("address", &self.address)?;
        if self
            .address
            .parse::<SocketAddr>()
            .is_ok_and(|a| a.ip().is_unspecified())
        {
            return Err(invalid(
                "address",
                &self.address,
                "the address peers and clients reach this node at (e.g. 10.0.0.5:9001), not a wildcard: \
                 the node advertises it to the cluster, and nobody can connect to 0.0.0.0 or [::]",
            ));
        }
        if let Some(bind) = &self.bind_address {
            if bind != "@" {
                check_address_field("bind address", bind)?;
            }
        }
        if self.needs_front() && self.effective_bind_address().starts_with('@') {
            return Err(invalid(
                "bind address",
                self.effective_bind_address(),
                "a TCP address (IPv4:port or [IPv6]:port): TLS is served on TCP only",
            ));
        }
        if let Some(tls) = &self.tls {
            if !tls.has_identity() {
                return Err(invalid(
                    "tls",
                    "a CA without certificate and key",
                    "the node's own certificate and key (tls-cert, tls-key) besides the CA",
                ));
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data dir", "", "a directory path"));
        }
        c_path(&self.data_dir)?;
        if self.data_dir.exists() && !self.data_dir.is_dir() {
            return Err(invalid(
                "data dir",
                &self.data_dir.display().to_string(),
                "a directory (this path exists and is not one); give a folder for the node's raft state",
            ));
        }
        if let Some(ms) = self.network_latency_ms {
            if !LATENCY_MS_RANGE.contains(&ms) {
                return Err(invalid(
                    "network latency",
                    &format!("{ms} ms"),
                    "1..=3600000 milliseconds",
                ));
            }
        }
        if let Some((threshold, trailing)) = self.snapshot_params {
            if trailing < 4 || trailing < threshold {
                return Err(invalid(
                    "snapshot params",
                    &format!("threshold {threshold}, trailing {trailing}"),
                    "trailing >= 4 and trailing >= threshold (defaults: 1024, 8192)",
                ));
            }
        }
        Ok(())
    }
}

fn invalid(field: &'static str, value: &str, expected: &str) -> NodeError {
    NodeError::InvalidConfig {
        field,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn check_address_field(field: &'static str, value: &str) -> Result<(), NodeError> {
    check_node_address(value).map_err(|expected| invalid(field, value, expected))
}

/// Whether `s` is an address a node can have: `a.b.c.d:port` with a literal IPv4
/// address, `[v6]:port` with a literal IPv6 address (served by the node's in-process
/// front, since libdqlite 1.11 binds IPv4 only), both with an explicit port 1..=65535, or
/// `@name` for a Linux abstract socket. On error, says what is expected.
pub fn check_node_address(s: &str) -> Result<(), &'static str> {
    const EXPECTED: &str = "IPv4:port (e.g. 127.0.0.1:9001), [IPv6]:port (e.g. [::1]:9001) or @name for an abstract unix socket; hostnames are not supported by libdqlite 1.11";
    if s.contains('\0') {
        return Err("an address without NUL bytes");
    }
    if let Some(name) = s.strip_prefix('@') {
        if name.is_empty() {
            return Err("@name with a non-empty name (only a bind address may be just @)");
        }
        return Ok(());
    }
    if s.starts_with('[') {
        return match s.parse::<SocketAddr>() {
            Ok(SocketAddr::V6(a)) if a.port() != 0 => Ok(()),
            Ok(_) => Err("[IPv6]:port with a port in 1..=65535"),
            Err(_) if s.ends_with(']') && s[1..s.len() - 1].parse::<Ipv6Addr>().is_ok() => {
                Err("[IPv6]:port: the port is missing (e.g. [::1]:9001)")
            }
            Err(_) => Err(EXPECTED),
        };
    }
    if s.parse::<Ipv4Addr>().is_ok() {
        return Err("IPv4:port: the port is missing (e.g. 127.0.0.1:9001)");
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(EXPECTED);
    };
    if host.parse::<Ipv4Addr>().is_err() {
        return Err(EXPECTED);
    }
    match port.parse::<u16>() {
        Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err("IPv4:port with a port in 1..=65535"),
    }
}

/// `s` as a C string, or an error naming the field.
pub(crate) fn c_string(field: &'static str, s: &str) -> Result<CString, NodeError> {
    CString::new(s).map_err(|_| invalid(field, s, "a value without NUL bytes"))
}

/// A path as a C string (raw OS bytes), or an error if it contains NUL.
pub(crate) fn c_path(path: &std::path::Path) -> Result<CString, NodeError> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        invalid(
            "data dir",
            &path.display().to_string(),
            "a path without NUL bytes",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for ok in [
            "127.0.0.1:9001",
            "0.0.0.0:1",
            "@dqmig",
            "10.1.2.3:65535",
            "[::1]:9001",
            "[fe80::1]:1",
        ] {
            assert!(check_node_address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:0",
            "127.0.0.1:65536",
            "127.0.0.1:+80",
            "localhost:9001",
            "[::1]:0",
            "[::1]",
            "[127.0.0.1]:80",
            "::1:9001",
            "@",
            "1.2.3:80",
            "a\0b:1",
        ] {
            assert!(check_node_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bind_at_alone_is_allowed() {
        let c = NodeConfig::new(1, "127.0.0.1:9001", "/tmp/x").bind_address("@");
        c.validate().unwrap();
    }

    #[test]
    fn messages_name_value_and_expectation() {
        let e = NodeConfig::new(1, "127.0.0.1:9001", "/tmp/x")
            .snapshot_params(2048, 1024)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("threshold 2048, trailing 1024"), "{e}");
        assert!(e.contains("trailing >= threshold"), "{e}");
        let e = NodeConfig::new(1, "localhost:9001", "/tmp/x")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"localhost:9001\"") && e.contains("IPv4:port"),
            "{e}"
        );
        for (address, want) in [
            ("[::1]", "the port is missing"),
            ("127.0.0.1", "the port is missing"),
            ("0.0.0.0:9001", "peers and clients reach"),
            ("[::]:9001", "peers and clients reach"),
        ] {
            let e = NodeConfig::new(1, address, "/tmp/x")
                .validate()
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{address}: {e}");
        }
        // Listening on every interface stays possible, through the bind address.
        NodeConfig::new(1, "127.0.0.1:9001", "/tmp/x")
            .bind_address("0.0.0.0:9001")
            .validate()
            .unwrap();
        let e = NodeConfig::new(1, "127.0.0.1:9001", "/etc/passwd")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not one"), "{e}");
    }
}
