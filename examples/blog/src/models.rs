//! The seed's models: users and their posts.

use chrono::NaiveDateTime;
use dqmig::orm::{MetaData, Model, Relation};

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "users")]
pub struct User {
    #[dqmig(primary_key)]
    pub id: i64,
    #[dqmig(sql_type = "string(100)")]
    pub name: String,
    #[dqmig(sql_type = "string(255)", unique)]
    pub email: String,
    #[dqmig(default = "1")]
    pub is_active: bool,
    #[dqmig(default = "CURRENT_TIMESTAMP")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "posts")]
pub struct Post {
    #[dqmig(primary_key)]
    pub id: i64,
    #[dqmig(sql_type = "string(200)")]
    pub title: String,
    pub content: Option<String>,
    #[dqmig(index)]
    pub user_id: i64,
    #[dqmig(default = "0")]
    pub published: bool,
    #[dqmig(default = "CURRENT_TIMESTAMP")]
    pub created_at: NaiveDateTime,
}

impl User {
    /// `relationship("Post", back_populates="author")`; deleting a user deletes their posts.
    pub const POSTS: Relation<User, Post> =
        Relation::has_many(User::ID, Post::USER_ID).on_delete("cascade");
}

impl Post {
    pub const AUTHOR: Relation<Post, User> = Relation::belongs_to(Post::USER_ID, User::ID);
}

/// The app's metadata: what `blog --models` prints for autogenerate and check.
pub fn metadata() -> MetaData {
    MetaData::new()
        .model::<User>()
        .model::<Post>()
        .relation(User::POSTS)
}
