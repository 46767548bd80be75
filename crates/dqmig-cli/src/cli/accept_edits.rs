//! `dqmig accept-edits [REV...]`: after reviewing changes to applied revision files (a
//! comment added, a statement reformatted), record their current checksums so that
//! `upgrade`/`downgrade` stop refusing them; like Flyway's `repair`. One `accept` row per
//! file in the history table; no migration runs.

use dqmig::runner::EditedFile;
use dqmig::script::{RevId, Target};

use super::project::{close, run_err, script_err, Project, ProjectExt};
use super::{output, CliError, GlobalArgs, Io};

/// Arguments of `dqmig accept-edits`.
#[derive(Debug, clap::Args)]
pub struct AcceptEditsArgs {
    /// Only these revisions (ids, unique prefixes or labels); default: every applied
    /// revision whose file changed since it was applied.
    #[arg(value_name = "REV")]
    pub revisions: Vec<String>,
    /// Print the accepted files as JSON on stdout:
    /// [{"revision", "file", "applied_checksum", "current_checksum"}].
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &AcceptEditsArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let project = Project::load_cli(global)?;
    let mut only: Vec<RevId> = Vec::new();
    for rev in &args.revisions {
        let action = format!("reading the revision {rev} to accept");
        let target = Target::parse(rev).map_err(script_err(action.clone()))?;
        let ids = project
            .graph
            .resolve(&[], &target)
            .map_err(script_err(action))?;
        if ids.len() != 1 {
            return Err(CliError::Usage(format!(
                "`{rev}` does not name one revision; give a revision id, unique prefix or label"
            )));
        }
        only.extend(ids);
    }
    let mut db = project.open(global, io)?;
    let accepted = project
        .runner(project.run_options())
        .accept_edits(&mut db, (!only.is_empty()).then_some(only.as_slice()))
        .map_err(run_err("accepting edited revision files"));
    let closed = close(db);
    let accepted: Vec<EditedFile> = accepted?;
    closed?;
    if accepted.is_empty() {
        io.info("No applied revision file changed since it was applied: nothing to accept.");
    }
    for f in &accepted {
        io.info(format_args!(
            "Accepted the edits of {} (revision {}): checksum {} recorded (was {}).",
            f.file, f.revision, f.current_checksum, f.applied_checksum
        ));
    }
    if args.json {
        output::write_json(io.out, &accepted).map_err(CliError::Output)?;
    }
    io.out.flush().map_err(CliError::Output)
}
