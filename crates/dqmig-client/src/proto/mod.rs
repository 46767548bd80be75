//! Sans-I/O codec for the dqlite wire protocol as spoken by libdqlite 1.11.1
//! (protocol version 1). No sockets here: requests become bytes, bytes become responses.
//! Both directions of every message are implemented so the codec can be property-tested as
//! a round trip and so tests can read what a client wrote.
//!
//! Layout: `wire` (words, text, blob primitives), `value` (value type codes, parameter
//! tuples, row headers), `request` (client → server), `response` (server → client, including
//! one Rows batch at a time).

mod request;
mod response;
#[cfg(test)]
mod test_support;
mod value;
mod wire;

pub use request::{
    decode_request, encode_exec, encode_exec_sql, encode_query, encode_query_sql, encode_request,
    request_code,
};
pub use response::{
    decode_response, decode_rows, decode_rows_into, encode_response, response_code, ResponseHint,
    ROWS_DONE, ROWS_PART,
};
pub use value::{Value, ValueType};
pub use wire::{Header, HEADER_LEN};

/// Protocol version written as the 8-byte handshake (little-endian u64).
pub const PROTOCOL_VERSION: u64 = 1;
/// Pre-1.0 protocol version, still accepted by 1.11.1 (Leader then answers address only).
pub const PROTOCOL_VERSION_LEGACY: u64 = 0x8610_4dd7_6043_3fe5;
/// 1.11.1 reads the parameter count as one byte (tuple schema 0).
pub const MAX_PARAMS: usize = 255;

/// Request type codes (header byte 4, client → server).
pub mod request_type {
    pub const LEADER: u8 = 0;
    pub const CLIENT: u8 = 1;
    pub const HEARTBEAT: u8 = 2;
    pub const OPEN: u8 = 3;
    pub const PREPARE: u8 = 4;
    pub const EXEC: u8 = 5;
    pub const QUERY: u8 = 6;
    pub const FINALIZE: u8 = 7;
    pub const EXEC_SQL: u8 = 8;
    pub const QUERY_SQL: u8 = 9;
    pub const INTERRUPT: u8 = 10;
    pub const CONNECT: u8 = 11;
    pub const ADD: u8 = 12;
    pub const ASSIGN: u8 = 13;
    pub const REMOVE: u8 = 14;
    pub const DUMP: u8 = 15;
    pub const CLUSTER: u8 = 16;
    pub const TRANSFER: u8 = 17;
    pub const DESCRIBE: u8 = 18;
    pub const WEIGHT: u8 = 19;
}

/// Response type codes (header byte 4, server → client).
pub mod response_type {
    pub const FAILURE: u8 = 0;
    pub const SERVER: u8 = 1;
    pub const WELCOME: u8 = 2;
    pub const SERVERS: u8 = 3;
    pub const DB: u8 = 4;
    pub const STMT: u8 = 5;
    pub const RESULT: u8 = 6;
    pub const ROWS: u8 = 7;
    pub const EMPTY: u8 = 8;
    pub const FILES: u8 = 9;
    pub const METADATA: u8 = 10;
}

/// Node role as it appears on the wire (NOT libraft's enum order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Role {
    Voter = 0,
    Standby = 1,
    Spare = 2,
}

impl Role {
    pub fn from_code(code: u64) -> Option<Role> {
        match code {
            0 => Some(Role::Voter),
            1 => Some(Role::Standby),
            2 => Some(Role::Spare),
            _ => None,
        }
    }
    pub fn code(self) -> u64 {
        self as u64
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Voter => "voter",
            Role::Standby => "standby",
            Role::Spare => "spare",
        })
    }
}

/// One cluster member as reported by Leader/Cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NodeInfo {
    pub id: u64,
    pub address: String,
    /// Present only in Cluster format 1 replies.
    pub role: Option<Role>,
}

/// A client → server message. Field widths follow the wire (db ids are u32 in
/// Exec/Query/Finalize and u64 in Prepare/ExecSql/QuerySql/Interrupt).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Leader,
    Client {
        id: u64,
    },
    Open {
        name: String,
        flags: u64,
        vfs: String,
    },
    Prepare {
        db: u64,
        sql: String,
    },
    Exec {
        db: u32,
        stmt: u32,
        params: Vec<Value>,
    },
    Query {
        db: u32,
        stmt: u32,
        params: Vec<Value>,
    },
    Finalize {
        db: u32,
        stmt: u32,
    },
    ExecSql {
        db: u64,
        sql: String,
        params: Vec<Value>,
    },
    QuerySql {
        db: u64,
        sql: String,
        params: Vec<Value>,
    },
    Interrupt {
        db: u64,
    },
    Add {
        id: u64,
        address: String,
    },
    /// `role: None` is the legacy "promote to voter" body (id only).
    Assign {
        id: u64,
        role: Option<Role>,
    },
    Remove {
        id: u64,
    },
    Dump {
        name: String,
    },
    Cluster {
        format: u64,
    },
    Transfer {
        id: u64,
    },
    Describe {
        format: u64,
    },
    Weight {
        weight: u64,
    },
}

/// Whether a Rows message ends the result or another Rows message follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsEnd {
    /// `ff` × 8: result complete.
    Done,
    /// `ee` × 8: another Rows message follows without being asked for.
    Part,
}

/// One Rows message: every batch repeats the column names. `values` is row-major,
/// `columns.len()` values per row. A batch may hold zero rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsBatch {
    pub columns: Vec<String>,
    pub values: Vec<Value>,
    pub end: RowsEnd,
}

impl RowsBatch {
    pub fn row_count(&self) -> usize {
        if self.columns.is_empty() {
            0
        } else {
            self.values.len() / self.columns.len()
        }
    }
}

/// One file of a Dump reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpFile {
    pub name: String,
    pub data: Vec<u8>,
}

/// A server → client message.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Failure {
        code: u64,
        message: String,
    },
    /// Leader reply; `id` is 0 and `address` empty when the node knows no leader.
    /// With the legacy handshake the body is the address only and `id` decodes as 0.
    Server {
        id: u64,
        address: String,
    },
    Welcome {
        heartbeat_timeout_ms: u64,
    },
    Servers {
        nodes: Vec<NodeInfo>,
    },
    Db {
        id: u32,
    },
    Stmt {
        db: u32,
        id: u32,
        params: u64,
    },
    Result {
        last_insert_id: u64,
        rows_affected: u64,
    },
    Rows(RowsBatch),
    Empty,
    Files {
        files: Vec<DumpFile>,
    },
    Metadata {
        failure_domain: u64,
        weight: u64,
    },
}

/// Codec errors: malformed bytes from a peer, or a value that cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    #[error("message body too short: needed {needed} more bytes at offset {offset} while decoding {what}")]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
    },
    #[error("text field {what} has no NUL terminator")]
    UnterminatedText { what: &'static str },
    #[error("text field {what} is not valid UTF-8")]
    InvalidUtf8 { what: &'static str },
    #[error("text value for {what} contains a NUL byte at position {position}; dqlite 1.11 would silently truncate it there")]
    NulInText { what: &'static str, position: usize },
    #[error("parameter {index} is NaN, which SQLite stores as NULL")]
    NanParameter { index: usize },
    #[error("unknown value type code {code} in {what}")]
    UnknownValueType { code: u8, what: &'static str },
    #[error("unknown message type {code} ({direction})")]
    UnknownMessageType { code: u8, direction: &'static str },
    #[error("unknown node role {code}")]
    UnknownRole { code: u64 },
    #[error("{count} parameters given; dqlite 1.11 accepts at most 255 per statement (split the statement or use fewer values)")]
    TooManyParams { count: usize },
    #[error("Describe format {format} would crash a dqlite 1.11 node; only format 0 exists")]
    DescribeFormat { format: u64 },
    #[error("message body of {len} bytes is not a whole number of 8-byte words")]
    UnalignedBody { len: usize },
    #[error("{trailing} unexpected bytes after the end of {what}")]
    TrailingBytes { what: &'static str, trailing: usize },
    #[error("rows message with zero columns")]
    ZeroColumns,
    #[error("rows batch has {values} values, not a multiple of its {columns} columns")]
    RaggedRows { values: usize, columns: usize },
    #[error("message of {len} bytes exceeds the protocol limit")]
    TooLarge { len: usize },
}
