//! The external-command model source: a command (run by `sh -c` in the config folder) whose
//! stdout is models TOML — how a Rust app with derive models feeds autogenerate.

use super::LoadError;
use crate::schema::Schema;
use std::path::Path;
use std::process::Command;

/// Runs `command` in `dir` and loads its stdout as models TOML. Messages about the output
/// name it `<command>` with the usual line and column.
pub fn load_command(command: &str, dir: &Path) -> Result<Schema, LoadError> {
    let fail = |detail: String| LoadError::Command {
        command: command.to_string(),
        detail,
    };
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .output()
        .map_err(|e| fail(format!("could not start it: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(fail(format!(
            "it exited with {}; fix the command (it must print the models as TOML on stdout and exit 0); its stderr ends with:\n{}",
            output.status,
            tail.join("\n")
        )));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| fail("its output is not UTF-8 text; it must print models TOML".into()))?;
    super::load_toml_str(&format!("<output of `{command}`>"), &text)
}
