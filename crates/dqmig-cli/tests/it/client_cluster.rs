//! Client behaviour that needs more than one node or a node restart: leader discovery through
//! a follower (hop to the reported leader), seed lists with a dead address, `10250 not leader`
//! on a follower, and `reconnect` after the node went away.

use dqmig::client::{ConnectOptions, Connection, Error, ErrorClass, Request, Response, Role};
use dqmig::node;
use dqmig::params;

use crate::client::open;
use crate::support::{free_port, restart, start_node, start_on_free_port};

#[test]
fn open_through_a_follower_hops_to_the_leader_and_followers_refuse_sql() {
    let t = start_node();
    let dir2 = tempfile::tempdir().unwrap();
    let probe = format!("127.0.0.1:{}", free_port());
    let id2 = node::generate_node_id(&probe);
    let (_node2, addr2) = start_on_free_port(id2, dir2.path());

    let mut admin = open(&t);
    admin.add(id2, &addr2).unwrap();
    admin.assign(id2, Role::Voter).unwrap();
    let members = admin.cluster().unwrap();
    assert_eq!(
        members.iter().find(|m| m.id == id2).and_then(|m| m.role),
        Some(Role::Voter)
    );
    admin
        .execute_batch("CREATE TABLE h (x); INSERT INTO h VALUES (1)")
        .unwrap();

    // Leader discovery through the follower ends on the leader.
    let mut c = Connection::open(&addr2, "test").unwrap();
    assert_eq!(
        c.address(),
        t.address,
        "connected to the leader, not the follower"
    );
    assert_eq!(
        c.query_row("SELECT x FROM h", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );

    // A seed list whose first address is dead still finds the leader.
    let dead = format!("127.0.0.1:{}", free_port());
    let c2 = Connection::open(&format!("{dead},{addr2}"), "test").unwrap();
    assert_eq!(c2.address(), t.address);

    // Talking SQL to the follower directly: 10250 not leader, an Operational, leader-lost error.
    let mut f = Connection::connect(&addr2, &ConnectOptions::default()).unwrap();
    let leader = f.leader().unwrap().expect("the follower knows the leader");
    assert_eq!(
        (leader.id, leader.address.as_str()),
        (1, t.address.as_str())
    );
    match f
        .request(&Request::Open {
            name: "test".into(),
            flags: 0,
            vfs: "volatile".into(),
        })
        .unwrap()
    {
        Response::Db { .. } => {}
        other => panic!("expected Db, got {other:?}"),
    }
    let err = f.query("SELECT x FROM h", params![]).unwrap_err();
    assert!(matches!(err, Error::NotLeader { code: 10250, .. }), "{err}");
    assert!(err.is_leader_lost());
    assert_eq!(err.class(), ErrorClass::Operational);
    assert!(err.to_string().contains(&addr2), "{err}");
    let err = f
        .execute("INSERT INTO h VALUES (2)", params![])
        .unwrap_err();
    assert_eq!(err.code(), Some(10250), "{err}");
    // Prepare has no leader check on a 1.11 node, and the connection is still usable.
    let s = f.prepare("SELECT x FROM h").unwrap();
    f.finalize(s).unwrap();
}

#[test]
fn reconnect_after_the_node_restarted() {
    let t = start_node();
    let mut c = open(&t);
    c.execute_batch("CREATE TABLE r (x); INSERT INTO r VALUES (1)")
        .unwrap();
    let stmt = c.prepare("SELECT count(*) FROM r").unwrap();
    let t = restart(t);

    // The old socket is gone: the first request fails with an I/O error (or, if the server
    // closed it cleanly, an I/O EOF), and the connection says so from then on.
    let err = c.query("SELECT x FROM r", params![]).unwrap_err();
    assert!(err.is_leader_lost(), "{err}");
    assert_eq!(err.class(), ErrorClass::Operational);
    assert!(!err.connection_usable());
    if let Error::Io { source, .. } = &err {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            assert!(err.to_string().contains("closed the connection"), "{err}");
        }
    }
    assert!(c.is_broken());
    let err = c
        .execute("INSERT INTO r VALUES (2)", params![])
        .unwrap_err();
    assert!(matches!(err, Error::Broken { .. }), "{err}");

    c.reconnect().unwrap();
    assert!(!c.is_broken());
    assert_eq!(c.address(), t.address);
    assert_eq!(
        c.query_row("SELECT count(*) FROM r", params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        1
    );
    // Statements of the old connection are refused, not sent.
    let err = c.query_prepared(&stmt, params![]).unwrap_err();
    assert!(matches!(err, Error::StatementNotLive { .. }), "{err}");
    c.execute("INSERT INTO r VALUES (?)", params![2]).unwrap();
}
