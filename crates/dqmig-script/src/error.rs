//! The one error type of the script layer: revision files (parse, write, read from disk),
//! revision ids and labels, the revision graph and target resolution. Every variant names
//! the file (and line where there is one) or the value at fault, and what to do about it.

/// Errors of revision files, the revision graph and targets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// A problem at a place in a revision file or a revision template.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// Reading or writing a file or folder failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },

    /// A revision id chosen by the user (or written in a file) breaks the id rules.
    #[error("revision id `{}` is not valid: {reason}", shown(.id))]
    BadRevId { id: String, reason: String },

    /// A branch label breaks the label rules.
    #[error("branch label `{}` is not valid: {reason}", shown(.label))]
    BadLabel { label: String, reason: String },

    /// The revision file-name template cannot be used.
    #[error("revision file-name template `{}`: {reason}", shown(.template))]
    BadFileTemplate { template: String, reason: String },

    /// Two files claim the same revision id.
    #[error("revision {id} is defined twice, in {first} and in {second}; give one of them a new id (and update the files that revise it)")]
    DuplicateRevision {
        id: String,
        first: String,
        second: String,
    },

    /// `revises:` names a revision that no file defines.
    #[error("{file}:{line}: revision {revision} revises {parent}, but no file in the versions folder defines {parent}; restore that file or fix `revises:`")]
    MissingParent {
        file: String,
        line: usize,
        revision: String,
        parent: String,
    },

    /// `depends-on:` names neither a revision nor a branch label.
    #[error("{file}:{line}: revision {revision} depends on `{dependency}`, which is neither a revision id nor a branch label of any file in the versions folder; fix `depends-on:`")]
    MissingDependency {
        file: String,
        line: usize,
        revision: String,
        dependency: String,
    },

    /// The `revises:`/`depends-on:` edges form a cycle.
    #[error("the revisions form a cycle through `revises:`/`depends-on:`: {path}; break it by fixing one of those headers")]
    Cycle { path: String, files: Vec<String> },

    /// Two revisions carry the same branch label.
    #[error("branch label `{label}` is used by {first} and by {second}; labels must be unique, rename one")]
    DuplicateLabel {
        label: String,
        first: String,
        second: String,
    },

    /// A branch label that is also a revision id (targets would be ambiguous).
    #[error("{file}:{line}: branch label `{label}` is also the id of revision {other}; choose another label")]
    LabelIsRevision {
        file: String,
        line: usize,
        label: String,
        other: String,
    },

    /// A creation time that is not RFC 3339.
    #[error("creation time `{}` is not an RFC 3339 timestamp like 2026-11-24T22:30:00Z", shown(.value))]
    BadTime { value: String },

    /// A target string that does not follow the grammar.
    #[error("target `{}`: {reason}", shown(.target))]
    BadTarget { target: String, reason: String },

    /// A target names no revision, prefix or label.
    #[error("target `{}`: no revision id, id prefix or branch label matches it; `dqmig history` lists the revisions", shown(.target))]
    UnknownRevision { target: String },

    /// An id prefix that matches several revisions.
    #[error(
        "target `{}` is ambiguous: it is a prefix of {candidates}; give more characters",
        shown(.prefix)
    )]
    AmbiguousPrefix { prefix: String, candidates: String },

    /// `head` (or a relative target) while there are several heads.
    #[error("target `{}`: there are several heads ({heads}); name one of them, use `heads` for all, or merge them with `dqmig merge`", shown(.target))]
    MultipleHeads { target: String, heads: String },

    /// The revision template makes a file the parser refuses (or whose header says another
    /// revision than the one asked for); nothing was written.
    #[error("the revision template {template} makes a revision file dqmig cannot read, so nothing was written: {problem}; fix the template")]
    BadTemplate {
        template: String,
        problem: Box<ScriptError>,
    },

    /// A target that cannot be reached in the requested direction or from the current state.
    #[error("target `{}`: {reason}", shown(.target))]
    Unreachable { target: String, reason: String },
}

impl ScriptError {
    pub(crate) fn at(
        file: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> ScriptError {
        ScriptError::Invalid {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// A value the user typed, as error messages show it: control characters (a newline, an
/// escape sequence) written as escapes, so a message is one line and cannot drive the
/// terminal.
fn shown(value: &str) -> String {
    super::comment_text(value)
}
