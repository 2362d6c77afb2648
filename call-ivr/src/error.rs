//! Errors, one type per operation.

/// A source text or an offset into it was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The text is longer than spans can address.
    #[error("source is {len} bytes; the limit is {max}")]
    TooLarge {
        /// Length of the rejected text in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The offset is past the end or inside a multi-byte character.
    #[error("byte offset {offset} is not a character boundary of a {len}-byte source")]
    BadOffset {
        /// The rejected offset.
        offset: u32,
        /// Length of the text in bytes.
        len: usize,
    },
}
