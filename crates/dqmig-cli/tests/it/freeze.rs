//! A frozen member (SIGSTOP: its port still accepts connections, nothing answers) is a
//! normal event in a cluster: `dqmig upgrade head` on a 3-node `dqmig node` cluster finishes,
//! or fails with a clear error, within its timeouts, when the follower listed first in the
//! URL is frozen for the whole run, and when the leader is frozen mid-run. Each revision is
//! applied exactly once either way.

use std::time::{Duration, Instant};

use crate::failover_migrate::{
    applied_so_far, check_exactly_once, spawn_upgrade, wait_exit, write_project,
};
use crate::harness::{Cluster, WAIT};

/// The cluster URL of `db` with node `first` listed first.
fn url_with_first(c: &Cluster, first: usize, db: &str) -> String {
    let mut members = vec![c.nodes[first].address.clone()];
    members.extend(
        c.nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != first)
            .map(|(_, p)| p.address.clone()),
    );
    format!("dqlite://{}/{db}", members.join(","))
}

/// Runs `upgrade head`; a run that fails must say why, and then a re-run (the frozen node
/// thawed) finishes. Returns whether the first run finished by itself.
fn run_to_the_end(
    c: &Cluster,
    project: &std::path::Path,
    url: &str,
    name: &str,
    during: impl FnOnce(),
) -> bool {
    let log = project.join(format!("{name}.log"));
    let mut child = spawn_upgrade(project, url, &log);
    during();
    let status = wait_exit(&mut child, &log);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if status.success() {
        return true;
    }
    assert!(
        text.contains("error: "),
        "{name}: {status:?} without an error message:\n{text}\n{}",
        c.logs()
    );
    false
}

#[test]
fn upgrade_goes_on_past_a_frozen_follower_and_a_frozen_leader() {
    let project = tempfile::tempdir().unwrap();
    write_project(project.path());
    let mut c = Cluster::start(3);
    let leader = c.wait_leader();
    let seeds = c.seeds();

    // 1. The follower listed first in the URL is frozen for the whole run.
    let follower = (leader + 1) % 3;
    c.nodes[follower].freeze();
    let url = url_with_first(&c, follower, "f1");
    let started = Instant::now();
    let finished = run_to_the_end(&c, project.path(), &url, "frozen-follower", || {});
    eprintln!(
        "frozen follower listed first: finished={finished} after {:?}",
        started.elapsed()
    );
    assert!(
        finished,
        "with two of three members answering, the run must finish"
    );
    c.nodes[follower].thaw();
    check_exactly_once(&seeds, "f1", 1);

    // 2. The leader is frozen once a few revisions are in; thawed after the run ended.
    let leader = c.wait_leader();
    let url = c.url("f2");
    let started = Instant::now();
    let frozen = &c.nodes[leader];
    let mut finished = run_to_the_end(&c, project.path(), &url, "frozen-leader", || {
        let mut monitor = None;
        let deadline = Instant::now() + WAIT;
        while applied_so_far(&mut monitor, &seeds, "f2") < 5 {
            assert!(
                Instant::now() < deadline,
                "no progress before freezing the leader"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(monitor);
        frozen.freeze();
    });
    eprintln!(
        "leader frozen mid-run: finished={finished} after {:?}",
        started.elapsed()
    );
    c.nodes[leader].thaw();
    if !finished {
        // It failed with a clear error within its timeouts; the re-run finishes the rest.
        finished = run_to_the_end(&c, project.path(), &url, "frozen-leader-rerun", || {});
    }
    assert!(finished);
    check_exactly_once(&seeds, "f2", 2);
}

/// With the only node gone mid-run, `dqmig upgrade` says on stderr that it waits for a
/// leader (what, how long, which addresses) and ends with a clear error within its bounds;
/// with no node at all a one-node URL fails at once instead of waiting for the deadline.
#[test]
fn the_only_node_stopped_mid_run_is_waited_for_visibly_and_a_refused_single_address_fails_fast() {
    let project = tempfile::tempdir().unwrap();
    write_project(project.path());
    let mut c = Cluster::start(1);
    c.wait_leader();
    let seeds = c.seeds();
    let url = c.url("solo");
    let log = project.path().join("solo.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = crate::support::dqmig_bin()
        .current_dir(project.path())
        .env("DQMIG_TIMEOUT", "4")
        .args(["upgrade", "head", "--url", &url])
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let mut monitor = None;
    let deadline = Instant::now() + WAIT;
    while applied_so_far(&mut monitor, &seeds, "solo") < 3 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(monitor);
    c.nodes[0].kill();
    let status = wait_exit(&mut child, &log);
    let text = std::fs::read_to_string(&log).unwrap();
    // The only node is gone after 3 of 30 revisions: the run cannot finish.
    assert!(!status.success(), "{text}");
    assert!(
        text.contains("waiting for a dqlite leader: ")
            && text.contains("of at most 4 s (--timeout); tried "),
        "{text}"
    );
    assert!(text.contains(&c.nodes[0].address), "{text}");
    assert!(text.contains("error: "), "{text}");

    // Nothing listens at a one-node URL: the refusal is final, no wait for the deadline.
    let started = Instant::now();
    let out = crate::support::dqmig_bin()
        .args(["sql", "SELECT 1", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Connection refused"));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}: the refusal waited",
        started.elapsed()
    );
}
