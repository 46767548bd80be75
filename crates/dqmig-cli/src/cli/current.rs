//! `dqmig current [--check-heads]`: the revisions the database's version table holds (one
//! per applied head). With `--check-heads` it exits 1 when those are not exactly the
//! graph's heads (the database needs an upgrade, or is ahead of the files).

use super::project::{close, run_err, Project, ProjectExt};
use super::show::RevInfo;
use super::upgrade::shown;
use super::{output, CliError, GlobalArgs, Io, EXIT_DRIFT, EXIT_OK};

/// Arguments of `dqmig current`.
#[derive(Debug, clap::Args)]
pub struct CurrentArgs {
    /// Exit 1 unless the database is at every head of the revision graph.
    #[arg(long)]
    pub check_heads: bool,
    /// Print JSON on stdout: {"current": [...], "heads": [...], "at_head": bool}.
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Report {
    current: Vec<RevInfo>,
    heads: Vec<String>,
    at_head: bool,
}

/// Run the command; returns the exit code.
pub fn run(global: &GlobalArgs, args: &CurrentArgs, io: &mut Io<'_>) -> Result<u8, CliError> {
    let project = Project::load_cli(global)?;
    let mut db = project.open(global, io)?;
    let current = project
        .runner(project.run_options())
        .current(&mut db)
        .map_err(run_err("reading the current revision"));
    let closed = close(db);
    let current = current?;
    closed?;
    let graph = &project.graph;
    let unknown = dqmig::project::unknown_revisions(graph, &current);
    if !unknown.is_empty() {
        io.info(format_args!(
            "warning: {}",
            super::project::unknown_revisions_message(&unknown, &project.versions_dir())
        ));
    }
    let heads = graph.heads();
    let at_head = current == heads;
    let infos: Vec<RevInfo> = current
        .iter()
        .map(|id| {
            let mut info = RevInfo::of(graph, id);
            info.marks.retain(|m| *m == "head");
            info
        })
        .collect();
    if args.json {
        let report = Report {
            current: infos,
            heads: heads.iter().map(|h| h.to_string()).collect(),
            at_head,
        };
        output::write_json(io.out, &report).map_err(CliError::Output)?;
    } else if current.is_empty() {
        io.info("No revision applied: the database is at <base>.");
    } else if io.level >= 2 {
        let rows = infos
            .iter()
            .map(|i| {
                vec![
                    i.revision.clone(),
                    i.marks_text(),
                    i.message.clone(),
                    i.file.clone(),
                ]
            })
            .collect();
        output::write_text_table(io.out, &["revision", "", "message", "file"], rows)
            .map_err(CliError::Output)?;
    } else {
        for i in &infos {
            writeln!(io.out, "{}", i.titled()).map_err(CliError::Output)?;
        }
    }
    io.out.flush().map_err(CliError::Output)?;
    if args.check_heads && !at_head {
        io.info(format_args!(
            "The database is at {}, not at the head(s) {}; run `dqmig upgrade heads`.",
            shown(&current),
            shown(&heads)
        ));
        return Ok(EXIT_DRIFT);
    }
    Ok(EXIT_OK)
}
