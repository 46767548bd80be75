//! The introspector: reads a live database into a [`Schema`] in a constant
//! number of queries, independent of the number of tables ([`QUERIES`]).
//!
//! The CREATE statements in `sqlite_master` are parsed with the schema.sql loader — they are
//! the only place SQLite keeps CHECK constraints, AUTOINCREMENT, collations, generated
//! expressions, constraint names, deferrable foreign keys, STRICT and WITHOUT ROWID — and the
//! result is cross-checked against SQLite's own reading through the table-valued pragmas
//! (`catalog`, `check`). `sqlite_*` objects and dqmig's own tables (and their indexes and
//! triggers) are left out. Views and triggers are kept.

mod catalog;
mod check;
mod parse;

pub use catalog::QUERIES;

use crate::executor::{ExecError, Executor};
use crate::schema::{Ident, Schema};

/// The tables dqmig keeps its own state in (with the default names): the version table (the
/// current heads) and the history table.
pub const DQMIG_TABLES: [&str; 2] = ["dqmig_version", "dqmig_history"];

/// What to leave out of the introspected schema.
#[derive(Debug, Clone)]
pub struct IntrospectOptions {
    /// Tables left out, with their indexes and triggers (compared case-insensitively).
    /// Default: [`DQMIG_TABLES`]; a configured version table name belongs here too.
    pub exclude_tables: Vec<Ident>,
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        IntrospectOptions {
            exclude_tables: DQMIG_TABLES.iter().map(|t| Ident::new(*t)).collect(),
        }
    }
}

impl IntrospectOptions {
    fn excludes(&self, name: &Ident) -> bool {
        self.exclude_tables.contains(name)
    }
}

/// Errors of the introspector.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntrospectError {
    #[error("introspecting the database: reading {what}: {source}")]
    Query {
        what: &'static str,
        source: ExecError,
    },
    #[error("introspecting the database: unexpected row from {pragma}: {detail}; is this a dqlite/SQLite database?")]
    BadRow {
        pragma: &'static str,
        detail: String,
    },
    #[error("introspecting the database: the CREATE statement of {kind} `{name}` cannot be modelled: {message}; exclude the table from introspection to go on without it\n  statement: {sql}")]
    Parse {
        kind: String,
        name: String,
        message: String,
        sql: String,
    },
    #[error("introspecting table `{table}`: {detail}; dqmig misread the table's CREATE statement — please report this")]
    Inconsistent { table: String, detail: String },
}

/// Reads the schema of the database behind `exec` (see the module docs).
pub fn introspect(
    exec: &mut impl Executor,
    opts: &IntrospectOptions,
) -> Result<Schema, IntrospectError> {
    let catalog = catalog::read(exec)?;
    let objects = parse::kept(&catalog.objects, opts);
    let schema = parse::schema_from_sql(&objects)?;
    check::cross_check(&schema, &catalog, &objects)?;
    Ok(schema)
}
