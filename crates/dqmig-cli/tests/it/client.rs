//! Client against a real in-process node: connecting (TCP and abstract socket), CRUD, every
//! value type both ways, large and multi-batch results (streamed and buffered), the 20 MiB
//! blob, interrupt draining, prepared statements and the statement cache.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use dqmig::client::{ConnectOptions, Connection, Error, ExecResult, Outcome, Value};
use dqmig::node::{self, NodeConfig};
use dqmig::params;

use crate::support::{start_node, TestNode};

pub fn open(t: &TestNode) -> Connection {
    Connection::open(&t.address, "test").expect("opening database \"test\" on the test node")
}

/// 2000 rows `(n, 'row-0000n')` in table `big`.
fn fill_big(c: &mut Connection) {
    c.execute_batch(
        "CREATE TABLE big (n INTEGER PRIMARY KEY, s TEXT NOT NULL);
         INSERT INTO big (n, s) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
         SELECT x, printf('row-%05d', x) FROM c;",
    )
    .unwrap();
}

#[test]
fn crud_round_trip() {
    let t = start_node();
    let mut c = open(&t);
    assert_eq!(c.database(), Some("test"));
    c.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)",
        params![],
    )
    .unwrap();
    let r = c
        .execute(
            "INSERT INTO users (name, score) VALUES (?, ?)",
            params!["alice", 1.5],
        )
        .unwrap();
    assert_eq!(
        r,
        ExecResult {
            last_insert_id: 1,
            rows_affected: 1
        }
    );
    let r = c
        .execute(
            "INSERT INTO users (name, score) VALUES (?, ?)",
            params!["bob", None::<f64>],
        )
        .unwrap();
    assert_eq!(r.last_insert_id, 2);

    let rows = c
        .query("SELECT id, name, score FROM users ORDER BY id", params![])
        .unwrap();
    assert_eq!(
        &*rows.columns,
        &["id".to_string(), "name".to_string(), "score".to_string()]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.rows[0].get::<String>(1).unwrap(), "alice");
    assert_eq!(rows.rows[0].get_by_name::<f64>("score").unwrap(), 1.5);
    assert_eq!(rows.rows[1].get::<Option<f64>>(2).unwrap(), None);

    let r = c
        .execute(
            "UPDATE users SET score = ? WHERE name = ?",
            params![3.0, "bob"],
        )
        .unwrap();
    assert_eq!(r.rows_affected, 1);
    let row = c
        .query_row("SELECT score FROM users WHERE name = ?", params!["bob"])
        .unwrap();
    assert_eq!(row.get::<f64>(0).unwrap(), 3.0);

    let r = c
        .execute("DELETE FROM users WHERE id = ?", params![1])
        .unwrap();
    assert_eq!(r.rows_affected, 1);
    assert!(c
        .query_opt("SELECT id FROM users WHERE id = 1", params![])
        .unwrap()
        .is_none());
    let err = c
        .query_row("SELECT id FROM users WHERE id = 1", params![])
        .unwrap_err();
    assert!(matches!(err, Error::NoRows { .. }), "{err}");
    assert_eq!(
        c.query_row("SELECT count(*) FROM users", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );

    // run(): rows for queries, exec results for the rest (the QuerySQL refusal is not executed twice).
    match c
        .run("INSERT INTO users (name) VALUES (?)", params!["carol"])
        .unwrap()
    {
        Outcome::Exec(r) => assert_eq!(r.rows_affected, 1),
        other => panic!("expected Exec, got {other:?}"),
    }
    match c
        .run("INSERT INTO users (name) VALUES (?)", params!["dave"])
        .unwrap()
    {
        Outcome::Exec(r) => assert_eq!(r.rows_affected, 1),
        other => panic!("expected Exec, got {other:?}"),
    }
    match c
        .run("SELECT name FROM users ORDER BY id", params![])
        .unwrap()
    {
        Outcome::Rows(rows) => {
            let names: Vec<String> = rows.iter().map(|r| r.get(0).unwrap()).collect();
            assert_eq!(names, ["bob", "carol", "dave"]);
        }
        other => panic!("expected Rows, got {other:?}"),
    }
    // One statement per call: several, or none, are refused before anything is sent.
    let several = "CREATE TABLE t2 (x); INSERT INTO t2 VALUES (1); INSERT INTO t2 VALUES (2)";
    let e = c.run(several, params![]).unwrap_err();
    assert!(matches!(e, Error::MultipleStatements { .. }), "{e:?}");
    let e = c.execute(several, params![]).unwrap_err();
    assert!(matches!(e, Error::MultipleStatements { .. }), "{e:?}");
    for empty in ["", "  ", "-- only a comment", ";"] {
        let e = c.execute(empty, params![]).unwrap_err();
        assert!(
            matches!(e, Error::EmptyStatement { .. }),
            "{empty:?}: {e:?}"
        );
        let e = c.run(empty, params![]).unwrap_err();
        assert!(
            matches!(e, Error::EmptyStatement { .. }),
            "{empty:?}: {e:?}"
        );
    }
    let tables = c
        .query(
            "SELECT count(*) FROM sqlite_master WHERE name = 't2'",
            params![],
        )
        .unwrap();
    assert_eq!(
        tables.rows[0].get::<i64>(0).unwrap(),
        0,
        "nothing of the refused text ran"
    );
    // A script without parameters still runs whole through execute_batch.
    let r = c.execute_batch(several).unwrap();
    assert_eq!(r.last_insert_id, 2);
}

#[test]
fn every_value_type_round_trips() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE v (i INTEGER, f REAL, t TEXT, b BLOB, n, d TEXT)")
        .unwrap();
    let blob: Vec<u8> = vec![0, 1, 2, 255, 0];
    let ins = "INSERT INTO v (i, f, t, b, n, d) VALUES (?, ?, ?, ?, ?, ?)";
    c.execute(
        ins,
        params![
            i64::MIN,
            f64::MAX,
            "héllo ✓",
            blob.clone(),
            Value::Null,
            "x"
        ],
    )
    .unwrap();
    c.execute(
        ins,
        params![
            i64::MAX,
            -0.25f32,
            String::from(""),
            &blob[..0],
            None::<i64>,
            "y"
        ],
    )
    .unwrap();
    c.execute(ins, params![true, 7i32, "z", [9u8, 8], 5u32, "z"])
        .unwrap();
    c.execute(
        ins,
        params![
            None::<i64>,
            None::<f64>,
            None::<String>,
            None::<Vec<u8>>,
            -3i16,
            "w"
        ],
    )
    .unwrap();

    let rows = c
        .query("SELECT i, f, t, b, n FROM v ORDER BY rowid", params![])
        .unwrap();
    let r = &rows.rows[0];
    assert_eq!(r.get::<i64>(0).unwrap(), i64::MIN);
    assert_eq!(r.get::<f64>(1).unwrap(), f64::MAX);
    assert_eq!(r.get::<String>(2).unwrap(), "héllo ✓");
    assert_eq!(r.get::<Vec<u8>>(3).unwrap(), blob);
    assert_eq!(r.get::<Option<i64>>(4).unwrap(), None);
    assert_eq!(r.values()[4], Value::Null);
    let r = &rows.rows[1];
    assert_eq!(r.get::<i64>(0).unwrap(), i64::MAX);
    assert_eq!(r.get::<f32>(1).unwrap(), -0.25);
    assert_eq!(r.get::<String>(2).unwrap(), "");
    assert_eq!(r.get::<Vec<u8>>(3).unwrap(), Vec::<u8>::new());
    let r = &rows.rows[2];
    assert!(r.get::<bool>(0).unwrap());
    assert_eq!(
        r.values()[0],
        Value::Integer(1),
        "bool is stored as INTEGER 1"
    );
    assert_eq!(
        r.get::<f64>(1).unwrap(),
        7.0,
        "REAL affinity turns 7 into 7.0"
    );
    assert_eq!(r.get::<Vec<u8>>(3).unwrap(), vec![9, 8]);
    assert_eq!(r.get::<u32>(4).unwrap(), 5);
    let r = &rows.rows[3];
    for i in 0..4 {
        assert_eq!(r.values()[i], Value::Null, "column {i}");
    }
    assert_eq!(r.get::<Option<String>>(2).unwrap(), None);
    assert_eq!(r.get::<Option<Vec<u8>>>(3).unwrap(), None);
    assert_eq!(r.get::<i16>(4).unwrap(), -3);
    let err = r.get::<u64>(4).unwrap_err();
    assert!(matches!(err, Error::Conversion { .. }), "{err}");
    assert!(err.to_string().contains("out of range"), "{err}");
    let err = rows.rows[0].get::<i64>(2).unwrap_err();
    assert!(err.to_string().contains("\"t\""), "names the column: {err}");

    // Integer range checks on the way out.
    let big = c
        .query_row("SELECT ?", params![i64::from(u32::MAX) + 1])
        .unwrap();
    assert!(big.get::<u32>(0).is_err());
    assert_eq!(big.get::<u64>(0).unwrap(), u64::from(u32::MAX) + 1);
}

#[test]
fn date_times_as_text_and_declared_datetime_boolean_columns() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE d (id INTEGER PRIMARY KEY, at TEXT, day TEXT, naive TEXT)")
        .unwrap();
    let at: DateTime<Utc> = DateTime::from_timestamp(1_700_000_000, 250_000_000).unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let naive: NaiveDateTime = DateTime::from_timestamp(1_600_000_000, 0)
        .unwrap()
        .naive_utc();
    c.execute(
        "INSERT INTO d (at, day, naive) VALUES (?, ?, ?)",
        params![at, day, naive],
    )
    .unwrap();
    c.execute(
        "INSERT INTO d (at, day, naive) VALUES (?, ?, ?)",
        params![
            None::<DateTime<Utc>>,
            None::<NaiveDate>,
            None::<NaiveDateTime>
        ],
    )
    .unwrap();
    let rows = c
        .query(
            "SELECT at, day, naive, typeof(at) FROM d ORDER BY id",
            params![],
        )
        .unwrap();
    let r = &rows.rows[0];
    assert_eq!(r.get::<DateTime<Utc>>(0).unwrap(), at);
    assert_eq!(r.get::<NaiveDate>(1).unwrap(), day);
    assert_eq!(r.get::<NaiveDateTime>(2).unwrap(), naive);
    assert_eq!(
        r.get::<String>(3).unwrap(),
        "text",
        "date-times are stored as TEXT"
    );
    assert_eq!(r.get::<String>(2).unwrap(), "2020-09-13 12:26:40");
    let r = &rows.rows[1];
    assert_eq!(r.get::<Option<DateTime<Utc>>>(0).unwrap(), None);
    assert_eq!(r.get::<Option<NaiveDate>>(1).unwrap(), None);
    // SQLite's own date functions understand what we wrote.
    let r = c
        .query_row(
            "SELECT strftime('%s', at), date(day, '+1 day') FROM d WHERE id = 1",
            params![],
        )
        .unwrap();
    assert_eq!(r.get::<String>(0).unwrap(), "1700000000");
    assert_eq!(r.get::<String>(1).unwrap(), "2024-03-01");

    // Columns declared DATETIME / BOOLEAN come back remapped by dqlite 1.11. Only values
    // that are safe for 1.11 are stored: INTEGER/TEXT/NULL for DATETIME, INTEGER for BOOLEAN.
    c.execute_batch("CREATE TABLE legacy (id INTEGER PRIMARY KEY, dt DATETIME, flag BOOLEAN)")
        .unwrap();
    c.execute(
        "INSERT INTO legacy (dt, flag) VALUES (?, ?)",
        params![1_700_000_000i64, true],
    )
    .unwrap();
    c.execute(
        "INSERT INTO legacy (dt, flag) VALUES (?, ?)",
        params!["2023-11-14 22:13:20", false],
    )
    .unwrap();
    c.execute(
        "INSERT INTO legacy (dt, flag) VALUES (?, ?)",
        params![None::<String>, 0],
    )
    .unwrap();
    let rows = c
        .query("SELECT dt, flag FROM legacy ORDER BY id", params![])
        .unwrap();
    let whole = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    assert_eq!(rows.rows[0].values()[0], Value::UnixTime(1_700_000_000));
    assert_eq!(rows.rows[0].values()[1], Value::Boolean(true));
    assert_eq!(rows.rows[0].get::<DateTime<Utc>>(0).unwrap(), whole);
    assert!(rows.rows[0].get::<bool>(1).unwrap());
    assert_eq!(
        rows.rows[1].values()[0],
        Value::Iso8601("2023-11-14 22:13:20".into())
    );
    assert_eq!(rows.rows[1].get::<DateTime<Utc>>(0).unwrap(), whole);
    assert!(!rows.rows[1].get::<bool>(1).unwrap());
    assert_eq!(
        rows.rows[2].values()[0],
        Value::Iso8601(String::new()),
        "NULL DATETIME is an empty ISO8601"
    );
    assert_eq!(rows.rows[2].get::<Option<DateTime<Utc>>>(0).unwrap(), None);
    assert!(rows.rows[2].get::<DateTime<Utc>>(0).is_err());
}

#[test]
fn two_thousand_rows_streamed_and_buffered() {
    let t = start_node();
    let mut c = open(&t);
    fill_big(&mut c);

    let mut it = c
        .query_iter("SELECT n, s FROM big ORDER BY n", params![])
        .unwrap();
    let mut expected = 1i64;
    for row in it.by_ref() {
        let row = row.unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), expected);
        assert_eq!(row.get::<String>(1).unwrap(), format!("row-{expected:05}"));
        expected += 1;
    }
    assert_eq!(expected, 2001);
    assert!(
        it.batches() > 5,
        "2000 rows should arrive in many Rows messages, got {}",
        it.batches()
    );
    drop(it);

    let rows = c
        .query("SELECT n, s FROM big ORDER BY n", params![])
        .unwrap();
    assert_eq!(rows.len(), 2000);
    assert_eq!(rows.rows[1999].get::<String>(1).unwrap(), "row-02000");
    // The connection is in step afterwards.
    assert_eq!(
        c.query_row("SELECT count(*) FROM big", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        2000
    );
}

#[test]
fn dropping_a_partly_read_query_interrupts_and_drains() {
    let t = start_node();
    let mut c = open(&t);
    fill_big(&mut c);
    {
        let mut it = c
            .query_iter("SELECT n, s FROM big ORDER BY n", params![])
            .unwrap();
        for _ in 0..10 {
            it.next().unwrap().unwrap();
        }
        assert_eq!(it.batches(), 1);
    } // dropped here: Interrupt + drain until Empty
    assert!(!c.is_broken());
    assert_eq!(
        c.query_row("SELECT count(*) FROM big", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        2000
    );
    c.execute(
        "INSERT INTO big (n, s) VALUES (?, ?)",
        params![5000, "after"],
    )
    .unwrap();
    // query_opt reads only the first row and drains the rest the same way.
    let first = c
        .query_opt("SELECT n FROM big ORDER BY n", params![])
        .unwrap()
        .unwrap();
    assert_eq!(first.get::<i64>(0).unwrap(), 1);
    // Interrupt with nothing running just answers Empty.
    c.interrupt().unwrap();
    assert_eq!(
        c.query_row("SELECT max(n) FROM big", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        5000
    );
}

#[test]
fn twenty_mib_blob_round_trip() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
        .unwrap();
    let data: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    c.execute("INSERT INTO blobs (data) VALUES (?)", params![data])
        .unwrap();

    let mut it = c
        .query_iter("SELECT id, data FROM blobs", params![])
        .unwrap();
    let row = it.next().unwrap().unwrap();
    assert!(it.next().is_none());
    // One row + PART, then an empty batch with DONE.
    assert_eq!(it.batches(), 2);
    drop(it);
    assert_eq!(row.get::<Vec<u8>>(1).unwrap(), data);

    let rows = c
        .query("SELECT data FROM blobs WHERE id = ?", params![1])
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.rows[0].get::<Vec<u8>>(0).unwrap().len(), data.len());
    assert_eq!(
        c.query_row("SELECT length(data) FROM blobs", params![])
            .unwrap()
            .get::<usize>(0)
            .unwrap(),
        data.len()
    );
}

#[test]
fn prepared_statements() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)")
        .unwrap();
    let ins = c
        .prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)")
        .unwrap();
    assert_eq!(ins.param_count(), 2);
    for i in 0..10 {
        c.exec_prepared(&ins, params![format!("k{}", i % 3), i])
            .unwrap();
    }
    let sel = c
        .prepare("SELECT k, v FROM kv WHERE v >= ? ORDER BY k")
        .unwrap();
    let rows = c.query_prepared(&sel, params![0]).unwrap();
    let got: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("k0".to_string(), 9),
            ("k1".to_string(), 7),
            ("k2".to_string(), 8)
        ]
    );
    // Fewer parameters than placeholders bind NULL, not the previous call's values.
    let rows = c.query_prepared(&sel, params![]).unwrap();
    assert_eq!(rows.len(), 0, "v >= NULL matches nothing");

    let err = c.prepare("SELECT 1; SELECT 2").unwrap_err();
    assert!(matches!(err, Error::MultipleStatements { .. }), "{err}");
    let err = c.prepare("SELEC 1").unwrap_err();
    assert_eq!(err.code(), Some(1));

    // A statement from another connection is refused before anything is sent.
    let mut other = open(&t);
    let err = other.exec_prepared(&ins, params!["x", 1]).unwrap_err();
    assert!(matches!(err, Error::StatementNotLive { .. }), "{err}");

    c.finalize(ins).unwrap();
    c.finalize(sel).unwrap();
    assert_eq!(
        c.query_row("SELECT count(*) FROM kv", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        3
    );
}

#[test]
fn statement_cache_survives_schema_changes_and_failures() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE s (a INTEGER UNIQUE)")
        .unwrap();
    for i in 0..50 {
        c.execute("INSERT INTO s (a) VALUES (?)", params![i])
            .unwrap();
        assert_eq!(
            c.query_row("SELECT count(*) FROM s WHERE a <= ?", params![i])
                .unwrap()
                .get::<i64>(0)
                .unwrap(),
            i + 1
        );
    }
    // A failing cached statement is evicted and the next call works.
    let err = c
        .execute("INSERT INTO s (a) VALUES (?)", params![1])
        .unwrap_err();
    assert_eq!(err.code(), Some(2067));
    c.execute("INSERT INTO s (a) VALUES (?)", params![100])
        .unwrap();
    // Re-creating the table with another shape: cached statements are re-prepared by SQLite.
    c.execute_batch("DROP TABLE s; CREATE TABLE s (z TEXT, a INTEGER)")
        .unwrap();
    c.execute("INSERT INTO s (a) VALUES (?)", params![7])
        .unwrap();
    assert_eq!(
        c.query_row("SELECT count(*) FROM s WHERE a <= ?", params![7])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );
    // Exec on a query statement fails with 100 and leaves the connection fine.
    let err = c.execute("SELECT a FROM s", params![]).unwrap_err();
    assert_eq!(err.code(), Some(100));
    c.clear_statement_cache().unwrap();
    c.execute("INSERT INTO s (a) VALUES (?)", params![8])
        .unwrap();

    // Only repeated texts are prepared; one-offs stay single ExecSQL round trips.
    let mut fresh = open(&t);
    for i in 0..3 {
        fresh
            .execute_batch(&format!("INSERT INTO s (a) VALUES ({})", 1000 + i))
            .unwrap();
        fresh
            .execute(
                &format!("INSERT INTO s (a) VALUES ({})", 2000 + i),
                params![],
            )
            .unwrap();
    }
    assert_eq!(fresh.cached_statements(), 0);
    fresh
        .execute("INSERT INTO s (a) VALUES (?)", params![3000])
        .unwrap();
    assert_eq!(
        fresh.cached_statements(),
        0,
        "first sighting runs as ExecSQL"
    );
    fresh
        .execute("INSERT INTO s (a) VALUES (?)", params![3001])
        .unwrap();
    assert_eq!(
        fresh.cached_statements(),
        1,
        "second sighting is prepared and cached"
    );
    // Finalizing the cached statement behind the cache's back (its id is 0 on a fresh
    // connection): the cache notices and re-prepares instead of sending a dead id.
    assert!(matches!(
        fresh
            .request(&dqmig::client::Request::Finalize { db: 0, stmt: 0 })
            .unwrap(),
        dqmig::client::Response::Empty
    ));
    fresh
        .execute("INSERT INTO s (a) VALUES (?)", params![3002])
        .unwrap();
    assert_eq!(fresh.cached_statements(), 1);
    assert_eq!(
        fresh
            .query_row("SELECT count(*) FROM s WHERE a >= 3000", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        3
    );

    // With the cache disabled everything goes through ExecSQL/QuerySQL.
    let opts = ConnectOptions {
        statement_cache: 0,
        ..ConnectOptions::default()
    };
    let mut plain = Connection::open_with(&t.address, "test", &opts).unwrap();
    plain
        .execute("INSERT INTO s (a) VALUES (?)", params![9])
        .unwrap();
    assert_eq!(
        plain
            .query_row("SELECT count(*) FROM s WHERE a < 1000", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        3
    );
    assert_eq!(plain.cached_statements(), 0);
}

#[test]
fn connects_over_an_abstract_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("@dqmig-client-test-{}", std::process::id());
    let _node = node::start(NodeConfig::new(1, name.clone(), dir.path())).unwrap();
    let mut c = Connection::open(&name, "abs").unwrap();
    c.execute_batch("CREATE TABLE a (x); INSERT INTO a VALUES (42)")
        .unwrap();
    assert_eq!(
        c.query_row("SELECT x FROM a", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        42
    );
    assert_eq!(c.leader().unwrap().unwrap().address, name);
}

#[test]
fn open_names_the_addresses_tried() {
    let port = crate::support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let opts = ConnectOptions {
        leader_timeout: std::time::Duration::from_millis(100),
        ..ConnectOptions::default()
    };
    let err = match Connection::open_with(&addr, "x", &opts) {
        Err(e) => e,
        Ok(_) => panic!("opened a database on a closed port"),
    };
    assert!(matches!(err, Error::NoLeader { .. }), "{err}");
    assert!(err.to_string().contains(&addr), "{err}");
    let err = match Connection::open("not-an-address", "x") {
        Err(e) => e,
        Ok(_) => panic!("opened a bad address"),
    };
    assert!(err.to_string().contains("not-an-address"), "{err}");
}
