//! Round trips of a run: an upgrade over many plain revisions costs a fixed number of
//! requests per step (BEGIN IMMEDIATE, the version read, the step's statements, the version
//! compare-and-swap, the history row, COMMIT) plus a few per run — no per-step table checks,
//! no foreign-key pragmas for steps that rebuild nothing.

use dqmig::client::Connection;
use dqmig::runner::{RunOptions, Runner};
use dqmig::script::Target;

use crate::runner::{graph_of, write_revs};
use crate::support;

/// `n` linear revisions r01..rNN, each creating a table and an index (two statements).
fn linear(dir: &std::path::Path, n: usize) {
    let ids: Vec<String> = (1..=n).map(|i| format!("r{i:02}")).collect();
    let ups: Vec<String> = (1..=n)
        .map(|i| format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, a TEXT);\nCREATE INDEX i{i} ON t{i} (a);"))
        .collect();
    let downs: Vec<String> = (1..=n).map(|i| format!("DROP TABLE t{i};")).collect();
    let revs: Vec<(&str, &str, &str, &str)> = (0..n)
        .map(|i| {
            (
                ids[i].as_str(),
                if i == 0 { "" } else { ids[i - 1].as_str() },
                ups[i].as_str(),
                downs[i].as_str(),
            )
        })
        .collect();
    write_revs(dir, &revs);
}

#[test]
fn upgrade_costs_a_fixed_number_of_requests_per_step() {
    let node = support::start_node();
    let tmp = tempfile::tempdir().unwrap();
    linear(tmp.path(), 20);
    let graph = graph_of(tmp.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "req.db").unwrap();
    let before = conn.requests_sent();
    let report = runner
        .upgrade(&mut conn, &Target::parse("head").unwrap())
        .unwrap();
    let used = conn.requests_sent() - before;
    assert_eq!(report.applied.len(), 20);
    println!("upgrade over 20 revisions: {used} requests");
    // Per step: BEGIN IMMEDIATE, the version read, the step's statements (one request),
    // the compare-and-swap, the history row with COMMIT = 5; per run: the tables, the
    // version table, the history (edited files), a prepared statement or two.
    assert!(used <= 20 * 5 + 6, "{used} requests for 20 steps");
    let before = conn.requests_sent();
    let report = runner
        .upgrade(&mut conn, &Target::parse("head").unwrap())
        .unwrap();
    assert!(report.applied.is_empty());
    let idle = conn.requests_sent() - before;
    println!("upgrade with nothing to do: {idle} requests");
    assert!(idle <= 4, "{idle} requests to find nothing to do");
}
