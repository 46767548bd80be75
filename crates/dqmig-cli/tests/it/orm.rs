//! The ORM core on a real node: every supported Rust type both ways (NULL and boundary
//! values included), CRUD through a session with the SQL it sent checked (an UPDATE lists
//! only the changed columns), the identity map, rollback, and the seed's duplicate-email
//! example as a match on the error class.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use dqmig::client::{Connection, ErrorClass, Value};
use dqmig::orm::{MetaData, Model, Session};
use dqmig::params;

use crate::client::open;
use crate::support::start_node;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "users")]
struct User {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(sql_type = "string(100)")]
    name: String,
    #[dqmig(sql_type = "string(255)", unique)]
    email: String,
    #[dqmig(default = "1")]
    is_active: bool,
    created_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "posts")]
struct Post {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(sql_type = "string(200)")]
    title: String,
    content: Option<String>,
    #[dqmig(references = "users.id", on_delete = "cascade", index)]
    user_id: i64,
    #[dqmig(default = "0")]
    published: bool,
}

/// Every supported type, each also as `Option`.
#[derive(Debug, Clone, PartialEq, Model)]
struct AllTypes {
    #[dqmig(primary_key)]
    id: Option<i64>,
    big: i64,
    int: i32,
    small: i16,
    flag: bool,
    real: f64,
    text: String,
    bytes: Vec<u8>,
    day: NaiveDate,
    time: NaiveTime,
    local: NaiveDateTime,
    utc: DateTime<Utc>,
    json: serde_json::Value,
    o_big: Option<i64>,
    o_int: Option<i32>,
    o_small: Option<i16>,
    o_flag: Option<bool>,
    o_real: Option<f64>,
    o_text: Option<String>,
    o_bytes: Option<Vec<u8>>,
    o_day: Option<NaiveDate>,
    o_time: Option<NaiveTime>,
    o_local: Option<NaiveDateTime>,
    o_utc: Option<DateTime<Utc>>,
    o_json: Option<serde_json::Value>,
}

fn blog(conn: &mut Connection) {
    MetaData::new()
        .model::<User>()
        .model::<Post>()
        .model::<AllTypes>()
        .create_all(conn)
        .unwrap();
}

fn user(name: &str, email: &str) -> User {
    User {
        id: 0,
        name: name.into(),
        email: email.into(),
        is_active: true,
        created_at: None,
    }
}

fn dt(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_micro_opt(h, mi, s, micro)
        .unwrap()
}

fn low() -> AllTypes {
    AllTypes {
        id: None,
        big: i64::MIN,
        int: i32::MIN,
        small: i16::MIN,
        flag: false,
        real: -1.5e300,
        text: String::new(),
        bytes: Vec::new(),
        day: NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
        time: NaiveTime::MIN,
        local: dt(1899, 12, 31, 23, 59, 59, 999_999),
        utc: dt(1969, 7, 20, 20, 17, 40, 0).and_utc(),
        json: serde_json::json!(null),
        o_big: Some(i64::MIN),
        o_int: Some(0),
        o_small: Some(i16::MIN),
        o_flag: Some(false),
        o_real: Some(0.0),
        o_text: Some(String::new()),
        o_bytes: Some(Vec::new()),
        o_day: Some(NaiveDate::from_ymd_opt(1901, 2, 3).unwrap()),
        o_time: Some(NaiveTime::from_hms_opt(0, 0, 1).unwrap()),
        o_local: Some(dt(1960, 1, 1, 0, 0, 0, 0)),
        o_utc: Some(dt(1900, 1, 1, 0, 0, 0, 1).and_utc()),
        o_json: Some(serde_json::json!([])),
    }
}

fn high() -> AllTypes {
    AllTypes {
        id: None,
        big: i64::MAX,
        int: i32::MAX,
        small: i16::MAX,
        flag: true,
        real: f64::MAX,
        text: "héllo wörld — 日本語 🦀 'quoted' \"double\"".into(),
        bytes: (0..=255u8).collect(),
        day: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        time: NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap(),
        local: dt(2038, 1, 19, 3, 14, 8, 0),
        utc: dt(2100, 2, 28, 12, 0, 0, 123_456).and_utc(),
        json: serde_json::json!({"name": "Zoë", "tags": ["a", 1, 2.5, true, null]}),
        o_big: Some(i64::MAX),
        o_int: Some(i32::MAX),
        o_small: Some(i16::MAX),
        o_flag: Some(true),
        o_real: Some(f64::MIN_POSITIVE),
        o_text: Some("ünïcode".into()),
        o_bytes: Some(vec![0, 0, 255]),
        o_day: Some(NaiveDate::from_ymd_opt(2040, 2, 29).unwrap()),
        o_time: Some(NaiveTime::from_hms_opt(12, 30, 0).unwrap()),
        o_local: Some(dt(2262, 4, 11, 23, 47, 16, 854_775)),
        o_utc: Some(dt(3000, 1, 1, 0, 0, 0, 0).and_utc()),
        o_json: Some(serde_json::json!({})),
    }
}

fn nulls() -> AllTypes {
    AllTypes {
        o_big: None,
        o_int: None,
        o_small: None,
        o_flag: None,
        o_real: None,
        o_text: None,
        o_bytes: None,
        o_day: None,
        o_time: None,
        o_local: None,
        o_utc: None,
        o_json: None,
        ..low()
    }
}

#[test]
fn every_type_round_trips_with_null_and_boundaries() {
    let t = start_node();
    let mut conn = open(&t);
    blog(&mut conn);
    let mut ids = Vec::new();
    {
        let mut s = Session::new(&mut conn);
        let rows: Vec<_> = [low(), high(), nulls()]
            .into_iter()
            .map(|r| s.add(r))
            .collect();
        s.commit().unwrap();
        for r in &rows {
            ids.push(r.borrow().id.expect("the key was written back"));
        }
    }
    let mut s = Session::new(&mut conn);
    for (id, want) in ids.iter().zip([low(), high(), nulls()]) {
        let got = s.get::<AllTypes>(Some(*id)).unwrap().expect("row").get();
        assert_eq!(
            got,
            AllTypes {
                id: Some(*id),
                ..want
            }
        );
    }
    s.rollback().unwrap();
    drop(s);
    // Storage classes: booleans as integers, dates and JSON as ISO 8601 / JSON text, NULLs.
    let row = conn
        .query_row(
            "SELECT typeof(flag), flag, typeof(day), day, typeof(utc), utc, typeof(json), \
             typeof(bytes), typeof(o_day), typeof(o_json) FROM all_types WHERE id = ?",
            params![ids[1]],
        )
        .unwrap();
    let v = row.values();
    assert_eq!(v[0], Value::Text("integer".into()));
    assert_eq!(v[1], Value::Integer(1));
    assert_eq!(v[2], Value::Text("text".into()));
    assert_eq!(v[3], Value::Text("9999-12-31".into()));
    assert_eq!(v[4], Value::Text("text".into()));
    assert_eq!(v[5], Value::Text("2100-02-28 12:00:00.123456+00:00".into()));
    assert_eq!(v[6], Value::Text("text".into()));
    assert_eq!(v[7], Value::Text("blob".into()));
    let row = conn
        .query_row(
            "SELECT typeof(o_day), typeof(o_json), typeof(o_flag) FROM all_types WHERE id = ?",
            params![ids[2]],
        )
        .unwrap();
    assert!(row
        .values()
        .iter()
        .all(|v| *v == Value::Text("null".into())));
}

#[test]
fn session_crud_sends_the_expected_sql() {
    let t = start_node();
    let mut conn = open(&t);
    blog(&mut conn);
    let mut s = Session::new(&mut conn);

    // INSERT: the key is left to the database and written back; BEGIN is automatic.
    let alice = s.add(user("Alice", "alice@example.com"));
    assert_eq!(alice.changed_columns().len(), 5);
    s.flush().unwrap();
    let sent = s.take_statements();
    assert_eq!(sent[0].sql, "BEGIN");
    assert_eq!(
        sent[1].sql,
        r#"INSERT INTO "users" ("name", "email", "is_active", "created_at") VALUES (?, ?, ?, ?)"#
    );
    assert_eq!(
        sent[1].values,
        [
            Value::Text("Alice".into()),
            Value::Text("alice@example.com".into()),
            Value::Integer(1),
            Value::Null
        ]
    );
    let id = alice.borrow().id;
    assert!(id > 0 && alice.is_persistent());

    // A post of hers: the written-back key is usable at once.
    let post = s.add(Post {
        id: 0,
        title: "Hello".into(),
        content: None,
        user_id: id,
        published: false,
    });

    // UPDATE of the changed column only.
    alice.borrow_mut().email = "newemail@example.com".into();
    assert_eq!(alice.changed_columns(), ["email"]);
    s.commit().unwrap();
    let sent = s.take_statements();
    let sqls: Vec<&str> = sent.iter().map(|st| st.sql.as_str()).collect();
    assert_eq!(
        sqls,
        [
            r#"UPDATE "users" SET "email" = ? WHERE "id" = ?"#,
            r#"INSERT INTO "posts" ("title", "content", "user_id", "published") VALUES (?, ?, ?, ?)"#,
            "COMMIT"
        ]
    );
    assert_eq!(
        sent[0].values,
        [
            Value::Text("newemail@example.com".into()),
            Value::Integer(id)
        ]
    );
    assert!(post.borrow().id > 0);

    // Nothing changed: a flush sends nothing. get of a held key: the same object, no query.
    s.flush().unwrap();
    assert!(s.statements().is_empty());
    let again = s.get::<User>(id).unwrap().unwrap();
    assert!(again.same(&alice));
    assert!(s.statements().is_empty());

    // Two columns changed: both, and only them.
    {
        let mut a = alice.borrow_mut();
        a.name = "Alicia".into();
        a.is_active = false;
    }
    s.commit().unwrap();
    assert_eq!(
        s.take_statements()[1].sql,
        r#"UPDATE "users" SET "name" = ?, "is_active" = ? WHERE "id" = ?"#
    );
    drop(s);

    // A new session loads with a SELECT of every column by key.
    let mut s = Session::new(&mut conn);
    let loaded = s.get::<User>(id).unwrap().unwrap();
    assert_eq!(
        loaded.get(),
        User {
            id,
            name: "Alicia".into(),
            email: "newemail@example.com".into(),
            is_active: false,
            created_at: None
        }
    );
    let sent = s.take_statements();
    assert_eq!(
        sent[1].sql,
        r#"SELECT "id", "name", "email", "is_active", "created_at" FROM "users" WHERE "id" = ?"#
    );
    assert!(s.get::<User>(id + 1000).unwrap().is_none());

    // DELETE (the post goes with it: ON DELETE CASCADE).
    s.delete(&loaded);
    s.commit().unwrap();
    let sent = s.take_statements();
    assert!(sent
        .iter()
        .any(|st| st.sql == r#"DELETE FROM "users" WHERE "id" = ?"#
            && st.values == [Value::Integer(id)]));
    assert!(!loaded.is_persistent());
    drop(s);
    let n: i64 = conn
        .query_row("SELECT count(*) FROM posts", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn rollback_discards_and_detaches() {
    let t = start_node();
    let mut conn = open(&t);
    blog(&mut conn);
    let mut s = Session::new(&mut conn);
    let bob = s.add(user("Bob", "bob@example.com"));
    s.flush().unwrap();
    assert!(bob.is_persistent());
    s.rollback().unwrap();
    assert!(!bob.is_persistent());
    assert_eq!(s.statements().last().unwrap().sql, "ROLLBACK");
    // A session dropped with its transaction open rolls it back.
    let carol = s.add(user("Carol", "carol@example.com"));
    s.flush().unwrap();
    assert!(carol.borrow().id > 0);
    drop(s);
    assert!(!conn.in_transaction());
    let n: i64 = conn
        .query_row("SELECT count(*) FROM users", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(n, 0);
}

/// The seed's error-handling example: a duplicate email is an integrity error naming the
/// constraint; after a rollback the session goes on.
#[test]
fn duplicate_email_is_an_integrity_error_naming_the_column() {
    let t = start_node();
    let mut conn = open(&t);
    blog(&mut conn);
    let mut s = Session::new(&mut conn);
    s.add(user("Dup", "duplicate@example.com"));
    s.commit().unwrap();

    s.add(user("Dup again", "duplicate@example.com"));
    let message = match s.commit() {
        Err(e) if e.class() == ErrorClass::Integrity => {
            s.rollback().unwrap();
            format!("Duplicate email: {e}")
        }
        Err(e) if e.class() == ErrorClass::Operational => panic!("database error: {e}"),
        Err(e) => panic!("SQL error: {e}"),
        Ok(()) => panic!("the duplicate was accepted"),
    };
    assert!(
        message.contains("UNIQUE constraint failed: users.email"),
        "{message}"
    );
    assert!(message.contains("inserting a User"), "{message}");

    // The session is usable after the rollback.
    let other = s.add(user("Other", "other@example.com"));
    s.commit().unwrap();
    assert!(other.is_persistent());
    let n: i64 = s
        .connection()
        .query_row("SELECT count(*) FROM users", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(n, 2);
}
