//! The statement classifier through the parser: transaction control refused with its line
//! and column (never a trigger body's `BEGIN`/`END`, `CASE ... END`, a string or a comment),
//! `PRAGMA foreign_keys` in its spellings taken out and turned into a rebuild section, and
//! the per-pragma decisions.

use crate::classify::{boolean, decide, Decision};
use crate::*;

const H: &str = "-- revision: 3f2a9c1b7d4e\n-- revises:\n";

/// Parses a file whose up section is `up` (starting on line 4) and down section `down`.
fn parse(up: &str, down: &str) -> Result<Revision, ScriptError> {
    parse_revision(
        "v/x.sql",
        &format!("{H}\n-- migrate:up\n{up}\n-- migrate:down\n{down}\n"),
    )
}

/// The line, column and message of the error parsing `up` gives.
fn refused(up: &str) -> (usize, usize, String) {
    match parse(up, "") {
        Err(ScriptError::Invalid {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file, "v/x.sql");
            (line, column, message)
        }
        other => panic!("expected {up:?} to be refused, got {other:?}"),
    }
}

fn sqls(s: &Section) -> Vec<&str> {
    s.statements.iter().map(|s| s.sql.as_str()).collect()
}

#[test]
fn transaction_control_is_refused_with_its_line_in_every_form() {
    for stmt in [
        "BEGIN;",
        "begin transaction;",
        "BEGIN IMMEDIATE;",
        "Begin Exclusive Transaction;",
        "COMMIT;",
        "commit transaction;",
        "END;",
        "end   transaction ;",
        "ROLLBACK;",
        "ROLLBACK TO sp;",
        "rollback transaction to savepoint sp;",
        "SAVEPOINT sp;",
        "RELEASE sp;",
        "release savepoint sp;",
        "COMMIT",
        "  /* c */ COMMIT -- x",
    ] {
        let (line, column, message) = refused(&format!(
            "UPDATE acc SET bal = 0 WHERE id = 1;\n\n{stmt}\nSELECT 1;"
        ));
        assert_eq!(line, 7, "{stmt}: {message}");
        assert!(column >= 1, "{stmt}");
        assert!(
            message.contains("in a revision") && message.contains("own transaction"),
            "{stmt}: {message}"
        );
    }
    let (_, _, message) = refused("end transaction;");
    assert!(
        message.starts_with("`END TRANSACTION` in a revision"),
        "{message}"
    );
    // The down section is read the same way.
    match parse("SELECT 1;", "DELETE FROM t;\ncommit;") {
        Err(ScriptError::Invalid { line, .. }) => assert_eq!(line, 8),
        other => panic!("a COMMIT in the down section must be refused, got {other:?}"),
    }
}

#[test]
fn trigger_bodies_case_end_strings_and_comments_are_not_transaction_control() {
    let up = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET n = CASE WHEN n > 0 THEN 1 ELSE 0 END;\n  DELETE FROM u;\nEND;\n\
              CREATE TEMP TRIGGER tr2 BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;\n\
              SELECT CASE x WHEN 1 THEN 'COMMIT' ELSE 'END' END FROM t;\n\
              INSERT INTO log (msg) VALUES ('COMMIT; ROLLBACK; BEGIN');\n\
              -- COMMIT;\n/* ROLLBACK; */\n\
              UPDATE \"commit\" SET \"end\" = 1;\n\
              CREATE TABLE \"begin\" (\"release\" INTEGER, savepoint INTEGER);\n\
              PRAGMA table_info(\"commit\");";
    let r = parse(up, "").unwrap();
    assert_eq!(r.up.statements.len(), 7, "{:#?}", sqls(&r.up));
    assert!(!r.up.needs_fk_off());
}

#[test]
fn foreign_keys_off_in_any_spelling_makes_a_rebuild_section_and_is_not_sent() {
    for off in [
        "PRAGMA foreign_keys=OFF;",
        "pragma FOREIGN_KEYS = off;",
        "PRAGMA  foreign_keys\n  =  0 ;",
        "PRAGMA foreign_keys = false;",
        "PRAGMA foreign_keys = 'off';",
        "PRAGMA foreign_keys = \"OFF\";",
        "PRAGMA foreign_keys = no;",
        "PRAGMA main.foreign_keys = OFF;",
        "PRAGMA \"main\".\"foreign_keys\" = 0;",
        "PRAGMA foreign_keys(0);",
        "PRAGMA foreign_keys('No');",
        "-- the classic rebuild\nPRAGMA foreign_keys=OFF; -- off",
    ] {
        let up =
            format!("{off}\nCREATE TABLE \"parent_new\" (id INTEGER);\nPRAGMA foreign_keys=ON;");
        let r = parse(&up, "").unwrap_or_else(|e| panic!("{off}: {e}"));
        assert!(r.up.needs_fk_off(), "{off}");
        assert_eq!(
            sqls(&r.up),
            ["CREATE TABLE \"parent_new\" (id INTEGER);"],
            "{off}"
        );
        assert!(!r.down.needs_fk_off());
    }
    for on in [
        "PRAGMA foreign_keys=ON;",
        "PRAGMA foreign_keys = 1;",
        "PRAGMA foreign_keys = 'yes';",
        "PRAGMA foreign_keys = TRUE;",
    ] {
        let r = parse(&format!("{on}\nSELECT 1;"), "").unwrap();
        assert!(!r.up.needs_fk_off(), "{on}");
        assert_eq!(sqls(&r.up), ["SELECT 1;"], "{on} is not sent either");
    }
    // Without `;` at the end of the section.
    let r = parse("CREATE TABLE a (id INTEGER);\nPRAGMA foreign_keys=OFF", "").unwrap();
    assert!(r.up.needs_fk_off());
    assert_eq!(sqls(&r.up), ["CREATE TABLE a (id INTEGER);"]);
    // Reading the setting is a plain statement.
    let r = parse("PRAGMA foreign_keys;", "").unwrap();
    assert!(!r.up.needs_fk_off());
    assert_eq!(sqls(&r.up), ["PRAGMA foreign_keys;"]);
    // Any other value is refused as unclear, whether SQLite would read it as off (`maybe`)
    // or as on (`-1`, `2`, `full`).
    for (bad, shown) in [
        ("maybe", "maybe"),
        ("-1", "- 1"),
        ("'-1'", "-1"),
        ("2", "2"),
        ("+1", "+ 1"),
        ("-0", "- 0"),
        ("1.0", "1.0"),
        ("full", "full"),
        ("''", ""),
    ] {
        let (line, _, message) = refused(&format!("SELECT 1;\nPRAGMA foreign_keys = {bad};"));
        assert_eq!(line, 6, "{bad}");
        assert!(
            message.contains(&format!("foreign_keys = {shown}`"))
                && message.contains("reads only 0 or 1"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn pragmas_are_decided_one_by_one() {
    for ok in [
        "PRAGMA table_info(t);",
        "PRAGMA main.table_xinfo('t');",
        "PRAGMA foreign_key_check;",
        "PRAGMA foreign_key_check(t);",
        "PRAGMA integrity_check;",
        "PRAGMA quick_check(5);",
        "PRAGMA index_list(t);",
        "PRAGMA user_version = 7;",
        "PRAGMA application_id = 42;",
        "PRAGMA defer_foreign_keys = ON;",
        "PRAGMA journal_mode;",
        "PRAGMA legacy_alter_table;",
    ] {
        let r = parse(ok, "").unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(sqls(&r.up), [ok]);
    }
    for (bad, why) in [
        (
            "PRAGMA journal_mode = DELETE;",
            "dqlite manages the storage",
        ),
        (
            "PRAGMA main.journal_mode=wal;",
            "dqlite manages the storage",
        ),
        ("PRAGMA synchronous = FULL;", "dqlite manages the storage"),
        ("PRAGMA wal_checkpoint;", "dqlite manages the storage"),
        (
            "PRAGMA wal_checkpoint(TRUNCATE);",
            "dqlite manages the storage",
        ),
        ("PRAGMA cache_size = -64000;", "dqlite manages the storage"),
        ("PRAGMA legacy_alter_table = ON;", "changes the connection"),
        ("PRAGMA recursive_triggers = 1;", "changes the connection"),
        (
            "PRAGMA case_sensitive_like = true;",
            "changes the connection",
        ),
        (
            "PRAGMA ignore_check_constraints(1);",
            "changes the connection",
        ),
        ("PRAGMA some_future_pragma = 3;", "changes the connection"),
        ("PRAGMA writable_schema = ON;", "corrupt"),
        ("PRAGMA schema_version = 1;", "corrupt"),
        ("PRAGMA writable_schema;", "corrupt"),
    ] {
        let (line, _, message) = refused(&format!("SELECT 1;\n  {bad}"));
        assert_eq!(line, 6, "{bad}");
        assert!(
            message.contains(why) && message.contains("refused"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn decisions_and_boolean_values() {
    assert_eq!(decide("FOREIGN_KEYS", true), Decision::ForeignKeys);
    assert_eq!(decide("foreign_keys", false), Decision::Run);
    assert_eq!(decide("table_info", true), Decision::Run);
    assert!(matches!(decide("journal_mode", true), Decision::Refuse(_)));
    assert_eq!(decide("journal_mode", false), Decision::Run);
    assert!(matches!(
        decide("legacy_alter_table", true),
        Decision::Refuse(_)
    ));
    for (v, want) in [
        ("off", Some(false)),
        ("OFF", Some(false)),
        ("0", Some(false)),
        ("no", Some(false)),
        ("false", Some(false)),
        ("on", Some(true)),
        ("1", Some(true)),
        ("yes", Some(true)),
        ("True", Some(true)),
        ("+2", None),
        ("10", None),
        ("- 1", None),
        ("-0", None),
        ("0.9", None),
        ("full", None),
        ("", None),
        ("maybe", None),
        ("1x", None),
    ] {
        assert_eq!(boolean(v), want, "{v:?}");
    }
}

#[test]
fn statements_that_may_return_rows_are_marked() {
    let rows = |up: &str| -> Vec<bool> {
        let r = parse(up, "").unwrap_or_else(|e| panic!("{up}: {e}"));
        r.up.statements.iter().map(|s| s.returns_rows).collect()
    };
    for yes in [
        "SELECT 1;",
        "select * from t;",
        "VALUES (1), (2);",
        "EXPLAIN SELECT 1;",
        "EXPLAIN QUERY PLAN SELECT 1;",
        "WITH c(n) AS (SELECT 1) SELECT n FROM c;",
        "WITH RECURSIVE c(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM c WHERE n < 3), d AS (SELECT 2) SELECT * FROM c, d;",
        "-- a comment first\nSELECT 1; -- and after",
        "PRAGMA table_info(users);",
        "PRAGMA main.table_xinfo('t');",
        "PRAGMA integrity_check;",
        "PRAGMA integrity_check(5);",
        "PRAGMA foreign_key_check(t);",
        "PRAGMA user_version;",
        "PRAGMA foreign_keys;",
        "PRAGMA journal_mode;",
        "SELECT 1",
    ] {
        assert_eq!(rows(yes), [true], "{yes}");
    }
    for no in [
        "CREATE TABLE t (x);",
        "INSERT INTO t SELECT 1;",
        "INSERT INTO t VALUES (1);",
        "WITH c(n) AS (SELECT 1) INSERT INTO t SELECT n FROM c;",
        "WITH c AS MATERIALIZED (SELECT 1) DELETE FROM t WHERE x IN (SELECT * FROM c);",
        "WITH c AS (SELECT 1) UPDATE t SET x = (SELECT * FROM c);",
        "CREATE VIEW v AS SELECT 1;",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
        "PRAGMA user_version = 7;",
        "PRAGMA application_id(42);",
        "PRAGMA defer_foreign_keys = ON;",
        "ANALYZE;",
        "REINDEX;",
    ] {
        assert_eq!(rows(no), [false], "{no}");
    }
    let r = parse(
        "CREATE TABLE t (x);\nSELECT 1;",
        "INSERT INTO t VALUES (1);",
    )
    .unwrap();
    assert!(r.up.returns_rows());
    assert!(!r.down.returns_rows());
}

#[test]
fn statements_that_change_the_connection_or_cannot_run_in_a_transaction_are_refused() {
    for (bad, word) in [
        ("ATTACH DATABASE 'other.db' AS o;", "`ATTACH`"),
        ("attach 'other.db' as o;", "`ATTACH`"),
        ("DETACH DATABASE o;", "`DETACH`"),
        ("detach o;", "`DETACH`"),
        ("VACUUM;", "`VACUUM`"),
        ("VACUUM main INTO '/tmp/x.db';", "`VACUUM`"),
        // SQLite prepares the explained statement, and a pragma acts while prepared (a
        // fresh-user pass crashed a node with `EXPLAIN PRAGMA journal_mode=DELETE`).
        (
            "EXPLAIN PRAGMA journal_mode=DELETE;",
            "`EXPLAIN PRAGMA journal_mode` with a value",
        ),
        (
            "explain query plan pragma main.page_size = 8192;",
            "`EXPLAIN PRAGMA page_size` with a value",
        ),
        (
            "EXPLAIN PRAGMA foreign_keys=OFF;",
            "`EXPLAIN PRAGMA foreign_keys` with a value",
        ),
        ("EXPLAIN VACUUM;", "`VACUUM`"),
        ("EXPLAIN QUERY PLAN ATTACH 'o.db' AS o;", "`ATTACH`"),
    ] {
        let (line, column, message) = refused(&format!("SELECT 1;\n  {bad}"));
        // The explained statement's own refusal points at it, after `EXPLAIN`.
        assert_eq!(line, 6, "{bad}");
        assert!(
            column == 3 || bad.to_ascii_uppercase().starts_with("EXPLAIN"),
            "{bad}: {column}"
        );
        assert!(
            message.contains(word) && message.contains("refused"),
            "{bad}: {message}"
        );
    }
    // Explaining what may run is fine.
    parse(
        "EXPLAIN QUERY PLAN SELECT 1;\nEXPLAIN PRAGMA journal_mode;",
        "",
    )
    .unwrap();
    // As names and in strings they are fine.
    parse(
        "CREATE TABLE vacuum (attach TEXT);\nINSERT INTO vacuum VALUES ('DETACH');",
        "",
    )
    .unwrap();
}

#[test]
fn returning_is_refused_at_its_line() {
    let (line, column, message) =
        refused("CREATE TABLE t (id INTEGER PRIMARY KEY, x);\nINSERT INTO t (x)\n  VALUES (1)\n  RETURNING id;");
    assert_eq!((line, column), (8, 3));
    assert!(
        message.contains("`RETURNING` in a revision is refused"),
        "{message}"
    );
    let (line, _, _) = refused("SELECT 1;\nUPDATE t SET x = 2 returning *;");
    assert_eq!(line, 6);
    // Also in the down section.
    assert!(parse("SELECT 1;", "DELETE FROM t RETURNING x;").is_err());
    // As a name, in a string or a comment it is not the keyword.
    parse(
        "CREATE TABLE r (\"returning\" TEXT);\nINSERT INTO r VALUES ('returning'); -- returning\nSELECT r.returning FROM r;",
        "",
    )
    .unwrap();
}

/// `refuse_alone` (what `dqmig sql` applies) follows the same table as revision files.
#[test]
fn refuse_alone_applies_the_revision_rules() {
    for (sql, name) in [
        ("PRAGMA journal_mode=DELETE", "`PRAGMA journal_mode`"),
        (
            "pragma main.JOURNAL_MODE = 'delete';",
            "`PRAGMA journal_mode`",
        ),
        ("PRAGMA page_size=8192", "`PRAGMA page_size`"),
        (
            "/* c */ PRAGMA locking_mode=EXCLUSIVE",
            "`PRAGMA locking_mode`",
        ),
        ("PRAGMA wal_checkpoint(TRUNCATE)", "`PRAGMA wal_checkpoint`"),
        ("PRAGMA wal_checkpoint", "`PRAGMA wal_checkpoint`"),
        ("PRAGMA synchronous=FULL", "`PRAGMA synchronous`"),
        ("PRAGMA writable_schema=1", "`PRAGMA writable_schema`"),
        ("PRAGMA foreign_keys=OFF", "`PRAGMA foreign_keys`"),
        ("vacuum", "`VACUUM`"),
        (
            "EXPLAIN PRAGMA journal_mode=DELETE",
            "`EXPLAIN PRAGMA journal_mode`",
        ),
        (
            "explain query plan pragma page_size(8192)",
            "`EXPLAIN PRAGMA page_size`",
        ),
    ] {
        let why = refuse_alone(sql).unwrap_or_else(|| panic!("{sql} was not refused"));
        assert!(why.contains(name), "{sql}: {why}");
    }
    for sql in [
        "PRAGMA journal_mode",
        "EXPLAIN PRAGMA journal_mode",
        "EXPLAIN QUERY PLAN SELECT 1",
        "PRAGMA table_info(users)",
        "PRAGMA user_version = 3",
        "SELECT 'PRAGMA journal_mode=DELETE'",
        "-- VACUUM\nSELECT 1",
        "INSERT INTO t VALUES (1)",
    ] {
        assert_eq!(refuse_alone(sql), None, "{sql}");
    }
}
