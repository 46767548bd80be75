//! The ORM core: `#[derive(Model)]` structs, [`MetaData`] that turns them
//! into the same [`Schema`](crate::schema::Schema) the models.toml loader gives (so Rust
//! models drive autogenerate), a [`Session`] (unit of work) over a connection, and a typed
//! query builder ([`select`], [`Select`], conditions built from the column constants:
//! `User::AGE.gt(18)`) with [`query_as`] for raw SQL. SQL is built with sea-query's SQLite
//! backend: identifiers quoted, values always bound, never `RETURNING`. The user guide is
//! docs/orm.md in the repository.
//!
//! ```
//! use dqmig::orm::{MetaData, Model};
//!
//! #[derive(Debug, Clone, Model)]
//! #[dqmig(table = "users")]
//! struct User {
//!     #[dqmig(primary_key)]
//!     id: i64,
//!     #[dqmig(sql_type = "string(100)")]
//!     name: String,
//!     #[dqmig(sql_type = "string(255)", unique)]
//!     email: String,
//!     #[dqmig(default = "1")]
//!     is_active: bool,
//!     #[dqmig(default = "CURRENT_TIMESTAMP")]
//!     created_at: Option<chrono::NaiveDateTime>,
//! }
//!
//! # fn main() -> Result<(), dqmig::orm::OrmError> {
//! let schema = MetaData::new().model::<User>().schema()?;
//! assert_eq!(schema.tables.len(), 1);
//! assert_eq!(User::EMAIL.name(), "email");
//! # Ok(())
//! # }
//! ```
//!
//! Model attributes: on the struct `#[dqmig(table = "users")]` (else the struct's name in
//! snake_case, never pluralised); on a field `column = "name"`, `primary_key` (on several
//! fields: a composite key), `unique`, `index` (an index `ix_<table>_<column>`),
//! `default = "SQL"` (an SQL expression: `"0"`, `"'draft'"`, `"CURRENT_TIMESTAMP"`),
//! `references = "users.id"` with `on_delete`/`on_update = "cascade" | "set null" |
//! "set default" | "restrict" | "no action"`, and `sql_type = "string(100)"` (a declared
//! type of the type mapper replacing the field type's own; it must store values the same
//! way). `Option<T>` makes a column nullable.

/// docs/orm.md, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/orm.md")]
pub struct OrmGuide;

mod bulk;
mod error;
mod expr;
mod field;
mod metadata;
mod page;
mod query;
mod relation;
mod session;
mod sql;

pub use crate::client::{Row, Value};
pub use bulk::{delete_many, insert_many, update_many, BulkResult};
/// Makes a fieldless enum a model field type: stored as the text of its variant's name,
/// declared `enum('Draft','Published')` (a TEXT column with a CHECK of the values).
/// `#[dqmig(rename = "draft")]` on a variant stores another name; `#[dqmig(rename_all =
/// "snake_case" | "lowercase" | "UPPERCASE")]` on the enum renames them all. A variant with
/// fields, two variants stored as one name or an empty name are compile errors.
///
/// ```
/// use dqmig::orm::{DbEnum, FieldType, Value};
///
/// #[derive(Debug, Clone, Copy, PartialEq, DbEnum)]
/// #[dqmig(rename_all = "snake_case")]
/// enum Status {
///     Draft,
///     InReview,
///     #[dqmig(rename = "live")]
///     Published,
/// }
///
/// assert_eq!(Status::DECLARED, "enum('draft','in_review','live')");
/// assert_eq!(Status::Published.to_value(), Value::Text("live".into()));
/// assert_eq!(Status::from_value(&Value::Text("in_review".into())), Ok(Status::InReview));
/// assert!(Status::from_value(&Value::Text("Draft".into())).is_err());
/// ```
pub use dqmig_derive::DbEnum;
pub use dqmig_derive::Model;
pub use error::OrmError;
pub use expr::{
    count_star, exists, not_exists, Bind, Comparable, Cond, Expr, Order, Selectable, Text,
};
pub use field::FieldType;
pub use metadata::MetaData;
pub use page::{Keyset, Page, Paginator};
pub use query::{
    query_as, select, Columns, Cte, FromRow, JoinTarget, QueryIter, Select, MAX_PARAMETERS,
};
pub use relation::{ColumnRef, Relation, RelationKind, Through};
pub use session::{transaction, transaction_with, KeyValues, SentStatement, Session, Tracked};

use std::marker::PhantomData;

/// A struct stored as the rows of one table; implemented with `#[derive(Model)]` (module
/// docs), which also adds one [`Column`] constant per field (`User::EMAIL`).
pub trait Model: Sized + 'static {
    /// The table: its name and columns with their attributes, in field order.
    const TABLE: TableDef;

    /// The fields' values, in column order.
    fn to_values(&self) -> Vec<Value>;

    /// Builds the struct from values in column order (as `SELECT` of every column gives).
    ///
    /// # Errors
    /// A value the field's type cannot read, or the wrong number of values.
    fn from_values(values: &[Value]) -> Result<Self, OrmError>;

    /// The primary key's values, in key order (empty without a key).
    fn primary_key(&self) -> Vec<Value>;

    /// Writes a rowid into the single primary-key field (after INSERT, from
    /// `last_insert_id`); a no-op for models without a single-column key.
    ///
    /// # Errors
    /// The key field's type cannot hold the rowid.
    fn set_rowid(&mut self, rowid: i64) -> Result<(), OrmError>;

    /// Builds the struct from a row whose columns are the model's, in order.
    ///
    /// # Errors
    /// As [`Model::from_values`].
    fn from_row(row: &Row) -> Result<Self, OrmError> {
        Self::from_values(row.values())
    }
}

/// A model's table as the derive describes it (static data; [`MetaData`] turns it into a
/// schema [`Table`](crate::schema::Table) and checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDef {
    /// The Rust struct's name, for messages.
    pub rust_name: &'static str,
    /// The table's name.
    pub name: &'static str,
    /// In field order.
    pub columns: &'static [ColumnDef],
}

/// One column of a [`TableDef`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    /// The Rust field's name.
    pub field: &'static str,
    /// The column's name.
    pub name: &'static str,
    /// The declared type of the field's Rust type ([`FieldType::DECLARED`]).
    pub rust_type: &'static str,
    /// The `sql_type` attribute: a declared type replacing `rust_type`'s.
    pub sql_type: Option<&'static str>,
    pub nullable: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub index: bool,
    /// An SQL expression.
    pub default: Option<&'static str>,
    /// `table.column`.
    pub references: Option<&'static str>,
    pub on_delete: Option<&'static str>,
    pub on_update: Option<&'static str>,
}

impl ColumnDef {
    /// The declared type the column gets: `sql_type` if given, else the field type's.
    pub fn declared(&self) -> &'static str {
        self.sql_type.unwrap_or(self.rust_type)
    }
}

impl TableDef {
    /// The primary key's column positions, in field order.
    pub fn key_positions(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| self.columns[i].primary_key)
            .collect()
    }

    /// For an INSERT of `values` (in column order): which columns are left out, for the
    /// database to fill: the rowid key when it is 0 or NULL (SQLite picks it), and a column
    /// with a `default` whose value is NULL (`None`), so the default applies as in SQL. The
    /// object keeps `None` in such a field; load it again to read what the database wrote.
    pub fn omitted_on_insert(&self, values: &[Value]) -> Vec<bool> {
        let rowid = self.rowid_key();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (Some(i) == rowid && matches!(v, Value::Null | Value::Integer(0)))
                    || (self.columns[i].default.is_some() && matches!(v, Value::Null))
            })
            .collect()
    }

    /// The position of the key column that aliases the rowid (a single `integer` primary
    /// key): the one `last_insert_id` fills after an INSERT.
    pub fn rowid_key(&self) -> Option<usize> {
        match self.key_positions().as_slice() {
            [only] => crate::types::DeclaredType::parse(self.columns[*only].declared())
                .ok()
                .filter(|d| d.sql_type().is_rowid_alias_type())
                .map(|_| *only),
            _ => None,
        }
    }
}

/// A typed handle on one column of model `M` holding Rust values of type `T`, generated by
/// the derive as an associated constant (`User::EMAIL: Column<User, String>`). Its query
/// methods (`eq`, `gt`, `is_in`, `like`, `is_null`, `eq_col`, `asc`, `max`, ...) build the
/// conditions, orderings and aggregates of a [`Select`].
pub struct Column<M, T> {
    name: &'static str,
    index: usize,
    _types: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Column<M, T> {
    /// Used by the derive.
    #[doc(hidden)]
    pub const fn new(name: &'static str, index: usize) -> Column<M, T> {
        Column {
            name,
            index,
            _types: PhantomData,
        }
    }

    /// The column's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The column's position in the model's columns.
    pub const fn index(&self) -> usize {
        self.index
    }
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}
impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

/// What the derive's expansion calls; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::field::mismatch;
    use super::{FieldType, Model, OrmError, Value};
    pub use crate::client::ValueError;

    pub fn check_width<M: Model>(values: &[Value]) -> Result<(), OrmError> {
        if values.len() == M::TABLE.columns.len() {
            Ok(())
        } else {
            Err(OrmError::RowWidth {
                model: M::TABLE.rust_name,
                expected: M::TABLE.columns.len(),
                found: values.len(),
            })
        }
    }

    pub fn field<M: Model, T: FieldType>(values: &[Value], i: usize) -> Result<T, OrmError> {
        let col = &M::TABLE.columns[i];
        T::from_value(&values[i]).map_err(|e| OrmError::Conversion {
            model: M::TABLE.rust_name,
            field: col.field,
            column: col.name,
            expected: e.expected,
            found: e.found,
        })
    }

    pub fn rowid<M: Model, T: FieldType>(rowid: i64, i: usize) -> Result<T, OrmError> {
        field::<M, T>(std::slice::from_ref(&Value::Integer(rowid)), 0).map_err(|e| match e {
            OrmError::Conversion {
                expected, found, ..
            } => OrmError::Conversion {
                model: M::TABLE.rust_name,
                field: M::TABLE.columns[i].field,
                column: M::TABLE.columns[i].name,
                expected,
                found,
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests;
