//! Bulk writes on a real node: `insert_many` of 100,000 rows in one call (chunked under the
//! 255-parameter limit, generated keys written back from `last_insert_id`), a duplicate key at
//! row 60,000 leaving no row at all, mixed given and generated keys, the caller's transaction
//! kept, `update_many` by primary key (single and composite keys), `delete_many` by a
//! filter, and numbered and keyset pages compared with LIMIT/OFFSET written by hand.

use dqmig::client::{Connection, ErrorClass, Value};
use dqmig::orm::{delete_many, insert_many, select, update_many, MetaData, Model, MAX_PARAMETERS};

use crate::client::open;
use crate::support::start_node;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "bulk_posts")]
struct Post {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(unique)]
    slug: String,
    title: String,
    views: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "bulk_members")]
struct Member {
    #[dqmig(primary_key)]
    group_id: i64,
    #[dqmig(primary_key)]
    user_id: i64,
    role: String,
}

fn post(i: usize) -> Post {
    Post {
        id: 0,
        slug: format!("post-{i}"),
        title: format!("Post number {i}"),
        views: (!i.is_multiple_of(3)).then_some(i as i64),
    }
}

fn count(c: &mut Connection, table: &str) -> i64 {
    let rows = c
        .query(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap();
    rows.rows[0].get::<i64>(0).unwrap()
}

fn setup() -> (crate::support::TestNode, Connection) {
    let t = start_node();
    let mut c = open(&t);
    MetaData::new()
        .model::<Post>()
        .model::<Member>()
        .create_all(&mut c)
        .expect("creating the bulk tables");
    (t, c)
}

#[test]
fn insert_many_writes_100k_rows_in_one_call_and_a_duplicate_at_row_60000_writes_none() {
    let (_t, mut c) = setup();

    // A duplicate slug at row 60,000: the whole call fails and leaves nothing.
    let mut bad: Vec<Post> = (0..100_000).map(post).collect();
    bad[60_000].slug = bad[10].slug.clone();
    let err = insert_many(&mut c, &mut bad).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Integrity, "{err}");
    assert!(
        err.server_message().unwrap().contains("bulk_posts.slug"),
        "{err}"
    );
    assert!(
        err.to_string().contains("objects 5"),
        "names the chunk: {err}"
    );
    assert!(!c.in_transaction());
    assert_eq!(
        count(&mut c, "bulk_posts"),
        0,
        "a failed bulk insert left rows"
    );

    let mut posts: Vec<Post> = (0..100_000).map(post).collect();
    let done = insert_many(&mut c, &mut posts).unwrap();
    assert_eq!(done.rows, 100_000);
    // 3 columns bound per row (the key is generated): 85 rows per statement.
    assert_eq!(done.statements, 100_000usize.div_ceil(MAX_PARAMETERS / 3));
    assert_eq!(count(&mut c, "bulk_posts"), 100_000);
    // Every written-back key is the row's: compare with the database.
    let rows = c
        .query("SELECT id, slug FROM bulk_posts ORDER BY id", &[])
        .unwrap();
    assert_eq!(rows.rows.len(), 100_000);
    for (row, p) in rows.rows.iter().zip(&posts) {
        assert_eq!(row.get::<i64>(0).unwrap(), p.id);
        assert_eq!(row.get::<String>(1).unwrap(), p.slug);
    }
}

#[test]
fn insert_many_mixes_given_and_generated_keys_and_keeps_the_callers_transaction() {
    let (_t, mut c) = setup();
    let mut first = vec![
        Post {
            id: 1000,
            ..post(0)
        },
        post(1),
        post(2),
        Post { id: 5, ..post(3) },
        post(4),
    ];
    let done = insert_many(&mut c, &mut first).unwrap();
    assert_eq!(done.rows, 5);
    assert_eq!(
        done.statements, 4,
        "runs of given and generated keys go separately"
    );
    assert_eq!(
        first.iter().map(|p| p.id).collect::<Vec<_>>(),
        [1000, 1001, 1002, 5, 1003]
    );
    let ids = c
        .query("SELECT id FROM bulk_posts ORDER BY slug", &[])
        .unwrap();
    let ids: Vec<i64> = ids.rows.iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(ids, [1000, 1001, 1002, 5, 1003]);

    // Inside the caller's transaction: nothing is committed until the caller says so.
    let mut tx = c.transaction().unwrap();
    let mut more: Vec<Post> = (10..20).map(post).collect();
    insert_many(&mut tx, &mut more).unwrap();
    assert!(
        tx.in_transaction(),
        "insert_many ended the caller's transaction"
    );
    tx.rollback().unwrap();
    assert_eq!(count(&mut c, "bulk_posts"), 5);
}

#[test]
fn update_many_writes_every_column_by_key_in_chunks() {
    let (_t, mut c) = setup();
    let mut posts: Vec<Post> = (0..1_000).map(post).collect();
    insert_many(&mut c, &mut posts).unwrap();
    for p in &mut posts {
        p.title = format!("{} (edited)", p.title);
        p.views = p.views.map_or(Some(-1), |_| None);
    }
    // A key that matches no row is not an error, and is not counted.
    posts.push(Post {
        id: 999_999,
        ..post(5_000)
    });
    let done = update_many(&mut c, &posts).unwrap();
    assert_eq!(done.rows, 1_000);
    assert_eq!(done.statements, 1_001usize.div_ceil(MAX_PARAMETERS / 4));
    let rows = c
        .query(
            "SELECT id, slug, title, views FROM bulk_posts ORDER BY id",
            &[],
        )
        .unwrap();
    let back: Vec<Post> = rows
        .rows
        .iter()
        .map(|r| Post::from_row(r).unwrap())
        .collect();
    assert_eq!(back, posts[..1_000]);

    let mut members: Vec<Member> = (0..300)
        .map(|i| Member {
            group_id: i / 100,
            user_id: i,
            role: "reader".into(),
        })
        .collect();
    insert_many(&mut c, &mut members).unwrap();
    for m in members.iter_mut().filter(|m| m.group_id == 1) {
        m.role = "editor".into();
    }
    assert_eq!(update_many(&mut c, &members).unwrap().rows, 300);
    let editors = c
        .query(
            "SELECT count(*) FROM bulk_members WHERE role = ? AND group_id = 1",
            dqmig::params!["editor"],
        )
        .unwrap();
    assert_eq!(editors.rows[0].get::<i64>(0).unwrap(), 100);
    assert_eq!(count(&mut c, "bulk_members"), 300);
    // The values were bound, never pasted: a title with quotes and a statement in it.
    let mut odd = vec![Post {
        title: "x'); DROP TABLE bulk_posts; --".into(),
        ..posts[0].clone()
    }];
    update_many(&mut c, &odd).unwrap();
    odd[0].id = 0;
    odd[0].slug = "odd".into();
    insert_many(&mut c, &mut odd).unwrap();
    let titles = c
        .query(
            "SELECT count(*) FROM bulk_posts WHERE title = ?",
            &[&Value::Text(odd[0].title.clone())],
        )
        .unwrap();
    assert_eq!(titles.rows[0].get::<i64>(0).unwrap(), 2);
}

#[test]
fn delete_many_by_filter_and_pages_numbered_and_keyset() {
    let (_t, mut c) = setup();
    let mut posts: Vec<Post> = (0..1_000).map(post).collect();
    insert_many(&mut c, &mut posts).unwrap();

    // Numbered pages over a filtered query: the same rows as LIMIT/OFFSET by hand.
    let q = select::<Post>()
        .filter(Post::VIEWS.is_not_null())
        .order_by(Post::ID.asc());
    let pages = q.paginate(70);
    let total = c
        .query(
            "SELECT count(*) FROM bulk_posts WHERE views IS NOT NULL",
            &[],
        )
        .unwrap();
    let total: u64 = total.rows[0].get::<i64>(0).unwrap() as u64;
    assert_eq!(pages.total(&mut c).unwrap(), total);
    let third = pages.page(&mut c, 3).unwrap();
    assert_eq!(
        (third.number, third.total, third.pages),
        (3, total, total.div_ceil(70))
    );
    assert!(third.has_next());
    let by_hand = c
        .query(
            "SELECT id, slug, title, views FROM bulk_posts WHERE views IS NOT NULL ORDER BY id LIMIT 70 OFFSET 140",
            &[],
        )
        .unwrap();
    let by_hand: Vec<Post> = by_hand.iter().map(|r| Post::from_row(r).unwrap()).collect();
    assert_eq!(third.items, by_hand);
    let last = pages.page(&mut c, third.pages).unwrap();
    assert!(!last.has_next());
    assert_eq!(last.items.len() as u64, total - 70 * (third.pages - 1));
    assert!(pages
        .page(&mut c, third.pages + 1)
        .unwrap()
        .items
        .is_empty());

    // Keyset pages: every filtered row once, in key order, whatever order the query had.
    let mut seek = select::<Post>()
        .filter(Post::VIEWS.is_not_null())
        .order_by(Post::TITLE.desc())
        .keyset(Post::ID, 64);
    let mut seen = Vec::new();
    let mut batches = 0;
    while let Some(batch) = seek.next_page(&mut c).unwrap() {
        assert!(batch.len() <= 64);
        batches += 1;
        seen.extend(batch.into_iter().map(|p| p.id));
    }
    let want: Vec<i64> = posts
        .iter()
        .filter(|p| p.views.is_some())
        .map(|p| p.id)
        .collect();
    assert_eq!(seen, want);
    assert_eq!(batches as u64, total.div_ceil(64));
    assert!(seek.next_page(&mut c).unwrap().is_none());

    // delete_many: one statement, the filter's rows only.
    let gone =
        delete_many::<Post>(&mut c, Post::VIEWS.is_null().or(Post::ID.lt(posts[10].id))).unwrap();
    let left = count(&mut c, "bulk_posts");
    assert_eq!(gone as i64 + left, 1_000);
    assert_eq!(
        left,
        posts
            .iter()
            .filter(|p| p.views.is_some() && p.id >= posts[10].id)
            .count() as i64
    );
}
