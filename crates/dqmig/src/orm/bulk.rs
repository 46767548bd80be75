//! Bulk writes of many model objects: [`insert_many`] (multi-row `INSERT … VALUES (…), (…)`),
//! [`update_many`] (`UPDATE … FROM (VALUES …)` by primary key) and [`delete_many`] (by a
//! filter). The first two are chunked so that no
//! statement binds more than [`MAX_PARAMETERS`](super::MAX_PARAMETERS) values (dqlite's limit per request), and all
//! chunks in one transaction: the caller's when the connection is in one, else their own
//! (BEGIN IMMEDIATE … COMMIT, rolled back on the first error, so a failure in any row
//! leaves none of them written).
//!
//! Columns left to the database: as in a session, a rowid key of `0` (or `None`) and a field
//! with a `default` whose value is `None` are left out of the INSERT; consecutive objects that
//! leave out the same columns share a statement.
//!
//! Generated keys without `RETURNING`: when every object of a chunk leaves its rowid key to
//! the database (`0`, or `None` for an `Option` key), the keys are read from the statement's
//! `last_insert_id`. SQLite numbers the rows of one INSERT statement consecutively (each new
//! rowid is the largest so far plus one, or the AUTOINCREMENT sequence plus one), so the rows
//! of a chunk of `n` get `last - n + 1 ..= last`, provided nothing else inserts into the table
//! during the statement: true for dqlite, where the statement holds the database's write lock,
//! unless a trigger on the table inserts into the same table, or the table's largest rowid has
//! reached `i64::MAX` (SQLite then picks rowids at random). Chunks where some objects carry
//! their own keys are sent as separate statements, and only the generated ones are written
//! back.

use super::expr::Cond;
use super::query::MAX_PARAMETERS as MAX_PARAMS;
use super::sql::{self, SentStatement};
use super::{Model, OrmError, TableDef, Value};
use crate::client::{Behavior, Connection, ExecResult, ToValue};

/// What a bulk write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkResult {
    /// Rows written (inserted or updated).
    pub rows: u64,
    /// Statements sent (not counting BEGIN and COMMIT).
    pub statements: usize,
}

/// Inserts `objs` in multi-row INSERTs (module docs: chunking, transaction, generated keys),
/// writing generated rowid keys back into the objects.
///
/// # Errors
/// [`OrmError::Database`] naming the chunk's first object (by position) when a statement
/// fails, e.g. a UNIQUE constraint (then nothing was inserted unless the caller's transaction
/// goes on); [`OrmError::Build`] when one object alone has more than [`MAX_PARAMETERS`](super::MAX_PARAMETERS) columns.
pub fn insert_many<M: Model>(
    conn: &mut Connection,
    objs: &mut [M],
) -> Result<BulkResult, OrmError> {
    in_transaction(conn, |conn| {
        let def = &M::TABLE;
        let rowid = def.rowid_key();
        let rows: Vec<Vec<Value>> = objs.iter().map(Model::to_values).collect();
        let omitted: Vec<Vec<bool>> = rows.iter().map(|r| def.omitted_on_insert(r)).collect();
        let mut done = BulkResult::default();
        let mut start = 0;
        while start < rows.len() {
            // A run of rows that leave the same columns to the database, cut to the limit.
            let left_out = &omitted[start];
            let width = left_out.iter().filter(|o| !**o).count();
            let per_statement = rows_per_statement(def, width)?;
            let mut end = start + 1;
            while end < rows.len() && end - start < per_statement && omitted[end] == *left_out {
                end += 1;
            }
            let stmt = sql::insert_rows(def, &rows[start..end], |i| !left_out[i])?;
            let result = run(
                conn,
                &format!("inserting {} (objects {start}..{end})", def.rust_name),
                &stmt,
            )?;
            if rowid.is_some_and(|i| left_out[i]) {
                // The first rowid of the statement's rows; a last_insert_id that cannot
                // end `n` consecutive rowids is the server's nonsense, not a key.
                let n = (end - start) as i64;
                let first =
                    result
                        .last_insert_id
                        .checked_sub(n - 1)
                        .ok_or_else(|| OrmError::Build {
                            model: def.rust_name,
                            message: format!(
                                "the server gave last_insert_id {} for an INSERT of {n} rows",
                                result.last_insert_id
                            ),
                        })?;
                for (k, obj) in (first..).zip(objs[start..end].iter_mut()) {
                    obj.set_rowid(k)?;
                }
            }
            done.rows += result.rows_affected;
            done.statements += 1;
            start = end;
        }
        Ok(done)
    })
}

/// Writes every column of each object to the row with its primary key, in `UPDATE … FROM
/// (VALUES …)` statements (module docs: chunking and transaction). Objects whose key matches
/// no row are not an error; [`BulkResult::rows`] counts the rows updated.
///
/// # Errors
/// [`OrmError::NoPrimaryKey`] for a model without a key; [`OrmError::Database`] when a
/// statement fails (a constraint, say), naming the chunk.
pub fn update_many<M: Model>(conn: &mut Connection, objs: &[M]) -> Result<BulkResult, OrmError> {
    let def = &M::TABLE;
    if def.key_positions().is_empty() {
        return Err(OrmError::NoPrimaryKey {
            model: def.rust_name,
        });
    }
    if objs.is_empty() || def.key_positions().len() == def.columns.len() {
        return Ok(BulkResult::default());
    }
    in_transaction(conn, |conn| {
        let per_statement = rows_per_statement(def, def.columns.len())?;
        let mut done = BulkResult::default();
        for (n, chunk) in objs.chunks(per_statement).enumerate() {
            let rows: Vec<Vec<Value>> = chunk.iter().map(Model::to_values).collect();
            let stmt = sql::update_rows(def, &rows)?;
            let first = n * per_statement;
            let what = format!(
                "updating {} (objects {first}..{})",
                def.rust_name,
                first + chunk.len()
            );
            done.rows += run(conn, &what, &stmt)?.rows_affected;
            done.statements += 1;
        }
        Ok(done)
    })
}

/// How many rows of `width` values fit in one statement.
fn rows_per_statement(def: &TableDef, width: usize) -> Result<usize, OrmError> {
    match MAX_PARAMS.checked_div(width) {
        // Only a generated key: `DEFAULT VALUES`, one row per statement.
        None => Ok(1),
        Some(0) => Err(OrmError::Build {
            model: def.rust_name,
            message: format!(
                "a row binds {width} values, more than the {MAX_PARAMS} dqlite takes in one \
                 statement; write fewer columns per table"
            ),
        }),
        Some(n) => Ok(n),
    }
}

fn run(conn: &mut Connection, what: &str, stmt: &SentStatement) -> Result<ExecResult, OrmError> {
    let params: Vec<&dyn ToValue> = stmt.values.iter().map(|v| v as &dyn ToValue).collect();
    conn.execute(&stmt.sql, &params)
        .map_err(|e| OrmError::db(what, e))
}

/// Runs `body` in the connection's transaction, or in one of its own (BEGIN IMMEDIATE,
/// COMMIT on success, ROLLBACK on error).
pub(crate) fn in_transaction<T>(
    conn: &mut Connection,
    body: impl FnOnce(&mut Connection) -> Result<T, OrmError>,
) -> Result<T, OrmError> {
    if conn.in_transaction() {
        return body(conn);
    }
    let mut tx = conn
        .transaction_with(Behavior::Immediate)
        .map_err(|e| OrmError::db("beginning a transaction", e))?;
    let out = body(&mut tx)?;
    tx.commit().map_err(|e| OrmError::db("committing", e))?;
    Ok(out)
}

/// Deletes the rows of `M`'s table that `filter` selects (`DELETE FROM "t" WHERE …`), in one
/// statement, and returns how many were deleted.
///
/// # Errors
/// [`OrmError::TooManyParameters`] when the filter binds more than 255 values; the
/// database's errors (a foreign key that restricts the delete, say).
pub fn delete_many<M: Model>(conn: &mut Connection, filter: Cond) -> Result<u64, OrmError> {
    let def = &M::TABLE;
    let stmt = sea_query::Query::delete()
        .from_table(sea_query::Alias::new(def.name))
        .and_where(filter.0)
        .to_owned();
    let sent = super::sql::finish_query(stmt.build(sea_query::SqliteQueryBuilder))?;
    Ok(run(conn, &format!("deleting {} rows", def.rust_name), &sent)?.rows_affected)
}
