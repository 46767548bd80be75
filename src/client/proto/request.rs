//! Requests (client → server): encoding and decoding of every request body of 1.11.1.
//! (dqlite-facts.md §2.) STUB: implemented by the codec work.

use super::{ProtoError, Request};

/// Appends header + body of `req` to `out`. Refuses what would crash or silently corrupt a
/// 1.11.1 node: more than 255 parameters, Describe format ≠ 0, NUL inside text.
pub fn encode_request(req: &Request, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    let _ = (req, out);
    unimplemented!("codec")
}

/// Decodes the body of a request of type `mtype`.
pub fn decode_request(mtype: u8, body: &[u8]) -> Result<Request, ProtoError> {
    let _ = (mtype, body);
    unimplemented!("codec")
}
