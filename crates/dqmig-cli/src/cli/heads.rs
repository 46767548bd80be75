//! `dqmig heads`: the heads of the revision graph (revisions nothing revises), from the
//! files alone; no database needed.

use super::project::{load_config, load_graph};
use super::show::RevInfo;
use super::{output, CliError, GlobalArgs, Io};

/// Arguments of `dqmig heads`.
#[derive(Debug, clap::Args)]
pub struct HeadsArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &HeadsArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let config = load_config(global)?;
    let graph = load_graph(&config.versions_dir())?;
    let heads: Vec<RevInfo> = graph
        .heads()
        .iter()
        .map(|h| RevInfo::of(&graph, h))
        .collect();
    if heads.is_empty() {
        io.info("No revisions yet: create one with `dqmig revision -m MESSAGE`.");
    }
    if args.json {
        output::write_json(io.out, &heads).map_err(CliError::Output)?;
    } else if !heads.is_empty() {
        let verbose = io.level >= 2;
        let mut headers = vec!["revision", "branch labels", "message"];
        if verbose {
            headers.extend(["created", "file"]);
        }
        let rows = heads
            .iter()
            .map(|h| {
                let mut row = vec![
                    h.revision.clone(),
                    h.branch_labels.join(", "),
                    h.message.clone(),
                ];
                if verbose {
                    row.extend([h.created.clone(), h.file.clone()]);
                }
                row
            })
            .collect();
        output::write_text_table(io.out, &headers, rows).map_err(CliError::Output)?;
    }
    if heads.len() > 1 {
        io.info(format_args!(
            "{} heads: `dqmig upgrade heads` applies them all; `dqmig merge heads` joins them.",
            heads.len()
        ));
    }
    io.out.flush().map_err(CliError::Output)
}
