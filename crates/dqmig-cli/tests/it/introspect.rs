//! The introspector on a real node: hand-written DDL (odd spellings, ALTER TABLE), what is
//! left out (sqlite_*, dqmig's own tables, configured exclusions), views and triggers,
//! columns dqlite remaps (never read, so the node survives), statements dqmig cannot model,
//! and the constant number of round trips (500 tables cost what 1 table costs).

use crate::support;
use dqmig::client::Connection;
use dqmig::introspect::{introspect, IntrospectError, IntrospectOptions, QUERIES};
use dqmig::models::{load_sql_str_with, SqlOptions};
use dqmig::schema::Ident;

fn lenient(sql: &str) -> dqmig::schema::Schema {
    load_sql_str_with(
        "<expected>",
        sql,
        SqlOptions {
            allow_remapped_types: true,
        },
    )
    .unwrap()
}

#[test]
fn hand_written_ddl_reads_back_as_the_loader_reads_it() {
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "hand").unwrap();
    let ddl = r#"
        create table [Order Items] (id integer primary key autoincrement, `qty` int not null default '3' check (qty > 0),
            note text collate nocase, total real generated always as (qty * 2.5) stored);
        CREATE TABLE IF NOT EXISTS "parent" ("k1" TEXT, k2 TEXT, PRIMARY KEY (k1, k2)) WITHOUT ROWID;
        CREATE TABLE child (a TEXT, b TEXT, s ANY, CONSTRAINT fk_p FOREIGN KEY (a, b) REFERENCES parent ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
            UNIQUE (b, a)) STRICT;
        CREATE UNIQUE INDEX child_lower ON child (lower(a) DESC, b COLLATE NOCASE) WHERE a IS NOT NULL;
        ALTER TABLE child ADD COLUMN added INTEGER DEFAULT 7;
        CREATE TABLE odd_cols (x INT, g GENERATED ALWAYS AS (x + 1), h AS (x * 2) STORED, u, "Weird Type" unsigned big int DEFAULT -1,
            e TEXT DEFAULT (datetime('now')), n NUMERIC DEFAULT '2.50', b BLOB DEFAULT X'00ff', q DEFAULT NULL);
        CREATE VIEW v_items (n) AS SELECT note FROM [Order Items];
        CREATE TRIGGER trg_child AFTER INSERT ON child BEGIN SELECT 1; END;
    "#;
    conn.execute_batch(ddl).unwrap();
    let got = introspect(&mut conn, &IntrospectOptions::default()).unwrap();
    let want = lenient(
        r#"
        create table [Order Items] (id integer primary key autoincrement, `qty` int not null default '3' check (qty > 0),
            note text collate nocase, total real generated always as (qty * 2.5) stored);
        CREATE TABLE "parent" ("k1" TEXT, k2 TEXT, PRIMARY KEY (k1, k2)) WITHOUT ROWID;
        CREATE TABLE child (a TEXT, b TEXT, s ANY, added INTEGER DEFAULT 7, CONSTRAINT fk_p FOREIGN KEY (a, b) REFERENCES parent ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
            UNIQUE (b, a)) STRICT;
        CREATE UNIQUE INDEX child_lower ON child (lower(a) DESC, b COLLATE NOCASE) WHERE a IS NOT NULL;
        CREATE TABLE odd_cols (x INT, g GENERATED ALWAYS AS (x + 1), h AS (x * 2) STORED, u, "Weird Type" unsigned big int DEFAULT -1,
            e TEXT DEFAULT (datetime('now')), n NUMERIC DEFAULT '2.50', b BLOB DEFAULT X'00ff', q DEFAULT NULL);
        CREATE VIEW v_items (n) AS SELECT note FROM [Order Items];
        CREATE TRIGGER trg_child AFTER INSERT ON child BEGIN SELECT 1; END;
    "#,
    );
    assert_eq!(got, want, "{}", crate::roundtrip::diff(&want, &got));
    let items = &got.tables[&Ident::new("order items")];
    assert!(items.primary_key.as_ref().unwrap().autoincrement);
    assert_eq!(items.checks.len(), 1);
    assert!(got.tables[&Ident::new("child")].strict);
    assert!(got.tables[&Ident::new("parent")].without_rowid);
    assert!(got.tables[&Ident::new("child")].foreign_keys[0].deferred);
    assert_eq!(got.views.len(), 1);
    assert_eq!(got.triggers.len(), 1);

    // What dqmig renders from the introspected schema recreates it.
    let mut again = Connection::open(&node.address, "hand-again").unwrap();
    again.execute_batch(&got.to_sql()).unwrap();
    let back = introspect(&mut again, &IntrospectOptions::default()).unwrap();
    assert_eq!(back, got, "{}", crate::roundtrip::diff(&got, &back));
}

#[test]
fn internal_and_dqmig_tables_are_left_out() {
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "excl").unwrap();
    conn.execute_batch(
        "CREATE TABLE dqmig_version (version_num TEXT PRIMARY KEY);
         CREATE TABLE DQMIG_HISTORY (id INTEGER PRIMARY KEY, revision TEXT);
         CREATE INDEX dqmig_history_rev ON dqmig_history (revision);
         CREATE TRIGGER dqmig_history_t AFTER INSERT ON dqmig_history BEGIN SELECT 1; END;
         CREATE TABLE app (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT UNIQUE);
         CREATE TABLE audit (id INTEGER PRIMARY KEY);
         INSERT INTO app (x) VALUES ('a');
         ANALYZE;",
    )
    .unwrap();
    // sqlite_sequence (AUTOINCREMENT) and sqlite_stat1 (ANALYZE) exist now.
    let internal = conn
        .query(
            "SELECT count(*) FROM sqlite_master WHERE name GLOB 'sqlite_*' AND type = 'table'",
            &[],
        )
        .unwrap();
    assert!(internal.rows[0].get::<i64>(0).unwrap() >= 2);

    // A temp table shadowing `app` on this connection is not the database's schema.
    conn.execute_batch("CREATE TEMP TABLE app (other BLOB, more BLOB)")
        .unwrap();
    let got = introspect(&mut conn, &IntrospectOptions::default()).unwrap();
    let names: Vec<&str> = got.tables.keys().map(Ident::as_str).collect();
    assert_eq!(names, ["app", "audit"]);
    assert_eq!(got.tables[&Ident::new("app")].columns.len(), 2);
    assert_eq!(got.tables[&Ident::new("app")].columns[1].name.as_str(), "x");
    assert!(
        got.triggers.is_empty(),
        "the trigger on dqmig_history is dqmig's: {:?}",
        got.triggers
    );

    let opts = IntrospectOptions {
        exclude_tables: vec![Ident::new("AUDIT")],
    };
    let got = introspect(&mut conn, &opts).unwrap();
    let names: Vec<&str> = got.tables.keys().map(Ident::as_str).collect();
    assert_eq!(
        names,
        ["app", "DQMIG_HISTORY", "dqmig_version"],
        "spellings are kept"
    );
    assert_eq!(got.triggers.len(), 1);
    assert_eq!(got.tables[&Ident::new("dqmig_history")].indexes.len(), 1);
}

/// Columns declared DATETIME/BOOLEAN holding values that would abort the node if they were
/// ever SELECTed by a 1.11 node: introspection reads only pragma outputs and
/// sqlite_master, so it works and the node stays up.
#[test]
fn remapped_columns_are_introspected_without_reading_them() {
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "remap").unwrap();
    conn.execute_batch(
        "CREATE TABLE legacy (id INTEGER PRIMARY KEY, at DATETIME DEFAULT CURRENT_TIMESTAMP, flag BOOLEAN NOT NULL DEFAULT 0, d DATE, ts TIMESTAMP);
         INSERT INTO legacy (id, at, flag) VALUES (1, 1.5, 'yes');",
    )
    .unwrap();
    let got = introspect(&mut conn, &IntrospectOptions::default()).unwrap();
    let legacy = &got.tables[&Ident::new("legacy")];
    let types: Vec<&str> = legacy.columns.iter().map(|c| c.sql_type.as_str()).collect();
    assert_eq!(
        types,
        ["INTEGER", "DATETIME", "BOOLEAN", "DATE", "TIMESTAMP"]
    );
    let one = conn.query("SELECT count(*) FROM legacy", &[]).unwrap();
    assert_eq!(
        one.rows[0].get::<i64>(0).unwrap(),
        1,
        "the node is still up"
    );
}

#[test]
fn a_statement_dqmig_cannot_model_is_an_error_naming_the_table() {
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "onconflict").unwrap();
    conn.execute_batch(
        "CREATE TABLE fine (a TEXT); CREATE TABLE odd (a TEXT UNIQUE ON CONFLICT REPLACE);",
    )
    .unwrap();
    let err = introspect(&mut conn, &IntrospectOptions::default()).unwrap_err();
    assert!(
        matches!(&err, IntrospectError::Parse { kind, name, .. } if kind == "table" && name == "odd"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("table `odd`") && msg.contains("ON CONFLICT"),
        "{msg}"
    );
}

/// `n` tables, each with columns, an index and a foreign key to the previous one.
fn create_tables(conn: &mut Connection, n: usize) {
    let mut ddl = String::from("BEGIN;\n");
    for i in 0..n {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(
                ", prev_id INTEGER REFERENCES t{} (id) ON DELETE CASCADE",
                i - 1
            )
        };
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score REAL DEFAULT 0, note TEXT{fk});\n\
             CREATE INDEX t{i}_name ON t{i} (name);\n"
        ));
    }
    ddl.push_str("COMMIT;");
    conn.execute_batch(&ddl).unwrap();
}

#[test]
fn introspecting_500_tables_takes_as_many_round_trips_as_1() {
    let node = support::start_node();
    let mut counts = Vec::new();
    for n in [1usize, 500] {
        let db = format!("count{n}");
        create_tables(&mut Connection::open(&node.address, &db).unwrap(), n);
        // A fresh connection: its statement cache is as empty as the first one's.
        let mut conn = Connection::open(&node.address, &db).unwrap();
        let before = conn.requests_sent();
        let schema = introspect(&mut conn, &IntrospectOptions::default()).unwrap();
        counts.push(conn.requests_sent() - before);
        assert_eq!(schema.tables.len(), n);
        let last = &schema.tables[&Ident::new(format!("t{}", n - 1))];
        assert_eq!(last.columns.len(), if n == 1 { 4 } else { 5 });
        assert_eq!(last.indexes.len(), 1);
        assert_eq!(last.foreign_keys.len(), usize::from(n > 1));
    }
    eprintln!("requests: 1 table {}, 500 tables {}", counts[0], counts[1]);
    assert_eq!(counts[0], counts[1], "requests for 1 table vs 500 tables");
    // Each query is at most a Prepare plus a Query.
    assert!(
        counts[0] as usize <= 2 * QUERIES,
        "{} requests for {QUERIES} queries",
        counts[0]
    );
}
