//! `dqmig check`: do the models and the database agree? Exit 0 when autogenerate would
//! write nothing; otherwise exit 1 and print on stdout a unified diff of the two schemas as
//! DDL (database first, models second; colored when allowed) and the operations
//! autogenerate would write. Renames declared with `renamed_from` count as such. Like
//! `alembic check`, a database that is not at the heads of the revision files is not
//! compared: exit 1 naming the pending revisions and saying to upgrade first; a version
//! table naming a revision no file defines is an error (exit 2).

use std::io::{IsTerminal, Write};

use similar::{ChangeTag, TextDiff};

use dqmig::autogen::Op;
use dqmig::project::Position;
use dqmig::schema::Schema;

use super::project;
use super::{CliError, GlobalArgs, Io, Style, EXIT_DRIFT, EXIT_OK};

/// Arguments of `dqmig check` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct CheckArgs {}

/// Run the command; returns the exit code.
pub fn run(global: &GlobalArgs, _args: &CheckArgs, io: &mut Io<'_>) -> Result<u8, CliError> {
    let config = project::load_config(global)?;
    // The models first: a broken models file is reported without starting a node.
    let models = dqmig::project::load_models(&config).map_err(project::project_err)?;
    let url = project::database_url(&config, global)?;
    let mut db = project::open_url(&url, io)?;
    let report =
        dqmig::project::check_models(&config, models, &mut db.conn).map_err(project::project_err);
    let closed = project::close(db);
    let report = report?;
    closed?;
    if let Position::Behind { pending, .. } = &report.position {
        // Like `alembic check`: a database that is not at head is not compared.
        io.info(format_args!(
            "the database is not at head ({} pending: {}); `dqmig check` compares the models with a database at head only: run `dqmig upgrade heads`, then `dqmig check` again",
            pending.len(),
            pending.join(", ")
        ));
        return Ok(EXIT_DRIFT);
    }
    let ops = &report.ops;
    if ops.is_empty() {
        io.info("the models and the database agree");
        return Ok(EXIT_OK);
    }
    let no_color = std::env::var("NO_COLOR").ok();
    let style = Style::decide(
        global.color,
        std::io::stdout().is_terminal(),
        no_color.as_deref(),
    );
    write_report(io.out, &report.current, &report.target, ops, style).map_err(CliError::Output)?;
    io.info(format_args!(
        "the database differs from the models ({} operation(s)); `dqmig revision --autogenerate -m MSG` writes them as a revision",
        ops.len()
    ));
    Ok(EXIT_DRIFT)
}

/// The unified diff of the two schemas' DDL and the list of operations.
pub fn write_report(
    out: &mut dyn Write,
    current: &Schema,
    target: &Schema,
    ops: &[Op],
    style: Style,
) -> std::io::Result<()> {
    let (before, after) = (current.to_sql(), target.to_sql());
    let text_diff = TextDiff::from_lines(&before, &after);
    let mut unified = text_diff.unified_diff();
    unified.context_radius(3).header("database", "models");
    writeln!(out, "{}", style.paint("1", "--- database"))?;
    writeln!(out, "{}", style.paint("1", "+++ models"))?;
    for hunk in unified.iter_hunks() {
        writeln!(out, "{}", style.paint("36", &hunk.header().to_string()))?;
        for change in hunk.iter_changes() {
            let line = change.to_string_lossy();
            let line = line.trim_end_matches('\n');
            match change.tag() {
                ChangeTag::Delete => writeln!(out, "{}", style.paint("31", &format!("-{line}")))?,
                ChangeTag::Insert => writeln!(out, "{}", style.paint("32", &format!("+{line}")))?,
                ChangeTag::Equal => writeln!(out, " {line}")?,
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "operations autogenerate would write:")?;
    for op in ops {
        writeln!(out, "  {}", op.describe())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqmig::models::load_sql_str;

    #[test]
    fn report_has_diff_and_ops_and_colors_only_when_asked() {
        let a = load_sql_str(
            "a.sql",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);",
        )
        .unwrap();
        let b = load_sql_str(
            "b.sql",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER);",
        )
        .unwrap();
        let ops = dqmig::autogen::diff(&a, &b, &dqmig::autogen::RenameHints::default());
        let mut out = Vec::new();
        write_report(&mut out, &a, &b, &ops, Style { color: false }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("--- database\n+++ models\n@@"), "{text}");
        assert!(
            text.contains("\n-  \"name\" TEXT\n+  \"name\" TEXT,\n+  \"n\" INTEGER\n"),
            "{text}"
        );
        assert!(text.contains("  add column \"t\".\"n\""), "{text}");
        assert!(!text.contains('\x1b'));
        let mut out = Vec::new();
        write_report(&mut out, &a, &b, &ops, Style { color: true }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\x1b[32m+  \"n\" INTEGER\x1b[0m"), "{text}");
        assert!(text.contains("\x1b[31m-  \"name\" TEXT\x1b[0m"), "{text}");
    }
}
