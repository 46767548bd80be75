//! A dqmig project as the library sees it: `dqmig.toml` (a [`Config`]), the revision graph of
//! its versions folder, the models it names (with its table filters), the live schema as
//! those filters see it, where a database stands against the revision files, and the two
//! comparisons the CLI makes, autogenerate and check, as functions. The `dqmig` command
//! parses arguments and prints around these; an app calls them to check in its own CI that
//! its models match its database, or to write a revision.
//!
//! ```no_run
//! use dqmig::project::{Position, Project};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let project = Project::load(dqmig::config::Config::discover(None, ".".as_ref())?)?;
//! let mut conn = dqmig::client::Connection::open("127.0.0.1:9001", "app.db")?;
//! let report = project.check(&mut conn)?;
//! if report.position != Position::AtHead || !report.ops.is_empty() {
//!     eprintln!("models and database differ: {} operation(s)", report.ops.len());
//! }
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use crate::autogen::{diff, render, AutogenError, Op, RenameHints, Rendered};
use crate::client::Connection;
use crate::config::{Config, ModelsSource, CONFIG_FILE};
use crate::introspect::{introspect, IntrospectError, IntrospectOptions};
use crate::models::{self, LoadError, RenamedFrom};
use crate::runner::{RunError, RunOptions, Runner};
use crate::schema::{Ident, Schema};
use crate::script::{fs::load_dir, Graph, RevId, ScriptError, Target};

/// Why a project-level operation failed; each message says what was being done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectError {
    /// The versions folder is missing.
    #[error("the versions folder {} does not exist; run `dqmig init` to create a project, or pass -c/--config with the project's dqmig.toml", dir.display())]
    NoVersions { dir: PathBuf },

    /// A revision file or the graph is wrong.
    #[error("reading the revision files in {}", dir.display())]
    Script {
        dir: PathBuf,
        #[source]
        source: Box<ScriptError>,
    },

    /// dqmig.toml names no models.
    #[error("no models configured: put `models = \"models.toml\"` (or `schema = \"schema.sql\"`, or `models_command = \"...\"`) in {file}")]
    NoModels { file: String },

    /// The models file (models.toml by default) does not exist.
    #[error("the models file {} does not exist: create it (`dqmig init` writes an example), or point `models`, `schema` or `models_command` in {file} at your models", path.display())]
    NoModelsFile { path: PathBuf, file: String },

    /// A model table has the name of dqmig's version or history table.
    #[error("the models define a table named `{table}`, the name of dqmig's own {what} table; rename the table in the models, or pick another `version_table` in {file} (the history table is named after it)")]
    ReservedTable {
        table: String,
        what: &'static str,
        file: String,
    },

    /// Loading the models failed.
    #[error("loading the models")]
    Models(#[source] Box<LoadError>),

    /// Reading the live schema failed.
    #[error("reading the schema of the database")]
    Introspect(#[source] Box<IntrospectError>),

    /// Reading the version table failed.
    #[error("{action}")]
    Runner {
        action: String,
        #[source]
        source: Box<RunError>,
    },

    /// The version table names revisions no file defines.
    #[error("the database's version table names revision(s) {} that no file in {} defines: it was migrated from other revision files (a deleted or renamed file, another branch, or another project's database); restore the file(s), or check the schema and run `dqmig stamp --purge REV` with REV a revision that exists (`--purge` replaces the version table's rows; `stamp` without it reads them first and refuses them too)", revisions.join(", "), dir.display())]
    UnknownRevisions {
        revisions: Vec<String>,
        dir: PathBuf,
    },

    /// Autogenerate needs a database at head.
    #[error("the database is not at head (it is at {}, the revisions end at {}){}: run `dqmig upgrade heads` first, so autogenerate compares the models with an up-to-date schema", shown(current), shown(heads), pending_note(pending))]
    NotAtHead {
        current: Vec<RevId>,
        heads: Vec<RevId>,
        /// Pending revisions as `ID (message)`.
        pending: Vec<String>,
    },

    /// Diffing or rendering failed.
    #[error("autogenerating the revision")]
    Autogen(#[source] Box<AutogenError>),
}

fn shown(ids: &[RevId]) -> String {
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn pending_note(pending: &[String]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!("; pending: {}", pending.join(", "))
    }
}

/// The models of a project: the target schema and the `renamed_from` hints of models.toml.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Models {
    pub schema: Schema,
    pub renamed_from: Vec<RenamedFrom>,
}

/// Where a database stands against the revision files.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Position {
    /// At every head (or the project has no versions folder).
    AtHead,
    /// Revisions are pending.
    Behind {
        current: Vec<RevId>,
        heads: Vec<RevId>,
        /// The pending revisions in the order `upgrade heads` would apply them, each as
        /// `ID (message)`.
        pending: Vec<String>,
    },
}

/// What [`Project::check`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    pub position: Position,
    /// The live schema (empty when the database is not at head: it is not compared then).
    pub current: Schema,
    pub target: Schema,
    /// What autogenerate would write (empty when the database is not at head).
    pub ops: Vec<Op>,
}

/// A loaded configuration and revision graph.
pub struct Project {
    pub config: Config,
    pub graph: Graph,
}

/// Reads and checks the revision files of `versions`.
///
/// # Errors
/// [`ProjectError::NoVersions`] when the folder is missing; [`ProjectError::Script`] naming
/// the file and line of a bad revision file or a broken graph.
pub fn load_graph(versions: &Path) -> Result<Graph, ProjectError> {
    if !versions.is_dir() {
        return Err(ProjectError::NoVersions {
            dir: versions.to_path_buf(),
        });
    }
    let script = |source| ProjectError::Script {
        dir: versions.to_path_buf(),
        source: Box::new(source),
    };
    let revisions = load_dir(versions).map_err(script)?;
    Graph::from_revisions(revisions).map_err(script)
}

/// The models `config` names (models.toml with its `renamed_from` hints, schema.sql, or the
/// models command), with only the tables the config's filters include.
///
/// # Errors
/// [`ProjectError::NoModels`] when none is configured; [`ProjectError::Models`] naming the
/// file, line and problem; [`ProjectError::ReservedTable`] when a model table has the name
/// of dqmig's version or history table.
pub fn load_models(config: &Config) -> Result<Models, ProjectError> {
    let err = |e| ProjectError::Models(Box::new(e));
    let (schema, renamed_from) = match &config.models {
        Some(ModelsSource::Toml(path)) if !path.exists() => {
            let file = config
                .file
                .as_ref()
                .map_or_else(|| CONFIG_FILE.to_string(), |f| f.display().to_string());
            return Err(ProjectError::NoModelsFile {
                path: path.clone(),
                file,
            });
        }
        Some(ModelsSource::Toml(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| {
                err(LoadError::Read {
                    file: path.display().to_string(),
                    source,
                })
            })?;
            models::load_toml_with_renames(&path.display().to_string(), &text).map_err(err)?
        }
        Some(ModelsSource::Sql(path)) => (models::load_file(path).map_err(err)?, Vec::new()),
        Some(ModelsSource::Command(cmd)) => (
            models::load_command_within(cmd, &config.dir, config.models_command_timeout)
                .map_err(err)?,
            Vec::new(),
        ),
        None => {
            let file = config
                .file
                .as_ref()
                .map_or_else(|| CONFIG_FILE.to_string(), |f| f.display().to_string());
            return Err(ProjectError::NoModels { file });
        }
    };
    for (name, what) in [
        (&config.version_table, "version"),
        (&config.history_table, "history"),
    ] {
        if let Some(table) = schema
            .tables
            .keys()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
        {
            return Err(ProjectError::ReservedTable {
                table: table.as_str().to_string(),
                what,
                file: config
                    .file
                    .as_ref()
                    .map_or_else(|| CONFIG_FILE.to_string(), |f| f.display().to_string()),
            });
        }
    }
    Ok(Models {
        schema: filtered(config, schema),
        renamed_from,
    })
}

/// The live schema through `conn`, without dqmig's own tables (as `config` names them) and
/// the tables the config's filters leave out.
///
/// # Errors
/// [`ProjectError::Introspect`] when the schema cannot be read or modelled.
pub fn live_schema(config: &Config, conn: &mut Connection) -> Result<Schema, ProjectError> {
    let mut opts = IntrospectOptions::default();
    for t in [&config.version_table, &config.history_table] {
        opts.exclude_tables.push(Ident::new(t.as_str()));
    }
    let schema = introspect(conn, &opts).map_err(|e| ProjectError::Introspect(Box::new(e)))?;
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

/// The revisions of `current` (a version table's rows) that no file of `graph` defines.
pub fn unknown_revisions(graph: &Graph, current: &[RevId]) -> Vec<String> {
    current
        .iter()
        .filter(|id| graph.get(id).is_none())
        .map(|id| id.to_string())
        .collect()
}

/// The ops that turn `current` into `target` with `hints`, rendered as up and down SQL;
/// `None` when there is nothing to do. Pure: no database, no files.
///
/// # Errors
/// [`ProjectError::Autogen`] when an op cannot be rendered.
pub fn autogenerate(
    current: &Schema,
    target: &Schema,
    hints: &RenameHints,
) -> Result<Option<(Vec<Op>, Rendered)>, ProjectError> {
    let ops = diff(current, target, hints);
    if ops.is_empty() {
        return Ok(None);
    }
    let rendered = render(&ops, current).map_err(|e| ProjectError::Autogen(Box::new(e)))?;
    Ok(Some((ops, rendered)))
}

impl Project {
    /// The project of `config`: its revision graph read and checked.
    ///
    /// # Errors
    /// As [`load_graph`].
    pub fn load(config: Config) -> Result<Project, ProjectError> {
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

    /// Where the database behind `conn` stands against the revision files.
    ///
    /// # Errors
    /// [`ProjectError::UnknownRevisions`] when its version table names a revision no file
    /// defines; [`ProjectError::Runner`] when the version table cannot be read.
    pub fn position(&self, conn: &mut Connection) -> Result<Position, ProjectError> {
        position(&self.graph, &self.config, conn)
    }

    /// Refuses unless the database is at every head ([`ProjectError::NotAtHead`] lists what
    /// is pending).
    ///
    /// # Errors
    /// As [`Project::position`], and [`ProjectError::NotAtHead`].
    pub fn require_head(&self, conn: &mut Connection) -> Result<(), ProjectError> {
        match self.position(conn)? {
            Position::AtHead => Ok(()),
            Position::Behind {
                current,
                heads,
                pending,
            } => Err(ProjectError::NotAtHead {
                current,
                heads,
                pending,
            }),
        }
    }

    /// [`check`] of this project.
    ///
    /// # Errors
    /// As [`check`].
    pub fn check(&self, conn: &mut Connection) -> Result<CheckReport, ProjectError> {
        compare(
            &self.config,
            Some(&self.graph),
            load_models(&self.config)?,
            conn,
        )
    }
}

/// Where the database behind `conn` stands against `graph` (the version table's names
/// from `config`).
///
/// # Errors
/// As [`Project::position`].
pub fn position(
    graph: &Graph,
    config: &Config,
    conn: &mut Connection,
) -> Result<Position, ProjectError> {
    let mut current = Runner::new(graph, RunOptions::from_config(config))
        .current(conn)
        .map_err(|e| ProjectError::Runner {
            action: "reading the current revision".into(),
            source: Box::new(e),
        })?;
    let unknown = unknown_revisions(graph, &current);
    if !unknown.is_empty() {
        return Err(ProjectError::UnknownRevisions {
            revisions: unknown,
            dir: config.versions_dir(),
        });
    }
    let mut heads = graph.heads();
    current.sort();
    heads.sort();
    if current == heads {
        return Ok(Position::AtHead);
    }
    let label = |id: &RevId| match graph.get(id) {
        Some(r) if !r.meta.message.is_empty() => format!("{id} ({})", r.meta.message),
        _ => id.to_string(),
    };
    let pending = graph
        .plan_upgrade(&current, &Target::Heads)
        .map(|steps| steps.iter().map(|s| label(&s.revision)).collect())
        .unwrap_or_default();
    Ok(Position::Behind {
        current,
        heads,
        pending,
    })
}

/// Like `alembic check`: where the database stands and, when it is at head (or the project
/// has no versions folder), what autogenerate would write to make it match the models
/// (renames declared with `renamed_from` count as such).
///
/// # Errors
/// As [`load_models`], [`load_graph`], [`position`] and [`live_schema`].
pub fn check(config: &Config, conn: &mut Connection) -> Result<CheckReport, ProjectError> {
    check_models(config, load_models(config)?, conn)
}

/// [`check`] against models already loaded (with [`load_models`]), e.g. to report a bad
/// models file before opening the database.
///
/// # Errors
/// As [`check`], except loading the models.
pub fn check_models(
    config: &Config,
    models: Models,
    conn: &mut Connection,
) -> Result<CheckReport, ProjectError> {
    let graph = if config.versions_dir().is_dir() {
        Some(load_graph(&config.versions_dir())?)
    } else {
        None
    };
    compare(config, graph.as_ref(), models, conn)
}

fn compare(
    config: &Config,
    graph: Option<&Graph>,
    models: Models,
    conn: &mut Connection,
) -> Result<CheckReport, ProjectError> {
    let position = match graph {
        Some(g) => position(g, config, conn)?,
        None => Position::AtHead,
    };
    if position != Position::AtHead {
        return Ok(CheckReport {
            position,
            current: Schema::default(),
            target: models.schema,
            ops: Vec::new(),
        });
    }
    let current = live_schema(config, conn)?;
    let mut hints = RenameHints::new();
    hints.add_models(&models.renamed_from);
    let ops = diff(&current, &models.schema, &hints);
    Ok(CheckReport {
        position,
        current,
        target: models.schema,
        ops,
    })
}
