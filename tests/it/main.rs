//! Integration tests: one binary, themed modules, real dqlite nodes.

#[allow(dead_code)]
mod support;

mod client;
mod node;
