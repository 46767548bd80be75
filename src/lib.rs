//! dqmig: Alembic for dqlite. A pure-Rust dqlite client, an embedded node over libdqlite,
//! and (in progress) the schema tooling and migrator built on them.

pub mod client;
pub mod node;
pub mod url;
pub mod schema;
pub mod types;
pub mod open;
pub mod models;
pub mod cli;
pub mod executor;
pub mod introspect;
pub mod script;
pub mod autogen;
pub mod config;
pub mod runner;
pub mod migrator;

// Lets `::dqmig::...` paths (used by `embed_migrations!`) resolve inside this crate too.
extern crate self as dqmig;

pub use migrator::{embed_migrations, Migrator};
