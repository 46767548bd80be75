//! The authoring commands through the built binary (assert_cmd) on a real in-process node,
//! in projects made by `dqmig init`: `revision` (empty, --autogenerate, the fixpoint after
//! `upgrade head`, the refusal when the database is behind, renames by flag and by
//! `renamed_from` that keep data, data-loss warnings with live row counts), `check` exit
//! codes, `inspect` of the whole fixture corpus (TOML and SQL load back equal), remapped
//! declared types, `merge` and `edit`, and one real terminal run of the rename prompt
//! through a pseudo-terminal.

use std::path::{Path, PathBuf};

use dqmig::client::Connection;
use dqmig::models::{load_file, load_sql_str, load_toml_str};

use crate::cli_run::{dqmig, ok, run, Ran};
use crate::support::RunOk;
use crate::support::{self, TestNode};

/// A node and a fresh `dqmig init` project whose commands use database `app.db` on it.
pub struct Project {
    pub node: TestNode,
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let node = support::start_node();
        let dir = tempfile::tempdir().unwrap();
        let r = dqmig(dir.path()).args(["init", "."]).output().unwrap();
        assert!(
            r.status.success(),
            "init: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        Project { node, dir }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn url(&self) -> String {
        format!("dqlite://{}/app.db", self.node.address)
    }
    pub fn conn(&self) -> Connection {
        Connection::open(&self.node.address, "app.db").unwrap()
    }
    pub fn run(&self, args: &[&str]) -> Ran {
        run(self.path(), &self.url(), args)
    }
    pub fn ok(&self, args: &[&str]) -> Ran {
        ok(self.path(), &self.url(), args)
    }
    /// The revision files, sorted.
    pub fn revisions(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path().join("migrations/versions"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        v.sort();
        v
    }
    pub fn models(&self) -> String {
        std::fs::read_to_string(self.path().join("models.toml")).unwrap()
    }
    pub fn set_models(&self, text: &str) {
        std::fs::write(self.path().join("models.toml"), text).unwrap();
    }
    /// `revision --autogenerate -m MSG` that must write a file; returns (path, text, run).
    pub fn autogenerate(&self, msg: &str, extra: &[&str]) -> (PathBuf, String, Ran) {
        let mut args = vec!["revision", "--autogenerate", "-m", msg];
        args.extend_from_slice(extra);
        let r = self.ok(&args);
        let path = self.path().join(r.stdout.trim());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}\nstdout: {}", path.display(), r.stdout));
        (path, text, r)
    }
}

/// The init models with users.name called full_name (column and index).
fn rename_name(models: &str) -> String {
    models
        .replace(
            "{ name = \"name\", type = \"string(100)\"",
            "{ name = \"full_name\", type = \"string(100)\"",
        )
        .replace("columns = [\"name\"]", "columns = [\"full_name\"]")
}

fn count(conn: &mut Connection, sql: &str) -> i64 {
    conn.query_row(sql, &[]).unwrap().get::<i64>(0).unwrap()
}

#[test]
fn autogenerate_upgrade_then_no_changes_and_check_agrees() {
    let p = Project::new();
    // Nothing applied, models hold users and posts: check reports drift (exit 1).
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("+CREATE TABLE \"users\""), "{}", r.stdout);
    assert!(
        r.stdout.contains("  create table \"posts\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\x1b'), "NO_COLOR output has escapes");

    let (path, text, _) = p.autogenerate("Add users", &[]);
    assert!(path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("_add_users.sql"));
    assert!(text.contains("-- message: Add users"), "{text}");
    assert!(text.contains("CREATE TABLE \"users\""), "{text}");
    assert!(text.contains("-- migrate:down\n"), "{text}");
    assert!(text.contains("DROP TABLE \"posts\""), "{text}");

    // The database is behind the revisions now: autogenerate refuses, naming what is pending.
    let id = text
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("-- revision: ")
        .to_string();
    let r = p.run(&["revision", "--autogenerate", "-m", "again"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not at head"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("pending: {id} (Add users)")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("dqmig upgrade"), "{}", r.stderr);
    assert_eq!(p.revisions().len(), 1);
    // Like `alembic check`, a database behind the files is not compared: exit 1, no diff.
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains(&format!("not at head (1 pending: {id} (Add users))")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("run `dqmig upgrade heads`"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stdout, "",
        "no schema diff for a database behind the files"
    );

    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM sqlite_master WHERE name IN ('users', 'posts')"
        ),
        2
    );

    // The fixpoint: no changes, no file, exit 0; check agrees.
    let r = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(p.revisions().len(), 1);
    let r = p.ok(&["check"]);
    assert!(r.stderr.contains("agree"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn rename_by_flag_keeps_data_up_and_down() {
    let p = Project::new();
    p.autogenerate("Add users", &[]);
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    conn.execute(
        "INSERT INTO users (name, email) VALUES ('ada', 'ada@example.org')",
        &[],
    )
    .unwrap();

    p.set_models(&rename_name(&p.models()));
    // Without a hint and without a terminal: drop + add, with the flag that would keep it.
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("drop column \"users\".\"name\""),
        "{}",
        r.stdout
    );

    let (_, text, r) = p.autogenerate("Rename name", &["--rename", "users.name=full_name"]);
    assert!(
        text.contains("RENAME COLUMN \"name\" TO \"full_name\""),
        "{text}"
    );
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    p.ok(&["upgrade", "head"]);
    let name: String = conn
        .query_row("SELECT full_name FROM users", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(name, "ada");
    p.ok(&["check"]);

    p.ok(&["downgrade", "-1"]);
    let name: String = conn
        .query_row("SELECT name FROM users", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(name, "ada");
}

#[test]
fn unhinted_rename_is_drop_and_add_with_warnings_and_live_counts() {
    let p = Project::new();
    p.autogenerate("Add users", &[]);
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    conn.execute(
        "INSERT INTO users (name, email) VALUES ('a', 'a@x'), ('b', 'b@x')",
        &[],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO posts (user_id, title) VALUES (1, 't1'), (1, 't2'), (2, 't3')",
        &[],
    )
    .unwrap();

    let models = p.models();
    let without_posts = &models[..models.find("[tables.posts]").unwrap()];
    p.set_models(&rename_name(without_posts));
    let (_, text, r) = p.autogenerate("Drop posts", &["--no-prompt"]);
    assert!(
        r.stderr.contains("pass --rename users.name=full_name"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "warning: drops table \"posts\" and every row in it (3 rows in \"posts\" now)"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("warning: drops column \"users\".\"name\" and its values (2 non-NULL values in \"users\".\"name\" now)"), "{}", r.stderr);
    assert!(text.contains("-- WARNING: drops table \"posts\""), "{text}");
    assert!(text.contains("DROP TABLE \"posts\""), "{text}");
}

#[test]
fn renamed_from_in_the_models_is_a_rename() {
    let p = Project::new();
    p.autogenerate("Add users", &[]);
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    conn.execute("INSERT INTO users (name, email) VALUES ('a', 'a@x')", &[])
        .unwrap();
    p.set_models(&p.models().replace(
        "{ name = \"email\", type = \"string(255)\"",
        "{ name = \"mail\", renamed_from = \"email\", type = \"string(255)\"",
    ));
    p.ok(&["revision", "--autogenerate", "-m", "mail"]);
    p.ok(&["upgrade", "head"]);
    let mail: String = conn
        .query_row("SELECT mail FROM users", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(mail, "a@x");
    // The stale hint does no harm once applied.
    let r = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
}

#[test]
fn bad_rename_flag_and_check_errors_exit_2() {
    let p = Project::new();
    let r = p.run(&[
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--rename",
        "users.nope=other",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--rename users.nope=other"),
        "{}",
        r.stderr
    );
    let r = p.run(&[
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--rename",
        "novalue",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("novalue"), "{}", r.stderr);
    let r = p.run(&["revision", "-m", "x", "--rename", "a=b"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("only apply with --autogenerate"),
        "{}",
        r.stderr
    );

    // check: a broken models file and an unreachable database are errors (2), not drift.
    p.set_models("[tables.t]\ncolumns = [ { name = \"id\", type = \"nonsense\" } ]\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("models.toml:2:"), "{}", r.stderr);
    let r = run(
        p.path(),
        &format!("dqlite://127.0.0.1:{}/app.db", support::free_port()),
        &["check"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
}

#[test]
fn empty_revisions_branches_merge_and_edit() {
    let p = Project::new();
    let first = p.ok(&["revision", "-m", "first", "--rev-id", "aaaaaaaaaaaa"]);
    assert!(
        first.stdout.trim().ends_with("aaaaaaaaaaaa_first.sql"),
        "{}",
        first.stdout
    );
    let text = std::fs::read_to_string(p.path().join(first.stdout.trim())).unwrap();
    assert!(
        text.starts_with("-- revision: aaaaaaaaaaaa\n-- revises:\n-- message: first\n"),
        "{text}"
    );
    assert!(text.contains("\n-- migrate:up\n"), "{text}");
    assert!(text.trim_end().ends_with("-- migrate:down"), "{text}");
    assert!(!text.contains(';'), "{text}");

    p.ok(&[
        "revision",
        "-m",
        "second",
        "--rev-id",
        "bbbbbbbbbbbb",
        "--branch-label",
        "main",
    ]);
    // A parent that is not a head needs --splice.
    let r = p.run(&["revision", "-m", "side", "--head", "aaaaaaaaaaaa"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--splice"), "{}", r.stderr);
    p.ok(&[
        "revision",
        "-m",
        "side",
        "--head",
        "aaaaaaaaaaaa",
        "--splice",
        "--rev-id",
        "cccccccccccc",
    ]);
    let r = p.ok(&["merge", "-m", "join", "--rev-id", "dddddddddddd"]);
    let merged = std::fs::read_to_string(p.path().join(r.stdout.trim())).unwrap();
    assert!(
        merged.contains("-- revises: bbbbbbbbbbbb, cccccccccccc\n"),
        "{merged}"
    );
    let r = p.run(&["merge", "-m", "again"]);
    assert_eq!(r.code, 2, "one head left: {}", r.stderr);

    // edit: EDITOR runs on the file; without EDITOR and without a terminal it is refused.
    let editor = p.path().join("ed.sh");
    std::fs::write(&editor, "#!/bin/sh\nprintf 'SELECT 1;\\n' >> \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = dqmig(p.path())
        .args(["edit", "dddd"])
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .run_ok();
    let edited =
        std::fs::read_to_string(p.path().join(String::from_utf8_lossy(&out.stdout).trim()))
            .unwrap();
    assert!(edited.ends_with("SELECT 1;\n"), "{edited}");
    let out = dqmig(p.path())
        .args(["edit"])
        .env_remove("EDITOR")
        .env_remove("VISUAL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set EDITOR"));
}

/// Every fixture: applied on a node, `inspect --format toml` and `--format sql` through the
/// binary load back equal to the fixture.
#[test]
fn inspect_round_trips_the_fixture_corpus() {
    let node = support::start_node();
    let work = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dqmig/tests/fixtures/schemas");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 40);
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let file = ["models.toml", "schema.sql"]
            .into_iter()
            .map(|f| dir.join(f))
            .find(|f| f.exists())
            .unwrap();
        let want = load_file(&file).unwrap();
        let db = format!("inspect-{name}");
        Connection::open(&node.address, &db)
            .unwrap()
            .execute_batch(&want.to_sql())
            .unwrap();
        let url = format!("dqlite://{}/{db}", node.address);
        for format in ["toml", "sql"] {
            let r = run(work.path(), &url, &["inspect", "--format", format]);
            if r.code != 0 {
                failures.push(format!(
                    "{name} --format {format}: exit {}: {}",
                    r.code, r.stderr
                ));
                continue;
            }
            let back = match format {
                "toml" => load_toml_str("inspect.toml", &r.stdout),
                _ => load_sql_str("inspect.sql", &r.stdout),
            };
            match back {
                Ok(s) if s == want => {}
                Ok(s) => failures.push(format!(
                    "{name} --format {format}: differs\n{}",
                    crate::roundtrip::diff(&want, &s)
                )),
                Err(e) => failures.push(format!(
                    "{name} --format {format}: does not load: {e}\n{}",
                    r.stdout
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn inspect_writes_safe_types_for_remapped_columns_and_to_a_file() {
    let node = support::start_node();
    let work = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(&node.address, "legacy").unwrap();
    conn.execute_batch(
        "CREATE TABLE ev (id INTEGER PRIMARY KEY, at DATETIME, ok BOOLEAN, note TEXT);",
    )
    .unwrap();
    conn.execute(
        "INSERT INTO ev (at, ok, note) VALUES (1700000000, 1, 'x')",
        &[],
    )
    .unwrap();
    let url = format!("dqlite://{}/legacy", node.address);
    let r = ok(work.path(), &url, &["inspect", "--output", "models.toml"]);
    assert!(
        r.stderr
            .contains("\"ev\".\"at\" (DATETIME), \"ev\".\"ok\" (BOOLEAN)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("autogenerate` will propose rebuilding"),
        "{}",
        r.stderr
    );
    let written = std::fs::read_to_string(work.path().join("models.toml")).unwrap();
    let schema = load_toml_str("models.toml", &written).unwrap();
    let cols = &schema.tables.values().next().unwrap().columns;
    assert_eq!(cols[1].sql_type.as_str(), "NUMERIC");
    assert_eq!(cols[2].sql_type.as_str(), "NUMERIC");
    // --output never overwrites.
    let r = run(work.path(), &url, &["inspect", "--output", "models.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("models.toml"), "{}", r.stderr);
}

/// One real terminal run: the rename prompt answered "y" through a pseudo-terminal.
#[test]
fn rename_prompt_on_a_real_terminal() {
    let p = Project::new();
    p.autogenerate("Add users", &[]);
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    conn.execute(
        "INSERT INTO users (name, email) VALUES ('ada', 'ada@x')",
        &[],
    )
    .unwrap();
    p.set_models(&rename_name(&p.models()));

    let bin = assert_cmd::cargo::cargo_bin("dqmig");
    let mut cmd = std::process::Command::new(bin);
    cmd.current_dir(p.path())
        .args([
            "revision",
            "--autogenerate",
            "-m",
            "prompted",
            "--url",
            &p.url(),
        ])
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env_remove("DQMIG_URL");
    let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    session
        .exp_string("Was column \"users\".\"name\" renamed to \"full_name\"?")
        .unwrap();
    session.send("y").unwrap();
    session.flush().unwrap();
    session.exp_eof().unwrap();
    let files = p.revisions();
    assert_eq!(files.len(), 2, "no revision written");
    let text = std::fs::read_to_string(
        files
            .iter()
            .find(|f| f.to_string_lossy().contains("prompted"))
            .unwrap(),
    )
    .unwrap();
    assert!(
        text.contains("RENAME COLUMN \"name\" TO \"full_name\""),
        "{text}"
    );
    p.ok(&["upgrade", "head"]);
    let name: String = conn
        .query_row("SELECT full_name FROM users", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(name, "ada");
}

/// A revision template that makes files dqmig cannot read (BEGIN/COMMIT around `${up}`, an
/// unknown placeholder, a header naming another revision) is refused by `revision`,
/// `revision --autogenerate` and `merge` before anything is written (exit 2, naming the
/// template and what is wrong); the project stays readable.
#[test]
fn a_template_that_makes_unreadable_files_is_refused_before_writing() {
    let p = Project::new();
    let template = p.path().join("migrations/script.sql.tmpl");
    let good = std::fs::read_to_string(&template).unwrap();
    let bad_templates = [
        (
            good.replace("${up}", "BEGIN;\n${up}\nCOMMIT;"),
            "`BEGIN` in a revision",
        ),
        (
            good.replace("${message}", "${title}"),
            "unknown placeholder `${title}`",
        ),
        (
            good.replace(
                "-- revises: ${revises}",
                "-- revises: ${revises}\n-- revision: ${revises}",
            ),
            "second `revision:` header",
        ),
    ];
    let refused = |args: &[&str], says: &str, files: usize| {
        let r = p.run(args);
        assert_eq!(r.code, 2, "{args:?} {says}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("script.sql.tmpl") && r.stderr.contains(says),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert_eq!(p.revisions().len(), files, "{args:?} wrote a file");
    };
    for (text, says) in &bad_templates {
        std::fs::write(&template, text).unwrap();
        refused(&["revision", "-m", "first"], says, 0);
        refused(&["revision", "--autogenerate", "-m", "auto"], says, 0);
    }
    // `merge`, over two heads made with the good template.
    std::fs::write(&template, &good).unwrap();
    p.ok(&["revision", "-m", "one"]);
    p.ok(&["revision", "-m", "two", "--head", "base"]);
    for (text, says) in &bad_templates {
        std::fs::write(&template, text).unwrap();
        refused(&["merge", "-m", "join"], says, 2);
    }
    std::fs::write(&template, good).unwrap();
    p.ok(&["heads"]);
    p.ok(&["merge", "-m", "join"]);
}

/// `dqmig edit REV` opens a file that does not parse (found by its id or a prefix of it),
/// then checks it as always; a target that needs the graph reports why it cannot load.
#[test]
fn edit_opens_a_revision_file_that_does_not_parse() {
    let p = Project::new();
    let r = p.ok(&["revision", "-m", "one", "--rev-id", "abcdef123456"]);
    let path = p.path().join(r.stdout.trim());
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("-- migrate:up\n", "-- migrate:up\nCOMMIT;\n"),
    )
    .unwrap();
    let r = p.run(&["heads"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    let editor = p.path().join("fix.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i '/^COMMIT;$/d' \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let noop = p.path().join("noop.sh");
    std::fs::write(&noop, "#!/bin/sh\ntrue\n").unwrap();
    std::fs::set_permissions(&noop, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let edit = |rev: &str, editor: &Path| {
        dqmig(p.path())
            .args(["edit", rev])
            .env("EDITOR", editor)
            .env_remove("VISUAL")
            .output()
            .unwrap()
    };
    // An editor that leaves the file broken: opened, then refused as before.
    let out = edit("abcdef", &noop);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("opening") && stderr.contains("`COMMIT` in a revision"),
        "{stderr}"
    );
    // `head` needs the graph: the load error, and how to name the file instead.
    let out = edit("head", &editor);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`COMMIT` in a revision") && stderr.contains("revision id"),
        "{stderr}"
    );
    // The fixing editor: exit 0, the path on stdout, and the project loads again.
    let out = edit("abcdef12", &editor);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        p.path().join(String::from_utf8_lossy(&out.stdout).trim()),
        path
    );
    p.ok(&["heads"]);
}
