//! Schema model: the `Schema` every loader, the introspector and the differ
//! agree on — tables, columns, keys, indexes, constraints, views, triggers — in one normal
//! form (see [`model`]), with the DDL renderer and the one identifier-quoting helper.

mod expr;
mod ident;
pub(crate) mod lex;
pub mod model;
mod render;

pub use expr::{DefaultValue, Real, SqlExpr};
pub use ident::{quote_ident, quote_literal, Ident};
pub use model::{
    Check, Column, FkAction, ForeignKey, Generated, Index, IndexPart, IndexTarget, PrimaryKey,
    Schema, Table, Trigger, Unique, View,
};
