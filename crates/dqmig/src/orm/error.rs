//! The ORM layer's one error type, classified like the client's errors (integrity,
//! operational, programming, outcome unknown), so an app matches on
//! [`OrmError::class`] the way the seed's SQLAlchemy code catches `IntegrityError`.

use crate::client::{self, ErrorClass};

/// Errors of the ORM: from the database (with what the ORM was doing), from reading a row
/// into a model, or from a model's metadata.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrmError {
    /// A statement failed; `source` is the client's error (with SQLite's code and message,
    /// e.g. `UNIQUE constraint failed: users.email`).
    #[error("{action}: {source}")]
    Database {
        action: String,
        #[source]
        source: client::Error,
    },
    /// A column value could not be read as the field's Rust type.
    #[error("reading {model}.{field} (column `{column}`): cannot read {found} as {expected}")]
    Conversion {
        model: &'static str,
        field: &'static str,
        column: &'static str,
        expected: &'static str,
        found: String,
    },
    /// A row with another number of columns than the model has.
    #[error("reading a {model}: the row has {found} columns, the model {expected}")]
    RowWidth {
        model: &'static str,
        expected: usize,
        found: usize,
    },
    /// The model's attributes do not make a valid table (`model` reads "model User", or
    /// "models" for a problem between models) (an unknown `sql_type`, a `default`
    /// that is not SQL, a reference to an undeclared table, ...).
    #[error("{model}: {message}")]
    Metadata { model: String, message: String },
    /// A primary key given with the wrong number of values.
    #[error("{model} has a primary key of {expected} column(s); {found} value(s) were given")]
    KeyArity {
        model: &'static str,
        expected: usize,
        found: usize,
    },
    /// The model has no primary key, which `get`, updates and deletes need.
    #[error("{model} has no primary key; mark a field #[dqmig(primary_key)] to load, update or delete it through a session")]
    NoPrimaryKey { model: &'static str },
    /// A tracked object was borrowed (`Tracked::borrow_mut`) while the session flushed it.
    #[error("flushing a {model}: the object is borrowed; drop the borrow before flush or commit")]
    Borrowed { model: &'static str },
    /// An UPDATE or DELETE of a loaded object matched no row: another writer deleted it (or
    /// changed its key) since it was loaded.
    #[error("could not {verb} the {model} with key {key}: no such row any more (deleted or re-keyed by another writer since it was loaded)")]
    Stale {
        model: &'static str,
        key: String,
        verb: &'static str,
    },
    /// A query binds more values than dqlite takes in one statement (255). The ORM cannot
    /// split an arbitrary query; an `is_in` list binds one value per element.
    #[error("the query binds {count} values; dqlite takes at most {limit} per statement (an `is_in` list binds one per element: split the list into chunks of at most {limit}, or select the values with `is_in_subquery`)")]
    TooManyParameters { count: usize, limit: usize },
    /// `Select::one` on a query that gave no row or more than one (`found`: "no row" or
    /// "more than one row").
    #[error("expected exactly one row, the query gave {found}")]
    NotOne { found: &'static str },
    /// A query row's column could not be read as the Rust type asked for.
    #[error(
        "reading column {index} (`{column}`) of a query row: cannot read {found} as {expected}"
    )]
    ColumnConversion {
        index: usize,
        column: String,
        expected: &'static str,
        found: String,
    },
    /// No connection could be checked out of a pool ([`Session::from_pool`](super::Session::from_pool)).
    #[error("checking out a connection for a session: {source}")]
    Pool {
        /// Boxed: keeps `OrmError` as small as the client's error.
        #[source]
        source: Box<client::PoolError>,
    },
    /// sea-query refused to build a statement.
    #[error("building SQL for {model}: {message}")]
    Build {
        model: &'static str,
        message: String,
    },
}

impl OrmError {
    /// How to handle this error, as for the client's errors: constraint violations are
    /// [`ErrorClass::Integrity`], a lost COMMIT outcome is [`ErrorClass::OutcomeUnknown`],
    /// leader changes and I/O are operational, and mistakes in the request (or in a model) are
    /// [`ErrorClass::Programming`].
    pub fn class(&self) -> ErrorClass {
        match self {
            OrmError::Database { source, .. } => source.class(),
            OrmError::Pool { source } => match source.as_ref() {
                client::PoolError::Connect { source, .. } => source.class(),
                _ => ErrorClass::Operational,
            },
            _ => ErrorClass::Programming,
        }
    }

    /// The SQLite message of a database error, e.g. `UNIQUE constraint failed: users.email`,
    /// which names the constraint's table and columns.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            OrmError::Database { source, .. } => source.server_message(),
            _ => None,
        }
    }

    /// The client's error behind a database error.
    pub fn client_error(&self) -> Option<&client::Error> {
        match self {
            OrmError::Database { source, .. } => Some(source),
            _ => None,
        }
    }

    pub(crate) fn pool(source: client::PoolError) -> OrmError {
        OrmError::Pool {
            source: Box::new(source),
        }
    }

    pub(crate) fn db(action: impl Into<String>, source: client::Error) -> OrmError {
        OrmError::Database {
            action: action.into(),
            source,
        }
    }
}
