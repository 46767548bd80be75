//! The typed query builder: [`select`] starts a [`Select<R>`] whose rows read as `R` (a
//! model, or a tuple of the selected columns' Rust types), built with sea-query's SQLite
//! backend (identifiers quoted, every value a bound `?` parameter), and run on a
//! [`Connection`]: [`Select::all`], [`Select::first`], [`Select::one`], [`Select::count`],
//! [`Select::exists`], and [`Select::iter`], which streams the rows one server batch at a
//! time instead of buffering the whole result. [`Select::sql`] gives the SQL text and the
//! bound values. [`query_as`] maps raw SQL into models or tuples (the escape hatch).
//!
//! dqlite takes at most 255 parameters per statement: a query that binds more is an
//! [`OrmError::TooManyParameters`] before anything is sent (the ORM cannot split an arbitrary
//! query; a long `is_in` list is the usual cause: split it, or use a subquery).
//!
//! ```
//! # use dqmig::orm::Model;
//! # #[derive(Model)] #[dqmig(table = "users")]
//! # struct User { #[dqmig(primary_key)] id: i64, name: String, age: i64 }
//! use dqmig::orm::select;
//!
//! let q = select::<User>().filter(User::AGE.gt(18)).order_by(User::NAME.asc()).limit(10);
//! let sent = q.sql().unwrap();
//! assert_eq!(
//!     sent.sql,
//!     r#"SELECT "users"."id", "users"."name", "users"."age" FROM "users" WHERE "users"."age" > ? ORDER BY "users"."name" ASC LIMIT ?"#
//! );
//! assert_eq!(sent.values, [dqmig::orm::Value::Integer(18), dqmig::orm::Value::Integer(10)]);
//! ```

use super::expr::{Cond, Expr, Order, Selectable};
use super::sql::{finish_query, SentStatement};
use super::{FieldType, Model, OrmError, Row, TableDef};
use crate::client::{Connection, RowIter, ToValue};
use sea_query::{
    Alias, CommonTableExpression, JoinType, Query, SelectStatement, SqliteQueryBuilder, UnionType,
    WithClause,
};
use std::marker::PhantomData;

/// dqlite's limit of bound parameters per statement.
pub const MAX_PARAMETERS: usize = crate::client::proto::MAX_PARAMS;

/// Rows read from a query: a [`Model`] (the row has the model's columns in field order) or a
/// tuple of up to 8 [`FieldType`]s (`(i64, String)`, `(Option<f64>,)`).
pub trait FromRow: Sized {
    /// Reads one row.
    ///
    /// # Errors
    /// A row of another width, a value the Rust type cannot read.
    fn read_row(row: &Row) -> Result<Self, OrmError>;
}

impl<M: Model> FromRow for M {
    fn read_row(row: &Row) -> Result<Self, OrmError> {
        M::from_row(row)
    }
}

fn tuple_field<T: FieldType>(row: &Row, i: usize) -> Result<T, OrmError> {
    T::from_value(&row.values()[i]).map_err(|e| OrmError::ColumnConversion {
        index: i,
        column: row.columns().get(i).cloned().unwrap_or_default(),
        expected: e.expected,
        found: e.found,
    })
}

macro_rules! tuples {
    ($($n:literal: ($($t:ident $i:tt),+);)*) => {$(
        impl<$($t: FieldType),+> FromRow for ($($t,)+) {
            fn read_row(row: &Row) -> Result<Self, OrmError> {
                if row.len() != $n {
                    return Err(OrmError::RowWidth {
                        model: std::any::type_name::<Self>(),
                        expected: $n,
                        found: row.len(),
                    });
                }
                Ok(($(tuple_field::<$t>(row, $i)?,)+))
            }
        }

        impl<$($t: Selectable),+> Columns for ($($t,)+) {
            type Row = ($($t::Out,)+);
            fn exprs(self) -> Vec<sea_query::Expr> {
                vec![$(self.$i.into_sea()),+]
            }
        }
    )*};
}

/// What [`Select::columns`] and [`Cte::select`] take: a tuple of up to 8 columns or
/// expressions (`(User::ID, User::NAME)`, `(User::AGE.max(),)`), or one column or
/// expression alone (`User::ID`, rows `(i64,)`); `Row` is the tuple of their Rust types.
pub trait Columns {
    /// The row type: `(i64, String)` for `(User::ID, User::NAME)`.
    type Row;
    /// The expressions, in order.
    fn exprs(self) -> Vec<sea_query::Expr>;
}

impl<M: Model, T> Columns for super::Column<M, T> {
    type Row = (T,);
    fn exprs(self) -> Vec<sea_query::Expr> {
        vec![self.into_sea()]
    }
}

impl<T> Columns for Expr<T> {
    type Row = (T,);
    fn exprs(self) -> Vec<sea_query::Expr> {
        vec![self.into_sea()]
    }
}

tuples! {
    1: (A 0);
    2: (A 0, B 1);
    3: (A 0, B 1, C 2);
    4: (A 0, B 1, C 2, D 3);
    5: (A 0, B 1, C 2, D 3, E 4);
    6: (A 0, B 1, C 2, D 3, E 4, F 5);
    7: (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    8: (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
}

/// A table a query may join: a model's [`TableDef`] (`Post::TABLE`) or a [`Cte`].
pub trait JoinTarget {
    /// The table's name.
    fn table_name(&self) -> String;
}

impl JoinTarget for TableDef {
    fn table_name(&self) -> String {
        self.name.to_string()
    }
}

impl JoinTarget for &Cte {
    fn table_name(&self) -> String {
        self.name.clone()
    }
}

/// `SELECT` of every column of model `M` (qualified, in field order) `FROM` its table: rows
/// read as `M`. Narrow it with [`Select::columns`].
pub fn select<M: Model>() -> Select<M> {
    let def = &M::TABLE;
    let mut stmt = Query::select();
    stmt.exprs(
        def.columns
            .iter()
            .map(|c| sea_query::Expr::col((def.name, c.name))),
    )
    .from(def.name);
    Select::wrap(stmt)
}

/// A `SELECT` whose rows read as `R` (module docs). Methods consume and return the query;
/// the terminal operations borrow it, so a query can be run again.
pub struct Select<R> {
    pub(crate) stmt: SelectStatement,
    ctes: Vec<CommonTableExpression>,
    recursive: bool,
    limit: Option<u64>,
    _row: PhantomData<fn() -> R>,
}

impl<R> Clone for Select<R> {
    fn clone(&self) -> Self {
        Select {
            stmt: self.stmt.clone(),
            ctes: self.ctes.clone(),
            recursive: self.recursive,
            limit: self.limit,
            _row: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Select<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Select({})", self.stmt.to_string(SqliteQueryBuilder))
    }
}

impl<R> Select<R> {
    fn wrap(stmt: SelectStatement) -> Select<R> {
        Select {
            stmt,
            ctes: Vec::new(),
            recursive: false,
            limit: None,
            _row: PhantomData,
        }
    }

    fn retype<S>(self) -> Select<S> {
        Select {
            stmt: self.stmt,
            ctes: self.ctes,
            recursive: self.recursive,
            limit: self.limit,
            _row: PhantomData,
        }
    }

    /// Selects these columns or expressions instead (`(User::ID, User::NAME)`,
    /// `(Post::USER_ID, count_star())`): rows read as the tuple of their Rust types.
    pub fn columns<C: Columns>(mut self, columns: C) -> Select<C::Row> {
        self.stmt.clear_selects().exprs(columns.exprs());
        self.retype()
    }

    /// `SELECT DISTINCT`.
    pub fn distinct(mut self) -> Self {
        self.stmt.distinct();
        self
    }

    /// `WHERE cond`; several calls are AND-ed.
    pub fn filter(mut self, cond: Cond) -> Self {
        self.stmt.and_where(cond.0);
        self
    }

    fn join_as(mut self, kind: JoinType, target: impl JoinTarget, on: Cond) -> Self {
        self.stmt.join(kind, Alias::new(target.table_name()), on.0);
        self
    }

    /// `JOIN target ON on` (an inner join): `.join(Post::TABLE, User::ID.eq_col(Post::USER_ID))`.
    pub fn join(self, target: impl JoinTarget, on: Cond) -> Self {
        self.join_as(JoinType::InnerJoin, target, on)
    }

    /// `LEFT JOIN target ON on`: the joined table's columns are NULL where nothing matched
    /// (select them as [`Column::nullable`](super::Column::nullable)).
    pub fn left_join(self, target: impl JoinTarget, on: Cond) -> Self {
        self.join_as(JoinType::LeftJoin, target, on)
    }

    /// `RIGHT JOIN target ON on` (SQLite 3.39 or later; dqlite 1.11.1 nodes run 3.40.1).
    pub fn right_join(self, target: impl JoinTarget, on: Cond) -> Self {
        self.join_as(JoinType::RightJoin, target, on)
    }

    /// `FULL OUTER JOIN target ON on` (SQLite 3.39 or later).
    pub fn full_join(self, target: impl JoinTarget, on: Cond) -> Self {
        self.join_as(JoinType::FullOuterJoin, target, on)
    }

    /// `GROUP BY expr`; several calls add terms.
    pub fn group_by(mut self, expr: impl Selectable) -> Self {
        self.stmt.add_group_by([expr.into_sea()]);
        self
    }

    /// `HAVING cond` (usually on aggregates: `count_star().gt(1)`); several calls are AND-ed.
    pub fn having(mut self, cond: Cond) -> Self {
        self.stmt.and_having(cond.0);
        self
    }

    /// `ORDER BY term`; several calls add terms in order.
    pub fn order_by(mut self, term: Order) -> Self {
        self.stmt.order_by_expr(term.expr, term.order);
        self
    }

    /// `LIMIT n` (bound as a parameter).
    pub fn limit(mut self, n: u64) -> Self {
        let n = n.min(i64::MAX as u64);
        self.stmt.limit(n);
        self.limit = Some(n);
        self
    }

    /// `OFFSET n` (bound as a parameter; SQLite needs a LIMIT with it: without one, the
    /// query gets `LIMIT 9223372036854775807`, no limit in effect).
    pub fn offset(mut self, n: u64) -> Self {
        if self.limit.is_none() {
            self.stmt.limit(i64::MAX as u64);
        }
        self.stmt.offset(n.min(i64::MAX as u64));
        self
    }

    /// `self UNION ALL other` (both select the same number of columns).
    pub fn union_all(mut self, other: Select<R>) -> Self {
        self.stmt.union(UnionType::All, other.stmt);
        self
    }

    /// `self UNION other` (duplicates removed).
    pub fn union(mut self, other: Select<R>) -> Self {
        self.stmt.union(UnionType::Distinct, other.stmt);
        self
    }

    fn add_cte<Q>(mut self, cte: &Cte, query: Select<Q>, recursive: bool) -> Self {
        let mut def = CommonTableExpression::new();
        def.table_name(Alias::new(&cte.name))
            .columns(cte.columns.iter().map(Alias::new))
            .query(query.stmt);
        self.ctes.push(def);
        self.recursive |= recursive;
        let mut with = WithClause::new();
        with.recursive(self.recursive);
        for c in &self.ctes {
            with.cte(c.clone());
        }
        self.stmt.with_cte(with);
        self
    }

    /// `WITH cte(columns) AS (query) SELECT ...`: defines the common table expression `cte`
    /// (its name and columns) as `query` for this query. Several calls define several.
    pub fn with<Q>(self, cte: &Cte, query: Select<Q>) -> Self {
        self.add_cte(cte, query, false)
    }

    /// `WITH RECURSIVE cte(columns) AS (query) ...`: `query` is usually an anchor
    /// `union_all` a step that joins `cte` itself.
    pub fn with_recursive<Q>(self, cte: &Cte, query: Select<Q>) -> Self {
        self.add_cte(cte, query, true)
    }

    /// The SQL text and the values bound to its `?` parameters, as the terminal operations
    /// send them.
    ///
    /// # Errors
    /// [`OrmError::TooManyParameters`] if the query binds more than 255 values.
    pub fn sql(&self) -> Result<SentStatement, OrmError> {
        finish_query(self.stmt.build(SqliteQueryBuilder))
    }

    /// How many rows the query gives: `SELECT COUNT(*) FROM (query)`.
    ///
    /// # Errors
    /// As [`Select::all`].
    pub fn count(&self, conn: &mut Connection) -> Result<i64, OrmError> {
        let counted = Query::select()
            .expr(super::expr::count_star().inner)
            .from_subquery(self.stmt.clone(), Alias::new("q"))
            .to_owned();
        let stmt = finish_query(counted.build(SqliteQueryBuilder))?;
        let rows = run(conn, &stmt)?;
        let (n,) = <(i64,)>::read_row(&rows[0])?;
        Ok(n)
    }

    /// Whether the query gives any row: `SELECT EXISTS (query)`.
    ///
    /// # Errors
    /// As [`Select::all`].
    pub fn exists(&self, conn: &mut Connection) -> Result<bool, OrmError> {
        let probe = Query::select()
            .expr(sea_query::Expr::exists(self.stmt.clone()))
            .to_owned();
        let stmt = finish_query(probe.build(SqliteQueryBuilder))?;
        let rows = run(conn, &stmt)?;
        let (found,) = <(bool,)>::read_row(&rows[0])?;
        Ok(found)
    }
}

impl<T> Select<(T,)> {
    /// The query as a scalar subquery `(SELECT ...)`: an expression to select or compare
    /// (`User::ID.eq_col(q.scalar())`). NULL (`None`) when it gives no row; SQLite takes the
    /// first row when it gives several.
    pub fn scalar(self) -> Expr<Option<T>> {
        Expr::wrap(sea_query::Expr::SubQuery(None, Box::new(self.stmt.into())))
    }
}

fn params(stmt: &SentStatement) -> Vec<&dyn ToValue> {
    stmt.values.iter().map(|v| v as &dyn ToValue).collect()
}

/// The database's error running `sql`, naming it (and, for a node whose SQLite predates
/// RIGHT and FULL joins, saying which version has them).
fn failed(sql: &str, e: crate::client::Error) -> OrmError {
    let old_sqlite = e
        .server_message()
        .is_some_and(|m| m.contains("RIGHT and FULL OUTER JOINs"));
    let note = if old_sqlite {
        " (RIGHT and FULL joins need SQLite 3.39 or later on the node)"
    } else {
        ""
    };
    OrmError::db(format!("running `{sql}`{note}"), e)
}

fn run(conn: &mut Connection, stmt: &SentStatement) -> Result<Vec<Row>, OrmError> {
    conn.query(&stmt.sql, &params(stmt))
        .map(|rows| rows.rows)
        .map_err(|e| failed(&stmt.sql, e))
}

impl<R: FromRow> Select<R> {
    /// Every row, each read into `R` as its server batch arrives, so the result is never in
    /// memory twice (as raw rows and as `R`s); use [`Select::iter`] not to hold them all.
    ///
    /// # Errors
    /// [`OrmError::TooManyParameters`], the database's error (with the SQL text), a row the
    /// Rust type cannot read.
    pub fn all(&self, conn: &mut Connection) -> Result<Vec<R>, OrmError> {
        self.iter(conn)?.collect()
    }

    /// The first row (`LIMIT 1`), or `None`.
    ///
    /// # Errors
    /// As [`Select::all`].
    pub fn first(&self, conn: &mut Connection) -> Result<Option<R>, OrmError> {
        let limited = self.clone().limit(self.limit.unwrap_or(1).min(1));
        let stmt = limited.sql()?;
        run(conn, &stmt)?.first().map(R::read_row).transpose()
    }

    /// The only row: [`OrmError::NotOne`] unless the query gives exactly one. Reads at most
    /// two rows (the rest of the result is never fetched).
    ///
    /// # Errors
    /// [`OrmError::NotOne`], and as [`Select::all`].
    pub fn one(&self, conn: &mut Connection) -> Result<R, OrmError> {
        let mut rows = self.iter(conn)?;
        let first = rows.next().transpose()?;
        let second = rows.next().transpose()?;
        match (first, second) {
            (Some(row), None) => Ok(row),
            (None, _) => Err(OrmError::NotOne { found: "no row" }),
            (Some(_), Some(_)) => Err(OrmError::NotOne {
                found: "more than one row",
            }),
        }
    }

    /// The rows as a stream: one server batch is held at a time, never the whole result.
    /// Dropping the iterator before the end interrupts the query and leaves the connection
    /// ready for the next statement.
    ///
    /// # Errors
    /// Starting the query: as [`Select::all`]; each item is a row or the error reading it.
    pub fn iter<'c>(&self, conn: &'c mut Connection) -> Result<QueryIter<'c, R>, OrmError> {
        let stmt = self.sql()?;
        let rows = conn
            .query_iter(&stmt.sql, &params(&stmt))
            .map_err(|e| failed(&stmt.sql, e))?;
        Ok(QueryIter {
            rows,
            sql: stmt.sql,
            _row: PhantomData,
        })
    }
}

/// The streaming rows of [`Select::iter`]: items are `Result<R, OrmError>`.
pub struct QueryIter<'c, R> {
    rows: RowIter<'c>,
    sql: String,
    _row: PhantomData<fn() -> R>,
}

impl<R> QueryIter<'_, R> {
    /// Server batches (Rows messages) received so far: more than one for a large result,
    /// which is never held whole.
    pub fn batches(&self) -> usize {
        self.rows.batches()
    }
}

impl<R: FromRow> Iterator for QueryIter<'_, R> {
    type Item = Result<R, OrmError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next().map(|row| {
            row.map_err(|e| failed(&self.sql, e))
                .and_then(|row| R::read_row(&row))
        })
    }
}

/// A common table expression: its name and column names, and typed handles on its columns
/// ([`Cte::col`]). Define it for a query with [`Select::with`] or [`Select::with_recursive`];
/// select from it with [`Cte::select`], join it with `.join(&cte, on)`.
#[derive(Debug, Clone)]
pub struct Cte {
    name: String,
    columns: Vec<String>,
}

impl Cte {
    /// A CTE called `name` with these columns (the defining query selects as many).
    pub fn new(name: &str, columns: &[&str]) -> Cte {
        Cte {
            name: name.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    /// The CTE's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its column `column`, read as `T` (`"tree"."id"`).
    pub fn col<T>(&self, column: &str) -> Expr<T> {
        Expr::column(&self.name, column)
    }

    /// `SELECT columns FROM cte` (add the definition with [`Select::with`]).
    pub fn select<C: Columns>(&self, columns: C) -> Select<C::Row> {
        let mut stmt = Query::select();
        stmt.exprs(columns.exprs()).from(Alias::new(&self.name));
        Select::wrap(stmt)
    }
}

/// Raw SQL mapped into models or tuples (the escape hatch): `query_as::<User>(conn, "SELECT
/// ... FROM users WHERE ...", &[&18])`. A model needs its columns in field order.
///
/// # Errors
/// The database's error (the client refuses `RETURNING` and more than 255 parameters), a row
/// the type cannot read.
pub fn query_as<T: FromRow>(
    conn: &mut Connection,
    sql: &str,
    params: &[&dyn ToValue],
) -> Result<Vec<T>, OrmError> {
    conn.query(sql, params)
        .map_err(|e| OrmError::db(format!("running `{sql}`"), e))?
        .iter()
        .map(T::read_row)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::orm::{count_star, exists, select, Cte, Model, OrmError, Value};

    #[derive(Debug, Clone, PartialEq, Model)]
    #[dqmig(table = "users")]
    struct User {
        #[dqmig(primary_key)]
        id: i64,
        name: String,
        age: i64,
        nickname: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Model)]
    #[dqmig(table = "posts")]
    struct Post {
        #[dqmig(primary_key)]
        id: i64,
        user_id: Option<i64>,
        views: i64,
    }

    fn sql<R>(q: &crate::orm::Select<R>) -> (String, Vec<Value>) {
        let s = q.sql().unwrap();
        (s.sql, s.values)
    }

    #[test]
    fn builds_quoted_sql_with_bound_values() {
        let q = select::<User>()
            .filter(User::NAME.like("a%").or(User::NICKNAME.is_null().not()))
            .filter(User::AGE.between(18, 65))
            .filter(User::NICKNAME.eq("bob"));
        assert_eq!(
            sql(&q),
            (
                r#"SELECT "users"."id", "users"."name", "users"."age", "users"."nickname" FROM "users" WHERE ("users"."name" LIKE ? OR (NOT "users"."nickname" IS NULL)) AND ("users"."age" BETWEEN ? AND ?) AND "users"."nickname" = ?"#.to_string(),
                vec![
                    Value::Text("a%".into()),
                    Value::Integer(18),
                    Value::Integer(65),
                    Value::Text("bob".into())
                ]
            )
        );
        let q = select::<User>()
            .columns((User::NAME, Post::VIEWS.sum()))
            .left_join(Post::TABLE, User::ID.eq_col(Post::USER_ID))
            .group_by(User::NAME)
            .having(count_star().gt(1))
            .order_by(User::NAME.desc())
            .offset(2);
        assert_eq!(
            sql(&q).0,
            r#"SELECT "users"."name", SUM("posts"."views") FROM "users" LEFT JOIN "posts" ON "users"."id" = "posts"."user_id" GROUP BY "users"."name" HAVING COUNT(*) > ? ORDER BY "users"."name" DESC LIMIT ? OFFSET ?"#
        );
        let q = select::<User>().filter(exists(
            select::<Post>()
                .columns((Post::ID,))
                .filter(Post::USER_ID.eq_col(User::ID)),
        ));
        assert!(sql(&q).0.ends_with(r#"WHERE EXISTS(SELECT "posts"."id" FROM "posts" WHERE "posts"."user_id" = "users"."id")"#), "{}", sql(&q).0);
    }

    #[test]
    fn identifiers_are_quoted_and_values_never_pasted() {
        let odd = crate::orm::Expr::<String>::column("my \"table\"", "col\"umn");
        let q = select::<User>()
            .columns(odd.clone())
            .filter(odd.eq("'; DROP TABLE users; --"));
        let (text, values) = sql(&q);
        assert_eq!(
            text,
            r#"SELECT "my ""table"""."col""umn" FROM "users" WHERE "my ""table"""."col""umn" = ?"#
        );
        assert_eq!(values, [Value::Text("'; DROP TABLE users; --".into())]);
        let single = select::<User>().columns(User::ID).filter(User::ID.eq(3));
        assert_eq!(
            sql(&single).0,
            r#"SELECT "users"."id" FROM "users" WHERE "users"."id" = ?"#
        );
    }

    #[test]
    fn empty_in_lists() {
        let q = select::<User>().filter(User::ID.is_in(Vec::<i64>::new()));
        let n = select::<User>().filter(User::ID.is_not_in(Vec::<i64>::new()));
        // sea-query writes an empty list as a constant comparison (bound): false for IN,
        // true for NOT IN, as SQLite's own `IN ()` is.
        assert!(sql(&q).0.ends_with("WHERE ? = ?"), "{}", sql(&q).0);
        assert_eq!(sql(&q).1, [Value::Integer(1), Value::Integer(2)]);
        assert_eq!(sql(&n).1, [Value::Integer(1), Value::Integer(1)]);
    }

    #[test]
    fn recursive_cte_sql() {
        let tree = Cte::new("tree", &["id"]);
        let anchor = select::<User>().columns((User::ID,)).filter(User::ID.eq(1));
        let step = select::<User>()
            .columns((User::ID,))
            .join(&tree, User::AGE.eq_col(tree.col::<i64>("id")));
        let q = tree
            .select((tree.col::<i64>("id"),))
            .with_recursive(&tree, anchor.union_all(step));
        assert_eq!(
            sql(&q).0,
            r#"WITH RECURSIVE "tree" ("id") AS (SELECT "users"."id" FROM "users" WHERE "users"."id" = ? UNION ALL SELECT "users"."id" FROM "users" INNER JOIN "tree" ON "users"."age" = "tree"."id") SELECT "tree"."id" FROM "tree""#
        );
    }

    #[test]
    fn more_than_255_values_is_an_error_that_says_so() {
        let q = select::<User>().filter(User::ID.is_in(0..255));
        assert_eq!(q.sql().unwrap().values.len(), 255);
        let q = select::<User>().filter(User::ID.is_in(0..256));
        let err = q.sql().unwrap_err();
        assert!(matches!(
            err,
            OrmError::TooManyParameters {
                count: 256,
                limit: 255
            }
        ));
        assert!(err.to_string().contains("split the list"), "{err}");
    }
}
