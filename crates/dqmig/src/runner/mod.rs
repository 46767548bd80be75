//! The migration runner: dqmig's version and history tables, applying
//! upgrade/downgrade plans in one Raft-committed transaction per step (or one for the whole
//! run), foreign keys off around table rebuilds, compare-and-swap on the version table so
//! concurrent migrators never apply a revision twice, replay after busy or leader-loss
//! errors, detection of applied revision files edited since, `stamp`, reading the current
//! heads and the history, and the offline `--sql` script.
//!
//! Logging (`tracing`, targets `dqmig::runner::*`): INFO "planned" (`direction`, `from`,
//! `target`, `steps`), "step applied" (`revision`, `direction`, `duration_ms`), "step
//! already applied by another migrator, skipped", "another migrator moved the version
//! table, planning again" (`found`) and "retrying" (`action`, `reason`, `attempt`,
//! `delay_ms`, `reconnect`, `outcome_unknown`); DEBUG "planning" and "running step".
//!
//! ```no_run
//! use dqmig::client::Connection;
//! use dqmig::runner::{RunOptions, Runner};
//! use dqmig::script::{fs::load_dir, Graph, Target};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let graph = Graph::from_revisions(load_dir("migrations/versions".as_ref())?)?;
//! let mut conn = Connection::open("127.0.0.1:9001", "app.db")?;
//! let runner = Runner::new(&graph, RunOptions::default());
//! let report = runner.upgrade(&mut conn, &Target::parse("head")?)?;
//! println!("applied {} revision(s); now at {:?}", report.applied.len(), report.heads);
//! # Ok(())
//! # }
//! ```

mod error;
mod observe;
mod offline;
mod run;
mod step;
pub mod tables;

pub use error::{EditedFile, FkViolation, RunError};
pub use observe::RunObserver;
pub use offline::{render_sql, OfflineScript};
pub use run::{
    AppliedStep, HistoryEntry, RunOptions, RunReport, Runner, StampReport, ACCEPT_DIRECTION,
};
pub use step::{RetryPolicy, StepOutcome};
pub use tables::TableNames;
