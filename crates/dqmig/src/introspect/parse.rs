//! The CREATE statements of `sqlite_master` read with the schema.sql loader (one parser for
//! DDL in dqmig): the kept statements are joined into one script — tables, then indexes,
//! views and triggers — and loaded leniently (columns declared DATETIME/BOOLEAN/... are
//! accepted, since an existing database may have them). A loader error is mapped back to the
//! object whose statement holds the reported line.

use super::catalog::Object;
use super::{IntrospectError, IntrospectOptions};
use crate::models::{load_sql_str_with, LoadError, SqlOptions};
use crate::schema::Schema;

/// Where each statement starts in the script.
struct Placed<'a> {
    first_line: usize,
    object: &'a Object,
}

/// The objects the introspector reports: not excluded, and with a CREATE statement.
pub(crate) fn kept<'a>(objects: &'a [Object], opts: &IntrospectOptions) -> Vec<&'a Object> {
    objects
        .iter()
        .filter(|o| o.sql.is_some())
        .filter(|o| {
            let on_excluded =
                matches!(o.kind.as_str(), "index" | "trigger") && opts.excludes(&o.table);
            !(opts.excludes(&o.name) || on_excluded)
        })
        .collect()
}

/// Parses the kept objects' statements into a normalized `Schema`.
pub(crate) fn schema_from_sql(objects: &[&Object]) -> Result<Schema, IntrospectError> {
    let mut script = String::new();
    let mut placed = Vec::with_capacity(objects.len());
    let mut line = 1;
    for object in objects {
        let Some(sql) = &object.sql else { continue };
        placed.push(Placed {
            first_line: line,
            object,
        });
        script.push_str(sql);
        script.push_str("\n;\n");
        line += sql.matches('\n').count() + 2;
    }
    let options = SqlOptions {
        allow_remapped_types: true,
    };
    load_sql_str_with("sqlite_master", &script, options).map_err(|e| locate(e, &placed))
}

fn locate(e: LoadError, placed: &[Placed<'_>]) -> IntrospectError {
    match e {
        LoadError::Invalid {
            line,
            column,
            message,
            ..
        } => {
            let at = placed.iter().rev().find(|p| p.first_line <= line);
            match at {
                Some(p) => IntrospectError::Parse {
                    kind: p.object.kind.clone(),
                    name: p.object.name.to_string(),
                    message: format!(
                        "line {}, column {column}: {message}",
                        line - p.first_line + 1
                    ),
                    sql: p.object.sql.clone().unwrap_or_default(),
                },
                None => IntrospectError::Parse {
                    kind: "schema".into(),
                    name: String::new(),
                    message,
                    sql: String::new(),
                },
            }
        }
        other => IntrospectError::Parse {
            kind: "schema".into(),
            name: String::new(),
            message: other.to_string(),
            sql: String::new(),
        },
    }
}
