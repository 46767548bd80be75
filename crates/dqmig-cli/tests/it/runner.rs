//! The migration runner on a real node: upgrade/downgrade across a branched and merged
//! graph, stamp, offline `--sql` equivalence, edited-file detection, a failing step leaving
//! nothing behind, table rebuilds with ON DELETE CASCADE children, replay of a step, and
//! six concurrent migrators.

use std::path::Path;

use crate::support;
use dqmig::client::{Connection, Value};
use dqmig::config::TransactionMode;
use dqmig::introspect::{introspect, IntrospectOptions};
use dqmig::runner::{render_sql, RunError, RunOptions, Runner, StepOutcome};
use dqmig::schema::Schema;
use dqmig::script::{fs::load_dir, Graph, RevId, Target};

/// The text of a revision file.
pub fn rev_text(id: &str, revises: &str, up: &str, down: &str) -> String {
    format!("-- revision: {id}\n-- revises: {revises}\n-- message: {id}\n\n-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n")
}

/// Writes `(id, revises, up, down)` revision files into `dir/versions`.
pub fn write_revs(dir: &Path, revs: &[(&str, &str, &str, &str)]) {
    let v = dir.join("versions");
    std::fs::create_dir_all(&v).unwrap();
    for (id, revises, up, down) in revs {
        std::fs::write(
            v.join(format!("{id}_m.sql")),
            rev_text(id, revises, up, down),
        )
        .unwrap();
    }
}

pub fn graph_of(dir: &Path) -> Graph {
    Graph::from_revisions(load_dir(&dir.join("versions")).unwrap()).unwrap()
}

pub fn ids(v: &[&str]) -> Vec<RevId> {
    v.iter().map(|s| RevId::parse(s).unwrap()).collect()
}

fn t(s: &str) -> Target {
    Target::parse(s).unwrap()
}

/// a1 ─┬─ b2 ─┬─ m4 ── r5 (rebuilds users: posts rows hang on it with ON DELETE CASCADE)
///     └─ c3 ─┘
pub const BRANCHED: &[(&str, &str, &str, &str)] = &[
    ("a1", "", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);", "DROP TABLE users;"),
    (
        "b2",
        "a1",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, title TEXT);",
        "DROP TABLE posts;",
    ),
    ("c3", "a1", "CREATE INDEX idx_users_name ON users (name);", "DROP INDEX idx_users_name;"),
    ("m4", "b2, c3", "ALTER TABLE users ADD COLUMN email TEXT;", "ALTER TABLE users DROP COLUMN email;"),
    (
        "r5",
        "m4",
        "-- dqmig:rebuild users\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL DEFAULT '');\n\
         INSERT INTO users_new (id, name, email) SELECT id, name, coalesce(email, '') FROM users;\n\
         DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\nCREATE INDEX idx_users_name ON users (name);",
        "-- dqmig:rebuild users\nCREATE TABLE users_old (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n\
         INSERT INTO users_old (id, name, email) SELECT id, name, email FROM users;\n\
         DROP TABLE users;\nALTER TABLE users_old RENAME TO users;\nCREATE INDEX idx_users_name ON users (name);",
    ),
];

fn heads(runner: &Runner, conn: &mut Connection) -> Vec<String> {
    runner
        .current(conn)
        .unwrap()
        .iter()
        .map(|h| h.to_string())
        .collect()
}

fn schema(conn: &mut Connection) -> Schema {
    introspect(conn, &IntrospectOptions::default()).unwrap()
}

/// Every table's rows (by rowid), as a comparable snapshot; dqmig's tables included.
fn rows(conn: &mut Connection) -> Vec<(String, Vec<Vec<Value>>)> {
    let names = conn.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", &[]).unwrap();
    let mut out = Vec::new();
    for r in names.iter() {
        let name: String = r.get(0).unwrap();
        let data = conn
            .query(&format!("SELECT * FROM \"{name}\" ORDER BY 1"), &[])
            .unwrap();
        out.push((name, data.into_iter().map(|r| r.into_values()).collect()));
    }
    out
}

fn history_ups(runner: &Runner, conn: &mut Connection) -> Vec<String> {
    runner
        .history(conn)
        .unwrap()
        .into_iter()
        .filter(|h| h.direction == "up")
        .map(|h| h.revision)
        .collect()
}

#[test]
fn upgrade_and_downgrade_across_branch_and_merge_keep_cascade_children() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "branched").unwrap();
    assert!(
        heads(&runner, &mut conn).is_empty(),
        "no version table yet means base"
    );

    let r = runner.upgrade(&mut conn, &t("m4")).unwrap();
    assert_eq!(
        r.applied
            .iter()
            .map(|a| a.revision.as_str())
            .collect::<Vec<_>>(),
        ["a1", "b2", "c3", "m4"]
    );
    assert_eq!(r.heads, ["m4"]);
    conn.execute_batch("INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob'); INSERT INTO posts (user_id, title) VALUES (1, 'x'), (1, 'y'), (2, 'z')").unwrap();

    let r = runner.upgrade(&mut conn, &t("head")).unwrap();
    assert_eq!(r.applied.len(), 1);
    assert_eq!(heads(&runner, &mut conn), ["r5"]);
    let posts: i64 = conn
        .query_row("SELECT count(*) FROM posts", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(posts, 3, "the rebuild of users must not cascade into posts");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(fk, 1, "foreign keys are back on after the rebuild");
    let email_notnull: i64 = conn
        .query_row(
            "SELECT \"notnull\" FROM pragma_table_info('users') WHERE name = 'email'",
            &[],
        )
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(email_notnull, 1);

    // Down to c3: undoes what comes after c3 (m4, r5); b2 is another branch and stays.
    let r = runner.downgrade(&mut conn, &t("c3")).unwrap();
    assert_eq!(
        r.applied
            .iter()
            .map(|a| a.revision.as_str())
            .collect::<Vec<_>>(),
        ["r5", "m4"]
    );
    assert_eq!(heads(&runner, &mut conn), ["b2", "c3"]);
    let posts: i64 = conn
        .query_row("SELECT count(*) FROM posts", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(posts, 3, "the reverse rebuild kept the children too");
    // Undo the b2 branch only.
    let r = runner.downgrade(&mut conn, &t("b2@base")).unwrap();
    assert_eq!(
        r.applied
            .iter()
            .map(|a| a.revision.as_str())
            .collect::<Vec<_>>(),
        ["b2"]
    );
    assert_eq!(heads(&runner, &mut conn), ["c3"]);
    let tables: Vec<String> = conn.query("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'dqmig_%' ORDER BY name", &[]).unwrap().iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(tables, ["users"]);
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(users, 2);

    // Up one branch only, then everything.
    runner.upgrade(&mut conn, &t("b2")).unwrap();
    assert_eq!(heads(&runner, &mut conn), ["b2", "c3"]);
    runner.upgrade(&mut conn, &t("heads")).unwrap();
    assert_eq!(heads(&runner, &mut conn), ["r5"]);
    runner.downgrade(&mut conn, &t("-1")).unwrap();
    assert_eq!(heads(&runner, &mut conn), ["m4"]);
    let r = runner.downgrade(&mut conn, &t("base")).unwrap();
    assert_eq!(r.applied.len(), 4);
    assert!(heads(&runner, &mut conn).is_empty());
    assert_eq!(schema(&mut conn), Schema::default());
    let dirs: Vec<String> = runner
        .history(&mut conn)
        .unwrap()
        .iter()
        .map(|h| format!("{}:{}", h.direction, h.revision))
        .collect();
    assert_eq!(dirs.first().map(String::as_str), Some("up:a1"));
    assert_eq!(dirs.last().map(String::as_str), Some("down:a1"));
    assert!(runner
        .history(&mut conn)
        .unwrap()
        .iter()
        .all(|h| h.applied_at.ends_with('Z') && h.duration_ms.is_some()));
}

#[test]
fn stamp_moves_the_version_table_only() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "stamp").unwrap();
    let s = runner.stamp(&mut conn, &t("head"), false).unwrap();
    assert!(s.before.is_empty());
    assert_eq!(s.after, ["r5"]);
    assert_eq!(
        schema(&mut conn),
        Schema::default(),
        "stamp runs no migration"
    );
    runner.stamp(&mut conn, &t("b2"), true).unwrap();
    assert_eq!(heads(&runner, &mut conn), ["b2"]);
    runner.stamp(&mut conn, &t("c3"), false).unwrap();
    assert_eq!(
        heads(&runner, &mut conn),
        ["b2", "c3"],
        "stamping another branch keeps the first"
    );
    // A row naming a revision no file defines: only --purge can fix it.
    conn.execute("INSERT INTO dqmig_version VALUES ('zz9')", &[])
        .unwrap();
    let e = runner
        .stamp(&mut conn, &t("a1"), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("zz9") && e.contains("stamp"), "{e}");
    let s = runner.stamp(&mut conn, &t("a1"), true).unwrap();
    assert_eq!(s.before, ["b2", "c3", "zz9"]);
    assert_eq!(heads(&runner, &mut conn), ["a1"]);
    runner.stamp(&mut conn, &t("base"), true).unwrap();
    assert!(heads(&runner, &mut conn).is_empty());
    let stamps = runner
        .history(&mut conn)
        .unwrap()
        .iter()
        .filter(|h| h.direction == "stamp")
        .count();
    assert_eq!(stamps, 5);
    assert!(history_ups(&runner, &mut conn).is_empty());
}

#[test]
fn offline_sql_gives_the_same_schema_and_version_table() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let graph = graph_of(dir.path());
    for (mode, name) in [
        (TransactionMode::PerStep, "per"),
        (TransactionMode::All, "all"),
    ] {
        let opts = RunOptions {
            transaction: mode,
            ..RunOptions::default()
        };
        let runner = Runner::new(&graph, opts.clone());
        let mut online = Connection::open(&node.address, &format!("online_{name}")).unwrap();
        let mut offline = Connection::open(&node.address, &format!("offline_{name}")).unwrap();
        runner.upgrade(&mut online, &t("head")).unwrap();
        let steps = graph.plan_upgrade(&[], &t("head")).unwrap();
        let script = render_sql(&graph, &steps, &opts).unwrap();
        let text = script.to_string();
        assert!(
            text.contains("PRAGMA foreign_keys=OFF")
                && text.contains("PRAGMA foreign_key_check")
                && text.contains("CREATE TABLE IF NOT EXISTS \"dqmig_version\""),
            "{text}"
        );
        assert_eq!(
            text.matches("BEGIN;").count(),
            if mode == TransactionMode::All { 1 } else { 5 },
            "{text}"
        );
        for stmt in script.statements() {
            offline
                .execute_batch(stmt)
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
        assert_eq!(schema(&mut online), schema(&mut offline));
        assert_eq!(heads(&runner, &mut offline), ["r5"]);
        // The printed script, sent whole as one batch, does the same.
        let mut printed = Connection::open(&node.address, &format!("printed_{name}")).unwrap();
        printed.execute_batch(&text).unwrap();
        assert_eq!(schema(&mut printed), schema(&mut online));
        assert_eq!(heads(&runner, &mut printed), ["r5"]);
        assert_eq!(
            history_ups(&runner, &mut offline),
            history_ups(&runner, &mut online)
        );
        let fk: i64 = offline
            .query_row("PRAGMA foreign_keys", &[])
            .unwrap()
            .get(0)
            .unwrap();
        assert_eq!(fk, 1);

        // And back down, offline, from where it is.
        runner.downgrade(&mut online, &t("c3")).unwrap();
        let down = graph.plan_downgrade(&ids(&["r5"]), &t("c3")).unwrap();
        for stmt in render_sql(&graph, &down, &opts).unwrap().statements() {
            offline.execute_batch(stmt).unwrap();
        }
        assert_eq!(schema(&mut online), schema(&mut offline));
        assert_eq!(heads(&runner, &mut offline), ["b2", "c3"]);
    }
}

#[test]
fn edited_applied_file_is_reported_before_anything_runs() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let mut conn = Connection::open(&node.address, "edited").unwrap();
    {
        let graph = graph_of(dir.path());
        Runner::new(&graph, RunOptions::default())
            .upgrade(&mut conn, &t("b2"))
            .unwrap();
    }
    // Whitespace-only edits do not count; real edits do.
    let path = dir.path().join("versions/a1_m.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace('\n', "  \r\n")).unwrap();
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    assert!(runner.edited(&mut conn, &ids(&["b2"])).unwrap().is_empty());
    std::fs::write(&path, text.replace("name TEXT NOT NULL", "name TEXT")).unwrap();
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let before = rows(&mut conn);
    let e = runner.upgrade(&mut conn, &t("head")).unwrap_err();
    let RunError::Edited { files } = &e else {
        panic!("expected Edited, got {e}")
    };
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].revision, "a1");
    assert!(
        e.to_string().contains("a1_m.sql") && e.to_string().contains("--allow-edited"),
        "{e}"
    );
    assert_eq!(rows(&mut conn), before, "nothing ran");
    let lenient = Runner::new(
        &graph,
        RunOptions {
            allow_edited: true,
            ..RunOptions::default()
        },
    );
    lenient.upgrade(&mut conn, &t("head")).unwrap();
    assert_eq!(heads(&runner, &mut conn), ["r5"]);
}

#[test]
fn a_step_failing_midway_leaves_everything_as_before_it() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(
        dir.path(),
        &[
            ("a1", "", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t (v) VALUES ('one');", "DROP TABLE t;"),
            ("b2", "a1", "CREATE TABLE u (x INTEGER);\nINSERT INTO t (v) VALUES ('two');\nINSERT INTO nosuch VALUES (1);", "DROP TABLE u;"),
        ],
    );
    let graph = graph_of(dir.path());
    for mode in [TransactionMode::PerStep, TransactionMode::All] {
        let runner = Runner::new(
            &graph,
            RunOptions {
                transaction: mode,
                ..RunOptions::default()
            },
        );
        let mut conn = Connection::open(&node.address, &format!("midway_{mode:?}")).unwrap();
        runner.upgrade(&mut conn, &t("a1")).unwrap();
        let (schema_before, rows_before) = (schema(&mut conn), rows(&mut conn));
        let e = runner.upgrade(&mut conn, &t("head")).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, RunError::Statement { ref revision, line: 8, .. } if revision == "b2"),
            "{msg}"
        );
        assert!(
            msg.contains("b2_m.sql:8")
                && msg.contains("no such table")
                && msg.contains("rolled back"),
            "{msg}"
        );
        assert_eq!(schema(&mut conn), schema_before);
        assert_eq!(
            rows(&mut conn),
            rows_before,
            "data, version and history tables unchanged"
        );
        assert!(!conn.in_transaction());
        assert_eq!(heads(&runner, &mut conn), ["a1"]);
    }
}

#[test]
fn rebuild_leaving_orphans_is_aborted_and_foreign_keys_restored() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    let mut revs = BRANCHED.to_vec();
    revs.push((
        "x6",
        "r5",
        "-- dqmig:rebuild users\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL DEFAULT '');\n\
         INSERT INTO users_new SELECT * FROM users WHERE id <> 2;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
        "SELECT 1;",
    ));
    write_revs(dir.path(), &revs);
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "orphans").unwrap();
    runner.upgrade(&mut conn, &t("r5")).unwrap();
    conn.execute_batch("INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob'); INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'x'), (11, 2, 'y')").unwrap();
    let (schema_before, rows_before) = (schema(&mut conn), rows(&mut conn));
    let e = runner.upgrade(&mut conn, &t("head")).unwrap_err();
    let RunError::ForeignKeys { violations, .. } = &e else {
        panic!("expected ForeignKeys, got {e}")
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(
        (
            violations[0].table.as_str(),
            violations[0].rowid,
            violations[0].parent.as_str()
        ),
        ("posts", Some(11), "users")
    );
    assert!(e.to_string().contains("posts rowid 11"), "{e}");
    assert_eq!(schema(&mut conn), schema_before);
    assert_eq!(rows(&mut conn), rows_before);
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(fk, 1, "foreign keys restored after the failed rebuild");
}

#[test]
fn apply_step_twice_applies_once() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "replay").unwrap();
    runner.ensure_tables(&mut conn).unwrap();
    let steps = graph.plan_upgrade(&[], &t("head")).unwrap();
    assert!(matches!(
        runner.apply_step(&mut conn, &steps[0]).unwrap(),
        StepOutcome::Applied(_)
    ));
    // As after a lost connection: a fresh connection, the same call.
    conn.reconnect().unwrap();
    assert_eq!(
        runner.apply_step(&mut conn, &steps[0]).unwrap(),
        StepOutcome::AlreadyApplied
    );
    assert_eq!(history_ups(&runner, &mut conn), ["a1"]);
    // A step that does not start where the database is: a clear conflict, nothing done.
    let e = runner.apply_step(&mut conn, &steps[2]).unwrap_err();
    assert!(matches!(e, RunError::Conflict { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("another migrator moved the database from"),
        "{e}"
    );
    // Groups replay the same way.
    assert!(
        matches!(runner.apply_group(&mut conn, &steps[1..3]).unwrap(), StepOutcome::Applied(ms) if ms.len() == 2)
    );
    assert_eq!(
        runner.apply_group(&mut conn, &steps[1..3]).unwrap(),
        StepOutcome::AlreadyApplied
    );
    assert_eq!(history_ups(&runner, &mut conn).len(), 3);
}

#[test]
fn six_concurrent_migrators_apply_each_revision_once() {
    race(TransactionMode::PerStep, "race_per_step");
}

#[test]
fn six_concurrent_migrators_in_one_transaction_each_apply_each_revision_once() {
    race(TransactionMode::All, "race_all");
}

/// Six threads, each with its own connection, run `upgrade head` on one database at once.
fn race(mode: TransactionMode, db: &str) {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<(String, String, String, String)> = (0..12)
        .map(|i| {
            let id = format!("r{i:02}");
            let parent = if i == 0 { String::new() } else { format!("r{:02}", i - 1) };
            (id, parent, format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY);\nINSERT INTO t{i} (id) VALUES (1);"), format!("DROP TABLE t{i};"))
        })
        .collect();
    let revs: Vec<(&str, &str, &str, &str)> = texts
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    write_revs(dir.path(), &revs);
    let graph = graph_of(dir.path());
    let address = node.address.clone();
    let start = std::sync::Barrier::new(6);
    let results: Vec<Result<(usize, usize), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let graph = &graph;
                let address = address.clone();
                let start = &start;
                s.spawn(move || {
                    let conn = Connection::open(&address, db).map_err(|e| e.to_string());
                    start.wait(); // all six start their runs together
                    let mut conn = conn?;
                    let runner = Runner::new(
                        graph,
                        RunOptions {
                            transaction: mode,
                            ..RunOptions::default()
                        },
                    );
                    runner
                        .upgrade(&mut conn, &Target::Head)
                        .map(|r| (r.applied.len(), r.skipped.len()))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut applied_total = 0;
    for r in &results {
        match r {
            Ok((applied, _)) => applied_total += applied,
            Err(e) => assert!(
                e.contains("another migrator") || e.contains("gave up"),
                "unclear error: {e}"
            ),
        }
    }
    eprintln!("concurrent migrators: {results:?}");
    assert!(results.iter().any(|r| r.is_ok()), "{results:?}");
    let mut conn = Connection::open(&node.address, db).unwrap();
    let runner = Runner::new(&graph, RunOptions::default());
    let mut ups = history_ups(&runner, &mut conn);
    assert_eq!(ups.len(), 12, "each revision applied exactly once: {ups:?}");
    assert!(
        applied_total == 12 || results.iter().any(|r| r.is_err()),
        "the runs' reports add up to the history: {results:?}"
    );
    ups.sort();
    ups.dedup();
    assert_eq!(ups.len(), 12);
    assert_eq!(heads(&runner, &mut conn), ["r11"]);
    for i in 0..12 {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM t{i}"), &[])
            .unwrap()
            .get(0)
            .unwrap();
        assert_eq!(n, 1);
    }
}

/// Reading a revision refuses COMMIT, so this builds the graph with one slipped in behind
/// the parser's back: the runner itself must still never record a step whose statements
/// ended its transaction, and never claim that such a step was rolled back.
#[test]
fn statements_that_end_the_transaction_are_never_recorded_nor_called_rolled_back() {
    use dqmig::script::Statement;
    let node = support::start_node();
    // (statements after the COMMIT, does the request fail after it)
    for (after, mode) in [
        ("SELECT * FROM no_such_table;", TransactionMode::PerStep),
        (
            "UPDATE acc SET bal = bal + 1 WHERE id = 1;",
            TransactionMode::PerStep,
        ),
        ("SELECT * FROM no_such_table;", TransactionMode::All),
        (
            "UPDATE acc SET bal = bal + 1 WHERE id = 1;",
            TransactionMode::All,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_revs(
            dir.path(),
            &[
                ("a1", "", "CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER);\nINSERT INTO acc VALUES (1, 100);", "DROP TABLE acc;"),
                ("b2", "a1", &format!("UPDATE acc SET bal = 0 WHERE id = 1;\n{after}"), "SELECT 1;"),
            ],
        );
        let mut revs = load_dir(&dir.path().join("versions")).unwrap();
        let b2 = revs.iter_mut().find(|r| r.id().as_str() == "b2").unwrap();
        let commit = Statement {
            sql: "COMMIT;".into(),
            line: 7,
            terminated: true,
            directives: vec![],
            returns_rows: false,
        };
        b2.up.statements.insert(1, commit);
        let graph = Graph::from_revisions(revs).unwrap();
        let runner = Runner::new(
            &graph,
            RunOptions {
                transaction: mode,
                ..RunOptions::default()
            },
        );
        let db = format!("ended_{}_{mode:?}", after.len());
        let mut conn = Connection::open(&node.address, &db).unwrap();
        runner.upgrade(&mut conn, &t("a1")).unwrap();
        let e = runner.upgrade(&mut conn, &t("head")).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, RunError::TransactionEnded { ref revision, .. } if revision == "b2"),
            "{after} {mode:?}: {msg}"
        );
        assert!(
            !msg.contains("rolled back") && msg.contains("may have been committed"),
            "{msg}"
        );
        assert!(!conn.in_transaction());
        assert_eq!(
            heads(&runner, &mut conn),
            ["a1"],
            "{after} {mode:?}: b2 must not be recorded"
        );
        assert_eq!(history_ups(&runner, &mut conn), ["a1"]);
        // What the statements committed is there (that is why the error cannot say otherwise).
        let bal: i64 = conn
            .query("SELECT bal FROM acc", &[])
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .get(0)
            .unwrap();
        assert!(bal == 0 || bal == 1, "{bal}");
        // The next run does not think there is nothing to do.
        let again = runner.upgrade(&mut conn, &t("head")).unwrap_err();
        assert!(
            matches!(again, RunError::TransactionEnded { .. }),
            "{again}"
        );
    }
}

/// The savepoint's RELEASE is sent after a step's statements in the same request: a last
/// statement without `;` (ending in a comment, even) must stay apart from it.
#[test]
fn a_last_statement_without_semicolon_still_applies() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(
        dir.path(),
        &[
            (
                "a1",
                "",
                "CREATE TABLE t (id INTEGER PRIMARY KEY)",
                "DROP TABLE t -- gone",
            ),
            (
                "b2",
                "a1",
                "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2) -- the last",
                "DELETE FROM t",
            ),
        ],
    );
    let graph = graph_of(dir.path());
    for mode in [TransactionMode::PerStep, TransactionMode::All] {
        let runner = Runner::new(
            &graph,
            RunOptions {
                transaction: mode,
                ..RunOptions::default()
            },
        );
        let mut conn = Connection::open(&node.address, &format!("nosemi_{mode:?}")).unwrap();
        runner.upgrade(&mut conn, &t("head")).unwrap();
        let n: i64 = conn
            .query("SELECT count(*) FROM t", &[])
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .get(0)
            .unwrap();
        assert_eq!(n, 2);
        runner.downgrade(&mut conn, &t("base")).unwrap();
        assert_eq!(heads(&runner, &mut conn), Vec::<String>::new());
    }
}
