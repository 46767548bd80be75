//! Revision scripts: revision files (header, `-- migrate:up` and
//! `-- migrate:down` sections split into statements with sqlparser), their checksums, the
//! template new files are written from, file names, revision ids and branch labels, the
//! revision graph (heads, branches, merges, dependencies) and the target grammar with
//! upgrade/downgrade plans for the runner.
//!
//! Pure except [`fs`], which reads and writes files. Ids and times are passed in.
//!
//! ```
//! use dqmig_script::*;
//!
//! let mut random = || 0x3f2a_9c1b_7d4e_u64; // the CLI passes a real random source
//! let graph = Graph::from_revisions(vec![])?;
//! let req = NewRevision { message: "Add users", created: "2026-11-24T22:30:00Z", ..Default::default() };
//! let meta = graph.new_revision(&req, &mut random)?;
//! let text = render_revision(DEFAULT_TEMPLATE, &meta, &["CREATE TABLE \"users\" (\"id\" INTEGER)".into()], &["DROP TABLE \"users\"".into()]);
//! assert_eq!(file_name(DEFAULT_FILE_TEMPLATE, &meta)?, "3f2a9c1b7d4e_add_users.sql");
//!
//! let rev = parse_revision("versions/3f2a9c1b7d4e_add_users.sql", &text)?;
//! let graph = Graph::from_revisions(vec![rev])?;
//! let steps = graph.plan_upgrade(&[], &Target::parse("head")?)?;
//! assert_eq!(steps.len(), 1);
//! assert_eq!(steps[0].heads_after, graph.heads());
//! let up = &graph.get(&steps[0].revision).unwrap().up;
//! assert_eq!(up.statements[0].sql, "CREATE TABLE \"users\" (\"id\" INTEGER);");
//! # Ok::<(), ScriptError>(())
//! ```

mod checksum;
mod classify;
mod error;
pub mod fs;
#[doc(hidden)]
pub mod fuzzing;
mod graph;
mod new;
mod parse;
mod plan;
mod render;
mod revid;
mod split;
mod target;

pub use checksum::{checksum, normalize};
pub use classify::refuse_alone;
pub use error::ScriptError;
pub use graph::Graph;
pub use new::NewRevision;
pub use parse::{parse_revision, Revision, RevisionMeta, Section};
pub use plan::{Direction, Step};
pub use render::{
    check_rendered, comment_text, file_name, render_revision, slug, validate_file_template,
    validate_template, DEFAULT_FILE_TEMPLATE, DEFAULT_TEMPLATE, SLUG_MAX,
};
pub use revid::{validate_label, RevId, RESERVED};
pub use split::{Directive, Statement, REBUILD_MARKER};
pub use target::Target;

#[cfg(test)]
mod tests;
