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

/// An event was rejected by [`crate::session::Session::handle`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A key other than 0-9, `*` or `#` was fed.
    #[error("`{0}` is not a key: 0-9, * or #")]
    BadKey(char),
    /// The session was started with, or saved from, another program.
    #[error("the session belongs to another program (fingerprint {expected:#x}, got {got:#x})")]
    ProgramMismatch {
        /// The fingerprint the session was started with.
        expected: u64,
        /// The fingerprint of the program passed in.
        got: u64,
    },
}

/// A session could not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The program has no `main` flow (only possible for a hand-built program).
    #[error("the program has no main flow")]
    NoMain,
}
