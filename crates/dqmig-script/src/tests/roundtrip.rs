//! Writer tests: the template, slugs, file names, and writer → parser round trips.

use crate::*;
use proptest::prelude::*;

fn meta(id: &str, revises: &[&str]) -> RevisionMeta {
    RevisionMeta {
        revision: RevId::parse(id).unwrap(),
        revises: revises.iter().map(|r| RevId::parse(r).unwrap()).collect(),
        message: "Add users".into(),
        created: "2026-11-24T22:30:00Z".into(),
        branch_labels: vec![],
        depends_on: vec![],
    }
}

#[test]
fn default_template_output() {
    validate_template("script.sql.tmpl", DEFAULT_TEMPLATE).unwrap();
    let text = render_revision(
        DEFAULT_TEMPLATE,
        &meta("3f2a9c1b7d4e", &["a1b2c3d4e5f6"]),
        &["CREATE TABLE \"users\" (id INTEGER)".into()],
        &["-- Drop users\nDROP TABLE \"users\";".into()],
    );
    assert_eq!(
        text,
        "-- revision: 3f2a9c1b7d4e\n-- revises: a1b2c3d4e5f6\n-- message: Add users\n-- created: 2026-11-24T22:30:00Z\n\n-- migrate:up\nCREATE TABLE \"users\" (id INTEGER);\n\n-- migrate:down\n-- Drop users\nDROP TABLE \"users\";\n"
    );
    assert_eq!(normalize(&text), text, "generated files are already normal");
    let mut m = meta("m", &["a", "b"]);
    m.branch_labels = vec!["shop".into()];
    m.depends_on = vec!["x1".into(), "y".into()];
    m.message = "two\nlines ".into();
    let text = render_revision(DEFAULT_TEMPLATE, &m, &[], &[]);
    assert!(text.starts_with("-- revision: m\n-- revises: a, b\n-- message: two lines\n-- created: 2026-11-24T22:30:00Z\n-- branch-labels: shop\n-- depends-on: x1, y\n"), "{text}");
    let r = parse_revision("f", &text).unwrap();
    assert_eq!(r.meta.message, "two lines");
    assert!(r.up.is_empty() && r.down.is_empty());
}

#[test]
fn template_syntax() {
    let t = "-- revision: ${revision}\n-- revises: ${revises}\n-- cost: $$5 $x ${nope}\n-- migrate:up\n${up}\n-- migrate:down\n${down}";
    let out = render_revision(t, &meta("abc", &[]), &["SELECT '${revision}'".into()], &[]);
    assert_eq!(out, "-- revision: abc\n-- revises:\n-- cost: $5 $x ${nope}\n-- migrate:up\nSELECT '${revision}';\n-- migrate:down\n");
    match validate_template("m/script.sql.tmpl", t) {
        Err(ScriptError::Invalid {
            line: 3,
            column: 17,
            message,
            ..
        }) => assert!(
            message.contains("unknown placeholder `${nope}`"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(validate_template("t", "${revision} ${revises} ${up}"), Err(ScriptError::Invalid { message, .. }) if message.contains("${down}"))
    );
    assert!(matches!(
        validate_template("t", "x\n ${up"),
        Err(ScriptError::Invalid {
            line: 2,
            column: 2,
            ..
        })
    ));
}

#[test]
fn slugs_and_file_names() {
    assert_eq!(slug("Add users"), "add_users");
    assert_eq!(slug("  Add *users* & posts!! "), "add_users_posts");
    assert_eq!(slug("Élèves"), "l_ves");
    assert_eq!(slug(""), "");
    let long = slug("add a very long message that goes on and on and on past the limit");
    assert!(long.len() <= SLUG_MAX && !long.ends_with('_'), "{long}");
    assert_eq!(long, "add_a_very_long_message_that_goes_on_and");
    assert_eq!(slug(&"x".repeat(100)).len(), SLUG_MAX);
    let m = meta("3f2a9c1b7d4e", &[]);
    assert_eq!(
        file_name(DEFAULT_FILE_TEMPLATE, &m).unwrap(),
        "3f2a9c1b7d4e_add_users.sql"
    );
    assert_eq!(
        file_name(
            "%(year)s%(month)s%(day)s_%(hour)s%(minute)s%(second)s_%(rev)s_%(slug)s",
            &m
        )
        .unwrap(),
        "20261124_223000_3f2a9c1b7d4e_add_users.sql"
    );
    // Ids may start or end with `_`; only the empty slug's separator is dropped.
    let mut under = meta("_a_", &[]);
    assert_eq!(
        file_name(DEFAULT_FILE_TEMPLATE, &under).unwrap(),
        "_a__add_users.sql"
    );
    under.message = "!!".into();
    assert_eq!(file_name(DEFAULT_FILE_TEMPLATE, &under).unwrap(), "_a_.sql");
    assert_eq!(file_name("%(slug)s-%(rev)s", &under).unwrap(), "_a_.sql");
    let mut empty = m.clone();
    empty.message = String::new();
    assert_eq!(
        file_name(DEFAULT_FILE_TEMPLATE, &empty).unwrap(),
        "3f2a9c1b7d4e.sql"
    );
    empty.created = String::new();
    assert!(matches!(
        file_name("%(year)s_%(rev)s", &empty),
        Err(ScriptError::BadFileTemplate { .. })
    ));
    for bad in [
        "%(slug)s",
        "a/%(rev)s",
        "%(rev)s_%(nope)s",
        "%(rev",
        "..%(rev)s",
        // A hidden file would be written and never read (fresh-user pass).
        ".%(rev)s",
    ] {
        assert!(
            matches!(
                validate_file_template(bad),
                Err(ScriptError::BadFileTemplate { .. })
            ),
            "{bad}"
        );
    }
    validate_file_template(DEFAULT_FILE_TEMPLATE).unwrap();
}

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9_]{1,16}".prop_filter("reserved", |s| !RESERVED.contains(&s.as_str()))
}
fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_.]{0,10}".prop_filter("reserved", |s| !RESERVED.contains(&s.as_str()))
}
fn stmt() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("CREATE TABLE \"t\" (\"a\" INTEGER);".to_string()),
        "[a-z ;'-]{0,12}".prop_map(|s| format!("INSERT INTO t VALUES ('{}');", s.replace('\'', "''"))),
        "[a-z]{1,8}".prop_map(|s| format!("-- {s}\nDROP TABLE \"{s}\";")),
        Just("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT CASE WHEN 1 THEN 2 END; END;".to_string()),
        Just(format!("{REBUILD_MARKER}\n-- Rebuild t\nCREATE TABLE \"_new\" (a);")),
    ]
}

proptest! {
    #[test]
    fn writer_parser_round_trip(
        rev in id(),
        revises in proptest::collection::btree_set(id(), 0..3),
        message in "[ -~]{0,60}",
        secs in 0i64..4_000_000_000,
        labels in proptest::collection::btree_set(label(), 0..3),
        deps in proptest::collection::btree_set(id(), 0..3),
        up in proptest::collection::vec(stmt(), 0..5),
        down in proptest::collection::vec(stmt(), 0..5),
    ) {
        let revises: Vec<RevId> = revises.iter().filter(|r| **r != rev).map(|r| RevId::parse(r).unwrap()).collect();
        let created = chrono::DateTime::from_timestamp(secs, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let m = RevisionMeta {
            revision: RevId::parse(&rev).unwrap(),
            revises,
            message: message.trim().to_string(),
            created,
            branch_labels: labels.into_iter().collect(),
            depends_on: deps.into_iter().collect(),
        };
        let text = render_revision(DEFAULT_TEMPLATE, &m, &up, &down);
        let r = parse_revision("f", &text).unwrap();
        prop_assert_eq!(&r.meta, &m);
        prop_assert_eq!(r.up.statements.iter().map(|s| s.sql.clone()).collect::<Vec<_>>(), up.clone());
        prop_assert_eq!(r.down.statements.iter().map(|s| s.sql.clone()).collect::<Vec<_>>(), down.clone());
        prop_assert_eq!(r.up.needs_fk_off(), up.iter().any(|s| s.contains(REBUILD_MARKER)));
        prop_assert_eq!(normalize(&text), text.clone());
        prop_assert_eq!(&r.checksum, &checksum(&text.replace('\n', "\r\n")));
        let name = file_name(DEFAULT_FILE_TEMPLATE, &m).unwrap();
        prop_assert!(name.starts_with(m.revision.as_str()) && name.ends_with(".sql"));
    }
}

#[test]
fn folder_io() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(fs::read_template(dir.path()).unwrap(), DEFAULT_TEMPLATE);
    std::fs::write(dir.path().join(fs::TEMPLATE_FILE), "custom").unwrap();
    assert_eq!(fs::read_template(dir.path()).unwrap(), "custom");
    let m = meta("3f2a9c1b7d4e", &[]);
    let text = render_revision(DEFAULT_TEMPLATE, &m, &["SELECT 1".into()], &[]);
    let name = file_name(DEFAULT_FILE_TEMPLATE, &m).unwrap();
    let path = fs::write_revision(dir.path(), &name, &text).unwrap();
    assert!(matches!(
        fs::write_revision(dir.path(), &name, "x"),
        Err(ScriptError::Io { .. })
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    std::fs::write(dir.path().join(".hidden.sql"), "junk").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "junk").unwrap();
    let revs = fs::load_dir(dir.path()).unwrap();
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].file, path.display().to_string());
    assert_eq!(revs[0].meta, m);
    std::fs::write(dir.path().join("bad.sql"), "-- revision: x\n").unwrap();
    match fs::load_dir(dir.path()) {
        Err(e @ ScriptError::Invalid { .. }) => assert!(e.to_string().contains("bad.sql:"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        fs::load_dir(&dir.path().join("missing")),
        Err(ScriptError::Io { .. })
    ));
}

#[test]
fn rendered_files_are_checked_against_the_parser_and_the_header() {
    let m = meta("3f2a9c1b7d4e", &["a1b2c3d4e5f6"]);
    let check = |template: &str| {
        let text = render_revision(template, &m, &["CREATE TABLE t (x)".into()], &[]);
        check_rendered("m/script.sql.tmpl", template, "v/new.sql", &text, &m)
    };
    let r = check(DEFAULT_TEMPLATE).unwrap();
    assert_eq!(r.meta, m);
    let bad = |template: String, says: &str| match check(&template) {
        Err(e @ ScriptError::BadTemplate { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("m/script.sql.tmpl")
                    && msg.contains("v/new.sql:")
                    && msg.contains(says),
                "{msg}"
            );
        }
        other => panic!("{template}: expected BadTemplate, got {other:?}"),
    };
    bad(
        DEFAULT_TEMPLATE.replace("${up}", "BEGIN;\n${up}\nCOMMIT;"),
        "`BEGIN` in a revision",
    );
    bad(
        DEFAULT_TEMPLATE.replace(
            "-- revises: ${revises}",
            "-- revises: ${revision}\n-- x: ${revises}",
        ),
        "unknown header key",
    );
    bad(
        DEFAULT_TEMPLATE.replace("-- revision: ${revision}", "-- revision: 0123456789ab\n-- made for ${revision}"),
        "reads as revision 0123456789ab revising [a1b2c3d4e5f6] (labels [], depends on []), not revision 3f2a9c1b7d4e",
    );
    // Placeholder errors point at the template's own line.
    match check(&DEFAULT_TEMPLATE.replace("-- revises: ${revises}", "-- revises:")) {
        Err(ScriptError::Invalid { file, message, .. }) => {
            assert_eq!(file, "m/script.sql.tmpl");
            assert!(message.contains("no `${revises}`"), "{message}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}
