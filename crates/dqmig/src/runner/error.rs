//! The runner's one error type. Every variant says which revision (and file) was being
//! applied or undone, what happened to the database (a failed step is rolled back, and only
//! an error that knows it says so), and what to do next.

use crate::client;
use crate::script::ScriptError;

/// A row `PRAGMA foreign_key_check` reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FkViolation {
    pub table: String,
    /// `None` for a WITHOUT ROWID table.
    pub rowid: Option<i64>,
    pub parent: String,
}

/// An applied revision whose file changed since it ran.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditedFile {
    pub revision: String,
    pub file: String,
    /// The checksum the history table recorded when the revision was last applied.
    pub applied_checksum: String,
    /// The file's checksum now.
    pub current_checksum: String,
}

fn list_violations(v: &[FkViolation]) -> String {
    v.iter()
        .map(|x| match x.rowid {
            Some(r) => format!("{} rowid {} (no matching row in {})", x.table, r, x.parent),
            None => format!(
                "{} (a row without rowid; no matching row in {})",
                x.table, x.parent
            ),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_edited(v: &[EditedFile]) -> String {
    v.iter()
        .map(|e| {
            format!(
                "{} (revision {}: applied as {}, now {})",
                e.file,
                e.revision,
                &e.applied_checksum[..e.applied_checksum.len().min(12)],
                &e.current_checksum[..e.current_checksum.len().min(12)]
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Errors of running, stamping and reading migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Revision files, the graph or the target.
    #[error(transparent)]
    Script(Box<ScriptError>),

    /// A database request outside a step's statements failed.
    #[error("{action}: {source}")]
    Db {
        action: String,
        #[source]
        source: Box<client::Error>,
    },

    /// One of the step's own statements failed; the step was rolled back.
    #[error("{direction} revision {revision}: the statement at {file}:{line} failed: {source}; the step was rolled back, so the database and the version table are as before it; fix the file and run again")]
    Statement {
        revision: String,
        direction: &'static str,
        file: String,
        line: usize,
        #[source]
        source: Box<client::Error>,
    },

    /// The transaction dqmig opened for a step was gone after the step's statements (one of
    /// them ended it: a transaction-control statement the file check missed, or a conflict
    /// clause or trigger using ROLLBACK). Nothing was recorded for the step, but what the
    /// statements did before may have been committed: it is not known to be rolled back.
    #[error("{direction} revision {revision}: the transaction dqmig opened for the step had ended by the time its statements from {file}:{line} on were done ({source}); dqmig wrote nothing to its version or history table for this step. What ran before may have been committed if a statement of the step ended the transaction (COMMIT, END, ROLLBACK, RELEASE: remove it from the file); SQLite also ends a transaction itself, rolling it back, on some errors (an I/O error such as 522, a full disk, an OR ROLLBACK conflict clause, a trigger raising ROLLBACK): check the data")]
    TransactionEnded {
        revision: String,
        direction: &'static str,
        file: String,
        line: usize,
        #[source]
        source: Box<client::Error>,
    },

    /// `accept_edits` was asked for a revision that is not an edited applied file.
    #[error("revision {revision} is not an applied revision whose file changed since (edited applied files: {}); nothing was recorded; name only edited files, or run `dqmig accept-edits` without revisions to accept every edited file", if edited.is_empty() { "none" } else { edited.as_str() })]
    NotEdited { revision: String, edited: String },

    /// The version table was not where this run expected it: someone else migrated.
    #[error("another migrator moved the database from {expected} to {found} while this one was about to {direction} revision {revision}; nothing of this step was applied; run the command again to continue from where the database is now")]
    Conflict {
        revision: String,
        direction: &'static str,
        expected: String,
        found: String,
    },

    /// A compare-and-swap write on the version table changed the wrong number of rows.
    #[error("{direction} revision {revision}: updating the version table with `{sql}` changed {changed} rows instead of {expected}; another migrator (or a hand edit) changed it; the step was rolled back; check `dqmig current` and run again")]
    VersionCas {
        revision: String,
        direction: &'static str,
        sql: String,
        expected: u64,
        changed: u64,
    },

    /// `PRAGMA foreign_key_check` found rows without parents after a rebuild step.
    #[error("{direction} revision {revision} ({file}) leaves rows whose foreign keys point nowhere: {}; the step was rolled back; fix the data or the migration and run again", list_violations(.violations))]
    ForeignKeys {
        revision: String,
        direction: &'static str,
        file: String,
        violations: Vec<FkViolation>,
    },

    /// The database stayed locked (or the leader stayed away) past the retry bound.
    #[error("{action}: gave up after {attempts} attempts: {source}; another migrator or writer may hold the database, or the cluster has no leader; run again later")]
    GaveUp {
        action: String,
        attempts: u32,
        #[source]
        source: Box<client::Error>,
    },

    /// Applied revisions whose files changed since.
    #[error("{} applied revision file(s) changed since they were applied: {}; nothing was run; restore the files (the database already has what they used to say), or after reviewing the changes run `dqmig accept-edits` to record their new checksums (or pass --allow-edited to go on once)", .files.len(), list_edited(.files))]
    Edited { files: Vec<EditedFile> },

    /// The version table holds something that is not a revision id.
    #[error("the version table {table} holds {value:?}, which is not a revision id; fix it with `dqmig stamp --purge`")]
    BadVersionRow { table: String, value: String },

    /// A step names a revision the graph does not have.
    #[error("step for revision {revision}: no such revision in the versions folder")]
    UnknownRevision { revision: String },
}

impl RunError {
    /// The revision the error is about, when it is about one.
    pub fn revision(&self) -> Option<&str> {
        match self {
            RunError::Statement { revision, .. }
            | RunError::TransactionEnded { revision, .. }
            | RunError::NotEdited { revision, .. }
            | RunError::Conflict { revision, .. }
            | RunError::VersionCas { revision, .. }
            | RunError::ForeignKeys { revision, .. }
            | RunError::UnknownRevision { revision } => Some(revision),
            _ => None,
        }
    }

    /// The revision file and (where known) the 1-based line of the statement at fault.
    pub fn location(&self) -> Option<(&str, Option<usize>)> {
        match self {
            RunError::Statement { file, line, .. }
            | RunError::TransactionEnded { file, line, .. } => Some((file, Some(*line))),
            RunError::ForeignKeys { file, .. } => Some((file, None)),
            _ => None,
        }
    }

    /// The dqlite client error underneath, if any (its SQLite code: `client::Error::code`).
    pub fn client_error(&self) -> Option<&client::Error> {
        match self {
            RunError::Db { source, .. }
            | RunError::Statement { source, .. }
            | RunError::TransactionEnded { source, .. }
            | RunError::GaveUp { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<ScriptError> for RunError {
    fn from(e: ScriptError) -> RunError {
        RunError::Script(Box::new(e))
    }
}
