//! Faults a fresh user found in the ORM, kept as regressions on a real node: a `default`
//! applies when a field is `None` (sessions and `insert_many` alike, the rule being one
//! `TableDef::omitted_on_insert`); a NaN float is refused before anything is sent (by the
//! client, for every caller) instead of being stored as NULL; `Session::delete` of an object
//! another session holds deletes its row.

use chrono::NaiveDateTime;
use dqmig::client::{Connection, ErrorClass};
use dqmig::orm::{insert_many, select, MetaData, Model, Session};
use dqmig::params;

use crate::client::open;
use crate::support::start_node;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "notes")]
struct Note {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(default = "'draft'")]
    status: Option<String>,
    #[dqmig(default = "CURRENT_TIMESTAMP")]
    created: Option<NaiveDateTime>,
    score: f64,
    weight: Option<f64>,
}

fn note(status: Option<&str>) -> Note {
    Note {
        id: 0,
        status: status.map(str::to_string),
        created: None,
        score: 1.5,
        weight: None,
    }
}

fn setup() -> (crate::support::TestNode, Connection) {
    let t = start_node();
    let mut c = open(&t);
    MetaData::new().model::<Note>().create_all(&mut c).unwrap();
    (t, c)
}

#[test]
fn a_default_applies_when_the_field_is_none_in_sessions_and_bulk_inserts() {
    let (_t, mut c) = setup();
    {
        let mut s = Session::new(&mut c);
        let a = s.add(note(None));
        let b = s.add(note(Some("final")));
        s.commit().unwrap();
        assert_ne!(a.borrow().id, b.borrow().id);
        let insert = &s.statements()[1].sql;
        assert!(
            !insert.contains("\"status\""),
            "a None with a default is left out: {insert}"
        );
    }
    let mut many = vec![note(None), note(None), note(Some("x")), note(None)];
    let done = insert_many(&mut c, &mut many).unwrap();
    assert_eq!(
        (done.rows, done.statements),
        (4, 3),
        "runs leaving out the same columns share a statement"
    );
    let rows = select::<Note>()
        .order_by(Note::ID.asc())
        .all(&mut c)
        .unwrap();
    let statuses: Vec<Option<String>> = rows.iter().map(|n| n.status.clone()).collect();
    let want = ["draft", "final", "draft", "draft", "x", "draft"].map(|s| Some(s.to_string()));
    assert_eq!(statuses, want);
    assert!(
        rows.iter().all(|n| n.created.is_some()),
        "CURRENT_TIMESTAMP applied: {rows:?}"
    );
    assert_eq!(
        rows.iter().map(|n| n.id).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(many.iter().map(|n| n.id).collect::<Vec<_>>(), [3, 4, 5, 6]);
}

#[test]
fn a_nan_float_is_refused_before_anything_is_sent() {
    let (_t, mut c) = setup();
    let mut s = Session::new(&mut c);
    s.add(Note {
        score: f64::NAN,
        ..note(None)
    });
    let err = s.commit().unwrap_err();
    assert_eq!(err.class(), ErrorClass::Programming, "{err}");
    assert!(err.to_string().contains("NaN"), "{err}");
    s.rollback().unwrap();
    drop(s);
    let mut bulk = vec![
        note(None),
        Note {
            weight: Some(f64::NAN),
            ..note(None)
        },
    ];
    let err = insert_many(&mut c, &mut bulk).unwrap_err();
    assert!(err.to_string().contains("parameter"), "{err}");
    let err = c
        .execute("INSERT INTO notes (score) VALUES (?)", params![f64::NAN])
        .unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
    assert_eq!(
        select::<Note>().count(&mut c).unwrap(),
        0,
        "nothing was stored"
    );
    // Infinities are numbers SQLite keeps.
    c.execute(
        "INSERT INTO notes (score) VALUES (?)",
        params![f64::INFINITY],
    )
    .unwrap();
    let back = select::<Note>().one(&mut c).unwrap();
    assert_eq!(back.score, f64::INFINITY);
}

#[test]
fn deleting_an_object_another_session_holds_deletes_its_row() {
    let (_t, mut c) = setup();
    let mut other = open(&_t);
    let mut s2 = Session::new(&mut other);
    let stray = s2.add(note(Some("stray")));
    s2.commit().unwrap();
    let mut s1 = Session::new(&mut c);
    s1.delete(&stray);
    s1.commit().unwrap();
    assert!(
        s1.statements().iter().any(|s| s.sql.starts_with("DELETE")),
        "{:?}",
        s1.statements()
    );
    drop(s1);
    assert_eq!(select::<Note>().count(&mut c).unwrap(), 0);
}
