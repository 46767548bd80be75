//! `dqmig merge -m MSG [REVS...]`: a revision with no statements whose parents are the
//! given revisions (default: every head), joining branches into one head again.

use dqmig::script::NewRevision;

use super::project::{script_err, Project, ProjectExt};
use super::revision::{now, rev_id_source, write};
use super::{CliError, GlobalArgs, Io};

/// Arguments of `dqmig merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// What the merge is for.
    #[arg(short, long, value_name = "MSG")]
    pub message: String,

    /// Revisions to merge (ids, prefixes, labels, `heads`); default: `heads`.
    #[arg(value_name = "REV")]
    pub revisions: Vec<String>,

    /// The merge revision's id (default: 12 random hex digits).
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,

    /// A branch label for the merge revision (repeatable).
    #[arg(long = "branch-label", value_name = "LABEL")]
    pub branch_labels: Vec<String>,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &MergeArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    super::revision::check_message(&args.message)?;
    let project = Project::load_cli(global)?;
    let graph = &project.graph;
    let targets: Vec<&str> = if args.revisions.is_empty() {
        vec!["heads"]
    } else {
        args.revisions.iter().map(String::as_str).collect()
    };
    let created = now();
    let request = NewRevision {
        message: &args.message,
        rev_id: args.rev_id.as_deref(),
        branch_labels: &args.branch_labels,
        created: &created,
        ..NewRevision::default()
    };
    let meta = graph
        .merge_revision(&targets, &request, rev_id_source()?)
        .map_err(script_err("deciding the merge revision's parents"))?;
    let path = write(&project, &meta, &[], &[])?;
    writeln!(io.out, "{}", path.display()).map_err(CliError::Output)?;
    io.out.flush().map_err(CliError::Output)
}
