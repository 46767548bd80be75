//! `Migrator`: the runner for application code. Built from a migrations folder at run
//! time ([`Migrator::from_dir`]) or from revision files embedded in the binary at build time
//! ([`embed_migrations!`](crate::embed_migrations) or [`Migrator::from_embedded`]); then
//! `upgrade(&mut conn, "head")`, `downgrade`, `current`, `history` with the same guarantees
//! as the CLI: one transaction per step, compare-and-swap on the version table, replay
//! after busy or leader-loss errors, and edited applied files refused before anything runs.
//!
//! ```no_run
//! use dqmig::client::Connection;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Embeds <folder>/versions/*.sql (relative to Cargo.toml) into the binary; an
//! // application writes e.g. embed_migrations!("migrations").
//! let migrator = dqmig::embed_migrations!("../../examples/migrations/migrations")?;
//! let mut conn = Connection::open("127.0.0.1:9001", "app.db")?;
//! let report = migrator.upgrade(&mut conn, "head")?;
//! eprintln!("applied {} migration(s)", report.applied.len());
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use crate::client::Connection;
use crate::runner::{HistoryEntry, RunError, RunOptions, RunReport, Runner, StampReport};
use crate::script::{fs::load_dir, parse_revision, Graph, RevId, Target};

/// Embeds the migrations folder `"PATH"` (relative to the crate's `Cargo.toml`, holding
/// `versions/`) into the binary at build time. Evaluates to
/// `Result<dqmig::migrator::Migrator, dqmig::runner::RunError>`. Rebuild (touch a source
/// file) after adding a revision file; edits to listed files are picked up by cargo.
pub use dqmig_derive::embed_migrations;

/// A checked revision graph plus run options.
pub struct Migrator {
    graph: Graph,
    options: RunOptions,
}

impl Migrator {
    /// Reads `<dir>/versions/*.sql`, or `<dir>/*.sql` when `dir` has no `versions` folder.
    ///
    /// # Errors
    /// [`RunError::Script`] naming the file and line of a bad revision file, or a broken
    /// graph (missing parent, duplicate id, cycle); I/O errors reading the folder.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrator, RunError> {
        let dir = dir.as_ref();
        let versions = dir.join("versions");
        let files = load_dir(if versions.is_dir() { &versions } else { dir })?;
        Ok(Migrator::from_graph(Graph::from_revisions(files)?))
    }

    /// From `(name, text)` pairs (what `embed_migrations!` produces); names not ending in
    /// `.sql` are skipped; files are read in name order.
    ///
    /// # Errors
    /// As [`Migrator::from_dir`] (without I/O).
    pub fn from_embedded(files: &[(&str, &str)]) -> Result<Migrator, RunError> {
        let mut sorted: Vec<&(&str, &str)> =
            files.iter().filter(|(n, _)| n.ends_with(".sql")).collect();
        sorted.sort_by_key(|(n, _)| *n);
        let mut revs = Vec::with_capacity(sorted.len());
        for (name, text) in sorted {
            revs.push(parse_revision(name, text)?);
        }
        Ok(Migrator::from_graph(Graph::from_revisions(revs)?))
    }

    /// From an already built graph.
    pub fn from_graph(graph: Graph) -> Migrator {
        Migrator {
            graph,
            options: RunOptions::default(),
        }
    }

    /// Replaces the run options (table names, transaction mode, retries, `allow_edited`).
    pub fn with_options(mut self, options: RunOptions) -> Migrator {
        self.options = options;
        self
    }

    /// The checked revision graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The run options in use.
    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// The underlying runner (for `apply_step`, `edited`, offline SQL, ...).
    pub fn runner(&self) -> Runner<'_> {
        Runner::new(&self.graph, self.options.clone())
    }

    /// Upgrades to `target` (`head`, `heads`, `base`, an id or unique prefix, `+N`,
    /// `-N`, `rev+N`, `label@head`).
    ///
    /// # Errors
    /// [`RunError::Script`] for a malformed or unknown target; [`RunError::Edited`] when an
    /// applied file changed since; [`RunError::Statement`] naming the file and line of a
    /// failing statement (that step rolled back, earlier ones kept); [`RunError::GaveUp`]
    /// when the cluster stayed without a leader or busy past the retries; see [`RunError`].
    pub fn upgrade(&self, conn: &mut Connection, target: &str) -> Result<RunReport, RunError> {
        self.runner().upgrade(conn, &Target::parse(target)?)
    }

    /// Downgrades to `target` (`base`, an id, `-N`, ...).
    ///
    /// # Errors
    /// As [`Migrator::upgrade`].
    pub fn downgrade(&self, conn: &mut Connection, target: &str) -> Result<RunReport, RunError> {
        self.runner().downgrade(conn, &Target::parse(target)?)
    }

    /// The database's heads (empty before the first migration).
    ///
    /// # Errors
    /// [`RunError::Db`] when the version table cannot be read; [`RunError::BadVersionRow`]
    /// for a row that is not a revision id.
    pub fn current(&self, conn: &mut Connection) -> Result<Vec<RevId>, RunError> {
        self.runner().current(conn)
    }

    /// Whether the database is at every head of the graph.
    ///
    /// # Errors
    /// As [`Migrator::current`].
    pub fn is_up_to_date(&self, conn: &mut Connection) -> Result<bool, RunError> {
        Ok(self.current(conn)? == self.graph.heads())
    }

    /// The history table, oldest first.
    ///
    /// # Errors
    /// [`RunError::Db`] when the history table cannot be read.
    pub fn history(&self, conn: &mut Connection) -> Result<Vec<HistoryEntry>, RunError> {
        self.runner().history(conn)
    }

    /// Sets the version table to `target` without running migrations.
    ///
    /// # Errors
    /// [`RunError::Script`] for a bad target; [`RunError::Db`] when writing fails; a version
    /// table naming unknown revisions is refused unless `purge`.
    pub fn stamp(
        &self,
        conn: &mut Connection,
        target: &str,
        purge: bool,
    ) -> Result<StampReport, RunError> {
        self.runner().stamp(conn, &Target::parse(target)?, purge)
    }
}
