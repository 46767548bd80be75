//! dqmig: Alembic for dqlite. The schema model and its loaders (models.toml, schema.sql, a
//! models command), the introspector, autogenerate, revision files and their graph, and an
//! exactly-once migration runner, an ORM core ([`orm`]: derive models, metadata, a session, a typed query builder), over the pure-Rust dqlite client ([`client`], the
//! `dqmig-client` crate) and, with the `embedded` feature (default), an embedded node
//! ([`node`], the `dqmig-node` crate) for `dqlite:///` URLs.

pub use dqmig_client as client;
pub use dqmig_client::params;
#[cfg(feature = "embedded")]
pub use dqmig_node as node;
pub use dqmig_script as script;

pub mod autogen;
pub mod cluster;
pub mod config;
pub mod executor;
#[doc(hidden)]
pub mod fuzzing;
pub mod introspect;
pub mod migrator;
pub mod models;
pub mod open;
pub mod orm;
pub mod project;
pub mod runner;
pub mod schema;
pub mod tls;
pub mod types;
pub mod url;

// Lets `::dqmig::...` paths (used by `embed_migrations!`) resolve inside this crate too.
extern crate self as dqmig;

pub use migrator::{embed_migrations, Migrator};

/// The README's "Using it from Rust" section, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/readme_from_rust.md"))]
pub struct ReadmeUsingItFromRust;
