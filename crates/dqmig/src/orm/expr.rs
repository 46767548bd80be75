//! Typed SQL expressions for the query builder: [`Expr<T>`] (an expression whose values read
//! as the Rust type `T`: a column, an aggregate, a scalar subquery), [`Cond`] (a condition
//! for `WHERE`, `ON` and `HAVING`) and [`Order`] (an `ORDER BY` term).
//!
//! The comparison methods exist on [`Column`](super::Column) handles and on [`Expr`] alike.
//! A value compared with an expression of type `T` must be a `T` ([`Bind`]; a nullable
//! `Option<T>` column also takes a plain `T`, a `String` column a `&str`), so a value of the
//! wrong Rust type is a compile error:
//!
//! ```compile_fail
//! # use dqmig::orm::Model;
//! # #[derive(Model)] struct User { #[dqmig(primary_key)] id: i64, age: i64 }
//! let adults = User::AGE.gt("18"); // error: `&str` is not a value of an `i64` column
//! ```
//!
//! Every value is bound as a `?` parameter, never pasted into the SQL text; identifiers are
//! quoted and qualified with their table (`"users"."age"`) by sea-query's SQLite backend.

use super::sql::to_sea;
use super::{Column, FieldType, Model, Value};
use sea_query::extension::sqlite::SqliteExpr;
use sea_query::{Alias, ExprTrait};
use std::marker::PhantomData;

/// An SQL expression whose values read as the Rust type `T`: a column
/// (`User::AGE.into()`), an aggregate (`User::AGE.max()`: `Expr<Option<i64>>`,
/// [`count_star`]), a scalar subquery ([`Select::scalar`](super::Select::scalar)), or a
/// column of a [`Cte`](super::Cte). Comparing it gives a [`Cond`]; selecting it gives a
/// tuple element of type `T`.
pub struct Expr<T> {
    pub(crate) inner: sea_query::Expr,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Expr<T> {
    fn clone(&self) -> Self {
        Expr::wrap(self.inner.clone())
    }
}

impl<T> std::fmt::Debug for Expr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expr({:?})", self.inner)
    }
}

impl<T> Expr<T> {
    pub(crate) fn wrap(inner: sea_query::Expr) -> Expr<T> {
        Expr {
            inner,
            _type: PhantomData,
        }
    }

    /// The column `column` of the table (or CTE) `table`, read as `T`: for columns that
    /// have no model (a [`Cte`](super::Cte)'s columns come from [`Cte::col`](super::Cte::col)).
    pub fn column(table: &str, column: &str) -> Expr<T> {
        Expr::wrap(sea_query::Expr::col((
            Alias::new(table),
            Alias::new(column),
        )))
    }
}

impl<T> Expr<Option<T>> {
    /// The same expression read as `T`: for an aggregate or scalar subquery the query
    /// guarantees is never NULL (reading a NULL then fails with a conversion error).
    pub fn assume_not_null(self) -> Expr<T> {
        Expr::wrap(self.inner)
    }
}

impl<T> Expr<Option<Option<T>>> {
    /// `Option<Option<T>>` (e.g. `MAX` of a nullable column) read as `Option<T>`.
    pub fn flatten(self) -> Expr<Option<T>> {
        Expr::wrap(self.inner)
    }
}

impl<M: Model, T> From<Column<M, T>> for Expr<T> {
    fn from(c: Column<M, T>) -> Expr<T> {
        Expr::wrap(sea_query::Expr::col((M::TABLE.name, c.name())))
    }
}

/// `COUNT(*)`.
pub fn count_star() -> Expr<i64> {
    Expr::wrap(sea_query::Expr::col(sea_query::Asterisk).count())
}

/// A condition: the argument of `filter` (WHERE), joins' `ON` and `having`. Combine with
/// [`Cond::and`], [`Cond::or`], [`Cond::not`] (or `a & b`, `a | b`, `!a`).
#[derive(Debug, Clone)]
pub struct Cond(pub(crate) sea_query::Expr);

impl Cond {
    /// `(self) AND (other)`.
    pub fn and(self, other: Cond) -> Cond {
        Cond(self.0.and(other.0))
    }

    /// `(self) OR (other)`.
    pub fn or(self, other: Cond) -> Cond {
        Cond(self.0.or(other.0))
    }

    /// `NOT (self)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Cond {
        Cond(self.0.not())
    }

    /// All of `conds` AND-ed (`TRUE` when there are none).
    pub fn all(conds: impl IntoIterator<Item = Cond>) -> Cond {
        conds
            .into_iter()
            .reduce(Cond::and)
            .unwrap_or(Cond(sea_query::Expr::cust("TRUE")))
    }

    /// Any of `conds` OR-ed (`FALSE` when there are none).
    pub fn any(conds: impl IntoIterator<Item = Cond>) -> Cond {
        conds
            .into_iter()
            .reduce(Cond::or)
            .unwrap_or(Cond(sea_query::Expr::cust("FALSE")))
    }
}

impl std::ops::Not for Cond {
    type Output = Cond;
    fn not(self) -> Cond {
        Cond::not(self)
    }
}

/// `a & b` is `a.and(b)`.
impl std::ops::BitAnd for Cond {
    type Output = Cond;
    fn bitand(self, other: Cond) -> Cond {
        self.and(other)
    }
}

/// `a | b` is `a.or(b)`.
impl std::ops::BitOr for Cond {
    type Output = Cond;
    fn bitor(self, other: Cond) -> Cond {
        self.or(other)
    }
}

/// `EXISTS (subquery)`.
pub fn exists<R>(subquery: super::Select<R>) -> Cond {
    Cond(sea_query::Expr::exists(subquery.stmt))
}

/// `NOT EXISTS (subquery)`.
pub fn not_exists<R>(subquery: super::Select<R>) -> Cond {
    Cond(sea_query::Expr::not_exists(subquery.stmt))
}

/// An `ORDER BY` term: `User::AGE.asc()`, `User::AGE.max().desc()`.
#[derive(Debug, Clone)]
pub struct Order {
    pub(crate) expr: sea_query::Expr,
    pub(crate) order: sea_query::Order,
}

/// A Rust value that may be compared with (bound for) an expression of Rust type `T`: `T`
/// itself, `T` for an `Option<T>` expression (`NULL` never compares equal: use `is_null`),
/// and `&str` for text.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value of a `{T}` column",
    label = "a value of the wrong Rust type for this column",
    note = "a column of Rust type T takes a T (an Option<T> column also takes a T, a String column a &str)"
)]
pub trait Bind<T> {
    /// The wire value bound as the parameter.
    fn bind(self) -> Value;
}

impl<T: FieldType> Bind<T> for T {
    fn bind(self) -> Value {
        self.to_value()
    }
}

impl<T: FieldType> Bind<Option<T>> for T {
    fn bind(self) -> Value {
        self.to_value()
    }
}

impl Bind<String> for &str {
    fn bind(self) -> Value {
        Value::Text(self.to_string())
    }
}

impl Bind<Option<String>> for &str {
    fn bind(self) -> Value {
        Value::Text(self.to_string())
    }
}

/// Rust types of expressions that may be compared with each other: the same `T`, `T` with
/// `Option<T>` either way (a join of a nullable foreign key with a key), and the numeric
/// types `i64`, `i32`, `i16`, `f64` with each other, nullable or not (`User::AGE`
/// against `User::AGE.avg()`).
pub trait Comparable<T> {}
impl<T> Comparable<T> for T {}
impl<T> Comparable<Option<T>> for T {}
impl<T> Comparable<T> for Option<T> {}

macro_rules! numeric_comparable {
    ($($a:ty => $($b:ty),+;)*) => {$($(
        impl Comparable<$b> for $a {}
        impl Comparable<Option<$b>> for $a {}
        impl Comparable<$b> for Option<$a> {}
        impl Comparable<Option<$b>> for Option<$a> {}
    )+)*};
}

numeric_comparable! {
    i64 => i32, i16, f64;
    i32 => i64, i16, f64;
    i16 => i64, i32, f64;
    f64 => i64, i32, i16;
}

/// Text expressions (`String`, `Option<String>`): the ones `like` and `glob` take.
pub trait Text {}
impl Text for String {}
impl Text for Option<String> {}

/// Anything that may be selected or grouped by: a [`Column`](super::Column) (of a model) or
/// an [`Expr`]. `Out` is the Rust type its values read as.
pub trait Selectable {
    /// The Rust type of the values.
    type Out;
    /// The sea-query expression.
    fn into_sea(self) -> sea_query::Expr;
}

impl<T> Selectable for Expr<T> {
    type Out = T;
    fn into_sea(self) -> sea_query::Expr {
        self.inner
    }
}

impl<M: Model, T> Selectable for Column<M, T> {
    type Out = T;
    fn into_sea(self) -> sea_query::Expr {
        Expr::from(self).inner
    }
}

fn val(v: Value) -> sea_query::Expr {
    sea_query::Expr::val(to_sea(&v))
}

/// The comparison, pattern, NULL, ordering and aggregate methods, on `Column` and `Expr`
/// alike (`$self_expr` turns `self` into a `sea_query::Expr`).
macro_rules! expression_methods {
    ([$($generics:tt)*] $ty:ty, $t:ident) => {
        impl<$($generics)*> $ty {
            fn sea(self) -> sea_query::Expr {
                Selectable::into_sea(self)
            }

            /// `self = value`.
            pub fn eq(self, value: impl Bind<$t>) -> Cond {
                Cond(self.sea().eq(val(value.bind())))
            }

            /// `self <> value`.
            pub fn ne(self, value: impl Bind<$t>) -> Cond {
                Cond(self.sea().ne(val(value.bind())))
            }

            /// `self < value`.
            pub fn lt(self, value: impl Bind<$t>) -> Cond {
                Cond(self.sea().lt(val(value.bind())))
            }

            /// `self <= value`.
            pub fn le(self, value: impl Bind<$t>) -> Cond {
                Cond(self.sea().lte(val(value.bind())))
            }

            /// `self > value`.
            pub fn gt(self, value: impl Bind<$t>) -> Cond {
                Cond(self.sea().gt(val(value.bind())))
            }

            /// `self >= value`.
            pub fn ge(self, value: impl Bind<$t>) -> Cond {
                Cond(self.sea().gte(val(value.bind())))
            }

            /// `self BETWEEN low AND high` (both ends included).
            pub fn between(self, low: impl Bind<$t>, high: impl Bind<$t>) -> Cond {
                Cond(self.sea().between(val(low.bind()), val(high.bind())))
            }

            /// `self IN (?, ?, ...)`: one bound parameter per value, and dqlite takes at
            /// most 255 per statement (a longer list makes the query's `sql()` and
            /// terminal operations fail with [`OrmError::TooManyParameters`](super::OrmError::TooManyParameters):
            /// split the list, or use [`is_in_subquery`](Self::is_in_subquery)). An empty
            /// list is false (sea-query writes it as `? = ?` with 1 and 2 bound).
            pub fn is_in<V: Bind<$t>>(self, values: impl IntoIterator<Item = V>) -> Cond {
                let values: Vec<sea_query::Expr> =
                    values.into_iter().map(|v| val(v.bind())).collect();
                Cond(self.sea().is_in(values))
            }

            /// `self NOT IN (?, ...)` (the same limit as [`is_in`](Self::is_in); an empty list
            /// is true).
            pub fn is_not_in<V: Bind<$t>>(self, values: impl IntoIterator<Item = V>) -> Cond {
                let values: Vec<sea_query::Expr> =
                    values.into_iter().map(|v| val(v.bind())).collect();
                Cond(self.sea().is_not_in(values))
            }

            /// `self IN (subquery)`: the subquery selects one column of a comparable type.
            pub fn is_in_subquery<U: Comparable<$t>>(self, subquery: super::Select<(U,)>) -> Cond {
                Cond(self.sea().in_subquery(subquery.stmt))
            }

            /// `self NOT IN (subquery)`.
            pub fn is_not_in_subquery<U: Comparable<$t>>(
                self,
                subquery: super::Select<(U,)>,
            ) -> Cond {
                Cond(self.sea().not_in_subquery(subquery.stmt))
            }

            /// `self = other`, another column or expression of a comparable type (a join's
            /// `ON`: `User::ID.eq_col(Post::USER_ID)`; a scalar subquery).
            pub fn eq_col<U: Comparable<$t>>(self, other: impl Selectable<Out = U>) -> Cond {
                Cond(self.sea().eq(other.into_sea()))
            }

            /// `self <> other` (as [`eq_col`](Self::eq_col)).
            pub fn ne_col<U: Comparable<$t>>(self, other: impl Selectable<Out = U>) -> Cond {
                Cond(self.sea().ne(other.into_sea()))
            }

            /// `self < other` (as [`eq_col`](Self::eq_col)).
            pub fn lt_col<U: Comparable<$t>>(self, other: impl Selectable<Out = U>) -> Cond {
                Cond(self.sea().lt(other.into_sea()))
            }

            /// `self <= other` (as [`eq_col`](Self::eq_col)).
            pub fn le_col<U: Comparable<$t>>(self, other: impl Selectable<Out = U>) -> Cond {
                Cond(self.sea().lte(other.into_sea()))
            }

            /// `self > other` (as [`eq_col`](Self::eq_col)).
            pub fn gt_col<U: Comparable<$t>>(self, other: impl Selectable<Out = U>) -> Cond {
                Cond(self.sea().gt(other.into_sea()))
            }

            /// `self >= other` (as [`eq_col`](Self::eq_col)).
            pub fn ge_col<U: Comparable<$t>>(self, other: impl Selectable<Out = U>) -> Cond {
                Cond(self.sea().gte(other.into_sea()))
            }

            /// `ORDER BY self ASC`.
            pub fn asc(self) -> Order {
                Order { expr: self.sea(), order: sea_query::Order::Asc }
            }

            /// `ORDER BY self DESC`.
            pub fn desc(self) -> Order {
                Order { expr: self.sea(), order: sea_query::Order::Desc }
            }

            /// `COUNT(self)`: the rows where it is not NULL.
            pub fn count(self) -> Expr<i64> {
                Expr::wrap(self.sea().count())
            }

            /// `COUNT(DISTINCT self)`.
            pub fn count_distinct(self) -> Expr<i64> {
                Expr::wrap(self.sea().count_distinct())
            }

            /// `SUM(self)`: NULL (`None`) over no rows.
            pub fn sum(self) -> Expr<Option<$t>> {
                Expr::wrap(self.sea().sum())
            }

            /// `AVG(self)`, a float: NULL (`None`) over no rows.
            pub fn avg(self) -> Expr<Option<f64>> {
                Expr::wrap(self.sea().avg())
            }

            /// `MIN(self)`: NULL (`None`) over no rows.
            pub fn min(self) -> Expr<Option<$t>> {
                Expr::wrap(self.sea().min())
            }

            /// `MAX(self)`: NULL (`None`) over no rows.
            pub fn max(self) -> Expr<Option<$t>> {
                Expr::wrap(self.sea().max())
            }
        }

        impl<$($generics)*> $ty where $t: Text {
            /// `self LIKE pattern` (`%` any run, `_` one character; ASCII case-insensitive).
            pub fn like(self, pattern: &str) -> Cond {
                Cond(self.sea().like(pattern))
            }

            /// `self GLOB pattern` (`*`, `?`, `[...]`; case-sensitive).
            pub fn glob(self, pattern: &str) -> Cond {
                Cond(self.sea().glob(pattern))
            }
        }
    };
}

expression_methods!([M: Model, T] Column<M, T>, T);
expression_methods!([T] Expr<T>, T);

impl<M: Model, T> Column<M, T> {
    /// The column read as `Option<T>`: for the NULL side of an outer join.
    pub fn nullable(self) -> Expr<Option<T>> {
        Expr::from(self).nullable()
    }
}

impl<T> Expr<T> {
    /// The expression read as `Option<T>` (NULL is `None`).
    pub fn nullable(self) -> Expr<Option<T>> {
        Expr::wrap(self.inner)
    }
}

impl<M: Model, T> Column<M, Option<T>> {
    /// `self IS NULL` (nullable columns only).
    pub fn is_null(self) -> Cond {
        Cond(Selectable::into_sea(self).is_null())
    }

    /// `self IS NOT NULL` (nullable columns only).
    pub fn is_not_null(self) -> Cond {
        Cond(Selectable::into_sea(self).is_not_null())
    }
}

impl<T> Expr<Option<T>> {
    /// `self IS NULL`.
    pub fn is_null(self) -> Cond {
        Cond(self.inner.is_null())
    }

    /// `self IS NOT NULL`.
    pub fn is_not_null(self) -> Cond {
        Cond(self.inner.is_not_null())
    }
}
