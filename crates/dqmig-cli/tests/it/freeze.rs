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
