//! dqmig.toml: good files load with paths resolved against the file's folder, bad files
//! fail with the key and line, and the URL precedence is --url, DQMIG_URL, dqmig.toml.

use std::path::{Path, PathBuf};

use dqmig::config::{
    glob_match, history_table_for, Config, ConfigError, ModelsSource, TransactionMode,
};
use dqmig::url::DbUrl;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse("dqmig.toml", text, Path::new("/proj"))
}

fn err(text: &str) -> String {
    parse(text)
        .expect_err("config should be refused")
        .to_string()
}

#[test]
fn full_config_loads() {
    let cfg = parse(
        r#"
url = "dqlite:///127.0.0.1:9001/.dqmig/app.db"
migrations = "db/migrations"
schema = "schema.sql"
version_table = "app_version"
transaction = "all"
include_tables = ["app_*"]
exclude_tables = ["app_tmp?"]
file_template = "%(year)s_%(rev)s_%(slug)s"
"#,
    )
    .unwrap();
    assert_eq!(cfg.migrations, PathBuf::from("/proj/db/migrations"));
    assert_eq!(
        cfg.versions_dir(),
        PathBuf::from("/proj/db/migrations/versions")
    );
    assert_eq!(
        cfg.models,
        Some(ModelsSource::Sql(PathBuf::from("/proj/schema.sql")))
    );
    assert_eq!(cfg.version_table, "app_version");
    assert_eq!(cfg.history_table, "app_history");
    assert_eq!(cfg.transaction, TransactionMode::All);
    assert!(cfg.table_included("app_users"));
    assert!(!cfg.table_included("app_tmp1"));
    assert!(!cfg.table_included("other"));
    assert!(
        !cfg.table_included("app_version"),
        "dqmig's own tables are never included"
    );
    assert_eq!(cfg.file_template, "%(year)s_%(rev)s_%(slug)s");
}

#[test]
fn defaults() {
    let cfg = parse("").unwrap();
    assert_eq!(cfg.migrations, PathBuf::from("/proj/migrations"));
    assert_eq!(cfg.version_table, "dqmig_version");
    assert_eq!(cfg.history_table, "dqmig_history");
    assert_eq!(cfg.transaction, TransactionMode::PerStep);
    assert_eq!(
        cfg.models,
        Some(ModelsSource::Toml(PathBuf::from("/proj/models.toml")))
    );
    assert!(cfg.table_included("anything"));
    assert!(!cfg.table_included("DQMIG_HISTORY"));
    let cmd = parse("models_command = \"cargo run -q --bin models\"").unwrap();
    assert_eq!(
        cmd.models,
        Some(ModelsSource::Command("cargo run -q --bin models".into()))
    );
    let toml = parse("models = \"models.toml\"").unwrap();
    assert_eq!(
        toml.models,
        Some(ModelsSource::Toml(PathBuf::from("/proj/models.toml")))
    );
}

#[test]
fn history_names_and_globs() {
    assert_eq!(history_table_for("dqmig_version"), "dqmig_history");
    assert_eq!(history_table_for("migrations"), "migrations_history");
    assert_eq!(history_table_for("_version"), "_version_history");
    assert!(glob_match("*", ""));
    assert!(glob_match("a*c", "abbbc"));
    assert!(glob_match("A?C", "abc"));
    assert!(!glob_match("a?c", "ac"));
    assert!(!glob_match("a*d", "abc"));
    assert!(glob_match("*_tmp*", "x_tmp_1"));
}

#[test]
fn unknown_key_names_key_and_line() {
    let e = err("url = \"dqlite://127.0.0.1:9001/app.db\"\n\nversion_tabel = \"x\"\n");
    assert!(e.starts_with("dqmig.toml:3:1:"), "{e}");
    assert!(e.contains("version_tabel"), "{e}");
}

#[test]
fn bad_values_name_key_and_line() {
    let cases = [
        (
            "transaction = \"sometimes\"",
            "dqmig.toml:1:",
            "\"per-step\" or \"all\"",
        ),
        (
            "\nmodels = \"m.toml\"\nschema = \"s.sql\"",
            "dqmig.toml:3:",
            "exactly one of",
        ),
        ("url = \"http://x\"", "dqmig.toml:1:", "`url`"),
        ("file_template = \"%(slug)s\"", "dqmig.toml:1:", "%(rev)s"),
        ("version_table = \"sqlite_v\"", "dqmig.toml:1:", "reserved"),
        (
            "migrations = \"  \"",
            "dqmig.toml:1:",
            "`migrations` is empty",
        ),
        ("include_tables = \"x\"", "dqmig.toml:1:", "sequence"),
        ("url = ", "dqmig.toml:1:", ""),
    ];
    for (text, at, needle) in cases {
        let e = err(text);
        assert!(e.starts_with(at) && e.contains(needle), "{text:?} gave {e}");
    }
}

#[test]
fn url_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dqmig.toml");
    std::fs::write(&path, "url = \"dqlite:///127.0.0.1:9001/./data/app.db\"\n").unwrap();
    let cfg = Config::load(&path).unwrap();
    let from_file = cfg.database_url(None, None).unwrap();
    assert_eq!(
        from_file,
        DbUrl::Embedded {
            address: "127.0.0.1:9001".into(),
            data_dir: dir.path().join("data"),
            database: "app.db".into(),
            tls: Default::default(),
        },
        "a relative data dir in the file is relative to the file's folder"
    );
    let env = cfg
        .database_url(None, Some("dqlite://127.0.0.1:9002/env.db"))
        .unwrap();
    assert_eq!(env.database(), "env.db");
    let cli = cfg
        .database_url(
            Some("dqlite://127.0.0.1:9003/cli.db"),
            Some("dqlite://127.0.0.1:9002/env.db"),
        )
        .unwrap();
    assert_eq!(cli.database(), "cli.db");
    // A blank DQMIG_URL counts as absent; a blank --url (an unset shell variable) is refused
    // rather than silently picking the file's database.
    let blank = cfg.database_url(None, Some(" ")).unwrap();
    assert_eq!(blank.database(), "app.db");
    assert!(matches!(
        cfg.database_url(Some(" "), Some("")),
        Err(ConfigError::BlankCliUrl)
    ));
    let bad = cfg
        .database_url(None, Some("nope"))
        .unwrap_err()
        .to_string();
    assert!(bad.starts_with("database URL from DQMIG_URL:"), "{bad}");
    let none = Config::default_in(dir.path())
        .database_url(None, None)
        .unwrap_err();
    assert!(matches!(none, ConfigError::NoUrl));
    let missing = Config::load(&dir.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("nope.toml") && missing.contains("dqmig init"),
        "{missing}"
    );
}

#[test]
fn discover_explicit_then_cwd_then_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let none = Config::discover(None, dir.path()).unwrap();
    assert_eq!(none.file, None);
    assert_eq!(none.migrations, dir.path().join("migrations"));
    std::fs::write(dir.path().join("dqmig.toml"), "migrations = \"db\"\n").unwrap();
    let found = Config::discover(None, dir.path()).unwrap();
    assert_eq!(found.migrations, dir.path().join("db"));
    assert_eq!(found.file, Some(dir.path().join("dqmig.toml")));
    let other = dir.path().join("sub");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("alt.toml"), "migrations = \"m2\"\n").unwrap();
    let explicit = Config::discover(Some(&other.join("alt.toml")), dir.path()).unwrap();
    assert_eq!(
        explicit.migrations,
        other.join("m2"),
        "paths are relative to the file's folder, not the cwd"
    );
    let e = Config::discover(Some(&other.join("missing.toml")), dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.toml"), "{e}");
}

#[test]
fn a_command_run_in_a_subfolder_finds_the_project_dqmig_toml() {
    let project = crate::cli_run::copy_example();
    let deep = project.path().join("src/deeper");
    std::fs::create_dir_all(&deep).unwrap();
    let out = crate::support::dqmig_bin()
        .current_dir(&deep)
        .args(["heads"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_root = crate::support::dqmig_bin()
        .current_dir(project.path())
        .args(["heads"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&from_root.stdout)
    );
    assert!(!out.stdout.is_empty());
}

/// Every default the README's dqmig.toml table states is the code's default.
#[test]
fn the_readme_defaults_of_dqmig_toml_are_the_code_defaults() {
    use dqmig::config::{Config, ModelsSource};
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .unwrap();
    let start = readme
        .find("| key | default | meaning |")
        .expect("the README's dqmig.toml table");
    let rows: Vec<(String, String)> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[2].to_string())
        })
        .collect();
    let dir = std::path::Path::new("/project");
    let d = Config::default_in(dir);
    let unquote = |s: &str| s.trim_matches('`').trim_matches('"').to_string();
    let mut checked = 0;
    for (key, default) in &rows {
        match key.as_str() {
            "`url`" => assert_eq!((default.as_str(), &d.url), ("none", &None)),
            "`migrations`" => assert_eq!(d.migrations, dir.join(unquote(default))),
            k if k.starts_with("`models`") => {
                let file = default
                    .split('=')
                    .nth(1)
                    .map(|v| v.trim().trim_matches('`').trim_matches('"'))
                    .unwrap();
                assert!(
                    matches!(&d.models, Some(ModelsSource::Toml(p)) if *p == dir.join(file)),
                    "{:?}",
                    d.models
                );
            }
            "`version_table`" => assert_eq!(d.version_table, unquote(default)),
            "`transaction`" => assert_eq!(
                d.transaction,
                dqmig::config::TransactionMode::parse(&unquote(default)).unwrap()
            ),
            k if k.starts_with("`include_tables`") => {
                assert_eq!(default, "all, none");
                assert!(d.include_tables.is_empty() && d.exclude_tables.is_empty());
            }
            "`file_template`" => assert_eq!(d.file_template, unquote(default)),
            "`models_command_timeout`" => assert_eq!(
                d.models_command_timeout,
                std::time::Duration::from_secs(unquote(default).parse().unwrap())
            ),
            other => panic!("the README lists key {other} this test does not know: add it here"),
        }
        checked += 1;
    }
    assert_eq!(checked, 8, "{rows:?}");

    // Without a `models` key, check reads models.toml (the README's default).
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("dqmig.toml"),
        "url = \"dqlite://127.0.0.1:9/app.db\"\n",
    )
    .unwrap();
    let out = crate::support::dqmig_bin()
        .current_dir(project.path())
        .args(["check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("the models file ./models.toml does not exist"),
        "{stderr}"
    );
}
