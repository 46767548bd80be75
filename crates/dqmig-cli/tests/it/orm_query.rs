//! The ORM's typed query builder on a real node: every form (comparisons, IN list and
//! subquery, BETWEEN, LIKE, GLOB, IS [NOT] NULL, AND/OR/NOT, ordering and paging, the four
//! joins, GROUP BY/HAVING with each aggregate, scalar/IN/EXISTS subqueries, a CTE and a
//! recursive one) run and compared with the same query written by hand in SQL on the same
//! data; the terminal operations (first, one, all, count, exists), `query_as`, the
//! 255-parameter limit, and streaming 20,000 rows (dropping the stream early leaves the
//! connection usable).

use std::fmt::Debug;

use dqmig::client::{Connection, ToValue, Value};
use dqmig::orm::{
    count_star, exists, not_exists, query_as, select, Cte, FromRow, MetaData, Model, OrmError,
    Select, Session,
};

use crate::client::open;
use crate::support::start_node;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "q_users")]
struct User {
    #[dqmig(primary_key)]
    id: i64,
    name: String,
    email: String,
    age: i64,
    nickname: Option<String>,
}

/// No foreign key: posts whose user is missing (NULL or 99) exercise the outer joins.
#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "q_posts")]
struct Post {
    #[dqmig(primary_key)]
    id: i64,
    title: String,
    user_id: Option<i64>,
    views: i64,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "q_categories")]
struct Category {
    #[dqmig(primary_key)]
    id: i64,
    parent_id: Option<i64>,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "q_numbers")]
struct Number {
    #[dqmig(primary_key)]
    n: i64,
    label: String,
}

/// Never created: a query on it fails on the node.
#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "q_missing")]
struct Missing {
    #[dqmig(primary_key)]
    id: i64,
}

const USER_COLS: &str = "id, name, email, age, nickname";

fn seed(c: &mut Connection) {
    MetaData::new()
        .model::<User>()
        .model::<Post>()
        .model::<Category>()
        .create_all(c)
        .unwrap();
    c.execute_batch(
        "INSERT INTO q_users VALUES
           (1, 'alice', 'alice@example.com', 30, 'ali'),
           (2, 'bob', 'bob@example.com', 17, NULL),
           (3, 'carol', 'carol@example.org', 45, 'caz'),
           (4, 'dave', 'dave@example.org', 17, NULL),
           (5, 'eve', 'Eve@Example.com', 62, 'evie');
         INSERT INTO q_posts VALUES
           (1, 'hello', 1, 10), (2, 'world', 1, 5), (3, 'rust', 3, 100),
           (4, 'orphan', NULL, 1), (5, 'ghost', 99, 7), (6, 'sql', 3, 20);
         INSERT INTO q_categories VALUES
           (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'a1'), (5, 4, 'a1x'),
           (6, NULL, 'other');",
    )
    .unwrap();
}

/// Runs the builder's query and the hand-written one; both give the same `expected` rows.
#[track_caller]
fn same<R: FromRow + PartialEq + Debug>(
    c: &mut Connection,
    q: &Select<R>,
    sql: &str,
    params: &[&dyn ToValue],
    expected: usize,
) -> Vec<R> {
    let built = q
        .all(c)
        .unwrap_or_else(|e| panic!("builder query {:?}: {e}", q.sql()));
    let hand: Vec<R> = c
        .query(sql, params)
        .unwrap_or_else(|e| panic!("hand-written {sql}: {e}"))
        .iter()
        .map(|r| R::read_row(r).unwrap())
        .collect();
    assert_eq!(built, hand, "builder {:?}\nhand {sql}", q.sql().unwrap());
    assert_eq!(built.len(), expected, "{built:?}");
    built
}

fn users() -> Select<User> {
    select::<User>()
}

#[test]
fn filters_match_hand_written_sql() {
    let t = start_node();
    let mut c = open(&t);
    seed(&mut c);
    let c = &mut c;
    let by_id = |q: Select<User>| q.order_by(User::ID.asc());
    let hand = |cond: &str| format!("SELECT {USER_COLS} FROM q_users WHERE {cond} ORDER BY id");

    same(
        c,
        &by_id(users().filter(User::AGE.eq(17))),
        &hand("age = ?"),
        &[&17],
        2,
    );
    same(
        c,
        &by_id(users().filter(User::AGE.ne(17))),
        &hand("age <> ?"),
        &[&17],
        3,
    );
    same(
        c,
        &by_id(users().filter(User::AGE.lt(30))),
        &hand("age < ?"),
        &[&30],
        2,
    );
    same(
        c,
        &by_id(users().filter(User::AGE.le(30))),
        &hand("age <= ?"),
        &[&30],
        3,
    );
    same(
        c,
        &by_id(users().filter(User::AGE.gt(30))),
        &hand("age > ?"),
        &[&30],
        2,
    );
    same(
        c,
        &by_id(users().filter(User::AGE.ge(45))),
        &hand("age >= ?"),
        &[&45],
        2,
    );
    let q = by_id(users().filter(User::NICKNAME.eq("caz")));
    same(c, &q, &hand("nickname = ?"), &[&"caz"], 1);
    let q = by_id(users().filter(User::AGE.is_in([17, 45])));
    same(c, &q, &hand("age IN (?, ?)"), &[&17, &45], 3);
    let q = by_id(users().filter(User::AGE.is_not_in([17, 45])));
    same(c, &q, &hand("age NOT IN (?, ?)"), &[&17, &45], 2);
    let q = by_id(users().filter(User::AGE.between(18, 45)));
    same(c, &q, &hand("age BETWEEN ? AND ?"), &[&18, &45], 2);
    // LIKE is ASCII case-insensitive (Eve@Example.com matches), GLOB is not.
    let q = by_id(users().filter(User::EMAIL.like("%@example.com")));
    same(c, &q, &hand("email LIKE ?"), &[&"%@example.com"], 3);
    let q = by_id(users().filter(User::EMAIL.glob("*@example.com")));
    same(c, &q, &hand("email GLOB ?"), &[&"*@example.com"], 2);
    let q = by_id(users().filter(User::NICKNAME.is_null()));
    same(c, &q, &hand("nickname IS NULL"), &[], 2);
    let q = by_id(users().filter(User::NICKNAME.is_not_null()));
    same(c, &q, &hand("nickname IS NOT NULL"), &[], 3);
    let q = by_id(
        users().filter(
            User::AGE
                .eq(17)
                .and(User::NICKNAME.is_null())
                .or(User::AGE.lt(60).not()),
        ),
    );
    let sql = hand("(age = ? AND nickname IS NULL) OR NOT (age < ?)");
    same(c, &q, &sql, &[&17, &60], 3);
    let q = by_id(users().filter(!(User::AGE.eq(17) | User::ID.eq(1))));
    same(c, &q, &hand("NOT (age = ? OR id = ?)"), &[&17, &1], 2);
    // Two filters are AND-ed.
    let q = by_id(users().filter(User::AGE.gt(20)).filter(User::AGE.lt(50)));
    same(c, &q, &hand("age > ? AND age < ?"), &[&20, &50], 2);

    // Ordering on two terms, limit and offset.
    let q = users()
        .order_by(User::AGE.desc())
        .order_by(User::ID.asc())
        .limit(2)
        .offset(1);
    let rows = same(
        c,
        &q,
        &format!("SELECT {USER_COLS} FROM q_users ORDER BY age DESC, id ASC LIMIT 2 OFFSET 1"),
        &[],
        2,
    );
    assert_eq!([rows[0].id, rows[1].id], [3, 1]);
    let q = users().order_by(User::ID.desc()).offset(3);
    let sql = format!("SELECT {USER_COLS} FROM q_users ORDER BY id DESC LIMIT -1 OFFSET 3");
    same(c, &q, &sql, &[], 2);

    // The SQL text and values of one of them.
    let sent = users().filter(User::AGE.between(18, 45)).sql().unwrap();
    assert_eq!(
        sent.sql,
        r#"SELECT "q_users"."id", "q_users"."name", "q_users"."email", "q_users"."age", "q_users"."nickname" FROM "q_users" WHERE "q_users"."age" BETWEEN ? AND ?"#
    );
    assert_eq!(sent.values, [Value::Integer(18), Value::Integer(45)]);
}

#[test]
fn joins_aggregates_subqueries_and_ctes_match_hand_written_sql() {
    let t = start_node();
    let mut c = open(&t);
    seed(&mut c);
    let c = &mut c;
    let on = User::ID.eq_col(Post::USER_ID);

    // The four joins, selecting columns into tuples (outer sides read as Option).
    let q = users()
        .columns((User::NAME, Post::TITLE))
        .join(Post::TABLE, on.clone())
        .order_by(Post::ID.asc());
    let sql =
        "SELECT u.name, p.title FROM q_users u JOIN q_posts p ON u.id = p.user_id ORDER BY p.id";
    let rows = same(c, &q, sql, &[], 4);
    assert_eq!(rows[0], ("alice".to_string(), "hello".to_string()));
    let q = users()
        .columns((User::NAME, Post::TITLE.nullable()))
        .left_join(Post::TABLE, on.clone())
        .order_by(User::ID.asc())
        .order_by(Post::ID.asc());
    let sql = "SELECT u.name, p.title FROM q_users u LEFT JOIN q_posts p ON u.id = p.user_id ORDER BY u.id, p.id";
    same(c, &q, sql, &[], 7);
    let q = users()
        .columns((User::NAME.nullable(), Post::TITLE))
        .right_join(Post::TABLE, on.clone())
        .order_by(Post::ID.asc());
    let sql = "SELECT u.name, p.title FROM q_users u RIGHT JOIN q_posts p ON u.id = p.user_id ORDER BY p.id";
    let rows = same(c, &q, sql, &[], 6);
    assert_eq!(rows[3], (None, "orphan".to_string()));
    let q = users()
        .columns((User::NAME.nullable(), Post::TITLE.nullable()))
        .full_join(Post::TABLE, on.clone())
        .order_by(User::ID.asc())
        .order_by(Post::ID.asc());
    let sql = "SELECT u.name, p.title FROM q_users u FULL JOIN q_posts p ON u.id = p.user_id ORDER BY u.id, p.id";
    same(c, &q, sql, &[], 9);

    // GROUP BY with every aggregate, and HAVING on each.
    let per_user = || {
        select::<Post>()
            .columns((
                Post::USER_ID,
                count_star(),
                Post::VIEWS.sum(),
                Post::VIEWS.avg(),
                Post::VIEWS.min(),
                Post::VIEWS.max(),
            ))
            .group_by(Post::USER_ID)
            .order_by(Post::USER_ID.asc())
    };
    let hand = |having: &str| {
        format!(
            "SELECT user_id, COUNT(*), SUM(views), AVG(views), MIN(views), MAX(views) FROM q_posts \
             GROUP BY user_id {having} ORDER BY user_id"
        )
    };
    let rows = same(c, &per_user(), &hand(""), &[], 4);
    assert_eq!(
        rows[1],
        (Some(1), 2, Some(15), Some(7.5), Some(5), Some(10))
    );
    let q = per_user().having(count_star().gt(1));
    same(c, &q, &hand("HAVING COUNT(*) > ?"), &[&1], 2);
    let q = per_user().having(Post::VIEWS.sum().ge(7));
    same(c, &q, &hand("HAVING SUM(views) >= ?"), &[&7], 3);
    let q = per_user().having(
        Post::VIEWS
            .avg()
            .gt(5.0)
            .and(Post::VIEWS.min().ge(5))
            .and(Post::VIEWS.max().lt(100)),
    );
    let sql = hand("HAVING AVG(views) > ? AND MIN(views) >= ? AND MAX(views) < ?");
    same(c, &q, &sql, &[&5.0, &5, &100], 2);
    let q = users().columns((User::NICKNAME.count(), count_star(), User::AGE.max()));
    let sql = "SELECT COUNT(nickname), COUNT(*), MAX(age) FROM q_users";
    let rows = same(c, &q, sql, &[], 1);
    assert_eq!(rows[0], (3, 5, Some(62)));

    // Subqueries: IN, EXISTS, NOT EXISTS, scalar in the select list and in a comparison.
    let q = users()
        .filter(
            User::ID.is_in_subquery(
                select::<Post>()
                    .columns((Post::USER_ID,))
                    .filter(Post::VIEWS.gt(6)),
            ),
        )
        .order_by(User::ID.asc());
    let sql = format!(
        "SELECT {USER_COLS} FROM q_users WHERE id IN (SELECT user_id FROM q_posts WHERE views > ?) ORDER BY id"
    );
    same(c, &q, &sql, &[&6], 2);
    let posts_of_user = || {
        select::<Post>()
            .columns((Post::ID,))
            .filter(Post::USER_ID.eq_col(User::ID))
    };
    let q = users()
        .filter(exists(posts_of_user()))
        .order_by(User::ID.asc());
    let sql = format!(
        "SELECT {USER_COLS} FROM q_users WHERE EXISTS (SELECT id FROM q_posts WHERE q_posts.user_id = q_users.id) ORDER BY id"
    );
    same(c, &q, &sql, &[], 2);
    let q = users()
        .filter(not_exists(posts_of_user()))
        .order_by(User::ID.asc());
    let sql = format!(
        "SELECT {USER_COLS} FROM q_users WHERE NOT EXISTS (SELECT id FROM q_posts WHERE q_posts.user_id = q_users.id) ORDER BY id"
    );
    same(c, &q, &sql, &[], 3);
    let post_count = select::<Post>()
        .columns((count_star(),))
        .filter(Post::USER_ID.eq_col(User::ID))
        .scalar();
    let q = users()
        .columns((User::NAME, post_count))
        .order_by(User::ID.asc());
    let sql = "SELECT name, (SELECT COUNT(*) FROM q_posts WHERE q_posts.user_id = q_users.id) FROM q_users ORDER BY id";
    let rows = same(c, &q, sql, &[], 5);
    assert_eq!(rows[0], ("alice".to_string(), Some(2)));
    let youngest_nicknamed = select::<User>()
        .columns((User::AGE.min(),))
        .filter(User::NICKNAME.is_not_null())
        .scalar()
        .flatten();
    let q = users()
        .filter(User::AGE.gt_col(youngest_nicknamed))
        .order_by(User::ID.asc());
    let sql = format!(
        "SELECT {USER_COLS} FROM q_users WHERE age > (SELECT MIN(age) FROM q_users WHERE nickname IS NOT NULL) ORDER BY id"
    );
    same(c, &q, &sql, &[], 2);
    let average_age = select::<User>()
        .columns((User::AGE.avg(),))
        .scalar()
        .flatten();
    let q = users()
        .filter(User::AGE.gt_col(average_age))
        .order_by(User::ID.asc());
    let sql = format!(
        "SELECT {USER_COLS} FROM q_users WHERE age > (SELECT AVG(age) FROM q_users) ORDER BY id"
    );
    same(c, &q, &sql, &[], 2);

    // A CTE, joined.
    let totals = Cte::new("totals", &["user_id", "total"]);
    let total = totals.col::<Option<i64>>("total");
    let q = users()
        .columns((User::NAME, total.clone()))
        .join(
            &totals,
            User::ID.eq_col(totals.col::<Option<i64>>("user_id")),
        )
        .filter(total.gt(10))
        .order_by(User::ID.asc())
        .with(
            &totals,
            select::<Post>()
                .columns((Post::USER_ID, Post::VIEWS.sum()))
                .group_by(Post::USER_ID),
        );
    let sql = "WITH totals(user_id, total) AS (SELECT user_id, SUM(views) FROM q_posts GROUP BY user_id)
               SELECT q_users.name, totals.total FROM q_users JOIN totals ON q_users.id = totals.user_id
               WHERE totals.total > ? ORDER BY q_users.id";
    let rows = same(c, &q, sql, &[&10], 2);
    assert_eq!(rows[1], ("carol".to_string(), Some(120)));

    // A recursive CTE: category 2 and everything below it.
    let tree = Cte::new("tree", &["id", "name"]);
    let anchor = select::<Category>()
        .columns((Category::ID, Category::NAME))
        .filter(Category::ID.eq(2));
    let step = select::<Category>()
        .columns((Category::ID, Category::NAME))
        .join(&tree, Category::PARENT_ID.eq_col(tree.col::<i64>("id")));
    let q = tree
        .select((tree.col::<i64>("id"), tree.col::<String>("name")))
        .order_by(tree.col::<i64>("id").asc())
        .with_recursive(&tree, anchor.union_all(step));
    let sql = "WITH RECURSIVE tree(id, name) AS (
                 SELECT id, name FROM q_categories WHERE id = ?
                 UNION ALL
                 SELECT c.id, c.name FROM q_categories c JOIN tree ON c.parent_id = tree.id)
               SELECT id, name FROM tree ORDER BY id";
    let rows = same(c, &q, sql, &[&2], 3);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4, 5]);
    assert_eq!(q.count(c).unwrap(), 3);
}

#[test]
fn terminal_operations_query_as_and_the_parameter_limit() {
    let t = start_node();
    let mut c = open(&t);
    seed(&mut c);
    let c = &mut c;

    let teens = users().filter(User::AGE.eq(17)).order_by(User::ID.asc());
    assert_eq!(teens.all(c).unwrap().len(), 2);
    assert_eq!(teens.first(c).unwrap().unwrap().name, "bob");
    assert_eq!(teens.clone().limit(0).first(c).unwrap(), None);
    assert_eq!(users().filter(User::AGE.gt(100)).first(c).unwrap(), None);
    // one: exactly one row, else NotOne (no row, two rows).
    let eve = users().filter(User::AGE.eq(62)).one(c).unwrap();
    assert_eq!(eve.email, "Eve@Example.com");
    let err = teens.one(c).unwrap_err();
    assert!(matches!(err, OrmError::NotOne { .. }), "{err}");
    assert!(err.to_string().contains("more than one row"), "{err}");
    let err = users().filter(User::AGE.gt(100)).one(c).unwrap_err();
    assert!(err.to_string().contains("no row"), "{err}");
    // one stopped reading early: the connection is in step.
    assert_eq!(users().count(c).unwrap(), 5);

    // count and exists against hand-written SQL.
    let hand_count = |c: &mut Connection, sql: &str, p: &[&dyn ToValue]| -> i64 {
        c.query_row(sql, p).unwrap().get(0).unwrap()
    };
    assert_eq!(
        teens.count(c).unwrap(),
        hand_count(c, "SELECT COUNT(*) FROM q_users WHERE age = ?", &[&17])
    );
    assert_eq!(users().limit(3).count(c).unwrap(), 3);
    assert!(teens.exists(c).unwrap());
    assert!(!users().filter(User::AGE.gt(100)).exists(c).unwrap());
    let sent = teens.sql().unwrap();
    assert!(!sent.sql.contains("17"), "{}", sent.sql);
    assert_eq!(sent.values, [Value::Integer(17)]);

    // query_as: raw SQL into models and tuples.
    let sql = format!("SELECT {USER_COLS} FROM q_users WHERE age > ? ORDER BY id");
    let raw: Vec<User> = query_as(c, &sql, &[&40]).unwrap();
    assert_eq!(
        raw,
        users()
            .filter(User::AGE.gt(40))
            .order_by(User::ID.asc())
            .all(c)
            .unwrap()
    );
    let pairs: Vec<(String, Option<String>)> =
        query_as(c, "SELECT name, nickname FROM q_users ORDER BY id", &[]).unwrap();
    assert_eq!(pairs[1], ("bob".to_string(), None));
    let err = query_as::<(i64,)>(c, "SELECT name FROM q_users", &[]).unwrap_err();
    assert!(err.to_string().contains("column 0 (`name`)"), "{err}");
    let err = query_as::<(i64, i64)>(c, "SELECT id FROM q_users", &[]).unwrap_err();
    assert!(
        matches!(
            err,
            OrmError::RowWidth {
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{err}"
    );

    // A database error names the SQL and keeps SQLite's message; the connection goes on.
    let err = select::<Missing>()
        .filter(Missing::ID.eq(1))
        .all(c)
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(r#"running `SELECT "q_missing"."id" FROM"#),
        "{text}"
    );
    assert!(text.contains("no such table: q_missing"), "{text}");
    assert_eq!(users().count(c).unwrap(), 5);

    // More than 255 bound values: an error that says so, before anything is sent.
    let before = c.requests_sent();
    let err = users().filter(User::ID.is_in(0..300)).all(c).unwrap_err();
    assert!(
        matches!(
            err,
            OrmError::TooManyParameters {
                count: 300,
                limit: 255
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("at most 255"), "{err}");
    assert_eq!(c.requests_sent(), before);
    assert_eq!(users().filter(User::ID.is_in(0..255)).count(c).unwrap(), 5);

    // Through a session: its connection runs queries between flushes.
    let mut session = Session::new(c);
    session.add(User {
        id: 0,
        name: "frank".into(),
        email: "frank@example.com".into(),
        age: 17,
        nickname: None,
    });
    session.flush().unwrap();
    assert_eq!(teens.count(session.connection()).unwrap(), 3);
    session.rollback().unwrap();
    drop(session);
    assert_eq!(teens.count(c).unwrap(), 2);
}

#[test]
fn streaming_reads_every_row_without_buffering_and_stops_early() {
    let t = start_node();
    let mut c = open(&t);
    MetaData::new()
        .model::<Number>()
        .create_all(&mut c)
        .unwrap();
    c.execute_batch(
        "INSERT INTO q_numbers (n, label) WITH RECURSIVE c(x) AS
           (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
         SELECT x, printf('n-%05d', x) FROM c;",
    )
    .unwrap();
    let q = select::<Number>().order_by(Number::N.asc());
    let mut rows = q.iter(&mut c).unwrap();
    let mut expected = 1;
    for row in rows.by_ref() {
        let row = row.unwrap();
        assert_eq!(row.n, expected);
        assert_eq!(row.label, format!("n-{expected:05}"));
        expected += 1;
    }
    assert_eq!(expected, 20_001);
    assert!(rows.batches() > 1, "20,000 rows came in one batch");
    drop(rows);

    // Dropped after a few rows: the query is interrupted and the connection stays usable.
    let mut rows = q.iter(&mut c).unwrap();
    let first: Vec<Number> = rows.by_ref().take(3).map(Result::unwrap).collect();
    assert_eq!(first[2].n, 3);
    drop(rows);
    assert_eq!(select::<Number>().count(&mut c).unwrap(), 20_000);
    let (n, label) = select::<Number>()
        .columns((Number::N, Number::LABEL))
        .filter(Number::N.eq(12_345))
        .one(&mut c)
        .unwrap();
    assert_eq!((n, label.as_str()), (12_345, "n-12345"));
}
