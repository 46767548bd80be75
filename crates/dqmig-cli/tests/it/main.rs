//! Integration tests: one binary, themed modules, real dqlite nodes.

#[allow(dead_code)]
mod support;

mod apps;
mod autogen;
mod autogen_prop;
mod big_tx;
mod blog;
mod catalog;
mod cli;
mod cli_author;
mod cli_faults;
mod cli_init;
mod cli_revision_sql;
mod cli_run;
mod client;
mod client_admin;
mod client_bench;
mod client_cluster;
mod client_guard;
mod client_tx;
mod cluster;
mod concurrency;
mod config;
mod crash;
mod embedded_owner;
mod expressions;
mod failover;
mod failover_migrate;
mod freeze;
#[allow(dead_code)]
mod harness;
mod hostile;
mod hostile_names;
mod interop;
mod introspect;
mod ipv6;
mod logging;
mod mission;
mod models;
mod node;
mod orm;
mod orm_bulk;
mod orm_faults;
mod orm_query;
mod orm_relations;
mod pool;
mod roundtrip;
mod runner;
mod runner_embed;
mod runner_requests;
mod runner_retry;
mod tls;
mod url;
