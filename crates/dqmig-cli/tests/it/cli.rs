//! The `dqmig` binary driven as a user would (assert_cmd): `dqmig sql` on an embedded node
//! it starts and stops itself, on a running in-process node, JSON output, and the exit
//! code 2 with a readable message for every kind of mistake.

use assert_cmd::prelude::*;
use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{self, RunOk};

use crate::support::dqmig_bin as dqmig;

/// Run `dqmig sql STATEMENT --url URL [extra...]`, require exit 0, return stdout.
fn sql_ok(url: &str, statement: &str, extra: &[&str]) -> String {
    let out = dqmig()
        .args(["sql", statement, "--url", url])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dqmig sql {statement:?} --url {url} failed: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn embedded_url(port: u16, dir: &std::path::Path) -> String {
    // dir is absolute, so it starts with '/': dqlite:///127.0.0.1:PORT/tmp/.../app.db
    format!("dqlite:///127.0.0.1:{port}{}/app.db", dir.display())
}

#[test]
fn sql_on_embedded_node_starts_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let port = support::free_port();
    let url = embedded_url(port, &data);

    let out = sql_ok(&url, "SELECT sqlite_version()", &[]);
    assert!(out.contains("3.40.1"), "{out}");
    assert!(
        out.contains("sqlite_version()"),
        "column name missing: {out}"
    );
    assert!(data.is_dir(), "the data dir was not created");

    // The node is gone with the process: its port can be bound again.
    crate::support::wait_port_free(&format!("127.0.0.1:{port}"), "the embedded node's port");

    // Data written by one run is read by the next one on the same data dir.
    sql_ok(
        &url,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        &[],
    );
    let out = sql_ok(
        &url,
        "INSERT INTO notes (body) VALUES ('one'), ('two')",
        &[],
    );
    assert_eq!(out.trim(), "2 rows affected");
    let out = sql_ok(&url, "SELECT id, body FROM notes ORDER BY id", &["--json"]);
    let rows: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"id": 1, "body": "one"}, {"id": 2, "body": "two"}])
    );
}

#[test]
fn sql_on_running_node_with_json() {
    let node = support::start_node();
    let url = format!("dqlite://{}/app.db", node.address);

    let out = sql_ok(
        &url,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, n INTEGER)",
        &["--json"],
    );
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows_affected"], 0, "{out}");

    let out = sql_ok(
        &url,
        "INSERT INTO t (name, score, data, n) VALUES ('alice', 1.5, x'0102ff', NULL)",
        &["--json"],
    );
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"rows_affected": 1, "last_insert_id": 1})
    );

    // The global --url may also come before the command.
    let out = dqmig()
        .args([
            "--url",
            &url,
            "sql",
            "--json",
            "SELECT id, name, score, data, n FROM t",
        ])
        .run_ok();
    let rows: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"id": 1, "name": "alice", "score": 1.5, "data": "0102ff", "n": null}])
    );
    // Column order is the query's order, not alphabetical.
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.find("\"name\"").unwrap() < text.find("\"data\"").unwrap(),
        "{text}"
    );

    // Table output: header and cells; DQMIG_URL works in place of --url.
    let out = dqmig()
        .env("DQMIG_URL", &url)
        .args(["sql", "SELECT name, data, n FROM t"])
        .run_ok();
    let text = String::from_utf8(out.stdout).unwrap();
    for want in ["name", "data", "alice", "x'0102ff'", "NULL"] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    assert!(out.stderr.is_empty(), "data must go to stdout only");
}

#[test]
fn bad_sql_exits_2_with_server_message() {
    let node = support::start_node();
    let url = format!("dqlite://{}/app.db", node.address);
    dqmig()
        .args(["sql", "SELEC 1", "--url", &url])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::starts_with(
            "error: running the SQL statement on",
        ))
        .stderr(predicate::str::contains("near \"SELEC\": syntax error"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn sql_runs_exactly_one_statement_and_refuses_the_rest_before_sending() {
    let node = support::start_node();
    let url = format!("dqlite://{}/app.db", node.address);
    sql_ok(&url, "CREATE TABLE t (x INTEGER)", &[]);
    for text in [
        "INSERT INTO t VALUES (1); SELECT 1",
        "SELECT 1; SELECT 2",
        "CREATE TABLE a (x); CREATE TABLE b (x)",
    ] {
        dqmig()
            .args(["sql", text, "--url", &url])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(
                "runs exactly one statement, and this text holds 2; nothing was run",
            ))
            .stderr(predicate::str::contains("panicked").not());
    }
    for text in ["", "   ", "/* just a comment */", ";"] {
        dqmig()
            .args(["sql", text, "--url", &url])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("the statement is empty"));
    }
    // Nothing of the refused texts ran.
    let out = sql_ok(&url, "SELECT (SELECT count(*) FROM t) || '/' || (SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b'))", &["--json"]);
    assert!(out.contains("\"0/0\""), "{out}");
    // A `;` inside a string does not count as a second statement.
    let out = sql_ok(&url, "SELECT 'a;b' AS v;", &["--json"]);
    assert!(out.contains("a;b"), "{out}");
}

#[test]
fn bad_url_exits_2_naming_the_wrong_part() {
    dqmig()
        .args([
            "sql",
            "SELECT 1",
            "--url",
            "postgres://127.0.0.1:9001/app.db",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "))
        .stderr(predicate::str::contains("database URL from --url"))
        .stderr(predicate::str::contains("postgres"));
    dqmig()
        .args([
            "sql",
            "SELECT 1",
            "--url",
            "dqlite://127.0.0.1:notaport/app.db",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("notaport"));
}

#[test]
fn missing_url_exits_2_saying_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    dqmig()
        .current_dir(dir.path())
        .args(["sql", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: reading the configuration: no database URL given",
        ))
        .stderr(predicate::str::contains("--url"))
        .stderr(predicate::str::contains("DQMIG_URL"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    dqmig().args(["sql"]).assert().code(2);
    dqmig().args(["no-such-command"]).assert().code(2);
    dqmig()
        .args(["sql", "SELECT 1", "--color", "sometimes"])
        .assert()
        .code(2);
    dqmig()
        .args(["-q", "-v", "sql", "SELECT 1"])
        .assert()
        .code(2);
    dqmig()
        .args(["--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("sql"));
}

#[test]
fn second_process_on_a_data_dir_in_use_is_refused() {
    // This test process runs a node on the dir; the dqmig process is a second process
    // that finds nothing at its (different) address and must not start a node there.
    let node = support::start_node();
    let other_port = support::free_port();
    let url = embedded_url(other_port, node.dir.path());
    dqmig()
        .args(["sql", "SELECT 1", "--url", &url])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("belongs to a running dqlite node"))
        .stderr(predicate::str::contains(format!(
            "that serves {}, not 127.0.0.1:{other_port}",
            node.address
        )))
        .stderr(predicate::str::contains(
            node.dir.path().display().to_string(),
        ));
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    // stderr is a pipe here: auto means plain; always colors even with NO_COLOR set.
    dqmig()
        .args(["sql", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "));
    dqmig()
        .args(["--color", "always", "sql", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("\x1b[1;31merror\x1b[0m: "));
}

#[test]
fn completions_for_each_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = dqmig().args(["completions", shell]).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for command in ["upgrade", "accept-edits", "completions", "cluster"] {
            assert!(text.contains(command), "{shell} completions lack {command}");
        }
    }
    dqmig().args(["completions", "tcsh"]).assert().code(2);
}
