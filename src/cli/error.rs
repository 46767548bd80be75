//! The CLI layer's error: what the command was doing, with the library error as its source.
//! The binary prints `error: <this>: <source>: ...` and exits 2.

use std::path::PathBuf;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(
        "no database URL given{}: pass --url dqlite:///ADDRESS/DATA_DIR/DATABASE (embedded node) or \
         --url dqlite://HOST:PORT/DATABASE (existing cluster), or set DQMIG_URL",
        config.as_ref().map(|p| format!(" (reading {} is not supported yet)", p.display())).unwrap_or_default()
    )]
    NoUrl { config: Option<PathBuf> },

    #[error("reading the database URL")]
    Url {
        url: String,
        #[source]
        source: Box<crate::url::UrlError>,
    },

    #[error("opening the database {url}")]
    Open {
        url: String,
        #[source]
        source: Box<crate::open::OpenError>,
    },

    #[error("running the SQL statement on {url}")]
    Run {
        url: String,
        #[source]
        source: Box<crate::client::Error>,
    },

    #[error("stopping the embedded dqlite node")]
    Close(#[source] crate::node::NodeError),

    #[error("writing the output")]
    Output(#[source] std::io::Error),

    /// Reading `dqmig.toml` or choosing the database URL from it.
    #[error("reading the configuration")]
    Config(#[source] Box<crate::config::ConfigError>),

    /// Revision files, the revision graph, or a target.
    #[error("{action}")]
    Script {
        action: String,
        #[source]
        source: Box<crate::script::ScriptError>,
    },

    /// Running, stamping or reading migrations on the database.
    #[error("{action}")]
    Runner {
        action: String,
        #[source]
        source: Box<crate::runner::RunError>,
    },

    /// A command-line value that is not usable (names the option and what to pass).
    #[error("{0}")]
    Usage(String),
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
        let e = CliError::NoUrl {
            config: Some("dqmig.toml".into()),
        };
        let text = e.report();
        assert!(
            text.starts_with("no database URL given (reading dqmig.toml is not supported yet)"),
            "{text}"
        );
        assert!(text.contains("DQMIG_URL"));
    }
}
