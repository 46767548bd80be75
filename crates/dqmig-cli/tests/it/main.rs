//! Integration tests: one binary, themed modules, real dqlite nodes.

#[allow(dead_code)]
mod support;

mod client;
mod client_admin;
mod client_bench;
mod client_cluster;
mod client_guard;
mod client_tx;
mod node;
mod url;
mod models;
mod cli;
mod interop;
mod introspect;
mod roundtrip;
mod autogen;
mod autogen_prop;
mod config;
mod runner;
mod runner_embed;
mod runner_retry;
mod cli_run;
mod concurrency;
mod cli_author;
mod expressions;
mod cli_init;
mod cli_faults;
mod embedded_owner;
mod big_tx;
mod apps;
mod hostile;
mod freeze;
#[allow(dead_code)]
mod harness;
mod cluster;
mod failover;
mod pool;
mod mission;
mod failover_migrate;
mod runner_requests;
mod cli_revision_sql;
mod logging;
