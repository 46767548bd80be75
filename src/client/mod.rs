//! The dqlite client: a sans-I/O codec (`proto`) and a blocking connection over TCP or a
//! Linux abstract unix socket. Depends on nothing else in dqmig.

pub mod proto;
