//! The mission, as a user types it, in a fresh temp folder (the current directory, no
//! project argument): `dqmig init`, `dqmig revision --autogenerate -m "Add users"`,
//! `dqmig upgrade head`, `dqmig downgrade -1`. After each command the database itself is
//! checked (tables, version table, history rows) and the embedded node the command started
//! must be gone (its port free again, its data inside the project). The only deviation
//! from the literal commands is `init --address` with a free port, so parallel tests never
//! share 127.0.0.1:9001. (cli_init.rs checks the files `init` writes and the templates.)

use std::path::Path;

use serde_json::Value as Json;

use crate::cli_run::dqmig;
use crate::support::{self, RunOk};

/// Runs `dqmig ARGS` in `dir` on the project's own URL; requires exit 0; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = dqmig(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "dqmig {args:?} exited {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Rows of a query, through `dqmig sql --json` on the project's URL.
fn rows(dir: &Path, sql: &str) -> Vec<Json> {
    serde_json::from_str(&ok(dir, &["sql", "--json", sql])).unwrap()
}

fn column(dir: &Path, sql: &str) -> Vec<String> {
    rows(dir, sql)
        .iter()
        .map(|r| {
            let obj = r.as_object().unwrap();
            obj.values().next().unwrap().as_str().unwrap().to_string()
        })
        .collect()
}

fn user_tables(dir: &Path) -> Vec<String> {
    column(
        dir,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE 'dqmig_%' ORDER BY name",
    )
}

/// The embedded node of the last command is stopped: its port can be bound again.
fn node_stopped(port: u16) {
    crate::support::wait_port_free(
        &format!("127.0.0.1:{port}"),
        "the embedded node still holds its port",
    );
}

#[test]
fn mission_commands_in_a_fresh_folder() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let port = support::free_port();

    // 1. dqmig init: a project that works at once on the embedded default.
    ok(dir, &["init", "--address", &format!("127.0.0.1:{port}")]);
    let toml = std::fs::read_to_string(dir.join("dqmig.toml")).unwrap();
    assert!(
        toml.contains(&format!("127.0.0.1:{port}/./.dqmig/")),
        "{toml}"
    );
    assert!(dir.join("migrations/versions").is_dir());
    assert!(!dir.join(".dqmig").exists(), "init must not start a node");

    // 2. revision --autogenerate: one file with both tables; the database is still empty.
    let written = ok(dir, &["revision", "--autogenerate", "-m", "Add users"]);
    node_stopped(port);
    let file = dir.join(written.trim());
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("reading the revision {}: {e}", file.display()));
    assert!(text.contains("-- message: Add users"), "{text}");
    assert!(
        text.contains("CREATE TABLE \"users\"") && text.contains("CREATE TABLE \"posts\""),
        "{text}"
    );
    let rev = text
        .lines()
        .find_map(|l| l.strip_prefix("-- revision: "))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        dir.join(".dqmig").is_dir(),
        "the node's data is not inside the project"
    );
    assert!(user_tables(dir).is_empty());

    // 3. upgrade head: the tables exist, the version table holds the revision, one history row.
    let out = dqmig(dir).args(["upgrade", "head"]).run_ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("Running upgrade <base> -> {rev}, Add users")),
        "{stderr}"
    );
    node_stopped(port);
    assert_eq!(user_tables(dir), ["posts", "users"]);
    assert_eq!(
        column(dir, "SELECT version_num FROM dqmig_version"),
        std::slice::from_ref(&rev)
    );
    let hist = rows(
        dir,
        "SELECT revision, direction FROM dqmig_history ORDER BY id",
    );
    assert_eq!(
        hist,
        vec![serde_json::json!({"revision": rev, "direction": "up"})]
    );
    assert_eq!(ok(dir, &["current"]).trim(), format!("{rev} (head)"));
    // The schema is what the models say.
    let out = dqmig(dir).arg("check").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 4. downgrade -1: back to an empty database, the version table empty, a down row.
    ok(dir, &["downgrade", "-1"]);
    node_stopped(port);
    assert!(user_tables(dir).is_empty(), "{:?}", user_tables(dir));
    assert!(column(dir, "SELECT version_num FROM dqmig_version").is_empty());
    let dirs = column(dir, "SELECT direction FROM dqmig_history ORDER BY id");
    assert_eq!(dirs, ["up", "down"]);
    let out = dqmig(dir)
        .args(["current", "--check-heads"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "not at head after the downgrade"
    );
}
