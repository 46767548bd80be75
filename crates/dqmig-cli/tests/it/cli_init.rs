//! `dqmig init` and `dqmig list-templates` through the built binary: the mission's four
//! commands in a fresh folder on the embedded default (the node's data inside the project),
//! with the database checked after each; the templates; and the refusals.

use std::path::Path;

use crate::cli_run::dqmig;
use crate::support;

/// Runs `dqmig ARGS` in `dir` (URL from dqmig.toml); requires exit 0; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = dqmig(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "dqmig {args:?} exited {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The names of the user tables, through `dqmig sql --json` on the project's own URL.
fn tables(dir: &Path) -> Vec<String> {
    let out = ok(
        dir,
        &["sql", "--json", "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'dqmig_%' ORDER BY name"],
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_four_mission_commands_in_a_fresh_folder() {
    let parent = tempfile::tempdir().unwrap();
    let address = format!("127.0.0.1:{}", support::free_port());
    ok(parent.path(), &["init", "app", "--address", &address]);
    let dir = parent.path().join("app");
    for f in [
        "dqmig.toml",
        "models.toml",
        ".gitignore",
        "migrations/script.sql.tmpl",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    assert!(dir.join("migrations/versions").is_dir());
    assert_eq!(
        std::fs::read_to_string(dir.join("migrations/script.sql.tmpl")).unwrap(),
        dqmig::script::DEFAULT_TEMPLATE
    );

    let written = ok(&dir, &["revision", "--autogenerate", "-m", "Add users"]);
    assert!(written.trim().ends_with("_add_users.sql"), "{written}");
    assert!(
        dir.join(".dqmig").is_dir(),
        "the node's data is not inside the project"
    );
    assert_eq!(tables(&dir), Vec::<String>::new());

    ok(&dir, &["upgrade", "head"]);
    assert_eq!(tables(&dir), ["posts", "users"]);

    ok(&dir, &["downgrade", "-1"]);
    assert_eq!(tables(&dir), Vec::<String>::new());
}

#[test]
fn init_refuses_a_non_empty_folder_and_unknown_templates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let out = dqmig(dir.path()).args(["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not empty") && err.contains("keep.txt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "init wrote into a non-empty folder"
    );

    let out = dqmig(dir.path())
        .args(["init", "new", "--template", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("generic, cluster"));
    assert!(!dir.path().join("new").exists());
}

#[test]
fn list_templates_and_the_cluster_template() {
    let dir = tempfile::tempdir().unwrap();
    let list = ok(dir.path(), &["list-templates"]);
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["generic", "cluster"]);

    ok(dir.path(), &["init", "c", "--template", "cluster"]);
    let config = std::fs::read_to_string(dir.path().join("c/dqmig.toml")).unwrap();
    assert!(
        config.contains("url = \"dqlite://127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003/app.db\""),
        "{config}"
    );
    assert!(dir.path().join("c/models.toml").is_file());
    assert!(!dir.path().join("c/.gitignore").exists());
    let out = dqmig(dir.path())
        .args([
            "init",
            "d",
            "--template",
            "cluster",
            "--address",
            "127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
