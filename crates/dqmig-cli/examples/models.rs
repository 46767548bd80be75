//! An app's models declared in Rust, printed as models TOML: what `models_command` in
//! dqmig.toml runs, so `dqmig revision --autogenerate` and `dqmig check` compare the
//! database with these structs (no models.toml to keep in step by hand).
//!
//! ```toml
//! # dqmig.toml of the app
//! url = "dqlite:///127.0.0.1:9001/./.dqmig/app.db"
//! migrations = "migrations"
//! models_command = "cargo run -q -p dqmig-cli --example models"
//! ```
//!
//! In an app of your own the program is one of its binaries (`cargo run -q --bin models`)
//! that uses the same model structs as the app. A model the metadata refuses (an unknown
//! `sql_type`, a reference to an undeclared table) is printed on stderr and exits 2, which
//! dqmig reports with the command's stderr.

use chrono::{DateTime, NaiveDateTime, Utc};
use dqmig::orm::{DbEnum, MetaData, Model};
use std::process::ExitCode;

/// A post's state, stored as `draft` / `published` (declared `enum('draft','published')`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum)]
#[dqmig(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Published,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "users")]
pub struct User {
    #[dqmig(primary_key)]
    pub id: i64,
    #[dqmig(sql_type = "string(100)")]
    pub name: String,
    #[dqmig(sql_type = "string(255)", unique, index)]
    pub email: String,
    #[dqmig(default = "1")]
    pub is_active: bool,
    #[dqmig(default = "CURRENT_TIMESTAMP")]
    pub created_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "posts")]
pub struct Post {
    #[dqmig(primary_key)]
    pub id: i64,
    #[dqmig(sql_type = "string(200)")]
    pub title: String,
    pub content: Option<String>,
    #[dqmig(references = "users.id", on_delete = "cascade", index)]
    pub user_id: i64,
    #[dqmig(default = "'draft'")]
    pub status: Status,
    pub published_at: Option<DateTime<Utc>>,
}

/// Every model of the app.
pub fn metadata() -> MetaData {
    MetaData::new().model::<User>().model::<Post>()
}

fn main() -> ExitCode {
    match metadata().to_toml() {
        Ok(toml) => {
            print!("{toml}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("models: {e}");
            ExitCode::from(2)
        }
    }
}
