//! Migration failover: `dqmig upgrade head` over 30 revisions on a 3-node
//! cluster while the leader is SIGKILLed at a different point in each of 10 trials. Every
//! revision ends up applied exactly once (history table, a per-revision log row and the
//! schema prove it): the run finishes after the failover, or fails with a clear error
//! within its timeouts and a re-run finishes the rest. No run may hang.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use dqmig::client::{ConnectOptions, Connection};
use dqmig::params;

use crate::harness::{Cluster, WAIT};

const REVISIONS: usize = 30;
const TRIALS: usize = 10;

fn rev_id(i: usize) -> String {
    format!("{:012x}", 0xface_0000_0000u64 + i as u64)
}

/// 30 linear revisions: each creates a table and logs itself in `log` (no unique key, so a
/// revision applied twice would show as two rows).
pub(crate) fn write_project(dir: &Path) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    for i in 1..=REVISIONS {
        let revises = if i == 1 { String::new() } else { rev_id(i - 1) };
        let create_log = if i == 1 {
            "CREATE TABLE \"log\" (\"rev\" INTEGER NOT NULL);\n"
        } else {
            ""
        };
        let text = format!(
            "-- revision: {id}\n-- revises: {revises}\n-- message: step {i}\n-- created: 2026-11-24T22:30:00Z\n\n\
             -- migrate:up\n{create_log}CREATE TABLE \"t{i:02}\" (\"x\" INTEGER);\nINSERT INTO \"log\" (\"rev\") VALUES ({i});\n\n\
             -- migrate:down\nDROP TABLE \"t{i:02}\";\nDELETE FROM \"log\" WHERE \"rev\" = {i};\n",
            id = rev_id(i)
        );
        std::fs::write(
            versions.join(format!("{}_step_{i:02}.sql", rev_id(i))),
            text,
        )
        .unwrap();
    }
}

pub(crate) fn spawn_upgrade(project: &Path, url: &str, log: &Path) -> Child {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    Command::new(env!("CARGO_BIN_EXE_dqmig"))
        .current_dir(project)
        .env_remove("DQMIG_URL")
        .env("NO_COLOR", "1")
        .args(["-v", "upgrade", "head", "--url", url])
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawning dqmig upgrade")
}

/// How long one `dqmig upgrade` run may take: its own bounds (leader search 10 s, each
/// reply 30 s, the runner's bounded retries) plus slack for a loaded machine. A run still
/// going then hangs, which fails the test.
pub(crate) const RUN_BOUND: Duration = Duration::from_secs(120);

/// Waits (bounded) for the process to end by itself; kills it by its pid and fails the
/// test if it hangs.
pub(crate) fn wait_exit(child: &mut Child, log: &Path) -> ExitStatus {
    let deadline = Instant::now() + RUN_BOUND;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "dqmig upgrade still running after {RUN_BOUND:?}: it hangs\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn quick() -> ConnectOptions {
    ConnectOptions {
        leader_timeout: Duration::from_secs(5),
        ..crate::harness::client_options()
    }
}

/// Rows in the history table (0 while it does not exist yet), through the leader.
pub(crate) fn applied_so_far(conn: &mut Option<Connection>, seeds: &str, db: &str) -> i64 {
    if conn.as_ref().is_none_or(|c| c.is_broken()) {
        *conn = Connection::open_with(seeds, db, &quick()).ok();
    }
    let Some(c) = conn.as_mut() else { return 0 };
    match c.query_row("SELECT count(*) FROM dqmig_history", params![]) {
        Ok(row) => row.get(0).unwrap_or(0),
        Err(e) => {
            if e.is_leader_lost() {
                *conn = None;
            }
            0
        }
    }
}

pub(crate) fn check_exactly_once(seeds: &str, db: &str, trial: usize) {
    let mut conn = crate::harness::open(seeds, db);
    let history = conn
        .query(
            "SELECT revision, direction, count(*) FROM dqmig_history GROUP BY revision, direction ORDER BY revision",
            params![],
        )
        .unwrap();
    let got: Vec<(String, String, i64)> = history
        .rows
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap()))
        .collect();
    let want: Vec<(String, String, i64)> = (1..=REVISIONS)
        .map(|i| (rev_id(i), "up".to_string(), 1))
        .collect();
    assert_eq!(got, want, "trial {trial}: history rows per revision");
    let version: String = conn
        .query_row("SELECT version_num FROM dqmig_version", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(version, rev_id(REVISIONS), "trial {trial}: version table");
    let log = conn
        .query(
            "SELECT rev, count(*) FROM log GROUP BY rev ORDER BY rev",
            params![],
        )
        .unwrap();
    let got: Vec<(i64, i64)> = log
        .rows
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    let want: Vec<(i64, i64)> = (1..=REVISIONS as i64).map(|i| (i, 1)).collect();
    assert_eq!(
        got, want,
        "trial {trial}: each revision's statements ran once"
    );
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9][0-9]'",
            params![],
        )
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(tables, REVISIONS as i64, "trial {trial}: schema");
}

#[test]
fn upgrade_head_survives_a_leader_kill_at_ten_different_points() {
    let project = tempfile::tempdir().unwrap();
    write_project(project.path());
    let mut c = Cluster::start(3);
    c.wait_leader();
    let seeds = c.seeds();
    let mut finished_first_time = 0;
    let mut killed_at = Vec::new();
    for trial in 0..TRIALS {
        let db = format!("m{trial}");
        let url = c.url(&db);
        let kill_at = (1 + 3 * trial) as i64;
        let log = project.path().join(format!("upgrade{trial}.log"));
        let mut child = spawn_upgrade(project.path(), &url, &log);

        // Kill the leader once `kill_at` revisions are in the history (or the run ended).
        let mut monitor = None;
        let deadline = Instant::now() + WAIT;
        let mut seen = 0;
        while seen < kill_at && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "trial {trial}: no progress");
            std::thread::sleep(Duration::from_millis(2));
            seen = applied_so_far(&mut monitor, &seeds, &db);
        }
        killed_at.push(seen);
        let leader = c.wait_leader();
        drop(monitor);
        c.nodes[leader].kill();

        match wait_exit(&mut child, &log) {
            status if status.success() => finished_first_time += 1,
            first => {
                // The first run gave up with an error (its bounded retries ran out): it
                // must say so, and re-runs finish the rest.
                let first_log = std::fs::read_to_string(&log).unwrap_or_default();
                assert!(
                    first_log.contains("error: "),
                    "trial {trial}: {first:?} without an error message:\n{first_log}"
                );
                let mut outcome = format!("first run: {first:?}");
                let mut done = false;
                for rerun in 1..=3 {
                    let rerun_log = log.with_extension(format!("rerun{rerun}"));
                    let mut again = spawn_upgrade(project.path(), &url, &rerun_log);
                    let status = wait_exit(&mut again, &rerun_log);
                    outcome.push_str(&format!(
                        "\nre-run {rerun}: {status:?}\n{}",
                        std::fs::read_to_string(&rerun_log).unwrap_or_default()
                    ));
                    if status.success() {
                        done = true;
                        break;
                    }
                }
                assert!(
                    done,
                    "trial {trial}: no run finished: {outcome}\nfirst run's output: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        }
        check_exactly_once(&seeds, &db, trial);
        // One migrator only: a COMMIT whose outcome was unknown is never "another migrator".
        for entry in std::fs::read_dir(project.path()).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("upgrade{trial}.")))
            {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(!text.contains("another migrator"), "trial {trial}: {text}");
            }
        }

        // Back to three nodes for the next trial.
        c.restart(leader);
        c.wait_leader();
    }
    eprintln!(
        "leader killed after {killed_at:?} revisions; {finished_first_time} of {TRIALS} runs \
         finished after the failover without a re-run"
    );
    assert!(
        killed_at.iter().any(|n| *n < REVISIONS as i64),
        "the leader was never killed mid-run: {killed_at:?}"
    );
}
