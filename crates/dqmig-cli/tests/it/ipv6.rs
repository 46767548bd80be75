//! IPv6: `[::1]:port` addresses for `dqmig node start` (`--address`, `--join`), URLs and
//! the client, through the node's in-process front (libdqlite 1.11 binds IPv4 only); a
//! one-node and a three-node cluster on ::1 work end to end, also over TLS. Skipped, with
//! the reason printed, when the machine has no IPv6 loopback.

use std::time::Duration;

use dqmig::client::{ConnectOptions, Connection};
use dqmig::params;

use crate::harness::{Cluster, ClusterSetup};
use crate::support::{dqmig_bin as dqmig, RunOk};
use crate::tls::Certs;

fn no_ipv6() -> bool {
    match std::net::TcpListener::bind("[::1]:0") {
        Ok(_) => false,
        Err(e) => {
            eprintln!("skipped: this machine has no IPv6 loopback (binding [::1]:0: {e})");
            true
        }
    }
}

fn setup() -> ClusterSetup {
    ClusterSetup {
        host: "[::1]".into(),
        ..ClusterSetup::default()
    }
}

#[test]
fn one_ipv6_node_serves_the_cli_and_the_client() {
    if no_ipv6() {
        return;
    }
    let mut c = Cluster::start_with(1, setup());
    c.wait_leader();
    assert!(c.nodes[0].address.starts_with("[::1]:"));
    let url = c.url("app");
    dqmig()
        .args(["--url", &url, "sql", "CREATE TABLE t (x INTEGER)"])
        .run_ok();
    dqmig()
        .args(["--url", &url, "sql", "INSERT INTO t VALUES (42)"])
        .run_ok();
    let mut conn = Connection::open(&c.seeds(), "app").unwrap();
    let x: i64 = conn
        .query_row("SELECT x FROM t", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(x, 42);
    assert_eq!(conn.address(), c.nodes[0].address);
}

#[test]
fn three_plain_ipv6_nodes_replicate_and_an_embedded_url_on_ipv6_works() {
    if no_ipv6() {
        return;
    }
    let mut c = Cluster::start_with(3, setup());
    let leader = c.wait_leader();
    {
        let mut conn = Connection::open(&c.seeds(), "app").unwrap();
        conn.execute("CREATE TABLE t (x INTEGER)", params![])
            .unwrap();
        conn.execute("INSERT INTO t VALUES (5)", params![]).unwrap();
    }
    c.nodes[leader].kill();
    c.wait_leader();
    let mut conn = Connection::open(&c.seeds(), "app").unwrap();
    let x: i64 = conn
        .query_row("SELECT x FROM t", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(x, 5);

    let data = tempfile::tempdir().unwrap();
    let url = format!(
        "dqlite:///[::1]:{}{}/app.db",
        crate::support::free_port(),
        data.path().display()
    );
    dqmig()
        .args(["--url", &url, "sql", "CREATE TABLE e (x INTEGER)"])
        .run_ok();
    dqmig()
        .args(["--url", &url, "sql", "SELECT count(*) FROM e"])
        .run_ok();
}

#[test]
fn three_ipv6_nodes_over_tls_survive_a_leader_kill() {
    if no_ipv6() {
        return;
    }
    let certs = Certs::new();
    let mut setup = certs.setup("[::1]");
    setup.host = "[::1]".into();
    let mut c = Cluster::start_with(3, setup);
    let leader = c.wait_leader();
    let opts = ConnectOptions {
        leader_timeout: Duration::from_secs(20),
        read_timeout: Some(Duration::from_secs(15)),
        ..c.setup.client.clone()
    };
    {
        let mut conn = Connection::open_with(&c.seeds(), "app", &opts).unwrap();
        conn.execute("CREATE TABLE t (x INTEGER)", params![])
            .unwrap();
        conn.execute("INSERT INTO t VALUES (7)", params![]).unwrap();
    }
    let out = dqmig()
        .args(certs.args("ca", "client"))
        .args(["--url", &c.url("app"), "cluster", "list", "--json"])
        .run_ok();
    let members: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 3, "{members:?}");
    assert!(members.iter().all(|m| m["address"]
        .as_str()
        .is_some_and(|a| a.starts_with("[::1]:"))));

    c.nodes[leader].kill();
    let next = c.wait_leader();
    assert_ne!(next, leader);
    let mut conn = Connection::open_with(&c.seeds(), "app", &opts).unwrap();
    let x: i64 = conn
        .query_row("SELECT x FROM t", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(x, 7);
}
