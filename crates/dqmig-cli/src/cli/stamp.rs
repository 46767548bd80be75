//! `dqmig stamp TARGET [--purge]`: set the version table to TARGET without running any
//! migration (for a database whose schema was made some other way); records a `stamp` row
//! in the history table. `--purge` replaces whatever the table holds, even revisions no
//! file defines.

use dqmig::script::{RevId, Target};

use super::project::{close, run_err, script_err, Project, ProjectExt};
use super::upgrade::shown;
use super::{output, CliError, GlobalArgs, Io};

/// Arguments of `dqmig stamp`.
#[derive(Debug, clap::Args)]
pub struct StampArgs {
    /// head, heads, base, a revision id, prefix or label, +N / -N.
    #[arg(value_name = "TARGET", allow_hyphen_values = true)]
    pub target: String,
    /// Replace every row of the version table, even rows naming unknown revisions.
    #[arg(long)]
    pub purge: bool,
    /// Print {"before": [...], "after": [...]} on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &StampArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let project = Project::load_cli(global)?;
    let action = format!("stamping the database with {}", args.target);
    let target = Target::parse(&args.target).map_err(script_err(action.clone()))?;
    let mut db = project.open(global, io)?;
    let report = project
        .runner(project.run_options())
        .stamp(&mut db, &target, args.purge)
        .map_err(run_err(action));
    let closed = close(db);
    let report = report?;
    closed?;
    let ids = |v: &[String]| {
        v.iter()
            .filter_map(|s| RevId::parse(s).ok())
            .collect::<Vec<_>>()
    };
    io.info(format_args!(
        "Stamped the database: {} -> {} (no migration ran).",
        shown(&ids(&report.before)),
        shown(&ids(&report.after))
    ));
    if args.json {
        output::write_json(io.out, &report).map_err(CliError::Output)?;
    }
    io.out.flush().map_err(CliError::Output)
}
