//! Diagnostics: one problem in one scenario file at a 1-based line and
//! column, displayed `file:line:col: message`; and byte offset to position.

use std::fmt;
use std::path::PathBuf;

use super::format::Pos;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    /// One line.
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: impl Into<PathBuf>, pos: Pos, message: impl Into<String>) -> Self {
        let message: String = message.into();
        Diagnostic {
            path: path.into(),
            line: pos.line,
            col: pos.col,
            message: message.replace('\n', " "),
        }
    }

    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// Turns byte offsets of a text into 1-based line/column positions.
pub struct LineIndex<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, line_starts }
    }

    /// The position of byte `offset` (clamped to the text, rounded down to a
    /// character boundary); the column counts characters.
    pub fn pos(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        Pos { line, col }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let index = LineIndex::new("ab\né=1\n\nx");
        assert_eq!(index.pos(0), Pos { line: 1, col: 1 });
        assert_eq!(index.pos(2), Pos { line: 1, col: 3 });
        assert_eq!(index.pos(3), Pos { line: 2, col: 1 });
        assert_eq!(index.pos(5), Pos { line: 2, col: 2 });
        assert_eq!(index.pos(4), Pos { line: 2, col: 1 }, "inside é");
        assert_eq!(index.pos(8), Pos { line: 3, col: 1 });
        assert_eq!(index.pos(999), Pos { line: 4, col: 2 });
    }

    #[test]
    fn displays_like_a_compiler() {
        let d = Diagnostic::new("s/a.toml", Pos { line: 3, col: 7 }, "bad\nthing");
        assert_eq!(d.to_string(), "s/a.toml:3:7: bad thing");
    }
}
