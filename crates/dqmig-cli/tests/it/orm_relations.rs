//! Relationships and loading strategies on a real node, with the number of requests each
//! strategy sends counted by the client: lazy (1), select-in (1 per 255 - bound values
//! keys), subquery (2), joined (1), nested (one per level); each compared with the same
//! data read by hand-written SQL. Also belongs-to, has-one, many-to-many, and the foreign
//! keys relationships add to the schema.

use std::collections::BTreeMap;

use dqmig::client::Connection;
use dqmig::orm::{insert_many, select, MetaData, Model, Relation, MAX_PARAMETERS};
use dqmig::schema::FkAction;

use crate::client::open;
use crate::support::start_node;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "users")]
struct User {
    #[dqmig(primary_key)]
    id: i64,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "posts")]
struct Post {
    #[dqmig(primary_key)]
    id: i64,
    user_id: i64,
    title: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "comments")]
struct Comment {
    #[dqmig(primary_key)]
    id: i64,
    post_id: i64,
    body: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "profiles")]
struct Profile {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(unique)]
    user_id: Option<i64>,
    bio: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "tags")]
struct Tag {
    #[dqmig(primary_key)]
    id: i64,
    label: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "post_tags")]
struct PostTag {
    #[dqmig(primary_key)]
    post_id: i64,
    #[dqmig(primary_key)]
    tag_id: i64,
}

impl User {
    const POSTS: Relation<User, Post> =
        Relation::has_many(User::ID, Post::USER_ID).on_delete("cascade");
    const PROFILE: Relation<User, Profile> = Relation::has_one(User::ID, Profile::USER_ID);
}

impl Post {
    const AUTHOR: Relation<Post, User> = Relation::belongs_to(Post::USER_ID, User::ID);
    const COMMENTS: Relation<Post, Comment> =
        Relation::has_many(Post::ID, Comment::POST_ID).on_delete("cascade");
    const TAGS: Relation<Post, Tag> =
        Relation::many_to_many(Post::ID, PostTag::POST_ID, PostTag::TAG_ID, Tag::ID)
            .on_delete("cascade");
}

fn metadata() -> MetaData {
    MetaData::new()
        .model::<User>()
        .model::<Post>()
        .model::<Comment>()
        .model::<Profile>()
        .model::<Tag>()
        .model::<PostTag>()
        .relation(User::POSTS)
        .relation(User::PROFILE)
        .relation(Post::COMMENTS)
        .relation(Post::TAGS)
}

/// `users` users; user `u` has `u % 4` posts (some none), each post `p` has `p % 3`
/// comments and tags `p % 5` and `(p + 1) % 5`; every other user has a profile.
fn seed(c: &mut Connection, users: i64) {
    metadata().create_all(c).expect("creating the tables");
    let mut u: Vec<User> = (1..=users)
        .map(|i| User {
            id: i,
            name: format!("user {i}"),
        })
        .collect();
    insert_many(c, &mut u).unwrap();
    let mut posts = Vec::new();
    for user in 1..=users {
        for k in 0..user % 4 {
            posts.push(Post {
                id: 0,
                user_id: user,
                title: format!("post {k} of {user}"),
            });
        }
    }
    insert_many(c, &mut posts).unwrap();
    let mut comments: Vec<Comment> = posts
        .iter()
        .flat_map(|p| {
            (0..p.id % 3).map(move |k| Comment {
                id: 0,
                post_id: p.id,
                body: format!("c{k}"),
            })
        })
        .collect();
    insert_many(c, &mut comments).unwrap();
    let mut tags: Vec<Tag> = (1..=5)
        .map(|i| Tag {
            id: i,
            label: format!("tag{i}"),
        })
        .collect();
    insert_many(c, &mut tags).unwrap();
    let mut links: Vec<PostTag> = posts
        .iter()
        .flat_map(|p| {
            [p.id % 5 + 1, (p.id + 1) % 5 + 1].map(|t| PostTag {
                post_id: p.id,
                tag_id: t,
            })
        })
        .collect();
    insert_many(c, &mut links).unwrap();
    let mut profiles: Vec<Profile> = (1..=users)
        .step_by(2)
        .map(|i| Profile {
            id: 0,
            user_id: Some(i),
            bio: format!("bio {i}"),
        })
        .collect();
    insert_many(c, &mut profiles).unwrap();
}

/// Posts by user id, read with hand-written SQL, ordered by post id.
fn posts_by_hand(c: &mut Connection) -> BTreeMap<i64, Vec<Post>> {
    let rows = c
        .query("SELECT id, user_id, title FROM posts ORDER BY id", &[])
        .unwrap();
    let mut by_user: BTreeMap<i64, Vec<Post>> = BTreeMap::new();
    for r in rows.iter() {
        let p = Post::from_row(r).unwrap();
        by_user.entry(p.user_id).or_default().push(p);
    }
    by_user
}

/// Runs `f` three times and counts the requests of the last run: the client sends a
/// statement's text the first time, prepares it the second (one more request) and runs the
/// cached statement from then on, so each query is then one request.
fn counted<T>(c: &mut Connection, f: impl Fn(&mut Connection) -> T) -> (T, u64) {
    f(c);
    f(c);
    let before = c.requests_sent();
    let out = f(c);
    (out, c.requests_sent() - before)
}

#[test]
fn each_loading_strategy_sends_the_queries_it_promises_and_loads_the_same_rows() {
    let t = start_node();
    let mut c = open(&t);
    seed(&mut c, 1_000);
    let expected = posts_by_hand(&mut c);
    let users = select::<User>()
        .order_by(User::ID.asc())
        .all(&mut c)
        .unwrap();
    assert_eq!(users.len(), 1_000);
    let want: Vec<Vec<Post>> = users
        .iter()
        .map(|u| expected.get(&u.id).cloned().unwrap_or_default())
        .collect();

    // Lazy: one query for one object.
    let (posts, n) = counted(&mut c, |c| {
        User::POSTS
            .of(&users[6])
            .order_by(Post::ID.asc())
            .all(c)
            .unwrap()
    });
    assert_eq!((posts, n), (want[6].clone(), 1));

    // Select-in: 1,000 parents in ceil(1000 / 255) = 4 queries ...
    let (loaded, n) = counted(&mut c, |c| {
        User::POSTS
            .select_in(c, &users, |q| q.order_by(Post::ID.asc()))
            .unwrap()
    });
    assert_eq!(n, 4);
    assert_eq!(loaded, want);
    // ... and with 20 more bound values in the query, lists of 235: 5 queries, none over
    // the limit (the client refuses a statement binding more than 255 values).
    let titles: Vec<String> = (0..20).map(|k| format!("post {} of 7", k % 3)).collect();
    let (filtered, n) = counted(&mut c, |c| {
        User::POSTS
            .select_in(c, &users, |q| {
                q.filter(Post::TITLE.ne("x").or(Post::TITLE.is_in(titles.clone())))
                    .order_by(Post::ID.asc())
            })
            .unwrap()
    });
    assert_eq!(n as usize, 1_000usize.div_ceil(MAX_PARAMETERS - 21));
    assert_eq!(filtered, want);

    // Subquery: two queries whatever the number of parents.
    let parents = select::<User>().order_by(User::ID.asc());
    let (pairs, n) = counted(&mut c, |c| User::POSTS.load_subquery(c, &parents).unwrap());
    assert_eq!(n, 2);
    let (us, ps): (Vec<User>, Vec<Vec<Post>>) = pairs.into_iter().unzip();
    assert_eq!(us, users);
    let mut ps = ps;
    ps.iter_mut().for_each(|v| v.sort_by_key(|p| p.id));
    assert_eq!(ps, want);

    // Joined: one query; each parent once, in the query's order (descending here), users
    // without posts kept with none.
    let newest_first = select::<User>().order_by(User::ID.desc());
    let (pairs, n) = counted(&mut c, |c| {
        User::POSTS.load_joined(c, &newest_first).unwrap()
    });
    assert_eq!(n, 1);
    assert_eq!(pairs.len(), 1_000);
    for (k, (u, posts)) in pairs.into_iter().enumerate() {
        assert_eq!(u.id, 1_000 - k as i64);
        let mut posts = posts;
        posts.sort_by_key(|p| p.id);
        assert_eq!(posts, expected.get(&u.id).cloned().unwrap_or_default());
    }
    // A LIMIT counts parents, not joined rows.
    let some = select::<User>()
        .filter(User::ID.gt(100))
        .order_by(User::ID.asc())
        .limit(5)
        .offset(2);
    let pairs = User::POSTS.load_joined(&mut c, &some).unwrap();
    let ids: Vec<i64> = pairs.iter().map(|(u, _)| u.id).collect();
    assert_eq!(ids, [103, 104, 105, 106, 107]);
    assert_eq!(
        pairs.iter().map(|(_, p)| p.len()).sum::<usize>(),
        (103..=107).map(|u| u % 4).sum::<usize>()
    );
}

#[test]
fn belongs_to_has_one_many_to_many_and_nested_loading() {
    let t = start_node();
    let mut c = open(&t);
    seed(&mut c, 60);
    let posts = select::<Post>()
        .order_by(Post::ID.asc())
        .all(&mut c)
        .unwrap();

    // Many-to-one: authors shared by several posts are loaded once and handed to each.
    let (authors, n) = counted(&mut c, |c| {
        Post::AUTHOR.select_in(c, &posts, |q| q).unwrap()
    });
    assert_eq!(n, 1);
    for (p, a) in posts.iter().zip(&authors) {
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].id, p.user_id);
    }

    // One-to-one, with parents that have none.
    let users = select::<User>()
        .order_by(User::ID.asc())
        .all(&mut c)
        .unwrap();
    let profiles = User::PROFILE.select_in(&mut c, &users, |q| q).unwrap();
    for (u, p) in users.iter().zip(&profiles) {
        let want: Vec<Option<i64>> = if u.id % 2 == 1 {
            vec![Some(u.id)]
        } else {
            vec![]
        };
        assert_eq!(p.iter().map(|p| p.user_id).collect::<Vec<_>>(), want);
    }

    // Many-to-many through post_tags, every strategy.
    let want: Vec<Vec<i64>> = posts
        .iter()
        .map(|p| {
            let mut v = vec![p.id % 5 + 1, (p.id + 1) % 5 + 1];
            v.sort();
            v
        })
        .collect();
    let ids = |tags: &[Tag]| {
        let mut v: Vec<i64> = tags.iter().map(|t| t.id).collect();
        v.sort();
        v
    };
    let lazy: Vec<Vec<i64>> = posts
        .iter()
        .map(|p| ids(&Post::TAGS.of(p).all(&mut c).unwrap()))
        .collect();
    assert_eq!(lazy, want);
    let (sel, n) = counted(&mut c, |c| Post::TAGS.select_in(c, &posts, |q| q).unwrap());
    assert_eq!(n, 1);
    assert_eq!(sel.iter().map(|t| ids(t)).collect::<Vec<_>>(), want);
    let all_posts = select::<Post>().order_by(Post::ID.asc());
    let sub = Post::TAGS.load_subquery(&mut c, &all_posts).unwrap();
    assert_eq!(sub.iter().map(|(_, t)| ids(t)).collect::<Vec<_>>(), want);
    let (joined, n) = counted(&mut c, |c| Post::TAGS.load_joined(c, &all_posts).unwrap());
    assert_eq!(n, 1);
    assert_eq!(
        joined.iter().map(|(p, _)| p.id).collect::<Vec<_>>(),
        posts.iter().map(|p| p.id).collect::<Vec<_>>()
    );
    assert_eq!(joined.iter().map(|(_, t)| ids(t)).collect::<Vec<_>>(), want);

    // Nested: users -> posts -> comments, one query per level.
    let nested = |c: &mut Connection| {
        let users = select::<User>().order_by(User::ID.asc()).all(c).unwrap();
        let posts = User::POSTS
            .select_in(c, &users, |q| q.order_by(Post::ID.asc()))
            .unwrap();
        let flat: Vec<Post> = posts.into_iter().flatten().collect();
        let comments = Post::COMMENTS
            .select_in(c, &flat, |q| q.order_by(Comment::ID.asc()))
            .unwrap();
        (flat, comments)
    };
    let ((flat, comments), n) = counted(&mut c, nested);
    assert_eq!(n, 3);
    assert_eq!(flat.len(), posts.len());
    for (p, cs) in flat.iter().zip(&comments) {
        assert_eq!(cs.len() as i64, p.id % 3, "comments of post {}", p.id);
        assert!(cs.iter().all(|k| k.post_id == p.id));
    }
}

#[test]
fn relationships_add_their_foreign_keys_to_the_schema() {
    let schema = metadata().schema().unwrap();
    let fk = |table: &str, column: &str| {
        schema.tables[&dqmig::schema::Ident::new(table)]
            .foreign_keys
            .iter()
            .find(|fk| fk.columns == [dqmig::schema::Ident::new(column)])
            .cloned()
            .unwrap_or_else(|| panic!("no foreign key on {table}.{column}"))
    };
    assert_eq!(fk("posts", "user_id").on_delete, FkAction::Cascade);
    assert_eq!(
        fk("posts", "user_id").ref_table,
        dqmig::schema::Ident::new("users")
    );
    assert_eq!(fk("profiles", "user_id").on_delete, FkAction::NoAction);
    assert_eq!(
        fk("post_tags", "tag_id").ref_table,
        dqmig::schema::Ident::new("tags")
    );
    assert_eq!(fk("post_tags", "post_id").on_delete, FkAction::Cascade);
    // The database holds to them: deleting a user (one without a profile) deletes their posts.
    let t = start_node();
    let mut c = open(&t);
    seed(&mut c, 10);
    c.execute_batch("PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = 6")
        .unwrap();
    let left = c
        .query("SELECT count(*) FROM posts WHERE user_id = 6", &[])
        .unwrap();
    assert_eq!(left.rows[0].get::<i64>(0).unwrap(), 0);

    // A relationship naming another target than the column's `references` is an error.
    #[derive(Debug, Clone, Model)]
    #[dqmig(table = "notes")]
    struct Note {
        #[dqmig(primary_key)]
        id: i64,
        #[dqmig(references = "posts.id")]
        user_id: i64,
    }
    let wrong: Relation<User, Note> = Relation::has_many(User::ID, Note::USER_ID);
    let err = MetaData::new()
        .model::<User>()
        .model::<Post>()
        .model::<Note>()
        .relation(wrong)
        .schema()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("references posts.id but a relationship says users.id"),
        "{err}"
    );
}
