//! `dqmig::Migrator` as an application uses it: the migrations folder embedded at build
//! time with `embed_migrations!`, or read at run time, upgraded and downgraded on a real node.

use crate::support;
use dqmig::client::Connection;
use dqmig::runner::RunError;
use dqmig::Migrator;

const FOLDER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/runner_fixtures/migrations"
);

#[test]
fn embedded_migrations_upgrade_and_downgrade() {
    let node = support::start_node();
    let migrator = dqmig::embed_migrations!("tests/it/runner_fixtures/migrations").unwrap();
    assert_eq!(migrator.graph().len(), 3);
    assert_eq!(
        migrator
            .graph()
            .get(&migrator.graph().heads()[0])
            .unwrap()
            .file,
        "versions/3c4d5e6f7081_users_email.sql"
    );
    let mut conn = Connection::open(&node.address, "embedded").unwrap();
    assert!(!migrator.is_up_to_date(&mut conn).unwrap());
    let r = migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(r.applied.len(), 3);
    assert!(migrator.is_up_to_date(&mut conn).unwrap());
    conn.execute_batch("INSERT INTO users (id, name, email) VALUES (1, 'ann', 'a@x')")
        .unwrap();
    // Running again does nothing.
    assert!(migrator
        .upgrade(&mut conn, "head")
        .unwrap()
        .applied
        .is_empty());
    migrator.downgrade(&mut conn, "-1").unwrap();
    assert_eq!(
        migrator.current(&mut conn).unwrap()[0].as_str(),
        "2b3c4d5e6f70"
    );
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", &[])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(users, 1);
    migrator.downgrade(&mut conn, "base").unwrap();
    assert!(migrator.current(&mut conn).unwrap().is_empty());
    assert_eq!(migrator.history(&mut conn).unwrap().len(), 6);
}

#[test]
fn folder_at_run_time_matches_the_embedded_one() {
    let from_dir = Migrator::from_dir(FOLDER).unwrap();
    let embedded = dqmig::embed_migrations!("tests/it/runner_fixtures/migrations").unwrap();
    assert_eq!(from_dir.graph().heads(), embedded.graph().heads());
    for rev in from_dir.graph().revisions() {
        assert_eq!(
            embedded.graph().get(rev.id()).unwrap().checksum,
            rev.checksum,
            "same bytes, same checksum"
        );
    }
    // Applied from one, checked by the other: no edited-file complaint.
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "mixed").unwrap();
    from_dir.upgrade(&mut conn, "+2").unwrap();
    embedded.upgrade(&mut conn, "head").unwrap();
    assert!(embedded.is_up_to_date(&mut conn).unwrap());
}

#[test]
fn bad_embedded_files_name_the_file() {
    let e = Migrator::from_embedded(&[(
        "versions/a.sql",
        "-- revision: a1\n-- migrate:up\n-- migrate:down\n",
    )])
    .err()
    .unwrap();
    let msg = e.to_string();
    assert!(
        matches!(e, RunError::Script(_))
            && msg.contains("versions/a.sql")
            && msg.contains("revises"),
        "{msg}"
    );
    let m = Migrator::from_embedded(&[
        ("README.md", "not sql"),
        (
            "versions/a.sql",
            "-- revision: a1\n-- revises:\n-- migrate:up\nSELECT 1;\n-- migrate:down\n",
        ),
    ])
    .unwrap();
    assert_eq!(m.graph().len(), 1);
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "target").unwrap();
    let e = m.upgrade(&mut conn, "nope!").unwrap_err().to_string();
    assert!(e.contains("nope!"), "{e}");
}
