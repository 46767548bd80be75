//! Round trips of a run: an upgrade over many plain revisions costs a fixed number of
//! requests per step (BEGIN IMMEDIATE with the step's statements, the version
//! compare-and-swap guarded by where the database is, the history row with COMMIT) plus a
//! few per run:
//! no per-step table checks, no foreign-key pragmas for steps that rebuild nothing.

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
    // Per step: BEGIN IMMEDIATE with the step's statements, the compare-and-swap guarded
    // by where the database is, the history row with COMMIT = 3; per run: the tables, the
    // version table, the history (edited files), a prepared statement or two.
    assert!(used <= 20 * 3 + 6, "{used} requests for 20 steps");
    let before = conn.requests_sent();
    let report = runner
        .upgrade(&mut conn, &Target::parse("head").unwrap())
        .unwrap();
    assert!(report.applied.is_empty());
    let idle = conn.requests_sent() - before;
    println!("upgrade with nothing to do: {idle} requests");
    // Tables, version table, history, and a Prepare once a statement repeats.
    assert!(idle <= 5, "{idle} requests to find nothing to do");
}

/// The guarded compare-and-swap sees the whole version table: an extra row (the database is
/// not exactly where the step starts) is a conflict, and nothing of the step runs.
#[test]
fn a_version_table_with_an_extra_head_is_a_conflict() {
    let node = support::start_node();
    let tmp = tempfile::tempdir().unwrap();
    linear(tmp.path(), 2);
    let graph = graph_of(tmp.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "extra.db").unwrap();
    runner
        .upgrade(&mut conn, &Target::parse("r01").unwrap())
        .unwrap();
    conn.execute(
        "INSERT INTO dqmig_version (version_num) VALUES (?)",
        dqmig::params!["zz99"],
    )
    .unwrap();
    let steps = graph
        .plan_upgrade(
            &crate::runner::ids(&["r01"]),
            &Target::parse("r02").unwrap(),
        )
        .unwrap();
    let err = runner.apply_step(&mut conn, &steps[0]).unwrap_err();
    assert!(
        matches!(err, dqmig::runner::RunError::Conflict { ref found, .. } if found.contains("zz99")),
        "{err:?}"
    );
    let tables = conn
        .query("SELECT count(*) FROM sqlite_master WHERE name = 't2'", &[])
        .unwrap();
    assert_eq!(
        tables.rows[0].get::<i64>(0).unwrap(),
        0,
        "the step did not run"
    );
    let rows = conn
        .query("SELECT version_num FROM dqmig_version ORDER BY 1", &[])
        .unwrap();
    assert_eq!(rows.len(), 2, "the version table is as it was");
}
