//! `dqmig sql "STATEMENT"`: open the project's database (`--url`, `DQMIG_URL` or
//! `dqmig.toml`; starting an embedded node when the URL asks for one), run one statement, print its rows or its change count.
//! A text holding no statement or several, or a statement that only changes the connection
//! (transaction control, ATTACH, DETACH: it would do nothing, the connection closes after the
//! statement), and VACUUM or a pragma a revision may not contain (the same classifier,
//! `dqmig_script::refuse_alone`: some crash the node), is refused before the database is opened.

use dqmig::client::Outcome;

use super::{output, project, CliError, GlobalArgs, Io};

/// Arguments of `dqmig sql`.
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The SQL statement to run: exactly one (a text with none or several is refused before
    /// anything is sent); quote it for the shell.
    #[arg(value_name = "STATEMENT")]
    pub statement: String,

    /// Print rows as a JSON array of objects (blobs as lower-case hex strings) and
    /// statements without rows as {"rows_affected": N, "last_insert_id": M}.
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &SqlArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    // Checked before anything is opened: nothing is sent unless the text is one statement.
    match dqmig::client::count_statements(&args.statement) {
        1 => {}
        0 => return Err(CliError::Usage(
            "dqmig sql: the statement is empty (blank or only comments); pass one SQL statement, e.g. dqmig sql \"SELECT 1\"".to_string(),
        )),
        n => return Err(CliError::Usage(format!(
            "dqmig sql runs exactly one statement, and this text holds {n}; nothing was run. Run them one at a time, or put them in a revision (dqmig revision -m ...) to run them in one transaction"
        ))),
    }
    refuse_connection_statements(&args.statement)?;
    // The same rule as in revision files (one classifier): VACUUM and the pragmas of the
    // storage dqlite manages, some of which crash the node.
    if let Some(why) = dqmig::script::refuse_alone(&args.statement) {
        return Err(CliError::Usage(format!(
            "dqmig sql: {why}; nothing was run (the README section \"Statements a revision may not contain, and pragmas\" lists how each pragma is handled; dqmig sql follows the same rules)"
        )));
    }
    let config = project::load_config(global)?;
    let parsed = project::database_url(&config, global)?;
    let url = parsed.to_string();
    let url = url.as_str();
    let mut db = project::open_url(&parsed, io)?;
    // A statement that changes many rows must not spill the page cache (522 on 1.11.1).
    db.set_cache_size_kib(dqmig::client::BIG_TRANSACTION_CACHE_KIB)
        .map_err(|source| CliError::Run {
            url: url.to_owned(),
            source: Box::new(source),
        })?;
    let outcome = db
        .run(&args.statement, &[])
        .map_err(|source| CliError::Run {
            url: url.to_owned(),
            source: Box::new(source),
        })?;
    match outcome {
        Outcome::Rows(rows) => {
            let columns: &[String] = &rows.columns;
            let values = rows.rows.iter().map(|row| row.values());
            if args.json {
                output::write_json_rows(io.out, columns, values)
            } else {
                output::write_table(io.out, columns, values)
            }
            .map_err(CliError::Output)?;
            io.debug(format_args!("{} rows", rows.rows.len()));
        }
        Outcome::Exec(result) => {
            output::write_exec(
                io.out,
                result.rows_affected,
                result.last_insert_id,
                args.json,
            )
            .map_err(CliError::Output)?;
        }
    }
    io.out.flush().map_err(CliError::Output)?;
    db.close().map_err(CliError::Close)
}

/// Refuses a statement that only changes the connection: transaction control (`BEGIN`,
/// `SAVEPOINT`, `COMMIT`, `END`, `ROLLBACK`) and `ATTACH`/`DETACH`. `dqmig sql` runs each
/// statement on a connection of its own, closed after it, so such a statement would do
/// nothing (and dqlite replicates only the main database).
fn refuse_connection_statements(statement: &str) -> Result<(), CliError> {
    let first = statement
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_alphabetic()))
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_uppercase();
    let what = if dqmig::client::controls_transaction(statement) {
        "controls a transaction"
    } else if first == "ATTACH" || first == "DETACH" {
        "changes the connection (and dqlite replicates only the main database)"
    } else {
        return Ok(());
    };
    Err(CliError::Usage(format!(
        "dqmig sql: `{first}` {what}, and dqmig sql runs each statement on a connection of its own, closed after it, so it would do nothing; nothing was run. Run the statements one at a time, or put them in a revision (dqmig revision -m ...) to run them in one transaction"
    )))
}
