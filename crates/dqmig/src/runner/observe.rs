//! `RunObserver`: hooks a caller passes to [`Runner::upgrade_with`](super::Runner::upgrade_with)
//! and [`Runner::downgrade_with`](super::Runner::downgrade_with) to follow a run as it goes
//! (the CLI prints Alembic-style step messages and drives its progress bar from them), so
//! the plan / apply / re-plan loop exists once, in the runner. Every hook defaults to doing
//! nothing; `()` is the observer that ignores everything.

use crate::script::{RevId, Step};

/// Follows a run. Hooks are called in this order per plan: [`planning`](Self::planning),
/// then [`planned`](Self::planned) (also with an empty plan), then per transaction
/// [`step_started`](Self::step_started) for each of its steps and
/// [`group_finished`](Self::group_finished) once; [`replanning`](Self::replanning) when
/// another migrator moved the database and the run plans again from where it is.
pub trait RunObserver {
    /// The version table was read: the run plans from `current` now.
    fn planning(&mut self, _current: &[RevId]) {}
    /// The plan from there (empty: nothing to do).
    fn planned(&mut self, _steps: &[Step]) {}
    /// `step` is about to run (with `--transaction all` every step of the run is announced
    /// before the one transaction runs).
    fn step_started(&mut self, _step: &Step) {}
    /// One transaction (one step, or every step with `--transaction all`) ended; `skipped`
    /// when the version table showed it had landed already (another migrator, or an earlier
    /// attempt whose outcome was unknown) and nothing was done.
    fn group_finished(&mut self, _steps: &[Step], _skipped: bool) {}
    /// Another migrator moved the version table to `found` (as the conflict error shows
    /// it); the run reads it again and re-plans.
    fn replanning(&mut self, _found: &str) {}
    /// What the run has done so far, after each transaction (so a caller still knows it
    /// when a later step fails: the error carries no report).
    fn progress(&mut self, _report: &super::RunReport) {}
}

/// Observes nothing.
impl RunObserver for () {}
