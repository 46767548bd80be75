//! Framing primitives: the 8-byte header, words, NUL-terminated padded text, blobs, and a
//! bounds-checked reader over a message body. A message is an 8-byte header (body length in
//! 8-byte words: u32; type: u8; schema: u8; two reserved bytes) and a body of whole words,
//! all little-endian.
//!
//! Writers append to a `Vec<u8>`; every field they write ends on a word boundary, so a body
//! built from them is always a whole number of 8-byte words. The reader never panics and never
//! allocates: every length is checked against the bytes that are actually left.

use super::ProtoError;

/// Length of a message header in bytes.
pub const HEADER_LEN: usize = 8;

/// Message header: body length in 8-byte words, type, schema byte, two unused bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub words: u32,
    pub mtype: u8,
    pub schema: u8,
}

impl Header {
    /// Appends the 8 header bytes (the two unused bytes are written as zero).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The 8 header bytes.
    pub fn to_bytes(&self) -> [u8; 8] {
        let w = self.words.to_le_bytes();
        [w[0], w[1], w[2], w[3], self.mtype, self.schema, 0, 0]
    }

    /// Reads a header; the two unused bytes are ignored. Cannot fail: every 8 bytes are a header.
    pub fn decode(bytes: &[u8; 8]) -> Header {
        Header {
            words: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            mtype: bytes[4],
            schema: bytes[5],
        }
    }

    /// Body length in bytes (words × 8).
    pub fn body_len(&self) -> usize {
        self.words as usize * 8
    }
}

/// Rounds `n` up to the next multiple of 8.
#[inline]
pub(crate) fn round8(n: usize) -> usize {
    (n + 7) & !7
}

/// Starts a message: reserves the header in `out` and returns where the message starts.
#[inline]
pub(crate) fn begin(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0u8; HEADER_LEN]);
    start
}

/// Ends a message begun at `start`: writes the header with the body length. On error the
/// message is removed from `out` again, so a failed encode leaves `out` as it was.
#[inline]
pub(crate) fn finish(out: &mut Vec<u8>, start: usize, mtype: u8) -> Result<(), ProtoError> {
    let len = out.len() - start - HEADER_LEN;
    debug_assert!(len.is_multiple_of(8), "body not word aligned");
    let words = match u32::try_from(len / 8) {
        Ok(w) => w,
        Err(_) => {
            out.truncate(start);
            return Err(ProtoError::TooLarge { len });
        }
    };
    let header = Header {
        words,
        mtype,
        schema: 0,
    }
    .to_bytes();
    out[start..start + HEADER_LEN].copy_from_slice(&header);
    Ok(())
}

#[inline]
pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Two u32 in one word (db id + statement id, or id + padding).
#[inline]
pub(crate) fn put_u32_pair(out: &mut Vec<u8>, a: u32, b: u32) {
    out.extend_from_slice(&a.to_le_bytes());
    out.extend_from_slice(&b.to_le_bytes());
}

/// Fails with `NulInText` if `s` contains a NUL (the server would truncate it there).
#[inline]
pub(crate) fn check_text(s: &str, what: &'static str) -> Result<(), ProtoError> {
    match memchr::memchr(0, s.as_bytes()) {
        Some(position) => Err(ProtoError::NulInText { what, position }),
        None => Ok(()),
    }
}

/// Text: the bytes, a NUL, zero padding to the next word boundary. The caller must have
/// checked the text with [`check_text`].
#[inline]
pub(crate) fn put_text_unchecked(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    let pad = 8 - s.len() % 8; // 1..=8, includes the NUL
    out.extend_from_slice(&[0u8; 8][..pad]);
}

/// Checked text writer.
#[inline]
pub(crate) fn put_text(out: &mut Vec<u8>, s: &str, what: &'static str) -> Result<(), ProtoError> {
    check_text(s, what)?;
    put_text_unchecked(out, s);
    Ok(())
}

/// Zero padding from `len` bytes up to the next word boundary.
#[inline]
pub(crate) fn put_pad(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&[0u8; 8][..round8(len) - len]);
}

/// Blob: u64 length, the bytes, zero padding.
#[inline]
pub(crate) fn put_blob(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
    put_pad(out, b.len());
}

/// Bounds-checked cursor over a message body.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Takes exactly `n` bytes.
    #[inline]
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ProtoError> {
        let rest = self.remaining();
        if n > rest {
            return Err(ProtoError::Truncated {
                what,
                offset: self.pos,
                needed: n - rest,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[inline]
    pub(crate) fn word(&mut self, what: &'static str) -> Result<[u8; 8], ProtoError> {
        let b = self.bytes(8, what)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Ok(w)
    }

    /// The next word without consuming it, if there is one.
    #[inline]
    pub(crate) fn peek_word(&self) -> Option<[u8; 8]> {
        let b = self.buf.get(self.pos..self.pos.checked_add(8)?)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Some(w)
    }

    #[inline]
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, ProtoError> {
        Ok(u64::from_le_bytes(self.word(what)?))
    }

    #[inline]
    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64, ProtoError> {
        Ok(i64::from_le_bytes(self.word(what)?))
    }

    /// Two u32 packed in one word.
    #[inline]
    pub(crate) fn u32_pair(&mut self, what: &'static str) -> Result<(u32, u32), ProtoError> {
        let w = self.word(what)?;
        Ok((
            u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
            u32::from_le_bytes([w[4], w[5], w[6], w[7]]),
        ))
    }

    /// Skips padding so that `len` bytes just read end on a word boundary.
    #[inline]
    pub(crate) fn skip_pad(&mut self, len: usize, what: &'static str) -> Result<(), ProtoError> {
        self.bytes(round8(len) - len, what).map(|_| ())
    }

    /// NUL-terminated, padded UTF-8 text, borrowed from the body.
    #[inline]
    pub(crate) fn text(&mut self, what: &'static str) -> Result<&'a str, ProtoError> {
        let rest = &self.buf[self.pos..];
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(ProtoError::UnterminatedText { what })?;
        let s = std::str::from_utf8(&rest[..nul]).map_err(|_| ProtoError::InvalidUtf8 { what })?;
        self.bytes(round8(nul + 1), what)?;
        Ok(s)
    }

    #[inline]
    pub(crate) fn string(&mut self, what: &'static str) -> Result<String, ProtoError> {
        self.text(what).map(str::to_owned)
    }

    /// Blob: u64 length (checked against the remaining bytes), the bytes, padding.
    #[inline]
    pub(crate) fn blob(&mut self, what: &'static str) -> Result<&'a [u8], ProtoError> {
        let len = self.u64(what)?;
        let rest = self.remaining();
        if len > rest as u64 {
            return Err(ProtoError::Truncated {
                what,
                offset: self.pos,
                needed: usize::try_from(len - rest as u64).unwrap_or(usize::MAX),
            });
        }
        let len = len as usize;
        let b = self.bytes(len, what)?;
        self.skip_pad(len, what)?;
        Ok(b)
    }

    /// A count of items that each take at least `min_item_len` bytes: refuses counts that
    /// cannot fit in what is left, so a hostile count never drives an allocation.
    #[inline]
    pub(crate) fn count(
        &mut self,
        min_item_len: usize,
        what: &'static str,
    ) -> Result<usize, ProtoError> {
        let n = self.u64(what)?;
        let rest = self.remaining();
        let fits = (rest / min_item_len.max(1)) as u64;
        if n > fits {
            let needed = n
                .saturating_mul(min_item_len as u64)
                .saturating_sub(rest as u64);
            return Err(ProtoError::Truncated {
                what,
                offset: self.pos,
                needed: usize::try_from(needed).unwrap_or(usize::MAX),
            });
        }
        Ok(n as usize)
    }

    /// Succeeds only if the whole body was consumed.
    #[inline]
    pub(crate) fn end(&self, what: &'static str) -> Result<(), ProtoError> {
        match self.remaining() {
            0 => Ok(()),
            trailing => Err(ProtoError::TrailingBytes { what, trailing }),
        }
    }
}

/// Checks that a body is a whole number of words.
#[inline]
pub(crate) fn check_aligned(body: &[u8]) -> Result<(), ProtoError> {
    if !body.len().is_multiple_of(8) {
        return Err(ProtoError::UnalignedBody { len: body.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_layout() {
        let h = Header {
            words: 0x0f,
            mtype: 8,
            schema: 0,
        };
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out, [0x0f, 0, 0, 0, 8, 0, 0, 0]);
        assert_eq!(
            Header::decode(&[0x0e, 0, 0, 0, 7, 0, 0, 0]),
            Header {
                words: 14,
                mtype: 7,
                schema: 0
            }
        );
        assert_eq!(Header::decode(&[0x0e, 0, 0, 0, 7, 0, 0, 0]).body_len(), 112);
        let big = Header::decode(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
        assert_eq!(big.words, u32::MAX);
        assert_eq!(big.schema, 2);
        assert_eq!(big.body_len(), u32::MAX as usize * 8);
    }

    #[test]
    fn text_padding_lengths() {
        for (s, len) in [("", 8), ("abcdefg", 8), ("abcdefgh", 16), ("rt", 8)] {
            let mut out = Vec::new();
            put_text(&mut out, s, "t").unwrap();
            assert_eq!(out.len(), len, "{s:?}");
            assert_eq!(Reader::new(&out).text("t").unwrap(), s);
        }
    }

    #[test]
    fn text_with_nul_is_refused() {
        let mut out = Vec::new();
        assert_eq!(
            put_text(&mut out, "a\0b", "sql"),
            Err(ProtoError::NulInText {
                what: "sql",
                position: 1
            })
        );
        assert!(out.is_empty());
    }

    #[test]
    fn reader_rejects_bad_lengths() {
        // Blob claiming u64::MAX bytes.
        let body = [0xffu8; 16];
        assert!(matches!(
            Reader::new(&body).blob("b"),
            Err(ProtoError::Truncated { .. })
        ));
        // Count that cannot fit.
        let mut body = Vec::new();
        put_u64(&mut body, 3);
        put_u64(&mut body, 0);
        assert!(matches!(
            Reader::new(&body).count(16, "n"),
            Err(ProtoError::Truncated { .. })
        ));
        // Text without NUL.
        assert_eq!(
            Reader::new(b"abcdefgh").text("x"),
            Err(ProtoError::UnterminatedText { what: "x" })
        );
        // Invalid UTF-8.
        assert_eq!(
            Reader::new(&[0xc3, 0x28, 0, 0, 0, 0, 0, 0]).text("x"),
            Err(ProtoError::InvalidUtf8 { what: "x" })
        );
    }
}
