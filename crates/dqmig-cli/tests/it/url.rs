//! Opening databases by URL against real nodes: the embedded form starts (and on drop stops)
//! a node when none answers and connects as a client when one does; the cluster form only
//! connects; failures name the address and the data dir.

use std::net::TcpListener;
use std::path::Path;

use dqmig::node::{DataDirLock, NodeError};
use dqmig::open::{open, open_str, Database, OpenError};
use dqmig::params;
use dqmig::url::DbUrl;

use crate::support::{self, start_node};

fn embedded_url(address: &str, data_dir: &Path, db: &str) -> String {
    format!("dqlite:///{address}{}/{db}", data_dir.display())
}

/// Open an embedded URL on a free port (bounded retries if another test took the port).
fn open_embedded_fresh(data_dir: &Path, db: &str) -> (Database, String) {
    for _ in 0..20 {
        let address = format!("127.0.0.1:{}", support::free_port());
        match open_str(&embedded_url(&address, data_dir, db)) {
            Ok(d) => return (d, address),
            Err(OpenError::StartNode {
                source: NodeError::Bind { .. },
                ..
            }) => continue,
            Err(e) => panic!("opening an embedded database on {address}: {e}"),
        }
    }
    panic!("no free port for an embedded node after 20 attempts")
}

#[test]
fn embedded_open_starts_a_node_and_reopen_reads_the_data_back() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("not/yet/there");
    let (mut db, address) = open_embedded_fresh(&data_dir, "app.db");
    assert!(db.embedded());
    assert!(data_dir.is_dir(), "the data dir is created");
    assert_eq!(db.node().map(|n| n.address()), Some(address.as_str()));
    db.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
        params![],
    )
    .unwrap();
    db.execute("INSERT INTO t (name) VALUES (?)", params!["kept"])
        .unwrap();
    drop(db);

    // The node stopped: its port is free again, and the data dir is unlocked.
    crate::support::wait_port_free(&address, "port free after the Database was dropped");
    let url = embedded_url(&address, &data_dir, "app.db");
    let mut db = open_str(&url).expect("re-opening the embedded database");
    assert!(db.embedded());
    let rows = db.query("SELECT name FROM t", params![]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.rows[0].get::<String>(0).unwrap(), "kept");
    db.close().expect("closing stops the node cleanly");
    crate::support::wait_port_free(&address, "port free after close");
}

#[test]
fn embedded_url_uses_the_running_node_that_owns_the_data_dir_only() {
    let t = start_node();
    // The node's own data dir: its lock names this process and the address, so it is used.
    let mut db = open_str(&embedded_url(&t.address, t.dir.path(), "shared")).unwrap();
    assert!(!db.embedded());
    assert!(db.node().is_none());
    db.execute("CREATE TABLE x (v INTEGER)", params![]).unwrap();
    db.execute("INSERT INTO x VALUES (?)", params![7i64])
        .unwrap();
    drop(db);
    // The running node still serves the data.
    assert!(t.node.is_running());
    let mut c = dqmig::client::Connection::open(&t.address, "shared").unwrap();
    let rows = c.query("SELECT v FROM x", params![]).unwrap();
    assert_eq!(rows.rows[0].get::<i64>(0).unwrap(), 7);

    // Another data dir at that address: the node there is not its node.
    let other_dir = t.dir.path().join("unused");
    let err = match open_str(&embedded_url(&t.address, &other_dir, "shared")) {
        Ok(_) => panic!("used a node that does not own the data dir"),
        Err(e) => e,
    };
    assert!(matches!(err, OpenError::ForeignNode { .. }), "{err:?}");
    assert!(!other_dir.exists(), "no data dir was made");
}

#[test]
fn cluster_url_connects_through_any_live_seed() {
    let t = start_node();
    let dead = format!("127.0.0.1:{}", support::free_port());
    let url: DbUrl = format!("dqlite://{dead},{}/app.db", t.address)
        .parse()
        .unwrap();
    let mut db = open(&url).expect("opening through the live seed");
    assert!(!db.embedded());
    db.execute("CREATE TABLE c (v TEXT)", params![]).unwrap();
    let rows = db.query("SELECT count(*) FROM c", params![]).unwrap();
    assert_eq!(rows.rows[0].get::<i64>(0).unwrap(), 0);
}

#[test]
fn embedded_url_on_a_port_held_by_something_else_fails_clearly() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let err = match open_str(&embedded_url(&address, tmp.path(), "app.db")) {
        Ok(_) => panic!("opened a database on a non-dqlite listener"),
        Err(e) => e,
    };
    assert!(
        matches!(
            err,
            OpenError::StartNode {
                source: NodeError::Bind { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&address) && msg.contains("in use"), "{msg}");
}

#[test]
fn embedded_url_on_a_data_dir_served_at_another_address_fails_clearly() {
    let t = start_node();
    let tmp_port = support::free_port();
    let address = format!("127.0.0.1:{tmp_port}");
    let err = match open_str(&embedded_url(&address, t.dir.path(), "app.db")) {
        Ok(_) => panic!("a second node ran on a locked data dir"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, OpenError::ServedElsewhere { .. }), "{err:?}");
    assert!(
        msg.contains(&format!("serves {}, not {address}", t.address)),
        "{msg}"
    );
}

/// What a second `dqmig` sees while a first one is starting the node of the same embedded
/// URL: the data dir is locked and nothing answers yet. The open must wait for the node to
/// answer at the address and use it as a client. (The lock is held directly, and the node
/// that comes up later runs on another dir at the URL's address: that is what the waiting
/// process observes.)
#[test]
fn embedded_url_on_a_locked_data_dir_joins_the_node_that_comes_up() {
    let tmp = tempfile::tempdir().unwrap();
    let locked_dir = tmp.path().join("locked");
    std::fs::create_dir_all(&locked_dir).unwrap();
    let lock = DataDirLock::acquire(&locked_dir).unwrap();
    let node_dir = tmp.path().join("node");
    std::fs::create_dir_all(&node_dir).unwrap();
    let address = format!("127.0.0.1:{}", support::free_port());
    let url = embedded_url(&address, &locked_dir, "app.db");
    let starter = {
        let address = address.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(400));
            dqmig::node::start(dqmig::node::NodeConfig::new(1, address, node_dir))
        })
    };
    let opened = open_str(&url);
    let node = starter
        .join()
        .unwrap()
        .expect("starting the node that the waiting open joins");
    let mut db = opened.expect("open waits for the node instead of failing on the lock");
    assert!(!db.embedded(), "it joined the other node as a client");
    db.execute("CREATE TABLE j (v INTEGER)", params![]).unwrap();
    db.execute("INSERT INTO j VALUES (?)", params![1i64])
        .unwrap();
    drop(db);
    drop(lock);
    drop(node);
}

/// Several opens of one embedded URL at once on a fresh dir: they run one after the other
/// (each waits until the previous one closed its node), and all of them work.
#[test]
fn concurrent_opens_of_one_embedded_url_wait_for_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let address = format!("127.0.0.1:{}", support::free_port());
    let url = embedded_url(&address, &dir, "app.db");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut db = open_str(&url).expect("every concurrent open succeeds");
                assert!(db.embedded(), "each open ran the node itself, in turn");
                db.execute("CREATE TABLE IF NOT EXISTS c (v INTEGER)", params![])
                    .unwrap();
                db.execute("INSERT INTO c VALUES (?)", params![1i64])
                    .unwrap();
                db.close().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut db = open_str(&url).unwrap();
    let rows = db.query("SELECT count(*) FROM c", params![]).unwrap();
    assert_eq!(rows.rows[0].get::<i64>(0).unwrap(), 3);
    db.close().unwrap();
}

#[test]
fn bad_url_is_a_url_error() {
    let err = match open_str("postgres://127.0.0.1:5432/app") {
        Ok(_) => panic!("accepted a postgres URL"),
        Err(e) => e,
    };
    assert!(matches!(err, OpenError::Url(_)), "{err:?}");
    assert!(err.to_string().contains("scheme \"postgres\""), "{err}");
}
