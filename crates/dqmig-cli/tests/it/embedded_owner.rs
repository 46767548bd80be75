//! The embedded URL means "the node that owns DATA_DIR", through the built binary: a node of
//! something else at the address is refused and left untouched; a long-running node that
//! owns the data dir is used as a client; concurrent commands on one embedded URL run one
//! after the other, each revision applied exactly once, none announcing a step it did not run.

use std::path::Path;
use std::process::Stdio;

use dqmig::client::Connection;

use crate::cli_run::copy_example;
use crate::support::{self, dqmig_bin};

fn embedded_url(address: &str, data_dir: &Path) -> String {
    format!("dqlite:///{address}{}/app.db", data_dir.display())
}

fn tables(conn: &mut Connection) -> Vec<String> {
    conn.query("SELECT name FROM sqlite_master ORDER BY name", &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<String>(0).unwrap())
        .collect()
}

#[test]
fn a_node_that_does_not_own_the_data_dir_is_refused_and_untouched() {
    let foreign = support::start_node();
    let mut conn = Connection::open(&foreign.address, "app.db").unwrap();
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)", &[])
        .unwrap();
    let project = copy_example();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("mine");
    let url = embedded_url(&foreign.address, &data_dir);
    for args in [
        &["current"][..],
        &["upgrade", "head"],
        &["sql", "SELECT * FROM users"],
    ] {
        let out = dqmig_bin()
            .current_dir(project.path())
            .args(args)
            .args(["--url", &url])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr.contains(&format!(
                "a dqlite node answers at {}, but it is not the node of the data dir {}",
                foreign.address,
                data_dir.display()
            )),
            "{stderr}"
        );
        assert!(stderr.contains("choose another address"), "{stderr}");
        assert!(
            stderr.contains(&format!("dqlite://{}/DATABASE", foreign.address)),
            "{stderr}"
        );
    }
    assert_eq!(
        tables(&mut conn),
        ["users"],
        "nothing was written on the foreign node"
    );
    assert!(!data_dir.exists(), "no data dir is made for a refused URL");

    // The node that does own its data dir (this process, pid in the lock) is used as a client.
    let own = embedded_url(&foreign.address, foreign.dir.path());
    let out = dqmig_bin()
        .current_dir(project.path())
        .args([
            "-v",
            "sql",
            "SELECT count(*) AS n FROM users",
            "--json",
            "--url",
            &own,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("using the running dqlite node at"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r#"[{"n":0}]"#);
}

#[test]
fn the_data_dir_of_a_node_serving_another_address_is_refused() {
    let node = support::start_node();
    let project = copy_example();
    let other = format!("127.0.0.1:{}", support::free_port());
    let url = embedded_url(&other, node.dir.path());
    let out = dqmig_bin()
        .current_dir(project.path())
        .args(["current", "--url", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("that serves {}, not {other}", node.address)),
        "{stderr}"
    );
}

#[test]
fn concurrent_upgrades_on_one_embedded_url_apply_each_revision_once() {
    let project = copy_example();
    let revisions = std::fs::read_dir(project.path().join("migrations/versions"))
        .unwrap()
        .count();
    for round in 0..10 {
        let data = tempfile::tempdir().unwrap();
        let address = format!("127.0.0.1:{}", support::free_port());
        let url = embedded_url(&address, &data.path().join("d"));
        let children: Vec<_> = (0..6)
            .map(|_| {
                dqmig_bin()
                    .current_dir(project.path())
                    .args(["upgrade", "head", "--url", &url])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut announced = Vec::new();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "round {round}: {stderr}");
            announced.extend(
                stderr
                    .lines()
                    .filter(|l| l.starts_with("Running upgrade"))
                    .map(str::to_string),
            );
        }
        announced.sort();
        let before = announced.len();
        announced.dedup();
        assert_eq!(
            before,
            announced.len(),
            "round {round}: a step announced twice: {announced:?}"
        );
        assert_eq!(announced.len(), revisions, "round {round}: {announced:?}");
        // Every revision once in the history, and the database at the heads.
        let out = dqmig_bin()
            .current_dir(project.path())
            .args(["history", "--applied", "--json", "--url", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ups: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["direction"] == "up")
            .map(|r| r["revision"].as_str().unwrap())
            .collect();
        let mut unique = ups.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            (ups.len(), unique.len()),
            (revisions, revisions),
            "round {round}: {ups:?}"
        );
        let out = dqmig_bin()
            .current_dir(project.path())
            .args(["current", "--check-heads", "--url", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Revision ids between `prefix` and `suffix` on stderr lines starting with `prefix`.
fn ids_after(stderr: &str, prefix: &str, cut: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix(prefix))
        .flat_map(|rest| {
            rest.split(cut)
                .next()
                .unwrap_or("")
                .split(", ")
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn concurrent_upgrades_through_a_long_running_node_announce_only_what_they_apply() {
    let node = support::start_node();
    let project = copy_example();
    let revisions = std::fs::read_dir(project.path().join("migrations/versions"))
        .unwrap()
        .count();
    let url = embedded_url(&node.address, node.dir.path());
    let children: Vec<_> = (0..6)
        .map(|_| {
            dqmig_bin()
                .current_dir(project.path())
                .args(["upgrade", "head", "--json", "--url", &url])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied_everywhere = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let applied: Vec<String> = report["applied"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["revision"].as_str().unwrap().to_string())
            .collect();
        // Every announced step is applied by this process, or followed by why not.
        let mut accounted = applied.clone();
        accounted.extend(ids_after(&stderr, "(not run by this process: ", ")"));
        accounted.extend(ids_after(
            &stderr,
            "(already applied by another migrator: ",
            ")",
        ));
        for line in stderr.lines().filter(|l| l.starts_with("Running upgrade")) {
            let to = line
                .split(" -> ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .unwrap();
            assert!(
                accounted.iter().any(|a| a == to),
                "{to} announced, neither applied nor explained:\n{stderr}"
            );
        }
        applied_everywhere.extend(applied);
    }
    applied_everywhere.sort();
    let n = applied_everywhere.len();
    applied_everywhere.dedup();
    assert_eq!(
        (n, applied_everywhere.len()),
        (revisions, revisions),
        "each revision applied once: {applied_everywhere:?}"
    );
}
