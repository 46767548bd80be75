//! Bodies of the fuzz targets of this crate (`fuzz/fuzz_targets/*.rs` call them; the replay
//! test `crates/dqmig/tests/fuzz_corpus.rs` runs them over the committed corpus and every
//! crash found, on stable). Not part of the public API.

use crate::proto::{
    decode_response, decode_rows, decode_rows_into, encode_response, response_type, Header,
    ResponseHint, RowsBatch, RowsEnd, HEADER_LEN,
};

/// Fuzz target `wire`: `data` is what a server sent. Its first byte picks the decoding hint
/// (bit 0: legacy handshake; bit 1: Cluster format 1); the rest is read as a stream of
/// messages (8-byte header, then the body it announces, cut short at the end of `data`).
///
/// Properties checked (a failure panics): decoding never panics and never allocates more
/// than the input justifies (a length the bytes cannot hold is refused first); a decoded
/// response encodes again, and decoding that encoding and encoding it once more gives the
/// same bytes; the Rows decoder that reuses a batch across messages gives the same batch as a
/// fresh decode.
pub fn wire(data: &[u8]) {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let hint = ResponseHint {
        legacy: flags & 1 != 0,
        cluster_format: u64::from(flags >> 1 & 1),
    };
    let mut reused = RowsBatch {
        columns: Vec::new(),
        values: Vec::new(),
        end: RowsEnd::Done,
    };
    while rest.len() >= HEADER_LEN {
        let mut h = [0u8; HEADER_LEN];
        h.copy_from_slice(&rest[..HEADER_LEN]);
        rest = &rest[HEADER_LEN..];
        let header = Header::decode(&h);
        let len = header.body_len().min(rest.len());
        let (body, tail) = rest.split_at(len);
        rest = tail;
        let decoded = decode_response(header.mtype, body, hint);
        if header.mtype == response_type::ROWS {
            let fresh = decode_rows(body);
            let again = decode_rows_into(body, &mut reused);
            assert_eq!(fresh.is_ok(), again.is_ok(), "reused Rows decode differs");
            if let Ok(fresh) = fresh {
                assert_eq!(encoded_rows(&fresh), encoded_rows(&reused));
            }
        }
        let Ok(resp) = decoded else { continue };
        let mut first = Vec::new();
        encode_response(&resp, hint, &mut first).expect("a decoded response encodes");
        let h2 = Header::decode(first[..HEADER_LEN].try_into().expect("a header"));
        assert_eq!(h2.mtype, header.mtype, "re-encoded type");
        let resp2 = decode_response(h2.mtype, &first[HEADER_LEN..], hint)
            .expect("an encoded response decodes");
        let mut second = Vec::new();
        encode_response(&resp2, hint, &mut second).expect("a decoded response encodes");
        assert_eq!(
            first, second,
            "encode(decode(encode(x))) differs from encode(x)"
        );
    }
}

fn encoded_rows(batch: &RowsBatch) -> Vec<u8> {
    let mut out = Vec::new();
    encode_response(
        &crate::proto::Response::Rows(batch.clone()),
        ResponseHint::default(),
        &mut out,
    )
    .expect("a decoded batch encodes");
    out
}
