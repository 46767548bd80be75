//! Checksums of revision files (stored in the history table when a revision is applied): SHA-256, as 64 lowercase hex digits, of the
//! file's normalized text, so that edits which change nothing a database sees — line
//! endings, trailing blanks — do not count as an edited revision.
//!
//! Normalization, exactly:
//! 1. a leading UTF-8 byte-order mark is removed;
//! 2. every `\r\n`, and every `\r` not followed by `\n`, becomes `\n`;
//! 3. spaces and tabs at the end of every line are removed;
//! 4. blank lines at the end of the file are removed, and the text ends with exactly one
//!    `\n` (an empty or all-blank file normalizes to the empty string).
//!
//! Nothing else changes: leading whitespace, blank lines inside the file, comments and the
//! case of keywords all count.

use sha2::{Digest, Sha256};

/// The normalized form of a revision file's text (see the module docs).
pub fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        out.push_str(line.trim_end_matches([' ', '\t']));
        out.push('\n');
    }
    let kept = out.trim_end_matches('\n').len();
    out.truncate(kept);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// SHA-256 of the normalized text, 64 lowercase hex digits.
pub fn checksum(text: &str) -> String {
    hex::encode(Sha256::digest(normalize(text).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_rules() {
        assert_eq!(normalize("\u{feff}a \t\r\nb\rc\n\n\n  \n"), "a\nb\nc\n");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \n\t\n"), "");
        assert_eq!(normalize("  x\n\n y"), "  x\n\n y\n");
    }

    #[test]
    fn stable_and_sensitive() {
        let a = "-- revision: abc\n\n-- migrate:up\nSELECT 1;\n";
        // A known value: the hex SHA-256 of the normalized text, fixed forever.
        assert_eq!(
            checksum(a),
            checksum("-- revision: abc  \r\n\r\n-- migrate:up\r\nSELECT 1;\r\n\r\n")
        );
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            checksum("abc"),
            "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"
        ); // sha256("abc\n")
        assert_ne!(checksum(a), checksum(&a.replace("SELECT 1", "SELECT 2")));
        assert_ne!(checksum(a), checksum(&a.replace("SELECT", " SELECT")));
        assert_eq!(checksum(a).len(), 64);
    }
}
