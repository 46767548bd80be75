//! Requests (client → server): encoding and decoding of every request body of 1.11.1.
//! (dqlite-facts.md §2.)
//!
//! The `encode_*_sql`/`encode_exec`/`encode_query` functions are the borrowing hot-path
//! encoders the connection uses without building a [`Request`]; `encode_request` is built on
//! them. Every encoder appends header + body and leaves `out` unchanged on error.

use super::value::{check_params, put_params_unchecked, read_params};
use super::wire::{begin, check_aligned, check_text, finish, put_text, put_text_unchecked, put_u32_pair, put_u64, Reader};
use super::{request_type as rt, ProtoError, Request, Role, Value};

/// Runs `body` between `begin` and `finish`, undoing the partial message on error.
#[inline]
fn message(
    out: &mut Vec<u8>,
    mtype: u8,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), ProtoError>,
) -> Result<(), ProtoError> {
    let start = begin(out);
    if let Err(e) = body(out) {
        out.truncate(start);
        return Err(e);
    }
    finish(out, start, mtype)
}

#[inline]
fn sql_message(out: &mut Vec<u8>, mtype: u8, db: u64, sql: &str, params: &[Value]) -> Result<(), ProtoError> {
    check_text(sql, "sql")?;
    check_params(params)?;
    message(out, mtype, |out| {
        put_u64(out, db);
        put_text_unchecked(out, sql);
        put_params_unchecked(out, params);
        Ok(())
    })
}

#[inline]
fn stmt_message(out: &mut Vec<u8>, mtype: u8, db: u32, stmt: u32, params: &[Value]) -> Result<(), ProtoError> {
    check_params(params)?;
    message(out, mtype, |out| {
        put_u32_pair(out, db, stmt);
        put_params_unchecked(out, params);
        Ok(())
    })
}

/// Appends an ExecSQL request (type 8): u64 db, text sql, parameter tuple.
pub fn encode_exec_sql(out: &mut Vec<u8>, db: u64, sql: &str, params: &[Value]) -> Result<(), ProtoError> {
    sql_message(out, rt::EXEC_SQL, db, sql, params)
}

/// Appends a QuerySQL request (type 9): u64 db, text sql, parameter tuple.
pub fn encode_query_sql(out: &mut Vec<u8>, db: u64, sql: &str, params: &[Value]) -> Result<(), ProtoError> {
    sql_message(out, rt::QUERY_SQL, db, sql, params)
}

/// Appends an Exec request (type 5): u32 db, u32 stmt, parameter tuple.
pub fn encode_exec(out: &mut Vec<u8>, db: u32, stmt: u32, params: &[Value]) -> Result<(), ProtoError> {
    stmt_message(out, rt::EXEC, db, stmt, params)
}

/// Appends a Query request (type 6): u32 db, u32 stmt, parameter tuple.
pub fn encode_query(out: &mut Vec<u8>, db: u32, stmt: u32, params: &[Value]) -> Result<(), ProtoError> {
    stmt_message(out, rt::QUERY, db, stmt, params)
}

/// The request type code of `req`.
pub fn request_code(req: &Request) -> u8 {
    match req {
        Request::Leader => rt::LEADER,
        Request::Client { .. } => rt::CLIENT,
        Request::Open { .. } => rt::OPEN,
        Request::Prepare { .. } => rt::PREPARE,
        Request::Exec { .. } => rt::EXEC,
        Request::Query { .. } => rt::QUERY,
        Request::Finalize { .. } => rt::FINALIZE,
        Request::ExecSql { .. } => rt::EXEC_SQL,
        Request::QuerySql { .. } => rt::QUERY_SQL,
        Request::Interrupt { .. } => rt::INTERRUPT,
        Request::Add { .. } => rt::ADD,
        Request::Assign { .. } => rt::ASSIGN,
        Request::Remove { .. } => rt::REMOVE,
        Request::Dump { .. } => rt::DUMP,
        Request::Cluster { .. } => rt::CLUSTER,
        Request::Transfer { .. } => rt::TRANSFER,
        Request::Describe { .. } => rt::DESCRIBE,
        Request::Weight { .. } => rt::WEIGHT,
    }
}

/// A message whose body is one u64.
#[inline]
fn word_message(out: &mut Vec<u8>, mtype: u8, v: u64) -> Result<(), ProtoError> {
    message(out, mtype, |out| {
        put_u64(out, v);
        Ok(())
    })
}

/// A message whose body is a u64 followed by a text.
#[inline]
fn id_text_message(out: &mut Vec<u8>, mtype: u8, id: u64, text: &str, what: &'static str) -> Result<(), ProtoError> {
    message(out, mtype, |out| {
        put_u64(out, id);
        put_text(out, text, what)
    })
}

/// Appends header + body of `req` to `out`. Refuses what would crash or silently corrupt a
/// 1.11.1 node: more than 255 parameters, Describe format ≠ 0, NUL inside text.
/// On error `out` is left unchanged.
pub fn encode_request(req: &Request, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    let code = request_code(req);
    match req {
        Request::ExecSql { db, sql, params } => encode_exec_sql(out, *db, sql, params),
        Request::QuerySql { db, sql, params } => encode_query_sql(out, *db, sql, params),
        Request::Exec { db, stmt, params } => encode_exec(out, *db, *stmt, params),
        Request::Query { db, stmt, params } => encode_query(out, *db, *stmt, params),
        Request::Leader => word_message(out, code, 0),
        Request::Client { id } | Request::Remove { id } | Request::Transfer { id } => word_message(out, code, *id),
        Request::Interrupt { db } => word_message(out, code, *db),
        Request::Cluster { format } => word_message(out, code, *format),
        Request::Weight { weight } => word_message(out, code, *weight),
        Request::Describe { format } => {
            if *format != 0 {
                return Err(ProtoError::DescribeFormat { format: *format });
            }
            word_message(out, code, 0)
        }
        Request::Prepare { db, sql } => id_text_message(out, code, *db, sql, "sql"),
        Request::Add { id, address } => id_text_message(out, code, *id, address, "node address"),
        Request::Open { name, flags, vfs } => message(out, code, |out| {
            put_text(out, name, "database name")?;
            put_u64(out, *flags);
            put_text(out, vfs, "vfs name")
        }),
        Request::Finalize { db, stmt } => message(out, code, |out| {
            put_u32_pair(out, *db, *stmt);
            Ok(())
        }),
        Request::Assign { id, role } => message(out, code, |out| {
            put_u64(out, *id);
            if let Some(role) = role {
                put_u64(out, role.code());
            }
            Ok(())
        }),
        Request::Dump { name } => message(out, code, |out| put_text(out, name, "database name")),
    }
}

fn role(code: u64) -> Result<Role, ProtoError> {
    Role::from_code(code).ok_or(ProtoError::UnknownRole { code })
}

/// Decodes the body of a request of type `mtype` (the inverse of [`encode_request`]; used by
/// tests and tools that read what a client wrote). Total: malformed input is an error.
pub fn decode_request(mtype: u8, body: &[u8]) -> Result<Request, ProtoError> {
    check_aligned(body)?;
    let mut r = Reader::new(body);
    let req = match mtype {
        rt::LEADER => {
            r.u64("leader request")?;
            Request::Leader
        }
        rt::CLIENT => Request::Client { id: r.u64("client id")? },
        rt::OPEN => Request::Open {
            name: r.string("database name")?,
            flags: r.u64("open flags")?,
            vfs: r.string("vfs name")?,
        },
        rt::PREPARE => Request::Prepare { db: r.u64("database id")?, sql: r.string("sql")? },
        rt::EXEC | rt::QUERY => {
            let (db, stmt) = r.u32_pair("database and statement id")?;
            let params = read_params(&mut r)?;
            if mtype == rt::EXEC {
                Request::Exec { db, stmt, params }
            } else {
                Request::Query { db, stmt, params }
            }
        }
        rt::FINALIZE => {
            let (db, stmt) = r.u32_pair("database and statement id")?;
            Request::Finalize { db, stmt }
        }
        rt::EXEC_SQL | rt::QUERY_SQL => {
            let db = r.u64("database id")?;
            let sql = r.string("sql")?;
            let params = read_params(&mut r)?;
            if mtype == rt::EXEC_SQL {
                Request::ExecSql { db, sql, params }
            } else {
                Request::QuerySql { db, sql, params }
            }
        }
        rt::INTERRUPT => Request::Interrupt { db: r.u64("database id")? },
        rt::ADD => Request::Add { id: r.u64("node id")?, address: r.string("node address")? },
        rt::ASSIGN => {
            let id = r.u64("node id")?;
            let role = if r.is_empty() { None } else { Some(role(r.u64("node role")?)?) };
            Request::Assign { id, role }
        }
        rt::REMOVE => Request::Remove { id: r.u64("node id")? },
        rt::DUMP => Request::Dump { name: r.string("database name")? },
        rt::CLUSTER => Request::Cluster { format: r.u64("cluster format")? },
        rt::TRANSFER => Request::Transfer { id: r.u64("node id")? },
        rt::DESCRIBE => Request::Describe { format: r.u64("describe format")? },
        rt::WEIGHT => Request::Weight { weight: r.u64("weight")? },
        code => return Err(ProtoError::UnknownMessageType { code, direction: "request" }),
    };
    r.end("request body")?;
    Ok(req)
}
