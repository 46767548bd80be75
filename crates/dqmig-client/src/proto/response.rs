//! Responses (server → client): encoding and decoding of every response body of 1.11.1.
//!
//! `decode_rows_into` is the hot-path Rows decoder: it refills a caller-owned [`RowsBatch`],
//! keeping the column names when they repeat (every batch repeats them) and the value vector's
//! capacity.

use super::value::{check_value, put_row_unchecked, read_row};
use super::wire::{
    begin, check_aligned, check_text, finish, put_blob, put_text, put_u32_pair, put_u64, Reader,
};
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
pub fn encode_response(
    resp: &Response,
    hint: ResponseHint,
    out: &mut Vec<u8>,
) -> Result<(), ProtoError> {
    let start = begin(out);
    if let Err(e) = put_response_body(resp, hint, out) {
        out.truncate(start);
        return Err(e);
    }
    finish(out, start, response_code(resp))
}

fn put_response_body(
    resp: &Response,
    hint: ResponseHint,
    out: &mut Vec<u8>,
) -> Result<(), ProtoError> {
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
        Response::Welcome {
            heartbeat_timeout_ms,
        } => put_u64(out, *heartbeat_timeout_ms),
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
        Response::Result {
            last_insert_id,
            rows_affected,
        } => {
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
        Response::Metadata {
            failure_domain,
            weight,
        } => {
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
    if !batch.values.len().is_multiple_of(columns) {
        return Err(ProtoError::RaggedRows {
            values: batch.values.len(),
            columns,
        });
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
    let mut batch = RowsBatch {
        columns: Vec::new(),
        values: Vec::new(),
        end: RowsEnd::Done,
    };
    decode_rows_into(body, &mut batch)?;
    Ok(batch)
}

fn role(code: u64) -> Result<Role, ProtoError> {
    Role::from_code(code).ok_or(ProtoError::UnknownRole { code })
}

/// A Failure body: a code and a message. libdqlite 1.11.1 sends a statement that fails while
/// its rows are being encoded (`SELECT load_extension('x')`: "not authorized" at the first
/// step) as a Failure whose body still starts with the Rows it had begun (column count and
/// names), the real code and message last; so when the body is not exactly one failure, the
/// failure is the 8-byte-aligned tail that is exactly one, code and message.
fn decode_failure(body: &[u8]) -> Result<Response, ProtoError> {
    let exact = |tail: &[u8]| -> Result<Response, ProtoError> {
        let mut r = Reader::new(tail);
        let resp = Response::Failure {
            code: r.u64("failure code")?,
            message: r.string("failure message")?,
        };
        r.end("response body")?;
        Ok(resp)
    };
    exact(body).or_else(|first_error| {
        // The message is the text after the last NUL before the final text's own NUL (the
        // code's high zero bytes end the token before it); its code is the 8 bytes before it.
        // One candidate, checked in one pass: a hostile body costs O(n), not O(n^2).
        let last = body
            .iter()
            .rposition(|&b| b != 0)
            .ok_or(first_error.clone())?;
        let start = body[..=last]
            .iter()
            .rposition(|&b| b == 0)
            .map_or(0, |q| q + 1);
        let text_at = start.next_multiple_of(8);
        match text_at.checked_sub(8) {
            Some(at) if at >= 8 => exact(&body[at..]).map_err(|_| first_error),
            _ => Err(first_error),
        }
    })
}

/// Decodes the body of a response of type `mtype`. Total: malformed input is an error.
pub fn decode_response(mtype: u8, body: &[u8], hint: ResponseHint) -> Result<Response, ProtoError> {
    if mtype == rt::ROWS {
        return decode_rows(body).map(Response::Rows);
    }
    check_aligned(body)?;
    if mtype == rt::FAILURE {
        return decode_failure(body);
    }
    let mut r = Reader::new(body);
    let resp = match mtype {
        rt::SERVER => {
            let id = if hint.legacy { 0 } else { r.u64("leader id")? };
            Response::Server {
                id,
                address: r.string("leader address")?,
            }
        }
        rt::WELCOME => Response::Welcome {
            heartbeat_timeout_ms: r.u64("heartbeat timeout")?,
        },
        rt::SERVERS => {
            let min = if hint.cluster_format != 0 { 24 } else { 16 };
            let n = r.count(min, "server count")?;
            let mut nodes = Vec::with_capacity(n);
            for _ in 0..n {
                let id = r.u64("node id")?;
                let address = r.string("node address")?;
                let role = if hint.cluster_format != 0 {
                    Some(role(r.u64("node role")?)?)
                } else {
                    None
                };
                nodes.push(NodeInfo { id, address, role });
            }
            Response::Servers { nodes }
        }
        rt::DB => Response::Db {
            id: r.u32_pair("database id")?.0,
        },
        rt::STMT => {
            let (db, id) = r.u32_pair("database and statement id")?;
            Response::Stmt {
                db,
                id,
                params: r.u64("parameter count")?,
            }
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
        code => {
            return Err(ProtoError::UnknownMessageType {
                code,
                direction: "response",
            })
        }
    };
    r.end("response body")?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::test_support::{hex, role, text, txt, value};
    use super::super::{Header, Value};
    use super::*;

    const MODERN: ResponseHint = ResponseHint {
        legacy: false,
        cluster_format: 0,
    };

    fn encoded(resp: &Response, hint: ResponseHint) -> Vec<u8> {
        let mut out = Vec::new();
        encode_response(resp, hint, &mut out).unwrap();
        out
    }

    /// Decodes the documented bytes, compares, and encodes back to the same bytes.
    fn check(bytes: &[u8], hint: ResponseHint, expected: Response) {
        let mut h = [0u8; 8];
        h.copy_from_slice(&bytes[..8]);
        let header = Header::decode(&h);
        assert_eq!(header.body_len(), bytes.len() - 8, "header length");
        assert_eq!(
            decode_response(header.mtype, &bytes[8..], hint).unwrap(),
            expected
        );
        assert_eq!(encoded(&expected, hint), bytes);
    }

    fn rows(columns: &[&str], values: Vec<Value>, end: RowsEnd) -> Response {
        Response::Rows(RowsBatch {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            values,
            end,
        })
    }

    /// The leader's answer to a Leader request, byte for byte as a 1.11.1 node sends it.
    #[test]
    fn leader_welcome_db_result_bytes() {
        check(
            &hex("0300000001000000 be55318c8571c12d 3132372e302e302e 313a313930303100"),
            MODERN,
            Response::Server {
                id: 0x2dc1_7185_8c31_55be,
                address: "127.0.0.1:19001".into(),
            },
        );
        // §1.1: legacy Leader reply = address only.
        check(
            &[hex("0200000001000000"), txt("127.0.0.1:19001")].concat(),
            ResponseHint {
                legacy: true,
                cluster_format: 0,
            },
            Response::Server {
                id: 0,
                address: "127.0.0.1:19001".into(),
            },
        );
        check(
            &hex("0100000002000000 983a000000000000"),
            MODERN,
            Response::Welcome {
                heartbeat_timeout_ms: 15000,
            },
        );
        check(
            &hex("0100000004000000 0000000000000000"),
            MODERN,
            Response::Db { id: 0 },
        );
        check(
            &hex("0200000006000000 0100000000000000 0100000000000000"),
            MODERN,
            Response::Result {
                last_insert_id: 1,
                rows_affected: 1,
            },
        );
    }

    /// §10 (a): SELECT id, name, score, data, n → (1, 'alice', 1.5, x'010203', NULL).
    #[test]
    fn rows_reply_bytes() {
        let bytes = [
            hex("0e00000007000000 0500000000000000"),
            txt("id"),
            txt("name"),
            txt("score"),
            txt("data"),
            txt("n"),
            hex(
                "3142050000000000 0100000000000000 616c696365000000 000000000000f83f \
                 0300000000000000 0102030000000000 0000000000000000 ffffffffffffffff",
            ),
        ]
        .concat();
        let expected = rows(
            &["id", "name", "score", "data", "n"],
            vec![
                Value::Integer(1),
                Value::Text("alice".into()),
                Value::Float(1.5),
                Value::Blob(vec![1, 2, 3]),
                Value::Null,
            ],
            RowsEnd::Done,
        );
        check(&bytes, MODERN, expected);
    }

    /// §4.3: PRAGMA foreign_keys → (1,).
    #[test]
    fn pragma_foreign_keys_bytes() {
        let bytes = [
            hex("0600000007000000 0100000000000000"),
            txt("foreign_keys"),
            hex("0100000000000000 0100000000000000 ffffffffffffffff"),
        ]
        .concat();
        check(
            &bytes,
            MODERN,
            rows(&["foreign_keys"], vec![Value::Integer(1)], RowsEnd::Done),
        );
    }

    /// §4.3: BOOLEAN + DATETIME columns holding 1 and 1700000000 → header byte 0x9b.
    #[test]
    fn boolean_unixtime_rows_bytes() {
        let bytes = [
            hex("0700000007000000 0200000000000000"),
            txt("b"),
            txt("dt"),
            hex("9b00000000000000 0100000000000000 00f1536500000000 ffffffffffffffff"),
        ]
        .concat();
        check(
            &bytes,
            MODERN,
            rows(
                &["b", "dt"],
                vec![Value::Boolean(true), Value::UnixTime(1_700_000_000)],
                RowsEnd::Done,
            ),
        );
    }

    /// §10 (e).
    #[test]
    fn failure_bytes() {
        check(
            &[
                hex("0500000000000000 0100000000000000"),
                txt("near \"SELEC\": syntax error"),
            ]
            .concat(),
            MODERN,
            Response::Failure {
                code: 1,
                message: "near \"SELEC\": syntax error".into(),
            },
        );
        check(
            &[
                hex("0500000000000000 1308000000000000"),
                txt("UNIQUE constraint failed: u.k"),
            ]
            .concat(),
            MODERN,
            Response::Failure {
                code: 2067,
                message: "UNIQUE constraint failed: u.k".into(),
            },
        );
    }

    /// libdqlite 1.11.1's reply to `SELECT load_extension('x')` over QuerySQL (bytes seen
    /// on a node): the Rows it had begun (1 column, its name), then the real failure.
    #[test]
    fn failure_after_a_begun_rows_body() {
        let body = [
            hex("0100000000000000"),
            txt("load_extension('x')"),
            hex("0100000000000000"),
            txt("not authorized"),
        ]
        .concat();
        assert_eq!(
            decode_response(rt::FAILURE, &body, MODERN),
            Ok(Response::Failure {
                code: 1,
                message: "not authorized".into(),
            })
        );
        // Trailing bytes that are not a failure stay an error, as does a missing NUL.
        let mut bad = [hex("0100000000000000"), txt("ok")].concat();
        bad.extend_from_slice(&[7; 8]);
        assert!(decode_response(rt::FAILURE, &bad, MODERN).is_err());
        let no_nul = [hex("0100000000000000"), b"aaaaaaaa".to_vec()].concat();
        assert!(decode_response(rt::FAILURE, &no_nul, MODERN).is_err());
    }

    /// §10 Extra: Cluster v1 reply (the third node is elided in the document).
    #[test]
    fn cluster_v1_bytes() {
        let hint = ResponseHint {
            legacy: false,
            cluster_format: 1,
        };
        let documented_prefix = [
            hex("0d00000003000000 0300000000000000 be55318c8571c12d"),
            txt("127.0.0.1:19001"),
            hex("0000000000000000 ea2d13f1a50b84c1"),
            txt("127.0.0.1:19002"),
            hex("0000000000000000"),
        ]
        .concat();
        let third = [
            hex("0300000000000000"),
            txt("127.0.0.1:19003"),
            hex("0200000000000000"),
        ]
        .concat();
        let bytes = [documented_prefix.clone(), third].concat();
        let expected = Response::Servers {
            nodes: vec![
                NodeInfo {
                    id: 0x2dc1_7185_8c31_55be,
                    address: "127.0.0.1:19001".into(),
                    role: Some(Role::Voter),
                },
                NodeInfo {
                    id: 0xc184_0ba5_f113_2dea,
                    address: "127.0.0.1:19002".into(),
                    role: Some(Role::Voter),
                },
                NodeInfo {
                    id: 3,
                    address: "127.0.0.1:19003".into(),
                    role: Some(Role::Spare),
                },
            ],
        };
        check(&bytes, hint, expected.clone());
        // Format 0 of the same cluster: no role words.
        let v0 = encoded(&expected, MODERN);
        assert_eq!(v0.len(), 8 + 8 + 3 * 24);
        match decode_response(3, &v0[8..], MODERN).unwrap() {
            Response::Servers { nodes } => assert!(nodes.iter().all(|n| n.role.is_none())),
            other => panic!("{other:?}"),
        }
        // A format-1 body read as format 0 is malformed, not silently misread.
        assert!(decode_response(3, &bytes[8..], MODERN).is_err());
    }

    /// §10 Extra: Describe reply, Prepare → Stmt, Finalize → Empty.
    #[test]
    fn describe_stmt_empty_bytes() {
        check(
            &hex("020000000a000000 0000000000000000 0000000000000000"),
            MODERN,
            Response::Metadata {
                failure_domain: 0,
                weight: 0,
            },
        );
        check(
            &hex("0200000005000000 0000000000000000 0100000000000000"),
            MODERN,
            Response::Stmt {
                db: 0,
                id: 0,
                params: 1,
            },
        );
        check(
            &hex("0100000008000000 0000000000000000"),
            MODERN,
            Response::Empty,
        );
    }

    #[test]
    fn files_bytes() {
        let bytes = [
            hex("0700000009000000 0200000000000000"),
            txt("more"),
            hex("0800000000000000 5153514c69746520"),
            txt("more-wal"),
            hex("0000000000000000"),
        ]
        .concat();
        check(
            &bytes,
            MODERN,
            Response::Files {
                files: vec![
                    DumpFile {
                        name: "more".into(),
                        data: b"QSQLite ".to_vec(),
                    },
                    DumpFile {
                        name: "more-wal".into(),
                        data: vec![],
                    },
                ],
            },
        );
    }

    /// §4.4: a batch may hold zero rows; PART then DONE.
    #[test]
    fn zero_row_batches_and_part() {
        let part = [
            hex("0300000007000000 0100000000000000"),
            txt("x"),
            hex("eeeeeeeeeeeeeeee"),
        ]
        .concat();
        check(&part, MODERN, rows(&["x"], vec![], RowsEnd::Part));
        let done = [
            hex("0300000007000000 0100000000000000"),
            txt("x"),
            hex("ffffffffffffffff"),
        ]
        .concat();
        check(&done, MODERN, rows(&["x"], vec![], RowsEnd::Done));
    }

    #[test]
    fn decode_rows_into_reuses_column_names() {
        let first = encoded(
            &rows(
                &["a", "b"],
                vec![Value::Integer(1), Value::Text("x".into())],
                RowsEnd::Part,
            ),
            MODERN,
        );
        let second = encoded(
            &rows(
                &["a", "b"],
                vec![
                    Value::Null,
                    Value::Float(2.0),
                    Value::Integer(3),
                    Value::Null,
                ],
                RowsEnd::Done,
            ),
            MODERN,
        );
        let mut batch = decode_rows(&first[8..]).unwrap();
        assert_eq!(batch.end, RowsEnd::Part);
        let name_ptr = batch.columns[0].as_ptr();
        decode_rows_into(&second[8..], &mut batch).unwrap();
        assert_eq!(
            batch.columns[0].as_ptr(),
            name_ptr,
            "column names were reallocated"
        );
        assert_eq!(
            batch.values,
            [
                Value::Null,
                Value::Float(2.0),
                Value::Integer(3),
                Value::Null
            ]
        );
        assert_eq!(batch.row_count(), 2);
        assert_eq!(batch.end, RowsEnd::Done);
        // Different names replace the old ones.
        let third = encoded(
            &rows(&["c"], vec![Value::Integer(9)], RowsEnd::Done),
            MODERN,
        );
        decode_rows_into(&third[8..], &mut batch).unwrap();
        assert_eq!(batch.columns, ["c"]);
        assert_eq!(batch.values, [Value::Integer(9)]);
    }

    #[test]
    fn malformed_rows_are_errors() {
        // Zero columns.
        assert_eq!(
            decode_rows(&hex("0000000000000000 ffffffffffffffff")),
            Err(ProtoError::ZeroColumns)
        );
        // Absurd column count.
        assert!(matches!(
            decode_rows(&hex("ffffffffffffffff 6100000000000000")),
            Err(ProtoError::Truncated { .. })
        ));
        // Missing end marker.
        let no_end = [
            hex("0100000000000000"),
            txt("x"),
            hex("0100000000000000 0100000000000000"),
        ]
        .concat();
        assert!(matches!(
            decode_rows(&no_end),
            Err(ProtoError::Truncated {
                what: "rows end marker",
                ..
            })
        ));
        // Bytes after the end marker.
        let trailing = [
            hex("0100000000000000"),
            txt("x"),
            hex("ffffffffffffffff 0000000000000000"),
        ]
        .concat();
        assert_eq!(
            decode_rows(&trailing),
            Err(ProtoError::TrailingBytes {
                what: "rows message",
                trailing: 8
            })
        );
        // A marker-like word that is not all ff is a (bad) row header.
        let half = [
            hex("0100000000000000"),
            txt("x"),
            hex("ff00000000000000 ffffffffffffffff"),
        ]
        .concat();
        assert_eq!(
            decode_rows(&half),
            Err(ProtoError::UnknownValueType {
                code: 15,
                what: "row header"
            })
        );
        // Blob longer than the body.
        let blob = [
            hex("0100000000000000"),
            txt("x"),
            hex("0400000000000000 ffffffffffffff7f ffffffffffffffff"),
        ]
        .concat();
        assert!(matches!(
            decode_rows(&blob),
            Err(ProtoError::Truncated {
                what: "blob value",
                ..
            })
        ));
        // A NULL value's word must be present.
        let null = [hex("0100000000000000"), txt("x"), hex("0500000000000000")].concat();
        assert!(matches!(
            decode_rows(&null),
            Err(ProtoError::Truncated { .. })
        ));
        // Files count larger than the body.
        assert!(matches!(
            decode_response(9, &hex("ffffffffffffff0f"), MODERN),
            Err(ProtoError::Truncated { .. })
        ));
        assert_eq!(
            decode_response(11, &[0; 8], MODERN),
            Err(ProtoError::UnknownMessageType {
                code: 11,
                direction: "response"
            })
        );
    }

    #[test]
    fn encoder_refuses_what_would_not_round_trip() {
        let mut out = vec![7];
        let ragged = rows(&["a", "b"], vec![Value::Null], RowsEnd::Done);
        assert_eq!(
            encode_response(&ragged, MODERN, &mut out),
            Err(ProtoError::RaggedRows {
                values: 1,
                columns: 2
            })
        );
        assert_eq!(
            encode_response(&rows(&[], vec![], RowsEnd::Done), MODERN, &mut out),
            Err(ProtoError::ZeroColumns)
        );
        let nul = rows(&["a"], vec![Value::Text("a\0".into())], RowsEnd::Done);
        assert!(matches!(
            encode_response(&nul, MODERN, &mut out),
            Err(ProtoError::NulInText { .. })
        ));
        let nul = Response::Failure {
            code: 1,
            message: "\0".into(),
        };
        assert!(matches!(
            encode_response(&nul, MODERN, &mut out),
            Err(ProtoError::NulInText { .. })
        ));
        assert_eq!(out, [7]);
    }

    fn batch() -> impl Strategy<Value = RowsBatch> {
        (1usize..6, 0usize..5, any::<bool>()).prop_flat_map(|(ncols, nrows, part)| {
            (
                proptest::collection::vec(text(), ncols),
                proptest::collection::vec(value(), ncols * nrows),
                Just(if part { RowsEnd::Part } else { RowsEnd::Done }),
            )
                .prop_map(|(columns, values, end)| RowsBatch {
                    columns,
                    values,
                    end,
                })
        })
    }

    /// A response together with the hint it must be decoded with.
    fn response() -> impl Strategy<Value = (Response, ResponseHint)> {
        let modern = |r: Response| (r, MODERN);
        prop_oneof![
            (any::<u64>(), text())
                .prop_map(move |(code, message)| modern(Response::Failure { code, message })),
            (any::<u64>(), text())
                .prop_map(move |(id, address)| modern(Response::Server { id, address })),
            text().prop_map(|address| (
                Response::Server { id: 0, address },
                ResponseHint {
                    legacy: true,
                    cluster_format: 0
                }
            )),
            any::<u64>().prop_map(move |t| modern(Response::Welcome {
                heartbeat_timeout_ms: t
            })),
            proptest::collection::vec((any::<u64>(), text()), 0..5).prop_map(move |nodes| modern(
                Response::Servers {
                    nodes: nodes
                        .into_iter()
                        .map(|(id, address)| NodeInfo {
                            id,
                            address,
                            role: None
                        })
                        .collect()
                }
            )),
            (
                1u64..4,
                proptest::collection::vec((any::<u64>(), text(), role()), 0..5)
            )
                .prop_map(|(format, nodes)| (
                    Response::Servers {
                        nodes: nodes
                            .into_iter()
                            .map(|(id, address, role)| NodeInfo {
                                id,
                                address,
                                role: Some(role)
                            })
                            .collect()
                    },
                    ResponseHint {
                        legacy: false,
                        cluster_format: format
                    }
                )),
            any::<u32>().prop_map(move |id| modern(Response::Db { id })),
            (any::<u32>(), any::<u32>(), any::<u64>())
                .prop_map(move |(db, id, params)| modern(Response::Stmt { db, id, params })),
            (any::<u64>(), any::<u64>()).prop_map(move |(last_insert_id, rows_affected)| modern(
                Response::Result {
                    last_insert_id,
                    rows_affected
                }
            )),
            batch().prop_map(move |b| modern(Response::Rows(b))),
            Just(modern(Response::Empty)),
            proptest::collection::vec(
                (text(), proptest::collection::vec(any::<u8>(), 0..40)),
                0..4
            )
            .prop_map(move |files| modern(Response::Files {
                files: files
                    .into_iter()
                    .map(|(name, data)| DumpFile { name, data })
                    .collect()
            })),
            (any::<u64>(), any::<u64>()).prop_map(move |(failure_domain, weight)| modern(
                Response::Metadata {
                    failure_domain,
                    weight
                }
            )),
        ]
    }

    fn hint() -> impl Strategy<Value = ResponseHint> {
        (any::<bool>(), 0u64..3).prop_map(|(legacy, cluster_format)| ResponseHint {
            legacy,
            cluster_format,
        })
    }

    proptest! {
        #[test]
        fn response_round_trip((resp, hint) in response()) {
            let out = encoded(&resp, hint);
            let mut h = [0u8; 8];
            h.copy_from_slice(&out[..8]);
            let header = Header::decode(&h);
            prop_assert_eq!(header.mtype, response_code(&resp));
            prop_assert_eq!(header.body_len(), out.len() - 8);
            prop_assert!(header.body_len() >= 8, "empty body");
            prop_assert_eq!(decode_response(header.mtype, &out[8..], hint).unwrap(), resp.clone());
            if let Response::Rows(b) = &resp {
                // Reusing a batch that held something else gives the same result.
                let mut reused = RowsBatch {
                    columns: vec!["old".into()],
                    values: vec![Value::Integer(1)],
                    end: RowsEnd::Part,
                };
                decode_rows_into(&out[8..], &mut reused).unwrap();
                prop_assert_eq!(&reused, b);
                decode_rows_into(&out[8..], &mut reused).unwrap();
                prop_assert_eq!(&reused, b);
            }
        }

        #[test]
        fn decode_response_never_panics(mtype in any::<u8>(), hint in hint(),
                                        body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_response(mtype, &body, hint);
            let _ = decode_response(mtype, &body[..body.len() / 8 * 8], hint);
        }

        #[test]
        fn decode_response_survives_corruption((resp, hint) in response(), other in hint(),
                                               cut in any::<prop::sample::Index>(),
                                               flip in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let out = encoded(&resp, hint);
            let mut body = out[8..].to_vec();
            let _ = decode_response(out[4], &body, other);
            let i = flip.index(body.len());
            body[i] = byte;
            let _ = decode_response(out[4], &body, hint);
            let _ = decode_response(out[4], &body[..cut.index(body.len() + 1)], hint);
        }
    }
}
