//! Mutual TLS end to end with `dqmig node` processes: certificates made at test time by
//! `dqmig node gen-cert` (rcgen); a 3-node TLS cluster elects a leader, replicates,
//! survives a leader kill and runs `dqmig upgrade head` with dqmig.toml's `[tls]`; the
//! go-dqlite shell talks to it with its certificate flags; a client without a certificate,
//! with one from another CA, or speaking plain TCP is refused, the node logs why and the
//! client's message says which case it was.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dqmig::client::{ConnectOptions, Connection, TlsConfig, TlsRefusal};
use dqmig::params;

use crate::harness::{Cluster, ClusterSetup};
use crate::support::{dqmig_bin as dqmig, RunOk};

/// A CA with a node and a client certificate, and a second, unrelated CA with one.
pub struct Certs {
    pub dir: tempfile::TempDir,
}

impl Certs {
    pub fn new() -> Certs {
        let dir = tempfile::tempdir().expect("temp dir for certificates");
        for (sub, name) in [("ca", "node"), ("ca", "client"), ("other", "client")] {
            dqmig()
                .args(["-q", "node", "gen-cert", "--name", name, "--dir"])
                .arg(dir.path().join(sub))
                .run_ok();
        }
        Certs { dir }
    }

    pub fn path(&self, sub: &str, file: &str) -> PathBuf {
        self.dir.path().join(sub).join(file)
    }

    /// `--tls-*` arguments with `name`'s certificate of CA folder `sub`.
    pub fn args(&self, sub: &str, name: &str) -> Vec<String> {
        vec![
            "--tls-ca".into(),
            self.path(sub, "ca.pem").display().to_string(),
            "--tls-cert".into(),
            self.path(sub, &format!("{name}.pem")).display().to_string(),
            "--tls-key".into(),
            self.path(sub, &format!("{name}-key.pem"))
                .display()
                .to_string(),
        ]
    }

    /// The client's TLS config (the cluster CA, the client certificate).
    pub fn client(&self) -> TlsConfig {
        TlsConfig::from_pem_files(
            &self.path("ca", "ca.pem"),
            Some((
                &self.path("ca", "client.pem"),
                &self.path("ca", "client-key.pem"),
            )),
        )
        .expect("loading the client certificate")
    }

    /// A cluster setup of TLS nodes on `host`.
    pub fn setup(&self, host: &str) -> ClusterSetup {
        ClusterSetup {
            host: host.into(),
            args: self.args("ca", "node"),
            client: ConnectOptions::default().tls(Some(self.client())),
        }
    }
}

fn open(c: &Cluster, db: &str) -> Connection {
    let opts = ConnectOptions {
        read_timeout: Some(Duration::from_secs(15)),
        leader_timeout: Duration::from_secs(20),
        ..c.setup.client.clone()
    };
    Connection::open_with(&c.seeds(), db, &opts).unwrap_or_else(|e| panic!("opening {db}: {e}"))
}

fn write_project(dir: &Path, url: &str, certs: &Certs) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    let tls = format!(
        "[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
        certs.path("ca", "ca.pem").display(),
        certs.path("ca", "client.pem").display(),
        certs.path("ca", "client-key.pem").display()
    );
    std::fs::write(
        dir.join("dqmig.toml"),
        format!("url = \"{url}\"\nmigrations = \"migrations\"\n\n{tls}"),
    )
    .unwrap();
    std::fs::write(
        versions.join("a1b2c3d4e5f6_users.sql"),
        "-- revision: a1b2c3d4e5f6\n-- revises:\n-- message: users\n-- created: 2026-11-30T00:00:00Z\n\n-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n\n-- migrate:down\nDROP TABLE users;\n",
    )
    .unwrap();
}

#[test]
fn three_tls_nodes_replicate_survive_a_leader_kill_and_migrate() {
    let certs = Certs::new();
    let mut c = Cluster::start_with(3, certs.setup("127.0.0.1"));
    let leader = c.wait_leader();
    {
        let mut conn = open(&c, "app");
        conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)", params![])
            .unwrap();
        conn.execute("INSERT INTO kv VALUES ('a', 1)", params![])
            .unwrap();
    }
    // The leader dies; the two others elect one that has the row (replicated over TLS).
    c.nodes[leader].kill();
    let next = c.wait_leader();
    assert_ne!(next, leader);
    let mut conn = open(&c, "app");
    let v: i64 = conn
        .query_row("SELECT v FROM kv WHERE k = 'a'", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(v, 1);

    // `dqmig upgrade head` over TLS, the settings from dqmig.toml's [tls].
    let live: Vec<String> = c
        .nodes
        .iter_mut()
        .filter_map(|p| p.running().then(|| p.address.clone()))
        .collect();
    let proj = tempfile::tempdir().unwrap();
    write_project(
        proj.path(),
        &format!("dqlite://{}/app", live.join(",")),
        &certs,
    );
    dqmig()
        .current_dir(proj.path())
        .args(["upgrade", "head"])
        .run_ok();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'users'",
            params![],
        )
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(n, 1);

    // The go-dqlite shell, with its certificate flags (its --cert file carries the CA).
    let out = std::process::Command::new("dqlite")
        .args(["-s", &live[0], "--cert"])
        .arg(certs.path("ca", "client.pem"))
        .arg("--key")
        .arg(certs.path("ca", "client-key.pem"))
        .args(["app", "SELECT v FROM kv WHERE k = 'a'"])
        .output()
        .expect("running the go-dqlite shell `dqlite`");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.lines().any(|l| l.trim() == "1"),
        "dqlite shell over TLS: {text}\n{}\nlogs:\n{}",
        String::from_utf8_lossy(&out.stderr),
        c.logs()
    );
}

/// Runs `dqmig sql` against `url` with `extra` arguments; returns its stderr (it must fail).
fn refused(url: &str, extra: &[String]) -> String {
    let out = dqmig()
        .args(["--timeout", "2", "--url", url])
        .args(extra)
        .args(["sql", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    // The node runs: a TLS refusal says what to fix, not to check that a node runs there.
    assert!(!err.contains("Check that a dqlite node runs"), "{err}");
    err
}

#[test]
fn refusals_say_which_case_on_both_sides() {
    let certs = Certs::new();
    let mut c = Cluster::start_with(1, certs.setup("127.0.0.1"));
    c.wait_leader();
    let url = c.url("app");

    let plain = refused(&url, &[]);
    assert!(
        plain.contains("speaks TLS and this connection has none"),
        "{plain}"
    );
    let mut no_cert = certs.args("ca", "client");
    no_cert.truncate(2);
    let missing = refused(&url, &no_cert);
    assert!(
        missing.contains("requires a client certificate"),
        "{missing}"
    );
    let mut foreign = certs.args("other", "client");
    foreign[1] = certs.path("ca", "ca.pem").display().to_string();
    let rejected = refused(&url, &foreign);
    assert!(
        rejected.contains("refused our client certificate"),
        "{rejected}"
    );
    let untrusted = refused(&url, &certs.args("other", "client"));
    assert!(untrusted.contains("not signed by our CA"), "{untrusted}");
    let mut wrong_name = certs.args("ca", "client");
    wrong_name.extend([
        "--tls-server-name".to_string(),
        "elsewhere.example".to_string(),
    ]);
    let mismatch = refused(&url, &wrong_name);
    assert!(
        mismatch.contains("not issued for the address dialled"),
        "{mismatch}"
    );

    // The same refusals through the library, as TlsRefusal values.
    let err = Connection::connect(&c.nodes[0].address, &ConnectOptions::default())
        .and_then(|mut conn| conn.leader())
        .unwrap_err();
    assert!(
        matches!(
            err,
            dqmig::client::Error::Tls {
                refusal: TlsRefusal::TlsRequired,
                ..
            }
        ),
        "{err}"
    );

    // Each refusal is in the node's log, with the peer and the reason.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let wanted = [
        "plain TCP, not TLS",
        "presented no certificate",
        "not signed by the cluster CA",
        "the client refused our certificate",
    ];
    loop {
        let log = c.nodes[0].log();
        let missing: Vec<_> = wanted.iter().filter(|w| !log.contains(*w)).collect();
        if missing.is_empty() {
            assert!(
                log.contains("refused a connection peer=127.0.0.1:"),
                "{log}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node log lacks {missing:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A plain TCP node refuses nothing but a TLS client says it speaks plain TCP.
    let mut plain_node = Cluster::start(1);
    plain_node.wait_leader();
    let not_tls = refused(&plain_node.url("app"), &certs.args("ca", "client"));
    assert!(not_tls.contains("speaks plain TCP, not TLS"), "{not_tls}");
}

#[test]
fn an_embedded_url_runs_its_node_over_tls() {
    let certs = Certs::new();
    let data = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let url = format!(
        "dqlite:///127.0.0.1:{port}{}/app.db?tls-ca={}&tls-cert={}&tls-key={}",
        data.path().display(),
        certs.path("ca", "ca.pem").display(),
        certs.path("ca", "node.pem").display(),
        certs.path("ca", "node-key.pem").display()
    );
    // The client speaks TLS only: these succeed only if the embedded node serves TLS.
    dqmig()
        .args(["--url", &url, "sql", "CREATE TABLE t (x INTEGER)"])
        .run_ok();
    let out = dqmig()
        .args(["--url", &url, "sql", "SELECT count(*) AS n FROM t"])
        .run_ok();
    assert!(String::from_utf8_lossy(&out.stdout).contains('0'));
    // A certificate without its key is refused before anything starts.
    let half = url.replace(
        &format!("&tls-key={}", certs.path("ca", "node-key.pem").display()),
        "",
    );
    let msg = refused(&half, &[]);
    assert!(msg.contains("give both tls-cert and tls-key"), "{msg}");
}
