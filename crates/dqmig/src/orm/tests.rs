//! Unit tests of the derive's metadata and of `MetaData` against the models.toml loader.

use super::*;
use crate::schema::Schema;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "users")]
struct User {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(sql_type = "string(100)", index)]
    name: String,
    #[dqmig(sql_type = "string(255)", unique)]
    email: String,
    #[dqmig(default = "1")]
    is_active: bool,
    #[dqmig(default = "CURRENT_TIMESTAMP")]
    created_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "posts")]
struct Post {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(sql_type = "string(200)")]
    title: String,
    content: Option<String>,
    #[dqmig(references = "users.id", on_delete = "cascade")]
    user_id: i64,
    #[dqmig(column = "is_published", default = "0")]
    published: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, DbEnum)]
#[dqmig(rename_all = "lowercase")]
enum State {
    Draft,
    #[dqmig(rename = "in review")]
    InReview,
}

/// No table attribute: the snake_case struct name; a composite key.
#[derive(Debug, Clone, PartialEq, Model)]
struct PostTag {
    #[dqmig(primary_key, references = "posts.id")]
    post_id: i64,
    #[dqmig(primary_key)]
    tag: String,
    score: Option<f64>,
    data: Vec<u8>,
    meta: serde_json::Value,
    day: chrono::NaiveDate,
    at: chrono::NaiveTime,
    stamp: chrono::DateTime<chrono::Utc>,
    small: i16,
    medium: Option<i32>,
    state: State,
}

const MODELS_TOML: &str = r#"
[tables.users]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "string(100)", nullable = false },
  { name = "email", type = "string(255)", nullable = false, unique = true },
  { name = "is_active", type = "boolean", nullable = false, default = 1 },
  { name = "created_at", type = "datetime", default = "CURRENT_TIMESTAMP" },
]
indexes = [ { name = "ix_users_name", columns = ["name"] } ]

[tables.posts]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "title", type = "string(200)", nullable = false },
  { name = "content", type = "text" },
  { name = "user_id", type = "integer", nullable = false, references = "users.id", on_delete = "cascade" },
  { name = "is_published", type = "boolean", nullable = false, default = false },
]

[tables.post_tag]
primary_key = ["post_id", "tag"]
columns = [
  { name = "post_id", type = "integer", references = "posts.id" },
  { name = "tag", type = "text" },
  { name = "score", type = "float" },
  { name = "data", type = "blob", nullable = false },
  { name = "meta", type = "json", nullable = false },
  { name = "day", type = "date", nullable = false },
  { name = "at", type = "time", nullable = false },
  { name = "stamp", type = "datetime", nullable = false },
  { name = "small", type = "smallinteger", nullable = false },
  { name = "medium", type = "integer" },
  { name = "state", type = "enum(draft, 'in review')", nullable = false },
]
"#;

fn metadata() -> MetaData {
    MetaData::new()
        .model::<User>()
        .model::<Post>()
        .model::<PostTag>()
}

#[test]
fn derive_describes_the_table() {
    let t = User::TABLE;
    assert_eq!((t.rust_name, t.name), ("User", "users"));
    let names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
    assert_eq!(names, ["id", "name", "email", "is_active", "created_at"]);
    assert_eq!(t.columns[1].declared(), "string(100)");
    assert_eq!(t.columns[3].declared(), "boolean");
    assert!(t.columns[4].nullable && !t.columns[2].nullable);
    assert!(t.columns[2].unique && t.columns[1].index);
    assert_eq!(t.columns[4].default, Some("CURRENT_TIMESTAMP"));
    assert_eq!(t.key_positions(), [0]);
    assert_eq!(t.rowid_key(), Some(0));
    assert_eq!(Post::TABLE.columns[4].name, "is_published");
    assert_eq!(Post::TABLE.columns[3].references, Some("users.id"));
    assert_eq!(Post::TABLE.columns[3].on_delete, Some("cascade"));
    assert_eq!(PostTag::TABLE.name, "post_tag");
    assert_eq!(PostTag::TABLE.key_positions(), [0, 1]);
    assert_eq!(PostTag::TABLE.rowid_key(), None);
    // Typed column constants.
    let email: Column<User, String> = User::EMAIL;
    assert_eq!((email.name(), email.index()), ("email", 2));
    let published: Column<Post, bool> = Post::PUBLISHED;
    assert_eq!(published.name(), "is_published");
}

#[test]
fn values_round_trip_and_keys() {
    let mut u = User {
        id: 0,
        name: "Ann".into(),
        email: "ann@example.com".into(),
        is_active: true,
        created_at: None,
    };
    let values = u.to_values();
    assert_eq!(values[3], Value::Integer(1));
    assert_eq!(values[4], Value::Null);
    assert_eq!(User::from_values(&values).unwrap(), u);
    u.set_rowid(42).unwrap();
    assert_eq!(u.id, 42);
    assert_eq!(u.primary_key(), [Value::Integer(42)]);
    let err = User::from_values(&values[..2]).unwrap_err();
    assert!(
        matches!(
            err,
            OrmError::RowWidth {
                expected: 5,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    let mut bad = values.clone();
    bad[2] = Value::Integer(7);
    let err = User::from_values(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reading User.email (column `email`): cannot read INTEGER 7 as text"
    );
    assert_eq!(err.class(), crate::client::ErrorClass::Programming);
}

#[test]
fn rust_models_and_models_toml_give_the_same_schema() {
    let from_rust = metadata().schema().unwrap();
    let from_toml = crate::models::load_toml_str("models.toml", MODELS_TOML).unwrap();
    assert_eq!(from_rust, from_toml);
    // What MetaData writes loads back to the same schema.
    let written = metadata().to_toml().unwrap();
    let back: Schema = crate::models::load_toml_str("written.toml", &written).unwrap();
    assert_eq!(back, from_rust);
}

#[test]
fn db_enum_declares_and_converts_its_values() {
    assert_eq!(State::DECLARED, "enum('draft','in review')");
    assert_eq!(State::InReview.to_value(), Value::Text("in review".into()));
    assert_eq!(
        State::from_value(&Value::Text("draft".into())),
        Ok(State::Draft)
    );
    let err = State::from_value(&Value::Text("Draft".into())).unwrap_err();
    assert_eq!(err.expected, "one of 'draft', 'in review'");
    assert!(State::from_value(&Value::Integer(0)).is_err());
    assert_eq!(
        <Option<State> as FieldType>::from_value(&Value::Null),
        Ok(None)
    );
    assert_eq!(
        crate::types::DeclaredType::parse(State::DECLARED)
            .unwrap()
            .to_string(),
        State::DECLARED
    );
}

#[test]
fn metadata_errors_name_the_model_and_field() {
    #[derive(Model)]
    struct Bad {
        #[dqmig(sql_type = "integer")]
        name: String,
    }
    let e = MetaData::new().model::<Bad>().schema().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("model Bad: field `name`: sql_type = \"integer\""),
        "{e}"
    );

    #[derive(Model)]
    struct Unknown {
        #[dqmig(sql_type = "strnig(10)")]
        name: String,
    }
    let e = MetaData::new().model::<Unknown>().schema().unwrap_err();
    assert!(e.to_string().contains("unknown type `strnig(10)`"), "{e}");

    #[derive(Model)]
    struct Orphan {
        #[dqmig(references = "nowhere.id")]
        other: i64,
    }
    let e = MetaData::new().model::<Orphan>().schema().unwrap_err();
    assert!(e.to_string().contains("references table `nowhere`"), "{e}");

    #[derive(Model)]
    struct BadDefault {
        #[dqmig(default = "1 +")]
        n: i64,
    }
    let e = MetaData::new().model::<BadDefault>().schema().unwrap_err();
    assert!(e.to_string().contains("default = \"1 +\""), "{e}");
}

#[test]
fn statements_quote_identifiers_and_bind_values() {
    let u = User {
        id: 0,
        name: "Ann".into(),
        email: "a@x".into(),
        is_active: false,
        created_at: None,
    };
    let values = u.to_values();
    let ins = sql::insert(&User::TABLE, &values, |i| i != 0).unwrap();
    assert_eq!(
        ins.sql,
        r#"INSERT INTO "users" ("name", "email", "is_active", "created_at") VALUES (?, ?, ?, ?)"#
    );
    assert_eq!(ins.values, values[1..]);
    let upd = sql::update(
        &User::TABLE,
        &[(2, Value::Text("b@x".into()))],
        &[Value::Integer(3)],
    )
    .unwrap();
    assert_eq!(upd.sql, r#"UPDATE "users" SET "email" = ? WHERE "id" = ?"#);
    assert_eq!(upd.values, [Value::Text("b@x".into()), Value::Integer(3)]);
    let sel = sql::select_by_key(
        &PostTag::TABLE,
        &[Value::Integer(1), Value::Text("x".into())],
    )
    .unwrap();
    assert!(
        sel.sql
            .ends_with(r#"FROM "post_tag" WHERE "post_id" = ? AND "tag" = ?"#),
        "{}",
        sel.sql
    );
    let del = sql::delete(&User::TABLE, &[Value::Integer(3)]).unwrap();
    assert_eq!(del.sql, r#"DELETE FROM "users" WHERE "id" = ?"#);
    #[derive(Model)]
    #[dqmig(table = "we\"ird")]
    struct Weird {
        #[dqmig(primary_key, column = "a\"b")]
        id: i64,
    }
    let del = sql::delete(&Weird::TABLE, &[Value::Integer(3)]).unwrap();
    assert_eq!(del.sql, r#"DELETE FROM "we""ird" WHERE "a""b" = ?"#);
    let ins = sql::insert(&Weird::TABLE, &[Value::Null], |_| false).unwrap();
    assert_eq!(ins.sql, r#"INSERT INTO "we""ird" DEFAULT VALUES"#);
}
