//! The project a migration command works on: `dqmig.toml` (from `-c`, or `./dqmig.toml`
//! when present, or the defaults in the current folder), the revision graph of its
//! versions folder, the runner options, and the database (URL precedence `--url`,
//! `DQMIG_URL`, `dqmig.toml`). Shared by every command that reads revisions or a database.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::open::Database;
use crate::runner::{RunError, RunOptions, Runner};
use crate::script::{fs::load_dir, Graph, ScriptError};
use crate::url::DbUrl;

use super::{CliError, GlobalArgs, Io, URL_ENV};

/// A loaded configuration and revision graph.
pub struct Project {
    pub config: Config,
    pub graph: Graph,
}

/// The configuration: `-c FILE`, else `./dqmig.toml` if it exists, else the defaults with
/// paths relative to the current folder.
pub fn load_config(global: &GlobalArgs) -> Result<Config, CliError> {
    Config::discover(global.config.as_deref(), Path::new("."))
        .map_err(|e| CliError::Config(Box::new(e)))
}

/// Reads and checks the revision files of `versions`.
pub fn load_graph(versions: &Path) -> Result<Graph, CliError> {
    let action = format!("reading the revision files in {}", versions.display());
    let script = |source: ScriptError| CliError::Script {
        action: action.clone(),
        source: Box::new(source),
    };
    if !versions.is_dir() {
        return Err(CliError::Usage(format!(
            "the versions folder {} does not exist; run `dqmig init` to create a project, or pass -c/--config with the project's dqmig.toml",
            versions.display()
        )));
    }
    let revisions = load_dir(versions).map_err(script)?;
    Graph::from_revisions(revisions).map_err(script)
}

impl Project {
    /// Loads the configuration and the revision graph.
    pub fn load(global: &GlobalArgs) -> Result<Project, CliError> {
        let config = load_config(global)?;
        let graph = load_graph(&config.versions_dir())?;
        Ok(Project { config, graph })
    }

    /// The versions folder.
    pub fn versions_dir(&self) -> PathBuf {
        self.config.versions_dir()
    }

    /// Table names and transaction mode from the configuration.
    pub fn run_options(&self) -> RunOptions {
        RunOptions::from_config(&self.config)
    }

    /// A runner over this project's graph with `options`.
    pub fn runner(&self, options: RunOptions) -> Runner<'_> {
        Runner::new(&self.graph, options)
    }

    /// The database URL (`--url`, then `DQMIG_URL`, then `dqmig.toml`).
    pub fn url(&self, global: &GlobalArgs) -> Result<DbUrl, CliError> {
        database_url(&self.config, global)
    }

    /// Opens the database (starting an embedded node when the URL asks for one).
    pub fn open(&self, global: &GlobalArgs, io: &mut Io<'_>) -> Result<Database, CliError> {
        open_url(&self.url(global)?, io)
    }
}

/// The database URL of `config` under the command line's `--url` and `DQMIG_URL`. clap
/// fills `--url` from `DQMIG_URL` too; a value equal to the variable's is reported as
/// coming from the variable.
pub fn database_url(config: &Config, global: &GlobalArgs) -> Result<DbUrl, CliError> {
    let env = std::env::var(URL_ENV).ok();
    let cli = global.url.as_deref().filter(|u| Some(*u) != env.as_deref());
    config
        .database_url(cli, env.as_deref())
        .map_err(|e| CliError::Config(Box::new(e)))
}

/// Opens `url`, saying so with -v.
pub fn open_url(url: &DbUrl, io: &mut Io<'_>) -> Result<Database, CliError> {
    io.debug(format_args!("opening {url}"));
    crate::open::open(url).map_err(|source| CliError::Open {
        url: url.to_string(),
        source: Box::new(source),
    })
}

/// Closes the database (stopping an embedded node).
pub fn close(db: Database) -> Result<(), CliError> {
    db.close().map_err(CliError::Close)
}

/// Wraps a runner error with what the command was doing.
pub fn run_err(action: impl Into<String>) -> impl FnOnce(RunError) -> CliError {
    let action = action.into();
    move |source| CliError::Runner {
        action,
        source: Box::new(source),
    }
}

/// Wraps a script error (bad target, unknown revision) with what the command was doing.
pub fn script_err(action: impl Into<String>) -> impl FnOnce(ScriptError) -> CliError {
    let action = action.into();
    move |source| CliError::Script {
        action,
        source: Box::new(source),
    }
}
