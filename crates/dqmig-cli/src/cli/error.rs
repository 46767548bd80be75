//! The CLI layer's error: what the command was doing, with the library error as its source.
//! The binary prints `error: <this>: <source>: ...` and exits 2.

use std::path::PathBuf;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("reading the database URL")]
    Url {
        url: String,
        #[source]
        source: Box<dqmig::url::UrlError>,
    },

    #[error("opening the database {url}")]
    Open {
        url: String,
        #[source]
        source: Box<dqmig::open::OpenError>,
    },

    #[error("running the SQL statement on {url}{}", statement_hint(source))]
    Run {
        url: String,
        #[source]
        source: Box<dqmig::client::Error>,
    },

    /// The TLS files of `--tls-*`, the URL's query or `dqmig.toml`'s `[tls]`.
    #[error("loading the TLS settings")]
    Tls(#[source] Box<dqmig::client::TlsError>),

    /// Writing certificates (`dqmig node gen-cert`).
    #[error("{action}: {detail}")]
    Cert { action: String, detail: String },

    #[error("stopping the embedded dqlite node")]
    Close(#[source] dqmig::node::NodeError),

    #[error("writing the output")]
    Output(#[source] std::io::Error),

    /// Reading `dqmig.toml` or choosing the database URL from it.
    #[error("reading the configuration")]
    Config(#[source] Box<dqmig::config::ConfigError>),

    /// Revision files, the revision graph, or a target.
    #[error("{action}")]
    Script {
        action: String,
        #[source]
        source: Box<dqmig::script::ScriptError>,
    },

    /// Running, stamping or reading migrations on the database.
    #[error("{action}")]
    Runner {
        action: String,
        #[source]
        source: Box<dqmig::runner::RunError>,
    },

    /// Models, revision files, the live schema or where the database stands.
    #[error(transparent)]
    Project(Box<dqmig::project::ProjectError>),

    /// A command-line value that is not usable (names the option and what to pass).
    #[error("{0}")]
    Usage(String),

    /// The project or the database is not in a state the command can work on; the message
    /// says why and what to do.
    #[error("{0}")]
    Refused(String),

    /// Diffing or rendering a revision.
    #[error("autogenerating the revision")]
    Autogen(#[source] Box<dqmig::autogen::AutogenError>),

    /// A file or folder could not be read or written.
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A terminal prompt failed (e.g. the terminal went away).
    #[error("asking on the terminal: {question}")]
    Prompt {
        question: String,
        #[source]
        source: Box<dialoguer::Error>,
    },

    #[error("installing the SIGINT/SIGTERM handlers")]
    Signals(#[source] std::io::Error),

    #[error("running the dqlite node")]
    Node(#[source] dqmig::node::NodeError),

    #[error("node {id} has no raft state in {} and is not id 1 (which bootstraps a new cluster): pass --join IP:PORT[,IP:PORT...] with members of the cluster to join", data_dir.display())]
    JoinNeeded { id: u64, data_dir: PathBuf },

    #[error("node {id} joining the cluster through {seeds}: gave up after {attempts} attempt(s) within {waited} s; check that those members run and one of them leads (raise --join-timeout to wait longer)")]
    Join {
        id: u64,
        seeds: String,
        attempts: u32,
        waited: u64,
        #[source]
        source: Box<dqmig::client::Error>,
    },

    #[error("node {id}: stopped by a signal while joining the cluster")]
    JoinInterrupted { id: u64 },

    #[error("bootstrapping node {id} at {address}: it did not become leader of its new cluster ({last})")]
    NoSelfLeader {
        id: u64,
        address: String,
        last: String,
    },

    #[error("{action} through {seeds}")]
    Cluster {
        action: String,
        seeds: String,
        #[source]
        source: Box<dqmig::client::Error>,
    },
}

impl CliError {
    /// The whole message: this error, then each cause that adds something. Lower layers
    /// often repeat their source in their own message; a cause already contained in the
    /// text so far is not printed twice.
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            let part = e.to_string();
            if !text.contains(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            cause = e.source();
        }
        text
    }

    /// True when the error is only a closed stdout (e.g. `dqmig sql ... | head`), which is
    /// not worth reporting.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// After `dqmig sql` failed: a statement the server refused (a mistake in it, a constraint)
/// ran in a transaction of its own and changed nothing, so it can be fixed and run again.
fn statement_hint(e: &dqmig::client::Error) -> &'static str {
    use dqmig::client::ErrorClass;
    match (e, e.class()) {
        (dqmig::client::Error::Server { .. }, ErrorClass::Programming | ErrorClass::Integrity) => {
            " (the statement failed and changed nothing; fix it and run it again)"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_adds_causes_once() {
        let inner = std::io::Error::other("disk on fire");
        assert_eq!(
            CliError::Output(inner).report(),
            "writing the output: disk on fire"
        );
        let e = CliError::Config(Box::new(dqmig::config::ConfigError::NoUrl));
        let text = e.report();
        assert!(
            text.starts_with("reading the configuration: no database URL given"),
            "{text}"
        );
        assert!(text.contains("DQMIG_URL"));
    }
}
