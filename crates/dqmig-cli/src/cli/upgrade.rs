//! `dqmig upgrade [TARGET]` (default `head`), and the run loop `downgrade` shares: plan
//! against the version table, announce each step the way Alembic does ("Running upgrade
//! a1b2 -> c3d4, Add users") on stderr with a progress bar on a terminal, apply each step
//! in its own Raft-committed transaction (or all in one with `--transaction all`), and
//! re-plan when another migrator moved the database meanwhile. `--sql` prints the offline
//! script on stdout instead and needs no database.

use dqmig::config::TransactionMode;
use dqmig::runner::{render_sql, RunError, RunObserver, RunReport, Runner};
use dqmig::script::{Direction, Graph, RevId, Step, Target};

use super::progress::Progress;
use super::project::{self, run_err, script_err, Project, ProjectExt};
use super::{output, CliError, GlobalArgs, Io};

/// `--transaction` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransactionArg {
    /// One transaction around every step of the run.
    All,
    /// One transaction per revision (the default of dqmig.toml).
    PerStep,
}

/// Arguments of `dqmig upgrade`.
#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// Where to go: head, heads, a revision id or unique prefix, a branch label, +N,
    /// REV+N, LABEL@head. With --sql also a range FROM:TO (FROM is taken as applied).
    #[arg(value_name = "TARGET", default_value = "head")]
    pub target: String,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options `upgrade` and `downgrade` share.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Print the SQL script (BEGIN/COMMIT, foreign-key pragmas, version-table updates) on
    /// stdout instead of running it; touches no database.
    #[arg(long)]
    pub sql: bool,
    /// One transaction per step (default: dqmig.toml's `transaction`, else per-step), or
    /// one around the whole run.
    #[arg(long, value_enum, value_name = "MODE")]
    pub transaction: Option<TransactionArg>,
    /// Run even though applied revision files changed since they were applied.
    #[arg(long)]
    pub allow_edited: bool,
    /// Print what the run did as JSON on stdout (applied steps, skipped ones, final heads).
    #[arg(long, conflicts_with = "sql")]
    pub json: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &UpgradeArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    migrate(global, &args.target, &args.run, Direction::Up, io)
}

fn verb(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

/// Revisions as Alembic writes them in messages: `<base>` for none, else comma-separated.
pub(super) fn shown(ids: &[RevId]) -> String {
    if ids.is_empty() {
        "<base>".to_string()
    } else {
        ids.iter().map(RevId::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// `Running upgrade a1b2 -> c3d4, Add users` (parents -> revision; reversed for a downgrade).
pub fn step_message(graph: &Graph, step: &Step) -> String {
    let rev = shown(std::slice::from_ref(&step.revision));
    let parents = shown(graph.parents(&step.revision));
    let message = graph
        .get(&step.revision)
        .map(|r| r.meta.message.as_str())
        .unwrap_or("");
    let (from, to) = match step.direction {
        Direction::Up => (parents, rev),
        Direction::Down => (rev, parents),
    };
    format!("Running {} {from} -> {to}, {message}", verb(step.direction))
}

/// The steps of an offline run (see [`Graph::plan_offline`]).
pub fn offline_steps(
    graph: &Graph,
    text: &str,
    direction: Direction,
) -> Result<Vec<Step>, CliError> {
    graph
        .plan_offline(text, direction)
        .map_err(script_err(format!(
            "planning the offline {} to {text}",
            verb(direction)
        )))
}

/// Upgrade or downgrade to `target`, online or (`--sql`) offline.
pub(super) fn migrate(
    global: &GlobalArgs,
    target_text: &str,
    args: &RunArgs,
    direction: Direction,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let project = Project::load_cli(global)?;
    let mut options = project.run_options();
    if let Some(t) = args.transaction {
        options.transaction = match t {
            TransactionArg::All => TransactionMode::All,
            TransactionArg::PerStep => TransactionMode::PerStep,
        };
    }
    options.allow_edited = args.allow_edited;
    if args.sql {
        let steps = offline_steps(&project.graph, target_text, direction)?;
        let script = render_sql(&project.graph, &steps, &options)
            .map_err(run_err("rendering the offline SQL script"))?;
        write!(io.out, "{script}").map_err(CliError::Output)?;
        return io.out.flush().map_err(CliError::Output);
    }
    let target = Target::parse(target_text).map_err(script_err(format!(
        "reading the {} target",
        verb(direction)
    )))?;
    let mut db = project.open(global, io)?;
    let runner = project.runner(options);
    let report = warn_edited(&runner, &mut db, args.allow_edited, io)
        .map_err(|e| Box::new(Failed::before_running(e)))
        .and_then(|()| drive(&runner, &mut db, &target, direction, io));
    let closed = project::close(db);
    let report = match report {
        Ok(report) => report,
        Err(failed) => {
            if args.json {
                // The same document on failure, so a deploy script sees what did land.
                let doc = failed.document();
                output::write_json(io.out, &doc).map_err(CliError::Output)?;
                io.out.flush().map_err(CliError::Output)?;
            }
            return Err(failed.error);
        }
    };
    closed?;
    if args.json {
        output::write_json(io.out, &report).map_err(CliError::Output)?;
        io.out.flush().map_err(CliError::Output)?;
    }
    Ok(())
}

/// A run that failed: the error, what the run did before it, and the error's structured
/// fields for `--json`.
struct Failed {
    error: CliError,
    report: RunReport,
    revision: Option<String>,
    file: Option<String>,
    line: Option<usize>,
    sqlite_code: Option<u64>,
}

impl Failed {
    fn before_running(error: CliError) -> Failed {
        Failed {
            error,
            report: RunReport::default(),
            revision: None,
            file: None,
            line: None,
            sqlite_code: None,
        }
    }

    fn of_run(
        error: &RunError,
        report: RunReport,
    ) -> (
        Option<String>,
        Option<String>,
        Option<usize>,
        Option<u64>,
        RunReport,
    ) {
        let (file, line) = match error.location() {
            Some((f, l)) => (Some(f.to_string()), l),
            None => (None, None),
        };
        (
            error.revision().map(str::to_string),
            file,
            line,
            error.client_error().and_then(|e| e.code()),
            report,
        )
    }

    /// `{"applied": [...], "skipped": [...], "heads": [...], "error": {...}}`.
    fn document(&self) -> serde_json::Value {
        let mut doc = serde_json::to_value(&self.report).unwrap_or_else(|_| serde_json::json!({}));
        doc["error"] = serde_json::json!({
            "message": self.error.report(),
            "revision": self.revision,
            "file": self.file,
            "line": self.line,
            "sqlite_code": self.sqlite_code,
        });
        doc
    }
}

/// With `--allow-edited`, names the applied files that changed since they were applied
/// (the run goes on regardless).
fn warn_edited(
    runner: &Runner<'_>,
    conn: &mut dqmig::client::Connection,
    allow_edited: bool,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    if !allow_edited {
        return Ok(());
    }
    let current = runner
        .current(conn)
        .map_err(run_err("reading the current revision"))?;
    let edited = runner.edited(conn, &current).map_err(run_err(
        "comparing applied revision files with their checksums",
    ))?;
    for f in &edited {
        io.info(format_args!(
            "warning: going on although {} (revision {}) changed since it was applied (checksum {} then, {} now); `dqmig accept-edits` records the new checksum after a review",
            f.file, f.revision, f.applied_checksum, f.current_checksum
        ));
    }
    Ok(())
}

/// Runs the migration through the runner, announcing each step (see [`Announcer`]); the
/// runner re-plans when another migrator moved the version table.
fn drive(
    runner: &Runner<'_>,
    conn: &mut dqmig::client::Connection,
    target: &Target,
    direction: Direction,
    io: &mut Io<'_>,
) -> Result<RunReport, Box<Failed>> {
    let what = format!("{} to {target}", verb(direction));
    let mut announcer = Announcer {
        graph: runner.graph(),
        io,
        progress: None,
        at: Vec::new(),
        announced: Vec::new(),
        so_far: RunReport::default(),
    };
    let result = match direction {
        Direction::Up => runner.upgrade_with(conn, target, &mut announcer),
        Direction::Down => runner.downgrade_with(conn, target, &mut announcer),
    };
    announcer.progress = None;
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let (revision, file, line, sqlite_code, mut report) =
                Failed::of_run(&e, std::mem::take(&mut announcer.so_far));
            if report.heads.is_empty() {
                report.heads = announcer.at.iter().map(|r| r.to_string()).collect();
            }
            let error = match e {
                RunError::Script(e) => {
                    let action = format!("{what} (the database is at {})", shown(&announcer.at));
                    script_err(action)(*e)
                }
                e => run_err(what)(e),
            };
            return Err(Box::new(Failed {
                error,
                report,
                revision,
                file,
                line,
                sqlite_code,
            }));
        }
    };
    if report.applied.is_empty() && report.skipped.is_empty() {
        let heads = if report.heads.is_empty() {
            "<base>".to_string()
        } else {
            report.heads.join(", ")
        };
        let hint = nothing_to_do_hint(runner.graph(), &announcer.at, target, direction);
        announcer.io.info(format_args!(
            "Nothing to {}: the database is at {heads}.{hint}",
            verb(direction)
        ));
    }
    Ok(report)
}

/// What to say after "Nothing to upgrade/downgrade" when the target is not where the
/// database is: a target behind it (upgrade) or ahead of it (downgrade) needs the other
/// command. Empty when the database is at the target.
fn nothing_to_do_hint(
    graph: &Graph,
    at: &[RevId],
    target: &Target,
    direction: Direction,
) -> String {
    let Ok(named) = graph.resolve(at, target) else {
        return String::new();
    };
    let set = |ids: &[RevId]| {
        ids.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    if set(&named) == set(at) {
        return String::new();
    }
    match direction {
        Direction::Up => format!(
            " {target} is already applied (the database is past it); to go back to it, run `dqmig downgrade {target}`."
        ),
        Direction::Down => format!(
            " {target} is not applied yet; to go forward to it, run `dqmig upgrade {target}`."
        ),
    }
}

/// Prints Alembic-style messages as the runner goes and drives the progress bar (one per
/// plan; dropped before a re-plan note and at the end, also on errors).
struct Announcer<'g, 'a, 'b> {
    graph: &'g Graph,
    io: &'a mut Io<'b>,
    progress: Option<Progress>,
    /// Where the database was when the run last planned (for planning errors).
    at: Vec<RevId>,
    /// Steps announced whose transaction has not finished yet.
    announced: Vec<RevId>,
    /// What the run did so far (for `--json` when a later step fails).
    so_far: RunReport,
}

impl RunObserver for Announcer<'_, '_, '_> {
    fn planning(&mut self, current: &[RevId]) {
        self.at = current.to_vec();
    }

    fn planned(&mut self, steps: &[Step]) {
        self.progress = None;
        if !steps.is_empty() {
            self.progress = Some(Progress::new(steps.len(), self.io));
        }
    }

    fn step_started(&mut self, step: &Step) {
        self.announced.push(step.revision.clone());
        let msg = step_message(self.graph, step);
        match &self.progress {
            Some(p) => {
                p.set_message(msg.clone());
                p.say(self.io, msg);
            }
            None => self.io.info(msg),
        }
    }

    fn group_finished(&mut self, steps: &[Step], skipped: bool) {
        self.announced.clear();
        if skipped {
            let ids: Vec<&str> = steps.iter().map(|s| s.revision.as_str()).collect();
            let msg = format!(
                "  (already applied by another migrator: {})",
                ids.join(", ")
            );
            match &self.progress {
                Some(p) => p.say(self.io, msg),
                None => self.io.info(msg),
            }
        }
        if let Some(p) = &self.progress {
            p.inc(steps.len() as u64);
        }
    }

    fn progress(&mut self, report: &RunReport) {
        // A step whose COMMIT had an unknown outcome says how it was resolved (this run
        // applied it either way; "another migrator" is kept for the real concurrent case).
        for step in report.applied.iter().skip(self.so_far.applied.len()) {
            let msg = match step.commit_in_doubt {
                Some("landed") => format!(
                    "  (the leader was lost while committing {}; the new leader shows that this run's COMMIT landed)",
                    step.revision
                ),
                Some(_) => format!(
                    "  (the leader was lost while committing {}; the new leader shows that COMMIT did not land, so the step ran again and committed once)",
                    step.revision
                ),
                None => continue,
            };
            match &self.progress {
                Some(p) => p.say(self.io, msg),
                None => self.io.info(msg),
            }
        }
        self.so_far = report.clone();
    }

    fn replanning(&mut self, found: &str) {
        self.progress = None;
        // A step announced but not run is followed by what happened to it.
        let not_run = std::mem::take(&mut self.announced);
        if !not_run.is_empty() {
            let ids: Vec<&str> = not_run.iter().map(RevId::as_str).collect();
            self.io.info(format_args!(
                "  (not run by this process: {})",
                ids.join(", ")
            ));
        }
        self.io.info(format_args!(
            "Another migrator moved the database to {found}; planning again from there."
        ));
    }
}
