//! `dqmig edit [REV]`: opens a revision file (default: the head) in `$VISUAL` or `$EDITOR`
//! (run through `sh -c`, so the variable may hold arguments), then checks that the file
//! still parses. Without either variable it falls back to `vi` on a terminal and refuses
//! otherwise. Editing a revision that was applied already is reported by the runner later.

use std::io::IsTerminal;
use std::path::PathBuf;

use dqmig::script::{parse_revision, Target};

use super::project::{ProjectExt, script_err, Project};
use super::{CliError, GlobalArgs, Io};

/// Arguments of `dqmig edit`.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The revision to edit: an id, a unique prefix, a branch label or `head`.
    #[arg(value_name = "REV", default_value = "head")]
    pub revision: String,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &EditArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let project = Project::load_cli(global)?;
    let graph = &project.graph;
    let action = format!("finding revision `{}`", args.revision);
    let target = Target::parse(&args.revision).map_err(script_err(action.clone()))?;
    let ids = graph.resolve(&[], &target).map_err(script_err(action))?;
    let [id] = ids.as_slice() else {
        return Err(CliError::Usage(format!(
            "`{}` names {} revisions; name exactly one (`dqmig heads` lists the heads)",
            args.revision,
            if ids.is_empty() {
                "no".to_string()
            } else {
                ids.len().to_string()
            }
        )));
    };
    let file = match graph.get(id) {
        Some(r) => PathBuf::from(&r.file),
        None => return Err(CliError::Refused(format!("revision {id} has no file"))),
    };
    let editor = editor(std::io::stdin().is_terminal())?;
    io.debug(format_args!("running {editor} {}", file.display()));
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("sh")
        .arg(&file)
        .status()
        .map_err(|source| CliError::Io {
            action: "starting the editor for",
            path: file.clone(),
            source,
        })?;
    if !status.success() {
        return Err(CliError::Refused(format!(
            "the editor `{editor}` exited with {status} while editing {}",
            file.display()
        )));
    }
    let text = std::fs::read_to_string(&file).map_err(|source| CliError::Io {
        action: "reading",
        path: file.clone(),
        source,
    })?;
    parse_revision(&file.display().to_string(), &text)
        .map_err(script_err("checking the edited revision file"))?;
    writeln!(io.out, "{}", file.display()).map_err(CliError::Output)?;
    io.out.flush().map_err(CliError::Output)
}

/// `$VISUAL`, else `$EDITOR`, else `vi` on a terminal; an error otherwise.
fn editor(terminal: bool) -> Result<String, CliError> {
    for var in ["VISUAL", "EDITOR"] {
        if let Some(v) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
            return Ok(v);
        }
    }
    if terminal {
        return Ok("vi".to_string());
    }
    Err(CliError::Refused(
        "no editor: set EDITOR (e.g. EDITOR=nano), or run `dqmig edit` on a terminal".into(),
    ))
}
