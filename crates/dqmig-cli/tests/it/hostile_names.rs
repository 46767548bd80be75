//! Names and messages are data, never SQL, through the built binary on a real node:
//! identifiers with quotes, semicolons, comment markers, newlines, control characters,
//! SQL keywords, mixed case and non-ASCII go through models.toml → `revision
//! --autogenerate` → `upgrade head` → `inspect` → `check` → `downgrade base` unchanged; a
//! revision message with newlines, `*/` or `--` stays on its comment line; revision ids
//! and slugs cannot name a file outside the versions folder.

use std::path::Path;

use dqmig::models::load_toml_str;

use crate::cli_author::Project;

/// Tables, columns and indexes named with everything that must stay data. TOML escapes
/// carry the control characters (`\n`, `\t`, U+0001, U+007F).
const HOSTILE_MODELS: &str = r#"
[tables.'users"; DROP TABLE x; --']
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "a */ b /* c", type = "text", nullable = false, default = "it's; -- not a comment" },
  { name = "line\nbreak", type = "integer", check = "\"line\nbreak\" >= 0" },
  { name = "tab\tand\u0001ctl\u007f", type = "string(20)" },
  { name = "select", type = "integer" },
  { name = "MiXeD", type = "text" },
  { name = "café ☕ 名前", type = "float" },
]
indexes = [
  { name = "ix; DROP TABLE y --", columns = ["select", "MiXeD"], unique = true },
  { name = "ix\n/*", columns = ["café ☕ 名前"] },
]

[tables.order]
columns = [
  { name = "Id", type = "integer", primary_key = true },
  { name = "user", type = "integer", references = 'users"; DROP TABLE x; --.id' },
  { name = "mixed", type = "text" },
]

[tables."MiXeD ]]` '"]
columns = [
  { name = "[x]", type = "integer", primary_key = true },
  { name = "`y`", type = "blob" },
]
"#;

/// The table names of the database, without dqmig's own.
fn tables(p: &Project) -> Vec<String> {
    let mut conn = p.conn();
    let rows = conn
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'dqmig%' ORDER BY name",
            &[],
        )
        .unwrap();
    rows.iter().map(|r| r.get::<String>(0).unwrap()).collect()
}

#[test]
fn hostile_identifiers_round_trip_through_every_command() {
    let p = Project::new();
    p.set_models(HOSTILE_MODELS);
    let want = load_toml_str("models.toml", HOSTILE_MODELS).expect("the hostile models load");

    let (_, text, _) = p.autogenerate("hostile names", &[]);
    // Comment lines of the file show the names escaped; no name ends a comment or a string.
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("DROP TABLE x")
                && !line.trim_start().starts_with("DROP TABLE y"),
            "a name leaked SQL into the file:\n{text}"
        );
    }
    p.ok(&["upgrade", "head"]);
    let mut names = tables(&p);
    names.sort();
    let mut expected = vec![
        "MiXeD ]]` '".to_string(),
        "order".to_string(),
        "users\"; DROP TABLE x; --".to_string(),
    ];
    expected.sort();
    assert_eq!(names, expected);

    // Data goes in and out under those names.
    let mut conn = p.conn();
    conn.execute(
        "INSERT INTO \"users\"\"; DROP TABLE x; --\" (id, \"line\nbreak\", \"select\", \"MiXeD\") VALUES (1, 2, 3, 'm')",
        &[],
    )
    .unwrap();
    let row = conn
        .query_row(
            "SELECT \"a */ b /* c\", \"line\nbreak\" FROM \"users\"\"; DROP TABLE x; --\"",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), "it's; -- not a comment");
    assert_eq!(row.get::<i64>(1).unwrap(), 2);

    // inspect reads back the same schema.
    let r = p.ok(&["inspect", "--format", "toml"]);
    let got = load_toml_str("inspect.toml", &r.stdout)
        .unwrap_or_else(|e| panic!("inspect output does not load: {e}\n{}", r.stdout));
    assert_eq!(
        got,
        want,
        "inspect differs from the models:\n{}",
        crate::roundtrip::diff(&want, &got)
    );

    // check sees no drift, and autogenerate finds nothing to do.
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0, "check: {}{}", r.stdout, r.stderr);

    p.ok(&["downgrade", "base"]);
    assert_eq!(tables(&p), Vec::<String>::new());
}

/// Table names that differ only by case are one name to SQLite: refused with exit 2.
#[test]
fn names_differing_only_by_case_are_refused() {
    let p = Project::new();
    p.set_models(
        "[tables.Users]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n\
         [tables.users]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    );
    let r = p.run(&["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("models.toml"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(p.revisions().is_empty());
}

#[test]
fn a_message_never_leaves_its_comment_line() {
    let p = Project::new();
    let message = "first line\nDROP TABLE users; -- */ /* \r\n\u{1b}[31mred\u{2028}sep";
    let r = p.ok(&["revision", "-m", message]);
    let path = p.path().join(r.stdout.trim());
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().take_while(|l| l.starts_with("--")).collect();
    let message_lines: Vec<&&str> = header
        .iter()
        .filter(|l| l.starts_with("-- message:"))
        .collect();
    assert_eq!(message_lines.len(), 1, "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("DROP") || l.contains('\u{1b}')),
        "the message escaped its line:\n{text}"
    );
    // The file parses with empty sections, and upgrading runs nothing but the stamp.
    let rev = dqmig::script::parse_revision("rev.sql", &text).unwrap();
    assert!(rev.up.statements.is_empty() && rev.down.statements.is_empty());
    p.ok(&["upgrade", "head"]);
    p.ok(&["downgrade", "base"]);
    // The slug of such a message is a plain file name in versions/.
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'),
        "{name}"
    );
}

/// Every file under `dir`, recursively (relative paths), sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rev_ids_and_slugs_cannot_escape_the_versions_folder() {
    let p = Project::new();
    let outside = tempfile::tempdir().unwrap();
    let abs = outside.path().join("evil").display().to_string();
    let before = files(p.path());
    for id in [
        "../x",
        "../../x",
        &abs,
        "a/b",
        "a\\b",
        "a\u{1}b",
        "x\ny",
        "x\u{1b}[31m",
        "..",
        ".",
        "head",
        "",
    ] {
        let r = p.run(&["revision", "-m", "m", "--rev-id", id]);
        assert_eq!(r.code, 2, "--rev-id {id:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("revision id") || r.stderr.contains("rev-id"),
            "--rev-id {id:?}: the message should name the id: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        // The id is shown escaped: the message stays on one line and sends no escapes.
        assert!(
            !r.stderr.trim_end().contains(|c: char| c.is_control()),
            "--rev-id {id:?}: raw control characters in {:?}",
            r.stderr
        );
    }
    assert_eq!(files(p.path()), before, "a refused id wrote a file");
    assert!(files(outside.path()).is_empty());

    // Messages that look like paths make a slug inside versions/.
    for message in [
        "../../../etc/passwd",
        "/abs/path",
        "a/b\\c",
        "..",
        "\u{1}\u{7f}",
    ] {
        let r = p.ok(&["revision", "-m", message]);
        let path = p.path().join(r.stdout.trim());
        assert_eq!(
            path.parent().unwrap(),
            p.path().join("migrations/versions"),
            "message {message:?} wrote {}",
            path.display()
        );
        assert!(path.is_file());
    }
    assert!(files(outside.path()).is_empty());
}
