//! Safe owner of one embedded dqlite node (libdqlite through `dqlite-sys`).
