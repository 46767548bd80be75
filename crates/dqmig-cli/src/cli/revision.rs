//! `dqmig revision -m MSG [--autogenerate] ...`: a new revision file in the versions folder,
//! made from the folder's template. Without `--autogenerate` its up and down are empty. With
//! it: the database must be at head; the live schema is diffed against the models (renames
//! from `renamed_from`, `--rename` and, on a terminal, the rename prompt), rendered, and the
//! data-loss warnings are printed on stderr with the affected row counts of the live
//! database. No changes: nothing is written. The path written goes to stdout.

use std::io::IsTerminal;

use dqmig::autogen::{rename_candidates, RenameHints, Rendered, Stmt, Warning};
use dqmig::open::Database;
use dqmig::schema::Schema;
use dqmig::script::{check_rendered, file_name, fs as script_fs, render_revision, NewRevision};

use super::project::{self, close, script_err, Project, ProjectExt};
use super::prompt::{ask_renames, TerminalAsk};
use super::{CliError, GlobalArgs, Io};

/// Arguments of `dqmig revision`.
#[derive(Debug, clap::Args)]
pub struct RevisionArgs {
    /// What the revision does (first line of the file's header and its file name's slug).
    #[arg(short, long, value_name = "MSG")]
    pub message: String,

    /// Fill up and down from the difference between the database and the models.
    #[arg(long)]
    pub autogenerate: bool,

    /// The new revision's id (default: 12 random hex digits).
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,

    /// The parent: a revision, `head` (default) or `base` for a new base.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,

    /// Allow a parent that is not a head (starts a new branch).
    #[arg(long)]
    pub splice: bool,

    /// A branch label for the new revision (repeatable).
    #[arg(long = "branch-label", value_name = "LABEL")]
    pub branch_labels: Vec<String>,

    /// A revision (or label) this one depends on besides its parent (repeatable).
    #[arg(long = "depends-on", value_name = "REV")]
    pub depends_on: Vec<String>,

    /// With --autogenerate: a rename, `old=new` for a table or `table.old=new` for a column
    /// (`table` as named in the models); repeatable. Keeps the data a drop plus an add loses.
    #[arg(long = "rename", value_name = "OLD=NEW")]
    pub renames: Vec<String>,

    /// Never ask about renames, even on a terminal (unhinted renames become drop + add).
    #[arg(long)]
    pub no_prompt: bool,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &RevisionArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    if !args.autogenerate && (!args.renames.is_empty() || args.no_prompt) {
        return Err(CliError::Usage(
            "--rename and --no-prompt only apply with --autogenerate".into(),
        ));
    }
    check_message(&args.message)?;
    let project = Project::load_cli(global)?;
    let graph = &project.graph;
    let created = now();
    let request = NewRevision {
        message: &args.message,
        rev_id: args.rev_id.as_deref(),
        head: args.head.as_deref(),
        splice: args.splice,
        branch_labels: &args.branch_labels,
        depends_on: &args.depends_on,
        created: &created,
    };
    let meta = graph
        .new_revision(&request, rev_id_source()?)
        .map_err(script_err("deciding the new revision's header"))?;
    let (up, down) = if args.autogenerate {
        match autogenerate(global, &project, args, io)? {
            Some(r) => (texts(&r.up.stmts), texts(&r.down.stmts)),
            None => return Ok(()),
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let path = write(&project, &meta, &up, &down)?;
    writeln!(io.out, "{}", path.display()).map_err(CliError::Output)?;
    io.out.flush().map_err(CliError::Output)
}

/// Refuses a blank revision message (`-m ""`): it heads the file, names it and is what
/// `dqmig history` shows, so a revision without one cannot be told apart.
pub(super) fn check_message(message: &str) -> Result<(), CliError> {
    if message.trim().is_empty() {
        return Err(CliError::Usage(
            "the revision message is empty: pass what the revision does with -m, e.g. -m \"add users\" (it heads the file, names it and is what `dqmig history` shows)".into(),
        ));
    }
    Ok(())
}

/// Writes a revision file from the migrations folder's template; returns its path.
pub(super) fn write(
    project: &Project,
    meta: &dqmig::script::RevisionMeta,
    up: &[String],
    down: &[String],
) -> Result<std::path::PathBuf, CliError> {
    let cfg = &project.config;
    let template = script_fs::read_template(&cfg.migrations).map_err(script_err(format!(
        "reading the revision template of {}",
        cfg.migrations.display()
    )))?;
    let name =
        file_name(&cfg.file_template, meta).map_err(script_err("naming the revision file"))?;
    let text = render_revision(&template, meta, up, down);
    // The file must read back as this revision (a template can break it): refused before
    // anything is written, naming the template.
    let template_file = cfg.migrations.join(script_fs::TEMPLATE_FILE);
    let versions = project.versions_dir();
    check_rendered(
        &template_file.display().to_string(),
        &template,
        &versions.join(&name).display().to_string(),
        &text,
        meta,
    )
    .map_err(script_err("checking the new revision file"))?;
    script_fs::write_revision(&versions, &name, &text)
        .map_err(script_err("writing the revision file"))
}

/// The creation time written in a new revision's header (UTC, RFC 3339, seconds).
pub(super) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The random numbers new revision ids are made of: a `fastrand` generator seeded once from
/// the operating system's random source (`getrandom`). The script layer takes the source as
/// a parameter and never draws one itself.
///
/// # Errors
/// The operating system gave no random bytes.
pub(super) fn rev_id_source() -> Result<impl FnMut() -> u64, CliError> {
    let seed = getrandom::u64().map_err(|e| {
        CliError::Refused(format!(
            "reading the system's random source for a new revision id: {e}; pass --rev-id"
        ))
    })?;
    let mut rng = fastrand::Rng::with_seed(seed);
    Ok(move || rng.u64(..))
}

fn texts(stmts: &[Stmt]) -> Vec<String> {
    stmts.iter().map(Stmt::to_text).collect()
}

/// The autogenerated up and down, or `None` (after saying so) when nothing changed.
fn autogenerate(
    global: &GlobalArgs,
    project: &Project,
    args: &RevisionArgs,
    io: &mut Io<'_>,
) -> Result<Option<Rendered>, CliError> {
    let (target, renamed_from) = project::load_models(&project.config)?;
    let url = project.url(global)?;
    let mut db = project::open_url(&url, io)?;
    project
        .require_head(&mut db.conn)
        .map_err(project::project_err)?;
    let current = project::live_schema(&project.config, &mut db)?;

    let mut hints = RenameHints::new();
    hints.add_models(&renamed_from);
    let mut flags = RenameHints::new();
    for value in &args.renames {
        flags
            .add_flag(value)
            .map_err(|e| CliError::Autogen(Box::new(e)))?;
        hints
            .add_flag(value)
            .map_err(|e| CliError::Autogen(Box::new(e)))?;
    }
    let empty = Schema::default();
    let given = flags.unused(&empty, &empty);
    let unfit: Vec<String> = hints
        .unused(&current, &target)
        .into_iter()
        .filter(|h| given.contains(h))
        .collect();
    if !unfit.is_empty() {
        return Err(CliError::Usage(format!(
            "--rename {}: the database and the models do not drop the old name and add the new one; check the names (`dqmig check` lists the differences)",
            unfit.join(", --rename ")
        )));
    }
    if !args.no_prompt && std::io::stdin().is_terminal() {
        ask_renames(&current, &target, &mut hints, &mut TerminalAsk)?;
    } else {
        for c in rename_candidates(&current, &target, &hints) {
            io.info(format_args!(
                "note: this may be a rename; it is written as a drop plus an add, which loses the data: pass --rename {} to keep it",
                c.flag()
            ));
        }
    }

    let Some((ops, rendered)) =
        dqmig::project::autogenerate(&current, &target, &hints).map_err(project::project_err)?
    else {
        io.info("no changes: the database already matches the models; no revision file written");
        close(db)?;
        return Ok(None);
    };
    for op in &ops {
        io.debug(format_args!("  {}", op.describe()));
    }
    print_warnings(&rendered.up.warnings, &mut db, io);
    close(db)?;
    Ok(Some(rendered))
}

/// Prints each warning on stderr with the affected row count from the live database.
pub(super) fn print_warnings(warnings: &[Warning], db: &mut Database, io: &mut Io<'_>) {
    for w in warnings {
        let count = w.query.as_ref().map(|q| {
            match db
                .conn
                .query_row(&q.sql, &[])
                .and_then(|row| row.get::<i64>(0))
            {
                Ok(n) => format!(" ({n} {} now)", q.what),
                Err(e) => format!(" (counting {} failed: {e})", q.what),
            }
        });
        let prefix = io.style.warning_prefix();
        io.info(format_args!(
            "{prefix} {}{}",
            w.message,
            count.unwrap_or_default()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqmig::script::RevId;

    #[test]
    fn generated_revision_ids_are_12_hex_digits_and_differ() {
        let ids: std::collections::BTreeSet<String> = (0..32)
            .map(|_| {
                let source = rev_id_source().expect("the OS random source");
                RevId::generate(source, |_| false)
                    .expect("an id")
                    .to_string()
            })
            .collect();
        assert_eq!(ids.len(), 32, "{ids:?}");
        for id in &ids {
            assert_eq!(id.len(), 12, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
        }
        // One source draws different ids for a taken one.
        let mut source = rev_id_source().expect("the OS random source");
        assert_ne!(source(), source());
    }
}
