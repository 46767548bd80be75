//! The project a migration command works on: `dqmig.toml` (from `-c`, or `./dqmig.toml`
//! when present, or the defaults in the current folder), the revision graph of its
//! versions folder, the runner options, and the database (URL precedence `--url`,
//! `DQMIG_URL`, `dqmig.toml`), the models it names and the live schema as its table filters
//! see it. Shared by every command that reads revisions, models or a database.

use std::path::{Path, PathBuf};

use dqmig::config::{Config, ModelsSource, CONFIG_FILE};
use dqmig::introspect::{introspect, IntrospectOptions};
use dqmig::models::{self, RenamedFrom};
use dqmig::open::Database;
use dqmig::runner::{RunError, RunOptions, Runner};
use dqmig::schema::{Ident, Schema};
use dqmig::script::{fs::load_dir, Graph, RevId, ScriptError};
use dqmig::url::DbUrl;

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

/// The revisions of `current` (the version table) that no file of the graph defines.
pub fn unknown_revisions(graph: &Graph, current: &[RevId]) -> Vec<String> {
    current.iter().filter(|id| graph.get(id).is_none()).map(|id| id.to_string()).collect()
}

/// What a version table naming unknown revisions means and what to do about it.
pub fn unknown_revisions_message(unknown: &[String], versions: &Path) -> String {
    format!(
        "the database's version table names revision(s) {} that no file in {} defines: it was migrated from other revision files (a deleted or renamed file, another branch, or another project's database); restore the file(s), or check the schema and run `dqmig stamp --purge REV` with REV a revision that exists (`--purge` replaces the version table's rows; `stamp` without it reads them first and refuses them too)",
        unknown.join(", "),
        versions.display()
    )
}

/// Refuses a version table naming revisions no file defines.
pub fn require_known(graph: &Graph, current: &[RevId], versions: &Path) -> Result<(), CliError> {
    let unknown = unknown_revisions(graph, current);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(CliError::Refused(unknown_revisions_message(&unknown, versions)))
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

/// Opens `url`, saying so with -v (and whether an embedded node was started or a running
/// one is used); a wait for another process on the same data dir is reported on stderr.
pub fn open_url(url: &DbUrl, io: &mut Io<'_>) -> Result<Database, CliError> {
    io.debug(format_args!("opening {url}"));
    let mut opts = dqmig::open::OpenOptions::default();
    if io.level >= 1 {
        // The callback outlives `io`'s borrow: it writes to stderr itself.
        opts = opts.on_wait(|msg| eprintln!("{msg}"));
    }
    let db = dqmig::open::open_with(url, &opts).map_err(|source| CliError::Open {
        url: url.to_string(),
        source: Box::new(source),
    })?;
    if let DbUrl::Embedded { address, data_dir, .. } = url {
        if db.embedded() {
            io.debug(format_args!("started an embedded dqlite node at {address} on {}", data_dir.display()));
        } else {
            io.debug(format_args!("using the running dqlite node at {address}, which owns {}", data_dir.display()));
        }
    }
    Ok(db)
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

/// The models `config` names (models.toml with its `renamed_from` hints, schema.sql, or
/// the models command), with only the tables the config's filters include.
pub fn load_models(config: &Config) -> Result<(Schema, Vec<RenamedFrom>), CliError> {
    let err = |e| CliError::Models(Box::new(e));
    let (schema, renames) = match &config.models {
        Some(ModelsSource::Toml(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| {
                err(models::LoadError::Read {
                    file: path.display().to_string(),
                    source,
                })
            })?;
            models::load_toml_with_renames(&path.display().to_string(), &text).map_err(err)?
        }
        Some(ModelsSource::Sql(path)) => (models::load_file(path).map_err(err)?, Vec::new()),
        Some(ModelsSource::Command(cmd)) => (
            models::load_command(cmd, &config.dir).map_err(err)?,
            Vec::new(),
        ),
        None => {
            let file = config
                .file
                .as_ref()
                .map_or_else(|| CONFIG_FILE.to_string(), |f| f.display().to_string());
            return Err(CliError::Refused(format!(
                "no models configured: put `models = \"models.toml\"` (or `schema = \"schema.sql\"`, or `models_command = \"...\"`) in {file}"
            )));
        }
    };
    Ok((filtered(config, schema), renames))
}

/// The live schema of `db`, without dqmig's own tables (as the config names them) and the
/// tables the config's filters leave out.
pub fn live_schema(config: &Config, db: &mut Database, url: &str) -> Result<Schema, CliError> {
    let mut opts = IntrospectOptions::default();
    for t in [&config.version_table, &config.history_table] {
        opts.exclude_tables.push(Ident::new(t.as_str()));
    }
    let schema = introspect(&mut db.conn, &opts).map_err(|source| CliError::Introspect {
        url: url.to_string(),
        source: Box::new(source),
    })?;
    Ok(filtered(config, schema))
}

/// `schema` with only the tables `config` includes (and the triggers on them).
fn filtered(config: &Config, mut schema: Schema) -> Schema {
    schema
        .tables
        .retain(|name, _| config.table_included(name.as_str()));
    let tables = &schema.tables;
    schema.triggers.retain(|_, t| tables.contains_key(&t.table));
    schema
}
