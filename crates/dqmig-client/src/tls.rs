//! Mutual TLS for dqlite connections (feature `tls`), the way go-dqlite's `app` package,
//! LXD and MicroK8s run their clusters: every node and client holds a certificate signed by
//! the cluster's CA, and each side verifies the other against that CA.
//!
//! [`TlsConfig`] is read from PEM files (or PEM bytes): the CA certificate(s) to trust, and
//! optionally our own certificate chain and private key (a client without them can reach
//! only a node that does not ask for one, which no dqlite TLS node does). The node's
//! certificate is verified against the CA and against the host of the address dialled
//! (an IP address SAN for `127.0.0.1:9001` or `[::1]:9001`, a DNS SAN for a host name),
//! unless [`TlsConfig::with_server_name`] names what to check instead. Only TCP addresses
//! use TLS: `@abstract` and `/path` sockets are local to the machine and stay plain.
//!
//! The same config serves an embedded node (`dqmig-node`): [`TlsConfig::server_config`]
//! makes the listener's config, which requires a client certificate signed by the CA.
//! Refusals are told apart by [`classify`] into a [`TlsRefusal`] whose message says what to do.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use rustls;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::error::{Error, TlsRefusal};

/// Why TLS settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("reading the TLS {what} file {}: {source}", path.display())]
    Read {
        /// "CA", "certificate" or "key".
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A PEM file holds nothing usable of what it should.
    #[error("the TLS {what} {from} {problem}")]
    Pem {
        /// "CA", "certificate" or "key".
        what: &'static str,
        /// `file PATH` or `PEM text`.
        from: String,
        problem: String,
    },
    /// A certificate was given without a key, or the reverse.
    #[error("a TLS client certificate needs its key and the reverse: give both tls-cert and tls-key, or neither")]
    HalfIdentity,
    /// rustls refused the combination (a key that does not match the certificate, an
    /// unsupported key type, a CA that is not a valid trust anchor, ...).
    #[error("the TLS settings are unusable: {detail}")]
    Config { detail: String },
    /// [`TlsConfig::with_server_name`] got something that is neither a DNS name nor an IP.
    #[error("TLS server name {name:?} is neither a DNS name nor an IP address")]
    ServerName { name: String },
    /// A node's listener needs its own certificate and key.
    #[error("a TLS node needs its own certificate and key (tls-cert, tls-key) besides the CA")]
    NoIdentity,
}

/// Where one PEM input comes from, for messages.
fn source_name(path: Option<&Path>) -> String {
    match path {
        Some(p) => format!("file {}", p.display()),
        None => "PEM text".to_string(),
    }
}

/// Mutual-TLS settings of a connection or a node: the CA to trust, our certificate chain
/// and key (optional for a client), and an optional server name to verify instead of the
/// dialled host. Cheap to clone (shared, immutable).
#[derive(Clone)]
pub struct TlsConfig {
    ca: Arc<Vec<CertificateDer<'static>>>,
    identity: Option<Arc<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>>,
    server_name: Option<String>,
    client: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_certificates", &self.ca.len())
            .field("identity_chain", &self.identity.as_ref().map(|i| i.0.len()))
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        let same_identity = match (&self.identity, &other.identity) {
            (None, None) => true,
            (Some(a), Some(b)) => a.0 == b.0 && a.1.secret_der() == b.1.secret_der(),
            _ => false,
        };
        self.ca == other.ca && same_identity && self.server_name == other.server_name
    }
}

impl Eq for TlsConfig {}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_err(e: impl std::fmt::Display) -> TlsError {
    TlsError::Config {
        detail: e.to_string(),
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn certs(
    what: &'static str,
    pem: &[u8],
    path: Option<&Path>,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_err = |problem: String| TlsError::Pem {
        what,
        from: source_name(path),
        problem,
    };
    let list = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(format!("is not valid PEM: {e}")))?;
    if list.is_empty() {
        return Err(pem_err(
            "holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(list)
}

fn key(pem: &[u8], path: Option<&Path>) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsError::Pem {
        what: "key",
        from: source_name(path),
        problem: format!("holds no usable private key (expected PKCS#8, PKCS#1 or SEC1 PEM): {e}"),
    })
}

impl TlsConfig {
    /// Reads the CA certificate(s) from `ca` and, when given, our certificate chain and
    /// private key from `identity` (`(cert, key)` PEM files; the chain may end with the CA).
    ///
    /// # Errors
    /// [`TlsError::Read`] for an unreadable file, [`TlsError::Pem`] for one without a
    /// certificate or key, [`TlsError::Config`] for a key that does not match its
    /// certificate or a CA rustls cannot use.
    pub fn from_pem_files(
        ca: &Path,
        identity: Option<(&Path, &Path)>,
    ) -> Result<TlsConfig, TlsError> {
        let ca_pem = read("CA", ca)?;
        let ca_certs = certs("CA", &ca_pem, Some(ca))?;
        let identity = match identity {
            Some((cert, key_path)) => {
                let cert_pem = read("certificate", cert)?;
                let key_pem = read("key", key_path)?;
                Some((
                    certs("certificate", &cert_pem, Some(cert))?,
                    key(&key_pem, Some(key_path))?,
                ))
            }
            None => None,
        };
        TlsConfig::build(ca_certs, identity, None)
    }

    /// Like [`TlsConfig::from_pem_files`] from PEM text already in memory.
    ///
    /// # Errors
    /// As [`TlsConfig::from_pem_files`], without the file errors.
    pub fn from_pem(ca: &[u8], identity: Option<(&[u8], &[u8])>) -> Result<TlsConfig, TlsError> {
        let ca_certs = certs("CA", ca, None)?;
        let identity = match identity {
            Some((cert, key_pem)) => Some((certs("certificate", cert, None)?, key(key_pem, None)?)),
            None => None,
        };
        TlsConfig::build(ca_certs, identity, None)
    }

    fn build(
        ca: Vec<CertificateDer<'static>>,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        server_name: Option<String>,
    ) -> Result<TlsConfig, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in &ca {
            roots.add(c.clone()).map_err(config_err)?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(config_err)?
            .with_root_certificates(roots);
        let client = match &identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(config_err)?,
            None => builder.with_no_client_auth(),
        };
        Ok(TlsConfig {
            ca: Arc::new(ca),
            identity: identity.map(Arc::new),
            server_name,
            client: Arc::new(client),
        })
    }

    /// Verifies every node's certificate against `name` (a DNS name or an IP address)
    /// instead of the host of the address dialled: for clusters whose nodes share one
    /// certificate issued for a name (go-dqlite's `app` package uses the certificate's
    /// first DNS name).
    ///
    /// # Errors
    /// [`TlsError::ServerName`] when `name` is neither a DNS name nor an IP address.
    pub fn with_server_name(mut self, name: impl Into<String>) -> Result<TlsConfig, TlsError> {
        let name = name.into();
        if ServerName::try_from(name.clone()).is_err() {
            return Err(TlsError::ServerName { name });
        }
        self.server_name = Some(name);
        Ok(self)
    }

    /// Whether this config holds our own certificate and key.
    pub fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// The rustls client config (our certificate presented when the server asks).
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        Arc::clone(&self.client)
    }

    /// The rustls server config of a node's listener: our certificate and key, and a
    /// client certificate signed by the CA required from every peer and client.
    ///
    /// # Errors
    /// [`TlsError::NoIdentity`] without a certificate and key; [`TlsError::Config`] when
    /// rustls refuses them.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let Some(identity) = &self.identity else {
            return Err(TlsError::NoIdentity);
        };
        let mut roots = rustls::RootCertStore::empty();
        for c in self.ca.iter() {
            roots.add(c.clone()).map_err(config_err)?;
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .map_err(config_err)?;
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(config_err)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(identity.0.clone(), identity.1.clone_key())
            .map_err(config_err)?;
        Ok(Arc::new(config))
    }

    /// The name a node at `address` (`HOST:PORT`, `[IPv6]:PORT`) must hold in its
    /// certificate: [`TlsConfig::with_server_name`]'s, or the host.
    fn server_name_for(&self, address: &str) -> Result<ServerName<'static>, Error> {
        let host = match &self.server_name {
            Some(n) => n.as_str(),
            None => host_of(address),
        };
        ServerName::try_from(host.to_string()).map_err(|e| Error::BadAddress {
            address: address.to_string(),
            reason: format!("{host:?} cannot be checked against a TLS certificate: {e}"),
        })
    }

    /// Runs the client side of the TLS handshake on a connected `tcp` socket (its current
    /// timeouts bound the wait) and returns the connection, ready to carry data.
    ///
    /// # Errors
    /// [`Error::Tls`] for a refusal on either side (its [`TlsRefusal`] says which),
    /// [`Error::Io`] for a socket error or timeout, [`Error::BadAddress`] for a host that
    /// cannot be a certificate name.
    pub fn client_handshake(
        &self,
        address: &str,
        tcp: &mut TcpStream,
    ) -> Result<rustls::ClientConnection, Error> {
        let name = self.server_name_for(address)?;
        let mut conn =
            rustls::ClientConnection::new(self.client_config(), name).map_err(|e| Error::Tls {
                address: address.to_string(),
                refusal: TlsRefusal::Other,
                detail: e.to_string(),
            })?;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(tcp) {
                return Err(io_error(address, "during the TLS handshake with", e, true));
            }
        }
        Ok(conn)
    }
}

/// The host part of `HOST:PORT` or `[IPv6]:PORT` (the whole text when there is no port).
pub fn host_of(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        Some((host, _)) => host,
        None => address,
    }
}

/// Which refusal a rustls error stands for, seen from either side: an alert received
/// from the other side, or our own verification of the other side's certificate.
pub fn classify(err: &rustls::Error) -> TlsRefusal {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match err {
        E::AlertReceived(A::CertificateRequired) => TlsRefusal::ClientCertRequired,
        // What a 1.2 server (or an older rustls) sends for a missing certificate too;
        // rustls answers an untrusted one with UnknownCA or BadCertificate.
        E::AlertReceived(A::UnknownCA | A::BadCertificate | A::DecryptError | A::AccessDenied) => {
            TlsRefusal::ClientCertRejected
        }
        E::NoCertificatesPresented => TlsRefusal::ClientCertRequired,
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            TlsRefusal::ServerCertUntrusted
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            TlsRefusal::ServerNameMismatch
        }
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => TlsRefusal::NotTls,
        _ => TlsRefusal::Other,
    }
}

/// Turns an I/O error of a TLS stream into [`Error::Tls`] when rustls is behind it (or when
/// the peer hung up in the middle of the handshake: a plain-TCP node does that on our
/// hello), else [`Error::Io`].
pub(crate) fn io_error(address: &str, action: &str, e: std::io::Error, handshaking: bool) -> Error {
    let rustls_err = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    if let Some(r) = rustls_err {
        return Error::Tls {
            address: address.to_string(),
            refusal: classify(&r),
            detail: r.to_string(),
        };
    }
    if handshaking
        && matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
        )
    {
        return Error::Tls {
            address: address.to_string(),
            refusal: TlsRefusal::NotTls,
            detail: format!("the connection was closed in the middle of the TLS handshake: {e}"),
        };
    }
    Error::Io {
        action: action.to_string(),
        address: address.to_string(),
        source: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("127.0.0.1:9001"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9001"), "::1");
        assert_eq!(host_of("db.example:9001"), "db.example");
        assert_eq!(host_of("node"), "node");
    }

    #[test]
    fn bad_pem_names_the_input() {
        let e = TlsConfig::from_pem(b"not pem", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("CA") && e.contains("no certificate"), "{e}");
        let e = TlsConfig::from_pem_files(Path::new("/nonexistent/ca.pem"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn refusals() {
        use rustls::{AlertDescription as A, CertificateError as C, Error as E};
        assert_eq!(
            classify(&E::AlertReceived(A::CertificateRequired)),
            TlsRefusal::ClientCertRequired
        );
        assert_eq!(
            classify(&E::AlertReceived(A::UnknownCA)),
            TlsRefusal::ClientCertRejected
        );
        assert_eq!(
            classify(&E::InvalidCertificate(C::UnknownIssuer)),
            TlsRefusal::ServerCertUntrusted
        );
    }
}
