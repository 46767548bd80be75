//! Pagination of a query: numbered pages ([`Select::paginate`]: `LIMIT`/`OFFSET`, with the
//! total and the page count), and keyset ("seek") pages for large tables
//! ([`Select::keyset`]: each page starts after the last key of the one before, `WHERE key >
//! ? ORDER BY key LIMIT n`, so page 10,000 costs what page 1 does). For reading a whole table
//! without pages, [`Select::iter`] streams it.
//!
//! ```no_run
//! # use dqmig::orm::{select, Model};
//! # #[derive(Debug, Clone, Model)] #[dqmig(table = "posts")]
//! # struct Post { #[dqmig(primary_key)] id: i64, title: String }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mut conn = dqmig::client::Connection::open("127.0.0.1:9001", "app")?;
//! let pages = select::<Post>().order_by(Post::ID.asc()).paginate(20);
//! let first = pages.page(&mut conn, 1)?;
//! println!("page 1 of {}: {} posts of {}", first.pages, first.items.len(), first.total);
//!
//! let mut seek = select::<Post>().keyset(Post::ID, 500);
//! while let Some(batch) = seek.next_page(&mut conn)? {
//!     println!("{} posts from id {}", batch.len(), batch[0].id);
//! }
//! # Ok(())
//! # }
//! ```

use super::expr::Bind;
use super::query::{FromRow, Select};
use super::{Column, FieldType, Model, OrmError};
use crate::client::Connection;

/// Numbered pages of a query ([`Select::paginate`]).
#[derive(Debug, Clone)]
pub struct Paginator<R> {
    query: Select<R>,
    page_size: u64,
}

/// One numbered page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R> {
    /// The rows of this page (at most the page size).
    pub items: Vec<R>,
    /// This page's number, from 1.
    pub number: u64,
    /// Rows per page.
    pub page_size: u64,
    /// Rows the whole query gives.
    pub total: u64,
    /// Pages the whole query makes (`ceil(total / page_size)`; 0 for no rows).
    pub pages: u64,
}

impl<R> Page<R> {
    /// Whether a page follows this one.
    pub fn has_next(&self) -> bool {
        self.number < self.pages
    }
}

impl<R: FromRow> Select<R> {
    /// Numbered pages of `page_size` rows (at least 1). Give the query an `order_by` on a
    /// unique column, or pages may overlap (SQLite's order is otherwise unspecified).
    pub fn paginate(&self, page_size: u64) -> Paginator<R> {
        Paginator {
            query: self.clone(),
            page_size: page_size.max(1),
        }
    }
}

impl<R: FromRow> Paginator<R> {
    /// Rows the whole query gives (one `COUNT(*)` query).
    ///
    /// # Errors
    /// As [`Select::count`].
    pub fn total(&self, conn: &mut Connection) -> Result<u64, OrmError> {
        Ok(u64::try_from(self.query.count(conn)?).unwrap_or(0))
    }

    /// Page `number` (from 1; a page past the end is empty): two queries, the count and the
    /// rows (`LIMIT page_size OFFSET (number - 1) * page_size`).
    ///
    /// # Errors
    /// As [`Select::all`].
    pub fn page(&self, conn: &mut Connection, number: u64) -> Result<Page<R>, OrmError> {
        let number = number.max(1);
        let total = self.total(conn)?;
        let items = self
            .query
            .clone()
            .limit(self.page_size)
            .offset((number - 1).saturating_mul(self.page_size))
            .all(conn)?;
        Ok(Page {
            items,
            number,
            page_size: self.page_size,
            total,
            pages: total.div_ceil(self.page_size),
        })
    }
}

/// Keyset pages of a query over model `M`, by a unique column ([`Select::keyset`]).
#[derive(Debug, Clone)]
pub struct Keyset<M, K> {
    query: Select<M>,
    key: Column<M, K>,
    page_size: u64,
    after: Option<K>,
    done: bool,
}

impl<M: Model> Select<M> {
    /// Keyset pages of `page_size` rows (at least 1) in ascending order of `key`, a column
    /// whose values are unique and not NULL (the primary key, usually). The query's own
    /// filters stay; its ORDER BY and LIMIT are the pager's.
    pub fn keyset<K>(&self, key: Column<M, K>, page_size: u64) -> Keyset<M, K> {
        Keyset {
            query: self.clone(),
            key,
            page_size: page_size.max(1),
            after: None,
            done: false,
        }
    }
}

impl<M: Model, K: FieldType + Bind<K> + Clone> Keyset<M, K> {
    /// The next page (one query), or `None` after the last.
    ///
    /// # Errors
    /// As [`Select::all`]; a key value `K` cannot read.
    pub fn next_page(&mut self, conn: &mut Connection) -> Result<Option<Vec<M>>, OrmError> {
        if self.done {
            return Ok(None);
        }
        let mut q = self.query.clone();
        q.stmt.clear_order_by();
        if let Some(after) = &self.after {
            q = q.filter(self.key.gt(after.clone()));
        }
        let items = q.order_by(self.key.asc()).limit(self.page_size).all(conn)?;
        if (items.len() as u64) < self.page_size {
            self.done = true;
        }
        let Some(last) = items.last() else {
            return Ok(None);
        };
        let value = &last.to_values()[self.key.index()];
        self.after = Some(K::from_value(value).map_err(|e| OrmError::Conversion {
            model: M::TABLE.rust_name,
            field: M::TABLE.columns[self.key.index()].field,
            column: self.key.name(),
            expected: e.expected,
            found: e.found,
        })?);
        Ok(Some(items))
    }
}
