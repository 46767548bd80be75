//! Admin requests against a single real node: leader, cluster, describe, weight, dump,
//! transfer/remove refusals, and admin on a plain `connect` (no database opened).

use dqmig::client::{ConnectOptions, Connection, ErrorClass, Role};
use dqmig::params;

use crate::client::open;
use crate::support::start_node;

#[test]
fn admin_requests_on_a_single_node() {
    let t = start_node();
    let mut c = open(&t);

    let leader = c
        .leader()
        .unwrap()
        .expect("a bootstrapped node leads itself");
    assert_eq!(
        (leader.id, leader.address.as_str()),
        (1, t.address.as_str())
    );

    let members = c.cluster().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].id, 1);
    assert_eq!(members[0].address, t.address);
    assert_eq!(members[0].role, Some(Role::Voter));

    let (domain, _weight) = c.describe().unwrap();
    assert_eq!(domain, 0);
    c.weight(7).unwrap();
    assert_eq!(c.describe().unwrap().1, 7);

    c.execute_batch("CREATE TABLE d (x); INSERT INTO d VALUES (1)")
        .unwrap();
    let files = c.dump("test").unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].name, "test");
    assert!(
        files[0].data.starts_with(b"SQLite format 3\0"),
        "{:?}",
        &files[0].data[..16.min(files[0].data.len())]
    );
    assert_eq!(files[1].name, "test-wal");
    assert!(
        !files[1].data.is_empty(),
        "the WAL holds the committed frames"
    );
    let unknown = c.dump("nosuch").unwrap();
    assert!(unknown.iter().all(|f| f.data.is_empty()));

    c.interrupt().unwrap();

    // Raft refusals come back as server errors and leave the connection usable.
    let err = c.transfer(1).unwrap_err();
    assert_eq!(err.code(), Some(1), "{err}");
    assert!(
        err.to_string()
            .contains("transferring leadership to node 1"),
        "{err}"
    );
    let err = c.assign(1, Role::Voter).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Programming, "{err}");
    let err = c.add(1, &t.address).unwrap_err();
    assert!(err.code().is_some(), "{err}");
    assert_eq!(
        c.query_row("SELECT x FROM d", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );
}

#[test]
fn admin_without_opening_a_database() {
    let t = start_node();
    let mut c = Connection::connect(&t.address, &ConnectOptions::default()).unwrap();
    assert_eq!(c.database(), None);
    assert_eq!(c.leader().unwrap().unwrap().id, 1);
    assert_eq!(c.cluster().unwrap().len(), 1);
    // SQL needs an open database: the server says so with code 12, the connection survives.
    let err = c.execute("SELECT 1", params![]).unwrap_err();
    assert_eq!(err.code(), Some(12), "{err}");
    assert!(c.describe().is_ok());
}

#[test]
fn add_assign_remove_a_member() {
    let t = start_node();
    let mut c = open(&t);
    // A member that is not running: Add works (it joins as spare), Remove takes it out again.
    let other = format!("127.0.0.1:{}", crate::support::free_port());
    c.add(2, &other).unwrap();
    let members = c.cluster().unwrap();
    let m = members
        .iter()
        .find(|m| m.id == 2)
        .expect("node 2 listed after Add");
    assert_eq!(
        (m.address.as_str(), m.role),
        (other.as_str(), Some(Role::Spare))
    );
    c.assign(2, Role::Standby).unwrap();
    assert_eq!(
        c.cluster()
            .unwrap()
            .iter()
            .find(|m| m.id == 2)
            .unwrap()
            .role,
        Some(Role::Standby)
    );
    c.remove(2).unwrap();
    assert_eq!(c.cluster().unwrap().len(), 1);
    c.execute_batch("CREATE TABLE still (x)").unwrap();
}
