//! `dqmig inspect [--format toml|sql] [--output FILE]`: the live schema (without dqmig's
//! tables and the tables the config filters out) as a models file, so an existing database
//! can be adopted; what it writes loads back to the same schema. Columns declared DATETIME,
//! DATE, TIMESTAMP or BOOLEAN — types dqlite 1.11 remaps on output, aborting the node for
//! some stored values, which model files may not declare — are
//! written as NUMERIC (the same affinity, so no stored value changes), with a warning.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use dqmig::schema::Schema;
use dqmig::types::SqlType;

use super::project;
use super::{CliError, GlobalArgs, Io};

/// The type written for a column whose declared type dqlite remaps.
pub const SAFE_TYPE: &str = "NUMERIC";

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Toml,
    Sql,
}

/// Arguments of `dqmig inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// models TOML (models.toml) or SQL DDL (schema.sql).
    #[arg(long, value_enum, default_value_t = Format::Toml)]
    pub format: Format,

    /// Write to FILE instead of stdout (it must not exist).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &InspectArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let config = project::load_config(global)?;
    let url = project::database_url(&config, global)?;
    let mut db = project::open_url(&url, io)?;
    let mut schema = project::live_schema(&config, &mut db)?;
    project::close(db)?;
    let replaced = replace_remapped_types(&mut schema);
    if !replaced.is_empty() {
        io.info(format_args!(
            "{} {} declared with a type dqlite 1.11 remaps on output (and aborts the node for some stored values): written as {SAFE_TYPE}, \
             the same affinity, so stored values stay as they are; `dqmig revision --autogenerate` will propose rebuilding these tables to convert \
             the columns (or declare them type = \"datetime\" (TEXT, ISO 8601) / \"boolean\" (INTEGER 0/1) in the models to convert the values too)",
            io.style.warning_prefix(),
            replaced.join(", ")
        ));
    }
    let text = match args.format {
        Format::Toml => dqmig::models::to_toml(&schema),
        Format::Sql => schema.to_sql(),
    };
    match &args.output {
        Some(path) => {
            let io_err = |source| CliError::Io {
                action: "writing",
                path: path.clone(),
                source,
            };
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(io_err)?;
            f.write_all(text.as_bytes()).map_err(io_err)?;
            io.info(format_args!("wrote {}", path.display()));
            Ok(())
        }
        None => {
            io.out
                .write_all(text.as_bytes())
                .map_err(CliError::Output)?;
            io.out.flush().map_err(CliError::Output)
        }
    }
}

/// Replaces remapped declared types by [`SAFE_TYPE`]; returns `table.column (TYPE)` of each.
pub fn replace_remapped_types(schema: &mut Schema) -> Vec<String> {
    let mut replaced = Vec::new();
    for table in schema.tables.values_mut() {
        for col in &mut table.columns {
            if col.sql_type.is_remapped_by_dqlite() {
                replaced.push(format!(
                    "{}.{} ({})",
                    table.name.quoted(),
                    col.name.quoted(),
                    col.sql_type
                ));
                col.sql_type = SqlType::new(SAFE_TYPE);
            }
        }
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqmig::models::{load_sql_str, load_sql_str_with, load_toml_str, SqlOptions};

    #[test]
    fn remapped_types_become_numeric_and_load_back() {
        let ddl = "CREATE TABLE t (id INTEGER PRIMARY KEY, at DATETIME DEFAULT 0, d date, flag BOOLEAN, ts TIMESTAMP, s TEXT);";
        let mut schema = load_sql_str_with(
            "db",
            ddl,
            SqlOptions {
                allow_remapped_types: true,
            },
        )
        .unwrap();
        let replaced = replace_remapped_types(&mut schema);
        assert_eq!(
            replaced,
            [
                "\"t\".\"at\" (DATETIME)",
                "\"t\".\"d\" (DATE)",
                "\"t\".\"flag\" (BOOLEAN)",
                "\"t\".\"ts\" (TIMESTAMP)"
            ]
        );
        let toml = dqmig::models::to_toml(&schema);
        assert_eq!(load_toml_str("m.toml", &toml).unwrap(), schema);
        assert_eq!(load_sql_str("m.sql", &schema.to_sql()).unwrap(), schema);
    }
}
