//! Source text, byte spans and line/column locations.
//!
//! Every node and every diagnostic carries a [`Span`] of byte offsets into the
//! flow file; [`SourceFile`] turns an offset into the 1-based line and column
//! a person reads in an editor.

use crate::error::SourceError;

/// A UTF-8 byte-order mark, which some editors put at the start of a file.
const BOM: &str = "\u{feff}";

/// A half-open range of byte offsets `start..end` into one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from its bounds.
    pub const fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }

    /// The length in bytes (zero for an inverted span).
    pub const fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no bytes.
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

/// A named source text with an index of where its lines start.
///
/// # Examples
///
/// ```
/// use call_ivr::source::{Location, SourceFile};
///
/// let file = SourceFile::new("main.ivr", "flow main\n  say \"hé\"\n")?;
/// assert_eq!(file.location(12)?, Location { line: 2, column: 3 });
/// assert_eq!(file.line_text(2), Some("  say \"hé\""));
/// # Ok::<(), call_ivr::error::SourceError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// The largest source accepted, so every offset fits a `u32` span.
    pub const MAX_LEN: usize = u32::MAX as usize;

    /// Indexes `text`, refusing texts whose offsets would not fit a span.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Result<Self, SourceError> {
        let text = text.into();
        if text.len() > Self::MAX_LEN {
            return Err(SourceError::TooLarge {
                len: text.len(),
                max: Self::MAX_LEN,
            });
        }
        let mut line_starts = vec![0];
        // Offsets fit in u32: the length was checked above.
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| (i + 1) as u32),
        );
        Ok(SourceFile {
            name: name.into(),
            text,
            line_starts,
        })
    }

    /// The file name used in diagnostics.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line and column of a byte offset. The offset one past the end is
    /// valid (an "unexpected end of file" points there); an offset inside a
    /// multi-byte character is not.
    pub fn location(&self, offset: u32) -> Result<Location, SourceError> {
        let at = offset as usize;
        if at > self.text.len() || !self.text.is_char_boundary(at) {
            return Err(SourceError::BadOffset {
                offset,
                len: self.text.len(),
            });
        }
        // The first entry is 0, so the partition point is at least 1.
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let mut line_start = self.line_starts.get(line_index).copied().unwrap_or(0) as usize;
        if line_start == 0 && at >= BOM.len() && self.text.starts_with(BOM) {
            // Columns count from after a byte-order mark.
            line_start = BOM.len();
        }
        let column = self
            .text
            .get(line_start..at)
            .map_or(0, |s| s.chars().count());
        Ok(Location {
            line: line_index as u32 + 1,
            column: column as u32 + 1,
        })
    }

    /// The text of a 1-based line without its line ending, or `None` past the
    /// last line.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)? as usize;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&e| e as usize);
        let raw = self.text.get(start..end)?;
        let raw = if start == 0 {
            raw.strip_prefix(BOM).unwrap_or(raw)
        } else {
            raw
        };
        Some(raw.trim_end_matches('\n').trim_end_matches('\r'))
    }

    /// The source text a span covers, or `None` if it is out of bounds or not on
    /// character boundaries.
    pub fn slice(&self, span: Span) -> Option<&str> {
        self.text.get(span.start as usize..span.end as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_at_line_boundaries() {
        let file = SourceFile::new("t", "ab\ncd\n").unwrap();
        assert_eq!(file.location(0).unwrap(), Location { line: 1, column: 1 });
        assert_eq!(file.location(2).unwrap(), Location { line: 1, column: 3 });
        assert_eq!(file.location(3).unwrap(), Location { line: 2, column: 1 });
        assert_eq!(file.location(6).unwrap(), Location { line: 3, column: 1 });
        assert_eq!(
            file.location(7),
            Err(SourceError::BadOffset { offset: 7, len: 6 })
        );
    }

    #[test]
    fn columns_count_characters_and_reject_split_characters() {
        let file = SourceFile::new("t", "é=1").unwrap();
        assert_eq!(file.location(2).unwrap(), Location { line: 1, column: 2 });
        assert!(file.location(1).is_err());
    }

    #[test]
    fn line_text_strips_crlf() {
        let file = SourceFile::new("t", "one\r\ntwo").unwrap();
        assert_eq!(file.line_text(1), Some("one"));
        assert_eq!(file.line_text(2), Some("two"));
        assert_eq!(file.line_text(0), None);
        assert_eq!(file.line_text(3), None);
        assert_eq!(file.slice(Span::new(5, 8)), Some("two"));
    }
}
