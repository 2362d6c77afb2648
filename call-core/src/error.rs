//! Errors, one type per operation.

/// A value could not be turned into a [`Q850Cause`](crate::cause::Q850Cause).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CauseError {
    /// Q.850 causes are seven bits wide.
    #[error("Q.850 cause {value} is out of range (0..=127)")]
    OutOfRange {
        /// The rejected value.
        value: u8,
    },
}
