//! Responses (server → client): encoding and decoding of every response body of 1.11.1.
//! (dqlite-facts.md §3, §4.3.) STUB: implemented by the codec work.

use super::{ProtoError, Response};

/// What the decoder needs to know that the bytes do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseHint {
    /// The connection used the legacy handshake: Leader replies carry the address only.
    pub legacy: bool,
    /// The Cluster request's format: 0 = id+address, non-zero = id+address+role.
    pub cluster_format: u64,
}

pub fn encode_response(resp: &Response, hint: ResponseHint, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    let _ = (resp, hint, out);
    unimplemented!("codec")
}

pub fn decode_response(mtype: u8, body: &[u8], hint: ResponseHint) -> Result<Response, ProtoError> {
    let _ = (mtype, body, hint);
    unimplemented!("codec")
}
