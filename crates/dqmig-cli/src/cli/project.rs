//! The project a migration command works on: `dqmig.toml` (from `-c`, or `./dqmig.toml`
//! when present, or the defaults in the current folder), the revision graph of its
//! versions folder, the runner options, and the database (URL precedence `--url`,
//! `DQMIG_URL`, `dqmig.toml`), the models it names and the live schema as its table filters
//! see it. Shared by every command that reads revisions, models or a database.

use std::path::Path;

use dqmig::client::{LeaderWait, LeaderWaitHook};
use dqmig::config::Config;
use dqmig::models::RenamedFrom;
use dqmig::open::Database;
use dqmig::project::ProjectError;
use dqmig::runner::RunError;
use dqmig::schema::Schema;
use dqmig::script::{Graph, ScriptError};
use dqmig::url::DbUrl;

use super::{CliError, GlobalArgs, Io, URL_ENV};

pub use dqmig::project::Project;

/// Wraps a project-level error.
pub fn project_err(e: ProjectError) -> CliError {
    CliError::Project(Box::new(e))
}

/// The configuration: `-c FILE`, else `./dqmig.toml` if it exists, else the defaults with
/// paths relative to the current folder.
pub fn load_config(global: &GlobalArgs) -> Result<Config, CliError> {
    Config::discover(global.config.as_deref(), Path::new("."))
        .map_err(|e| CliError::Config(Box::new(e)))
}

/// Reads and checks the revision files of `versions`.
pub fn load_graph(versions: &Path) -> Result<Graph, CliError> {
    dqmig::project::load_graph(versions).map_err(project_err)
}

/// The warning (or error) for a version table naming revisions no file defines.
pub fn unknown_revisions_message(unknown: &[String], versions: &Path) -> String {
    ProjectError::UnknownRevisions {
        revisions: unknown.to_vec(),
        dir: versions.to_path_buf(),
    }
    .to_string()
}

/// The CLI's ways to load a project and open its database.
pub trait ProjectExt {
    /// The configuration (`-c`, `./dqmig.toml` or the defaults) and its revision graph.
    fn load_cli(global: &GlobalArgs) -> Result<Project, CliError>;
    /// The database URL (`--url`, then `DQMIG_URL`, then `dqmig.toml`).
    fn url(&self, global: &GlobalArgs) -> Result<DbUrl, CliError>;
    /// Opens the database (starting an embedded node when the URL asks for one).
    fn open(&self, global: &GlobalArgs, io: &mut Io<'_>) -> Result<Database, CliError>;
}

impl ProjectExt for Project {
    fn load_cli(global: &GlobalArgs) -> Result<Project, CliError> {
        Project::load(load_config(global)?).map_err(project_err)
    }

    fn url(&self, global: &GlobalArgs) -> Result<DbUrl, CliError> {
        database_url(&self.config, global)
    }

    fn open(&self, global: &GlobalArgs, io: &mut Io<'_>) -> Result<Database, CliError> {
        open_url(&self.url(global)?, io)
    }
}

/// The database URL of `config` under the command line's `--url` and `DQMIG_URL`. clap
/// fills `--url` from `DQMIG_URL` too; a value equal to the variable's is reported as
/// coming from the variable.
pub fn database_url(config: &Config, global: &GlobalArgs) -> Result<DbUrl, CliError> {
    let env = std::env::var(URL_ENV).ok();
    let cli = global.url.as_deref().filter(|u| Some(*u) != env.as_deref());
    let url = config
        .database_url(cli, env.as_deref())
        .map_err(|e| CliError::Config(Box::new(e)))?;
    Ok(url.with_tls(global.tls().or(url.tls())))
}

/// Opens `url`, saying so with -v (and whether an embedded node was started or a running
/// one is used); a wait for another process on the same data dir is reported on stderr.
pub fn open_url(url: &DbUrl, io: &mut Io<'_>) -> Result<Database, CliError> {
    io.debug(format_args!("opening {url}"));
    let mut opts = dqmig::open::OpenOptions::default();
    opts.connect.leader_timeout = leader_timeout();
    opts.connect.read_timeout = Some(read_timeout());
    opts.connect.write_timeout = Some(read_timeout());
    if io.level >= 1 {
        // The callbacks outlive `io`'s borrow: they write to stderr themselves.
        opts = opts.on_wait(|msg| eprintln!("{msg}"));
        opts.connect.on_leader_wait =
            Some(LeaderWaitHook(std::sync::Arc::new(|w: &LeaderWait| {
                let tried: Vec<String> = w
                    .tried
                    .iter()
                    .map(|(a, why)| format!("{a} ({why})"))
                    .collect();
                eprintln!(
                    "waiting for a dqlite leader: {} s of at most {} s (--timeout); tried {}",
                    w.waited.as_secs(),
                    w.limit.as_secs(),
                    tried.join("; ")
                );
            })));
    }
    let db = dqmig::open::open_with(url, &opts).map_err(|source| CliError::Open {
        url: url.to_string(),
        source: Box::new(source),
    })?;
    if let DbUrl::Embedded {
        address, data_dir, ..
    } = url
    {
        if db.embedded() {
            io.debug(format_args!(
                "started an embedded dqlite node at {address} on {}",
                data_dir.display()
            ));
        } else {
            io.debug(format_args!(
                "using the running dqlite node at {address}, which owns {}",
                data_dir.display()
            ));
        }
    }
    Ok(db)
}

static LEADER_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// The leader search deadline of this run (`--timeout`), set once from the command line.
pub fn set_leader_timeout(d: std::time::Duration) {
    let _ = LEADER_TIMEOUT.set(d);
}

static READ_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// The reply deadline of this run (`--read-timeout`), set once from the command line.
pub fn set_read_timeout(d: std::time::Duration) {
    let _ = READ_TIMEOUT.set(d);
}

/// `--read-timeout`, or the client's default (30 s).
pub fn read_timeout() -> std::time::Duration {
    READ_TIMEOUT
        .get()
        .copied()
        .unwrap_or(dqmig::client::DEFAULT_READ_TIMEOUT)
}

/// `--timeout`, or the client's default.
pub fn leader_timeout() -> std::time::Duration {
    LEADER_TIMEOUT
        .get()
        .copied()
        .unwrap_or_else(|| dqmig::client::ConnectOptions::default().leader_timeout)
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

/// The models `config` names, filtered (see [`dqmig::project::load_models`]).
pub fn load_models(config: &Config) -> Result<(Schema, Vec<RenamedFrom>), CliError> {
    let models = dqmig::project::load_models(config).map_err(project_err)?;
    Ok((models.schema, models.renamed_from))
}

/// The live schema of `db` as the config's filters see it.
pub fn live_schema(config: &Config, db: &mut Database) -> Result<Schema, CliError> {
    dqmig::project::live_schema(config, &mut db.conn).map_err(project_err)
}
