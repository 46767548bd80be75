//! Revision scripts (DESIGN.md §3.5–§3.7): revision files (header, `-- migrate:up` and
//! `-- migrate:down` sections split into statements with sqlparser), their checksums, the
//! template new files are written from, file names, revision ids and branch labels, the
//! revision graph (heads, branches, merges, dependencies) and the target grammar with
//! upgrade/downgrade plans for the runner.
//!
//! Pure except [`fs`], which reads and writes files. Ids and times are passed in.

mod checksum;
mod error;
pub mod fs;
mod graph;
mod new;
mod parse;
mod plan;
mod render;
mod revid;
mod split;
mod target;

pub use checksum::{checksum, normalize};
pub use error::ScriptError;
pub use graph::Graph;
pub use new::NewRevision;
pub use plan::{Direction, Step};
pub use target::Target;
pub use parse::{parse_revision, Revision, RevisionMeta, Section};
pub use render::{file_name, render_revision, slug, validate_file_template, validate_template, DEFAULT_FILE_TEMPLATE, DEFAULT_TEMPLATE, SLUG_MAX};
pub use revid::{validate_label, RevId, RESERVED};
pub use split::{Directive, Statement, REBUILD_MARKER};

#[cfg(test)]
mod tests;
