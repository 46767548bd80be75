//! Integration tests: one binary, themed modules, real dqlite nodes.
