//! The runner's retries on a real node: a step waits out another writer's lock within its
//! bound (and gives up with a clear message past it), and a step on a connection whose node
//! went away reconnects and is applied once, by the same single call.

use std::time::Duration;

use crate::runner::{graph_of, write_revs, BRANCHED};
use crate::support;
use dqmig::client::{Behavior, ConnectOptions, Connection};
use dqmig::runner::{RetryPolicy, RunError, RunOptions, Runner, StepOutcome};
use dqmig::script::Target;

fn heads(runner: &Runner, conn: &mut Connection) -> Vec<String> {
    runner
        .current(conn)
        .unwrap()
        .iter()
        .map(|h| h.to_string())
        .collect()
}

#[test]
fn busy_is_retried_within_the_bound_and_reported_past_it() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let graph = graph_of(dir.path());
    let quick = ConnectOptions {
        busy_timeout: Duration::from_millis(20),
        ..ConnectOptions::default()
    };
    let mut conn = Connection::open_with(&node.address, "busy", &quick).unwrap();
    let impatient = Runner::new(
        &graph,
        RunOptions {
            retry: RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(10),
            },
            ..RunOptions::default()
        },
    );
    impatient.ensure_tables(&mut conn).unwrap();

    let mut holder = Connection::open(&node.address, "busy").unwrap();
    let lock = holder.transaction_with(Behavior::Immediate).unwrap();
    let e = impatient.upgrade(&mut conn, &Target::Head).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RunError::GaveUp { attempts: 3, .. }), "{msg}");
    assert!(
        msg.contains("database is locked")
            && msg.contains("BEGIN IMMEDIATE")
            && msg.contains("another migrator"),
        "{msg}"
    );
    lock.rollback().unwrap();
    assert!(heads(&impatient, &mut conn).is_empty());

    // Patient enough: the lock is released while the runner backs off.
    let patient = Runner::new(&graph, RunOptions::default());
    let lock = holder.transaction_with(Behavior::Immediate).unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            lock.commit().unwrap();
        });
        let r = patient.upgrade(&mut conn, &Target::Head).unwrap();
        assert_eq!(r.applied.len(), 5);
    });
    assert_eq!(heads(&patient, &mut conn), ["r5"]);
}

#[test]
fn a_step_on_a_dead_connection_reconnects_and_applies_once() {
    let node = support::start_node();
    let dir = tempfile::tempdir().unwrap();
    write_revs(dir.path(), BRANCHED);
    let graph = graph_of(dir.path());
    let runner = Runner::new(&graph, RunOptions::default());
    let mut conn = Connection::open(&node.address, "dead").unwrap();
    runner
        .upgrade(&mut conn, &Target::parse("a1").unwrap())
        .unwrap();
    let steps = graph
        .plan_upgrade(&runner.current(&mut conn).unwrap(), &Target::Head)
        .unwrap();

    // The node restarts: this connection's socket is dead, the data is kept.
    let node = support::restart(node);
    assert!(
        conn.execute_batch("SELECT 1").is_err(),
        "the old connection is dead"
    );
    let outcome = runner.apply_step(&mut conn, &steps[0]).unwrap();
    assert!(
        matches!(outcome, StepOutcome::Applied(ref ms) if ms.len() == 1),
        "{outcome:?}"
    );
    assert_eq!(
        runner.apply_step(&mut conn, &steps[0]).unwrap(),
        StepOutcome::AlreadyApplied
    );
    let report = runner.upgrade(&mut conn, &Target::Head).unwrap();
    assert_eq!(report.applied.len(), 3);
    let ups: Vec<String> = runner
        .history(&mut conn)
        .unwrap()
        .into_iter()
        .filter(|h| h.direction == "up")
        .map(|h| h.revision)
        .collect();
    assert_eq!(ups, ["a1", "b2", "c3", "m4", "r5"]);
    drop(node);
}
