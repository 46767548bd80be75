//! The ORM's statements, built with sea-query's SQLite backend (identifiers quoted, values
//! bound as `?` parameters), and the conversion between sea-query's values and the
//! client's. Never `RETURNING`: an INSERT's generated key comes from `last_insert_id`.

use super::{OrmError, TableDef, Value};
use sea_query::{Expr, ExprTrait, Query, SqliteQueryBuilder};

/// One statement: SQL text and the values bound to its `?` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SentStatement {
    pub sql: String,
    pub values: Vec<Value>,
}

pub(super) fn to_sea(v: &Value) -> sea_query::Value {
    match v {
        Value::Null => sea_query::Value::BigInt(None),
        Value::Integer(i) | Value::UnixTime(i) => sea_query::Value::BigInt(Some(*i)),
        Value::Float(f) => sea_query::Value::Double(Some(*f)),
        Value::Text(s) | Value::Iso8601(s) => sea_query::Value::String(Some(s.clone())),
        Value::Blob(b) => sea_query::Value::Bytes(Some(b.clone())),
        Value::Boolean(b) => sea_query::Value::BigInt(Some(i64::from(*b))),
    }
}

/// A value as the statements built here bind it (what `to_sea` then `from_sea` make of it:
/// booleans and unix times as integers, ISO 8601 as text), for statements whose text is
/// cached and whose values are bound directly.
pub fn bound(v: Value) -> Value {
    match v {
        Value::Boolean(b) => Value::Integer(i64::from(b)),
        Value::UnixTime(i) => Value::Integer(i),
        Value::Iso8601(s) => Value::Text(s),
        other => other,
    }
}

fn from_sea(model: &'static str, v: sea_query::Value) -> Result<Value, OrmError> {
    use sea_query::Value as S;
    Ok(match v {
        S::BigInt(None)
        | S::Int(None)
        | S::SmallInt(None)
        | S::TinyInt(None)
        | S::Bool(None)
        | S::Double(None)
        | S::Float(None)
        | S::String(None)
        | S::Bytes(None)
        | S::Char(None) => Value::Null,
        S::BigInt(Some(i)) => Value::Integer(i),
        S::Int(Some(i)) => Value::Integer(i64::from(i)),
        S::SmallInt(Some(i)) => Value::Integer(i64::from(i)),
        S::TinyInt(Some(i)) => Value::Integer(i64::from(i)),
        S::Bool(Some(b)) => Value::Integer(i64::from(b)),
        S::Double(Some(f)) => Value::Float(f),
        S::Float(Some(f)) => Value::Float(f64::from(f)),
        S::String(Some(s)) => Value::Text(s),
        S::Char(Some(c)) => Value::Text(c.to_string()),
        S::Bytes(Some(b)) => Value::Blob(b),
        S::BigUnsigned(None)
        | S::Unsigned(None)
        | S::SmallUnsigned(None)
        | S::TinyUnsigned(None) => Value::Null,
        S::BigUnsigned(Some(u)) if i64::try_from(u).is_ok() => Value::Integer(u as i64),
        S::Unsigned(Some(u)) => Value::Integer(i64::from(u)),
        S::SmallUnsigned(Some(u)) => Value::Integer(i64::from(u)),
        S::TinyUnsigned(Some(u)) => Value::Integer(i64::from(u)),
        other => {
            return Err(OrmError::Build {
                model,
                message: format!("sea-query produced a value the client cannot bind: {other:?}"),
            })
        }
    })
}

fn finish(
    def: &TableDef,
    (sql, values): (String, sea_query::Values),
) -> Result<SentStatement, OrmError> {
    let values = values
        .0
        .into_iter()
        .map(|v| from_sea(def.rust_name, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SentStatement { sql, values })
}

/// A query's statement: its values converted, and at most
/// [`MAX_PARAMETERS`](super::query::MAX_PARAMETERS) of them.
pub(super) fn finish_query(
    (sql, values): (String, sea_query::Values),
) -> Result<SentStatement, OrmError> {
    let values = values
        .0
        .into_iter()
        .map(|v| from_sea("query", v))
        .collect::<Result<Vec<_>, _>>()?;
    let limit = super::query::MAX_PARAMETERS;
    if values.len() > limit {
        return Err(OrmError::TooManyParameters {
            count: values.len(),
            limit,
        });
    }
    Ok(SentStatement { sql, values })
}

fn key_filter(def: &TableDef, key: &[Value]) -> Expr {
    let mut cond: Option<Expr> = None;
    for (pos, v) in def.key_positions().into_iter().zip(key) {
        let e = Expr::col(def.columns[pos].name).eq(Expr::val(to_sea(v)));
        cond = Some(match cond {
            None => e,
            Some(c) => c.and(e),
        });
    }
    cond.unwrap_or_else(|| Expr::val(1))
}

/// `INSERT INTO "t" ("a", ...) VALUES (?, ...)` of the columns whose position `keep` accepts.
pub fn insert(
    def: &TableDef,
    values: &[Value],
    keep: impl Fn(usize) -> bool,
) -> Result<SentStatement, OrmError> {
    insert_rows(def, &[values], keep)
}

/// `INSERT INTO "t" ("a", ...) VALUES (?, ...), (?, ...)`: one tuple per row, of the columns
/// whose position `keep` accepts (`DEFAULT VALUES` when it accepts none: one row only).
pub fn insert_rows<R: AsRef<[Value]>>(
    def: &TableDef,
    rows: &[R],
    keep: impl Fn(usize) -> bool,
) -> Result<SentStatement, OrmError> {
    let chosen: Vec<usize> = (0..def.columns.len()).filter(|&i| keep(i)).collect();
    if chosen.is_empty() {
        return Ok(SentStatement {
            sql: format!(
                "INSERT INTO {} DEFAULT VALUES",
                crate::schema::quote_ident(def.name)
            ),
            values: Vec::new(),
        });
    }
    let mut q = Query::insert();
    q.into_table(def.name)
        .columns(chosen.iter().map(|&i| def.columns[i].name));
    for row in rows {
        let row = row.as_ref();
        q.values(chosen.iter().map(|&i| Expr::val(to_sea(&row[i]))))
            .map_err(|e| OrmError::Build {
                model: def.rust_name,
                message: e.to_string(),
            })?;
    }
    finish(def, q.build(SqliteQueryBuilder))
}

/// `UPDATE "t" SET "a" = "v"."column2", ... FROM (VALUES (?, ?, ...), ...) AS "v" WHERE
/// "t"."k" = "v"."column1"`: every non-key column of each row (all columns, in field order,
/// in each tuple) written to the row with the tuple's key.
pub fn update_rows<R: AsRef<[Value]>>(
    def: &TableDef,
    rows: &[R],
) -> Result<SentStatement, OrmError> {
    const V: &str = "v";
    let source = |i: usize| Expr::col((V, format!("column{}", i + 1)));
    let keys = def.key_positions();
    let mut cond: Option<Expr> = None;
    for &k in &keys {
        let e = Expr::col((def.name, def.columns[k].name)).eq(source(k));
        cond = Some(match cond {
            None => e,
            Some(c) => c.and(e),
        });
    }
    let tuples = rows
        .iter()
        .map(|row| sea_query::ValueTuple::Many(row.as_ref().iter().map(to_sea).collect()))
        .collect();
    let q = Query::update()
        .table(def.name)
        .values(
            (0..def.columns.len())
                .filter(|i| !keys.contains(i))
                .map(|i| (def.columns[i].name, source(i))),
        )
        .from(sea_query::TableRef::ValuesList(
            tuples,
            sea_query::IntoIden::into_iden(V),
        ))
        .and_where(cond.unwrap_or_else(|| Expr::val(1)))
        .to_owned();
    finish(def, q.build(SqliteQueryBuilder))
}

/// `SELECT "a", ... FROM "t" WHERE "k" = ?`.
pub fn select_by_key(def: &TableDef, key: &[Value]) -> Result<SentStatement, OrmError> {
    let q = Query::select()
        .columns(def.columns.iter().map(|c| c.name))
        .from(def.name)
        .and_where(key_filter(def, key))
        .to_owned();
    finish(def, q.build(SqliteQueryBuilder))
}

/// `UPDATE "t" SET "a" = ?, ... WHERE "k" = ?` of the changed columns only.
pub fn update(
    def: &TableDef,
    changed: &[(usize, Value)],
    key: &[Value],
) -> Result<SentStatement, OrmError> {
    let q = Query::update()
        .table(def.name)
        .values(
            changed
                .iter()
                .map(|(i, v)| (def.columns[*i].name, Expr::val(to_sea(v)))),
        )
        .and_where(key_filter(def, key))
        .to_owned();
    finish(def, q.build(SqliteQueryBuilder))
}

/// `DELETE FROM "t" WHERE "k" = ?`.
pub fn delete(def: &TableDef, key: &[Value]) -> Result<SentStatement, OrmError> {
    let q = Query::delete()
        .from_table(def.name)
        .and_where(key_filter(def, key))
        .to_owned();
    finish(def, q.build(SqliteQueryBuilder))
}
