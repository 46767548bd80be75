//! Big transactions on libdqlite 1.11.1, through the binary: a rebuild of a 200,000-row
//! table and a downgrade that drops a 1,000,000-row table both pass (the runner raises the
//! connection's page cache so the transaction never spills it, which 1.11.1 answers with a
//! 522 WAL short read), and a 522 that does happen says what it means.

use dqmig::client::{Connection, BIG_TRANSACTION_CACHE_KIB};

use crate::cli_author::Project;

const MODELS: &str = r#"
[tables.big]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "string(40)", nullable = false },
  { name = "a", type = "integer" },
  { name = "b", type = "text", nullable = false },
]
indexes = [ { name = "idx_big_name", columns = ["name"] } ]

[tables.huge]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "payload", type = "text" },
]
"#;

fn fill(conn: &mut Connection, sql: &str) {
    conn.set_cache_size_kib(BIG_TRANSACTION_CACHE_KIB).unwrap();
    conn.execute(sql, &[]).unwrap();
}

fn count(conn: &mut Connection, sql: &str) -> i64 {
    conn.query_row(sql, &[]).unwrap().get(0).unwrap()
}

#[test]
fn a_big_rebuild_and_a_big_drop_do_not_fail_with_522() {
    let p = Project::new();
    p.set_models(MODELS);
    p.autogenerate("tables", &[]);
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    fill(
        &mut conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) \
         INSERT INTO big (id, name, a, b) SELECT i, 'name-' || (i * 7919 % 200000), i, 'row ' || i FROM n",
    );
    fill(
        &mut conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
         INSERT INTO huge (id, payload) SELECT i, 'payload of row ' || i FROM n",
    );

    // The rebuild: `b` becomes nullable (SQLite's ALTER cannot), 200,000 rows copied.
    p.set_models(&MODELS.replace(
        r#"{ name = "b", type = "text", nullable = false }"#,
        r#"{ name = "b", type = "text" }"#,
    ));
    let (_, text, _) = p.autogenerate("b nullable", &[]);
    assert!(text.contains("dqmig:rebuild \"big\""), "{text}");
    let r = p.run(&["upgrade", "head"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM big"), 200_000);

    // Back to before the tables: the downgrade drops 1,000,000 rows in one transaction.
    let r = p.run(&["downgrade", "base"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM sqlite_master WHERE name IN ('big', 'huge')"
        ),
        0
    );
}

#[test]
fn a_522_says_what_it_means_and_what_to_do() {
    let p = Project::new();
    let mut conn = p.conn();
    conn.execute(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL, a INTEGER, b TEXT)",
        &[],
    )
    .unwrap();
    conn.execute("CREATE INDEX idx_big_name ON big (name)", &[])
        .unwrap();
    fill(
        &mut conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) \
         INSERT INTO big (id, name, a, b) SELECT i, 'name-' || (i * 7919 % 200000), i, 'row ' || i FROM n",
    );
    // A rebuild in one transaction with SQLite's default cache (about 2 MiB): it spills.
    conn.execute_batch("PRAGMA cache_size=-2000").unwrap();
    let err = conn
        .execute_batch(
            "BEGIN IMMEDIATE; \
             CREATE TABLE big_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, a INTEGER, b TEXT); \
             INSERT INTO big_new SELECT * FROM big; DROP TABLE big; ALTER TABLE big_new RENAME TO big; \
             CREATE INDEX idx_big_name ON big (name); COMMIT",
        )
        .expect_err("libdqlite 1.11.1 fails a transaction that spills the page cache");
    assert_eq!(err.code(), Some(522), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("page cache"), "{msg}");
    assert!(msg.contains("set_cache_size_kib"), "{msg}");
}
