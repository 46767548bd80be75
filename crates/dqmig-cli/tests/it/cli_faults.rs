//! Faults found in the field, through the built binary on a real node, each kept as a
//! regression test: a renamed column that another table references, in the same revision as
//! a rebuild; `check` on a database that is not at head or names an unknown revision;
//! `current` naming a revision no file defines; names with line breaks in revision files.

use dqmig::client::Connection;

use crate::cli_author::Project;

fn count(conn: &mut Connection, sql: &str) -> i64 {
    conn.query_row(sql, &[]).unwrap().get(0).unwrap()
}

const CODES_V1: &str = r#"
[tables.codes]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "code", type = "string(10)", unique = true },
]

[tables.uses]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "code_ref", type = "string(10)", references = "codes.code" },
]
"#;

const CODES_V2: &str = r#"
[tables.codes]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "label", type = "string(20)", unique = true, renamed_from = "code" },
]

[tables.uses]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "code_ref", type = "string(10)", references = "codes.label" },
]
"#;

#[test]
fn a_referenced_column_renamed_with_a_rebuild_applies_and_downgrades() {
    let p = Project::new();
    p.set_models(CODES_V1);
    p.autogenerate("v1", &[]);
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    conn.execute_batch("INSERT INTO codes (id, code) VALUES (1, 'A'), (2, 'B'); INSERT INTO uses (id, code_ref) VALUES (10, 'A'), (11, 'B')")
        .unwrap();

    p.set_models(CODES_V2);
    let (_, text, _) = p.autogenerate("label", &[]);
    // The native rename comes before the rebuild, so SQLite rewrites `uses`' reference.
    let rename = text
        .find("RENAME COLUMN \"code\" TO \"label\"")
        .unwrap_or_else(|| panic!("{text}"));
    let rebuild = text
        .find("dqmig:rebuild")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(rename < rebuild, "{text}");
    p.ok(&["upgrade", "head"]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM uses JOIN codes ON codes.label = uses.code_ref"
        ),
        2
    );
    let ddl: String = conn
        .query_row("SELECT sql FROM sqlite_master WHERE name = 'uses'", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert!(ddl.contains("\"label\""), "{ddl}");
    let r = p.ok(&["check"]);
    assert!(r.stderr.contains("agree"), "{}", r.stderr);
    // The reference is enforced after the rebuild.
    assert!(conn
        .execute("INSERT INTO uses (id, code_ref) VALUES (12, 'Z')", &[])
        .is_err());

    // Down restores v1: the column is `code` again, referenced as such, rows intact.
    p.ok(&["downgrade", "-1"]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM uses JOIN codes ON codes.code = uses.code_ref"
        ),
        2
    );
    // `check` compares a database at head only: set the v2 file aside to compare with v1.
    let v2 = p
        .revisions()
        .into_iter()
        .find(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("-- message: label\n")
        })
        .unwrap();
    std::fs::remove_file(v2).unwrap();
    p.set_models(CODES_V1);
    let r = p.ok(&["check"]);
    assert!(r.stderr.contains("agree"), "{}", r.stderr);
}

#[test]
fn check_does_not_certify_a_database_off_head() {
    let p = Project::new();
    p.autogenerate("Add users", &[]);
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);
    // A second revision the database lacks: the models match the files, not the database.
    p.set_models(&p.models().replace(
        "[tables.posts]",
        "[tables.tags]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true } ]\n\n[tables.posts]",
    ));
    let (path, _, _) = p.autogenerate("Add tags", &[]);
    let id = path.file_name().unwrap().to_string_lossy()[..12].to_string();
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains(&format!("not at head (1 pending: {id} (Add tags))")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("dqmig upgrade heads"), "{}", r.stderr);
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);

    // A version table naming a revision no file defines: check refuses, current warns.
    let mut conn = p.conn();
    conn.execute("UPDATE dqmig_version SET version_num = 'feedc0ffee00'", &[])
        .unwrap();
    let r = p.run(&["check"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("names revision(s) feedc0ffee00 that no file in"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`dqmig stamp --purge REV`"),
        "{}",
        r.stderr
    );
    let r = p.ok(&["current"]);
    assert!(r.stdout.contains("feedc0ffee00"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("warning: the database's version table names revision(s) feedc0ffee00"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`dqmig stamp --purge REV`"),
        "{}",
        r.stderr
    );
    // Every command that reads the version table gives the same advice, and it works:
    // plain `stamp` cannot read such a table, `stamp --purge` can.
    for args in [vec!["upgrade", "head"], vec!["stamp", &id]] {
        let r = p.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("`dqmig stamp --purge REV`"),
            "{args:?}: {}",
            r.stderr
        );
    }
    p.ok(&["stamp", "--purge", &id]);
    p.ok(&["check"]);
}

const LINE_BREAK_NAMES: &str = r#"
[tables."line1\nline2"]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "col\numn", type = "string(10)", nullable = false, unique = true, check = "length(\"col\numn\") > 0" },
  { name = "note\r", type = "text", nullable = false, default = "n" },
]
indexes = [ { name = "ix\nname", columns = ["col\numn"] } ]
"#;

#[test]
fn names_with_line_breaks_survive_revision_files_up_and_down() {
    let p = Project::new();
    p.set_models(LINE_BREAK_NAMES);
    let (_, text, _) = p.autogenerate("line\nbreaks", &[]);
    assert!(text.contains("-- message: line breaks\n"), "{text}");
    assert!(
        text.contains("-- create table \"line1\\nline2\"\n"),
        "{text}"
    );
    p.ok(&["upgrade", "head"]);
    let mut conn = p.conn();
    conn.execute(
        "INSERT INTO \"line1\nline2\" (\"col\numn\") VALUES ('x')",
        &[],
    )
    .unwrap();
    p.ok(&["check"]);
    // A rebuild of that table (its marker comment names the table) reads back and runs.
    p.set_models(&LINE_BREAK_NAMES.replace(
        "type = \"text\", nullable = false",
        "type = \"text\", nullable = true",
    ));
    let (_, text, _) = p.autogenerate("nullable", &[]);
    assert!(
        text.contains("-- dqmig:rebuild \"line1\\nline2\""),
        "{text}"
    );
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM \"line1\nline2\" WHERE \"note\r\" = 'n'"
        ),
        1
    );
    p.ok(&["show", "head"]);
    p.ok(&["downgrade", "base"]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM sqlite_master WHERE name = 'line1\nline2'"
        ),
        0
    );
}

#[test]
fn an_offline_range_in_the_wrong_direction_is_refused_naming_the_right_command() {
    let project = crate::cli_run::copy_example();
    for (args, hint) in [
        (
            ["upgrade", "--sql", "head:base"],
            "that is `dqmig downgrade --sql head:base`",
        ),
        (
            ["downgrade", "--sql", "base:head"],
            "that is `dqmig upgrade --sql base:head`",
        ),
    ] {
        let out = crate::support::dqmig_bin()
            .current_dir(project.path())
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed a script");
        assert!(stderr.contains(hint), "{args:?}: {stderr}");
    }
    // The right directions still work.
    for args in [
        ["upgrade", "--sql", "base:head"],
        ["downgrade", "--sql", "head:base"],
    ] {
        let out = crate::support::dqmig_bin()
            .current_dir(project.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("COMMIT;"));
    }
}

#[test]
fn a_revision_file_that_is_not_utf8_is_named_with_line_and_byte_offset() {
    let project = crate::cli_run::copy_example();
    let versions = project.path().join("migrations/versions");
    let file = std::fs::read_dir(&versions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let third_line = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    bytes.insert(third_line + 3, 0xff);
    std::fs::write(&file, &bytes).unwrap();
    let out = crate::support::dqmig_bin()
        .current_dir(project.path())
        .args(["heads"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        stderr.contains(&format!(
            "{name}:3:4: the file is not UTF-8 text: byte 0xff at byte offset {}",
            third_line + 3
        )),
        "{stderr}"
    );
}

#[test]
fn upgrade_json_on_failure_prints_what_landed_and_the_error() {
    let node = crate::support::start_node();
    let project = crate::cli_run::copy_example();
    let head = "6a8d0b2e5c06";
    std::fs::write(
        project.path().join("migrations/versions/badbadbad001_broken.sql"),
        format!("-- revision: badbadbad001\n-- revises: {head}\n-- message: broken\n\n-- migrate:up\nCREATE TABLE ok_part (x INTEGER);\nSELECT * FROM no_such_table;\n\n-- migrate:down\nDROP TABLE ok_part;\n"),
    )
    .unwrap();
    let url = format!("dqlite://{}/app.db", node.address);
    let out = crate::support::dqmig_bin()
        .current_dir(project.path())
        .args(["upgrade", "head", "--json", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let applied: Vec<&str> = doc["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["revision"].as_str().unwrap())
        .collect();
    assert_eq!(applied.len(), 6, "{doc}");
    assert_eq!(doc["heads"], serde_json::json!([head]), "{doc}");
    let error = &doc["error"];
    assert_eq!(error["revision"], "badbadbad001", "{doc}");
    assert!(
        error["file"]
            .as_str()
            .unwrap()
            .ends_with("badbadbad001_broken.sql"),
        "{doc}"
    );
    assert_eq!(error["line"], 7, "{doc}");
    assert_eq!(error["sqlite_code"], 1, "{doc}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no such table: no_such_table"),
        "{doc}"
    );
}
