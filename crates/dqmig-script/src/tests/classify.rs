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
        "PRAGMA foreign_keys = -0;",
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
    // A value SQLite would quietly read as off is refused as unclear.
    let (line, _, message) = refused("SELECT 1;\nPRAGMA foreign_keys = maybe;");
    assert_eq!(line, 6);
    assert!(message.contains("foreign_keys = maybe"), "{message}");
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
        ("-0", Some(false)),
        ("0.9", Some(false)),
        ("no", Some(false)),
        ("false", Some(false)),
        ("on", Some(true)),
        ("1", Some(true)),
        ("+2", Some(true)),
        ("10", Some(true)),
        ("yes", Some(true)),
        ("true", Some(true)),
        ("full", Some(true)),
        ("", None),
        ("maybe", None),
        ("1x", None),
    ] {
        assert_eq!(boolean(v), want, "{v:?}");
    }
}
