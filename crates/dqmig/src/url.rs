//! Database URL parsing and printing: the embedded form that may start a
//! node and the cluster form that only connects. Pure: no sockets, no files; relative data
//! dirs are resolved by the caller through `DbUrl::resolve_relative`.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::tls::{TlsPaths, URL_KEYS};

const SCHEME: &str = "dqlite://";
const FORMS: &str = "dqlite:///ADDRESS/DATA_DIR/DATABASE (embedded, e.g. dqlite:///127.0.0.1:9001/tmp/dqlite/app.db) or dqlite://HOST:PORT[,HOST:PORT...]/DATABASE (cluster)";

/// A parsed dqmig database URL.
///
/// * `dqlite:///ADDRESS/DATA_DIR/DATABASE` — **embedded**: `ADDRESS` is `IPv4:port`, `[IPv6]:port` (or
///   `@name`, a Linux abstract socket), `DATA_DIR` is everything between the address and the
///   last `/`, `DATABASE` the last segment. `dqlite:///127.0.0.1:9001/tmp/dqlite/app.db` has
///   data dir `/tmp/dqlite`. The data dir is absolute unless written as `/./…` or `/../…`:
///   `dqlite:///127.0.0.1:9001/./data/app.db` has the relative data dir `./data`, which the
///   caller resolves against a base folder with [`DbUrl::resolve_relative`] (the current
///   directory, or the folder of `dqmig.toml`).
/// * `dqlite://HOST:PORT[,HOST:PORT...]/DATABASE` — **cluster**: a client of running nodes;
///   hosts may be IPv4 literals, `[IPv6]` literals (`dqlite://[::1]:9001/app.db`) or names
///   (resolved when connecting), the port is required. An embedded node's address may be
///   `[IPv6]:port` too.
///
/// Either form may end with TLS settings in a query: `?tls-ca=PATH&tls-cert=PATH&tls-key=PATH`
/// (and `tls-server-name=NAME`), values percent-encoded where they hold `&`, `=`, `#`, `%`
/// or spaces; relative paths are resolved like a relative data dir. Fragments and user
/// credentials are not supported. `Display` prints
/// the URL back in the same form, so parsing what it prints gives the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Embedded {
        address: String,
        data_dir: PathBuf,
        database: String,
        /// TLS settings from the query (empty without one).
        tls: TlsPaths,
    },
    Cluster {
        addresses: Vec<String>,
        database: String,
        /// TLS settings from the query (empty without one).
        tls: TlsPaths,
    },
}

/// Why a database URL was refused. Every variant carries the URL and says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    #[error("database URL {url:?} has scheme {found:?}: expected {FORMS}")]
    Scheme { url: String, found: String },
    #[error("database URL {url:?} has a {part}, which dqmig does not support: remove everything from {marker:?} on")]
    Unsupported {
        url: String,
        part: &'static str,
        marker: char,
    },
    #[error("database URL {url:?} has query key {key:?}: the keys it may have are {}", URL_KEYS.join(", "))]
    QueryKey { url: String, key: String },
    #[error("database URL {url:?} has query part {part:?}: expected KEY=VALUE pairs separated by \"&\", e.g. ?tls-ca=ca.pem&tls-cert=client.pem&tls-key=client-key.pem")]
    QueryPart { url: String, part: String },
    #[error("database URL {url:?} contains a NUL byte")]
    Nul { url: String },
    #[error("database URL {url:?} has no node address after \"dqlite:///\": expected {FORMS}")]
    MissingAddress { url: String },
    #[error("database URL {url:?}: address {address:?} has no port: expected HOST:PORT, e.g. 127.0.0.1:9001")]
    MissingPort { url: String, address: String },
    #[error("database URL {url:?}: address {address:?} has port {port:?}: expected a number in 1..=65535")]
    InvalidPort {
        url: String,
        address: String,
        port: String,
    },
    #[error("database URL {url:?}: host {host:?} {reason}")]
    InvalidHost {
        url: String,
        host: String,
        reason: &'static str,
    },
    #[error(
        "database URL {url:?} lists no hosts: expected dqlite://HOST:PORT[,HOST:PORT...]/DATABASE"
    )]
    EmptyHostList { url: String },
    #[error("database URL {url:?} has an empty entry in its host list: separate hosts with single commas")]
    EmptyHost { url: String },
    #[error("database URL {url:?} has no data dir: expected dqlite:///ADDRESS/DATA_DIR/DATABASE, e.g. dqlite:///127.0.0.1:9001/tmp/dqlite/app.db")]
    MissingDataDir { url: String },
    #[error("database URL {url:?} has no database name: expected the name after the last \"/\", e.g. .../app.db")]
    MissingDatabase { url: String },
    #[error("database URL {url:?} ends with \"/\": put the database name last, e.g. .../app.db")]
    TrailingSlash { url: String },
    #[error("database URL {url:?}: database name {database:?} {reason}")]
    InvalidDatabase {
        url: String,
        database: String,
        reason: &'static str,
    },
}

impl DbUrl {
    /// The database name.
    pub fn database(&self) -> &str {
        match self {
            DbUrl::Embedded { database, .. } | DbUrl::Cluster { database, .. } => database,
        }
    }

    /// The TLS settings of the query.
    pub fn tls(&self) -> &TlsPaths {
        match self {
            DbUrl::Embedded { tls, .. } | DbUrl::Cluster { tls, .. } => tls,
        }
    }

    /// The URL with its TLS settings replaced by `tls`.
    pub fn with_tls(&self, tls: TlsPaths) -> DbUrl {
        let mut u = self.clone();
        match &mut u {
            DbUrl::Embedded { tls: t, .. } | DbUrl::Cluster { tls: t, .. } => *t = tls,
        }
        u
    }

    /// The node addresses to try: the embedded node's address, or the cluster's list.
    pub fn addresses(&self) -> Vec<String> {
        match self {
            DbUrl::Embedded { address, .. } => vec![address.clone()],
            DbUrl::Cluster { addresses, .. } => addresses.clone(),
        }
    }

    /// The URL with a relative embedded data dir and relative TLS paths joined onto `base`
    /// (`.` components dropped). Absolute paths are left unchanged.
    pub fn resolve_relative(&self, base: &Path) -> DbUrl {
        let resolved = match self {
            DbUrl::Embedded {
                address,
                data_dir,
                database,
                tls,
            } if data_dir.is_relative() => DbUrl::Embedded {
                address: address.clone(),
                data_dir: base.join(data_dir).components().collect(),
                database: database.clone(),
                tls: tls.clone(),
            },
            other => other.clone(),
        };
        resolved.with_tls(self.tls().resolve_relative(base))
    }
}

impl FromStr for DbUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<DbUrl, UrlError> {
        let url = || s.to_string();
        if s.contains('\0') {
            return Err(UrlError::Nul { url: url() });
        }
        let Some(rest) = s.strip_prefix(SCHEME) else {
            let found = match s.split_once("://") {
                Some((scheme, _)) => scheme.to_string(),
                None => String::new(),
            };
            return Err(UrlError::Scheme { url: url(), found });
        };
        if rest.contains('#') {
            return Err(UrlError::Unsupported {
                url: url(),
                part: "fragment",
                marker: '#',
            });
        }
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let tls = match query {
            Some(q) => parse_query(s, q)?,
            None => TlsPaths::default(),
        };
        let parsed = match rest.strip_prefix('/') {
            Some(embedded) => parse_embedded(s, embedded),
            None => parse_cluster(s, rest),
        }?;
        Ok(parsed.with_tls(tls))
    }
}

/// `%XX` sequences decoded (a `%` not followed by two hex digits is kept as it is).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = &b[i + 1..i + 3];
            if let Some(v) = hex
                .iter()
                .all(u8::is_ascii_hexdigit)
                .then(|| std::str::from_utf8(hex).ok())
                .flatten()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `value` with the characters that would end or confuse a query value percent-encoded.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '%' | '&' | '=' | '#' | '?' | ' ' | '+' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn parse_query(url: &str, query: &str) -> Result<TlsPaths, UrlError> {
    let mut tls = TlsPaths::default();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=').filter(|(_, v)| !v.is_empty()) else {
            return Err(UrlError::QueryPart {
                url: url.to_string(),
                part: part.to_string(),
            });
        };
        if !tls.set(key, &percent_decode(value)) {
            return Err(UrlError::QueryKey {
                url: url.to_string(),
                key: key.to_string(),
            });
        }
    }
    Ok(tls)
}

fn parse_embedded(url: &str, rest: &str) -> Result<DbUrl, UrlError> {
    let u = || url.to_string();
    let (address, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if address.is_empty() {
        return Err(UrlError::MissingAddress { url: u() });
    }
    if path.is_empty() {
        return Err(UrlError::MissingDataDir { url: u() });
    }
    check_embedded_address(url, address)?;
    if path.ends_with('/') {
        return Err(UrlError::TrailingSlash { url: u() });
    }
    // `path` starts with '/': the data dir is everything up to the last '/'.
    let last = path.rfind('/').unwrap_or(0);
    let (dir, database) = (&path[..last], &path[last + 1..]);
    if dir.is_empty() {
        return Err(UrlError::MissingDataDir { url: u() });
    }
    let relative = dir == "/." || dir == "/.." || dir.starts_with("/./") || dir.starts_with("/../");
    let data_dir = if relative { &dir[1..] } else { dir };
    check_database(url, database)?;
    Ok(DbUrl::Embedded {
        address: address.to_string(),
        data_dir: PathBuf::from(data_dir),
        database: database.to_string(),
        tls: TlsPaths::default(),
    })
}

fn parse_cluster(url: &str, rest: &str) -> Result<DbUrl, UrlError> {
    let u = || url.to_string();
    let Some((hosts, database)) = rest.split_once('/') else {
        if rest.is_empty() {
            return Err(UrlError::EmptyHostList { url: u() });
        }
        return Err(UrlError::MissingDatabase { url: u() });
    };
    if hosts.is_empty() {
        return Err(UrlError::EmptyHostList { url: u() });
    }
    if database.ends_with('/') {
        return Err(UrlError::TrailingSlash { url: u() });
    }
    if database.contains('/') {
        return Err(UrlError::InvalidDatabase {
            url: u(),
            database: database.to_string(),
            reason: "contains \"/\": the cluster form has no data dir (dqlite://HOST:PORT[,HOST:PORT...]/DATABASE); use dqlite:/// with three slashes for an embedded node",
        });
    }
    let mut addresses = Vec::new();
    for host in hosts.split(',') {
        if host.is_empty() {
            return Err(UrlError::EmptyHost { url: u() });
        }
        check_cluster_address(url, host)?;
        addresses.push(host.to_string());
    }
    check_database(url, database)?;
    Ok(DbUrl::Cluster {
        addresses,
        database: database.to_string(),
        tls: TlsPaths::default(),
    })
}

/// Splits `host:port`, checking the port; returns the host.
fn split_port<'a>(url: &str, address: &'a str) -> Result<&'a str, UrlError> {
    if let Some(inner) = address.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(UrlError::InvalidHost {
                url: url.to_string(),
                host: address.to_string(),
                reason: "has no closing \"]\": expected [IPv6]:PORT, e.g. [::1]:9001",
            });
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::InvalidHost {
                url: url.to_string(),
                host: host.to_string(),
                reason: "is not an IPv6 address: expected [IPv6]:PORT, e.g. [::1]:9001",
            });
        }
        let Some(port) = after.strip_prefix(':') else {
            return Err(UrlError::MissingPort {
                url: url.to_string(),
                address: address.to_string(),
            });
        };
        check_port(url, address, port)?;
        return Ok(host);
    }
    if address.matches(':').count() > 1 {
        return Err(UrlError::InvalidHost {
            url: url.to_string(),
            host: address.to_string(),
            reason: "looks like an IPv6 address without brackets: write it as [IPv6]:PORT, e.g. [::1]:9001",
        });
    }
    let Some((host, port)) = address.split_once(':') else {
        return Err(UrlError::MissingPort {
            url: url.to_string(),
            address: address.to_string(),
        });
    };
    check_port(url, address, port)?;
    if host.is_empty() {
        return Err(UrlError::InvalidHost {
            url: url.to_string(),
            host: address.to_string(),
            reason: "has an empty host before the port: expected HOST:PORT",
        });
    }
    Ok(host)
}

fn check_port(url: &str, address: &str, port: &str) -> Result<(), UrlError> {
    let valid = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && matches!(port.parse::<u16>(), Ok(p) if p != 0);
    if !valid {
        return Err(UrlError::InvalidPort {
            url: url.to_string(),
            address: address.to_string(),
            port: port.to_string(),
        });
    }
    Ok(())
}

fn check_embedded_address(url: &str, address: &str) -> Result<(), UrlError> {
    if address.contains(',') {
        return Err(UrlError::InvalidHost {
            url: url.to_string(),
            host: address.to_string(),
            reason: "lists several nodes, but the embedded form (dqlite:///) names one: use dqlite://HOST:PORT,HOST:PORT/DATABASE (two slashes) for a cluster",
        });
    }
    if let Some(name) = address.strip_prefix('@') {
        if name.is_empty() {
            return Err(UrlError::InvalidHost {
                url: url.to_string(),
                host: address.to_string(),
                reason:
                    "is an abstract socket without a name: expected @NAME, IPv4:PORT or [IPv6]:PORT",
            });
        }
        return Ok(());
    }
    let host = split_port(url, address)?;
    if address.starts_with('[') {
        return Ok(());
    }
    if host.parse::<Ipv4Addr>().is_err() {
        return Err(UrlError::InvalidHost {
            url: url.to_string(),
            host: host.to_string(),
            reason: "is not an IP address: an embedded node must listen on a literal IPv4 address such as 127.0.0.1 or an [IPv6] one such as [::1] (libdqlite 1.11 rejects host names)",
        });
    }
    Ok(())
}

fn check_cluster_address(url: &str, address: &str) -> Result<(), UrlError> {
    if address.contains('@') {
        return Err(UrlError::InvalidHost {
            url: url.to_string(),
            host: address.to_string(),
            reason: "contains \"@\": user credentials and abstract sockets are not supported in the cluster form",
        });
    }
    let host = split_port(url, address)?;
    if address.starts_with('[') {
        return Ok(());
    }
    let ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    if !ok {
        return Err(UrlError::InvalidHost {
            url: url.to_string(),
            host: host.to_string(),
            reason: "is not a host name, IPv4 address or [IPv6] address",
        });
    }
    Ok(())
}

fn check_database(url: &str, database: &str) -> Result<(), UrlError> {
    if database.is_empty() {
        return Err(UrlError::MissingDatabase {
            url: url.to_string(),
        });
    }
    if let Err(reason) = crate::client::check_database_name(database) {
        return Err(UrlError::InvalidDatabase {
            url: url.to_string(),
            database: database.to_string(),
            reason,
        });
    }
    if database == "." || database == ".." {
        return Err(UrlError::InvalidDatabase {
            url: url.to_string(),
            database: database.to_string(),
            reason: "is not a name: expected e.g. app.db",
        });
    }
    Ok(())
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbUrl::Embedded {
                address,
                data_dir,
                database,
                ..
            } => {
                let dir = data_dir.display().to_string();
                let sep = if dir.starts_with('/') { "" } else { "/" };
                write!(f, "{SCHEME}/{address}{sep}{dir}/{database}")?;
            }
            DbUrl::Cluster {
                addresses,
                database,
                ..
            } => write!(f, "{SCHEME}{}/{database}", addresses.join(","))?,
        }
        let pairs = self.tls().pairs();
        for (i, (k, v)) in pairs.iter().enumerate() {
            write!(
                f,
                "{}{k}={}",
                if i == 0 { '?' } else { '&' },
                percent_encode(v)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> DbUrl {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        match s.parse::<DbUrl>() {
            Ok(u) => panic!("{s:?} was accepted as {u:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_err(s: &str, needles: &[&str]) {
        let msg = err(s);
        for n in needles {
            assert!(msg.contains(n), "error for {s:?} lacks {n:?}: {msg}");
        }
    }

    #[test]
    fn embedded_absolute() {
        assert_eq!(
            parse("dqlite:///127.0.0.1:9001/tmp/dqlite/app.db"),
            DbUrl::Embedded {
                address: "127.0.0.1:9001".into(),
                data_dir: "/tmp/dqlite".into(),
                database: "app.db".into(),
                tls: TlsPaths::default(),
            }
        );
    }

    #[test]
    fn embedded_relative_and_resolved() {
        let u = parse("dqlite:///127.0.0.1:9001/./data/app.db");
        let DbUrl::Embedded { data_dir, .. } = &u else {
            panic!()
        };
        assert_eq!(data_dir, Path::new("./data"));
        let r = u.resolve_relative(Path::new("/srv/proj"));
        let DbUrl::Embedded { data_dir, .. } = &r else {
            panic!()
        };
        assert_eq!(data_dir, Path::new("/srv/proj/data"));
        let up = parse("dqlite:///127.0.0.1:9001/../x/app.db").resolve_relative(Path::new("/a/b"));
        let DbUrl::Embedded { data_dir, .. } = &up else {
            panic!()
        };
        assert_eq!(data_dir, Path::new("/a/b/../x"));
        // Absolute dirs stay as they are.
        let abs = parse("dqlite:///127.0.0.1:9001/tmp/d/app.db");
        assert_eq!(abs.resolve_relative(Path::new("/srv")), abs);
    }

    #[test]
    fn embedded_abstract_socket_and_root_dir() {
        let u = parse("dqlite:///@dqmig/var/lib/dq/app.db");
        assert_eq!(u.addresses(), vec!["@dqmig".to_string()]);
        let root = parse("dqlite:///127.0.0.1:9001//app.db");
        let DbUrl::Embedded { data_dir, .. } = &root else {
            panic!()
        };
        assert_eq!(data_dir, Path::new("/"));
    }

    #[test]
    fn cluster() {
        assert_eq!(
            parse("dqlite://127.0.0.1:9001,127.0.0.1:9002/app.db"),
            DbUrl::Cluster {
                addresses: vec!["127.0.0.1:9001".into(), "127.0.0.1:9002".into()],
                database: "app.db".into(),
                tls: TlsPaths::default(),
            }
        );
        let u = parse("dqlite://node-1.example:9001/app");
        assert_eq!(u.database(), "app");
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "dqlite:///127.0.0.1:9001/tmp/dqlite/app.db",
            "dqlite:///127.0.0.1:9001/./data/app.db",
            "dqlite:///127.0.0.1:9001/../data/app.db",
            "dqlite:///127.0.0.1:9001//app.db",
            "dqlite:///@x/d/app.db",
            "dqlite://127.0.0.1:9001/app.db",
            "dqlite://127.0.0.1:9001,10.0.0.2:9002,db.local:1/app.db",
            "dqlite://[::1]:9001,[fe80::2]:9002/app.db",
            "dqlite:///[::1]:9001/tmp/d/app.db",
            "dqlite://127.0.0.1:9001/app.db?tls-ca=/c/ca.pem&tls-cert=/c/a%20b.pem&tls-key=/c/k.pem",
            "dqlite:///127.0.0.1:9001/tmp/d/app.db?tls-ca=/ca.pem&tls-server-name=dqlite",
        ] {
            let u = parse(s);
            assert_eq!(u.to_string(), s);
            assert_eq!(parse(&u.to_string()), u);
        }
        let resolved =
            parse("dqlite:///127.0.0.1:9001/./data/app.db").resolve_relative(Path::new("/srv"));
        assert_eq!(parse(&resolved.to_string()), resolved);
    }

    #[test]
    fn wrong_scheme() {
        assert_err(
            "sqlite:///tmp/app.db",
            &[
                "scheme \"sqlite\"",
                "expected dqlite:///ADDRESS/DATA_DIR/DATABASE",
            ],
        );
        assert_err(
            "127.0.0.1:9001/app.db",
            &["scheme \"\"", "dqlite://HOST:PORT"],
        );
        assert_err("DQLITE://127.0.0.1:9001/app.db", &["scheme \"DQLITE\""]);
        assert_err("dqlite:/127.0.0.1:9001/app.db", &["scheme \"\""]);
    }

    #[test]
    fn missing_database_name() {
        assert_err("dqlite://127.0.0.1:9001", &["no database name"]);
        assert_err("dqlite://127.0.0.1:9001/", &["no database name"]);
    }

    #[test]
    fn trailing_slash() {
        assert_err("dqlite:///127.0.0.1:9001/tmp/dqlite/", &["ends with \"/\""]);
        assert_err("dqlite://127.0.0.1:9001/app.db/", &["ends with \"/\""]);
    }

    #[test]
    fn missing_port() {
        assert_err(
            "dqlite:///127.0.0.1/tmp/app.db",
            &["\"127.0.0.1\" has no port", "HOST:PORT"],
        );
        assert_err("dqlite://db1:9001,db2/app.db", &["\"db2\" has no port"]);
    }

    #[test]
    fn invalid_port() {
        assert_err(
            "dqlite:///127.0.0.1:abc/tmp/app.db",
            &["port \"abc\"", "1..=65535"],
        );
        assert_err("dqlite://127.0.0.1:70000/app.db", &["port \"70000\""]);
        assert_err("dqlite://127.0.0.1:0/app.db", &["port \"0\""]);
        assert_err("dqlite://127.0.0.1:/app.db", &["port \"\""]);
    }

    #[test]
    fn empty_host_list() {
        assert_err("dqlite:///app.db", &["no data dir"]);
        assert_err("dqlite:///", &["no node address"]);
        assert_err("dqlite://", &["lists no hosts"]);
        assert_err("dqlite:///app.db", &["dqlite:///ADDRESS/DATA_DIR/DATABASE"]);
        assert_err(
            "dqlite:///127.0.0.1:1,127.0.0.1:2/d/app.db",
            &["lists several nodes", "two slashes"],
        );
        assert_err("dqlite://,/app.db", &["empty entry"]);
        assert_err("dqlite://127.0.0.1:1,,127.0.0.1:2/app.db", &["empty entry"]);
    }

    #[test]
    fn missing_data_dir() {
        assert_err(
            "dqlite:///127.0.0.1:9001/app.db",
            &["no data dir", "/tmp/dqlite/app.db"],
        );
        assert_err("dqlite:///127.0.0.1:9001", &["no data dir"]);
        assert_err("dqlite:////tmp/dqlite/app.db", &["no node address"]);
    }

    #[test]
    fn hostname_or_ipv6_for_embedded_node() {
        assert_err(
            "dqlite:///localhost:9001/tmp/app.db",
            &["\"localhost\" is not an IP address", "[::1]"],
        );
        assert_eq!(
            parse("dqlite:///[::1]:9001/tmp/app.db").addresses(),
            vec!["[::1]:9001".to_string()]
        );
        assert_eq!(
            parse("dqlite://[::1]:9001,127.0.0.1:9002/app.db").addresses(),
            vec!["[::1]:9001".to_string(), "127.0.0.1:9002".to_string()]
        );
        assert_err(
            "dqlite://::1:9001/app.db",
            &["without brackets", "[::1]:9001"],
        );
        assert_err("dqlite://[::1/app.db", &["no closing"]);
        assert_err("dqlite://[nope]:1/app.db", &["not an IPv6 address"]);
        assert_err("dqlite://[::1]/app.db", &["no port"]);
        assert_err(
            "dqlite:///@/tmp/app.db",
            &["abstract socket without a name"],
        );
    }

    #[test]
    fn unsupported_parts() {
        assert_err(
            "dqlite://127.0.0.1:9001/app.db?timeout=5",
            &["query key \"timeout\"", "tls-ca, tls-cert"],
        );
        assert_err("dqlite://127.0.0.1:9001/app.db?tls-ca", &["KEY=VALUE"]);
        let u = parse("dqlite://127.0.0.1:9001/app.db?tls-ca=ca.pem&tls-cert=/a%26b.pem");
        assert_eq!(u.tls().ca.as_deref(), Some(Path::new("ca.pem")));
        assert_eq!(u.tls().cert.as_deref(), Some(Path::new("/a&b.pem")));
        assert_eq!(
            u.resolve_relative(Path::new("/p")).tls().ca.as_deref(),
            Some(Path::new("/p/ca.pem"))
        );
        assert_err("dqlite:///127.0.0.1:9001/tmp/app.db#x", &["fragment"]);
        assert_err("dqlite://user@127.0.0.1:9001/app.db", &["credentials"]);
        assert_err(
            "dqlite://127.0.0.1:9001/sub/app.db",
            &["contains \"/\"", "three slashes"],
        );
        assert_err("dqlite://bad host:1/app.db", &["not a host name"]);
        assert_err("dqlite:///127.0.0.1:9001/tmp/..", &["\"..\" is not a name"]);
        assert_err("dqlite:///127.0.0.1:9001/tmp/a\0b", &["NUL"]);
        // Names that crash a libdqlite 1.11 node (found by a fresh-user pass).
        for name in [":memory:", "file::memory:", "file:x.db"] {
            assert_err(
                &format!("dqlite://127.0.0.1:9001/{name}"),
                &["is not a file name", "app.db"],
            );
            assert_err(
                &format!("dqlite:///127.0.0.1:9001/tmp/{name}"),
                &["is not a file name"],
            );
        }
    }
}
