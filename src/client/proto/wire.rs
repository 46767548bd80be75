//! Framing primitives: the 8-byte header, words, NUL-terminated padded text, blobs.
//! (dqlite-facts.md §1.)

/// Length of a message header in bytes.
pub const HEADER_LEN: usize = 8;

/// Message header: body length in 8-byte words, type, schema byte, two unused bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub words: u32,
    pub mtype: u8,
    pub schema: u8,
}
