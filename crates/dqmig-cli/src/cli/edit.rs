//! `dqmig edit [REV]`: opens a revision file (default: the head) in `$VISUAL` or `$EDITOR`
//! (run through `sh -c`, so the variable may hold arguments), then checks that the file
//! still parses. Without either variable it falls back to `vi` on a terminal and refuses
//! otherwise. Editing a revision that was applied already is reported by the runner later.
//!
//! When the revision files do not load (a file that does not parse is what one opens an
//! editor for), a revision id or id prefix still finds its file, by file name or by its
//! `-- revision:` line; other targets need the graph.

use std::io::IsTerminal;
use std::path::PathBuf;

use dqmig::script::{fs as script_fs, parse_revision, Graph, Target};

use super::project::{load_config, load_graph, script_err};
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
    let config = load_config(global)?;
    let versions = config.versions_dir();
    let file = match load_graph(&versions) {
        Ok(graph) => file_of(&graph, &args.revision)?,
        Err(broken) => {
            let found = script_fs::find_revision_files(&versions, &args.revision).map_err(
                script_err(format!("finding revision `{}` by file name", args.revision)),
            )?;
            match found.as_slice() {
                [one] => {
                    io.info(format_args!(
                        "the revision files do not load ({}); opening {}, found by its name",
                        broken.report(),
                        one.display()
                    ));
                    one.clone()
                }
                [] => {
                    io.info(format_args!(
                        "note: `dqmig edit REV` opens a file that does not parse when REV is its revision id or a prefix of it"
                    ));
                    return Err(broken);
                }
                many => {
                    return Err(CliError::Usage(format!(
                        "`{}` matches several revision files: {}; give more of the id",
                        args.revision,
                        many.iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
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

/// The file of the one revision `rev` names in `graph`.
fn file_of(graph: &Graph, rev: &str) -> Result<PathBuf, CliError> {
    let action = format!("finding revision `{rev}`");
    let target = Target::parse(rev).map_err(script_err(action.clone()))?;
    let ids = graph.resolve(&[], &target).map_err(script_err(action))?;
    let [id] = ids.as_slice() else {
        return Err(CliError::Usage(format!(
            "`{rev}` names {} revisions; name exactly one (`dqmig heads` lists the heads)",
            if ids.is_empty() {
                "no".to_string()
            } else {
                ids.len().to_string()
            }
        )));
    };
    match graph.get(id) {
        Some(r) => Ok(PathBuf::from(&r.file)),
        None => Err(CliError::Refused(format!("revision {id} has no file"))),
    }
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
