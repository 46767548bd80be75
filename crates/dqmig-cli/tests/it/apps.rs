//! What an app pays for (issue: a library apps can depend on): the example app on the
//! client crate alone builds with no libdqlite visible to pkg-config, compiles at most 20
//! crates, and talks to a node; the migration-only app compiles none of the CLI's crates
//! and migrates a real node from its embedded revisions.

use std::path::PathBuf;
use std::process::Command;

use crate::support;

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).arg("--offline");
    cmd
}

/// Where cargo put this test's `dqmig`: the example apps are built into the same folder.
fn bin(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dqmig")).with_file_name(name)
}

fn crates_of(package: &str) -> Vec<String> {
    let out = cargo()
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_client_only_and_migration_only_apps_pay_only_for_what_they_use() {
    // No libdqlite for pkg-config: building anything that links it would fail.
    let out = cargo()
        .args(["build", "-p", "kv-client", "-p", "migrate-app"])
        .env("PKG_CONFIG_LIBDIR", "/nonexistent")
        .env("PKG_CONFIG_PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building the apps without libdqlite: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let kv = crates_of("kv-client");
    println!("kv-client compiles {} crates: {}", kv.len(), kv.join(" "));
    assert!(kv.len() <= 20, "{} crates: {kv:?}", kv.len());
    assert!(!kv.iter().any(|c| c == "dqlite-sys"), "{kv:?}");
    let app = crates_of("migrate-app");
    println!("migrate-app compiles {} crates", app.len());
    for cli_only in [
        "clap",
        "comfy-table",
        "dialoguer",
        "indicatif",
        "dqlite-sys",
        "dqmig-node",
    ] {
        assert!(
            !app.iter().any(|c| c == cli_only),
            "migrate-app compiles {cli_only}: {app:?}"
        );
    }

    let node = support::start_node();
    let out = Command::new(bin("kv-client"))
        .args([node.address.as_str(), "greeting", "hello"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "greeting=hello\n");

    let url = format!("dqlite://{}/app.db", node.address);
    let revisions = std::fs::read_dir(crate::cli_run::example_dir().join("migrations/versions"))
        .unwrap()
        .count();
    let out = Command::new(bin("migrate-app")).arg(&url).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.starts_with(&format!("applied {revisions} revision(s)\nat ")),
        "{stdout}"
    );
    let out = Command::new(bin("migrate-app")).arg(&url).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("applied 0 revision(s)\n"));
    // An embedded URL needs the node this app does not link: a clear error, exit 2.
    let out = Command::new(bin("migrate-app"))
        .arg("dqlite:///127.0.0.1:9/tmp/x/app.db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the `embedded` feature is off"));
}
