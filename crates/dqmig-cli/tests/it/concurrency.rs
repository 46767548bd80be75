//! Six `dqmig upgrade head` processes started together against one node: every revision is
//! applied exactly once (the history table proves it), the database ends at the head, and
//! each process exits 0 or exits 2 saying another migrator got there first.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli_run::{copy_example, versions, R6};
use crate::support;

const PROCESSES: usize = 6;
/// How long all processes together may take before the test gives up (and kills them).
const DEADLINE: Duration = Duration::from_secs(90);

struct Finished {
    code: Option<i32>,
    stderr: String,
}

/// Waits for `child` until `deadline`; kills it (by its own pid) when the time is up.
fn wait(mut child: Child, deadline: Instant) -> Finished {
    loop {
        match child.try_wait().unwrap() {
            Some(status) => {
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut e, &mut stderr).unwrap();
                }
                return Finished {
                    code: status.code(),
                    stderr,
                };
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "a dqmig upgrade process (pid {}) did not finish within {DEADLINE:?}",
                    child.id()
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn upgrade_together(extra: &[&str]) {
    let node = support::start_node();
    let project = copy_example();
    let url = format!("dqlite://{}/race.db", node.address);
    let bin = assert_cmd::cargo::cargo_bin("dqmig");
    let children: Vec<Child> = (0..PROCESSES)
        .map(|_| {
            Command::new(&bin)
                .args(["upgrade", "head", "--url", &url])
                .args(extra)
                .current_dir(project.path())
                .env_remove("DQMIG_URL")
                .env("NO_COLOR", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + DEADLINE;
    let results: Vec<Finished> = children.into_iter().map(|c| wait(c, deadline)).collect();

    for (i, r) in results.iter().enumerate() {
        eprintln!("process {i} exited {:?}:\n{}", r.code, r.stderr);
        match r.code {
            Some(0) => {}
            Some(2) => assert!(
                r.stderr.contains("another migrator"),
                "process {i} failed without saying another migrator got there first: {}",
                r.stderr
            ),
            other => panic!("process {i} exited {other:?}: {}", r.stderr),
        }
        assert!(!r.stderr.contains("panicked"), "process {i}: {}", r.stderr);
    }
    assert!(
        results.iter().any(|r| r.code == Some(0)),
        "no process succeeded: {:?}",
        results.iter().map(|r| &r.stderr).collect::<Vec<_>>()
    );

    let mut c = dqmig::client::Connection::open(&node.address, "race.db").unwrap();
    assert_eq!(versions(&mut c), vec![R6]);
    let rows = c
        .query(
            "SELECT revision, count(*) FROM dqmig_history WHERE direction = 'up' GROUP BY revision ORDER BY revision",
            &[],
        )
        .unwrap();
    let per_rev: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.get::<String>(0).unwrap(), r.get::<i64>(1).unwrap()))
        .collect();
    assert_eq!(per_rev.len(), 6, "{per_rev:?}");
    for (rev, n) in &per_rev {
        assert_eq!(*n, 1, "revision {rev} applied {n} times: {per_rev:?}");
    }
    let other: i64 = c
        .query_row(
            "SELECT count(*) FROM dqmig_history WHERE direction <> 'up'",
            &[],
        )
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(other, 0);
    // The announced steps across all processes cover each revision at least once.
    let announced: usize = results
        .iter()
        .map(|r| {
            r.stderr
                .lines()
                .filter(|l| l.starts_with("Running upgrade"))
                .count()
        })
        .sum();
    assert!(announced >= 6, "{announced}");
}

#[test]
fn six_upgrade_processes_apply_each_revision_once() {
    upgrade_together(&[]);
}

#[test]
fn six_upgrade_processes_with_one_transaction_each() {
    upgrade_together(&["--transaction", "all"]);
}
