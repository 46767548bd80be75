//! Relationships between models and the four ways to load them, each issuing a known number
//! of queries.
//!
//! A [`Relation<F, T>`] links objects of model `F` to objects of model `T`: declared as an
//! associated constant from the models' typed columns, so a wrong column type is a compile
//! error.
//!
//! ```
//! use dqmig::orm::{Model, Relation};
//! # #[derive(Debug, Clone, Model)] #[dqmig(table = "users")]
//! # struct User { #[dqmig(primary_key)] id: i64, name: String }
//! # #[derive(Debug, Clone, Model)] #[dqmig(table = "posts")]
//! # struct Post { #[dqmig(primary_key)] id: i64, user_id: i64, title: String }
//! # #[derive(Debug, Clone, Model)] #[dqmig(table = "tags")]
//! # struct Tag { #[dqmig(primary_key)] id: i64, label: String }
//! # #[derive(Debug, Clone, Model)] #[dqmig(table = "post_tags")]
//! # struct PostTag { #[dqmig(primary_key)] post_id: i64, #[dqmig(primary_key)] tag_id: i64 }
//! impl User {
//!     /// One-to-many: a user's posts (`posts.user_id` references `users.id`).
//!     const POSTS: Relation<User, Post> = Relation::has_many(User::ID, Post::USER_ID).on_delete("cascade");
//! }
//! impl Post {
//!     /// Many-to-one: a post's author.
//!     const AUTHOR: Relation<Post, User> = Relation::belongs_to(Post::USER_ID, User::ID);
//!     /// Many-to-many through the association table `post_tags`.
//!     const TAGS: Relation<Post, Tag> =
//!         Relation::many_to_many(Post::ID, PostTag::POST_ID, PostTag::TAG_ID, Tag::ID);
//! }
//! ```
//!
//! `has_many`, `has_one`, `belongs_to` and `many_to_many` differ only in which side holds the
//! foreign key; loading matches the `F` side's column against the `T` side's (through the
//! association table for many-to-many). [`MetaData::relation`](super::MetaData::relation) adds
//! the relationship's foreign key (with its `on_delete`) to the schema, so it reaches
//! autogenerate like a `references` attribute.
//!
//! Loading strategies (SQLAlchemy's names):
//! - lazy: [`Relation::of`] gives the query for one object's related rows; running it is one
//!   query.
//! - select-in: [`Relation::select_in`] loads the related rows of objects already loaded, in
//!   queries `… WHERE key IN (?, …)` whose lists are cut so that no statement binds more than
//!   255 values, whatever else the query binds: `ceil(distinct keys / (255 - other values))`
//!   queries; with 1,000 parents and no other values, 4.
//! - subquery: [`Relation::load_subquery`] runs the parents' query, then one query whose
//!   `IN (SELECT …)` is the parents' query again: two queries, no parameter limit on the
//!   number of parents.
//! - joined: [`Relation::load_joined`] runs one query, the parents' query `LEFT JOIN`ed to
//!   the related table; parents are de-duplicated and keep the order the query gives them. A
//!   parents' query with a LIMIT or OFFSET keeps its meaning (the limit applies to parents,
//!   not to joined rows).
//!
//! Nested loading (users → posts → comments) chains them: load the users, the posts of all
//! users with one `select_in`, then the comments of all those posts with another: three
//! queries (plus one per extra chunk).

use super::expr::Comparable;
use super::query::{Select, MAX_PARAMETERS};
use super::sql::finish_query;
use super::{Column, Model, OrmError, Row, Value};
use crate::client::{Connection, ToValue};
use sea_query::{Alias, ExprTrait, JoinType, SqliteQueryBuilder};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::marker::PhantomData;

/// Which side holds the foreign key, for messages and for [`MetaData::relation`](super::MetaData::relation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `F`'s key is referenced by many `T` rows.
    HasMany,
    /// `F`'s key is referenced by at most one `T` row.
    HasOne,
    /// `F` holds the foreign key to `T`'s key.
    BelongsTo,
    /// An association table references both.
    ManyToMany,
}

/// A column by table, name and position in its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRef {
    pub table: &'static str,
    pub name: &'static str,
    /// The column's position in its model's fields.
    pub index: usize,
}

impl ColumnRef {
    const fn of<M: Model, K>(c: Column<M, K>) -> ColumnRef {
        ColumnRef {
            table: M::TABLE.name,
            name: c.name(),
            index: c.index(),
        }
    }

    fn sea(&self) -> sea_query::Expr {
        sea_query::Expr::col((Alias::new(self.table), Alias::new(self.name)))
    }
}

/// The association table of a many-to-many relationship: `from` references the `F` side's
/// column, `to` the `T` side's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Through {
    pub from: ColumnRef,
    pub to: ColumnRef,
}

/// A relationship from model `F` to model `T` (module docs).
pub struct Relation<F, T> {
    kind: RelationKind,
    local: ColumnRef,
    remote: ColumnRef,
    through: Option<Through>,
    on_delete: Option<&'static str>,
    _models: PhantomData<fn() -> (F, T)>,
}

impl<F, T> Clone for Relation<F, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F, T> Copy for Relation<F, T> {}
impl<F, T> std::fmt::Debug for Relation<F, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Relation({:?} {}.{} -> {}.{})",
            self.kind, self.local.table, self.local.name, self.remote.table, self.remote.name
        )
    }
}

impl<F: Model, T: Model + Clone> Relation<F, T> {
    const fn new(
        kind: RelationKind,
        local: ColumnRef,
        remote: ColumnRef,
        through: Option<Through>,
    ) -> Self {
        Relation {
            kind,
            local,
            remote,
            through,
            on_delete: None,
            _models: PhantomData,
        }
    }

    /// One-to-many: `T`'s `foreign_key` references `F`'s `key` (`User::ID`, `Post::USER_ID`).
    pub const fn has_many<K, FK: Comparable<K>>(
        key: Column<F, K>,
        foreign_key: Column<T, FK>,
    ) -> Self {
        Self::new(
            RelationKind::HasMany,
            ColumnRef::of(key),
            ColumnRef::of(foreign_key),
            None,
        )
    }

    /// One-to-one: as [`has_many`](Self::has_many), with at most one `T` per `F` (declare the
    /// foreign key `unique` to have the database hold to it).
    pub const fn has_one<K, FK: Comparable<K>>(
        key: Column<F, K>,
        foreign_key: Column<T, FK>,
    ) -> Self {
        Self::new(
            RelationKind::HasOne,
            ColumnRef::of(key),
            ColumnRef::of(foreign_key),
            None,
        )
    }

    /// Many-to-one: `F`'s `foreign_key` references `T`'s `key` (`Post::USER_ID`, `User::ID`).
    pub const fn belongs_to<FK, K: Comparable<FK>>(
        foreign_key: Column<F, FK>,
        key: Column<T, K>,
    ) -> Self {
        Self::new(
            RelationKind::BelongsTo,
            ColumnRef::of(foreign_key),
            ColumnRef::of(key),
            None,
        )
    }

    /// Many-to-many through association model `A`: `A`'s `from` references `F`'s `key`, `A`'s
    /// `to` references `T`'s `target`.
    pub const fn many_to_many<A: Model, K, AF: Comparable<K>, AT, TK: Comparable<AT>>(
        key: Column<F, K>,
        from: Column<A, AF>,
        to: Column<A, AT>,
        target: Column<T, TK>,
    ) -> Self {
        Self::new(
            RelationKind::ManyToMany,
            ColumnRef::of(key),
            ColumnRef::of(target),
            Some(Through {
                from: ColumnRef::of(from),
                to: ColumnRef::of(to),
            }),
        )
    }

    /// The foreign key's `ON DELETE` action (`"cascade"`, `"set null"`, `"restrict"`, ...)
    /// when [`MetaData::relation`](super::MetaData::relation) adds it to the schema (for
    /// many-to-many: both of the association table's keys).
    pub const fn on_delete(mut self, action: &'static str) -> Self {
        self.on_delete = Some(action);
        self
    }

    pub fn kind(&self) -> RelationKind {
        self.kind
    }

    /// The foreign keys the relationship declares, as (referencing column, referenced column,
    /// `on_delete`): one, or two for many-to-many.
    pub fn foreign_keys(&self) -> Vec<(ColumnRef, ColumnRef, Option<&'static str>)> {
        match (self.kind, self.through) {
            (RelationKind::BelongsTo, _) => vec![(self.local, self.remote, self.on_delete)],
            (_, Some(t)) => vec![
                (t.from, self.local, self.on_delete),
                (t.to, self.remote, self.on_delete),
            ],
            _ => vec![(self.remote, self.local, self.on_delete)],
        }
    }

    /// The column of `T` rows (or of the association table) that is matched against the `F`
    /// side's values.
    fn match_column(&self) -> ColumnRef {
        self.through.map_or(self.remote, |t| t.from)
    }

    /// `SELECT T.*, <match column> FROM T [JOIN association]` with `refine` applied: rows
    /// read as a `T` and, in the last column, the `F` side's value they belong to.
    fn related_query(&self, refine: impl FnOnce(Select<T>) -> Select<T>) -> Select<T> {
        let mut q = refine(super::select::<T>());
        if let Some(t) = self.through {
            q.stmt.join(
                JoinType::InnerJoin,
                Alias::new(t.to.table),
                t.to.sea().eq(self.remote.sea()),
            );
        }
        q.stmt.expr(self.match_column().sea());
        q
    }

    /// Lazy loading: the query for `obj`'s related rows (`SELECT … FROM posts WHERE
    /// "posts"."user_id" = ?`); refine it (`.filter`, `.order_by`) and run it (`.all(conn)`):
    /// one query.
    pub fn of(&self, obj: &F) -> Select<T> {
        let value = obj.to_values().swap_remove(self.local.index);
        let mut q = super::select::<T>();
        if let Some(t) = self.through {
            q.stmt.join(
                JoinType::InnerJoin,
                Alias::new(t.to.table),
                t.to.sea().eq(self.remote.sea()),
            );
        }
        q.stmt
            .and_where(self.match_column().sea().eq(super::sql::to_sea(&value)));
        q
    }

    /// Select-in loading: the related rows of each of `parents` (already loaded), in their
    /// order: `result[i]` belongs to `parents[i]`. Queries: one per
    /// `255 - (values the refined query binds)` distinct keys (module docs); none for no
    /// parents. `refine` adds filters and order to the related rows' query (`|q| q` for
    /// none).
    ///
    /// # Errors
    /// [`OrmError::TooManyParameters`] when `refine` alone binds 255 values or more; the
    /// database's errors; a row `T` cannot read.
    pub fn select_in<P: Borrow<F>>(
        &self,
        conn: &mut Connection,
        parents: &[P],
        refine: impl Fn(Select<T>) -> Select<T>,
    ) -> Result<Vec<Vec<T>>, OrmError> {
        let keys: Vec<Value> = parents
            .iter()
            .map(|p| p.borrow().to_values().swap_remove(self.local.index))
            .collect();
        let mut distinct: Vec<&Value> = Vec::new();
        let mut seen = HashMap::new();
        for k in &keys {
            if !matches!(k, Value::Null) && seen.insert(KeyRepr::of(k), ()).is_none() {
                distinct.push(k);
            }
        }
        let base = self.related_query(&refine);
        let bound = base.sql()?.values.len();
        let per_query = MAX_PARAMETERS.saturating_sub(bound);
        if per_query == 0 {
            return Err(OrmError::TooManyParameters {
                count: bound + 1,
                limit: MAX_PARAMETERS,
            });
        }
        let mut groups = Groups::new(&keys);
        for chunk in distinct.chunks(per_query) {
            let mut q = base.clone();
            q.stmt.and_where(
                self.match_column().sea().is_in(
                    chunk
                        .iter()
                        .map(|v| sea_query::Expr::val(super::sql::to_sea(v))),
                ),
            );
            for row in run(conn, &q)? {
                groups.add(&row)?;
            }
        }
        Ok(groups.hand_out(&keys))
    }

    /// Subquery loading: runs `parents`, then the related rows of all of them in one query
    /// whose `IN (SELECT …)` repeats `parents` (two queries, however many parents).
    ///
    /// # Errors
    /// As [`Relation::select_in`].
    pub fn load_subquery(
        &self,
        conn: &mut Connection,
        parents: &Select<F>,
    ) -> Result<Vec<(F, Vec<T>)>, OrmError> {
        let loaded = parents.all(conn)?;
        let mut keys_query = parents.stmt.clone();
        keys_query.clear_selects().expr(self.local.sea());
        let mut q = self.related_query(|q| q);
        q.stmt
            .and_where(self.match_column().sea().in_subquery(keys_query));
        let keys: Vec<Value> = loaded
            .iter()
            .map(|p| p.to_values().swap_remove(self.local.index))
            .collect();
        let mut groups = Groups::new(&keys);
        for row in run(conn, &q)? {
            groups.add(&row)?;
        }
        let children = groups.hand_out(&keys);
        Ok(loaded.into_iter().zip(children).collect())
    }

    /// Joined loading: one query, `parents LEFT JOIN` the related table; each parent once,
    /// in the order of its first row.
    ///
    /// # Errors
    /// As [`Relation::select_in`]; [`OrmError::Build`] when `F` and `T` are the same table
    /// (a self-referencing relationship: use select-in loading).
    pub fn load_joined(
        &self,
        conn: &mut Connection,
        parents: &Select<F>,
    ) -> Result<Vec<(F, Vec<T>)>, OrmError> {
        let (f, t) = (&F::TABLE, &T::TABLE);
        if f.name == t.name || self.through.is_some_and(|th| th.to.table == f.name) {
            return Err(OrmError::Build {
                model: f.rust_name,
                message: format!(
                    "joined loading of {} from {} needs two tables; load a self-referencing relationship with select_in",
                    t.rust_name, f.rust_name
                ),
            });
        }
        let mut stmt = parents.stmt.clone();
        let limited = {
            let mut bare = stmt.clone();
            bare.reset_limit().reset_offset();
            bare.to_string(SqliteQueryBuilder) != stmt.to_string(SqliteQueryBuilder)
        };
        if limited {
            // The limit is on parents: keep it in a subquery picking their keys.
            let mut keys = stmt.clone();
            keys.clear_selects().expr(self.local.sea());
            stmt.reset_limit()
                .reset_offset()
                .and_where(self.local.sea().in_subquery(keys));
        }
        if let Some(th) = self.through {
            stmt.join(
                JoinType::LeftJoin,
                Alias::new(th.to.table),
                th.from.sea().eq(self.local.sea()),
            );
            stmt.join(
                JoinType::LeftJoin,
                Alias::new(t.name),
                self.remote.sea().eq(th.to.sea()),
            );
        } else {
            stmt.join(
                JoinType::LeftJoin,
                Alias::new(t.name),
                self.remote.sea().eq(self.local.sea()),
            );
        }
        stmt.exprs(
            t.columns
                .iter()
                .map(|c| sea_query::Expr::col((Alias::new(t.name), Alias::new(c.name)))),
        );
        let sent = finish_query(stmt.build(SqliteQueryBuilder))?;
        let rows = query(conn, &sent)?;
        let nf = f.columns.len();
        let key_cols = f.key_positions();
        let mut out: Vec<(F, Vec<T>)> = Vec::new();
        let mut index: HashMap<Vec<KeyRepr>, usize> = HashMap::new();
        for row in rows {
            let values = row.values();
            if values.len() != nf + t.columns.len() {
                return Err(OrmError::RowWidth {
                    model: t.rust_name,
                    expected: nf + t.columns.len(),
                    found: values.len(),
                });
            }
            let ident: Vec<KeyRepr> = if key_cols.is_empty() {
                values[..nf].iter().map(KeyRepr::of).collect()
            } else {
                key_cols.iter().map(|&i| KeyRepr::of(&values[i])).collect()
            };
            let at = match index.get(&ident) {
                Some(&at) => at,
                None => {
                    out.push((F::from_values(&values[..nf])?, Vec::new()));
                    index.insert(ident, out.len() - 1);
                    out.len() - 1
                }
            };
            if !matches!(values[nf + self.remote.index], Value::Null) {
                out[at].1.push(T::from_values(&values[nf..])?);
            }
        }
        Ok(out)
    }
}

/// A hashable stand-in for a key value (floats by their bits, so only equal values meet).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyRepr {
    Null,
    Int(i64),
    Float(u64),
    Text(String),
    Blob(Vec<u8>),
}

impl KeyRepr {
    fn of(v: &Value) -> KeyRepr {
        match v {
            Value::Null => KeyRepr::Null,
            Value::Integer(i) | Value::UnixTime(i) => KeyRepr::Int(*i),
            Value::Boolean(b) => KeyRepr::Int(i64::from(*b)),
            Value::Float(f) => KeyRepr::Float(f.to_bits()),
            Value::Text(s) | Value::Iso8601(s) => KeyRepr::Text(s.clone()),
            Value::Blob(b) => KeyRepr::Blob(b.clone()),
        }
    }
}

/// Hands out the loaded groups by parent: `groups[key]` to each parent with that key, moved
/// to the last of them and cloned for the others (posts share an author).
struct Groups<T> {
    groups: HashMap<KeyRepr, Vec<T>>,
    holders: HashMap<KeyRepr, usize>,
}

impl<T: Clone> Groups<T> {
    fn new(keys: &[Value]) -> Groups<T> {
        let mut holders = HashMap::new();
        for k in keys {
            *holders.entry(KeyRepr::of(k)).or_insert(0) += 1;
        }
        Groups {
            groups: HashMap::new(),
            holders,
        }
    }

    fn add(&mut self, row: &Row) -> Result<(), OrmError>
    where
        T: Model,
    {
        // The server's row: checked, never trusted for its width.
        let Some((key, fields)) = row.values().split_last() else {
            return Err(OrmError::RowWidth {
                model: T::TABLE.rust_name,
                expected: T::TABLE.columns.len() + 1,
                found: 0,
            });
        };
        let obj = T::from_values(fields)?;
        self.groups.entry(KeyRepr::of(key)).or_default().push(obj);
        Ok(())
    }

    /// One group per key, in the keys' order.
    fn hand_out(mut self, keys: &[Value]) -> Vec<Vec<T>> {
        keys.iter()
            .map(|k| {
                let k = KeyRepr::of(k);
                let left = self.holders.get_mut(&k).map_or(0, |n| {
                    *n -= 1;
                    *n
                });
                if k == KeyRepr::Null {
                    Vec::new()
                } else if left == 0 {
                    self.groups.remove(&k).unwrap_or_default()
                } else {
                    self.groups.get(&k).cloned().unwrap_or_default()
                }
            })
            .collect()
    }
}

fn run<R>(conn: &mut Connection, q: &Select<R>) -> Result<Vec<Row>, OrmError> {
    query(conn, &q.sql()?)
}

fn query(conn: &mut Connection, sent: &super::SentStatement) -> Result<Vec<Row>, OrmError> {
    let params: Vec<&dyn ToValue> = sent.values.iter().map(|v| v as &dyn ToValue).collect();
    conn.query(&sent.sql, &params)
        .map(|rows| rows.rows)
        .map_err(|e| OrmError::db(format!("loading related rows with `{}`", sent.sql), e))
}
