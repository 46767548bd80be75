//! Where the TLS files of a connection (and of an embedded node) come from: the `[tls]`
//! table of `dqmig.toml`, the query of a database URL (`?tls-ca=...&tls-cert=...&tls-key=...`)
//! and the command line (`--tls-ca`, `--tls-cert`, `--tls-key`, `--tls-server-name` or
//! their `DQMIG_TLS_*` variables). Each later place overrides the earlier ones key by key
//! ([`TlsPaths::or`]); [`TlsPaths::load`] reads the files into the client's
//! [`TlsConfig`].

use std::path::{Path, PathBuf};

use crate::client::{TlsConfig, TlsError};

/// The TLS settings as file paths. All `None` (the default): plain TCP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsPaths {
    /// The CA certificate(s) (PEM) every node's certificate must be signed by.
    pub ca: Option<PathBuf>,
    /// Our certificate chain (PEM), presented to the nodes.
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of `cert`.
    pub key: Option<PathBuf>,
    /// The name to verify in the nodes' certificates instead of the host dialled.
    pub server_name: Option<String>,
}

/// The URL query keys, in the order they are printed.
pub const URL_KEYS: [&str; 4] = ["tls-ca", "tls-cert", "tls-key", "tls-server-name"];

impl TlsPaths {
    /// Whether no TLS setting is given.
    pub fn is_empty(&self) -> bool {
        self.ca.is_none() && self.cert.is_none() && self.key.is_none() && self.server_name.is_none()
    }

    /// These settings, each missing one taken from `base`.
    pub fn or(&self, base: &TlsPaths) -> TlsPaths {
        TlsPaths {
            ca: self.ca.clone().or_else(|| base.ca.clone()),
            cert: self.cert.clone().or_else(|| base.cert.clone()),
            key: self.key.clone().or_else(|| base.key.clone()),
            server_name: self
                .server_name
                .clone()
                .or_else(|| base.server_name.clone()),
        }
    }

    /// Relative paths joined onto `base`.
    pub fn resolve_relative(&self, base: &Path) -> TlsPaths {
        let join = |p: &Option<PathBuf>| {
            p.as_ref().map(|p| {
                if p.is_relative() {
                    base.join(p)
                } else {
                    p.clone()
                }
            })
        };
        TlsPaths {
            ca: join(&self.ca),
            cert: join(&self.cert),
            key: join(&self.key),
            server_name: self.server_name.clone(),
        }
    }

    /// Sets one setting by its URL/CLI key (`tls-ca`, `tls-cert`, `tls-key`,
    /// `tls-server-name`); `false` for an unknown key.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        match key {
            "tls-ca" => self.ca = Some(PathBuf::from(value)),
            "tls-cert" => self.cert = Some(PathBuf::from(value)),
            "tls-key" => self.key = Some(PathBuf::from(value)),
            "tls-server-name" => self.server_name = Some(value.to_string()),
            _ => return false,
        }
        true
    }

    /// `(key, value)` pairs of the settings given, in [`URL_KEYS`] order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        [
            path(&self.ca),
            path(&self.cert),
            path(&self.key),
            self.server_name.clone(),
        ]
        .into_iter()
        .zip(URL_KEYS)
        .filter_map(|(v, k)| v.map(|v| (k, v)))
        .collect()
    }

    /// Reads the files: `None` when no setting is given.
    ///
    /// # Errors
    /// [`TlsError::HalfIdentity`] for a certificate without key or the reverse,
    /// [`TlsError::Pem`] with "no CA" when a certificate is given without `ca` (there is no
    /// system trust store for dqlite clusters), and the errors of
    /// [`TlsConfig::from_pem_files`] and [`TlsConfig::with_server_name`].
    pub fn load(&self) -> Result<Option<TlsConfig>, TlsError> {
        if self.is_empty() {
            return Ok(None);
        }
        let identity = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => Some((c.as_path(), k.as_path())),
            (None, None) => None,
            _ => return Err(TlsError::HalfIdentity),
        };
        let Some(ca) = &self.ca else {
            return Err(TlsError::Pem {
                what: "CA",
                from: "setting".into(),
                problem: "is missing: TLS needs tls-ca, the cluster's CA certificate, to verify the nodes".into(),
            });
        };
        let config = TlsConfig::from_pem_files(ca, identity)?;
        match &self.server_name {
            Some(name) => config.with_server_name(name.clone()).map(Some),
            None => Ok(Some(config)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_key_by_key_and_resolve() {
        let mut file = TlsPaths::default();
        file.set("tls-ca", "ca.pem");
        file.set("tls-cert", "a.pem");
        let mut cli = TlsPaths::default();
        cli.set("tls-cert", "/b.pem");
        let m = cli.or(&file).resolve_relative(Path::new("/proj"));
        assert_eq!(m.ca.as_deref(), Some(Path::new("/proj/ca.pem")));
        assert_eq!(m.cert.as_deref(), Some(Path::new("/b.pem")));
        assert!(!TlsPaths::default().set("tls-nope", "x"));
    }

    #[test]
    fn half_identity_and_missing_ca_are_errors() {
        let mut p = TlsPaths::default();
        p.set("tls-cert", "/c.pem");
        assert!(p.load().unwrap_err().to_string().contains("tls-key"));
        p.set("tls-key", "/k.pem");
        assert!(p.load().unwrap_err().to_string().contains("tls-ca"));
        assert!(TlsPaths::default().load().unwrap().is_none());
    }
}
