//! Clusters of `dqmig node` processes: three nodes formed by bootstrap and join
//! show three voters in `dqmig cluster list` and in the go-dqlite shell; SIGTERM stops a
//! node cleanly; all three stopped and restarted from their data dirs elect a leader and
//! keep the data.

use dqmig::client::Connection;
use dqmig::params;

use crate::harness::Cluster;
use crate::support::RunOk;

use crate::support::dqmig_bin as dqmig;

#[test]
fn three_nodes_are_three_voters_in_cluster_list_and_the_go_shell() {
    let mut c = Cluster::start(3);
    let leader = c.wait_leader();

    let out = dqmig()
        .args(["--url", &c.url("app"), "cluster", "list", "--json"])
        .run_ok();
    let members: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 3, "{members:?}");
    for (m, p) in members.iter().zip(&c.nodes) {
        assert_eq!(m["id"], p.id);
        assert_eq!(m["address"], p.address.as_str());
        assert_eq!(m["role"], "voter", "{members:?}");
    }
    let leaders: Vec<_> = members.iter().filter(|m| m["leader"] == true).collect();
    assert_eq!(leaders.len(), 1, "{members:?}");

    // The table form, through a seed list without a database name.
    let out = dqmig()
        .args([
            "--url",
            &format!("dqlite://{}", c.seeds()),
            "cluster",
            "list",
        ])
        .run_ok();
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(table.matches("voter").count(), 3, "{table}");
    assert_eq!(table.matches('*').count(), 1, "{table}");

    // The go-dqlite shell sees the same membership.
    let out = std::process::Command::new("dqlite")
        .args(["-s", &c.nodes[1].address, "db", ".cluster"])
        .output()
        .expect("running the go-dqlite shell `dqlite`");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for p in &c.nodes {
        assert!(
            text.lines()
                .any(|l| l == format!("{}|{}|voter", p.id, p.address)),
            "node {} missing from the go shell's .cluster:\n{text}",
            p.id
        );
    }

    // `cluster leader` names the leader the client found.
    let out = dqmig()
        .args(["--url", &c.url("app"), "cluster", "leader"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let said = String::from_utf8(out.stdout).unwrap().trim().to_string();
    // Normally the leader found above; a spurious election on a loaded machine may have
    // moved it since, so ask again before failing.
    let now = c.wait_leader();
    let named = |i: usize| format!("{} {}", c.nodes[i].id, c.nodes[i].address);
    assert!(said == named(leader) || said == named(now), "{said}");

    // A fourth node joins as a standby (three voters already); the admin commands move it
    // and the leadership around.
    let four = c.join_new(4);
    assert!(
        c.nodes[four].log().contains("ready: serving at"),
        "{}",
        c.nodes[four].log()
    );
    let url = c.url("app");
    let roles = |c: &Cluster| -> Vec<(u64, String, bool)> {
        let out = dqmig()
            .args(["--url", &c.url("app"), "cluster", "list", "--json"])
            .run_ok();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].as_u64().unwrap(),
                    m["role"].as_str().unwrap().to_string(),
                    m["leader"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let four_role = |c: &Cluster| roles(c).into_iter().find(|m| m.0 == 4).map(|m| m.1);
    assert_eq!(four_role(&c).as_deref(), Some("standby"));
    let admin = |args: &[&str]| {
        let out = dqmig()
            .args(["--url", &url, "cluster"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cluster {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    admin(&["assign", "--id", "4", "--role", "spare"]);
    assert_eq!(four_role(&c).as_deref(), Some("spare"));
    let target = c.nodes[(leader + 1) % 3].id;
    admin(&["transfer", "--id", &target.to_string()]);
    let now = c.wait_leader();
    assert_eq!(c.nodes[now].id, target);
    admin(&["remove", "--id", "4"]);
    assert_eq!(four_role(&c), None);
    // A bad request names what was being done.
    let out = dqmig()
        .args([
            "--url", &url, "cluster", "assign", "--id", "99", "--role", "voter",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the cluster has no node 99; its nodes are 1 at "),
        "{err}"
    );
    // Remove and transfer name the ids the cluster has, too.
    for args in [&["remove", "--id", "99"][..], &["transfer", "--id", "99"]] {
        let out = dqmig()
            .args(["--url", &url, "cluster"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("the cluster has no node 99; its nodes are 1 at "),
            "{args:?}: {err}"
        );
        assert!(err.contains(&c.nodes[1].address), "{err}");
    }

    // SIGTERM stops a node cleanly (exit 0, "stopped" logged).
    let status = c.nodes[2].stop().expect("node 3 exit status");
    assert!(status.success(), "{status:?}\n{}", c.nodes[2].log());
    assert!(c.nodes[2].log().contains("stopped"), "{}", c.nodes[2].log());
}

/// Removing (or demoting) the only voter would leave the cluster without a leader for
/// good: refused, and the node still leads after.
#[test]
fn the_last_voter_is_neither_removed_nor_demoted() {
    let mut c = Cluster::start(1);
    c.wait_leader();
    let url = c.url("app");
    for args in [
        &["remove", "--id", "1"][..],
        &["assign", "--id", "1", "--role", "spare"],
        &["assign", "--id", "1", "--role", "standby"],
    ] {
        let out = dqmig()
            .args(["--url", &url, "cluster"])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("only voter") && err.contains("nothing was changed"),
            "{args:?}: {err}"
        );
    }
    let out = dqmig()
        .args(["--url", &url, "cluster", "list", "--json"])
        .run_ok();
    let members: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(members[0]["role"], "voter", "{members}");
    assert_eq!(members[0]["leader"], true, "{members}");
    // `--id` has help text.
    let out = dqmig().args(["cluster", "remove", "--help"]).run_ok();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("The id of the member to remove"), "{help}");
}

#[test]
fn a_joining_node_without_join_list_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dqmig()
        .args(["node", "start", "--id", "7", "--address", "127.0.0.1:1"])
        .arg("--data-dir")
        .arg(dir.path().join("n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--join") && err.contains("node 7"), "{err}");
}

#[test]
fn all_three_restarted_from_their_data_dirs_elect_a_leader_and_keep_the_data() {
    let mut c = Cluster::start(3);
    c.wait_leader();
    let mut conn = crate::harness::open(&c.seeds(), "keep");
    conn.execute_batch("CREATE TABLE k (x INTEGER)").unwrap();
    for i in 0..20 {
        conn.execute("INSERT INTO k VALUES (?)", params![i])
            .unwrap();
    }
    drop(conn);

    for p in &mut c.nodes {
        let status = p.stop().expect("exit status");
        assert!(status.success(), "{status:?}\n{}", p.log());
    }
    // With every node down, leader discovery names each address and what it said.
    let opts = dqmig::client::ConnectOptions {
        leader_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let err = Connection::open_with(&c.seeds(), "keep", &opts)
        .err()
        .expect("no node runs");
    assert!(
        matches!(err, dqmig::client::Error::NoLeader { .. }),
        "{err}"
    );
    for p in &c.nodes {
        assert!(err.to_string().contains(&p.address), "{err}");
    }
    for i in 0..3 {
        c.restart(i);
    }
    c.wait_leader();
    let mut conn = crate::harness::open(&c.seeds(), "keep");
    let row = conn
        .query_row("SELECT count(*), sum(x) FROM k", params![])
        .unwrap();
    assert_eq!(
        (row.get::<i64>(0).unwrap(), row.get::<i64>(1).unwrap()),
        (20, 190)
    );
    // Still writable, and still three voters.
    conn.execute("INSERT INTO k VALUES (20)", params![])
        .unwrap();
    let members = conn.cluster().unwrap();
    assert_eq!(members.len(), 3);
    assert!(members
        .iter()
        .all(|m| m.role == Some(dqmig::client::Role::Voter)));
}
