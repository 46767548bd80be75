//! Responses (server → client): encoding and decoding of every response body of 1.11.1.
//! (dqlite-facts.md §3, §4.3.)
//!
//! `decode_rows_into` is the hot-path Rows decoder: it refills a caller-owned [`RowsBatch`],
//! keeping the column names when they repeat (every batch repeats them) and the value vector's
//! capacity.

use super::value::{check_value, put_row_unchecked, read_row};
use super::wire::{begin, check_aligned, check_text, finish, put_blob, put_text, put_u32_pair, put_u64, Reader};
use super::{
    response_type as rt, DumpFile, NodeInfo, ProtoError, Response, Role, RowsBatch, RowsEnd,
};

/// What the decoder needs to know that the bytes do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseHint {
    /// The connection used the legacy handshake: Leader replies carry the address only.
    pub legacy: bool,
    /// The Cluster request's format: 0 = id+address, non-zero = id+address+role.
    pub cluster_format: u64,
}

/// End marker of a complete result.
pub const ROWS_DONE: [u8; 8] = [0xff; 8];
/// End marker of a batch that another Rows message follows.
pub const ROWS_PART: [u8; 8] = [0xee; 8];

/// The response type code of `resp`.
pub fn response_code(resp: &Response) -> u8 {
    match resp {
        Response::Failure { .. } => rt::FAILURE,
        Response::Server { .. } => rt::SERVER,
        Response::Welcome { .. } => rt::WELCOME,
        Response::Servers { .. } => rt::SERVERS,
        Response::Db { .. } => rt::DB,
        Response::Stmt { .. } => rt::STMT,
        Response::Result { .. } => rt::RESULT,
        Response::Rows(_) => rt::ROWS,
        Response::Empty => rt::EMPTY,
        Response::Files { .. } => rt::FILES,
        Response::Metadata { .. } => rt::METADATA,
    }
}

/// Appends header + body of `resp` (what a 1.11.1 server would send). In a Servers reply
/// with a non-zero cluster format a node without a role is written as voter (0). On error
/// `out` is left unchanged.
pub fn encode_response(resp: &Response, hint: ResponseHint, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    let start = begin(out);
    if let Err(e) = put_response_body(resp, hint, out) {
        out.truncate(start);
        return Err(e);
    }
    finish(out, start, response_code(resp))
}

fn put_response_body(resp: &Response, hint: ResponseHint, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    match resp {
        Response::Failure { code, message } => {
            put_u64(out, *code);
            put_text(out, message, "failure message")?;
        }
        Response::Server { id, address } => {
            if !hint.legacy {
                put_u64(out, *id);
            }
            put_text(out, address, "leader address")?;
        }
        Response::Welcome { heartbeat_timeout_ms } => put_u64(out, *heartbeat_timeout_ms),
        Response::Servers { nodes } => {
            put_u64(out, nodes.len() as u64);
            for n in nodes {
                put_u64(out, n.id);
                put_text(out, &n.address, "node address")?;
                if hint.cluster_format != 0 {
                    put_u64(out, n.role.map_or(0, Role::code));
                }
            }
        }
        Response::Db { id } => put_u32_pair(out, *id, 0),
        Response::Stmt { db, id, params } => {
            put_u32_pair(out, *db, *id);
            put_u64(out, *params);
        }
        Response::Result { last_insert_id, rows_affected } => {
            put_u64(out, *last_insert_id);
            put_u64(out, *rows_affected);
        }
        Response::Rows(batch) => put_rows(out, batch)?,
        Response::Empty => put_u64(out, 0),
        Response::Files { files } => {
            put_u64(out, files.len() as u64);
            for f in files {
                put_text(out, &f.name, "file name")?;
                put_blob(out, &f.data);
            }
        }
        Response::Metadata { failure_domain, weight } => {
            put_u64(out, *failure_domain);
            put_u64(out, *weight);
        }
    }
    Ok(())
}

fn put_rows(out: &mut Vec<u8>, batch: &RowsBatch) -> Result<(), ProtoError> {
    let columns = batch.columns.len();
    if columns == 0 {
        return Err(ProtoError::ZeroColumns);
    }
    if batch.values.len() % columns != 0 {
        return Err(ProtoError::RaggedRows { values: batch.values.len(), columns });
    }
    for name in &batch.columns {
        check_text(name, "column name")?;
    }
    for v in &batch.values {
        check_value(v, "text value")?;
    }
    put_u64(out, columns as u64);
    for name in &batch.columns {
        put_text(out, name, "column name")?;
    }
    for row in batch.values.chunks_exact(columns) {
        put_row_unchecked(out, row);
    }
    out.extend_from_slice(match batch.end {
        RowsEnd::Done => &ROWS_DONE,
        RowsEnd::Part => &ROWS_PART,
    });
    Ok(())
}

/// Decodes a Rows body into `batch`, reusing its allocations: the column names are kept
/// when they are the same as before, the value vector keeps its capacity. On error `batch`
/// holds unspecified (but valid) contents.
pub fn decode_rows_into(body: &[u8], batch: &mut RowsBatch) -> Result<(), ProtoError> {
    check_aligned(body)?;
    let mut r = Reader::new(body);
    // Each column name takes at least one word.
    let columns = r.count(8, "column count")?;
    if columns == 0 {
        return Err(ProtoError::ZeroColumns);
    }
    // Every batch repeats the names: keep the old Strings when they are unchanged.
    let mut names = r.clone();
    let mut same = batch.columns.len() == columns;
    for i in 0..columns {
        let name = names.text("column name")?;
        if same && batch.columns[i] != name {
            same = false;
        }
    }
    if same {
        r = names;
    } else {
        batch.columns.clear();
        batch.columns.reserve(columns);
        for _ in 0..columns {
            batch.columns.push(r.string("column name")?);
        }
    }
    batch.values.clear();
    loop {
        match r.peek_word() {
            Some(ROWS_DONE) => {
                batch.end = RowsEnd::Done;
                break;
            }
            Some(ROWS_PART) => {
                batch.end = RowsEnd::Part;
                break;
            }
            Some(_) => read_row(&mut r, columns, &mut batch.values)?,
            None => {
                return Err(ProtoError::Truncated {
                    what: "rows end marker",
                    offset: body.len() - r.remaining(),
                    needed: 8 - r.remaining(),
                })
            }
        }
    }
    r.word("rows end marker")?;
    r.end("rows message")
}

/// Decodes a Rows body into a new batch.
pub fn decode_rows(body: &[u8]) -> Result<RowsBatch, ProtoError> {
    let mut batch = RowsBatch { columns: Vec::new(), values: Vec::new(), end: RowsEnd::Done };
    decode_rows_into(body, &mut batch)?;
    Ok(batch)
}

fn role(code: u64) -> Result<Role, ProtoError> {
    Role::from_code(code).ok_or(ProtoError::UnknownRole { code })
}

/// Decodes the body of a response of type `mtype`. Total: malformed input is an error.
pub fn decode_response(mtype: u8, body: &[u8], hint: ResponseHint) -> Result<Response, ProtoError> {
    if mtype == rt::ROWS {
        return decode_rows(body).map(Response::Rows);
    }
    check_aligned(body)?;
    let mut r = Reader::new(body);
    let resp = match mtype {
        rt::FAILURE => Response::Failure { code: r.u64("failure code")?, message: r.string("failure message")? },
        rt::SERVER => {
            let id = if hint.legacy { 0 } else { r.u64("leader id")? };
            Response::Server { id, address: r.string("leader address")? }
        }
        rt::WELCOME => Response::Welcome { heartbeat_timeout_ms: r.u64("heartbeat timeout")? },
        rt::SERVERS => {
            let min = if hint.cluster_format != 0 { 24 } else { 16 };
            let n = r.count(min, "server count")?;
            let mut nodes = Vec::with_capacity(n);
            for _ in 0..n {
                let id = r.u64("node id")?;
                let address = r.string("node address")?;
                let role = if hint.cluster_format != 0 { Some(role(r.u64("node role")?)?) } else { None };
                nodes.push(NodeInfo { id, address, role });
            }
            Response::Servers { nodes }
        }
        rt::DB => Response::Db { id: r.u32_pair("database id")?.0 },
        rt::STMT => {
            let (db, id) = r.u32_pair("database and statement id")?;
            Response::Stmt { db, id, params: r.u64("parameter count")? }
        }
        rt::RESULT => Response::Result {
            last_insert_id: r.u64("last insert id")?,
            rows_affected: r.u64("rows affected")?,
        },
        rt::EMPTY => {
            r.u64("empty response")?;
            Response::Empty
        }
        rt::FILES => {
            let n = r.count(16, "file count")?;
            let mut files = Vec::with_capacity(n);
            for _ in 0..n {
                let name = r.string("file name")?;
                let data = r.blob("file data")?.to_vec();
                files.push(DumpFile { name, data });
            }
            Response::Files { files }
        }
        rt::METADATA => Response::Metadata {
            failure_domain: r.u64("failure domain")?,
            weight: r.u64("weight")?,
        },
        code => return Err(ProtoError::UnknownMessageType { code, direction: "response" }),
    };
    r.end("response body")?;
    Ok(resp)
}
