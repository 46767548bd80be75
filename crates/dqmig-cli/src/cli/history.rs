//! `dqmig history [-r FROM:TO] [-i] [-v]`: the revisions of the graph, newest first, with
//! their parents and marks (head, branchpoint, mergepoint, base; `current` with `-i`, which
//! reads the database). `--applied` prints the database's history table instead: every
//! upgrade, downgrade and stamp that ran, oldest first.

use dqmig::script::{RevId, Target};

use super::project::{close, run_err, script_err, Project, ProjectExt};
use super::show::RevInfo;
use super::{output, CliError, GlobalArgs, Io};

/// Arguments of `dqmig history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Only revisions in the range FROM:TO (either side may be empty: `:head`, `base:`).
    #[arg(
        short = 'r',
        long = "rev-range",
        value_name = "FROM:TO",
        allow_hyphen_values = true
    )]
    pub range: Option<String>,
    /// Mark the revisions the database is at as `current` (reads the database).
    #[arg(short = 'i', long = "indicate-current")]
    pub indicate_current: bool,
    /// Print the database's history table (what ran, when, how long) instead of the graph.
    #[arg(long, conflicts_with_all = ["range", "indicate_current"])]
    pub applied: bool,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &HistoryArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let project = Project::load_cli(global)?;
    if args.applied {
        return applied(global, &project, args, io);
    }
    let range = match &args.range {
        None => (None, None),
        Some(text) => Target::parse_range(text)
            .map_err(script_err(format!("reading the revision range {text}")))?,
    };
    let relative = [&range.0, &range.1]
        .iter()
        .any(|t| matches!(t, Some(Target::Relative(_))));
    let mut current: Vec<RevId> = Vec::new();
    if args.indicate_current || relative {
        let mut db = project.open(global, io)?;
        let read = project
            .runner(project.run_options())
            .current(&mut db)
            .map_err(run_err("reading the current revision"));
        let closed = close(db);
        current = read?;
        closed?;
    }
    let graph = &project.graph;
    let ids = graph
        .range(&current, range.0.as_ref(), range.1.as_ref())
        .map_err(script_err("listing the revisions"))?;
    let applied_heads = graph.heads_of(&graph.ancestors_or_self(&current));
    let infos: Vec<RevInfo> = ids
        .iter()
        .map(|id| {
            let mut info = RevInfo::of(graph, id);
            if args.indicate_current && applied_heads.contains(id) {
                info.marks.push("current");
            }
            info
        })
        .collect();
    if args.json {
        output::write_json(io.out, &infos).map_err(CliError::Output)?;
    } else if infos.is_empty() {
        io.info("No revisions.");
    } else {
        let verbose = io.level >= 2;
        let mut headers = vec!["revision", "revises", "marks", "message"];
        if verbose {
            headers.extend(["created", "branch labels", "depends on", "file"]);
        }
        let rows = infos
            .into_iter()
            .map(|i| {
                let revises = if i.revises.is_empty() {
                    "<base>".to_string()
                } else {
                    i.revises.join(", ")
                };
                let mut row = vec![i.revision, revises, i.marks.join(", "), i.message];
                if verbose {
                    row.extend([
                        i.created,
                        i.branch_labels.join(", "),
                        i.depends_on.join(", "),
                        i.file,
                    ]);
                }
                row
            })
            .collect();
        output::write_text_table(io.out, &headers, rows).map_err(CliError::Output)?;
    }
    io.out.flush().map_err(CliError::Output)
}

/// `--applied`: the history table.
fn applied(
    global: &GlobalArgs,
    project: &Project,
    args: &HistoryArgs,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let mut db = project.open(global, io)?;
    let rows = project
        .runner(project.run_options())
        .history(&mut db)
        .map_err(run_err("reading the history table"));
    let closed = close(db);
    let rows = rows?;
    closed?;
    if args.json {
        output::write_json(io.out, &rows).map_err(CliError::Output)?;
    } else if rows.is_empty() {
        io.info("Nothing has run on this database yet.");
    } else {
        let verbose = io.level >= 2;
        let mut headers = vec![
            "#",
            "applied at",
            "direction",
            "revision",
            "heads before",
            "heads after",
            "ms",
        ];
        if verbose {
            headers.extend(["file", "checksum"]);
        }
        let table = rows
            .into_iter()
            .map(|h| {
                let mut row = vec![
                    h.id.to_string(),
                    h.applied_at,
                    h.direction,
                    h.revision,
                    h.heads_before,
                    h.heads_after,
                    h.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
                ];
                if verbose {
                    row.extend([h.file, h.checksum]);
                }
                row
            })
            .collect();
        output::write_text_table(io.out, &headers, table).map_err(CliError::Output)?;
    }
    io.out.flush().map_err(CliError::Output)
}
