//! The external-command model source: a command (run by `sh -c` in the config folder) whose
//! stdout is models TOML — how a Rust app with derive models feeds autogenerate.
//!
//! The command gets a bounded time ([`DEFAULT_MODELS_COMMAND_TIMEOUT`], or dqmig.toml's
//! `models_command_timeout`): past it, the command and every process it started (its own
//! process group) are killed and the load fails naming the command.

use super::LoadError;
use crate::schema::Schema;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the models command may run before it is killed: 120 s (a cold `cargo run`
/// builds first).
pub const DEFAULT_MODELS_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// [`load_command_within`] with [`DEFAULT_MODELS_COMMAND_TIMEOUT`].
///
/// # Errors
/// As [`load_command_within`].
pub fn load_command(command: &str, dir: &Path) -> Result<Schema, LoadError> {
    load_command_within(command, dir, DEFAULT_MODELS_COMMAND_TIMEOUT)
}

/// Runs `command` in `dir` (by `sh -c`, stdin empty, in a process group of its own) and
/// loads its stdout as models TOML. Messages about the output name it `<command>` with the
/// usual line and column.
///
/// # Errors
/// [`LoadError::Command`] naming the command when it cannot start, exits non-zero (with the
/// last lines of its stderr, or "(it wrote nothing on stderr)"), runs longer than `timeout`
/// (it and its children are killed), or prints something that is not UTF-8; the errors of
/// models TOML for its output.
pub fn load_command_within(
    command: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<Schema, LoadError> {
    let fail = |detail: String| LoadError::Command {
        command: command.to_string(),
        detail,
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("could not start it: {e}")))?;
    // Each pipe is read to its end on a thread of its own, which sends what it read.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = tx.send(bytes);
        });
        rx
    };
    let pgid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the process group of our own child (its id stays reserved while any
    // process of the group lives); no memory involved.
    let kill_group = || unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                // The whole group: `sh -c` may have started the real work as its child.
                kill_group();
                let _ = child.wait();
                return Err(fail(format!(
                    "it did not finish within {} s, so it was stopped (with the processes it started); \
                     fix the command (it must print the models as TOML on stdout and exit), or raise \
                     `models_command_timeout` (seconds) in dqmig.toml",
                    timeout.as_secs_f64()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(fail(format!("could not wait for it: {e}"))),
        }
    };
    // The command has exited; a process it left in the background (`(sleep 100 &)`) may still
    // hold its stdout open, so the output would never end: the group goes, and the output
    // gets what is left of the time (at least a second) to end.
    kill_group();
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    let ended = |rx: std::sync::mpsc::Receiver<Vec<u8>>| {
        rx.recv_timeout(left).map_err(|_| {
            fail(format!(
                "it exited, but its output did not end within {} s: a process it started in a new \
                 session still holds its stdout; fix the command (it must print the models as \
                 TOML on stdout and exit, leaving nothing running)",
                timeout.as_secs_f64()
            ))
        })
    };
    let stdout = ended(stdout)?;
    let stderr = ended(stderr)?;
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let tail = if tail.iter().all(|l| l.trim().is_empty()) {
            "it wrote nothing on stderr".to_string()
        } else {
            format!("its stderr ends with:\n{}", tail.join("\n"))
        };
        return Err(fail(format!(
            "it exited with {status}; fix the command (it must print the models as TOML on stdout and exit 0); {tail}"
        )));
    }
    let text = String::from_utf8(stdout)
        .map_err(|_| fail("its output is not UTF-8 text; it must print models TOML".into()))?;
    super::load_toml_str(&format!("<output of `{command}`>"), &text)
}
