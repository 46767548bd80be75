//! The migration commands through the built binary (assert_cmd) on a real in-process node,
//! over a copy of `examples/migrations` (a table rebuild, a branch and its merge):
//! upgrade/downgrade across the branches, stamp, the read commands and their `--json`,
//! `current --check-heads` exit codes, `--sql` output that gives a fresh database the
//! same schema, version table and history as running online, edited applied files refused
//! before anything runs, and a failing step (or group) leaving the schema, the version table
//! and the history exactly as before it.

use std::path::{Path, PathBuf};

use dqmig::client::Connection;
use serde_json::Value as Json;
use std::process::Command;

use crate::support::{self, TestNode};

pub const R1: &str = "1f0c2b7a9d01"; // Create users
pub const R2: &str = "2b8e4d6c1a02"; // Create posts (branch point)
pub const R3: &str = "3c5a7e9b2f03"; // accounts: users rebuild (is_active, created_at)
pub const R4: &str = "4d6b8f0c3e04"; // content: posts rebuild (title 200)
pub const R5: &str = "5e7c9a1d4b05"; // merge
pub const R6: &str = "6a8d0b2e5c06"; // index users.name (head)

/// The example project's folder in the repository.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/migrations")
}

/// A copy of the example project (without any node data) in a temp dir.
pub fn copy_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&example_dir(), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".dqmig" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// The binary, run in `project`, with a clean environment.
pub fn dqmig(project: &Path) -> Command {
    let mut cmd = crate::support::dqmig_bin();
    cmd.current_dir(project);
    cmd
}

/// Output of a finished command.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `dqmig ARGS --url URL` in `project`.
pub fn run(project: &Path, url: &str, args: &[&str]) -> Ran {
    let out = dqmig(project)
        .args(args)
        .args(["--url", url])
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs and requires exit 0.
pub fn ok(project: &Path, url: &str, args: &[&str]) -> Ran {
    let r = run(project, url, args);
    assert_eq!(
        r.code, 0,
        "dqmig {args:?} exited {}\nstdout: {}\nstderr: {}",
        r.code, r.stdout, r.stderr
    );
    r
}

fn json(text: &str) -> Json {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A node, a project copy and the cluster URL of database `db` on the node.
struct Setup {
    node: TestNode,
    project: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            node: support::start_node(),
            project: copy_example(),
        }
    }
    fn url(&self, db: &str) -> String {
        format!("dqlite://{}/{db}", self.node.address)
    }
    fn conn(&self, db: &str) -> Connection {
        Connection::open(&self.node.address, db).unwrap()
    }
    fn dir(&self) -> &Path {
        self.project.path()
    }
}

/// The version table's rows.
pub fn versions(conn: &mut Connection) -> Vec<String> {
    conn.query(
        "SELECT version_num FROM dqmig_version ORDER BY version_num",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get::<String>(0).unwrap())
    .collect()
}

/// `type name sql` of every object except dqmig's and SQLite's own, by name.
pub fn schema(conn: &mut Connection) -> Vec<String> {
    conn.query(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE 'dqmig_%' ORDER BY name",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{} {} {}",
            r.get::<String>(0).unwrap(),
            r.get::<String>(1).unwrap(),
            r.get::<Option<String>>(2).unwrap().unwrap_or_default()
        )
    })
    .collect()
}

/// `(revision, direction, checksum, heads_before, heads_after)` of each history row.
fn history_rows(conn: &mut Connection) -> Vec<String> {
    conn.query(
        "SELECT revision, direction, checksum, heads_before, heads_after FROM dqmig_history ORDER BY id",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| {
        (0..5)
            .map(|i| r.get::<String>(i).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    })
    .collect()
}

fn count(conn: &mut Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), &[])
        .unwrap()
        .get(0)
        .unwrap()
}

fn columns(conn: &mut Connection, table: &str) -> Vec<String> {
    conn.query(
        &format!("SELECT name FROM pragma_table_info('{table}')"),
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get::<String>(0).unwrap())
    .collect()
}

/// The `Running upgrade ...` lines of stderr.
fn running(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("Running "))
        .collect()
}

#[test]
fn upgrade_and_downgrade_across_branches_and_merge() {
    let s = Setup::new();
    let url = s.url("app.db");
    let dir = s.dir();

    // One branch at a time: two heads in the version table, then the merge joins them.
    let r = ok(dir, &url, &["upgrade", R3]);
    assert_eq!(
        running(&r.stderr),
        vec![
            format!("Running upgrade <base> -> {R1}, Create users"),
            format!("Running upgrade {R1} -> {R2}, Create posts"),
            format!("Running upgrade {R2} -> {R3}, Add is_active and created_at to users"),
        ],
        "{}",
        r.stderr
    );
    let mut c = s.conn("app.db");
    assert_eq!(versions(&mut c), vec![R3]);
    assert!(columns(&mut c, "users").contains(&"created_at".to_string()));

    // Rows written now must survive the posts rebuild and, later, the users rebuild.
    c.execute_batch("INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.org')")
        .unwrap();
    c.execute_batch("INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')")
        .unwrap();

    let r = ok(dir, &url, &["upgrade", "content@head"]);
    assert_eq!(running(&r.stderr).len(), 3, "{}", r.stderr);
    // content@head is the merge's descendant head: everything is applied.
    assert_eq!(versions(&mut c), vec![R6]);
    assert_eq!(count(&mut c, "posts"), 1, "the posts rebuild kept its rows");

    // Down to the branch point: both branches (and the merge) undone, newest first.
    let r = ok(dir, &url, &["downgrade", R2]);
    let lines = running(&r.stderr);
    assert_eq!(lines.len(), 4, "{}", r.stderr);
    assert_eq!(
        lines[0],
        format!("Running downgrade {R6} -> {R5}, Index users by name")
    );
    assert_eq!(
        lines[1],
        format!("Running downgrade {R5} -> {R3}, {R4}, Merge accounts and content")
    );
    assert_eq!(versions(&mut c), vec![R2]);
    assert_eq!(columns(&mut c, "users"), vec!["id", "name", "email"]);
    assert_eq!(
        count(&mut c, "posts"),
        1,
        "undoing the rebuilds kept the posts"
    );

    // Only the content branch: a single head on that branch.
    ok(dir, &url, &["upgrade", R4]);
    assert_eq!(versions(&mut c), vec![R4]);
    // Then the accounts branch too: two heads.
    ok(dir, &url, &["upgrade", "accounts"]);
    assert_eq!(versions(&mut c), vec![R3, R4]);
    let cur = json(&ok(dir, &url, &["current", "--json"]).stdout);
    assert_eq!(cur["at_head"], false);
    assert_eq!(cur["current"].as_array().unwrap().len(), 2);
    // The users rebuild ran with foreign keys off: the post of user 1 is still there.
    assert_eq!(count(&mut c, "posts"), 1);

    // `head` now applies only the merge and what follows.
    let r = ok(dir, &url, &["upgrade", "head"]);
    assert_eq!(running(&r.stderr).len(), 2, "{}", r.stderr);
    assert_eq!(versions(&mut c), vec![R6]);
    let r = ok(dir, &url, &["upgrade"]);
    assert!(r.stderr.contains("Nothing to upgrade"), "{}", r.stderr);

    // -1 undoes the head only; base undoes everything.
    ok(dir, &url, &["downgrade", "-1"]);
    assert_eq!(versions(&mut c), vec![R5]);
    ok(dir, &url, &["downgrade", "base"]);
    assert!(versions(&mut c).is_empty());
    assert!(schema(&mut c).is_empty(), "{:?}", schema(&mut c));

    // Every step is in the history table, in order: 6 ups, 4 downs, 4 ups...
    let hist = json(&ok(dir, &url, &["history", "--applied", "--json"]).stdout);
    let rows = hist.as_array().unwrap();
    let ups = rows.iter().filter(|r| r["direction"] == "up").count();
    let downs = rows.iter().filter(|r| r["direction"] == "down").count();
    assert_eq!((ups, downs), (6 + 4, 4 + 6), "{hist}");
}

#[test]
fn transaction_all_and_json_report() {
    let s = Setup::new();
    let url = s.url("all.db");
    let r = ok(
        s.dir(),
        &url,
        &["upgrade", "head", "--transaction", "all", "--json"],
    );
    let report = json(&r.stdout);
    assert_eq!(report["applied"].as_array().unwrap().len(), 6, "{report}");
    assert_eq!(report["heads"], serde_json::json!([R6]));
    let mut c = s.conn("all.db");
    assert_eq!(versions(&mut c), vec![R6]);
    assert_eq!(history_rows(&mut c).len(), 6);
}

#[test]
fn check_heads_exit_codes_and_current_output() {
    let s = Setup::new();
    let url = s.url("cur.db");
    let dir = s.dir();
    let r = run(dir, &url, &["current", "--check-heads"]);
    assert_eq!(r.code, 1, "not at head before any upgrade: {}", r.stderr);
    assert!(r.stderr.contains("<base>"), "{}", r.stderr);
    ok(dir, &url, &["upgrade", R5]);
    let r = run(dir, &url, &["current", "--check-heads"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), R5);
    ok(dir, &url, &["upgrade"]);
    let r = ok(dir, &url, &["current", "--check-heads"]);
    assert_eq!(r.stdout.trim(), format!("{R6} (head)"));
    let v = ok(dir, &url, &["current", "-v"]).stdout;
    assert!(
        v.contains("Index users by name") && v.contains(".sql"),
        "{v}"
    );
    let cur = json(&ok(dir, &url, &["current", "--json"]).stdout);
    assert_eq!(cur["at_head"], true);
    assert_eq!(cur["current"][0]["revision"], R6);
    assert_eq!(cur["heads"], serde_json::json!([R6]));
}

#[test]
fn read_commands_and_their_json() {
    let s = Setup::new();
    let url = s.url("read.db");
    let dir = s.dir();

    let heads = json(&ok(dir, &url, &["heads", "--json"]).stdout);
    assert_eq!(heads.as_array().unwrap().len(), 1);
    assert_eq!(heads[0]["revision"], R6);
    let text = ok(dir, &url, &["heads"]).stdout;
    assert!(
        text.contains(R6) && text.contains("Index users by name"),
        "{text}"
    );

    let branches = json(&ok(dir, &url, &["branches", "--json"]).stdout);
    assert_eq!(branches[0]["revision"], R2);
    let kids: Vec<&str> = branches[0]["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["revision"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![R3, R4]);
    assert!(ok(dir, &url, &["branches"]).stdout.contains(R2));

    let hist = json(&ok(dir, &url, &["history", "--json"]).stdout);
    let ids: Vec<&str> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["revision"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6);
    assert_eq!((ids[0], ids[5]), (R6, R1), "newest first: {ids:?}");
    let merge = hist
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["revision"] == R5)
        .unwrap();
    assert_eq!(merge["revises"], serde_json::json!([R3, R4]));
    assert!(merge["marks"]
        .as_array()
        .unwrap()
        .contains(&Json::from("mergepoint")));

    let ranged = json(
        &ok(
            dir,
            &url,
            &["history", "-r", &format!("{R2}:{R5}"), "--json"],
        )
        .stdout,
    );
    assert_eq!(ranged.as_array().unwrap().len(), 4, "{ranged}");

    // -i marks what the database is at.
    ok(dir, &url, &["upgrade", R2]);
    let marked = json(&ok(dir, &url, &["history", "-i", "--json"]).stdout);
    let current: Vec<&str> = marked
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["marks"]
                .as_array()
                .unwrap()
                .contains(&Json::from("current"))
        })
        .map(|h| h["revision"].as_str().unwrap())
        .collect();
    assert_eq!(current, vec![R2]);
    assert!(ok(dir, &url, &["history", "-i"]).stdout.contains("current"));

    let show = json(&ok(dir, &url, &["show", "3c5a", "--json"]).stdout);
    assert_eq!(show["revision"], R3);
    assert_eq!(show["branch_labels"], serde_json::json!(["accounts"]));
    assert_eq!(show["children"], serde_json::json!([R5]));
    assert_eq!(
        show["up"].as_array().unwrap().len(),
        4,
        "a rebuild is 4 statements"
    );
    let text = ok(dir, &url, &["show", "content"]).stdout;
    assert!(text.starts_with(&format!("Rev: {R4}")), "{text}");
    assert!(
        text.contains("-- migrate:down") && text.contains("VARCHAR(200)"),
        "{text}"
    );

    // A target that names nothing: exit 2 with a message saying what to do.
    let r = run(dir, &url, &["show", "zzz"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("zzz") && r.stderr.contains("dqmig history"),
        "{}",
        r.stderr
    );
    // A unique id prefix is a target: `1` is 1f0c..., already applied.
    let r = ok(dir, &url, &["upgrade", "1"]);
    assert!(r.stderr.contains("Nothing to upgrade"), "{}", r.stderr);
}

#[test]
fn stamp_moves_only_the_version_table() {
    let s = Setup::new();
    let url = s.url("stamp.db");
    let dir = s.dir();
    let r = ok(dir, &url, &["stamp", R2]);
    assert!(
        r.stderr.contains(&format!("<base> -> {R2}")),
        "{}",
        r.stderr
    );
    let mut c = s.conn("stamp.db");
    assert_eq!(versions(&mut c), vec![R2]);
    assert!(
        schema(&mut c).is_empty(),
        "stamp ran SQL: {:?}",
        schema(&mut c)
    );

    // Upgrading from the stamp runs only what comes after it.
    c.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(255) NOT NULL, UNIQUE (email))",
    )
    .unwrap();
    c.execute_batch(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title VARCHAR(100) NOT NULL, \
         FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)",
    )
    .unwrap();
    let r = ok(dir, &url, &["upgrade", R4]);
    assert_eq!(running(&r.stderr).len(), 1, "{}", r.stderr);

    let rep = json(&ok(dir, &url, &["stamp", "heads", "--json"]).stdout);
    assert_eq!(rep["before"], serde_json::json!([R4]));
    assert_eq!(rep["after"], serde_json::json!([R6]));

    // A version table naming a revision no file has: only --purge fixes it.
    c.execute_batch("UPDATE dqmig_version SET version_num = 'feedfeedfeed'")
        .unwrap();
    let r = run(dir, &url, &["stamp", "base"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    ok(dir, &url, &["stamp", "--purge", R1]);
    assert_eq!(versions(&mut c), vec![R1]);

    let hist = json(&ok(dir, &url, &["history", "--applied", "--json"]).stdout);
    let stamps = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["direction"] == "stamp")
        .count();
    assert_eq!(stamps, 3, "{hist}");
}

/// Runs `script` (a whole offline script) on database `db`.
fn run_script(s: &Setup, db: &str, script: &str) {
    let mut c = s.conn(db);
    c.execute_batch(script)
        .unwrap_or_else(|e| panic!("running the offline script on {db}: {e}\n{script}"));
}

#[test]
fn offline_sql_matches_online_runs() {
    let s = Setup::new();
    let dir = s.dir();
    // The offline scripts need no database: a URL to nowhere must not matter.
    let nowhere = "dqlite://127.0.0.1:1/none.db";
    let up = ok(dir, nowhere, &["upgrade", "head", "--sql"]).stdout;
    assert!(up.contains("BEGIN;") && up.contains("COMMIT;"), "{up}");
    assert!(
        up.contains("PRAGMA foreign_keys=OFF;"),
        "rebuilds turn FKs off: {up}"
    );
    assert!(up.contains("PRAGMA foreign_key_check;"));
    assert!(up.contains("INSERT INTO \"dqmig_version\""));

    ok(dir, &s.url("online.db"), &["upgrade", "head"]);
    run_script(&s, "offline.db", &up);
    let (mut on, mut off) = (s.conn("online.db"), s.conn("offline.db"));
    assert_eq!(schema(&mut on), schema(&mut off));
    assert!(!schema(&mut off).is_empty());
    assert_eq!(versions(&mut on), versions(&mut off));
    assert_eq!(history_rows(&mut on), history_rows(&mut off));

    // A range: from the branch point to the head, on databases at the branch point.
    let part = ok(dir, nowhere, &["upgrade", &format!("{R2}:head"), "--sql"]).stdout;
    assert!(
        !part.contains("Create users") && !part.contains(&format!("Upgrade {R1}")),
        "{part}"
    );

    // Downgrade head:base, offline vs online, from the upgraded databases.
    let down = ok(dir, nowhere, &["downgrade", "head:base", "--sql"]).stdout;
    ok(dir, &s.url("online.db"), &["downgrade", "base"]);
    run_script(&s, "offline.db", &down);
    assert_eq!(schema(&mut on), schema(&mut off));
    assert!(schema(&mut off).is_empty(), "{:?}", schema(&mut off));
    assert!(versions(&mut off).is_empty());
    assert_eq!(history_rows(&mut on), history_rows(&mut off));

    // One transaction for the whole script.
    let all = ok(dir, nowhere, &["upgrade", "--sql", "--transaction", "all"]).stdout;
    assert_eq!(all.matches("BEGIN;").count(), 1, "{all}");
    run_script(&s, "all.db", &all);
    let mut a = s.conn("all.db");
    assert_eq!(schema(&mut a), {
        ok(dir, &s.url("online2.db"), &["upgrade"]);
        schema(&mut s.conn("online2.db"))
    });

    // Downgrade --sql without a range cannot know where to start.
    let r = run(dir, nowhere, &["downgrade", "-1", "--sql"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("FROM:TO"), "{}", r.stderr);
}

#[test]
fn errors_exit_2_with_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let r = run(empty.path(), "dqlite://127.0.0.1:1/x.db", &["upgrade"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("dqmig init"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);

    let s = Setup::new();
    let r = run(s.dir(), &s.url("e.db"), &["upgrade", "nope@head"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope"), "{}", r.stderr);
    let r = run(s.dir(), &s.url("e.db"), &["downgrade", "-1"]);
    assert_eq!(r.code, 2, "nothing applied: {}", r.stderr);
    assert!(r.stderr.contains("nothing is applied"), "{}", r.stderr);
}

#[test]
fn edited_applied_file_is_reported_before_anything_runs() {
    let s = Setup::new();
    let url = s.url("edit.db");
    let dir = s.dir();
    ok(dir, &url, &["upgrade", R2]);
    let file = std::fs::read_dir(dir.join("migrations/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(R1))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("VARCHAR(100)", "VARCHAR(120)")).unwrap();

    let r = run(dir, &url, &["upgrade", "head"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("changed since") && r.stderr.contains(&format!("{R1}_create_users.sql")),
        "{}",
        r.stderr
    );
    assert!(
        running(&r.stderr).is_empty(),
        "nothing may run: {}",
        r.stderr
    );
    let mut c = s.conn("edit.db");
    assert_eq!(versions(&mut c), vec![R2]);

    let r = ok(dir, &url, &["upgrade", "head", "--allow-edited"]);
    assert_eq!(running(&r.stderr).len(), 4, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("warning: going on although ./migrations/versions/{R1}_create_users.sql (revision {R1}) changed since it was applied")),
        "{}",
        r.stderr
    );
    assert_eq!(versions(&mut c), vec![R6]);
    // Every later run still refuses the edited file, until its edits are accepted.
    let r = run(dir, &url, &["downgrade", "-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(dir, &url, &["accept-edits", "nosuchrev"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = ok(dir, &url, &["accept-edits", "--json"]);
    assert!(
        r.stderr.contains(&format!(
            "Accepted the edits of ./migrations/versions/{R1}_create_users.sql (revision {R1})"
        )),
        "{}",
        r.stderr
    );
    let accepted = json(&r.stdout);
    assert_eq!(accepted.as_array().unwrap().len(), 1, "{}", r.stdout);
    assert_eq!(accepted[0]["revision"], R1);
    let accepts: i64 = c
        .query_row(
            "SELECT count(*) FROM dqmig_history WHERE direction = 'accept' AND revision = ?",
            &[&R1],
        )
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(accepts, 1, "one history row says so");
    let r = ok(dir, &url, &["accept-edits"]);
    assert!(r.stderr.contains("nothing to accept"), "{}", r.stderr);
    ok(dir, &url, &["downgrade", "-1"]);
    ok(dir, &url, &["upgrade", "head"]);
}

#[test]
fn failing_step_leaves_database_and_version_table_as_before_it() {
    let s = Setup::new();
    let url = s.url("fail.db");
    let dir = s.dir();
    // A revision after the head whose second statement fails.
    std::fs::write(
        dir.join("migrations/versions/7f9e1c3a6d07_broken.sql"),
        format!(
            "-- revision: 7f9e1c3a6d07\n-- revises: {R6}\n-- message: Broken\n\n-- migrate:up\n\
             CREATE TABLE \"audit\" (\"id\" INTEGER PRIMARY KEY);\n\
             INSERT INTO \"no_such_table\" VALUES (1);\n\n-- migrate:down\nDROP TABLE \"audit\";\n"
        ),
    )
    .unwrap();
    ok(dir, &url, &["upgrade", R6]);
    let mut c = s.conn("fail.db");
    c.execute_batch("INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.org')")
        .unwrap();
    let before_schema = schema(&mut c);
    let before_hist = history_rows(&mut c);

    let r = run(dir, &url, &["upgrade", "head"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("7f9e1c3a6d07_broken.sql:7") && r.stderr.contains("rolled back"),
        "the error names the file and line: {}",
        r.stderr
    );
    assert_eq!(
        schema(&mut c),
        before_schema,
        "the audit table must not exist"
    );
    assert_eq!(versions(&mut c), vec![R6]);
    assert_eq!(history_rows(&mut c), before_hist);
    assert_eq!(count(&mut c, "users"), 1);

    // The same with --transaction all over several steps: all or nothing.
    ok(dir, &url, &["downgrade", R4]);
    let before_schema = schema(&mut c);
    let r = run(dir, &url, &["upgrade", "head", "--transaction", "all"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(schema(&mut c), before_schema);
    // Downgrading to R4 undid the merge and what follows; R3 (another branch) stays.
    assert_eq!(versions(&mut c), vec![R3, R4]);
}
