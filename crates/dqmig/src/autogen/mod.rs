//! Autogenerate: `diff(current, target, hints)` lists the logical
//! [`Op`]s that turn the live schema into the models' one (each carries its inverse), and
//! `render(ops, current)` writes them as up and down SQL — ALTER TABLE where SQLite 3.40
//! can, the table rebuild where it cannot — with data-loss warnings and the COUNT queries
//! that size them. Pure: no sockets, no files, no clock.
//!
//! ```
//! use dqmig::autogen::{diff, render, RenameHints};
//! use dqmig::models::load_sql_str;
//!
//! let a = load_sql_str("a.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);").unwrap();
//! let b = load_sql_str("b.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER DEFAULT 0);").unwrap();
//! let ops = diff(&a, &b, &RenameHints::default());
//! let sql = render(&ops, &a).unwrap();
//! assert_eq!(sql.up.stmts[0].sql, r#"ALTER TABLE "t" ADD COLUMN "n" INTEGER DEFAULT 0"#);
//! assert_eq!(sql.down.stmts[0].sql, r#"ALTER TABLE "t" DROP COLUMN "n""#);
//! ```

mod deps;
mod diff;
mod lint;
mod op;
mod rebuild;
mod renames;
mod render;

pub use diff::diff;
pub use lint::{LintQuery, Warning};
pub use op::{apply_all, invert, Op, TableOptions};
pub use renames::{rename_candidates, RenameCandidate, RenameHints};
pub use render::{render, render_script, Rendered, Script, Stmt, REBUILD_MARKER};

/// Errors of autogenerate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AutogenError {
    /// An op that does not fit the schema it is applied to (hand-built or stale ops).
    #[error("cannot {op}: {problem}; the ops do not match the schema they are rendered against")]
    OpDoesNotFit { op: String, problem: String },
    #[error("bad --rename `{value}`: {problem}; expected old=new for a table or table.old=new for a column")]
    BadRenameFlag { value: String, problem: String },
}

#[cfg(test)]
mod tests;
