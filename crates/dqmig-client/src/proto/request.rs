//! Requests (client → server): encoding and decoding of every request body of 1.11.1.
//!
//! The `encode_*_sql`/`encode_exec`/`encode_query` functions are the borrowing hot-path
//! encoders the connection uses without building a [`Request`]; `encode_request` is built on
//! them. Every encoder appends header + body and leaves `out` unchanged on error.

use super::value::{check_params, put_params_unchecked, read_params};
use super::wire::{
    begin, check_aligned, check_text, finish, put_text, put_text_unchecked, put_u32_pair, put_u64,
    Reader,
};
use super::{request_type as rt, ProtoError, Request, Role, Value, HEADER_LEN};

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
fn sql_message(
    out: &mut Vec<u8>,
    mtype: u8,
    db: u64,
    sql: &str,
    params: &[Value],
) -> Result<(), ProtoError> {
    check_text(sql, "sql")?;
    check_params(params)?;
    out.reserve(HEADER_LEN + 16 + sql.len() + 8 + params.len() * 9);
    message(out, mtype, |out| {
        put_u64(out, db);
        put_text_unchecked(out, sql);
        put_params_unchecked(out, params);
        Ok(())
    })
}

#[inline]
fn stmt_message(
    out: &mut Vec<u8>,
    mtype: u8,
    db: u32,
    stmt: u32,
    params: &[Value],
) -> Result<(), ProtoError> {
    check_params(params)?;
    message(out, mtype, |out| {
        put_u32_pair(out, db, stmt);
        put_params_unchecked(out, params);
        Ok(())
    })
}

/// Appends an ExecSQL request (type 8): u64 db, text sql, parameter tuple.
pub fn encode_exec_sql(
    out: &mut Vec<u8>,
    db: u64,
    sql: &str,
    params: &[Value],
) -> Result<(), ProtoError> {
    sql_message(out, rt::EXEC_SQL, db, sql, params)
}

/// Appends a QuerySQL request (type 9): u64 db, text sql, parameter tuple.
pub fn encode_query_sql(
    out: &mut Vec<u8>,
    db: u64,
    sql: &str,
    params: &[Value],
) -> Result<(), ProtoError> {
    sql_message(out, rt::QUERY_SQL, db, sql, params)
}

/// Appends an Exec request (type 5): u32 db, u32 stmt, parameter tuple.
pub fn encode_exec(
    out: &mut Vec<u8>,
    db: u32,
    stmt: u32,
    params: &[Value],
) -> Result<(), ProtoError> {
    stmt_message(out, rt::EXEC, db, stmt, params)
}

/// Appends a Query request (type 6): u32 db, u32 stmt, parameter tuple.
pub fn encode_query(
    out: &mut Vec<u8>,
    db: u32,
    stmt: u32,
    params: &[Value],
) -> Result<(), ProtoError> {
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
fn id_text_message(
    out: &mut Vec<u8>,
    mtype: u8,
    id: u64,
    text: &str,
    what: &'static str,
) -> Result<(), ProtoError> {
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
        Request::Client { id } | Request::Remove { id } | Request::Transfer { id } => {
            word_message(out, code, *id)
        }
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
        rt::CLIENT => Request::Client {
            id: r.u64("client id")?,
        },
        rt::OPEN => Request::Open {
            name: r.string("database name")?,
            flags: r.u64("open flags")?,
            vfs: r.string("vfs name")?,
        },
        rt::PREPARE => Request::Prepare {
            db: r.u64("database id")?,
            sql: r.string("sql")?,
        },
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
        rt::INTERRUPT => Request::Interrupt {
            db: r.u64("database id")?,
        },
        rt::ADD => Request::Add {
            id: r.u64("node id")?,
            address: r.string("node address")?,
        },
        rt::ASSIGN => {
            let id = r.u64("node id")?;
            let role = if r.is_empty() {
                None
            } else {
                Some(role(r.u64("node role")?)?)
            };
            Request::Assign { id, role }
        }
        rt::REMOVE => Request::Remove {
            id: r.u64("node id")?,
        },
        rt::DUMP => Request::Dump {
            name: r.string("database name")?,
        },
        rt::CLUSTER => Request::Cluster {
            format: r.u64("cluster format")?,
        },
        rt::TRANSFER => Request::Transfer {
            id: r.u64("node id")?,
        },
        rt::DESCRIBE => Request::Describe {
            format: r.u64("describe format")?,
        },
        rt::WEIGHT => Request::Weight {
            weight: r.u64("weight")?,
        },
        code => {
            return Err(ProtoError::UnknownMessageType {
                code,
                direction: "request",
            })
        }
    };
    r.end("request body")?;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::test_support::{hex, params, role, text, txt};
    use super::super::{Header, Value, PROTOCOL_VERSION, PROTOCOL_VERSION_LEGACY};
    use super::*;

    fn encoded(req: &Request) -> Vec<u8> {
        let mut out = Vec::new();
        encode_request(req, &mut out).unwrap();
        out
    }

    /// Encodes, compares with the expected bytes, and decodes back.
    fn check(req: Request, expected: &[u8]) {
        let out = encoded(&req);
        assert_eq!(out, expected, "{req:?}");
        assert_eq!(decode_request(out[4], &out[8..]).unwrap(), req);
    }

    #[test]
    fn handshake_words() {
        assert_eq!(
            PROTOCOL_VERSION.to_le_bytes().to_vec(),
            hex("0100000000000000")
        );
        assert_eq!(
            PROTOCOL_VERSION_LEGACY.to_le_bytes().to_vec(),
            hex("e53f4360d74d1086")
        );
    }

    /// Leader, Client and Open requests, byte for byte as a 1.11.1 node reads them.
    #[test]
    fn leader_client_open_bytes() {
        check(Request::Leader, &hex("0100000000000000 0000000000000000"));
        check(
            Request::Client { id: 0 },
            &hex("0100000001000000 0000000000000000"),
        );
        check(
            Request::Open { name: "rt".into(), flags: 0, vfs: "volatile".into() },
            &hex("0400000003000000 7274000000000000 0000000000000000 766f6c6174696c65 0000000000000000"),
        );
    }

    /// §10 (a): the ExecSQL INSERT with params [TEXT, FLOAT, BLOB, NULL].
    #[test]
    fn exec_sql_insert_bytes() {
        let sql = "INSERT INTO t (name, score, data, n) VALUES (?, ?, ?, ?)";
        let expected = [
            hex("0f00000008000000 0000000000000000"),
            txt(sql),
            hex("0403020405000000 616c696365000000 000000000000f83f 0300000000000000 0102030000000000 0000000000000000"),
        ]
        .concat();
        let params = vec![
            Value::Text("alice".into()),
            Value::Float(1.5),
            Value::Blob(vec![1, 2, 3]),
            Value::Null,
        ];
        check(
            Request::ExecSql {
                db: 0,
                sql: sql.into(),
                params: params.clone(),
            },
            &expected,
        );
        // The borrowing hot-path encoder writes the same bytes.
        let mut out = vec![0xaa];
        encode_exec_sql(&mut out, 0, sql, &params).unwrap();
        assert_eq!(out[1..], expected[..]);
    }

    /// §10 (a) QuerySQL without parameters: nothing after the SQL; §10 (e) "SELEC 1".
    #[test]
    fn query_sql_and_syntax_error_exec_bytes() {
        let sql = "SELECT id, name, score, data, n FROM t";
        let expected = [hex("0600000009000000 0000000000000000"), txt(sql)].concat();
        check(
            Request::QuerySql {
                db: 0,
                sql: sql.into(),
                params: vec![],
            },
            &expected,
        );
        let mut out = Vec::new();
        encode_query_sql(&mut out, 0, sql, &[]).unwrap();
        assert_eq!(out, expected);
        check(
            Request::ExecSql {
                db: 0,
                sql: "SELEC 1".into(),
                params: vec![],
            },
            &hex("0200000008000000 0000000000000000 53454c4543203100"),
        );
    }

    #[test]
    fn other_request_bytes() {
        check(
            Request::Cluster { format: 1 },
            &hex("0100000010000000 0100000000000000"),
        );
        check(
            Request::Describe { format: 0 },
            &hex("0100000012000000 0000000000000000"),
        );
        check(
            Request::Prepare {
                db: 0,
                sql: "SELECT 1".into(),
            },
            &[hex("0300000004000000 0000000000000000"), txt("SELECT 1")].concat(),
        );
        check(
            Request::Finalize { db: 0, stmt: 1 },
            &hex("0100000007000000 0000000001000000"),
        );
        check(
            Request::Exec {
                db: 0,
                stmt: 2,
                params: vec![],
            },
            &hex("0100000005000000 0000000002000000"),
        );
        check(
            Request::Query {
                db: 0,
                stmt: 2,
                params: vec![Value::Integer(7)],
            },
            &hex("0300000006000000 0000000002000000 0101000000000000 0700000000000000"),
        );
        check(
            Request::Assign { id: 5, role: None },
            &hex("010000000d000000 0500000000000000"),
        );
        check(
            Request::Assign {
                id: 5,
                role: Some(Role::Spare),
            },
            &hex("020000000d000000 0500000000000000 0200000000000000"),
        );
    }

    #[test]
    fn guard_rails() {
        let mut out = vec![1, 2, 3];
        let too_many = vec![Value::Integer(1); 256];
        for req in [
            Request::ExecSql {
                db: 0,
                sql: "x".into(),
                params: too_many.clone(),
            },
            Request::QuerySql {
                db: 0,
                sql: "x".into(),
                params: too_many.clone(),
            },
            Request::Exec {
                db: 0,
                stmt: 0,
                params: too_many.clone(),
            },
            Request::Query {
                db: 0,
                stmt: 0,
                params: too_many.clone(),
            },
        ] {
            assert_eq!(
                encode_request(&req, &mut out),
                Err(ProtoError::TooManyParams { count: 256 })
            );
        }
        assert_eq!(
            encode_request(&Request::Describe { format: 1 }, &mut out),
            Err(ProtoError::DescribeFormat { format: 1 })
        );
        assert_eq!(
            encode_request(
                &Request::ExecSql {
                    db: 0,
                    sql: "SELECT 1;\0DROP".into(),
                    params: vec![]
                },
                &mut out
            ),
            Err(ProtoError::NulInText {
                what: "sql",
                position: 9
            })
        );
        assert_eq!(
            encode_request(
                &Request::Open {
                    name: "rt".into(),
                    flags: 0,
                    vfs: "a\0".into()
                },
                &mut out
            ),
            Err(ProtoError::NulInText {
                what: "vfs name",
                position: 1
            })
        );
        assert_eq!(
            encode_request(
                &Request::QuerySql {
                    db: 0,
                    sql: "?".into(),
                    params: vec![Value::Text("a\0b".into())]
                },
                &mut out
            ),
            Err(ProtoError::NulInText {
                what: "text parameter",
                position: 1
            })
        );
        // Failed encodes leave the buffer as it was.
        assert_eq!(out, [1, 2, 3]);
        // 255 parameters is the maximum and round-trips.
        let max = Request::ExecSql {
            db: 0,
            sql: "x".into(),
            params: vec![Value::Boolean(true); 255],
        };
        let enc = encoded(&max);
        assert_eq!(decode_request(enc[4], &enc[8..]).unwrap(), max);
    }

    #[test]
    fn decode_rejects_malformed() {
        assert_eq!(
            decode_request(0, &[0; 4]),
            Err(ProtoError::UnalignedBody { len: 4 })
        );
        assert!(matches!(
            decode_request(0, &[]),
            Err(ProtoError::Truncated { .. })
        ));
        assert_eq!(
            decode_request(0, &[0; 16]),
            Err(ProtoError::TrailingBytes {
                what: "request body",
                trailing: 8
            })
        );
        assert_eq!(
            decode_request(2, &[0; 8]),
            Err(ProtoError::UnknownMessageType {
                code: 2,
                direction: "request"
            })
        );
        assert_eq!(
            decode_request(20, &[0; 8]),
            Err(ProtoError::UnknownMessageType {
                code: 20,
                direction: "request"
            })
        );
        assert_eq!(
            decode_request(13, &hex("0500000000000000 0300000000000000")),
            Err(ProtoError::UnknownRole { code: 3 })
        );
        // Parameter count larger than the body.
        assert!(matches!(
            decode_request(5, &hex("0000000000000000 ff01010101010101")),
            Err(ProtoError::Truncated { .. })
        ));
    }

    fn request() -> impl Strategy<Value = Request> {
        prop_oneof![
            Just(Request::Leader),
            any::<u64>().prop_map(|id| Request::Client { id }),
            (text(), any::<u64>(), text()).prop_map(|(name, flags, vfs)| Request::Open {
                name,
                flags,
                vfs
            }),
            (any::<u64>(), text()).prop_map(|(db, sql)| Request::Prepare { db, sql }),
            (any::<u32>(), any::<u32>(), params()).prop_map(|(db, stmt, params)| Request::Exec {
                db,
                stmt,
                params
            }),
            (any::<u32>(), any::<u32>(), params()).prop_map(|(db, stmt, params)| Request::Query {
                db,
                stmt,
                params
            }),
            (any::<u32>(), any::<u32>()).prop_map(|(db, stmt)| Request::Finalize { db, stmt }),
            (any::<u64>(), text(), params()).prop_map(|(db, sql, params)| Request::ExecSql {
                db,
                sql,
                params
            }),
            (any::<u64>(), text(), params()).prop_map(|(db, sql, params)| Request::QuerySql {
                db,
                sql,
                params
            }),
            any::<u64>().prop_map(|db| Request::Interrupt { db }),
            (any::<u64>(), text()).prop_map(|(id, address)| Request::Add { id, address }),
            (any::<u64>(), proptest::option::of(role()))
                .prop_map(|(id, role)| Request::Assign { id, role }),
            any::<u64>().prop_map(|id| Request::Remove { id }),
            text().prop_map(|name| Request::Dump { name }),
            any::<u64>().prop_map(|format| Request::Cluster { format }),
            any::<u64>().prop_map(|id| Request::Transfer { id }),
            Just(Request::Describe { format: 0 }),
            any::<u64>().prop_map(|weight| Request::Weight { weight }),
        ]
    }

    proptest! {
        #[test]
        fn request_round_trip(req in request(), prefix in proptest::collection::vec(any::<u8>(), 0..9)) {
            let mut out = prefix.clone();
            encode_request(&req, &mut out).unwrap();
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            let msg = &out[prefix.len()..];
            let mut h = [0u8; 8];
            h.copy_from_slice(&msg[..8]);
            let header = Header::decode(&h);
            prop_assert_eq!(header.mtype, request_code(&req));
            prop_assert_eq!(header.schema, 0);
            prop_assert_eq!(header.body_len(), msg.len() - 8);
            prop_assert!(header.body_len() >= 8, "empty body");
            prop_assert_eq!(decode_request(header.mtype, &msg[8..]).unwrap(), req);
        }

        #[test]
        fn decode_request_never_panics(mtype in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..160)) {
            let _ = decode_request(mtype, &body);
            let aligned = &body[..body.len() / 8 * 8];
            let _ = decode_request(mtype, aligned);
        }

        #[test]
        fn decode_request_survives_corruption(req in request(), cut in any::<prop::sample::Index>(),
                                              flip in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let out = encoded(&req);
            let mut body = out[8..].to_vec();
            let i = flip.index(body.len());
            body[i] = byte;
            let _ = decode_request(out[4], &body);
            let _ = decode_request(out[4], &body[..cut.index(body.len() + 1)]);
        }
    }
}
