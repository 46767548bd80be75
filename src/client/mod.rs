//! The dqlite client: a sans-I/O codec (`proto`) and a blocking connection over TCP or a
//! Linux abstract unix socket, with leader discovery, guard rails for dqlite 1.11.1's crash
//! traps, busy retries, a statement cache, transactions and admin requests. Depends on
//! nothing else in dqmig.

mod admin;
mod conn;
mod error;
mod leader;
pub mod proto;
mod rows;
mod scan;
mod stmt;
mod transport;
mod tx;
mod value;

pub use conn::{ConnectOptions, Connection, ExecResult, Outcome, RowIter};
pub use error::{
    classify_code, Error, ErrorClass, Result, CODE_LEADERSHIP_LOST, CODE_LEADERSHIP_LOST_LEGACY, CODE_NOT_LEADER,
    CODE_NOT_LEADER_LEGACY,
};
pub use proto::{DumpFile, NodeInfo, Request, Response, Role, Value};
pub use rows::{Row, Rows};
pub use stmt::Statement;
pub use tx::{Behavior, Transaction};
pub use value::{describe as describe_value, FromValue, ToValue, ValueError};
