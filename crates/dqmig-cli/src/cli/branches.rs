//! `dqmig branches`: the branch points of the revision graph (revisions revised by more
//! than one revision) and the revisions each branch starts with; no database needed.

use super::project::{load_config, load_graph};
use super::show::RevInfo;
use super::{output, CliError, GlobalArgs, Io};

/// Arguments of `dqmig branches`.
#[derive(Debug, clap::Args)]
pub struct BranchesArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Branch {
    #[serde(flatten)]
    info: RevInfo,
    /// The first revision of each branch.
    branches: Vec<RevInfo>,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &BranchesArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let config = load_config(global)?;
    let graph = load_graph(&config.versions_dir())?;
    let points: Vec<Branch> = graph
        .branch_points()
        .iter()
        .map(|p| Branch {
            info: RevInfo::of(&graph, p),
            branches: graph
                .children(p)
                .iter()
                .map(|c| RevInfo::of(&graph, c))
                .collect(),
        })
        .collect();
    if args.json {
        output::write_json(io.out, &points).map_err(CliError::Output)?;
    } else if points.is_empty() {
        io.info("No branch points: the revisions form a single line.");
    } else {
        let rows = points
            .iter()
            .map(|b| {
                let to = b
                    .branches
                    .iter()
                    .map(|c| format!("{} {}", c.revision, c.message))
                    .collect::<Vec<_>>()
                    .join("\n");
                vec![b.info.revision.clone(), b.info.message.clone(), to]
            })
            .collect();
        output::write_text_table(io.out, &["branch point", "message", "branches"], rows)
            .map_err(CliError::Output)?;
    }
    io.out.flush().map_err(CliError::Output)
}
