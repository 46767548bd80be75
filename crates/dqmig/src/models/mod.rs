//! Model loaders: `models.toml`, `schema.sql` (sqlparser, SQLite dialect)
//! and an external command that prints models TOML. Each builds a [`Schema`] through the
//! shared builder, which checks names and references and reports problems as
//! `file:line:column: what is wrong; what is expected`.

mod builder;
mod command;
mod pos;
mod sql;
mod sql_exprs;
mod sql_types;
mod toml_file;
mod toml_writer;

pub use self::toml_writer::to_toml;
pub(crate) use builder::{Builder, TablePos};
pub use command::{load_command, load_command_within, DEFAULT_MODELS_COMMAND_TIMEOUT};
pub use pos::Pos;
pub use sql::{load_sql_str, load_sql_str_with, SqlOptions};
pub(crate) use toml_file::split_reference;
pub use toml_file::{load_toml_str, load_toml_with_renames};

use crate::schema::{Ident, Schema};
use std::path::Path;

/// A `renamed_from` hint of models.toml: table `table` (or its column `column`) was
/// called `from` before. Autogenerate turns it into a rename instead of a drop plus an add.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RenamedFrom {
    pub table: Ident,
    pub column: Option<Ident>,
    pub from: Ident,
}

/// Errors of the model loaders.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A problem in a model file, at a place in it.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("reading model file {file}: {source}; check the models path in dqmig.toml")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("running the models command `{command}`: {detail}")]
    Command { command: String, detail: String },
}

impl LoadError {
    pub(crate) fn at(file: &str, pos: Pos, message: impl Into<String>) -> LoadError {
        LoadError::Invalid {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

/// Loads a model file, choosing the loader by extension: `.sql` → schema.sql, anything else
/// → models TOML.
pub fn load_file(path: &Path) -> Result<Schema, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        file: name.clone(),
        source,
    })?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
    {
        load_sql_str(&name, &text)
    } else {
        load_toml_str(&name, &text)
    }
}
