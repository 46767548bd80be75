//! Guard rails (requests that would corrupt results or crash a 1.11 node) and error codes/classes on a real node: each refused request
//! returns its own error and the node keeps serving on the same connection — including a
//! write, which is what would have crashed a 1.11 node after RETURNING.

use dqmig::client::{Connection, Error, ErrorClass, Request, Response, ToValue, Value};
use dqmig::params;

use crate::client::open;
use crate::support::start_node;

/// The connection and the node still serve reads and writes.
fn assert_still_serving(c: &mut Connection) {
    assert!(!c.is_broken());
    c.execute_batch("CREATE TABLE IF NOT EXISTS alive (x)")
        .unwrap();
    c.execute("INSERT INTO alive (x) VALUES (?)", params![1])
        .unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM alive", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert!(n >= 1);
    // A second connection too (a crashed node would refuse it).
    let mut other = Connection::open(c.address(), "test").unwrap();
    other
        .execute("INSERT INTO alive (x) VALUES (?)", params![2])
        .unwrap();
}

#[test]
fn more_than_255_parameters_is_refused() {
    let t = start_node();
    let mut c = open(&t);
    let values: Vec<i64> = (0..256).collect();
    let refs: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();
    let placeholders = vec!["?"; 256].join(", ");
    let sql = format!("SELECT {placeholders}");
    for err in [
        c.execute(&sql, &refs).unwrap_err(),
        c.query(&sql, &refs).unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::TooManyParams { count: 256, .. }),
            "{err}"
        );
        assert_eq!(err.class(), ErrorClass::Programming);
        assert!(err.to_string().contains("255"), "{err}");
    }
    let err = c
        .request(&Request::QuerySql {
            db: 0,
            sql: sql.clone(),
            params: vec![Value::Integer(1); 256],
        })
        .unwrap_err();
    assert!(matches!(err, Error::TooManyParams { .. }), "{err}");
    // 255 is fine and every value arrives (not the silent NULLs of a mis-parsed tuple).
    let sql = format!("SELECT {}", vec!["?"; 255].join(", "));
    let row = c.query_row(&sql, &refs[..255]).unwrap();
    assert_eq!(row.get::<i64>(254).unwrap(), 254);
    assert_still_serving(&mut c);
}

#[test]
fn returning_is_refused_via_execute_query_run_prepare_and_request() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE r (id INTEGER PRIMARY KEY, x TEXT)")
        .unwrap();
    let sql = "INSERT INTO r (x) VALUES (?) RETURNING id";
    let errs = vec![
        c.execute(sql, params!["a"]).unwrap_err(),
        c.query(sql, params!["a"]).unwrap_err(),
        c.run(sql, params!["a"]).unwrap_err(),
        c.prepare(sql).unwrap_err(),
        c.execute_batch("UPDATE r SET x = 'b' returning *")
            .unwrap_err(),
        c.request(&Request::QuerySql {
            db: 0,
            sql: sql.into(),
            params: vec![],
        })
        .unwrap_err(),
        c.request(&Request::ExecSql {
            db: 0,
            sql: sql.into(),
            params: vec![],
        })
        .unwrap_err(),
        c.request(&Request::Prepare {
            db: 0,
            sql: sql.into(),
        })
        .unwrap_err(),
    ];
    for err in errs {
        assert!(matches!(err, Error::Returning { .. }), "{err}");
        assert_eq!(err.class(), ErrorClass::Programming);
        assert!(err.to_string().contains("RETURNING"), "{err}");
    }
    // The word as a string or quoted name is fine.
    c.execute("INSERT INTO r (x) VALUES ('returning')", params![])
        .unwrap();
    c.execute_batch("CREATE TABLE q (\"returning\" TEXT)")
        .unwrap();
    c.execute("INSERT INTO q (\"returning\") VALUES (?)", params!["ok"])
        .unwrap();
    assert_still_serving(&mut c);
    assert_eq!(
        c.query_row("SELECT count(*) FROM r", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );
}

/// `PRAGMA journal_mode=...`, `page_size=...` and `locking_mode=...` abort a 1.11.1 node
/// (seen through `dqmig sql` and go-dqlite's shell): the client refuses them on every path,
/// and the node keeps serving; reading them is allowed.
#[test]
fn node_aborting_pragmas_are_refused_on_every_path() {
    let t = start_node();
    let mut c = open(&t);
    for sql in [
        "PRAGMA journal_mode=DELETE",
        "PRAGMA main.page_size = 8192",
        "PRAGMA locking_mode(EXCLUSIVE)",
    ] {
        let errs = vec![
            c.execute(sql, params![]).unwrap_err(),
            c.query(sql, params![]).unwrap_err(),
            c.run(sql, params![]).unwrap_err(),
            c.prepare(sql).unwrap_err(),
            c.execute_batch(&format!("SELECT 1; {sql}")).unwrap_err(),
            c.request(&Request::ExecSql {
                db: 0,
                sql: sql.into(),
                params: vec![],
            })
            .unwrap_err(),
        ];
        for err in errs {
            assert!(matches!(err, Error::CrashingPragma { .. }), "{sql}: {err}");
            assert_eq!(err.class(), ErrorClass::Programming);
            assert!(
                err.to_string().contains("aborts dqlite 1.11 nodes"),
                "{err}"
            );
        }
    }
    let mode: String = c
        .query_row("PRAGMA journal_mode", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(mode.to_ascii_lowercase(), "wal");
    assert_still_serving(&mut c);
}

/// The empty name, `:memory:` and `file:` names crash a 1.11.1 node (SIGSEGV) or fail:
/// refused before sending, and the node keeps serving.
#[test]
fn database_names_that_crash_a_node_are_refused() {
    let t = start_node();
    let mut c = open(&t);
    for name in ["", ":memory:", "file::memory:", "file:app.db"] {
        let Err(err) = Connection::open(c.address(), name) else {
            panic!("{name:?} was opened");
        };
        assert!(matches!(err, Error::DatabaseName { .. }), "{name:?}: {err}");
        assert_eq!(err.class(), ErrorClass::Programming);
        assert!(err.to_string().contains("app.db"), "{err}");
    }
    assert_still_serving(&mut c);
}

#[test]
fn finalized_statement_ids_are_never_reused() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE f (x)").unwrap();
    let s0 = c.prepare("INSERT INTO f (x) VALUES (1)").unwrap();
    let s1 = c.prepare("INSERT INTO f (x) VALUES (2)").unwrap();
    let id0 = s0.id();
    assert_ne!(id0, s1.id());
    c.finalize(s0).unwrap();
    // Exec/Query/Finalize on the freed (non-highest) slot would SIGSEGV a 1.11 node.
    for req in [
        Request::Exec {
            db: 0,
            stmt: id0,
            params: vec![],
        },
        Request::Query {
            db: 0,
            stmt: id0,
            params: vec![],
        },
        Request::Finalize { db: 0, stmt: id0 },
        Request::Exec {
            db: 0,
            stmt: 999,
            params: vec![],
        },
    ] {
        let err = c.request(&req).unwrap_err();
        assert!(
            matches!(err, Error::StatementNotLive { .. }),
            "{req:?}: {err}"
        );
        assert_eq!(err.class(), ErrorClass::Programming);
    }
    // The live one still works through the raw API, and Prepare through it is tracked.
    match c
        .request(&Request::Exec {
            db: 0,
            stmt: s1.id(),
            params: vec![],
        })
        .unwrap()
    {
        Response::Result { rows_affected, .. } => assert_eq!(rows_affected, 1),
        other => panic!("expected Result, got {other:?}"),
    }
    let id = match c
        .request(&Request::Prepare {
            db: 0,
            sql: "SELECT x FROM f".into(),
        })
        .unwrap()
    {
        Response::Stmt { id, .. } => id,
        other => panic!("expected Stmt, got {other:?}"),
    };
    match c
        .request(&Request::Query {
            db: 0,
            stmt: id,
            params: vec![],
        })
        .unwrap()
    {
        Response::Rows(batch) => assert_eq!(batch.values, vec![Value::Integer(2)]),
        other => panic!("expected Rows, got {other:?}"),
    }
    assert!(matches!(
        c.request(&Request::Finalize { db: 0, stmt: id }).unwrap(),
        Response::Empty
    ));
    assert!(matches!(
        c.request(&Request::Query {
            db: 0,
            stmt: id,
            params: vec![]
        })
        .unwrap_err(),
        Error::StatementNotLive { .. }
    ));
    c.finalize(s1).unwrap();

    // A handle whose id was finalized behind its back and then reused by the server for a
    // new statement is refused, although the id itself is live again.
    let old = c.prepare("INSERT INTO f (x) VALUES (3)").unwrap();
    assert!(matches!(
        c.request(&Request::Finalize {
            db: 0,
            stmt: old.id()
        })
        .unwrap(),
        Response::Empty
    ));
    let new = c.prepare("INSERT INTO f (x) VALUES (4)").unwrap();
    assert_eq!(new.id(), old.id(), "the server reuses the freed id");
    let err = c.exec_prepared(&old, params![]).unwrap_err();
    assert!(matches!(err, Error::StatementNotLive { .. }), "{err}");
    c.exec_prepared(&new, params![]).unwrap();
    let xs: Vec<i64> = c
        .query("SELECT x FROM f ORDER BY x", params![])
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    assert_eq!(xs, [2, 4]);
    assert_still_serving(&mut c);
}

#[test]
fn describe_with_a_non_zero_format_is_refused() {
    let t = start_node();
    let mut c = open(&t);
    let err = c.request(&Request::Describe { format: 1 }).unwrap_err();
    assert!(matches!(err, Error::DescribeFormat { format: 1 }), "{err}");
    match c.request(&Request::Describe { format: 0 }).unwrap() {
        Response::Metadata { .. } => {}
        other => panic!("expected Metadata, got {other:?}"),
    }
    assert_still_serving(&mut c);
}

#[test]
fn nul_in_text_and_multiple_statements_are_refused() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE n (x TEXT)").unwrap();
    let err = c
        .execute("INSERT INTO n VALUES ('a\0b')", params![])
        .unwrap_err();
    assert!(
        matches!(err, Error::NulInText { position: 24, .. }),
        "{err}"
    );
    let err = c
        .execute("INSERT INTO n VALUES (?)", params!["a\0b"])
        .unwrap_err();
    assert!(matches!(err, Error::NulInText { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Programming);
    let err = c
        .query("SELECT 1; INSERT INTO n VALUES ('x')", params![])
        .unwrap_err();
    assert!(matches!(err, Error::MultipleStatements { .. }), "{err}");
    assert_eq!(
        c.query_row("SELECT count(*) FROM n", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        0
    );
    assert_still_serving(&mut c);
}

#[test]
fn server_error_codes_and_classes() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                             k TEXT UNIQUE, nn TEXT NOT NULL DEFAULT 'x', pos INTEGER CHECK (pos > 0));
         INSERT INTO parent (id) VALUES (1);
         INSERT INTO child (id, pid, k, pos) VALUES (1, 1, 'a', 1);",
    )
    .unwrap();
    let cases: Vec<(&str, u64, ErrorClass, &str)> = vec![
        ("SELEC 1", 1, ErrorClass::Programming, "syntax error"),
        (
            "INSERT INTO nosuch VALUES (1)",
            1,
            ErrorClass::Programming,
            "no such table",
        ),
        (
            "INSERT INTO child (pid, k, pos) VALUES (1, 'a', 1)",
            2067,
            ErrorClass::Integrity,
            "UNIQUE",
        ),
        (
            "INSERT INTO child (id, pos) VALUES (1, 1)",
            1555,
            ErrorClass::Integrity,
            "UNIQUE",
        ),
        (
            "INSERT INTO child (nn, pos) VALUES (NULL, 1)",
            1299,
            ErrorClass::Integrity,
            "NOT NULL",
        ),
        (
            "INSERT INTO child (pos) VALUES (-1)",
            275,
            ErrorClass::Integrity,
            "CHECK",
        ),
        (
            "INSERT INTO child (pid, pos) VALUES (42, 1)",
            787,
            ErrorClass::Integrity,
            "FOREIGN KEY",
        ),
        (
            "DELETE FROM parent WHERE id = 1",
            787,
            ErrorClass::Integrity,
            "FOREIGN KEY",
        ),
        ("COMMIT", 1, ErrorClass::Programming, "no transaction"),
    ];
    for (sql, code, class, text) in cases {
        for err in [
            c.execute(sql, params![]).unwrap_err(),
            c.execute_batch(sql).unwrap_err(),
        ] {
            assert_eq!(err.code(), Some(code), "{sql}: {err}");
            assert_eq!(err.primary_code(), Some(code & 0xff), "{sql}");
            assert_eq!(err.class(), class, "{sql}: {err}");
            assert!(!err.is_busy() && !err.is_leader_lost(), "{sql}");
            let msg = err.to_string();
            assert!(msg.contains(text), "{sql}: {msg}");
            assert!(msg.contains(&format!("code {code}")), "{sql}: {msg}");
            assert!(msg.contains("executing"), "{sql}: {msg}");
            match &err {
                Error::Server { sql: Some(s), .. } => assert_eq!(s, sql),
                other => panic!("{sql}: expected Error::Server, got {other:?}"),
            }
        }
    }
    // A statement that fails at its first step while the node encodes its rows: libdqlite
    // 1.11.1 sends the begun Rows in front of the Failure; the client reads the failure (it
    // took the reply for a protocol error, so an upgrade retried it as a lost connection).
    for sql in [
        "SELECT load_extension('x')",
        "SELECT * FROM pragma_journal_mode('delete')",
    ] {
        let err = c.query(sql, params![]).unwrap_err();
        assert!(matches!(err, Error::Server { .. }), "{sql}: {err:?}");
        assert_eq!(err.class(), ErrorClass::Programming, "{sql}: {err}");
        assert!(!c.is_broken(), "{sql}: the connection is fine");
    }
    let err = c.query("SELECT * FROM nosuch", params![]).unwrap_err();
    assert!(
        err.to_string()
            .contains("querying \"SELECT * FROM nosuch\""),
        "{err}"
    );
    // Too many values for the placeholders: range error 25.
    let err = c.execute("SELECT ?", params![1, 2]).unwrap_err();
    assert_eq!(err.code(), Some(25));
    assert_eq!(err.class(), ErrorClass::Programming);
    // UNIXTIME is not accepted as a parameter by 1.11: 1005, not a crash.
    for _ in 0..2 {
        let err = c
            .execute("SELECT ?", params![Value::UnixTime(5)])
            .unwrap_err();
        assert_eq!(err.code(), Some(1005), "{err}");
        assert_eq!(err.class(), ErrorClass::Programming);
    }
    // Nothing above broke the connection or the data.
    assert_eq!(
        c.query_row("SELECT count(*) FROM child", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );
    assert_still_serving(&mut c);
}
