//! The progress bar of `upgrade`/`downgrade`: drawn on stderr (indicatif) only for runs of
//! several steps, only when stderr is a terminal and messages are not silenced, so pipes,
//! logs and tests see plain lines. Messages printed while the bar is shown go above it.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Io;

/// A bar over the steps of a run, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
}

/// Whether a run of `steps` steps gets a bar: several steps, messages on, stderr a terminal.
pub fn wanted(steps: usize, level: i16, stderr_is_terminal: bool) -> bool {
    steps > 1 && level >= 1 && stderr_is_terminal
}

impl Progress {
    /// A bar of `steps` steps when [`wanted`] says so for the real stderr.
    pub fn new(steps: usize, io: &Io<'_>) -> Progress {
        if !wanted(steps, io.level, std::io::stderr().is_terminal()) {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        Progress { bar: Some(bar) }
    }

    /// Prints `msg` on stderr (above the bar when there is one).
    pub fn say(&self, io: &mut Io<'_>, msg: impl std::fmt::Display) {
        match &self.bar {
            Some(bar) => bar.suspend(|| io.info(msg)),
            None => io.info(msg),
        }
    }

    /// Shows what runs now.
    pub fn set_message(&self, msg: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg);
        }
    }

    /// One more step done.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_only_for_several_steps_on_a_terminal() {
        assert!(wanted(2, 1, true));
        assert!(!wanted(1, 1, true), "one step needs no bar");
        assert!(!wanted(5, 1, false), "not on a pipe");
        assert!(!wanted(5, 0, true), "not with -q");
    }
}
