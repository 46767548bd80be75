//! `dqmig edit [REV]`: opens a revision file (default: the head) in `$VISUAL` or `$EDITOR`
//! (split into a program and its arguments with POSIX shell quoting by `shell-words`, so
//! `EDITOR="code --wait"` works; the program is run directly, not through a shell), then
//! checks that the file still parses. Without either variable it falls back to `vi` on a terminal and refuses
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
    let status = std::process::Command::new(&editor.program)
        .args(&editor.args)
        .arg(&file)
        .status()
        .map_err(|source| {
            CliError::Refused(format!(
                "could not start the editor `{editor}` (from $VISUAL or $EDITOR) to edit {}: {source}; \
                 set VISUAL or EDITOR to an installed editor, e.g. EDITOR=nano",
                file.display()
            ))
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

/// The editor command: a program and the arguments to pass before the file.
#[derive(Debug, PartialEq, Eq)]
struct Editor {
    program: String,
    args: Vec<String>,
}

impl std::fmt::Display for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&shell_words::join(
            std::iter::once(&self.program).chain(&self.args),
        ))
    }
}

/// `$VISUAL`, else `$EDITOR`, else `vi` on a terminal; an error otherwise.
fn editor(terminal: bool) -> Result<Editor, CliError> {
    let var = |name: &str| std::env::var(name).ok();
    editor_from(var("VISUAL"), var("EDITOR"), terminal)
}

/// [`editor`] with the variables given (blank ones count as unset).
fn editor_from(
    visual: Option<String>,
    editor: Option<String>,
    terminal: bool,
) -> Result<Editor, CliError> {
    for (name, value) in [("VISUAL", visual), ("EDITOR", editor)] {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let words = shell_words::split(&value).map_err(|e| {
            CliError::Refused(format!(
                "${name} is `{value}`, which does not split into words ({e}); fix its quoting"
            ))
        })?;
        let mut words = words.into_iter();
        if let Some(program) = words.next() {
            return Ok(Editor {
                program,
                args: words.collect(),
            });
        }
    }
    if terminal {
        return Ok(Editor {
            program: "vi".to_string(),
            args: Vec::new(),
        });
    }
    Err(CliError::Refused(
        "no editor: set EDITOR (e.g. EDITOR=nano), or run `dqmig edit` on a terminal".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(e: &Editor) -> Vec<&str> {
        std::iter::once(e.program.as_str())
            .chain(e.args.iter().map(String::as_str))
            .collect()
    }

    #[test]
    fn editor_variables_split_like_a_shell() {
        let s = |v: &str| Some(v.to_string());
        let e = editor_from(s("code --wait"), s("nano"), false).unwrap();
        assert_eq!(words(&e), ["code", "--wait"]);
        assert_eq!(e.to_string(), "code --wait");
        let e = editor_from(None, s("'/opt/my editor/ed' -c \"set ft=sql\""), false).unwrap();
        assert_eq!(words(&e), ["/opt/my editor/ed", "-c", "set ft=sql"]);
        let e = editor_from(s("  "), s("nano"), false).unwrap();
        assert_eq!(words(&e), ["nano"]);
        assert_eq!(words(&editor_from(None, None, true).unwrap()), ["vi"]);
        let no = editor_from(None, None, false).unwrap_err().to_string();
        assert!(no.contains("set EDITOR"), "{no}");
        let bad = editor_from(s("vim 'unclosed"), None, true)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("$VISUAL") && bad.contains("quoting"), "{bad}");
    }
}
