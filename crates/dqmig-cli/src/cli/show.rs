//! `dqmig show REV`: one revision (or each one a target like `heads` names) in full: id,
//! parents, children, labels, dependencies, file, checksum, message and both sections'
//! statements. Also owns [`RevInfo`], the summary of a revision every listing command
//! prints (as table cells or JSON).

use dqmig::script::{Graph, RevId, Target};

use super::project::{load_config, load_graph, script_err};
use super::upgrade::shown;
use super::{output, CliError, GlobalArgs, Io};

/// Arguments of `dqmig show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A revision id, unique prefix or branch label, or head/heads/LABEL@head.
    #[arg(value_name = "REV")]
    pub rev: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What listings say about one revision.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RevInfo {
    pub revision: String,
    pub revises: Vec<String>,
    pub message: String,
    pub created: String,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub file: String,
    /// `head`, `branchpoint`, `mergepoint`, `base` (and `current` where the command knows).
    pub marks: Vec<&'static str>,
}

impl RevInfo {
    /// The summary of `id`; an id no file defines (a stale version-table row) gets empty
    /// fields and no marks.
    pub fn of(graph: &Graph, id: &RevId) -> RevInfo {
        let rev = graph.get(id);
        let mut marks = Vec::new();
        if rev.is_some() && graph.children(id).is_empty() {
            marks.push("head");
        }
        if graph.children(id).len() > 1 {
            marks.push("branchpoint");
        }
        if graph.parents(id).len() > 1 {
            marks.push("mergepoint");
        }
        if rev.is_some() && graph.parents(id).is_empty() {
            marks.push("base");
        }
        RevInfo {
            revision: id.to_string(),
            revises: graph.parents(id).iter().map(|p| p.to_string()).collect(),
            message: rev.map(|r| r.meta.message.clone()).unwrap_or_default(),
            created: rev.map(|r| r.meta.created.clone()).unwrap_or_default(),
            branch_labels: rev
                .map(|r| r.meta.branch_labels.clone())
                .unwrap_or_default(),
            depends_on: rev.map(|r| r.meta.depends_on.clone()).unwrap_or_default(),
            file: rev.map(|r| r.file.clone()).unwrap_or_default(),
            marks,
        }
    }

    /// `a1b2c3 (head, branchpoint)`, or the bare id without marks.
    pub fn titled(&self) -> String {
        if self.marks.is_empty() {
            self.revision.clone()
        } else {
            format!("{} {}", self.revision, self.marks_text())
        }
    }

    /// `(head, branchpoint)`, or "" without marks.
    pub fn marks_text(&self) -> String {
        if self.marks.is_empty() {
            String::new()
        } else {
            format!("({})", self.marks.join(", "))
        }
    }
}

#[derive(serde::Serialize)]
struct Full<'a> {
    #[serde(flatten)]
    info: RevInfo,
    children: Vec<String>,
    checksum: &'a str,
    up: Vec<&'a str>,
    down: Vec<&'a str>,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &ShowArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let config = load_config(global)?;
    let graph = load_graph(&config.versions_dir())?;
    let action = format!("showing revision {}", args.rev);
    let target = Target::parse(&args.rev).map_err(script_err(action.clone()))?;
    let ids = graph.resolve(&[], &target).map_err(script_err(action))?;
    if ids.is_empty() {
        return Err(CliError::Usage(format!(
            "`{}` names no revision (base is before the first one); give a revision id, prefix or label",
            args.rev
        )));
    }
    let mut all = Vec::new();
    for id in &ids {
        let Some(rev) = graph.get(id) else { continue };
        all.push(Full {
            info: RevInfo::of(&graph, id),
            children: graph.children(id).iter().map(|c| c.to_string()).collect(),
            checksum: &rev.checksum,
            up: rev.up.statements.iter().map(|s| s.sql.as_str()).collect(),
            down: rev.down.statements.iter().map(|s| s.sql.as_str()).collect(),
        });
    }
    let out = &mut *io.out;
    if args.json {
        if let [one] = all.as_slice() {
            output::write_json(out, one)
        } else {
            output::write_json(out, &all)
        }
        .map_err(CliError::Output)?;
    } else {
        for (n, f) in all.iter().enumerate() {
            if n > 0 {
                writeln!(out).map_err(CliError::Output)?;
            }
            write_full(out, f).map_err(CliError::Output)?;
        }
    }
    out.flush().map_err(CliError::Output)
}

fn write_full(out: &mut dyn std::io::Write, f: &Full<'_>) -> std::io::Result<()> {
    let i = &f.info;
    let ids = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            v.join(", ")
        }
    };
    let parents: Vec<RevId> = i
        .revises
        .iter()
        .filter_map(|p| RevId::parse(p).ok())
        .collect();
    writeln!(out, "Rev: {}", i.titled())?;
    writeln!(out, "Parent: {}", shown(&parents))?;
    if !f.children.is_empty() {
        writeln!(out, "Children: {}", f.children.join(", "))?;
    }
    if !i.branch_labels.is_empty() {
        writeln!(out, "Branch names: {}", ids(&i.branch_labels))?;
    }
    if !i.depends_on.is_empty() {
        writeln!(out, "Depends on: {}", ids(&i.depends_on))?;
    }
    writeln!(out, "Path: {}", i.file)?;
    if !i.created.is_empty() {
        writeln!(out, "Created: {}", i.created)?;
    }
    writeln!(out, "Checksum: {}", f.checksum)?;
    writeln!(out)?;
    writeln!(out, "    {}", i.message)?;
    writeln!(out)?;
    writeln!(out, "-- migrate:up")?;
    for s in &f.up {
        writeln!(out, "{s}")?;
    }
    writeln!(out)?;
    writeln!(out, "-- migrate:down")?;
    for s in &f.down {
        writeln!(out, "{s}")?;
    }
    Ok(())
}
