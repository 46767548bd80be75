//! Positions in model files: 1-based line and column (in characters), from byte offsets
//! (TOML spans) or from sqlparser locations.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// The position of byte `offset` in `text` (clamped to the text, and to a char boundary).
    pub fn from_offset(text: &str, offset: usize) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Pos {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }

    pub fn from_location(loc: sqlparser::tokenizer::Location) -> Pos {
        Pos {
            line: loc.line.max(1) as usize,
            column: loc.column.max(1) as usize,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        let t = "ab\ncé d\n";
        assert_eq!(Pos::from_offset(t, 0), Pos { line: 1, column: 1 });
        assert_eq!(Pos::from_offset(t, 3), Pos { line: 2, column: 1 });
        assert_eq!(Pos::from_offset(t, 6), Pos { line: 2, column: 3 }); // after é (2 bytes)
        assert_eq!(Pos::from_offset(t, 5), Pos { line: 2, column: 2 }); // inside é → clamped
        assert_eq!(Pos::from_offset(t, 999), Pos { line: 3, column: 1 });
    }
}
