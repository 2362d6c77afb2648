//! Errors, one type per operation.

use std::fmt;

use crate::session::RequestId;

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
    /// A lookup answer nests records deeper than
    /// [`crate::limits::MAX_VALUE_DEPTH`]. The answer was dropped and the
    /// session did not change: it still waits for that lookup, so the host
    /// can answer again (with [`crate::session::LookupResult::Error`], say).
    #[error("{origin} nests records deeper than {max} levels (limits::MAX_VALUE_DEPTH)")]
    ValueTooDeep {
        /// Where the value came from.
        origin: ValueOrigin,
        /// The limit, [`crate::limits::MAX_VALUE_DEPTH`].
        max: usize,
    },
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
    /// A caller attribute nests records deeper than
    /// [`crate::limits::MAX_VALUE_DEPTH`] allows inside `caller`.
    #[error("{origin} nests records deeper than {max} levels (limits::MAX_VALUE_DEPTH)")]
    ValueTooDeep {
        /// Where the value came from.
        origin: ValueOrigin,
        /// The limit, [`crate::limits::MAX_VALUE_DEPTH`].
        max: usize,
    },
}

/// Where a host value the session refused came from. The value checked is
/// the one the flow sees: `caller` is a record around the attributes, a
/// lookup's answer a record around its fields, so a field may itself nest one
/// level less than the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueOrigin {
    /// `caller`, in the attribute with this name
    /// ([`crate::session::CallContext::attributes`]).
    CallerAttribute(String),
    /// The answer to a lookup ([`crate::session::LookupResult::Found`]), in
    /// the field with this name.
    LookupAnswer {
        /// The lookup's request.
        request: RequestId,
        /// The field.
        field: String,
    },
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueOrigin::CallerAttribute(name) => write!(f, "`caller` (attribute `{name}`)"),
            ValueOrigin::LookupAnswer { request, field } => write!(
                f,
                "the answer to lookup request {} (field `{field}`)",
                request.0
            ),
        }
    }
}
