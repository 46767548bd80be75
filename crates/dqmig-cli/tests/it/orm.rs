//! The ORM core on a real node: every supported Rust type both ways (NULL and boundary
//! values included), CRUD through a session with the SQL it sent checked (an UPDATE lists
//! only the changed columns), the identity map, rollback, the seed's duplicate-email
//! example as a match on the error class, sessions over a pool, and the transaction helper
//! replaying its closure across a leader change on a 3-node cluster.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use dqmig::client::{Connection, ErrorClass, Pool, PoolOptions, Value};
use dqmig::orm::{MetaData, Model, OrmError, Session};
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

/// A fieldless enum as a column: stored as the variants' names (one renamed, with a quote).
#[derive(Debug, Clone, Copy, PartialEq, dqmig::orm::DbEnum)]
enum Mood {
    Happy,
    #[dqmig(rename = "it's complicated")]
    Complicated,
    Ünïcode,
}

/// The feature-gated types (`uuid`, `decimal`) and a `DbEnum`, each also as `Option`.
#[derive(Debug, Clone, PartialEq, Model)]
struct Extras {
    #[dqmig(primary_key)]
    id: i64,
    uuid: uuid::Uuid,
    dec: rust_decimal::Decimal,
    mood: Mood,
    o_uuid: Option<uuid::Uuid>,
    o_dec: Option<rust_decimal::Decimal>,
    o_mood: Option<Mood>,
}

fn blog(conn: &mut Connection) {
    MetaData::new()
        .model::<User>()
        .model::<Post>()
        .model::<AllTypes>()
        .model::<Extras>()
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

fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

/// uuid, decimal and enum fields both ways, NULL included; decimals keep every digit and
/// their scale (stored as text, never through f64); the enum's CHECK refuses other text.
#[test]
fn uuid_decimal_and_enum_fields_round_trip_exactly() {
    use rust_decimal::Decimal;
    use uuid::Uuid;
    let t = start_node();
    let mut conn = open(&t);
    blog(&mut conn);
    let rows = [
        Extras {
            id: 1,
            uuid: Uuid::nil(),
            dec: Decimal::MAX,
            mood: Mood::Happy,
            o_uuid: None,
            o_dec: None,
            o_mood: None,
        },
        Extras {
            id: 2,
            uuid: Uuid::max(),
            dec: Decimal::MIN,
            mood: Mood::Complicated,
            o_uuid: Some(Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap()),
            o_dec: Some(dec("0.0000000000000000000000000001")),
            o_mood: Some(Mood::Ünïcode),
        },
        Extras {
            id: 3,
            uuid: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            dec: dec("-12345678901234567890.12345678"),
            mood: Mood::Ünïcode,
            o_uuid: Some(Uuid::nil()),
            o_dec: Some(dec("1.10")),
            o_mood: Some(Mood::Complicated),
        },
    ];
    {
        let mut s = Session::new(&mut conn);
        for r in &rows {
            s.add(r.clone());
        }
        s.commit().unwrap();
    }
    let mut s = Session::new(&mut conn);
    for want in &rows {
        let got = s.get::<Extras>(want.id).unwrap().expect("row").get();
        assert_eq!(&got, want);
        // Scale survives (1.10 is not 1.1).
        assert_eq!(
            got.o_dec.map(|d| d.to_string()),
            want.o_dec.map(|d| d.to_string())
        );
    }
    drop(s);
    let row = conn
        .query_row(
            "SELECT typeof(dec), dec, typeof(uuid), uuid, o_dec, mood, o_mood FROM extras WHERE id = 3",
            params![],
        )
        .unwrap();
    let v = row.values();
    assert_eq!(v[0], Value::Text("text".into()));
    assert_eq!(v[1], Value::Text("-12345678901234567890.12345678".into()));
    assert_eq!(v[2], Value::Text("text".into()));
    assert_eq!(
        v[3],
        Value::Text("01234567-89ab-cdef-0123-456789abcdef".into())
    );
    assert_eq!(v[4], Value::Text("1.10".into()));
    assert_eq!(v[5], Value::Text("Ünïcode".into()));
    assert_eq!(v[6], Value::Text("it's complicated".into()));
    // The declared enum's CHECK refuses a value the Rust enum has not.
    let err = conn
        .execute("UPDATE extras SET mood = 'Sad' WHERE id = 1", params![])
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Integrity, "{err}");
    // Text another writer left that the field cannot read: an error naming the field.
    conn.execute(
        "UPDATE extras SET uuid = 'not-a-uuid' WHERE id = 1",
        params![],
    )
    .unwrap();
    let err = Session::new(&mut conn).get::<Extras>(1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reading Extras.uuid (column `uuid`): cannot read TEXT \"not-a-uuid\" as a UUID"
    );
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

fn count_users(conn: &mut Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM users", params![])
        .unwrap()
        .get(0)
        .unwrap()
}

/// A session over a pooled connection gives it back when dropped; the transaction helper
/// commits the closure's flushed work, and returns the closure's errors unreplayed with the
/// transaction rolled back.
#[test]
fn pooled_sessions_and_the_transaction_helper() {
    let t = start_node();
    let pool = Pool::new(&t.address, "test", PoolOptions::default());
    {
        let mut s = Session::from_pool(&pool).unwrap();
        blog(s.connection());
        let ann = s.add(user("Ann", "ann@example.com"));
        s.commit().unwrap();
        assert!(ann.borrow().id > 0);
        assert_eq!(pool.status().idle, 0);
    }
    assert_eq!(
        pool.status().idle,
        1,
        "the session gave its connection back"
    );

    // A pool with every connection checked out: an operational error, after its timeout.
    let small = Pool::new(
        &t.address,
        "test",
        PoolOptions {
            pool_size: 1,
            max_overflow: 0,
            timeout: std::time::Duration::from_millis(100),
            ..PoolOptions::default()
        },
    );
    let held = Session::from_pool(&small).unwrap();
    let err = Session::from_pool(&small)
        .err()
        .expect("no free connection");
    assert!(matches!(err, OrmError::Pool { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Operational, "{err}");
    assert!(err.to_string().contains("no free connection"), "{err}");
    drop(held);
    assert!(Session::from_pool(&small).is_ok());

    let mut conn = pool.get().unwrap();
    // The closure's changes are flushed and committed; its value comes back.
    let mut runs = 0;
    let id = dqmig::orm::transaction(&mut conn, |s| {
        runs += 1;
        let ann = s.get::<User>(1)?.expect("Ann");
        ann.borrow_mut().name = "Anna".into();
        let bo = s.add(user("Bo", "bo@example.com"));
        s.flush()?;
        let id = bo.borrow().id;
        Ok(id)
    })
    .unwrap();
    assert_eq!((runs, id), (1, 2));
    assert!(!conn.in_transaction());
    let name: String = conn
        .query_row("SELECT name FROM users WHERE id = 1", params![])
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(name, "Anna");

    // An integrity error inside: returned with its class, not replayed, nothing kept.
    let mut runs = 0;
    let err = dqmig::orm::transaction(&mut conn, |s| {
        runs += 1;
        s.add(user("Cy", "cy@example.com"));
        s.add(user("Bo again", "bo@example.com"));
        s.flush()
    })
    .unwrap_err();
    assert_eq!(runs, 1);
    assert_eq!(err.class(), ErrorClass::Integrity, "{err}");
    assert!(
        err.to_string()
            .contains("UNIQUE constraint failed: users.email"),
        "{err}"
    );
    assert!(err.to_string().contains("inserting a User"), "{err}");
    // The closure's own (non-database) error: the same value back, rolled back.
    let mut runs = 0;
    let err = dqmig::orm::transaction(&mut conn, |s| -> Result<(), OrmError> {
        runs += 1;
        s.add(user("Di", "di@example.com"));
        s.flush()?;
        Err(OrmError::NoPrimaryKey { model: "Custom" })
    })
    .unwrap_err();
    assert_eq!(runs, 1);
    assert!(
        matches!(err, OrmError::NoPrimaryKey { model: "Custom" }),
        "{err}"
    );
    assert!(!conn.in_transaction());
    assert_eq!(count_users(&mut conn), 2);
}

/// The issue's acceptance test: the closure's first attempt inserts a row, then leadership
/// moves before COMMIT; the attempt is lost, the closure runs again on the new leader with
/// a fresh session, and the rows are committed exactly once (a unique email would refuse a
/// second copy; the count says there is none).
#[test]
fn transaction_closure_is_replayed_across_a_leader_change_and_commits_once() {
    let mut c = crate::harness::Cluster::start(3);
    c.wait_leader();
    let seeds = c.seeds();
    let mut conn = crate::harness::open(&seeds, "orm");
    MetaData::new()
        .model::<User>()
        .create_all(&mut conn)
        .unwrap();
    let mut attempts = 0;
    let mut pending_seen = Vec::new();
    let (a, b) = dqmig::orm::transaction(&mut conn, |s| {
        attempts += 1;
        // A fresh session each time: nothing pending from an earlier attempt.
        pending_seen.push(s.statements().len());
        let a = s.add(user("Ann", "ann@example.com"));
        s.flush()?;
        if attempts == 1 {
            let mut admin =
                Connection::connect_leader(&seeds, &crate::harness::client_options()).unwrap();
            let me = admin.leader().unwrap().map(|l| l.id).unwrap_or(0);
            let next = c.nodes.iter().map(|p| p.id).find(|id| *id != me).unwrap();
            admin.transfer(next).unwrap();
        }
        let b = s.add(user("Bob", "bob@example.com"));
        s.flush()?;
        let ids = (a.borrow().id, b.borrow().id);
        Ok(ids)
    })
    .unwrap();
    assert!(attempts >= 2, "the closure is replayed after the transfer");
    assert!(pending_seen.iter().all(|n| *n == 0), "{pending_seen:?}");
    let rows = conn
        .query("SELECT id, email FROM users ORDER BY id", params![])
        .unwrap();
    let got: Vec<(i64, String)> = rows
        .rows
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (a, "ann@example.com".to_string()),
            (b, "bob@example.com".to_string())
        ],
        "committed exactly once, with the ids the committing attempt saw"
    );
}

/// The models example (crates/dqmig-cli/examples/models.rs), built: `cargo test` builds the
/// examples with the tests; a filtered run (`--test it`) builds it here if it is missing.
fn models_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir.join("examples").join("models");
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "dqmig-cli", "--example", "models"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "building the models example: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(path.is_file(), "no models example at {}", path.display());
    path
}

/// The issue's acceptance test for Rust models driving the CLI: a project whose dqmig.toml
/// says `models_command = "<the models example>"`; `revision --autogenerate` writes the
/// tables of the Rust structs, `upgrade head` applies it, and `dqmig check` finds no drift
/// (exit 0). Models that differ from the database (a table more) make check exit 1.
#[test]
fn rust_models_drive_autogenerate_and_check_through_the_binary() {
    let example = models_example();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let port = crate::support::free_port();
    let run = |args: &[&str]| {
        let out = crate::cli_run::dqmig(dir).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&["init", "--address", &format!("127.0.0.1:{port}")]);
    assert_eq!(code, Some(0), "{err}");
    let config = std::fs::read_to_string(dir.join("dqmig.toml")).unwrap();
    let models_line = config
        .lines()
        .find(|l| l.starts_with("models ="))
        .expect("init writes models = ...")
        .to_string();
    let with_command = |command: &str| {
        let line = format!("models_command = {}", toml_string(command));
        std::fs::write(dir.join("dqmig.toml"), config.replace(&models_line, &line)).unwrap();
    };
    std::fs::remove_file(dir.join("models.toml")).unwrap();
    with_command(example.to_str().unwrap());

    let (code, out, err) = run(&["revision", "--autogenerate", "-m", "from rust models"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let text = std::fs::read_to_string(dir.join(out.trim())).unwrap();
    for wanted in [
        r#"CREATE TABLE "users""#,
        r#"CREATE TABLE "posts""#,
        r#""email" VARCHAR(255) NOT NULL"#,
        r#"CHECK ("status" IN ('draft', 'published'))"#,
        r#"REFERENCES "users" ("id") ON DELETE CASCADE"#,
        r#"CREATE INDEX "ix_posts_user_id""#,
    ] {
        assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
    }
    let (code, out, err) = run(&["upgrade", "head"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, err) = run(&["check"]);
    assert_eq!(code, Some(0), "check after upgrade head: {out}{err}");

    // Not vacuous: the same models plus a table are drift.
    let models = std::process::Command::new(&example).output().unwrap();
    assert!(models.status.success());
    let mut more = String::from_utf8(models.stdout).unwrap();
    more.push_str("\n[tables.extra]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true } ]\n");
    std::fs::write(dir.join("more.toml"), more).unwrap();
    with_command("cat more.toml");
    let (code, out, err) = run(&["check"]);
    assert_eq!(code, Some(1), "check with a model table more: {out}{err}");
    assert!(format!("{out}{err}").contains("extra"), "{out}{err}");
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A row another writer stored in another spelling (a `T` between date and time) is not
/// taken for a change: a flush sends nothing, and an UPDATE still lists only the column the
/// app changed (the session keeps the row as read and normalizes it only when it differs).
#[test]
fn values_stored_in_another_spelling_are_not_changes() {
    let t = start_node();
    let mut conn = open(&t);
    blog(&mut conn);
    conn.execute(
        "INSERT INTO users (id, name, email, is_active, created_at) \
         VALUES (7, 'Eve', 'eve@example.com', 1, '2026-01-02T03:04:05')",
        params![],
    )
    .unwrap();
    let mut s = Session::new(&mut conn);
    let eve = s.get::<User>(7).unwrap().unwrap();
    assert_eq!(eve.borrow().created_at, Some(dt(2026, 1, 2, 3, 4, 5, 0)));
    assert!(
        eve.changed_columns().is_empty(),
        "{:?}",
        eve.changed_columns()
    );
    s.take_statements();
    s.flush().unwrap();
    assert!(s.statements().is_empty(), "{:?}", s.statements());
    eve.borrow_mut().name = "Eva".into();
    assert_eq!(eve.changed_columns(), ["name"]);
    s.commit().unwrap();
    let sent = s.take_statements();
    assert_eq!(
        sent[0].sql,
        r#"UPDATE "users" SET "name" = ? WHERE "id" = ?"#
    );
}
